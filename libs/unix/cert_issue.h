/*
 * Making keys and certificates (GnuTLS): ECDSA P-256 keys, a CA
 * certificate, a TLS identity (leaf) certificate, and reading or writing
 * the names (SANs) a certificate or a request carries.
 */
#ifndef SECSOCK_CERT_ISSUE_H
#define SECSOCK_CERT_ISSUE_H

#include <stddef.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "unix/host_names.h"

struct cert_profile {
    const char *common_name;          /* the subject's CN (a label, never matched) */
    const struct host_names *names;   /* a leaf's SANs; NULL for a CA */
    time_t not_before, not_after;
    int is_ca;                        /* CA:TRUE, keyCertSign|cRLSign; else a TLS client and server leaf */
};

/* A new ECDSA P-256 key. */
int cert_new_key(gnutls_x509_privkey_t *key, char *why, size_t why_len);

/* A certificate for subject_key by profile, signed by issuer/issuer_key;
 * issuer NULL: self-signed (issuer_key is then the subject's own key). */
int cert_issue(const struct cert_profile *profile, gnutls_pubkey_t subject_key, gnutls_x509_crt_t issuer,
               gnutls_x509_privkey_t issuer_key, gnutls_x509_crt_t *out, char *why, size_t why_len);

/* The public half of a private key. */
int cert_pubkey_of_key(gnutls_x509_privkey_t key, gnutls_pubkey_t *pub, char *why, size_t why_len);

/* Whether key is the private key of crt's public key. */
int cert_key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key);

/* Whether crt is a CA certificate: CA:TRUE, and keyCertSign when it
 * states key usages at all. */
int cert_is_ca(gnutls_x509_crt_t crt);

/* The DNS and IP SANs of a certificate or a request; others are skipped. */
int cert_names_of_crt(gnutls_x509_crt_t crt, struct host_names *names);
int cert_names_of_crq(gnutls_x509_crq_t crq, struct host_names *names);

/* Adds names as SANs (after any it has). */
int cert_names_set(gnutls_x509_crt_t crt, const struct host_names *names);
int cert_names_set_crq(gnutls_x509_crq_t crq, const struct host_names *names);

/* A PEM certificate request for key, with common_name and names as SANs
 * (`secsockctl enroll request`). */
int cert_request_pem(gnutls_x509_privkey_t key, const char *common_name, const struct host_names *names,
                     gnutls_datum_t *pem, char *why, size_t why_len);

/* PEM of a certificate into a gnutls_free'd datum. */
int cert_export_pem(gnutls_x509_crt_t crt, gnutls_datum_t *pem);

/* The SHA-256 fingerprint of a certificate, as 64 lower-case hex digits. */
int cert_fingerprint_hex(gnutls_x509_crt_t crt, char hex[65]);

#endif
