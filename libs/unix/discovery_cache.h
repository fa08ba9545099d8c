/*
 * What discovery learnt per peer (address and port the program connects
 * to), kept for the answer's lifetime capped by a configured maximum; a
 * peer that did not answer is remembered as clear for a shorter, fixed
 * time, so that a plain peer costs one probe per that time, not one per
 * connect.  At most capacity entries: a new one replaces an expired entry,
 * else the one that would expire first.  A lookup is a linear scan: the
 * bound is small (hundreds) and lookups happen once per connect.
 * The clock is injected (seconds, monotonic) for tests.
 */
#ifndef SECSOCK_DISCOVERY_CACHE_H
#define SECSOCK_DISCOVERY_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "unix/discovery.h"

typedef uint64_t (*discovery_clock_fn)(void *context);

enum discovery_cache_result {
    DISCOVERY_CACHE_MISS,     /* nothing known: probe */
    DISCOVERY_CACHE_TLS,      /* reach it over secsock TLS on *tls_port */
    DISCOVERY_CACHE_CLEAR,    /* it answered no TLS, or nothing answered */
};

struct discovery_cache;

/* clock NULL: CLOCK_MONOTONIC.  NULL when out of memory or capacity 0. */
struct discovery_cache *discovery_cache_new(size_t capacity, uint32_t max_lifetime, uint32_t silent_lifetime,
                                            discovery_clock_fn clock, void *context);
void discovery_cache_free(struct discovery_cache *cache);

/* Remembers peer's answer (a lifetime of 0 forgets the peer instead).
 * peer: AF_INET or AF_INET6 with the port connected to. */
int discovery_cache_put_answer(struct discovery_cache *cache, const struct sockaddr *peer,
                               const struct discovery_answer *answer);

/* Remembers that no secsockd answered for peer. */
int discovery_cache_put_silent(struct discovery_cache *cache, const struct sockaddr *peer);

enum discovery_cache_result discovery_cache_get(struct discovery_cache *cache, const struct sockaddr *peer,
                                                uint16_t *tls_port);

/* Entries held, expired ones included until replaced. */
size_t discovery_cache_size(const struct discovery_cache *cache);

#endif
