/*
 * secdemo: a Windows program that secures its sockets with the Winsock
 * Secure Socket Extensions, for tools/demo.  Built with mingw-w64's own
 * headers, as any Windows program would be.
 *
 *   secdemo server [HOST:]PORT MODE [TARGET]       accepts one connection (10 s), echoes it
 *   secdemo client [HOST:]PORT MODE TEXT [TARGET]  connects, sends TEXT, prints the echo
 * HOST: an IPv4 address, or an IPv6 one in brackets ("[::1]:5000"; a
 *       bare IPv6 literal works too: the last colon starts the port);
 *       default 127.0.0.1.
 * MODE: guarantee (GUARANTEE_ENCRYPTION), default (no flag),
 *       insecure (ALLOW_INSECURE), plain (no WSASetSocketSecurity at all);
 *       "ipsec-" before one of the first three asks for
 *       SOCKET_SECURITY_PROTOCOL_IPSEC instead of the default protocol.
 * TARGET: a peer target name set with WSASetSocketPeerTargetName before
 *       connect (client) or bind (server): a host name, an IP address or
 *       an SPN ("host/server.example.com"); laid out as Microsoft's
 *       SecureTcpConnect sample does (wcslen characters, no NUL).
 */
#include <winsock2.h>
#include <mstcpip.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "secsock/securesock.h"

static const char *describe_error(int err)
{
    switch (err)
    {
    case WSAECONNREFUSED: return "WSAECONNREFUSED";
    case WSAENETDOWN: return "WSAENETDOWN";
    case WSAEADDRINUSE: return "WSAEADDRINUSE";
    case WSAETIMEDOUT: return "WSAETIMEDOUT";
    default: return "error";
    }
}

static int secure(SOCKET s, const char *mode)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, 0 };

    if (!strcmp(mode, "plain")) return 0;
    if (!strncmp(mode, "ipsec-", 6))
    {
        settings.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
        mode += 6;
    }
    if (!strcmp(mode, "guarantee")) settings.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;
    else if (!strcmp(mode, "insecure")) settings.SecurityFlags = SOCKET_SETTINGS_ALLOW_INSECURE;
    else if (strcmp(mode, "default")) { fprintf(stderr, "unknown mode %s\n", mode); return -1; }
    if (WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL))
    {
        printf("  WSASetSocketSecurity failed: %d\n", WSAGetLastError());
        return -1;
    }
    return 0;
}

/* WSASetSocketPeerTargetName(target) on s, as Microsoft's samples do it;
 * nothing when target is NULL. */
static int name_peer(SOCKET s, const char *target)
{
    SOCKET_PEER_TARGET_NAME *t;
    ULONG len;
    int n;

    if (!target) return 0;
    if ((n = MultiByteToWideChar(CP_ACP, 0, target, -1, NULL, 0)) <= 1) return -1;
    len = (ULONG)(sizeof(*t) + (size_t)(n - 1) * sizeof(WCHAR));
    if (!(t = calloc(1, len + sizeof(WCHAR)))) return -1;
    t->SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    MultiByteToWideChar(CP_ACP, 0, target, -1, t->AllStrings, n);
    t->PeerTargetNameStringLen = (ULONG)wcslen(t->AllStrings);
    n = WSASetSocketPeerTargetName(s, t, len, NULL, NULL);
    free(t);
    if (n)
    {
        printf("  WSASetSocketPeerTargetName(\"%s\") failed: %d\n", target, WSAGetLastError());
        return -1;
    }
    printf("  peer target name: %s\n", target);
    return 0;
}

/* What WSAQuerySocketSecurity says of a connected socket. */
static void report_protection(const char *who, SOCKET s)
{
    SOCKET_SECURITY_QUERY_INFO *info;
    ULONG len = 0;

    if (WSAQuerySocketSecurity(s, NULL, 0, NULL, &len, NULL, NULL) != SOCKET_ERROR ||
        WSAGetLastError() != WSAEFAULT || !(info = malloc(len)))
    {
        printf("  %s: WSAQuerySocketSecurity size probe failed (%d)\n", who, WSAGetLastError());
        return;
    }
    if (WSAQuerySocketSecurity(s, NULL, 0, info, &len, NULL, NULL))
        printf("  %s: WSAQuerySocketSecurity failed (%d)\n", who, WSAGetLastError());
    else if (info->Flags & SOCKET_INFO_CONNECTION_ENCRYPTED)
        printf("  %s: connection SECURED and ENCRYPTED\n", who);
    else if (info->Flags & SOCKET_INFO_CONNECTION_SECURED)
        printf("  %s: connection SECURED (integrity only)\n", who);
    else
        printf("  %s: connection NOT protected: clear text\n", who);
    free(info);
}

/* "[HOST:]PORT" into addr: HOST an IPv4 address, "[IPv6]" or a bare IPv6
 * literal; 127.0.0.1 when there is none.  0, or -1 when it is not that. */
