/* Target names: parse (host, IP literal, SPN) and match against SANs. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <gnutls/gnutls.h>
#include "unix/peer_name.h"

int peer_name_dns_valid(const char *name, size_t len)
{
    size_t label = 0, start = 0;
    int all_digits = 1;

    if (!len || len > HOST_NAME_TEXT_MAX) return 0;
    for (size_t i = 0; i <= len; i++)
    {
        char c = i < len ? name[i] : '.';
        if (c == '.')
        {
            if (!label || label > 63 || name[start] == '-' || name[i - 1] == '-') return 0;
            if (i == len && all_digits) return 0;
            label = 0;
            start = i + 1;
            all_digits = 1;
            continue;
        }
        if (!isalnum((unsigned char)c) && c != '-') return 0;
        if (!isdigit((unsigned char)c)) all_digits = 0;
        label++;
    }
    return 1;
}

int peer_name_dns_pattern_matches(const char *pattern, size_t plen, const char *host)
{
    size_t hlen = strlen(host);
    const char *host_rest;

    if (plen && pattern[plen - 1] == '.') plen--;
    if (!plen || memchr(pattern, 0, plen)) return 0;   /* an embedded NUL hides another name */
    if (!memchr(pattern, '*', plen)) return plen == hlen && !strncasecmp(pattern, host, hlen);
    /* Only "*." followed by at least two labels and no other '*'. */
    if (plen < 3 || pattern[0] != '*' || pattern[1] != '.' || memchr(pattern + 2, '*', plen - 2) ||
        !memchr(pattern + 2, '.', plen - 2) || !peer_name_dns_valid(pattern + 2, plen - 2))
        return 0;
    if (!(host_rest = strchr(host, '.')) || host_rest == host) return 0;
    host_rest++;
    return strlen(host_rest) == plen - 2 && !strncasecmp(host_rest, pattern + 2, plen - 2);
}

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* An iPAddress SAN (4 or 16 bytes) as a host_address, IPv4-mapped folded. */
static int san_address(const uint8_t *data, size_t len, struct host_address *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 16 && !memcmp(data, v4_mapped, sizeof(v4_mapped)))
    {
        out->family = AF_INET;
        memcpy(out->addr, data + 12, 4);
    }
    else if (len == 4 || len == 16)
    {
        out->family = len == 4 ? AF_INET : AF_INET6;
        memcpy(out->addr, data, len);
    }
    else return -1;
    return 0;
}

int peer_name_from_address(int family, const void *addr, struct peer_name *name)
{
    memset(name, 0, sizeof(*name));
    if ((family != AF_INET && family != AF_INET6) ||
        san_address(addr, family == AF_INET ? 4 : 16, &name->ip))
        return -1;
    name->kind = PEER_NAME_IP;
    inet_ntop(name->ip.family, name->ip.addr, name->host, sizeof(name->host));
    return 0;
}

/* Fills name from a host text that is an IP literal; -1 when it is not. */
static int parse_ip(const char *host, struct peer_name *name)
{
    uint8_t addr[16];

    if (inet_pton(AF_INET, host, addr) == 1) return peer_name_from_address(AF_INET, addr, name);
    if (inet_pton(AF_INET6, host, addr) == 1) return peer_name_from_address(AF_INET6, addr, name);
    return -1;
}

/* A DNS host: U-labels become A-labels, case is folded, one trailing dot
 * goes.  A name that is not a valid host name but is plain text (say,
 * with an underscore) is still matched, only never sent as SNI. */
static int parse_dns(const char *host, size_t len, struct peer_name *name, char *why, size_t why_len)
{
    gnutls_datum_t mapped = { NULL, 0 };
    int ascii = 1, numeric_tail = 1;
    size_t last_dot;

    for (size_t i = 0; i < len; i++)
        if ((unsigned char)host[i] >= 0x80) ascii = 0;
    if (!ascii)
    {
        int ret = gnutls_idna_map(host, (unsigned int)len, &mapped, 0);
        if (ret)
        {
            snprintf(why, why_len, "the host name is not a valid international name: %s", gnutls_strerror(ret));
            return -1;
        }
        host = (const char *)mapped.data;
        len = mapped.size;
    }
    if (len && host[len - 1] == '.') len--;
    if (!len || len > HOST_NAME_TEXT_MAX)
    {
        snprintf(why, why_len, "the host name is empty or longer than %d bytes", HOST_NAME_TEXT_MAX);
        gnutls_free(mapped.data);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
    {
        unsigned char c = (unsigned char)host[i];
        if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '[' || c == ']' || c == '*')
        {
            snprintf(why, why_len, "the host name has a character no host name has (0x%02x)", c);
            gnutls_free(mapped.data);
            return -1;
        }
        name->host[i] = (char)tolower(c);
    }
    name->host[len] = 0;
    gnutls_free(mapped.data);
    last_dot = strrchr(name->host, '.') ? (size_t)(strrchr(name->host, '.') - name->host) + 1 : 0;
    for (size_t i = last_dot; i < len; i++)
        if (!isdigit((unsigned char)name->host[i])) numeric_tail = 0;
    if (numeric_tail)
    {
        snprintf(why, why_len, "%s is neither an IP address nor a host name", name->host);
        return -1;
    }
    name->kind = PEER_NAME_DNS;
    if (peer_name_dns_valid(name->host, len)) memcpy(name->sni, name->host, len + 1);
    return 0;
}

