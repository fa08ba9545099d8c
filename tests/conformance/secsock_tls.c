/* Every Winsock I/O model on sockets secured with TLS: a secured server
 * and secured clients in one program, talking through secsockd.  The
 * runner trusts the service's own identity on loopback (both families)
 * and says so with SECSOCK_TLS_TRUSTED=1; without it there is nothing to
 * secure a connection with, and the test skips.
 *
 * Each client model connects (GUARANTEE_ENCRYPTION), checks that
 * WSAQuerySocketSecurity says SECURED|ENCRYPTED, sends a text, and reads
 * the server's echo back; the server side checks the same on every
 * accepted connection. */
#include "secsock_test.h"

#define WAIT_MS 15000

static LPFN_CONNECTEX pConnectEx;
static LPFN_ACCEPTEX pAcceptEx;
static volatile LONG server_secured, server_insecure, server_served;

static void get_extensions(SOCKET s)
{
    GUID connectex_guid = WSAID_CONNECTEX, acceptex_guid = WSAID_ACCEPTEX;
    DWORD bytes;

    WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &connectex_guid, sizeof(connectex_guid), &pConnectEx,
             sizeof(pConnectEx), &bytes, NULL, NULL);
    WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &acceptex_guid, sizeof(acceptex_guid), &pAcceptEx,
             sizeof(pAcceptEx), &bytes, NULL, NULL);
}

/* SECURED|ENCRYPTED flags of a connected socket, or -1. */
static LONG protection(SOCKET s)
{
    SOCKET_SECURITY_QUERY_INFO info;
    ULONG len = sizeof(info);

    if (WSAQuerySocketSecurity(s, NULL, 0, &info, &len, NULL, NULL)) return -1;
    return (LONG)info.Flags;
}

#define check_secured(s) \
    ok(protection(s) == (SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED), \
       "connection not reported SECURED|ENCRYPTED: %ld\n", protection(s))

/* ---- the server: a secured listener, a thread per connection ---------------- */

static DWORD WINAPI echo_connection(void *arg)
{
    SOCKET a = (SOCKET)arg;
    char buf[4096];
    int n;

    if (protection(a) == (SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED))
        InterlockedIncrement(&server_secured);
    else InterlockedIncrement(&server_insecure);
    while ((n = recv(a, buf, sizeof(buf), 0)) > 0)
        if (send(a, buf, n, 0) != n) break;
    shutdown(a, SD_SEND);
    closesocket(a);
    InterlockedIncrement(&server_served);
    return 0;
}

static SOCKET secured_listener(int family, SOCKADDR_STORAGE *addr, int *len)
{
    SOCKET l = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    int n;

    *len = loopback(family, addr, 0);
    ok(!bind(l, (struct sockaddr *)addr, *len), "bind: %d\n", WSAGetLastError());
    ok(!listen(l, SOMAXCONN), "listen: %d\n", WSAGetLastError());
    n = *len;
    ok(!getsockname(l, (struct sockaddr *)addr, &n), "getsockname: %d\n", WSAGetLastError());
    return l;
}

/* ---- helpers for the clients -------------------------------------------------- */

static void make_text(char *buf, size_t size, const char *model, int family)
{
    snprintf(buf, size, "secsock %s over IPv%d: %08lx", model, family == AF_INET6 ? 6 : 4, GetTickCount());
}

/* Sends text and reads the echo, blocking. */
static void echo_blocking(SOCKET s, const char *text, int line)
{
    char buf[256];
    int len = (int)strlen(text), got = 0, n;

    ok_(__FILE__, line)(send(s, text, len, 0) == len, "send: %d\n", WSAGetLastError());
    while (got < len && (n = recv(s, buf + got, sizeof(buf) - 1 - got, 0)) > 0) got += n;
    buf[got] = 0;
    ok_(__FILE__, line)(got == len && !memcmp(buf, text, len), "echo: got %d bytes \"%s\"\n", got, buf);
}

/* After shutdown(SD_SEND): the server's end of stream, a clean 0. */
static void expect_end(SOCKET s, int line)
{
    char c;
    int n;

    shutdown(s, SD_SEND);
    n = recv(s, &c, 1, 0);
    ok_(__FILE__, line)(n == 0, "expected the end of stream, got %d (error %d)\n", n, WSAGetLastError());
}

