/* The Windows Filtering Platform view of secured connections, as a program
 * like the SDK's secure-socket sample reads it: open the engine,
 * enumerate the filters of its connection's 5-tuple (built from its own
 * getsockname/getpeername), enumerate the IPsec SA contexts, look the IKE
 * SA up by the id WSAQuerySocketSecurity's IPSEC2 query gives, free
 * everything, close; provider contexts added and deleted; and every error
 * path the documentation names.  Built with mingw-w64's fwpmu.h, so the
 * layouts the DLL writes are read through headers of its own.
 *
 * The connections are TLS-secured (the runner trusts the service's own
 * identity on loopback and says so with SECSOCK_TLS_TRUSTED=1). */
#include "secsock_test.h"
#include <fwpmu.h>

#define WAIT_MS 15000

static const char *u64(UINT64 v)
{
    static char buf[4][24];
    static int i;
    char *b = buf[i++ & 3];
    snprintf(b, 24, "%llu", (unsigned long long)v);
    return b;
}
#ifndef FWP_E_NULL_POINTER
#define FWP_E_NULL_POINTER 0x8032001C
#endif
#define E_NOT_FOUND            0x80320008u
#define E_ALREADY_EXISTS       0x80320009u
#define E_CONTEXT_NOT_FOUND    0x80320006u
#define E_NULL_POINTER         0x8032001Cu
#define E_INVALID_ENUMERATOR   0x8032001Du
/* Windows 8's IKE ciphers, which mingw-w64's iketypes.h lacks. */
#define CIPHER_AES_GCM_128_16ICV 5
#define CIPHER_AES_GCM_256_16ICV 6

static const GUID layer_ikeext_v4 = { 0xb14b7bdb, 0xdbbd, 0x473e, { 0xbe, 0xd4, 0x8b, 0x47, 0x08, 0xd4, 0xf2, 0x70 } };
static const GUID layer_ikeext_v6 = { 0xb64786b3, 0xf687, 0x4eb9, { 0x89, 0xd2, 0x8e, 0xf3, 0x2a, 0xcd, 0xab, 0xe2 } };
static const GUID layer_ipsec_v4 = { 0xeda65c74, 0x610d, 0x4bc5, { 0x94, 0x8f, 0x3c, 0x4f, 0x89, 0x55, 0x68, 0x67 } };
static const GUID layer_ipsec_v6 = { 0x13c48442, 0x8d87, 0x4261, { 0x9a, 0x29, 0x59, 0xd2, 0xab, 0xc3, 0x48, 0xb4 } };
static const GUID layer_out_v4 = { 0x09e61aea, 0xd214, 0x46e2, { 0x9b, 0x21, 0xb2, 0x6b, 0x0b, 0x2f, 0x28, 0xc8 } };
static const GUID layer_out_v6 = { 0xe1735bde, 0x013f, 0x4655, { 0xb3, 0x51, 0xa4, 0x9e, 0x15, 0x76, 0x2d, 0xf0 } };
static const GUID callout_out_v4 = { 0x4b46bf0a, 0x4523, 0x4e57, { 0xaa, 0x38, 0xa8, 0x79, 0x87, 0xc9, 0x10, 0xd9 } };
static const GUID callout_out_v6 = { 0x38d87722, 0xad83, 0x4f11, { 0xa9, 0x1f, 0xdf, 0x0f, 0xb0, 0x77, 0x22, 0x5b } };
static const GUID cond_local_addr = { 0xd9ee00de, 0xc1ef, 0x4617, { 0xbf, 0xe3, 0xff, 0xd8, 0xf5, 0xa0, 0x89, 0x57 } };
static const GUID cond_remote_addr = { 0xb235ae9a, 0x1d64, 0x49b8, { 0xa4, 0x4c, 0x5f, 0xf3, 0xd9, 0x09, 0x50, 0x45 } };
static const GUID cond_local_port = { 0x0c1ba1af, 0x5765, 0x453f, { 0xaf, 0x22, 0xa8, 0xf7, 0x91, 0xac, 0x77, 0x5b } };
static const GUID cond_remote_port = { 0xc35a604d, 0xd22b, 0x4e1a, { 0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b } };

