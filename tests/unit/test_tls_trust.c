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

struct world {
    struct fixture_cert ca, stranger, client, server;
    struct trust_anchors *anchors;
    char dir[64];
};

static const char *const server_names[] = { "dns:server.test", "ip:127.0.0.1", NULL };
static const char *const client_names[] = { "dns:client.test", NULL };

static void world_make(struct world *w)
{
    char why[256];
    time_t now = time(NULL);

    memset(w, 0, sizeof(*w));
    fixture_ca(&w->ca, "Own CA");
    fixture_ca(&w->stranger, "Stranger CA");
    fixture_leaf(&w->ca, client_names, now - 60, now + 3600, &w->client);
    fixture_leaf(&w->ca, server_names, now - 60, now + 3600, &w->server);
    fixture_config_dir(w->dir, sizeof(w->dir), &w->ca);
    ck_assert_ptr_nonnull(w->anchors = trust_anchors_load(w->dir, 0, why, sizeof(why)));
}

static void world_free(struct world *w)
{
    trust_anchors_free(w->anchors);
    fixture_free(&w->ca); fixture_free(&w->stranger); fixture_free(&w->client); fixture_free(&w->server);
    fixture_rmrf(w->dir);
}

static struct peer_name named(const char *text)
{
    struct peer_name n;
    char why[256];
    ck_assert_int_eq(peer_name_parse(text, strlen(text), &n, why, sizeof(why)), 0);
    return n;
}

/* The client refused the server for verdict: nothing reached the server program. */
static void assert_client_refused(const struct outcome *o, enum trust_verdict verdict, const char *words)
{
    ck_assert_int_eq(o->client, TLS_RELAY_FAILED);
    ck_assert_int_eq(o->client_verdict, verdict);
    ck_assert_msg(strstr(o->client_error, words), "error \"%s\" lacks \"%s\"", o->client_error, words);
    ck_assert(!o->delivered);
}

START_TEST(right_name_accepted)
{
    struct world w;
    struct outcome o;
    struct peer_name spn;
    struct tls_relay_trust ct = { NULL, NULL }, st = { NULL, NULL };

    world_make(&w);
    spn = named("host/server.test:443");
    ct.anchors = st.anchors = w.anchors;
    ct.peer_name = &spn;
    run(&w.client, &w.server, &ct, &st, NULL, 0, &o);
    ck_assert_msg(o.delivered, "client: %s / server: %s", o.client_error, o.server_error);
    ck_assert_int_eq(o.client_verdict, TRUST_OK_CHAIN);
    ck_assert_int_eq(o.server_verdict, TRUST_OK_CHAIN);
    world_free(&w);
}
END_TEST

START_TEST(wrong_name_refused)
{
    struct world w;
    struct outcome o;
    struct peer_name other;
    struct tls_relay_trust ct = { NULL, NULL }, st = { NULL, NULL };

    world_make(&w);
    other = named("other.test");
    ct.anchors = st.anchors = w.anchors;
    ct.peer_name = &other;
    run(&w.client, &w.server, &ct, &st, NULL, 0, &o);
    assert_client_refused(&o, TRUST_NAME_MISMATCH, "name mismatch");
    world_free(&w);
}
END_TEST

START_TEST(connected_address_checked_without_name)
{
    static const char *const no_ip[] = { "dns:server.test", NULL };
    struct world w;
    struct outcome o;
    struct fixture_cert nameless = { 0 };
    struct tls_relay_trust ct = { NULL, NULL }, st = { NULL, NULL };
    time_t now = time(NULL);

    world_make(&w);
    ct.anchors = st.anchors = w.anchors;
    run(&w.client, &w.server, &ct, &st, NULL, 0, &o);   /* names 127.0.0.1 */
    ck_assert_msg(o.delivered, "%s", o.client_error);
    fixture_leaf(&w.ca, no_ip, now - 60, now + 3600, &nameless);
    run(&w.client, &nameless, &ct, &st, NULL, 0, &o);
    assert_client_refused(&o, TRUST_NAME_MISMATCH, "127.0.0.1");
    fixture_free(&nameless);
    world_free(&w);
}
END_TEST

