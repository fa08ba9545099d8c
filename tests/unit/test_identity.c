/* The local CA and the host identity: made once, private, re-issued
 * before it runs out or when names change (same key), imported
 * identities left alone, certificate requests signed with care. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/abstract.h>
#include "unix/cert_issue.h"
#include "unix/host_identity.h"
#include "unix/host_names.h"
#include "unix/key_pair.h"
#include "unix/local_ca.h"
#include "unix/peer_name.h"
#include "unix/private_file.h"
#include "unix/tls_identity.h"
#include "pki_fixture.h"
#include "unit.h"

#define DAY 86400L

static const char *const host_sans[] = { "dns:box.test", "dns:localhost", "ip:127.0.0.1", "ip:::1", "ip:192.0.2.10", NULL };

static gnutls_x509_crt_t load_crt(const char *dir, const char *name)
{
    char path[4200], *pem, why[256];
    size_t len;
    gnutls_x509_crt_t crt;
    gnutls_datum_t d;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_int_eq(private_file_read(path, &pem, &len, why, sizeof(why)), 0);
    d.data = (unsigned char *)pem;
    d.size = (unsigned int)len;
    ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
    ck_assert_int_eq(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
    free(pem);
    return crt;
}

static mode_t mode_of(const char *dir, const char *name)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_mode & 0777;
}

static int exists(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static enum host_identity_state state_at(const char *dir, const struct host_names *names, time_t when)
{
    enum host_identity_state state;
    char why[256];
    ck_assert_msg(!host_identity_check(dir, names, when, &state, why, sizeof(why)), "%s", why);
    return state;
}

static int issued_by(gnutls_x509_crt_t crt, gnutls_x509_crt_t ca)
{
    unsigned int status = 1;
    return gnutls_x509_crt_verify(crt, &ca, 1, 0, &status) >= 0 && !status;
}

START_TEST(ca_and_identity_made_once)
{
    char dir[64], why[256], ca_fp[65], again_fp[65];
    struct host_names names, have;
    enum host_identity_state before;
    gnutls_x509_crt_t ca, id;
    unsigned int critical = 0;
    time_t now = time(NULL);
    struct peer_name loop;

    fixture_tmpdir(dir, sizeof(dir));
    fixture_names(host_sans, &names);
    ck_assert_msg(!host_identity_ensure(dir, "box.test", &names, now, &before, why, sizeof(why)), "%s", why);
    ck_assert_int_eq(before, HOST_IDENTITY_MISSING);
    ck_assert_int_eq(mode_of(dir, LOCAL_CA_KEY), 0600);
    ck_assert_int_eq(mode_of(dir, HOST_IDENTITY_KEY), 0600);
    ca = load_crt(dir, LOCAL_CA_CERT);
    id = load_crt(dir, HOST_IDENTITY_CERT);
    ck_assert(cert_is_ca(ca));
    ck_assert_int_eq(gnutls_x509_crt_get_ca_status(ca, &critical), 1);
    ck_assert(!cert_is_ca(id));
    ck_assert(issued_by(id, ca));
    ck_assert(gnutls_x509_crt_get_expiration_time(ca) > now + 3640 * DAY);
    ck_assert(gnutls_x509_crt_get_expiration_time(id) <= now + HOST_IDENTITY_DAYS * DAY);
    ck_assert(gnutls_x509_crt_check_key_purpose(id, GNUTLS_KP_TLS_WWW_SERVER, 0));
    ck_assert(gnutls_x509_crt_check_key_purpose(id, GNUTLS_KP_TLS_WWW_CLIENT, 0));
    ck_assert_int_eq(cert_names_of_crt(id, &have), 0);
    ck_assert(host_names_cover(&have, &names));
    ck_assert_int_eq(peer_name_parse("127.0.0.1", 9, &loop, why, sizeof(why)), 0);
    ck_assert(peer_name_certificate_matches(id, &loop));
    ck_assert_int_eq(state_at(dir, &names, now), HOST_IDENTITY_CURRENT);
    /* A second start changes nothing. */
    ck_assert_int_eq(cert_fingerprint_hex(ca, ca_fp), 0);
    gnutls_x509_crt_deinit(ca);
    ck_assert(!host_identity_ensure(dir, "box.test", &names, now, &before, why, sizeof(why)));
    ck_assert_int_eq(before, HOST_IDENTITY_CURRENT);
    ca = load_crt(dir, LOCAL_CA_CERT);
    ck_assert_int_eq(cert_fingerprint_hex(ca, again_fp), 0);
    ck_assert_str_eq(ca_fp, again_fp);
    gnutls_x509_crt_deinit(ca);
    gnutls_x509_crt_deinit(id);
    fixture_rmrf(dir);
}
END_TEST

