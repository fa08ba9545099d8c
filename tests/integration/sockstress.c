/* A Windows program for the fault and load tests: secured (TLS) streams
 * whose every byte is checked.
 *
 *   sockstress server PORT SECONDS [COUNT]
 *       a GUARANTEE_ENCRYPTION server on 127.0.0.1:PORT; ends after COUNT
 *       connections completed (0: never) or SECONDS
 *   sockstress client PORT CONNECTIONS BYTES [halfclose]
 *       opens CONNECTIONS secured connections, holds them all, then sends
 *       BYTES on each and checks the BYTES that come back; halfclose: sends
 *       everything, shutdown(SD_SEND), then reads
 *   sockstress connect PORT
 *       one secured connect; prints its result and how long it took
 *
 * The protocol: the client sends an 8-byte header (seed, length), then
 * length bytes of stream(seed); the server checks them and answers with
 * length bytes of stream(~seed), never more than it has received.  Each
 * side regenerates the other's stream, so a lost, altered or reordered
 * byte is found.  Every 1 KiB of a stream begins with the marker
 * "SECSOCK-PLAINTXT" so that a wire recording can be searched for clear
 * text.  Lines printed: "server: ...", "client: ...", "connect: ...". */
#include <winsock2.h>
#include <mstcpip.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "secsock/securesock.h"

#define MARK "SECSOCK-PLAINTXT"
#define CHUNK 16384

struct stream { unsigned int x; unsigned long long pos; };

static unsigned char next_byte(struct stream *s)
{
    unsigned long long i = s->pos++;
    s->x = s->x * 1103515245u + 12345u;
    if ((i & 1023) < 16) return (unsigned char)MARK[i & 1023];
    return (unsigned char)(s->x >> 23);
}

struct conn
{
    SOCKET s;
    unsigned char hdr[8];
    unsigned int hdr_len, seed, len;
    unsigned long long sent, received;   /* stream bytes */
    struct stream tx, rx;
    int done, bad, shut;
};

static const char *wsa_name(int err)
{
    switch (err)
    {
    case WSAECONNREFUSED: return "WSAECONNREFUSED";
    case WSAECONNRESET: return "WSAECONNRESET";
    case WSAECONNABORTED: return "WSAECONNABORTED";
    case WSAETIMEDOUT: return "WSAETIMEDOUT";
    case WSAENETDOWN: return "WSAENETDOWN";
    case WSAENOTCONN: return "WSAENOTCONN";
    case WSAENOBUFS: return "WSAENOBUFS";
    default: return "other";
    }
}

static SOCKET secured(void)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s != INVALID_SOCKET && WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL))
    {
        printf("WSASetSocketSecurity failed: %d\n", WSAGetLastError());
        closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

static struct sockaddr_in local(unsigned short port)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(port);
    return sin;
}

static void nonblocking(SOCKET s)
{
    u_long one = 1;
    ioctlsocket(s, FIONBIO, &one);
}

/* Sends what may be sent of c's stream (limit: stream bytes allowed). */
static int pump_send(struct conn *c, unsigned long long limit)
{
    unsigned char buf[CHUNK];
    while (c->sent < limit)
    {
        struct stream save = c->tx;
        int n = (int)(limit - c->sent > CHUNK ? CHUNK : limit - c->sent), ret;
        for (int i = 0; i < n; i++) buf[i] = next_byte(&c->tx);
        ret = send(c->s, (char *)buf, n, 0);
        if (ret <= 0)
        {
            c->tx = save;
            return ret < 0 && WSAGetLastError() == WSAEWOULDBLOCK ? 0 : -1;
        }
        if (ret < n)  /* regenerate from where the send stopped */
        {
            c->tx = save;
            for (int i = 0; i < ret; i++) next_byte(&c->tx);
        }
        c->sent += ret;
    }
    return 0;
}

