/*
 * The tls backend: TLS 1.3 through a relay in this service
 * (backend_tls_relay.c); the peer proves a pinned key or a trusted CA's
 * certificate for its name (tls_trust.c).  Clients: a pinned peer; any
 * other TCP peer when clear text is not allowed; with ALLOW_INSECURE a
 * peer whose host says (discovery_service.c) that it speaks secsock TLS.
 * Servers: a lease of the none backend that listens has its public
 * address served here; an ALLOW_INSECURE server gets a TLS side port
 * (backend_tls_side.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "backend.h"
#include "backend_tls_relay.h"
#include "backend_tls_side.h"
#include "discovery_service.h"
#include "tls_trust.h"
#include "log.h"
#include "policy.h"
#include "sockaddr_posix.h"
#include "secsock/settings.h"

/* A lease that listens: its public address, accepted on here once the
 * peers file names a peer. */
struct public_listener {
    struct watch watch;               /* kind TLS_WATCH_PUBLIC */
    struct lease *lease;
    int open;                         /* listening and watched */
    struct public_listener *next;
};

static struct public_listener *listeners;

/* A pinned peer, whatever the flags ask.  Any other TCP peer when clear
 * text is not allowed: TLS is attempted, since nothing is sent in clear
 * either way (a peer that cannot prove a trusted CA's certificate for its
 * name is refused), unless it is configured for IPsec. */
static int tls_serves_connect(const struct secsock_msg_connect *req, const struct peer *peer, uint32_t backends,
                              struct policy_decision *d)
{
    if (req->protocol != SECSOCK_PROTOCOL_DEFAULT || policy_demands(req) || !(backends & SECSOCK_BACKEND_TLS) ||
        req->socktype != SECSOCK_SOCK_STREAM)
        return 0;
    if (peer->auth != PEER_AUTH_PINS && peer->psk && (backends & SECSOCK_BACKEND_IPSEC)) return 0;
    /* ALLOW_INSECURE: only when the peer's host can be asked. */
    if (peer->auth != PEER_AUTH_PINS && policy_clear_allowed(req->flags) && !discovery_service_port()) return 0;
    d->verdict = SECSOCK_VERDICT_RELAY;
    d->wsa_error = 0;
    d->info_flags = SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED;
    d->reason = peer->auth == PEER_AUTH_PINS ? "pinned peer: TLS 1.3 with its pinned key"
                : policy_clear_allowed(req->flags) ? "ALLOW_INSECURE: TLS 1.3 if the peer's host speaks secsock TLS, else clear"
                : "TLS 1.3: the peer must prove a trusted CA's certificate for its name";
    return 1;
}

static void *tls_connect(struct reply_to to, const struct secsock_msg_connect *req, const struct peer *peer,
                         const char *who, const struct service_config *config)
{
    return relay_conn_start(to, req, peer, who, config);
}

/* A session's state here is a relay (a client) or a side listener (an
 * ALLOW_INSECURE server); both begin with their watch. */
static void tls_closed(void *state)
{
    if (((struct watch *)state)->kind == TLS_WATCH_SIDE) tls_side_closed(state);
    else relay_conn_abandon(state);
}

static void tls_listen(void *state, const struct secsock_msg_listen *req, struct secsock_msg_listen_verdict *verdict,
                       const char *who, const struct service_config *config)
{
    (void)config;
    tls_side_listen(state, req, verdict, who);
}

/* Listens on the lease's public address: only clients that prove a
 * trusted CA's certificate (or a pinned key) reach the program. */
static void open_public(struct public_listener *pl, const struct service_config *config)
{
    struct lease *lease = pl->lease;

    (void)config;
    if (pl->open) return;
    if (listen(lease_public_fd(lease), lease_backlog(lease) ? (int)lease_backlog(lease) : 16))
    {
        log_warn("%s: the public address cannot listen: %s", lease_who(lease), strerror(errno));
        return;
    }
    if (service_watch_ctl(EPOLL_CTL_ADD, lease_public_fd(lease), EPOLLIN, &pl->watch)) return;
    pl->open = 1;
    log_info("%s: public address open to TLS clients with a trusted CA's certificate%s%s or a pinned key",
             lease_who(lease), *lease_target_name(lease) ? " for " : "", lease_target_name(lease));
}

