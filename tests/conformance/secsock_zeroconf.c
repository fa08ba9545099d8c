/* Secured connections with nothing configured (issue 11): the runner's
 * default service has no peers file and trusts no other CA; it makes its
 * own CA and an identity naming this host, localhost, 127.0.0.1 and ::1,
 * and trusts that CA.  So a secured server and a secured client of the
 * same user on loopback reach each other with no set-up at all:
 *   - GUARANTEE_ENCRYPTION on both ends, IPv4 and IPv6: the connection is
 *     made, bytes go both ways, WSAQuerySocketSecurity says
 *     SECURED|ENCRYPTED on both ends;
 *   - a peer target name the identity carries ("localhost",
 *     "host/localhost", the loopback address) works;
 *   - a wrong one ("host/not-this-host.invalid") fails closed: the
 *     client's connect fails with WSAECONNREFUSED and the server program
 *     accepts nothing;
 *   - a server that names its clients (a target name on the listening
 *     socket) takes a client whose certificate carries the name, and none
 *     whose does not. */
#include "secsock_test.h"

#define WAIT_MS 15000

static const char request[] = "zeroconf request: client to server";
static const char reply[] = "zeroconf reply: server to client";

/* SECURED|ENCRYPTED flags of a connected socket, or -1. */
static LONG protection(SOCKET s)
{
    SOCKET_SECURITY_QUERY_INFO info;
    ULONG len = sizeof(info);

    if (WSAQuerySocketSecurity(s, NULL, 0, &info, &len, NULL, NULL)) return -1;
    return (LONG)info.Flags;
}

/* An ASCII target name for messages (a few at a time). */
static const char *narrow(const WCHAR *name)
{
    static char bufs[4][128];
    static int next;
    char *b = bufs[next++ % 4];
    int i;

    if (!name) return "none";
    for (i = 0; name[i] && i < 127; i++) b[i] = name[i] < 128 ? (char)name[i] : '?';
    b[i] = 0;
    return b;
}

#define SECURED_ENCRYPTED (SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED)

/* Sets a target name on s, laid out as Microsoft's SecureTcpConnect does. */
static void set_target(SOCKET s, const WCHAR *name, int line)
{
    SOCKET_PEER_TARGET_NAME *t;
    ULONG len;
    int ret;

    t = make_target(name, (ULONG)wcslen(name), &len, 0);
    ret = WSASetSocketPeerTargetName(s, t, len, NULL, NULL);
    ok_(__FILE__, line)(!ret, "WSASetSocketPeerTargetName(%s): %d\n", narrow(name), WSAGetLastError());
    free(t);
}

/* What the server thread saw of the one connection it takes. */
struct server {
    SOCKET listener;
    HANDLE thread;
    volatile DWORD deadline;   /* GetTickCount() after which it stops waiting */
    LONG accepted;        /* 1 when a connection reached the program */
    LONG flags;           /* its WSAQuerySocketSecurity flags */
    char received[64];
    int sent;             /* bytes of reply sent */
};

static DWORD WINAPI serve_one(void *arg)
{
    struct server *srv = arg;
    SOCKET a;
    int got = 0, n;

    while (!readable(srv->listener, 100))
        if ((LONG)(GetTickCount() - srv->deadline) >= 0) return 0;
    if ((a = accept(srv->listener, NULL, NULL)) == INVALID_SOCKET) return 0;
    srv->accepted = 1;
    srv->flags = protection(a);
    while (got < (int)strlen(request) &&
           (n = recv(a, srv->received + got, (int)sizeof(srv->received) - 1 - got, 0)) > 0)
        got += n;
    srv->received[got] = 0;
    srv->sent = send(a, reply, (int)strlen(reply), 0);
    shutdown(a, SD_SEND);
    while (recv(a, srv->received + got, 1, 0) > 0) {}
    closesocket(a);
    return 0;
}

/* A secured (GUARANTEE_ENCRYPTION) listener on loopback of family, with a
 * target name its clients must carry when server_target is not NULL; a
 * thread takes one connection. */
static void server_start(struct server *srv, int family, const WCHAR *server_target, SOCKADDR_STORAGE *addr,
                         int *len)
{
    int n;

    memset(srv, 0, sizeof(*srv));
    srv->listener = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    if (server_target) set_target(srv->listener, server_target, __LINE__);
    *len = loopback(family, addr, 0);
    ok(!bind(srv->listener, (struct sockaddr *)addr, *len), "bind: %d\n", WSAGetLastError());
    ok(!listen(srv->listener, 5), "listen: %d\n", WSAGetLastError());
    n = *len;
    ok(!getsockname(srv->listener, (struct sockaddr *)addr, &n), "getsockname: %d\n", WSAGetLastError());
    srv->deadline = GetTickCount() + WAIT_MS;
    srv->thread = CreateThread(NULL, 0, serve_one, srv, 0, NULL);
}

static void server_stop(struct server *srv)
{
    ok(WaitForSingleObject(srv->thread, WAIT_MS) == WAIT_OBJECT_0, "the server thread did not end\n");
    CloseHandle(srv->thread);
    closesocket(srv->listener);
}

