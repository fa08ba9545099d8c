/* The decoders of the structs programs pass to the security ioctls. */
#include <check.h>
#include <string.h>
#include "secsock/settings.h"
#include "secsock/wsaerr.h"
#include "unit.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
}

START_TEST(plain_settings)
{
    uint8_t b[8];
    struct secsock_settings s;

    ck_assert_int_eq(secsock_settings_decode(NULL, 0, &s), 0);
    ck_assert_int_eq(s.protocol, 0);
    ck_assert_int_eq(s.flags, 0);
    ck_assert_int_eq(secsock_settings_decode(NULL, 8, &s), SECSOCK_WSAEFAULT);
    put32(b, 0); put32(b + 4, 1);
    ck_assert_int_eq(secsock_settings_decode(b, 7, &s), SECSOCK_WSAEMSGSIZE);
    ck_assert_int_eq(secsock_settings_decode(b, 8, &s), 0);
    ck_assert_int_eq(s.flags, 1);
    put32(b + 4, 2);
    ck_assert_int_eq(secsock_settings_decode(b, 8, &s), 0);
    put32(b + 4, 3);
    ck_assert_int_eq(secsock_settings_decode(b, 8, &s), SECSOCK_WSAEINVAL);
    put32(b + 4, 4);
    ck_assert_int_eq(secsock_settings_decode(b, 8, &s), SECSOCK_WSAEINVAL);
    put32(b + 4, 0);
    for (uint32_t p = 0; p < 3; p++)
    {
        put32(b, p);
        ck_assert_int_eq(secsock_settings_decode(b, 8, &s), 0);
        ck_assert_int_eq(s.protocol, p);
        ck_assert_int_eq(s.has_ipsec, 0);
    }
    put32(b, 3);
    ck_assert_int_eq(secsock_settings_decode(b, 8, &s), SECSOCK_WSAEINVAL);
    put32(b, 0xffffffff);
    ck_assert_int_eq(secsock_settings_decode(b, 8, &s), SECSOCK_WSAEINVAL);
}
END_TEST

START_TEST(ipsec_settings)
{
    uint8_t b[88 + 64];
    struct secsock_settings s;

    memset(b, 0, sizeof(b));
    put32(b, 1);
    put32(b + 4, 1);
    put32(b + 8, 0xf);
    b[12] = 0x11;
    b[28] = 0x22;
    ck_assert_int_eq(secsock_settings_decode(b, 9, &s), SECSOCK_WSAEMSGSIZE);
    ck_assert_int_eq(secsock_settings_decode(b, 87, &s), SECSOCK_WSAEMSGSIZE);
    ck_assert_int_eq(secsock_settings_decode(b, 88, &s), 0);
    ck_assert_int_eq(s.has_ipsec, 1);
    ck_assert_int_eq(s.ipsec_flags, 0xf);
    ck_assert_int_eq(s.mm_policy_key[0], 0x11);
    ck_assert_int_eq(s.qm_policy_key[0], 0x22);
    put32(b + 8, 0x10);
    ck_assert_int_eq(secsock_settings_decode(b, 88, &s), SECSOCK_WSAEINVAL);
    put32(b + 8, 0);
    /* user "ab" (4 bytes), domain "c" (2), password 2 bytes */
    put32(b + 72, 4); put32(b + 76, 2); put32(b + 80, 2);
    put16(b + 84, 'a'); put16(b + 86, 'b'); put16(b + 88, 'c'); put16(b + 90, 'p');
    ck_assert_int_eq(secsock_settings_decode(b, 92, &s), 0);
    ck_assert_str_eq(s.user, "ab");
    ck_assert_str_eq(s.domain, "c");
    ck_assert_int_eq(s.password_len, 2);
    ck_assert_int_eq(secsock_settings_decode(b, 91, &s), SECSOCK_WSAEMSGSIZE);
    put32(b + 72, 3);
    ck_assert_int_eq(secsock_settings_decode(b, 92, &s), SECSOCK_WSAEINVAL);
    put32(b + 72, 0xfffffffe); /* overflow attempt */
    ck_assert_int_eq(secsock_settings_decode(b, sizeof(b), &s), SECSOCK_WSAEMSGSIZE);
    /* DEFAULT never reads past the plain struct. */
    put32(b, 0);
    ck_assert_int_eq(secsock_settings_decode(b, sizeof(b), &s), 0);
    ck_assert_int_eq(s.has_ipsec, 0);
}
END_TEST