START_TEST(renewal_keeps_the_key)
{
    char dir[64], why[256];
    struct host_names names, moved;
    struct tls_identity first, renewed;
    enum host_identity_state before;
    time_t now = time(NULL), later = now + 61 * DAY;
    static const char *const moved_sans[] = { "dns:box.test", "ip:203.0.113.9", NULL };

    fixture_tmpdir(dir, sizeof(dir));
    fixture_names(host_sans, &names);
    ck_assert(!host_identity_ensure(dir, "box.test", &names, now, NULL, why, sizeof(why)));
    ck_assert_int_eq(tls_identity_load(dir, &first, why, sizeof(why)), 0);
    /* Two thirds of 90 days is 60: on day 61 it is due. */
    ck_assert_int_eq(state_at(dir, &names, now + 59 * DAY), HOST_IDENTITY_CURRENT);
    ck_assert_int_eq(state_at(dir, &names, later), HOST_IDENTITY_DUE);
    ck_assert(!host_identity_ensure(dir, "box.test", &names, later, &before, why, sizeof(why)));
    ck_assert_int_eq(before, HOST_IDENTITY_DUE);
    ck_assert_int_eq(state_at(dir, &names, later), HOST_IDENTITY_CURRENT);
    ck_assert_int_eq(tls_identity_load(dir, &renewed, why, sizeof(why)), 0);
    ck_assert_mem_eq(first.pin, renewed.pin, TLS_RELAY_PIN_LEN);
    ck_assert(renewed.expires > first.expires + 60 * DAY);
    tls_identity_free(&renewed);
    /* A new address of the host: re-issued to name it. */
    fixture_names(moved_sans, &moved);
    ck_assert_int_eq(state_at(dir, &moved, later), HOST_IDENTITY_NAMES_CHANGED);
    ck_assert(!host_identity_ensure(dir, "box.test", &moved, later, &before, why, sizeof(why)));
    ck_assert_int_eq(state_at(dir, &moved, later), HOST_IDENTITY_CURRENT);
    ck_assert_int_eq(tls_identity_load(dir, &renewed, why, sizeof(why)), 0);
    ck_assert_mem_eq(first.pin, renewed.pin, TLS_RELAY_PIN_LEN);
    tls_identity_free(&renewed);
    tls_identity_free(&first);
    fixture_rmrf(dir);
}
END_TEST

START_TEST(self_signed_identity_reissued_with_its_key)
{
    char dir[64], why[256];
    struct fixture_cert old = { 0 };
    struct host_names names;
    struct tls_identity before_id, after_id;
    enum host_identity_state before;
    gnutls_x509_crt_t ca, id;
    time_t now = time(NULL);

    fixture_tmpdir(dir, sizeof(dir));
    fixture_names(host_sans, &names);
    /* What tls_identity_load_or_create made before issue 11. */
    fixture_leaf(NULL, host_sans, now - DAY, now + 3650 * DAY, &old);
    ck_assert(!key_pair_store(dir, HOST_IDENTITY_KEY, HOST_IDENTITY_CERT, old.key, old.crt, why, sizeof(why)));
    ck_assert_int_eq(tls_identity_load(dir, &before_id, why, sizeof(why)), 0);
    ck_assert(!host_identity_ensure(dir, "box.test", &names, now, &before, why, sizeof(why)));
    ck_assert_int_eq(before, HOST_IDENTITY_OTHER_ISSUER);
    ca = load_crt(dir, LOCAL_CA_CERT);
    id = load_crt(dir, HOST_IDENTITY_CERT);
    ck_assert(issued_by(id, ca));
    ck_assert_int_eq(tls_identity_load(dir, &after_id, why, sizeof(why)), 0);
    ck_assert_mem_eq(before_id.pin, after_id.pin, TLS_RELAY_PIN_LEN);
    gnutls_x509_crt_deinit(ca);
    gnutls_x509_crt_deinit(id);
    tls_identity_free(&before_id);
    tls_identity_free(&after_id);
    fixture_free(&old);
    fixture_rmrf(dir);
}
END_TEST