static void check_peer(SOCKET s, const SOCKADDR_STORAGE *server, int line)
{
    SOCKADDR_STORAGE peer;
    int len = sizeof(peer);

    ok_(__FILE__, line)(!getpeername(s, (struct sockaddr *)&peer, &len), "getpeername: %d\n", WSAGetLastError());
    ok_(__FILE__, line)(port_of(&peer) == port_of(server), "peer port %u, server %u\n", port_of(&peer),
                        port_of(server));
}

/* ---- the models ----------------------------------------------------------------- */

static void test_blocking(int family, const SOCKADDR_STORAGE *server, int len)
{
    SOCKET s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    char text[96];

    make_text(text, sizeof(text), "blocking", family);
    ok(!connect(s, (const struct sockaddr *)server, len), "connect: %d\n", WSAGetLastError());
    check_secured(s);
    check_peer(s, server, __LINE__);
    check_error(connect(s, (const struct sockaddr *)server, len), WSAEISCONN);
    /* Impersonating the peer of a TLS connection: secsock_peer.c. */
    echo_blocking(s, text, __LINE__);
    expect_end(s, __LINE__);
    closesocket(s);
}

static void test_select(int family, const SOCKADDR_STORAGE *server, int len)
{
    SOCKET s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    struct timeval tv = { WAIT_MS / 1000, 0 };
    fd_set w, e;
    char text[96];
    int err = -1, errlen = sizeof(err), ret;

    make_text(text, sizeof(text), "select", family);
    set_blocking(s, 0);
    check_error(connect(s, (const struct sockaddr *)server, len), WSAEWOULDBLOCK);
    /* Still connecting (in the service or in Wine): not again. */
    WSASetLastError(0xdeadbeef);
    ret = connect(s, (const struct sockaddr *)server, len);
    ok(ret == SOCKET_ERROR && (WSAGetLastError() == WSAEALREADY || WSAGetLastError() == WSAEISCONN),
       "second connect: %d, error %d\n", ret, WSAGetLastError());
    FD_ZERO(&w); FD_ZERO(&e);
    FD_SET(s, &w); FD_SET(s, &e);
    ret = select(0, NULL, &w, &e, &tv);
    ok(ret == 1 && FD_ISSET(s, &w), "select: %d, writable %d, except %d\n", ret, FD_ISSET(s, &w), FD_ISSET(s, &e));
    ok(!getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &errlen) && !err, "SO_ERROR %d\n", err);
    check_secured(s);
    check_peer(s, server, __LINE__);
    set_blocking(s, 1);
    echo_blocking(s, text, __LINE__);
    expect_end(s, __LINE__);
    closesocket(s);
}

static void test_wsapoll(int family, const SOCKADDR_STORAGE *server, int len)
{
    SOCKET s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    WSAPOLLFD p;
    char text[96], buf[96];
    int ret, got = 0, n;

    make_text(text, sizeof(text), "WSAPoll", family);
    set_blocking(s, 0);
    check_error(connect(s, (const struct sockaddr *)server, len), WSAEWOULDBLOCK);
    p.fd = s; p.events = POLLWRNORM; p.revents = 0;
    ret = WSAPoll(&p, 1, WAIT_MS);
    ok(ret == 1 && (p.revents & POLLWRNORM) && !(p.revents & (POLLERR | POLLHUP)), "WSAPoll: %d, revents %#x\n",
       ret, p.revents);
    check_secured(s);
    ok(send(s, text, (int)strlen(text), 0) == (int)strlen(text), "send: %d\n", WSAGetLastError());
    while (got < (int)strlen(text))
    {
        p.events = POLLRDNORM; p.revents = 0;
        if (WSAPoll(&p, 1, WAIT_MS) != 1) break;
        if ((n = recv(s, buf + got, sizeof(buf) - 1 - got, 0)) <= 0) break;
        got += n;
    }
    buf[got] = 0;
    ok(!strcmp(buf, text), "echo: \"%s\"\n", buf);
    closesocket(s);
}

