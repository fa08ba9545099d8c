/*
 * The discovery exchange for ALLOW_INSECURE's opportunistic upgrade: a
 * secsockd asks the peer host's secsockd, on a service port of its own,
 * whether the port the program connects to can be reached over secsock's
 * TLS, and where.  Two fixed-size messages, big-endian:
 *
 *   PROBE  (24 bytes): magic "SSKD", version 1, type 1, nonce[16],
 *                      asked port (u16, not 0)
 *   ANSWER (29 bytes): magic "SSKD", version 1, type 2, nonce[16] (the
 *                      probe's), flags (u8: bit 0 = speaks secsock TLS;
 *                      no other bit), TLS port (u16: not 0 exactly when
 *                      bit 0 is set), lifetime (u32 seconds to cache it)
 *
 * The decoders take any bytes (they are fuzzed) and accept exactly these
 * layouts: anything shorter, longer, of another magic, version, type, or
 * with an unknown flag is refused with its own error.  A later version
 * gets a new number, never a new meaning for these bytes.
 *
 * What the answer is worth: nothing is authenticated here.  A forged "no
 * TLS" answer leaves an ALLOW_INSECURE connection clear, which that
 * setting allows; a forged "TLS on port P" only sends the connection to
 * a TLS handshake that must still verify the peer.
 */
#ifndef SECSOCK_DISCOVERY_H
#define SECSOCK_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#define DISCOVERY_VERSION      1
#define DISCOVERY_NONCE_LEN    16
#define DISCOVERY_PROBE_LEN    24
#define DISCOVERY_ANSWER_LEN   29
#define DISCOVERY_DEFAULT_PORT 47391   /* secsockd's discovery port unless configured */
#define DISCOVERY_FLAG_TLS     0x01

enum discovery_type {
    DISCOVERY_PROBE = 1,
    DISCOVERY_ANSWER = 2,
};

enum discovery_status {
    DISCOVERY_OK = 0,
    DISCOVERY_E_SHORT = -1,      /* fewer bytes than the message has */
    DISCOVERY_E_MAGIC = -2,      /* not a secsock discovery message */
    DISCOVERY_E_VERSION = -3,    /* another version */
    DISCOVERY_E_TYPE = -4,       /* not the message expected */
    DISCOVERY_E_TRAILING = -5,   /* bytes after the message */
    DISCOVERY_E_FLAGS = -6,      /* a flag this version does not define */
    DISCOVERY_E_PORT = -7,       /* port 0 asked, or a TLS port that contradicts the flag */
    DISCOVERY_E_SPACE = -8,      /* encoding: the buffer is too small */
};

struct discovery_probe {
    uint8_t nonce[DISCOVERY_NONCE_LEN];
    uint16_t port;               /* the port the program connects to */
};

struct discovery_answer {
    uint8_t nonce[DISCOVERY_NONCE_LEN];
    uint8_t flags;
    uint16_t tls_port;           /* where secsock TLS for the asked port listens; 0: none */
    uint32_t lifetime;           /* seconds the asker may keep this answer */
};

const char *discovery_status_text(int status);

/* Encoders: the message's length, or DISCOVERY_E_SPACE / DISCOVERY_E_PORT
 * / DISCOVERY_E_FLAGS for what cannot be sent. */
int discovery_encode_probe(const struct discovery_probe *probe, uint8_t *buf, size_t size);
int discovery_encode_answer(const struct discovery_answer *answer, uint8_t *buf, size_t size);

/* Decoders: DISCOVERY_OK and *out, or the first error found. */
int discovery_decode_probe(const uint8_t *buf, size_t len, struct discovery_probe *out);
int discovery_decode_answer(const uint8_t *buf, size_t len, struct discovery_answer *out);

/* Whether answer answers probe (same nonce, compared in constant time). */
int discovery_answer_matches(const struct discovery_probe *probe, const struct discovery_answer *answer);

#endif
