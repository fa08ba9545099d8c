/*
 * The TLS backend's discovery (libs/unix/discovery.h): this service
 * answers other hosts' secsockd on its discovery port (which of its ports
 * speak secsock TLS, and where), and asks theirs before a connection to a
 * peer that is neither pinned nor configured for IPsec, caching each
 * answer (discovery_cache.h).
 *
 * The port is SECSOCK_DISCOVERY_PORT (default DISCOVERY_DEFAULT_PORT; 0
 * turns discovery off: no answers, and every peer counts as silent).  One
 * secsockd per host can hold it: on a host where another user's service
 * holds it, this one still asks others but is not found by them (README,
 * Limits).
 */
#ifndef SECSOCKD_DISCOVERY_SERVICE_H
#define SECSOCKD_DISCOVERY_SERVICE_H

#include <stdint.h>
#include <time.h>
#include "secsock/proto.h"
#include "service.h"
#include "unix/discovery_cache.h"

/* Answers to a probe: the port where secsock TLS for asked_port listens
 * here, or 0 (the TLS backend's leases and side listeners). */
typedef uint16_t (*discovery_lookup_fn)(uint16_t asked_port);

/* Opens the responder and the asking socket with their watches (owner:
 * the TLS backend, which passes their events to discovery_service_event). */
void discovery_service_open(discovery_lookup_fn lookup);
void discovery_service_close(void);

/* What is known of peer (address and port): DISCOVERY_CACHE_TLS with
 * *tls_port, DISCOVERY_CACHE_CLEAR, or DISCOVERY_CACHE_MISS: then a probe
 * is on its way, and done(ctx, result, tls_port) is called once, from the
 * event loop, unless discovery_cancel(ctx) came first. */
enum discovery_cache_result discovery_service_ask(const struct secsock_addr *peer, uint16_t *tls_port,
                                                  void (*done)(void *ctx, enum discovery_cache_result result,
                                                               uint16_t tls_port),
                                                  void *ctx);
void discovery_service_cancel(void *ctx);

/* One of its watches is ready. */
void discovery_service_event(struct watch *watch);

/* The discovery port in use (0: off), for status. */
uint16_t discovery_service_port(void);
/* Whether this service answers on it (another one may hold it). */
int discovery_service_answering(void);

#endif
