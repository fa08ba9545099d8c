/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for the control
 * channel's challenge-response.  Plain C11 without OS headers: the same
 * code is built into the PE DLLs and the Linux side, which have no common
 * crypto library (GnuTLS is not packaged for mingw-w64, and Wine's bcrypt
 * is not on the Linux side).
 */
#ifndef SECSOCK_SHA256_H
#define SECSOCK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SECSOCK_SHA256_LEN   32
#define SECSOCK_SHA256_BLOCK 64

struct secsock_sha256 {
    uint32_t h[8];
    uint64_t total;                       /* bytes hashed so far */
    uint8_t block[SECSOCK_SHA256_BLOCK];
    size_t fill;                          /* bytes waiting in block */
};

void secsock_sha256_init(struct secsock_sha256 *ctx);
void secsock_sha256_update(struct secsock_sha256 *ctx, const void *data, size_t len);
/* Writes the digest and wipes ctx. */
void secsock_sha256_final(struct secsock_sha256 *ctx, uint8_t out[SECSOCK_SHA256_LEN]);
void secsock_sha256(const void *data, size_t len, uint8_t out[SECSOCK_SHA256_LEN]);

struct secsock_hmac_sha256 {
    struct secsock_sha256 inner;
    uint8_t opad_key[SECSOCK_SHA256_BLOCK]; /* K0 xor opad, for the outer hash */
};

void secsock_hmac_sha256_init(struct secsock_hmac_sha256 *ctx, const void *key, size_t key_len);
void secsock_hmac_sha256_update(struct secsock_hmac_sha256 *ctx, const void *data, size_t len);
/* Writes the MAC and wipes ctx. */
void secsock_hmac_sha256_final(struct secsock_hmac_sha256 *ctx, uint8_t out[SECSOCK_SHA256_LEN]);
void secsock_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                         uint8_t out[SECSOCK_SHA256_LEN]);

/* 1 when the len bytes at a and b are equal; the time taken does not
 * depend on where they differ. */
int secsock_equal_ct(const void *a, const void *b, size_t len);

/* Overwrites len bytes in a way the compiler may not drop. */
void secsock_wipe(void *p, size_t len);

#endif
