/* XFRM netlink messages: builders of requests, bounds-checked decoders of
 * what the kernel sends.  See unix/xfrm_msg.h. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include "unix/xfrm_msg.h"

/* ---- building ---------------------------------------------------------- */

/* A request under construction: the header is filled in as parts are appended. */
struct builder {
    uint8_t *buf;
    size_t cap, len;
    int overflow;
};

static void builder_start(struct builder *b, void *buf, size_t cap, uint16_t type, uint16_t flags,
                          uint32_t seq)
{
    struct nlmsghdr h;

    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    b->overflow = cap < NLMSG_HDRLEN;
    if (b->overflow) return;
    memset(&h, 0, sizeof(h));
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    h.nlmsg_seq = seq;
    memset(buf, 0, NLMSG_HDRLEN);
    memcpy(buf, &h, sizeof(h));
    b->len = NLMSG_HDRLEN;
}

static void *builder_reserve(struct builder *b, size_t size)
{
    size_t aligned = NLMSG_ALIGN(size);
    void *at;

    if (b->overflow || aligned > b->cap - b->len) { b->overflow = 1; return NULL; }
    at = b->buf + b->len;
    memset(at, 0, aligned);
    b->len += aligned;
    return at;
}

static void builder_put(struct builder *b, const void *data, size_t size)
{
    void *at = builder_reserve(b, size);
    if (at) memcpy(at, data, size);
}

static void builder_attr(struct builder *b, uint16_t type, const void *data, size_t size)
{
    struct nlattr a;
    uint8_t *at = builder_reserve(b, NLA_HDRLEN + size);

    if (!at) return;
    a.nla_len = (uint16_t)(NLA_HDRLEN + size);
    a.nla_type = type;
    memcpy(at, &a, sizeof(a));
    memcpy(at + NLA_HDRLEN, data, size);
}

