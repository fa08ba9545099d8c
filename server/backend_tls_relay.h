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
enum tls_watch { TLS_WATCH_RELAY = 1, TLS_WATCH_PUBLIC = 2 };

struct relay_conn;

/* Starts a relay to peer (its first pin) for req; answers to through
 * backend_reply.  NULL when it cannot start (then it has answered). */
struct relay_conn *relay_conn_start(struct reply_to to, const struct secsock_msg_connect *req,
                                    const struct peer *peer, const char *who, const struct service_config *config);
/* A client reached lease's public address (client_fd, TCP): handshake as
 * the server, verify the client's key against peer's pins, then announce
 * the connection on the lease and connect it to the program's hidden port. */
struct relay_conn *relay_conn_inbound(int client_fd, const struct secsock_addr *client, struct lease *lease,
                                      const struct peer *peer, const struct service_config *config);
/* The lease went away: nothing more is announced on it. */
void relay_conn_forget_lease(struct lease *lease);
/* One of its descriptors is ready. */
void relay_conn_event(struct relay_conn *rc);
/* The asking session went away before the answer. */
void relay_conn_abandon(struct relay_conn *rc);
/* Ends relays past their set-up deadline, and (idle_timeout > 0) relays
 * that carried nothing for idle_timeout seconds; returns how many are open. */
unsigned int relay_conn_sweep(time_t now, unsigned int idle_timeout);
void relay_conn_close_all(void);

#endif