/* ---- a secured echo server and a secured client ---------------------------------------- */

static DWORD WINAPI echo_connection(void *arg)
{
    SOCKET a = (SOCKET)arg;
    char buf[512];
    int n;

    while ((n = recv(a, buf, sizeof(buf), 0)) > 0)
        if (send(a, buf, n, 0) != n) break;
    closesocket(a);
    return 0;
}

/* A connected, TLS-secured client that has exchanged a few bytes. */
static SOCKET secured_client(int family, const SOCKADDR_STORAGE *server, int len)
{
    SOCKET s = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    char buf[8];

    ok(!connect(s, (const struct sockaddr *)server, len), "connect: %d\n", WSAGetLastError());
    ok(send(s, "wfp", 3, 0) == 3 && recv(s, buf, sizeof(buf), 0) == 3, "no echo: %d\n", WSAGetLastError());
    return s;
}

/* ---- the 5-tuple the program sees, as WFP conditions --------------------------------------- */

#include "wfp_tuple.h"

/* conds: 2 (addresses) or 4 (and ports). */
static void make_template(const struct tuple *t, const GUID *layer, FWP_FILTER_ENUM_TYPE type,
                          FWPM_FILTER_CONDITION0 *conds, UINT32 n, FWPM_FILTER_ENUM_TEMPLATE0 *tmpl)
{
    memset(conds, 0, n * sizeof(*conds));
    conds[0].fieldKey = cond_local_addr;
    addr_value(t, TRUE, &conds[0].conditionValue);
    conds[1].fieldKey = cond_remote_addr;
    addr_value(t, FALSE, &conds[1].conditionValue);
    if (n > 2)
    {
        conds[2].fieldKey = cond_local_port;
        conds[2].conditionValue.type = FWP_UINT16;
        conds[2].conditionValue.uint16 = t->local_port;
        conds[3].fieldKey = cond_remote_port;
        conds[3].conditionValue.type = FWP_UINT16;
        conds[3].conditionValue.uint16 = t->remote_port;
    }
    for (UINT32 i = 0; i < n; i++) conds[i].matchType = FWP_MATCH_EQUAL;
    memset(tmpl, 0, sizeof(*tmpl));
    tmpl->layerKey = *layer;
    tmpl->enumType = type;
    tmpl->numFilterConditions = n;
    tmpl->filterCondition = conds;
    tmpl->actionMask = 0xffffffff;
}

/* Enumerates the template's filters: how many, the first in *first (freed by the caller). */
static UINT32 enum_filters(HANDLE engine, const FWPM_FILTER_ENUM_TEMPLATE0 *tmpl, FWPM_FILTER0 ***first)
{
    HANDLE h = NULL;
    FWPM_FILTER0 **page = NULL;
    UINT32 got = 0;
    DWORD err;

    *first = NULL;
    err = FwpmFilterCreateEnumHandle0(engine, tmpl, &h);
    ok(!err, "FwpmFilterCreateEnumHandle0: %#lx\n", err);
    if (err) return 0;
    err = FwpmFilterEnum0(engine, h, 100, &page, &got);
    ok(!err, "FwpmFilterEnum0: %#lx\n", err);
    if (!got) ok(!page, "no entries, yet an array %p\n", page);
    *first = page;
    err = FwpmFilterDestroyEnumHandle0(engine, h);
    ok(!err, "FwpmFilterDestroyEnumHandle0: %#lx\n", err);
    return got;
}

static const FWPM_FILTER_CONDITION0 *find_condition(const FWPM_FILTER0 *f, const GUID *key)
{
    for (UINT32 i = 0; i < f->numFilterConditions; i++)
        if (IsEqualGUID(&f->filterCondition[i].fieldKey, key)) return &f->filterCondition[i];
    return NULL;
}

