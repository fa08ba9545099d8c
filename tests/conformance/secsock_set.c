/* WSASetSocketSecurity: arguments, socket kinds, ordering rules. */
#include "secsock_test.h"


static void test_arguments(int family, int type)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, 0 };
    struct { SOCKET_SECURITY_SETTINGS_IPSEC ipsec; WCHAR strings[16]; } ip;
    SOCKET s;
    int ret;

    winetest_push_context("af %d type %d", family, type);

    s = socket(family, type, 0);
    ret = WSASetSocketSecurity(s, NULL, 0, NULL, NULL);
    ok(!ret, "NULL settings (defaults) failed: %d\n", WSAGetLastError());
    closesocket(s);

    s = socket(family, type, 0);
    check_error(WSASetSocketSecurity(s, NULL, sizeof(settings), NULL, NULL), WSAEFAULT);  /* docs silent; our choice */
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings) - 1, NULL, NULL), WSAEMSGSIZE);
    check_error(WSASetSocketSecurity(s, &settings, 0, NULL, NULL), WSAEMSGSIZE);
    settings.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_INVALID;
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    settings.SecurityProtocol = 0x7fffffff;
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    settings.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    settings.SecurityFlags = 0x4;
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    settings.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION | SOCKET_SETTINGS_ALLOW_INSECURE;
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);  /* docs silent; our choice */
    /* Failed calls leave the socket unsecured: a good call still works. */
    settings.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;
    ret = WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL);
    ok(!ret, "GUARANTEE_ENCRYPTION failed: %d\n", WSAGetLastError());
    /* Once per socket. */
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);  /* docs silent; our choice */
    closesocket(s);

    for (ULONG protocol = SOCKET_SECURITY_PROTOCOL_DEFAULT; protocol < SOCKET_SECURITY_PROTOCOL_INVALID; protocol++)
    {
        static const ULONG flags[] = { 0, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION, SOCKET_SETTINGS_ALLOW_INSECURE };
        for (int i = 0; i < 3; i++)
        {
            s = socket(family, type, 0);
            settings.SecurityProtocol = protocol;
            settings.SecurityFlags = flags[i];
            ret = WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL);
            ok(!ret, "protocol %lu flags %#lx failed: %d\n", protocol, flags[i], WSAGetLastError());
            closesocket(s);
        }
    }

    /* SOCKET_SECURITY_SETTINGS_IPSEC */
    memset(&ip, 0, sizeof(ip));
    ip.ipsec.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    ip.ipsec.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;
    ip.ipsec.IpsecFlags = SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION;
    s = socket(family, type, 0);
    ret = WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip.ipsec), NULL, NULL);
    ok(!ret, "SOCKET_SECURITY_SETTINGS_IPSEC failed: %d\n", WSAGetLastError());
    closesocket(s);
    s = socket(family, type, 0);
    check_error(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, 9, NULL, NULL), WSAEMSGSIZE);
    check_error(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip.ipsec) - 1, NULL, NULL), WSAEMSGSIZE);
    ip.ipsec.IpsecFlags = 0x10;
    check_error(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip.ipsec), NULL, NULL), WSAEINVAL);
    ip.ipsec.IpsecFlags = 0;
    ip.ipsec.UserNameStringLen = 3;   /* odd: not UTF-16 */
    check_error(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip), NULL, NULL), WSAEINVAL);
    ip.ipsec.UserNameStringLen = 8;
    wcscpy(ip.ipsec.AllStrings, L"user");
    check_error(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, AllStrings) + 6, NULL, NULL), WSAEMSGSIZE);  /* strings run past the buffer */
    ret = WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip.ipsec) + 8, NULL, NULL);
    ok(!ret, "IPSEC settings with a user name failed: %d\n", WSAGetLastError());
    closesocket(s);

    winetest_pop_context();
}

static void test_not_a_socket(void)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, 0 };
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);

    closesocket(s);
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAENOTSOCK);
    check_error(WSASetSocketSecurity((SOCKET)0xdead0, &settings, sizeof(settings), NULL, NULL), WSAENOTSOCK);
}

static void test_socket_kinds(void)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, 0 };
    SOCKET s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);

    if (s == INVALID_SOCKET)
    {
        skip("cannot create a raw socket (%d)\n", WSAGetLastError());
        return;
    }
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    closesocket(s);
}