static void test_event_select(int family, const SOCKADDR_STORAGE *server, int len)
{
    SOCKET s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    WSAEVENT ev = WSACreateEvent();
    WSANETWORKEVENTS ne;
    char text[96], buf[96];
    int got = 0, n;

    make_text(text, sizeof(text), "WSAEventSelect", family);
    ok(!WSAEventSelect(s, ev, FD_CONNECT | FD_READ | FD_CLOSE), "WSAEventSelect: %d\n", WSAGetLastError());
    check_error(connect(s, (const struct sockaddr *)server, len), WSAEWOULDBLOCK);
    ok(WaitForSingleObject(ev, WAIT_MS) == WAIT_OBJECT_0, "no network event\n");
    memset(&ne, 0, sizeof(ne));
    ok(!WSAEnumNetworkEvents(s, ev, &ne), "WSAEnumNetworkEvents: %d\n", WSAGetLastError());
    ok((ne.lNetworkEvents & FD_CONNECT) && !ne.iErrorCode[FD_CONNECT_BIT], "events %#lx, connect error %d\n",
       ne.lNetworkEvents, ne.iErrorCode[FD_CONNECT_BIT]);
    check_secured(s);
    ok(send(s, text, (int)strlen(text), 0) == (int)strlen(text), "send: %d\n", WSAGetLastError());
    while (got < (int)strlen(text) && WaitForSingleObject(ev, WAIT_MS) == WAIT_OBJECT_0)
    {
        WSAEnumNetworkEvents(s, ev, &ne);
        if (!(ne.lNetworkEvents & FD_READ)) continue;
        if ((n = recv(s, buf + got, sizeof(buf) - 1 - got, 0)) > 0) got += n;
    }
    buf[got] = 0;
    ok(!strcmp(buf, text), "echo: \"%s\"\n", buf);
    shutdown(s, SD_SEND);
    ok(WaitForSingleObject(ev, WAIT_MS) == WAIT_OBJECT_0, "no FD_CLOSE\n");
    WSAEnumNetworkEvents(s, ev, &ne);
    ok(ne.lNetworkEvents & FD_CLOSE, "events %#lx, no FD_CLOSE\n", ne.lNetworkEvents);
    closesocket(s);
    WSACloseEvent(ev);
}

static void test_overlapped_events(int family, const SOCKADDR_STORAGE *server, int len)
{
    SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    WSAOVERLAPPED so, ro;
    WSABUF sb, rb;
    char text[96], buf[96] = { 0 };
    DWORD bytes = 0, flags = 0;
    int ret;

    make_text(text, sizeof(text), "overlapped", family);
    ok(!WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), "set: %d\n", WSAGetLastError());
    ok(!connect(s, (const struct sockaddr *)server, len), "connect: %d\n", WSAGetLastError());
    check_secured(s);
    memset(&ro, 0, sizeof(ro));
    memset(&so, 0, sizeof(so));
    ro.hEvent = WSACreateEvent();
    so.hEvent = WSACreateEvent();
    rb.buf = buf; rb.len = (ULONG)strlen(text);
    ret = WSARecv(s, &rb, 1, NULL, &flags, &ro, NULL);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING, "WSARecv: %d, error %d\n", ret, WSAGetLastError());
    sb.buf = text; sb.len = (ULONG)strlen(text);
    ret = WSASend(s, &sb, 1, NULL, 0, &so, NULL);
    ok(!ret || WSAGetLastError() == WSA_IO_PENDING, "WSASend: %d, error %d\n", ret, WSAGetLastError());
    ok(WSAGetOverlappedResult(s, &so, &bytes, TRUE, &flags) && bytes == strlen(text), "send result: %lu bytes\n", bytes);
    ok(WaitForSingleObject(ro.hEvent, WAIT_MS) == WAIT_OBJECT_0, "the receive did not complete\n");
    ok(WSAGetOverlappedResult(s, &ro, &bytes, FALSE, &flags) && bytes, "receive result: %lu bytes\n", bytes);
    ok(!strncmp(buf, text, bytes), "echo \"%s\"\n", buf);
    WSACloseEvent(ro.hEvent);
    WSACloseEvent(so.hEvent);
    closesocket(s);
}

static volatile LONG routine_calls;
static DWORD routine_bytes;

