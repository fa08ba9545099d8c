/*
 * A read-only Windows Filtering Platform view of what secsockd secured:
 * the engine session, filter and IPsec SA context enumerations, IKE SAs by
 * id, FwpmFreeMemory0, and provider contexts kept for the session.
 *
 * Each secured connection (an entry of the service's list, id n, walked
 * one per request through ws2_32's SIO_SECSOCK_SECURED_CONNECTION) is:
 *   - four filters, the ones Windows instantiates for a secured socket's
 *     5-tuple: IKEEXT (main mode: local and remote address, PERMIT),
 *     IPSEC (quick mode: the 5-tuple, PERMIT), OUTBOUND_TRANSPORT and
 *     INBOUND_TRANSPORT (the 5-tuple, CALLOUT_TERMINATING to the IPsec
 *     transport callouts); filter ids 4n .. 4n+3;
 *   - one SA context, id n, with an inbound and an outbound SA whose
 *     bundle says qmSaId n and mmSaId n; the IKE SA's id is n too, and the
 *     IPSEC2 query's MmSaId and QmSaId are n (dlls/ws2_32/security_ioctl.c).
 * The tuple is the one the program sees: getsockname and getpeername of
 * its socket (a TLS-relayed connection's local end is its loopback hop).
 * The TLS -> IPsec transform mapping is in README ("A WFP view").
 */
#include <stdarg.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <string.h>
#include <ntsecapi.h>
#include "secsock/securesock.h"
#include "secsock/proto.h"
#include "secsock/wfp.h"
#include "forward.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

#define ENGINE_MAGIC 0x65777066   /* "fwpe" */
#define ENUM_MAGIC   0x6e777066   /* "fwpn" */
#define MAX_ENTRIES  4096
#define FILTERS_PER_ENTRY 4
#ifndef RPC_C_AUTHN_WINNT
#define RPC_C_AUTHN_WINNT 10
#endif
#ifndef RPC_C_AUTHN_DEFAULT
#define RPC_C_AUTHN_DEFAULT 0xffffffff
#endif

enum enum_kind { ENUM_FILTERS, ENUM_SA_CONTEXTS };

struct enum_handle {
    DWORD magic;
    enum enum_kind kind;
    struct secsock_msg_secured_entry *entries;   /* the snapshot */
    UINT32 *items;                 /* filters: entry * 4 + k; SA contexts: entry */
    UINT32 count, pos;
    struct enum_handle *next;
};

struct provider_context {
    GUID key;
    FWPM_PROVIDER_CONTEXT_TYPE type;
    UINT64 id;
    struct provider_context *next;
};

struct engine {
    DWORD magic;
    SOCKET carrier;                /* any socket: the ioctl needs one */
    GUID session_key;
    struct enum_handle *enums;
    struct provider_context *contexts;
    struct engine *next;
};

/* Blocks handed to the program, which FwpmFreeMemory0 frees. */
struct block {
    void *p;
    struct block *next;
};

static CRITICAL_SECTION lock;
static CRITICAL_SECTION_DEBUG lock_debug = { 0, 0, &lock, { &lock_debug.ProcessLocksList, &lock_debug.ProcessLocksList },
                                             0, 0, { (DWORD_PTR)(__FILE__ ": lock") } };
static CRITICAL_SECTION lock = { &lock_debug, -1, 0, 0, 0, 0 };
static struct engine *engines;
static struct block *blocks;
static UINT64 next_context_id = 1;
static const GUID null_guid;

/* ---- handles ------------------------------------------------------------------ */

static struct engine *find_engine(HANDLE handle)
{
    for (struct engine *e = engines; e; e = e->next)
        if ((HANDLE)e == handle && e->magic == ENGINE_MAGIC) return e;
    return NULL;
}

static struct enum_handle *find_enum(struct engine *engine, HANDLE handle, enum enum_kind kind)
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

/* ---- the service's list ---------------------------------------------------------- */

/* The first entry above after whose ends match (UNSPEC: any). */
static DWORD query_entry(struct engine *engine, UINT64 after, struct secsock_msg_secured_entry *entry)
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

static DWORD snapshot(struct engine *engine, struct secsock_msg_secured_entry **out, UINT32 *count)
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

/* ---- memory handed out ----------------------------------------------------------------- */

struct arena {
    BYTE *base;
    SIZE_T used, cap;
};

static void *take(struct arena *a, SIZE_T size)
{
    SIZE_T at = (a->used + 7) & ~(SIZE_T)7;
    void *p;

    if (at > a->cap || a->cap - at < size) return NULL;   /* sized beforehand: cannot happen */
    p = a->base + at;
    a->used = at + size;
    return p;
}

static BOOL arena_init(struct arena *a, SIZE_T cap)
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
    EnterCriticalSection(&lock);
    b->next = blocks;
    blocks = b;
    LeaveCriticalSection(&lock);
    return TRUE;
}

static WCHAR *wide(struct arena *a, const char *text)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0);
    WCHAR *w = n > 0 ? take(a, n * sizeof(WCHAR)) : NULL;

    if (w) MultiByteToWideChar(CP_UTF8, 0, text, -1, w, n);
    return w;
}

/* The arena's sizes: generous bounds of what one item takes. */
#define FILTER_BYTES  (sizeof(FWPM_FILTER0) + 5 * sizeof(FWPM_FILTER_CONDITION0) + 2 * sizeof(FWP_BYTE_ARRAY16) + \
                       2 * (SECSOCK_MAX_STR + 64) * sizeof(WCHAR) + 128)
