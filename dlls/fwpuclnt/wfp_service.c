/*
 * The WFP view's source: the service's list of secured connections, one
 * entry per SIO_SECSOCK_SECURED_CONNECTION request through ws2_32.
 */
#include <string.h>
#include "wfp_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

#define MAX_ENTRIES 4096

/* The first entry above after whose ends match (UNSPEC: any). */
DWORD query_entry(struct engine *engine, UINT64 after, struct secsock_msg_secured_entry *entry)
{
    struct secsock_msg_secured_query query;
    DWORD got = 0;

    memset(&query, 0, sizeof(query));
    query.after = after;
    if (WSAIoctl(engine->carrier, SIO_SECSOCK_SECURED_CONNECTION, &query, sizeof(query), entry, sizeof(*entry), &got,
                 NULL, NULL))
    {
        WARN("the service does not answer: error %d\n", WSAGetLastError());
        return RPC_S_SERVER_UNAVAILABLE;
    }
    return ERROR_SUCCESS;
}

DWORD snapshot(struct engine *engine, struct secsock_msg_secured_entry **out, UINT32 *count)
{
    struct secsock_msg_secured_entry entry, *list = NULL, *bigger;
    UINT32 n = 0, cap = 0;
    UINT64 after = 0;
    DWORD err;

    *out = NULL;
    *count = 0;
    while (n < MAX_ENTRIES)
    {
        if ((err = query_entry(engine, after, &entry)))
        {
            HeapFree(GetProcessHeap(), 0, list);
            return err;
        }
        if (!entry.id) break;
        if (n == cap)
        {
            cap = cap ? cap * 2 : 8;
            bigger = list ? HeapReAlloc(GetProcessHeap(), 0, list, cap * sizeof(*list))
                          : HeapAlloc(GetProcessHeap(), 0, cap * sizeof(*list));
            if (!bigger)
            {
                HeapFree(GetProcessHeap(), 0, list);
                return ERROR_NOT_ENOUGH_MEMORY;
            }
            list = bigger;
        }
        list[n++] = entry;
        after = entry.id;
    }
    *out = list;
    *count = n;
    return ERROR_SUCCESS;
}
