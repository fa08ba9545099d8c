/*
 * This user's certificate authority: made on first use in the config dir
 * (ECDSA P-256, self-signed, CA:TRUE with path length 0,
 * keyCertSign|cRLSign, ten years), it issues the host's own identity and,
 * on request (`secsockctl ca sign`), identities for other machines.
 *
 * Files: <dir>/ca.crt (0644), <dir>/ca.key (0600).
 */
#ifndef SECSOCK_LOCAL_CA_H
#define SECSOCK_LOCAL_CA_H

#include <stddef.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "unix/host_names.h"

#define LOCAL_CA_CERT "ca.crt"
#define LOCAL_CA_KEY  "ca.key"
#define LOCAL_CA_DAYS 3650
#define LOCAL_CA_SIGN_DAYS_MAX 825   /* the most `ca sign --days` grants */

struct local_ca {
    gnutls_x509_crt_t crt;
    gnutls_x509_privkey_t key;
};

/* Loads dir's CA, or makes it first (under dir's lock).  dir must exist. */
int local_ca_load_or_create(const char *dir, time_t now, struct local_ca *ca, char *why, size_t why_len);

/* The same for a caller that already holds private_lock(dir). */
int local_ca_load_or_create_locked(const char *dir, time_t now, struct local_ca *ca, char *why, size_t why_len);

/* Loads dir's CA without making one: 0, 1 when there is none, or -1. */
int local_ca_load(const char *dir, struct local_ca *ca, char *why, size_t why_len);

void local_ca_free(struct local_ca *ca);

/* An identity certificate for key with names, valid from now - 1 h (a
 * peer's clock may lag) for days. */
int local_ca_issue(const struct local_ca *ca, gnutls_pubkey_t key, const char *common_name,
                   const struct host_names *names, time_t now, unsigned int days, gnutls_x509_crt_t *out,
                   char *why, size_t why_len);

/* Signs a PEM certificate request: its signature must verify; the
 * certificate gets the request's CN and its DNS and IP SANs (every DNS
 * SAN must be a host name or a left-most wildcard) and nothing else of
 * it (a request cannot ask to be a CA).  days: 1..LOCAL_CA_SIGN_DAYS_MAX. */
int local_ca_sign_request(const struct local_ca *ca, const char *csr_pem, size_t len, time_t now,
                          unsigned int days, gnutls_x509_crt_t *out, char *why, size_t why_len);

#endif
