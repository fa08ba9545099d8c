/*
 * The none backend: every peer no other backend serves.  A client fails
 * closed, or goes on in clear text with ALLOW_INSECURE.  A secured server
 * gets a lease: the service holds its public address (lease.c) and guards
 * the program's hidden listener (hidden_guard.c), so that no clear client
 * reaches it; a backend that can verify clients (tls) may then serve that
 * address (lease_listening).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "hidden_guard.h"
#include "lease.h"
#include "log.h"
#include "policy.h"
#include "secsock/settings.h"
#include "secsock/wsaerr.h"

struct lease {
    int fd;                           /* the reserved public address */
    uint8_t socktype;
    int listening;                    /* LISTEN was answered */
    uint32_t backlog;
    struct secsock_addr hidden;       /* the program's own listener */
    struct hidden_guard guard;        /* makes the kernel refuse what we do not deliver to hidden */
    struct reply_to owner;            /* its session: announcements go there */
    char target_name[SECSOCK_MAX_STR + 1];   /* the name clients must prove; "" for any */
    char who[64];                     /* the session, for the log */
    struct lease *next;
};

static struct lease *leases;

static int none_serves_connect(const struct secsock_msg_connect *req, const struct peer *peer, uint32_t backends,
                               struct policy_decision *d)
{
    (void)peer;
    (void)backends;
    d->verdict = SECSOCK_VERDICT_REFUSE;
    d->wsa_error = SECSOCK_WSAECONNREFUSED;
    if (req->protocol >= SECSOCK_PROTOCOL_INVALID)
    {
        d->wsa_error = SECSOCK_WSAEINVAL;
        d->reason = "invalid security protocol";
        return 1;
    }
    if (policy_demands(req))
    {
        /* The IPsec backend authenticates with pre-shared keys and makes
         * its own filters: AuthIP credentials, policy keys and IpsecFlags
         * are refused rather than ignored, even with ALLOW_INSECURE. */
        d->wsa_error = SECSOCK_WSAEOPNOTSUPP;
        d->reason = "IPsec settings no backend here can honour (credentials, policy keys or IpsecFlags): refused";
        return 1;
    }
    if (policy_ipsec_by_name(req->protocol))
    {
        /* IPsec asked for by name and not served: never TLS instead. */
        d->label = "ipsec";
        if (policy_clear_allowed(req->flags))
        {
            d->verdict = SECSOCK_VERDICT_DIRECT;
            d->wsa_error = 0;
            d->reason = "IPsec is not available here (see secsockctl status); ALLOW_INSECURE permits clear text";
            return 1;
        }
        d->reason = "IPsec asked for and not available here (see secsockctl status): refused, nothing sent";
        return 1;
    }
    if (policy_clear_allowed(req->flags))
    {
        d->verdict = SECSOCK_VERDICT_DIRECT;
        d->wsa_error = 0;
        d->reason = "no backend can secure this peer; ALLOW_INSECURE permits clear text";
        return 1;
    }
    d->reason = (req->flags & SECSOCK_FLAG_GUARANTEE_ENCRYPTION)
        ? "GUARANTEE_ENCRYPTION and no backend can encrypt: refused, nothing sent"
        : "protection required and no backend can secure this peer: refused, nothing sent";
    return 1;
}

static int none_serves_bind(const struct secsock_msg_bind *req, uint32_t backends, struct policy_decision *d)
{
    (void)backends;
    d->wsa_error = 0;
    if (req->protocol >= SECSOCK_PROTOCOL_INVALID)
    {
        d->verdict = SECSOCK_VERDICT_REFUSE;
        d->wsa_error = SECSOCK_WSAEINVAL;
        d->reason = "invalid security protocol";
        return 1;
    }
    if (policy_clear_allowed(req->flags))
    {
        d->verdict = SECSOCK_VERDICT_DIRECT;
        d->reason = "ALLOW_INSECURE: the program binds its own socket";
        return 1;
    }
    d->verdict = SECSOCK_VERDICT_RESERVED;
    d->reason = "protection required: the service holds the address and lets no clear peer in";
    return 1;
}

