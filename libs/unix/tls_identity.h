/*
 * The TLS backend's identity: a per-user key and self-signed certificate,
 * made on first use and kept in a private directory; peers trust it by
 * pinning its public key (tls_pin_of_certificate).
 */
#ifndef SECSOCK_TLS_IDENTITY_H
#define SECSOCK_TLS_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <gnutls/gnutls.h>
#include "unix/tls_relay.h"

#define TLS_IDENTITY_KEY  "identity.key"   /* PEM, mode 0600 */
#define TLS_IDENTITY_CERT "identity.crt"   /* PEM */

struct tls_identity {
    gnutls_certificate_credentials_t credentials;
    uint8_t pin[TLS_RELAY_PIN_LEN];       /* what peers pin to trust us */
};

/* Loads dir's identity, or makes one (ECDSA P-256, self-signed for
 * common_name) and writes it there first.  dir must exist and be private.
 * Returns 0, or -1 with why (nothing half-written is left behind). */
int tls_identity_load_or_create(const char *dir, const char *common_name, struct tls_identity *identity,
                                char *why, size_t why_len);

/* An identity that lives only in memory (tests, one-off peers). */
int tls_identity_ephemeral(const char *common_name, struct tls_identity *identity, char *why, size_t why_len);

void tls_identity_free(struct tls_identity *identity);

#endif
