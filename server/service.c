/*
 * secsockd's event loop: one epoll set with the control listener and every
 * session, all non-blocking; expired sessions are swept once a second.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "peer_uid.h"
#include "ipsec.h"
#include "relay_conn.h"
#include "sockaddr_posix.h"
#include "trust.h"
#include "service.h"
#include "session.h"

/* Sessions are allocated as they come: an idle service holds none. */
struct slot {
    int watch_kind;          /* SERVICE_WATCH_SESSION */
    struct session session;
};

/* A secured server's public address, accepted on by the TLS backend. */
struct public_listener {
    int watch_kind;          /* SERVICE_WATCH_PUBLIC */
    struct slot *slot;       /* the lease */
};

static struct relay_host relay_host;

static void open_public(int epfd, struct slot *slot, const struct service_config *config);

int service_listen(uint16_t *port)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0) return -1;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 256) ||
        getsockname(fd, (struct sockaddr *)&sin, &len))
    {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    *port = ntohs(sin.sin_port);
    return fd;
}

/* Admits only connections from processes of our own uid. */
static int peer_is_us(int fd, char *peer, size_t peer_len)
{
    uint32_t uid;

    if (peer_uid_of_connection(fd, &uid, peer, peer_len))
    {
        log_warn("%s: rejected: its socket is not in /proc/net/tcp", peer);
        return 0;
    }
    if (uid != geteuid())
    {
        log_warn("%s: rejected: connection from uid %u, this service is uid %u's", peer, uid, (unsigned)geteuid());
        return 0;
    }
    return 1;
}

static struct slot **slots;
static int slot_count;

/* Objects of the current batch of events that have ended (see service.h). */
static void **graveyard;
static size_t graveyard_count, graveyard_size;

void service_free_later(void *watch)
{
    void **grown;

    if (!watch) return;
    *(int *)watch = SERVICE_WATCH_GONE;
    if (graveyard_count == graveyard_size)
    {
        size_t size = graveyard_size ? graveyard_size * 2 : 64;
        if (!(grown = realloc(graveyard, size * sizeof(*grown))))
        {
            /* Cannot defer: leak it rather than free what may still be used. */
            return;
        }
        graveyard = grown;
        graveyard_size = size;
    }
    graveyard[graveyard_count++] = watch;
}

static void bury_the_dead(void)
{
    while (graveyard_count) free(graveyard[--graveyard_count]);
}

static void ipsec_reply(void *session_slot, const struct secsock_msg *reply, int held);

static void close_slot(int epfd, struct slot *slot, struct service_stats *stats)
{
    if (slot->session.relay) relay_conn_abandon(&relay_host, slot->session.relay);
    if (slot->session.ipsec) ipsec_conn_closed(slot->session.ipsec);
    if (slot->session.public_listener)
    {
        epoll_ctl(epfd, EPOLL_CTL_DEL, slot->session.lease_fd, NULL);
        service_free_later(slot->session.public_listener);
        slot->session.public_listener = NULL;
    }
    relay_conn_forget_lease(&relay_host, slot);
    epoll_ctl(epfd, EPOLL_CTL_DEL, slot->session.fd, NULL);
    session_release(&slot->session, stats);
    close(slot->session.fd);
    for (int i = 0; i < slot_count; i++)
    {
        if (slots[i] != slot) continue;
        slots[i] = slots[--slot_count];
        break;
    }
    service_free_later(slot);
}

static void accept_all(int epfd, int listen_fd, const struct service_config *config)
{
    for (;;)
    {
        char peer[64] = "?";
        struct epoll_event ev;
        struct slot *slot;
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (fd < 0)
        {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                log_warn("accept: %s", strerror(errno));
            return;
        }
        if (config->check_peer_uid && !peer_is_us(fd, peer, sizeof(peer)))
        {
            close(fd);
            continue;
        }
        if (slot_count == SERVICE_MAX_SESSIONS || !(slot = malloc(sizeof(*slot))))
        {
            log_warn("%s: rejected: %d control connections already open", peer, slot_count);
            close(fd);
            continue;
        }
        session_init(&slot->session, fd, peer, time(NULL));
        slot->watch_kind = SERVICE_WATCH_SESSION;
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.ptr = slot;
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
        {
            log_warn("%s: epoll: %s", peer, strerror(errno));
            close(fd);
            free(slot);
            continue;
        }
        slots[slot_count++] = slot;
    }
}

/* Writes what is queued; 1 when all is out, 0 when the socket is full, -1 on error. */
static int flush(struct session *s)
{
    while (s->out_len)
    {
        ssize_t n = send(s->fd, s->out, s->out_len, MSG_NOSIGNAL);
        if (n < 0)
        {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            return -1;
        }
        memmove(s->out, s->out + n, s->out_len - (size_t)n);
        s->out_len -= (size_t)n;
    }
    return 1;
}

static void serve_session(int epfd, struct slot *slot, uint32_t events, const struct service_config *config,
                          struct service_stats *stats)
{
    struct session *s = &slot->session;
    struct epoll_event ev;
    int flushed;

