/* Bad input through the API: every secure-socket function and the four SIO
 * codes with invalid pointers, lengths, protocols, flags, socket kinds,
 * families and orderings.  Each call must fail with the documented error
 * (or our documented choice, README "Where Windows' documentation is
 * silent"), and afterwards the process and the service must still work.
 *
 * Pointers that are not NULL but invalid ((void *)1, a guard page, freed
 * memory) may crash a careless implementation, so each of those calls runs
 * in a child process (this program run again with "probe NAME"): the child
 * exits with the call's error, and a crash shows as an exception code.
 * Windows documents WSAEFAULT for "an invalid address pointer in
 * attempting to use a pointer argument", so that is what is expected. */
#include "secsock_test.h"

static unsigned int tried;  /* bad inputs tried, for the trace line */

/* check_error, counted. */
#define bad(call, expect) do { tried++; check_error(call, expect); } while (0)

/* One page readable and writable followed by one PAGE_NOACCESS page:
 * returns the first byte of the guard page. */
static char *guard_page(void)
{
    char *p = VirtualAlloc(NULL, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    DWORD old;

    if (!p || !VirtualProtect(p + 0x1000, 0x1000, PAGE_NOACCESS, &old)) return NULL;
    memset(p, 0, 0x1000);
    return p + 0x1000;
}

/* Memory that was allocated and released again. */
static void *freed_memory(void)
{
    void *p = VirtualAlloc(NULL, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    VirtualFree(p, 0, MEM_RELEASE);
    return p;
}

/* A TCP connection to a listener of our own: *client secured with
 * ALLOW_INSECURE (clear text, no backend can secure loopback here). */
static void connected_pair(SOCKET *client, SOCKET *server)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_ALLOW_INSECURE };
    SOCKADDR_STORAGE addr;
    int len;
    SOCKET l = listener(AF_INET, &addr, &len);

    *client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    WSASetSocketSecurity(*client, &settings, sizeof(settings), NULL, NULL);
    connect(*client, (struct sockaddr *)&addr, len);
    *server = accept(l, NULL, NULL);
    closesocket(l);
}

