/* The peer of a secured connection, as a token: WSAQuerySocketSecurity
 * with a PeerTokenAccessMask, WSAImpersonateSocketPeer and
 * WSARevertImpersonation on TLS-secured connections (IPv4 and IPv6), both
 * ends, as Microsoft's SecureTcpAcceptConnection does (impersonate with
 * (socket, NULL, 0), check access, revert).
 *
 * A peer proves a key, never a Windows account, so the only honest token
 * is Windows' least privilege for an unmapped remote principal: the
 * anonymous logon (user S-1-5-7, no Everyone, no privileges).  Where the
 * system can make no such token (Wine 8: NtImpersonateAnonymousToken is a
 * stub, NtCreateToken missing), the query returns no token, impersonation
 * fails with WSAEOPNOTSUPP and the thread keeps no token at all; the token
 * checks are then skipped, with that reason.
 *
 * Needs the runner's TLS service (SECSOCK_TLS_TRUSTED=1, as secsock_tls). */
#include "secsock_test.h"
#include <sddl.h>

static const char *no_anonymous;  /* why this system can make no anonymous token, or NULL */

static void probe_anonymous(void)
{
    if (ImpersonateAnonymousToken(GetCurrentThread()))
    {
        RevertToSelf();
        return;
    }
    if (GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtCreateToken")) return;
    no_anonymous = "this system makes no anonymous logon token (ImpersonateAnonymousToken fails, "
                   "ntdll has no NtCreateToken: Wine 8)";
}

static BOOL on_wine(void)
{
    return GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version") != NULL;
}

/* A connected, accepted pair secured with settings; FALSE (and a skip)
 * when the service cannot secure it. */
static BOOL secured_pair(int family, const SOCKET_SECURITY_SETTINGS *settings, ULONG settings_len,
                         SOCKET *client, SOCKET *server)
{
    SOCKADDR_STORAGE addr;
    SOCKET l, c;
    int len, n;

    l = socket(family, SOCK_STREAM, IPPROTO_TCP);
    c = socket(family, SOCK_STREAM, IPPROTO_TCP);
    ok(!WSASetSocketSecurity(l, settings, settings_len, NULL, NULL), "secure listener: %d\n", WSAGetLastError());
    ok(!WSASetSocketSecurity(c, settings, settings_len, NULL, NULL), "secure client: %d\n", WSAGetLastError());
    len = loopback(family, &addr, 0);
    n = len;
    if (bind(l, (struct sockaddr *)&addr, len) || listen(l, 4) || getsockname(l, (struct sockaddr *)&addr, &n)
        || connect(c, (struct sockaddr *)&addr, len))
    {
        skip("protocol %d: the service secures no connection here (error %d)\n", settings->SecurityProtocol,
             WSAGetLastError());
        closesocket(c);
        closesocket(l);
        return FALSE;
    }
    *server = readable(l, 15000) ? accept(l, NULL, NULL) : INVALID_SOCKET;
    ok(*server != INVALID_SOCKET, "accept: %d\n", WSAGetLastError());
    closesocket(l);
    *client = c;
    return *server != INVALID_SOCKET;
}

static BOOL token_user_is(HANDLE token, WELL_KNOWN_SID_TYPE type)
{
    BYTE buf[256], want[SECURITY_MAX_SID_SIZE];
    DWORD len = sizeof(want);

    if (!GetTokenInformation(token, TokenUser, buf, sizeof(buf), &len)) return FALSE;
    len = sizeof(want);
    CreateWellKnownSid(type, NULL, want, &len);
    return EqualSid(((TOKEN_USER *)buf)->User.Sid, want);
}

/* The anonymous logon: user S-1-5-7, not Everyone, no privilege. */
static void check_anonymous(HANDLE token, int line)
{
    BYTE buf[4096], everyone[SECURITY_MAX_SID_SIZE];
    DWORD len, i, sid_len = sizeof(everyone);
    TOKEN_GROUPS *groups = (TOKEN_GROUPS *)buf;
    BOOL has_everyone = FALSE;

    ok_(__FILE__, line)(token_user_is(token, WinAnonymousSid), "the token's user is not ANONYMOUS LOGON\n");
    ok_(__FILE__, line)(GetTokenInformation(token, TokenPrivileges, buf, sizeof(buf), &len)
                        && !((TOKEN_PRIVILEGES *)buf)->PrivilegeCount, "the token has privileges\n");
    CreateWellKnownSid(WinWorldSid, NULL, everyone, &sid_len);
    ok_(__FILE__, line)(GetTokenInformation(token, TokenGroups, buf, sizeof(buf), &len), "TokenGroups: %lu\n",
                        GetLastError());
    for (i = 0; i < groups->GroupCount; i++)
        if (EqualSid(groups->Groups[i].Sid, everyone)) has_everyone = TRUE;
    ok_(__FILE__, line)(!has_everyone, "the anonymous token is in Everyone\n");
}

/* Access checks of the impersonating thread: a file's DACL (as the
 * system reports it) and an explicit denial of ANONYMOUS LOGON. */
static void check_access(HANDLE thread_token, const char *path)
{
    static const GENERIC_MAPPING map = { FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS };
    BYTE sd_buf[4096], privs[256];
    DWORD need, privs_len = sizeof(privs), granted = 0;
    PSECURITY_DESCRIPTOR deny;
    BOOL status = TRUE;
    HANDLE f;

    ok(GetFileSecurityA(path, OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                        sd_buf, sizeof(sd_buf), &need), "GetFileSecurity: %lu\n", GetLastError());
    ok(AccessCheck(sd_buf, thread_token, FILE_GENERIC_READ, (GENERIC_MAPPING *)&map, (PRIVILEGE_SET *)privs,
                   &privs_len, &granted, &status), "AccessCheck: %lu\n", GetLastError());
    ok(!status, "the peer may read the server's file (granted %#lx)\n", granted);

    ok(ConvertStringSecurityDescriptorToSecurityDescriptorA("O:BAG:BAD:(D;;FA;;;AN)(A;;FA;;;WD)(A;;FA;;;AN)",
                                                            SDDL_REVISION_1, &deny, NULL), "SDDL\n");
    privs_len = sizeof(privs);
    status = TRUE;
    ok(AccessCheck(deny, thread_token, FILE_GENERIC_READ, (GENERIC_MAPPING *)&map, (PRIVILEGE_SET *)privs,
                   &privs_len, &granted, &status), "AccessCheck: %lu\n", GetLastError());
    ok(!status, "a DACL denying ANONYMOUS LOGON let the peer in\n");
    LocalFree(deny);

    /* What the program itself would do: open the file while impersonating. */
    f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (f != INVALID_HANDLE_VALUE && on_wine())
        skip("Wine does not check a file's DACL against the thread's token when it opens the file\n");
    else
        ok(f == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED,
           "opening the server's file as the peer: %p, error %lu\n", f, GetLastError());
    if (f != INVALID_HANDLE_VALUE) CloseHandle(f);
}

static void check_no_thread_token(int line)
{
    HANDLE token = NULL;
    BOOL got = OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token);

    ok_(__FILE__, line)(!got && GetLastError() == ERROR_NO_TOKEN, "the thread has a token (%lu)\n", GetLastError());
    if (got) CloseHandle(token);
}

