/* Decoders of the secure-socket structs (see include/secsock/settings.h). */
#include <string.h>
#include "secsock/settings.h"
#include "secsock/wsaerr.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

int secsock_utf16_to_utf8(const uint8_t *src, size_t units, char *dst, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < units; i++)
    {
        uint32_t c = rd16(src + 2 * i);
        uint8_t b[4];
        size_t n;

        if (c >= 0xd800 && c < 0xdc00)
        {
            uint32_t lo;
            if (i + 1 >= units) return -1;
            lo = rd16(src + 2 * (i + 1));
            if (lo < 0xdc00 || lo >= 0xe000) return -1;
            c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
            i++;
        }
        else if (c >= 0xdc00 && c < 0xe000) return -1;
        if (!c) return -1;
        if (c < 0x80) { b[0] = (uint8_t)c; n = 1; }
        else if (c < 0x800) { b[0] = (uint8_t)(0xc0 | c >> 6); b[1] = (uint8_t)(0x80 | (c & 0x3f)); n = 2; }
        else if (c < 0x10000)
        {
            b[0] = (uint8_t)(0xe0 | c >> 12); b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
            b[2] = (uint8_t)(0x80 | (c & 0x3f)); n = 3;
        }
        else
        {
            b[0] = (uint8_t)(0xf0 | c >> 18); b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
            b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f)); b[3] = (uint8_t)(0x80 | (c & 0x3f)); n = 4;
        }
        if (cap - o <= n) return -1;
        memcpy(dst + o, b, n);
        o += n;
    }
    if (cap <= o) return -1;
    dst[o] = 0;
    return 0;
}

int secsock_settings_decode(const void *buf, size_t len, struct secsock_settings *out)
{
    const uint8_t *p = buf;

    memset(out, 0, sizeof(*out));
    if (!p)
    {
        /* NULL settings: the defaults (protocol DEFAULT, no flag). */
        return len ? SECSOCK_WSAEFAULT : 0;
    }
    if (len < SECSOCK_SETTINGS_LEN) return SECSOCK_WSAEMSGSIZE;
    out->protocol = rd32(p);
    out->flags = rd32(p + 4);
    if (out->protocol >= SECSOCK_PROTOCOL_INVALID) return SECSOCK_WSAEINVAL;
    if (out->flags & ~(uint32_t)(SECSOCK_FLAG_GUARANTEE_ENCRYPTION | SECSOCK_FLAG_ALLOW_INSECURE))
        return SECSOCK_WSAEINVAL;
    /* "Encryption required" and "clear text allowed" contradict each other. */
    if ((out->flags & SECSOCK_FLAG_GUARANTEE_ENCRYPTION) && (out->flags & SECSOCK_FLAG_ALLOW_INSECURE))
        return SECSOCK_WSAEINVAL;
    if (out->protocol == SECSOCK_PROTOCOL_DEFAULT || len == SECSOCK_SETTINGS_LEN) return 0;

    /* IPSEC / IPSEC2 with more than the plain struct: SOCKET_SECURITY_SETTINGS_IPSEC. */
    if (len < SECSOCK_SETTINGS_IPSEC_LEN) return SECSOCK_WSAEMSGSIZE;
    out->has_ipsec = 1;
    out->ipsec_flags = rd32(p + 8);
    if (out->ipsec_flags & ~(uint32_t)SECSOCK_IPSEC_FLAGS_ALL) return SECSOCK_WSAEINVAL;
    memcpy(out->mm_policy_key, p + 12, 16);
    memcpy(out->qm_policy_key, p + 28, 16);
    {
        uint32_t ulen = rd32(p + 72), dlen = rd32(p + 76), plen = rd32(p + 80);
        uint64_t total = (uint64_t)SECSOCK_SETTINGS_IPSEC_LEN - 4 + ulen + dlen + plen;
        const uint8_t *strings = p + 84;

        /* The string lengths are in bytes of UTF-16. */
        if ((ulen | dlen | plen) & 1) return SECSOCK_WSAEINVAL;
        if (total > len) return SECSOCK_WSAEMSGSIZE;
        if (ulen && secsock_utf16_to_utf8(strings, ulen / 2, out->user, sizeof(out->user)))
            return SECSOCK_WSAEINVAL;
        if (dlen && secsock_utf16_to_utf8(strings + ulen, dlen / 2, out->domain, sizeof(out->domain)))
            return SECSOCK_WSAEINVAL;
        out->password_len = plen;
    }
    return 0;
}

int secsock_sockaddr_decode(const void *buf, size_t len, struct secsock_addr *out)
{
    const uint8_t *p = buf;

    memset(out, 0, sizeof(*out));
    if (!p) return SECSOCK_WSAEFAULT;
    if (len < 2) return SECSOCK_WSAEMSGSIZE;
    switch (rd16(p))
    {
    case SECSOCK_WIN_AF_INET:
        if (len < 16) return SECSOCK_WSAEMSGSIZE;
        out->family = SECSOCK_AF_INET;
        out->port = (uint16_t)(p[2] << 8 | p[3]);
        memcpy(out->addr, p + 4, 4);
        return 0;
    case SECSOCK_WIN_AF_INET6:
        if (len < 28) return SECSOCK_WSAEMSGSIZE;
        out->family = SECSOCK_AF_INET6;
        out->port = (uint16_t)(p[2] << 8 | p[3]);
        memcpy(out->addr, p + 8, 16);
        out->scope_id = rd32(p + 24);
        return 0;
    default:
        return SECSOCK_WSAEAFNOSUPPORT;
    }
}

