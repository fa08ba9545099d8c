/*
 * Memory the WFP view hands to the program: each answer is one block,
 * sized beforehand and carved in order, that FwpmFreeMemory0 frees; a
 * block not ours is Wine's own fwpuclnt's.
 */
#include "wfp_private.h"
#include "forward.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

struct block {
    void *p;
    struct block *next;
};

static struct block *blocks;

void *take(struct arena *a, SIZE_T size)
{
    SIZE_T at = (a->used + 7) & ~(SIZE_T)7;
    void *p;

    if (at > a->cap || a->cap - at < size) return NULL;   /* sized beforehand: cannot happen */
    p = a->base + at;
    a->used = at + size;
    return p;
}

BOOL arena_init(struct arena *a, SIZE_T cap)
{
    struct block *b = HeapAlloc(GetProcessHeap(), 0, sizeof(*b));

    a->used = 0;
    a->cap = cap;
    if (!b || !(a->base = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, cap)))
    {
        HeapFree(GetProcessHeap(), 0, b);
        return FALSE;
    }
    b->p = a->base;
    EnterCriticalSection(&wfp_lock);
    b->next = blocks;
    blocks = b;
    LeaveCriticalSection(&wfp_lock);
    return TRUE;
}

WCHAR *wide(struct arena *a, const char *text)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0);
    WCHAR *w = n > 0 ? take(a, n * sizeof(WCHAR)) : NULL;

    if (w) MultiByteToWideChar(CP_UTF8, 0, text, -1, w, n);
    return w;
}

void WINAPI secsock_FwpmFreeMemory0(void **p)
{
    struct block **b, *found = NULL;

    TRACE("%p\n", p);
    if (!p || !*p) return;
    EnterCriticalSection(&wfp_lock);
    for (b = &blocks; *b; b = &(*b)->next)
        if ((*b)->p == *p)
        {
            found = *b;
            *b = found->next;
            break;
        }
    LeaveCriticalSection(&wfp_lock);
    if (!found)
    {
        REAL(FwpmFreeMemory0)(p);   /* memory of Wine's own functions */
        return;
    }
    HeapFree(GetProcessHeap(), 0, found->p);
    HeapFree(GetProcessHeap(), 0, found);
    *p = NULL;
}
