/*
 * Encoders and decoders of the control protocol, generated from
 * include/secsock/messages.def.  Every decoder is bounds-checked: it reads
 * only inside the payload it is given and rejects trailing bytes.
 */
#include <string.h>
#include "secsock/proto.h"

struct writer { uint8_t *p; size_t cap, len; int status; };
struct reader { const uint8_t *p; size_t len, off; int status; };

static void put_bytes(struct writer *w, const void *src, size_t n)
{
    if (w->status) return;
    if (w->cap - w->len < n) { w->status = SECSOCK_PROTO_ESPACE; return; }
    memcpy(w->p + w->len, src, n);
    w->len += n;
}

static void put_uint(struct writer *w, uint64_t v, unsigned int bytes)
{
    uint8_t b[8];
    for (unsigned int i = 0; i < bytes; i++) b[i] = (uint8_t)(v >> (8 * i));
    put_bytes(w, b, bytes);
}

static void put_str(struct writer *w, const char *s, size_t cap)
{
    const char *end = memchr(s, 0, cap);
    size_t n = end ? (size_t)(end - s) : cap;
    if (n > SECSOCK_MAX_STR) { if (!w->status) w->status = SECSOCK_PROTO_ESTRING; return; }
    put_uint(w, n, 2);
    put_bytes(w, s, n);
}

static int family_known(uint16_t family)
{
    return family == SECSOCK_AF_UNSPEC || family == SECSOCK_AF_INET || family == SECSOCK_AF_INET6;
}

static void put_addr(struct writer *w, const struct secsock_addr *a)
{
    if (!family_known(a->family)) { if (!w->status) w->status = SECSOCK_PROTO_EADDR; return; }
    put_uint(w, a->family, 2);
    put_uint(w, a->port, 2);
    put_uint(w, a->scope_id, 4);
    put_bytes(w, a->addr, sizeof(a->addr));
}

static const uint8_t *take(struct reader *r, size_t n)
{
    const uint8_t *p;
    if (r->status) return NULL;
    if (r->len - r->off < n) { r->status = SECSOCK_PROTO_ETRUNCATED; return NULL; }
    p = r->p + r->off;
    r->off += n;
    return p;
}

