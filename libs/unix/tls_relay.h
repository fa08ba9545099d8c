/*
 * The TLS backend's data path: one relayed connection between a program's
 * clear loopback socket (plain side) and the peer (TLS side).  Pure
 * non-blocking state machine: the owner polls the two descriptors for what
 * tls_relay_interest() asks and calls tls_relay_step() when either is
 * ready.  Linux only (GnuTLS).
 *
 * Guarantees:
 *   - nothing is read from the plain side before the handshake succeeded
 *     and the peer was verified, so no application byte can leave in
 *     clear or reach an unverified peer;
 *   - bounded buffers (one record each way): a slow side stops reads from
 *     the other (backpressure);
 *   - a clean end on one side is passed on as a clean end (close_notify
 *     <-> shutdown(SHUT_WR)); an error or a truncated TLS stream ends the
 *     plain side with a reset, never with a clean end of stream.
 */
#ifndef SECSOCK_TLS_RELAY_H
#define SECSOCK_TLS_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <gnutls/gnutls.h>
#include "unix/trust_verdict.h"

#define TLS_RELAY_PIN_LEN 32   /* SHA-256 of the peer's SubjectPublicKeyInfo */

struct trust_anchors;
struct peer_name;

struct tls_relay_config {
    int is_server;
    gnutls_certificate_credentials_t credentials;   /* our identity */
    /* Peers we accept: SHA-256 pins of their public keys. */
    const uint8_t (*pins)[TLS_RELAY_PIN_LEN];
    size_t pin_count;
    const char *server_name;   /* client: SNI, may be NULL */
};

enum tls_relay_state {
    TLS_RELAY_HANDSHAKE,
    TLS_RELAY_OPEN,
    TLS_RELAY_DONE,      /* both directions ended cleanly */
    TLS_RELAY_FAILED,    /* the plain side was reset; why says what happened */
};

/* Issue 11: trust by CA and name besides pins.  A separate structure,
 * not new fields of tls_relay_config: its callers initialise it by
 * position, and -Wextra -Werror (missing-field-initializers) would stop
 * them compiling.  With anchors, a peer whose key is not pinned is
 * accepted when its chain verifies (trust_anchors_verify) and it carries
 * the name:
 *   client: peer_name (its SNI is sent when server_name is NULL), or,
 *           without one, the address the TLS socket is connected to;
 *   server: peer_name when set (a client must carry it), else any client
 *           that chains to a trusted CA.
 * Both must outlive the relay's handshake. */
struct tls_relay_trust {
    const struct trust_anchors *anchors;   /* NULL: pins only, as before */
    const struct peer_name *peer_name;     /* may be NULL */
};

struct tls_relay;

/* Takes over both descriptors (made non-blocking); closes them when freed.
 * plain_fd may be -1: the handshake runs, and the relay waits once it is
 * open until tls_relay_attach_plain() gives it the program's side. */
struct tls_relay *tls_relay_new(int plain_fd, int tls_fd, const struct tls_relay_config *config,
                                char *why, size_t why_len);
/* The same, also trusting by CA and name; trust NULL is tls_relay_new. */
struct tls_relay *tls_relay_new_trusting(int plain_fd, int tls_fd, const struct tls_relay_config *config,
                                         const struct tls_relay_trust *trust, char *why, size_t why_len);
int tls_relay_attach_plain(struct tls_relay *relay, int plain_fd);
void tls_relay_free(struct tls_relay *relay);

/* Does all the work the descriptors allow now; returns the state. */
enum tls_relay_state tls_relay_step(struct tls_relay *relay);

/* What to wait for: POLLIN / POLLOUT bits for each descriptor. */
void tls_relay_interest(const struct tls_relay *relay, short *plain_events, short *tls_events);

int tls_relay_plain_fd(const struct tls_relay *relay);
int tls_relay_tls_fd(const struct tls_relay *relay);
const char *tls_relay_error(const struct tls_relay *relay);
/* The verdict on the peer (TRUST_NOT_CHECKED before it was judged);
 * tls_relay_error() holds its sentence when it is a refusal. */
enum trust_verdict tls_relay_verdict(const struct tls_relay *relay);
/* Whether GnuTLS handed this connection's record layer to the kernel. */
int tls_relay_kernel_tls(const struct tls_relay *relay);
/* The relay's GnuTLS session, to read what was negotiated (never to
 * drive it: the relay alone reads and writes through it). */
gnutls_session_t tls_relay_session(const struct tls_relay *relay);
/* Bytes relayed so far, each way. */
void tls_relay_counts(const struct tls_relay *relay, uint64_t *to_peer, uint64_t *from_peer);

/* SHA-256 of a certificate's public key, for pins. */
int tls_pin_of_certificate(const gnutls_datum_t *der_certificate, uint8_t pin[TLS_RELAY_PIN_LEN]);

#endif