static void check_filter_tuple(const FWPM_FILTER0 *f, const struct tuple *t, BOOL ports)
{
    const FWPM_FILTER_CONDITION0 *c;

    if ((c = find_condition(f, &cond_local_addr)) && t->family == AF_INET)
        ok(c->conditionValue.type == FWP_UINT32 && c->conditionValue.uint32 == t->local_v4, "local address %#x\n",
           c->conditionValue.uint32);
    else if (c)
        ok(c->conditionValue.type == FWP_BYTE_ARRAY16_TYPE &&
           !memcmp(c->conditionValue.byteArray16->byteArray16, t->local_v6.byteArray16, 16), "local v6 address\n");
    else ok(0, "no local address condition\n");
    ok(find_condition(f, &cond_remote_addr) != NULL, "no remote address condition\n");
    c = find_condition(f, &cond_remote_port);
    if (ports)
        ok(c && c->conditionValue.type == FWP_UINT16 && c->conditionValue.uint16 == t->remote_port,
           "remote port condition %u, expected %u\n", c ? c->conditionValue.uint16 : 0, t->remote_port);
    else ok(!c, "main-mode filter with a port condition\n");
    c = find_condition(f, &cond_local_port);
    if (ports)
        ok(c && c->conditionValue.uint16 == t->local_port, "local port condition %u, expected %u\n",
           c ? c->conditionValue.uint16 : 0, t->local_port);
}

/* ---- the flows ----------------------------------------------------------------------------------- */

static void test_filters(HANDLE engine, const struct tuple *t)
{
    BOOL v6 = t->family == AF_INET6;
    FWPM_FILTER_CONDITION0 conds[4];
    FWPM_FILTER_ENUM_TEMPLATE0 tmpl;
    FWPM_FILTER0 **filters;
    UINT32 n;

    /* Quick mode: the 5-tuple, PERMIT. */
    make_template(t, v6 ? &layer_ipsec_v6 : &layer_ipsec_v4, FWP_FILTER_ENUM_OVERLAPPING, conds, 4, &tmpl);
    n = enum_filters(engine, &tmpl, &filters);
    ok(n == 1, "quick-mode filters of the connection: %u\n", n);
    if (n >= 1)
    {
        ok(IsEqualGUID(&filters[0]->layerKey, v6 ? &layer_ipsec_v6 : &layer_ipsec_v4), "wrong layer\n");
        ok(filters[0]->action.type == FWP_ACTION_PERMIT, "action %#x\n", filters[0]->action.type);
        ok(filters[0]->numFilterConditions == 5, "conditions: %u\n", filters[0]->numFilterConditions);
        ok(filters[0]->filterId % 4 == 1, "filter id %s\n", u64(filters[0]->filterId));
        ok(filters[0]->displayData.name && filters[0]->displayData.name[0], "no name\n");
        check_filter_tuple(filters[0], t, TRUE);
    }
    FwpmFreeMemory0((void **)&filters);
    ok(!filters, "FwpmFreeMemory0 left the pointer\n");

    /* Main mode: the addresses only; it overlaps a template with ports,
     * and is not contained in it. */
    make_template(t, v6 ? &layer_ikeext_v6 : &layer_ikeext_v4, FWP_FILTER_ENUM_OVERLAPPING, conds, 4, &tmpl);
    n = enum_filters(engine, &tmpl, &filters);
    ok(n >= 1, "main-mode filters overlapping the connection: %u\n", n);
    if (n >= 1) check_filter_tuple(filters[0], t, FALSE);
    FwpmFreeMemory0((void **)&filters);
    tmpl.enumType = FWP_FILTER_ENUM_FULLY_CONTAINED;
    n = enum_filters(engine, &tmpl, &filters);
    ok(n == 0, "main-mode filters contained in a 5-tuple: %u\n", n);
    FwpmFreeMemory0((void **)&filters);

    /* Outbound transport: the IPsec callout. */
    make_template(t, v6 ? &layer_out_v6 : &layer_out_v4, FWP_FILTER_ENUM_FULLY_CONTAINED, conds, 4, &tmpl);
    n = enum_filters(engine, &tmpl, &filters);
    ok(n == 1, "outbound transport filters: %u\n", n);
    if (n >= 1)
    {
        ok(filters[0]->action.type == FWP_ACTION_CALLOUT_TERMINATING, "action %#x\n", filters[0]->action.type);
        ok(IsEqualGUID(&filters[0]->action.calloutKey, v6 ? &callout_out_v6 : &callout_out_v4), "wrong callout\n");
    }
    FwpmFreeMemory0((void **)&filters);
    /* actionMask: filters whose action type has one of its bits. */
    tmpl.actionMask = FWP_ACTION_FLAG_NON_TERMINATING;
    n = enum_filters(engine, &tmpl, &filters);
    ok(n == 0, "terminating filters under a non-terminating action mask: %u\n", n);
    FwpmFreeMemory0((void **)&filters);
    tmpl.actionMask = FWP_ACTION_FLAG_CALLOUT;
    n = enum_filters(engine, &tmpl, &filters);
    ok(n == 1, "callout filters under a callout action mask: %u\n", n);
    FwpmFreeMemory0((void **)&filters);

    /* Nobody's tuple: an empty result, not an error. */
    make_template(t, v6 ? &layer_ipsec_v6 : &layer_ipsec_v4, FWP_FILTER_ENUM_OVERLAPPING, conds, 4, &tmpl);
    conds[3].conditionValue.uint16 = (UINT16)(t->remote_port + 1);
    n = enum_filters(engine, &tmpl, &filters);
    ok(n == 0 && !filters, "filters of a tuple nobody uses: %u\n", n);
}