/* The probes that run in a child: each returns 0 or the call's error. */
static int probe(const char *name)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, 0 };
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKET_PEER_TARGET_NAME *t;
    SOCKADDR_STORAGE peer;
    SOCKET tcp = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), udp = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    SOCKET client = INVALID_SOCKET, server = INVALID_SOCKET;
    char *guard = guard_page();
    ULONG len, tlen;
    DWORD returned;
    int ret = 0x7fffffff;

    loopback(AF_INET, &peer, 7);
    t = make_target(L"host/x", 6, &tlen, 0);
    if (!strncmp(name, "query", 5)) connected_pair(&client, &server);

    if (!strcmp(name, "control"))  /* valid pointers: shows the child works and reports success */
        ret = WSASetSocketSecurity(tcp, &settings, sizeof(settings), NULL, NULL);
    else if (!strcmp(name, "set_one")) ret = WSASetSocketSecurity(tcp, (void *)1, sizeof(settings), NULL, NULL);
    else if (!strcmp(name, "set_guard"))  /* the struct's second field is in the guard page */
        ret = WSASetSocketSecurity(tcp, (void *)(guard - 4), sizeof(settings), NULL, NULL);
    else if (!strcmp(name, "set_freed")) ret = WSASetSocketSecurity(tcp, freed_memory(), sizeof(settings), NULL, NULL);
    else if (!strcmp(name, "set_huge_ipsec"))  /* IPSEC header readable, the length runs into the guard page */
    {
        SOCKET_SECURITY_SETTINGS_IPSEC *ip = (void *)(guard - sizeof(*ip));
        memset(ip, 0, sizeof(*ip));
        ip->SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
        ip->UserNameStringLen = 0x1000;
        ip->AllStrings[0] = ip->AllStrings[1] = 'a';  /* the name goes on in the guard page */
        ret = WSASetSocketSecurity(tcp, (void *)ip, 0x80000000u, NULL, NULL);
    }
    else if (!strcmp(name, "query_info_one"))
    {
        len = sizeof(info);
        ret = WSAQuerySocketSecurity(client, NULL, 0, (void *)1, &len, NULL, NULL);
    }
    else if (!strcmp(name, "query_info_guard"))
    {
        len = sizeof(info);
        ret = WSAQuerySocketSecurity(client, NULL, 0, (void *)(guard - 8), &len, NULL, NULL);
    }
    else if (!strcmp(name, "query_len_one"))
        ret = WSAQuerySocketSecurity(client, NULL, 0, &info, (ULONG *)1, NULL, NULL);
    else if (!strcmp(name, "query_len_guard"))
        ret = WSAQuerySocketSecurity(client, NULL, 0, &info, (ULONG *)guard, NULL, NULL);
    else if (!strcmp(name, "query_template_one"))
    {
        len = sizeof(info);
        ret = WSAQuerySocketSecurity(client, (void *)1, sizeof(SOCKET_SECURITY_QUERY_TEMPLATE), &info, &len, NULL, NULL);
    }
    else if (!strcmp(name, "target_one")) ret = WSASetSocketPeerTargetName(tcp, (void *)1, tlen, NULL, NULL);
    else if (!strcmp(name, "target_guard"))  /* header readable, the name in the guard page */
    {
        SOCKET_PEER_TARGET_NAME *g = (void *)(guard - sizeof(*g));
        memcpy(g, t, sizeof(*g));
        ret = WSASetSocketPeerTargetName(tcp, g, tlen, NULL, NULL);
    }
    else if (!strcmp(name, "target_freed")) ret = WSASetSocketPeerTargetName(tcp, freed_memory(), tlen, NULL, NULL);
    else if (!strcmp(name, "delete_one")) ret = WSADeleteSocketPeerTargetName(udp, (void *)1, 16, NULL, NULL);
    else if (!strcmp(name, "delete_guard"))  /* the family readable, the rest in the guard page */
    {
        *(USHORT *)(guard - 2) = AF_INET;
        ret = WSADeleteSocketPeerTargetName(udp, (void *)(guard - 2), 16, NULL, NULL);
    }
    else if (!strcmp(name, "impersonate_one")) ret = WSAImpersonateSocketPeer(udp, (void *)1, 16);
    else if (!strcmp(name, "impersonate_guard"))
    {
        *(USHORT *)(guard - 2) = AF_INET;
        ret = WSAImpersonateSocketPeer(udp, (void *)(guard - 2), 16);
    }
    else if (!strcmp(name, "ioctl_returned_one"))
        ret = WSAIoctl(tcp, SIO_SET_SECURITY, &settings, sizeof(settings), NULL, 0, (DWORD *)1, NULL, NULL);
    else if (!strcmp(name, "ioctl_query_out_one"))
    {
        SOCKET c2, s2;
        connected_pair(&c2, &s2);
        ret = WSAIoctl(c2, SIO_QUERY_SECURITY, NULL, 0, (void *)1, sizeof(info), &returned, NULL, NULL);
    }
    else if (!strcmp(name, "ioctl_overlapped_one"))
        ret = WSAIoctl(tcp, SIO_SET_SECURITY, &settings, sizeof(settings), NULL, 0, NULL, (WSAOVERLAPPED *)1, NULL);
    else return -2;
    return ret ? WSAGetLastError() : 0;
}

/* In a child, an unhandled exception ends the process with its code
 * (rather than starting Wine's debugger). */
static LONG WINAPI exit_on_exception(EXCEPTION_POINTERS *info)
{
    ExitProcess(info->ExceptionRecord->ExceptionCode);
    return EXCEPTION_EXECUTE_HANDLER;
}

static const char *const probes[] =
{
    "set_one", "set_guard", "set_freed", "set_huge_ipsec",
    "query_info_one", "query_info_guard", "query_len_one", "query_len_guard", "query_template_one",
    "target_one", "target_guard", "target_freed",
    "delete_one", "delete_guard", "impersonate_one", "impersonate_guard",
    "ioctl_returned_one", "ioctl_query_out_one", "ioctl_overlapped_one",
};

