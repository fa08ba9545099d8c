/*
 * SHA-256 after FIPS 180-4 (sections 4.1.2, 4.2.2, 5.1.1, 5.3.3, 6.2) and
 * HMAC after RFC 2104, written for secsock.  Byte-oriented: the message is
 * buffered into 64-byte blocks, each block read as sixteen big-endian words.
 */
#include <string.h>
#include "secsock/sha256.h"

/* The first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned int n) { return (x >> n) | (x << (32 - n)); }

/* One block (FIPS 180-4, 6.2.2: schedule, 64 rounds, add to the state). */
static void compress(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, hh;

    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
    for (int t = 16; t < 64; t++)
    {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
    for (int t = 0; t < 64; t++)
    {
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + K[t] + w[t];
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    secsock_wipe(w, sizeof(w));
}

void secsock_sha256_init(struct secsock_sha256 *ctx)
{
    /* The first 32 bits of the fractional parts of the square roots of the
     * first 8 primes (FIPS 180-4, 5.3.3). */
    static const uint32_t H0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(ctx->h, H0, sizeof(H0));
    ctx->total = 0;
    ctx->fill = 0;
}

void secsock_sha256_update(struct secsock_sha256 *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;

    ctx->total += len;
    if (ctx->fill)
    {
        size_t n = SECSOCK_SHA256_BLOCK - ctx->fill < len ? SECSOCK_SHA256_BLOCK - ctx->fill : len;
        memcpy(ctx->block + ctx->fill, p, n);
        ctx->fill += n;
        p += n;
        len -= n;
        if (ctx->fill < SECSOCK_SHA256_BLOCK) return;
        compress(ctx->h, ctx->block);
        ctx->fill = 0;
    }
    for (; len >= SECSOCK_SHA256_BLOCK; p += SECSOCK_SHA256_BLOCK, len -= SECSOCK_SHA256_BLOCK) compress(ctx->h, p);
    if (len) memcpy(ctx->block, p, len);
    ctx->fill = len;
}

void secsock_sha256_final(struct secsock_sha256 *ctx, uint8_t out[SECSOCK_SHA256_LEN])
{
    uint64_t bits = ctx->total * 8;

    /* Padding (FIPS 180-4, 5.1.1): a 1 bit, zeros up to 56 mod 64, then the
     * message length in bits as a 64-bit big-endian number. */
    ctx->block[ctx->fill++] = 0x80;
    if (ctx->fill > 56)
    {
        memset(ctx->block + ctx->fill, 0, SECSOCK_SHA256_BLOCK - ctx->fill);
        compress(ctx->h, ctx->block);
        ctx->fill = 0;
    }
    memset(ctx->block + ctx->fill, 0, 56 - ctx->fill);
    for (int i = 0; i < 8; i++) ctx->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress(ctx->h, ctx->block);
    for (int i = 0; i < 8; i++)
    {
        out[4 * i] = (uint8_t)(ctx->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)ctx->h[i];
    }
    secsock_wipe(ctx, sizeof(*ctx));
}

void secsock_sha256(const void *data, size_t len, uint8_t out[SECSOCK_SHA256_LEN])
{
    struct secsock_sha256 ctx;
    secsock_sha256_init(&ctx);
    secsock_sha256_update(&ctx, data, len);
    secsock_sha256_final(&ctx, out);
}

/* RFC 2104: K0 = the key, or its hash when longer than a block, padded
 * with zeros; MAC = H((K0 ^ opad) || H((K0 ^ ipad) || text)). */
void secsock_hmac_sha256_init(struct secsock_hmac_sha256 *ctx, const void *key, size_t key_len)
{
    uint8_t k0[SECSOCK_SHA256_BLOCK], ipad_key[SECSOCK_SHA256_BLOCK];

    memset(k0, 0, sizeof(k0));
    if (key_len > SECSOCK_SHA256_BLOCK) secsock_sha256(key, key_len, k0);
    else if (key_len) memcpy(k0, key, key_len);
    for (int i = 0; i < SECSOCK_SHA256_BLOCK; i++)
    {
        ipad_key[i] = (uint8_t)(k0[i] ^ 0x36);
        ctx->opad_key[i] = (uint8_t)(k0[i] ^ 0x5c);
    }
    secsock_sha256_init(&ctx->inner);
    secsock_sha256_update(&ctx->inner, ipad_key, sizeof(ipad_key));
    secsock_wipe(k0, sizeof(k0));
    secsock_wipe(ipad_key, sizeof(ipad_key));
}

void secsock_hmac_sha256_update(struct secsock_hmac_sha256 *ctx, const void *data, size_t len)
{
    secsock_sha256_update(&ctx->inner, data, len);
}

void secsock_hmac_sha256_final(struct secsock_hmac_sha256 *ctx, uint8_t out[SECSOCK_SHA256_LEN])
{
    uint8_t inner[SECSOCK_SHA256_LEN];
    struct secsock_sha256 outer;

    secsock_sha256_final(&ctx->inner, inner);
    secsock_sha256_init(&outer);
    secsock_sha256_update(&outer, ctx->opad_key, sizeof(ctx->opad_key));
    secsock_sha256_update(&outer, inner, sizeof(inner));
    secsock_sha256_final(&outer, out);
    secsock_wipe(inner, sizeof(inner));
    secsock_wipe(ctx, sizeof(*ctx));
}

void secsock_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                         uint8_t out[SECSOCK_SHA256_LEN])
{
    struct secsock_hmac_sha256 ctx;
    secsock_hmac_sha256_init(&ctx, key, key_len);
    secsock_hmac_sha256_update(&ctx, data, len);
    secsock_hmac_sha256_final(&ctx, out);
}

int secsock_equal_ct(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t diff = 0;

    for (size_t i = 0; i < len; i++) diff |= (uint8_t)(x[i] ^ y[i]);
    return diff == 0;
}

void secsock_wipe(void *p, size_t len)
{
    /* Stores through a volatile pointer are never elided, unlike a memset
     * of an object that is dead afterwards. */
    volatile uint8_t *v = p;
    while (len--) *v++ = 0;
}