/* The client was refused: a connection that would still reach the
 * program has two seconds more to show up. */
static void server_expect_none(struct server *srv)
{
    srv->deadline = GetTickCount() + 2000;
    server_stop(srv);
}

/* A secured pair that must work: both ends SECURED|ENCRYPTED, the request
 * and the reply intact. */
static void test_pair(int family, const WCHAR *client_target, const WCHAR *server_target)
{
    struct server srv;
    SOCKADDR_STORAGE addr;
    char buf[64];
    int len, got = 0, n;
    SOCKET s;

    winetest_push_context("IPv%d, client target %s, server target %s", family == AF_INET6 ? 6 : 4,
                          narrow(client_target), narrow(server_target));
    server_start(&srv, family, server_target, &addr, &len);
    s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    if (client_target) set_target(s, client_target, __LINE__);
    if (!connect(s, (struct sockaddr *)&addr, len))
    {
        ok(protection(s) == SECURED_ENCRYPTED, "client end: %ld, not SECURED|ENCRYPTED\n", protection(s));
        ok(send(s, request, (int)strlen(request), 0) == (int)strlen(request), "send: %d\n", WSAGetLastError());
        while (got < (int)sizeof(buf) - 1 && (n = recv(s, buf + got, (int)sizeof(buf) - 1 - got, 0)) > 0) got += n;
        buf[got] = 0;
        ok(!strcmp(buf, reply), "the client received \"%s\", not the server's reply\n", buf);
    }
    else ok(0, "connect: %d\n", WSAGetLastError());
    closesocket(s);
    server_stop(&srv);
    ok(srv.accepted, "the server program accepted no connection\n");
    ok(srv.flags == SECURED_ENCRYPTED, "server end: %ld, not SECURED|ENCRYPTED\n", srv.flags);
    ok(!strcmp(srv.received, request), "the server received \"%s\", not the client's request\n", srv.received);
    ok(srv.sent == (int)strlen(reply), "the server's reply: send %d\n", srv.sent);
    winetest_pop_context();
}

/* The client names a peer the server's certificate does not carry: the
 * connect fails closed, and the server program sees nothing. */
static void test_wrong_client_target(int family, const WCHAR *client_target)
{
    struct server srv;
    SOCKADDR_STORAGE addr;
    int len;
    SOCKET s;

    winetest_push_context("IPv%d, wrong client target %s", family == AF_INET6 ? 6 : 4, narrow(client_target));
    server_start(&srv, family, NULL, &addr, &len);
    s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    set_target(s, client_target, __LINE__);
    check_error(connect(s, (struct sockaddr *)&addr, len), WSAECONNREFUSED);
    closesocket(s);
    server_expect_none(&srv);
    ok(!srv.accepted, "the server program accepted a connection of a refused client\n");
    ok(!srv.received[0], "the server program received \"%s\"\n", srv.received);
    winetest_pop_context();
}

/* The server names its clients, and this client's certificate does not
 * carry the name: nothing reaches the server program, and the client gets
 * no reply (its connect fails, or the connection ends without one). */
static void test_wrong_server_target(int family, const WCHAR *server_target)
{
    struct server srv;
    SOCKADDR_STORAGE addr;
    char buf[64];
    int len, n = -1;
    SOCKET s;

    winetest_push_context("IPv%d, wrong server target %s", family == AF_INET6 ? 6 : 4, narrow(server_target));
    server_start(&srv, family, server_target, &addr, &len);
    s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    if (!connect(s, (struct sockaddr *)&addr, len))
    {
        send(s, request, (int)strlen(request), 0);
        n = recv(s, buf, sizeof(buf), 0);
        ok(n <= 0, "the client got %d bytes from a server that refused it\n", n);
        trace("the client's connect succeeded, then the connection ended (recv %d, error %d)\n", n, WSAGetLastError());
    }
    else ok(WSAGetLastError() == WSAECONNREFUSED, "connect: error %d\n", WSAGetLastError());
    closesocket(s);
    server_expect_none(&srv);
    ok(!srv.accepted, "the server program accepted a client whose certificate lacks its target name\n");
    ok(!srv.received[0], "the server program received \"%s\"\n", srv.received);
    winetest_pop_context();
}

static void test_family(int family)
{
    const WCHAR *address = family == AF_INET6 ? L"::1" : L"127.0.0.1";

    test_pair(family, NULL, NULL);
    test_pair(family, L"localhost", NULL);
    test_pair(family, L"host/localhost", NULL);
    test_pair(family, address, NULL);
    if (family == AF_INET6) test_pair(family, L"host/[::1]:80", NULL);
    test_wrong_client_target(family, L"host/not-this-host.invalid");
    test_wrong_client_target(family, L"not-this-host.invalid");
    test_pair(family, NULL, L"localhost");
    test_pair(family, L"host/localhost", L"host/localhost");
    test_wrong_server_target(family, L"host/not-this-host.invalid");
}

START_TEST(secsock_zeroconf)
{
    startup();
    test_family(AF_INET);
    if (have_ipv6()) test_family(AF_INET6);
    else skip("no IPv6 loopback\n");
    WSACleanup();
}
