/*
 * What the configuration says of each peer, for secsockd and secsockctl
 * alike: one model read from the config directory's two files, cached
 * (a file is read again only when its inode, size, mtime or ctime
 * changed), and written by the same module.
 *
 * <config dir>/peers: the out-of-band capability list of secsock's TLS.
 * One entry per line, '#' starts a comment:
 *     peer <IPv4 or IPv6 address> <port or *> <64 hex digits: SHA-256 of the key>
 * A bad line makes the whole file count as empty (and says which line).
 *
 * <config dir>/ipsec-psk: pre-shared keys of the IPsec backend, one per line:
 *     psk <address as charon names it> <secret: the rest of the line, 1 to 128 bytes>
 * A line that is not one is skipped; the first line for an address wins.
 * Lookups by address compare the address as inet_ntop(3) writes it.
 */
#ifndef SECSOCK_UNIX_PEERS_H
#define SECSOCK_UNIX_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include "secsock/proto.h"

#define PEERS_FILE     "peers"
#define PEERS_PSK_FILE "ipsec-psk"
#define PEERS_MAX_PINNED 1024     /* lines of the peers file */
#define PEER_PIN_LEN   32         /* SHA-256 of a public key (tls_relay.h's TLS_RELAY_PIN_LEN) */
#define PEER_MAX_PINS  16         /* pins handed out for one client address */
#define PEER_PSK_MAX   128
#define PEER_OWNER_MAX 46         /* longest address text of a psk line */

/* How a peer proves who it is.  The identity work adds a CA and a name. */
enum peer_auth {
    PEER_AUTH_NONE = 0,   /* not in the peers file: no TLS identity is known */
    PEER_AUTH_PINS = 1,   /* one of pins: the SHA-256 of its public key */
};

/* One peer, as a lookup hands it out. */
struct peer {
    struct secsock_addr addr;          /* the address asked for; port 0: any port */
    enum peer_auth auth;
    size_t pin_count;
    uint8_t pins[PEER_MAX_PINS][PEER_PIN_LEN];
    const uint8_t *psk;                /* its pre-shared key, or NULL; points into the cache:
                                          valid until the next peers_refresh */
    size_t psk_len;
};

/* ---- the files' text (peers_parse.c: no I/O, fuzzed) ---------------------- */

struct peers_pinned {                  /* one line of the peers file */
    struct secsock_addr addr;          /* port 0: '*' */
    uint8_t pin[PEER_PIN_LEN];
};

struct peers_psk {                     /* one line of the ipsec-psk file */
    char owner[PEER_OWNER_MAX + 1];
    uint8_t secret[PEER_PSK_MAX];
    size_t secret_len;
};

/* Parses the peers file into entries (room for PEERS_MAX_PINNED).  Returns
 * how many, or -1 with the first bad line's number and reason in why (then
 * nothing of the file is used). */
int peers_parse_pinned(const char *text, size_t len, struct peers_pinned *entries, char *why, size_t why_len);

/* Parses the ipsec-psk file into a new array (*out, free with
 * peers_free_psks); returns how many, or -1 when out of memory. */
int peers_parse_psks(const char *text, size_t len, struct peers_psk **out);
void peers_free_psks(struct peers_psk *psks, size_t count);

/* Formats one line of the peers file ("peer ADDRESS PORT HEX\n") after
 * checking that the parser takes it; returns its length, or -1 with the
 * reason in why. */
int peers_format_pinned(const char *address, const char *port, const uint8_t pin[PEER_PIN_LEN], char *line,
                        size_t size, char *why, size_t why_len);

/* ---- the cache (peers.c) ---------------------------------------------------- */

struct peers;

/* A cache of config_dir's files; nothing is read before peers_refresh. */
struct peers *peers_new(const char *config_dir);
void peers_free(struct peers *peers);

/* Reads again whichever file changed.  Returns 0, or -1 when the peers
 * file cannot be used (unreadable, too large, a bad line): then no peer is
 * listed from it, and why says why, on every call until it is fixed. */
int peers_refresh(struct peers *peers, char *why, size_t why_len);

/* Changes whenever a file was read again (to act once on a new list). */
uint64_t peers_generation(const struct peers *peers);

/* How many entries the peers file has (0 while it is bad). */
size_t peers_pinned_count(const struct peers *peers);

/* The peer a connection to addr reaches: an entry for its own port wins
 * over one for every port ('*'), wherever each stands; an IPv4-mapped
 * address is the IPv4 address it is.  Returns 1 when the peer has a pin or
 * a pre-shared key, else 0 (out then says PEER_AUTH_NONE, no key). */
int peers_lookup(const struct peers *peers, const struct secsock_addr *addr, struct peer *out);

/* A client connecting from addr (its port is its own choice): every pin
 * listed for the address, whatever the port.  Returns 1 when it has one. */
int peers_lookup_client(const struct peers *peers, const struct secsock_addr *addr, struct peer *out);

/* Every pre-shared key (an IPsec responder takes any configured peer):
 * calls each(ctx, owner, secret, len) per line; returns how many calls
 * returned 0. */
size_t peers_each_psk(const struct peers *peers,
                      int (*each)(void *ctx, const char *owner, const uint8_t *secret, size_t len), void *ctx);

/* Appends a pinned peer to config_dir's peers file (making the directory,
 * 0700, when it is missing); path gets the file's path.  0, or -1 with
 * the reason in why. */
int peers_add_pinned(const char *config_dir, const char *address, const char *port,
                     const uint8_t pin[PEER_PIN_LEN], char *path, size_t path_len, char *why, size_t why_len);

#endif
