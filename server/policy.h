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

/* What the configuration says of a peer. */
enum policy_peer {
    POLICY_PEER_TLS   = 1,   /* in the trust list: speaks secsock's TLS, with a known key */
    POLICY_PEER_IPSEC = 2,   /* has a pre-shared key (ipsec-psk): IPsec is configured for it */
};

/* backends: SECSOCK_BACKEND_* bits available here; peer: POLICY_PEER_*
 * bits.  The DEFAULT protocol is served by TLS for trusted peers, else by
 * IPsec for peers configured for it, else by none; IPSEC and IPSEC2 only
 * by IPsec.  SECSOCK_VERDICT_PENDING: the IPsec backend sets it up. */
struct policy_decision policy_connect(const struct secsock_msg_connect *req, uint32_t backends, unsigned int peer);
struct policy_decision policy_bind(const struct secsock_msg_bind *req, uint32_t backends);

#endif
