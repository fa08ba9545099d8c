/* Discovery: answering other hosts' secsockd, asking theirs. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "backend.h"
#include "backend_tls_relay.h"
#include "discovery_service.h"
#include "log.h"
#include "sockaddr_posix.h"

/* How long an answer may be kept by the asker (ports come and go), how
 * long a host that did not answer counts as not speaking secsock, and how
 * long a probe waits: a host that runs secsockd answers within a round
 * trip; one that does not costs this once per lifetime of its entry. */
#define ANSWER_LIFETIME  30
#define MAX_LIFETIME     300
#define SILENT_LIFETIME  60
#define PROBE_TIMEOUT_MS 300
#define CACHE_ENTRIES    1024

/* A probe on its way, and who waits for it. */
struct waiter {
    void *ctx;
    void (*done)(void *ctx, enum discovery_cache_result result, uint16_t tls_port);
    struct waiter *next;
};

struct probe {
    struct sockaddr_storage peer;    /* the host's discovery port */
    struct sockaddr_storage asked;   /* the address and port asked about (the cache's key) */
    struct discovery_probe msg;
    uint64_t deadline_ms;
    struct waiter *waiters;
    struct probe *next;
};

static struct watch responder_watch[2], asker_watch[2], timer_watch;
static int responder_fd[2] = { -1, -1 }, asker_fd[2] = { -1, -1 }, timer_fd = -1;
static uint16_t port;
static discovery_lookup_fn lookup_port;
static struct discovery_cache *cache;
static struct probe *probes;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint16_t configured_port(void)
{
    const char *v = getenv("SECSOCK_DISCOVERY_PORT");
    char *end;
    unsigned long n;

    if (!v || !*v) return DISCOVERY_DEFAULT_PORT;
    n = strtoul(v, &end, 10);
    if (*end || n > 65535)
    {
        log_warn("discovery: SECSOCK_DISCOVERY_PORT=%s is not a port: discovery is off", v);
        return 0;
    }
    return (uint16_t)n;
}

static int open_udp(int family, uint16_t bind_port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;

    if (fd < 0) return -1;
    memset(&ss, 0, sizeof(ss));
    ss.ss_family = (sa_family_t)family;
    if (family == AF_INET6)
    {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons(bind_port);
        len = sizeof(struct sockaddr_in6);
    }
    else
    {
        ((struct sockaddr_in *)&ss)->sin_port = htons(bind_port);
        len = sizeof(struct sockaddr_in);
    }
    if (bind(fd, (struct sockaddr *)&ss, len))
    {
        close(fd);
        return -1;
    }
    return fd;
}

static void watch_fd(int fd, struct watch *w, int kind)
{
    w->owner = &backend_tls;
    w->kind = kind;
    if (fd >= 0) service_watch_ctl(EPOLL_CTL_ADD, fd, EPOLLIN, w);
}

void discovery_service_open(discovery_lookup_fn lookup)
{
    static const int families[2] = { AF_INET, AF_INET6 };

    lookup_port = lookup;
    if (!(port = configured_port())) return;
    cache = discovery_cache_new(CACHE_ENTRIES, MAX_LIFETIME, SILENT_LIFETIME, NULL, NULL);
    timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    watch_fd(timer_fd, &timer_watch, TLS_WATCH_DISCOVERY_TIMER);
    for (int i = 0; i < 2; i++)
    {
        /* Another secsockd (another user's) may hold the port: then this
         * one is not found, but it still asks. */
        if ((responder_fd[i] = open_udp(families[i], port)) < 0 && i == 0)
            log_warn("discovery: cannot answer on UDP port %u (%s): other hosts will not find this service's secured "
                     "servers", port, strerror(errno));
        watch_fd(responder_fd[i], &responder_watch[i], TLS_WATCH_DISCOVERY_RESPONDER);
        asker_fd[i] = open_udp(families[i], 0);
        watch_fd(asker_fd[i], &asker_watch[i], TLS_WATCH_DISCOVERY_ASKER);
    }
    log_info("discovery: %s on UDP port %u", responder_fd[0] >= 0 ? "answering and asking" : "asking", port);
}

