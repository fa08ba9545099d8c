/*
 * The one interface every backend of secsockd stands behind (none, tls,
 * ipsec; each in server/backend_<name>.c), and the one path by which a
 * backend answers the program that asked.
 *
 * A request goes: session.c decodes it, policy.c asks the backends of its
 * ordered table which one serves it (serves_connect / serves_bind), and
 * session.c calls that backend's connect, bind or listen; what the backend
 * keeps for the session hangs off it (session.backend_state) until the
 * backend lets go of it (an answer with REPLY_CLOSE) or the session closes
 * (closed).  The event loop (service.c) hands each backend the epoll
 * events of its own watches and sweeps each once a second.
 */
#ifndef SECSOCKD_BACKEND_H
#define SECSOCKD_BACKEND_H

#include <stdint.h>
#include <time.h>
#include "secsock/proto.h"
#include "service.h"
#include "unix/peers.h"

struct policy_decision;

/* Where a backend's answer goes: a session, by its slot and that slot's
 * generation, so that an answer to a session that has gone (and whose slot
 * may serve another one now) is dropped, never misdelivered. */
struct reply_to {
    uint32_t slot;
    uint32_t generation;
};

enum reply_next {
    REPLY_CLOSE,   /* the final answer: the session closes once it is written; the backend let go of it */
    REPLY_HOLD,    /* the final answer: the session stays open, holding what the backend keeps for it */
    REPLY_KEEP,    /* one more message on a lease (ANNOUNCE); nothing changes */
};

/* Queues msg on the session (written by its own EPOLLOUT).  Dropped when
 * the session has gone. */
void backend_reply(struct reply_to to, const struct secsock_msg *msg, enum reply_next next);

/* A backend's zeroed state for a bind (its struct of size bytes), or NULL
 * with *wsa_error WSAENOBUFS. */
void *backend_bind_state(size_t size, uint32_t *wsa_error);

/* A reserved public address (none backend) whose program listens: the
 * hidden address its own socket listens on, guarded by the kernel. */
struct lease;

struct backend_ops {
    const char *name;                 /* "none", "tls", "ipsec": logs and verdicts */
    uint32_t bit;                     /* SECSOCK_BACKEND_* */
    uint32_t needs;                   /* SECSOCK_NEED_*: what its requests need the client to send */
    /* Policy (pure): 1 when this backend decides the request (d filled). */
    int (*serves_connect)(const struct secsock_msg_connect *req, const struct peer *peer, uint32_t backends,
                          struct policy_decision *d);
    int (*serves_bind)(const struct secsock_msg_bind *req, uint32_t backends, struct policy_decision *d);
    /* Sets up a connect whose verdict it decided RELAY or PENDING; answers
     * through backend_reply (perhaps before it returns).  Returns what it
     * keeps for the session, or NULL. */
    void *(*connect)(struct reply_to to, const struct secsock_msg_connect *req, const struct peer *peer,
                     const char *who, const struct service_config *config);
    /* The session becomes a lease (verdict RESERVED or OWN_ADDRESS): bound is what
     * the program is told.  Returns what it keeps, or NULL with wsa_error. */
    void *(*bind)(struct reply_to to, const struct secsock_msg_bind *req, const char *who, struct secsock_addr *bound,
                  uint32_t *wsa_error);
    /* LISTEN on that lease: fills the LISTEN_VERDICT (wsa_error 0: listening). */
    void (*listen)(void *state, const struct secsock_msg_listen *req, struct secsock_msg_listen_verdict *verdict,
                   const char *who, const struct service_config *config);
    /* A lease of the none backend listens / goes: a backend may serve the
     * clients of its public address meanwhile (tls). */
    void (*lease_listening)(struct lease *lease, const struct service_config *config);
    void (*lease_closed)(struct lease *lease);
    /* The session closed while the backend held state for it. */
    void (*closed)(void *state);
    /* The event loop runs: add the backend's own watches. */
    void (*open)(void);
    /* One of its watches is ready. */
    void (*event)(struct watch *watch, uint32_t events, const struct service_config *config);
    void (*sweep)(time_t now, const struct service_config *config);
    void (*shutdown)(void);
};

extern const struct backend_ops backend_none, backend_tls, backend_ipsec;

/* The backends in the order the policy asks them (policy.c). */
extern const struct backend_ops *const backend_table[];
extern const unsigned int backend_count;

/* The lease's parts another backend may use (backend_none.c). */
int lease_public_fd(const struct lease *lease);
uint8_t lease_socktype(const struct lease *lease);
uint32_t lease_backlog(const struct lease *lease);
const struct secsock_addr *lease_hidden(const struct lease *lease);
struct hidden_guard *lease_guard(struct lease *lease);
struct reply_to lease_owner(const struct lease *lease);
/* The name the program's listening socket requires of clients ("": any). */
const char *lease_target_name(const struct lease *lease);
const char *lease_who(const struct lease *lease);

#endif
