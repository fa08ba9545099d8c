/* The control file's format (see include/secsock/runtime.h). */
#include <stdio.h>
#include <string.h>
#include "secsock/runtime.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Reads "<key> <decimal>\n" at *p; the value must fit max. */
static int parse_uint_line(const char **p, const char *end, const char *key, uint32_t max, uint32_t *out)
{
    size_t klen = strlen(key);
    uint64_t v = 0;
    int digits = 0;

    if ((size_t)(end - *p) < klen + 1 || memcmp(*p, key, klen) || (*p)[klen] != ' ') return -1;
    *p += klen + 1;
    while (*p < end && **p >= '0' && **p <= '9' && digits < 10)
    {
        v = v * 10 + (uint64_t)(**p - '0');
        (*p)++;
        digits++;
    }
    if (!digits || v > max || *p >= end || **p != '\n') return -1;
    (*p)++;
    *out = (uint32_t)v;
    return 0;
}

int secsock_control_parse(const char *text, size_t len, struct secsock_control_info *out)
{
    const char *p = text, *end = text + len;
    size_t hlen = strlen(SECSOCK_CONTROL_HEADER);
    uint32_t port, pid;

    if (len > SECSOCK_CONTROL_MAX) return -1;
    if (len < hlen + 1 || memcmp(p, SECSOCK_CONTROL_HEADER, hlen) || p[hlen] != '\n') return -1;
    p += hlen + 1;
    if (parse_uint_line(&p, end, "port", 65535, &port) || !port) return -1;
    if (parse_uint_line(&p, end, "pid", 0x7fffffff, &pid) || !pid) return -1;
    if (p != end) return -1;
    out->port = (uint16_t)port;
    out->pid = pid;
    return 0;
}

int secsock_control_format(const struct secsock_control_info *info, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s\nport %u\npid %u\n", SECSOCK_CONTROL_HEADER, (unsigned)info->port,
                     (unsigned)info->pid);

    if (n < 0 || (size_t)n >= cap) return -1;
    return n;
}

int secsock_secret_parse(const char *text, size_t len, uint8_t secret[SECSOCK_SECRET_LEN])
{
    size_t hlen = strlen(SECSOCK_SECRET_HEADER);
    const char *p = text + hlen + 1;

    if (len != hlen + 1 + 2 * SECSOCK_SECRET_LEN + 1) return -1;
    if (memcmp(text, SECSOCK_SECRET_HEADER, hlen) || text[hlen] != '\n' || text[len - 1] != '\n') return -1;
    for (int i = 0; i < SECSOCK_SECRET_LEN; i++)
    {
        int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        secret[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int secsock_secret_format(const uint8_t secret[SECSOCK_SECRET_LEN], char *buf, size_t cap)
{
    size_t hlen = strlen(SECSOCK_SECRET_HEADER), len = hlen + 1 + 2 * SECSOCK_SECRET_LEN + 1;

    if (cap < len + 1) return -1;
    memcpy(buf, SECSOCK_SECRET_HEADER, hlen);
    buf[hlen] = '\n';
    for (int i = 0; i < SECSOCK_SECRET_LEN; i++)
    {
        buf[hlen + 1 + 2 * i] = "0123456789abcdef"[secret[i] >> 4];
        buf[hlen + 2 + 2 * i] = "0123456789abcdef"[secret[i] & 15];
    }
    buf[len - 1] = '\n';
    buf[len] = 0;
    return (int)len;
}