/* Runs a probe in a child; returns its exit code. */
static DWORD run_probe(const char *name)
{
    char exe[MAX_PATH], cmd[MAX_PATH + 64];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    DWORD code = 0xdeadbeef;

    GetModuleFileNameA(NULL, exe, sizeof(exe));
    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    snprintf(cmd, sizeof(cmd), "\"%s\" probe %s", exe, name);
    if (!CreateProcessA(exe, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
    {
        ok(0, "%s: cannot start the child: %lu\n", name, GetLastError());
        return code;
    }
    if (WaitForSingleObject(pi.hProcess, 30000) != WAIT_OBJECT_0)
    {
        ok(0, "%s: the child hangs\n", name);
        TerminateProcess(pi.hProcess, 1);
        WaitForSingleObject(pi.hProcess, 5000);
    }
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return code;
}

/* Runs each probe in a child; its exit code must be WSAEFAULT. */
static void test_bad_pointers(void)
{
    DWORD code = run_probe("control");

    ok(code == 0, "control probe: exit code %#lx\n", code);
    for (size_t i = 0; i < ARRAYSIZE(probes); i++)
    {
        tried++;
        code = run_probe(probes[i]);
        if (code >= 0xc0000000)
            ok(0, "BUG: %s: the process crashed (exception %#lx) instead of failing with WSAEFAULT\n", probes[i], code);
        else
            ok(code == WSAEFAULT, "%s: got %ld, expected WSAEFAULT (%d)\n", probes[i], (long)code, WSAEFAULT);
    }
}

static void test_lengths(void)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, 0 };
    SOCKET_SECURITY_SETTINGS_IPSEC ip;
    SOCKET_SECURITY_QUERY_INFO_IPSEC2 info;
    SOCKET_SECURITY_QUERY_TEMPLATE tmpl;
    SOCKET_PEER_TARGET_NAME *t;
    SOCKADDR_STORAGE peer;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    SOCKET client, server;
    ULONG len, tlen;

    /* NULL pointers with a length, and short lengths. */
    bad(WSASetSocketSecurity(s, NULL, 1, NULL, NULL), WSAEFAULT);
    bad(WSASetSocketSecurity(s, NULL, 0xffffffff, NULL, NULL), WSAEFAULT);
    for (ULONG n = 0; n < sizeof(settings); n++)
        bad(WSASetSocketSecurity(s, &settings, n, NULL, NULL), WSAEMSGSIZE);
    memset(&ip, 0, sizeof(ip));
    ip.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    for (ULONG n = sizeof(settings) + 1; n < sizeof(ip); n += 7)
        bad(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, n, NULL, NULL), WSAEMSGSIZE);
    ip.PasswordStringLen = 0x7ffffffe;  /* strings far past the buffer */
    bad(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip), NULL, NULL), WSAEMSGSIZE);
    ip.PasswordStringLen = 0xfffffffe;  /* the sum of the lengths wraps around */
    ip.UserNameStringLen = 4;
    bad(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip) + 4, NULL, NULL), WSAEMSGSIZE);

    /* Query: NULL length pointer, short template. */
    connected_pair(&client, &server);
    len = sizeof(info);
    bad(WSAQuerySocketSecurity(client, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, NULL, NULL, NULL), WSAEFAULT);
    bad(WSAQuerySocketSecurity(client, NULL, sizeof(tmpl), (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL), WSAEFAULT);
    memset(&tmpl, 0, sizeof(tmpl));
    for (ULONG n = 1; n < sizeof(tmpl); n += 13)
    {
        len = sizeof(info);
        bad(WSAQuerySocketSecurity(client, &tmpl, n, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL), WSAEMSGSIZE);
    }
    for (ULONG n = 0; n < sizeof(SOCKET_SECURITY_QUERY_INFO); n += 5)
    {
        len = n;
        bad(WSAQuerySocketSecurity(client, NULL, 0, (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL), WSAEFAULT);
        ok(len == sizeof(SOCKET_SECURITY_QUERY_INFO), "short info %lu: len %lu\n", n, len);
    }
    closesocket(client);
    closesocket(server);

    /* Target names: lengths. */
    t = make_target(L"host/server", 11, &tlen, 0);
    for (ULONG n = 0; n < offsetof(SOCKET_PEER_TARGET_NAME, AllStrings); n += 17)
        bad(WSASetSocketPeerTargetName(s, t, n, NULL, NULL), WSAEMSGSIZE);
    t->PeerTargetNameStringLen = 0x7fffffff;  /* a name longer than the buffer */
    bad(WSASetSocketPeerTargetName(s, t, tlen, NULL, NULL), WSAEMSGSIZE);
    t->PeerTargetNameStringLen = 11;
    bad(WSASetSocketPeerTargetName(s, NULL, tlen, NULL, NULL), WSAEFAULT);
    free(t);

    /* Delete, impersonate: addresses. */
    loopback(AF_INET, &peer, 7);
    bad(WSADeleteSocketPeerTargetName(u, NULL, 16, NULL, NULL), WSAEFAULT);
    bad(WSADeleteSocketPeerTargetName(u, (struct sockaddr *)&peer, 0, NULL, NULL), WSAEMSGSIZE);
    bad(WSADeleteSocketPeerTargetName(u, (struct sockaddr *)&peer, 15, NULL, NULL), WSAEMSGSIZE);
    bad(WSAImpersonateSocketPeer(u, NULL, 16), WSAEFAULT);
    bad(WSAImpersonateSocketPeer(u, (struct sockaddr *)&peer, 0), WSAEMSGSIZE);
    bad(WSAImpersonateSocketPeer(u, (struct sockaddr *)&peer, 15), WSAEMSGSIZE);

    /* WSAIoctl itself: no place for the byte count, and no overlapped. */
    bad(WSAIoctl(s, SIO_SET_SECURITY, &settings, sizeof(settings), NULL, 0, NULL, NULL, NULL), WSAEFAULT);
    bad(WSAIoctl(s, SIO_QUERY_SECURITY, NULL, 0, &info, sizeof(info), NULL, NULL, NULL), WSAEFAULT);
    bad(WSAIoctl(u, SIO_DELETE_PEER_TARGET_NAME, &peer, 16, NULL, 0, NULL, NULL, NULL), WSAEFAULT);
    {
        DWORD returned = 0xdeadbeef;
        bad(WSAIoctl(s, SIO_SET_SECURITY, &settings, 3, NULL, 0, &returned, NULL, NULL), WSAEMSGSIZE);
        bad(WSAIoctl(u, SIO_SET_PEER_TARGET_NAME, NULL, 100, NULL, 0, &returned, NULL, NULL), WSAEFAULT);
        bad(WSAIoctl(u, SIO_DELETE_PEER_TARGET_NAME, NULL, 16, NULL, 0, &returned, NULL, NULL), WSAEFAULT);
        bad(WSAIoctl(u, SIO_DELETE_PEER_TARGET_NAME, &peer, 2, NULL, 0, &returned, NULL, NULL), WSAEMSGSIZE);
        /* UDP size probe through the ioctl: WSAEMSGSIZE and the size. */
        ((struct sockaddr_in *)&tmpl.PeerAddress)->sin_family = AF_INET;
        loopback(AF_INET, &tmpl.PeerAddress, 9);
        bad(WSAIoctl(u, SIO_QUERY_SECURITY, &tmpl, sizeof(tmpl), NULL, 0, &returned, NULL, NULL), WSAEMSGSIZE);
        ok(returned == sizeof(SOCKET_SECURITY_QUERY_INFO), "UDP ioctl probe: returned %lu\n", returned);
    }
    /* A socket argument that failed stays usable: a good call works. */
    ok(!WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), "good call after bad ones: %d\n", WSAGetLastError());
    closesocket(s);
    closesocket(u);
}