START_TEST(imported_identity_left_alone)
{
    char dir[64], why[256], *cert_pem, *ca_pem, *key_pem, *wrong_key, *both, fp[65], fp_after[65];
    struct fixture_cert corp = { 0 }, leaf = { 0 }, other = { 0 };
    struct host_names names;
    struct tls_identity id;
    enum host_identity_state before;
    gnutls_x509_crt_t stored;
    uint8_t pin[TLS_RELAY_PIN_LEN];
    gnutls_datum_t der;
    time_t now = time(NULL);

    fixture_tmpdir(dir, sizeof(dir));
    fixture_names(host_sans, &names);
    ck_assert(!host_identity_ensure(dir, "box.test", &names, now, NULL, why, sizeof(why)));
    fixture_ca(&corp, "Corp CA");
    fixture_leaf(&corp, host_sans, now - DAY, now + 30 * DAY, &leaf);
    fixture_leaf(&corp, host_sans, now - DAY, now + 30 * DAY, &other);
    cert_pem = fixture_crt_pem(leaf.crt);
    ca_pem = fixture_crt_pem(corp.crt);
    key_pem = fixture_key_pem(leaf.key);
    wrong_key = fixture_key_pem(other.key);
    both = malloc(strlen(cert_pem) + strlen(ca_pem) + 1);
    strcpy(both, cert_pem);
    strcat(both, ca_pem);
    /* Refused: a key of another certificate, a CA as identity. */
    ck_assert_int_eq(host_identity_import(dir, cert_pem, strlen(cert_pem), wrong_key, strlen(wrong_key), now, why,
                                          sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "not the certificate's key"));
    {
        char *corp_key = fixture_key_pem(corp.key);
        ck_assert_int_eq(host_identity_import(dir, ca_pem, strlen(ca_pem), corp_key, strlen(corp_key), now, why,
                                              sizeof(why)), -1);
        ck_assert_ptr_nonnull(strstr(why, "CA certificate"));
        free(corp_key);
    }
    ck_assert_int_eq(state_at(dir, &names, now), HOST_IDENTITY_CURRENT);
    ck_assert_msg(!host_identity_import(dir, both, strlen(both), key_pem, strlen(key_pem), now, why, sizeof(why)),
                  "%s", why);
    ck_assert(exists(dir, HOST_IDENTITY_CHAIN));
    ck_assert_int_eq(state_at(dir, &names, now), HOST_IDENTITY_IMPORTED);
    /* Even when it runs out, it is not replaced here. */
    ck_assert(!host_identity_ensure(dir, "box.test", &names, now + 60 * DAY, &before, why, sizeof(why)));
    ck_assert_int_eq(before, HOST_IDENTITY_IMPORTED);
    stored = load_crt(dir, HOST_IDENTITY_CERT);
    ck_assert_int_eq(cert_fingerprint_hex(stored, fp_after), 0);
    ck_assert_int_eq(cert_fingerprint_hex(leaf.crt, fp), 0);
    ck_assert_str_eq(fp, fp_after);
    der = fixture_der(leaf.crt);
    ck_assert_int_eq(tls_pin_of_certificate(&der, pin), 0);
    ck_assert_int_eq(tls_identity_load(dir, &id, why, sizeof(why)), 0);
    ck_assert_mem_eq(id.pin, pin, TLS_RELAY_PIN_LEN);
    tls_identity_free(&id);
    gnutls_free(der.data);
    gnutls_x509_crt_deinit(stored);
    free(cert_pem); free(ca_pem); free(key_pem); free(wrong_key); free(both);
    fixture_free(&leaf); fixture_free(&other); fixture_free(&corp);
    fixture_rmrf(dir);
}
END_TEST

/* dir's pair "k"/"c" loads as expected, with no pending certificate left. */
static void assert_pair_is(const char *dir, gnutls_x509_crt_t expected)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    char why[256];

    ck_assert_msg(!key_pair_load(dir, "k", "c", &key, &crt, why, sizeof(why)), "%s", why);
    ck_assert(gnutls_x509_crt_equals(crt, expected));
    ck_assert(!exists(dir, "c.pending"));
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

