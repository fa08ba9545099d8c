/* What the secure-socket conformance tests share: socket helpers in the
 * style of Wine's sock.c tests. */
#ifndef SECSOCK_CONFORMANCE_H
#define SECSOCK_CONFORMANCE_H

#include <winsock2.h>
#include <mstcpip.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "secsock/securesock.h"
#include "wine/test.h"

static int loopback(int family, SOCKADDR_STORAGE *ss, unsigned short port)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET6)
    {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr.s6_addr[15] = 1;
        sin6->sin6_port = htons(port);
        return sizeof(*sin6);
    }
    ((struct sockaddr_in *)ss)->sin_family = AF_INET;
    ((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ((struct sockaddr_in *)ss)->sin_port = htons(port);
    return sizeof(struct sockaddr_in);
}

static unsigned short port_of(const SOCKADDR_STORAGE *ss)
{
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);  /* same offset for in6 */
}

/* A listening socket on loopback; its address in *addr. */
static SOCKET listener(int family, SOCKADDR_STORAGE *addr, int *addr_len)
{
    SOCKET s = socket(family, SOCK_STREAM, IPPROTO_TCP);
    int len;

    *addr_len = loopback(family, addr, 0);
    if (s == INVALID_SOCKET) return s;
    len = *addr_len;
    if (bind(s, (struct sockaddr *)addr, len) || listen(s, 16) || getsockname(s, (struct sockaddr *)addr, &len))
    {
        closesocket(s);
        return INVALID_SOCKET;
    }
    *addr_len = len;
    return s;
}

/* Whether the machine has IPv6 loopback. */
static int have_ipv6(void)
{
    SOCKADDR_STORAGE ss;
    int len;
    SOCKET s = listener(AF_INET6, &ss, &len);
    if (s == INVALID_SOCKET) return 0;
    closesocket(s);
    return 1;
}

static void set_blocking(SOCKET s, int blocking)
{
    u_long nonblocking = !blocking;
    ioctlsocket(s, FIONBIO, &nonblocking);
}

/* Waits up to ms for s to become readable (a connection to accept). */
static int readable(SOCKET s, int ms)
{
    fd_set set;
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    FD_ZERO(&set);
    FD_SET(s, &set);
    return select(0, &set, NULL, NULL, &tv) == 1;
}

/* A plain (not secsock) server that a secured client may reach: secsock
 * tries TLS with any peer when clear text is not allowed, so the peer sees
 * a connection and a TLS ClientHello; it must never see an application
 * byte.  The thread takes each connection, reads what arrives first, and
 * closes it as a plain server does with bytes it cannot parse. */
struct plain_peer {
    SOCKET listener;
    HANDLE thread;
    volatile LONG stop;
    volatile LONG connections;   /* taken */
    volatile LONG not_tls;       /* whose first byte was not a TLS handshake record (22) */
    volatile LONG marker_seen;   /* in which the marker arrived */
    char marker[32];
};

static DWORD WINAPI plain_peer_thread(void *arg)
{
    struct plain_peer *p = arg;
    char buf[8192];

    while (!p->stop)
    {
        SOCKET a;
        int n;
        if (!readable(p->listener, 100)) continue;
        if ((a = accept(p->listener, NULL, NULL)) == INVALID_SOCKET) continue;
        InterlockedIncrement(&p->connections);
        n = readable(a, 3000) ? recv(a, buf, sizeof(buf) - 1, 0) : 0;
        if (n > 0)
        {
            buf[n] = 0;
            if ((unsigned char)buf[0] != 22) InterlockedIncrement(&p->not_tls);
            for (int i = 0; i + (int)strlen(p->marker) <= n; i++)
                if (!memcmp(buf + i, p->marker, strlen(p->marker))) { InterlockedIncrement(&p->marker_seen); break; }
        }
        closesocket(a);
    }
    return 0;
}

static void plain_peer_start(struct plain_peer *p, SOCKET l, const char *marker)
{
    memset(p, 0, sizeof(*p));
    p->listener = l;
    strncpy(p->marker, marker, sizeof(p->marker) - 1);
    set_blocking(l, 0);
    p->thread = CreateThread(NULL, 0, plain_peer_thread, p, 0, NULL);
}

/* Stops the thread; checks that the peer got no application byte. */
static void plain_peer_stop(struct plain_peer *p, int line)
{
    p->stop = 1;
    WaitForSingleObject(p->thread, 5000);
    CloseHandle(p->thread);
    set_blocking(p->listener, 1);
    ok_(__FILE__, line)(!p->marker_seen, "the plain peer received the application's bytes (%ld of %ld connections)\n",
                        p->marker_seen, p->connections);
    ok_(__FILE__, line)(!p->not_tls, "the plain peer received something other than a TLS handshake (%ld of %ld)\n",
                        p->not_tls, p->connections);
}
#define plain_peer_stop(p) plain_peer_stop(p, __LINE__)