static void test_protocols_and_flags(void)
{
    static const ULONG bad_protocols[] = { SOCKET_SECURITY_PROTOCOL_INVALID, 4, 5, 0x100, 0x7fffffff, 0x80000000, 0xffffffff };
    SOCKET_SECURITY_SETTINGS settings;
    SOCKET_SECURITY_SETTINGS_IPSEC ip;
    SOCKET_SECURITY_QUERY_TEMPLATE tmpl;
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKET_PEER_TARGET_NAME *t;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), client, server;
    ULONG len, tlen;

    for (size_t i = 0; i < ARRAYSIZE(bad_protocols); i++)
    {
        settings.SecurityProtocol = bad_protocols[i];
        settings.SecurityFlags = 0;
        bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    }
    /* Every flag bit but the two defined ones, alone and with each. */
    for (int bit = 2; bit < 32; bit++)
    {
        settings.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
        settings.SecurityFlags = 1u << bit;
        bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
        settings.SecurityFlags |= SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;
        bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
        settings.SecurityFlags ^= SOCKET_SETTINGS_GUARANTEE_ENCRYPTION | SOCKET_SETTINGS_ALLOW_INSECURE;
        bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    }
    settings.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION | SOCKET_SETTINGS_ALLOW_INSECURE;
    bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    /* IPsec flags beyond the four defined ones. */
    memset(&ip, 0, sizeof(ip));
    ip.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    for (int bit = 4; bit < 32; bit++)
    {
        ip.IpsecFlags = 1u << bit;
        bad(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip), NULL, NULL), WSAEINVAL);
    }
    ip.IpsecFlags = 0;
    ip.DomainNameStringLen = 1;  /* odd byte count */
    bad(WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&ip, sizeof(ip) + 2, NULL, NULL), WSAEINVAL);

    /* Query templates and target names with bad protocols. */
    connected_pair(&client, &server);
    memset(&tmpl, 0, sizeof(tmpl));
    t = make_target(L"host/x", 6, &tlen, 0);
    for (size_t i = 0; i < ARRAYSIZE(bad_protocols); i++)
    {
        tmpl.SecurityProtocol = bad_protocols[i];
        len = sizeof(info);
        bad(WSAQuerySocketSecurity(client, &tmpl, sizeof(tmpl), &info, &len, NULL, NULL), WSAEINVAL);
        t->SecurityProtocol = bad_protocols[i];
        bad(WSASetSocketPeerTargetName(s, t, tlen, NULL, NULL), WSAEINVAL);
    }
    free(t);
    closesocket(client);
    closesocket(server);
    /* None of that secured s: a good call still works, once. */
    settings.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    settings.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;
    ok(!WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), "good call after bad ones: %d\n", WSAGetLastError());
    bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    closesocket(s);
}

