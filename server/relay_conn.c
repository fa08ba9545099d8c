/* TLS relays from programs to trusted peers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "log.h"
#include "peer_uid.h"
#include "relay_conn.h"
#include "secured_list.h"
#include "sockaddr_posix.h"
#include "secsock/settings.h"
#include "unix/tls_identity.h"
#include "unix/tls_relay.h"
#include "secsock/wsaerr.h"

/* Outbound: CONNECTING -> HANDSHAKE -> AWAIT_APP -> RELAYING.
 * Inbound:  HANDSHAKE -> CONNECT_APP -> RELAYING. */
enum phase { CONNECTING, HANDSHAKE, AWAIT_APP, CONNECT_APP, RELAYING };

#define MAX_INBOUND_PINS 16

struct relay_conn {
    int watch_kind;                 /* SERVICE_WATCH_RELAY: see service.c */
    enum phase phase;
    int peer_fd;                    /* until the TLS relay owns it */
    int listen_fd;                  /* where the program's socket connects */
    struct tls_relay *relay;
    void *session_slot;             /* the session awaiting the answer */
    time_t deadline;
    time_t last_active;             /* relaying: when bytes last moved */
    uint64_t seen_bytes;            /* both ways, at last_active */
    uint8_t family;                 /* outbound: the peer's, and so the program socket's */
    uint8_t pin[TLS_RELAY_PIN_LEN];
    char name[160];                 /* the peer, for the log */
    uint32_t armed[2];              /* epoll events set for the TLS side and the program side */
    int fds_armed[2];
    int inbound;                    /* a client reached a secured server */
    int app_fd;                     /* inbound: our connection to the hidden port */
    void *lease_slot;               /* inbound: where to announce it */
    struct secsock_addr hidden, client;
    struct hidden_guard *guard;     /* inbound: the lease's, which must admit our connection */
    uint16_t admitted_port;         /* inbound: our source port the guard admits, or 0 */
    uint8_t pins[MAX_INBOUND_PINS][TLS_RELAY_PIN_LEN];
    struct relay_conn *next;
};

static struct relay_conn *relays;

static uint32_t to_epoll(short events)
{
    return (events & POLLIN ? EPOLLIN : 0) | (events & POLLOUT ? EPOLLOUT : 0);
}

/* Sets epoll interest for fd (slot 0: TLS side, 1: program side). */
static void arm(const struct relay_host *host, struct relay_conn *rc, int slot, int fd, uint32_t events)
{
    struct epoll_event ev;

    if (rc->fds_armed[slot] != fd)
    {
        if (rc->fds_armed[slot] >= 0) epoll_ctl(host->epfd, EPOLL_CTL_DEL, rc->fds_armed[slot], NULL);
        rc->fds_armed[slot] = -1;
        if (fd < 0) return;
        ev.events = events;
        ev.data.ptr = rc;
        if (!epoll_ctl(host->epfd, EPOLL_CTL_ADD, fd, &ev))
        {
            rc->fds_armed[slot] = fd;
            rc->armed[slot] = events;
        }
        return;
    }
    if (fd < 0 || rc->armed[slot] == events) return;
    ev.events = events;
    ev.data.ptr = rc;
    epoll_ctl(host->epfd, EPOLL_CTL_MOD, fd, &ev);
    rc->armed[slot] = events;
}

static void destroy(const struct relay_host *host, struct relay_conn *rc)
{
    struct relay_conn **p;

    arm(host, rc, 0, -1, 0);
    arm(host, rc, 1, -1, 0);
    if (rc->relay)
    {
        uint64_t up, down;
        tls_relay_counts(rc->relay, &up, &down);
        log_info("%s: TLS relay closed (%llu bytes to the peer, %llu from it)%s%s", rc->name,
                 (unsigned long long)up, (unsigned long long)down, *tls_relay_error(rc->relay) ? ": " : "",
                 tls_relay_error(rc->relay));
        tls_relay_free(rc->relay);
    }
    else if (rc->peer_fd >= 0) close(rc->peer_fd);
    if (rc->listen_fd >= 0) close(rc->listen_fd);
    if (rc->app_fd >= 0 && rc->phase != RELAYING) close(rc->app_fd);
    secured_list_remove(rc);
    /* Before our socket closes: its port must not admit anyone after it. */
    if (rc->guard && rc->admitted_port) hidden_guard_forget(rc->guard, rc->admitted_port);
    for (p = &relays; *p; p = &(*p)->next)
        if (*p == rc) { *p = rc->next; break; }
    service_free_later(rc);
}

