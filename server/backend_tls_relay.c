/* TLS relays: from programs to trusted peers, and from verified clients to secured servers. */
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
#include "backend_tls_relay.h"
#include "hidden_guard.h"
#include "sockaddr_posix.h"
#include "secsock/settings.h"
#include "discovery_service.h"
#include "policy.h"
#include "secured_list.h"
#include "tls_trust.h"
#include "unix/peer_name.h"
#include "unix/tls_relay.h"
#include "secsock/wsaerr.h"

/* Outbound: [DISCOVERING ->] CONNECTING -> HANDSHAKE -> AWAIT_APP -> RELAYING.
 * Inbound:  HANDSHAKE -> CONNECT_APP -> RELAYING. */
enum phase { DISCOVERING, CONNECTING, HANDSHAKE, AWAIT_APP, CONNECT_APP, RELAYING };

#define MAX_INBOUND_PINS 16

struct relay_conn {
    struct watch watch;             /* kind TLS_WATCH_RELAY */
    enum phase phase;
    int peer_fd;                    /* until the TLS relay owns it */
    int listen_fd;                  /* where the program's socket connects */
    struct tls_relay *relay;
    struct reply_to to;             /* the session awaiting the answer */
    int answering;                  /* until it is answered (or has gone) */
    time_t deadline;
    time_t last_active;             /* relaying: when bytes last moved */
    uint64_t seen_bytes;            /* both ways, at last_active */
    uint8_t family;                 /* outbound: the peer's, and so the program socket's */
    char name[160];                 /* the peer, for the log */
    uint32_t armed[2];              /* epoll events set for the TLS side and the program side */
    int fds_armed[2];
    int inbound;                    /* a client reached a secured server */
    int app_fd;                     /* inbound: our connection to the hidden port */
    const void *owner;              /* inbound: its lease or side listener; NULL once it has gone */
    struct reply_to announce_to;    /* inbound: the program's lease */
    struct secsock_addr hidden, client;   /* inbound: where the program listens; the client */
    struct secsock_addr peer_addr;  /* outbound: where TLS goes (discovery may name another port) */
    int clear_allowed;              /* outbound: ALLOW_INSECURE, peer not pinned */
    struct hidden_guard *guard;     /* inbound: the lease's, which must admit our connection */
    uint16_t admitted_port;         /* inbound: our source port the guard admits, or 0 */
    uint8_t pins[MAX_INBOUND_PINS][TLS_RELAY_PIN_LEN];
    size_t pin_count;               /* pinned peer: only these keys (no CA) */
    struct peer_name expect;        /* the name the peer must prove (expect_set) */
    int expect_set;
    struct tls_creds *creds;        /* our identity as the handshake began */
    struct relay_conn *next;
};

static struct relay_conn *relays;

static uint32_t to_epoll(short events)
{
    return (events & POLLIN ? EPOLLIN : 0) | (events & POLLOUT ? EPOLLOUT : 0);
}

/* Sets epoll interest for fd (slot 0: TLS side, 1: program side). */
static void arm(struct relay_conn *rc, int slot, int fd, uint32_t events)
{
    if (rc->fds_armed[slot] != fd)
    {
        if (rc->fds_armed[slot] >= 0) service_watch_ctl(EPOLL_CTL_DEL, rc->fds_armed[slot], 0, NULL);
        rc->fds_armed[slot] = -1;
        if (fd < 0) return;
        if (!service_watch_ctl(EPOLL_CTL_ADD, fd, events, &rc->watch))
        {
            rc->fds_armed[slot] = fd;
            rc->armed[slot] = events;
        }
        return;
    }
    if (fd < 0 || rc->armed[slot] == events) return;
    service_watch_ctl(EPOLL_CTL_MOD, fd, events, &rc->watch);
    rc->armed[slot] = events;
}

static void destroy(struct relay_conn *rc)
{
    struct relay_conn **p;

    arm(rc, 0, -1, 0);
    arm(rc, 1, -1, 0);
    if (rc->phase == DISCOVERING) discovery_service_cancel(rc);
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
    tls_trust_release(rc->creds);
    if (rc->listen_fd >= 0) close(rc->listen_fd);
    if (rc->app_fd >= 0 && rc->phase != RELAYING) close(rc->app_fd);
    /* Before our socket closes: its port must not admit anyone after it. */
    secured_list_remove(rc);
    if (rc->guard && rc->admitted_port) hidden_guard_forget(rc->guard, rc->admitted_port);
    for (p = &relays; *p; p = &(*p)->next)
        if (*p == rc) { *p = rc->next; break; }
    service_free_later(&rc->watch);
}

