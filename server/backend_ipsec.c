/* The ipsec backend's operations (backend_ipsec.h): policy, set-ups and their answers, protections and their end. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "backend_ipsec.h"
#include "log.h"
#include "policy.h"
#include "secured_list.h"
#include "secsock/settings.h"
#include "secsock/wsaerr.h"

struct ipsec_conn *ipsec_conns;
int ipsec_done_pipe[2] = { -1, -1 };
uint32_t ipsec_instance_tag, ipsec_counter;
char ipsec_vici_path[512];
static struct watch done_watch = { &backend_ipsec, 0, 0 };

uint32_t ipsec_next_slot(void)
{
    return (ipsec_instance_tag << SLOT_COUNTER_BITS) | (++ipsec_counter & ((1u << SLOT_COUNTER_BITS) - 1));
}

void ipsec_name_slot(struct ipsec_conn *c, uint32_t slot)
{
    c->slot = c->xfrm.slot = slot;
    snprintf(c->name, sizeof(c->name), "secsock-%x-%x", ipsec_instance_tag, slot & ((1u << SLOT_COUNTER_BITS) - 1));
}

void ipsec_link(struct ipsec_conn *c)
{
    c->next = ipsec_conns;
    ipsec_conns = c;
}

static uint32_t tag_of(const char *runtime_dir)
{
    uint32_t h = 2166136261u;   /* FNV-1a */

    for (const char *p = runtime_dir; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    return h & (SECSOCK_XFRM_SLOT_MAX >> SLOT_COUNTER_BITS);
}

int ipsec_backend_init(struct service_config *config, const char *runtime_dir)
{
    struct secsock_xfrm_support support;
    struct vici_client vici;
    struct vici_version version;
    const char *env = getenv(VICI_SOCKET_ENV);
    int ret;

    ipsec_instance_tag = tag_of(runtime_dir);
    snprintf(ipsec_vici_path, sizeof(ipsec_vici_path), "%s", env && *env ? env : VICI_DEFAULT_SOCKET);
    if ((ret = secsock_xfrm_probe(&support)))
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status), "not available: cannot probe XFRM: %s",
                 strerror(-ret));
        return -1;
    }
    if (!support.net_admin)
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status),
                 "not available: secsockd lacks CAP_NET_ADMIN (run it privileged to manage IPsec policies)");
        return -1;
    }
    if ((ret = vici_client_open(&vici, ipsec_vici_path, 2000)))
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status),
                 "not available: charon does not answer on %.200s (%s)", ipsec_vici_path, vici_strerror(ret));
        return -1;
    }
    if ((ret = vici_version(&vici, &version)))
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status), "not available: charon's version: %s",
                 vici_strerror(ret));
        vici_client_close(&vici);
        return -1;
    }
    ipsec_remove_leftovers(&vici);
    vici_client_close(&vici);
    if (pipe2(ipsec_done_pipe, O_CLOEXEC | O_NONBLOCK))
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status), "not available: pipe: %s", strerror(errno));
        return -1;
    }
    config->backends |= SECSOCK_BACKEND_IPSEC;
    snprintf(config->ipsec_status, sizeof(config->ipsec_status),
             "available (charon %.16s on %.50s; keys in %.50s/" IPSEC_PSK_FILE ")%s%.70s",
             version.version, ipsec_vici_path, config->config_dir, support.esp ? "" : "; ",
             support.esp ? "" : support.reason);
    log_info("ipsec: %s", config->ipsec_status);
    return 0;
}

static void answer(struct ipsec_conn *c, uint8_t verdict, uint32_t wsa_error, uint32_t info, int held)
{
    struct secsock_msg reply;

    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_CONNECT_VERDICT;
    reply.u.connect_verdict.verdict = verdict;
    reply.u.connect_verdict.wsa_error = wsa_error;
    reply.u.connect_verdict.info_flags = info;
    strcpy(reply.u.connect_verdict.backend, "ipsec");
    backend_reply(c->to, &reply, held ? REPLY_HOLD : REPLY_CLOSE);
}

static void unlink_conn(struct ipsec_conn *c)
{
    for (struct ipsec_conn **p = &ipsec_conns; *p; p = &(*p)->next)
        if (*p == c) { *p = c->next; break; }
}

/* The connection's 5-tuple: the program's bound end (or the source the
 * kernel would pick) and the peer.  0, or -1 with c->why. */
static int fill_tuple(struct ipsec_conn *c, const struct secsock_msg_connect *req)
{
    struct secsock_xfrm_tuple *t = &c->xfrm.tuple;
    int family = req->peer.family == SECSOCK_AF_INET6 ? AF_INET6 : AF_INET, alen = family == AF_INET6 ? 16 : 4;

    t->family = family;
    t->protocol = IPPROTO_TCP;
    memcpy(t->remote_addr, req->peer.addr, alen);
    t->remote_port = req->peer.port;
    t->local_port = req->local.port;
    c->xfrm.level = c->allow_insecure ? SECSOCK_XFRM_OPTIONAL : SECSOCK_XFRM_REQUIRED;
    if (req->local.family == req->peer.family && memcmp(req->local.addr, (uint8_t[16]){ 0 }, alen))
        memcpy(t->local_addr, req->local.addr, alen);
    else if (ipsec_route_source(family, t->remote_addr, t->local_addr))
    {
        snprintf(c->why, sizeof(c->why), "no route to the peer");
        return -1;
    }
    if (!req->local.port || req->local.family != req->peer.family)
    {
        snprintf(c->why, sizeof(c->why), "the program's socket has no local port");
        return -1;
    }
    inet_ntop(family, t->local_addr, c->local, sizeof(c->local));
    inet_ntop(family, t->remote_addr, c->remote, sizeof(c->remote));
    return 0;
}