static void *none_bind(struct reply_to to, const struct secsock_msg_bind *req, const char *who,
                       struct secsock_addr *bound, uint32_t *wsa_error)
{
    struct lease *lease = backend_bind_state(sizeof(*lease), wsa_error);

    if (!lease) return NULL;
    if ((lease->fd = lease_reserve(req->socktype, &req->local, bound, wsa_error)) < 0)
    {
        free(lease);
        return NULL;
    }
    lease->socktype = req->socktype;
    lease->guard.fd = -1;
    lease->owner = to;
    snprintf(lease->who, sizeof(lease->who), "%s", who);
    lease->next = leases;
    leases = lease;
    return lease;
}

/* Clear peers never get in: the public address stays bound and not
 * listening (the kernel refuses them), or a backend that verifies each
 * client listens there.  The program's hidden listener takes only what we
 * deliver, enforced by the kernel before the program listens; if that
 * cannot be done the server fails closed. */
static void none_listen(void *state, const struct secsock_msg_listen *req, struct secsock_msg_listen_verdict *verdict,
                        const char *who, const struct service_config *config)
{
    struct lease *lease = state;
    char why[200];

    /* Each connection is announced with its own flags and backend. */
    strcpy(verdict->backend, backend_none.name);
    if (lease->guard.fd < 0 &&
        hidden_guard_protect(&lease->guard, req->socket_inode, &req->listen_addr, why, sizeof(why)))
    {
        log_warn("%s: LISTEN refused: %s", who, why);
        verdict->wsa_error = SECSOCK_WSAENETDOWN;
        return;
    }
    log_info("%s: LISTEN (backlog %u, hidden port %u, guarded)", who, req->backlog, req->listen_addr.port);
    lease->listening = 1;
    lease->backlog = req->backlog;
    lease->hidden = req->listen_addr;
    memcpy(lease->target_name, req->target_name, sizeof(lease->target_name));
    for (unsigned int i = 0; i < backend_count; i++)
        if (backend_table[i]->lease_listening) backend_table[i]->lease_listening(lease, config);
}

static void none_closed(void *state)
{
    struct lease *lease = state;

    for (unsigned int i = 0; i < backend_count; i++)
        if (backend_table[i]->lease_closed) backend_table[i]->lease_closed(lease);
    hidden_guard_release(&lease->guard);
    lease_release(lease->fd);
    log_info("%s: lease closed: reserved address released", lease->who);
    for (struct lease **p = &leases; *p; p = &(*p)->next)
        if (*p == lease) { *p = lease->next; break; }
    free(lease);
}

static void none_sweep(time_t now, const struct service_config *config)
{
    (void)config;
    for (struct lease *lease = leases; lease; lease = lease->next)
        if (lease->guard.fd >= 0) hidden_guard_sweep(&lease->guard, now);
}

int lease_public_fd(const struct lease *lease) { return lease->fd; }
uint8_t lease_socktype(const struct lease *lease) { return lease->socktype; }
uint32_t lease_backlog(const struct lease *lease) { return lease->backlog; }
const struct secsock_addr *lease_hidden(const struct lease *lease) { return &lease->hidden; }
struct hidden_guard *lease_guard(struct lease *lease) { return &lease->guard; }
const char *lease_target_name(const struct lease *lease)
{
    return lease->target_name;
}

struct reply_to lease_owner(const struct lease *lease) { return lease->owner; }
const char *lease_who(const struct lease *lease) { return lease->who; }

const struct backend_ops backend_none = {
    .name = "none",
    .bit = SECSOCK_BACKEND_NONE,
    .serves_connect = none_serves_connect,
    .serves_bind = none_serves_bind,
    .bind = none_bind,
    .listen = none_listen,
    .closed = none_closed,
    .sweep = none_sweep,
};