START_TEST(sockaddrs)
{
    uint8_t b[28];
    struct secsock_addr a;
    uint8_t out[28];

    memset(b, 0, sizeof(b));
    ck_assert_int_eq(secsock_sockaddr_decode(NULL, 16, &a), SECSOCK_WSAEFAULT);
    put16(b, 2); b[2] = 0x69; b[3] = 0x87; b[4] = 127; b[7] = 1;
    ck_assert_int_eq(secsock_sockaddr_decode(b, 15, &a), SECSOCK_WSAEMSGSIZE);
    ck_assert_int_eq(secsock_sockaddr_decode(b, 1, &a), SECSOCK_WSAEMSGSIZE);
    ck_assert_int_eq(secsock_sockaddr_decode(b, 16, &a), 0);
    ck_assert_int_eq(a.family, SECSOCK_AF_INET);
    ck_assert_int_eq(a.port, 27015);
    ck_assert_int_eq(a.addr[0], 127);
    ck_assert_uint_eq(secsock_sockaddr_encode(&a, out, sizeof(out)), 16);
    ck_assert_mem_eq(out, b, 16);
    ck_assert_uint_eq(secsock_sockaddr_encode(&a, out, 15), 0);
    memset(b, 0, sizeof(b));
    put16(b, 23); b[2] = 0x69; b[3] = 0x87; b[8] = 0xfe; b[23] = 1; put32(b + 24, 5);
    ck_assert_int_eq(secsock_sockaddr_decode(b, 27, &a), SECSOCK_WSAEMSGSIZE);
    ck_assert_int_eq(secsock_sockaddr_decode(b, 28, &a), 0);
    ck_assert_int_eq(a.family, SECSOCK_AF_INET6);
    ck_assert_int_eq(a.scope_id, 5);
    ck_assert_uint_eq(secsock_sockaddr_encode(&a, out, sizeof(out)), 28);
    ck_assert_mem_eq(out, b, 28);
    put16(b, 6);
    ck_assert_int_eq(secsock_sockaddr_decode(b, 28, &a), SECSOCK_WSAEAFNOSUPPORT);
}
END_TEST

/* A SOCKET_PEER_TARGET_NAME of 140 + 2 * units bytes (+ extra). */
static size_t target(uint8_t *b, uint32_t protocol, uint16_t family, uint16_t port, const char *name,
                     uint32_t string_len, size_t extra)
{
    size_t n = strlen(name);
    memset(b, 0, 144 + 2 * n + extra);
    put32(b, protocol);
    put16(b + 8, family);
    b[10] = (uint8_t)(port >> 8); b[11] = (uint8_t)port;
    if (family == 2) b[12] = 10;
    put32(b + 136, string_len);
    for (size_t i = 0; i < n; i++) put16(b + 140 + 2 * i, (uint16_t)(unsigned char)name[i]);
    return 140 + 2 * n + extra;
}

START_TEST(target_names)
{
    uint8_t b[4096];
    struct secsock_target t;
    size_t len;

    ck_assert_int_eq(secsock_target_decode(NULL, 200, 0, &t), SECSOCK_WSAEFAULT);
    len = target(b, 0, 0, 0, "host/srv", 8, 4);  /* the sample: characters, sizeof + 2n */
    ck_assert_int_eq(secsock_target_decode(b, len, 0, &t), 0);
    ck_assert_str_eq(t.name, "host/srv");
    len = target(b, 1, 0, 0, "host/srv", 16, 0); /* documented: bytes, 140 + 2n */
    ck_assert_int_eq(secsock_target_decode(b, len, 0, &t), 0);
    ck_assert_str_eq(t.name, "host/srv");
    ck_assert_int_eq(secsock_target_decode(b, 139, 0, &t), SECSOCK_WSAEMSGSIZE);
    len = target(b, 0, 0, 0, "host/srv", 100, 0);
    ck_assert_int_eq(secsock_target_decode(b, len, 0, &t), SECSOCK_WSAEMSGSIZE);
    len = target(b, 0, 0, 0, "host/srv", 0, 0);
    ck_assert_int_eq(secsock_target_decode(b, len, 0, &t), SECSOCK_WSAEINVAL);
    len = target(b, 3, 0, 0, "host/srv", 8, 0);
    ck_assert_int_eq(secsock_target_decode(b, len, 0, &t), SECSOCK_WSAEINVAL);
    /* UDP: an address with IP and port is required. */
    len = target(b, 0, 0, 0, "host/srv", 8, 0);
    ck_assert_int_eq(secsock_target_decode(b, len, 1, &t), SECSOCK_WSAEINVAL);
    len = target(b, 0, 2, 500, "host/srv", 8, 0);
    ck_assert_int_eq(secsock_target_decode(b, len, 1, &t), 0);
    ck_assert_int_eq(t.peer.port, 500);
    len = target(b, 0, 6, 500, "host/srv", 8, 0);
    ck_assert_int_eq(secsock_target_decode(b, len, 1, &t), SECSOCK_WSAEAFNOSUPPORT);
    /* A name of only NULs, and one over the limit. */
    len = target(b, 0, 0, 0, "", 2, 8);
    ck_assert_int_eq(secsock_target_decode(b, len, 0, &t), SECSOCK_WSAEINVAL);
    {
        static char big[1100];
        memset(big, 'a', 1025);
        len = target(b, 0, 0, 0, big, 1025, 0);
        ck_assert_int_eq(secsock_target_decode(b, len, 0, &t), SECSOCK_WSAEINVAL);
    }
}
END_TEST