/* Returns the SA context of the connection (freed by the caller through *page). */
static IPSEC_SA_CONTEXT0 *find_context(HANDLE engine, const struct tuple *t, IPSEC_SA_CONTEXT0 ***page)
{
    IPSEC_SA_CONTEXT_ENUM_TEMPLATE0 tmpl;
    IPSEC_SA_CONTEXT0 *found = NULL;
    HANDLE h = NULL;
    UINT32 got = 0;
    DWORD err;

    *page = NULL;
    memset(&tmpl, 0, sizeof(tmpl));
    addr_value(t, TRUE, &tmpl.localSubNet);
    addr_value(t, FALSE, &tmpl.remoteSubNet);
    err = IPsecSaContextCreateEnumHandle0(engine, &tmpl, &h);
    ok(!err, "IPsecSaContextCreateEnumHandle0: %#lx\n", err);
    if (err) return NULL;
    err = IPsecSaContextEnum0(engine, h, 1000, page, &got);
    ok(!err, "IPsecSaContextEnum0: %#lx\n", err);
    for (UINT32 i = 0; i < got; i++)
    {
        IPSEC_SA_DETAILS0 *out = (*page)[i]->outboundSa;
        if (out && out->traffic.remotePort == t->remote_port && out->transportFilter &&
            find_condition(out->transportFilter, &cond_local_port) &&
            find_condition(out->transportFilter, &cond_local_port)->conditionValue.uint16 == t->local_port)
            found = (*page)[i];
    }
    ok(!IPsecSaContextDestroyEnumHandle0(engine, h), "IPsecSaContextDestroyEnumHandle0 failed\n");
    return found;
}

