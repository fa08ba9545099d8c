/* ALLOW_INSECURE servers: secsock TLS on a side port, clear on their own. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "backend_tls_relay.h"
#include "backend_tls_side.h"
#include "discovery_service.h"
#include "log.h"
#include "policy.h"
#include "sockaddr_posix.h"
#include "secsock/settings.h"

struct side_listener {
    struct watch watch;               /* kind TLS_WATCH_SIDE; first: the session's state is told by it */
    struct reply_to owner;            /* the program's lease */
    int fd;                           /* the side port; -1 before LISTEN */
    uint16_t public_port, side_port;
    struct secsock_addr deliver_to;   /* the program's own listener, as we reach it */
    char target_name[SECSOCK_MAX_STR + 1];
    char who[64];
    struct side_listener *next;
};

static struct side_listener *sides;

int tls_side_serves_bind(const struct secsock_msg_bind *req, uint32_t backends, struct policy_decision *d)
{
    if (req->protocol != SECSOCK_PROTOCOL_DEFAULT || !policy_clear_allowed(req->flags) ||
        req->socktype != SECSOCK_SOCK_STREAM || !(backends & SECSOCK_BACKEND_TLS) || !discovery_service_answering())
        return 0;
    d->verdict = SECSOCK_VERDICT_OWN_ADDRESS;
    d->wsa_error = 0;
    d->reason = "ALLOW_INSECURE: the program binds its own address (clear clients as ever); at LISTEN secsock TLS on "
                "a side port that discovery names";
    return 1;
}

void *tls_side_bind(struct reply_to to, const struct secsock_msg_bind *req, const char *who,
                    struct secsock_addr *bound, uint32_t *wsa_error)
{
    struct side_listener *side = backend_bind_state(sizeof(*side), wsa_error);

    (void)req;
    (void)bound;
    if (!side) return NULL;
    side->watch.owner = &backend_tls;
    side->watch.kind = TLS_WATCH_SIDE;
    side->owner = to;
    side->fd = -1;
    snprintf(side->who, sizeof(side->who), "%s", who);
    side->next = sides;
    sides = side;
    return side;
}

/* The address the relay reaches the program at: its own, or loopback of
 * its family when it listens on every address. */
static struct secsock_addr reachable(const struct secsock_addr *listen_addr)
{
    static const uint8_t any[16];
    struct secsock_addr a = *listen_addr;

    if (!memcmp(a.addr, any, a.family == SECSOCK_AF_INET6 ? 16 : 4))
    {
        memset(a.addr, 0, sizeof(a.addr));
        if (a.family == SECSOCK_AF_INET6) a.addr[15] = 1;
        else { a.addr[0] = 127; a.addr[3] = 1; }
    }
    return a;
}

/* A TCP listener on the program's address family and address, any port. */
static int open_side(const struct secsock_addr *at, uint16_t *port)
{
    struct secsock_addr a = *at;
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    a.port = 0;
    len = sockaddr_from_wire(&a, &ss);
    if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) return -1;
    if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64) || getsockname(fd, (struct sockaddr *)&ss, &len))
    {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    sockaddr_to_wire(&ss, &a);
    *port = a.port;
    return fd;
}

void tls_side_listen(struct side_listener *side, const struct secsock_msg_listen *req,
                     struct secsock_msg_listen_verdict *verdict, const char *who)
{
    /* Clear clients reach the program directly, as ALLOW_INSECURE allows;
     * each relayed one is announced with its own flags. */
    strcpy(verdict->backend, backend_tls.name);
    verdict->announced = 1;
    if (side->fd >= 0) return;
    if ((side->fd = open_side(&req->listen_addr, &side->side_port)) < 0 ||
        service_watch_ctl(EPOLL_CTL_ADD, side->fd, EPOLLIN, &side->watch))
    {
        /* Clear text is allowed: the server goes on without the upgrade. */
        log_warn("%s: no secsock TLS side port for port %u (%s): clear clients only", who, req->listen_addr.port,
                 strerror(errno));
        if (side->fd >= 0) close(side->fd);
        side->fd = -1;
        verdict->announced = 0;
        return;
    }
    side->public_port = req->listen_addr.port;
    side->deliver_to = reachable(&req->listen_addr);
    memcpy(side->target_name, req->target_name, sizeof(side->target_name));
    log_info("%s: LISTEN on its own port %u (clear clients); secsock TLS for it on side port %u", who,
             side->public_port, side->side_port);
}

void tls_side_closed(struct side_listener *side)
{
    struct side_listener **p;

    for (p = &sides; *p && *p != side; p = &(*p)->next) {}
    if (*p) *p = side->next;
    if (side->fd >= 0)
    {
        service_watch_ctl(EPOLL_CTL_DEL, side->fd, 0, NULL);
        close(side->fd);
    }
    relay_conn_forget_owner(side);
    service_free_later(&side->watch);
}

void tls_side_accept(struct side_listener *side, const struct service_config *config)
{
    struct inbound_target target;

    target.owner = side;
    target.announce_to = side->owner;
    target.deliver_to = side->deliver_to;
    target.guard = NULL;
    target.target_name = side->target_name;
    relay_accept_clients(side->fd, &target, side->who, config);
}

uint16_t tls_side_port_for(uint16_t public_port)
{
    for (struct side_listener *side = sides; side; side = side->next)
        if (side->fd >= 0 && side->public_port == public_port) return side->side_port;
    return 0;
}
