/* The Windows programs of the adversarial suite (adversarial.sh): secured
 * sockets used the way an attacker (or a careless program) would, to see
 * whether any application byte leaves in clear or any undelivered byte
 * reaches the program.  Every socket it secures uses GUARANTEE_ENCRYPTION.
 * FAM is 4, 6 or 6m (AF_INET6, dual-stack: IPV6_V6ONLY off); HOST is a
 * numeric address.  Every line it prints begins with the subcommand's name.
 *
 *   retry FAM HOST PORT nbconnect|connectex|disconnectex MARK
 *       one secured socket, 4 attempts: a non-blocking connect (or
 *       ConnectEx with MARK as its send buffer; disconnectex: DisconnectEx
 *       with TF_REUSE_SOCKET between the attempts) and, when an attempt
 *       connects, MARK sent
 *   reuse FAM TLSHOST TLSPORT HOST PORT MARK
 *       ConnectEx through the service to a secured server, then 3 times
 *       DisconnectEx(TF_REUSE_SOCKET) and ConnectEx (MARK) to HOST:PORT
 *   sendmsg FAM HOST PORT own|foreign MARK
 *       WSASendMsg, from SIO_GET_EXTENSION_FUNCTION_POINTER on the secured
 *       UDP socket itself (own) or on an unsecured one (foreign)
 *   transmit HOST PORT TRUSTEDHOST TRUSTEDPORT MARKFILE MARK
 *       a secured TCP socket refused (non-blocking, by the trusted peer
 *       TRUSTEDHOST:TRUSTEDPORT, which does not speak TLS), then
 *       connect again to HOST:PORT (blocking), TransmitFile(MARKFILE),
 *       TransmitPackets(MARK)
 *   rio FAM
 *       whether SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER(WSAID_MULTIPLE_RIO)
 *       answers on a secured socket
 *   copy FAM tcp|udp dup|wsadup|inherit HOST PORT MARK
 *       a secured socket, not connected, copied (DuplicateHandle in this
 *       process; WSADuplicateSocket into a child; handle inheritance into a
 *       child); the copy connects and sends MARK (udp: sendto)
 *   share FAM PORT wsadup|inherit accept|acceptex SECONDS
 *       a secured listener on loopback:PORT handed to a worker process,
 *       which accepts for SECONDS; every connection: what it received,
 *       then "WORKER-REPLY" sent back
 *   acceptex-server FAM PORT COUNT forward|reverse SECONDS
 *       a secured listener with COUNT AcceptEx posted (no receive buffer);
 *       once all completed (or SECONDS), each is taken in that order:
 *       SO_UPDATE_ACCEPT_CONTEXT, WSAQuerySocketSecurity, recv, echo
 *   acceptex-blind FAM PORT RECVLEN SECONDS
 *       a secured listener, one AcceptEx (RECVLEN bytes of receive buffer);
 *       the program looks only at GetAcceptExSockaddrs, reads, and answers
 *       "SERVER-REPLY"
 *   closehandle FAM PORT SECONDS
 *       a secured listener closed with CloseHandle, not closesocket; the
 *       process stays SECONDS
 *   client FAM HOST PORT MARK
 *       a secured client (blocking): connect, send MARK, read the echo
 *   close-race FAM HOST PORT MARK
 *       5 times: a secured ConnectEx with MARK, closesocket at once, new
 *       unsecured sockets that may take the handle value
 * With ATTACK_UNSECURED=1 in the environment nothing is secured: what Wine
 * itself does with the same calls (to tell its limits from the product's).
 *
 *   child-wsadup FAM tcp|udp INFOFILE HOST PORT MARK   (internal)
 *   child-inherit FAM tcp|udp HANDLE HOST PORT MARK    (internal)
 *   worker-wsadup FAM INFOFILE accept|acceptex SECONDS (internal)
 *   worker-inherit FAM HANDLE accept|acceptex SECONDS  (internal)
 */
#include <winsock2.h>
#include <mswsock.h>
#include <mstcpip.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "secsock/securesock.h"

#define WAIT_MS 15000

static const char *cmd = "attack";
static int family = AF_INET, dual = 0;

static LPFN_CONNECTEX pConnectEx;
static LPFN_ACCEPTEX pAcceptEx;
static LPFN_GETACCEPTEXSOCKADDRS pGetAcceptExSockaddrs;
static LPFN_DISCONNECTEX pDisconnectEx;
static LPFN_TRANSMITFILE pTransmitFile;
static LPFN_TRANSMITPACKETS pTransmitPackets;
static LPFN_WSASENDMSG pWSASendMsg;

