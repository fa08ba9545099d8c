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
