/* The TLS backend's identity and relay, back to back over loopback TCP,
 * with every byte on the wire recorded. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unix/tls_identity.h"
#include "unix/tls_relay.h"
#include "unit.h"

static const char marker[] = "PLAINTEXT-MARKER-7f3a9c";

/* A connected loopback TCP pair. */
static void tcp_pair(int fds[2])
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int l = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(fds[0], (struct sockaddr *)&sin, sizeof(sin)), 0);
    fds[1] = accept(l, NULL, NULL);
    ck_assert_int_ge(fds[1], 0);
    close(l);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
}

struct wire {
    int a, b;                  /* the two halves the tap joins */
    uint8_t *log;              /* every byte that crossed */
    size_t log_len, log_cap;
    int a_eof, b_eof;
};

static void wire_copy(struct wire *w, int from, int to, int *eof)
{
    uint8_t buf[8192];
    ssize_t n;

    if (*eof) return;
    while ((n = read(from, buf, sizeof(buf))) > 0)
    {
        if (w->log_len + (size_t)n > w->log_cap)
        {
            w->log_cap = (w->log_len + (size_t)n) * 2;
            w->log = realloc(w->log, w->log_cap);
        }
        memcpy(w->log + w->log_len, buf, (size_t)n);
        w->log_len += (size_t)n;
        for (ssize_t off = 0; off < n;)
        {
            ssize_t m = write(to, buf + off, (size_t)(n - off));
            if (m > 0) off += m;
            else if (m < 0 && errno != EAGAIN) return;
            else { struct pollfd p = { to, POLLOUT, 0 }; poll(&p, 1, 100); }
        }
    }
    if (n == 0 || (n < 0 && errno != EAGAIN))
    {
        *eof = 1;
        if (n == 0) shutdown(to, SHUT_WR);
        else close(to);  /* a reset: pass it on as one */
    }
}

static int memmem_found(const uint8_t *hay, size_t n, const char *needle)
{
    return memmem(hay, n, needle, strlen(needle)) != NULL;
}

struct endpoint {
    int fd;                    /* the program's end */
    const uint8_t *out;
    size_t out_len, sent;
    uint8_t *in;
    size_t in_len, in_cap;
    int shut, eof, reset;
};

static void endpoint_io(struct endpoint *e)
{
    ssize_t n;

    while (e->sent < e->out_len && (n = write(e->fd, e->out + e->sent, e->out_len - e->sent)) > 0)
        e->sent += (size_t)n;
    if (e->sent == e->out_len && !e->shut)
    {
        shutdown(e->fd, SHUT_WR);
        e->shut = 1;
    }
    while (!e->eof && !e->reset)
    {
        if (e->in_len == e->in_cap) e->in = realloc(e->in, e->in_cap = e->in_cap ? e->in_cap * 2 : 65536);
        n = read(e->fd, e->in + e->in_len, e->in_cap - e->in_len);
        if (n > 0) e->in_len += (size_t)n;
        else if (n == 0) e->eof = 1;
        else { if (errno != EAGAIN) e->reset = 1; break; }
    }
}

/* Program A -> relay (client) -> tap -> relay (server) -> program B. */
static void run_pair(const struct tls_identity *client_id, const struct tls_identity *server_id,
                     const uint8_t (*client_pins)[TLS_RELAY_PIN_LEN], const uint8_t (*server_pins)[TLS_RELAY_PIN_LEN],
                     struct endpoint *a, struct endpoint *b, struct wire *w, enum tls_relay_state *sc,
                     enum tls_relay_state *ss)
{
    int pa[2], pb[2], wc[2], ws[2];
    struct tls_relay_config cc = { 0, client_id->credentials, client_pins, 1, "peer.test" };
    struct tls_relay_config sc_cfg = { 1, server_id->credentials, server_pins, 1, NULL };
    struct tls_relay *client, *server;
    char why[256];

    tcp_pair(pa);
    tcp_pair(pb);
    tcp_pair(wc);
    tcp_pair(ws);
    a->fd = pa[0];
    b->fd = pb[0];
    w->a = wc[1];
    w->b = ws[1];
    client = tls_relay_new(pa[1], wc[0], &cc, why, sizeof(why));
    server = tls_relay_new(pb[1], ws[0], &sc_cfg, why, sizeof(why));
    ck_assert_ptr_nonnull(client);
    ck_assert_ptr_nonnull(server);
    for (int round = 0; round < 200000; round++)
    {
        struct pollfd p[8];
        short ev1, ev2, ev3, ev4;
        int n = 0;

        *sc = tls_relay_step(client);
        *ss = tls_relay_step(server);
        endpoint_io(a);
        endpoint_io(b);
        wire_copy(w, w->a, w->b, &w->a_eof);
        wire_copy(w, w->b, w->a, &w->b_eof);
        if ((*sc >= TLS_RELAY_DONE && *ss >= TLS_RELAY_DONE && (a->eof || a->reset) && (b->eof || b->reset)) ||
            ((*sc == TLS_RELAY_FAILED || *ss == TLS_RELAY_FAILED) && (a->eof || a->reset) && (b->eof || b->reset)))
            break;
        tls_relay_interest(client, &ev1, &ev2);
        tls_relay_interest(server, &ev3, &ev4);
        if (ev1) p[n++] = (struct pollfd){ tls_relay_plain_fd(client), ev1, 0 };
        if (ev2) p[n++] = (struct pollfd){ tls_relay_tls_fd(client), ev2, 0 };
        if (ev3) p[n++] = (struct pollfd){ tls_relay_plain_fd(server), ev3, 0 };
        if (ev4) p[n++] = (struct pollfd){ tls_relay_tls_fd(server), ev4, 0 };
        p[n++] = (struct pollfd){ a->fd, POLLIN | (a->sent < a->out_len ? POLLOUT : 0), 0 };
        p[n++] = (struct pollfd){ b->fd, POLLIN | (b->sent < b->out_len ? POLLOUT : 0), 0 };
        if (!w->a_eof) p[n++] = (struct pollfd){ w->a, POLLIN, 0 };
        if (!w->b_eof) p[n++] = (struct pollfd){ w->b, POLLIN, 0 };
        poll(p, (nfds_t)n, 50);
    }
    tls_relay_free(client);
    tls_relay_free(server);
    close(w->a);
    close(w->b);
}