static void say(const char *fmt, ...)
{
    va_list ap;
    printf("%s: ", cmd);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static const char *err_name(int err)
{
    static char buf[32];
    switch (err)
    {
    case 0: return "0";
    case WSAECONNREFUSED: return "WSAECONNREFUSED";
    case WSAECONNRESET: return "WSAECONNRESET";
    case WSAECONNABORTED: return "WSAECONNABORTED";
    case WSAETIMEDOUT: return "WSAETIMEDOUT";
    case WSAENETDOWN: return "WSAENETDOWN";
    case WSAENOTCONN: return "WSAENOTCONN";
    case WSAEISCONN: return "WSAEISCONN";
    case WSAEALREADY: return "WSAEALREADY";
    case WSAEINVAL: return "WSAEINVAL";
    case WSAEWOULDBLOCK: return "WSAEWOULDBLOCK";
    case WSAEOPNOTSUPP: return "WSAEOPNOTSUPP";
    case WSAEADDRINUSE: return "WSAEADDRINUSE";
    case WSAENOTSOCK: return "WSAENOTSOCK";
    case WSAEACCES: return "WSAEACCES";
    case WSAEFAULT: return "WSAEFAULT";
    case WSA_IO_PENDING: return "WSA_IO_PENDING";
    }
    snprintf(buf, sizeof(buf), "error %d", err);
    return buf;
}

static void parse_family(const char *f)
{
    if (!strcmp(f, "6")) family = AF_INET6;
    else if (!strcmp(f, "6m")) { family = AF_INET6; dual = 1; }
    else family = AF_INET;
}

static int make_addr(const char *host, int port, SOCKADDR_STORAGE *ss)
{
    struct addrinfo hints, *res;
    char p[16];
    int len;

    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_family = family;
    snprintf(p, sizeof(p), "%d", port);
    if (getaddrinfo(host, p, &hints, &res)) { say("bad address %s", host); exit(2); }
    len = (int)res->ai_addrlen;
    memcpy(ss, res->ai_addr, len);
    freeaddrinfo(res);
    return len;
}

static int loopback(SOCKADDR_STORAGE *ss, int port)
{
    return make_addr(family == AF_INET6 ? "::1" : "127.0.0.1", port, ss);
}

static int any_addr(SOCKADDR_STORAGE *ss)
{
    return make_addr(family == AF_INET6 ? "::" : "0.0.0.0", 0, ss);
}

static SOCKET plain_socket(int type)
{
    SOCKET s = WSASocketW(family, type, type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    DWORD off = 0;
    if (s == INVALID_SOCKET) { say("socket failed: %s", err_name(WSAGetLastError())); exit(2); }
    if (dual) setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (char *)&off, sizeof(off));
    return s;
}

static SOCKET secured_socket(int type)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    SOCKET s = plain_socket(type);
    char v[4];
    /* Diagnostics: what Wine itself does with the same calls. */
    if (GetEnvironmentVariableA("ATTACK_UNSECURED", v, sizeof(v))) return s;
    if (WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL))
    {
        say("WSASetSocketSecurity failed: %s", err_name(WSAGetLastError()));
        exit(2);
    }
    return s;
}

static void get_extensions(SOCKET s)
{
    static const struct { GUID guid; void **fn; } ext[] = {
        { WSAID_CONNECTEX, (void **)&pConnectEx },
        { WSAID_ACCEPTEX, (void **)&pAcceptEx },
        { WSAID_GETACCEPTEXSOCKADDRS, (void **)&pGetAcceptExSockaddrs },
        { WSAID_DISCONNECTEX, (void **)&pDisconnectEx },
        { WSAID_TRANSMITFILE, (void **)&pTransmitFile },
        { WSAID_TRANSMITPACKETS, (void **)&pTransmitPackets },
        { WSAID_WSASENDMSG, (void **)&pWSASendMsg },
    };
    DWORD bytes;
    for (unsigned int i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
    {
        GUID g = ext[i].guid;
        *ext[i].fn = NULL;
        WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof(g), ext[i].fn, sizeof(void *), &bytes, NULL, NULL);
    }
}

static LONG protection(SOCKET s)
{
    SOCKET_SECURITY_QUERY_INFO info;
    ULONG len = sizeof(info);
    if (WSAQuerySocketSecurity(s, NULL, 0, &info, &len, NULL, NULL)) return -1;
    return (LONG)info.Flags;
}

static void set_timeout(SOCKET s, DWORD ms)
{
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (char *)&ms, sizeof(ms));
}

/* Reads what comes within the socket's receive timeout; text in buf. */
static int read_some(SOCKET s, char *buf, int size)
{
    int got = 0, n;
    while (got < size - 1 && (n = recv(s, buf + got, size - 1 - got, 0)) > 0) got += n;
    buf[got] = 0;
    for (int i = 0; i < got; i++) if ((unsigned char)buf[i] < 32 || (unsigned char)buf[i] > 126) buf[i] = '.';
    return got;
}

/* What a connection that should never have existed brought the program
 * (a plain peer's answer), within a second. */
static void report_received(SOCKET s, const char *who)
{
    char buf[512];
    u_long nb = 0;
    int n;
    ioctlsocket(s, FIONBIO, &nb);
    set_timeout(s, 1000);
    n = read_some(s, buf, sizeof(buf));
    say("%s: received %d bytes: \"%s\"", who, n, buf);
}

