/*
 * The WFP view's parts (wfp_*.c): a read-only Windows Filtering Platform
 * view of what secsockd secured.
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
 *
 * Where each part lives:
 *   wfp_engine.c            engine sessions, their handles, the lock
 *   wfp_service.c           the query of the service's list
 *   wfp_memory.c            memory handed to the program (FwpmFreeMemory0)
 *   wfp_entry.c             an entry's addresses as WFP writes and matches them
 *   wfp_enum.c              enumeration handles and their pages, for any kind
 *   wfp_filter.c            the filters of an entry, templates, the filter enumeration
 *   wfp_sa_context.c        the SA context of an entry, its enumeration
 *   wfp_ike_sa.c            the IKE SA by id
 *   wfp_provider_context.c  provider contexts kept for the session
 */
#ifndef SECSOCK_FWPUCLNT_WFP_PRIVATE_H
#define SECSOCK_FWPUCLNT_WFP_PRIVATE_H

#include <stdarg.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include "secsock/securesock.h"
#include "secsock/proto.h"
#include "secsock/wfp.h"

#define FILTERS_PER_ENTRY 4

struct enum_kind;
struct enum_handle;
struct provider_context;

struct engine {
    DWORD magic;
    SOCKET carrier;                /* any socket: the ioctl needs one */
    GUID session_key;
    struct enum_handle *enums;
    struct provider_context *contexts;
    struct engine *next;
};

/* Guards the engines, their enumerations and contexts, and the blocks
 * handed out. */
extern CRITICAL_SECTION wfp_lock;
extern const GUID wfp_null_guid;

/* wfp_engine.c: the engine of a handle (under wfp_lock), or NULL. */
struct engine *find_engine(HANDLE handle);

/* wfp_service.c: the first entry of the service's list above after
 * (entry->id 0: none); every entry, in a heap array. */
DWORD query_entry(struct engine *engine, UINT64 after, struct secsock_msg_secured_entry *entry);
DWORD snapshot(struct engine *engine, struct secsock_msg_secured_entry **out, UINT32 *count);

/* wfp_memory.c: one block for the program, sized beforehand, that
 * FwpmFreeMemory0 frees; take() carves it. */
struct arena {
    BYTE *base;
    SIZE_T used, cap;
};
BOOL arena_init(struct arena *a, SIZE_T cap);
void *take(struct arena *a, SIZE_T size);
WCHAR *wide(struct arena *a, const char *text);

/* The arena's sizes: generous bounds of what one item takes. */
#define FILTER_BYTES  (sizeof(FWPM_FILTER0) + 5 * sizeof(FWPM_FILTER_CONDITION0) + 2 * sizeof(FWP_BYTE_ARRAY16) + \
                       2 * (SECSOCK_MAX_STR + 64) * sizeof(WCHAR) + 128)
#define CONTEXT_BYTES (sizeof(IPSEC_SA_CONTEXT0) + 2 * (sizeof(IPSEC_SA_DETAILS0) + sizeof(IPSEC_SA0) + \
                       sizeof(IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0) + FILTER_BYTES) + 128)
#define IKE_SA_BYTES  (sizeof(IKEEXT_SA_DETAILS0) + sizeof(IKEEXT_CREDENTIAL_PAIR0) + \
                       2 * sizeof(IKEEXT_CERTIFICATE_CREDENTIAL0) + 2 * sizeof(IKEEXT_PRESHARED_KEY_AUTHENTICATION0) + \
                       SECSOCK_MAX_STR + 64 + 128)

/* wfp_entry.c */
BOOL is_v6(const struct secsock_msg_secured_entry *e);
UINT32 v4_host(const struct secsock_addr *a);
FWP_IP_VERSION ip_version(const struct secsock_msg_secured_entry *e);
/* The two ends into a WFP traffic structure's address unions. */
void fill_ends(const struct secsock_msg_secured_entry *e, UINT32 *local_v4, UINT8 *local_v6, UINT32 *remote_v4,
               UINT8 *remote_v6);
/* Whether an address is in a condition value (FWP_EMPTY: any). */
BOOL addr_in(const struct secsock_addr *addr, const FWP_CONDITION_VALUE0 *v, FWP_MATCH_TYPE match);

/* wfp_enum.c: an enumeration's kind says how many items an entry makes,
 * which of them a template asks for, and how one is written out. */
struct enum_kind {
    UINT32 items_per_entry;
    SIZE_T item_bytes;             /* at most, in the arena */
    BOOL (*matches)(const void *tmpl, const struct secsock_msg_secured_entry *e, unsigned int k);
    void (*fill)(struct arena *a, const struct secsock_msg_secured_entry *e, unsigned int k, void **out);
};
DWORD enum_create(HANDLE engine_handle, const struct enum_kind *kind, const void *tmpl, HANDLE *out);
DWORD enum_destroy(HANDLE engine_handle, HANDLE enum_handle, const struct enum_kind *kind);
DWORD enum_next_page(HANDLE engine_handle, HANDLE enum_handle, const struct enum_kind *kind, UINT32 requested,
                     void ***array, UINT32 *returned);
/* The engine is closing: its enumerations end with it. */
void enum_free_all(struct engine *engine);

/* An enumeration's <api>Enum0 and <api>DestroyEnumHandle0, the same for
 * every kind (its own <api>CreateEnumHandle0 checks its template). */
#define WFP_ENUM_PAGES(api, item_type, kind) \
    DWORD WINAPI secsock_##api##Enum0(HANDLE engine, HANDLE handle, UINT32 requested, item_type ***entries, \
                                      UINT32 *returned) \
    { \
        TRACE("%p %p %u %p %p\n", engine, handle, requested, entries, returned); \
        return enum_next_page(engine, handle, &kind, requested, (void ***)entries, returned); \
    } \
    DWORD WINAPI secsock_##api##DestroyEnumHandle0(HANDLE engine, HANDLE handle) \
    { \
        TRACE("%p %p\n", engine, handle); \
        return enum_destroy(engine, handle, &kind); \
    }

/* wfp_filter.c: filter k (0 .. FILTERS_PER_ENTRY - 1) of an entry. */
void fill_filter(struct arena *a, const struct secsock_msg_secured_entry *e, unsigned int k, FWPM_FILTER0 *f);

/* wfp_provider_context.c: the engine is closing. */
void provider_contexts_free_all(struct engine *engine);

#endif
