/*
 * Provider contexts, kept for the engine session that added them: no
 * backend applies their policy (README), but a program may add and delete
 * them as on Windows.
 */
#include "wfp_private.h"
#include <ntsecapi.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

struct provider_context {
    GUID key;
    FWPM_PROVIDER_CONTEXT_TYPE type;
    UINT64 id;
    struct provider_context *next;
};

static UINT64 next_context_id = 1;

void provider_contexts_free_all(struct engine *engine)
{
    while (engine->contexts)
    {
        struct provider_context *c = engine->contexts;
        engine->contexts = c->next;
        HeapFree(GetProcessHeap(), 0, c);
    }
}

DWORD WINAPI secsock_FwpmProviderContextAdd0(HANDLE engine_handle, const FWPM_PROVIDER_CONTEXT0 *context,
                                             PSECURITY_DESCRIPTOR sd, UINT64 *id)
{
    struct provider_context *c;
    struct engine *engine;
    DWORD err = ERROR_SUCCESS;

    TRACE("%p %p %p %p\n", engine_handle, context, sd, id);
    if (!context) return FWP_E_NULL_POINTER;
    if (context->type >= FWPM_PROVIDER_CONTEXT_TYPE_MAX) return FWP_E_INVALID_PARAMETER;
    if (!context->policy) return FWP_E_NULL_POINTER;   /* every type carries its policy or data */
    if (!(c = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*c)))) return ERROR_NOT_ENOUGH_MEMORY;
    c->key = context->providerContextKey;
    c->type = context->type;
    EnterCriticalSection(&wfp_lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else
    {
        if (IsEqualGUID(&c->key, &wfp_null_guid)) RtlGenRandom(&c->key, sizeof(c->key));
        for (struct provider_context *o = engine->contexts; o; o = o->next)
            if (IsEqualGUID(&o->key, &c->key)) err = FWP_E_ALREADY_EXISTS;
    }
    if (!err)
    {
        c->id = next_context_id++;
        c->next = engine->contexts;
        engine->contexts = c;
        if (id) *id = c->id;
    }
    LeaveCriticalSection(&wfp_lock);
    if (err) HeapFree(GetProcessHeap(), 0, c);
    /* No backend can apply an AuthIP/IKE policy of the program's: a connect
     * whose settings name it is refused (WSAEOPNOTSUPP, README). */
    else FIXME("provider context %s (type %u) kept; no backend applies its policy\n", debugstr_guid(&c->key), c->type);
    return err;
}

DWORD WINAPI secsock_FwpmProviderContextDeleteByKey0(HANDLE engine_handle, const GUID *key)
{
    struct provider_context **p, *found = NULL;
    struct engine *engine;
    DWORD err = ERROR_SUCCESS;

    TRACE("%p %s\n", engine_handle, debugstr_guid(key));
    if (!key) return FWP_E_NULL_POINTER;
    EnterCriticalSection(&wfp_lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else
    {
        for (p = &engine->contexts; *p; p = &(*p)->next)
            if (IsEqualGUID(&(*p)->key, key))
            {
                found = *p;
                *p = found->next;
                break;
            }
        if (!found) err = FWP_E_PROVIDER_CONTEXT_NOT_FOUND;
    }
    LeaveCriticalSection(&wfp_lock);
    HeapFree(GetProcessHeap(), 0, found);
    return err;
}
