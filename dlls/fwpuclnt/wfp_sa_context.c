/*
 * The WFP view's SA contexts: one per entry, an inbound and an outbound
 * SA with the mapping of README's "A WFP view"; IPsecSaContext*Enum*0.
 */
#include "wfp_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

static void set_transform(IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *info, IPSEC_CIPHER_TYPE cipher_type,
                          IPSEC_CIPHER_CONFIG cipher_config, IPSEC_AUTH_TYPE auth_type, IPSEC_AUTH_CONFIG auth_config)
{
    info->saCipherInformation.cipherTransform.cipherTransformId.cipherType = cipher_type;
    info->saCipherInformation.cipherTransform.cipherTransformId.cipherConfig = cipher_config;
    info->saAuthInformation.authTransform.authTransformId.authType = auth_type;
    info->saAuthInformation.authTransform.authTransformId.authConfig = auth_config;
}

static void ipsec_transform(const struct secsock_msg_secured_entry *e, IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0 *info)
{
    BOOL aes_128 = e->cipher == SECSOCK_ALG_AES_128_CBC, sha_1 = e->integrity == SECSOCK_ALG_SHA_1;

    switch (e->cipher)
    {
    case SECSOCK_ALG_AES_128_GCM:
    case SECSOCK_ALG_AES_128_CCM:         /* nearest: AES-128 AEAD, 16-byte tag */
        set_transform(info, IPSEC_CIPHER_TYPE_AES_128, IPSEC_CIPHER_CONFIG_GCM_AES_128, IPSEC_AUTH_AES_128,
                      IPSEC_AUTH_CONFIG_GCM_AES_128);
        return;
    case SECSOCK_ALG_AES_256_GCM:
    case SECSOCK_ALG_CHACHA20_POLY1305:   /* nearest: a 256-bit AEAD, 16-byte tag */
        set_transform(info, IPSEC_CIPHER_TYPE_AES_256, IPSEC_CIPHER_CONFIG_GCM_AES_256, IPSEC_AUTH_AES_256,
                      IPSEC_AUTH_CONFIG_GCM_AES_256);
        return;
    case SECSOCK_ALG_AES_128_CBC:
    case SECSOCK_ALG_AES_256_CBC:
        /* SHA-384 has no ESP transform in WFP: the nearest is SHA-256. */
        set_transform(info, aes_128 ? IPSEC_CIPHER_TYPE_AES_128 : IPSEC_CIPHER_TYPE_AES_256,
                      aes_128 ? IPSEC_CIPHER_CONFIG_CBC_AES_128 : IPSEC_CIPHER_CONFIG_CBC_AES_256,
                      sha_1 ? IPSEC_AUTH_SHA_1 : IPSEC_AUTH_SHA_256,
                      sha_1 ? IPSEC_AUTH_CONFIG_HMAC_SHA_1_96 : IPSEC_AUTH_CONFIG_HMAC_SHA_256_128);
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
    FWP_IP_VERSION version = ip_version(e);

    d->ipVersion = version;
    d->saDirection = dir;
    d->traffic.ipVersion = version;
    fill_ends(e, &d->traffic.localV4Address, d->traffic.localV6Address, &d->traffic.remoteV4Address,
              d->traffic.remoteV6Address);
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

static void fill_context_item(struct arena *a, const struct secsock_msg_secured_entry *e, unsigned int k,
                              void **out)
{
    IPSEC_SA_CONTEXT0 *c = take(a, sizeof(*c));

    *out = c;
    if (!c) return;
    c->saContextId = e->id;
    if ((c->inboundSa = take(a, sizeof(IPSEC_SA_DETAILS0)))) fill_sa(a, e, FWP_DIRECTION_INBOUND, c->inboundSa);
    if ((c->outboundSa = take(a, sizeof(IPSEC_SA_DETAILS0)))) fill_sa(a, e, FWP_DIRECTION_OUTBOUND, c->outboundSa);
}

static BOOL context_matches(const void *tmpl, const struct secsock_msg_secured_entry *e, unsigned int k)
{
    const IPSEC_SA_CONTEXT_ENUM_TEMPLATE0 *t = tmpl;

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

static const struct enum_kind sa_context_enum = { 1, CONTEXT_BYTES, context_matches, fill_context_item };

DWORD WINAPI secsock_IPsecSaContextCreateEnumHandle0(HANDLE engine, const IPSEC_SA_CONTEXT_ENUM_TEMPLATE0 *tmpl,
                                                     HANDLE *handle)
{
    TRACE("%p %p %p\n", engine, tmpl, handle);
    if (tmpl && (!subnet_valid(&tmpl->localSubNet) || !subnet_valid(&tmpl->remoteSubNet)))
    {
        WARN("unusable subnet in the template\n");
        return FWP_E_INVALID_PARAMETER;
    }
    return enum_create(engine, &sa_context_enum, tmpl, handle);
}

/* IPsecSaContextEnum0, IPsecSaContextDestroyEnumHandle0 */
WFP_ENUM_PAGES(IPsecSaContext, IPSEC_SA_CONTEXT0, sa_context_enum)