START_TEST(unknown_ca_refused)
{
    struct world w;
    struct outcome o;
    struct fixture_cert alien = { 0 };
    struct tls_relay_trust ct = { NULL, NULL }, st = { NULL, NULL };
    time_t now = time(NULL);

    world_make(&w);
    fixture_leaf(&w.stranger, server_names, now - 60, now + 3600, &alien);
    ct.anchors = st.anchors = w.anchors;
    run(&w.client, &alien, &ct, &st, NULL, 0, &o);
    assert_client_refused(&o, TRUST_UNKNOWN_CA, "unknown CA");
    /* And a server refuses a client from a CA it does not trust. */
    run(&alien, &w.server, &ct, &st, NULL, 0, &o);
    ck_assert_int_eq(o.server, TLS_RELAY_FAILED);
    ck_assert_int_eq(o.server_verdict, TRUST_UNKNOWN_CA);
    ck_assert(!o.delivered);
    fixture_free(&alien);
    world_free(&w);
}
END_TEST

START_TEST(expired_refused)
{
    struct world w;
    struct outcome o;
    struct fixture_cert old = { 0 };
    struct tls_relay_trust ct = { NULL, NULL }, st = { NULL, NULL };
    time_t now = time(NULL);

    world_make(&w);
    fixture_leaf(&w.ca, server_names, now - 7200, now - 3600, &old);
    ct.anchors = st.anchors = w.anchors;
    run(&w.client, &old, &ct, &st, NULL, 0, &o);
    assert_client_refused(&o, TRUST_EXPIRED, "expired");
    fixture_free(&old);
    world_free(&w);
}
END_TEST

START_TEST(revoked_refused)
{
    struct world w;
    struct outcome o;
    struct tls_relay_trust ct = { NULL, NULL }, st = { NULL, NULL };
    char crls[128], why[256], *crl;

    world_make(&w);
    snprintf(crls, sizeof(crls), "%s/" TRUST_CRLS_DIR, w.dir);
    crl = fixture_crl(&w.ca, &w.server);
    fixture_write(crls, "ca.crl", crl);
    free(crl);
    ck_assert_int_eq(trust_anchors_refresh(w.anchors, why, sizeof(why)), 1);
    ct.anchors = st.anchors = w.anchors;
    run(&w.client, &w.server, &ct, &st, NULL, 0, &o);
    assert_client_refused(&o, TRUST_REVOKED, "revoked");
    world_free(&w);
}
END_TEST

START_TEST(pin_still_accepted)
{
    struct world w;
    struct outcome o;
    struct fixture_cert alien = { 0 };
    struct peer_name other;
    struct tls_relay_trust ct = { NULL, NULL }, st = { NULL, NULL };
    uint8_t pin[1][TLS_RELAY_PIN_LEN];
    gnutls_datum_t der;
    time_t now = time(NULL);

    world_make(&w);
    fixture_leaf(&w.stranger, client_names, now - 60, now + 3600, &alien);
    der = fixture_der(alien.crt);
    ck_assert_int_eq(tls_pin_of_certificate(&der, pin[0]), 0);
    gnutls_free(der.data);
    /* Unknown CA and another name, but the key is pinned: accepted. */
    other = named("other.test");
    ct.anchors = st.anchors = w.anchors;
    ct.peer_name = &other;
    run(&w.client, &alien, &ct, &st, (const uint8_t (*)[TLS_RELAY_PIN_LEN])pin, 1, &o);
    ck_assert_msg(o.delivered, "%s", o.client_error);
    ck_assert_int_eq(o.client_verdict, TRUST_OK_PIN);
    /* Without anchors (as before issue 11), an unpinned CA-signed peer is refused. */
    run(&w.client, &w.server, NULL, &st, NULL, 0, &o);
    assert_client_refused(&o, TRUST_NOT_PINNED, "the peer's key is not trusted");
    fixture_free(&alien);
    world_free(&w);
}
END_TEST

START_TEST(server_requires_client_name)
{
    static const char *const wrong_names[] = { "dns:else.test", NULL };
    struct world w;
    struct outcome o;
    struct fixture_cert wrong = { 0 };
    struct peer_name required;
    struct tls_relay_trust ct = { NULL, NULL }, st = { NULL, NULL };
    time_t now = time(NULL);

    world_make(&w);
    required = named("client.test");
    ct.anchors = st.anchors = w.anchors;
    st.peer_name = &required;
    run(&w.client, &w.server, &ct, &st, NULL, 0, &o);
    ck_assert_msg(o.delivered, "%s", o.server_error);
    fixture_leaf(&w.ca, wrong_names, now - 60, now + 3600, &wrong);
    run(&wrong, &w.server, &ct, &st, NULL, 0, &o);
    ck_assert_int_eq(o.server, TLS_RELAY_FAILED);
    ck_assert_int_eq(o.server_verdict, TRUST_NAME_MISMATCH);
    ck_assert_ptr_nonnull(strstr(o.server_error, "client.test"));
    ck_assert(!o.delivered);
    fixture_free(&wrong);
    world_free(&w);
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
