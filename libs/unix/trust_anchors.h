/*
 * Which CAs secured peers may chain to, and the verdict on a peer's
 * certificate chain: a pinned key, or a chain to a trusted CA that is in
 * its dates, not revoked, meant for TLS, and that names the peer.
 *
 * The trusted CAs: this user's own CA (<dir>/ca.crt), every certificate
 * file in <dir>/trusted-cas/ (added by `secsockctl ca trust`, each a CA
 * certificate; the directory must be this user's and closed to others'
 * writes), and the system store when asked (TRUST_ANCHORS_SYSTEM).  CRLs:
 * every file of <dir>/crls/ (PEM or DER), each used only when a trusted
 * CA signed it.  trust_anchors_refresh() reloads when any of these files
 * or directories changed (name, size, mode, mtime or inode).
 *
 * Not thread-safe: one owner (secsockd's event loop) loads, refreshes and
 * verifies.
 */
#ifndef SECSOCK_TRUST_ANCHORS_H
#define SECSOCK_TRUST_ANCHORS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include "unix/peer_name.h"
#include "unix/tls_relay.h"
#include "unix/trust_verdict.h"

#define TRUST_ANCHORS_DIR "trusted-cas"
#define TRUST_CRLS_DIR    "crls"
#define TRUST_ANCHORS_MAX_LISTED 256   /* CAs described for status */
#define TRUST_CHAIN_MAX 16             /* certificates taken from a peer */

#define TRUST_ANCHORS_SYSTEM 1u        /* also the system's trust store */


struct trust_anchor_info {
    char subject[256];
    char fingerprint[65];    /* SHA-256, hex */
    time_t expires;
    int own;                 /* this user's own CA */
};

struct trust_anchors;

/* Loads dir's trusted CAs and CRLs (flags: TRUST_ANCHORS_SYSTEM).  A file
 * that cannot be used is skipped and named by trust_anchors_warning(). */
struct trust_anchors *trust_anchors_load(const char *dir, unsigned int flags, char *why, size_t why_len);
void trust_anchors_free(struct trust_anchors *anchors);

/* Reloads when anything changed: 1 reloaded, 0 unchanged, -1 with why
 * (the loaded set stays as it was). */
int trust_anchors_refresh(struct trust_anchors *anchors, char *why, size_t why_len);

/* The CAs of the config dir (not the system's), for status. */
size_t trust_anchors_count(const struct trust_anchors *anchors);
const struct trust_anchor_info *trust_anchors_info(const struct trust_anchors *anchors, size_t i);
size_t trust_anchors_system_count(const struct trust_anchors *anchors);
size_t trust_anchors_crl_count(const struct trust_anchors *anchors);
/* The first file skipped at the last load, "" when none. */
const char *trust_anchors_warning(const struct trust_anchors *anchors);

struct trust_check {
    const gnutls_datum_t *chain;                 /* DER, leaf first (gnutls_certificate_get_peers) */
    unsigned int count;
    const uint8_t (*pins)[TLS_RELAY_PIN_LEN];    /* may be NULL */
    size_t pin_count;
    const struct peer_name *name;                /* the name it must carry; NULL: any */
    int peer_is_server;                          /* its purpose: TLS server (else client) */
};

/* The verdict on a peer: OK_PIN when its key is pinned; else, with
 * anchors (may be NULL: pins only), OK_CHAIN or why not.  why gets a
 * human sentence for the log. */
enum trust_verdict trust_anchors_verify(const struct trust_anchors *anchors, const struct trust_check *check,
                                        char *why, size_t why_len);

/* Validates pem as one CA certificate and stores it as
 * <dir>/trusted-cas/<SHA-256>.pem; fingerprint gets its hex. */
int trust_anchors_add(const char *dir, const char *pem, size_t len, char fingerprint[65], char *why, size_t why_len);

#endif
