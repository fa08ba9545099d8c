/* WSAQuerySocketSecurity: the size probe, templates, TCP and UDP. */
#include "secsock_test.h"


/* A connected pair; client secured with flags (or not secured when flags is -1). */
static void connected_pair(int family, LONG flags, SOCKET *client, SOCKET *server)
{
    SOCKADDR_STORAGE addr;
    int len;
    SOCKET l = listener(family, &addr, &len);

    *client = flags < 0 ? socket(family, SOCK_STREAM, 0) : secured_socket(family, SOCK_STREAM, (ULONG)flags);
    ok(!connect(*client, (struct sockaddr *)&addr, len), "connect failed: %d\n", WSAGetLastError());
    *server = accept(l, NULL, NULL);
    ok(*server != INVALID_SOCKET, "accept failed: %d\n", WSAGetLastError());
    closesocket(l);
}

static void test_tcp(int family)
{
    SOCKET_SECURITY_QUERY_TEMPLATE tmpl;
    SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 tmpl2;
    SOCKET_SECURITY_QUERY_INFO_IPSEC2 info;
    SOCKET client, server, s;
    ULONG len;
    int ret;

    winetest_push_context("af %d", family);
    connected_pair(family, SOCKET_SETTINGS_ALLOW_INSECURE, &client, &server);

    /* QueryTcpSocketSecurity, the Microsoft sample: probe, then query. */
    len = 0;
    check_error(WSAQuerySocketSecurity(client, NULL, 0, NULL, &len, NULL, NULL), WSAEFAULT);
    ok(len == sizeof(SOCKET_SECURITY_QUERY_INFO), "probe: len %lu\n", len);
    len = sizeof(SOCKET_SECURITY_QUERY_INFO) - 1;
    check_error(WSAQuerySocketSecurity(client, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL), WSAEFAULT);
    ok(len == sizeof(SOCKET_SECURITY_QUERY_INFO), "short buffer: len %lu\n", len);
    memset(&info, 0xcc, sizeof(info));
    len = sizeof(SOCKET_SECURITY_QUERY_INFO);
    ret = WSAQuerySocketSecurity(client, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL);
    ok(!ret, "query failed: %d\n", WSAGetLastError());
    ok(len == sizeof(SOCKET_SECURITY_QUERY_INFO), "len %lu\n", len);
    ok(info.SecurityProtocol == SOCKET_SECURITY_PROTOCOL_DEFAULT, "protocol %d\n", info.SecurityProtocol);
    /* ALLOW_INSECURE with no backend that can secure the peer: clear text. */
    ok(info.Flags == 0, "flags %#lx\n", info.Flags);
    ok(!info.PeerApplicationAccessTokenHandle && !info.PeerMachineAccessTokenHandle, "token handles returned\n");
    /* A larger buffer: only the struct is written. */
    len = sizeof(info);
    ret = WSAQuerySocketSecurity(client, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL);
    ok(!ret && len == sizeof(SOCKET_SECURITY_QUERY_INFO), "ret %d len %lu\n", ret, len);

    /* Templates. */
    memset(&tmpl, 0, sizeof(tmpl));
    len = sizeof(info);
    ret = WSAQuerySocketSecurity(client, &tmpl, sizeof(tmpl), (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL);
    ok(!ret, "all-zero template failed: %d\n", WSAGetLastError());
    tmpl.PeerTokenAccessMask = TOKEN_QUERY;
    ret = WSAQuerySocketSecurity(client, &tmpl, sizeof(tmpl), (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL);
    ok(!ret && !info.PeerApplicationAccessTokenHandle, "no token for a clear connection: ret %d\n", ret);
    check_error(WSAQuerySocketSecurity(client, &tmpl, sizeof(tmpl) - 1, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL), WSAEMSGSIZE);
    tmpl.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_INVALID;
    check_error(WSAQuerySocketSecurity(client, &tmpl, sizeof(tmpl), (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL), WSAEINVAL);
    check_error(WSAQuerySocketSecurity(client, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, NULL, NULL, NULL), WSAEFAULT);

    /* The IPSEC2 template asks for the larger info struct. */
    memset(&tmpl2, 0, sizeof(tmpl2));
    tmpl2.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC2;
    tmpl2.FieldMask = SOCKET_QUERY_IPSEC2_FIELD_MASK_MM_SA_ID | SOCKET_QUERY_IPSEC2_FIELD_MASK_QM_SA_ID;
    len = sizeof(SOCKET_SECURITY_QUERY_INFO);
    check_error(WSAQuerySocketSecurity(client, (SOCKET_SECURITY_QUERY_TEMPLATE *)&tmpl2, sizeof(tmpl2), (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL), WSAEFAULT);
    ok(len == sizeof(SOCKET_SECURITY_QUERY_INFO_IPSEC2), "IPSEC2 probe: len %lu\n", len);
    ret = WSAQuerySocketSecurity(client, (SOCKET_SECURITY_QUERY_TEMPLATE *)&tmpl2, sizeof(tmpl2),
                                 (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL);
    ok(!ret && len == sizeof(info) && !info.MmSaId && !info.QmSaId, "IPSEC2 query: ret %d len %lu\n", ret, len);

    /* The accepting side of a connection nobody secured. */
    len = sizeof(info);
    ret = WSAQuerySocketSecurity(server, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL);
    ok(!ret && !info.Flags && info.SecurityProtocol == SOCKET_SECURITY_PROTOCOL_DEFAULT,
       "server side: ret %d flags %#lx\n", ret, info.Flags);
    closesocket(client);
    closesocket(server);

    /* A socket never secured, connected. */
    connected_pair(family, -1, &client, &server);
    len = sizeof(info);
    ret = WSAQuerySocketSecurity(client, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL);
    ok(!ret && !info.Flags, "unsecured socket: ret %d flags %#lx\n", ret, info.Flags);
    closesocket(client);
    closesocket(server);

    /* IPSEC protocol is reported back. */
    {
        SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_IPSEC, SOCKET_SETTINGS_ALLOW_INSECURE };
        SOCKADDR_STORAGE addr;
        int alen;
        SOCKET l = listener(family, &addr, &alen);
        s = socket(family, SOCK_STREAM, 0);
        ok(!WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), "set failed\n");
        ok(!connect(s, (struct sockaddr *)&addr, alen), "connect failed: %d\n", WSAGetLastError());
        len = sizeof(info);
        ret = WSAQuerySocketSecurity(s, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL);
        ok(!ret && info.SecurityProtocol == SOCKET_SECURITY_PROTOCOL_IPSEC && !info.Flags,
           "ret %d protocol %d flags %#lx\n", ret, info.SecurityProtocol, info.Flags);
        closesocket(s);
        closesocket(l);
    }

    /* Not connected yet. */
    s = secured_socket(family, SOCK_STREAM, 0);
    len = sizeof(info);
    check_error(WSAQuerySocketSecurity(s, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL), WSAENOTCONN);  /* docs silent; our choice */
    closesocket(s);
    winetest_pop_context();
}

static void test_udp(int family)
{
    SOCKET_SECURITY_QUERY_TEMPLATE tmpl;
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKET s = secured_socket(family, SOCK_DGRAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    ULONG len;
    int ret;

    winetest_push_context("udp af %d", family);
    len = sizeof(info);
    check_error(WSAQuerySocketSecurity(s, NULL, 0, &info, &len, NULL, NULL), WSAEMSGSIZE);
    memset(&tmpl, 0, sizeof(tmpl));
    check_error(WSAQuerySocketSecurity(s, &tmpl, sizeof(tmpl) - 4, &info, &len, NULL, NULL), WSAEMSGSIZE);
    check_error(WSAQuerySocketSecurity(s, &tmpl, sizeof(tmpl), &info, &len, NULL, NULL), WSAEINVAL);  /* no peer address */
    loopback(family, &tmpl.PeerAddress, 0);
    check_error(WSAQuerySocketSecurity(s, &tmpl, sizeof(tmpl), &info, &len, NULL, NULL), WSAEINVAL);  /* no port */
    loopback(family, &tmpl.PeerAddress, 9);
    len = 0;
    check_error(WSAQuerySocketSecurity(s, &tmpl, sizeof(tmpl), NULL, &len, NULL, NULL), WSAEMSGSIZE);
    ok(len == sizeof(info), "UDP probe: len %lu\n", len);
    ret = WSAQuerySocketSecurity(s, &tmpl, sizeof(tmpl), &info, &len, NULL, NULL);
    ok(!ret && !info.Flags, "UDP query: ret %d error %d flags %#lx\n", ret, WSAGetLastError(), info.Flags);
    closesocket(s);
    winetest_pop_context();
}

static void test_not_a_socket(void)
{
    SOCKET_SECURITY_QUERY_INFO info;
    ULONG len = sizeof(info);
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);

    closesocket(s);
    check_error(WSAQuerySocketSecurity(s, NULL, 0, &info, &len, NULL, NULL), WSAENOTSOCK);
}

START_TEST(secsock_query)
{
    startup();
    test_not_a_socket();
    for_each_family(test_tcp, test_udp);
    WSACleanup();
}