static int parse_endpoint(const char *text, SOCKADDR_STORAGE *addr, int *addr_len)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;
    const char *colon = strrchr(text, ':');
    char host[64];
    size_t n;
    int port;

    memset(addr, 0, sizeof(*addr));
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *addr_len = sizeof(*sin);
    if (colon)
    {
        n = (size_t)(colon - text);
        if (n >= 2 && text[0] == '[' && text[n - 1] == ']') { text++; n -= 2; }
        if (n >= sizeof(host)) return -1;
        memcpy(host, text, n);
        host[n] = 0;
        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1)
        {
            sin6->sin6_family = AF_INET6;
            *addr_len = sizeof(*sin6);
        }
        else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) return -1;
        text = colon + 1;
    }
    port = atoi(text);
    if (port <= 0 || port > 65535) return -1;
    sin->sin_port = htons((unsigned short)port);   /* same offset in sockaddr_in6 */
    return 0;
}

/* "HOST:PORT" of addr, with an IPv6 host in brackets. */
static void endpoint_text(const SOCKADDR_STORAGE *addr, char *text, size_t size)
{
    char host[INET6_ADDRSTRLEN];

    if (addr->ss_family == AF_INET6)
    {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, host, sizeof(host));
        snprintf(text, size, "[%s]:%u", host, ntohs(((const struct sockaddr_in6 *)addr)->sin6_port));
    }
    else
    {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host, sizeof(host));
        snprintf(text, size, "%s:%u", host, ntohs(((const struct sockaddr_in *)addr)->sin_port));
    }
}

static int run_server(const SOCKADDR_STORAGE *where, int addr_len, const char *mode, const char *target)
{
    SOCKADDR_STORAGE addr = *where;
    char name[INET6_ADDRSTRLEN + 8];
    SOCKET listener, s;
    fd_set readable;
    struct timeval timeout = { 10, 0 };
    char buf[512];
    int n;

    listener = socket(addr.ss_family, SOCK_STREAM, IPPROTO_TCP);
    if (secure(listener, mode) || name_peer(listener, target)) return 1;
    if (bind(listener, (struct sockaddr *)&addr, addr_len) || listen(listener, 5))
    {
        printf("  server: bind/listen failed: %d\n", WSAGetLastError());
        return 1;
    }
    endpoint_text(&addr, name, sizeof(name));
    printf("  server (%s): listening on %s\n", mode, name);
    fflush(stdout);
    FD_ZERO(&readable);
    FD_SET(listener, &readable);
    if (select(0, &readable, NULL, NULL, &timeout) <= 0)
    {
        printf("  server (%s): no connection reached the program in 10 s\n", mode);
        closesocket(listener);
        return 0;
    }
    s = accept(listener, NULL, NULL);
    report_protection("server", s);
    n = recv(s, buf, sizeof(buf) - 1, 0);
    if (n > 0)
    {
        buf[n] = 0;
        printf("  server: received \"%s\"\n", buf);
        send(s, buf, n, 0);
    }
    closesocket(s);
    closesocket(listener);
    return 0;
}

static int run_client(const SOCKADDR_STORAGE *where, int addr_len, const char *mode, const char *text,
                      const char *target)
{
    SOCKADDR_STORAGE addr = *where;
    SOCKET s;
    char buf[512];
    int n;

    s = socket(addr.ss_family, SOCK_STREAM, IPPROTO_TCP);
    if (secure(s, mode) || name_peer(s, target)) return 1;
    if (connect(s, (struct sockaddr *)&addr, addr_len))
    {
        int err = WSAGetLastError();
        printf("  client (%s): connect failed: %s (%d); \"%s\" was not sent\n", mode, describe_error(err),
               err, text);
        return 0;
    }
    report_protection("client", s);
    send(s, text, (int)strlen(text), 0);
    n = recv(s, buf, sizeof(buf) - 1, 0);
    shutdown(s, SD_SEND);
    buf[n > 0 ? n : 0] = 0;
    printf("  client (%s): sent \"%s\", echo \"%s\"\n", mode, text, buf);
    closesocket(s);
    return 0;
}

int main(int argc, char **argv)
{
    SOCKADDR_STORAGE where;
    WSADATA data;
    int len;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (WSAStartup(MAKEWORD(2, 2), &data)) return 1;
    if (argc >= 3 && !parse_endpoint(argv[2], &where, &len))
    {
        if ((argc == 4 || argc == 5) && !strcmp(argv[1], "server"))
            return run_server(&where, len, argv[3], argc == 5 ? argv[4] : NULL);
        if ((argc == 5 || argc == 6) && !strcmp(argv[1], "client"))
            return run_client(&where, len, argv[3], argv[4], argc == 6 ? argv[5] : NULL);
    }
    fprintf(stderr, "usage: secdemo server [HOST:]PORT MODE [TARGET] | secdemo client [HOST:]PORT MODE TEXT [TARGET]\n"
                    "HOST: IPv4, [IPv6] or an IPv6 literal; TARGET: a peer target name (host, IP or SPN)\n");
    return 2;
}
