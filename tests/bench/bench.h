/*
 * bench: the Windows program of the benchmark (tests/bench/run-bench.sh).
 * One server and four client modes; every socket is either left clear or
 * secured with GUARANTEE_ENCRYPTION before it connects or binds.
 *
 * The wire protocol is one command byte from the client:
 *   'T' + 8-byte little-endian length + that many bytes: the server sinks
 *       them and answers the 8-byte total it received;
 *   'Q': the server exits;
 *   anything else: the server echoes that byte and every later one.
 */
#ifndef BENCH_H
#define BENCH_H

#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdint.h>

#define BENCH_WRITE_SIZE (64 * 1024)   /* bulk writes: 64 KiB each */

struct bench_target {
    unsigned short port;   /* on 127.0.0.1 */
    int secure;            /* GUARANTEE_ENCRYPTION on each socket */
};

/* bench.c: what every mode shares. */
int bench_secure(SOCKET s, int secure);            /* 0, or the WSA error */
SOCKET bench_connect(const struct bench_target *t, int *err);
int bench_send_all(SOCKET s, const char *buf, int len);
int bench_recv_all(SOCKET s, char *buf, int len);
double bench_now(void);                             /* seconds */
void bench_put_u64(char *out, uint64_t v);
uint64_t bench_get_u64(const char *in);

/* bench_server.c */
int bench_server(const struct bench_target *t);

/* bench_client.c */
int bench_throughput(const struct bench_target *t, unsigned int mib);
int bench_latency(const struct bench_target *t, unsigned int count);
int bench_connrate(const struct bench_target *t, unsigned int seconds, unsigned int threads);
int bench_hold(const struct bench_target *t, unsigned int count, unsigned int seconds, unsigned int threads,
               unsigned int setup_seconds);
int bench_quit(const struct bench_target *t);

#endif
