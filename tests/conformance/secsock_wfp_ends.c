/* Both ends of a secured connection as the Windows Filtering Platform
 * shows them, each read the way a program matches its own socket's SAs:
 * the connection's 5-tuple from getsockname and getpeername, the
 * outbound transport layer's filter for it (the IPsec callout), the SA
 * context whose outbound SA names that filter as its transport filter
 * (IPSEC_SA_DETAILS0.transportFilter: "the transport layer filter
 * corresponding to this IPsec SA"), and its IKE SA.
 *
 * The server listens on the wildcard address, as servers do: an accepted
 * socket's local name is still the one address and port its client
 * reached (getsockname names a connected socket's local end), never the
 * wildcard and never a port of secsock's own.
 *
 * The connections are TLS-secured (the runner trusts the service's own
 * identity on loopback and says so with SECSOCK_TLS_TRUSTED=1). */
#include "secsock_test.h"
#include <fwpmu.h>
#include <nldef.h>

#define WAIT_MS 15000

static const GUID layer_ipsec_v4 = { 0xeda65c74, 0x610d, 0x4bc5, { 0x94, 0x8f, 0x3c, 0x4f, 0x89, 0x55, 0x68, 0x67 } };
static const GUID layer_ipsec_v6 = { 0x13c48442, 0x8d87, 0x4261, { 0x9a, 0x29, 0x59, 0xd2, 0xab, 0xc3, 0x48, 0xb4 } };
static const GUID layer_out_v4 = { 0x09e61aea, 0xd214, 0x46e2, { 0x9b, 0x21, 0xb2, 0x6b, 0x0b, 0x2f, 0x28, 0xc8 } };
static const GUID layer_out_v6 = { 0xe1735bde, 0x013f, 0x4655, { 0xb3, 0x51, 0xa4, 0x9e, 0x15, 0x76, 0x2d, 0xf0 } };
static const GUID layer_in_v4 = { 0x5926dfc8, 0xe3cf, 0x4426, { 0xa2, 0x83, 0xdc, 0x39, 0x3f, 0x5d, 0x0f, 0x9d } };
static const GUID layer_in_v6 = { 0x634a869f, 0xfc23, 0x4b90, { 0xb0, 0xc1, 0xbf, 0x62, 0x0a, 0x36, 0xae, 0x6f } };
static const GUID callout_out_v4 = { 0x4b46bf0a, 0x4523, 0x4e57, { 0xaa, 0x38, 0xa8, 0x79, 0x87, 0xc9, 0x10, 0xd9 } };
static const GUID callout_out_v6 = { 0x38d87722, 0xad83, 0x4f11, { 0xa9, 0x1f, 0xdf, 0x0f, 0xb0, 0x77, 0x22, 0x5b } };
static const GUID callout_in_v4 = { 0x5132900d, 0x5e84, 0x4b5f, { 0x80, 0xe4, 0x01, 0x74, 0x1e, 0x81, 0xff, 0x10 } };
static const GUID callout_in_v6 = { 0x49d3ac92, 0x2a6c, 0x4dcf, { 0x95, 0x5f, 0x1c, 0x3b, 0xe0, 0x09, 0xdd, 0x99 } };
static const GUID cond_local_addr = { 0xd9ee00de, 0xc1ef, 0x4617, { 0xbf, 0xe3, 0xff, 0xd8, 0xf5, 0xa0, 0x89, 0x57 } };
static const GUID cond_remote_addr = { 0xb235ae9a, 0x1d64, 0x49b8, { 0xa4, 0x4c, 0x5f, 0xf3, 0xd9, 0x09, 0x50, 0x45 } };
static const GUID cond_protocol = { 0x3971ef2b, 0x623e, 0x4f9a, { 0x8c, 0xb1, 0x6e, 0x79, 0xb8, 0x06, 0xb9, 0xa7 } };
static const GUID cond_local_port = { 0x0c1ba1af, 0x5765, 0x453f, { 0xaf, 0x22, 0xa8, 0xf7, 0x91, 0xac, 0x77, 0x5b } };
static const GUID cond_remote_port = { 0xc35a604d, 0xd22b, 0x4e1a, { 0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b } };
static const GUID cond_local_addr_type = { 0x6ec7f6c4, 0x376b, 0x45d7, { 0x9e, 0x9c, 0xd3, 0x37, 0xce, 0xdc, 0xd2, 0x37 } };

static const char *u64(UINT64 v)
{
    static char buf[4][24];
    static int i;
    char *b = buf[i++ & 3];
    snprintf(b, 24, "%llu", (unsigned long long)v);
    return b;
}