static void close_fd(int *fd)
{
    if (*fd < 0) return;
    service_watch_ctl(EPOLL_CTL_DEL, *fd, 0, NULL);
    close(*fd);
    *fd = -1;
}

void discovery_service_close(void)
{
    for (int i = 0; i < 2; i++)
    {
        close_fd(&responder_fd[i]);
        close_fd(&asker_fd[i]);
    }
    close_fd(&timer_fd);
    while (probes)
    {
        struct probe *p = probes;
        probes = p->next;
        while (p->waiters)
        {
            struct waiter *w = p->waiters;
            p->waiters = w->next;
            free(w);
        }
        free(p);
    }
    discovery_cache_free(cache);
    cache = NULL;
}

uint16_t discovery_service_port(void)
{
    return port;
}

int discovery_service_answering(void)
{
    return responder_fd[0] >= 0 || responder_fd[1] >= 0;
}

/* ---- answering ------------------------------------------------------------ */

static void answer_probes(int fd)
{
    uint8_t buf[64], out[DISCOVERY_ANSWER_LEN];
    struct sockaddr_storage from;
    struct discovery_probe probe;
    struct discovery_answer answer;
    ssize_t n;

    for (;;)
    {
        socklen_t len = sizeof(from);
        int status, out_len;

        if ((n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len)) < 0) return;
        if ((status = discovery_decode_probe(buf, (size_t)n, &probe)) != DISCOVERY_OK)
        {
            log_warn("discovery: ignored %zd bytes that are no probe: %s", n, discovery_status_text(status));
            continue;
        }
        memset(&answer, 0, sizeof(answer));
        memcpy(answer.nonce, probe.nonce, sizeof(answer.nonce));
        answer.lifetime = ANSWER_LIFETIME;
        if ((answer.tls_port = lookup_port(probe.port))) answer.flags = DISCOVERY_FLAG_TLS;
        if ((out_len = discovery_encode_answer(&answer, out, sizeof(out))) > 0)
            sendto(fd, out, (size_t)out_len, 0, (struct sockaddr *)&from, len);
    }
}

/* ---- asking ------------------------------------------------------------------ */

static void arm_timer(void)
{
    struct itimerspec its;
    uint64_t first = 0, now = now_ms();

    for (struct probe *p = probes; p; p = p->next)
        if (!first || p->deadline_ms < first) first = p->deadline_ms;
    memset(&its, 0, sizeof(its));
    if (first)
    {
        uint64_t wait = first > now ? first - now : 1;
        its.it_value.tv_sec = (time_t)(wait / 1000);
        its.it_value.tv_nsec = (long)(wait % 1000) * 1000000;
    }
    timerfd_settime(timer_fd, 0, &its, NULL);
}

/* Ends probe p with result: its waiters are told, it is freed. */
static void finish(struct probe *p, enum discovery_cache_result result, uint16_t tls_port)
{
    struct probe **pp;

    for (pp = &probes; *pp && *pp != p; pp = &(*pp)->next) {}
    if (*pp) *pp = p->next;
    while (p->waiters)
    {
        struct waiter *w = p->waiters;
        p->waiters = w->next;
        w->done(w->ctx, result, tls_port);
        free(w);
    }
    free(p);
}

static struct probe *start_probe(const struct sockaddr_storage *asked, socklen_t len)
{
    struct probe *p = calloc(1, sizeof(*p));
    uint8_t buf[DISCOVERY_PROBE_LEN];
    int family = asked->ss_family == AF_INET6 ? 1 : 0, n;

