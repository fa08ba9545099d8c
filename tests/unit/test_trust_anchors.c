/* Trust anchors: which CAs count, CRLs, reloads, and each verdict. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/x509.h>
#include "unix/cert_issue.h"
#include "unix/key_pair.h"
#include "unix/local_ca.h"
#include "unix/peer_name.h"
#include "unix/trust_anchors.h"
#include "pki_fixture.h"
#include "unit.h"

static const char *const server_sans[] = { "dns:server.test", "ip:127.0.0.1", NULL };

static enum trust_verdict verify(const struct trust_anchors *a, const struct fixture_cert *leaf, const char *name,
                                 int peer_is_server, char *why, size_t why_len)
{
    gnutls_datum_t der = fixture_der(leaf->crt);
    struct peer_name n;
    struct trust_check check = { &der, 1, NULL, 0, NULL, peer_is_server };
    enum trust_verdict v;

    if (name) check.name = (n = fixture_peer_name(name), &n);
    v = trust_anchors_verify(a, &check, why, why_len);
    gnutls_free(der.data);
    return v;
}

START_TEST(verdicts)
{
    struct fixture_world w;
    struct fixture_cert expired = { 0 }, early = { 0 }, alien = { 0 }, *good = &w.server;
    struct trust_anchors *a;
    char why[512];
    time_t now = time(NULL);

    fixture_world_make(&w, server_sans, server_sans);
    a = w.anchors;
    fixture_leaf(&w.ca, server_sans, now - 7200, now - 3600, &expired);
    fixture_leaf(&w.ca, server_sans, now + 3600, now + 7200, &early);
    fixture_leaf(&w.stranger, server_sans, now - 60, now + 3600, &alien);
    ck_assert_uint_eq(trust_anchors_count(a), 1);
    ck_assert(trust_anchors_info(a, 0)->own);
    ck_assert_str_eq(trust_anchors_warning(a), "");
    ck_assert_int_eq(verify(a, good, "server.test", 1, why, sizeof(why)), TRUST_OK_CHAIN);
    ck_assert_int_eq(verify(a, good, "host/server.test:99", 1, why, sizeof(why)), TRUST_OK_CHAIN);
    ck_assert_int_eq(verify(a, good, "127.0.0.1", 1, why, sizeof(why)), TRUST_OK_CHAIN);
    ck_assert_int_eq(verify(a, good, NULL, 0, why, sizeof(why)), TRUST_OK_CHAIN);
    ck_assert_int_eq(verify(a, good, "other.test", 1, why, sizeof(why)), TRUST_NAME_MISMATCH);
    ck_assert_ptr_nonnull(strstr(why, "name mismatch"));
    ck_assert_ptr_nonnull(strstr(why, "other.test"));
    ck_assert_int_eq(verify(a, &expired, "server.test", 1, why, sizeof(why)), TRUST_EXPIRED);
    ck_assert_ptr_nonnull(strstr(why, "expired"));
    ck_assert_int_eq(verify(a, &early, "server.test", 1, why, sizeof(why)), TRUST_NOT_YET_VALID);
    ck_assert_int_eq(verify(a, &alien, "server.test", 1, why, sizeof(why)), TRUST_UNKNOWN_CA);
    ck_assert_ptr_nonnull(strstr(why, "Stranger CA"));
    /* Pins win, with or without anchors; without anchors nothing else does. */
    {
        gnutls_datum_t der = fixture_der(alien.crt);
        uint8_t pin[1][TLS_RELAY_PIN_LEN];
        struct trust_check check = { &der, 1, (const uint8_t (*)[TLS_RELAY_PIN_LEN])pin, 1, NULL, 1 };
        ck_assert_int_eq(tls_pin_of_certificate(&der, pin[0]), 0);
        ck_assert_int_eq(trust_anchors_verify(a, &check, why, sizeof(why)), TRUST_OK_PIN);
        ck_assert_int_eq(trust_anchors_verify(NULL, &check, why, sizeof(why)), TRUST_OK_PIN);
        check.pin_count = 0;
        ck_assert_int_eq(trust_anchors_verify(NULL, &check, why, sizeof(why)), TRUST_NOT_PINNED);
        ck_assert_str_eq(why, "the peer's key is not trusted");
        check.count = 0;
        ck_assert_int_eq(trust_anchors_verify(a, &check, why, sizeof(why)), TRUST_NO_CERTIFICATE);
        gnutls_free(der.data);
    }
    fixture_free(&expired); fixture_free(&early); fixture_free(&alien);
    fixture_world_free(&w);
}
END_TEST

