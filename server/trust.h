/*
 * Which peers speak secsock's TLS and which key each must show: the
 * out-of-band capability list.  A peer listed here is always reached over
 * TLS with its pinned key (a failed handshake is refused, never downgraded
 * to clear text); a peer that is not listed is served by the none backend.
 *
 * File: <config dir>/peers, one entry per line, '#' starts a comment:
 *     peer <IPv4 or IPv6 address> <port or *> <64 hex digits: SHA-256 of the key>
 */
#ifndef SECSOCKD_TRUST_H
#define SECSOCKD_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include "secsock/proto.h"
#include "unix/tls_relay.h"

#define TRUST_MAX_PEERS 1024
#define TRUST_FILE "peers"

struct trust_entry {
    struct secsock_addr addr;   /* port 0: any port */
    uint8_t pin[TLS_RELAY_PIN_LEN];
};

struct trust_store {
    struct trust_entry entries[TRUST_MAX_PEERS];
    size_t count;
};

/* Parses the file's text.  Returns 0, or -1 with the first bad line's
 * number and reason in why (then no entry is used). */
int trust_parse(const char *text, size_t len, struct trust_store *store, char *why, size_t why_len);

/* The pin for peer, or NULL when the peer is not listed. */
const uint8_t *trust_lookup(const struct trust_store *store, const struct secsock_addr *peer);

/* Every pin listed for this address, whatever the port (a connecting
 * client's port is its own choice): fills pins, returns how many. */
size_t trust_pins_for_address(const struct trust_store *store, const struct secsock_addr *addr,
                              uint8_t (*pins)[TLS_RELAY_PIN_LEN], size_t max);

/* Reads <dir>/peers (a missing file is an empty list). */
int trust_load(const char *dir, struct trust_store *store, char *why, size_t why_len);

#endif