static int wait_connect(SOCKET s, DWORD ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    fd_set w, e;
    int err = -1, len = sizeof(err);
    FD_ZERO(&w); FD_ZERO(&e);
    FD_SET(s, &w); FD_SET(s, &e);
    if (select(0, NULL, &w, &e, &tv) != 1) return WSAETIMEDOUT;
    getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &len);
    return err;
}

/* ConnectEx and its result: 0 or the error. */
static int connectex_wait(SOCKET s, const SOCKADDR_STORAGE *to, int to_len, const char *mark)
{
    OVERLAPPED ov;
    DWORD bytes = 0, flags = 0;
    BOOL ret;
    int err = 0;

    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ret = pConnectEx(s, (const struct sockaddr *)to, to_len, (void *)mark, (DWORD)strlen(mark), &bytes, &ov);
    if (!ret && WSAGetLastError() == WSA_IO_PENDING)
    {
        if (WaitForSingleObject(ov.hEvent, WAIT_MS) != WAIT_OBJECT_0) err = WSAETIMEDOUT;
        else if (!WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags)) err = WSAGetLastError();
        else say("  ConnectEx completed, %lu bytes of the send buffer sent", bytes);
    }
    else if (!ret) err = WSAGetLastError();
    if (err == WSAETIMEDOUT) CancelIo((HANDLE)s);
    CloseHandle(ov.hEvent);
    return err;
}

/* ---- 1. retry after refusal ----------------------------------------------- */

static int do_retry(const char *host, int port, const char *mode, const char *mark)
{
    SOCKADDR_STORAGE to, any;
    int to_len = make_addr(host, port, &to), any_len = any_addr(&any);
    SOCKET s = secured_socket(SOCK_STREAM);
    u_long nb = 1;
    int ex = strcmp(mode, "nbconnect") != 0, connected = 0;

    get_extensions(s);
    if (ex)
    {
        if (!pConnectEx) { say("no ConnectEx"); return 2; }
        if (bind(s, (struct sockaddr *)&any, any_len)) say("bind: %s", err_name(WSAGetLastError()));
    }
    else ioctlsocket(s, FIONBIO, &nb);
    for (int attempt = 1; attempt <= 4; attempt++)
    {
        int err = 0;
        if (ex)
        {
            if (attempt > 1 && !strcmp(mode, "disconnectex"))
            {
                if (!pDisconnectEx) say("attempt %d: no DisconnectEx", attempt);
                else if (!pDisconnectEx(s, NULL, TF_REUSE_SOCKET, 0))
                    say("attempt %d: DisconnectEx(TF_REUSE_SOCKET): %s", attempt, err_name(WSAGetLastError()));
                else say("attempt %d: DisconnectEx(TF_REUSE_SOCKET) ok", attempt);
            }
            err = connectex_wait(s, &to, to_len, mark);
            if (!err) connected = 1;
        }
        else
        {
            if (connect(s, (struct sockaddr *)&to, to_len))
            {
                err = WSAGetLastError();
                if (err == WSAEWOULDBLOCK) err = wait_connect(s, WAIT_MS);
            }
            if (!err)
            {
                int n = send(s, mark, (int)strlen(mark), 0);
                say("attempt %d: connected; send: %d", attempt, n);
                connected = 1;
            }
        }
        say("attempt %d: %s", attempt, err ? err_name(err) : "connected");
        if (!err) report_received(s, "attempt");
        Sleep(200);
    }
    say("done: %s", connected ? "an attempt connected" : "every attempt failed");
    closesocket(s);
    return 0;
}

/* A TLS connection through the service, DisconnectEx(TF_REUSE_SOCKET), then
 * ConnectEx again (send buffer MARK) to a plain peer, 3 times. */
static int do_reuse(const char *tls_host, int tls_port, const char *host, int port, const char *mark)
{
    SOCKADDR_STORAGE tls, to, any;
    int tls_len = make_addr(tls_host, tls_port, &tls), to_len = make_addr(host, port, &to), any_len = any_addr(&any);
    SOCKET s = secured_socket(SOCK_STREAM);
    int err;

    get_extensions(s);
    if (!pConnectEx || !pDisconnectEx) { say("no ConnectEx or DisconnectEx"); return 2; }
    bind(s, (struct sockaddr *)&any, any_len);
    err = connectex_wait(s, &tls, tls_len, "reuse-first-tls-connection");
    setsockopt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0);
    say("TLS ConnectEx: %s (flags %ld)", err ? err_name(err) : "connected", protection(s));
    for (int i = 1; i <= 3; i++)
    {
        if (!pDisconnectEx(s, NULL, TF_REUSE_SOCKET, 0))
            say("try %d: DisconnectEx(TF_REUSE_SOCKET): %s", i, err_name(WSAGetLastError()));
        else say("try %d: DisconnectEx(TF_REUSE_SOCKET) ok", i);
        err = connectex_wait(s, &to, to_len, mark);
        say("try %d: ConnectEx to the plain peer: %s", i, err ? err_name(err) : "connected");
    }
    closesocket(s);
    return 0;
}

/* ---- 2. extension function pointers --------------------------------------- */