static void check_transform(const IPSEC_SA_DETAILS0 *d)
{
    const IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *info;
    UINT8 cipher, auth;

    ok(d->saBundle.numSAs == 1 && d->saBundle.saList, "SAs in the bundle: %u\n", d->saBundle.numSAs);
    if (!d->saBundle.numSAs || !d->saBundle.saList) return;
    ok(d->saBundle.saList[0].saTransformType == IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER, "transform %u\n",
       d->saBundle.saList[0].saTransformType);
    info = d->saBundle.saList[0].espAuthAndCipherInformation;
    ok(info != NULL, "no transform information\n");
    if (!info) return;
    /* TLS 1.3 negotiates an AEAD: its nearest ESP transform is GCM. */
    cipher = info->saCipherInformation.cipherTransform.cipherTransformId.cipherConfig;
    auth = info->saAuthInformation.authTransform.authTransformId.authConfig;
    ok((cipher == 6 && auth == 3) || (cipher == 8 && auth == 5), "cipher config %u, auth config %u\n", cipher, auth);
    ok(info->saCipherInformation.cipherKey.size == 0 && info->saAuthInformation.authKey.size == 0, "keys shown\n");
}

static void test_sa_and_ike(HANDLE engine, SOCKET s, const struct tuple *t)
{
    SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2 qt;
    SOCKET_SECURITY_QUERY_INFO_IPSEC2 info;
    IPSEC_SA_CONTEXT0 **page, *ctx;
    IKEEXT_SA_DETAILS0 *sa = NULL;
    ULONG len = sizeof(info);
    DWORD err;

    ctx = find_context(engine, t, &page);
    ok(ctx != NULL, "no SA context for the connection\n");
    memset(&qt, 0, sizeof(qt));
    qt.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC2;
    memset(&info, 0, sizeof(info));
    ok(!WSAQuerySocketSecurity(s, (SOCKET_SECURITY_QUERY_TEMPLATE *)&qt, sizeof(qt), (SOCKET_SECURITY_QUERY_INFO *)&info,
                               &len, NULL, NULL), "IPSEC2 query: %d\n", WSAGetLastError());
    if (ctx)
    {
        ok(ctx->inboundSa && ctx->outboundSa, "an SA is missing\n");
        ok(info.MmSaId && info.MmSaId == ctx->outboundSa->saBundle.mmSaId, "MmSaId %s, the view's %s\n",
           u64(info.MmSaId), u64(ctx->outboundSa->saBundle.mmSaId));
        ok(info.QmSaId && info.QmSaId == ctx->outboundSa->saBundle.qmSaId, "QmSaId %s, the view's %u\n",
           u64(info.QmSaId), ctx->outboundSa->saBundle.qmSaId);
        ok(ctx->outboundSa->saDirection == FWP_DIRECTION_OUTBOUND && ctx->inboundSa->saDirection == FWP_DIRECTION_INBOUND,
           "directions\n");
        ok(ctx->outboundSa->traffic.trafficType == IPSEC_TRAFFIC_TYPE_TRANSPORT, "traffic type\n");
        if (t->family == AF_INET)
            ok(ctx->outboundSa->traffic.localV4Address == t->local_v4 &&
               ctx->outboundSa->traffic.remoteV4Address == t->remote_v4, "traffic addresses\n");
        /* ipsecFilterId: the quick-mode filter; transportFilter: the transport layer's. */
        ok(ctx->outboundSa->traffic.ipsecFilterId % 4 == 1, "ipsecFilterId %s\n", u64(ctx->outboundSa->traffic.ipsecFilterId));
        ok(IsEqualGUID(&ctx->outboundSa->transportFilter->layerKey, t->family == AF_INET6 ? &layer_out_v6 : &layer_out_v4),
           "the outbound SA's transport filter is not on the outbound transport layer\n");
        check_transform(ctx->outboundSa);
        check_transform(ctx->inboundSa);
    }
    FwpmFreeMemory0((void **)&page);

    /* Who the peer proved to be. */
    err = IkeextSaGetById0(engine, info.MmSaId, &sa);
    ok(!err && sa, "IkeextSaGetById0: %#lx\n", err);
    if (sa)
    {
        const IKEEXT_CREDENTIAL0 *peer;
        ok(sa->saId == info.MmSaId, "saId %s\n", u64(sa->saId));
        ok(sa->ikeProposal.cipherAlgorithm.algoIdentifier == CIPHER_AES_GCM_128_16ICV ||
           sa->ikeProposal.cipherAlgorithm.algoIdentifier == CIPHER_AES_GCM_256_16ICV, "IKE cipher %u\n",
           sa->ikeProposal.cipherAlgorithm.algoIdentifier);
        ok(sa->ikeProposal.integrityAlgorithm.algoIdentifier == IKEEXT_INTEGRITY_SHA_256 ||
           sa->ikeProposal.integrityAlgorithm.algoIdentifier == IKEEXT_INTEGRITY_SHA_384, "IKE integrity %u\n",
           sa->ikeProposal.integrityAlgorithm.algoIdentifier);
        ok(sa->ikeCredentials.numCredentials == 1, "credentials: %u\n", sa->ikeCredentials.numCredentials);
        peer = sa->ikeCredentials.numCredentials ? &sa->ikeCredentials.credentials[0].peerCredentials : NULL;
        ok(peer && peer->authenticationMethodType == IKEEXT_CERTIFICATE, "peer authentication %d\n",
           peer ? (int)peer->authenticationMethodType : -1);
        if (peer && peer->certificate)
        {
            char hex[65];
            ok(peer->certificate->certHash.size == 32, "key hash: %u bytes\n", peer->certificate->certHash.size);
            ok(peer->certificate->subjectName.size == 64, "identity: %u bytes\n", peer->certificate->subjectName.size);
            for (int i = 0; i < 32 && peer->certificate->certHash.size == 32; i++)
                sprintf(hex + 2 * i, "%02x", peer->certificate->certHash.data[i]);
            ok(peer->certificate->subjectName.size == 64 && peer->certificate->certHash.size == 32 &&
               !memcmp(hex, peer->certificate->subjectName.data, 64), "the identity is not the key's hash\n");
        }
        if (t->family == AF_INET)
            ok(sa->ikeTraffic.remoteV4Address == t->remote_v4, "IKE traffic remote %#x\n", sa->ikeTraffic.remoteV4Address);
        FwpmFreeMemory0((void **)&sa);
        ok(!sa, "FwpmFreeMemory0 left the pointer\n");
    }
    sa = (IKEEXT_SA_DETAILS0 *)0xdeadbeef;
    err = IkeextSaGetById0(engine, info.MmSaId + 1000000, &sa);
    ok(err == E_NOT_FOUND, "unknown IKE SA: %#lx\n", err);
    err = IkeextSaGetById0(engine, info.MmSaId, NULL);
    ok(err == E_NULL_POINTER, "NULL SA pointer: %#lx\n", err);
}

