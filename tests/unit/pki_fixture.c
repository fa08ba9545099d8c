/* Test PKI made on the fly (no binary blobs in the tree). */
#include <arpa/inet.h>
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/abstract.h>
#include "unix/cert_issue.h"
#include "unix/key_pair.h"
#include "unix/local_ca.h"
#include "pki_fixture.h"

void fixture_names(const char *const *names, struct host_names *out)
{
    host_names_init(out);
    for (; names && *names; names++)
    {
        uint8_t addr[16];
        if (!strncmp(*names, "dns:", 4)) ck_assert_int_eq(host_names_add_dns(out, *names + 4), 0);
        else if (inet_pton(AF_INET, *names + 3, addr) == 1) ck_assert_int_eq(host_names_add_ip(out, AF_INET, addr), 0);
        else
        {
            ck_assert_int_eq(inet_pton(AF_INET6, *names + 3, addr), 1);
            /* Kept as written, mapped or not: tests of mapped SANs need it. */
            ck_assert_uint_lt(out->ip_count, HOST_NAMES_MAX_IP);
            out->ip[out->ip_count].family = AF_INET6;
            memcpy(out->ip[out->ip_count++].addr, addr, 16);
        }
    }
}

static void make(const struct fixture_cert *issuer, const char *cn, const struct host_names *names, time_t nb,
                 time_t na, int is_ca, struct fixture_cert *out)
{
    struct cert_profile profile = { cn, names, nb, na, is_ca };
    gnutls_pubkey_t pub;
    char why[256];

    ck_assert_int_eq(cert_new_key(&out->key, why, sizeof(why)), 0);
    ck_assert_int_eq(cert_pubkey_of_key(out->key, &pub, why, sizeof(why)), 0);
    ck_assert_msg(!cert_issue(&profile, pub, issuer ? issuer->crt : NULL, issuer ? issuer->key : out->key, &out->crt,
                              why, sizeof(why)), "%s", why);
    gnutls_pubkey_deinit(pub);
}

void fixture_ca(struct fixture_cert *ca, const char *cn)
{
    time_t now = time(NULL);
    make(NULL, cn, NULL, now - 86400, now + 3650L * 86400, 1, ca);
}

void fixture_leaf(const struct fixture_cert *ca, const char *const *names, time_t not_before, time_t not_after,
                  struct fixture_cert *leaf)
{
    struct host_names n;
    fixture_names(names, &n);
    make(ca, "leaf.test", &n, not_before, not_after, 0, leaf);
}

gnutls_datum_t fixture_der(gnutls_x509_crt_t crt)
{
    gnutls_datum_t der = { NULL, 0 };
    ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der), 0);
    return der;
}

static char *to_text(gnutls_datum_t d)
{
    char *text = malloc(d.size + 1);
    memcpy(text, d.data, d.size);
    text[d.size] = 0;
    gnutls_free(d.data);
    return text;
}

char *fixture_crt_pem(gnutls_x509_crt_t crt)
{
    gnutls_datum_t d = { NULL, 0 };
    ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d), 0);
    return to_text(d);
}

char *fixture_key_pem(gnutls_x509_privkey_t key)
{
    gnutls_datum_t d = { NULL, 0 };
    ck_assert_int_eq(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d), 0);
    return to_text(d);
}

gnutls_certificate_credentials_t fixture_credentials(const struct fixture_cert *leaf, gnutls_x509_crt_t chain_extra)
{
    gnutls_certificate_credentials_t cred;
    gnutls_x509_crt_t chain[2] = { leaf->crt, chain_extra };

    ck_assert_int_eq(gnutls_certificate_allocate_credentials(&cred), 0);
    ck_assert_int_eq(gnutls_certificate_set_x509_key(cred, chain, chain_extra ? 2 : 1, leaf->key), 0);
    return cred;
}

void fixture_write(const char *dir, const char *name, const char *text)
{
    char path[4200];
    FILE *f;

    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

void fixture_tmpdir(char *buf, size_t size)
{
    snprintf(buf, size, "/tmp/secsock-pki-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(buf));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

void fixture_rmrf(const char *dir)
{
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fixture_free(struct fixture_cert *cert)
{
    if (cert->crt) gnutls_x509_crt_deinit(cert->crt);
    if (cert->key) gnutls_x509_privkey_deinit(cert->key);
    cert->crt = NULL;
    cert->key = NULL;
}

/* A CRL by ca revoking leaf (NULL: revoking nothing), as PEM. */
char *fixture_crl(const struct fixture_cert *ca, const struct fixture_cert *leaf)
{
    gnutls_x509_crl_t crl;
    gnutls_datum_t pem = { NULL, 0 };
    time_t now = time(NULL);
    char *text;

    ck_assert_int_eq(gnutls_x509_crl_init(&crl), 0);
    ck_assert_int_eq(gnutls_x509_crl_set_version(crl, 2), 0);
    ck_assert_int_eq(gnutls_x509_crl_set_this_update(crl, now - 60), 0);
    ck_assert_int_eq(gnutls_x509_crl_set_next_update(crl, now + 86400), 0);
    if (leaf) ck_assert_int_eq(gnutls_x509_crl_set_crt(crl, leaf->crt, now - 60), 0);
    ck_assert_int_eq(gnutls_x509_crl_sign2(crl, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0), 0);
    ck_assert_int_eq(gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, &pem), 0);
    text = strndup((const char *)pem.data, pem.size);
    gnutls_free(pem.data);
    gnutls_x509_crl_deinit(crl);
    return text;
}

/* A config dir whose own CA is ca. */
void fixture_config_dir(char *dir, size_t size, const struct fixture_cert *ca)
{
    char why[256];
    fixture_tmpdir(dir, size);
    ck_assert(!key_pair_store(dir, LOCAL_CA_KEY, LOCAL_CA_CERT, ca->key, ca->crt, why, sizeof(why)));
}

struct peer_name fixture_peer_name(const char *text)
{
    struct peer_name n;
    char why[256];
    ck_assert_msg(!peer_name_parse(text, strlen(text), &n, why, sizeof(why)), "%s: %s", text, why);
    return n;
}

void fixture_world_make(struct fixture_world *w, const char *const *client_names, const char *const *server_names)
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

void fixture_world_free(struct fixture_world *w)
{
    trust_anchors_free(w->anchors);
    fixture_free(&w->ca);
    fixture_free(&w->stranger);
    fixture_free(&w->client);
    fixture_free(&w->server);
    fixture_rmrf(w->dir);
}