static void answer(const struct relay_host *host, struct relay_conn *rc, uint8_t verdict, uint32_t wsa_error,
                   const struct secsock_addr *relay_addr)
{
    struct secsock_msg reply;

    if (!rc->session_slot) return;
    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_CONNECT_VERDICT;
    reply.u.connect_verdict.verdict = verdict;
    reply.u.connect_verdict.wsa_error = wsa_error;
    if (verdict == SECSOCK_VERDICT_RELAY)
    {
        reply.u.connect_verdict.info_flags = SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED;
        reply.u.connect_verdict.relay = *relay_addr;
    }
    strcpy(reply.u.connect_verdict.backend, "tls");
    host->reply(rc->session_slot, &reply);
    rc->session_slot = NULL;
}

/* Fails the set-up: the program's connect fails, nothing was relayed. */
static void refuse(const struct relay_host *host, struct relay_conn *rc, uint32_t wsa_error, const char *why)
{
    log_warn("%s: secured connection refused: %s", rc->name, why);
    answer(host, rc, SECSOCK_VERDICT_REFUSE, wsa_error, NULL);
    destroy(host, rc);
}

static uint32_t connect_error(int err)
{
    switch (err)
    {
    case ETIMEDOUT: return SECSOCK_WSAETIMEDOUT;
    case EHOSTUNREACH: return SECSOCK_WSAEHOSTUNREACH;
    case ENETUNREACH: return SECSOCK_WSAENETUNREACH;
    default: return SECSOCK_WSAECONNREFUSED;
    }
}

/* The peer socket: a peer that vanishes without a FIN or reset (host down,
 * cable cut) would hold a relay forever: TCP keepalive finds it out in
 * about two minutes.  And no Nagle (below). */
