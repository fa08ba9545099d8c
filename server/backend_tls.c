/*
 * The tls backend: TLS 1.3 with the peer's pinned key, through a relay in
 * this service (backend_tls_relay.c).  Clients: a peer with a pin in the
 * peers file.  Servers: once a lease of the none backend listens and the
 * peers file names at least one peer, the public address listens here and
 * only verified clients reach the program.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "backend.h"
#include "backend_tls_relay.h"
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
    if (peer->auth != PEER_AUTH_PINS &&
        (policy_clear_allowed(req->flags) || (peer->psk && (backends & SECSOCK_BACKEND_IPSEC))))
        return 0;
    d->verdict = SECSOCK_VERDICT_RELAY;
    d->wsa_error = 0;
    d->info_flags = SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED;
    d->reason = peer->auth == PEER_AUTH_PINS ? "pinned peer: TLS 1.3 with its pinned key"
                                             : "TLS 1.3: the peer must prove a trusted CA's certificate for its name";
    return 1;
}

static void *tls_connect(struct reply_to to, const struct secsock_msg_connect *req, const struct peer *peer,
                         const char *who, const struct service_config *config)
{
    return relay_conn_start(to, req, peer, who, config);
}

static void tls_closed(void *state)
{
    relay_conn_abandon(state);
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
    relay_conn_forget_lease(lease);
}

static void accept_public(struct public_listener *pl, const struct service_config *config)
{
    struct sockaddr_storage ss;
    struct secsock_addr client;
    struct peer peer;
    char why[300];
    int fd;

    for (;;)
    {
        socklen_t len = sizeof(ss);
        if ((fd = accept4(lease_public_fd(pl->lease), (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
            return;
        sockaddr_to_wire(&ss, &client);
        /* A client pinned for its address proves that key; any other a
         * trusted CA's certificate.  Nothing reaches the program before. */
        if (peers_refresh(config->peers, why, sizeof(why)))
            log_warn("%s: the peers file is ignored: %s", lease_who(pl->lease), why);
        peers_lookup_client(config->peers, &client, &peer);
        relay_conn_inbound(fd, &client, pl->lease, &peer, config);
    }
}

static void tls_event(struct watch *watch, uint32_t events, const struct service_config *config)
{
    (void)events;
    if (watch->kind == TLS_WATCH_PUBLIC) accept_public((struct public_listener *)watch, config);
    else relay_conn_event((struct relay_conn *)watch);
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
}

const struct backend_ops backend_tls = {
    .name = "tls",
    .bit = SECSOCK_BACKEND_TLS,
    .serves_connect = tls_serves_connect,
    .connect = tls_connect,
    .lease_listening = tls_lease_listening,
    .lease_closed = tls_lease_closed,
    .closed = tls_closed,
    .event = tls_event,
    .sweep = tls_sweep,
    .shutdown = tls_shutdown,
};