static void test_ordering(int family)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_ALLOW_INSECURE };
    SOCKADDR_STORAGE addr, any;
    SOCKET l, s, a;
    int len, any_len;

    winetest_push_context("af %d", family);
    l = listener(family, &addr, &len);
    ok(l != INVALID_SOCKET, "no listener\n");

    /* Connected TCP socket (both ends). */
    s = socket(family, SOCK_STREAM, 0);
    ok(!connect(s, (struct sockaddr *)&addr, len), "connect failed: %d\n", WSAGetLastError());
    a = accept(l, NULL, NULL);
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEISCONN);
    check_error(WSASetSocketSecurity(a, &settings, sizeof(settings), NULL, NULL), WSAEISCONN);
    check_error(WSASetSocketSecurity(s, NULL, 0, NULL, NULL), WSAEISCONN);
    closesocket(s);
    closesocket(a);

    /* Bound (and listening) sockets: settings come before bind. */
    check_error(WSASetSocketSecurity(l, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);  /* docs silent; our choice */
    s = socket(family, SOCK_STREAM, 0);
    any_len = loopback(family, &any, 0);
    ok(!bind(s, (struct sockaddr *)&any, any_len), "bind failed: %d\n", WSAGetLastError());
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);  /* docs silent; our choice */
    closesocket(s);

    /* Connected UDP socket. */
    s = socket(family, SOCK_DGRAM, 0);
    ok(!connect(s, (struct sockaddr *)&addr, len), "UDP connect failed: %d\n", WSAGetLastError());
    check_error(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEISCONN);
    closesocket(s);
    closesocket(l);
    winetest_pop_context();
}

static void test_exclusive_addr_use(void)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_ALLOW_INSECURE };
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    BOOL value = FALSE;
    int len = sizeof(value), ret;

    ret = getsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&value, &len);
    ok(!ret && !value, "SO_EXCLUSIVEADDRUSE before: ret %d value %d\n", ret, value);
    ret = WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL);
    ok(!ret, "WSASetSocketSecurity failed: %d\n", WSAGetLastError());
    len = sizeof(value);
    ret = getsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&value, &len);
    ok(!ret && value, "SO_EXCLUSIVEADDRUSE after: ret %d value %d\n", ret, value);
    closesocket(s);
}

static void test_overlapped(void)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_ALLOW_INSECURE };
    WSAOVERLAPPED ovl;
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    int ret;

    memset(&ovl, 0, sizeof(ovl));
    ovl.hEvent = WSACreateEvent();
    ret = WSASetSocketSecurity(s, &settings, sizeof(settings), &ovl, NULL);
    ok(!ret, "overlapped WSASetSocketSecurity failed: %d\n", WSAGetLastError());
    ok(WaitForSingleObject(ovl.hEvent, 1000) == WAIT_OBJECT_0, "the event was not signalled\n");
    WSACloseEvent(ovl.hEvent);
    closesocket(s);
}

/* SOCKET_SECURITY_SETTINGS_IPSEC asks for more than the protocol: user
 * credentials, policy keys, IpsecFlags.  The settings are taken (as on
 * Windows), but a connect with them is refused with WSAEOPNOTSUPP, even
 * with ALLOW_INSECURE: they cannot be honoured, and are never ignored
 * (README: our choice).  Without them, the protocol's own verdict stands. */
static void test_ipsec_extras(void)
{
    struct { SOCKET_SECURITY_SETTINGS_IPSEC ipsec; WCHAR strings[16]; } ip;
    SOCKADDR_STORAGE addr;
    SOCKET l, s;
    int len, variant;

    l = listener(AF_INET, &addr, &len);
    for (variant = 0; variant < 5; variant++)
    {
        winetest_push_context("variant %d", variant);
        memset(&ip, 0, sizeof(ip));
        ip.ipsec.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
        ip.ipsec.SecurityFlags = SOCKET_SETTINGS_ALLOW_INSECURE;
        switch (variant)
        {
        case 1: ip.ipsec.UserNameStringLen = 8; memcpy(ip.ipsec.AllStrings, L"user", 8); break;
        case 2: ip.ipsec.IpsecFlags = SOCKET_SETTINGS_IPSEC_SKIP_FILTER_INSTANTIATION; break;
        case 3: ip.ipsec.AuthipMMPolicyKey.Data1 = 0x5ec; break;
        case 4: ip.ipsec.PasswordStringLen = 4; memcpy(ip.ipsec.AllStrings, L"pw", 4); break;
        }
        s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        ok(!WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip), NULL, NULL), "set: %d\n",
           WSAGetLastError());
        if (!variant)
            ok(!connect(s, (struct sockaddr *)&addr, len), "plain IPSEC settings, ALLOW_INSECURE: %d\n",
               WSAGetLastError());
        else check_error(connect(s, (struct sockaddr *)&addr, len), WSAEOPNOTSUPP);
        closesocket(s);
        winetest_pop_context();
    }
    closesocket(l);
}

START_TEST(secsock_set)
{
    startup();
    test_not_a_socket();
    test_arguments(AF_INET, SOCK_STREAM);
    test_arguments(AF_INET, SOCK_DGRAM);
    test_socket_kinds();
    test_ordering(AF_INET);
    if (have_ipv6())
    {
        test_arguments(AF_INET6, SOCK_STREAM);
        test_arguments(AF_INET6, SOCK_DGRAM);
        test_ordering(AF_INET6);
    }
    else skip("no IPv6 loopback\n");
    test_exclusive_addr_use();
    test_overlapped();
    test_ipsec_extras();
    WSACleanup();
}