static void CALLBACK on_completion(DWORD err, DWORD bytes, WSAOVERLAPPED *ovl, DWORD flags)
{
    (void)ovl;
    (void)flags;
    if (!err) routine_bytes += bytes;
    InterlockedIncrement(&routine_calls);
}

static void test_completion_routines(int family, const SOCKADDR_STORAGE *server, int len)
{
    SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    WSAOVERLAPPED so, ro;
    WSABUF sb, rb;
    char text[96], buf[96] = { 0 };
    DWORD flags = 0, start;
    int ret;

    make_text(text, sizeof(text), "completion routines", family);
    ok(!WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), "set: %d\n", WSAGetLastError());
    ok(!connect(s, (const struct sockaddr *)server, len), "connect: %d\n", WSAGetLastError());
    routine_calls = 0;
    routine_bytes = 0;
    memset(&so, 0, sizeof(so));
    memset(&ro, 0, sizeof(ro));
    rb.buf = buf; rb.len = (ULONG)strlen(text);
    ret = WSARecv(s, &rb, 1, NULL, &flags, &ro, on_completion);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING, "WSARecv: %d, error %d\n", ret, WSAGetLastError());
    sb.buf = text; sb.len = (ULONG)strlen(text);
    ret = WSASend(s, &sb, 1, NULL, 0, &so, on_completion);
    ok(!ret || WSAGetLastError() == WSA_IO_PENDING, "WSASend: %d, error %d\n", ret, WSAGetLastError());
    start = GetTickCount();
    while (routine_calls < 2 && GetTickCount() - start < WAIT_MS) SleepEx(100, TRUE);
    ok(routine_calls == 2, "%ld completion routines ran\n", routine_calls);
    ok(!strncmp(buf, text, strlen(text)), "echo \"%s\" (%lu bytes both ways)\n", buf, routine_bytes);
    closesocket(s);
}

/* ConnectEx with a send buffer, completed through an I/O completion port;
 * the echo read with WSARecv on the same port. */
static void test_iocp_connectex(int family, const SOCKADDR_STORAGE *server, int len)
{
    SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    SOCKADDR_STORAGE any;
    OVERLAPPED co, ro, *done;
    ULONG_PTR key = 0;
    WSABUF rb;
    char text[96], buf[96] = { 0 };
    DWORD bytes = 0, flags = 0;
    BOOL ret;
    int any_len = loopback(family, &any, 0), r;

    make_text(text, sizeof(text), "IOCP ConnectEx", family);
    ok(!WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), "set: %d\n", WSAGetLastError());
    ok(!bind(s, (struct sockaddr *)&any, any_len), "bind: %d\n", WSAGetLastError());
    ok(CreateIoCompletionPort((HANDLE)s, port, 0x5ec, 0) == port, "CreateIoCompletionPort: %lu\n", GetLastError());
    memset(&co, 0, sizeof(co));
    ret = pConnectEx(s, (const struct sockaddr *)server, len, text, (DWORD)strlen(text), &bytes, &co);
    ok(!ret && WSAGetLastError() == ERROR_IO_PENDING, "ConnectEx: %d, error %d\n", ret, WSAGetLastError());
    done = NULL;
    ret = GetQueuedCompletionStatus(port, &bytes, &key, &done, WAIT_MS);
    ok(ret && done == &co && key == 0x5ec && bytes == strlen(text), "completion: %d, %p, key %#Ix, %lu bytes, error %lu\n",
       ret, done, key, bytes, GetLastError());
    ok(!setsockopt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0), "SO_UPDATE_CONNECT_CONTEXT: %d\n",
       WSAGetLastError());
    check_secured(s);
    check_peer(s, server, __LINE__);
    memset(&ro, 0, sizeof(ro));
    rb.buf = buf; rb.len = (ULONG)strlen(text);
    r = WSARecv(s, &rb, 1, NULL, &flags, &ro, NULL);
    ok(!r || WSAGetLastError() == WSA_IO_PENDING, "WSARecv: %d, error %d\n", r, WSAGetLastError());
    done = NULL;
    ret = GetQueuedCompletionStatus(port, &bytes, &key, &done, WAIT_MS);
    ok(ret && done == &ro && bytes, "receive completion: %d, %p, %lu bytes\n", ret, done, bytes);
    ok(!strncmp(buf, text, bytes), "echo of the ConnectEx send buffer: \"%s\"\n", buf);
    closesocket(s);
    CloseHandle(port);
}