/* Every function on something that is not a usable socket. */
static void test_not_sockets(void)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, 0 };
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKET_PEER_TARGET_NAME *t;
    SOCKADDR_STORAGE peer;
    HANDLE event = CreateEventA(NULL, FALSE, FALSE, NULL);
    HANDLE file = CreateFileA("NUL", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    SOCKET closed = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKET handles[5];
    ULONG len, tlen;
    DWORD returned;
    int plen = loopback(AF_INET, &peer, 7);

    closesocket(closed);
    handles[0] = INVALID_SOCKET;
    handles[1] = closed;
    handles[2] = (SOCKET)event;
    handles[3] = (SOCKET)file;
    handles[4] = 0;
    t = make_target(L"host/x", 6, &tlen, 0);
    for (size_t i = 0; i < ARRAYSIZE(handles); i++)
    {
        winetest_push_context("handle %Iu", i);
        len = sizeof(info);
        bad(WSASetSocketSecurity(handles[i], &settings, sizeof(settings), NULL, NULL), WSAENOTSOCK);
        bad(WSASetSocketSecurity(handles[i], NULL, 0, NULL, NULL), WSAENOTSOCK);
        bad(WSAQuerySocketSecurity(handles[i], NULL, 0, &info, &len, NULL, NULL), WSAENOTSOCK);
        bad(WSASetSocketPeerTargetName(handles[i], t, tlen, NULL, NULL), WSAENOTSOCK);
        bad(WSADeleteSocketPeerTargetName(handles[i], (struct sockaddr *)&peer, plen, NULL, NULL), WSAENOTSOCK);
        bad(WSAImpersonateSocketPeer(handles[i], NULL, 0), WSAENOTSOCK);
        bad(WSAIoctl(handles[i], SIO_SET_SECURITY, &settings, sizeof(settings), NULL, 0, &returned, NULL, NULL), WSAENOTSOCK);
        bad(WSAIoctl(handles[i], SIO_QUERY_SECURITY, NULL, 0, &info, sizeof(info), &returned, NULL, NULL), WSAENOTSOCK);
        bad(WSAIoctl(handles[i], SIO_SET_PEER_TARGET_NAME, t, tlen, NULL, 0, &returned, NULL, NULL), WSAENOTSOCK);
        bad(WSAIoctl(handles[i], SIO_DELETE_PEER_TARGET_NAME, &peer, plen, NULL, 0, &returned, NULL, NULL), WSAENOTSOCK);
        winetest_pop_context();
    }
    free(t);
    CloseHandle(event);
    if (file != INVALID_HANDLE_VALUE) CloseHandle(file);
}

