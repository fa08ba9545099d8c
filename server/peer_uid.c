/* The uid behind a loopback TCP connection, from /proc/net/tcp. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "peer_uid.h"
#include "sock_diag.h"

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Reads exactly n hex digits at *p (bounded by end). */
static int parse_hex(const char **p, const char *end, int n, uint32_t *out)
{
    uint32_t v = 0;

    if (end - *p < n) return -1;
    for (int i = 0; i < n; i++)
    {
        int d = hexdigit((*p)[i]);
        if (d < 0) return -1;
        v = v << 4 | (uint32_t)d;
    }
    *p += n;
    *out = v;
    return 0;
}

/* "0100007F:1F90": the kernel prints the address as the host-order value
 * of its network-order bytes, so copying the value back gives the bytes.
 * An IPv6 address is four such 32-bit words (32 digits). */
static int parse_endpoint(const char **p, const char *end, struct tcp_endpoint *ep)
{
    uint32_t word, port;
    int words = 0;

    memset(ep, 0, sizeof(*ep));
    while (words < 4 && *p < end && **p != ':')
    {
        if (parse_hex(p, end, 8, &word)) return -1;
        memcpy(ep->addr + 4 * words++, &word, 4);
    }
    if ((words != 1 && words != 4) || *p >= end || **p != ':') return -1;
    (*p)++;
    if (parse_hex(p, end, 4, &port)) return -1;
    ep->port = (uint16_t)port;
    ep->v6 = words == 4;
    return 0;
}

static void skip_spaces(const char **p, const char *end)
{
    while (*p < end && **p == ' ') (*p)++;
}

static int skip_field(const char **p, const char *end)
{
    skip_spaces(p, end);
    if (*p >= end || **p == '\n') return -1;
    while (*p < end && **p != ' ' && **p != '\n') (*p)++;
    return 0;
}

static int same(const struct tcp_endpoint *a, const struct tcp_endpoint *b)
{
    return a->port == b->port && a->v6 == b->v6 && !memcmp(a->addr, b->addr, a->v6 ? 16 : 4);
}

/* One line: "sl: local remote st tx:rx tr:when retr uid ..." */
static int parse_line(const char *p, const char *end, struct tcp_endpoint *local, struct tcp_endpoint *remote,
                      uint32_t *uid)
{
    uint64_t v = 0;
    int digits = 0;

    if (skip_field(&p, end)) return -1;                 /* sl: */
    skip_spaces(&p, end);
    if (parse_endpoint(&p, end, local)) return -1;
    skip_spaces(&p, end);
    if (parse_endpoint(&p, end, remote)) return -1;
    for (int i = 0; i < 4; i++) if (skip_field(&p, end)) return -1;  /* st tx:rx tr:when retrnsmt */
    skip_spaces(&p, end);
    while (p < end && *p >= '0' && *p <= '9' && digits < 10)
    {
        v = v * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    if (!digits || v > UINT32_MAX || (p < end && *p != ' ' && *p != '\n')) return -1;
    *uid = (uint32_t)v;
    return 0;
}

/* Walks the lines after the header; returns the first for which match()
 * holds (its uid in *uid), or -1. */
static int find_line(const char *text, size_t len,
                     int (*match)(const struct tcp_endpoint *l, const struct tcp_endpoint *r, const void *ctx),
                     const void *ctx, uint32_t *uid)
{
    const char *p = text, *end = text + len;

    while (p < end)
    {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        struct tcp_endpoint l, r;
        uint32_t u;

        if (p != text && !parse_line(p, line_end, &l, &r, &u) && match(&l, &r, ctx))
        {
            *uid = u;
            return 0;
        }
        p = eol ? eol + 1 : end;
    }
    return -1;
}

struct tuple { const struct tcp_endpoint *local, *remote; };

static int is_tuple(const struct tcp_endpoint *l, const struct tcp_endpoint *r, const void *ctx)
{
    const struct tuple *t = ctx;
    return same(l, t->local) && same(r, t->remote);
}

static int has_local_port(const struct tcp_endpoint *l, const struct tcp_endpoint *r, const void *ctx)
{
    (void)r;
    return l->port == *(const uint16_t *)ctx;
}

int proc_net_tcp_find_uid(const char *text, size_t len, const struct tcp_endpoint *local,
                          const struct tcp_endpoint *remote, uint32_t *uid)
{
    struct tuple t = { local, remote };
    return find_line(text, len, is_tuple, &t, uid);
}

int proc_net_tcp_port_in_use(const char *text, size_t len, uint16_t port)
{
    uint32_t uid;
    return !find_line(text, len, has_local_port, &port, &uid);
}

/* The whole of /proc/net/tcp or tcp6; NULL on failure.  Free it. */
static char *read_proc_net_tcp(int v6, size_t *len_out)
{
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap), *grown;
    ssize_t n;
    int fd;

    if (!text) return NULL;
    if ((fd = open(v6 ? "/proc/net/tcp6" : "/proc/net/tcp", O_RDONLY | O_CLOEXEC)) < 0)
    {
        free(text);
        return NULL;
    }
    while ((n = read(fd, text + len, cap - len)) > 0)
    {
        len += (size_t)n;
        if (len == cap)
        {
            if (cap >= (64u << 20) || !(grown = realloc(text, cap * 2))) break;
            text = grown;
            cap *= 2;
        }
    }
    close(fd);
    *len_out = len;
    return text;
}