/* Reads and checks; returns 1 at EOF, -1 on error, 0 otherwise. */
static int pump_recv(struct conn *c)
{
    unsigned char buf[CHUNK];
    for (;;)
    {
        int ret = recv(c->s, (char *)buf, sizeof(buf), 0);
        if (ret == 0) return 1;
        if (ret < 0) return WSAGetLastError() == WSAEWOULDBLOCK ? 0 : -1;
        for (int i = 0; i < ret; i++)
        {
            if (c->hdr_len < 8)
            {
                c->hdr[c->hdr_len++] = buf[i];
                if (c->hdr_len == 8)
                {
                    memcpy(&c->seed, c->hdr, 4);
                    memcpy(&c->len, c->hdr + 4, 4);
                    c->rx.x = c->seed;
                    c->tx.x = ~c->seed;
                }
                continue;
            }
            if (buf[i] != next_byte(&c->rx)) c->bad++;
            c->received++;
        }
    }
}

static int run_server(unsigned short port, int seconds, int count)
{
    struct sockaddr_in sin = local(port);
    SOCKET l = secured();
    struct conn *conns = calloc(8192, sizeof(*conns));
    WSAPOLLFD *fds = calloc(8193, sizeof(*fds));
    DWORD end = GetTickCount() + seconds * 1000u;
    unsigned long long checked = 0;
    int n = 0, completed = 0, bad = 0, errors = 0, accepted = 0, most = 0, open = 0;

    if (l == INVALID_SOCKET || bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, SOMAXCONN))
    {
        printf("server: cannot listen: %d\n", WSAGetLastError());
        return 1;
    }
    nonblocking(l);
    printf("server: listening on port %u\n", port);
    while ((int)(end - GetTickCount()) > 0 && (!count || completed + errors < count))
    {
        int m = 0;
        fds[m].fd = l;
        fds[m++].events = POLLRDNORM;
        for (int i = 0; i < n; i++)
        {
            if (conns[i].done) continue;
            fds[m].fd = conns[i].s;
            fds[m].events = POLLRDNORM | (conns[i].sent < conns[i].received ? POLLWRNORM : 0);
            fds[m++].revents = 0;
        }
        if (WSAPoll(fds, m, 200) <= 0) continue;
        if (fds[0].revents & POLLRDNORM)
        {
            SOCKET a;
            while (n < 8192 && (a = accept(l, NULL, NULL)) != INVALID_SOCKET)
            {
                nonblocking(a);
                memset(&conns[n], 0, sizeof(conns[n]));
                conns[n++].s = a;
                accepted++;
                if (++open > most) most = open;
            }
        }
        for (int i = 0; i < n; i++)
        {
            struct conn *c = &conns[i];
            int st;
            if (c->done) continue;
            st = pump_recv(c);
            if (st >= 0 && c->hdr_len == 8 && pump_send(c, c->received) < 0) st = -1;
            if (st < 0 || (st == 1 && (c->hdr_len < 8 || c->received < c->len)) || c->received > c->len)
            {
                errors++;
                c->done = 1;
            }
            else if (c->hdr_len == 8 && c->received == c->len && c->sent == c->len)
            {
                completed++;
                c->done = 1;
                checked += c->received;
            }
            else continue;
            bad += c->bad;
            closesocket(c->s);
            open--;
        }
    }
    printf("server: accepted=%d held_at_once=%d completed=%d errors=%d bytes_checked=%llu bad_bytes=%d\n",
           accepted, most, completed, errors, checked, bad);
    return bad || errors ? 1 : 0;
}