static int do_sendmsg(const char *host, int port, const char *which, const char *mark)
{
    SOCKADDR_STORAGE to;
    int to_len = make_addr(host, port, &to);
    SOCKET s = secured_socket(SOCK_DGRAM), other = INVALID_SOCKET;
    WSAMSG msg;
    WSABUF buf;
    DWORD sent = 0;
    int ret;

    if (!strcmp(which, "foreign")) get_extensions(other = plain_socket(SOCK_DGRAM));
    else get_extensions(s);
    if (!pWSASendMsg) { say("no WSASendMsg pointer"); return 2; }
    memset(&msg, 0, sizeof(msg));
    buf.buf = (char *)mark;
    buf.len = (ULONG)strlen(mark);
    msg.name = (struct sockaddr *)&to;
    msg.namelen = to_len;
    msg.lpBuffers = &buf;
    msg.dwBufferCount = 1;
    for (int i = 1; i <= 3; i++)
    {
        ret = pWSASendMsg(s, &msg, 0, &sent, NULL, NULL);
        say("try %d: WSASendMsg (%s pointer): %s, %lu bytes", i, which, ret ? err_name(WSAGetLastError()) : "sent",
            ret ? 0 : sent);
    }
    ret = sendto(s, mark, (int)strlen(mark), 0, (struct sockaddr *)&to, to_len);
    say("sendto for comparison: %s", ret < 0 ? err_name(WSAGetLastError()) : "sent");
    closesocket(s);
    if (other != INVALID_SOCKET) closesocket(other);
    return 0;
}

