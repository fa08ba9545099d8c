/* WSASetSocketPeerTargetName and WSADeleteSocketPeerTargetName. */
#include "secsock_test.h"

static void check_target_error(SOCKET s, const SOCKET_PEER_TARGET_NAME *t, ULONG len, int expect, int line)
{
    int ret;

    WSASetLastError(0xdeadbeef);
    ret = WSASetSocketPeerTargetName(s, t, len, NULL, NULL);
    ok_(__FILE__, line)(ret == SOCKET_ERROR && WSAGetLastError() == expect,
                        "got %d, error %d; expected error %d\n", ret, WSAGetLastError(), expect);
}
#define check_target_error(a, b, c, d) check_target_error(a, b, c, d, __LINE__)

static void check_delete_error(SOCKET s, const void *addr, ULONG len, int expect, int line)
{
    int ret;

    WSASetLastError(0xdeadbeef);
    ret = WSADeleteSocketPeerTargetName(s, addr, len, NULL, NULL);
    ok_(__FILE__, line)(ret == SOCKET_ERROR && WSAGetLastError() == expect,
                        "got %d, error %d; expected error %d\n", ret, WSAGetLastError(), expect);
}
#define check_delete_error(a, b, c, d) check_delete_error(a, b, c, d, __LINE__)

static void test_tcp(int family)
{
    static const WCHAR spn[] = L"host/server.example.com";
    SOCKET_PEER_TARGET_NAME *t;
    SOCKADDR_STORAGE addr;
    ULONG len;
    SOCKET s, l, a;
    int ret, alen;

    winetest_push_context("af %d", family);
    s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);

    /* SecureTcpConnect, the Microsoft sample: wcslen characters, sizeof + 2n bytes. */
    t = make_target(spn, (ULONG)wcslen(spn), &len, 0);
    ret = WSASetSocketPeerTargetName(s, t, len, NULL, NULL);
    ok(!ret, "sample layout failed: %d\n", WSAGetLastError());
    free(t);
    /* The documented layout: a byte count, and no tail padding. */
    t = make_target(spn, (ULONG)(wcslen(spn) * sizeof(WCHAR)), &len, 0);
    len -= 4;
    ret = WSASetSocketPeerTargetName(s, t, len, NULL, NULL);
    ok(!ret, "documented layout failed: %d\n", WSAGetLastError());
    /* Called again: the name is replaced. */
    ret = WSASetSocketPeerTargetName(s, t, len, NULL, NULL);
    ok(!ret, "second call failed: %d\n", WSAGetLastError());

    check_target_error(s, NULL, len, WSAEFAULT);
    check_target_error(s, t, offsetof(SOCKET_PEER_TARGET_NAME, AllStrings) - 1, WSAEMSGSIZE);
    check_target_error(s, t, 0, WSAEMSGSIZE);
    t->PeerTargetNameStringLen = 200;
    check_target_error(s, t, len, WSAEMSGSIZE);
    t->PeerTargetNameStringLen = 0;
    check_target_error(s, t, len, WSAEINVAL);
    t->PeerTargetNameStringLen = (ULONG)wcslen(spn);
    t->SecurityProtocol = SOCKET_SECURITY_PROTOCOL_INVALID;
    check_target_error(s, t, len, WSAEINVAL);
    t->SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    t->PeerAddress.ss_family = 6;  /* AF_IPX */
    check_target_error(s, t, len, WSAEAFNOSUPPORT);
    free(t);
    {
        WCHAR *big = calloc(1100, sizeof(WCHAR));
        for (int i = 0; i < 1025; i++) big[i] = 'a';
        t = make_target(big, 1025, &len, 0);
        check_target_error(s, t, len, WSAEINVAL);  /* over 1024 characters: our limit */
        free(t);
        free(big);
    }
    closesocket(s);

    /* A socket nobody secured may still name its peer. */
    s = socket(family, SOCK_STREAM, 0);
    t = make_target(spn, (ULONG)wcslen(spn), &len, 0);
    ret = WSASetSocketPeerTargetName(s, t, len, NULL, NULL);
    ok(!ret, "unsecured socket: %d\n", WSAGetLastError());
    closesocket(s);

    /* Connected: too late. */
    l = listener(family, &addr, &alen);
    s = socket(family, SOCK_STREAM, 0);
    ok(!connect(s, (struct sockaddr *)&addr, alen), "connect failed: %d\n", WSAGetLastError());
    a = accept(l, NULL, NULL);
    check_target_error(s, t, len, WSAEISCONN);
    /* Deleting on a connected socket is allowed (no WSAEISCONN documented). */
    ret = WSADeleteSocketPeerTargetName(s, (struct sockaddr *)&addr, alen, NULL, NULL);
    ok(!ret, "delete on a connected socket: %d\n", WSAGetLastError());
    closesocket(a);
    closesocket(s);
    closesocket(l);
    free(t);
    winetest_pop_context();
}

