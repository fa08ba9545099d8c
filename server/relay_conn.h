/*
 * The TLS backend in the service: one secured connection from a program to
 * a trusted peer.  It connects to the peer, runs the TLS handshake, and only
 * then answers the program's CONNECT with a loopback relay address; the
 * program's socket connects there and the relay carries its bytes.
 */
#ifndef SECSOCKD_RELAY_CONN_H
#define SECSOCKD_RELAY_CONN_H

#include <stdint.h>
#include <time.h>
#include "secsock/proto.h"
#include "service.h"
#include "hidden_guard.h"
#include "session.h"

#define RELAY_SETUP_TIMEOUT SECSOCK_SETUP_TIMEOUT_S   /* seconds to reach, verify and hand over */

struct relay_conn;

/* What the service gives a relay: its epoll set, and a way to answer the
 * session that asked (NULL once answered). */
struct relay_host {
    int epfd;
    void (*reply)(void *session_slot, const struct secsock_msg *reply);
    /* Sends on a lease without ending it. */
    void (*announce)(void *lease_slot, const struct secsock_msg *msg);
};

/* Starts a relay for the session's request (SESSION_WAITING); NULL when it
 * cannot start (the session was answered with the error). */
struct relay_conn *relay_conn_start(const struct relay_host *host, void *session_slot, struct session *s,
                                    const struct service_config *config);
/* A client reached a secured server's public address (client_fd, TCP):
 * handshake as the server, verify the client's key against pins, then
 * announce the connection on the lease and connect it to the program's
 * hidden port. */
struct relay_conn *relay_conn_inbound(const struct relay_host *host, int client_fd, const struct secsock_addr *client,
                                      const struct secsock_addr *hidden, struct hidden_guard *guard,
                                      void *lease_slot, const uint8_t (*pins)[32], size_t pin_count,
                                      const struct service_config *config);
/* The lease went away: nothing more is announced on it. */
void relay_conn_forget_lease(const struct relay_host *host, void *lease_slot);
/* One of its descriptors is ready. */
void relay_conn_event(const struct relay_host *host, struct relay_conn *rc);
/* The asking session went away before the answer. */
void relay_conn_abandon(const struct relay_host *host, struct relay_conn *rc);
/* Ends relays past their set-up deadline, and (idle_timeout > 0) relays
 * that carried nothing for idle_timeout seconds; returns how many are open. */
unsigned int relay_conn_sweep(const struct relay_host *host, time_t now, unsigned int idle_timeout);
void relay_conn_close_all(const struct relay_host *host);

#endif
