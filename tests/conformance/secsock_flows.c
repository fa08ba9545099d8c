/* Connections of secured sockets, after the Microsoft samples
 * (SecureTcpConnect, SecureTcpAcceptConnection), with a peer that cannot
 * be secured (a plain program): GUARANTEE_ENCRYPTION and "no flag" fail
 * closed (secsock tries TLS, the peer cannot answer it, not one application
 * byte reaches it) and ALLOW_INSECURE goes on in clear text, byte for
 * byte. */
#include "secsock_test.h"

static const char sample_request[] = "12345678", sample_reply[] = "91011121314";


/* Nothing reached a plain listener. */
static void check_no_connection(SOCKET l, int line)
{
    SOCKET a;
    set_blocking(l, 0);
    a = accept(l, NULL, NULL);
    ok_(__FILE__, line)(a == INVALID_SOCKET && WSAGetLastError() == WSAEWOULDBLOCK,
                        "a connection reached the plain listener\n");
    if (a != INVALID_SOCKET) closesocket(a);
    set_blocking(l, 1);
}
#define check_no_connection(l) check_no_connection(l, __LINE__)

static void test_client_refused(int family, ULONG flags)
{
    static const WCHAR spn[] = L"host/localhost";
    SOCKADDR_STORAGE addr;
    SOCKET_PEER_TARGET_NAME *t;
    struct plain_peer peer;
    LPFN_CONNECTEX connectex = NULL;
    GUID connectex_guid = WSAID_CONNECTEX;
    OVERLAPPED ovl;
    char port[8];
    DWORD bytes;
    ULONG tlen;
    SOCKET l, s;
    int len, ret;

    winetest_push_context("af %d flags %#lx", family, flags);
    l = listener(family, &addr, &len);
    plain_peer_start(&peer, l, "secret");

    /* SecureTcpConnect */
    s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
    {
        SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, flags };
        ok(!WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), "set failed\n");
    }
    t = make_target(spn, (ULONG)wcslen(spn), &tlen, 0);
    ok(!WSASetSocketPeerTargetName(s, t, tlen, NULL, NULL), "target name failed: %d\n", WSAGetLastError());
    free(t);
    check_error(WSAConnect(s, (struct sockaddr *)&addr, len, NULL, NULL, NULL, NULL), WSAECONNREFUSED);
    closesocket(s);

    /* connect, non-blocking: WSAEWOULDBLOCK while TLS is tried, then
     * refused through select. */
    s = secured_socket(family, SOCK_STREAM, flags);
    set_blocking(s, 0);
    check_refused_async(s, (struct sockaddr *)&addr, len, WSAECONNREFUSED);
    closesocket(s);

    /* ConnectEx with a send buffer: nothing of it is sent. */
    s = secured_socket(family, SOCK_STREAM, flags);
    ret = WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &connectex_guid, sizeof(connectex_guid), &connectex,
                   sizeof(connectex), &bytes, NULL, NULL);
    ok(!ret && connectex, "no ConnectEx: %d\n", WSAGetLastError());
    {
        SOCKADDR_STORAGE any;
        int any_len = loopback(family, &any, 0);
        ok(!bind(s, (struct sockaddr *)&any, any_len), "bind failed: %d\n", WSAGetLastError());
    }
    memset(&ovl, 0, sizeof(ovl));
    ovl.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (connectex)
    {
        DWORD flags_out = 0;
        BOOL done = connectex(s, (struct sockaddr *)&addr, len, (void *)"secret", 6, &bytes, &ovl);
        /* Refused at once, or once TLS was tried: either way it fails. */
        if (!done && WSAGetLastError() == ERROR_IO_PENDING)
        {
            ok(WaitForSingleObject(ovl.hEvent, 20000) == WAIT_OBJECT_0, "ConnectEx did not complete\n");
            done = WSAGetOverlappedResult(s, &ovl, &bytes, FALSE, &flags_out);
        }
        ok(!done && WSAGetLastError() == WSAECONNREFUSED, "ConnectEx: %d, error %d\n", done, WSAGetLastError());
    }
    CloseHandle(ovl.hEvent);
    closesocket(s);

    /* WSAConnectByName */
    s = secured_socket(family, SOCK_STREAM, flags);
    sprintf(port, "%u", port_of(&addr));
    ret = WSAConnectByNameA(s, family == AF_INET6 ? "::1" : "127.0.0.1", port, NULL, NULL, NULL, NULL, NULL, NULL);
    ok(!ret && WSAGetLastError() == WSAECONNREFUSED, "WSAConnectByName: %d, error %d\n", ret, WSAGetLastError());
    closesocket(s);

    plain_peer_stop(&peer);
    closesocket(l);
    winetest_pop_context();
}