    if (!p) return NULL;
    p->asked = *asked;
    p->peer = *asked;
    if (family) ((struct sockaddr_in6 *)&p->peer)->sin6_port = htons(port);
    else ((struct sockaddr_in *)&p->peer)->sin_port = htons(port);
    p->msg.port = family ? ntohs(((const struct sockaddr_in6 *)asked)->sin6_port)
                         : ntohs(((const struct sockaddr_in *)asked)->sin_port);
    if (getrandom(p->msg.nonce, sizeof(p->msg.nonce), 0) != (ssize_t)sizeof(p->msg.nonce) ||
        (n = discovery_encode_probe(&p->msg, buf, sizeof(buf))) < 0 || asker_fd[family] < 0 ||
        sendto(asker_fd[family], buf, (size_t)n, 0, (struct sockaddr *)&p->peer, len) != n)
    {
        free(p);
        return NULL;
    }
    p->deadline_ms = now_ms() + PROBE_TIMEOUT_MS;
    p->next = probes;
    probes = p;
    arm_timer();
    return p;
}

enum discovery_cache_result discovery_service_ask(const struct secsock_addr *peer, uint16_t *tls_port,
                                                  void (*done)(void *ctx, enum discovery_cache_result result,
                                                               uint16_t tls_port),
                                                  void *ctx)
{
    struct sockaddr_storage asked;
    socklen_t len = sockaddr_from_wire(peer, &asked);
    enum discovery_cache_result r;
    struct waiter *w;
    struct probe *p;

    if (!port || !cache || !len) return DISCOVERY_CACHE_CLEAR;
    if ((r = discovery_cache_get(cache, (struct sockaddr *)&asked, tls_port)) != DISCOVERY_CACHE_MISS) return r;
    /* One probe per peer and port, however many connections wait for it. */
    for (p = probes; p && memcmp(&p->asked, &asked, len); p = p->next) {}
    if (!p && !(p = start_probe(&asked, len))) return DISCOVERY_CACHE_CLEAR;
    if (!(w = calloc(1, sizeof(*w)))) return DISCOVERY_CACHE_CLEAR;
    w->ctx = ctx;
    w->done = done;
    w->next = p->waiters;
    p->waiters = w;
    return DISCOVERY_CACHE_MISS;
}

void discovery_service_cancel(void *ctx)
{
    for (struct probe *p = probes; p; p = p->next)
        for (struct waiter **pw = &p->waiters, *w; (w = *pw); pw = &w->next)
            if (w->ctx == ctx)
            {
                *pw = w->next;
                free(w);
                return;
            }
}

static void read_answers(int fd)
{
    uint8_t buf[64];
    struct discovery_answer answer;
    ssize_t n;

    while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0)
    {
        struct probe *p;
        if (discovery_decode_answer(buf, (size_t)n, &answer) != DISCOVERY_OK) continue;
        for (p = probes; p && !discovery_answer_matches(&p->msg, &answer); p = p->next) {}
        if (!p) continue;   /* late, or not ours */
        discovery_cache_put_answer(cache, (struct sockaddr *)&p->asked, &answer);
        finish(p, answer.flags & DISCOVERY_FLAG_TLS ? DISCOVERY_CACHE_TLS : DISCOVERY_CACHE_CLEAR, answer.tls_port);
    }
}

static void expire_probes(void)
{
    uint64_t now = now_ms(), expirations;
    struct probe *p, *next;

    if (read(timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) return;
    for (p = probes; p; p = next)
    {
        next = p->next;
        if (p->deadline_ms > now) continue;
        discovery_cache_put_silent(cache, (struct sockaddr *)&p->asked);
        finish(p, DISCOVERY_CACHE_CLEAR, 0);
    }
    arm_timer();
}

void discovery_service_event(struct watch *watch)
{
    int i = watch == &responder_watch[1] || watch == &asker_watch[1];

    switch (watch->kind)
    {
    case TLS_WATCH_DISCOVERY_RESPONDER: answer_probes(responder_fd[i]); break;
    case TLS_WATCH_DISCOVERY_ASKER: read_answers(asker_fd[i]); break;
    case TLS_WATCH_DISCOVERY_TIMER: expire_probes(); break;
    }
}
