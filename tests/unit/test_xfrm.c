/* XFRM netlink messages: what the builders produce, and what the decoders
 * accept and refuse.  (tests/integration/xfrm_netns runs them against the
 * kernel.) */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include "unix/xfrm.h"
#include "unix/xfrm_msg.h"
#include "unit.h"

static struct secsock_xfrm_conn sample_conn(int family, uint8_t protocol, enum secsock_xfrm_level level)
{
    struct secsock_xfrm_conn c;

    memset(&c, 0, sizeof(c));
    c.tuple.family = family;
    c.tuple.protocol = protocol;
    if (family == AF_INET)
    {
        inet_pton(AF_INET, "192.0.2.10", c.tuple.local_addr);
        inet_pton(AF_INET, "198.51.100.20", c.tuple.remote_addr);
    }
    else
    {
        inet_pton(AF_INET6, "2001:db8::10", c.tuple.local_addr);
        inet_pton(AF_INET6, "2001:db8:1::20", c.tuple.remote_addr);
    }
    c.tuple.local_port = 50123;
    c.tuple.remote_port = 443;
    c.level = level;
    c.slot = 4242;
    return c;
}

static struct nlmsghdr header_of(const uint8_t *buf)
{
    struct nlmsghdr h;
    memcpy(&h, buf, sizeof(h));
    return h;
}

START_TEST(owner_tag)
{
    uint32_t slot = 0;

    for (uint8_t dir = 0; dir < 2; dir++)
    {
        uint32_t index = secsock_xfrm_index(SECSOCK_XFRM_SLOT_MAX, dir);
        ck_assert_uint_eq(index & 7, dir);   /* the kernel refuses any other low bits */
        ck_assert_uint_eq(index >> 24, SECSOCK_XFRM_INDEX_TAG);
        ck_assert(secsock_xfrm_is_ours(index, SECSOCK_XFRM_PRIORITY, &slot));
        ck_assert_uint_eq(slot, SECSOCK_XFRM_SLOT_MAX);
        ck_assert(!secsock_xfrm_is_ours(index, SECSOCK_XFRM_PRIORITY + 1, NULL));
    }
    ck_assert(secsock_xfrm_is_ours(secsock_xfrm_index(0, 1), SECSOCK_XFRM_PRIORITY, &slot));
    ck_assert_uint_eq(slot, 0);
    /* Indexes the kernel hands out itself (steps of 8 from 0) are not ours. */
    ck_assert(!secsock_xfrm_is_ours(8 | 1, SECSOCK_XFRM_PRIORITY, NULL));
    ck_assert(!secsock_xfrm_is_ours(0x5b000001, SECSOCK_XFRM_PRIORITY, NULL));
}
END_TEST

START_TEST(selector_directions)
{
    struct secsock_xfrm_conn c = sample_conn(AF_INET, IPPROTO_TCP, SECSOCK_XFRM_REQUIRED);
    struct secsock_xfrm_selector out, in;

    ck_assert_int_eq(secsock_xfrm_selector_for(&c.tuple, SECSOCK_XFRM_DIR_OUT, &out), 0);
    ck_assert_int_eq(secsock_xfrm_selector_for(&c.tuple, SECSOCK_XFRM_DIR_IN, &in), 0);
    ck_assert_mem_eq(out.src, c.tuple.local_addr, 4);
    ck_assert_mem_eq(out.dst, c.tuple.remote_addr, 4);
    ck_assert_mem_eq(in.src, c.tuple.remote_addr, 4);
    ck_assert_mem_eq(in.dst, c.tuple.local_addr, 4);
    ck_assert_uint_eq(out.src_port, 50123);
    ck_assert_uint_eq(out.dst_port, 443);
    ck_assert_uint_eq(in.src_port, 443);
    ck_assert_uint_eq(in.dst_port, 50123);
    ck_assert_uint_eq(out.src_prefix, 32);
    ck_assert_uint_eq(out.src_port_mask, 0xffff);
    /* A remote port of 0 (a listener's unknown peer) means any port. */
    c.tuple.remote_port = 0;
    ck_assert_int_eq(secsock_xfrm_selector_for(&c.tuple, SECSOCK_XFRM_DIR_OUT, &out), 0);
    ck_assert_uint_eq(out.dst_port_mask, 0);
    ck_assert_uint_eq(out.src_port_mask, 0xffff);

    c.tuple.protocol = IPPROTO_ICMP;
    ck_assert_int_eq(secsock_xfrm_selector_for(&c.tuple, SECSOCK_XFRM_DIR_OUT, &out), -EINVAL);
    c.tuple.protocol = IPPROTO_UDP;
    c.tuple.family = AF_UNIX;
    ck_assert_int_eq(secsock_xfrm_selector_for(&c.tuple, SECSOCK_XFRM_DIR_OUT, &out), -EINVAL);
    c.tuple.family = AF_INET;
    ck_assert_int_eq(secsock_xfrm_selector_for(&c.tuple, 2 /* fwd */, &out), -EINVAL);
}
END_TEST

