/*
 * bench: see bench.h.  Usage:
 *   bench server     PORT clear|secure
 *   bench throughput PORT clear|secure MIB
 *   bench latency    PORT clear|secure COUNT
 *   bench connrate   PORT clear|secure SECONDS THREADS
 *   bench hold       PORT clear|secure COUNT SECONDS THREADS SETUP_SECONDS
 *                    (opens COUNT connections, at most for SETUP_SECONDS, keeps
 *                    them idle SECONDS, then checks each with one byte)
 *   bench quit       PORT clear|secure
 * Results are printed as "result key=value ..." lines.
 */
#include <winsock2.h>
#include <mstcpip.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "secsock/securesock.h"
#include "bench.h"

int bench_secure(SOCKET s, int secure)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION };

    if (!secure) return 0;
    if (WSASetSocketSecurity(s, &settings, sizeof(settings), NULL, NULL)) return WSAGetLastError();
    return 0;
}

SOCKET bench_connect(const struct bench_target *t, int *err)
{
    struct sockaddr_in addr = { 0 };
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);

    if (s == INVALID_SOCKET)
    {
        *err = WSAGetLastError();
        return s;
    }
    addr.sin_family = AF_INET;
    addr.sin_port = htons(t->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((*err = bench_secure(s, t->secure)) || connect(s, (struct sockaddr *)&addr, sizeof(addr)))
    {
        if (!*err) *err = WSAGetLastError();
        closesocket(s);
        return INVALID_SOCKET;
    }
    *err = 0;
    return s;
}

int bench_send_all(SOCKET s, const char *buf, int len)
{
    while (len > 0)
    {
        int n = send(s, buf, len, 0);
        if (n <= 0) return -1;
        buf += n;
        len -= n;
    }
    return 0;
}

int bench_recv_all(SOCKET s, char *buf, int len)
{
    while (len > 0)
    {
        int n = recv(s, buf, len, 0);
        if (n <= 0) return -1;
        buf += n;
        len -= n;
    }
    return 0;
}

double bench_now(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER now;

    if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (double)now.QuadPart / (double)freq.QuadPart;
}

void bench_put_u64(char *out, uint64_t v)
{
    for (int i = 0; i < 8; i++) out[i] = (char)(v >> (8 * i));
}

uint64_t bench_get_u64(const char *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)(unsigned char)in[i] << (8 * i);
    return v;
}

static unsigned int arg_uint(const char *s)
{
    return (unsigned int)strtoul(s, NULL, 10);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench server PORT MODE | throughput PORT MODE MIB | latency PORT MODE COUNT |\n"
                    "       connrate PORT MODE SECONDS THREADS | hold PORT MODE COUNT SECONDS THREADS SETUP_SECONDS |\n"
                    "       quit PORT MODE\n"
                    "MODE: clear or secure\n");
}

int main(int argc, char **argv)
{
    struct bench_target t;
    WSADATA data;
    const char *mode;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 4) return usage(), 2;
    mode = argv[1];
    t.port = (unsigned short)arg_uint(argv[2]);
    if (!strcmp(argv[3], "secure")) t.secure = 1;
    else if (!strcmp(argv[3], "clear")) t.secure = 0;
    else return usage(), 2;
    if (WSAStartup(MAKEWORD(2, 2), &data)) return 1;
    if (!strcmp(mode, "server") && argc == 4) return bench_server(&t);
    if (!strcmp(mode, "throughput") && argc == 5) return bench_throughput(&t, arg_uint(argv[4]));
    if (!strcmp(mode, "latency") && argc == 5) return bench_latency(&t, arg_uint(argv[4]));
    if (!strcmp(mode, "connrate") && argc == 6) return bench_connrate(&t, arg_uint(argv[4]), arg_uint(argv[5]));
    if (!strcmp(mode, "hold") && argc == 8)
        return bench_hold(&t, arg_uint(argv[4]), arg_uint(argv[5]), arg_uint(argv[6]), arg_uint(argv[7]));
    if (!strcmp(mode, "quit") && argc == 4) return bench_quit(&t);
    usage();
    return 2;
}
