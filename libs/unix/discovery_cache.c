/* The bounded per-peer cache of discovery answers. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "unix/discovery_cache.h"

struct peer_key {
    uint8_t family;           /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint16_t port;
};

struct entry {
    struct peer_key key;
    uint64_t expires;
    uint16_t tls_port;        /* 0: clear */
};

struct discovery_cache {
    struct entry *entries;
    size_t capacity, count;
    uint32_t max_lifetime, silent_lifetime;
    discovery_clock_fn clock;
    void *context;
};

static uint64_t monotonic_seconds(void *context)
{
    struct timespec ts;
    (void)context;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

struct discovery_cache *discovery_cache_new(size_t capacity, uint32_t max_lifetime, uint32_t silent_lifetime,
                                            discovery_clock_fn clock, void *context)
{
    struct discovery_cache *cache;

    if (!capacity || !(cache = calloc(1, sizeof(*cache)))) return NULL;
    if (!(cache->entries = calloc(capacity, sizeof(*cache->entries))))
    {
        free(cache);
        return NULL;
    }
    cache->capacity = capacity;
    cache->max_lifetime = max_lifetime;
    cache->silent_lifetime = silent_lifetime;
    cache->clock = clock ? clock : monotonic_seconds;
    cache->context = context;
    return cache;
}

void discovery_cache_free(struct discovery_cache *cache)
{
    if (!cache) return;
    free(cache->entries);
    free(cache);
}

/* The key of a peer; an IPv4-mapped IPv6 peer is its IPv4 address. */
static int key_of(const struct sockaddr *peer, struct peer_key *key)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    memset(key, 0, sizeof(*key));
    if (peer->sa_family == AF_INET)
    {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;
        key->family = AF_INET;
        memcpy(key->addr, &sin->sin_addr, 4);
        key->port = ntohs(sin->sin_port);
    }
    else if (peer->sa_family == AF_INET6)
    {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)peer;
        const uint8_t *a = sin6->sin6_addr.s6_addr;
        key->family = memcmp(a, mapped, sizeof(mapped)) ? AF_INET6 : AF_INET;
        memcpy(key->addr, key->family == AF_INET ? a + 12 : a, key->family == AF_INET ? 4 : 16);
        key->port = ntohs(sin6->sin6_port);
    }
    else return -1;
    return 0;
}

static struct entry *find(struct discovery_cache *cache, const struct peer_key *key)
{
    for (size_t i = 0; i < cache->count; i++)
        if (!memcmp(&cache->entries[i].key, key, sizeof(*key))) return &cache->entries[i];
    return NULL;
}

/* A slot for key: its own, a free one, an expired one, or the one that
 * expires first. */
static struct entry *slot(struct discovery_cache *cache, const struct peer_key *key, uint64_t now)
{
    struct entry *e = find(cache, key), *soonest;

    if (e) return e;
    if (cache->count < cache->capacity) return &cache->entries[cache->count++];
    soonest = &cache->entries[0];
    for (size_t i = 0; i < cache->count; i++)
    {
        if (cache->entries[i].expires <= now) return &cache->entries[i];
        if (cache->entries[i].expires < soonest->expires) soonest = &cache->entries[i];
    }
    return soonest;
}

static void forget(struct discovery_cache *cache, struct entry *e)
{
    *e = cache->entries[--cache->count];
}

static int put(struct discovery_cache *cache, const struct sockaddr *peer, uint32_t lifetime, uint16_t tls_port)
{
    struct peer_key key;
    uint64_t now = cache->clock(cache->context);
    struct entry *e;

    if (key_of(peer, &key)) return -1;
    if (!lifetime)
    {
        if ((e = find(cache, &key))) forget(cache, e);
        return 0;
    }
    e = slot(cache, &key, now);
    e->key = key;
    e->expires = now + lifetime;
    e->tls_port = tls_port;
    return 0;
}

int discovery_cache_put_answer(struct discovery_cache *cache, const struct sockaddr *peer,
                               const struct discovery_answer *answer)
{
    uint32_t lifetime = answer->lifetime < cache->max_lifetime ? answer->lifetime : cache->max_lifetime;
    return put(cache, peer, lifetime, (answer->flags & DISCOVERY_FLAG_TLS) ? answer->tls_port : 0);
}

int discovery_cache_put_silent(struct discovery_cache *cache, const struct sockaddr *peer)
{
    return put(cache, peer, cache->silent_lifetime, 0);
}

enum discovery_cache_result discovery_cache_get(struct discovery_cache *cache, const struct sockaddr *peer,
                                                uint16_t *tls_port)
{
    struct peer_key key;
    struct entry *e;

    *tls_port = 0;
    if (key_of(peer, &key) || !(e = find(cache, &key))) return DISCOVERY_CACHE_MISS;
    if (e->expires <= cache->clock(cache->context))
    {
        forget(cache, e);
        return DISCOVERY_CACHE_MISS;
    }
    *tls_port = e->tls_port;
    return e->tls_port ? DISCOVERY_CACHE_TLS : DISCOVERY_CACHE_CLEAR;
}

size_t discovery_cache_size(const struct discovery_cache *cache)
{
    return cache->count;
}