/* A non-blocking connect that was refused: WSAEWOULDBLOCK, then the
 * failure through select's except set, with SO_ERROR err. */
static void check_refused_async(SOCKET s, const struct sockaddr *addr, int len, int err, int line)
{
    fd_set wset, eset;
    struct timeval tv = { 20, 0 };
    int ret = connect(s, addr, len), so_error = 0, so_len = sizeof(so_error);

    ok_(__FILE__, line)(ret == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK,
                        "non-blocking connect: %d, error %d\n", ret, WSAGetLastError());
    FD_ZERO(&wset);
    FD_ZERO(&eset);
    FD_SET(s, &wset);
    FD_SET(s, &eset);
    ret = select(0, NULL, &wset, &eset, &tv);
    ok_(__FILE__, line)(ret == 1 && FD_ISSET(s, &eset) && !FD_ISSET(s, &wset), "select: %d, except %d, write %d\n",
                        ret, FD_ISSET(s, &eset), FD_ISSET(s, &wset));
    getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&so_error, &so_len);
    ok_(__FILE__, line)(so_error == err, "SO_ERROR %d, expected %d\n", so_error, err);
}
#define check_refused_async(s, a, l, e) check_refused_async(s, a, l, e, __LINE__)

/* A server: each connection its listener accepts is served by serve (a
 * thread each) until the listener is closed.  Returns the accepting
 * thread. */
struct accept_each {
    SOCKET listener;
    LPTHREAD_START_ROUTINE serve;   /* gets the accepted SOCKET */
};

static DWORD WINAPI accept_each_thread(void *arg)
{
    struct accept_each *ae = arg;
    SOCKET a;

    while ((a = accept(ae->listener, NULL, NULL)) != INVALID_SOCKET)
    {
        HANDLE t = CreateThread(NULL, 0, ae->serve, (void *)a, 0, NULL);
        if (t) CloseHandle(t);
        else closesocket(a);
    }
    return 0;
}

static HANDLE start_accept_each(struct accept_each *ae, SOCKET listener, LPTHREAD_START_ROUTINE serve)
{
    ae->listener = listener;
    ae->serve = serve;
    return CreateThread(NULL, 0, accept_each_thread, ae, 0, NULL);
}

/* Whether the runner's TLS service trusts its own identity on loopback
 * (it says so with SECSOCK_TLS_TRUSTED=1); if not, the skip says why. */
static BOOL loopback_trusted(void)
{
    char trusted[8];

    if (GetEnvironmentVariableA("SECSOCK_TLS_TRUSTED", trusted, sizeof(trusted)) && !strcmp(trusted, "1")) return TRUE;
    skip("the runner did not trust this service's identity on loopback (SECSOCK_TLS_TRUSTED=1)\n");
    return FALSE;
}

static SOCKET secured_socket(int family, int type, ULONG flags)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, flags };
    SOCKET s = socket(family, type, type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
    int ret = WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL);
    ok(!ret, "WSASetSocketSecurity(flags %#lx) failed: %d\n", flags, WSAGetLastError());
    return s;
}

/* A SOCKET_PEER_TARGET_NAME for name; string_len as given (characters or
 * bytes); *len = the buffer length to pass. */
static SOCKET_PEER_TARGET_NAME *make_target(const WCHAR *name, ULONG string_len, ULONG *len, size_t extra)
{
    size_t n = wcslen(name);
    SOCKET_PEER_TARGET_NAME *t = calloc(1, sizeof(*t) + n * sizeof(WCHAR) + extra);
    t->SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    t->PeerTargetNameStringLen = string_len;
    memcpy(t->AllStrings, name, n * sizeof(WCHAR));
    *len = (ULONG)(sizeof(*t) + n * sizeof(WCHAR) + extra);
    return t;
}

/* call must fail with SOCKET_ERROR and the Windows error expect. */
#define check_error(call, expect) \
    do { \
        int ret_; \
        WSASetLastError(0xdeadbeef); \
        ret_ = (call); \
        ok(ret_ == SOCKET_ERROR && WSAGetLastError() == (expect), "%s: got %d, error %d; expected error %d\n", \
           #call, ret_, WSAGetLastError(), (expect)); \
    } while (0)

/* Runs the TCP and UDP tests of a program for IPv4, and IPv6 when there is an IPv6 loopback. */
static void for_each_family(void (*tcp)(int family), void (*udp)(int family))
{
    for (int i = 0; i < 2; i++)
    {
        int family = i ? AF_INET6 : AF_INET;
        if (family == AF_INET6 && !have_ipv6())
        {
            skip("no IPv6 loopback\n");
            continue;
        }
        tcp(family);
        udp(family);
    }
}

static void startup(void)
{
    WSADATA data;
    int ret = WSAStartup(MAKEWORD(2, 2), &data);
    ok(!ret, "WSAStartup failed: %d\n", ret);
}

#endif