START_TEST(trusted_cas_and_reload)
{
    struct fixture_world w;
    struct fixture_cert corp_leaf = { 0 }, *leaf = &w.server, *corp = &w.stranger;
    struct trust_anchors *a;
    char sub[128], why[512], fp[65], *pem, *dir = w.dir;
    time_t now = time(NULL);

    fixture_world_make(&w, server_sans, server_sans);
    a = w.anchors;
    fixture_leaf(corp, server_sans, now - 60, now + 3600, &corp_leaf);
    ck_assert_int_eq(verify(a, &corp_leaf, "server.test", 1, why, sizeof(why)), TRUST_UNKNOWN_CA);
    ck_assert_int_eq(trust_anchors_refresh(a, why, sizeof(why)), 0);
    /* `ca trust`: only one CA certificate per file. */
    pem = fixture_crt_pem(leaf->crt);
    ck_assert_int_eq(trust_anchors_add(dir, pem, strlen(pem), fp, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "not a CA"));
    free(pem);
    pem = fixture_crt_pem(corp->crt);
    ck_assert_msg(!trust_anchors_add(dir, pem, strlen(pem), fp, why, sizeof(why)), "%s", why);
    ck_assert_uint_eq(strlen(fp), 64);
    ck_assert_int_eq(trust_anchors_refresh(a, why, sizeof(why)), 1);
    ck_assert_uint_eq(trust_anchors_count(a), 2);
    ck_assert_int_eq(verify(a, &corp_leaf, "server.test", 1, why, sizeof(why)), TRUST_OK_CHAIN);
    ck_assert_int_eq(trust_anchors_refresh(a, why, sizeof(why)), 0);
    free(pem);
    /* A non-CA file dropped in by hand is skipped and named. */
    pem = fixture_crt_pem(leaf->crt);
    snprintf(sub, sizeof(sub), "%s/" TRUST_ANCHORS_DIR, dir);
    fixture_write(sub, "leaf.pem", pem);
    free(pem);
    ck_assert_int_eq(trust_anchors_refresh(a, why, sizeof(why)), 1);
    ck_assert_uint_eq(trust_anchors_count(a), 2);
    ck_assert_ptr_nonnull(strstr(trust_anchors_warning(a), "leaf.pem"));
    /* A directory others may write to adds nobody. */
    chmod(sub, 0777);
    ck_assert_int_eq(trust_anchors_refresh(a, why, sizeof(why)), 1);
    ck_assert_uint_eq(trust_anchors_count(a), 1);
    ck_assert_int_eq(verify(a, &corp_leaf, "server.test", 1, why, sizeof(why)), TRUST_UNKNOWN_CA);
    ck_assert_ptr_nonnull(strstr(trust_anchors_warning(a), "other users"));
    chmod(sub, 0700);
    fixture_free(&corp_leaf);
    fixture_world_free(&w);
}
END_TEST

START_TEST(crls_revoke)
{
    struct fixture_world w;
    struct fixture_cert *leaf = &w.server, *other = &w.client;
    struct trust_anchors *a;
    char crls[128], why[512], *crl;

    fixture_world_make(&w, server_sans, server_sans);
    snprintf(crls, sizeof(crls), "%s/" TRUST_CRLS_DIR, w.dir);
    /* A CRL by a CA nobody trusts counts for nothing. */
    crl = fixture_crl(&w.stranger, leaf);
    fixture_write(crls, "stranger.crl", crl);
    free(crl);
    ck_assert_int_eq(trust_anchors_refresh(w.anchors, why, sizeof(why)), 1);
    a = w.anchors;
    ck_assert_uint_eq(trust_anchors_crl_count(a), 0);
    ck_assert_ptr_nonnull(strstr(trust_anchors_warning(a), "stranger.crl"));
    ck_assert_int_eq(verify(a, leaf, "server.test", 1, why, sizeof(why)), TRUST_OK_CHAIN);
    crl = fixture_crl(&w.ca, leaf);
    fixture_write(crls, "own.crl", crl);
    free(crl);
    ck_assert_int_eq(trust_anchors_refresh(a, why, sizeof(why)), 1);
    ck_assert_uint_eq(trust_anchors_crl_count(a), 1);
    ck_assert_int_eq(verify(a, leaf, "server.test", 1, why, sizeof(why)), TRUST_REVOKED);
    ck_assert_ptr_nonnull(strstr(why, "revoked"));
    ck_assert_int_eq(verify(a, other, "server.test", 1, why, sizeof(why)), TRUST_OK_CHAIN);
    fixture_world_free(&w);
}
END_TEST

START_TEST(system_store_on_request)
{
    struct fixture_cert ca = { 0 };
    struct trust_anchors *a;
    char dir[64], why[256];

    fixture_ca(&ca, "Own CA");
    fixture_config_dir(dir, sizeof(dir), &ca);
    ck_assert_ptr_nonnull(a = trust_anchors_load(dir, 0, why, sizeof(why)));
    ck_assert_uint_eq(trust_anchors_system_count(a), 0);
    trust_anchors_free(a);
    ck_assert_ptr_nonnull(a = trust_anchors_load(dir, TRUST_ANCHORS_SYSTEM, why, sizeof(why)));
    /* This machine has ca-certificates; the own CA stays listed alone. */
    if (!access("/etc/ssl/certs/ca-certificates.crt", R_OK)) ck_assert_uint_gt(trust_anchors_system_count(a), 10);
    ck_assert_uint_eq(trust_anchors_count(a), 1);
    trust_anchors_free(a);
    fixture_free(&ca);
    fixture_rmrf(dir);
}
END_TEST

Suite *trust_anchors_suite(void)
{
    Suite *s = suite_create("trust_anchors");
    TCase *tc = tcase_create("anchors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, verdicts);
    tcase_add_test(tc, trusted_cas_and_reload);
    tcase_add_test(tc, crls_revoke);
    tcase_add_test(tc, system_store_on_request);
    suite_add_tcase(s, tc);
    return s;
}
