/*
 * One control connection: authenticate (HELLO, CHALLENGE, PROOF:
 * secsock/auth.h), then one request; a BIND
 * that reserves an address turns the connection into a lease that lasts
 * until the client closes it.
 */
#ifndef SECSOCKD_SESSION_H
#define SECSOCKD_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "secsock/proto.h"
#include "service.h"
#include "hidden_guard.h"

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
    uint32_t leases;
};

struct session {
    int fd;
    enum session_state state;
    time_t deadline;                  /* 0: none */
    uint8_t in[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    size_t in_len;
    uint8_t out[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    size_t out_len;
    int lease_fd;                     /* the reserved socket, or -1 */
    uint8_t lease_socktype;
    char peer[64];                    /* for the log */
    /* SESSION_PROOF: this connection's nonces; the PROOF must cover both. */
    uint8_t client_nonce[SECSOCK_NONCE_LEN];
    uint8_t server_nonce[SECSOCK_NONCE_LEN];
    uint32_t client_pid;
    /* SESSION_WAITING: what the relay must reach, and the key it must show. */
    struct secsock_addr relay_peer;
    char relay_name[SECSOCK_MAX_STR + 1];
    uint8_t relay_pin[32];
    void *relay;                      /* the relay set up for this request */
    int wants_ipsec;                  /* SESSION_WAITING: the set-up is IPsec's */
    struct secsock_msg_connect ipsec_request;
    void *ipsec;                      /* the IPsec set-up or protection of this request */
    int ipsec_listener;               /* SESSION_LEASE of an IPsec server: LISTEN protects its port */
    struct secsock_msg_bind bind_request;
    /* SESSION_LEASE: LISTEN asked for; the program's hidden address. */
    int listen_pending;
    int listening;                    /* LISTEN was asked for (the public address may still be closed) */
    uint32_t backlog;
    struct secsock_addr hidden;
    struct hidden_guard guard;        /* makes the kernel refuse what we do not deliver to hidden */
    void *public_listener;            /* the TLS backend accepts on lease_fd */
};

void session_init(struct session *s, int fd, const char *peer, time_t now);

/* Consumes the frames in s->in; queues replies in s->out.  Returns 0, or -1
 * when the connection must close at once. */
int session_process(struct session *s, const struct service_config *config, struct service_stats *stats,
                    time_t now);

/* Releases what the session holds (not its fd). */
void session_release(struct session *s, struct service_stats *stats);

#endif