static unsigned int checksum(const unsigned char *p, size_t n)
{
    unsigned int sum = 0;
    while (n--) sum = sum * 31 + *p++;
    return sum;
}

struct echo_args { SOCKET listener; };

/* Accepts one connection, answers the sample's request, then echoes all. */
static DWORD WINAPI echo_server(void *arg)
{
    struct echo_args *args = arg;
    char buf[65536];
    SOCKET a = WSAAccept(args->listener, NULL, NULL, NULL, 0);
    int n;

    if (a == INVALID_SOCKET) return 1;
    n = recv(a, buf, 8, MSG_WAITALL);
    if (n == 8 && !memcmp(buf, sample_request, 8)) send(a, sample_reply, 11, 0);
    while ((n = recv(a, buf, sizeof(buf), 0)) > 0) send(a, buf, n, 0);
    closesocket(a);
    return 0;
}

static void test_client_insecure(int family)
{
    SOCKADDR_STORAGE addr, peer, local;
    struct echo_args args;
    WSABUF wsabuf;
    DWORD bytes, flags = MSG_WAITALL;
    unsigned char *out, *in;
    size_t total = 1 << 20, sent = 0, got = 0;
    char reply[256];
    HANDLE thread;
    SOCKET s;
    int len, plen = sizeof(peer), llen = sizeof(local), ret;

    winetest_push_context("af %d", family);
    args.listener = listener(family, &addr, &len);
    thread = CreateThread(NULL, 0, echo_server, &args, 0, NULL);
    s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    ret = WSAConnect(s, (struct sockaddr *)&addr, len, NULL, NULL, NULL, NULL);
    ok(!ret, "ALLOW_INSECURE connect failed: %d\n", WSAGetLastError());
    ok(!getpeername(s, (struct sockaddr *)&peer, &plen) && port_of(&peer) == port_of(&addr),
       "getpeername is not the real peer\n");
    ok(!getsockname(s, (struct sockaddr *)&local, &llen) && port_of(&local), "getsockname failed\n");

    wsabuf.buf = (char *)sample_request;
    wsabuf.len = 8;
    ret = WSASend(s, &wsabuf, 1, &bytes, 0, NULL, NULL);
    ok(!ret && bytes == 8, "WSASend: %d %lu\n", ret, bytes);
    wsabuf.buf = reply;
    wsabuf.len = 11;
    ret = WSARecv(s, &wsabuf, 1, &bytes, &flags, NULL, NULL);
    ok(!ret && bytes == 11 && !memcmp(reply, sample_reply, 11), "WSARecv: %d %lu\n", ret, bytes);

    /* A megabyte each way, intact. */
    out = malloc(total);
    in = malloc(total);
    for (size_t i = 0; i < total; i++) out[i] = (unsigned char)(i * 7 + (i >> 11));
    set_blocking(s, 1);
    while (got < total)
    {
        if (sent < total)
        {
            int n = send(s, (char *)out + sent, (int)min(total - sent, 65536), 0);
            if (n <= 0) break;
            sent += (size_t)n;
        }
        while (got < sent)
        {
            int n = recv(s, (char *)in + got, (int)(sent - got), 0);
            if (n <= 0) break;
            got += (size_t)n;
        }
    }
    ok(got == total && checksum(in, total) == checksum(out, total) && !memcmp(in, out, total),
       "1 MiB echo: got %Iu bytes, %s\n", got, memcmp(in, out, got) ? "corrupted" : "intact");
    free(out);
    free(in);
    shutdown(s, SD_SEND);
    ok(WaitForSingleObject(thread, 10000) == WAIT_OBJECT_0, "the server did not finish\n");
    CloseHandle(thread);
    closesocket(s);
    closesocket(args.listener);
    winetest_pop_context();
}

