/*
 * The WFP view's engine sessions: FwpmEngineOpen0 and FwpmEngineClose0.
 * An engine is the local service, reached through ws2_32's ioctl on a
 * socket of its own; its enumerations and provider contexts end with it.
 */
#include "wfp_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

#define ENGINE_MAGIC 0x65777066   /* "fwpe" */
#ifndef RPC_C_AUTHN_WINNT
#define RPC_C_AUTHN_WINNT 10
#endif
#ifndef RPC_C_AUTHN_DEFAULT
#define RPC_C_AUTHN_DEFAULT 0xffffffff
#endif

static CRITICAL_SECTION_DEBUG lock_debug = { 0, 0, &wfp_lock, { &lock_debug.ProcessLocksList, &lock_debug.ProcessLocksList },
                                             0, 0, { (DWORD_PTR)(__FILE__ ": wfp_lock") } };
CRITICAL_SECTION wfp_lock = { &lock_debug, -1, 0, 0, 0, 0 };
const GUID wfp_null_guid;
static struct engine *engines;

struct engine *find_engine(HANDLE handle)
{
    for (struct engine *e = engines; e; e = e->next)
        if ((HANDLE)e == handle && e->magic == ENGINE_MAGIC) return e;
    return NULL;
}

/* A session key another open engine has (GUID_NULL: none asked). */
static BOOL session_key_taken(const GUID *key)
{
    if (IsEqualGUID(key, &wfp_null_guid)) return FALSE;
    for (struct engine *e = engines; e; e = e->next)
        if (IsEqualGUID(&e->session_key, key)) return TRUE;
    return FALSE;
}

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
    EnterCriticalSection(&wfp_lock);
    if (!err && session && session_key_taken(&engine->session_key)) err = FWP_E_ALREADY_EXISTS;
    if (!err)
    {
        engine->next = engines;
        engines = engine;
    }
    LeaveCriticalSection(&wfp_lock);
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
    EnterCriticalSection(&wfp_lock);
    if (!(engine = find_engine(handle)))
    {
        LeaveCriticalSection(&wfp_lock);
        WARN("not an engine handle: %p\n", handle);
        return ERROR_INVALID_HANDLE;
    }
    for (p = &engines; *p != engine; p = &(*p)->next) {}
    *p = engine->next;
    LeaveCriticalSection(&wfp_lock);
    enum_free_all(engine);
    provider_contexts_free_all(engine);
    closesocket(engine->carrier);
    WSACleanup();
    engine->magic = 0;
    HeapFree(GetProcessHeap(), 0, engine);
    return ERROR_SUCCESS;
}
