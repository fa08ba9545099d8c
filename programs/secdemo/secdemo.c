/*
 * secdemo: a Windows program that secures its sockets with the Winsock
 * Secure Socket Extensions, for tools/demo.  Built with mingw-w64's own
 * headers, as any Windows program would be.
 *
 *   secdemo server [HOST:]PORT MODE       accepts one connection (10 s), echoes it
 *   secdemo client [HOST:]PORT MODE TEXT  connects, sends TEXT, prints the echo
 * HOST: an IPv4 address (default 127.0.0.1).
 * MODE: guarantee (GUARANTEE_ENCRYPTION), default (no flag),
 *       insecure (ALLOW_INSECURE), plain (no WSASetSocketSecurity at all);
 *       "ipsec-" before one of the first three asks for
 *       SOCKET_SECURITY_PROTOCOL_IPSEC instead of the default protocol.
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

/* "[HOST:]PORT" into addr; 0, or -1 when it is not that. */
static int parse_endpoint(const char *text, struct sockaddr_in *addr)
{
    const char *colon = strrchr(text, ':');
    char host[64];

    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (colon)
    {
        if ((size_t)(colon - text) >= sizeof(host)) return -1;
        memcpy(host, text, colon - text);
        host[colon - text] = 0;
        if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) return -1;
        text = colon + 1;
    }
    addr->sin_port = htons((unsigned short)atoi(text));
    return addr->sin_port ? 0 : -1;
}

static int run_server(const struct sockaddr_in *where, const char *mode)
{
    struct sockaddr_in addr = *where;
    char name[INET_ADDRSTRLEN];
    SOCKET listener, s;
    fd_set readable;
    struct timeval timeout = { 10, 0 };
    char buf[512];
    int n;

    listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (secure(listener, mode)) return 1;
    if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) || listen(listener, 5))
    {
        printf("  server: bind/listen failed: %d\n", WSAGetLastError());
        return 1;
    }
    inet_ntop(AF_INET, &addr.sin_addr, name, sizeof(name));
    printf("  server (%s): listening on %s:%u\n", mode, name, ntohs(addr.sin_port));
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

static int run_client(const struct sockaddr_in *where, const char *mode, const char *text)
{
    struct sockaddr_in addr = *where;
    SOCKET s;
    char buf[512];
    int n;

    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (secure(s, mode)) return 1;
    if (connect(s, (struct sockaddr *)&addr, sizeof(addr)))
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
    struct sockaddr_in where;
    WSADATA data;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (WSAStartup(MAKEWORD(2, 2), &data)) return 1;
    if (argc >= 3 && !parse_endpoint(argv[2], &where))
    {
        if (argc == 4 && !strcmp(argv[1], "server")) return run_server(&where, argv[3]);
        if (argc == 5 && !strcmp(argv[1], "client")) return run_client(&where, argv[3], argv[4]);
    }
    fprintf(stderr, "usage: secdemo server [HOST:]PORT MODE | secdemo client [HOST:]PORT MODE TEXT\n");
    return 2;
}