size_t secsock_sockaddr_encode(const struct secsock_addr *addr, void *buf, size_t cap)
{
    uint8_t *p = buf;
    size_t need = addr->family == SECSOCK_AF_INET6 ? 28 : 16;

    if (addr->family != SECSOCK_AF_INET && addr->family != SECSOCK_AF_INET6) return 0;
    if (cap < need) return 0;
    memset(p, 0, need);
    p[0] = addr->family == SECSOCK_AF_INET6 ? SECSOCK_WIN_AF_INET6 : SECSOCK_WIN_AF_INET;
    p[2] = (uint8_t)(addr->port >> 8);
    p[3] = (uint8_t)addr->port;
    if (addr->family == SECSOCK_AF_INET) memcpy(p + 4, addr->addr, 4);
    else
    {
        memcpy(p + 8, addr->addr, 16);
        p[24] = (uint8_t)addr->scope_id; p[25] = (uint8_t)(addr->scope_id >> 8);
        p[26] = (uint8_t)(addr->scope_id >> 16); p[27] = (uint8_t)(addr->scope_id >> 24);
    }
    return need;
}

static int addr_is_zero(const struct secsock_addr *a)
{
    static const uint8_t zero[16];
    return !a->port && !memcmp(a->addr, zero, sizeof(zero));
}

/* The SOCKADDR_STORAGE at offset 8 of the target and template structs:
 * family 0 means no address. */
static int decode_storage(const uint8_t *p, struct secsock_addr *out)
{
    if (!rd16(p)) { memset(out, 0, sizeof(*out)); return 0; }
    return secsock_sockaddr_decode(p, SECSOCK_SOCKADDR_STORAGE_LEN, out);
}

int secsock_target_decode(const void *buf, size_t len, int connectionless, struct secsock_target *out)
{
    const uint8_t *p = buf;
    uint32_t n;
    size_t units;
    int err;

    memset(out, 0, sizeof(*out));
    if (!p) return SECSOCK_WSAEFAULT;
    if (len < SECSOCK_TARGET_HEADER_LEN) return SECSOCK_WSAEMSGSIZE;
    out->protocol = rd32(p);
    if (out->protocol >= SECSOCK_PROTOCOL_INVALID) return SECSOCK_WSAEINVAL;
    if ((err = decode_storage(p + 8, &out->peer))) return err;
    if (connectionless && (out->peer.family == SECSOCK_AF_UNSPEC || addr_is_zero(&out->peer)))
        return SECSOCK_WSAEINVAL;
    n = rd32(p + 136);
    if (!n) return SECSOCK_WSAEINVAL;
    /* Bytes as documented when the buffer ends right there (or in the
     * struct's tail padding); otherwise characters, as the samples pass. */
    if ((uint64_t)SECSOCK_TARGET_HEADER_LEN + 2ull * n <= len) units = n;
    else if (!(n & 1) && (uint64_t)SECSOCK_TARGET_HEADER_LEN + n <= len) units = n / 2;
    else return SECSOCK_WSAEMSGSIZE;
    if (units > SECSOCK_MAX_STR) return SECSOCK_WSAEINVAL;
    /* Trailing NULs (a terminator, or padding read as characters) are not part of the name. */
    while (units && !rd16(p + SECSOCK_TARGET_HEADER_LEN + 2 * (units - 1))) units--;
    if (!units) return SECSOCK_WSAEINVAL;
    if (secsock_utf16_to_utf8(p + SECSOCK_TARGET_HEADER_LEN, units, out->name, sizeof(out->name)))
        return SECSOCK_WSAEINVAL;
    return 0;
}

int secsock_template_decode(const void *buf, size_t len, int connectionless,
                            struct secsock_query_template *out)
{
    const uint8_t *p = buf;
    int err;

    memset(out, 0, sizeof(*out));
    if (!p)
    {
        /* Only a TCP socket may leave the template out. */
        if (connectionless) return SECSOCK_WSAEMSGSIZE;
        return len ? SECSOCK_WSAEFAULT : 0;
    }
    if (len < SECSOCK_TEMPLATE_LEN) return SECSOCK_WSAEMSGSIZE;
    out->protocol = rd32(p);
    if (out->protocol >= SECSOCK_PROTOCOL_INVALID) return SECSOCK_WSAEINVAL;
    if ((err = decode_storage(p + 8, &out->peer))) return err;
    if (connectionless && (out->peer.family == SECSOCK_AF_UNSPEC || !out->peer.port))
        return SECSOCK_WSAEINVAL;
    out->token_access_mask = rd32(p + 136);
    if (out->protocol == SECSOCK_PROTOCOL_IPSEC2 && len >= SECSOCK_TEMPLATE_IPSEC2_LEN)
    {
        out->ipsec2 = 1;
        out->ipsec2_flags = rd32(p + 140);
        out->field_mask = rd32(p + 144);
        if (out->ipsec2_flags & ~1u || out->field_mask & ~3u) return SECSOCK_WSAEINVAL;
    }
    return 0;
}