static void test_server_secured(int family, ULONG flags)
{
    SOCKADDR_STORAGE addr, bound;
    SOCKET l, c, l2;
    int len, blen = sizeof(bound), ret, freed = 0;
    fd_set set;
    struct timeval tv = { 0, 500000 };

    winetest_push_context("af %d flags %#lx", family, flags);
    /* SecureTcpAcceptConnection: settings before bind. */
    l = secured_socket(family, SOCK_STREAM, flags);
    len = loopback(family, &addr, 0);
    ok(!bind(l, (struct sockaddr *)&addr, len), "bind failed: %d\n", WSAGetLastError());
    ok(!listen(l, 10), "listen failed: %d\n", WSAGetLastError());
    ret = getsockname(l, (struct sockaddr *)&bound, &blen);
    ok(!ret && bound.ss_family == family && port_of(&bound), "getsockname: %d family %d port %u\n", ret,
       bound.ss_family, port_of(&bound));
    if (family == AF_INET)
        ok(((struct sockaddr_in *)&bound)->sin_addr.s_addr == htonl(INADDR_LOOPBACK), "not the requested address\n");

    /* A clear client: only a TLS client that proves a trusted CA's
     * certificate gets through, so its connection is ended (it may reach
     * the service's TLS listener) and nothing reaches the program. */
    c = socket(family, SOCK_STREAM, 0);
    if (!connect(c, (struct sockaddr *)&bound, blen))
    {
        char buf[16];
        ok(send(c, "inject", 6, 0) == 6 || WSAGetLastError() == WSAECONNRESET, "send: %d\n", WSAGetLastError());
        ok(readable(c, 12000), "the clear client's connection was not ended\n");
        ret = recv(c, buf, sizeof(buf), 0);
        ok(ret == 0 || (ret == SOCKET_ERROR && WSAGetLastError() == WSAECONNRESET), "recv: %d, error %d\n", ret,
           WSAGetLastError());
    }
    else ok(WSAGetLastError() == WSAECONNREFUSED, "clear connect: error %d\n", WSAGetLastError());
    closesocket(c);
    FD_ZERO(&set);
    FD_SET(l, &set);
    ok(select(0, &set, NULL, NULL, &tv) == 0, "the secured listener became readable\n");
    check_no_connection(l);

    /* The public port is the program's alone. */
    l2 = secured_socket(family, SOCK_STREAM, flags);
    ret = bind(l2, (struct sockaddr *)&bound, blen);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEADDRINUSE, "second bind: %d, error %d\n", ret,
       WSAGetLastError());
    closesocket(l2);

    /* Closing the listener gives the port back. */
    closesocket(l);
    for (int i = 0; i < 40 && !freed; i++)
    {
        c = socket(family, SOCK_STREAM, 0);
        freed = !bind(c, (struct sockaddr *)&bound, blen);
        closesocket(c);
        if (!freed) Sleep(50);
    }
    ok(freed, "the port was not freed after closesocket\n");
    winetest_pop_context();
}