static int do_transmit(const char *host, int port, const char *trusted_host, int trusted_port, const char *file,
                       const char *mark)
{
    SOCKADDR_STORAGE to, trusted;
    int to_len = make_addr(host, port, &to), trusted_len = make_addr(trusted_host, trusted_port, &trusted), err;
    SOCKET s = secured_socket(SOCK_STREAM);
    TRANSMIT_PACKETS_ELEMENT el;
    u_long nb = 1;
    HANDLE f;

    get_extensions(s);
    ioctlsocket(s, FIONBIO, &nb);
    err = connect(s, (struct sockaddr *)&trusted, trusted_len) ? WSAGetLastError() : 0;
    if (err == WSAEWOULDBLOCK) err = wait_connect(s, WAIT_MS);
    say("refused first: %s", err_name(err));
    nb = 0;
    ioctlsocket(s, FIONBIO, &nb);
    for (int i = 1; i <= 3; i++)
    {
        err = connect(s, (struct sockaddr *)&to, to_len) ? WSAGetLastError() : 0;
        say("connect again (blocking, try %d): %s", i, err ? err_name(err) : "connected");
        if (!err || err == WSAEISCONN) break;
    }
    f = CreateFileA(file, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (f == INVALID_HANDLE_VALUE) say("cannot open %s", file);
    else if (!pTransmitFile) say("no TransmitFile");
    else say("TransmitFile: %s", pTransmitFile(s, f, 0, 0, NULL, NULL, 0) ? "sent" : err_name(WSAGetLastError()));
    if (f != INVALID_HANDLE_VALUE) CloseHandle(f);
    memset(&el, 0, sizeof(el));
    el.dwElFlags = TP_ELEMENT_MEMORY;
    el.cLength = (ULONG)strlen(mark);
    el.pBuffer = (void *)mark;
    if (!pTransmitPackets) say("TransmitPackets: not available");
    else say("TransmitPackets: %s", pTransmitPackets(s, &el, 1, 0, NULL, 0) ? "sent" : err_name(WSAGetLastError()));
    report_received(s, "transmit");
    closesocket(s);
    return 0;
}

#ifndef SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER
#define SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER _WSAIORW(IOC_WS2, 36)
#endif

static int do_rio(void)
{
    static const GUID rio = { 0x8509e081, 0x96dd, 0x4005, { 0xb1, 0x65, 0x9e, 0x2e, 0xe8, 0xc7, 0x9e, 0x3f } };
    SOCKET s = secured_socket(SOCK_DGRAM);
    struct { DWORD cbSize; void *fn[16]; } table;
    GUID g = rio;
    DWORD bytes = 0;
    int ret;

    memset(&table, 0, sizeof(table));
    table.cbSize = sizeof(DWORD) + 13 * sizeof(void *);
    ret = WSAIoctl(s, SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER, &g, sizeof(g), &table, sizeof(table), &bytes,
                   NULL, NULL);
    if (ret) say("RIO not available on a secured socket: %s", err_name(WSAGetLastError()));
    else say("RIO available on a secured socket (%lu bytes of table)", bytes);
    closesocket(s);
    return 0;
}

/* ---- 3. copies ------------------------------------------------------------ */

static void write_file(SOCKET c, const char *mark)
{
    OVERLAPPED ov;
    DWORD written = 0;
    BOOL ok;

    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ok = WriteFile((HANDLE)c, mark, (DWORD)strlen(mark), &written, &ov);
    if (!ok && GetLastError() == ERROR_IO_PENDING) ok = GetOverlappedResult((HANDLE)c, &ov, &written, TRUE);
    say("copy: WriteFile: %s, %lu bytes", ok ? "sent" : "failed", written);
    CloseHandle(ov.hEvent);
}

static void use_copy(SOCKET c, int type, const char *host, int port, const char *mark)
{
    SOCKADDR_STORAGE to;
    int to_len = make_addr(host, port, &to), n;

    if (type == SOCK_DGRAM)
    {
        int err = 0;
        for (int i = 0; i < 3; i++)
        {
            n = sendto(c, mark, (int)strlen(mark), 0, (struct sockaddr *)&to, to_len);
            if (n < 0) err = WSAGetLastError();
            say("copy: sendto: %s", n < 0 ? err_name(err) : "sent");
        }
        if (err == WSAENOTSOCK)
        {
            /* Wine 8 cannot send on a duplicated or inherited handle: a
             * connected datagram socket's handle takes WriteFile. */
            if (connect(c, (struct sockaddr *)&to, to_len)) say("copy: connect (udp): %s", err_name(WSAGetLastError()));
            else write_file(c, mark);
        }
        return;
    }
    if (connect(c, (struct sockaddr *)&to, to_len))
    {
        say("copy: connect: %s", err_name(WSAGetLastError()));
        return;
    }
    n = send(c, mark, (int)strlen(mark), 0);
    say("copy: connect: connected; send: %d (%s)", n, n < 0 ? err_name(WSAGetLastError()) : "sent");
    /* Wine 8 cannot send on a duplicated or inherited handle; a socket
     * handle is a file handle too. */
    if (n < 0) write_file(c, mark);
    report_received(c, "copy");
}

static char exe[MAX_PATH];

/* Starts this program again with args; suspended if asked. */
static BOOL spawn(const char *args, BOOL inherit, BOOL suspended, PROCESS_INFORMATION *pi)
{
    STARTUPINFOA si;
    char line[2048];

    snprintf(line, sizeof(line), "\"%s\" %s", exe, args);
    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    fflush(stdout);
    if (!CreateProcessA(exe, line, NULL, NULL, inherit, suspended ? CREATE_SUSPENDED : 0, NULL, NULL, &si, pi))
    {
        say("CreateProcess failed: %lu", GetLastError());
        return FALSE;
    }
    return TRUE;
}

static const char *fam_arg(void)
{
    return family == AF_INET6 ? (dual ? "6m" : "6") : "4";
}

/* Hands s to a new process running args (with "%s" for the handle or the
 * file of the protocol info); waits for it up to seconds. */
static void hand_over(SOCKET s, const char *how, const char *fmt, DWORD wait_ms)
{
    PROCESS_INFORMATION pi;
    char args[1024], ref[MAX_PATH];

    if (!strcmp(how, "inherit"))
    {
        SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
        snprintf(ref, sizeof(ref), "%llu", (unsigned long long)s);
        snprintf(args, sizeof(args), fmt, "inherit", ref);
        if (!spawn(args, TRUE, FALSE, &pi)) return;
    }
    else
    {
        WSAPROTOCOL_INFOW info;
        FILE *f;

        SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
        snprintf(ref, sizeof(ref), "wsadup-%lu.bin", GetCurrentProcessId());
        snprintf(args, sizeof(args), fmt, "wsadup", ref);
        if (!spawn(args, FALSE, TRUE, &pi)) return;
        if (WSADuplicateSocketW(s, pi.dwProcessId, &info))
        {
            say("WSADuplicateSocket: %s", err_name(WSAGetLastError()));
            TerminateProcess(pi.hProcess, 1);
        }
        else if (!(f = fopen(ref, "wb")) || fwrite(&info, sizeof(info), 1, f) != 1)
            say("cannot write %s", ref);
        else fclose(f);
        ResumeThread(pi.hThread);
    }
    if (WaitForSingleObject(pi.hProcess, wait_ms) != WAIT_OBJECT_0)
    {
        say("the child did not end in time");
        TerminateProcess(pi.hProcess, 1);
    }
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    DeleteFileA(ref);
}

static SOCKET from_info_file(const char *file)
{
    WSAPROTOCOL_INFOW info;
    FILE *f = fopen(file, "rb");
    SOCKET s;

    if (!f || fread(&info, sizeof(info), 1, f) != 1) { say("cannot read %s", file); exit(2); }
    fclose(f);
    s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, WSA_FLAG_OVERLAPPED);
    if (s == INVALID_SOCKET) { say("WSASocket(FROM_PROTOCOL_INFO): %s", err_name(WSAGetLastError())); exit(2); }
    return s;
}