/* Starts the set-up of req's connection in a thread; the answer comes
 * from ipsec_event.  NULL when it cannot start (answered). */
static void *ipsec_connect(struct reply_to to, const struct secsock_msg_connect *req, const struct peer *peer,
                           const char *who, const struct service_config *config)
{
    struct ipsec_conn *c = calloc(1, sizeof(*c));
    pthread_attr_t attr;
    pthread_t thread;

    (void)who;
    if (!c) return NULL;
    c->to = to;
    c->allow_insecure = !!(req->flags & SECSOCK_FLAG_ALLOW_INSECURE);
    ipsec_name_slot(c, ipsec_next_slot());
    c->phase = SETTING_UP;
    ipsec_link(c);
    if (fill_tuple(c, req)) goto refuse;
    /* The key the request's decision saw. */
    if (!peer->psk)
    {
        snprintf(c->why, sizeof(c->why), "no pre-shared key for %s in %.100s/" IPSEC_PSK_FILE, c->remote,
                 config->config_dir);
        goto refuse;
    }
    memcpy(c->psk, peer->psk, peer->psk_len);
    c->psk_len = peer->psk_len;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attr, ipsec_set_up, c))
    {
        pthread_attr_destroy(&attr);
        snprintf(c->why, sizeof(c->why), "cannot start a thread");
        goto refuse;
    }
    pthread_attr_destroy(&attr);
    log_info("ipsec %s: %s port %u -> %s port %u: setting up (%s)", c->name, c->local, c->xfrm.tuple.local_port,
             c->remote, c->xfrm.tuple.remote_port, c->allow_insecure ? "optional" : "required");
    return c;

refuse:
    log_warn("ipsec %s: %s", c->name, c->why);
    if (c->allow_insecure) answer(c, SECSOCK_VERDICT_DIRECT, 0, 0, 0);
    else answer(c, SECSOCK_VERDICT_REFUSE, SECSOCK_WSAECONNREFUSED, 0, 0);
    unlink_conn(c);
    free(c);
    return NULL;
}

static void finish(struct ipsec_conn *c)
{
    secured_list_remove(c);
    ipsec_undo(c);
    unlink_conn(c);
    free(c);
}

static void ipsec_event(struct watch *watch, uint32_t events, const struct service_config *config)
{
    struct ipsec_conn *c;

    (void)watch;
    (void)events;
    (void)config;
    while (read(ipsec_done_pipe[0], &c, sizeof(c)) == (ssize_t)sizeof(c))
    {
        if (c->abandoned)
        {
            log_warn("ipsec %s: the program went away during set-up", c->name);
            finish(c);
            continue;
        }
        switch (c->result)
        {
        case RESULT_PROTECTED:
            log_info("ipsec %s: SA established with %s; the program connects, ESP required", c->name, c->remote);
            c->phase = HELD;
            secured_list_ipsec_up(c, &c->xfrm.tuple, c->name, c->remote);
            answer(c, SECSOCK_VERDICT_PROTECTED, 0, SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED, 1);
            break;
        case RESULT_CLEAR:
            log_warn("ipsec %s: %s; ALLOW_INSECURE: clear text", c->name, c->why);
            c->phase = ANSWERED;
            answer(c, SECSOCK_VERDICT_DIRECT, 0, 0, 0);
            finish(c);
            break;
        case RESULT_REFUSED:
            log_warn("ipsec %s: secured connection refused: %s", c->name, c->why);
            c->phase = ANSWERED;
            answer(c, SECSOCK_VERDICT_REFUSE, SECSOCK_WSAECONNREFUSED, 0, 0);
            finish(c);
            break;
        }
    }
}

static void ipsec_sweep(time_t now, const struct service_config *config);

static void conn_closed(struct ipsec_conn *c)
{
    if (c->phase == SETTING_UP)
    {
        c->abandoned = 1;   /* the thread still owns it: finished when it reports */
        return;
    }
    if (c->phase == HELD)
    {
        c->phase = RELEASING;
        c->release_deadline = time(NULL) + RELEASE_GRACE;
        ipsec_sweep(time(NULL), NULL);
    }
}

static void ipsec_sweep(time_t now, const struct service_config *config)
{
    (void)config;
    for (struct ipsec_conn *c = ipsec_conns, *next; c; c = next)
    {
        next = c->next;
        if (c->phase != RELEASING) continue;
        if (ipsec_tuple_alive(&c->xfrm.tuple) && now < c->release_deadline) continue;
        log_info("ipsec %s: connection closed: policies and SA removed", c->name);
        finish(c);
    }
}

