/* WSAImpersonateSocketPeer and WSARevertImpersonation. */
#include "secsock_test.h"

static void check_impersonate_error(SOCKET s, const void *addr, ULONG len, int expect, int line)
{
    int ret;

    WSASetLastError(0xdeadbeef);
    ret = WSAImpersonateSocketPeer(s, addr, len);
    ok_(__FILE__, line)(ret == SOCKET_ERROR && WSAGetLastError() == expect,
                        "got %d, error %d; expected error %d\n", ret, WSAGetLastError(), expect);
}
#define check_impersonate_error(a, b, c, d) check_impersonate_error(a, b, c, d, __LINE__)

static void test_tcp(int family)
{
    SOCKADDR_STORAGE addr;
    SOCKET l, s, a;
    int len;

    winetest_push_context("af %d", family);
    s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    check_impersonate_error(s, NULL, 0, WSAENOTCONN);  /* docs silent; our choice */
    l = listener(family, &addr, &len);
    ok(!connect(s, (struct sockaddr *)&addr, len), "connect failed: %d\n", WSAGetLastError());
    a = accept(l, NULL, NULL);
    /* SecureTcpAcceptConnection passes (client, NULL, 0).  This connection
     * is in clear text (no backend secures it): no peer principal. */
    check_impersonate_error(a, NULL, 0, WSAEINVAL);  /* docs silent; our choice */
    check_impersonate_error(s, NULL, 0, WSAEINVAL);
    /* The address is ignored on a connected socket. */
    check_impersonate_error(s, &addr, 3, WSAEINVAL);
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
    check_impersonate_error(s, NULL, 0, WSAEFAULT);
    check_impersonate_error(s, &addr, 4, WSAEMSGSIZE);
    addr.ss_family = 6;
    check_impersonate_error(s, &addr, sizeof(addr), WSAEAFNOSUPPORT);
    loopback(family, &addr, 7);
    check_impersonate_error(s, &addr, len, WSAEINVAL);
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
    check_impersonate_error(s, NULL, 0, WSAENOTSOCK);
}

START_TEST(secsock_impersonate)
{
    startup();
    test_not_a_socket();
    test_revert();
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
