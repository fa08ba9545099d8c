/* SHA-256 and HMAC-SHA-256 (libs/secsock/sha256.c): the FIPS 180-4 and
 * RFC 4231 vectors, and GnuTLS's answers for random inputs. */
#include <check.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "secsock/auth.h"
#include "secsock/sha256.h"
#include "unit.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
}

static void check_sha(const void *data, size_t len, const char *expected)
{
    uint8_t d[SECSOCK_SHA256_LEN];
    char h[2 * SECSOCK_SHA256_LEN + 1];

    secsock_sha256(data, len, d);
    hex(d, sizeof(d), h);
    ck_assert_str_eq(h, expected);
}

START_TEST(sha256_vectors)
{
    static char million[1000000];

    /* FIPS 180-4's examples (NIST's "SHA256.pdf" and the SHAVS messages). */
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check_sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
              "mnopqrstnopqrstu", 112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    memset(million, 'a', sizeof(million));
    check_sha(million, sizeof(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

static void check_hmac(const void *key, size_t key_len, const void *data, size_t len, const char *expected)
{
    uint8_t d[SECSOCK_SHA256_LEN];
    char h[2 * SECSOCK_SHA256_LEN + 1];

    secsock_hmac_sha256(key, key_len, data, len, d);
    hex(d, sizeof(d), h);
    /* Test case 5 gives only the first 128 bits. */
    ck_assert_int_eq(strncmp(h, expected, strlen(expected)), 0);
}

START_TEST(hmac_rfc4231)
{
    uint8_t key[131], data[50];

    memset(key, 0x0b, 20);
    check_hmac(key, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac("Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    check_hmac(key, 20, data, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++) key[i] = (uint8_t)(i + 1);
    memset(data, 0xcd, 50);
    check_hmac(key, 25, data, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(key, 0x0c, 20);
    check_hmac(key, 20, "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b");
    memset(key, 0xaa, 131);
    check_hmac(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    check_hmac(key, 131,
               "This is a test using a larger than block-size key and a larger than block-size data. The key "
               "needs to be hashed before being used by the HMAC algorithm.", 152,
               "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}
END_TEST

/* Random keys and messages of every length around the block boundaries,
 * fed in random pieces, against GnuTLS. */
START_TEST(against_gnutls)
{
    static uint8_t key[200], data[1200];
    uint8_t ours[SECSOCK_SHA256_LEN], theirs[SECSOCK_SHA256_LEN];
    unsigned int seed;

    ck_assert_int_eq(getrandom(&seed, sizeof(seed), 0), (ssize_t)sizeof(seed));
    srandom(seed);
    for (int round = 0; round < 3000; round++)
    {
        size_t key_len = (size_t)random() % sizeof(key), len = round < 300 ? (size_t)round : (size_t)random() % sizeof(data);
        struct secsock_hmac_sha256 ctx;
        struct secsock_sha256 hctx;
        size_t off = 0;

        ck_assert_int_eq(getrandom(key, key_len, 0), (ssize_t)key_len);
        ck_assert_int_eq(getrandom(data, len, 0), (ssize_t)len);
        ck_assert_int_eq(gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, key_len, data, len, theirs), 0);
        secsock_hmac_sha256_init(&ctx, key, key_len);
        secsock_sha256_init(&hctx);
        while (off < len)
        {
            size_t piece = (size_t)random() % 130;
            if (piece > len - off) piece = len - off;
            secsock_hmac_sha256_update(&ctx, data + off, piece);
            secsock_sha256_update(&hctx, data + off, piece);
            off += piece;
        }
        secsock_hmac_sha256_final(&ctx, ours);
        ck_assert_msg(!memcmp(ours, theirs, sizeof(ours)), "HMAC differs: key %zu bytes, data %zu (seed %u)",
                      key_len, len, seed);
        ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, theirs), 0);
        secsock_sha256_final(&hctx, ours);
        ck_assert_msg(!memcmp(ours, theirs, sizeof(ours)), "SHA-256 differs: %zu bytes (seed %u)", len, seed);
    }
}
END_TEST

START_TEST(proofs_and_compare)
{
    uint8_t secret[SECSOCK_SECRET_LEN], cn[SECSOCK_NONCE_LEN], sn[SECSOCK_NONCE_LEN], msg[18 + 64];
    uint8_t a[SECSOCK_PROOF_LEN], b[SECSOCK_PROOF_LEN], c[SECSOCK_PROOF_LEN];

    memset(secret, 0x11, sizeof(secret));
    memset(cn, 0x22, sizeof(cn));
    memset(sn, 0x33, sizeof(sn));
    /* The service's proof is HMAC(secret, label || client nonce || server nonce). */
    memcpy(msg, "secsock service v3", 18);
    memcpy(msg + 18, cn, 32);
    memcpy(msg + 50, sn, 32);
    secsock_hmac_sha256(secret, sizeof(secret), msg, sizeof(msg), a);
    secsock_auth_service_proof(secret, cn, sn, b);
    ck_assert_mem_eq(a, b, sizeof(a));
    /* The client's: its own label, server nonce first. */
    memcpy(msg, "secsock client v3", 17);
    memcpy(msg + 17, sn, 32);
    memcpy(msg + 49, cn, 32);
    secsock_hmac_sha256(secret, sizeof(secret), msg, 17 + 64, a);
    secsock_auth_client_proof(secret, cn, sn, c);
    ck_assert_mem_eq(a, c, sizeof(a));
    /* Neither proof stands in for the other, even with the nonces swapped. */
    ck_assert(memcmp(b, c, sizeof(b)));
    secsock_auth_client_proof(secret, sn, cn, c);
    ck_assert(memcmp(b, c, sizeof(b)));
    ck_assert(secsock_equal_ct(a, a, sizeof(a)));
    memcpy(c, a, sizeof(a));
    for (size_t i = 0; i < sizeof(a); i++)
    {
        c[i] ^= 0x80;
        ck_assert(!secsock_equal_ct(a, c, sizeof(a)));
        c[i] ^= 0x80;
    }
    ck_assert(secsock_equal_ct(a, c, sizeof(a)));
}
END_TEST

Suite *sha256_suite(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("sha256");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, sha256_vectors);
    tcase_add_test(tc, hmac_rfc4231);
    tcase_add_test(tc, against_gnutls);
    tcase_add_test(tc, proofs_and_compare);
    suite_add_tcase(s, tc);
    return s;
}