#define CONTEXT_BYTES (sizeof(IPSEC_SA_CONTEXT0) + 2 * (sizeof(IPSEC_SA_DETAILS0) + sizeof(IPSEC_SA0) + \
                       sizeof(IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0) + FILTER_BYTES) + 128)
#define IKE_SA_BYTES  (sizeof(IKEEXT_SA_DETAILS0) + sizeof(IKEEXT_CREDENTIAL_PAIR0) + \
                       2 * sizeof(IKEEXT_CERTIFICATE_CREDENTIAL0) + 2 * sizeof(IKEEXT_PRESHARED_KEY_AUTHENTICATION0) + \
                       SECSOCK_MAX_STR + 64 + 128)

/* ---- what an entry looks like in WFP ---------------------------------------------------------- */

static BOOL is_v6(const struct secsock_msg_secured_entry *e)
{
    return e->local.family == SECSOCK_AF_INET6;
}

static UINT32 v4_host(const struct secsock_addr *a)
{
    return (UINT32)a->addr[0] << 24 | (UINT32)a->addr[1] << 16 | (UINT32)a->addr[2] << 8 | a->addr[3];
}

static const GUID *filter_layer(const struct secsock_msg_secured_entry *e, unsigned int k)
{
    static const GUID *const layers[FILTERS_PER_ENTRY][2] = {
        { &FWPM_LAYER_IKEEXT_V4, &FWPM_LAYER_IKEEXT_V6 },
        { &FWPM_LAYER_IPSEC_V4, &FWPM_LAYER_IPSEC_V6 },
        { &FWPM_LAYER_OUTBOUND_TRANSPORT_V4, &FWPM_LAYER_OUTBOUND_TRANSPORT_V6 },
        { &FWPM_LAYER_INBOUND_TRANSPORT_V4, &FWPM_LAYER_INBOUND_TRANSPORT_V6 },
    };
    return layers[k][is_v6(e)];
}

static const GUID *filter_callout(const struct secsock_msg_secured_entry *e, unsigned int k)
{
    if (k == 2) return is_v6(e) ? &FWPM_CALLOUT_IPSEC_OUTBOUND_TRANSPORT_V6 : &FWPM_CALLOUT_IPSEC_OUTBOUND_TRANSPORT_V4;
    if (k == 3) return is_v6(e) ? &FWPM_CALLOUT_IPSEC_INBOUND_TRANSPORT_V6 : &FWPM_CALLOUT_IPSEC_INBOUND_TRANSPORT_V4;
    return NULL;
}

/* The fields a filter constrains, as exact values. */
enum field { FIELD_LOCAL_ADDR, FIELD_REMOTE_ADDR, FIELD_PROTOCOL, FIELD_LOCAL_PORT, FIELD_REMOTE_PORT, FIELD_COUNT };
static const GUID *const field_keys[FIELD_COUNT] = {
    &FWPM_CONDITION_IP_LOCAL_ADDRESS, &FWPM_CONDITION_IP_REMOTE_ADDRESS, &FWPM_CONDITION_IP_PROTOCOL,
    &FWPM_CONDITION_IP_LOCAL_PORT, &FWPM_CONDITION_IP_REMOTE_PORT,
};

static unsigned int filter_fields(unsigned int k)
{
    return k == 0 ? 2 : FIELD_COUNT;   /* main mode: the addresses only */
}

static void fill_condition(struct arena *a, const struct secsock_msg_secured_entry *e, enum field f,
                           FWPM_FILTER_CONDITION0 *c)
{
    const struct secsock_addr *addr = f == FIELD_LOCAL_ADDR ? &e->local : &e->remote;

    c->fieldKey = *field_keys[f];
    c->matchType = FWP_MATCH_EQUAL;
    switch (f)
    {
    case FIELD_LOCAL_ADDR:
    case FIELD_REMOTE_ADDR:
        if (is_v6(e) && (c->conditionValue.byteArray16 = take(a, sizeof(FWP_BYTE_ARRAY16))))
        {
            c->conditionValue.type = FWP_BYTE_ARRAY16_TYPE;
            memcpy(c->conditionValue.byteArray16->byteArray16, addr->addr, 16);
        }
        else if (!is_v6(e))
        {
            c->conditionValue.type = FWP_UINT32;
            c->conditionValue.uint32 = v4_host(addr);
        }
        break;
    case FIELD_PROTOCOL:
        c->conditionValue.type = FWP_UINT8;
        c->conditionValue.uint8 = IPPROTO_TCP;
        break;
    case FIELD_LOCAL_PORT:
    case FIELD_REMOTE_PORT:
        c->conditionValue.type = FWP_UINT16;
        c->conditionValue.uint16 = f == FIELD_LOCAL_PORT ? e->local.port : e->remote.port;
        break;
    default:
        break;
    }
}

static const char *backend_name(const struct secsock_msg_secured_entry *e)
{
    return e->backend == SECSOCK_BACKEND_IPSEC ? "IPsec" : "TLS";
}

