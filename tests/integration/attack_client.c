/*
 * The Windows program of attack-control.sh: a secured client that keeps
 * running while the service under it is replaced.
 *
 *   attack_client PORT GOFILE TEXT
 *
 * Makes one GUARANTEE_ENCRYPTION connect to 127.0.0.1:PORT (so that the
 * DLL has found the service and holds its port), prints the result, then
 * waits (at most 150 s) until GOFILE exists (a Win32 path) and makes a
 * second one, which sends TEXT if it connects.  Each result is a line
 * "connect N: ok" or "connect N: failed ERRNAME (code)".
 */
#include <winsock2.h>
#include <mstcpip.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "secsock/securesock.h"

static const char *name(int err)
{
    switch (err)
    {
    case WSAECONNREFUSED: return "WSAECONNREFUSED";
    case WSAENETDOWN: return "WSAENETDOWN";
    case WSAETIMEDOUT: return "WSAETIMEDOUT";
    default: return "other";
    }
}

static void attempt(int n, unsigned short port, const char *text)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };
    struct sockaddr_in addr;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    int err;

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL))
    {
        err = WSAGetLastError();
        printf("connect %d: failed %s (%d) in WSASetSocketSecurity\n", n, name(err), err);
    }
    else if (connect(s, (struct sockaddr *)&addr, sizeof(addr)))
    {
        err = WSAGetLastError();
        printf("connect %d: failed %s (%d)\n", n, name(err), err);
    }
    else
    {
        printf("connect %d: ok\n", n);
        send(s, text, (int)strlen(text), 0);
    }
    closesocket(s);
}

int main(int argc, char **argv)
{
    WSADATA data;
    unsigned short port;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 4 || WSAStartup(MAKEWORD(2, 2), &data)) return 2;
    port = (unsigned short)atoi(argv[1]);
    attempt(1, port, argv[3]);
    for (int i = 0; i < 1500 && GetFileAttributesA(argv[2]) == INVALID_FILE_ATTRIBUTES; i++) Sleep(100);
    attempt(2, port, argv[3]);
    return 0;
}
