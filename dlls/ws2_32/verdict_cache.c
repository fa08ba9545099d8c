/*
 * The service's verdicts on datagrams, by peer: a secured datagram socket
 * that sends to many peers, or to one peer many times, asks the service
 * once per peer and settings for as long as the service says its verdict
 * lasts (CONNECT_VERDICT.cache_seconds), not once per datagram.
 */
#include "ws2_32_private.h"
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

/* A program talks to few peers at once; beyond that the oldest entry
 * goes, which costs one more question to the service, never a wrong
 * verdict. */
#define VERDICT_CACHE_SIZE 64

struct verdict_entry {
    BOOL used;
    ULONGLONG expires;               /* GetTickCount64() */
    struct secsock_msg_connect req;  /* what was asked: the peer and the settings */
    enum route route;
    int err;
};

static struct verdict_entry entries[VERDICT_CACHE_SIZE];
static CRITICAL_SECTION cache_lock;

void verdict_cache_init(void)
{
    InitializeCriticalSection(&cache_lock);
}

/* Whether e answered the same question: peer and settings alike. */
static BOOL entry_matches(const struct verdict_entry *e, const struct secsock_msg_connect *req)
{
    return e->used && secsock_addr_equal(&e->req.peer, &req->peer) && e->req.protocol == req->protocol &&
           e->req.flags == req->flags && e->req.demands == req->demands && e->req.ipsec_flags == req->ipsec_flags &&
           e->req.socktype == req->socktype && !strcmp(e->req.target_name, req->target_name);
}

BOOL verdict_cache_get(const struct secsock_msg_connect *req, enum route *route, int *err)
{
    ULONGLONG now = GetTickCount64();
    BOOL found = FALSE;

    EnterCriticalSection(&cache_lock);
    for (unsigned int i = 0; i < VERDICT_CACHE_SIZE && !found; i++)
    {
        struct verdict_entry *e = &entries[i];
        if (!entry_matches(e, req)) continue;
        if (e->expires <= now)
        {
            e->used = FALSE;
            break;
        }
        *route = e->route;
        *err = e->err;
        found = TRUE;
    }
    LeaveCriticalSection(&cache_lock);
    return found;
}

void verdict_cache_put(const struct secsock_msg_connect *req, enum route route, int err, DWORD seconds)
{
    ULONGLONG now = GetTickCount64();
    struct verdict_entry *slot = NULL;

    if (!seconds) return;
    EnterCriticalSection(&cache_lock);
    for (unsigned int i = 0; i < VERDICT_CACHE_SIZE; i++)
    {
        struct verdict_entry *e = &entries[i];
        /* The same key again, else a free or expired slot, else the one
         * that expires first. */
        if (entry_matches(e, req)) { slot = e; break; }
        if (!e->used || e->expires <= now) { if (!slot || slot->used) slot = e; continue; }
        if (!slot || (slot->used && e->expires < slot->expires)) slot = e;
    }
    slot->used = TRUE;
    slot->expires = now + (ULONGLONG)seconds * 1000;
    slot->req = *req;
    slot->route = route;
    slot->err = err;
    TRACE("datagram verdict for port %u kept %lu s\n", req->peer.port, seconds);
    LeaveCriticalSection(&cache_lock);
}
