/*
 * The benchmark's server: one thread polls the listener and every echo
 * connection (WSAPoll); a bulk transfer ('T') gets a thread of its own so
 * that it never waits behind the poll loop.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench.h"

struct conn_set {
    WSAPOLLFD *fds;        /* [0] is the listener */
    unsigned char *started;  /* the command byte was read */
    ULONG count, cap;
    ULONG peak;
    unsigned long accepted;
};

static int add_conn(struct conn_set *set, SOCKET s)
{
    if (set->count == set->cap)
    {
        ULONG cap = set->cap ? set->cap * 2 : 256;
        WSAPOLLFD *fds = realloc(set->fds, cap * sizeof(*fds));
        unsigned char *started;

        if (!fds) return -1;
        set->fds = fds;
        if (!(started = realloc(set->started, cap))) return -1;
        set->started = started;
        set->cap = cap;
    }
    set->fds[set->count].fd = s;
    set->fds[set->count].events = POLLRDNORM;
    set->fds[set->count].revents = 0;
    set->started[set->count] = 0;
    set->count++;
    if (set->count - 1 > set->peak) set->peak = set->count - 1;
    return 0;
}

/* Forgets entry i (not the listener); the last entry takes its place. */
static void drop_conn(struct conn_set *set, ULONG i, int close_it)
{
    if (close_it) closesocket(set->fds[i].fd);
    set->count--;
    set->fds[i] = set->fds[set->count];
    set->started[i] = set->started[set->count];
}

static DWORD WINAPI sink_thread(void *param)
{
    SOCKET s = (SOCKET)(ULONG_PTR)param;
    char header[8], *buf = malloc(BENCH_WRITE_SIZE);
    uint64_t want, got = 0;

    if (!buf || bench_recv_all(s, header, sizeof(header))) goto done;
    want = bench_get_u64(header);
    while (got < want)
    {
        int chunk = want - got < BENCH_WRITE_SIZE ? (int)(want - got) : BENCH_WRITE_SIZE;
        int n = recv(s, buf, chunk, 0);
        if (n <= 0) break;
        got += (uint64_t)n;
    }
    bench_put_u64(header, got);
    if (!bench_send_all(s, header, sizeof(header)))
        while (recv(s, buf, BENCH_WRITE_SIZE, 0) > 0) {}  /* until the client closes */
done:
    free(buf);
    closesocket(s);
    return 0;
}

/* Entry i is readable.  Returns 1 when the server is told to quit. */
static int serve_conn(struct conn_set *set, ULONG i)
{
    SOCKET s = set->fds[i].fd;
    char buf[4096];
    int n;

    if (!set->started[i])
    {
        if (recv(s, buf, 1, 0) != 1) return drop_conn(set, i, 1), 0;
        if (buf[0] == 'Q') return drop_conn(set, i, 1), 1;
        if (buf[0] == 'T')
        {
            HANDLE thread;
            drop_conn(set, i, 0);
            if (!(thread = CreateThread(NULL, 0, sink_thread, (void *)(ULONG_PTR)s, 0, NULL))) closesocket(s);
            else CloseHandle(thread);
            return 0;
        }
        set->started[i] = 1;
        if (bench_send_all(s, buf, 1)) drop_conn(set, i, 1);
        return 0;
    }
    n = recv(s, buf, sizeof(buf), 0);
    if (n <= 0 || bench_send_all(s, buf, n)) drop_conn(set, i, 1);
    return 0;
}

int bench_server(const struct bench_target *t)
{
    struct sockaddr_in addr = { 0 };
    struct conn_set set = { 0 };
    SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    int err, quit = 0;

    if (listener == INVALID_SOCKET || (err = bench_secure(listener, t->secure)))
    {
        printf("server: cannot make the listener: %d\n", listener == INVALID_SOCKET ? WSAGetLastError() : err);
        return 1;
    }
    addr.sin_family = AF_INET;
    addr.sin_port = htons(t->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) || listen(listener, SOMAXCONN) ||
        add_conn(&set, listener))
    {
        printf("server: bind/listen on port %u failed: %d\n", t->port, WSAGetLastError());
        return 1;
    }
    printf("server: listening port=%u mode=%s\n", t->port, t->secure ? "secure" : "clear");
    while (!quit)
    {
        if (WSAPoll(set.fds, set.count, -1) < 0)
        {
            printf("server: WSAPoll failed: %d (%lu connections)\n", WSAGetLastError(), set.count - 1);
            return 1;
        }
        /* From the end: dropping entry i moves the last one, already seen. */
        for (ULONG i = set.count - 1; i >= 1 && !quit; i--)
            if (set.fds[i].revents) quit = serve_conn(&set, i);
        if (!quit && set.fds[0].revents & (POLLRDNORM | POLLERR))
        {
            SOCKET s = accept(listener, NULL, NULL);
            if (s == INVALID_SOCKET)
            {
                printf("server: accept failed: %d (%lu open)\n", WSAGetLastError(), set.count - 1);
                Sleep(10);
            }
            else if (add_conn(&set, s)) closesocket(s);
            else set.accepted++;
        }
    }
    printf("server: quit accepted=%lu peak_open=%lu\n", set.accepted, set.peak);
    return 0;
}
