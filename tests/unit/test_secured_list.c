/* server/secured_list.c: the list the WFP view walks, and the names of
 * charon's algorithms. */
#include <check.h>
#include <string.h>
#include "secsock/proto.h"
#include "../../server/secured_list.h"
#include "unit.h"

static struct secsock_addr v4(uint8_t last, uint16_t port)
{
    struct secsock_addr a;

    memset(&a, 0, sizeof(a));
    a.family = SECSOCK_AF_INET;
    a.addr[0] = 127;
    a.addr[3] = last;
    a.port = port;
    return a;
}

static uint64_t add(const void *owner, struct secsock_addr local, struct secsock_addr remote)
{
    struct secured_info info;

    memset(&info, 0, sizeof(info));
    info.backend = SECSOCK_BACKEND_TLS;
    info.local = local;
    info.remote = remote;
    info.cipher = SECSOCK_ALG_AES_256_GCM;
    strcpy(info.peer_identity, "abcd");
    return secured_list_add(owner, &info);
}

static const struct secsock_msg_secured_entry *next(uint64_t after, struct secsock_addr local, struct secsock_addr remote)
{
    struct secsock_msg_secured_query q;
    const struct secsock_msg *m;

    memset(&q, 0, sizeof(q));
    q.after = after;
    q.local = local;
    q.remote = remote;
    m = secured_list_answer(&q);
    ck_assert_int_eq(m->type, SECSOCK_MSG_SECURED_ENTRY);
    return &m->u.secured_entry;
}

START_TEST(walk_and_match)
{
    static int a, b, c;
    const struct secsock_addr any = { 0 }, mapped = { SECSOCK_AF_INET6, 443, 0,
                                                      { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 2 } };
    uint64_t ia = add(&a, v4(1, 40000), v4(2, 443)), ib = add(&b, v4(1, 40001), v4(2, 443)),
             ic = add(&c, v4(1, 40002), v4(3, 80));

    ck_assert(ia && ib > ia && ic > ib);
    ck_assert_uint_eq(secured_list_count(), 3);
    /* The walk: one entry per request, ascending ids, then id 0. */
    ck_assert_uint_eq(next(0, any, any)->id, ia);
    ck_assert_uint_eq(next(ia, any, any)->id, ib);
    ck_assert_uint_eq(next(ib, any, any)->id, ic);
    ck_assert_uint_eq(next(ic, any, any)->id, 0);
    /* By the ends: exact, port 0 any port, IPv4-mapped as IPv4. */
    ck_assert_uint_eq(next(0, v4(1, 40001), v4(2, 443))->id, ib);
    ck_assert_uint_eq(next(0, any, v4(3, 0))->id, ic);
    ck_assert_uint_eq(next(0, v4(1, 40000), mapped)->id, ia);
    ck_assert_uint_eq(next(0, v4(1, 40000), v4(2, 444))->id, 0);
    ck_assert_str_eq(next(0, v4(1, 40000), any)->peer_identity, "abcd");
    ck_assert_uint_eq(next(0, v4(1, 40000), any)->cipher, SECSOCK_ALG_AES_256_GCM);
    /* Gone with its owner; an owner listed again gets a new id. */
    secured_list_remove(&b);
    ck_assert_uint_eq(next(ia, any, any)->id, ic);
    ck_assert_uint_gt(add(&a, v4(1, 40000), v4(2, 443)), ic);
    ck_assert_uint_eq(secured_list_count(), 2);
    secured_list_remove(&a);
    secured_list_remove(&c);
    secured_list_remove(&c);
    ck_assert_uint_eq(secured_list_count(), 0);
    ck_assert_uint_eq(next(0, any, any)->id, 0);
}
END_TEST

START_TEST(charon_names)
{
    ck_assert_uint_eq(secured_alg_of_charon("AES_GCM_16", "256"), SECSOCK_ALG_AES_256_GCM);
    ck_assert_uint_eq(secured_alg_of_charon("AES_GCM_16", "128"), SECSOCK_ALG_AES_128_GCM);
    ck_assert_uint_eq(secured_alg_of_charon("AES_CBC", "128"), SECSOCK_ALG_AES_128_CBC);
    ck_assert_uint_eq(secured_alg_of_charon("AES_CBC", "192"), SECSOCK_ALG_UNKNOWN);
    ck_assert_uint_eq(secured_alg_of_charon(NULL, NULL), SECSOCK_ALG_UNKNOWN);
    ck_assert_uint_eq(secured_integrity_of_charon("HMAC_SHA2_256_128"), SECSOCK_ALG_SHA_256);
    ck_assert_uint_eq(secured_integrity_of_charon(NULL), SECSOCK_ALG_AEAD);
    ck_assert_uint_eq(secured_integrity_of_charon("AES_XCBC_96"), SECSOCK_ALG_UNKNOWN);
    ck_assert_uint_eq(secured_kx_of_charon("CURVE_25519"), SECSOCK_KX_X25519);
    ck_assert_uint_eq(secured_kx_of_charon("MODP_2048"), SECSOCK_KX_MODP_2048);
    ck_assert_uint_eq(secured_kx_of_charon("MODP_1024"), SECSOCK_KX_UNKNOWN);
}
END_TEST

Suite *secured_list_suite(void)
{
    Suite *s = suite_create("secured_list");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, walk_and_match);
    tcase_add_test(tc, charon_names);
    suite_add_tcase(s, tc);
    return s;
}
