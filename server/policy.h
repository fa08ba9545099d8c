/*
 * Which backend serves a secured socket, and how: a pure function of the
 * request and of the backends this service has.
 */
#ifndef SECSOCKD_POLICY_H
#define SECSOCKD_POLICY_H

#include <stdint.h>
#include "secsock/proto.h"

struct policy_decision {
    uint8_t verdict;        /* enum secsock_verdict */
    uint32_t wsa_error;     /* with SECSOCK_VERDICT_REFUSE */
    uint32_t info_flags;    /* SOCKET_INFO_* of the resulting connection */
    const char *backend;    /* name of the backend that decided */
    const char *reason;     /* for the log */
};

/* backends: SECSOCK_BACKEND_* bits available here; peer_pinned: the peer is
 * in the trust list (it speaks secsock's TLS, with a known key).  The
 * DEFAULT protocol is served by TLS (listed peers) or none; IPSEC and
 * IPSEC2 only by IPsec: SECSOCK_VERDICT_PENDING means the IPsec backend
 * sets the connection up. */
struct policy_decision policy_connect(const struct secsock_msg_connect *req, uint32_t backends, int peer_pinned);
struct policy_decision policy_bind(const struct secsock_msg_bind *req, uint32_t backends);

#endif