/* Raw and ICMP sockets: not AF_INET/AF_INET6 with SOCK_STREAM/SOCK_DGRAM,
 * so WSAEINVAL (documented for each function). */
static void test_socket_kinds(void)
{
    static const struct { int family, type, protocol; const char *name; } kinds[] =
    {
        { AF_INET, SOCK_RAW, IPPROTO_ICMP, "raw icmp" },
        { AF_INET, SOCK_RAW, IPPROTO_RAW, "raw" },
        { AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, "raw icmpv6" },
        { AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "dgram icmp" },
    };
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKET_PEER_TARGET_NAME *t;
    SOCKADDR_STORAGE peer;
    ULONG len, tlen;

    for (size_t i = 0; i < ARRAYSIZE(kinds); i++)
    {
        SOCKET s = socket(kinds[i].family, kinds[i].type, kinds[i].protocol);
        int type = 0, type_len = sizeof(type), plen = loopback(kinds[i].family, &peer, 7);

        if (s == INVALID_SOCKET)
        {
            skip("cannot create a %s socket (%d)\n", kinds[i].name, WSAGetLastError());
            continue;
        }
        getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &type_len);
        if (type == SOCK_DGRAM)
        {
            /* Wine may hand out a datagram (ping) socket for ICMP: then it is a
             * SOCK_DGRAM the functions accept; nothing to check here. */
            skip("%s socket is SOCK_DGRAM here\n", kinds[i].name);
            closesocket(s);
            continue;
        }
        winetest_push_context("%s", kinds[i].name);
        t = make_target(L"host/x", 6, &tlen, 0);
        memcpy(&t->PeerAddress, &peer, sizeof(peer));
        len = sizeof(info);
        bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
        bad(WSASetSocketSecurity(s, NULL, 0, NULL, NULL), WSAEINVAL);
        bad(WSAQuerySocketSecurity(s, NULL, 0, &info, &len, NULL, NULL), WSAEINVAL);
        bad(WSASetSocketPeerTargetName(s, t, tlen, NULL, NULL), WSAEINVAL);
        bad(WSADeleteSocketPeerTargetName(s, (struct sockaddr *)&peer, plen, NULL, NULL), WSAEINVAL);
        bad(WSAImpersonateSocketPeer(s, (struct sockaddr *)&peer, plen), WSAEINVAL);
        free(t);
        closesocket(s);
        winetest_pop_context();
    }
}

/* An address of the other family than the socket's. */
/* Windows' documentation is silent on an address of the other family;
 * secsock's choice (README) is WSAEAFNOSUPPORT ("the specified address
 * family is not supported"), as for families that are none at all. */
