/* The VICI transport: a UNIX stream socket to charon, packets read and
 * written whole under a deadline, events dispatched while waiting. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "unix/vici_client.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int why(struct vici_client *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why(struct vici_client *c, int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
    va_end(ap);
    return status;
}

/* Marks the stream unusable: part of a packet may be in flight. */
static int breaks(struct vici_client *c, int status)
{
    if (!c->broken) c->broken = status;
    return status;
}

int vici_client_open(struct vici_client *c, const char *path, int timeout_ms)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    const char *env = getenv(VICI_SOCKET_ENV);

    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    c->limits = vici_default_limits;
    if (!path) path = env && *env ? env : VICI_DEFAULT_SOCKET;
    if (!strncmp(path, "unix://", 7)) path += 7;
    if (strlen(path) >= sizeof(sun.sun_path))
    {
        c->broken = VICI_E_IO;
        c->sys_errno = ENAMETOOLONG;
        return why(c, VICI_E_IO, "socket path too long: %s", path);
    }
    strcpy(sun.sun_path, path);
    if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
    {
        c->sys_errno = errno;
        c->broken = VICI_E_IO;
        if (c->fd >= 0) close(c->fd);
        c->fd = -1;
        return why(c, VICI_E_IO, "cannot connect to %s: %s", path, strerror(c->sys_errno));
    }
    return VICI_OK;
}

void vici_client_close(struct vici_client *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    free(c->rx);
    c->rx = NULL;
    c->rx_cap = 0;
    c->broken = VICI_E_CLOSED;
}

void vici_client_on_event(struct vici_client *c, vici_event_fn fn, void *ctx)
{
    c->on_event = fn;
    c->event_ctx = ctx;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_ready(struct vici_client *c, short events, long long deadline)
{
    struct pollfd pfd = { .fd = c->fd, .events = events };

    for (;;)
    {
        long long left = deadline - now_ms();
        int n;

        if (left <= 0) return breaks(c, why(c, VICI_E_TIMEOUT, "charon did not answer in time"));
        n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0) return VICI_OK;
        if (n < 0 && errno != EINTR)
        {
            c->sys_errno = errno;
            return breaks(c, why(c, VICI_E_IO, "poll: %s", strerror(errno)));
        }
    }
}

static int send_all(struct vici_client *c, const uint8_t *data, size_t len, long long deadline)
{
    while (len)
    {
        ssize_t n;
        int st;

        if ((st = wait_ready(c, POLLOUT, deadline))) return st;
        n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n < 0)
        {
            c->sys_errno = errno;
            return breaks(c, why(c, errno == EPIPE ? VICI_E_CLOSED : VICI_E_IO, "send: %s", strerror(errno)));
        }
        data += n;
        len -= (size_t)n;
    }
    return VICI_OK;
}

static int recv_all(struct vici_client *c, uint8_t *data, size_t len, long long deadline)
{
    while (len)
    {
        ssize_t n;
        int st;

        if ((st = wait_ready(c, POLLIN, deadline))) return st;
        n = recv(c->fd, data, len, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n == 0) return breaks(c, why(c, VICI_E_CLOSED, "charon closed the connection"));
        if (n < 0)
        {
            c->sys_errno = errno;
            return breaks(c, why(c, VICI_E_IO, "recv: %s", strerror(errno)));
        }
        data += n;
        len -= (size_t)n;
    }
    return VICI_OK;
}

/* Reads one whole packet into c->rx; p points into it until the next read. */
static int read_packet(struct vici_client *c, struct vici_packet *p, long long deadline)
{
    uint8_t prefix[VICI_LENGTH_PREFIX];
    uint32_t len;
    int st;

    if ((st = recv_all(c, prefix, sizeof(prefix), deadline))) return st;
    if ((st = vici_segment_length(prefix, VICI_MAX_SEGMENT, &len)))
        return breaks(c, why(c, st, "bad packet length from charon: %s", vici_strerror(st)));
    if (len > c->rx_cap)
    {
        uint8_t *rx = realloc(c->rx, len);
        if (!rx) return breaks(c, why(c, VICI_E_NOMEM, "no memory for a %u-byte packet", (unsigned)len));
        c->rx = rx;
        c->rx_cap = len;
    }
    if ((st = recv_all(c, c->rx, len, deadline))) return st;
    /* The framing stays intact after a bad packet, but a peer that sends
     * one is not to be trusted further. */
    if ((st = vici_packet_parse(c->rx, len, p)))
        return breaks(c, why(c, st, "bad packet from charon: %s", vici_strerror(st)));
    return VICI_OK;
}

static int dispatch_event(struct vici_client *c, const struct vici_packet *p)
{
    struct vici_tree tree;
    int st = vici_tree_parse(p->msg, p->msg_len, &c->limits, &tree);

    if (st) return breaks(c, why(c, st, "bad '%s' event from charon: %s", p->name, vici_strerror(st)));
    if (c->on_event) c->on_event(c->event_ctx, p->name, tree.root);
    vici_tree_free(&tree);
    return VICI_OK;
}

