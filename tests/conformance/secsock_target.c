/* WSASetSocketPeerTargetName and WSADeleteSocketPeerTargetName. */
#include "secsock_test.h"



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

    check_error(WSASetSocketPeerTargetName(s, NULL, len, NULL, NULL), WSAEFAULT);
    check_error(WSASetSocketPeerTargetName(s, t, offsetof(SOCKET_PEER_TARGET_NAME, AllStrings) - 1, NULL, NULL), WSAEMSGSIZE);
    check_error(WSASetSocketPeerTargetName(s, t, 0, NULL, NULL), WSAEMSGSIZE);
    t->PeerTargetNameStringLen = 200;
    check_error(WSASetSocketPeerTargetName(s, t, len, NULL, NULL), WSAEMSGSIZE);
    t->PeerTargetNameStringLen = 0;
    check_error(WSASetSocketPeerTargetName(s, t, len, NULL, NULL), WSAEINVAL);
    t->PeerTargetNameStringLen = (ULONG)wcslen(spn);
    t->SecurityProtocol = SOCKET_SECURITY_PROTOCOL_INVALID;
    check_error(WSASetSocketPeerTargetName(s, t, len, NULL, NULL), WSAEINVAL);
    t->SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    t->PeerAddress.ss_family = 6;  /* AF_IPX */
    check_error(WSASetSocketPeerTargetName(s, t, len, NULL, NULL), WSAEAFNOSUPPORT);
    free(t);
    {
        WCHAR *big = calloc(1100, sizeof(WCHAR));
        for (int i = 0; i < 1025; i++) big[i] = 'a';
        t = make_target(big, 1025, &len, 0);
        check_error(WSASetSocketPeerTargetName(s, t, len, NULL, NULL), WSAEINVAL);  /* over 1024 characters: our limit */
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
    check_error(WSASetSocketPeerTargetName(s, t, len, NULL, NULL), WSAEISCONN);
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
    check_error(WSASetSocketPeerTargetName(s, t, len, NULL, NULL), WSAEINVAL);  /* no peer address */
    loopback(family, &t->PeerAddress, 0);
    ((struct sockaddr_in *)&t->PeerAddress)->sin_port = 0;
    if (family == AF_INET) ((struct sockaddr_in *)&t->PeerAddress)->sin_addr.s_addr = 0;
    else memset(&((struct sockaddr_in6 *)&t->PeerAddress)->sin6_addr, 0, 16);
    check_error(WSASetSocketPeerTargetName(s, t, len, NULL, NULL), WSAEINVAL);  /* IP and port zero */
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
    check_error(WSADeleteSocketPeerTargetName(s, (const struct sockaddr *)(NULL), plen, NULL, NULL), WSAEFAULT);
    check_error(WSADeleteSocketPeerTargetName(s, (const struct sockaddr *)(&peer), family == AF_INET ? 15 : 27, NULL, NULL), WSAEMSGSIZE);
    check_error(WSADeleteSocketPeerTargetName(s, (const struct sockaddr *)(&peer), 1, NULL, NULL), WSAEMSGSIZE);
    peer.ss_family = 6;
    check_error(WSADeleteSocketPeerTargetName(s, (const struct sockaddr *)(&peer), sizeof(peer), NULL, NULL), WSAEAFNOSUPPORT);
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
    check_error(WSASetSocketPeerTargetName(s, t, len, NULL, NULL), WSAENOTSOCK);
    check_error(WSADeleteSocketPeerTargetName(s, (const struct sockaddr *)(&addr), alen, NULL, NULL), WSAENOTSOCK);
    free(t);
}

START_TEST(secsock_target)
{
    startup();
    test_not_a_socket();
    for_each_family(test_tcp, test_udp);
    WSACleanup();
}
