/* The control protocol's codec: every message round-trips, every malformed
 * frame is rejected with its own status. */
#include <check.h>
#include <string.h>
#include "secsock/proto.h"
#include "unit.h"

static int encode(const struct secsock_msg *m, uint8_t *buf, size_t cap)
{
    return secsock_msg_encode(m, buf, cap);
}

static int decode_frame(const uint8_t *buf, size_t len, struct secsock_msg *out)
{
    uint16_t type;
    uint32_t plen;
    int st = secsock_frame_header(buf, len, &type, &plen);
    if (st) return st;
    if (len != SECSOCK_HEADER_LEN + plen) return 99;
    return secsock_msg_decode(type, buf + SECSOCK_HEADER_LEN, plen, out);
}

START_TEST(roundtrip_every_message)
{
    static const uint16_t types[] = {
        SECSOCK_MSG_HELLO, SECSOCK_MSG_HELLO_OK, SECSOCK_MSG_ERROR, SECSOCK_MSG_CONNECT,
        SECSOCK_MSG_CONNECT_VERDICT, SECSOCK_MSG_BIND, SECSOCK_MSG_BIND_VERDICT, SECSOCK_MSG_LISTEN,
        SECSOCK_MSG_LISTEN_VERDICT, SECSOCK_MSG_STATUS, SECSOCK_MSG_STATUS_REPLY, SECSOCK_MSG_ANNOUNCE,
        SECSOCK_MSG_CHALLENGE, SECSOCK_MSG_PROOF,
    };
    uint8_t buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];

    for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
    {
        struct secsock_msg m, back;
        int n;

        memset(&m, 0, sizeof(m));
        m.type = types[i];
        /* Fill the union with a pattern that stays valid: strings and
         * address families are set below per type. */
        switch (m.type)
        {
        case SECSOCK_MSG_HELLO:
            memset(m.u.hello.client_nonce, 0xa5, sizeof(m.u.hello.client_nonce));
            m.u.hello.pid = 0x12345678;
            m.u.hello.proto_version = SECSOCK_PROTO_VERSION;
            break;
        case SECSOCK_MSG_CHALLENGE:
            for (int j = 0; j < SECSOCK_NONCE_LEN; j++) m.u.challenge.server_nonce[j] = (uint8_t)j;
            memset(m.u.challenge.service_proof, 0x5a, sizeof(m.u.challenge.service_proof));
            break;
        case SECSOCK_MSG_PROOF:
            for (int j = 0; j < SECSOCK_PROOF_LEN; j++) m.u.proof.client_proof[j] = (uint8_t)(255 - j);
            break;
        case SECSOCK_MSG_ERROR:
            m.u.error.wsa_error = 10061;
            strcpy(m.u.error.reason, "refused: \xc3\xa9t\xc3\xa9");
            break;
        case SECSOCK_MSG_CONNECT:
            m.u.connect.protocol = 2;
            m.u.connect.flags = 1;
            m.u.connect.ipsec_flags = 0xf;
            m.u.connect.socktype = SECSOCK_SOCK_DGRAM;
            m.u.connect.peer.family = SECSOCK_AF_INET6;
            m.u.connect.peer.port = 65535;
            m.u.connect.peer.scope_id = 7;
            memset(m.u.connect.peer.addr, 0xfe, 16);
            memset(m.u.connect.target_name, 'x', SECSOCK_MAX_STR);
            break;
        case SECSOCK_MSG_STATUS_REPLY:
            m.u.status_reply.requests = 0x1122334455667788ull;
            strcpy(m.u.status_reply.report, "none: available\n");
            break;
        case SECSOCK_MSG_BIND:
            m.u.bind.local.family = SECSOCK_AF_INET;
            m.u.bind.local.port = 27015;
            m.u.bind.local.addr[0] = 127;
            m.u.bind.local.addr[3] = 1;
            break;
        default:
            break;
        }
        n = encode(&m, buf, sizeof(buf));
        ck_assert_int_gt(n, SECSOCK_HEADER_LEN - 1);
        ck_assert_int_eq(decode_frame(buf, (size_t)n, &back), 0);
        ck_assert_int_eq(back.type, m.type);
        ck_assert_mem_eq(&back.u, &m.u, sizeof(m.u));
        ck_assert_str_eq(secsock_msg_name(m.type) ? "named" : "", "named");
    }
}
END_TEST

