/*
 * The WFP view's filters: the four an entry makes (wfp_private.h), the
 * enumeration templates that select them, and FwpmFilter*Enum*0.
 */
#include <stdio.h>
#include <string.h>
#include "wfp_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

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

void fill_filter(struct arena *a, const struct secsock_msg_secured_entry *e, unsigned int k, FWPM_FILTER0 *f)
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
static BOOL filter_matches(const void *tmpl, const struct secsock_msg_secured_entry *e, unsigned int k)
{
    const FWPM_FILTER_ENUM_TEMPLATE0 *t = tmpl;
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

static void fill_filter_item(struct arena *a, const struct secsock_msg_secured_entry *e, unsigned int k, void **out)
{
    FWPM_FILTER0 *f = take(a, sizeof(*f));

    if (f) fill_filter(a, e, k, f);
    *out = f;
}

static const struct enum_kind filter_enum = { FILTERS_PER_ENTRY, FILTER_BYTES, filter_matches, fill_filter_item };

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
    return enum_create(engine, &filter_enum, tmpl, handle);
}

/* FwpmFilterEnum0, FwpmFilterDestroyEnumHandle0 */
WFP_ENUM_PAGES(FwpmFilter, FWPM_FILTER0, filter_enum)
