/* Sockets nobody secures: plain Winsock behaviour, which must be the same
 * with secsock installed as with Wine's own ws2_32.  The runner runs this
 * program in both kinds of prefix. */
#include "secsock_test.h"

static void tcp_pair(SOCKET *client, SOCKET *server)
{
    SOCKADDR_STORAGE addr;
    int len;
    SOCKET l = listener(AF_INET, &addr, &len);

    *client = socket(AF_INET, SOCK_STREAM, 0);
    ok(!connect(*client, (struct sockaddr *)&addr, len), "connect failed: %d\n", WSAGetLastError());
    *server = accept(l, NULL, NULL);
    ok(*server != INVALID_SOCKET, "accept failed: %d\n", WSAGetLastError());
    closesocket(l);
}

static void test_send_recv_select_poll(void)
{
    SOCKET c, s;
    char buf[16];
    fd_set set;
    struct timeval tv = { 1, 0 };
    WSAPOLLFD pfd;
    int n;

    tcp_pair(&c, &s);
    ok(send(c, "hello", 5, 0) == 5, "send failed: %d\n", WSAGetLastError());
    FD_ZERO(&set);
    FD_SET(s, &set);
    ok(select(0, &set, NULL, NULL, &tv) == 1, "select: not readable\n");
    pfd.fd = s;
    pfd.events = POLLRDNORM;
    pfd.revents = 0;
    ok(WSAPoll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLRDNORM), "WSAPoll: revents %#x\n", pfd.revents);
    n = recv(s, buf, sizeof(buf), 0);
    ok(n == 5 && !memcmp(buf, "hello", 5), "recv: %d\n", n);
    shutdown(c, SD_SEND);
    ok(recv(s, buf, sizeof(buf), 0) == 0, "no clean end of stream\n");
    closesocket(c);
    closesocket(s);
}

static void test_event_select(void)
{
    WSANETWORKEVENTS events;
    WSAEVENT event = WSACreateEvent();
    SOCKET c, s;

    tcp_pair(&c, &s);
    ok(!WSAEventSelect(s, event, FD_READ | FD_CLOSE), "WSAEventSelect failed: %d\n", WSAGetLastError());
    send(c, "x", 1, 0);
    ok(WSAWaitForMultipleEvents(1, &event, FALSE, 2000, FALSE) == WSA_WAIT_EVENT_0, "no FD_READ event\n");
    ok(!WSAEnumNetworkEvents(s, event, &events) && (events.lNetworkEvents & FD_READ), "events %#lx\n",
       events.lNetworkEvents);
    WSACloseEvent(event);
    closesocket(c);
    closesocket(s);
}

static void test_nonblocking_connect(void)
{
    SOCKADDR_STORAGE addr;
    fd_set wr;
    struct timeval tv = { 2, 0 };
    int len, ret;
    SOCKET l = listener(AF_INET, &addr, &len), c = socket(AF_INET, SOCK_STREAM, 0), a;

    set_blocking(c, 0);
    ret = connect(c, (struct sockaddr *)&addr, len);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK, "non-blocking connect: %d, %d\n", ret,
       WSAGetLastError());
    FD_ZERO(&wr);
    FD_SET(c, &wr);
    ok(select(0, NULL, &wr, NULL, &tv) == 1, "not writable after connect\n");
    a = accept(l, NULL, NULL);
    ok(a != INVALID_SOCKET, "accept failed\n");
    closesocket(a);
    closesocket(c);
    closesocket(l);
}

static void test_overlapped_recv(void)
{
    SOCKET c, s;
    WSAOVERLAPPED ovl;
    WSABUF wsabuf;
    DWORD bytes = 0, flags = 0;
    char buf[8];
    int ret;

    tcp_pair(&c, &s);
    memset(&ovl, 0, sizeof(ovl));
    ovl.hEvent = WSACreateEvent();
    wsabuf.buf = buf;
    wsabuf.len = sizeof(buf);
    ret = WSARecv(s, &wsabuf, 1, &bytes, &flags, &ovl, NULL);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING, "WSARecv: %d, %d\n", ret, WSAGetLastError());
    send(c, "abc", 3, 0);
    ok(WSAGetOverlappedResult(s, &ovl, &bytes, TRUE, &flags) && bytes == 3, "overlapped result: %lu\n", bytes);
    WSACloseEvent(ovl.hEvent);
    closesocket(c);
    closesocket(s);
}

static void test_names_and_errors(void)
{
    SOCKET c, s;
    SOCKADDR_STORAGE a1, a2;
    int l1 = sizeof(a1), l2 = sizeof(a2), ret;
    struct addrinfo hints, *res = NULL;
    DWORD bytes;
    char buf[16];

    tcp_pair(&c, &s);
    ok(!getsockname(c, (struct sockaddr *)&a1, &l1) && !getpeername(s, (struct sockaddr *)&a2, &l2) &&
       port_of(&a1) == port_of(&a2), "names do not match\n");
    l1 = 2;
    ret = getsockname(c, (struct sockaddr *)&a1, &l1);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEFAULT, "short getsockname: %d, %d\n", ret, WSAGetLastError());
    ret = WSAIoctl(c, 0x98000fff, NULL, 0, NULL, 0, &bytes, NULL, NULL);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEOPNOTSUPP, "unknown ioctl: %d, %d\n", ret, WSAGetLastError());
    closesocket(c);
    closesocket(s);
    ret = recv(c, buf, sizeof(buf), 0);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAENOTSOCK, "recv on a closed socket: %d, %d\n", ret,
       WSAGetLastError());

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_flags = AI_NUMERICHOST;
    ok(!getaddrinfo("127.0.0.1", "80", &hints, &res) && res && res->ai_family == AF_INET, "getaddrinfo failed\n");
    if (res) freeaddrinfo(res);
}

static void test_udp(void)
{
    SOCKADDR_STORAGE addr;
    SOCKET r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
    int len = loopback(AF_INET, &addr, 0), n;
    char buf[8];

    bind(r, (struct sockaddr *)&addr, len);
    getsockname(r, (struct sockaddr *)&addr, &len);
    ok(sendto(s, "dgram", 5, 0, (struct sockaddr *)&addr, len) == 5, "sendto failed\n");
    n = recv(r, buf, sizeof(buf), 0);
    ok(n == 5 && !memcmp(buf, "dgram", 5), "recv: %d\n", n);
    closesocket(r);
    closesocket(s);
}

START_TEST(passthrough)
{
    startup();
    test_send_recv_select_poll();
    test_event_select();
    test_nonblocking_connect();
    test_overlapped_recv();
    test_names_and_errors();
    test_udp();
    WSACleanup();
}
