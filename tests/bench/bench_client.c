/* The benchmark's client modes (see bench.h). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

/* Connects, sends the command byte, and waits for its echo. */
static SOCKET open_echo(const struct bench_target *t, char command, int *err)
{
    SOCKET s = bench_connect(t, err);
    char reply;

    if (s == INVALID_SOCKET) return s;
    if (bench_send_all(s, &command, 1) || bench_recv_all(s, &reply, 1) || reply != command)
    {
        *err = WSAGetLastError();
        if (!*err) *err = -1;   /* closed, or a wrong byte */
        closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

int bench_throughput(const struct bench_target *t, unsigned int mib)
{
    uint64_t total = (uint64_t)mib << 20, sent = 0;
    char header[9], ack[8], *buf = malloc(BENCH_WRITE_SIZE);
    double start, seconds;
    int err;
    SOCKET s;

    if (!buf) return 1;
    for (int i = 0; i < BENCH_WRITE_SIZE; i++) buf[i] = (char)(i * 7 + 1);
    if ((s = bench_connect(t, &err)) == INVALID_SOCKET)
    {
        printf("result throughput_error=%d\n", err);
        return 1;
    }
    header[0] = 'T';
    bench_put_u64(header + 1, total);
    start = bench_now();
    if (bench_send_all(s, header, sizeof(header))) goto broken;
    while (sent < total)
    {
        int n = send(s, buf, BENCH_WRITE_SIZE, 0);   /* one 64 KiB write each time */
        if (n <= 0) goto broken;
        sent += (uint64_t)n;
    }
    if (bench_recv_all(s, ack, sizeof(ack))) goto broken;
    seconds = bench_now() - start;
    closesocket(s);
    free(buf);
    if (bench_get_u64(ack) != total)
    {
        printf("result throughput_error=short server_received=%llu\n", (unsigned long long)bench_get_u64(ack));
        return 1;
    }
    printf("result throughput_mibps=%.1f mib=%u seconds=%.3f\n", mib / seconds, mib, seconds);
    return 0;
broken:
    printf("result throughput_error=%d sent=%llu\n", WSAGetLastError(), (unsigned long long)sent);
    closesocket(s);
    free(buf);
    return 1;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least pct % of them at or below it. */
static double percentile(const double *sorted, unsigned int n, unsigned int pct)
{
    unsigned int rank = (n * pct + 99) / 100;
    return sorted[rank ? rank - 1 : 0];
}

int bench_latency(const struct bench_target *t, unsigned int count)
{
    double *us = malloc((count ? count : 1) * sizeof(*us)), *conn_us = malloc((count ? count : 1) * sizeof(*us));
    double sum = 0;
    unsigned int ok = 0, failed = 0;
    int err, first_error = 0;

    if (!us || !conn_us || !count) return 1;
    for (int i = 0; i < 10; i++)   /* warm-up: not counted */
    {
        SOCKET s = open_echo(t, 'L', &err);
        if (s != INVALID_SOCKET) closesocket(s);
    }
    for (unsigned int i = 0; i < count; i++)
    {
        double start = bench_now(), connected, end;
        SOCKET s = bench_connect(t, &err);
        char c = 'L';

        connected = bench_now();
        if (s != INVALID_SOCKET && (bench_send_all(s, &c, 1) || bench_recv_all(s, &c, 1) || c != 'L'))
        {
            err = WSAGetLastError();
            closesocket(s);
            s = INVALID_SOCKET;
        }
        end = bench_now();
        if (s == INVALID_SOCKET)
        {
            if (!failed++) first_error = err;
            continue;
        }
        closesocket(s);
        conn_us[ok] = (connected - start) * 1e6;
        us[ok] = (end - start) * 1e6;
        sum += us[ok++];
    }
    if (!ok)
    {
        printf("result latency_error=%d failed=%u\n", first_error, failed);
        return 1;
    }
    qsort(us, ok, sizeof(*us), compare_double);
    qsort(conn_us, ok, sizeof(*conn_us), compare_double);
    /* connect_p50_us: up to connect's return (socket, security, connect). */
    printf("result latency_p50_us=%.0f latency_p99_us=%.0f latency_mean_us=%.0f connect_p50_us=%.0f count=%u failed=%u"
           " first_error=%d\n", percentile(us, ok, 50), percentile(us, ok, 99), sum / ok, percentile(conn_us, ok, 50),
           ok, failed, first_error);
    free(us);
    free(conn_us);
    return 0;
}

struct rate_worker {
    const struct bench_target *target;
    double deadline;
    unsigned long ok, failed;
    int first_error;
};

static DWORD WINAPI rate_thread(void *param)
{
    struct rate_worker *w = param;
    int err;

    while (bench_now() < w->deadline)
    {
        SOCKET s = open_echo(w->target, 'C', &err);
        if (s == INVALID_SOCKET)
        {
            if (!w->failed++) w->first_error = err;
            continue;
        }
        closesocket(s);
        w->ok++;
    }
    return 0;
}

int bench_connrate(const struct bench_target *t, unsigned int seconds, unsigned int threads)
{
    struct rate_worker *workers = calloc(threads ? threads : 1, sizeof(*workers));
    HANDLE *handles = calloc(threads ? threads : 1, sizeof(*handles));
    unsigned long ok = 0, failed = 0;
    int first_error = 0;
    double start = bench_now(), elapsed;

    if (!workers || !handles || !threads || threads > MAXIMUM_WAIT_OBJECTS) return 1;
    for (unsigned int i = 0; i < threads; i++)
    {
        workers[i].target = t;
        workers[i].deadline = start + seconds;
        if (!(handles[i] = CreateThread(NULL, 0, rate_thread, &workers[i], 0, NULL))) return 1;
    }
    WaitForMultipleObjects(threads, handles, TRUE, INFINITE);
    elapsed = bench_now() - start;
    for (unsigned int i = 0; i < threads; i++)
    {
        CloseHandle(handles[i]);
        ok += workers[i].ok;
        if (workers[i].failed && !failed) first_error = workers[i].first_error;
        failed += workers[i].failed;
    }
    printf("result connrate_cps=%.0f connections=%lu failed=%lu seconds=%.2f threads=%u first_error=%d\n",
           ok / elapsed, ok, failed, elapsed, threads, first_error);
    free(workers);
    free(handles);
    return 0;
}

struct hold_worker {
    const struct bench_target *target;
    SOCKET *held;           /* this worker's share */
    unsigned int want, ok, failed;
    int first_error;
    double deadline;        /* stop opening connections then */
    volatile LONG *total_ok;
};

static DWORD WINAPI hold_thread(void *param)
{
    struct hold_worker *w = param;
    unsigned int in_a_row = 0;
    int err;

    for (unsigned int i = 0; i < w->want && in_a_row < 100 && bench_now() < w->deadline; i++)
    {
        SOCKET s = open_echo(w->target, 'H', &err);
        if (s == INVALID_SOCKET)
        {
            if (!w->failed++) w->first_error = err;
            in_a_row++;
            continue;
        }
        in_a_row = 0;
        w->held[w->ok++] = s;
        if (InterlockedIncrement(w->total_ok) % 1000 == 0) printf("progress held=%ld\n", *w->total_ok);
    }
    return 0;
}

int bench_hold(const struct bench_target *t, unsigned int count, unsigned int seconds, unsigned int threads,
               unsigned int setup_seconds)
{
    SOCKET *held = calloc(count ? count : 1, sizeof(*held));
    struct hold_worker *workers = calloc(threads ? threads : 1, sizeof(*workers));
    HANDLE *handles = calloc(threads ? threads : 1, sizeof(*handles));
    unsigned int ok = 0, failed = 0, alive = 0, given = 0;
    volatile LONG total_ok = 0;
    int first_error = 0;
    double start = bench_now();

    if (!held || !workers || !handles || !threads || threads > MAXIMUM_WAIT_OBJECTS) return 1;
    for (unsigned int i = 0; i < threads; i++)
    {
        workers[i].target = t;
        workers[i].held = held + given;
        workers[i].want = count / threads + (i < count % threads);
        workers[i].total_ok = &total_ok;
        workers[i].deadline = start + setup_seconds;
        given += workers[i].want;
        if (!(handles[i] = CreateThread(NULL, 0, hold_thread, &workers[i], 0, NULL))) return 1;
    }
    WaitForMultipleObjects(threads, handles, TRUE, INFINITE);
    for (unsigned int i = 0; i < threads; i++)
    {
        CloseHandle(handles[i]);
        ok += workers[i].ok;
        if (workers[i].failed && !failed) first_error = workers[i].first_error;
        failed += workers[i].failed;
    }
    printf("result hold_ok=%u hold_failed=%u hold_first_error=%d hold_setup_seconds=%.2f hold_setup_capped=%d\n", ok,
           failed, first_error, bench_now() - start, ok + failed < count && bench_now() >= start + setup_seconds);
    printf("ready\n");
    Sleep(seconds * 1000);
    /* Still there after the idle time: one more byte each way. */
    for (unsigned int i = 0; i < threads; i++)
        for (unsigned int j = 0; j < workers[i].ok; j++)
        {
            SOCKET s = workers[i].held[j];
            char c = 'h';
            if (!bench_send_all(s, &c, 1) && !bench_recv_all(s, &c, 1) && c == 'h') alive++;
            closesocket(s);
        }
    printf("result hold_alive=%u\n", alive);
    free(held);
    free(workers);
    free(handles);
    return 0;
}

int bench_quit(const struct bench_target *t)
{
    int err;
    SOCKET s = bench_connect(t, &err);

    if (s == INVALID_SOCKET) return 1;
    send(s, "Q", 1, 0);
    closesocket(s);
    return 0;
}