static void ipsec_shutdown(void)
{
    for (struct ipsec_conn *c = ipsec_conns, *next; c; c = next)
    {
        next = c->next;
        if (c->phase == SETTING_UP) continue;   /* its thread still runs; the next instance cleans up */
        /* A connection still open keeps its policies: the next instance
         * adopts them and removes them once it has ended. */
        if ((c->phase == HELD || c->phase == RELEASING) && ipsec_tuple_alive(&c->xfrm.tuple)) continue;
        finish(c);
    }
}

/* ---- policy and the operations the service calls ------------------------------ */

static int ipsec_serves_connect(const struct secsock_msg_connect *req, const struct peer *peer, uint32_t backends,
                                struct policy_decision *d)
{
    int by_name = policy_ipsec_by_name(req->protocol);

    /* IPsec asked for by name, or DEFAULT to a peer with a pre-shared key
     * (and no pin: TLS is asked first); datagrams: not yet. */
    if (!(backends & SECSOCK_BACKEND_IPSEC) || req->socktype != SECSOCK_SOCK_STREAM || policy_demands(req) ||
        !(by_name || (req->protocol == SECSOCK_PROTOCOL_DEFAULT && peer->psk)))
        return 0;
    d->verdict = SECSOCK_VERDICT_PENDING;
    d->wsa_error = 0;
    d->reason = by_name ? "IPsec: policies for the 5-tuple, SA from charon"
                        : "peer configured for IPsec (ipsec-psk): policies for the 5-tuple, SA from charon";
    if (secsock_addr_unmapped(&req->peer).family != req->peer.family)
    {
        /* IPsec policies for the IPv6 form would never match the IPv4
         * packets: refused, never carried on unprotected. */
        d->verdict = SECSOCK_VERDICT_REFUSE;
        d->wsa_error = SECSOCK_WSAEOPNOTSUPP;
        d->reason = "IPsec to an IPv4-mapped address: refused (use an AF_INET socket)";
    }
    return 1;
}

static int ipsec_serves_bind(const struct secsock_msg_bind *req, uint32_t backends, struct policy_decision *d)
{
    if (!policy_ipsec_by_name(req->protocol) || !(backends & SECSOCK_BACKEND_IPSEC) ||
        req->socktype != SECSOCK_SOCK_STREAM)
        return 0;
    d->verdict = SECSOCK_VERDICT_OWN_ADDRESS;
    d->wsa_error = 0;
    d->reason = "IPsec: the program binds its own socket; on LISTEN, policies for its port and a responder in charon";
    return 1;
}

/* An IPsec server binds its own socket; its LISTEN names the port. */
static void *ipsec_bind(struct reply_to to, const struct secsock_msg_bind *req, const char *who,
                        struct secsock_addr *bound, uint32_t *wsa_error)
{
    struct ipsec_conn *c = backend_bind_state(sizeof(*c), wsa_error);

    (void)who;
    (void)bound;
    if (!c) return NULL;
    c->to = to;
    c->phase = BOUND;
    c->listener = 1;
    c->allow_insecure = !!(req->flags & SECSOCK_FLAG_ALLOW_INSECURE);
    return c;
}

/* An OWN_ADDRESS lease: req->listen_addr is the program's public address. */
static void ipsec_listen(void *state, const struct secsock_msg_listen *req, struct secsock_msg_listen_verdict *verdict,
                         const char *who, const struct service_config *config)
{
    struct ipsec_conn *c = state;
    char why[200];

    strcpy(verdict->backend, backend_ipsec.name);
    if (c->phase == BOUND && ipsec_listener_install(c, &req->listen_addr, config, why, sizeof(why)))
    {
        log_warn("%s: LISTEN port %u with IPsec: %s", who, req->listen_addr.port, why);
        if (!c->allow_insecure) verdict->wsa_error = SECSOCK_WSAENETDOWN;
        strcpy(verdict->backend, backend_none.name);
    }
    /* The port's required ESP policy lets nothing else in. */
    else if (!c->allow_insecure)
        verdict->info_flags = SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED;
}

static void ipsec_closed(void *state)
{
    struct ipsec_conn *c = state;

    if (c->phase == BOUND) free(c);   /* a server that never listened: nothing installed */
    else conn_closed(c);
}

static void ipsec_open(void)
{
    if (ipsec_done_pipe[0] >= 0) service_watch_ctl(EPOLL_CTL_ADD, ipsec_done_pipe[0], EPOLLIN, &done_watch);
}

const struct backend_ops backend_ipsec = {
    .name = "ipsec",
    .bit = SECSOCK_BACKEND_IPSEC,
    .needs = SECSOCK_NEED_LOCAL_END,   /* it protects a 5-tuple, known before the SYN */
    .serves_connect = ipsec_serves_connect,
    .serves_bind = ipsec_serves_bind,
    .connect = ipsec_connect,
    .bind = ipsec_bind,
    .listen = ipsec_listen,
    .closed = ipsec_closed,
    .open = ipsec_open,
    .event = ipsec_event,
    .sweep = ipsec_sweep,
    .shutdown = ipsec_shutdown,
};