static void fill_filter(struct arena *a, const struct secsock_msg_secured_entry *e, unsigned int k, FWPM_FILTER0 *f)
{
    static const char *const kinds[FILTERS_PER_ENTRY] = { "main mode", "quick mode", "outbound transport",
                                                          "inbound transport" };
    char text[SECSOCK_MAX_STR + 64];
    unsigned int n = filter_fields(k);
    const GUID *callout = filter_callout(e, k);

    f->filterId = (UINT64)e->id * FILTERS_PER_ENTRY + k;
    /* A key of its own for each filter: secsock's prefix, then the id. */
    f->filterKey.Data1 = 0x5ec50c4b;
    f->filterKey.Data2 = 0x5752;
    f->filterKey.Data3 = 0x4650;
    for (unsigned int i = 0; i < 8; i++) f->filterKey.Data4[i] = (BYTE)(f->filterId >> (8 * (7 - i)));
    snprintf(text, sizeof(text), "secsock %s %s", backend_name(e), kinds[k]);
    f->displayData.name = wide(a, text);
    snprintf(text, sizeof(text), "%s", e->suite[0] ? e->suite : backend_name(e));
    f->displayData.description = wide(a, text);
    f->layerKey = *filter_layer(e, k);
    f->weight.type = FWP_EMPTY;
    f->effectiveWeight.type = FWP_EMPTY;
    f->numFilterConditions = n;
    if ((f->filterCondition = take(a, n * sizeof(FWPM_FILTER_CONDITION0))))
        for (unsigned int i = 0; i < n; i++) fill_condition(a, e, i, &f->filterCondition[i]);
    if (callout)
    {
        f->action.type = FWP_ACTION_CALLOUT_TERMINATING;
        f->action.calloutKey = *callout;
    }
    else f->action.type = FWP_ACTION_PERMIT;
}

/* ---- enumeration templates ------------------------------------------------------------------ */

static BOOL in_range(UINT64 v, const FWP_VALUE0 *low, const FWP_VALUE0 *high)
{
    UINT64 l = low->type == FWP_UINT8 ? low->uint8 : low->type == FWP_UINT16 ? low->uint16 : low->uint32;
    UINT64 h = high->type == FWP_UINT8 ? high->uint8 : high->type == FWP_UINT16 ? high->uint16 : high->uint32;
    return l <= v && v <= h;
}

static BOOL number_matches(UINT64 v, FWP_MATCH_TYPE match, UINT64 want)
{
    switch (match)
    {
    case FWP_MATCH_EQUAL: return v == want;
    case FWP_MATCH_NOT_EQUAL: return v != want;
    case FWP_MATCH_GREATER: return v > want;
    case FWP_MATCH_LESS: return v < want;
    case FWP_MATCH_GREATER_OR_EQUAL: return v >= want;
    case FWP_MATCH_LESS_OR_EQUAL: return v <= want;
    default: return FALSE;
    }
}

static BOOL prefix_matches(const BYTE *addr, const BYTE *net, unsigned int bits)
{
    for (unsigned int i = 0; i < 16 && bits; i++, bits = bits > 8 ? bits - 8 : 0)
    {
        BYTE mask = bits >= 8 ? 0xff : (BYTE)(0xff << (8 - bits));
        if ((addr[i] ^ net[i]) & mask) return FALSE;
    }
    return TRUE;
}

/* Whether an address is in a condition value (FWP_EMPTY: any). */
static BOOL addr_in(const struct secsock_addr *addr, const FWP_CONDITION_VALUE0 *v, FWP_MATCH_TYPE match)
{
    BOOL v6 = addr->family == SECSOCK_AF_INET6, in;

    switch (v->type)
    {
    case FWP_EMPTY: return TRUE;
    case FWP_UINT32: in = !v6 && v4_host(addr) == v->uint32; break;
    case FWP_BYTE_ARRAY16_TYPE: in = v6 && v->byteArray16 && !memcmp(addr->addr, v->byteArray16->byteArray16, 16); break;
    case FWP_V4_ADDR_MASK:
        in = !v6 && v->v4AddrMask && !((v4_host(addr) ^ v->v4AddrMask->addr) & v->v4AddrMask->mask);
        break;
    case FWP_V6_ADDR_MASK:
        in = v6 && v->v6AddrMask && v->v6AddrMask->prefixLength <= 128 &&
             prefix_matches(addr->addr, v->v6AddrMask->addr, v->v6AddrMask->prefixLength);
        break;
    default: return FALSE;
    }
    return match == FWP_MATCH_NOT_EQUAL ? !in : in;
}

static BOOL value_matches(const struct secsock_msg_secured_entry *e, enum field f, const FWPM_FILTER_CONDITION0 *c)
{
    UINT64 v = f == FIELD_PROTOCOL ? IPPROTO_TCP : f == FIELD_LOCAL_PORT ? e->local.port : e->remote.port;
    const FWP_CONDITION_VALUE0 *cv = &c->conditionValue;

    if (f == FIELD_LOCAL_ADDR || f == FIELD_REMOTE_ADDR)
        return addr_in(f == FIELD_LOCAL_ADDR ? &e->local : &e->remote, cv, c->matchType);
    if (c->matchType == FWP_MATCH_RANGE)
        return cv->type == FWP_RANGE_TYPE && cv->rangeValue && in_range(v, &cv->rangeValue->valueLow, &cv->rangeValue->valueHigh);
    switch (cv->type)
    {
    case FWP_UINT8: return number_matches(v, c->matchType, cv->uint8);
    case FWP_UINT16: return number_matches(v, c->matchType, cv->uint16);
    case FWP_UINT32: return number_matches(v, c->matchType, cv->uint32);
    default: return FALSE;
    }
}