static void test_server_insecure(int family)
{
    SOCKADDR_STORAGE addr, bound, peer, local;
    SOCKET l, c, a;
    char buf[32];
    int len, blen = sizeof(bound), plen = sizeof(peer), llen = sizeof(local), n;

    winetest_push_context("af %d", family);
    l = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    len = loopback(family, &addr, 0);
    ok(!bind(l, (struct sockaddr *)&addr, len) && !listen(l, 10), "bind/listen failed: %d\n", WSAGetLastError());
    getsockname(l, (struct sockaddr *)&bound, &blen);
    c = socket(family, SOCK_STREAM, 0);
    ok(!connect(c, (struct sockaddr *)&bound, blen), "plain client refused: %d\n", WSAGetLastError());
    a = WSAAccept(l, (struct sockaddr *)&peer, &plen, NULL, 0);
    ok(a != INVALID_SOCKET, "WSAAccept failed: %d\n", WSAGetLastError());
    ok(!getsockname(c, (struct sockaddr *)&local, &llen) && port_of(&local) == port_of(&peer),
       "accept did not report the real peer\n");
    send(c, sample_request, 8, 0);
    n = recv(a, buf, sizeof(buf), 0);
    ok(n == 8 && !memcmp(buf, sample_request, 8), "server received %d bytes\n", n);
    closesocket(a);
    closesocket(c);
    closesocket(l);
    winetest_pop_context();
}

