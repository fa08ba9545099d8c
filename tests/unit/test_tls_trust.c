/* The relay trusting by CA and name: real handshakes over loopback TCP
 * with certificates made here, each refusal with its reason, and pins
 * beside it. */
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
#include <unistd.h>
#include "unix/peer_name.h"
#include "unix/tls_relay.h"
#include "unix/trust_anchors.h"
#include "pki_fixture.h"
#include "unit.h"

struct outcome {
    enum tls_relay_state client, server;
    enum trust_verdict client_verdict, server_verdict;
    char client_error[256], server_error[256];
    int delivered;             /* the client program's bytes reached the server program */
};

/* The TLS link: a loopback TCP connection, so the client relay can read
 * the address it is connected to. */
static void loopback_link(int *client_end, int *server_end)
{
    struct sockaddr_in addr = { .sin_family = AF_INET };
    socklen_t len = sizeof(addr);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert(listener >= 0);
    ck_assert(!bind(listener, (struct sockaddr *)&addr, sizeof(addr)) && !listen(listener, 1) &&
              !getsockname(listener, (struct sockaddr *)&addr, &len));
    *client_end = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(*client_end, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_ge(*server_end = accept(listener, NULL, NULL), 0);
    close(listener);
}

static void wait_for(struct tls_relay *a, struct tls_relay *b, int app)
{
    struct pollfd p[5];
    short e1, e2;
    int n = 0;

    tls_relay_interest(a, &e1, &e2);
    if (e1) p[n++] = (struct pollfd){ tls_relay_plain_fd(a), e1, 0 };
    if (e2) p[n++] = (struct pollfd){ tls_relay_tls_fd(a), e2, 0 };
    tls_relay_interest(b, &e1, &e2);
    if (e1) p[n++] = (struct pollfd){ tls_relay_plain_fd(b), e1, 0 };
    if (e2) p[n++] = (struct pollfd){ tls_relay_tls_fd(b), e2, 0 };
    p[n++] = (struct pollfd){ app, POLLIN, 0 };
    poll(p, (nfds_t)n, 20);
}

/* Client program -> client relay == TLS == server relay -> server program. */
static void run(const struct fixture_cert *client_id, const struct fixture_cert *server_id,
                const struct tls_relay_trust *client_trust, const struct tls_relay_trust *server_trust,
                const uint8_t (*client_pins)[TLS_RELAY_PIN_LEN], size_t client_pin_count, struct outcome *out)
{
    gnutls_certificate_credentials_t cc = fixture_credentials(client_id, NULL), sc = fixture_credentials(server_id, NULL);
    struct tls_relay_config ccfg = { 0, cc, client_pins, client_pin_count, NULL };
    struct tls_relay_config scfg = { 1, sc, NULL, 0, NULL };
    int capp[2], sapp[2], link_c, link_s;
    struct tls_relay *client, *server;
    char why[256], got[16];
    size_t have = 0;

    memset(out, 0, sizeof(*out));
    ck_assert(!socketpair(AF_UNIX, SOCK_STREAM, 0, capp) && !socketpair(AF_UNIX, SOCK_STREAM, 0, sapp));
    loopback_link(&link_c, &link_s);
    ck_assert_ptr_nonnull(client = tls_relay_new_trusting(capp[1], link_c, &ccfg, client_trust, why, sizeof(why)));
    ck_assert_ptr_nonnull(server = tls_relay_new_trusting(sapp[1], link_s, &scfg, server_trust, why, sizeof(why)));
    ck_assert_int_eq(write(capp[0], "hello", 5), 5);
    fcntl(sapp[0], F_SETFL, O_NONBLOCK);
    for (int round = 0; round < 500 && have < 5; round++)
    {
        ssize_t n;
        out->client = tls_relay_step(client);
        out->server = tls_relay_step(server);
        if (out->client == TLS_RELAY_FAILED || out->server == TLS_RELAY_FAILED)
        {
            /* Give the other side the alert, then stop. */
            if (round > 0 && (out->client == TLS_RELAY_FAILED) + (out->server == TLS_RELAY_FAILED) == 2) break;
        }
        n = read(sapp[0], got + have, sizeof(got) - have);
        if (n > 0) have += (size_t)n;
        if (n == 0) break;
        wait_for(client, server, sapp[0]);
    }
    out->delivered = have == 5 && !memcmp(got, "hello", 5);
    out->client_verdict = tls_relay_verdict(client);
    out->server_verdict = tls_relay_verdict(server);
    snprintf(out->client_error, sizeof(out->client_error), "%s", tls_relay_error(client));
    snprintf(out->server_error, sizeof(out->server_error), "%s", tls_relay_error(server));
    tls_relay_free(client);
    tls_relay_free(server);
    close(capp[0]);
    close(sapp[0]);
    gnutls_certificate_free_credentials(cc);
    gnutls_certificate_free_credentials(sc);
}

static const char *const server_names[] = { "dns:server.test", "ip:127.0.0.1", NULL };
static const char *const client_names[] = { "dns:client.test", NULL };

/* One handshake to play in a world: who shows what, who asks for what. */
struct scenario {
    const struct fixture_cert *client, *server;   /* NULL: the world's */
    const char *target;                           /* the client's target name; NULL: none */
    const char *required;                         /* the name the server requires; NULL: none */
    int pin_server;                               /* the client pins the server's key */
    int client_pins_only;                         /* the client has no anchors (before issue 11) */
};

static void play(const struct fixture_world *w, const struct scenario *s, struct outcome *o)
{
    const struct fixture_cert *client = s->client ? s->client : &w->client, *server = s->server ? s->server : &w->server;
    struct tls_relay_trust ct = { w->anchors, NULL }, st = { w->anchors, NULL };
    struct peer_name target, required;
    uint8_t pin[1][TLS_RELAY_PIN_LEN];

    if (s->target) ct.peer_name = (target = fixture_peer_name(s->target), &target);
    if (s->required) st.peer_name = (required = fixture_peer_name(s->required), &required);
    if (s->pin_server)
    {
        gnutls_datum_t der = fixture_der(server->crt);
        ck_assert_int_eq(tls_pin_of_certificate(&der, pin[0]), 0);
        gnutls_free(der.data);
    }
    run(client, server, s->client_pins_only ? NULL : &ct, &st, (const uint8_t (*)[TLS_RELAY_PIN_LEN])pin,
        s->pin_server ? 1 : 0, o);
}

/* The client refused the server for verdict: nothing reached the server program. */
static void assert_client_refused(const struct outcome *o, enum trust_verdict verdict, const char *words)
{
    ck_assert_int_eq(o->client, TLS_RELAY_FAILED);
    ck_assert_int_eq(o->client_verdict, verdict);
    ck_assert_msg(strstr(o->client_error, words), "error \"%s\" lacks \"%s\"", o->client_error, words);
    ck_assert(!o->delivered);
}

static void assert_server_refused(const struct outcome *o, enum trust_verdict verdict, const char *words)
{
    ck_assert_int_eq(o->server, TLS_RELAY_FAILED);
    ck_assert_int_eq(o->server_verdict, verdict);
    ck_assert_msg(strstr(o->server_error, words), "error \"%s\" lacks \"%s\"", o->server_error, words);
    ck_assert(!o->delivered);
}

START_TEST(right_name_accepted)
{
    struct fixture_world w;
    struct scenario s = { .target = "host/server.test:443" };
    struct outcome o;

    fixture_world_make(&w, client_names, server_names);
    play(&w, &s, &o);
    ck_assert_msg(o.delivered, "client: %s / server: %s", o.client_error, o.server_error);
    ck_assert_int_eq(o.client_verdict, TRUST_OK_CHAIN);
    ck_assert_int_eq(o.server_verdict, TRUST_OK_CHAIN);
    fixture_world_free(&w);
}
END_TEST

START_TEST(wrong_name_refused)
{
    struct fixture_world w;
    struct scenario s = { .target = "other.test" };
    struct outcome o;

    fixture_world_make(&w, client_names, server_names);
    play(&w, &s, &o);
    assert_client_refused(&o, TRUST_NAME_MISMATCH, "name mismatch");
    fixture_world_free(&w);
}
END_TEST

START_TEST(connected_address_checked_without_name)
{
    static const char *const no_ip[] = { "dns:server.test", NULL };
    struct fixture_world w;
    struct fixture_cert nameless = { 0 };
    struct scenario s = { 0 };
    struct outcome o;
    time_t now = time(NULL);

    fixture_world_make(&w, client_names, server_names);
    play(&w, &s, &o);   /* the server's certificate names 127.0.0.1 */
    ck_assert_msg(o.delivered, "%s", o.client_error);
    fixture_leaf(&w.ca, no_ip, now - 60, now + 3600, &nameless);
    s.server = &nameless;
    play(&w, &s, &o);
    assert_client_refused(&o, TRUST_NAME_MISMATCH, "127.0.0.1");
    fixture_free(&nameless);
    fixture_world_free(&w);
}
END_TEST

START_TEST(unknown_ca_refused)
{
    struct fixture_world w;
    struct fixture_cert alien = { 0 };
    struct scenario s = { 0 };
    struct outcome o;
    time_t now = time(NULL);

    fixture_world_make(&w, client_names, server_names);
    fixture_leaf(&w.stranger, server_names, now - 60, now + 3600, &alien);
    s.server = &alien;
    play(&w, &s, &o);
    assert_client_refused(&o, TRUST_UNKNOWN_CA, "unknown CA");
    /* And a server refuses a client from a CA it does not trust. */
    s.server = NULL;
    s.client = &alien;
    play(&w, &s, &o);
    assert_server_refused(&o, TRUST_UNKNOWN_CA, "unknown CA");
    fixture_free(&alien);
    fixture_world_free(&w);
}
END_TEST

START_TEST(expired_refused)
{
    struct fixture_world w;
    struct fixture_cert old = { 0 };
    struct scenario s = { 0 };
    struct outcome o;
    time_t now = time(NULL);

    fixture_world_make(&w, client_names, server_names);
    fixture_leaf(&w.ca, server_names, now - 7200, now - 3600, &old);
    s.server = &old;
    play(&w, &s, &o);
    assert_client_refused(&o, TRUST_EXPIRED, "expired");
    fixture_free(&old);
    fixture_world_free(&w);
}
END_TEST

START_TEST(revoked_refused)
{
    struct fixture_world w;
    struct scenario s = { 0 };
    struct outcome o;
    char crls[128], why[256], *crl;

    fixture_world_make(&w, client_names, server_names);
    snprintf(crls, sizeof(crls), "%s/" TRUST_CRLS_DIR, w.dir);
    crl = fixture_crl(&w.ca, &w.server);
    fixture_write(crls, "ca.crl", crl);
    free(crl);
    ck_assert_int_eq(trust_anchors_refresh(w.anchors, why, sizeof(why)), 1);
    play(&w, &s, &o);
    assert_client_refused(&o, TRUST_REVOKED, "revoked");
    fixture_world_free(&w);
}
END_TEST

START_TEST(pin_still_accepted)
{
    struct fixture_world w;
    struct fixture_cert alien = { 0 };
    struct scenario s = { .target = "other.test", .pin_server = 1 };
    struct outcome o;
    time_t now = time(NULL);

    fixture_world_make(&w, client_names, server_names);
    /* Unknown CA and another name, but the key is pinned: accepted. */
    fixture_leaf(&w.stranger, client_names, now - 60, now + 3600, &alien);
    s.server = &alien;
    play(&w, &s, &o);
    ck_assert_msg(o.delivered, "%s", o.client_error);
    ck_assert_int_eq(o.client_verdict, TRUST_OK_PIN);
    /* Without anchors (as before issue 11), an unpinned CA-signed peer is refused. */
    s = (struct scenario){ .client_pins_only = 1 };
    play(&w, &s, &o);
    assert_client_refused(&o, TRUST_NOT_PINNED, "the peer's key is not trusted");
    fixture_free(&alien);
    fixture_world_free(&w);
}
END_TEST

START_TEST(server_requires_client_name)
{
    static const char *const wrong_names[] = { "dns:else.test", NULL };
    struct fixture_world w;
    struct fixture_cert wrong = { 0 };
    struct scenario s = { .required = "client.test" };
    struct outcome o;
    time_t now = time(NULL);

    fixture_world_make(&w, client_names, server_names);
    play(&w, &s, &o);
    ck_assert_msg(o.delivered, "%s", o.server_error);
    fixture_leaf(&w.ca, wrong_names, now - 60, now + 3600, &wrong);
    s.client = &wrong;
    play(&w, &s, &o);
    assert_server_refused(&o, TRUST_NAME_MISMATCH, "client.test");
    fixture_free(&wrong);
    fixture_world_free(&w);
}
END_TEST

Suite *tls_trust_suite(void)
{
    Suite *s = suite_create("tls_trust");
    TCase *tc = tcase_create("handshakes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, right_name_accepted);
    tcase_add_test(tc, wrong_name_refused);
    tcase_add_test(tc, connected_address_checked_without_name);
    tcase_add_test(tc, unknown_ca_refused);
    tcase_add_test(tc, expired_refused);
    tcase_add_test(tc, revoked_refused);
    tcase_add_test(tc, pin_still_accepted);
    tcase_add_test(tc, server_requires_client_name);
    suite_add_tcase(s, tc);
    return s;
}