/* Conditions on one field are alternatives, on different fields all
 * apply.  A filter that does not constrain a field overlaps any condition
 * on it, and is contained in none. */
static BOOL filter_matches(const FWPM_FILTER_ENUM_TEMPLATE0 *t, const struct secsock_msg_secured_entry *e,
                           unsigned int k)
{
    const GUID *callout = filter_callout(e, k);
    UINT32 action = callout ? FWP_ACTION_CALLOUT_TERMINATING : FWP_ACTION_PERMIT;

    if (!t) return TRUE;
    if (t->providerKey || t->providerContextTemplate) return FALSE;   /* no provider owns these */
    if (!IsEqualGUID(&t->layerKey, filter_layer(e, k))) return FALSE;
    if (!(action & t->actionMask)) return FALSE;
    if (t->calloutKey && (!callout || !IsEqualGUID(t->calloutKey, callout))) return FALSE;
    for (unsigned int f = 0; f < FIELD_COUNT; f++)
    {
        BOOL asked = FALSE, ok = FALSE;
        for (UINT32 i = 0; i < t->numFilterConditions; i++)
        {
            if (!IsEqualGUID(&t->filterCondition[i].fieldKey, field_keys[f])) continue;
            asked = TRUE;
            if (f >= filter_fields(k)) ok |= t->enumType == FWP_FILTER_ENUM_OVERLAPPING;
            else ok |= value_matches(e, f, &t->filterCondition[i]);
        }
        if (asked && !ok) return FALSE;
    }
    return TRUE;
}

static BOOL context_matches(const IPSEC_SA_CONTEXT_ENUM_TEMPLATE0 *t, const struct secsock_msg_secured_entry *e)
{
    return !t || (addr_in(&e->local, &t->localSubNet, FWP_MATCH_EQUAL) &&
                  addr_in(&e->remote, &t->remoteSubNet, FWP_MATCH_EQUAL));
}

static BOOL subnet_valid(const FWP_CONDITION_VALUE0 *v)
{
    switch (v->type)
    {
    case FWP_EMPTY: case FWP_UINT32: return TRUE;
    case FWP_BYTE_ARRAY16_TYPE: return v->byteArray16 != NULL;
    case FWP_V4_ADDR_MASK: return v->v4AddrMask != NULL;
    case FWP_V6_ADDR_MASK: return v->v6AddrMask != NULL;
    default: return FALSE;
    }
}

/* ---- engine session ---------------------------------------------------------------------------- */

DWORD WINAPI secsock_FwpmEngineOpen0(const WCHAR *server, UINT32 authn, void *identity,
                                     const FWPM_SESSION0 *session, HANDLE *handle)
{
    struct secsock_msg_secured_entry probe;
    struct engine *engine;
    WSADATA wsa;
    DWORD err;

    TRACE("%s %u %p %p %p\n", debugstr_w(server), authn, identity, session, handle);
    if (!handle) return FWP_E_NULL_POINTER;
    if (server || (authn != RPC_C_AUTHN_WINNT && authn != RPC_C_AUTHN_DEFAULT))
    {
        WARN("only the local engine, with RPC_C_AUTHN_WINNT or RPC_C_AUTHN_DEFAULT\n");
        return ERROR_INVALID_PARAMETER;
    }
    if (!(engine = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*engine)))) return ERROR_NOT_ENOUGH_MEMORY;
    if (session) engine->session_key = session->sessionKey;
    if (WSAStartup(MAKEWORD(2, 2), &wsa))
    {
        HeapFree(GetProcessHeap(), 0, engine);
        return RPC_S_SERVER_UNAVAILABLE;
    }
    engine->carrier = socket(AF_INET, SOCK_DGRAM, 0);
    engine->magic = ENGINE_MAGIC;
    /* The engine is the service: it must answer. */
    if (engine->carrier == INVALID_SOCKET) err = RPC_S_SERVER_UNAVAILABLE;
    else err = query_entry(engine, ~(UINT64)0, &probe);
    EnterCriticalSection(&lock);
    if (!err && session && !IsEqualGUID(&engine->session_key, &null_guid))
        for (struct engine *e = engines; e; e = e->next)
            if (IsEqualGUID(&e->session_key, &engine->session_key)) err = FWP_E_ALREADY_EXISTS;
    if (!err)
    {
        engine->next = engines;
        engines = engine;
    }
    LeaveCriticalSection(&lock);
    if (err)
    {
        if (engine->carrier != INVALID_SOCKET) closesocket(engine->carrier);
        WSACleanup();
        HeapFree(GetProcessHeap(), 0, engine);
        return err;
    }
    *handle = engine;
    return ERROR_SUCCESS;
}

DWORD WINAPI secsock_FwpmEngineClose0(HANDLE handle)
{
    struct engine *engine, **p;

    TRACE("%p\n", handle);
    EnterCriticalSection(&lock);
    if (!(engine = find_engine(handle)))
    {
        LeaveCriticalSection(&lock);
        WARN("not an engine handle: %p\n", handle);
        return ERROR_INVALID_HANDLE;
    }
    for (p = &engines; *p != engine; p = &(*p)->next) {}
    *p = engine->next;
    LeaveCriticalSection(&lock);
    /* Its enumerations and provider contexts end with it. */
    while (engine->enums)
    {
        struct enum_handle *h = engine->enums;
        engine->enums = h->next;
        free_enum(h);
    }
    while (engine->contexts)
    {
        struct provider_context *c = engine->contexts;
        engine->contexts = c->next;
        HeapFree(GetProcessHeap(), 0, c);
    }
    closesocket(engine->carrier);
    WSACleanup();
    engine->magic = 0;
    HeapFree(GetProcessHeap(), 0, engine);
    return ERROR_SUCCESS;
}