static void answer(struct relay_conn *rc, uint8_t verdict, uint32_t wsa_error,
                   const struct secsock_addr *relay_addr)
{
    struct secsock_msg reply;

    if (!rc->answering) return;
    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_CONNECT_VERDICT;
    reply.u.connect_verdict.verdict = verdict;
    reply.u.connect_verdict.wsa_error = wsa_error;
    if (verdict == SECSOCK_VERDICT_RELAY)
    {
        reply.u.connect_verdict.info_flags = SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED;
        reply.u.connect_verdict.relay = *relay_addr;
    }
    /* DIRECT: the peer's host said nothing of TLS, and clear is allowed. */
    strcpy(reply.u.connect_verdict.backend, verdict == SECSOCK_VERDICT_DIRECT ? backend_none.name : backend_tls.name);
    rc->answering = 0;
    backend_reply(rc->to, &reply, REPLY_CLOSE);
}

/* Fails the set-up: the program's connect fails, nothing was relayed. */
static void refuse(struct relay_conn *rc, uint32_t wsa_error, const char *why)
{
    log_warn("%s: secured connection refused: %s", rc->name, why);
    answer(rc, SECSOCK_VERDICT_REFUSE, wsa_error, NULL);
    destroy(rc);
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

static struct relay_conn *relay_new(void)
{
    struct relay_conn *rc = calloc(1, sizeof(*rc));

    if (!rc) return NULL;
    rc->watch.owner = &backend_tls;
    rc->watch.kind = TLS_WATCH_RELAY;
    rc->peer_fd = rc->listen_fd = rc->app_fd = -1;
    rc->fds_armed[0] = rc->fds_armed[1] = -1;
    rc->deadline = time(NULL) + RELAY_SETUP_TIMEOUT;
    rc->next = relays;
    relays = rc;
    return rc;
}

/* "a.b.c.d" or "x::y" of a wire address, for the log. */
static void address_text(const struct secsock_addr *a, char *text, size_t size)
{
    snprintf(text, size, "?");
    inet_ntop(a->family == SECSOCK_AF_INET6 ? AF_INET6 : AF_INET, a->addr, text, (socklen_t)size);
}

/* The TLS session over fd: our current identity; a pinned peer by its
 * keys alone, any other by a chain to a trusted CA that names it (expect,
 * else for a client the address it reached). */
static int start_tls(struct relay_conn *rc, int fd, int is_server, char *why, size_t why_len)
{
    struct tls_relay_config tls = { is_server, NULL, NULL, 0, NULL };
    struct tls_relay_trust trust = { NULL, NULL };

    if (!(rc->creds = tls_trust_acquire()))
    {
        snprintf(why, why_len, "no TLS identity");
        return -1;
    }
    tls.credentials = tls_creds_get(rc->creds);
    tls.pins = (const uint8_t (*)[TLS_RELAY_PIN_LEN])rc->pins;
    tls.pin_count = rc->pin_count;
    /* Only a host name is sent as SNI, never an address or a whole SPN. */
    if (!is_server && rc->expect_set && rc->expect.sni[0]) tls.server_name = rc->expect.sni;
    if (!rc->pin_count)
    {
        trust.anchors = tls_trust_anchors();
        trust.peer_name = rc->expect_set ? &rc->expect : NULL;
    }
    rc->relay = tls_relay_new_trusting(-1, fd, &tls, &trust, why, why_len);
    return rc->relay ? 0 : -1;
}

/* How the peer proved itself, for the log. */
static const char *proof_text(const struct relay_conn *rc)
{
    return tls_relay_verdict(rc->relay) == TRUST_OK_PIN ? "pinned key" : "certificate of a trusted CA";
}

/* What a refusal says, and what to run when the peer's CA is not trusted. */
static const char *refusal_hint(const struct relay_conn *rc)
{
    switch (tls_relay_verdict(rc->relay))
    {
    case TRUST_UNKNOWN_CA:
        return " (to trust the peer's CA: secsockctl ca trust CA.crt; its machine prints it with secsockctl ca export)";
    case TRUST_NAME_MISMATCH:
        return " (the target name must be in the peer's certificate: secsockctl identity show on the peer)";
    default:
        return "";
    }
}

/* The name the program asked for (its peer target name, or an SPN), or
 * none: then the peer must name the address reached. */
static int expect_target(struct relay_conn *rc, const char *target, char *why, size_t why_len)
{
    if (!target[0]) return 0;
    if (peer_name_parse(target, strlen(target), &rc->expect, why, why_len)) return -1;
    rc->expect_set = 1;
    return 0;
}

/* Reaches rc->peer_addr and starts TLS there; 0, or -1 once refused. */
static int reach_peer(struct relay_conn *rc)
{
    struct sockaddr_storage ss;
    socklen_t len = sockaddr_from_wire(&rc->peer_addr, &ss);
    char why[512];

    rc->peer_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (rc->peer_fd < 0 || (connect(rc->peer_fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS))
    {
        refuse(rc, connect_error(errno), strerror(errno));
        return -1;
    }
    tune_peer_socket(rc->peer_fd);
    if (start_tls(rc, rc->peer_fd, 0, why, sizeof(why)))
    {
        refuse(rc, SECSOCK_WSAENOBUFS, why);
        return -1;
    }
    rc->phase = CONNECTING;
    log_info("%s: connecting to port %u (%s)", rc->name, rc->peer_addr.port,
             rc->pin_count ? "pinned key" : "a trusted CA's certificate");
    arm(rc, 0, rc->peer_fd, EPOLLOUT);
    return 0;
}

/* What discovery says of the peer's host: TLS at tls_port, or nothing of
 * TLS (then a client that allows clear text goes on in clear; any other
 * tries TLS at the port it asked for, which a plain TLS server may speak).
 * 0 when the relay goes on, -1 once it has answered. */
static int take_discovery(struct relay_conn *rc, enum discovery_cache_result result, uint16_t tls_port)
{
    if (result == DISCOVERY_CACHE_TLS)
    {
        rc->peer_addr.port = tls_port;
        return reach_peer(rc);
    }
    if (!rc->clear_allowed) return reach_peer(rc);
    log_info("%s: the peer's host speaks no secsock TLS for this port; ALLOW_INSECURE: clear text", rc->name);
    answer(rc, SECSOCK_VERDICT_DIRECT, 0, NULL);
    destroy(rc);
    return -1;
}

static void discovered(void *ctx, enum discovery_cache_result result, uint16_t tls_port)
{
    struct relay_conn *rc = ctx;

    rc->phase = CONNECTING;   /* no longer waiting for discovery: nothing to cancel */
    take_discovery(rc, result, tls_port);
}

struct relay_conn *relay_conn_start(struct reply_to to, const struct secsock_msg_connect *req,
                                    const struct peer *peer, const char *who, const struct service_config *config)
{
    struct relay_conn *rc = relay_new();
    enum discovery_cache_result known;
    uint16_t tls_port = 0;
    char why[512], addr[64];

    (void)config;
    if (!rc) return NULL;
    rc->to = to;
    rc->answering = 1;
    rc->family = (uint8_t)req->peer.family;
    rc->peer_addr = req->peer;
    rc->pin_count = peer->auth == PEER_AUTH_PINS ? 1 : 0;
    rc->clear_allowed = !rc->pin_count && policy_clear_allowed(req->flags);
    memcpy(rc->pins[0], peer->pins[0], sizeof(rc->pins[0]));
    address_text(&req->peer, addr, sizeof(addr));
    snprintf(rc->name, sizeof(rc->name), "%s: tls %s port %u", who, addr, req->peer.port);
    if (expect_target(rc, req->target_name, why, sizeof(why)))
    {
        /* A name no certificate can carry: fail closed before reaching out
         * (with ALLOW_INSECURE: clear, as for any peer that cannot be secured). */
        if (!rc->pin_count)
        {
            if (rc->clear_allowed) return take_discovery(rc, DISCOVERY_CACHE_CLEAR, 0) ? NULL : rc;
            refuse(rc, SECSOCK_WSAECONNREFUSED, why);
            return NULL;
        }
        rc->expect_set = 0;   /* a pinned peer is its key: the name only made the SNI */
    }
    /* A pinned peer speaks TLS at its port; any other's host is asked. */
    known = rc->pin_count ? DISCOVERY_CACHE_CLEAR : discovery_service_ask(&req->peer, &tls_port, discovered, rc);
    if (known == DISCOVERY_CACHE_MISS)
    {
        rc->phase = DISCOVERING;
        log_info("%s: asking the peer's host whether it speaks secsock TLS", rc->name);
        return rc;
    }
    if (rc->pin_count) return reach_peer(rc) ? NULL : rc;
    return take_discovery(rc, known, tls_port) ? NULL : rc;
}

struct relay_conn *relay_conn_inbound(int client_fd, const struct secsock_addr *client,
                                      const struct inbound_target *target, const struct peer *peer)
{
    struct relay_conn *rc = relay_new();
    char why[512], addr[64];

    if (!rc)
    {
        close(client_fd);
        return NULL;
    }
    rc->peer_fd = client_fd;
    rc->inbound = 1;
    tune_peer_socket(client_fd);
    rc->owner = target->owner;
    rc->announce_to = target->announce_to;
    rc->hidden = target->deliver_to;
    rc->guard = target->guard;
    rc->client = *client;
    rc->pin_count = peer->auth == PEER_AUTH_PINS ? peer->pin_count : 0;
    if (rc->pin_count > MAX_INBOUND_PINS) rc->pin_count = MAX_INBOUND_PINS;
    memcpy(rc->pins, peer->pins, rc->pin_count * TLS_RELAY_PIN_LEN);
    address_text(client, addr, sizeof(addr));
    snprintf(rc->name, sizeof(rc->name), "inbound tls from %s port %u", addr, client->port);
    if (expect_target(rc, target->target_name, why, sizeof(why)) || start_tls(rc, client_fd, 1, why, sizeof(why)))
    {
        log_warn("%s: %s", rc->name, why);
        destroy(rc);
        return NULL;
    }
    rc->phase = HANDSHAKE;
    arm(rc, 0, client_fd, EPOLLIN);
    return rc;
}

void relay_accept_clients(int listen_fd, const struct inbound_target *target, const char *who,
                          const struct service_config *config)
{
    struct sockaddr_storage ss;
    struct secsock_addr client;
    struct peer peer;
    char why[300];
    int fd;

    for (;;)
    {
        socklen_t len = sizeof(ss);
        if ((fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) return;
        sockaddr_to_wire(&ss, &client);
        /* A client pinned for its address proves that key; any other a
         * trusted CA's certificate.  Nothing reaches the program before. */
        if (peers_refresh(config->peers, why, sizeof(why)))
            log_warn("%s: the peers file is ignored: %s", who, why);
        peers_lookup_client(config->peers, &client, &peer);
        relay_conn_inbound(fd, &client, target, &peer);
    }
}

void relay_conn_forget_owner(const void *owner)
{
    for (struct relay_conn *rc = relays, *next; rc; rc = next)
    {
        next = rc->next;
        if (!rc->inbound || rc->owner != owner) continue;
        rc->owner = NULL;
        rc->guard = NULL;
        /* Not yet announced: the program can no longer take it. */
        if (rc->phase == HANDSHAKE) destroy(rc);
    }
}

/* Inbound, verified: announce, then connect to the program's hidden port. */
static int connect_app(struct relay_conn *rc)
{
    struct sockaddr_storage ss, local;
    socklen_t len = sockaddr_from_wire(&rc->hidden, &ss), llen = sizeof(local);
    struct secsock_addr bound;
    struct secsock_msg msg;

    if (!rc->owner) return -1;
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
    /* A guarded listener drops every SYN it was not told of. */
    if (rc->guard && hidden_guard_admit(rc->guard, &bound)) return -1;
    rc->admitted_port = bound.port;
    /* Listed before it is announced: the program may ask the view about
     * its accepted socket (getsockname, WSAQuerySocketSecurity, WFP) as
     * soon as accept returns. */
    secured_list_tls_up(rc, rc->relay, rc->app_fd, 1);
    memset(&msg, 0, sizeof(msg));
    msg.type = SECSOCK_MSG_ANNOUNCE;
    msg.u.announce.source = bound;
    msg.u.announce.info_flags = SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED;
    msg.u.announce.peer = rc->client;
    strcpy(msg.u.announce.backend, backend_tls.name);
    backend_reply(rc->announce_to, &msg, REPLY_KEEP);
    setsockopt(rc->app_fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
    if (connect(rc->app_fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) return -1;
    rc->phase = CONNECT_APP;
    rc->deadline = time(NULL) + RELAY_SETUP_TIMEOUT;
    log_info("%s: client verified (TLS 1.3, %s); to the program from port %u", rc->name, proof_text(rc), bound.port);
    return 0;
}

/* The program's socket connects to the relay listener: only our own uid. */
static void take_program(struct relay_conn *rc)
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
        arm(rc, 1, -1, 0);
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

/* Before the TLS step: the peer connection made, the program's socket
 * taken or connected.  0, or -1 when the relay has ended. */
static int advance_setup(struct relay_conn *rc)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (rc->phase == CONNECTING)
    {
        if (getsockopt(rc->peer_fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
        {
            refuse(rc, connect_error(err), strerror(err));
            return -1;
        }
        rc->phase = HANDSHAKE;
    }
    if (rc->phase == AWAIT_APP) take_program(rc);
    if (rc->phase == CONNECT_APP)
    {
        struct pollfd p = { rc->app_fd, POLLOUT, 0 };
        if (poll(&p, 1, 0) == 1)
        {
            if (getsockopt(rc->app_fd, SOL_SOCKET, SO_ERROR, &err, &len) || err ||
                tls_relay_attach_plain(rc->relay, rc->app_fd))
            {
                log_warn("%s: the program's socket is gone (%s)", rc->name, strerror(err));
                destroy(rc);
                return -1;
            }
            arm(rc, 1, -1, 0);
            rc->phase = RELAYING;
            rc->deadline = 0;
            rc->last_active = time(NULL);
            if (rc->guard) hidden_guard_connected(rc->guard, rc->admitted_port, rc->last_active);
        }
    }
    return 0;
}

/* The handshake is done (TLS_RELAY_OPEN while HANDSHAKE): inbound, on to
 * the program; outbound, the relay port, and the answer.  0, or -1 when
 * the relay has ended. */
static int handshake_done(struct relay_conn *rc)
{
    struct secsock_addr relay_addr;

    if (rc->inbound)
    {
        if (!connect_app(rc)) return 0;
        log_warn("%s: cannot reach the program's hidden port: %s", rc->name, strerror(errno));
        destroy(rc);
        return -1;
    }
    if ((rc->listen_fd = open_listener(rc->family, &relay_addr)) < 0)
    {
        refuse(rc, SECSOCK_WSAENOBUFS, strerror(errno));
        return -1;
    }
    rc->phase = AWAIT_APP;
    rc->deadline = time(NULL) + RELAY_SETUP_TIMEOUT;
    log_info("%s: peer verified (TLS 1.3, %s%s); relay on loopback port %u", rc->name, proof_text(rc),
             tls_relay_kernel_tls(rc->relay) ? ", kernel TLS" : "", relay_addr.port);
    answer(rc, SECSOCK_VERDICT_RELAY, 0, &relay_addr);
    return 0;
}

/* A failed or finished TLS step ends the relay: a failed handshake is
 * refused, never a reason to go on in clear text. */
static void ended(struct relay_conn *rc, enum tls_relay_state st)
{
    char why[600];

    if (st == TLS_RELAY_FAILED && rc->phase == HANDSHAKE && rc->inbound)
        log_warn("%s: rejected: %s%s", rc->name, tls_relay_error(rc->relay), refusal_hint(rc));
    else if (st == TLS_RELAY_FAILED && rc->phase == HANDSHAKE)
    {
        /* Untrusted, misnamed, not TLS, or stripped: never fall back to
         * clear text. */
        snprintf(why, sizeof(why), "%s%s", tls_relay_error(rc->relay), refusal_hint(rc));
        refuse(rc, SECSOCK_WSAECONNREFUSED, why);
        return;
    }
    destroy(rc);
}

void relay_conn_event(struct relay_conn *rc)
{
    enum tls_relay_state st;
    short plain_events, tls_events;

    if (advance_setup(rc)) return;
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
    if (st == TLS_RELAY_FAILED || st == TLS_RELAY_DONE)
    {
        ended(rc, st);
        return;
    }
    if (rc->phase == HANDSHAKE && st == TLS_RELAY_OPEN && handshake_done(rc)) return;
    tls_relay_interest(rc->relay, &plain_events, &tls_events);
    arm(rc, 0, tls_relay_tls_fd(rc->relay), to_epoll(tls_events));
    if (rc->phase == AWAIT_APP) arm(rc, 1, rc->listen_fd, EPOLLIN);
    else if (rc->phase == CONNECT_APP) arm(rc, 1, rc->app_fd, EPOLLOUT);
    else if (rc->phase == RELAYING) arm(rc, 1, tls_relay_plain_fd(rc->relay), to_epoll(plain_events));
}

void relay_conn_abandon(struct relay_conn *rc)
{
    rc->answering = 0;
    if (rc->phase != RELAYING)
    {
        log_warn("%s: the program went away during set-up", rc->name);
        destroy(rc);
    }
}

unsigned int relay_conn_sweep(time_t now, unsigned int idle_timeout)
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
                destroy(rc);
            }
            else refuse(rc, SECSOCK_WSAETIMEDOUT, "set-up timed out");
            continue;
        }
        if (idle_timeout && rc->phase == RELAYING && now - rc->last_active >= (time_t)idle_timeout)
        {
            log_info("%s: nothing relayed for %u s: closed", rc->name, idle_timeout);
            destroy(rc);
            continue;
        }
        open++;
    }
    return open;
}

void relay_conn_close_all(void)
{
    while (relays) destroy(relays);
}
