/*
 * The TLS backend's relays (backend_tls.c is the backend): one secured
 * connection each.  Outbound: it connects to a trusted peer, runs the TLS
 * handshake, and only then answers the program's CONNECT with a loopback
 * relay address; the program's socket connects there and the relay
 * carries its bytes.  Inbound: a client reached a secured server's public
 * address; handshake as the server, verify, announce on the lease, connect
 * to the program's hidden port.
 */
#ifndef SECSOCKD_BACKEND_TLS_RELAY_H
#define SECSOCKD_BACKEND_TLS_RELAY_H

#include <stdint.h>
#include <time.h>
#include "backend.h"

#define RELAY_SETUP_TIMEOUT SECSOCK_SETUP_TIMEOUT_S   /* seconds to reach, verify and hand over */

/* The TLS backend's kinds of watch (struct watch.kind). */
enum tls_watch { TLS_WATCH_RELAY = 1, TLS_WATCH_PUBLIC = 2, TLS_WATCH_SIDE = 3, TLS_WATCH_DISCOVERY_RESPONDER = 4,
                 TLS_WATCH_DISCOVERY_ASKER = 5, TLS_WATCH_DISCOVERY_TIMER = 6 };

/* Where an inbound connection goes once its client is verified: the
 * program's listener (a lease's hidden address, guarded; or an
 * ALLOW_INSECURE server's own address), and where it is announced. */
struct inbound_target {
    const void *owner;                 /* the lease or side listener (relay_conn_forget_owner) */
    struct reply_to announce_to;       /* the program's lease */
    struct secsock_addr deliver_to;    /* where the program listens */
    struct hidden_guard *guard;        /* which must admit our connection; NULL: none */
    const char *target_name;           /* what clients must prove; "" for any */
};

struct relay_conn;

/* Starts a relay to peer for req (a pinned peer: its first pin; any other:
 * a trusted CA's certificate, at the TLS port discovery names when its
 * host runs secsockd; with ALLOW_INSECURE a peer whose host says nothing
 * of TLS gets DIRECT); answers to through backend_reply.  NULL when it
 * cannot start (then it has answered). */
struct relay_conn *relay_conn_start(struct reply_to to, const struct secsock_msg_connect *req,
                                    const struct peer *peer, const char *who, const struct service_config *config);
/* A client reached a secured server's TLS address (client_fd, TCP):
 * handshake as the server, verify the client (its pinned keys, else a
 * trusted CA's certificate with the target's name), then announce the
 * connection and connect it to the program (target). */
struct relay_conn *relay_conn_inbound(int client_fd, const struct secsock_addr *client,
                                      const struct inbound_target *target, const struct peer *peer);
/* Accepts every client waiting on listen_fd (non-blocking) and relays
 * each with relay_conn_inbound, its pins looked up in the peers file. */
void relay_accept_clients(int listen_fd, const struct inbound_target *target, const char *who,
                          const struct service_config *config);
/* The lease or side listener went away: nothing more is announced for it. */
void relay_conn_forget_owner(const void *owner);
/* One of its descriptors is ready. */
void relay_conn_event(struct relay_conn *rc);
/* The asking session went away before the answer. */
void relay_conn_abandon(struct relay_conn *rc);
/* Ends relays past their set-up deadline, and (idle_timeout > 0) relays
 * that carried nothing for idle_timeout seconds; returns how many are open. */
unsigned int relay_conn_sweep(time_t now, unsigned int idle_timeout);
void relay_conn_close_all(void);

#endif
