/*
 * One control connection: authenticate (HELLO, CHALLENGE, PROOF:
 * secsock/auth.h), then one request, served by the backend the policy
 * chose (backend.h); a BIND that reserves an address turns the connection
 * into a lease that lasts until the client closes it.  No backend is
 * named here.
 */
#ifndef SECSOCKD_SESSION_H
#define SECSOCKD_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "secsock/proto.h"
#include "backend.h"
#include "service.h"

/* How long a client may reuse a datagram socket's verdict for one peer. */
#define SESSION_DGRAM_VERDICT_SECONDS 10

enum session_state {
    SESSION_HELLO,     /* waiting for HELLO */
    SESSION_PROOF,     /* CHALLENGE sent, waiting for the client's PROOF */
    SESSION_REQUEST,   /* authenticated, waiting for the request */
    SESSION_LEASE,     /* holding a reservation; LISTEN or EOF next */
    SESSION_WAITING,   /* a TLS relay or an IPsec SA is being set up; it will reply */
    SESSION_PROTECTING, /* the connection is protected (IPsec) until this session closes */
    SESSION_CLOSING,   /* flush the reply, then close */
};

struct service_stats {
    uint64_t requests;
};

struct session {
    struct watch watch;               /* owner NULL: the event loop serves it */
    int fd;
    enum session_state state;
    time_t deadline;                  /* 0: none */
    uint8_t in[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    size_t in_len;
    uint8_t out[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    size_t out_len;
    char peer[64];                    /* for the log */
    /* SESSION_PROOF: this connection's nonces; the PROOF must cover both. */
    uint8_t client_nonce[SECSOCK_NONCE_LEN];
    uint8_t server_nonce[SECSOCK_NONCE_LEN];
    uint32_t client_pid;
    struct reply_to self;             /* how a backend's answer finds this session */
    /* The backend serving the request, and what it keeps for this session
     * (a set-up, a lease, a protection) until it lets go or the session closes. */
    const struct backend_ops *backend;
    void *backend_state;
};

void session_init(struct session *s, int fd, const char *peer, struct reply_to self, time_t now);

/* Consumes the frames in s->in; queues replies in s->out.  Returns 0, or -1
 * when the connection must close at once. */
int session_process(struct session *s, const struct service_config *config, struct service_stats *stats,
                    time_t now);

/* Gives what a backend keeps for the session back to it (not the fd). */
void session_release(struct session *s);

#endif