START_TEST(templates)
{
    uint8_t b[152];
    struct secsock_query_template t;

    memset(b, 0, sizeof(b));
    ck_assert_int_eq(secsock_template_decode(NULL, 0, 0, &t), 0);
    ck_assert_int_eq(secsock_template_decode(NULL, 0, 1, &t), SECSOCK_WSAEMSGSIZE);
    ck_assert_int_eq(secsock_template_decode(NULL, 4, 0, &t), SECSOCK_WSAEFAULT);
    ck_assert_int_eq(secsock_template_decode(b, 143, 0, &t), SECSOCK_WSAEMSGSIZE);
    ck_assert_int_eq(secsock_template_decode(b, 143, 1, &t), SECSOCK_WSAEMSGSIZE);
    ck_assert_int_eq(secsock_template_decode(b, 144, 0, &t), 0);
    ck_assert_int_eq(secsock_template_decode(b, 144, 1, &t), SECSOCK_WSAEINVAL);
    put16(b + 8, 2); b[11] = 80;
    ck_assert_int_eq(secsock_template_decode(b, 144, 1, &t), 0);
    put32(b + 136, 0x20008);
    ck_assert_int_eq(secsock_template_decode(b, 144, 0, &t), 0);
    ck_assert_int_eq(t.token_access_mask, 0x20008);
    put32(b, 2); put32(b + 140, 1); put32(b + 144, 3);
    ck_assert_int_eq(secsock_template_decode(b, 152, 0, &t), 0);
    ck_assert_int_eq(t.ipsec2, 1);
    ck_assert_int_eq(t.field_mask, 3);
    put32(b + 144, 4);
    ck_assert_int_eq(secsock_template_decode(b, 152, 0, &t), SECSOCK_WSAEINVAL);
    put32(b, 3);
    ck_assert_int_eq(secsock_template_decode(b, 152, 0, &t), SECSOCK_WSAEINVAL);
}
END_TEST

START_TEST(utf16)
{
    uint8_t s[8];
    char out[16];

    put16(s, 0xd83d); put16(s + 2, 0xde00);  /* U+1F600 */
    ck_assert_int_eq(secsock_utf16_to_utf8(s, 2, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "\xf0\x9f\x98\x80");
    ck_assert_int_eq(secsock_utf16_to_utf8(s, 1, out, sizeof(out)), -1);  /* lone high surrogate */
    put16(s, 0xde00);
    ck_assert_int_eq(secsock_utf16_to_utf8(s, 1, out, sizeof(out)), -1);  /* lone low surrogate */
    put16(s, 0xe9); put16(s + 2, 0x20ac);
    ck_assert_int_eq(secsock_utf16_to_utf8(s, 2, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "\xc3\xa9\xe2\x82\xac");
    ck_assert_int_eq(secsock_utf16_to_utf8(s, 2, out, 5), -1);  /* no room for the NUL */
    put16(s, 0);
    ck_assert_int_eq(secsock_utf16_to_utf8(s, 1, out, sizeof(out)), -1);
}
END_TEST

Suite *settings_suite(void)
{
    Suite *s = suite_create("settings");
    TCase *tc = tcase_create("decoders");
    tcase_add_test(tc, plain_settings);
    tcase_add_test(tc, ipsec_settings);
    tcase_add_test(tc, sockaddrs);
    tcase_add_test(tc, target_names);
    tcase_add_test(tc, templates);
    tcase_add_test(tc, utf16);
    suite_add_tcase(s, tc);
    return s;
}
