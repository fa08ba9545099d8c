/* The discovery messages (strict decoding) and the per-peer cache. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "unix/discovery.h"
#include "unix/discovery_cache.h"
#include "unit.h"

static const struct discovery_probe probe = { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }, 443 };
static const struct discovery_answer answer = { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
                                                DISCOVERY_FLAG_TLS, 8443, 600 };

START_TEST(probe_round_trip)
{
    uint8_t buf[64];
    struct discovery_probe out;

    ck_assert_int_eq(discovery_encode_probe(&probe, buf, sizeof(buf)), DISCOVERY_PROBE_LEN);
    ck_assert_mem_eq(buf, "SSKD\x01\x01", 6);
    ck_assert_uint_eq(buf[22], 443 >> 8);
    ck_assert_uint_eq(buf[23], 443 & 0xff);
    ck_assert_int_eq(discovery_decode_probe(buf, DISCOVERY_PROBE_LEN, &out), DISCOVERY_OK);
    ck_assert_mem_eq(out.nonce, probe.nonce, DISCOVERY_NONCE_LEN);
    ck_assert_uint_eq(out.port, 443);
    ck_assert_int_eq(discovery_encode_probe(&probe, buf, DISCOVERY_PROBE_LEN - 1), DISCOVERY_E_SPACE);
}
END_TEST

START_TEST(answer_round_trip)
{
    uint8_t buf[64];
    struct discovery_answer out, clear = answer;
    struct discovery_probe other = probe;

    ck_assert_int_eq(discovery_encode_answer(&answer, buf, sizeof(buf)), DISCOVERY_ANSWER_LEN);
    ck_assert_int_eq(discovery_decode_answer(buf, DISCOVERY_ANSWER_LEN, &out), DISCOVERY_OK);
    ck_assert_int_eq(memcmp(&out.nonce, answer.nonce, DISCOVERY_NONCE_LEN), 0);
    ck_assert_uint_eq(out.flags, DISCOVERY_FLAG_TLS);
    ck_assert_uint_eq(out.tls_port, 8443);
    ck_assert_uint_eq(out.lifetime, 600);
    ck_assert(discovery_answer_matches(&probe, &out));
    other.nonce[15] ^= 1;
    ck_assert(!discovery_answer_matches(&other, &out));
    clear.flags = 0;
    clear.tls_port = 0;
    clear.lifetime = 0xfedcba98;
    ck_assert_int_eq(discovery_encode_answer(&clear, buf, sizeof(buf)), DISCOVERY_ANSWER_LEN);
    ck_assert_int_eq(discovery_decode_answer(buf, DISCOVERY_ANSWER_LEN, &out), DISCOVERY_OK);
    ck_assert_uint_eq(out.lifetime, 0xfedcba98);
    ck_assert_uint_eq(out.tls_port, 0);
}
END_TEST

START_TEST(every_truncation_and_extension)
{
    uint8_t p[DISCOVERY_PROBE_LEN + 1], a[DISCOVERY_ANSWER_LEN + 1];
    struct discovery_probe po;
    struct discovery_answer ao;

    discovery_encode_probe(&probe, p, sizeof(p));
    discovery_encode_answer(&answer, a, sizeof(a));
    for (size_t len = 0; len < DISCOVERY_PROBE_LEN; len++)
        ck_assert_int_eq(discovery_decode_probe(p, len, &po), DISCOVERY_E_SHORT);
    for (size_t len = 0; len < DISCOVERY_ANSWER_LEN; len++)
        ck_assert_int_eq(discovery_decode_answer(a, len, &ao), DISCOVERY_E_SHORT);
    ck_assert_int_eq(discovery_decode_probe(NULL, 0, &po), DISCOVERY_E_SHORT);
    p[DISCOVERY_PROBE_LEN] = 0;
    a[DISCOVERY_ANSWER_LEN] = 0;
    ck_assert_int_eq(discovery_decode_probe(p, sizeof(p), &po), DISCOVERY_E_TRAILING);
    ck_assert_int_eq(discovery_decode_answer(a, sizeof(a), &ao), DISCOVERY_E_TRAILING);
}
END_TEST

START_TEST(foreign_and_contradictory_refused)
{
    uint8_t p[DISCOVERY_PROBE_LEN], a[DISCOVERY_ANSWER_LEN], b[DISCOVERY_ANSWER_LEN];
    struct discovery_probe po;
    struct discovery_answer ao, bad = answer;

    discovery_encode_probe(&probe, p, sizeof(p));
    discovery_encode_answer(&answer, a, sizeof(a));
    /* A probe is not an answer, and the other way round. */
    ck_assert_int_eq(discovery_decode_answer(p, sizeof(p), &ao), DISCOVERY_E_TYPE);
    ck_assert_int_eq(discovery_decode_probe(a, sizeof(a), &po), DISCOVERY_E_TYPE);
    memcpy(b, a, sizeof(b));
    b[0] = 'X';
    ck_assert_int_eq(discovery_decode_answer(b, sizeof(b), &ao), DISCOVERY_E_MAGIC);
    ck_assert_int_eq(discovery_decode_answer((const uint8_t *)"GET ", 4, &ao), DISCOVERY_E_MAGIC);
    memcpy(b, a, sizeof(b));
    b[4] = 2;
    ck_assert_int_eq(discovery_decode_answer(b, sizeof(b), &ao), DISCOVERY_E_VERSION);
    memcpy(b, a, sizeof(b));
    b[22] = DISCOVERY_FLAG_TLS | 0x80;
    ck_assert_int_eq(discovery_decode_answer(b, sizeof(b), &ao), DISCOVERY_E_FLAGS);
    memcpy(b, a, sizeof(b));
    b[23] = b[24] = 0;   /* TLS, but on no port */
    ck_assert_int_eq(discovery_decode_answer(b, sizeof(b), &ao), DISCOVERY_E_PORT);
    memcpy(b, a, sizeof(b));
    b[22] = 0;           /* no TLS, but a port */
    ck_assert_int_eq(discovery_decode_answer(b, sizeof(b), &ao), DISCOVERY_E_PORT);
    p[22] = p[23] = 0;   /* asks for port 0 */
    ck_assert_int_eq(discovery_decode_probe(p, sizeof(p), &po), DISCOVERY_E_PORT);
    bad.tls_port = 0;
    ck_assert_int_eq(discovery_encode_answer(&bad, b, sizeof(b)), DISCOVERY_E_PORT);
    bad = answer;
    bad.flags = 0x02 | DISCOVERY_FLAG_TLS;
    ck_assert_int_eq(discovery_encode_answer(&bad, b, sizeof(b)), DISCOVERY_E_FLAGS);
    ck_assert_str_eq(discovery_status_text(DISCOVERY_E_MAGIC), "not a secsock discovery message");
}
END_TEST