static void test_udp(int family)
{
    static const WCHAR spn[] = L"host/peer.example.com";
    SOCKET_PEER_TARGET_NAME *t;
    SOCKADDR_STORAGE peer;
    ULONG len;
    int ret, plen;
    SOCKET s = secured_socket(family, SOCK_DGRAM, 0);

    winetest_push_context("udp af %d", family);
    t = make_target(spn, (ULONG)wcslen(spn), &len, 0);
    check_target_error(s, t, len, WSAEINVAL);  /* no peer address */
    loopback(family, &t->PeerAddress, 0);
    ((struct sockaddr_in *)&t->PeerAddress)->sin_port = 0;
    if (family == AF_INET) ((struct sockaddr_in *)&t->PeerAddress)->sin_addr.s_addr = 0;
    else memset(&((struct sockaddr_in6 *)&t->PeerAddress)->sin6_addr, 0, 16);
    check_target_error(s, t, len, WSAEINVAL);  /* IP and port zero */
    plen = loopback(family, &t->PeerAddress, 5000);
    ret = WSASetSocketPeerTargetName(s, t, len, NULL, NULL);
    ok(!ret, "UDP peer 1: %d\n", WSAGetLastError());
    memcpy(&peer, &t->PeerAddress, sizeof(peer));
    loopback(family, &t->PeerAddress, 5001);
    ret = WSASetSocketPeerTargetName(s, t, len, NULL, NULL);
    ok(!ret, "UDP peer 2: %d\n", WSAGetLastError());

    ret = WSADeleteSocketPeerTargetName(s, (struct sockaddr *)&peer, plen, NULL, NULL);
    ok(!ret, "delete: %d\n", WSAGetLastError());
    ret = WSADeleteSocketPeerTargetName(s, (struct sockaddr *)&peer, plen, NULL, NULL);
    ok(!ret, "delete again: %d\n", WSAGetLastError());  /* docs silent; our choice */
    check_delete_error(s, NULL, plen, WSAEFAULT);
    check_delete_error(s, &peer, family == AF_INET ? 15 : 27, WSAEMSGSIZE);
    check_delete_error(s, &peer, 1, WSAEMSGSIZE);
    peer.ss_family = 6;
    check_delete_error(s, &peer, sizeof(peer), WSAEAFNOSUPPORT);
    closesocket(s);
    free(t);
    winetest_pop_context();
}

static void test_not_a_socket(void)
{
    SOCKET_PEER_TARGET_NAME *t;
    SOCKADDR_STORAGE addr;
    ULONG len;
    int alen = loopback(AF_INET, &addr, 80);
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);

    closesocket(s);
    t = make_target(L"host/x", 6, &len, 0);
    check_target_error(s, t, len, WSAENOTSOCK);
    check_delete_error(s, &addr, alen, WSAENOTSOCK);
    free(t);
}

START_TEST(secsock_target)
{
    startup();
    test_not_a_socket();
    test_tcp(AF_INET);
    test_udp(AF_INET);
    if (have_ipv6())
    {
        test_tcp(AF_INET6);
        test_udp(AF_INET6);
    }
    else skip("no IPv6 loopback\n");
    WSACleanup();
}