/* A secured ConnectEx that the service refuses while it is pending (the
 * peer is trusted but nobody listens): the OVERLAPPED completes with the
 * refusal, nothing of the send buffer left. */
static void test_connectex_refused(int family)
{
    SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    SOCKADDR_STORAGE any, closed;
    OVERLAPPED co;
    DWORD bytes = 0, flags = 0;
    int any_len = loopback(family, &any, 0), closed_len;
    BOOL ret;
    SOCKET tmp;

    /* A port nobody listens on: one that was just closed. */
    tmp = listener(family, &closed, &closed_len);
    closesocket(tmp);
    ok(!WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), "set: %d\n", WSAGetLastError());
    ok(!bind(s, (struct sockaddr *)&any, any_len), "bind: %d\n", WSAGetLastError());
    memset(&co, 0, sizeof(co));
    co.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ret = pConnectEx(s, (const struct sockaddr *)&closed, closed_len, (void *)"never", 5, &bytes, &co);
    ok(!ret && WSAGetLastError() == ERROR_IO_PENDING, "ConnectEx: %d, error %d\n", ret, WSAGetLastError());
    ok(WaitForSingleObject(co.hEvent, WAIT_MS) == WAIT_OBJECT_0, "ConnectEx did not complete\n");
    ret = WSAGetOverlappedResult(s, &co, &bytes, FALSE, &flags);
    ok(!ret && WSAGetLastError() == WSAECONNREFUSED, "result %d, error %d\n", ret, WSAGetLastError());
    CloseHandle(co.hEvent);
    closesocket(s);
}

/* The same refusal seen by a non-blocking connect through select. */
static void test_select_refused(int family)
{
    SOCKET s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION), tmp;
    struct timeval tv = { WAIT_MS / 1000, 0 };
    SOCKADDR_STORAGE closed;
    fd_set w, e;
    int closed_len, err = 0, errlen = sizeof(err), ret;

    tmp = listener(family, &closed, &closed_len);
    closesocket(tmp);
    set_blocking(s, 0);
    WSASetLastError(0xdeadbeef);
    ret = connect(s, (const struct sockaddr *)&closed, closed_len);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK, "connect: %d, error %d\n", ret, WSAGetLastError());
    FD_ZERO(&w); FD_ZERO(&e);
    FD_SET(s, &w); FD_SET(s, &e);
    ret = select(0, NULL, &w, &e, &tv);
    ok(ret == 1 && FD_ISSET(s, &e) && !FD_ISSET(s, &w), "select: %d, writable %d, except %d\n", ret,
       FD_ISSET(s, &w), FD_ISSET(s, &e));
    ok(!getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &errlen) && err == WSAECONNREFUSED, "SO_ERROR %d\n", err);
    closesocket(s);
}

/* A trusted address whose listener does not speak TLS: the handshake fails,
 * the connect fails, and the listener never sees the program's bytes. */
static BOOL contains(const char *hay, int len, const char *needle)
{
    int n = (int)strlen(needle);
    for (int i = 0; i + n <= len; i++)
        if (!memcmp(hay + i, needle, n)) return TRUE;
    return FALSE;
}

static DWORD WINAPI collect(void *arg)
{
    SOCKET l = (SOCKET)arg, a;
    static char seen[8192];
    int n, total = 0;

    if ((a = accept(l, NULL, NULL)) == INVALID_SOCKET) return 0;
    while (total < (int)sizeof(seen) && (n = recv(a, seen + total, sizeof(seen) - total, 0)) > 0) total += n;
    closesocket(a);
    return (DWORD)(contains(seen, total, "PLAINTEXT") ? 0x7fffffff : total);
}