static uint8_t *pattern(size_t n, unsigned int seed)
{
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
    /* A recognisable plaintext every 64 KiB, to look for on the wire. */
    for (size_t i = 0; i + sizeof(marker) < n; i += 65536) memcpy(p + i, marker, sizeof(marker) - 1);
    return p;
}

START_TEST(relay_encrypts_both_ways)
{
    struct tls_identity client_id, server_id;
    struct endpoint a = { 0 }, b = { 0 };
    struct wire w = { 0 };
    enum tls_relay_state sc, ss;
    size_t n = 4u << 20;
    char why[256];

    ck_assert_int_eq(tls_identity_ephemeral("client.test", &client_id, why, sizeof(why)), 0);
    ck_assert_int_eq(tls_identity_ephemeral("server.test", &server_id, why, sizeof(why)), 0);
    a.out = pattern(n, 1);
    a.out_len = n;
    b.out = pattern(n / 2, 2);
    b.out_len = n / 2;
    run_pair(&client_id, &server_id, (const uint8_t (*)[32])server_id.pin, (const uint8_t (*)[32])client_id.pin,
             &a, &b, &w, &sc, &ss);
    ck_assert_int_eq(sc, TLS_RELAY_DONE);
    ck_assert_int_eq(ss, TLS_RELAY_DONE);
    /* Everything arrived, in order, and both ends saw a clean end. */
    ck_assert_uint_eq(b.in_len, n);
    ck_assert_int_eq(memcmp(b.in, a.out, n), 0);
    ck_assert_uint_eq(a.in_len, n / 2);
    ck_assert_int_eq(memcmp(a.in, b.out, n / 2), 0);
    ck_assert(a.eof && b.eof && !a.reset && !b.reset);
    /* Nothing of it crossed in clear. */
    ck_assert_uint_gt(w.log_len, n + n / 2);
    ck_assert(!memmem_found(w.log, w.log_len, marker));
    free((void *)a.out); free((void *)b.out); free(a.in); free(b.in); free(w.log);
    tls_identity_free(&client_id);
    tls_identity_free(&server_id);
}
END_TEST

START_TEST(relay_untrusted_peer_fails_closed)
{
    struct tls_identity client_id, server_id, stranger;
    struct endpoint a = { 0 }, b = { 0 };
    struct wire w = { 0 };
    enum tls_relay_state sc, ss;
    char why[256];

    ck_assert_int_eq(tls_identity_ephemeral("client.test", &client_id, why, sizeof(why)), 0);
    ck_assert_int_eq(tls_identity_ephemeral("server.test", &server_id, why, sizeof(why)), 0);
    ck_assert_int_eq(tls_identity_ephemeral("stranger.test", &stranger, why, sizeof(why)), 0);
    a.out = pattern(1 << 16, 3);
    a.out_len = 1 << 16;
    /* The client pins a stranger's key, not the server's. */
    run_pair(&client_id, &server_id, (const uint8_t (*)[32])stranger.pin, (const uint8_t (*)[32])client_id.pin,
             &a, &b, &w, &sc, &ss);
    ck_assert_int_eq(sc, TLS_RELAY_FAILED);
    ck_assert_uint_eq(b.in_len, 0);                         /* the peer program got nothing */
    ck_assert(!memmem_found(w.log, w.log_len, marker));    /* nothing in clear on the wire */
    ck_assert(a.reset);                                     /* the program sees a reset, not an end */
    free((void *)a.out); free(a.in); free(b.in); free(w.log);
    tls_identity_free(&client_id);
    tls_identity_free(&server_id);
    tls_identity_free(&stranger);
}
END_TEST

START_TEST(identity_made_once_and_private)
{
    struct tls_identity first, second;
    char dir[] = "/tmp/secsock-id-XXXXXX", path[300], why[512];
    struct stat st;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(tls_identity_load_or_create(dir, "user.test", &first, why, sizeof(why)), 0);
    ck_assert_int_eq(tls_identity_load_or_create(dir, "user.test", &second, why, sizeof(why)), 0);
    ck_assert_mem_eq(first.pin, second.pin, TLS_RELAY_PIN_LEN);
    snprintf(path, sizeof(path), "%s/" TLS_IDENTITY_KEY, dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    tls_identity_free(&second);
    /* A damaged key is reported, not replaced behind the user's back. */
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n", f);
    fclose(f);
    ck_assert_int_eq(tls_identity_load_or_create(dir, "user.test", &second, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "damaged"));
    tls_identity_free(&first);
    unlink(path);
    snprintf(path, sizeof(path), "%s/" TLS_IDENTITY_CERT, dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("relay");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, relay_encrypts_both_ways);
    tcase_add_test(tc, relay_untrusted_peer_fails_closed);
    tcase_add_test(tc, identity_made_once_and_private);
    suite_add_tcase(s, tc);
    return s;
}
