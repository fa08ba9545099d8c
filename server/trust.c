/* The list of TLS-capable peers and their pinned keys. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trust.h"

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

static int parse_line(const char *p, const char *end, struct trust_entry *e, const char **reason)
{
    char word[80], addr[80];
    unsigned long port;
    char *tail;

    if (next_word(&p, end, word, sizeof(word)) || strcmp(word, "peer")) return *reason = "expected \"peer\"", -1;
    if (next_word(&p, end, addr, sizeof(addr))) return *reason = "missing address", -1;
    memset(e, 0, sizeof(*e));
    if (inet_pton(AF_INET, addr, e->addr.addr) == 1) e->addr.family = SECSOCK_AF_INET;
    else if (inet_pton(AF_INET6, addr, e->addr.addr) == 1) e->addr.family = SECSOCK_AF_INET6;
    else return *reason = "not an IPv4 or IPv6 address", -1;
    if (next_word(&p, end, word, sizeof(word))) return *reason = "missing port", -1;
    if (strcmp(word, "*"))
    {
        errno = 0;
        port = strtoul(word, &tail, 10);
        if (errno || *tail || !port || port > 65535 || word[0] == '-' || word[0] == '+')
            return *reason = "bad port", -1;
        e->addr.port = (uint16_t)port;
    }
    if (next_word(&p, end, word, sizeof(word)) || strlen(word) != 2 * TLS_RELAY_PIN_LEN)
        return *reason = "the pin must be 64 hex digits", -1;
    for (int i = 0; i < TLS_RELAY_PIN_LEN; i++)
    {
        int hi = hexval(word[2 * i]), lo = hexval(word[2 * i + 1]);
        if (hi < 0 || lo < 0) return *reason = "the pin must be 64 hex digits", -1;
        e->pin[i] = (uint8_t)(hi << 4 | lo);
    }
    if (!next_word(&p, end, word, sizeof(word))) return *reason = "trailing words", -1;
    return 0;
}

int trust_parse(const char *text, size_t len, struct trust_store *store, char *why, size_t why_len)
{
    const char *p = text, *end = text + len;
    int line = 0;

    store->count = 0;
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
            if (store->count == TRUST_MAX_PEERS)
            {
                snprintf(why, why_len, "line %d: more than %d peers", line, TRUST_MAX_PEERS);
                store->count = 0;
                return -1;
            }
            if (parse_line(p, line_end, &store->entries[store->count], &reason))
            {
                snprintf(why, why_len, "line %d: %s", line, reason);
                store->count = 0;
                return -1;
            }
            store->count++;
        }
        p = eol ? eol + 1 : end;
    }
    return 0;
}

const uint8_t *trust_lookup(const struct trust_store *store, const struct secsock_addr *peer)
{
    size_t alen = peer->family == SECSOCK_AF_INET ? 4 : 16;
    const uint8_t *any_port = NULL;

    /* An entry for the peer's own port wins over one for every port ('*'),
     * wherever each stands in the list. */
    for (size_t i = 0; i < store->count; i++)
    {
        const struct trust_entry *e = &store->entries[i];
        if (e->addr.family != peer->family || memcmp(e->addr.addr, peer->addr, alen)) continue;
        if (e->addr.port == peer->port) return e->pin;
        if (!e->addr.port && !any_port) any_port = e->pin;
    }
    return any_port;
}

size_t trust_pins_for_address(const struct trust_store *store, const struct secsock_addr *addr,
                              uint8_t (*pins)[TLS_RELAY_PIN_LEN], size_t max)
{
    size_t alen = addr->family == SECSOCK_AF_INET ? 4 : 16, n = 0;

    for (size_t i = 0; i < store->count && n < max; i++)
    {
        const struct trust_entry *e = &store->entries[i];
        if (e->addr.family == addr->family && !memcmp(e->addr.addr, addr->addr, alen))
            memcpy(pins[n++], e->pin, TLS_RELAY_PIN_LEN);
    }
    return n;
}

int trust_load(const char *dir, struct trust_store *store, char *why, size_t why_len)
{
    char path[4200], *text;
    size_t cap = 1 << 20, len;
    FILE *f;
    int ret;

    store->count = 0;
    snprintf(path, sizeof(path), "%s/" TRUST_FILE, dir);
    if (!(f = fopen(path, "re"))) return errno == ENOENT ? 0 : (snprintf(why, why_len, "%s: %s", path, strerror(errno)), -1);
    if (!(text = malloc(cap)))
    {
        fclose(f);
        return -1;
    }
    len = fread(text, 1, cap, f);
    fclose(f);
    if (len == cap)
    {
        snprintf(why, why_len, "%s is larger than 1 MiB", path);
        free(text);
        return -1;
    }
    ret = trust_parse(text, len, store, why, why_len);
    free(text);
    return ret;
}