static void test_not_tls(int family)
{
    SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED), l;
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_ALLOW_INSECURE };
    SOCKADDR_STORAGE addr, any;
    OVERLAPPED co;
    HANDLE t;
    DWORD bytes = 0, flags = 0, seen = 0;
    int len, any_len = loopback(family, &any, 0);
    BOOL ret;

    l = listener(family, &addr, &len);
    t = CreateThread(NULL, 0, collect, (void *)l, 0, NULL);
    /* Even ALLOW_INSECURE: a listed peer that does not complete TLS is a
     * downgrade, not a reason to go clear. */
    ok(!WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), "set: %d\n", WSAGetLastError());
    ok(!bind(s, (struct sockaddr *)&any, any_len), "bind: %d\n", WSAGetLastError());
    memset(&co, 0, sizeof(co));
    co.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ret = pConnectEx(s, (const struct sockaddr *)&addr, len, (void *)"PLAINTEXT", 9, &bytes, &co);
    if (!ret && WSAGetLastError() == ERROR_IO_PENDING)
    {
        ok(WaitForSingleObject(co.hEvent, WAIT_MS) == WAIT_OBJECT_0, "ConnectEx did not complete\n");
        ret = WSAGetOverlappedResult(s, &co, &bytes, FALSE, &flags);
    }
    ok(!ret && WSAGetLastError() == WSAECONNREFUSED, "ConnectEx to a non-TLS listener: %d, error %d\n", ret,
       WSAGetLastError());
    closesocket(s);
    WaitForSingleObject(t, WAIT_MS);
    GetExitCodeThread(t, &seen);
    ok(seen != 0x7fffffff, "the program's bytes reached the listener in clear\n");
    ok(seen > 0, "the service's ClientHello did not reach the listener\n");
    CloseHandle(t);
    CloseHandle(co.hEvent);
    closesocket(l);
}

static void test_connect_by_name(int family, const SOCKADDR_STORAGE *server)
{
    SOCKET s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    SOCKADDR_STORAGE local, remote;
    DWORD local_len = sizeof(local), remote_len = sizeof(remote);
    char port[8], text[96];
    BOOL ret;

    make_text(text, sizeof(text), "WSAConnectByName", family);
    sprintf(port, "%u", port_of(server));
    ret = WSAConnectByNameA(s, family == AF_INET6 ? "::1" : "127.0.0.1", port, &local_len, (struct sockaddr *)&local,
                            &remote_len, (struct sockaddr *)&remote, NULL, NULL);
    ok(ret, "WSAConnectByName: %d\n", WSAGetLastError());
    ok(port_of(&remote) == port_of(server), "remote port %u\n", port_of(&remote));
    check_secured(s);
    echo_blocking(s, text, __LINE__);
    closesocket(s);
}

/* Many secured connections set up at once, without blocking, served
 * together: every echo intact. */
#define MANY 48
static void test_many(int family, const SOCKADDR_STORAGE *server, int len)
{
    SOCKET s[MANY];
    WSAPOLLFD p[MANY];
    char text[MANY][48], buf[MANY][48];
    int got[MANY], sent[MANY], done = 0, secured = 0, intact = 0;
    DWORD start = GetTickCount();

    for (int i = 0; i < MANY; i++)
    {
        s[i] = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
        set_blocking(s[i], 0);
        snprintf(text[i], sizeof(text[i]), "connection %d of %d", i, MANY);
        got[i] = sent[i] = 0;
        if (connect(s[i], (const struct sockaddr *)server, len) && WSAGetLastError() != WSAEWOULDBLOCK)
            ok(0, "connect %d: %d\n", i, WSAGetLastError());
    }
    while (done < MANY && GetTickCount() - start < 4 * WAIT_MS)
    {
        for (int i = 0; i < MANY; i++)
        {
            p[i].fd = s[i];
            p[i].events = sent[i] ? POLLRDNORM : POLLWRNORM;
            p[i].revents = 0;
            if (got[i] < 0 || got[i] == (int)strlen(text[i])) p[i].fd = INVALID_SOCKET;
        }
        if (WSAPoll(p, MANY, 1000) <= 0) continue;
        for (int i = 0; i < MANY; i++)
        {
            if (p[i].fd == INVALID_SOCKET || !p[i].revents) continue;
            if (p[i].revents & (POLLERR | POLLHUP)) { got[i] = -1; done++; continue; }
            if (!sent[i] && (p[i].revents & POLLWRNORM))
            {
                if (protection(s[i]) == (SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED)) secured++;
                sent[i] = send(s[i], text[i], (int)strlen(text[i]), 0) == (int)strlen(text[i]);
                if (!sent[i]) { got[i] = -1; done++; }
            }
            else if (p[i].revents & POLLRDNORM)
            {
                int n = recv(s[i], buf[i] + got[i], (int)sizeof(buf[i]) - 1 - got[i], 0);
                if (n <= 0) { got[i] = -1; done++; continue; }
                got[i] += n;
                if (got[i] == (int)strlen(text[i]))
                {
                    done++;
                    if (!memcmp(buf[i], text[i], got[i])) intact++;
                }
            }
        }
    }
    ok(secured == MANY, "%d of %d connections SECURED|ENCRYPTED\n", secured, MANY);
    ok(intact == MANY, "%d of %d echoes intact\n", intact, MANY);
    for (int i = 0; i < MANY; i++) closesocket(s[i]);
}