static int do_copy(const char *proto, const char *how, const char *host, int port, const char *mark)
{
    int type = strcmp(proto, "udp") ? SOCK_STREAM : SOCK_DGRAM;
    SOCKET s = secured_socket(type);
    char fmt[1024];

    /* The original, for comparison: refused. */
    if (!strcmp(how, "dup"))
    {
        HANDLE h;
        if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)s, GetCurrentProcess(), &h, 0, FALSE, DUPLICATE_SAME_ACCESS))
        {
            say("DuplicateHandle failed: %lu", GetLastError());
            return 2;
        }
        say("DuplicateHandle: %#Ix -> %#Ix", (ULONG_PTR)s, (ULONG_PTR)h);
        use_copy((SOCKET)h, type, host, port, mark);
        CloseHandle(h);
    }
    else
    {
        snprintf(fmt, sizeof(fmt), "child-%%s %s %s %%s %s %d %s", fam_arg(), proto, host, port, mark);
        hand_over(s, how, fmt, WAIT_MS);
    }
    closesocket(s);
    return 0;
}

static int do_child(const char *how, const char *proto, const char *ref, const char *host, int port, const char *mark)
{
    int type = strcmp(proto, "udp") ? SOCK_STREAM : SOCK_DGRAM;
    SOCKET c = !strcmp(how, "inherit") ? (SOCKET)_strtoui64(ref, NULL, 10) : from_info_file(ref);
    say("child (%s): has socket %#Ix", how, (ULONG_PTR)c);
    use_copy(c, type, host, port, mark);
    closesocket(c);
    return 0;
}

/* ---- servers ---------------------------------------------------------------- */

static SOCKET secured_listener(int port)
{
    SOCKET l = secured_socket(SOCK_STREAM);
    SOCKADDR_STORAGE a;
    int len = loopback(&a, port);
    if (bind(l, (struct sockaddr *)&a, len) || listen(l, SOMAXCONN))
    {
        say("bind/listen failed: %s", err_name(WSAGetLastError()));
        exit(2);
    }
    say("listening on port %d", port);
    return l;
}

static const int addr_room = sizeof(SOCKADDR_STORAGE) + 16;

/* Serves one accepted connection in a worker: reads, reports, replies. */
static void serve(SOCKET a, const char *who, const char *reply)
{
    char buf[512];
    int n;
    set_timeout(a, 2000);
    n = read_some(a, buf, sizeof(buf));
    say("%s: received %d bytes: \"%s\"", who, n, buf);
    if (send(a, reply, (int)strlen(reply), 0) > 0) say("%s: sent \"%s\"", who, reply);
    else say("%s: reply not sent: %s", who, err_name(WSAGetLastError()));
    closesocket(a);
}

static int do_worker(const char *how, const char *ref, const char *mode, int seconds)
{
    SOCKET l = !strcmp(how, "inherit") ? (SOCKET)_strtoui64(ref, NULL, 10) : from_info_file(ref);
    DWORD end = GetTickCount() + seconds * 1000;

    say("worker (%s, %s): has listener %#Ix", how, mode, (ULONG_PTR)l);
    get_extensions(l);
    while ((int)(end - GetTickCount()) > 0)
    {
        if (!strcmp(mode, "acceptex"))
        {
            SOCKET a = plain_socket(SOCK_STREAM);
            char buf[2 * (sizeof(SOCKADDR_STORAGE) + 16)];
            OVERLAPPED ov;
            DWORD bytes = 0, flags = 0;
            memset(&ov, 0, sizeof(ov));
            ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
            if (!pAcceptEx) { say("worker: no AcceptEx"); return 2; }
            if (!pAcceptEx(l, a, buf, 0, addr_room, addr_room, &bytes, &ov) && WSAGetLastError() != WSA_IO_PENDING)
            {
                say("worker: AcceptEx: %s", err_name(WSAGetLastError()));
                return 2;
            }
            if (WaitForSingleObject(ov.hEvent, end - GetTickCount()) != WAIT_OBJECT_0 ||
                !WSAGetOverlappedResult(l, &ov, &bytes, FALSE, &flags))
            {
                CancelIo((HANDLE)l);
                closesocket(a);
                CloseHandle(ov.hEvent);
                break;
            }
            CloseHandle(ov.hEvent);
            setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l, sizeof(l));
            say("worker: AcceptEx took a connection (flags %ld)", protection(a));
            serve(a, "worker", "WORKER-REPLY");
        }
        else
        {
            fd_set r;
            struct timeval tv = { 0, 200000 };
            SOCKET a;
            FD_ZERO(&r);
            FD_SET(l, &r);
            if (select(0, &r, NULL, NULL, &tv) != 1) continue;
            if ((a = accept(l, NULL, NULL)) == INVALID_SOCKET)
            {
                say("worker: accept: %s", err_name(WSAGetLastError()));
                continue;
            }
            say("worker: accept took a connection (flags %ld)", protection(a));
            serve(a, "worker", "WORKER-REPLY");
        }
    }
    say("worker: done");
    return 0;
}

static int do_share(int port, const char *how, const char *mode, int seconds)
{
    SOCKET l = secured_listener(port);
    char fmt[512];

    snprintf(fmt, sizeof(fmt), "worker-%%s %s %%s %s %d", fam_arg(), mode, seconds);
    hand_over(l, how, fmt, (seconds + 10) * 1000);
    closesocket(l);
    say("done");
    return 0;
}