/* Builds a connection's policy and reads it back with the decoder. */
static void check_policy_round_trip(int family, uint8_t protocol, enum secsock_xfrm_level level, uint8_t dir)
{
    struct secsock_xfrm_conn c = sample_conn(family, protocol, level);
    struct secsock_xfrm_selector want;
    struct secsock_xfrm_policy_view view;
    struct secsock_xfrm_nlmsg msg;
    uint8_t buf[SECSOCK_XFRM_MSG_MAX];
    size_t len = secsock_xfrm_build_policy_add(buf, sizeof(buf), &c, dir, 99), offset = 0;
    struct nlmsghdr h = header_of(buf);

    ck_assert_uint_gt(len, sizeof(struct xfrm_userpolicy_info));
    ck_assert_uint_eq(h.nlmsg_len, len);
    ck_assert_uint_eq(h.nlmsg_type, XFRM_MSG_NEWPOLICY);
    ck_assert_uint_eq(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    ck_assert_uint_eq(h.nlmsg_seq, 99);
    ck_assert_int_eq(secsock_xfrm_next_msg(buf, len, &offset, &msg), 1);
    ck_assert_uint_eq(offset, len);
    ck_assert_int_eq(secsock_xfrm_decode_policy(msg.payload, msg.payload_len, &view), 0);
    ck_assert_int_eq(secsock_xfrm_selector_for(&c.tuple, dir, &want), 0);
    ck_assert_int_eq(view.sel.family, family);
    ck_assert_uint_eq(view.sel.protocol, protocol);
    ck_assert_mem_eq(view.sel.src, want.src, 16);
    ck_assert_mem_eq(view.sel.dst, want.dst, 16);
    ck_assert_uint_eq(view.sel.src_port, want.src_port);
    ck_assert_uint_eq(view.sel.dst_port, want.dst_port);
    ck_assert_uint_eq(view.sel.src_prefix, family == AF_INET ? 32 : 128);
    ck_assert_uint_eq(view.index, secsock_xfrm_index(4242, dir));
    ck_assert_uint_eq(view.priority, SECSOCK_XFRM_PRIORITY);
    ck_assert_uint_eq(view.dir, dir);
    ck_assert_uint_eq(view.action, XFRM_POLICY_ALLOW);
    ck_assert_uint_eq(view.tmpl_count, 1);
    ck_assert_uint_eq(view.tmpl_proto, IPPROTO_ESP);
    ck_assert_uint_eq(view.tmpl_mode, XFRM_MODE_TRANSPORT);
    ck_assert_uint_eq(view.tmpl_optional, level == SECSOCK_XFRM_OPTIONAL);
    /* Every buffer too small for it is refused, never overrun. */
    for (size_t cap = 0; cap < len; cap++)
        ck_assert_uint_eq(secsock_xfrm_build_policy_add(buf, cap, &c, dir, 99), 0);
}

START_TEST(policy_add_messages)
{
    check_policy_round_trip(AF_INET, IPPROTO_TCP, SECSOCK_XFRM_REQUIRED, SECSOCK_XFRM_DIR_OUT);
    check_policy_round_trip(AF_INET, IPPROTO_UDP, SECSOCK_XFRM_OPTIONAL, SECSOCK_XFRM_DIR_IN);
    check_policy_round_trip(AF_INET6, IPPROTO_TCP, SECSOCK_XFRM_OPTIONAL, SECSOCK_XFRM_DIR_OUT);
    check_policy_round_trip(AF_INET6, IPPROTO_UDP, SECSOCK_XFRM_REQUIRED, SECSOCK_XFRM_DIR_IN);
}
END_TEST

START_TEST(policy_add_refuses_bad_input)
{
    struct secsock_xfrm_conn c = sample_conn(AF_INET, IPPROTO_TCP, SECSOCK_XFRM_REQUIRED);
    uint8_t buf[SECSOCK_XFRM_MSG_MAX];

    c.slot = SECSOCK_XFRM_SLOT_MAX + 1;
    ck_assert_uint_eq(secsock_xfrm_build_policy_add(buf, sizeof(buf), &c, SECSOCK_XFRM_DIR_OUT, 1), 0);
    c.slot = 1;
    c.level = 7;
    ck_assert_uint_eq(secsock_xfrm_build_policy_add(buf, sizeof(buf), &c, SECSOCK_XFRM_DIR_OUT, 1), 0);
    c.level = SECSOCK_XFRM_REQUIRED;
    ck_assert_uint_eq(secsock_xfrm_build_policy_add(buf, sizeof(buf), &c, 2, 1), 0);
    ck_assert_uint_gt(secsock_xfrm_build_policy_add(buf, sizeof(buf), &c, SECSOCK_XFRM_DIR_OUT, 1), 0);
}
END_TEST

START_TEST(by_index_and_dump_messages)
{
    uint8_t buf[SECSOCK_XFRM_MSG_MAX];
    struct xfrm_userpolicy_id id;
    size_t len = secsock_xfrm_build_policy_by_index(buf, sizeof(buf), XFRM_MSG_DELPOLICY,
                                                    secsock_xfrm_index(3, 1), 1, 7);
    struct nlmsghdr h = header_of(buf);

    ck_assert_uint_eq(len, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(id)));
    ck_assert_uint_eq(h.nlmsg_type, XFRM_MSG_DELPOLICY);
    ck_assert_uint_eq(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
    memcpy(&id, buf + NLMSG_HDRLEN, sizeof(id));
    ck_assert_uint_eq(id.index, secsock_xfrm_index(3, 1));
    ck_assert_uint_eq(id.dir, 1);
    /* A get has a reply of its own and no acknowledgement. */
    len = secsock_xfrm_build_policy_by_index(buf, sizeof(buf), XFRM_MSG_GETPOLICY, 8, 0, 7);
    ck_assert_uint_eq(header_of(buf).nlmsg_flags, NLM_F_REQUEST);
    ck_assert_uint_eq(secsock_xfrm_build_policy_by_index(buf, sizeof(buf), XFRM_MSG_NEWSA, 8, 0, 7), 0);

    len = secsock_xfrm_build_dump(buf, sizeof(buf), XFRM_MSG_GETSA, 5);
    h = header_of(buf);
    ck_assert_uint_eq(len, NLMSG_HDRLEN);
    ck_assert_uint_eq(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
    ck_assert_uint_eq(secsock_xfrm_build_dump(buf, sizeof(buf), XFRM_MSG_NEWPOLICY, 5), 0);
    ck_assert_uint_eq(secsock_xfrm_build_dump(buf, NLMSG_HDRLEN - 1, XFRM_MSG_GETSA, 5), 0);
}
END_TEST

/* Finds attribute type in the attributes that follow fixed bytes of payload. */
static const uint8_t *find_attr(const uint8_t *payload, size_t len, size_t fixed, uint16_t type, size_t *attr_len)
{
    for (size_t at = NLMSG_ALIGN(fixed); at + NLA_HDRLEN <= len;)
    {
        struct nlattr a;
        memcpy(&a, payload + at, sizeof(a));
        if (a.nla_len < NLA_HDRLEN) return NULL;
        if (a.nla_type == type) { *attr_len = a.nla_len - NLA_HDRLEN; return payload + at + NLA_HDRLEN; }
        at += NLA_ALIGN(a.nla_len);
    }
    return NULL;
}

START_TEST(esp_probe_messages)
{
    static const uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 192, 0, 2, 2 };
    uint8_t buf[SECSOCK_XFRM_MSG_MAX], key[SECSOCK_XFRM_PROBE_KEY_LEN];
    struct secsock_xfrm_sa_view sa;
    struct xfrm_usersa_id id;
    struct xfrm_algo crypt;
    struct xfrm_algo_auth auth;
    const uint8_t *attr;
    size_t len, alen = 0;

    for (size_t i = 0; i < sizeof(key); i++) key[i] = (uint8_t)i;
    len = secsock_xfrm_build_esp_sa(buf, sizeof(buf), AF_INET, src, dst, 0x5ec50001, key, 3);
    ck_assert_uint_gt(len, 0);
    ck_assert_uint_eq(header_of(buf).nlmsg_type, XFRM_MSG_NEWSA);
    ck_assert_int_eq(secsock_xfrm_decode_sa(buf + NLMSG_HDRLEN, len - NLMSG_HDRLEN, &sa), 0);
    ck_assert_uint_eq(sa.spi, 0x5ec50001);
    ck_assert_uint_eq(sa.proto, IPPROTO_ESP);
    ck_assert_uint_eq(sa.mode, XFRM_MODE_TRANSPORT);
    ck_assert_int_eq(sa.family, AF_INET);
    ck_assert_mem_eq(sa.src, src, 4);
    ck_assert_mem_eq(sa.dst, dst, 4);
    attr = find_attr(buf + NLMSG_HDRLEN, len - NLMSG_HDRLEN, sizeof(struct xfrm_usersa_info), XFRMA_ALG_CRYPT, &alen);
    ck_assert_ptr_nonnull(attr);
    ck_assert_uint_eq(alen, sizeof(crypt) + 16);
    memcpy(&crypt, attr, sizeof(crypt));
    ck_assert_str_eq(crypt.alg_name, "cbc(aes)");
    ck_assert_uint_eq(crypt.alg_key_len, 128);
    ck_assert_mem_eq(attr + sizeof(crypt), key, 16);
    attr = find_attr(buf + NLMSG_HDRLEN, len - NLMSG_HDRLEN, sizeof(struct xfrm_usersa_info), XFRMA_ALG_AUTH_TRUNC,
                     &alen);
    ck_assert_ptr_nonnull(attr);
    memcpy(&auth, attr, sizeof(auth));
    ck_assert_str_eq(auth.alg_name, "hmac(sha256)");
    ck_assert_uint_eq(auth.alg_trunc_len, 128);
    ck_assert_mem_eq(attr + sizeof(auth), key + 16, 32);
    ck_assert_uint_eq(secsock_xfrm_build_esp_sa(buf, sizeof(buf), AF_UNIX, src, dst, 1, key, 3), 0);

    len = secsock_xfrm_build_sa_del(buf, sizeof(buf), AF_INET, dst, 0x5ec50001, IPPROTO_ESP, 4);
    ck_assert_uint_eq(header_of(buf).nlmsg_type, XFRM_MSG_DELSA);
    memcpy(&id, buf + NLMSG_HDRLEN, sizeof(id));
    ck_assert_uint_eq(ntohl(id.spi), 0x5ec50001);
    ck_assert_uint_eq(id.proto, IPPROTO_ESP);
    ck_assert_mem_eq(&id.daddr, dst, 4);
}
END_TEST

/* A datagram of messages, as the kernel would send them. */
static size_t put_msg(uint8_t *buf, size_t at, uint16_t type, const void *payload, size_t len)
{
    struct nlmsghdr h = { (uint32_t)(NLMSG_HDRLEN + len), type, 0, 1, 0 };

    memset(buf + at, 0, NLMSG_ALIGN(h.nlmsg_len));
    memcpy(buf + at, &h, sizeof(h));
    memcpy(buf + at + NLMSG_HDRLEN, payload, len);
    return at + NLMSG_ALIGN(h.nlmsg_len);
}

START_TEST(message_walk_bounds)
{
    uint8_t buf[256];
    struct secsock_xfrm_nlmsg msg;
    struct nlmsghdr h;
    int ack = 0, eexist = -EEXIST, error = 1;
    size_t len = put_msg(buf, 0, NLMSG_ERROR, &ack, sizeof(ack)), offset = 0;

    len = put_msg(buf, len, NLMSG_ERROR, &eexist, 3);   /* 3 bytes: too short for an errno */
    ck_assert_int_eq(secsock_xfrm_next_msg(buf, len, &offset, &msg), 1);
    ck_assert_int_eq(secsock_xfrm_decode_error(msg.payload, msg.payload_len, &error), 0);
    ck_assert_int_eq(error, 0);
    ck_assert_int_eq(secsock_xfrm_next_msg(buf, len, &offset, &msg), 1);
    ck_assert_int_eq(secsock_xfrm_decode_error(msg.payload, msg.payload_len, &error), -EBADMSG);
    ck_assert_int_eq(secsock_xfrm_next_msg(buf, len, &offset, &msg), 0);

    len = put_msg(buf, 0, NLMSG_ERROR, &eexist, sizeof(eexist));
    offset = 0;
    ck_assert_int_eq(secsock_xfrm_next_msg(buf, len, &offset, &msg), 1);
    ck_assert_int_eq(secsock_xfrm_decode_error(msg.payload, msg.payload_len, &error), 0);
    ck_assert_int_eq(error, -EEXIST);
    error = 5;   /* a positive errno is not one the kernel sends */
    memcpy(buf + NLMSG_HDRLEN, &error, sizeof(error));
    ck_assert_int_eq(secsock_xfrm_decode_error(buf + NLMSG_HDRLEN, sizeof(error), &error), -EBADMSG);

    /* Headers that do not fit what was received. */
    for (size_t cut = 1; cut < len; cut++)
    {
        offset = 0;
        ck_assert_int_eq(secsock_xfrm_next_msg(buf, cut, &offset, &msg), -EBADMSG);
    }
    memcpy(&h, buf, sizeof(h));
    h.nlmsg_len = NLMSG_HDRLEN - 1;
    memcpy(buf, &h, sizeof(h));
    offset = 0;
    ck_assert_int_eq(secsock_xfrm_next_msg(buf, len, &offset, &msg), -EBADMSG);
    /* The last message may come without its padding; the walk still ends. */
    len = put_msg(buf, 0, NLMSG_ERROR, &eexist, 1);
    offset = 0;
    ck_assert_int_eq(secsock_xfrm_next_msg(buf, NLMSG_HDRLEN + 1, &offset, &msg), 1);
    ck_assert_uint_eq(offset, NLMSG_HDRLEN + 1);
    ck_assert_int_eq(secsock_xfrm_next_msg(buf, NLMSG_HDRLEN + 1, &offset, &msg), 0);
}
END_TEST

START_TEST(policy_decoder_bounds)
{
    struct secsock_xfrm_conn c = sample_conn(AF_INET6, IPPROTO_UDP, SECSOCK_XFRM_REQUIRED);
    struct secsock_xfrm_policy_view view;
    uint8_t buf[SECSOCK_XFRM_MSG_MAX], *payload = buf + NLMSG_HDRLEN;
    size_t len = secsock_xfrm_build_policy_add(buf, sizeof(buf), &c, SECSOCK_XFRM_DIR_OUT, 1) - NLMSG_HDRLEN;
    size_t fixed = NLMSG_ALIGN(sizeof(struct xfrm_userpolicy_info));
    struct nlattr a;

    for (size_t cut = 0; cut < len; cut++)
    {
        int rc = secsock_xfrm_decode_policy(payload, cut, &view);
        if (cut < sizeof(struct xfrm_userpolicy_info)) ck_assert_int_eq(rc, -EBADMSG);
        /* Less than an attribute header after the fixed part: nothing more to read. */
        else if (cut < fixed + NLA_HDRLEN) ck_assert_int_eq(rc, 0);
        /* A cut attribute is a malformed message. */
        else ck_assert_int_eq(rc, -EBADMSG);
    }
    ck_assert_int_eq(secsock_xfrm_decode_policy(payload, len, &view), 0);
    ck_assert_uint_eq(view.tmpl_count, 1);
    /* A template attribute that is not a whole number of templates. */
    memcpy(&a, payload + fixed, sizeof(a));
    a.nla_len -= 4;
    memcpy(payload + fixed, &a, sizeof(a));
    ck_assert_int_eq(secsock_xfrm_decode_policy(payload, len, &view), -EBADMSG);
    /* An attribute length below its own header. */
    a.nla_len = 2;
    memcpy(payload + fixed, &a, sizeof(a));
    ck_assert_int_eq(secsock_xfrm_decode_policy(payload, len, &view), -EBADMSG);
    /* Other attributes are skipped. */
    a.nla_len = NLA_HDRLEN + 4;
    a.nla_type = XFRMA_IF_ID;
    memcpy(payload + fixed, &a, sizeof(a));
    ck_assert_int_eq(secsock_xfrm_decode_policy(payload, fixed + NLA_HDRLEN + 4, &view), 0);
    ck_assert_uint_eq(view.tmpl_count, 0);
}
END_TEST

START_TEST(events_decoded)
{
    struct {
        struct xfrm_user_acquire acq;
        struct nlattr a;
        struct xfrm_user_tmpl tmpl;
    } acquire;
    struct xfrm_user_expire expire;
    struct xfrm_user_polexpire polexpire;
    struct secsock_xfrm_event ev;
    uint8_t copy[sizeof(acquire) + 1];
    size_t acquire_len;   /* without the struct's trailing padding, as the kernel sends it */

    ck_assert_uint_eq(offsetof(__typeof__(acquire), a), NLMSG_ALIGN(sizeof(struct xfrm_user_acquire)));
    memset(&acquire, 0, sizeof(acquire));
    acquire.acq.id.proto = IPPROTO_ESP;
    inet_pton(AF_INET, "198.51.100.20", &acquire.acq.id.daddr);
    inet_pton(AF_INET, "192.0.2.10", &acquire.acq.saddr);
    acquire.acq.sel.family = AF_INET;
    acquire.acq.sel.proto = IPPROTO_TCP;
    acquire.acq.sel.sport = htons(50123);
    acquire.acq.sel.dport = htons(443);
    acquire.acq.policy.index = secsock_xfrm_index(4242, XFRM_POLICY_OUT);
    acquire.acq.policy.priority = SECSOCK_XFRM_PRIORITY;
    acquire.acq.policy.dir = XFRM_POLICY_OUT;
    acquire.acq.seq = 31337;
    acquire.a.nla_len = NLA_HDRLEN + sizeof(acquire.tmpl);
    acquire.a.nla_type = XFRMA_TMPL;
    acquire.tmpl.id.proto = IPPROTO_ESP;
    acquire.tmpl.mode = XFRM_MODE_TRANSPORT;
    acquire_len = offsetof(__typeof__(acquire), a) + acquire.a.nla_len;
    ck_assert_int_eq(secsock_xfrm_decode_event(XFRM_MSG_ACQUIRE, (uint8_t *)&acquire, acquire_len, &ev), 0);
    ck_assert_int_eq(ev.kind, SECSOCK_XFRM_EV_ACQUIRE);
    ck_assert_uint_eq(ev.acquire_seq, 31337);
    ck_assert_uint_eq(ev.policy.index, secsock_xfrm_index(4242, XFRM_POLICY_OUT));
    ck_assert(secsock_xfrm_is_ours(ev.policy.index, ev.policy.priority, NULL));
    ck_assert_uint_eq(ev.policy.tmpl_count, 1);
    ck_assert_uint_eq(ev.policy.tmpl_proto, IPPROTO_ESP);
    ck_assert_uint_eq(ev.sa.sel.src_port, 50123);
    ck_assert_uint_eq(ev.sa.sel.dst_port, 443);
    ck_assert_uint_eq(ev.sa.proto, IPPROTO_ESP);
    ck_assert_int_eq(ev.sa.family, AF_INET);
    ck_assert_mem_eq(ev.sa.dst, &acquire.acq.id.daddr, 4);
    ck_assert_mem_eq(ev.sa.src, &acquire.acq.saddr, 4);
    /* Odd alignment changes nothing (fields are copied, not cast). */
    memcpy(copy + 1, &acquire, acquire_len);
    ck_assert_int_eq(secsock_xfrm_decode_event(XFRM_MSG_ACQUIRE, copy + 1, acquire_len, &ev), 0);
    ck_assert_uint_eq(ev.acquire_seq, 31337);
    ck_assert_int_eq(secsock_xfrm_decode_event(XFRM_MSG_ACQUIRE, (uint8_t *)&acquire,
                                               sizeof(acquire.acq) - 1, &ev), -EBADMSG);
    ck_assert_int_eq(secsock_xfrm_decode_event(XFRM_MSG_ACQUIRE, (uint8_t *)&acquire, acquire_len - 4, &ev),
                     -EBADMSG);

    memset(&expire, 0, sizeof(expire));
    expire.state.id.spi = htonl(0xc0ffee);
    expire.state.id.proto = IPPROTO_ESP;
    expire.state.family = AF_INET6;
    expire.state.curlft.bytes = 1000;
    expire.hard = 1;
    ck_assert_int_eq(secsock_xfrm_decode_event(XFRM_MSG_EXPIRE, (uint8_t *)&expire, sizeof(expire), &ev), 0);
    ck_assert_int_eq(ev.kind, SECSOCK_XFRM_EV_EXPIRE);
    ck_assert_int_eq(ev.hard, 1);
    ck_assert_uint_eq(ev.sa.spi, 0xc0ffee);
    ck_assert_int_eq(ev.sa.family, AF_INET6);
    ck_assert_uint_eq(ev.sa.bytes, 1000);
    ck_assert_int_eq(secsock_xfrm_decode_event(XFRM_MSG_EXPIRE, (uint8_t *)&expire, sizeof(expire) - 1, &ev),
                     -EBADMSG);

    memset(&polexpire, 0, sizeof(polexpire));
    polexpire.pol.index = 0x10;
    polexpire.pol.dir = XFRM_POLICY_IN;
    polexpire.hard = 0;
    ck_assert_int_eq(secsock_xfrm_decode_event(XFRM_MSG_POLEXPIRE, (uint8_t *)&polexpire, sizeof(polexpire), &ev), 0);
    ck_assert_int_eq(ev.kind, SECSOCK_XFRM_EV_POLEXPIRE);
    ck_assert_int_eq(ev.hard, 0);
    ck_assert_uint_eq(ev.policy.index, 0x10);
    ck_assert(!secsock_xfrm_is_ours(ev.policy.index, ev.policy.priority, NULL));

    ck_assert_int_eq(secsock_xfrm_decode_event(XFRM_MSG_NEWSA, (uint8_t *)&expire, sizeof(expire), &ev), -ENOMSG);
}
END_TEST

/* Sets or clears CAP_NET_ADMIN in the effective set (permitted stays). */
static int set_net_admin(int on)
{
    struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    if (syscall(SYS_capget, &head, data) < 0) return -1;
    if (on) data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective |= CAP_TO_MASK(CAP_NET_ADMIN);
    else data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
    return (int)syscall(SYS_capset, &head, data);
}

START_TEST(probe_reports_why)
{
    struct secsock_xfrm_support s;
    struct secsock_xfrm_nl nl;
    size_t removed;
    int events;

    /* Without CAP_NET_ADMIN: said so, and the kernel refuses requests and
     * notifications alike (EPERM, returned, not printed). */
    ck_assert_int_eq(set_net_admin(0), 0);
    ck_assert_int_eq(secsock_xfrm_probe(&s), 0);
    ck_assert_int_eq(s.net_admin, 0);
    ck_assert_ptr_nonnull(strstr(s.reason, "no CAP_NET_ADMIN"));
    ck_assert_int_eq(secsock_xfrm_open(&nl), 0);
    ck_assert_int_eq(secsock_xfrm_cleanup(&nl, &removed), -EPERM);
    secsock_xfrm_close(&nl);
    ck_assert_int_eq(secsock_xfrm_events_open(&events), -EPERM);
    /* ESP is asked in a namespace of the child's own, so it is answered
     * either way: yes, or an errno and why. */
    ck_assert(s.esp ? s.esp_errno == 0 : s.esp_errno > 0 && strstr(s.reason, "ESP") != NULL);
    if (getuid() == 0)
    {
        struct secsock_xfrm_support again;
        ck_assert_int_eq(set_net_admin(1), 0);
        ck_assert_int_eq(secsock_xfrm_probe(&again), 0);
        ck_assert_int_eq(again.net_admin, 1);
        ck_assert_ptr_null(strstr(again.reason, "CAP_NET_ADMIN"));
        ck_assert_int_eq(again.esp, s.esp);
        ck_assert_int_eq(again.esp_errno, s.esp_errno);
        if (!again.esp) printf("xfrm probe: %s\n", again.reason);
    }
}
END_TEST

Suite *xfrm_suite(void)
{
    Suite *s = suite_create("xfrm");
    TCase *tc = tcase_create("messages");

    tcase_add_test(tc, owner_tag);
    tcase_add_test(tc, selector_directions);
    tcase_add_test(tc, policy_add_messages);
    tcase_add_test(tc, policy_add_refuses_bad_input);
    tcase_add_test(tc, by_index_and_dump_messages);
    tcase_add_test(tc, esp_probe_messages);
    tcase_add_test(tc, message_walk_bounds);
    tcase_add_test(tc, policy_decoder_bounds);
    tcase_add_test(tc, events_decoded);
    suite_add_tcase(s, tc);
    tc = tcase_create("probe");
    tcase_add_test(tc, probe_reports_why);
    suite_add_tcase(s, tc);
    return s;
}