static void test_query_tokens(SOCKET s)
{
    SOCKET_SECURITY_QUERY_TEMPLATE tmpl;
    SOCKET_SECURITY_QUERY_INFO info;
    ULONG len = sizeof(info);

    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.PeerTokenAccessMask = TOKEN_QUERY;
    memset(&info, 0xcc, sizeof(info));
    ok(!WSAQuerySocketSecurity(s, &tmpl, sizeof(tmpl), &info, &len, NULL, NULL), "query: %d\n", WSAGetLastError());
    ok(info.Flags == (SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED), "flags %#lx\n", info.Flags);
    /* The peer proved a key, not an account: no user token. */
    ok(!info.PeerApplicationAccessTokenHandle, "an application token for a key\n");
    if (no_anonymous)
    {
        ok(!info.PeerMachineAccessTokenHandle, "a machine token where none can be made\n");
        skip("peer token: %s\n", no_anonymous);
    }
    else
    {
        HANDLE token = (HANDLE)(ULONG_PTR)info.PeerMachineAccessTokenHandle;
        TOKEN_TYPE type;
        DWORD n;

        ok(token != NULL, "no machine token\n");
        if (!token) return;
        check_anonymous(token, __LINE__);
        ok(GetTokenInformation(token, TokenType, &type, sizeof(type), &n) && type == TokenImpersonation,
           "not an impersonation token\n");
        /* Opened with the mask asked for, no more. */
        ok(!AdjustTokenPrivileges(token, TRUE, NULL, 0, NULL, NULL), "a TOKEN_QUERY handle adjusts privileges\n");
        CloseHandle(token);
    }
    /* Mask 0: never a token. */
    memset(&tmpl, 0, sizeof(tmpl));
    len = sizeof(info);
    memset(&info, 0xcc, sizeof(info));
    ok(!WSAQuerySocketSecurity(s, &tmpl, sizeof(tmpl), &info, &len, NULL, NULL), "query: %d\n", WSAGetLastError());
    ok(!info.PeerApplicationAccessTokenHandle && !info.PeerMachineAccessTokenHandle, "tokens without a mask\n");
}

