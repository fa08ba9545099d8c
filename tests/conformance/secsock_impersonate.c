/* WSAImpersonateSocketPeer and WSARevertImpersonation. */
#include "secsock_test.h"


static void test_tcp(int family)
{
    SOCKADDR_STORAGE addr;
    SOCKET l, s, a;
    int len;

    winetest_push_context("af %d", family);
    s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    check_error(WSAImpersonateSocketPeer(s, (const struct sockaddr *)(NULL), 0), WSAENOTCONN);  /* docs silent; our choice */
    l = listener(family, &addr, &len);
    ok(!connect(s, (struct sockaddr *)&addr, len), "connect failed: %d\n", WSAGetLastError());
    a = accept(l, NULL, NULL);
    /* SecureTcpAcceptConnection passes (client, NULL, 0).  This connection
     * is in clear text (no backend secures it): no peer principal. */
    check_error(WSAImpersonateSocketPeer(a, (const struct sockaddr *)(NULL), 0), WSAEINVAL);  /* docs silent; our choice */
    check_error(WSAImpersonateSocketPeer(s, (const struct sockaddr *)(NULL), 0), WSAEINVAL);
    /* The address is ignored on a connected socket. */
    check_error(WSAImpersonateSocketPeer(s, (const struct sockaddr *)(&addr), 3), WSAEINVAL);
    ok(!WSARevertImpersonation(), "revert failed: %d\n", WSAGetLastError());
    closesocket(a);
    closesocket(s);
    closesocket(l);
    winetest_pop_context();
}

static void test_udp(int family)
{
    SOCKADDR_STORAGE addr;
    SOCKET s = secured_socket(family, SOCK_DGRAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    int len = loopback(family, &addr, 7);

    winetest_push_context("udp af %d", family);
    check_error(WSAImpersonateSocketPeer(s, (const struct sockaddr *)(NULL), 0), WSAEFAULT);
    check_error(WSAImpersonateSocketPeer(s, (const struct sockaddr *)(&addr), 4), WSAEMSGSIZE);
    addr.ss_family = 6;
    check_error(WSAImpersonateSocketPeer(s, (const struct sockaddr *)(&addr), sizeof(addr)), WSAEAFNOSUPPORT);
    loopback(family, &addr, 7);
    check_error(WSAImpersonateSocketPeer(s, (const struct sockaddr *)(&addr), len), WSAEINVAL);
    closesocket(s);
    winetest_pop_context();
}

static void test_revert(void)
{
    HANDLE token = NULL;

    /* Not impersonating: no action, success. */
    ok(!WSARevertImpersonation(), "revert failed: %d\n", WSAGetLastError());
    ok(!WSARevertImpersonation(), "second revert failed: %d\n", WSAGetLastError());
    ok(!OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token) && GetLastError() == ERROR_NO_TOKEN,
       "the thread has a token after revert (%lu)\n", GetLastError());
    if (token) CloseHandle(token);
}

static void test_not_a_socket(void)
{
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    closesocket(s);
    check_error(WSAImpersonateSocketPeer(s, (const struct sockaddr *)(NULL), 0), WSAENOTSOCK);
}

START_TEST(secsock_impersonate)
{
    startup();
    test_not_a_socket();
    test_revert();
    for_each_family(test_tcp, test_udp);
    WSACleanup();
}