static int hello_frame(uint8_t *buf)
{
    struct secsock_msg m;
    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_HELLO;
    return encode(&m, buf, SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD);
}

START_TEST(bad_headers)
{
    uint8_t buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    uint16_t type;
    uint32_t len;
    int n = hello_frame(buf);

    ck_assert_int_eq(secsock_frame_header(buf, (size_t)n, &type, &len), 0);
    ck_assert_int_eq(type, SECSOCK_MSG_HELLO);
    ck_assert_int_eq(secsock_frame_header(buf, SECSOCK_HEADER_LEN - 1, &type, &len), SECSOCK_PROTO_ETRUNCATED);
    buf[0] ^= 1;
    ck_assert_int_eq(secsock_frame_header(buf, (size_t)n, &type, &len), SECSOCK_PROTO_EMAGIC);
    buf[0] ^= 1;
    buf[4] = SECSOCK_PROTO_VERSION + 1;
    ck_assert_int_eq(secsock_frame_header(buf, (size_t)n, &type, &len), SECSOCK_PROTO_EVERSION);
    buf[4] = SECSOCK_PROTO_VERSION;
    buf[6] = 200;
    ck_assert_int_eq(secsock_frame_header(buf, (size_t)n, &type, &len), SECSOCK_PROTO_ETYPE);
    buf[6] = 0;
    ck_assert_int_eq(secsock_frame_header(buf, (size_t)n, &type, &len), SECSOCK_PROTO_ETYPE);
    buf[6] = SECSOCK_MSG_HELLO;
    buf[8] = 0x01; buf[9] = 0x10; buf[10] = 0; buf[11] = 0;  /* 4097 */
    ck_assert_int_eq(secsock_frame_header(buf, (size_t)n, &type, &len), SECSOCK_PROTO_ELENGTH);
}
END_TEST

START_TEST(truncated_and_trailing)
{
    uint8_t buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD + 8];
    struct secsock_msg m, out;
    int n;

    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_CONNECT;
    m.u.connect.peer.family = SECSOCK_AF_INET;
    strcpy(m.u.connect.target_name, "host/server.example");
    n = encode(&m, buf, sizeof(buf));
    /* Every shorter payload ends inside a field. */
    for (int cut = 0; cut < n - SECSOCK_HEADER_LEN; cut++)
        ck_assert_int_eq(secsock_msg_decode(SECSOCK_MSG_CONNECT, buf + SECSOCK_HEADER_LEN, (size_t)cut, &out),
                         SECSOCK_PROTO_ETRUNCATED);
    buf[n] = 0;
    ck_assert_int_eq(secsock_msg_decode(SECSOCK_MSG_CONNECT, buf + SECSOCK_HEADER_LEN, (size_t)(n - SECSOCK_HEADER_LEN + 1), &out),
                     SECSOCK_PROTO_ETRAILING);
    ck_assert_int_eq(secsock_msg_decode(SECSOCK_MSG_CONNECT, buf, SECSOCK_MAX_PAYLOAD + 1, &out), SECSOCK_PROTO_ELENGTH);
    ck_assert_int_eq(secsock_msg_decode(77, buf + SECSOCK_HEADER_LEN, 0, &out), SECSOCK_PROTO_ETYPE);
}
END_TEST