void WINAPI secsock_FwpmFreeMemory0(void **p)
{
    struct block **b, *found = NULL;

    TRACE("%p\n", p);
    if (!p || !*p) return;
    EnterCriticalSection(&lock);
    for (b = &blocks; *b; b = &(*b)->next)
        if ((*b)->p == *p)
        {
            found = *b;
            *b = found->next;
            break;
        }
    LeaveCriticalSection(&lock);
    if (!found)
    {
        REAL(FwpmFreeMemory0)(p);   /* memory of Wine's own functions */
        return;
    }
    HeapFree(GetProcessHeap(), 0, found->p);
    HeapFree(GetProcessHeap(), 0, found);
    *p = NULL;
}

/* ---- enumerations --------------------------------------------------------------------------- */

static DWORD create_enum(HANDLE engine_handle, enum enum_kind kind, const void *tmpl, HANDLE *out)
{
    struct enum_handle *h;
    struct engine *engine;
    DWORD err;

    if (!out) return FWP_E_NULL_POINTER;
    if (!(h = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*h)))) return ERROR_NOT_ENOUGH_MEMORY;
    EnterCriticalSection(&lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else err = snapshot(engine, &h->entries, &h->count);
    if (!err && h->count && !(h->items = HeapAlloc(GetProcessHeap(), 0, h->count * FILTERS_PER_ENTRY * sizeof(UINT32))))
        err = ERROR_NOT_ENOUGH_MEMORY;
    if (!err)
    {
        UINT32 n = 0;
        for (UINT32 i = 0; i < h->count; i++)
        {
            if (kind == ENUM_SA_CONTEXTS)
            {
                if (context_matches(tmpl, &h->entries[i])) h->items[n++] = i;
                continue;
            }
            for (unsigned int k = 0; k < FILTERS_PER_ENTRY; k++)
                if (filter_matches(tmpl, &h->entries[i], k)) h->items[n++] = i * FILTERS_PER_ENTRY + k;
        }
        h->count = n;
        h->kind = kind;
        h->magic = ENUM_MAGIC;
        h->next = engine->enums;
        engine->enums = h;
        *out = h;
    }
    LeaveCriticalSection(&lock);
    if (err)
    {
        if (err == ERROR_INVALID_HANDLE) WARN("not an engine handle: %p\n", engine_handle);
        free_enum(h);
    }
    return err;
}

