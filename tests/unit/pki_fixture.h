/* Test PKI made on the fly with the library's own issuing code: CAs,
 * leaves with chosen names and dates, their DER and credentials. */
#ifndef SECSOCK_PKI_FIXTURE_H
#define SECSOCK_PKI_FIXTURE_H

#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "unix/host_names.h"
#include "unix/peer_name.h"
#include "unix/trust_anchors.h"

struct fixture_cert {
    gnutls_x509_crt_t crt;
    gnutls_x509_privkey_t key;
};

/* A CA valid from a day ago for ten years. */
void fixture_ca(struct fixture_cert *ca, const char *cn);

/* A TLS leaf for names ("dns:NAME" or "ip:ADDRESS", NULL-terminated),
 * valid [not_before, not_after], signed by ca (NULL: self-signed). */
void fixture_leaf(const struct fixture_cert *ca, const char *const *names, time_t not_before, time_t not_after,
                  struct fixture_cert *leaf);

/* names as above into a host_names. */
void fixture_names(const char *const *names, struct host_names *out);

/* The certificate's DER (gnutls_free it). */
gnutls_datum_t fixture_der(gnutls_x509_crt_t crt);

/* PEM of a certificate or key into a malloc'd NUL-terminated text. */
char *fixture_crt_pem(gnutls_x509_crt_t crt);
char *fixture_key_pem(gnutls_x509_privkey_t key);

/* Credentials presenting leaf (then chain_extra, may be NULL). */
gnutls_certificate_credentials_t fixture_credentials(const struct fixture_cert *leaf, gnutls_x509_crt_t chain_extra);

/* Writes text to dir/name (mkdir -p of dir first). */
void fixture_write(const char *dir, const char *name, const char *text);

/* A fresh private temporary directory; fixture_rmrf removes it. */
void fixture_tmpdir(char *buf, size_t size);
void fixture_rmrf(const char *dir);

void fixture_free(struct fixture_cert *cert);

/* A CRL by ca revoking leaf (NULL: revoking nothing), as malloc'd PEM. */
char *fixture_crl(const struct fixture_cert *ca, const struct fixture_cert *leaf);

/* A parsed target name (the test fails when it does not parse). */
struct peer_name fixture_peer_name(const char *text);

/* Two CAs, a config dir trusting the first (own CA), its trust anchors,
 * and a client and a server leaf of the first CA for the names given. */
struct fixture_world {
    struct fixture_cert ca, stranger, client, server;
    struct trust_anchors *anchors;
    char dir[64];
};
void fixture_world_make(struct fixture_world *w, const char *const *client_names, const char *const *server_names);
void fixture_world_free(struct fixture_world *w);

/* A fresh config dir whose own CA (ca.crt, ca.key) is ca. */
void fixture_config_dir(char *dir, size_t size, const struct fixture_cert *ca);

#endif