START_TEST(interrupted_replacement_recovers)
{
    char dir[64], why[256], *crt_pem, *key_pem;
    struct fixture_cert a = { 0 }, b = { 0 };
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    time_t now = time(NULL);

    fixture_tmpdir(dir, sizeof(dir));
    fixture_leaf(NULL, host_sans, now - DAY, now + DAY, &a);
    fixture_leaf(NULL, host_sans, now - DAY, now + DAY, &b);
    ck_assert(!key_pair_store(dir, "k", "c", a.key, a.crt, why, sizeof(why)));
    /* Crash after the key was replaced, before the certificate was. */
    crt_pem = fixture_crt_pem(b.crt);
    key_pem = fixture_key_pem(b.key);
    fixture_write(dir, "c.pending", crt_pem);
    fixture_write(dir, "k", key_pem);
    assert_pair_is(dir, b.crt);
    free(crt_pem);
    /* Crash before the key was replaced: the pending one is dropped. */
    crt_pem = fixture_crt_pem(a.crt);
    fixture_write(dir, "c.pending", crt_pem);
    assert_pair_is(dir, b.crt);
    /* A key and a certificate that do not belong together: reported. */
    fixture_write(dir, "c", crt_pem);
    ck_assert_int_eq(key_pair_load(dir, "k", "c", &key, &crt, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "is not the key of"));
    free(crt_pem); free(key_pem);
    fixture_free(&a); fixture_free(&b);
    fixture_rmrf(dir);
}
END_TEST

/* A request for names, with a CA:TRUE extension it must not get. */
static char *make_request(const char *const *sans, gnutls_x509_privkey_t key)
{
    gnutls_x509_crq_t crq;
    struct host_names names;
    gnutls_datum_t pem = { NULL, 0 };
    char *text;

    fixture_names(sans, &names);
    ck_assert_int_eq(gnutls_x509_crq_init(&crq), 0);
    ck_assert_int_eq(gnutls_x509_crq_set_version(crq, 1), 0);
    ck_assert_int_eq(gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, "peer.test", 9), 0);
    ck_assert_int_eq(gnutls_x509_crq_set_key(crq, key), 0);
    ck_assert_int_eq(cert_names_set_crq(crq, &names), 0);
    ck_assert_int_eq(gnutls_x509_crq_set_basic_constraints(crq, 1, -1), 0);
    ck_assert_int_eq(gnutls_x509_crq_sign2(crq, key, GNUTLS_DIG_SHA256, 0), 0);
    ck_assert_int_eq(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, &pem), 0);
    text = strndup((const char *)pem.data, pem.size);
    gnutls_free(pem.data);
    gnutls_x509_crq_deinit(crq);
    return text;
}

START_TEST(requests_signed_with_their_names_only)
{
    static const char *const sans[] = { "dns:peer.test", "dns:*.peer.test", "ip:198.51.100.4", NULL };
    static const char *const bad_sans[] = { "dns:bad_name.test", NULL };
    static const char *const no_sans[] = { NULL };
    char dir[64], why[256], *req;
    struct local_ca ca;
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    struct host_names want, have;
    time_t now = time(NULL);

    fixture_tmpdir(dir, sizeof(dir));
    ck_assert(!local_ca_load_or_create(dir, now, &ca, why, sizeof(why)));
    ck_assert_int_eq(cert_new_key(&key, why, sizeof(why)), 0);
    req = make_request(sans, key);
    ck_assert_msg(!local_ca_sign_request(&ca, req, strlen(req), now, 30, &crt, why, sizeof(why)), "%s", why);
    ck_assert(!cert_is_ca(crt));
    ck_assert(issued_by(crt, ca.crt));
    ck_assert(cert_key_matches(crt, key));
    fixture_names(sans, &want);
    ck_assert_int_eq(cert_names_of_crt(crt, &have), 0);
    ck_assert(host_names_cover(&have, &want) && host_names_cover(&want, &have));
    ck_assert(gnutls_x509_crt_get_expiration_time(crt) <= now + 30 * DAY);
    gnutls_x509_crt_deinit(crt);
    ck_assert_int_eq(local_ca_sign_request(&ca, req, strlen(req), now, 0, &crt, why, sizeof(why)), -1);
    ck_assert_int_eq(local_ca_sign_request(&ca, req, strlen(req), now, LOCAL_CA_SIGN_DAYS_MAX + 1, &crt, why,
                                           sizeof(why)), -1);
    /* A tampered request: its signature no longer covers it. */
    {
        size_t n = strlen(req);
        req[n / 2] = req[n / 2] == 'A' ? 'B' : 'A';
        ck_assert_int_eq(local_ca_sign_request(&ca, req, n, now, 30, &crt, why, sizeof(why)), -1);
    }
    free(req);
    req = make_request(bad_sans, key);
    ck_assert_int_eq(local_ca_sign_request(&ca, req, strlen(req), now, 30, &crt, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "not a host name"));
    free(req);
    req = make_request(no_sans, key);
    ck_assert_int_eq(local_ca_sign_request(&ca, req, strlen(req), now, 30, &crt, why, sizeof(why)), -1);
    free(req);
    gnutls_x509_privkey_deinit(key);
    local_ca_free(&ca);
    fixture_rmrf(dir);
}
END_TEST

