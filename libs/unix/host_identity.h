/*
 * The host's TLS identity and its life: issued by the local CA for the
 * host's names (ECDSA P-256, serverAuth+clientAuth, 90 days), re-issued
 * before it runs out or when the host's names or addresses change, or
 * replaced by an imported certificate (any CA's), which is then never
 * re-issued here.
 *
 * Re-issuing keeps the key: a peer that pinned it (`secsockctl trust`)
 * still accepts the host, and an identity made before the local CA
 * existed (self-signed) is re-issued by the CA the same way, so pins
 * made of it keep working.
 *
 * Files: <dir>/identity.crt (0644), identity.key (0600), identity-chain.pem
 * (intermediate CAs of an imported identity), identity.origin
 * ("imported <SHA-256 of identity.crt>": the certificate that is not ours
 * to renew; a crash between writing it and the certificate leaves a
 * fingerprint of nothing, so the local identity stays managed).
 */
#ifndef SECSOCK_HOST_IDENTITY_H
#define SECSOCK_HOST_IDENTITY_H

#include <stddef.h>
#include <time.h>
#include "unix/host_names.h"

#define HOST_IDENTITY_DAYS 90
#define HOST_IDENTITY_KEY    "identity.key"
#define HOST_IDENTITY_CERT   "identity.crt"
#define HOST_IDENTITY_CHAIN  "identity-chain.pem"
#define HOST_IDENTITY_ORIGIN "identity.origin"

enum host_identity_state {
    HOST_IDENTITY_CURRENT,        /* the local CA's, names covered, not due */
    HOST_IDENTITY_MISSING,        /* none yet */
    HOST_IDENTITY_DUE,            /* less than a third of its lifetime left */
    HOST_IDENTITY_NAMES_CHANGED,  /* misses a current name or address */
    HOST_IDENTITY_OTHER_ISSUER,   /* self-signed, or by a CA this directory no longer has */
    HOST_IDENTITY_IMPORTED,       /* someone else's to renew */
};

const char *host_identity_state_text(enum host_identity_state state);

/* What the identity in dir needs, for names at now.  Returns 0 and
 * *state, or -1 with why (damaged files). */
int host_identity_check(const char *dir, const struct host_names *names, time_t now,
                        enum host_identity_state *state, char *why, size_t why_len);

/* Makes the CA and the identity when missing, re-issues the identity
 * when check says DUE, NAMES_CHANGED or OTHER_ISSUER, leaves CURRENT and
 * IMPORTED alone; all under dir's lock, each file replaced whole.
 * *before (may be NULL) is the state found.  A running service calls it
 * at start and then periodically, and loads new credentials
 * (tls_identity_load) when the state found was not CURRENT/IMPORTED. */
int host_identity_ensure(const char *dir, const char *common_name, const struct host_names *names, time_t now,
                         enum host_identity_state *before, char *why, size_t why_len);

/* Replaces the identity with cert_pem (the certificate, optionally
 * followed by its intermediate CAs) and key_pem (its key, PEM: SEC1,
 * PKCS#1 or unencrypted PKCS#8).  Refuses a key that is not the
 * certificate's, a CA certificate, or one not valid at now. */
int host_identity_import(const char *dir, const char *cert_pem, size_t cert_len, const char *key_pem,
                         size_t key_len, time_t now, char *why, size_t why_len);

#endif