/* A host part: bracketed IPv6, IP literal, or DNS name. */
static int parse_host(const char *host, size_t len, struct peer_name *name, char *why, size_t why_len)
{
    char text[PEER_NAME_TARGET_MAX + 1];

    if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    {
        uint8_t addr[16];

        /* Brackets hold an IPv6 literal only (RFC 3986). */
        memcpy(text, host + 1, len - 2);
        text[len - 2] = 0;
        if (inet_pton(AF_INET6, text, addr) != 1)
        {
            snprintf(why, why_len, "[%s] is not an IPv6 address", text);
            return -1;
        }
        return peer_name_from_address(AF_INET6, addr, name);
    }
    memcpy(text, host, len);
    text[len] = 0;
    if (!parse_ip(text, name)) return 0;
    return parse_dns(text, len, name, why, why_len);
}

static int parse_port(const char *p, size_t len, uint16_t *port)
{
    unsigned long v = 0;

    if (!len || len > 5) return -1;
    for (size_t i = 0; i < len; i++)
    {
        if (!isdigit((unsigned char)p[i])) return -1;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (!v || v > 65535) return -1;
    *port = (uint16_t)v;
    return 0;
}

/* class/host[:port][/service] after the class has been split off. */
static int parse_spn_rest(const char *p, size_t len, struct peer_name *name, char *why, size_t why_len)
{
    const char *end = p + len, *host_end, *slash = memchr(p, '/', len);
    const char *segment_end = slash ? slash : end;
    size_t colons = 0;

    for (const char *q = p; q < segment_end; q++) colons += *q == ':';
    if (p < end && *p == '[')
    {
        const char *close = memchr(p, ']', (size_t)(segment_end - p));
        if (!close)
        {
            snprintf(why, why_len, "an SPN's bracketed host has no ']'");
            return -1;
        }
        host_end = close + 1;
    }
    /* An unbracketed IPv6 literal takes the whole segment: no port. */
    else if (colons > 1) host_end = segment_end;
    else host_end = colons ? memchr(p, ':', (size_t)(segment_end - p)) : segment_end;
    if (host_end == p)
    {
        snprintf(why, why_len, "the SPN has no host");
        return -1;
    }
    if (parse_host(p, (size_t)(host_end - p), name, why, why_len)) return -1;
    if (host_end < segment_end)
    {
        if (*host_end != ':' || parse_port(host_end + 1, (size_t)(segment_end - host_end - 1), &name->port))
        {
            snprintf(why, why_len, "the SPN's port is not a number from 1 to 65535");
            return -1;
        }
    }
    if (slash)
    {
        if (slash + 1 == end)
        {
            snprintf(why, why_len, "the SPN's service name is empty");
            return -1;
        }
        memcpy(name->service_name, slash + 1, (size_t)(end - slash - 1));
        name->service_name[end - slash - 1] = 0;
    }
    return 0;
}

int peer_name_parse(const char *target, size_t len, struct peer_name *name, char *why, size_t why_len)
{
    const char *slash;

    memset(name, 0, sizeof(*name));
    if (!len || len > PEER_NAME_TARGET_MAX)
    {
        snprintf(why, why_len, "the target name is empty or longer than %d bytes", PEER_NAME_TARGET_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)target[i] < ' ' || target[i] == 0x7f)
        {
            snprintf(why, why_len, "the target name has a control character");
            return -1;
        }
    if (!(slash = memchr(target, '/', len)))
    {
        size_t colons = 0;
        for (size_t i = 0; i < len; i++) colons += target[i] == ':';
        if (colons == 1)
        {
            snprintf(why, why_len, "a plain target name has no port: name it as an SPN, class/host:port");
            return -1;
        }
        return parse_host(target, len, name, why, why_len);
    }
    if (slash == target || slash - target >= (ptrdiff_t)sizeof(name->service_class))
    {
        snprintf(why, why_len, "the SPN's service class is empty or longer than %zu bytes",
                 sizeof(name->service_class) - 1);
        return -1;
    }
    for (const char *q = target; q < slash; q++)
        if (*q == ' ' || *q == ':' || *q == '@' || (unsigned char)*q >= 0x80)
        {
            snprintf(why, why_len, "the SPN's service class has a character a class has not");
            return -1;
        }
    if (parse_spn_rest(slash + 1, len - (size_t)(slash + 1 - target), name, why, why_len))
    {
        memset(name, 0, sizeof(*name));
        return -1;
    }
    memcpy(name->service_class, target, (size_t)(slash - target));
    name->service_class[slash - target] = 0;
    return 0;
}

int peer_name_certificate_matches(gnutls_x509_crt_t crt, const struct peer_name *name)
{
    for (unsigned int seq = 0;; seq++)
    {
        uint8_t buf[HOST_NAME_TEXT_MAX + 2];
        size_t size = sizeof(buf);
        unsigned int type = 0;
        struct host_address a;
        int ret = gnutls_x509_crt_get_subject_alt_name2(crt, seq, buf, &size, &type, NULL);

        if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) return 0;
        if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER) continue;   /* too long to be any name of ours */
        if (ret < 0) return 0;
        if (name->kind == PEER_NAME_DNS && type == GNUTLS_SAN_DNSNAME &&
            peer_name_dns_pattern_matches((const char *)buf, size, name->host))
            return 1;
        if (name->kind == PEER_NAME_IP && type == GNUTLS_SAN_IPADDRESS && !san_address(buf, size, &a) &&
            a.family == name->ip.family && !memcmp(a.addr, name->ip.addr, a.family == AF_INET ? 4 : 16))
            return 1;
    }
}

int peer_name_certificate_names_address(gnutls_x509_crt_t crt, int family, const void *addr)
{
    struct peer_name name;
    return !peer_name_from_address(family, addr, &name) && peer_name_certificate_matches(crt, &name);
}