static void tune_peer_socket(int fd)
{
    int on = 1, idle = 60, interval = 10, count = 6;

    /* GnuTLS writes whole records, often two small ones in a row at the
     * end of a handshake: with Nagle the second waits for a delayed ACK
     * (about 40 ms on loopback) before the first application byte can go. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

struct relay_conn *relay_conn_start(const struct relay_host *host, void *session_slot, struct session *s,
                                    const struct service_config *config)
{
    struct relay_conn *rc = calloc(1, sizeof(*rc));
    struct tls_relay_config tls = { 0, NULL, NULL, 1, NULL };
    struct sockaddr_storage ss;
    socklen_t len = sockaddr_from_wire(&s->relay_peer, &ss);
    char why[256], addr[64] = "?";

    if (!rc) return NULL;
    rc->watch_kind = SERVICE_WATCH_RELAY;
    rc->peer_fd = rc->listen_fd = rc->app_fd = -1;
    rc->fds_armed[0] = rc->fds_armed[1] = -1;
    rc->session_slot = session_slot;
    rc->family = s->relay_peer.family;
    rc->deadline = time(NULL) + RELAY_SETUP_TIMEOUT;
    memcpy(rc->pin, s->relay_pin, sizeof(rc->pin));
    inet_ntop(ss.ss_family, ss.ss_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                                     : (void *)&((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
    snprintf(rc->name, sizeof(rc->name), "%s: tls %s port %u", s->peer, addr, s->relay_peer.port);
    rc->next = relays;
    relays = rc;

    rc->peer_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (rc->peer_fd < 0 || (connect(rc->peer_fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS))
    {
        refuse(host, rc, connect_error(errno), strerror(errno));
        return NULL;
    }
    tune_peer_socket(rc->peer_fd);
    tls.credentials = ((const struct tls_identity *)config->identity)->credentials;
    tls.pins = (const uint8_t (*)[TLS_RELAY_PIN_LEN])rc->pin;
    tls.server_name = s->relay_name[0] ? s->relay_name : NULL;
    if (!(rc->relay = tls_relay_new(-1, rc->peer_fd, &tls, why, sizeof(why))))
    {
        refuse(host, rc, SECSOCK_WSAENOBUFS, why);
        return NULL;
    }
    rc->phase = CONNECTING;
    log_info("%s: connecting", rc->name);
    arm(host, rc, 0, rc->peer_fd, EPOLLOUT);
    return rc;
}

struct relay_conn *relay_conn_inbound(const struct relay_host *host, int client_fd, const struct secsock_addr *client,
                                      const struct secsock_addr *hidden, struct hidden_guard *guard,
                                      void *lease_slot, const uint8_t (*pins)[32], size_t pin_count,
                                      const struct service_config *config)
{
    struct relay_conn *rc = calloc(1, sizeof(*rc));
    struct tls_relay_config tls = { 1, NULL, NULL, 0, NULL };
    struct sockaddr_storage ss;
    char why[256], addr[64] = "?";

    if (!rc)
    {
        close(client_fd);
        return NULL;
    }
    rc->watch_kind = SERVICE_WATCH_RELAY;
    rc->listen_fd = rc->app_fd = -1;
    rc->peer_fd = client_fd;
    rc->fds_armed[0] = rc->fds_armed[1] = -1;
    rc->inbound = 1;
    tune_peer_socket(client_fd);
    rc->lease_slot = lease_slot;
    rc->hidden = *hidden;
    rc->guard = guard;
    rc->client = *client;
    rc->deadline = time(NULL) + RELAY_SETUP_TIMEOUT;
    if (pin_count > MAX_INBOUND_PINS) pin_count = MAX_INBOUND_PINS;
    memcpy(rc->pins, pins, pin_count * TLS_RELAY_PIN_LEN);
    sockaddr_from_wire(client, &ss);
    inet_ntop(ss.ss_family, ss.ss_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                                     : (void *)&((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
    snprintf(rc->name, sizeof(rc->name), "inbound tls from %s port %u", addr, client->port);
    rc->next = relays;
    relays = rc;
    tls.credentials = ((const struct tls_identity *)config->identity)->credentials;
    tls.pins = (const uint8_t (*)[TLS_RELAY_PIN_LEN])rc->pins;
    tls.pin_count = pin_count;
    if (!(rc->relay = tls_relay_new(-1, client_fd, &tls, why, sizeof(why))))
    {
        log_warn("%s: %s", rc->name, why);
        destroy(host, rc);
        return NULL;
    }
    rc->phase = HANDSHAKE;
    arm(host, rc, 0, client_fd, EPOLLIN);
    return rc;
}

void relay_conn_forget_lease(const struct relay_host *host, void *lease_slot)
{
    for (struct relay_conn *rc = relays, *next; rc; rc = next)
    {
        next = rc->next;
        if (rc->lease_slot != lease_slot) continue;
        rc->lease_slot = NULL;
        rc->guard = NULL;
        /* Not yet announced: the program can no longer take it. */
        if (rc->phase == HANDSHAKE) destroy(host, rc);
    }
}

