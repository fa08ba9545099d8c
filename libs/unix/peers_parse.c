/* The text of the peers and ipsec-psk files (see peers.h); no I/O here. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "secsock/sha256.h"
#include "unix/peers.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Splits the next blank-separated word of [*p, end) into word (NUL-terminated). */
static int next_word(const char **p, const char *end, char *word, size_t size)
{
    size_t n = 0;

    while (*p < end && (**p == ' ' || **p == '\t')) (*p)++;
    while (*p < end && **p != ' ' && **p != '\t')
    {
        if (n + 1 >= size) return -1;
        word[n++] = *(*p)++;
    }
    word[n] = 0;
    return n ? 0 : -1;
}

static int parse_port(const char *word, uint16_t *port)
{
    unsigned long n;
    char *tail;

    *port = 0;
    if (!strcmp(word, "*")) return 0;
    errno = 0;
    n = strtoul(word, &tail, 10);
    if (errno || *tail || !n || n > 65535 || word[0] == '-' || word[0] == '+') return -1;
    *port = (uint16_t)n;
    return 0;
}

static int parse_pin(const char *word, uint8_t pin[PEER_PIN_LEN])
{
    if (strlen(word) != 2 * PEER_PIN_LEN) return -1;
    for (int i = 0; i < PEER_PIN_LEN; i++)
    {
        int hi = hexval(word[2 * i]), lo = hexval(word[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        pin[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int parse_line(const char *p, const char *end, struct peers_pinned *e, const char **reason)
{
    char word[80], addr[80];

    if (next_word(&p, end, word, sizeof(word)) || strcmp(word, "peer")) return *reason = "expected \"peer\"", -1;
    if (next_word(&p, end, addr, sizeof(addr))) return *reason = "missing address", -1;
    memset(e, 0, sizeof(*e));
    if (inet_pton(AF_INET, addr, e->addr.addr) == 1) e->addr.family = SECSOCK_AF_INET;
    else if (inet_pton(AF_INET6, addr, e->addr.addr) == 1) e->addr.family = SECSOCK_AF_INET6;
    else return *reason = "not an IPv4 or IPv6 address", -1;
    if (next_word(&p, end, word, sizeof(word))) return *reason = "missing port", -1;
    if (parse_port(word, &e->addr.port)) return *reason = "bad port", -1;
    if (next_word(&p, end, word, sizeof(word)) || parse_pin(word, e->pin))
        return *reason = "the pin must be 64 hex digits", -1;
    if (!next_word(&p, end, word, sizeof(word))) return *reason = "trailing words", -1;
    return 0;
}

int peers_parse_pinned(const char *text, size_t len, struct peers_pinned *entries, char *why, size_t why_len)
{
    const char *p = text, *end = text + len;
    int line = 0, count = 0;

    while (p < end)
    {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *line_end = eol ? eol : end, *hash, *q;
        const char *reason = NULL;

        line++;
        if ((hash = memchr(p, '#', (size_t)(line_end - p)))) line_end = hash;
        for (q = p; q < line_end && (*q == ' ' || *q == '\t' || *q == '\r'); q++) {}
        if (line_end > p && line_end[-1] == '\r') line_end--;
        if (q < line_end)
        {
            if (count == PEERS_MAX_PINNED)
            {
                snprintf(why, why_len, "line %d: more than %d peers", line, PEERS_MAX_PINNED);
                return -1;
            }
            if (parse_line(p, line_end, &entries[count], &reason))
            {
                snprintf(why, why_len, "line %d: %s", line, reason);
                return -1;
            }
            count++;
        }
        p = eol ? eol + 1 : end;
    }
    return count;
}

int peers_format_pinned(const char *address, const char *port, const uint8_t pin[PEER_PIN_LEN], char *line,
                        size_t size, char *why, size_t why_len)
{
    struct peers_pinned parsed;
    const char *reason = "too long";
    int n = snprintf(line, size, "peer %s %s ", address, port);

    for (int i = 0; i < PEER_PIN_LEN && n > 0 && (size_t)n < size; i++)
        n += snprintf(line + n, size - (size_t)n, "%02x", pin[i]);
    if (n > 0 && (size_t)n + 1 < size) n += snprintf(line + n, size - (size_t)n, "\n");
    /* What is written must read back as this one entry, or the service
     * would ignore the whole file. */
    if (n <= 0 || (size_t)n >= size || memchr(line, '#', (size_t)n) || strchr(address, '\n') ||
        strchr(port, '\n') || parse_line(line, line + n - 1, &parsed, &reason))
    {
        snprintf(why, why_len, "%s", reason);
        return -1;
    }
    return n;
}

/* One "psk ADDRESS SECRET" line, read as sscanf reads it (the secret is
 * the rest of the line, 1 to PEER_PSK_MAX bytes): 0, or -1 when it is not one. */
static int psk_line(const char *line, struct peers_psk *out)
{
    const char *secret;
    int used = 0;

    if (sscanf(line, "psk %46s %n", out->owner, &used) != 1 || !used) return -1;
    secret = line + used;
    out->secret_len = strcspn(secret, "\r\n");
    if (!out->secret_len || out->secret_len > PEER_PSK_MAX) return -1;
    memcpy(out->secret, secret, out->secret_len);
    return 0;
}

int peers_parse_psks(const char *text, size_t len, struct peers_psk **out)
{
    /* Lines of at most 511 bytes, as the fgets() this replaces read them. */
    char line[512];
    struct peers_psk *psks = NULL, *grown, entry;
    size_t count = 0, cap = 0, at = 0;

    while (at < len)
    {
        size_t n = 0;
        while (at < len && n + 1 < sizeof(line))
            if ((line[n++] = text[at++]) == '\n') break;
        line[n] = 0;
        if (psk_line(line, &entry)) continue;
        if (count == cap)
        {
            cap = cap ? cap * 2 : 8;
            if (!(grown = realloc(psks, cap * sizeof(*psks)))) goto fail;
            psks = grown;
        }
        psks[count++] = entry;
    }
    secsock_wipe(line, sizeof(line));
    secsock_wipe(&entry, sizeof(entry));
    *out = psks;
    return (int)count;
fail:
    secsock_wipe(line, sizeof(line));
    secsock_wipe(&entry, sizeof(entry));
    peers_free_psks(psks, count);
    *out = NULL;
    return -1;
}

void peers_free_psks(struct peers_psk *psks, size_t count)
{
    if (psks) secsock_wipe(psks, count * sizeof(*psks));
    free(psks);
}
