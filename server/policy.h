/*
 * Which backend serves a secured socket, and how: the backends of the
 * ordered table (backend_table) are asked in turn; the first that serves
 * the request decides.  A pure function of the request, of what the
 * configuration says of the peer and of the backends this service has.
 */
#ifndef SECSOCKD_POLICY_H
#define SECSOCKD_POLICY_H

#include <stdint.h>
#include "secsock/proto.h"
#include "unix/peers.h"

struct backend_ops;

struct policy_decision {
    uint8_t verdict;        /* enum secsock_verdict */
    uint32_t wsa_error;     /* with SECSOCK_VERDICT_REFUSE */
    uint32_t info_flags;    /* SOCKET_INFO_* of the resulting connection */
    const struct backend_ops *backend;   /* the backend that decided, and serves what follows */
    const char *label;      /* the verdict's backend field: its name, or the backend asked for by name */
    const char *reason;     /* for the log */
};

/* backends: SECSOCK_BACKEND_* bits available here.  The DEFAULT protocol
 * is served by TLS for peers with a pin, else by IPsec for peers with a
 * pre-shared key, else by none; IPSEC and IPSEC2 only by IPsec. */
struct policy_decision policy_connect(const struct secsock_msg_connect *req, uint32_t backends,
                                      const struct peer *peer);
struct policy_decision policy_bind(const struct secsock_msg_bind *req, uint32_t backends);

/* What the backends available here (SECSOCK_BACKEND_* bits) need clients
 * to send: HELLO_OK.needs. */
uint32_t policy_needs(uint32_t backends);

/* Whether the decision's backend sets the connection up and answers
 * (verdict RELAY or PENDING, said as PENDING at once). */
int policy_backend_answers(const struct policy_decision *d);

/* Helpers for the backends' serves_* (policy.c). */
int policy_clear_allowed(uint32_t flags);
int policy_ipsec_by_name(uint32_t protocol);
/* The request asks for IPsec settings beyond the protocol (credentials,
 * policy keys, IpsecFlags), which only a backend that honours them may serve. */
int policy_demands(const struct secsock_msg_connect *req);

#endif