static DWORD destroy_enum(HANDLE engine_handle, HANDLE enum_handle, enum enum_kind kind)
{
    struct engine *engine;
    struct enum_handle *h = NULL, **p;
    DWORD err = ERROR_SUCCESS;

    EnterCriticalSection(&lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else if (!(h = find_enum(engine, enum_handle, kind))) err = FWP_E_INVALID_ENUMERATOR;
    else
    {
        for (p = &engine->enums; *p != h; p = &(*p)->next) {}
        *p = h->next;
    }
    LeaveCriticalSection(&lock);
    if (h) free_enum(h);
    else WARN("engine %p, enumeration %p: error %#lx\n", engine_handle, enum_handle, err);
    return err;
}

/* Takes up to requested items from the enumeration into an arena: an
 * array of pointers, then the items, all in one block. */
static DWORD next_page(HANDLE engine_handle, HANDLE enum_handle, enum enum_kind kind, UINT32 requested,
                       struct arena *a, void ***array, UINT32 *returned,
                       void (*fill)(struct arena *a, const struct secsock_msg_secured_entry *e, UINT32 item, void **out))
{
    struct engine *engine;
    struct enum_handle *h;
    DWORD err = ERROR_SUCCESS;
    UINT32 n = 0;

    *array = NULL;
    *returned = 0;
    EnterCriticalSection(&lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else if (!(h = find_enum(engine, enum_handle, kind))) err = FWP_E_INVALID_ENUMERATOR;
    else
    {
        n = min(requested, h->count - h->pos);
        if (n && !arena_init(a, n * (sizeof(void *) + (kind == ENUM_FILTERS ? FILTER_BYTES : CONTEXT_BYTES))))
            err = ERROR_NOT_ENOUGH_MEMORY;
        else if (n)
        {
            *array = take(a, n * sizeof(void *));
            for (UINT32 i = 0; i < n; i++)
            {
                UINT32 item = h->items[h->pos + i];
                const struct secsock_msg_secured_entry *e =
                    &h->entries[kind == ENUM_FILTERS ? item / FILTERS_PER_ENTRY : item];
                fill(a, e, item, &(*array)[i]);
            }
            h->pos += n;
            *returned = n;
        }
    }
    LeaveCriticalSection(&lock);
    if (err) WARN("engine %p, enumeration %p: error %#lx\n", engine_handle, enum_handle, err);
    return err;
}

static void fill_filter_item(struct arena *a, const struct secsock_msg_secured_entry *e, UINT32 item, void **out)
{
    FWPM_FILTER0 *f = take(a, sizeof(*f));

    if (f) fill_filter(a, e, item % FILTERS_PER_ENTRY, f);
    *out = f;
}

DWORD WINAPI secsock_FwpmFilterCreateEnumHandle0(HANDLE engine, const FWPM_FILTER_ENUM_TEMPLATE0 *tmpl, HANDLE *handle)
{
    TRACE("%p %p %p\n", engine, tmpl, handle);
    if (tmpl)
    {
        if (tmpl->numFilterConditions && !tmpl->filterCondition) return FWP_E_NULL_POINTER;
        if (tmpl->enumType >= FWP_FILTER_ENUM_TYPE_MAX)
        {
            WARN("enumeration type %u\n", tmpl->enumType);
            return FWP_E_INVALID_PARAMETER;
        }
    }
    return create_enum(engine, ENUM_FILTERS, tmpl, handle);
}

DWORD WINAPI secsock_FwpmFilterEnum0(HANDLE engine, HANDLE handle, UINT32 requested, FWPM_FILTER0 ***entries,
                                     UINT32 *returned)
{
    struct arena a;

    TRACE("%p %p %u %p %p\n", engine, handle, requested, entries, returned);
    if (!entries || !returned) return FWP_E_NULL_POINTER;
    return next_page(engine, handle, ENUM_FILTERS, requested, &a, (void ***)entries, returned, fill_filter_item);
}

DWORD WINAPI secsock_FwpmFilterDestroyEnumHandle0(HANDLE engine, HANDLE handle)
{
    TRACE("%p %p\n", engine, handle);
    return destroy_enum(engine, handle, ENUM_FILTERS);
}

/* ---- SA contexts: the mapping of README's "A WFP view" ------------------------------------------ */

static void ipsec_transform(const struct secsock_msg_secured_entry *e, IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *info)
{
    IPSEC_CIPHER_TRANSFORM_ID0 *cipher = &info->saCipherInformation.cipherTransform.cipherTransformId;
    IPSEC_AUTH_TRANSFORM_ID0 *auth = &info->saAuthInformation.authTransform.authTransformId;

    switch (e->cipher)
    {
    case SECSOCK_ALG_AES_128_GCM:
    case SECSOCK_ALG_AES_128_CCM:         /* nearest: AES-128 AEAD, 16-byte tag */
        cipher->cipherType = IPSEC_CIPHER_TYPE_AES_128;
        cipher->cipherConfig = IPSEC_CIPHER_CONFIG_GCM_AES_128;
        auth->authType = IPSEC_AUTH_AES_128;
        auth->authConfig = IPSEC_AUTH_CONFIG_GCM_AES_128;
        return;
    case SECSOCK_ALG_AES_256_GCM:
    case SECSOCK_ALG_CHACHA20_POLY1305:   /* nearest: a 256-bit AEAD, 16-byte tag */
        cipher->cipherType = IPSEC_CIPHER_TYPE_AES_256;
        cipher->cipherConfig = IPSEC_CIPHER_CONFIG_GCM_AES_256;
        auth->authType = IPSEC_AUTH_AES_256;
        auth->authConfig = IPSEC_AUTH_CONFIG_GCM_AES_256;
        return;
    case SECSOCK_ALG_AES_128_CBC:
    case SECSOCK_ALG_AES_256_CBC:
        cipher->cipherType = e->cipher == SECSOCK_ALG_AES_128_CBC ? IPSEC_CIPHER_TYPE_AES_128 : IPSEC_CIPHER_TYPE_AES_256;
        cipher->cipherConfig = e->cipher == SECSOCK_ALG_AES_128_CBC ? IPSEC_CIPHER_CONFIG_CBC_AES_128
                                                                     : IPSEC_CIPHER_CONFIG_CBC_AES_256;
        /* SHA-384 has no ESP transform in WFP: the nearest is SHA-256. */
        auth->authType = e->integrity == SECSOCK_ALG_SHA_1 ? IPSEC_AUTH_SHA_1 : IPSEC_AUTH_SHA_256;
        auth->authConfig = e->integrity == SECSOCK_ALG_SHA_1 ? IPSEC_AUTH_CONFIG_HMAC_SHA_1_96
                                                              : IPSEC_AUTH_CONFIG_HMAC_SHA_256_128;
        return;
    default:
        FIXME("cipher %u has no WFP transform\n", e->cipher);
        return;
    }
}

static IPSEC_PFS_GROUP pfs_group(UINT32 kx)
{
    switch (kx)
    {
    case SECSOCK_KX_ECP_256: case SECSOCK_KX_X25519: return IPSEC_PFS_ECP_256;
    case SECSOCK_KX_ECP_384: return IPSEC_PFS_ECP_384;
    case SECSOCK_KX_FFDHE_2048: case SECSOCK_KX_MODP_2048: return IPSEC_PFS_2048;
    default: return IPSEC_PFS_NONE;
    }
}

static void fill_sa(struct arena *a, const struct secsock_msg_secured_entry *e, FWP_DIRECTION dir, IPSEC_SA_DETAILS0 *d)
{
    IPSEC_SA0 *sa = take(a, sizeof(*sa));
    IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *info = take(a, sizeof(*info));
    FWPM_FILTER0 *filter = take(a, sizeof(*filter));
    FWP_IP_VERSION version = is_v6(e) ? FWP_IP_VERSION_V6 : FWP_IP_VERSION_V4;

    d->ipVersion = version;
    d->saDirection = dir;
    d->traffic.ipVersion = version;
    if (is_v6(e))
    {
        memcpy(d->traffic.localV6Address, e->local.addr, 16);
        memcpy(d->traffic.remoteV6Address, e->remote.addr, 16);
    }
    else
    {
        d->traffic.localV4Address = v4_host(&e->local);
        d->traffic.remoteV4Address = v4_host(&e->remote);
    }
    d->traffic.trafficType = IPSEC_TRAFFIC_TYPE_TRANSPORT;
    d->traffic.ipsecFilterId = (UINT64)e->id * FILTERS_PER_ENTRY + 1;   /* the quick-mode filter */
    d->traffic.remotePort = e->remote.port;
    d->saBundle.qmSaId = (UINT32)e->id;
    d->saBundle.mmSaId = e->id;
    d->saBundle.ipVersion = version;
    d->saBundle.pfsGroup = pfs_group(e->key_exchange);
    if (sa && info)
    {
        ipsec_transform(e, info);
        sa->spi = dir == FWP_DIRECTION_INBOUND ? e->spi_in : e->spi_out;
        sa->saTransformType = IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER;
        sa->espAuthAndCipherInformation = info;
        d->saBundle.numSAs = 1;
        d->saBundle.saList = sa;
    }
    /* The transport layer's filter of the SA's direction (the IPsec
     * callout), not the quick-mode one that traffic.ipsecFilterId names. */
    if (filter)
    {
        fill_filter(a, e, dir == FWP_DIRECTION_OUTBOUND ? 2 : 3, filter);
        d->transportFilter = filter;
    }
}

static void fill_context_item(struct arena *a, const struct secsock_msg_secured_entry *e, UINT32 item, void **out)
{
    IPSEC_SA_CONTEXT0 *c = take(a, sizeof(*c));

    *out = c;
    if (!c) return;
    c->saContextId = e->id;
    if ((c->inboundSa = take(a, sizeof(IPSEC_SA_DETAILS0)))) fill_sa(a, e, FWP_DIRECTION_INBOUND, c->inboundSa);
    if ((c->outboundSa = take(a, sizeof(IPSEC_SA_DETAILS0)))) fill_sa(a, e, FWP_DIRECTION_OUTBOUND, c->outboundSa);
}

DWORD WINAPI secsock_IPsecSaContextCreateEnumHandle0(HANDLE engine, const IPSEC_SA_CONTEXT_ENUM_TEMPLATE0 *tmpl,
                                                     HANDLE *handle)
{
    TRACE("%p %p %p\n", engine, tmpl, handle);
    if (tmpl && (!subnet_valid(&tmpl->localSubNet) || !subnet_valid(&tmpl->remoteSubNet)))
    {
        WARN("unusable subnet in the template\n");
        return FWP_E_INVALID_PARAMETER;
    }
    return create_enum(engine, ENUM_SA_CONTEXTS, tmpl, handle);
}

DWORD WINAPI secsock_IPsecSaContextEnum0(HANDLE engine, HANDLE handle, UINT32 requested, IPSEC_SA_CONTEXT0 ***entries,
                                         UINT32 *returned)
{
    struct arena a;

    TRACE("%p %p %u %p %p\n", engine, handle, requested, entries, returned);
    if (!entries || !returned) return FWP_E_NULL_POINTER;
    return next_page(engine, handle, ENUM_SA_CONTEXTS, requested, &a, (void ***)entries, returned, fill_context_item);
}

DWORD WINAPI secsock_IPsecSaContextDestroyEnumHandle0(HANDLE engine, HANDLE handle)
{
    TRACE("%p %p\n", engine, handle);
    return destroy_enum(engine, handle, ENUM_SA_CONTEXTS);
}

/* ---- IKE SAs ------------------------------------------------------------------------------------ */

static void ike_proposal(const struct secsock_msg_secured_entry *e, IKEEXT_PROPOSAL0 *p)
{
    switch (e->cipher)
    {
    case SECSOCK_ALG_AES_128_GCM: case SECSOCK_ALG_AES_128_CCM:
        p->cipherAlgorithm.algoIdentifier = IKEEXT_CIPHER_AES_GCM_128_16ICV; p->cipherAlgorithm.keyLen = 128; break;
    case SECSOCK_ALG_AES_256_GCM: case SECSOCK_ALG_CHACHA20_POLY1305:
        p->cipherAlgorithm.algoIdentifier = IKEEXT_CIPHER_AES_GCM_256_16ICV; p->cipherAlgorithm.keyLen = 256; break;
    case SECSOCK_ALG_AES_128_CBC:
        p->cipherAlgorithm.algoIdentifier = IKEEXT_CIPHER_AES_128; p->cipherAlgorithm.keyLen = 128; break;
    case SECSOCK_ALG_AES_256_CBC:
        p->cipherAlgorithm.algoIdentifier = IKEEXT_CIPHER_AES_256; p->cipherAlgorithm.keyLen = 256; break;
    default:
        p->cipherAlgorithm.algoIdentifier = IKEEXT_CIPHER_TYPE_MAX; break;
    }
    switch (e->integrity)
    {
    case SECSOCK_ALG_SHA_1: p->integrityAlgorithm.algoIdentifier = IKEEXT_INTEGRITY_SHA1; break;
    case SECSOCK_ALG_SHA_256: p->integrityAlgorithm.algoIdentifier = IKEEXT_INTEGRITY_SHA_256; break;
    case SECSOCK_ALG_SHA_384: p->integrityAlgorithm.algoIdentifier = IKEEXT_INTEGRITY_SHA_384; break;
    default: p->integrityAlgorithm.algoIdentifier = IKEEXT_INTEGRITY_TYPE_MAX; break;
    }
    switch (e->key_exchange)
    {
    case SECSOCK_KX_ECP_256: case SECSOCK_KX_X25519: p->dhGroup = IKEEXT_DH_ECP_256; break;
    case SECSOCK_KX_ECP_384: p->dhGroup = IKEEXT_DH_ECP_384; break;
    case SECSOCK_KX_FFDHE_2048: case SECSOCK_KX_MODP_2048: p->dhGroup = IKEEXT_DH_GROUP_2048; break;
    default: p->dhGroup = IKEEXT_DH_GROUP_NONE; break;
    }
}

static BYTE hex_digit(char c)
{
    return c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0';
}

/* One side's credential.  TLS: a certificate, its subject the peer's
 * identity text and its hash the key's SHA-256 (for the peer); IPsec: the
 * pre-shared key, never its bytes. */
static void fill_credential(struct arena *a, const struct secsock_msg_secured_entry *e, BOOL peer, IKEEXT_CREDENTIAL0 *c)
{
    c->impersonationType = IKEEXT_IMPERSONATION_NONE;
    if (e->auth == SECSOCK_AUTH_PSK)
    {
        c->authenticationMethodType = IKEEXT_PRESHARED_KEY;
        c->presharedKey = take(a, sizeof(*c->presharedKey));
        return;
    }
    c->authenticationMethodType = IKEEXT_CERTIFICATE;
    if (!(c->certificate = take(a, sizeof(*c->certificate))) || !peer) return;
    c->certificate->subjectName.size = strlen(e->peer_identity);
    if ((c->certificate->subjectName.data = take(a, c->certificate->subjectName.size + 1)))
        memcpy(c->certificate->subjectName.data, e->peer_identity, c->certificate->subjectName.size);
    if (strlen(e->peer_identity) == 64 && (c->certificate->certHash.data = take(a, 32)))
    {
        c->certificate->certHash.size = 32;
        for (unsigned int i = 0; i < 32; i++)
            c->certificate->certHash.data[i] = hex_digit(e->peer_identity[2 * i]) << 4 | hex_digit(e->peer_identity[2 * i + 1]);
    }
}

DWORD WINAPI secsock_IkeextSaGetById0(HANDLE engine_handle, UINT64 id, IKEEXT_SA_DETAILS0 **out)
{
    struct secsock_msg_secured_entry e;
    IKEEXT_SA_DETAILS0 *sa;
    struct engine *engine;
    struct arena a;
    DWORD err;

    TRACE("%p %s %p\n", engine_handle, wine_dbgstr_longlong(id), out);
    if (!out) return FWP_E_NULL_POINTER;
    EnterCriticalSection(&lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else if (!id) err = FWP_E_NOT_FOUND;
    else if (!(err = query_entry(engine, id - 1, &e)) && e.id != id) err = FWP_E_NOT_FOUND;
    LeaveCriticalSection(&lock);
    if (err) return err;
    if (!arena_init(&a, IKE_SA_BYTES) || !(sa = take(&a, sizeof(*sa)))) return ERROR_NOT_ENOUGH_MEMORY;
    sa->saId = e.id;
    /* TLS 1.3's handshake is an authenticated ephemeral key exchange, as
     * IKEv2's main mode: the nearest key module. */
    sa->keyModuleType = IKEEXT_KEY_MODULE_IKEV2;
    sa->ipVersion = is_v6(&e) ? FWP_IP_VERSION_V6 : FWP_IP_VERSION_V4;
    sa->ikeTraffic.ipVersion = sa->ipVersion;
    if (is_v6(&e))
    {
        memcpy(sa->ikeTraffic.localV6Address, e.local.addr, 16);
        memcpy(sa->ikeTraffic.remoteV6Address, e.remote.addr, 16);
    }
    else
    {
        sa->ikeTraffic.localV4Address = v4_host(&e.local);
        sa->ikeTraffic.remoteV4Address = v4_host(&e.remote);
    }
    ike_proposal(&e, &sa->ikeProposal);
    sa->cookiePair.initiator = e.ike_spi_i;
    sa->cookiePair.responder = e.ike_spi_r;
    if ((sa->ikeCredentials.credentials = take(&a, sizeof(IKEEXT_CREDENTIAL_PAIR0))))
    {
        sa->ikeCredentials.numCredentials = 1;
        fill_credential(&a, &e, FALSE, &sa->ikeCredentials.credentials->localCredentials);
        fill_credential(&a, &e, TRUE, &sa->ikeCredentials.credentials->peerCredentials);
    }
    *out = sa;
    return ERROR_SUCCESS;
}

/* ---- provider contexts: kept for the session ------------------------------------------------------ */

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
    EnterCriticalSection(&lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else
    {
        if (IsEqualGUID(&c->key, &null_guid)) RtlGenRandom(&c->key, sizeof(c->key));
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
    LeaveCriticalSection(&lock);
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
    EnterCriticalSection(&lock);
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
    LeaveCriticalSection(&lock);
    HeapFree(GetProcessHeap(), 0, found);
    return err;
}