static void test_mismatched_families(int family)
{
    int other = family == AF_INET ? AF_INET6 : AF_INET;
    SOCKET u = socket(family, SOCK_DGRAM, IPPROTO_UDP), s = socket(family, SOCK_STREAM, IPPROTO_TCP);
    SOCKET_SECURITY_QUERY_TEMPLATE tmpl;
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKET_PEER_TARGET_NAME *t;
    SOCKADDR_STORAGE peer;
    ULONG len, tlen;
    int plen, ret;

    winetest_push_context("af %d, address af %d", family, other);
    plen = loopback(other, &peer, 7);
    t = make_target(L"host/x", 6, &tlen, 0);
    memcpy(&t->PeerAddress, &peer, sizeof(peer));
    /* Docs: WSAEAFNOSUPPORT "the specified address family is not supported";
     * an IPv6 peer can never be a peer of an IPv4 socket (and back). */
    tried++;
    WSASetLastError(0xdeadbeef);
    ret = WSASetSocketPeerTargetName(u, t, tlen, NULL, NULL);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEAFNOSUPPORT,
       "UDP target name for a peer of the other family: got %d, error %d; expected WSAEAFNOSUPPORT\n",
       ret, WSAGetLastError());
    tried++;
    WSASetLastError(0xdeadbeef);
    ret = WSAImpersonateSocketPeer(u, (struct sockaddr *)&peer, plen);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEAFNOSUPPORT,
       "impersonate a peer of the other family: got %d, error %d\n", ret, WSAGetLastError());
    tried++;
    WSASetLastError(0xdeadbeef);
    ret = WSADeleteSocketPeerTargetName(u, (struct sockaddr *)&peer, plen, NULL, NULL);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEAFNOSUPPORT,
       "delete the target name of a peer of the other family: got %d, error %d\n", ret, WSAGetLastError());
    memset(&tmpl, 0, sizeof(tmpl));
    memcpy(&tmpl.PeerAddress, &peer, sizeof(peer));
    len = sizeof(info);
    tried++;
    WSASetLastError(0xdeadbeef);
    ret = WSAQuerySocketSecurity(u, &tmpl, sizeof(tmpl), &info, &len, NULL, NULL);
    ok(ret == SOCKET_ERROR && WSAGetLastError() == WSAEAFNOSUPPORT,
       "UDP query for a peer of the other family: got %d, error %d\n", ret, WSAGetLastError());
    /* Families that are none at all. */
    peer.ss_family = AF_UNIX;
    bad(WSADeleteSocketPeerTargetName(u, (struct sockaddr *)&peer, sizeof(peer), NULL, NULL), WSAEAFNOSUPPORT);
    t->PeerAddress.ss_family = AF_UNSPEC + 17;  /* AF_NETBIOS */
    bad(WSASetSocketPeerTargetName(s, t, tlen, NULL, NULL), WSAEAFNOSUPPORT);
    peer.ss_family = 0xffff;
    bad(WSAImpersonateSocketPeer(u, (struct sockaddr *)&peer, sizeof(peer)), WSAEAFNOSUPPORT);
    free(t);
    closesocket(u);
    closesocket(s);
    winetest_pop_context();
}