/* AcceptEx on a secured listener, completed through a port: the accepted
 * connection is secured, and names the real client. */
static DWORD WINAPI connect_client(void *arg)
{
    const SOCKADDR_STORAGE *server = arg;
    SOCKET s = secured_socket(server->ss_family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    int len = server->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    char buf[16];
    DWORD ret = 0;

    if (!connect(s, (const struct sockaddr *)server, len) && send(s, "acceptex", 8, 0) == 8 &&
        recv(s, buf, sizeof(buf), 0) == 2 && !memcmp(buf, "ok", 2))
        ret = 1;
    closesocket(s);
    return ret;
}

static void test_acceptex(int family)
{
    SOCKADDR_STORAGE addr;
    SOCKET l, a;
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0), client;
    OVERLAPPED ao, *done;
    ULONG_PTR key;
    char buf[256];
    DWORD bytes = 0, client_ok = 0;
    int len;
    BOOL ret;

    l = secured_listener(family, &addr, &len);
    ok(CreateIoCompletionPort((HANDLE)l, port, 0xacc, 0) == port, "CreateIoCompletionPort: %lu\n", GetLastError());
    a = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    memset(&ao, 0, sizeof(ao));
    ret = pAcceptEx(l, a, buf, 8, sizeof(SOCKADDR_STORAGE) + 16, sizeof(SOCKADDR_STORAGE) + 16, &bytes, &ao);
    ok(!ret && WSAGetLastError() == ERROR_IO_PENDING, "AcceptEx: %d, error %d\n", ret, WSAGetLastError());
    client = CreateThread(NULL, 0, connect_client, &addr, 0, NULL);
    done = NULL;
    ret = GetQueuedCompletionStatus(port, &bytes, &key, &done, WAIT_MS);
    ok(ret && done == &ao && key == 0xacc && bytes == 8 && !memcmp(buf, "acceptex", 8),
       "AcceptEx completion: %d, %p, %lu bytes\n", ret, done, bytes);
    ok(!setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l, sizeof(l)), "SO_UPDATE_ACCEPT_CONTEXT: %d\n",
       WSAGetLastError());
    check_secured(a);
    send(a, "ok", 2, 0);
    WaitForSingleObject(client, WAIT_MS);
    GetExitCodeThread(client, &client_ok);
    ok(client_ok == 1, "the client's exchange failed\n");
    CloseHandle(client);
    closesocket(a);
    closesocket(l);
    CloseHandle(port);
}

/* WSAAccept's condition function on a secured listener is asked with the
 * client's address, the one the accepted socket then reports, and its
 * verdict holds: a rejected client never gets a connection to talk to. */
static SOCKADDR_STORAGE condition_saw;
static int condition_calls, condition_answer;

static int CALLBACK remember_caller(WSABUF *caller_id, WSABUF *caller_data, QOS *sqos, QOS *gqos, WSABUF *callee_id,
                                   WSABUF *callee_data, GROUP *group, DWORD_PTR context)
{
    (void)caller_data; (void)sqos; (void)gqos; (void)callee_id; (void)callee_data; (void)group;
    condition_calls++;
    ok(context == 0x5ec, "condition context %#Ix\n", context);
    memset(&condition_saw, 0, sizeof(condition_saw));
    if (caller_id && caller_id->buf && caller_id->len <= sizeof(condition_saw))
        memcpy(&condition_saw, caller_id->buf, caller_id->len);
    return condition_answer;
}