static void test_handles(HANDLE engine)
{
    HANDLE h = NULL;
    FWPM_FILTER0 **filters = NULL;
    IPSEC_SA_CONTEXT0 **contexts = NULL;
    UINT32 got = 5;
    DWORD err;

    err = FwpmFilterCreateEnumHandle0(engine, NULL, NULL);
    ok(err == E_NULL_POINTER, "NULL enumeration handle: %#lx\n", err);
    ok(!FwpmFilterCreateEnumHandle0(engine, NULL, &h), "no enumeration of every filter\n");
    err = FwpmFilterEnum0(engine, h, 10, NULL, &got);
    ok(err == E_NULL_POINTER, "NULL entries: %#lx\n", err);
    err = FwpmFilterEnum0(engine, h, 10, &filters, NULL);
    ok(err == E_NULL_POINTER, "NULL count: %#lx\n", err);
    err = FwpmFilterEnum0(engine, h, 0, &filters, &got);
    ok(!err && !got && !filters, "zero requested: %#lx, %u\n", err, got);
    /* A filter enumeration is no SA context enumeration. */
    err = IPsecSaContextEnum0(engine, h, 10, &contexts, &got);
    ok(err == E_INVALID_ENUMERATOR, "SA contexts through a filter enumeration: %#lx\n", err);
    ok(!FwpmFilterDestroyEnumHandle0(engine, h), "destroy failed\n");
    err = FwpmFilterDestroyEnumHandle0(engine, h);
    ok(err == E_INVALID_ENUMERATOR, "destroyed twice: %#lx\n", err);
    err = FwpmFilterEnum0(engine, h, 10, &filters, &got);
    ok(err == E_INVALID_ENUMERATOR, "destroyed enumeration: %#lx\n", err);
    err = FwpmFilterEnum0(engine, (HANDLE)0x1234, 10, &filters, &got);
    ok(err == E_INVALID_ENUMERATOR, "bogus enumeration: %#lx\n", err);
}