    if (events & EPOLLIN)
    {
        for (;;)
        {
            ssize_t n;
            if (s->in_len == sizeof(s->in))
            {
                /* A frame never exceeds the buffer; a full one means garbage. */
                log_warn("%s: rejected: input overflow", s->peer);
                close_slot(epfd, slot, stats);
                return;
            }
            n = recv(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, 0);
            if (n > 0)
            {
                s->in_len += (size_t)n;
                if (session_process(s, config, stats, time(NULL)))
                {
                    close_slot(epfd, slot, stats);
                    return;
                }
                if (s->state == SESSION_WAITING && s->wants_ipsec && !s->ipsec)
                    s->ipsec = ipsec_conn_start(slot, &s->ipsec_request, config, ipsec_reply);
                else if (s->state == SESSION_WAITING && !s->wants_ipsec && !s->relay)
                    s->relay = relay_conn_start(&relay_host, slot, s, config);
                if (s->listen_pending) open_public(epfd, slot, config);
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            {
                /* The client is gone: for a lease, that is its release. */
                close_slot(epfd, slot, stats);
                return;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        }
    }
    else if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
    {
        close_slot(epfd, slot, stats);
        return;
    }
    flushed = flush(s);
    if (flushed < 0 || (flushed > 0 && s->state == SESSION_CLOSING))
    {
        close_slot(epfd, slot, stats);
        return;
    }
    ev.events = EPOLLIN | EPOLLRDHUP | (flushed ? 0 : EPOLLOUT);
    ev.data.ptr = slot;
    epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

/* After LISTEN on a lease: with the TLS backend and at least one peer in
 * the trust list, the public address listens, and only verified TLS
 * clients reach the program.  Otherwise it stays closed. */
static void open_public(int epfd, struct slot *slot, const struct service_config *config)
{
    static struct trust_store trust;
    struct session *s = &slot->session;
    struct public_listener *pl;
    struct epoll_event ev;
    char why[256];

    s->listen_pending = 0;
    if (!config->identity || s->lease_socktype != SECSOCK_SOCK_STREAM || s->public_listener || s->guard.fd < 0)
        return;
    if (trust_load(config->config_dir, &trust, why, sizeof(why)) || !trust.count) return;
    if (listen(s->lease_fd, s->backlog ? (int)s->backlog : 16) || !(pl = malloc(sizeof(*pl))))
    {
        log_warn("%s: the public address cannot listen: %s", s->peer, strerror(errno));
        return;
    }
    pl->watch_kind = SERVICE_WATCH_PUBLIC;
    pl->slot = slot;
    ev.events = EPOLLIN;
    ev.data.ptr = pl;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->lease_fd, &ev))
    {
        free(pl);
        return;
    }
    s->public_listener = pl;
    log_info("%s: public address open to TLS clients in the trust list (%zu entries)", s->peer, trust.count);
}

static void accept_public(struct public_listener *pl, const struct service_config *config)
{
    static struct trust_store trust;
    uint8_t pins[16][TLS_RELAY_PIN_LEN];
    struct sockaddr_storage ss;
    struct secsock_addr client;
    char why[256];
    size_t n;
    int fd;

    for (;;)
    {
        socklen_t len = sizeof(ss);
        if ((fd = accept4(pl->slot->session.lease_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
            return;
        sockaddr_to_wire(&ss, &client);
        n = trust_load(config->config_dir, &trust, why, sizeof(why)) ? 0
            : trust_pins_for_address(&trust, &client, pins, sizeof(pins) / sizeof(*pins));
        if (!n)
        {
            /* Unknown clients cannot be verified: refused before any byte. */
            static const struct linger reset = { 1, 0 };
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
            close(fd);
            log_warn("%s: refused a client not in the trust list (port %u)", pl->slot->session.peer, client.port);
            continue;
        }
        relay_conn_inbound(&relay_host, fd, &client, &pl->slot->session.hidden, &pl->slot->session.guard,
                           pl->slot, (const uint8_t (*)[32])pins, n, config);
    }
}

/* An announcement on a lease: queued, written by its EPOLLOUT. */
static void lease_announce(void *lease_slot, const struct secsock_msg *msg)
{
    struct slot *slot = lease_slot;
    struct session *s = &slot->session;
    struct epoll_event ev;
    int n = secsock_msg_encode(msg, s->out + s->out_len, sizeof(s->out) - s->out_len);

    if (n <= 0)
    {
        log_warn("%s: lease output full: an announcement is lost", s->peer);
        return;
    }
    s->out_len += (size_t)n;
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
    ev.data.ptr = slot;
    epoll_ctl(relay_host.epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

/* A backend's answer to its session: queued here, written by the
 * session's own EPOLLOUT, so no caller loses its slot; then the session
 * closes, or (next SESSION_PROTECTING) stays open holding the protection. */
static void queue_backend_reply(struct slot *slot, const struct secsock_msg *reply, enum session_state next)
{
    struct session *s = &slot->session;
    struct epoll_event ev;
    int n = secsock_msg_encode(reply, s->out + s->out_len, sizeof(s->out) - s->out_len);

    if (n > 0) s->out_len += (size_t)n;
    s->state = next;
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT;
    ev.data.ptr = slot;
    epoll_ctl(relay_host.epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

static void relay_reply(void *session_slot, const struct secsock_msg *reply)
{
    struct slot *slot = session_slot;

    slot->session.relay = NULL;
    queue_backend_reply(slot, reply, SESSION_CLOSING);
}

/* A secured server that listened while the trust list was empty opens
 * its public address once the list names a peer: checked each second,
 * and only when the file changed. */
static void reopen_on_trust_change(int epfd, const struct service_config *config)
{
    static struct timespec seen;
    char path[4200];
    struct stat st;

    if (!config->identity) return;
    snprintf(path, sizeof(path), "%s/" TRUST_FILE, config->config_dir);
    if (stat(path, &st) || (st.st_mtim.tv_sec == seen.tv_sec && st.st_mtim.tv_nsec == seen.tv_nsec)) return;
    seen = st.st_mtim;
    for (int i = 0; i < slot_count; i++)
        if (slots[i]->session.listening && !slots[i]->session.public_listener) open_public(epfd, slots[i], config);
}

/* The IPsec backend answers its session; held: the session stays open,
 * holding the protection, until the program closes it. */
static void ipsec_reply(void *session_slot, const struct secsock_msg *reply, int held)
{
    struct slot *slot = session_slot;

    slot->session.wants_ipsec = 0;
    if (!held) slot->session.ipsec = NULL;
    queue_backend_reply(slot, reply, held ? SESSION_PROTECTING : SESSION_CLOSING);
}

static void sweep(int epfd, struct service_stats *stats, const struct service_config *config)
{
    time_t now = time(NULL);

    for (int i = slot_count - 1; i >= 0; i--)
    {
        struct session *s = &slots[i]->session;
        if (s->guard.fd >= 0) hidden_guard_sweep(&s->guard, now);
        if (!s->deadline || s->deadline > now) continue;
        log_warn("%s: closed: %s timed out", s->peer,
                 s->state == SESSION_HELLO ? "HELLO" : s->state == SESSION_PROOF ? "PROOF" : "request");
        close_slot(epfd, slots[i], stats);
    }
    relay_conn_sweep(&relay_host, now, config->relay_idle_timeout);
    reopen_on_trust_change(epfd, config);
    if (config->ipsec_event_fd >= 0) ipsec_backend_sweep(now);
}

int service_run(int listen_fd, const struct service_config *config, volatile int *stop)
{
    struct service_stats stats = { 0, 0 };
    struct epoll_event ev, events[64];
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    time_t last_sweep = time(NULL);

    slots = calloc(SERVICE_MAX_SESSIONS, sizeof(*slots));
    relay_host.epfd = epfd;
    relay_host.reply = relay_reply;
    relay_host.announce = lease_announce;
    if (!slots || epfd < 0)
    {
        free(slots);
        if (epfd >= 0) close(epfd);
        return -1;
    }
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;  /* NULL marks the listener */
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev))
    {
        free(slots);
        slots = NULL;
        close(epfd);
        return -1;
    }
    if (config->ipsec_event_fd >= 0)
    {
        static const int ipsec_watch = SERVICE_WATCH_IPSEC;
        ev.events = EPOLLIN;
        ev.data.ptr = (void *)&ipsec_watch;
        epoll_ctl(epfd, EPOLL_CTL_ADD, config->ipsec_event_fd, &ev);
    }
    while (!*stop)
    {
        int n = epoll_wait(epfd, events, 64, 1000);

        if (n < 0 && errno != EINTR)
        {
            log_error("epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++)
        {
            void *ptr = events[i].data.ptr;
            if (!ptr) accept_all(epfd, listen_fd, config);
            else if (*(int *)ptr == SERVICE_WATCH_RELAY) relay_conn_event(&relay_host, ptr);
            else if (*(int *)ptr == SERVICE_WATCH_PUBLIC) accept_public(ptr, config);
            else if (*(int *)ptr == SERVICE_WATCH_IPSEC) ipsec_backend_event();
            else if (*(int *)ptr == SERVICE_WATCH_SESSION) serve_session(epfd, ptr, events[i].events, config, &stats);
            /* SERVICE_WATCH_GONE: ended earlier in this batch. */
        }
        bury_the_dead();
        if (time(NULL) != last_sweep)
        {
            last_sweep = time(NULL);
            sweep(epfd, &stats, config);
        }
    }
    while (slot_count) close_slot(epfd, slots[slot_count - 1], &stats);
    relay_conn_close_all(&relay_host);
    if (config->ipsec_event_fd >= 0) ipsec_backend_shutdown();
    bury_the_dead();
    free(graveyard);
    graveyard = NULL;
    graveyard_size = 0;
    free(slots);
    slots = NULL;
    close(epfd);
    return 0;
}