static void test_wsaaccept_condition(int family)
{
    SOCKADDR_STORAGE addr, peer;
    HANDLE client;
    DWORD client_ok = 2;
    SOCKET l, a;
    int len, peer_len = sizeof(peer);

    l = secured_listener(family, &addr, &len);
    condition_calls = 0;
    condition_answer = CF_REJECT;
    client = CreateThread(NULL, 0, connect_client, &addr, 0, NULL);
    a = WSAAccept(l, NULL, NULL, remember_caller, 0x5ec);
    ok(a == INVALID_SOCKET && WSAGetLastError() == WSAECONNREFUSED, "rejected: %#Ix, error %d\n", a, WSAGetLastError());
    ok(condition_calls == 1, "condition called %d times\n", condition_calls);
    WaitForSingleObject(client, WAIT_MS);
    GetExitCodeThread(client, &client_ok);
    ok(client_ok == 0, "the rejected client completed an exchange\n");
    CloseHandle(client);

    condition_answer = CF_ACCEPT;
    client = CreateThread(NULL, 0, connect_client, &addr, 0, NULL);
    a = WSAAccept(l, NULL, NULL, remember_caller, 0x5ec);
    ok(a != INVALID_SOCKET, "WSAAccept: %d\n", WSAGetLastError());
    if (a != INVALID_SOCKET)
    {
        char buf[8];
        check_secured(a);
        ok(!getpeername(a, (struct sockaddr *)&peer, &peer_len), "getpeername: %d\n", WSAGetLastError());
        ok(condition_saw.ss_family == family && port_of(&condition_saw) == port_of(&peer),
           "the condition saw family %d port %u; the socket's peer is port %u\n", condition_saw.ss_family,
           port_of(&condition_saw), port_of(&peer));
        ok(recv(a, buf, sizeof(buf), 0) == 8, "recv: %d\n", WSAGetLastError());
        send(a, "ok", 2, 0);
        closesocket(a);
    }
    WaitForSingleObject(client, WAIT_MS);
    GetExitCodeThread(client, &client_ok);
    ok(client_ok == 1, "the accepted client's exchange failed\n");
    CloseHandle(client);
    closesocket(l);
}

static void test_family(int family)
{
    SOCKADDR_STORAGE server;
    SOCKET l;
    HANDLE t;
    struct accept_each accepting;
    int len;

    winetest_push_context("IPv%d", family == AF_INET6 ? 6 : 4);
    server_secured = server_insecure = server_served = 0;
    l = secured_listener(family, &server, &len);
    t = start_accept_each(&accepting, l, echo_connection);
    test_blocking(family, &server, len);
    test_select(family, &server, len);
    test_wsapoll(family, &server, len);
    test_event_select(family, &server, len);
    test_overlapped_events(family, &server, len);
    test_completion_routines(family, &server, len);
    test_iocp_connectex(family, &server, len);
    test_connect_by_name(family, &server);
    test_many(family, &server, len);
    /* Let the server threads finish counting. */
    for (DWORD start = GetTickCount(); server_served < 8 + MANY && GetTickCount() - start < WAIT_MS;) Sleep(50);
    ok(server_secured == 8 + MANY && !server_insecure, "server side: %ld connections secured, %ld not\n",
       server_secured, server_insecure);
    closesocket(l);
    WaitForSingleObject(t, WAIT_MS);
    CloseHandle(t);
    test_acceptex(family);
    test_wsaaccept_condition(family);
    test_select_refused(family);
    test_connectex_refused(family);
    test_not_tls(family);
    winetest_pop_context();
}

START_TEST(secsock_tls)
{
    SOCKET s;

    if (!loopback_trusted()) return;
    startup();
    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    get_extensions(s);
    closesocket(s);
    ok(pConnectEx && pAcceptEx, "no ConnectEx or AcceptEx\n");
    if (!pConnectEx || !pAcceptEx) return;
    test_family(AF_INET);
    if (have_ipv6()) test_family(AF_INET6);
    else skip("no IPv6 loopback\n");
    WSACleanup();
}
