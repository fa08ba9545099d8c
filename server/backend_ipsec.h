/*
 * The ipsec backend: for a secured connection with SecurityProtocol IPSEC
 * or IPSEC2 (or DEFAULT to a peer with a pre-shared key), XFRM policies for
 * its 5-tuple (ESP in transport mode; required, or optional with
 * ALLOW_INSECURE) and an IKEv2 SA negotiated by strongSwan's charon over
 * VICI, before the program's socket sends its SYN.  The program then
 * connects directly; the kernel protects the connection, and holds its
 * traffic back (never sends it in clear) when there is no SA.
 *
 * Set-up blocks on charon, so each one runs in a thread of its own
 * (backend_ipsec_setup.c) and reports to the event loop through a pipe.
 * The protection lives as long as the program keeps the control connection
 * (the DLL closes it after the socket), and beyond that until the TCP
 * connection has left the kernel's table: a policy removed while segments
 * may still be sent would let them go out in clear.  What an earlier
 * instance left is cleaned up at start (backend_ipsec_leftovers.c).
 */
#ifndef SECSOCKD_BACKEND_IPSEC_H
#define SECSOCKD_BACKEND_IPSEC_H

#include <arpa/inet.h>
#include <stddef.h>
#include <time.h>
#include "backend.h"
#include "unix/vici_client.h"
#include "unix/xfrm.h"

#define IPSEC_PSK_FILE PEERS_PSK_FILE   /* in the config directory: unix/peers.h */
#define IPSEC_INITIATE_TIMEOUT_MS 6000

/* A slot is (instance tag << 12) | counter: policies and charon
 * connections of this service carry its instance's tag (from its runtime
 * directory), so a restarted instance removes what it left, and never what
 * another instance (another runtime directory) holds. */
#define SLOT_COUNTER_BITS 12
#define RELEASE_GRACE 120   /* seconds a released protection may wait for its TCP connection to go */

/* BOUND: a server's lease before its LISTEN; SETTING_UP: its thread runs. */
enum ipsec_phase { BOUND, SETTING_UP, ANSWERED, HELD, RELEASING };
enum ipsec_result { RESULT_PROTECTED, RESULT_CLEAR, RESULT_REFUSED };

struct ipsec_conn {
    enum ipsec_phase phase;
    int abandoned;                   /* the program went away during set-up */
    uint32_t slot;
    char name[48];                   /* charon's connection, child and key id */
    struct secsock_xfrm_conn xfrm;
    char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN];
    int allow_insecure;
    uint8_t psk[128];
    size_t psk_len;
    struct reply_to to;              /* the session awaiting the answer */
    /* Set by the thread. */
    enum ipsec_result result;
    int policies_installed, charon_loaded;
    int listener;                    /* an IPsec server's port, not one connection */
    size_t listener_keys;            /* its pre-shared keys loaded into charon: name-0 ... */
    char why[200];
    time_t release_deadline;
    struct ipsec_conn *next;
};

/* Shared by the backend's files (backend_ipsec.c owns them). */
extern struct ipsec_conn *ipsec_conns;
extern int ipsec_done_pipe[2];
extern uint32_t ipsec_instance_tag, ipsec_counter;
extern char ipsec_vici_path[512];

/* Probes the kernel (CAP_NET_ADMIN, ESP) and charon (VICI); removes what a
 * previous instance with this runtime directory left behind; sets the
 * IPsec bit in config->backends and config->ipsec_status.  0, or -1 when
 * the backend is not available. */
int ipsec_backend_init(struct service_config *config, const char *runtime_dir);

/* A connection's slot (its policies' tag) and, from it, its name in charon. */
uint32_t ipsec_next_slot(void);
void ipsec_name_slot(struct ipsec_conn *c, uint32_t slot);
void ipsec_link(struct ipsec_conn *c);

/* backend_ipsec_setup.c: the source address the kernel picks for remote;
 * the set-up thread (reports c on ipsec_done_pipe); an IPsec server's
 * port (policies for every TCP connection to and from it, a responder with
 * every pre-shared key; synchronous: no IKE is started); undoing either. */
int ipsec_route_source(int family, const uint8_t *remote, uint8_t *local);
void *ipsec_set_up(void *conn);
int ipsec_listener_install(struct ipsec_conn *c, const struct secsock_addr *local, const struct service_config *config,
                           char *why, size_t why_len);
void ipsec_undo(struct ipsec_conn *c);

/* backend_ipsec_leftovers.c */
void ipsec_remove_leftovers(struct vici_client *vici);
/* Whether the kernel still has the program's TCP connection (a
 * listener's port: any connection on it). */
int ipsec_tuple_alive(const struct secsock_xfrm_tuple *t);

#endif