static int do_acceptex_server(int port, int count, const char *order, int seconds)
{
    SOCKET l = secured_listener(port), a[8];
    OVERLAPPED ov[8];
    HANDLE ev[8];
    char buf[8][2 * (sizeof(SOCKADDR_STORAGE) + 16)];
    int done = 0, reverse = !strcmp(order, "reverse");
    DWORD end = GetTickCount() + seconds * 1000, bytes;

    if (count > 8) count = 8;
    get_extensions(l);
    if (!pAcceptEx) { say("no AcceptEx"); return 2; }
    for (int i = 0; i < count; i++)
    {
        a[i] = plain_socket(SOCK_STREAM);
        memset(&ov[i], 0, sizeof(ov[i]));
        ov[i].hEvent = ev[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (!pAcceptEx(l, a[i], buf[i], 0, addr_room, addr_room, &bytes, &ov[i]) && WSAGetLastError() != WSA_IO_PENDING)
            say("AcceptEx %d: %s", i, err_name(WSAGetLastError()));
    }
    say("%d AcceptEx posted", count);
    while (done < count && (int)(end - GetTickCount()) > 0)
    {
        done = 0;
        for (int i = 0; i < count; i++) done += WaitForSingleObject(ev[i], 0) == WAIT_OBJECT_0;
        Sleep(50);
    }
    say("%d of %d AcceptEx completed; taking them %s", done, count, order);
    for (int k = 0; k < count; k++)
    {
        int i = reverse ? count - 1 - k : k;
        char text[512], who[32];
        DWORD flags = 0;
        LONG prot;
        int n;

        if (WaitForSingleObject(ev[i], 0) != WAIT_OBJECT_0 || !WSAGetOverlappedResult(l, &ov[i], &bytes, FALSE, &flags))
            continue;
        snprintf(who, sizeof(who), "conn %d", i);
        setsockopt(a[i], SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l, sizeof(l));
        prot = protection(a[i]);
        set_timeout(a[i], 2000);
        n = read_some(a[i], text, sizeof(text));
        say("%s: flags %ld (%s), received %d bytes: \"%s\"", who, prot,
            prot == (SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED) ? "SECURED" : "not secured", n,
            text);
        if (n > 0) say("%s: echo %d", who, send(a[i], text, n, 0));
        closesocket(a[i]);
    }
    CancelIo((HANDLE)l);
    closesocket(l);
    say("done");
    return 0;
}

static int do_acceptex_blind(int port, int recv_len, int seconds)
{
    SOCKET l = secured_listener(port), a = plain_socket(SOCK_STREAM);
    char buf[256 + 2 * (sizeof(SOCKADDR_STORAGE) + 16)], text[512], name[INET6_ADDRSTRLEN];
    struct sockaddr *local, *remote;
    int local_len, remote_len, n;
    DWORD bytes = 0, flags = 0;
    OVERLAPPED ov;

    if (recv_len > 256) recv_len = 256;
    get_extensions(l);
    if (!pAcceptEx || !pGetAcceptExSockaddrs) { say("no AcceptEx"); return 2; }
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!pAcceptEx(l, a, buf, recv_len, addr_room, addr_room, &bytes, &ov) && WSAGetLastError() != WSA_IO_PENDING)
    {
        say("AcceptEx: %s", err_name(WSAGetLastError()));
        return 2;
    }
    say("AcceptEx posted (receive buffer %d)", recv_len);
    if (WaitForSingleObject(ov.hEvent, seconds * 1000) != WAIT_OBJECT_0)
    {
        say("no connection reached the program");
        CancelIo((HANDLE)l);
        closesocket(l);
        return 0;
    }
    if (!WSAGetOverlappedResult(l, &ov, &bytes, FALSE, &flags))
    {
        say("AcceptEx failed: %s", err_name(WSAGetLastError()));
        closesocket(l);
        return 0;
    }
    pGetAcceptExSockaddrs(buf, recv_len, addr_room, addr_room, &local, &local_len, &remote, &remote_len);
    getnameinfo(remote, remote_len, name, sizeof(name), NULL, 0, NI_NUMERICHOST);
    memcpy(text, buf, bytes);
    text[bytes] = 0;
    for (DWORD i = 0; i < bytes; i++) if ((unsigned char)text[i] < 32 || (unsigned char)text[i] > 126) text[i] = '.';
    say("accepted from %s; %lu bytes in the AcceptEx buffer: \"%s\"", name, bytes, text);
    set_timeout(a, 2000);
    n = read_some(a, text, sizeof(text));
    say("recv: %d more bytes: \"%s\"", n, text);
    n = send(a, "SERVER-REPLY", 12, 0);
    say("reply: %s", n > 0 ? "sent" : err_name(WSAGetLastError()));
    closesocket(a);
    closesocket(l);
    return 0;
}

static int do_closehandle(int port, int seconds)
{
    SOCKET l = secured_listener(port);
    say("CloseHandle: %s", CloseHandle((HANDLE)l) ? "ok" : "failed");
    Sleep(seconds * 1000);
    say("done");
    return 0;
}

