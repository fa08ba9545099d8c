/*
 * The IPsec backend in the service: for a secured connection with
 * SecurityProtocol IPSEC or IPSEC2, XFRM policies for its 5-tuple (ESP in
 * transport mode; required, or optional with ALLOW_INSECURE) and an IKEv2
 * SA negotiated by strongSwan's charon over VICI, before the program's
 * socket sends its SYN.  The program then connects directly; the kernel
 * protects the connection, and holds its traffic back (never sends it in
 * clear) when there is no SA.
 *
 * Set-up blocks on charon, so each one runs in a thread of its own and
 * reports to the event loop through a pipe.  The protection lives as long
 * as the program keeps the control connection (the DLL closes it after
 * the socket), and beyond that until the TCP connection has left the
 * kernel's table: a policy removed while segments may still be sent would
 * let them go out in clear.
 */
#ifndef SECSOCKD_IPSEC_H
#define SECSOCKD_IPSEC_H

#include <time.h>
#include "secsock/proto.h"
#include "service.h"
#include "unix/peers.h"

#define IPSEC_PSK_FILE PEERS_PSK_FILE   /* in the config directory: unix/peers.h */
#define IPSEC_INITIATE_TIMEOUT_MS 6000

struct ipsec_conn;

/* Probes the kernel (CAP_NET_ADMIN, ESP) and charon (VICI); removes what a
 * previous instance with this runtime directory left behind; sets the
 * IPsec bit in config->backends and config->ipsec_status.  Returns the fd
 * the event loop must watch (completion of set-ups), or -1 when the
 * backend is not available. */
int ipsec_backend_init(struct service_config *config, const char *runtime_dir);

/* Starts the set-up of req's connection; the answer comes through reply()
 * from ipsec_backend_event().  NULL when it cannot start (answer sent). */
struct ipsec_conn *ipsec_conn_start(void *session_slot, const struct secsock_msg_connect *req,
                                    const struct service_config *config,
                                    void (*reply)(void *session_slot, const struct secsock_msg *reply, int held));

/* An IPsec server's listening port (bind: its request; local: the
 * program's bound address): required (or optional) ESP for every TCP
 * connection to and from that port, and a responder for it in charon with
 * every pre-shared key of the configuration.  Synchronous (no IKE is
 * started).  NULL with why when it cannot be done. */
struct ipsec_conn *ipsec_listener_start(const struct secsock_msg_bind *bind, const struct secsock_addr *local,
                                        const struct service_config *config, char *why, size_t why_len);

/* The completion fd is readable. */
void ipsec_backend_event(void);
/* The program's control connection closed: before the answer (abandon),
 * or while the connection is protected (release, once the TCP connection
 * is gone). */
void ipsec_conn_closed(struct ipsec_conn *conn);
/* Removes protections whose TCP connection has gone. */
void ipsec_backend_sweep(time_t now);
void ipsec_backend_shutdown(void);

#endif
