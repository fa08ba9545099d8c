/*
 * The TLS backend's identity and trust, as the running service holds them:
 * the host identity (issued by the local CA, or imported) kept current
 * without a restart, and the CAs peers may chain to (trust_anchors.h).
 *
 * Credentials are handed out by reference: a relay holds the ones its
 * handshake began with until it ends, so renewing the identity never
 * frees what a GnuTLS session still uses.
 */
#ifndef SECSOCKD_TLS_TRUST_H
#define SECSOCKD_TLS_TRUST_H

#include <stddef.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include "unix/tls_identity.h"
#include "unix/trust_anchors.h"

/* How often the identity is checked for renewal and the host's names for
 * change (SECSOCK_IDENTITY_CHECK_SECONDS overrides it). */
#define TLS_TRUST_CHECK_SECONDS 3600

struct tls_creds;

/* Makes or loads the identity in config_dir (host_identity_ensure), loads
 * the trusted CAs (with the system's when SECSOCK_TRUST_SYSTEM=1).
 * Returns the identity (for its pin and dates), or NULL with why. */
const struct tls_identity *tls_trust_init(const char *config_dir, char *why, size_t why_len);

/* The current credentials, one more reference; release each. */
struct tls_creds *tls_trust_acquire(void);
gnutls_certificate_credentials_t tls_creds_get(const struct tls_creds *creds);
void tls_trust_release(struct tls_creds *creds);

/* The trusted CAs, reloaded first when their files changed (a failed
 * reload keeps the previous set and logs why). */
const struct trust_anchors *tls_trust_anchors(void);

/* Renews the identity when it is due or the host's names changed, at
 * most once per check period. */
void tls_trust_sweep(time_t now);

void tls_trust_shutdown(void);

#endif