static const char *addr_text(const SOCKADDR_STORAGE *ss)
{
    static char buf[4][64];
    static int i;
    char *b = buf[i++ & 3];
    DWORD len = 64;

    if (WSAAddressToStringA((struct sockaddr *)ss, ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                                : sizeof(struct sockaddr_in),
                            NULL, b, &len))
        strcpy(b, "?");
    return b;
}

static BOOL same_addr(const SOCKADDR_STORAGE *a, const SOCKADDR_STORAGE *b)
{
    if (a->ss_family != b->ss_family || port_of(a) != port_of(b)) return FALSE;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

/* ---- a connection: the client connects from a thread, the server accepts -------------------- */

struct client {
    int family;
    SOCKADDR_STORAGE server;
    int len;
    SOCKET s;
    HANDLE done;     /* set once the client has sent; the client then waits for release */
    HANDLE release;
};

static DWORD WINAPI client_thread(void *arg)
{
    struct client *c = arg;

    c->s = secured_socket(c->family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    ok(!connect(c->s, (const struct sockaddr *)&c->server, c->len), "connect: %d\n", WSAGetLastError());
    ok(send(c->s, "ends", 4, 0) == 4, "send: %d\n", WSAGetLastError());
    SetEvent(c->done);
    WaitForSingleObject(c->release, WAIT_MS);
    return 0;
}

/* ---- the view of one end ------------------------------------------------------------------- */

#include "wfp_tuple.h"

/* The terminating filter of the connection's outbound traffic at the
 * transport layer: its id, 0 if none. */
static UINT64 outbound_filter(HANDLE engine, const struct tuple *t)
{
    BOOL v6 = t->family == AF_INET6;
    FWPM_FILTER_CONDITION0 conds[6];
    FWPM_FILTER_ENUM_TEMPLATE0 tmpl;
    FWPM_FILTER0 **filters = NULL;
    HANDLE h = NULL;
    UINT32 got = 0;
    UINT64 id = 0;
    DWORD err;

    memset(conds, 0, sizeof(conds));
    for (int i = 0; i < 6; i++) conds[i].matchType = FWP_MATCH_EQUAL;
    conds[0].fieldKey = cond_local_addr;
    addr_value(t, TRUE, &conds[0].conditionValue);
    conds[1].fieldKey = cond_remote_addr;
    addr_value(t, FALSE, &conds[1].conditionValue);
    conds[2].fieldKey = cond_local_port;
    conds[2].conditionValue.type = FWP_UINT16;
    conds[2].conditionValue.uint16 = port_of(&t->local);
    conds[3].fieldKey = cond_remote_port;
    conds[3].conditionValue.type = FWP_UINT16;
    conds[3].conditionValue.uint16 = port_of(&t->remote);
    conds[4].fieldKey = cond_protocol;
    conds[4].conditionValue.type = FWP_UINT8;
    conds[4].conditionValue.uint8 = IPPROTO_TCP;
    /* A field the filters do not constrain: they contain any value of it. */
    conds[5].fieldKey = cond_local_addr_type;
    conds[5].conditionValue.type = FWP_UINT8;
    conds[5].conditionValue.uint8 = NlatUnicast;
    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.layerKey = v6 ? layer_out_v6 : layer_out_v4;
    tmpl.enumType = FWP_FILTER_ENUM_FULLY_CONTAINED;
    tmpl.flags = FWP_FILTER_ENUM_FLAG_BEST_TERMINATING_MATCH;
    tmpl.numFilterConditions = 6;
    tmpl.filterCondition = conds;
    tmpl.actionMask = FWP_ACTION_FLAG_TERMINATING;

    err = FwpmFilterCreateEnumHandle0(engine, &tmpl, &h);
    ok(!err, "FwpmFilterCreateEnumHandle0: %#lx\n", err);
    if (err) return 0;
    err = FwpmFilterEnum0(engine, h, 1, &filters, &got);
    ok(!err && got == 1, "outbound transport filters of %s -> %s: %#lx, %u\n", addr_text(&t->local),
       addr_text(&t->remote), err, got);
    if (!err && got == 1)
    {
        ok(filters[0]->action.type == FWP_ACTION_CALLOUT_TERMINATING, "action %#x\n", filters[0]->action.type);
        ok(IsEqualGUID(&filters[0]->action.calloutKey, v6 ? &callout_out_v6 : &callout_out_v4),
           "not the IPsec outbound transport callout\n");
        id = filters[0]->filterId;
    }
    FwpmFreeMemory0((void **)&filters);
    ok(!FwpmFilterDestroyEnumHandle0(engine, h), "FwpmFilterDestroyEnumHandle0 failed\n");
    return id;
}

/* Whether a filter with this id is on the IPsec (quick mode) layer. */
static BOOL quick_mode_filter(HANDLE engine, int family, UINT64 id)
{
    FWPM_FILTER_ENUM_TEMPLATE0 tmpl;
    FWPM_FILTER0 **filters = NULL;
    HANDLE h = NULL;
    UINT32 got = 0;
    BOOL found = FALSE;

    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.layerKey = family == AF_INET6 ? layer_ipsec_v6 : layer_ipsec_v4;
    tmpl.enumType = FWP_FILTER_ENUM_OVERLAPPING;
    tmpl.actionMask = 0xffffffff;
    if (FwpmFilterCreateEnumHandle0(engine, &tmpl, &h)) return FALSE;
    if (!FwpmFilterEnum0(engine, h, 1000, &filters, &got))
        for (UINT32 i = 0; i < got; i++) found |= filters[i]->filterId == id;
    FwpmFreeMemory0((void **)&filters);
    FwpmFilterDestroyEnumHandle0(engine, h);
    return found;
}

static void check_end(HANDLE engine, SOCKET s, const struct tuple *t)
{
    BOOL v6 = t->family == AF_INET6;
    IPSEC_SA_CONTEXT_ENUM_TEMPLATE0 tmpl;
    IPSEC_SA_CONTEXT0 **contexts = NULL, *ctx = NULL;
    SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 qt;
    SOCKET_SECURITY_QUERY_INFO_IPSEC2 info;
    IKEEXT_SA_DETAILS0 *ike = NULL;
    ULONG len = sizeof(info);
    UINT64 filter_id;
    UINT32 got = 0, matches = 0;
    HANDLE h = NULL;
    DWORD err;

    filter_id = outbound_filter(engine, t);

    memset(&tmpl, 0, sizeof(tmpl));
    addr_value(t, TRUE, &tmpl.localSubNet);
    addr_value(t, FALSE, &tmpl.remoteSubNet);
    err = IPsecSaContextCreateEnumHandle0(engine, &tmpl, &h);
    ok(!err, "IPsecSaContextCreateEnumHandle0: %#lx\n", err);
    if (!err)
    {
        err = IPsecSaContextEnum0(engine, h, 0xffffffff, &contexts, &got);
        ok(!err && got >= 1, "SA contexts of the addresses: %#lx, %u\n", err, got);
        ok(!IPsecSaContextDestroyEnumHandle0(engine, h), "IPsecSaContextDestroyEnumHandle0 failed\n");
    }
    /* The outbound SA of the connection's context names the filter that
     * sends the connection's traffic to IPsec: the transport layer's. */
    for (UINT32 i = 0; i < got; i++)
    {
        IPSEC_SA_DETAILS0 *out = contexts[i]->outboundSa;
        if (!out || !out->transportFilter || out->transportFilter->filterId != filter_id) continue;
        if (out->traffic.remotePort && out->traffic.remotePort != port_of(&t->remote)) continue;
        ctx = contexts[i];
        matches++;
    }
    ok(filter_id && matches == 1, "SA contexts whose outbound transport filter is %s: %u of %u\n", u64(filter_id),
       matches, got);
    if (ctx)
    {
        const IPSEC_SA_DETAILS0 *out = ctx->outboundSa, *in = ctx->inboundSa;

        ok(IsEqualGUID(&out->transportFilter->layerKey, v6 ? &layer_out_v6 : &layer_out_v4),
           "the outbound SA's transport filter is not on the outbound transport layer\n");
        ok(out->transportFilter->action.type == FWP_ACTION_CALLOUT_TERMINATING &&
           IsEqualGUID(&out->transportFilter->action.calloutKey, v6 ? &callout_out_v6 : &callout_out_v4),
           "the outbound SA's transport filter does not call the IPsec outbound transport callout\n");
        ok(in && in->transportFilter, "no inbound SA or no transport filter for it\n");
        if (in && in->transportFilter)
        {
            ok(IsEqualGUID(&in->transportFilter->layerKey, v6 ? &layer_in_v6 : &layer_in_v4),
               "the inbound SA's transport filter is not on the inbound transport layer\n");
            ok(IsEqualGUID(&in->transportFilter->action.calloutKey, v6 ? &callout_in_v6 : &callout_in_v4),
               "the inbound SA's transport filter does not call the IPsec inbound transport callout\n");
            ok(in->transportFilter->filterId != out->transportFilter->filterId, "one transport filter for both\n");
        }
        /* traffic.ipsecFilterId: the quick-mode filter, another one. */
        ok(out->traffic.ipsecFilterId != out->transportFilter->filterId &&
           quick_mode_filter(engine, t->family, out->traffic.ipsecFilterId),
           "ipsecFilterId %s is not a quick-mode filter\n", u64(out->traffic.ipsecFilterId));
        ok(out->traffic.remotePort == port_of(&t->remote), "traffic remote port %u, expected %u\n",
           out->traffic.remotePort, port_of(&t->remote));

        err = IkeextSaGetById0(engine, out->saBundle.mmSaId, &ike);
        ok(!err && ike && ike->saId == out->saBundle.mmSaId, "IkeextSaGetById0(%s): %#lx\n",
           u64(out->saBundle.mmSaId), err);
        FwpmFreeMemory0((void **)&ike);

        /* The socket's own query names the same SAs. */
        memset(&qt, 0, sizeof(qt));
        qt.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC2;
        memset(&info, 0, sizeof(info));
        ok(!WSAQuerySocketSecurity(s, (SOCKET_SECURITY_QUERY_TEMPLATE *)&qt, sizeof(qt),
                                   (SOCKET_SECURITY_QUERY_INFO *)&info, &len, NULL, NULL),
           "IPSEC2 query: %d\n", WSAGetLastError());
        ok(info.MmSaId == out->saBundle.mmSaId && info.QmSaId == out->saBundle.qmSaId,
           "the query's SA ids %s/%s, the view's %s/%u\n", u64(info.MmSaId), u64(info.QmSaId),
           u64(out->saBundle.mmSaId), out->saBundle.qmSaId);
    }
    FwpmFreeMemory0((void **)&contexts);
}

static void test_family(int family)
{
    SOCKADDR_STORAGE any, bound, expect;
    struct tuple server_end, client_end;
    struct client c;
    HANDLE engine = NULL, thread;
    SOCKET l, a;
    char buf[8];
    int len, n;
    DWORD err;

    winetest_push_context("IPv%d", family == AF_INET6 ? 6 : 4);
    /* The wildcard address, port 0. */
    memset(&any, 0, sizeof(any));
    any.ss_family = family;
    len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    l = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    ok(!bind(l, (struct sockaddr *)&any, len) && !listen(l, SOMAXCONN), "listen: %d\n", WSAGetLastError());
    n = sizeof(bound);
    ok(!getsockname(l, (struct sockaddr *)&bound, &n) && port_of(&bound), "listener's name: %d\n", WSAGetLastError());

    memset(&c, 0, sizeof(c));
    c.family = family;
    c.len = loopback(family, &c.server, port_of(&bound));
    expect = c.server;
    c.done = CreateEventA(NULL, TRUE, FALSE, NULL);
    c.release = CreateEventA(NULL, TRUE, FALSE, NULL);
    thread = CreateThread(NULL, 0, client_thread, &c, 0, NULL);

    a = accept(l, NULL, NULL);
    ok(a != INVALID_SOCKET, "accept: %d\n", WSAGetLastError());
    ok(!WaitForSingleObject(c.done, WAIT_MS), "the client did not connect\n");
    if (a == INVALID_SOCKET) goto done;
    ok(recv(a, buf, sizeof(buf), 0) == 4, "recv: %d\n", WSAGetLastError());

    /* The accepted socket's local name: the address and port the client reached. */
    get_tuple(a, family, &server_end);
    ok(same_addr(&server_end.local, &expect), "accepted socket's name %s, the client reached %s\n",
       addr_text(&server_end.local), addr_text(&expect));
    get_tuple(c.s, family, &client_end);
    ok(same_addr(&client_end.remote, &expect), "client's peer %s, expected %s\n", addr_text(&client_end.remote),
       addr_text(&expect));

    err = FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, NULL, &engine);
    ok(!err && engine, "FwpmEngineOpen0: %#lx\n", err);
    if (!err)
    {
        winetest_push_context("server");
        check_end(engine, a, &server_end);
        winetest_pop_context();
        winetest_push_context("client");
        check_end(engine, c.s, &client_end);
        winetest_pop_context();
        ok(!FwpmEngineClose0(engine), "FwpmEngineClose0 failed\n");
    }
    closesocket(a);
done:
    SetEvent(c.release);
    WaitForSingleObject(thread, WAIT_MS);
    CloseHandle(thread);
    closesocket(c.s);
    closesocket(l);
    CloseHandle(c.done);
    CloseHandle(c.release);
    winetest_pop_context();
}

START_TEST(secsock_wfp_ends)
{
    startup();
    if (!loopback_trusted())
    {
        WSACleanup();
        return;
    }
    test_family(AF_INET);
    if (have_ipv6()) test_family(AF_INET6);
    else skip("no IPv6 loopback\n");
    WSACleanup();
}