static void test_acceptex_insecure(void)
{
    LPFN_ACCEPTEX acceptex = NULL;
    GUID guid = WSAID_ACCEPTEX;
    SOCKADDR_STORAGE addr, bound;
    OVERLAPPED ovl;
    char buf[8 + 2 * (sizeof(SOCKADDR_STORAGE) + 16)];  /* data, then both addresses */
    DWORD bytes;
    SOCKET l, a, c;
    int len, blen = sizeof(bound);
    BOOL ret;

    l = secured_socket(AF_INET, SOCK_STREAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    len = loopback(AF_INET, &addr, 0);
    bind(l, (struct sockaddr *)&addr, len);
    listen(l, 5);
    getsockname(l, (struct sockaddr *)&bound, &blen);
    WSAIoctl(l, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof(guid), &acceptex, sizeof(acceptex), &bytes, NULL, NULL);
    ok(acceptex != NULL, "no AcceptEx\n");
    if (!acceptex) return;
    a = socket(AF_INET, SOCK_STREAM, 0);
    memset(&ovl, 0, sizeof(ovl));
    ovl.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ret = acceptex(l, a, buf, 8, sizeof(SOCKADDR_STORAGE) + 16, sizeof(SOCKADDR_STORAGE) + 16, &bytes, &ovl);
    ok(!ret && WSAGetLastError() == ERROR_IO_PENDING, "AcceptEx: %d, error %d\n", ret, WSAGetLastError());
    c = socket(AF_INET, SOCK_STREAM, 0);
    ok(!connect(c, (struct sockaddr *)&bound, blen), "connect failed: %d\n", WSAGetLastError());
    send(c, sample_request, 8, 0);
    ok(WaitForSingleObject(ovl.hEvent, 5000) == WAIT_OBJECT_0, "AcceptEx did not complete\n");
    ok(GetOverlappedResult((HANDLE)l, &ovl, &bytes, FALSE) && bytes == 8 && !memcmp(buf, sample_request, 8),
       "AcceptEx received %lu bytes\n", bytes);
    CloseHandle(ovl.hEvent);
    closesocket(c);
    closesocket(a);
    closesocket(l);
}

static void test_udp(int family)
{
    SOCKADDR_STORAGE addr, bound;
    SOCKET receiver, s;
    char buf[16];
    int len, blen = sizeof(bound), ret, i, received = 0;
    WSABUF wsabuf = { 6, (char *)"secret" };
    DWORD bytes;

    winetest_push_context("udp af %d", family);
    receiver = socket(family, SOCK_DGRAM, 0);
    len = loopback(family, &addr, 0);
    bind(receiver, (struct sockaddr *)&addr, len);
    getsockname(receiver, (struct sockaddr *)&addr, &len);
    set_blocking(receiver, 0);

    s = secured_socket(family, SOCK_DGRAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    check_error(sendto(s, "secret", 6, 0, (struct sockaddr *)&addr, len), WSAECONNREFUSED);
    check_error(WSASendTo(s, &wsabuf, 1, &bytes, 0, (struct sockaddr *)&addr, len, NULL, NULL), WSAECONNREFUSED);
    check_error(connect(s, (struct sockaddr *)&addr, len), WSAECONNREFUSED);
    closesocket(s);
    s = secured_socket(family, SOCK_DGRAM, 0);
    check_error(sendto(s, "secret", 6, 0, (struct sockaddr *)&addr, len), WSAECONNREFUSED);
    closesocket(s);
    Sleep(100);
    ret = recv(receiver, buf, sizeof(buf), 0);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK, "a datagram arrived in clear (%d)\n", ret);

    /* A refusal holds for every datagram after it, not only the first. */
    s = secured_socket(family, SOCK_DGRAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    for (i = 0; i < 20; i++)
        if (sendto(s, "secret", 6, 0, (struct sockaddr *)&addr, len) != SOCKET_ERROR ||
            WSAGetLastError() != WSAECONNREFUSED) break;
    ok(i == 20, "datagram %d of 20 was not refused (error %d)\n", i, WSAGetLastError());
    closesocket(s);
    Sleep(100);
    ret = recv(receiver, buf, sizeof(buf), 0);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK, "a datagram arrived in clear (%d)\n", ret);

    /* ALLOW_INSECURE datagrams flow, every one of them, in order. */
    s = secured_socket(family, SOCK_DGRAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    ret = sendto(s, "clear", 5, 0, (struct sockaddr *)&addr, len);
    ok(ret == 5, "ALLOW_INSECURE sendto: %d, error %d\n", ret, WSAGetLastError());
    Sleep(100);
    ret = recv(receiver, buf, sizeof(buf), 0);
    ok(ret == 5 && !memcmp(buf, "clear", 5), "ALLOW_INSECURE datagram: %d\n", ret);
    for (i = 0; i < 200; i++)
    {
        char msg[8];
        sprintf(msg, "d%03d", i);
        if (sendto(s, msg, 4, 0, (struct sockaddr *)&addr, len) != 4) break;
        /* Read as we go: the receive buffer stays small. */
        if (!(i % 20)) Sleep(1);
        while ((ret = recv(receiver, buf, sizeof(buf), 0)) == 4)
        {
            if (memcmp(buf, "d", 1) || atoi(buf + 1) != received) break;
            received++;
        }
    }
    ok(i == 200, "ALLOW_INSECURE datagram %d of 200: error %d\n", i, WSAGetLastError());
    Sleep(100);
    while (recv(receiver, buf, sizeof(buf), 0) == 4 && atoi(buf + 1) == received) received++;
    ok(received == 200, "%d of 200 ALLOW_INSECURE datagrams arrived in order\n", received);
    closesocket(s);

    /* A secured receiver gets nothing from a clear sender. */
    s = secured_socket(family, SOCK_DGRAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    len = loopback(family, &bound, 0);
    ok(!bind(s, (struct sockaddr *)&bound, len), "bind failed: %d\n", WSAGetLastError());
    ok(!getsockname(s, (struct sockaddr *)&bound, &blen) && port_of(&bound), "getsockname failed\n");
    set_blocking(s, 0);
    ret = sendto(receiver, "inject", 6, 0, (struct sockaddr *)&bound, blen);
    ok(ret == 6, "plain sendto: %d\n", ret);
    Sleep(100);
    ret = recv(s, buf, sizeof(buf), 0);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK, "the secured socket received clear bytes (%d)\n", ret);
    closesocket(s);
    closesocket(receiver);
    winetest_pop_context();
}

START_TEST(secsock_flows)
{
    int v6;

    startup();
    v6 = have_ipv6();
    if (!v6) skip("no IPv6 loopback\n");
    for (int i = 0; i < 2; i++)
    {
        int family = i ? AF_INET6 : AF_INET;
        if (family == AF_INET6 && !v6) continue;
        test_client_refused(family, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
        test_client_refused(family, 0);
        test_client_insecure(family);
        test_server_secured(family, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
        test_server_secured(family, 0);
        test_server_insecure(family);
        test_udp(family);
    }
    test_acceptex_insecure();
    WSACleanup();
}