static void tls_lease_listening(struct lease *lease, const struct service_config *config)
{
    struct public_listener *pl;

    if (!config->tls_ready || lease_socktype(lease) != SECSOCK_SOCK_STREAM) return;
    for (pl = listeners; pl && pl->lease != lease; pl = pl->next) {}
    if (!pl)
    {
        if (!(pl = calloc(1, sizeof(*pl)))) return;
        pl->watch.owner = &backend_tls;
        pl->watch.kind = TLS_WATCH_PUBLIC;
        pl->lease = lease;
        pl->next = listeners;
        listeners = pl;
    }
    open_public(pl, config);
}

static void tls_lease_closed(struct lease *lease)
{
    for (struct public_listener **p = &listeners, *pl; (pl = *p); p = &pl->next)
    {
        if (pl->lease != lease) continue;
        if (pl->open) service_watch_ctl(EPOLL_CTL_DEL, lease_public_fd(lease), 0, NULL);
        *p = pl->next;
        service_free_later(&pl->watch);
        break;
    }
    relay_conn_forget_owner(lease);
}

static void accept_public(struct public_listener *pl, const struct service_config *config)
{
    struct inbound_target target;

    target.owner = pl->lease;
    target.announce_to = lease_owner(pl->lease);
    target.deliver_to = *lease_hidden(pl->lease);
    target.guard = lease_guard(pl->lease);
    target.target_name = lease_target_name(pl->lease);
    relay_accept_clients(lease_public_fd(pl->lease), &target, lease_who(pl->lease), config);
}

static void tls_event(struct watch *watch, uint32_t events, const struct service_config *config)
{
    (void)events;
    switch (watch->kind)
    {
    case TLS_WATCH_PUBLIC: accept_public((struct public_listener *)watch, config); break;
    case TLS_WATCH_SIDE: tls_side_accept((struct side_listener *)watch, config); break;
    case TLS_WATCH_RELAY: relay_conn_event((struct relay_conn *)watch); break;
    default: discovery_service_event(watch); break;
    }
}

/* For discovery: where secsock TLS for port listens here (0: nowhere). */
static uint16_t tls_port_for(uint16_t port)
{
    for (struct public_listener *pl = listeners; pl; pl = pl->next)
    {
        struct sockaddr_storage ss;
        struct secsock_addr a;
        socklen_t len = sizeof(ss);
        if (!pl->open || getsockname(lease_public_fd(pl->lease), (struct sockaddr *)&ss, &len)) continue;
        sockaddr_to_wire(&ss, &a);
        if (a.port == port) return port;
    }
    return tls_side_port_for(port);
}

static void tls_open(void)
{
    discovery_service_open(tls_port_for);
}

/* Relays past their deadlines; the identity renewed when it is due. */
static void tls_sweep(time_t now, const struct service_config *config)
{
    relay_conn_sweep(now, config->relay_idle_timeout);
    if (config->tls_ready) tls_trust_sweep(now);
}

static void tls_shutdown(void)
{
    relay_conn_close_all();
    discovery_service_close();
}

const struct backend_ops backend_tls = {
    .name = "tls",
    .bit = SECSOCK_BACKEND_TLS,
    .serves_connect = tls_serves_connect,
    .serves_bind = tls_side_serves_bind,
    .connect = tls_connect,
    .bind = tls_side_bind,
    .listen = tls_listen,
    .open = tls_open,
    .lease_listening = tls_lease_listening,
    .lease_closed = tls_lease_closed,
    .closed = tls_closed,
    .event = tls_event,
    .sweep = tls_sweep,
    .shutdown = tls_shutdown,
};