static uint64_t get_uint(struct reader *r, unsigned int bytes)
{
    const uint8_t *p = take(r, bytes);
    uint64_t v = 0;
    if (!p) return 0;
    for (unsigned int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void get_bytes(struct reader *r, void *dst, size_t n)
{
    const uint8_t *p = take(r, n);
    if (p) memcpy(dst, p, n);
}

static void get_str(struct reader *r, char *dst)
{
    size_t n = (size_t)get_uint(r, 2);
    const uint8_t *p;
    if (r->status) return;
    if (n > SECSOCK_MAX_STR) { r->status = SECSOCK_PROTO_ESTRING; return; }
    if (!(p = take(r, n))) return;
    if (memchr(p, 0, n)) { r->status = SECSOCK_PROTO_ESTRING; return; }
    memcpy(dst, p, n);
    dst[n] = 0;
}

static void get_addr(struct reader *r, struct secsock_addr *a)
{
    a->family = (uint16_t)get_uint(r, 2);
    a->port = (uint16_t)get_uint(r, 2);
    a->scope_id = (uint32_t)get_uint(r, 4);
    get_bytes(r, a->addr, sizeof(a->addr));
    if (!r->status && !family_known(a->family)) r->status = SECSOCK_PROTO_EADDR;
}

/* An integer member of size bytes, read or written whole. */
static uint64_t load_uint(const void *p, size_t size)
{
    switch (size)
    {
    case 1: return *(const uint8_t *)p;
    case 2: return *(const uint16_t *)p;
    case 4: return *(const uint32_t *)p;
    default: return *(const uint64_t *)p;
    }
}

static void store_uint(void *p, size_t size, uint64_t v)
{
    switch (size)
    {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: *(uint16_t *)p = (uint16_t)v; break;
    case 4: *(uint32_t *)p = (uint32_t)v; break;
    default: *(uint64_t *)p = v; break;
    }
}

/* One codec per message, from the list, that encodes (w) or decodes (r)
 * each field in order. */
struct codec { struct writer *w; struct reader *r; };

static void field_int(struct codec *c, void *p, size_t size)
{
    if (c->w) put_uint(c->w, load_uint(p, size), (unsigned int)size);
    else store_uint(p, size, get_uint(c->r, (unsigned int)size));
}

static void field_bytes(struct codec *c, void *p, size_t size)
{
    if (c->w) put_bytes(c->w, p, size);
    else get_bytes(c->r, p, size);
}

static void field_str(struct codec *c, void *p, size_t size)
{
    if (c->w) put_str(c->w, p, size);
    else get_str(c->r, p);
}

static void field_addr(struct codec *c, void *p, size_t size)
{
    (void)size;
    if (c->w) put_addr(c->w, p);
    else get_addr(c->r, p);
}

#define SECSOCK_FIELD(kind, n, decl) field_##kind(c, &m->n, sizeof(m->n));
#define SECSOCK_MSG(NAME, code, member, fields) \
    static void codec_##member(struct codec *c, struct secsock_msg_##member *m) { fields }
#include "secsock/messages.def"
#undef SECSOCK_MSG
#undef SECSOCK_FIELD

int secsock_msg_encode(const struct secsock_msg *msg, uint8_t *buf, size_t cap)
{
    struct writer w = { buf, cap, SECSOCK_HEADER_LEN, 0 };
    struct codec c = { &w, NULL };

    if (cap < SECSOCK_HEADER_LEN) return SECSOCK_PROTO_ESPACE;
    /* The codec takes the message as writable; encoding only reads it. */
    switch (msg->type)
    {
#define SECSOCK_MSG(NAME, code, member, fields) \
    case SECSOCK_MSG_##NAME: codec_##member(&c, (struct secsock_msg_##member *)&msg->u.member); break;
#include "secsock/messages.def"
#undef SECSOCK_MSG
    default: return SECSOCK_PROTO_ETYPE;
    }
    if (w.status) return w.status;
    if (w.len - SECSOCK_HEADER_LEN > SECSOCK_MAX_PAYLOAD) return SECSOCK_PROTO_ELENGTH;
    {
        struct writer h = { buf, SECSOCK_HEADER_LEN, 0, 0 };
        put_uint(&h, SECSOCK_PROTO_MAGIC, 4);
        put_uint(&h, SECSOCK_PROTO_VERSION, 2);
        put_uint(&h, msg->type, 2);
        put_uint(&h, w.len - SECSOCK_HEADER_LEN, 4);
    }
    return (int)w.len;
}

int secsock_frame_header(const uint8_t *hdr, size_t len, uint16_t *type, uint32_t *payload_len)
{
    struct reader r = { hdr, len, 0, 0 };
    uint32_t magic = (uint32_t)get_uint(&r, 4);
    uint16_t version = (uint16_t)get_uint(&r, 2);
    uint16_t t = (uint16_t)get_uint(&r, 2);
    uint32_t n = (uint32_t)get_uint(&r, 4);

    if (r.status) return r.status;
    if (magic != SECSOCK_PROTO_MAGIC) return SECSOCK_PROTO_EMAGIC;
    if (version != SECSOCK_PROTO_VERSION) return SECSOCK_PROTO_EVERSION;
    if (!secsock_msg_name(t)) return SECSOCK_PROTO_ETYPE;
    if (n > SECSOCK_MAX_PAYLOAD) return SECSOCK_PROTO_ELENGTH;
    *type = t;
    *payload_len = n;
    return SECSOCK_PROTO_OK;
}

int secsock_frame_version(const uint8_t *hdr, size_t len)
{
    struct reader r = { hdr, len, 0, 0 };
    uint32_t magic = (uint32_t)get_uint(&r, 4);
    uint16_t version = (uint16_t)get_uint(&r, 2);

    if (r.status || magic != SECSOCK_PROTO_MAGIC) return -1;
    return version;
}

int secsock_msg_decode(uint16_t type, const uint8_t *payload, size_t len, struct secsock_msg *msg)
{
    struct reader r = { payload, len, 0, 0 };
    struct codec c = { NULL, &r };

    memset(msg, 0, sizeof(*msg));
    if (len > SECSOCK_MAX_PAYLOAD) return SECSOCK_PROTO_ELENGTH;
    msg->type = type;
    switch (type)
    {
#define SECSOCK_MSG(NAME, code, member, fields) \
    case SECSOCK_MSG_##NAME: codec_##member(&c, &msg->u.member); break;
#include "secsock/messages.def"
#undef SECSOCK_MSG
    default: return SECSOCK_PROTO_ETYPE;
    }
    if (r.status) return r.status;
    if (r.off != r.len) return SECSOCK_PROTO_ETRAILING;
    return SECSOCK_PROTO_OK;
}

const char *secsock_msg_name(uint16_t type)
{
    switch (type)
    {
#define SECSOCK_MSG(NAME, code, member, fields) case SECSOCK_MSG_##NAME: return #NAME;
#include "secsock/messages.def"
#undef SECSOCK_MSG
    default: return NULL;
    }
}

const char *secsock_proto_strerror(int status)
{
    switch (status)
    {
    case SECSOCK_PROTO_OK: return "ok";
    case SECSOCK_PROTO_EMAGIC: return "not a secsock control frame";
    case SECSOCK_PROTO_EVERSION: return "unsupported protocol version";
    case SECSOCK_PROTO_ETYPE: return "unknown message type";
    case SECSOCK_PROTO_ELENGTH: return "payload too long";
    case SECSOCK_PROTO_ETRUNCATED: return "payload truncated";
    case SECSOCK_PROTO_ETRAILING: return "trailing bytes after payload";
    case SECSOCK_PROTO_ESTRING: return "bad string";
    case SECSOCK_PROTO_EADDR: return "bad address family";
    case SECSOCK_PROTO_ESPACE: return "buffer too small";
    default: return "unknown error";
    }
}

int secsock_addr_equal(const struct secsock_addr *a, const struct secsock_addr *b)
{
    return a->family == b->family && a->port == b->port &&
           !memcmp(a->addr, b->addr, a->family == SECSOCK_AF_INET ? 4 : 16);
}

struct secsock_addr secsock_addr_unmapped(const struct secsock_addr *a)
{
    static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };
    struct secsock_addr v4 = *a;

    if (a->family != SECSOCK_AF_INET6 || memcmp(a->addr, prefix, sizeof(prefix))) return v4;
    memset(&v4, 0, sizeof(v4));
    v4.family = SECSOCK_AF_INET;
    v4.port = a->port;
    memcpy(v4.addr, a->addr + 12, 4);
    return v4;
}