static int usable(struct vici_client *c)
{
    if (c->broken) return why(c, c->broken, "connection unusable after: %s", vici_strerror(c->broken));
    c->errmsg[0] = 0;
    return VICI_OK;
}

/* Sends a packet and reads until the answer, dispatching events. */
static int exchange(struct vici_client *c, const uint8_t *packet, size_t len, long long deadline,
                    struct vici_packet *answer)
{
    int st;

    if ((st = send_all(c, packet, len, deadline))) return st;
    for (;;)
    {
        if ((st = read_packet(c, answer, deadline))) return st;
        if (answer->type != VICI_EVENT) return VICI_OK;
        if ((st = dispatch_event(c, answer))) return st;
    }
}

int vici_client_call_waiting(struct vici_client *c, const uint8_t *packet, size_t len, struct vici_tree *reply,
                             int extra_ms)
{
    struct vici_packet p;
    struct vici_tree tree;
    int st;

    if (reply) reply->root = NULL, reply->storage = NULL;
    if ((st = usable(c))) return st;
    if (len < VICI_LENGTH_PREFIX + 1 || packet[VICI_LENGTH_PREFIX] != VICI_CMD_REQUEST)
        return why(c, VICI_E_USAGE, "not a CMD_REQUEST packet");
    if ((st = exchange(c, packet, len, now_ms() + c->timeout_ms + (extra_ms > 0 ? extra_ms : 0), &p))) return st;
    if (p.type == VICI_CMD_UNKNOWN) return why(c, VICI_E_UNKNOWN_CMD, "charon does not know this command");
    if (p.type != VICI_CMD_RESPONSE)
        return breaks(c, why(c, VICI_E_UNEXPECTED, "%s in answer to a command", vici_packet_type_name(p.type)));
    if ((st = vici_tree_parse(p.msg, p.msg_len, &c->limits, &tree)))
        return breaks(c, why(c, st, "bad response from charon: %s", vici_strerror(st)));
    if (reply) *reply = tree;
    else vici_tree_free(&tree);
    return VICI_OK;
}

int vici_client_call(struct vici_client *c, const uint8_t *packet, size_t len, struct vici_tree *reply)
{
    return vici_client_call_waiting(c, packet, len, reply, 0);
}

int vici_client_command(struct vici_client *c, const char *command, struct vici_tree *reply)
{
    uint8_t buf[VICI_LENGTH_PREFIX + 2 + VICI_MAX_NAME];
    struct vici_builder b;
    const uint8_t *out;
    size_t len;
    int st;

    vici_builder_init_fixed(&b, buf, sizeof(buf));
    vici_begin_packet(&b, VICI_CMD_REQUEST, command);
    if ((st = vici_builder_finish(&b, &out, &len))) return why(c, st, "invalid command name");
    return vici_client_call(c, out, len, reply);
}

static int event_registration(struct vici_client *c, enum vici_packet_type type, const char *event)
{
    uint8_t buf[VICI_LENGTH_PREFIX + 2 + VICI_MAX_NAME];
    struct vici_builder b;
    struct vici_packet p;
    const uint8_t *out;
    size_t len;
    int st;

    if ((st = usable(c))) return st;
    vici_builder_init_fixed(&b, buf, sizeof(buf));
    vici_begin_packet(&b, type, event);
    if ((st = vici_builder_finish(&b, &out, &len))) return why(c, st, "invalid event name");
    if ((st = exchange(c, out, len, now_ms() + c->timeout_ms, &p))) return st;
    if (p.type == VICI_EVENT_CONFIRM) return VICI_OK;
    if (p.type == VICI_EVENT_UNKNOWN) return why(c, VICI_E_UNKNOWN_EVENT, "charon has no event '%s'", event);
    return breaks(c, why(c, VICI_E_UNEXPECTED, "%s in answer to an event registration",
                         vici_packet_type_name(p.type)));
}

int vici_client_register(struct vici_client *c, const char *event)
{
    return event_registration(c, VICI_EVENT_REGISTER, event);
}

int vici_client_unregister(struct vici_client *c, const char *event)
{
    return event_registration(c, VICI_EVENT_UNREGISTER, event);
}

int vici_client_wait_event(struct vici_client *c, int timeout_ms)
{
    struct pollfd pfd;
    struct vici_packet p;
    int st, n;

    if ((st = usable(c))) return st;
    /* Nothing arriving in time is no fault of the stream: poll first so a
     * quiet socket times out without breaking the connection. */
    pfd.fd = c->fd;
    pfd.events = POLLIN;
    do n = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n == 0) return why(c, VICI_E_TIMEOUT, "no event within %d ms", timeout_ms);
    if (n < 0)
    {
        c->sys_errno = errno;
        return breaks(c, why(c, VICI_E_IO, "poll: %s", strerror(errno)));
    }
    if ((st = read_packet(c, &p, now_ms() + c->timeout_ms))) return st;
    if (p.type != VICI_EVENT)
        return breaks(c, why(c, VICI_E_UNEXPECTED, "%s while waiting for an event", vici_packet_type_name(p.type)));
    return dispatch_event(c, &p);
}