/* Inbound, verified: announce, then connect to the program's hidden port. */
static int connect_app(const struct relay_host *host, struct relay_conn *rc)
{
    struct sockaddr_storage ss, local;
    socklen_t len = sockaddr_from_wire(&rc->hidden, &ss), llen = sizeof(local);
    struct secsock_addr bound;
    struct secsock_msg msg;

    if (!rc->lease_slot) return -1;
    rc->app_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    /* Bind first, to the hidden address itself (the source the program will
     * see), so that the announcement names the connection's exact end
     * before the connection exists. */
    bound = rc->hidden;
    bound.port = 0;
    if (rc->app_fd < 0 || bind(rc->app_fd, (struct sockaddr *)&local, sockaddr_from_wire(&bound, &local)) ||
        getsockname(rc->app_fd, (struct sockaddr *)&local, &llen))
        return -1;
    sockaddr_to_wire(&local, &bound);
    /* The guarded listener drops every SYN it was not told of. */
    if (!rc->guard || hidden_guard_admit(rc->guard, &bound)) return -1;
    rc->admitted_port = bound.port;
    memset(&msg, 0, sizeof(msg));
    msg.type = SECSOCK_MSG_ANNOUNCE;
    msg.u.announce.source = bound;
    msg.u.announce.info_flags = SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED;
    msg.u.announce.peer = rc->client;
    strcpy(msg.u.announce.backend, "tls");
    host->announce(rc->lease_slot, &msg);
    setsockopt(rc->app_fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
    if (connect(rc->app_fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) return -1;
    rc->phase = CONNECT_APP;
    rc->deadline = time(NULL) + RELAY_SETUP_TIMEOUT;
    log_info("%s: client verified (TLS 1.3, pinned key); to the program from port %u", rc->name, bound.port);
    return 0;
}

/* The program's socket connects to the relay listener: only our own uid. */
static void take_program(const struct relay_host *host, struct relay_conn *rc)
{
    char who[64] = "?";
    uint32_t uid;
    int fd;

    while ((fd = accept4(rc->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
    {
        if (peer_uid_of_connection(fd, &uid, who, sizeof(who)) || uid != geteuid())
        {
            log_warn("%s: relay port: rejected %s (not this user's)", rc->name, who);
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
        if (tls_relay_attach_plain(rc->relay, fd))
        {
            close(fd);
            continue;
        }
        arm(host, rc, 1, -1, 0);
        close(rc->listen_fd);
        rc->listen_fd = -1;
        rc->phase = RELAYING;
        rc->deadline = 0;
        rc->last_active = time(NULL);
        secured_list_tls_up(rc, rc->relay, fd, 0);
        return;
    }
}

/* The relay's loopback port, of the program socket's family (the peer's):
 * an IPv6 socket cannot connect to an IPv4 address. */
static int open_listener(uint8_t family, struct secsock_addr *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(family == SECSOCK_AF_INET6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) return -1;
    memset(addr, 0, sizeof(*addr));
    if (family == SECSOCK_AF_INET6)
    {
        addr->family = SECSOCK_AF_INET6;
        addr->addr[15] = 1;
    }
    else
    {
        addr->family = SECSOCK_AF_INET;
        addr->addr[0] = 127;
        addr->addr[3] = 1;
    }
    len = sockaddr_from_wire(addr, &ss);
    if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1) || getsockname(fd, (struct sockaddr *)&ss, &len))
    {
        close(fd);
        return -1;
    }
    sockaddr_to_wire(&ss, addr);
    return fd;
}

void relay_conn_event(const struct relay_host *host, struct relay_conn *rc)
{
    struct secsock_addr relay_addr;
    enum tls_relay_state st;
    short plain_events, tls_events;
    int err = 0;
    socklen_t len = sizeof(err);

    if (rc->phase == CONNECTING)
    {
        if (getsockopt(rc->peer_fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
        {
            refuse(host, rc, connect_error(err), strerror(err));
            return;
        }
        rc->phase = HANDSHAKE;
    }
    if (rc->phase == AWAIT_APP) take_program(host, rc);
    if (rc->phase == CONNECT_APP)
    {
        struct pollfd p = { rc->app_fd, POLLOUT, 0 };
        if (poll(&p, 1, 0) == 1)
        {
            if (getsockopt(rc->app_fd, SOL_SOCKET, SO_ERROR, &err, &len) || err ||
                tls_relay_attach_plain(rc->relay, rc->app_fd))
            {
                log_warn("%s: the program's socket is gone (%s)", rc->name, strerror(err));
                destroy(host, rc);
                return;
            }
            arm(host, rc, 1, -1, 0);
            rc->phase = RELAYING;
            rc->deadline = 0;
            rc->last_active = time(NULL);
            if (rc->guard) hidden_guard_connected(rc->guard, rc->admitted_port, rc->last_active);
            secured_list_tls_up(rc, rc->relay, rc->app_fd, 1);
        }
    }
    st = tls_relay_step(rc->relay);
    if (rc->phase == RELAYING && st == TLS_RELAY_OPEN)
    {
        uint64_t up, down;
        tls_relay_counts(rc->relay, &up, &down);
        if (up + down != rc->seen_bytes)
        {
            rc->seen_bytes = up + down;
            rc->last_active = time(NULL);
        }
    }
    if (st == TLS_RELAY_FAILED)
    {
        if (rc->phase == HANDSHAKE && rc->inbound)
        {
            log_warn("%s: rejected: %s", rc->name, tls_relay_error(rc->relay));
            destroy(host, rc);
            return;
        }
        if (rc->phase == HANDSHAKE)
        {
            /* Untrusted, not TLS, or stripped: never fall back to clear text. */
            refuse(host, rc, SECSOCK_WSAECONNREFUSED, tls_relay_error(rc->relay));
            return;
        }
        destroy(host, rc);
        return;
    }
    if (st == TLS_RELAY_DONE)
    {
        destroy(host, rc);
        return;
    }
    if (rc->phase == HANDSHAKE && st == TLS_RELAY_OPEN && rc->inbound)
    {
        if (connect_app(host, rc))
        {
            log_warn("%s: cannot reach the program's hidden port: %s", rc->name, strerror(errno));
            destroy(host, rc);
            return;
        }
    }
    if (rc->phase == HANDSHAKE && st == TLS_RELAY_OPEN)
    {
        if ((rc->listen_fd = open_listener(rc->family, &relay_addr)) < 0)
        {
            refuse(host, rc, SECSOCK_WSAENOBUFS, strerror(errno));
            return;
        }
        rc->phase = AWAIT_APP;
        rc->deadline = time(NULL) + RELAY_SETUP_TIMEOUT;
        log_info("%s: peer verified (TLS 1.3, pinned key%s); relay on loopback port %u", rc->name,
                 tls_relay_kernel_tls(rc->relay) ? ", kernel TLS" : "", relay_addr.port);
        answer(host, rc, SECSOCK_VERDICT_RELAY, 0, &relay_addr);
    }
    tls_relay_interest(rc->relay, &plain_events, &tls_events);
    arm(host, rc, 0, tls_relay_tls_fd(rc->relay), to_epoll(tls_events));
    if (rc->phase == AWAIT_APP) arm(host, rc, 1, rc->listen_fd, EPOLLIN);
    else if (rc->phase == CONNECT_APP) arm(host, rc, 1, rc->app_fd, EPOLLOUT);
    else if (rc->phase == RELAYING) arm(host, rc, 1, tls_relay_plain_fd(rc->relay), to_epoll(plain_events));
}

void relay_conn_abandon(const struct relay_host *host, struct relay_conn *rc)
{
    rc->session_slot = NULL;
    if (rc->phase != RELAYING)
    {
        log_warn("%s: the program went away during set-up", rc->name);
        destroy(host, rc);
    }
}

unsigned int relay_conn_sweep(const struct relay_host *host, time_t now, unsigned int idle_timeout)
{
    struct relay_conn *rc = relays, *next;
    unsigned int open = 0;

    for (; rc; rc = next)
    {
        next = rc->next;
        if (rc->deadline && rc->deadline <= now)
        {
            if (rc->phase == AWAIT_APP || rc->inbound)
            {
                log_warn("%s: set-up timed out", rc->name);
                destroy(host, rc);
            }
            else refuse(host, rc, SECSOCK_WSAETIMEDOUT, "set-up timed out");
            continue;
        }
        if (idle_timeout && rc->phase == RELAYING && now - rc->last_active >= (time_t)idle_timeout)
        {
            log_info("%s: nothing relayed for %u s: closed", rc->name, idle_timeout);
            destroy(host, rc);
            continue;
        }
        open++;
    }
    return open;
}

void relay_conn_close_all(const struct relay_host *host)
{
    while (relays) destroy(host, relays);
}