static int do_client(const char *host, int port, const char *mark)
{
    SOCKADDR_STORAGE to;
    int to_len = make_addr(host, port, &to), n;
    SOCKET s = secured_socket(SOCK_STREAM);
    char buf[512];

    if (connect(s, (struct sockaddr *)&to, to_len))
    {
        say("connect failed: %s", err_name(WSAGetLastError()));
        return 0;
    }
    say("connected (flags %ld)", protection(s));
    n = send(s, mark, (int)strlen(mark), 0);
    say("sent %d", n);
    set_timeout(s, 8000);
    shutdown(s, SD_SEND);
    n = read_some(s, buf, sizeof(buf));
    say("echo %d bytes: \"%s\"", n, buf);
    closesocket(s);
    return 0;
}

static int do_close_race(const char *host, int port, const char *mark)
{
    SOCKADDR_STORAGE to, any;
    int to_len = make_addr(host, port, &to), any_len = any_addr(&any);

    for (int round = 0; round < 5; round++)
    {
        SOCKET s = secured_socket(SOCK_STREAM), fresh[4];
        OVERLAPPED *ov = calloc(1, sizeof(*ov));
        DWORD bytes;
        BOOL ret;

        get_extensions(s);
        if (!pConnectEx) { say("no ConnectEx"); return 2; }
        bind(s, (struct sockaddr *)&any, any_len);
        ov->hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
        ret = pConnectEx(s, (const struct sockaddr *)&to, to_len, (void *)mark, (DWORD)strlen(mark), &bytes, ov);
        say("round %d: ConnectEx: %s; closesocket at once: %d", round, ret ? "done" : err_name(WSAGetLastError()),
            closesocket(s));
        for (int i = 0; i < 4; i++) fresh[i] = plain_socket(SOCK_STREAM);
        say("round %d: new sockets %#Ix %#Ix (closed %#Ix); ConnectEx completion: %s", round, (ULONG_PTR)fresh[0],
            (ULONG_PTR)fresh[1], (ULONG_PTR)s,
            WaitForSingleObject(ov->hEvent, 12000) == WAIT_OBJECT_0 ? "signalled" : "none");
        Sleep(300);
        for (int i = 0; i < 4; i++) closesocket(fresh[i]);
        /* ov stays allocated: a late completion must not write freed memory. */
    }
    say("done");
    return 0;
}

int main(int argc, char **argv)
{
    WSADATA wsa;

    setvbuf(stdout, NULL, _IONBF, 0);
    GetModuleFileNameA(NULL, exe, sizeof(exe));
    WSAStartup(MAKEWORD(2, 2), &wsa);
    if (argc >= 2) cmd = argv[1];
    if (argc >= 3) parse_family(argv[2]);
    if (argc == 7 && !strcmp(cmd, "retry")) return do_retry(argv[3], atoi(argv[4]), argv[5], argv[6]);
    if (argc == 8 && !strcmp(cmd, "reuse")) return do_reuse(argv[3], atoi(argv[4]), argv[5], atoi(argv[6]), argv[7]);
    if (argc == 7 && !strcmp(cmd, "sendmsg")) return do_sendmsg(argv[3], atoi(argv[4]), argv[5], argv[6]);
    if (argc == 8 && !strcmp(cmd, "transmit"))
        return do_transmit(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]), argv[6], argv[7]);
    if (argc == 3 && !strcmp(cmd, "rio")) return do_rio();
    if (argc == 8 && !strcmp(cmd, "copy")) return do_copy(argv[3], argv[4], argv[5], atoi(argv[6]), argv[7]);
    if (argc == 8 && !strcmp(cmd, "child-wsadup")) return do_child("wsadup", argv[3], argv[4], argv[5], atoi(argv[6]), argv[7]);
    if (argc == 8 && !strcmp(cmd, "child-inherit")) return do_child("inherit", argv[3], argv[4], argv[5], atoi(argv[6]), argv[7]);
    if (argc == 7 && !strcmp(cmd, "share")) return do_share(atoi(argv[3]), argv[4], argv[5], atoi(argv[6]));
    if (argc == 6 && !strcmp(cmd, "worker-wsadup")) return do_worker("wsadup", argv[3], argv[4], atoi(argv[5]));
    if (argc == 6 && !strcmp(cmd, "worker-inherit")) return do_worker("inherit", argv[3], argv[4], atoi(argv[5]));
    if (argc == 7 && !strcmp(cmd, "acceptex-server"))
        return do_acceptex_server(atoi(argv[3]), atoi(argv[4]), argv[5], atoi(argv[6]));
    if (argc == 6 && !strcmp(cmd, "acceptex-blind")) return do_acceptex_blind(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (argc == 5 && !strcmp(cmd, "closehandle")) return do_closehandle(atoi(argv[3]), atoi(argv[4]));
    if (argc == 6 && !strcmp(cmd, "client")) return do_client(argv[3], atoi(argv[4]), argv[5]);
    if (argc == 6 && !strcmp(cmd, "close-race")) return do_close_race(argv[3], atoi(argv[4]), argv[5]);
    fprintf(stderr, "usage: see the comment at the top of attack_win.c\n");
    return 2;
}
