/*
 * The WFP view's enumerations, whatever they enumerate: a handle takes a
 * snapshot of the service's list and keeps the items its template asks
 * for; each page is one block of pointers and items for the program.
 */
#include "wfp_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

#define ENUM_MAGIC 0x6e777066   /* "fwpn" */

struct enum_handle {
    DWORD magic;
    const struct enum_kind *kind;
    struct secsock_msg_secured_entry *entries;   /* the snapshot */
    UINT32 *items;                 /* entry * kind->items_per_entry + k */
    UINT32 count, pos;
    struct enum_handle *next;
};

static struct enum_handle *find_enum(struct engine *engine, HANDLE handle, const struct enum_kind *kind)
{
    for (struct enum_handle *h = engine->enums; h; h = h->next)
        if ((HANDLE)h == handle && h->magic == ENUM_MAGIC && h->kind == kind) return h;
    return NULL;
}

static void free_enum(struct enum_handle *h)
{
    h->magic = 0;
    HeapFree(GetProcessHeap(), 0, h->entries);
    HeapFree(GetProcessHeap(), 0, h->items);
    HeapFree(GetProcessHeap(), 0, h);
}

void enum_free_all(struct engine *engine)
{
    while (engine->enums)
    {
        struct enum_handle *h = engine->enums;
        engine->enums = h->next;
        free_enum(h);
    }
}

/* Keeps the items of the snapshot that the template asks for. */
static void select_items(struct enum_handle *h, const void *tmpl)
{
    UINT32 n = 0, per = h->kind->items_per_entry;

    for (UINT32 i = 0; i < h->count; i++)
        for (unsigned int k = 0; k < per; k++)
            if (h->kind->matches(tmpl, &h->entries[i], k)) h->items[n++] = i * per + k;
    h->count = n;
}

DWORD enum_create(HANDLE engine_handle, const struct enum_kind *kind, const void *tmpl, HANDLE *out)
{
    struct enum_handle *h;
    struct engine *engine;
    DWORD err;

    if (!out) return FWP_E_NULL_POINTER;
    if (!(h = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*h)))) return ERROR_NOT_ENOUGH_MEMORY;
    h->kind = kind;
    EnterCriticalSection(&wfp_lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else err = snapshot(engine, &h->entries, &h->count);
    if (!err && h->count &&
        !(h->items = HeapAlloc(GetProcessHeap(), 0, h->count * kind->items_per_entry * sizeof(UINT32))))
        err = ERROR_NOT_ENOUGH_MEMORY;
    if (!err)
    {
        select_items(h, tmpl);
        h->magic = ENUM_MAGIC;
        h->next = engine->enums;
        engine->enums = h;
        *out = h;
    }
    LeaveCriticalSection(&wfp_lock);
    if (err)
    {
        if (err == ERROR_INVALID_HANDLE) WARN("not an engine handle: %p\n", engine_handle);
        free_enum(h);
    }
    return err;
}

DWORD enum_destroy(HANDLE engine_handle, HANDLE enum_handle, const struct enum_kind *kind)
{
    struct engine *engine;
    struct enum_handle *h = NULL, **p;
    DWORD err = ERROR_SUCCESS;

    EnterCriticalSection(&wfp_lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else if (!(h = find_enum(engine, enum_handle, kind))) err = FWP_E_INVALID_ENUMERATOR;
    else
    {
        for (p = &engine->enums; *p != h; p = &(*p)->next) {}
        *p = h->next;
    }
    LeaveCriticalSection(&wfp_lock);
    if (h) free_enum(h);
    else WARN("engine %p, enumeration %p: error %#lx\n", engine_handle, enum_handle, err);
    return err;
}

/* Up to n items from the enumeration into a new block: an array of
 * pointers, then the items. */
static DWORD fill_page(struct enum_handle *h, UINT32 n, void ***array)
{
    UINT32 per = h->kind->items_per_entry;
    struct arena a;

    if (!arena_init(&a, n * (sizeof(void *) + h->kind->item_bytes))) return ERROR_NOT_ENOUGH_MEMORY;
    *array = take(&a, n * sizeof(void *));
    for (UINT32 i = 0; i < n; i++)
    {
        UINT32 item = h->items[h->pos + i];
        h->kind->fill(&a, &h->entries[item / per], item % per, &(*array)[i]);
    }
    h->pos += n;
    return ERROR_SUCCESS;
}

DWORD enum_next_page(HANDLE engine_handle, HANDLE enum_handle, const struct enum_kind *kind, UINT32 requested,
                     void ***array, UINT32 *returned)
{
    struct engine *engine;
    struct enum_handle *h;
    DWORD err = ERROR_SUCCESS;
    UINT32 n;

    if (!array || !returned) return FWP_E_NULL_POINTER;
    *array = NULL;
    *returned = 0;
    EnterCriticalSection(&wfp_lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else if (!(h = find_enum(engine, enum_handle, kind))) err = FWP_E_INVALID_ENUMERATOR;
    else if ((n = min(requested, h->count - h->pos)) && !(err = fill_page(h, n, array))) *returned = n;
    LeaveCriticalSection(&wfp_lock);
    if (err) WARN("engine %p, enumeration %p: error %#lx\n", engine_handle, enum_handle, err);
    return err;
}