static void test_impersonate(SOCKET s, const char *path)
{
    HANDLE token = NULL;

    WSASetLastError(0xdeadbeef);
    if (no_anonymous)
    {
        /* Never the server's own token, never any token. */
        check_error(WSAImpersonateSocketPeer(s, NULL, 0), WSAEOPNOTSUPP);
        check_no_thread_token(__LINE__);
        skip("impersonation: %s\n", no_anonymous);
        return;
    }
    ok(!WSAImpersonateSocketPeer(s, NULL, 0), "impersonate: %d\n", WSAGetLastError());
    ok(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token), "OpenThreadToken: %lu\n", GetLastError());
    if (token)
    {
        check_anonymous(token, __LINE__);
        check_access(token, path);
        CloseHandle(token);
    }
    /* Again, as the docs allow: still the peer. */
    ok(!WSAImpersonateSocketPeer(s, NULL, 0), "impersonate again: %d\n", WSAGetLastError());
    ok(!WSARevertImpersonation(), "revert: %d\n", WSAGetLastError());
    check_no_thread_token(__LINE__);

    /* A thread that impersonated itself first comes back to no token. */
    ok(ImpersonateSelf(SecurityImpersonation), "ImpersonateSelf: %lu\n", GetLastError());
    ok(!WSAImpersonateSocketPeer(s, NULL, 0), "impersonate: %d\n", WSAGetLastError());
    ok(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token), "OpenThreadToken: %lu\n", GetLastError());
    ok(token_user_is(token, WinAnonymousSid), "not the peer's token over the thread's own\n");
    CloseHandle(token);
    ok(!WSARevertImpersonation(), "revert: %d\n", WSAGetLastError());
    check_no_thread_token(__LINE__);
}

static void test_family(int family, const char *path)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    SOCKET c, a;

    winetest_push_context("tls af %d", family);
    if (secured_pair(family, &settings, sizeof(settings), &c, &a))
    {
        test_query_tokens(a);
        test_query_tokens(c);
        test_impersonate(a, path);  /* the server impersonates its client */
        test_impersonate(c, path);  /* and the client its server */
        /* UDP-only rules do not apply: an address is ignored on TCP. */
        if (!no_anonymous)
        {
            SOCKADDR_STORAGE junk;
            memset(&junk, 0xee, sizeof(junk));
            ok(!WSAImpersonateSocketPeer(a, (struct sockaddr *)&junk, 1), "address on TCP: %d\n", WSAGetLastError());
            ok(!WSARevertImpersonation(), "revert: %d\n", WSAGetLastError());
        }
        closesocket(c);
        /* The connection is gone: the socket still names a secured peer
         * until it is closed; once closed it is no socket. */
        closesocket(a);
        check_error(WSAImpersonateSocketPeer(a, NULL, 0), WSAENOTSOCK);
        check_no_thread_token(__LINE__);
    }
    winetest_pop_context();
}

/* IPsec needs charon and ESP (tests/integration/ipsec-netns.sh); here the
 * service refuses, and the test says so. */
static void test_ipsec(int family, const char *path)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_IPSEC, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    SOCKET c, a;

    winetest_push_context("ipsec af %d", family);
    if (secured_pair(family, &settings, sizeof(settings), &c, &a))
    {
        test_query_tokens(a);
        test_impersonate(a, path);
        closesocket(c);
        closesocket(a);
    }
    winetest_pop_context();
}

/* A connection that is not secured has no peer to impersonate; the thread
 * is left alone. */
static void test_unsecured(void)
{
    SOCKADDR_STORAGE addr;
    SOCKET l, c, a;
    int len;

    l = listener(AF_INET, &addr, &len);
    c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ok(!connect(c, (struct sockaddr *)&addr, len), "connect: %d\n", WSAGetLastError());
    a = accept(l, NULL, NULL);
    check_error(WSAImpersonateSocketPeer(a, NULL, 0), WSAEINVAL);
    check_no_thread_token(__LINE__);
    {
        SOCKET_SECURITY_QUERY_TEMPLATE tmpl = { 0 };
        SOCKET_SECURITY_QUERY_INFO info;
        ULONG n = sizeof(info);

        tmpl.PeerTokenAccessMask = TOKEN_ALL_ACCESS;
        ok(!WSAQuerySocketSecurity(a, &tmpl, sizeof(tmpl), &info, &n, NULL, NULL), "query: %d\n", WSAGetLastError());
        ok(!info.Flags && !info.PeerApplicationAccessTokenHandle && !info.PeerMachineAccessTokenHandle,
           "an unsecured connection: flags %#lx, tokens\n", info.Flags);
    }
    closesocket(a);
    closesocket(c);
    closesocket(l);
    /* Not a socket at all. */
    {
        HANDLE event = CreateEventA(NULL, FALSE, FALSE, NULL);
        check_error(WSAImpersonateSocketPeer((SOCKET)event, NULL, 0), WSAENOTSOCK);
        CloseHandle(event);
    }
}

START_TEST(secsock_peer)
{
    char path[MAX_PATH];
    HANDLE f;

    if (!loopback_trusted()) return;
    startup();
    probe_anonymous();
    check_no_thread_token(__LINE__);
    /* A file of the server's, readable by it alone (and SYSTEM). */
    GetTempPathA(sizeof(path) - 32, path);
    strcat(path, "secsock_peer.txt");
    f = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    ok(f != INVALID_HANDLE_VALUE, "create %s: %lu\n", path, GetLastError());
    CloseHandle(f);
    test_unsecured();
    for (int i = 0; i < 2; i++)
    {
        int family = i ? AF_INET6 : AF_INET;
        if (family == AF_INET6 && !have_ipv6())
        {
            skip("no IPv6 loopback\n");
            continue;
        }
        test_family(family, path);
        test_ipsec(family, path);
    }
    DeleteFileA(path);
    WSACleanup();
}