static void test_provider_context(HANDLE engine, int family, const SOCKADDR_STORAGE *server, int len)
{
    static const GUID key = { 0x5ec50c4b, 0x1111, 0x2222, { 1, 2, 3, 4, 5, 6, 7, 8 } };
    IPSEC_TRANSPORT_POLICY0 policy;
    FWPM_PROVIDER_CONTEXT0 pc;
    SOCKET_SECURITY_SETTINGS_IPSEC settings;
    UINT64 id = 0;
    SOCKET s;
    DWORD err;

    memset(&policy, 0, sizeof(policy));
    memset(&pc, 0, sizeof(pc));
    pc.providerContextKey = key;
    pc.displayData.name = (WCHAR *)L"secsock test QM policy";
    pc.type = FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT;
    pc.authipQmTransportPolicy = &policy;
    err = FwpmProviderContextAdd0(engine, NULL, NULL, &id);
    ok(err == E_NULL_POINTER, "NULL provider context: %#lx\n", err);
    err = FwpmProviderContextAdd0(engine, &pc, NULL, &id);
    ok(!err && id, "FwpmProviderContextAdd0: %#lx, id %s\n", err, u64(id));
    err = FwpmProviderContextAdd0(engine, &pc, NULL, NULL);
    ok(err == E_ALREADY_EXISTS, "the same key again: %#lx\n", err);

    /* A connect whose settings name the policy: no backend can apply it. */
    s = socket(family, SOCK_STREAM, IPPROTO_TCP);
    memset(&settings, 0, sizeof(settings));
    settings.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    settings.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;
    settings.AuthipQMPolicyKey = key;
    ok(!WSASetSocketSecurity(s, (SOCKET_SECURITY_SETTINGS *)&settings, sizeof(settings), NULL, NULL),
       "WSASetSocketSecurity: %d\n", WSAGetLastError());
    check_error(connect(s, (const struct sockaddr *)server, len), WSAEOPNOTSUPP);
    closesocket(s);

    err = FwpmProviderContextDeleteByKey0(engine, &key);
    ok(!err, "FwpmProviderContextDeleteByKey0: %#lx\n", err);
    err = FwpmProviderContextDeleteByKey0(engine, &key);
    ok(err == E_CONTEXT_NOT_FOUND, "deleted twice: %#lx\n", err);
    err = FwpmProviderContextDeleteByKey0(engine, NULL);
    ok(err == E_NULL_POINTER, "NULL key: %#lx\n", err);
}

/* Once the program closes its socket, the view no longer shows it. */
static void test_gone(HANDLE engine, const struct tuple *t)
{
    FWPM_FILTER_CONDITION0 conds[4];
    FWPM_FILTER_ENUM_TEMPLATE0 tmpl;
    FWPM_FILTER0 **filters;
    UINT32 n = 1;

    make_template(t, t->family == AF_INET6 ? &layer_ipsec_v6 : &layer_ipsec_v4, FWP_FILTER_ENUM_OVERLAPPING, conds, 4,
                  &tmpl);
    for (DWORD start = GetTickCount(); n && GetTickCount() - start < WAIT_MS; Sleep(100))
    {
        n = enum_filters(engine, &tmpl, &filters);
        FwpmFreeMemory0((void **)&filters);
    }
    ok(n == 0, "the closed connection is still listed: %u filters\n", n);
}