static size_t builder_finish(struct builder *b)
{
    uint32_t len = (uint32_t)b->len;

    if (b->overflow) return 0;
    memcpy(b->buf + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
    return b->len;
}

static size_t family_addr_len(int family)
{
    return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static int all_zero(const uint8_t *addr, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (addr[i]) return 0;
    return 1;
}

int secsock_xfrm_selector_for(const struct secsock_xfrm_tuple *t, uint8_t dir,
                              struct secsock_xfrm_selector *sel)
{
    size_t alen = family_addr_len(t->family);
    int out = dir == SECSOCK_XFRM_DIR_OUT;

    if (!alen || (t->protocol != IPPROTO_TCP && t->protocol != IPPROTO_UDP)) return -EINVAL;
    if (dir != SECSOCK_XFRM_DIR_OUT && dir != SECSOCK_XFRM_DIR_IN) return -EINVAL;
    memset(sel, 0, sizeof(*sel));
    sel->family = t->family;
    sel->protocol = t->protocol;
    memcpy(sel->src, out ? t->local_addr : t->remote_addr, alen);
    memcpy(sel->dst, out ? t->remote_addr : t->local_addr, alen);
    /* An all-zero address means any address (a listener's remote side, a
     * wildcard-bound listener): prefix 0, like port 0 below. */
    sel->src_prefix = all_zero(sel->src, alen) ? 0 : (uint8_t)(alen * 8);
    sel->dst_prefix = all_zero(sel->dst, alen) ? 0 : (uint8_t)(alen * 8);
    sel->src_port = out ? t->local_port : t->remote_port;
    sel->dst_port = out ? t->remote_port : t->local_port;
    /* Port 0 means "any port" (e.g. a listener's remote side), not port 0. */
    sel->src_port_mask = sel->src_port ? 0xffff : 0;
    sel->dst_port_mask = sel->dst_port ? 0xffff : 0;
    return 0;
}

static void selector_to_kernel(const struct secsock_xfrm_selector *s, struct xfrm_selector *k)
{
    memset(k, 0, sizeof(*k));
    memcpy(&k->saddr, s->src, sizeof(s->src));
    memcpy(&k->daddr, s->dst, sizeof(s->dst));
    k->sport = htons(s->src_port);
    k->dport = htons(s->dst_port);
    k->sport_mask = htons(s->src_port_mask);
    k->dport_mask = htons(s->dst_port_mask);
    k->family = (uint16_t)s->family;
    k->prefixlen_s = s->src_prefix;
    k->prefixlen_d = s->dst_prefix;
    k->proto = s->protocol;
}

static void lifetime_infinite(struct xfrm_lifetime_cfg *lft)
{
    memset(lft, 0, sizeof(*lft));
    lft->soft_byte_limit = lft->hard_byte_limit = XFRM_INF;
    lft->soft_packet_limit = lft->hard_packet_limit = XFRM_INF;
}

size_t secsock_xfrm_build_policy_add(void *buf, size_t cap, const struct secsock_xfrm_conn *conn,
                                     uint8_t dir, uint32_t seq)
{
    struct secsock_xfrm_selector sel;
    struct xfrm_userpolicy_info info;
    struct xfrm_user_tmpl tmpl;
    struct builder b;

    if (conn->slot > SECSOCK_XFRM_SLOT_MAX || secsock_xfrm_selector_for(&conn->tuple, dir, &sel))
        return 0;
    if (conn->level != SECSOCK_XFRM_REQUIRED && conn->level != SECSOCK_XFRM_OPTIONAL) return 0;
    memset(&info, 0, sizeof(info));
    selector_to_kernel(&sel, &info.sel);
    lifetime_infinite(&info.lft);
    info.priority = SECSOCK_XFRM_PRIORITY;
    info.index = secsock_xfrm_index(conn->slot, dir);
    info.dir = dir;
    info.action = XFRM_POLICY_ALLOW;
    info.share = XFRM_SHARE_ANY;

    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.id.proto = IPPROTO_ESP;   /* transport mode: addresses come from the packet, so none here */
    tmpl.family = (uint16_t)conn->tuple.family;
    tmpl.mode = XFRM_MODE_TRANSPORT;
    tmpl.share = XFRM_SHARE_ANY;
    tmpl.optional = conn->level == SECSOCK_XFRM_OPTIONAL;
    /* Any algorithm: an inbound SA is checked against these masks, and the
     * keying daemon, not the policy, chooses the algorithms. */
    tmpl.aalgos = tmpl.ealgos = tmpl.calgos = ~0u;

    builder_start(&b, buf, cap, XFRM_MSG_NEWPOLICY, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
                  seq);
    builder_put(&b, &info, sizeof(info));
    builder_attr(&b, XFRMA_TMPL, &tmpl, sizeof(tmpl));
    return builder_finish(&b);
}

size_t secsock_xfrm_build_policy_by_index(void *buf, size_t cap, uint16_t type, uint32_t index,
                                          uint8_t dir, uint32_t seq)
{
    struct xfrm_userpolicy_id id;
    struct builder b;

    if (type != XFRM_MSG_GETPOLICY && type != XFRM_MSG_DELPOLICY) return 0;
    memset(&id, 0, sizeof(id));
    id.index = index;   /* a non-zero index selects the policy; the selector is ignored */
    id.dir = dir;
    builder_start(&b, buf, cap, type, NLM_F_REQUEST | (type == XFRM_MSG_DELPOLICY ? NLM_F_ACK : 0), seq);
    builder_put(&b, &id, sizeof(id));
    return builder_finish(&b);
}

size_t secsock_xfrm_build_dump(void *buf, size_t cap, uint16_t type, uint32_t seq)
{
    struct builder b;

    if (type != XFRM_MSG_GETPOLICY && type != XFRM_MSG_GETSA) return 0;
    builder_start(&b, buf, cap, type, NLM_F_REQUEST | NLM_F_DUMP, seq);
    return builder_finish(&b);
}

size_t secsock_xfrm_build_esp_sa(void *buf, size_t cap, int family, const uint8_t *src,
                                 const uint8_t *dst, uint32_t spi, const uint8_t key[SECSOCK_XFRM_PROBE_KEY_LEN],
                                 uint32_t seq)
{
    struct xfrm_usersa_info sa;
    /* Each algorithm is its header followed by the key bytes. */
    struct xfrm_algo crypt;
    struct xfrm_algo_auth auth;
    uint8_t crypt_attr[sizeof(crypt) + 16], auth_attr[sizeof(auth) + 32];
    size_t alen = family_addr_len(family);
    struct builder b;

    if (!alen) return 0;
    memset(&sa, 0, sizeof(sa));
    sa.sel.family = (uint16_t)family;
    memcpy(&sa.id.daddr, dst, alen);
    memcpy(&sa.saddr, src, alen);
    sa.id.spi = htonl(spi);
    sa.id.proto = IPPROTO_ESP;
    sa.family = (uint16_t)family;
    sa.mode = XFRM_MODE_TRANSPORT;
    sa.replay_window = 32;
    lifetime_infinite(&sa.lft);
    /* AES-CBC with HMAC-SHA-256: the combination every kernel with ESP
     * has built in, so a refusal speaks about ESP, not about a missing
     * cipher module (AES-GCM often is one). */
    memset(&crypt, 0, sizeof(crypt));
    strcpy(crypt.alg_name, "cbc(aes)");
    crypt.alg_key_len = 16 * 8;
    memcpy(crypt_attr, &crypt, sizeof(crypt));
    memcpy(crypt_attr + sizeof(crypt), key, 16);
    memset(&auth, 0, sizeof(auth));
    strcpy(auth.alg_name, "hmac(sha256)");
    auth.alg_key_len = 32 * 8;
    auth.alg_trunc_len = 128;
    memcpy(auth_attr, &auth, sizeof(auth));
    memcpy(auth_attr + sizeof(auth), key + 16, 32);

    builder_start(&b, buf, cap, XFRM_MSG_NEWSA, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
    builder_put(&b, &sa, sizeof(sa));
    builder_attr(&b, XFRMA_ALG_CRYPT, crypt_attr, sizeof(crypt_attr));
    builder_attr(&b, XFRMA_ALG_AUTH_TRUNC, auth_attr, sizeof(auth_attr));
    return builder_finish(&b);
}

size_t secsock_xfrm_build_sa_del(void *buf, size_t cap, int family, const uint8_t *dst, uint32_t spi,
                                 uint8_t proto, uint32_t seq)
{
    struct xfrm_usersa_id id;
    size_t alen = family_addr_len(family);
    struct builder b;

    if (!alen) return 0;
    memset(&id, 0, sizeof(id));
    memcpy(&id.daddr, dst, alen);
    id.spi = htonl(spi);
    id.family = (uint16_t)family;
    id.proto = proto;
    builder_start(&b, buf, cap, XFRM_MSG_DELSA, NLM_F_REQUEST | NLM_F_ACK, seq);
    builder_put(&b, &id, sizeof(id));
    return builder_finish(&b);
}

/* ---- decoding ---------------------------------------------------------- */

int secsock_xfrm_next_msg(const uint8_t *buf, size_t len, size_t *offset, struct secsock_xfrm_nlmsg *msg)
{
    struct nlmsghdr h;
    size_t left;

    if (*offset >= len) return 0;
    left = len - *offset;
    if (left < sizeof(h)) return -EBADMSG;
    memcpy(&h, buf + *offset, sizeof(h));
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > left) return -EBADMSG;
    msg->type = h.nlmsg_type;
    msg->flags = h.nlmsg_flags;
    msg->seq = h.nlmsg_seq;
    msg->pid = h.nlmsg_pid;
    msg->payload = buf + *offset + NLMSG_HDRLEN;
    msg->payload_len = h.nlmsg_len - NLMSG_HDRLEN;
    /* The last message of a datagram may lack its alignment padding. */
    *offset += NLMSG_ALIGN(h.nlmsg_len) < left ? NLMSG_ALIGN(h.nlmsg_len) : left;
    return 1;
}

/* The fixed structure a message starts with, copied out (size bytes):
 * 0, or -EBADMSG for a shorter message. */
static int copy_fixed(const uint8_t *payload, size_t len, void *k, size_t size)
{
    if (len < size) return -EBADMSG;
    memcpy(k, payload, size);
    return 0;
}

int secsock_xfrm_decode_error(const uint8_t *payload, size_t len, int *error)
{
    int e;

    if (copy_fixed(payload, len, &e, sizeof(e))) return -EBADMSG;
    if (e > 0 || e < -4095) return -EBADMSG;
    *error = e;
    return 0;
}

/* The attributes after a fixed structure of fixed_len bytes: calls visit()
 * for each well-formed one; -EBADMSG for one whose length does not fit. */
typedef int (*attr_visitor)(uint16_t type, const uint8_t *data, size_t len, void *ctx);

static int walk_attrs(const uint8_t *payload, size_t len, size_t fixed_len, attr_visitor visit, void *ctx)
{
    size_t at = NLMSG_ALIGN(fixed_len);

    if (len < fixed_len) return -EBADMSG;
    while (at < len && len - at >= NLA_HDRLEN)
    {
        struct nlattr a;
        int err;

        memcpy(&a, payload + at, sizeof(a));
        if (a.nla_len < NLA_HDRLEN || a.nla_len > len - at) return -EBADMSG;
        err = visit(a.nla_type & NLA_TYPE_MASK, payload + at + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, ctx);
        if (err) return err;
        at += NLA_ALIGN(a.nla_len);
    }
    return 0;
}

static void selector_from_kernel(const struct xfrm_selector *k, struct secsock_xfrm_selector *s)
{
    memset(s, 0, sizeof(*s));
    s->family = k->family;
    s->protocol = k->proto;
    memcpy(s->src, &k->saddr, sizeof(s->src));
    memcpy(s->dst, &k->daddr, sizeof(s->dst));
    s->src_prefix = k->prefixlen_s;
    s->dst_prefix = k->prefixlen_d;
    s->src_port = ntohs(k->sport);
    s->dst_port = ntohs(k->dport);
    s->src_port_mask = ntohs(k->sport_mask);
    s->dst_port_mask = ntohs(k->dport_mask);
}

static void policy_from_kernel(const struct xfrm_userpolicy_info *k, struct secsock_xfrm_policy_view *v)
{
    memset(v, 0, sizeof(*v));
    selector_from_kernel(&k->sel, &v->sel);
    v->index = k->index;
    v->priority = k->priority;
    v->dir = k->dir;
    v->action = k->action;
}

static int visit_policy_attr(uint16_t type, const uint8_t *data, size_t len, void *ctx)
{
    struct secsock_xfrm_policy_view *v = ctx;
    struct xfrm_user_tmpl t;

    if (type != XFRMA_TMPL) return 0;
    if (len % sizeof(t)) return -EBADMSG;
    v->tmpl_count = (unsigned)(len / sizeof(t));
    if (!v->tmpl_count) return 0;
    memcpy(&t, data, sizeof(t));
    v->tmpl_proto = t.id.proto;
    v->tmpl_mode = t.mode;
    v->tmpl_optional = t.optional;
    v->tmpl_reqid = t.reqid;
    return 0;
}

int secsock_xfrm_decode_policy(const uint8_t *payload, size_t len, struct secsock_xfrm_policy_view *out)
{
    struct xfrm_userpolicy_info k;

    if (copy_fixed(payload, len, &k, sizeof(k))) return -EBADMSG;
    policy_from_kernel(&k, out);
    return walk_attrs(payload, len, sizeof(k), visit_policy_attr, out);
}

static void sa_from_kernel(const struct xfrm_usersa_info *k, struct secsock_xfrm_sa_view *v)
{
    memset(v, 0, sizeof(*v));
    selector_from_kernel(&k->sel, &v->sel);
    v->family = k->family;
    memcpy(v->src, &k->saddr, sizeof(v->src));
    memcpy(v->dst, &k->id.daddr, sizeof(v->dst));
    v->spi = ntohl(k->id.spi);
    v->proto = k->id.proto;
    v->mode = k->mode;
    v->reqid = k->reqid;
    v->seq = k->seq;
    v->bytes = k->curlft.bytes;
    v->packets = k->curlft.packets;
}

static int ignore_attr(uint16_t type, const uint8_t *data, size_t len, void *ctx)
{
    (void)type, (void)data, (void)len, (void)ctx;
    return 0;
}

int secsock_xfrm_decode_sa(const uint8_t *payload, size_t len, struct secsock_xfrm_sa_view *out)
{
    struct xfrm_usersa_info k;

    if (copy_fixed(payload, len, &k, sizeof(k))) return -EBADMSG;
    sa_from_kernel(&k, out);
    /* Nothing in the attributes is reported, but a malformed list still
     * means a malformed message. */
    return walk_attrs(payload, len, sizeof(k), ignore_attr, NULL);
}

static int decode_acquire(const uint8_t *payload, size_t len, struct secsock_xfrm_event *ev)
{
    struct xfrm_user_acquire k;

    if (copy_fixed(payload, len, &k, sizeof(k))) return -EBADMSG;
    ev->kind = SECSOCK_XFRM_EV_ACQUIRE;
    ev->acquire_seq = k.seq;
    policy_from_kernel(&k.policy, &ev->policy);
    selector_from_kernel(&k.sel, &ev->sa.sel);
    ev->sa.family = k.sel.family;
    memcpy(ev->sa.src, &k.saddr, sizeof(ev->sa.src));
    memcpy(ev->sa.dst, &k.id.daddr, sizeof(ev->sa.dst));
    ev->sa.spi = ntohl(k.id.spi);
    ev->sa.proto = k.id.proto;
    ev->sa.seq = k.seq;
    /* The policy's templates follow as attributes. */
    return walk_attrs(payload, len, sizeof(k), visit_policy_attr, &ev->policy);
}

static int decode_expire(const uint8_t *payload, size_t len, struct secsock_xfrm_event *ev)
{
    struct xfrm_user_expire k;

    if (copy_fixed(payload, len, &k, sizeof(k))) return -EBADMSG;
    ev->kind = SECSOCK_XFRM_EV_EXPIRE;
    ev->hard = k.hard != 0;
    sa_from_kernel(&k.state, &ev->sa);
    return walk_attrs(payload, len, sizeof(k), ignore_attr, NULL);
}

static int decode_polexpire(const uint8_t *payload, size_t len, struct secsock_xfrm_event *ev)
{
    struct xfrm_user_polexpire k;

    if (copy_fixed(payload, len, &k, sizeof(k))) return -EBADMSG;
    ev->kind = SECSOCK_XFRM_EV_POLEXPIRE;
    ev->hard = k.hard != 0;
    policy_from_kernel(&k.pol, &ev->policy);
    return walk_attrs(payload, len, sizeof(k), visit_policy_attr, &ev->policy);
}

int secsock_xfrm_decode_event(uint16_t type, const uint8_t *payload, size_t len, struct secsock_xfrm_event *out)
{
    memset(out, 0, sizeof(*out));
    switch (type)
    {
    case XFRM_MSG_ACQUIRE: return decode_acquire(payload, len, out);
    case XFRM_MSG_EXPIRE: return decode_expire(payload, len, out);
    case XFRM_MSG_POLEXPIRE: return decode_polexpire(payload, len, out);
    default: return -ENOMSG;
    }
}

/* ---- the owner tag ----------------------------------------------------- */

uint32_t secsock_xfrm_index(uint32_t slot, uint8_t dir)
{
    return (SECSOCK_XFRM_INDEX_TAG << 24) | ((slot & SECSOCK_XFRM_SLOT_MAX) << 3) | (dir & 7u);
}

int secsock_xfrm_is_ours(uint32_t index, uint32_t priority, uint32_t *slot)
{
    if (index >> 24 != SECSOCK_XFRM_INDEX_TAG || priority != SECSOCK_XFRM_PRIORITY) return 0;
    if (slot) *slot = (index >> 3) & SECSOCK_XFRM_SLOT_MAX;
    return 1;
}