START_TEST(fqdn_from_hosts_file)
{
    static const char hosts[] =
        "127.0.0.1\tlocalhost\n"
        "# 10.0.0.1 box.wrong.example box\n"
        "10.0.0.2 other.example.org other\n"
        "127.0.1.1   Box.Example.ORG  box   # the host\n";
    char fqdn[256];

    ck_assert_int_eq(host_names_fqdn_from_hosts(hosts, strlen(hosts), "box", fqdn, sizeof(fqdn)), 1);
    ck_assert_str_eq(fqdn, "Box.Example.ORG");
    ck_assert_int_eq(host_names_fqdn_from_hosts(hosts, strlen(hosts), "nobody", fqdn, sizeof(fqdn)), 0);
    ck_assert_int_eq(host_names_fqdn_from_hosts("10.0.0.3 box\n", 13, "box", fqdn, sizeof(fqdn)), 0);
    ck_assert_int_eq(host_names_fqdn_from_hosts("10.0.0.3 boxer.example box2\n", 28, "box", fqdn, sizeof(fqdn)), 0);
}
END_TEST

START_TEST(gathered_names_include_loopback)
{
    static const uint8_t loop4[4] = { 127, 0, 0, 1 };
    struct host_names names, want;
    char why[256];

    ck_assert_msg(!host_names_gather(&names, "/nonexistent/hosts", why, sizeof(why)), "%s", why);
    host_names_init(&want);
    host_names_add_dns(&want, "localhost");
    host_names_add_ip(&want, AF_INET, loop4);
    host_names_add_ip(&want, AF_INET6, &in6addr_loopback);
    ck_assert(host_names_cover(&names, &want));
    ck_assert_uint_ge(names.dns_count, 1);
    /* Mapped addresses fold into IPv4; duplicates are kept once. */
    {
        uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1 };
        size_t n = names.ip_count;
        ck_assert_int_eq(host_names_add_ip(&names, AF_INET6, mapped), 0);
        ck_assert_uint_eq(names.ip_count, n);
    }
}
END_TEST

START_TEST(private_files_whole_or_nothing)
{
    char dir[64], path[128], why[256], *data;
    size_t len;

    fixture_tmpdir(dir, sizeof(dir));
    ck_assert_int_eq(private_file_write(dir, "f", "abc", 3, 0600, why, sizeof(why)), 0);
    ck_assert_int_eq(mode_of(dir, "f"), 0600);
    snprintf(path, sizeof(path), "%s/f", dir);
    ck_assert_int_eq(private_file_read(path, &data, &len, why, sizeof(why)), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_str_eq(data, "abc");
    free(data);
    snprintf(path, sizeof(path), "%s/missing", dir);
    ck_assert_int_eq(private_file_read(path, &data, &len, why, sizeof(why)), 1);
    /* Only "f" and nothing temporary is left. */
    ck_assert_int_eq(private_file_write(dir, "f", "defg", 4, 0644, why, sizeof(why)), 0);
    ck_assert_int_eq(mode_of(dir, "f"), 0644);
    snprintf(path, sizeof(path), "%s/sub", dir);
    ck_assert_int_eq(private_dir_ensure(path, why, sizeof(why)), 0);
    ck_assert_int_eq(mode_of(dir, "sub"), 0700);
    chmod(path, 0777);
    ck_assert_int_eq(private_dir_ensure(path, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "other users"));
    fixture_rmrf(dir);
}
END_TEST

Suite *identity_suite(void)
{
    Suite *s = suite_create("identity");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ca_and_identity_made_once);
    tcase_add_test(tc, renewal_keeps_the_key);
    tcase_add_test(tc, self_signed_identity_reissued_with_its_key);
    tcase_add_test(tc, imported_identity_left_alone);
    tcase_add_test(tc, interrupted_replacement_recovers);
    tcase_add_test(tc, requests_signed_with_their_names_only);
    tcase_add_test(tc, fqdn_from_hosts_file);
    tcase_add_test(tc, gathered_names_include_loopback);
    tcase_add_test(tc, private_files_whole_or_nothing);
    suite_add_tcase(s, tc);
    return s;
}