static void test_family(int family)
{
    SOCKADDR_STORAGE server;
    HANDLE engine = NULL, stale = NULL, t;
    struct accept_each accepting;
    struct tuple tuple;
    SOCKET l, s;
    DWORD err;
    int len, n;

    winetest_push_context("IPv%d", family == AF_INET6 ? 6 : 4);
    l = secured_socket(family, SOCK_STREAM, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION);
    len = loopback(family, &server, 0);
    ok(!bind(l, (struct sockaddr *)&server, len) && !listen(l, SOMAXCONN), "listen: %d\n", WSAGetLastError());
    n = len;
    getsockname(l, (struct sockaddr *)&server, &n);
    t = start_accept_each(&accepting, l, echo_connection);
    s = secured_client(family, &server, len);
    get_tuple(s, family, &tuple);

    err = FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, NULL, &engine);
    ok(!err && engine, "FwpmEngineOpen0: %#lx\n", err);
    test_filters(engine, &tuple);
    test_sa_and_ike(engine, s, &tuple);
    test_handles(engine);
    test_provider_context(engine, family, &server, len);
    closesocket(s);
    test_gone(engine, &tuple);

    /* Closing the engine ends its enumerations. */
    ok(!FwpmFilterCreateEnumHandle0(engine, NULL, &stale), "enumeration\n");
    ok(!FwpmEngineClose0(engine), "FwpmEngineClose0 failed\n");
    err = FwpmFilterDestroyEnumHandle0(engine, stale);
    ok(err == ERROR_INVALID_HANDLE, "enumeration of a closed engine: %#lx\n", err);
    err = FwpmEngineClose0(engine);
    ok(err == ERROR_INVALID_HANDLE, "closed twice: %#lx\n", err);
    closesocket(l);
    WaitForSingleObject(t, WAIT_MS);
    CloseHandle(t);
    winetest_pop_context();
}

static void test_engine_errors(void)
{
    HANDLE engine = NULL, h = NULL;
    FWPM_SESSION0 session;
    DWORD err;

    err = FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, NULL, NULL);
    ok(err == E_NULL_POINTER, "NULL engine handle: %#lx\n", err);
    err = FwpmEngineOpen0(NULL, 12345, NULL, NULL, &engine);
    ok(err == ERROR_INVALID_PARAMETER, "unknown authentication service: %#lx\n", err);
    err = FwpmEngineClose0((HANDLE)0x1234);
    ok(err == ERROR_INVALID_HANDLE, "bogus engine: %#lx\n", err);
    err = FwpmFilterCreateEnumHandle0((HANDLE)0x1234, NULL, &h);
    ok(err == ERROR_INVALID_HANDLE, "enumeration of a bogus engine: %#lx\n", err);
    err = IkeextSaGetById0((HANDLE)0x1234, 1, (IKEEXT_SA_DETAILS0 **)&h);
    ok(err == ERROR_INVALID_HANDLE, "IKE SA of a bogus engine: %#lx\n", err);

    /* Two sessions with one key: the second is refused. */
    memset(&session, 0, sizeof(session));
    session.sessionKey.Data1 = GetCurrentProcessId();
    session.sessionKey.Data2 = 0x5ec5;
    err = FwpmEngineOpen0(NULL, RPC_C_AUTHN_DEFAULT, NULL, &session, &engine);
    ok(!err, "FwpmEngineOpen0 with a session key: %#lx\n", err);
    if (err) return;
    err = FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, &session, &h);
    ok(err == E_ALREADY_EXISTS, "the same session key again: %#lx\n", err);
    ok(!FwpmEngineClose0(engine), "close failed\n");
}

START_TEST(secsock_wfp)
{
    startup();
    test_engine_errors();
    if (!loopback_trusted())
    {
        WSACleanup();
        return;
    }
    test_family(AF_INET);
    if (have_ipv6()) test_family(AF_INET6);
    else skip("no IPv6 loopback\n");
    skip("IPsec SAs in the view: tests/integration/ipsec-netns.sh (needs charon and two network namespaces)\n");
    WSACleanup();
}
