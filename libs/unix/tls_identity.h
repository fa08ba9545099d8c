/*
 * The TLS backend's identity: a per-user key and certificate kept in a
 * private directory, loaded as GnuTLS credentials.  Peers trust it by
 * pinning its public key (tls_pin_of_certificate) or, since issue 11, by
 * trusting the CA that issued it (host_identity.h, local_ca.h).
 */
#ifndef SECSOCK_TLS_IDENTITY_H
#define SECSOCK_TLS_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <gnutls/gnutls.h>
#include <time.h>
#include "unix/host_identity.h"
#include "unix/tls_relay.h"

#define TLS_IDENTITY_KEY  HOST_IDENTITY_KEY    /* PEM, mode 0600 */
#define TLS_IDENTITY_CERT HOST_IDENTITY_CERT   /* PEM */

struct tls_identity {
    gnutls_certificate_credentials_t credentials;
    uint8_t pin[TLS_RELAY_PIN_LEN];       /* what peers pin to trust us */
    time_t expires;                       /* the certificate's end */
};

/* Loads dir's identity, first making it when missing and re-issuing it
 * when due (host_identity_ensure): a key and a certificate issued by the
 * local CA, for common_name and the host's names and addresses.  The
 * choice for issue 11: the identity is CA-signed from now on, and pins
 * keep working because a pin is of the key, which re-issuing keeps (an
 * identity made self-signed before is re-issued with its own key).
 * dir must exist and be private.  Returns 0, or -1 with why (nothing
 * half-written is left behind; damaged files are reported, not
 * replaced). */
int tls_identity_load_or_create(const char *dir, const char *common_name, struct tls_identity *identity,
                                char *why, size_t why_len);

/* Loads dir's identity as it is (identity.key, identity.crt and
 * identity-chain.pem when present), making nothing: a running service
 * calls it after host_identity_ensure renewed the files.  1 when there is
 * none. */
int tls_identity_load(const char *dir, struct tls_identity *identity, char *why, size_t why_len);

/* An identity that lives only in memory (tests, one-off peers). */
int tls_identity_ephemeral(const char *common_name, struct tls_identity *identity, char *why, size_t why_len);

void tls_identity_free(struct tls_identity *identity);

#endif