static uint64_t fake_now;
static uint64_t fake_clock(void *context)
{
    (void)context;
    return fake_now;
}

static struct sockaddr_in v4(const char *addr, uint16_t port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, addr, &sin.sin_addr);
    return sin;
}

START_TEST(cache_lifetimes)
{
    struct discovery_cache *c = discovery_cache_new(8, 300, 30, fake_clock, NULL);
    struct sockaddr_in a = v4("192.0.2.1", 443), b = v4("192.0.2.2", 443), a80 = v4("192.0.2.1", 80);
    struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
    struct discovery_answer long_answer = answer, no_tls = { { 0 }, 0, 0, 100 };
    uint16_t port;

    fake_now = 1000;
    inet_pton(AF_INET6, "::ffff:192.0.2.1", &mapped.sin6_addr);
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&a, &port), DISCOVERY_CACHE_MISS);
    long_answer.lifetime = 86400;   /* capped at 300 */
    ck_assert_int_eq(discovery_cache_put_answer(c, (struct sockaddr *)&a, &long_answer), 0);
    ck_assert_int_eq(discovery_cache_put_answer(c, (struct sockaddr *)&a80, &no_tls), 0);
    ck_assert_int_eq(discovery_cache_put_silent(c, (struct sockaddr *)&b), 0);
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&a, &port), DISCOVERY_CACHE_TLS);
    ck_assert_uint_eq(port, 8443);
    /* The same peer through an IPv4-mapped address. */
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&mapped, &port), DISCOVERY_CACHE_TLS);
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&a80, &port), DISCOVERY_CACHE_CLEAR);
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&b, &port), DISCOVERY_CACHE_CLEAR);
    fake_now = 1030;   /* the silent peer's 30 s are over */
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&b, &port), DISCOVERY_CACHE_MISS);
    fake_now = 1099;
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&a80, &port), DISCOVERY_CACHE_CLEAR);
    fake_now = 1100;
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&a80, &port), DISCOVERY_CACHE_MISS);
    fake_now = 1299;
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&a, &port), DISCOVERY_CACHE_TLS);
    fake_now = 1300;
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&a, &port), DISCOVERY_CACHE_MISS);
    ck_assert_uint_eq(discovery_cache_size(c), 0);
    /* A lifetime of 0 forgets what was known. */
    ck_assert_int_eq(discovery_cache_put_answer(c, (struct sockaddr *)&a, &answer), 0);
    long_answer.lifetime = 0;
    ck_assert_int_eq(discovery_cache_put_answer(c, (struct sockaddr *)&a, &long_answer), 0);
    ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&a, &port), DISCOVERY_CACHE_MISS);
    discovery_cache_free(c);
}
END_TEST