START_TEST(bad_strings_and_addresses)
{
    uint8_t buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    struct secsock_msg m, out;
    int n;
    size_t name_off;

    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_CONNECT;
    strcpy(m.u.connect.target_name, "abc");
    n = encode(&m, buf, sizeof(buf));
    /* The string: its length field, then its 3 bytes. */
    name_off = (size_t)((uint8_t *)memmem(buf, (size_t)n, "abc", 3) - buf);
    buf[name_off + 1] = 0;  /* a NUL inside */
    ck_assert_int_eq(secsock_msg_decode(SECSOCK_MSG_CONNECT, buf + SECSOCK_HEADER_LEN, (size_t)n - SECSOCK_HEADER_LEN, &out),
                     SECSOCK_PROTO_ESTRING);
    buf[name_off - 2] = 0x01; buf[name_off - 1] = 0x04;  /* length 1025 */
    ck_assert_int_eq(secsock_msg_decode(SECSOCK_MSG_CONNECT, buf + SECSOCK_HEADER_LEN, (size_t)n - SECSOCK_HEADER_LEN, &out),
                     SECSOCK_PROTO_ESTRING);

    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_CONNECT;
    m.u.connect.peer.family = 5;
    ck_assert_int_eq(encode(&m, buf, sizeof(buf)), SECSOCK_PROTO_EADDR);
    m.u.connect.peer.family = SECSOCK_AF_INET;
    n = encode(&m, buf, sizeof(buf));
    /* protocol, flags, demands, ipsec_flags (16), socktype (1), then the family */
    buf[SECSOCK_HEADER_LEN + 17] = 9;
    ck_assert_int_eq(secsock_msg_decode(SECSOCK_MSG_CONNECT, buf + SECSOCK_HEADER_LEN, (size_t)n - SECSOCK_HEADER_LEN, &out),
                     SECSOCK_PROTO_EADDR);
    ck_assert_int_eq(encode(&m, buf, 20), SECSOCK_PROTO_ESPACE);
    ck_assert_int_eq(encode(&m, buf, 4), SECSOCK_PROTO_ESPACE);
    m.type = 0;
    ck_assert_int_eq(encode(&m, buf, sizeof(buf)), SECSOCK_PROTO_ETYPE);
    ck_assert_ptr_null(secsock_msg_name(0));
    ck_assert_str_eq(secsock_proto_strerror(SECSOCK_PROTO_EMAGIC), "not a secsock control frame");
}
END_TEST

/* Addresses compared by their meaning: a mapped IPv4 address is the IPv4
 * address (so a trust or IPsec entry cannot be dodged by naming a peer
 * ::ffff:a.b.c.d), exact ends compare address and port. */
START_TEST(address_identity)
{
    struct secsock_addr v4 = { SECSOCK_AF_INET, 443, 0, { 192, 0, 2, 7 } }, mapped, other, out;

    memset(&mapped, 0, sizeof(mapped));
    mapped.family = SECSOCK_AF_INET6;
    mapped.port = 443;
    mapped.addr[10] = mapped.addr[11] = 0xff;
    memcpy(mapped.addr + 12, v4.addr, 4);
    out = secsock_addr_unmapped(&mapped);
    ck_assert(secsock_addr_equal(&out, &v4));
    /* Not mapped: as it is (::1, and a v6 address that merely ends alike). */
    other = mapped;
    other.addr[10] = 0;
    out = secsock_addr_unmapped(&other);
    ck_assert(secsock_addr_equal(&out, &other));
    out = secsock_addr_unmapped(&v4);
    ck_assert(secsock_addr_equal(&out, &v4));
    /* Exact ends: another port or another loopback address is another end. */
    other = v4;
    other.port = 444;
    ck_assert(!secsock_addr_equal(&other, &v4));
    other = v4;
    other.addr[3] = 8;
    ck_assert(!secsock_addr_equal(&other, &v4));
    ck_assert(!secsock_addr_equal(&mapped, &v4));
}
END_TEST

Suite *proto_suite(void)
{
    Suite *s = suite_create("proto");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, roundtrip_every_message);
    tcase_add_test(tc, bad_headers);
    tcase_add_test(tc, truncated_and_trailing);
    tcase_add_test(tc, bad_strings_and_addresses);
    tcase_add_test(tc, address_identity);
    suite_add_tcase(s, tc);
    return s;
}
