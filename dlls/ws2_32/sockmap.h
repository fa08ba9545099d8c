/*
 * A table keyed by socket handle: the one shape both of this DLL's
 * per-socket tables use (sockstate.c: what was secured; nbio.c: what was
 * made non-blocking).  An entry begins with a struct sockmap_link; the
 * caller holds its own lock around every call.
 */
#ifndef SECSOCK_SOCKMAP_H
#define SECSOCK_SOCKMAP_H

#include <winsock2.h>

struct sockmap_link {
    struct sockmap_link *next;
    SOCKET s;
};

/* buckets: an array of size NULL-initialised heads. */
struct sockmap {
    struct sockmap_link **buckets;
    unsigned int size;
};

/* Where s's entry is linked (*slot is the entry), or where it would be
 * linked (*slot is NULL). */
static inline struct sockmap_link **sockmap_slot(const struct sockmap *map, SOCKET s)
{
    /* Socket handles are multiples of 4. */
    struct sockmap_link **slot = &map->buckets[(s >> 2) % map->size];

    while (*slot && (*slot)->s != s) slot = &(*slot)->next;
    return slot;
}

/* Links link (with link->s set) at slot, as sockmap_slot returned it. */
static inline void sockmap_link_at(struct sockmap_link **slot, struct sockmap_link *link)
{
    link->next = NULL;
    *slot = link;
}

/* Unlinks the entry at slot; returns it. */
static inline struct sockmap_link *sockmap_unlink(struct sockmap_link **slot)
{
    struct sockmap_link *link = *slot;

    *slot = link->next;
    return link;
}

#endif