/* Calls in the wrong order. */
static void test_ordering(int family)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_ALLOW_INSECURE };
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKET_PEER_TARGET_NAME *t;
    SOCKADDR_STORAGE addr, any;
    SOCKET l, s, a, u;
    ULONG len, tlen;
    int alen, any_len;

    winetest_push_context("af %d", family);
    t = make_target(L"host/x", 6, &tlen, 0);
    l = listener(family, &addr, &alen);

    /* Query and impersonate before connect. */
    s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    len = sizeof(info);
    bad(WSAQuerySocketSecurity(s, NULL, 0, &info, &len, NULL, NULL), WSAENOTCONN);
    bad(WSAImpersonateSocketPeer(s, NULL, 0), WSAENOTCONN);
    /* Query of a listening socket. */
    len = sizeof(info);
    bad(WSAQuerySocketSecurity(l, NULL, 0, &info, &len, NULL, NULL), WSAENOTCONN);
    bad(WSAImpersonateSocketPeer(l, NULL, 0), WSAENOTCONN);
    /* Set after listen, after bind, after connect; on the accepted socket. */
    bad(WSASetSocketSecurity(l, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    ok(!connect(s, (struct sockaddr *)&addr, alen), "connect failed: %d\n", WSAGetLastError());
    a = accept(l, NULL, NULL);
    bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEISCONN);
    bad(WSASetSocketSecurity(a, &settings, sizeof(settings), NULL, NULL), WSAEISCONN);
    bad(WSASetSocketPeerTargetName(s, t, tlen, NULL, NULL), WSAEISCONN);
    bad(WSASetSocketPeerTargetName(a, t, tlen, NULL, NULL), WSAEISCONN);
    /* After shutdown, still connected as far as the rules go. */
    shutdown(s, SD_BOTH);
    bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEISCONN);
    closesocket(a);
    closesocket(s);
    s = socket(family, SOCK_STREAM, IPPROTO_TCP);
    any_len = loopback(family, &any, 0);
    ok(!bind(s, (struct sockaddr *)&any, any_len), "bind failed: %d\n", WSAGetLastError());
    bad(WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL), WSAEINVAL);
    closesocket(s);
    /* Set after a failed connect (nothing listens there): the socket is
     * bound by the attempt.  Either our "bound" choice or "connected". */
    closesocket(l);
    s = socket(family, SOCK_STREAM, IPPROTO_TCP);
    connect(s, (struct sockaddr *)&addr, alen);
    tried++;
    WSASetLastError(0xdeadbeef);
    {
        int ret = WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL);
        ok(ret == SOCKET_ERROR && (WSAGetLastError() == WSAEINVAL || WSAGetLastError() == WSAEISCONN),
           "set after a refused connect: ret %d error %d\n", ret, WSAGetLastError());
    }
    closesocket(s);

    /* UDP: a target name with no peer address, and after connect. */
    u = secured_socket(family, SOCK_DGRAM, 0);
    bad(WSASetSocketPeerTargetName(u, t, tlen, NULL, NULL), WSAEINVAL);
    len = sizeof(info);
    bad(WSAQuerySocketSecurity(u, NULL, 0, &info, &len, NULL, NULL), WSAEMSGSIZE);
    closesocket(u);
    u = socket(family, SOCK_DGRAM, IPPROTO_UDP);
    loopback(family, &addr, 9);
    ok(!connect(u, (struct sockaddr *)&addr, alen), "UDP connect failed: %d\n", WSAGetLastError());
    memcpy(&t->PeerAddress, &addr, sizeof(addr));
    bad(WSASetSocketPeerTargetName(u, t, tlen, NULL, NULL), WSAEISCONN);
    bad(WSASetSocketSecurity(u, &settings, sizeof(settings), NULL, NULL), WSAEISCONN);
    closesocket(u);
    free(t);
    winetest_pop_context();
}

/* After the storm: the process still works, the service is still there. */
static void test_still_alive(void)
{
    struct plain_peer peer;
    SOCKADDR_STORAGE addr;
    SOCKET l, s, a;
    char buf[16];
    int len, ret;

    /* The service's documented verdict for a peer nobody can secure:
     * WSAECONNREFUSED, not WSAENETDOWN (service unreachable); the peer got
     * at most a TLS ClientHello. */
    l = listener(AF_INET, &addr, &len);
    plain_peer_start(&peer, l, "secret");
    s = secured_socket(AF_INET, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    check_error(connect(s, (struct sockaddr *)&addr, len), WSAECONNREFUSED);
    closesocket(s);
    plain_peer_stop(&peer);

    /* ALLOW_INSECURE still goes through, byte for byte. */
    s = secured_socket(AF_INET, SOCK_STREAM, SOCKET_SETTINGS_ALLOW_INSECURE);
    ok(!connect(s, (struct sockaddr *)&addr, len), "ALLOW_INSECURE connect failed: %d\n", WSAGetLastError());
    a = accept(l, NULL, NULL);
    ok(send(s, "alive", 5, 0) == 5, "send failed: %d\n", WSAGetLastError());
    ret = recv(a, buf, sizeof(buf), 0);
    ok(ret == 5 && !memcmp(buf, "alive", 5), "recv: %d\n", ret);
    closesocket(a);
    closesocket(s);
    closesocket(l);
}

START_TEST(secsock_badinput)
{
    if (__argc >= 3 && !strcmp(__argv[1], "probe"))
    {
        SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
        SetUnhandledExceptionFilter(exit_on_exception);
        startup();
        ExitProcess((UINT)probe(__argv[2]));
    }
    startup();
    test_lengths();
    test_protocols_and_flags();
    test_not_sockets();
    test_socket_kinds();
    test_mismatched_families(AF_INET);
    test_ordering(AF_INET);
    if (have_ipv6())
    {
        test_mismatched_families(AF_INET6);
        test_ordering(AF_INET6);
    }
    else skip("no IPv6 loopback\n");
    test_bad_pointers();
    test_still_alive();
    trace("%u bad inputs tried\n", tried);
    WSACleanup();
}