START_TEST(cache_bounded)
{
    struct discovery_cache *c = discovery_cache_new(4, 1000, 10, fake_clock, NULL);
    struct discovery_answer ans = answer;
    uint16_t port;
    char text[32];

    fake_now = 5000;
    for (int i = 0; i < 4; i++)
    {
        struct sockaddr_in p;
        snprintf(text, sizeof(text), "198.51.100.%d", i);
        p = v4(text, 443);
        ans.lifetime = (uint32_t)(100 + 100 * i);   /* .0 expires first */
        ck_assert_int_eq(discovery_cache_put_answer(c, (struct sockaddr *)&p, &ans), 0);
    }
    ck_assert_uint_eq(discovery_cache_size(c), 4);
    {
        struct sockaddr_in fresh = v4("203.0.113.1", 443), first = v4("198.51.100.0", 443), last = v4("198.51.100.3", 443);
        ck_assert_int_eq(discovery_cache_put_silent(c, (struct sockaddr *)&fresh), 0);
        ck_assert_uint_eq(discovery_cache_size(c), 4);
        ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&first, &port), DISCOVERY_CACHE_MISS);
        ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&last, &port), DISCOVERY_CACHE_TLS);
        ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&fresh, &port), DISCOVERY_CACHE_CLEAR);
    }
    /* An expired entry is replaced before a live one. */
    fake_now = 5015;   /* the silent entry (10 s) is over, the rest live */
    {
        struct sockaddr_in newer = v4("203.0.113.2", 443), second = v4("198.51.100.1", 443);
        ck_assert_int_eq(discovery_cache_put_silent(c, (struct sockaddr *)&newer), 0);
        ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&second, &port), DISCOVERY_CACHE_TLS);
        ck_assert_int_eq(discovery_cache_get(c, (struct sockaddr *)&newer, &port), DISCOVERY_CACHE_CLEAR);
    }
    ck_assert_ptr_null(discovery_cache_new(0, 1, 1, NULL, NULL));
    discovery_cache_free(c);
}
END_TEST

Suite *discovery_suite(void)
{
    Suite *s = suite_create("discovery");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, probe_round_trip);
    tcase_add_test(tc, answer_round_trip);
    tcase_add_test(tc, every_truncation_and_extension);
    tcase_add_test(tc, foreign_and_contradictory_refused);
    tcase_add_test(tc, cache_lifetimes);
    tcase_add_test(tc, cache_bounded);
    suite_add_tcase(s, tc);
    return s;
}
