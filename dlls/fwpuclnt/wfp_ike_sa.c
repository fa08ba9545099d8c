/*
 * The WFP view's IKE SAs, by id (an entry's): IkeextSaGetById0.  TLS
 * shows as IKEv2 with the entry's algorithms and credentials.
 */
#include <string.h>
#include "wfp_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

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
    EnterCriticalSection(&wfp_lock);
    if (!(engine = find_engine(engine_handle))) err = ERROR_INVALID_HANDLE;
    else if (!id) err = FWP_E_NOT_FOUND;
    else if (!(err = query_entry(engine, id - 1, &e)) && e.id != id) err = FWP_E_NOT_FOUND;
    LeaveCriticalSection(&wfp_lock);
    if (err) return err;
    if (!arena_init(&a, IKE_SA_BYTES) || !(sa = take(&a, sizeof(*sa)))) return ERROR_NOT_ENOUGH_MEMORY;
    sa->saId = e.id;
    /* TLS 1.3's handshake is an authenticated ephemeral key exchange, as
     * IKEv2's main mode: the nearest key module. */
    sa->keyModuleType = IKEEXT_KEY_MODULE_IKEV2;
    sa->ipVersion = ip_version(&e);
    sa->ikeTraffic.ipVersion = sa->ipVersion;
    fill_ends(&e, &sa->ikeTraffic.localV4Address, sa->ikeTraffic.localV6Address, &sa->ikeTraffic.remoteV4Address,
              sa->ikeTraffic.remoteV6Address);
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