int local_port_in_use(int v6, uint16_t port)
{
    size_t len;
    char *text = read_proc_net_tcp(v6, &len);
    int ret;

    if (!text) return -1;
    ret = proc_net_tcp_port_in_use(text, len, port);
    free(text);
    return ret;
}

int peer_uid_lookup(const struct tcp_endpoint *peer_local, const struct tcp_endpoint *peer_remote, uint32_t *uid)
{
    int diag = sock_diag_uid(peer_local, peer_remote, uid), ret;
    size_t len;
    char *text;

    /* The exact lookup answers for any number of sockets; /proc is the
     * fallback when the kernel cannot be asked (no inet_diag). */
    if (!diag) return 0;
    if (diag == -ENOENT)
    {
        errno = ENOENT;
        return -1;
    }
    if (!(text = read_proc_net_tcp(peer_local->v6, &len))) return -1;
    ret = proc_net_tcp_find_uid(text, len, peer_local, peer_remote, uid);
    free(text);
    if (ret) errno = ENOENT;
    return ret;
}

int peer_uid_of_connection(int fd, uint32_t *uid, char *peer, size_t peer_len)
{
    struct sockaddr_storage them, us;
    socklen_t len = sizeof(them);
    struct tcp_endpoint local, remote;
    char text[INET6_ADDRSTRLEN] = "?";

    if (getpeername(fd, (struct sockaddr *)&them, &len) ||
        (them.ss_family != AF_INET && them.ss_family != AF_INET6))
        return -1;
    len = sizeof(us);
    if (getsockname(fd, (struct sockaddr *)&us, &len) || us.ss_family != them.ss_family) return -1;
    /* Its socket's local end is our remote end, and the other way round. */
    memset(&local, 0, sizeof(local));
    memset(&remote, 0, sizeof(remote));
    if (them.ss_family == AF_INET6)
    {
        const struct sockaddr_in6 *t = (const struct sockaddr_in6 *)&them, *u = (const struct sockaddr_in6 *)&us;
        memcpy(local.addr, &t->sin6_addr, 16);
        local.port = ntohs(t->sin6_port);
        memcpy(remote.addr, &u->sin6_addr, 16);
        remote.port = ntohs(u->sin6_port);
        local.v6 = remote.v6 = 1;
        inet_ntop(AF_INET6, &t->sin6_addr, text, sizeof(text));
    }
    else
    {
        const struct sockaddr_in *t = (const struct sockaddr_in *)&them, *u = (const struct sockaddr_in *)&us;
        memcpy(local.addr, &t->sin_addr, 4);
        local.port = ntohs(t->sin_port);
        memcpy(remote.addr, &u->sin_addr, 4);
        remote.port = ntohs(u->sin_port);
        inet_ntop(AF_INET, &t->sin_addr, text, sizeof(text));
    }
    if (peer) snprintf(peer, peer_len, "%s:%u", text, local.port);
    return peer_uid_lookup(&local, &remote, uid);
}