static int run_client(unsigned short port, int count, unsigned int len, int halfclose)
{
    struct sockaddr_in sin = local(port);
    struct conn *conns = calloc(count, sizeof(*conns));
    WSAPOLLFD *fds = calloc(count, sizeof(*fds));
    unsigned long long checked = 0;
    int held = 0, completed = 0, errors = 0, bad = 0, refused = 0, last_error = 0;
    DWORD start = GetTickCount();

    for (int i = 0; i < count; i++)
    {
        struct conn *c = &conns[i];
        c->s = secured();
        if (c->s == INVALID_SOCKET || connect(c->s, (struct sockaddr *)&sin, sizeof(sin)))
        {
            last_error = WSAGetLastError();
            refused++;
            if (c->s != INVALID_SOCKET) closesocket(c->s);
            c->done = 1;
            continue;
        }
        held++;
        c->seed = (unsigned int)(GetCurrentProcessId() * 7919u + i * 104729u + 1);
        c->len = len;
        c->tx.x = c->seed;
        c->rx.x = ~c->seed;
        c->hdr_len = 8;   /* the answer has no header */
        memcpy(c->hdr, &c->seed, 4);
        memcpy(c->hdr + 4, &c->len, 4);
        if (send(c->s, (char *)c->hdr, 8, 0) != 8) c->done = -1;
        nonblocking(c->s);
    }
    printf("client: connections held at once=%d (refused %d, last error %d %s) in %lu ms\n", held, refused,
           last_error, wsa_name(last_error), (unsigned long)(GetTickCount() - start));
    for (;;)
    {
        int m = 0, st;
        for (int i = 0; i < count; i++)
        {
            if (conns[i].done) continue;
            fds[m].fd = conns[i].s;
            fds[m].events = POLLRDNORM | (conns[i].sent < len ? POLLWRNORM : 0);
            fds[m++].revents = 0;
        }
        if (!m) break;
        if (WSAPoll(fds, m, 30000) <= 0)
        {
            printf("client: no progress for 30 s\n");
            break;
        }
        for (int i = 0; i < count; i++)
        {
            struct conn *c = &conns[i];
            if (c->done) continue;
            st = 0;
            if (pump_send(c, len) < 0) st = -1;
            if (halfclose && c->sent == len && !c->shut)
            {
                shutdown(c->s, SD_SEND);
                c->shut = 1;
            }
            if (st == 0 && (!halfclose || c->shut)) st = pump_recv(c);
            if (st < 0 || (st == 1 && c->received < len))
            {
                last_error = st < 0 ? WSAGetLastError() : 0;
                errors++;
            }
            else if (c->received >= len) { completed++; checked += c->received; }
            else continue;
            c->done = 1;
            bad += c->bad;
            closesocket(c->s);
        }
    }
    for (int i = 0; i < count; i++) if (conns[i].done == -1) errors++;
    printf("client: completed=%d errors=%d (last %d %s) bytes_sent_and_checked=%llu bad_bytes=%d in %lu ms\n",
           completed, errors, last_error, wsa_name(last_error), checked, bad, (unsigned long)(GetTickCount() - start));
    return refused || errors || bad ? 1 : 0;
}

static int run_connect(unsigned short port)
{
    struct sockaddr_in sin = local(port);
    SOCKET s = secured();
    DWORD start = GetTickCount();
    int ret = connect(s, (struct sockaddr *)&sin, sizeof(sin)), err = WSAGetLastError();

    if (!ret) printf("connect: ok after %lu ms\n", (unsigned long)(GetTickCount() - start));
    else printf("connect: error %d %s after %lu ms\n", err, wsa_name(err), (unsigned long)(GetTickCount() - start));
    closesocket(s);
    return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
    WSADATA data;

    setvbuf(stdout, NULL, _IONBF, 0);
    WSAStartup(MAKEWORD(2, 2), &data);
    if (argc >= 4 && !strcmp(argv[1], "server"))
        return run_server((unsigned short)atoi(argv[2]), atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 0);
    if (argc >= 5 && !strcmp(argv[1], "client"))
        return run_client((unsigned short)atoi(argv[2]), atoi(argv[3]), (unsigned int)strtoul(argv[4], NULL, 10),
                          argc > 5 && !strcmp(argv[5], "halfclose"));
    if (argc == 3 && !strcmp(argv[1], "connect")) return run_connect((unsigned short)atoi(argv[2]));
    fprintf(stderr, "usage: sockstress server PORT SECONDS [COUNT] | client PORT CONNECTIONS BYTES [halfclose] | connect PORT\n");
    return 2;
}
