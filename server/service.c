/*
 * secsockd's event loop: one epoll set with the control listener, every
 * session and the backends' own watches, all non-blocking; a watch goes to
 * its owner (a session here, else its backend's event operation).
 * Expired sessions are swept, and every backend is swept, once a second.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "backend.h"
#include "secsock/wsaerr.h"
#include "log.h"
#include "peer_uid.h"
#include "service.h"
#include "session.h"

/* Sessions by slot; a slot's generation counts the sessions it has held,
 * so that a reply_to of a session that has gone matches nothing.
 * Sessions are allocated as they come: an idle service holds none. */
static struct session *sessions[SERVICE_MAX_SESSIONS];
static uint32_t generations[SERVICE_MAX_SESSIONS];
static int session_count, slots_used;   /* slots_used: the highest slot in use + 1 */
static int epfd = -1;

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

int service_watch_ctl(int op, int fd, uint32_t events, struct watch *watch)
{
    struct epoll_event ev;

    ev.events = events;
    ev.data.ptr = watch;
    return epoll_ctl(epfd, op, fd, &ev);
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

/* Objects of the current batch of events that have ended (see service.h). */
static struct watch **graveyard;
static size_t graveyard_count, graveyard_size;

void service_free_later(struct watch *watch)
{
    struct watch **grown;

    if (!watch) return;
    watch->gone = 1;
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

static void close_session(struct session *s)
{
    service_watch_ctl(EPOLL_CTL_DEL, s->fd, 0, NULL);
    session_release(s);
    close(s->fd);
    sessions[s->self.slot] = NULL;
    session_count--;
    while (slots_used && !sessions[slots_used - 1]) slots_used--;
    service_free_later(&s->watch);
}

static struct session *session_of(struct reply_to to)
{
    if (to.slot >= SERVICE_MAX_SESSIONS || !sessions[to.slot] || generations[to.slot] != to.generation) return NULL;
    return sessions[to.slot];
}

/* A backend's message to its session: queued here, written by the
 * session's own EPOLLOUT, so no caller loses its place. */
static int flush(struct session *s);

void *backend_bind_state(size_t size, uint32_t *wsa_error)
{
    void *state = calloc(1, size);

    if (!state) *wsa_error = SECSOCK_WSAENOBUFS;
    return state;
}

void backend_reply(struct reply_to to, const struct secsock_msg *msg, enum reply_next next)
{
    struct session *s = session_of(to);
    int n;

    if (!s) return;   /* the session has gone: nobody to tell */
    n = secsock_msg_encode(msg, s->out + s->out_len, sizeof(s->out) - s->out_len);
    if (n > 0) s->out_len += (size_t)n;
    else log_warn("%s: output full: a %s is lost", s->peer, secsock_msg_name(msg->type));
    if (next == REPLY_CLOSE)
    {
        s->state = SESSION_CLOSING;
        s->backend_state = NULL;
    }
    else if (next == REPLY_HOLD) s->state = SESSION_PROTECTING;
    /* An announcement goes out now, before the connection it announces is
     * made: the program's accept then finds it already there. */
    if (next == REPLY_KEEP && flush(s) < 0) log_warn("%s: lease: %s", s->peer, strerror(errno));
    service_watch_ctl(EPOLL_CTL_MOD, s->fd, EPOLLIN | EPOLLRDHUP | EPOLLOUT, &s->watch);
}

static int free_slot(void)
{
    for (int i = 0; i < SERVICE_MAX_SESSIONS; i++)
        if (!sessions[i]) return i;
    return -1;
}

static void add_session(int fd, const char *peer)
{
    struct session *s;
    int slot;

    if ((slot = free_slot()) < 0 || !(s = malloc(sizeof(*s))))
    {
        log_warn("%s: rejected: %d control connections already open", peer, session_count);
        close(fd);
        return;
    }
    session_init(s, fd, peer, (struct reply_to){ (uint32_t)slot, ++generations[slot] }, time(NULL));
    if (service_watch_ctl(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, &s->watch))
    {
        log_warn("%s: epoll: %s", peer, strerror(errno));
        close(fd);
        free(s);
        return;
    }
    sessions[slot] = s;
    session_count++;
    if (slot >= slots_used) slots_used = slot + 1;
}

static void accept_all(int listen_fd, const struct service_config *config)
{
    for (;;)
    {
        char peer[64] = "?";
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
        add_session(fd, peer);
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

/* Reads and handles what the client sent: 0, or -1 when the session must close. */
static int read_requests(struct session *s, const struct service_config *config, struct service_stats *stats)
{
    for (;;)
    {
        ssize_t n;
        if (s->in_len == sizeof(s->in))
        {
            /* A frame never exceeds the buffer; a full one means garbage. */
            log_warn("%s: rejected: input overflow", s->peer);
            return -1;
        }
        n = recv(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, 0);
        if (n > 0)
        {
            s->in_len += (size_t)n;
            if (session_process(s, config, stats, time(NULL))) return -1;
            continue;
        }
        /* The client is gone: for a lease, that is its release. */
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return -1;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    }
}

static void serve_session(struct session *s, uint32_t events, const struct service_config *config,
                          struct service_stats *stats)
{
    int flushed;

    if (events & EPOLLIN)
    {
        if (read_requests(s, config, stats))
        {
            close_session(s);
            return;
        }
    }
    else if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
    {
        close_session(s);
        return;
    }
    flushed = flush(s);
    if (flushed < 0 || (flushed > 0 && s->state == SESSION_CLOSING))
    {
        close_session(s);
        return;
    }
    service_watch_ctl(EPOLL_CTL_MOD, s->fd, EPOLLIN | EPOLLRDHUP | (flushed ? 0 : EPOLLOUT), &s->watch);
}

static void sweep(const struct service_config *config)
{
    time_t now = time(NULL);

    for (int i = slots_used - 1; i >= 0; i--)
    {
        struct session *s = sessions[i];
        if (!s || !s->deadline || s->deadline > now) continue;
        log_warn("%s: closed: %s timed out", s->peer,
                 s->state == SESSION_HELLO ? "HELLO" : s->state == SESSION_PROOF ? "PROOF" : "request");
        close_session(s);
    }
    for (unsigned int i = 0; i < backend_count; i++)
        if (backend_table[i]->sweep) backend_table[i]->sweep(now, config);
}

static void dispatch(struct epoll_event *events, int n, int listen_fd, const struct service_config *config,
                     struct service_stats *stats)
{
    for (int i = 0; i < n; i++)
    {
        struct watch *watch = events[i].data.ptr;
        if (!watch) accept_all(listen_fd, config);
        else if (watch->gone) continue;   /* ended earlier in this batch */
        else if (!watch->owner) serve_session((struct session *)watch, events[i].events, config, stats);
        else watch->owner->event(watch, events[i].events, config);
    }
    bury_the_dead();
}

static void stop_all(void)
{
    for (int i = slots_used - 1; i >= 0; i--)
        if (sessions[i]) close_session(sessions[i]);
    for (unsigned int i = 0; i < backend_count; i++)
        if (backend_table[i]->shutdown) backend_table[i]->shutdown();
    bury_the_dead();
    free(graveyard);
    graveyard = NULL;
    graveyard_size = 0;
    close(epfd);
    epfd = -1;
}

int service_run(int listen_fd, const struct service_config *config, volatile int *stop)
{
    struct service_stats stats = { 0 };
    struct epoll_event events[64];
    time_t last_sweep = time(NULL);

    if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) return -1;
    /* NULL marks the listener. */
    if (service_watch_ctl(EPOLL_CTL_ADD, listen_fd, EPOLLIN, NULL))
    {
        close(epfd);
        epfd = -1;
        return -1;
    }
    for (unsigned int i = 0; i < backend_count; i++)
        if (backend_table[i]->open) backend_table[i]->open();
    while (!*stop)
    {
        int n = epoll_wait(epfd, events, 64, 1000);

        if (n < 0 && errno != EINTR)
        {
            log_error("epoll_wait: %s", strerror(errno));
            break;
        }
        dispatch(events, n, listen_fd, config, &stats);
        if (time(NULL) != last_sweep)
        {
            last_sweep = time(NULL);
            sweep(config);
        }
    }
    stop_all();
    return 0;
}
