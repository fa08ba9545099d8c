/* The discovery messages: encode, and decode strictly. */
#include <string.h>
#include "unix/discovery.h"

static const uint8_t magic[4] = { 'S', 'S', 'K', 'D' };

const char *discovery_status_text(int status)
{
    switch (status)
    {
    case DISCOVERY_OK: return "ok";
    case DISCOVERY_E_SHORT: return "truncated message";
    case DISCOVERY_E_MAGIC: return "not a secsock discovery message";
    case DISCOVERY_E_VERSION: return "unknown discovery version";
    case DISCOVERY_E_TYPE: return "unexpected message type";
    case DISCOVERY_E_TRAILING: return "bytes after the message";
    case DISCOVERY_E_FLAGS: return "unknown flags";
    case DISCOVERY_E_PORT: return "bad port";
    case DISCOVERY_E_SPACE: return "buffer too small";
    }
    return "unknown status";
}

static uint8_t *put_header(uint8_t *p, enum discovery_type type, const uint8_t nonce[DISCOVERY_NONCE_LEN])
{
    memcpy(p, magic, sizeof(magic));
    p[4] = DISCOVERY_VERSION;
    p[5] = (uint8_t)type;
    memcpy(p + 6, nonce, DISCOVERY_NONCE_LEN);
    return p + 6 + DISCOVERY_NONCE_LEN;
}

/* Checks the header of a message of type that must be exactly want bytes. */
static int check_header(const uint8_t *buf, size_t len, enum discovery_type type, size_t want)
{
    /* Magic and version are judged on what is there, so that a short
     * foreign message says "foreign", not "short". */
    if (!len) return DISCOVERY_E_SHORT;
    if (memcmp(buf, magic, len < sizeof(magic) ? len : sizeof(magic))) return DISCOVERY_E_MAGIC;
    if (len > 4 && buf[4] != DISCOVERY_VERSION) return DISCOVERY_E_VERSION;
    if (len > 5 && buf[5] != type) return DISCOVERY_E_TYPE;
    if (len < want) return DISCOVERY_E_SHORT;
    if (len > want) return DISCOVERY_E_TRAILING;
    return DISCOVERY_OK;
}

/* A message of type, exactly want bytes: its nonce, and where its body
 * starts (*body); the header's status otherwise. */
static int read_header(const uint8_t *buf, size_t len, enum discovery_type type, size_t want,
                       uint8_t nonce[DISCOVERY_NONCE_LEN], const uint8_t **body)
{
    int status = check_header(buf, len, type, want);

    if (status) return status;
    memcpy(nonce, buf + 6, DISCOVERY_NONCE_LEN);
    *body = buf + 6 + DISCOVERY_NONCE_LEN;
    return DISCOVERY_OK;
}

static int answer_valid(uint8_t flags, uint16_t tls_port)
{
    if (flags & ~DISCOVERY_FLAG_TLS) return DISCOVERY_E_FLAGS;
    if (!(flags & DISCOVERY_FLAG_TLS) != !tls_port) return DISCOVERY_E_PORT;
    return DISCOVERY_OK;
}

int discovery_encode_probe(const struct discovery_probe *probe, uint8_t *buf, size_t size)
{
    uint8_t *p;

    if (!probe->port) return DISCOVERY_E_PORT;
    if (size < DISCOVERY_PROBE_LEN) return DISCOVERY_E_SPACE;
    p = put_header(buf, DISCOVERY_PROBE, probe->nonce);
    p[0] = (uint8_t)(probe->port >> 8);
    p[1] = (uint8_t)probe->port;
    return DISCOVERY_PROBE_LEN;
}

int discovery_encode_answer(const struct discovery_answer *answer, uint8_t *buf, size_t size)
{
    int status = answer_valid(answer->flags, answer->tls_port);
    uint8_t *p;

    if (status) return status;
    if (size < DISCOVERY_ANSWER_LEN) return DISCOVERY_E_SPACE;
    p = put_header(buf, DISCOVERY_ANSWER, answer->nonce);
    p[0] = answer->flags;
    p[1] = (uint8_t)(answer->tls_port >> 8);
    p[2] = (uint8_t)answer->tls_port;
    p[3] = (uint8_t)(answer->lifetime >> 24);
    p[4] = (uint8_t)(answer->lifetime >> 16);
    p[5] = (uint8_t)(answer->lifetime >> 8);
    p[6] = (uint8_t)answer->lifetime;
    return DISCOVERY_ANSWER_LEN;
}

int discovery_decode_probe(const uint8_t *buf, size_t len, struct discovery_probe *out)
{
    struct discovery_probe probe;
    const uint8_t *p;
    int status;

    if ((status = read_header(buf, len, DISCOVERY_PROBE, DISCOVERY_PROBE_LEN, probe.nonce, &p))) return status;
    if (!(probe.port = (uint16_t)(p[0] << 8 | p[1]))) return DISCOVERY_E_PORT;
    *out = probe;
    return DISCOVERY_OK;
}

int discovery_decode_answer(const uint8_t *buf, size_t len, struct discovery_answer *out)
{
    struct discovery_answer answer;
    const uint8_t *p;
    int status;

    if ((status = read_header(buf, len, DISCOVERY_ANSWER, DISCOVERY_ANSWER_LEN, answer.nonce, &p))) return status;
    answer.flags = p[0];
    answer.tls_port = (uint16_t)(p[1] << 8 | p[2]);
    answer.lifetime = (uint32_t)p[3] << 24 | (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
    if ((status = answer_valid(answer.flags, answer.tls_port))) return status;
    *out = answer;
    return DISCOVERY_OK;
}

int discovery_answer_matches(const struct discovery_probe *probe, const struct discovery_answer *answer)
{
    uint8_t diff = 0;

    for (size_t i = 0; i < DISCOVERY_NONCE_LEN; i++) diff |= (uint8_t)(probe->nonce[i] ^ answer->nonce[i]);
    return diff == 0;
}
