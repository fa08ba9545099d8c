/* The secured connections of this service, for the WFP view. */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include "log.h"
#include "secured_list.h"
#include "sockaddr_posix.h"
#include "unix/tls_relay.h"
#include "unix/vici.h"
#include "unix/vici_client.h"
#include "unix/xfrm.h"

struct secured_entry {
    const void *owner;
    uint64_t id;
    time_t established;
    struct secured_info info;
    struct secured_entry *next;       /* ascending ids */
};

static struct secured_entry *entries, **tail = &entries;
static uint64_t last_id;
static size_t count;

static void unlink_owner(const void *owner)
{
    for (struct secured_entry **p = &entries; *p; p = &(*p)->next)
    {
        struct secured_entry *e = *p;
        if (e->owner != owner) continue;
        *p = e->next;
        if (tail == &e->next) tail = p;
        free(e);
        count--;
        return;
    }
}

uint64_t secured_list_add(const void *owner, const struct secured_info *info)
{
    struct secured_entry *e = calloc(1, sizeof(*e));

    unlink_owner(owner);
    if (!e) return 0;
    e->owner = owner;
    e->id = ++last_id;
    e->established = time(NULL);
    e->info = *info;
    *tail = e;
    tail = &e->next;
    count++;
    return e->id;
}

void secured_list_remove(const void *owner)
{
    unlink_owner(owner);
}

size_t secured_list_count(void)
{
    return count;
}

/* A query's end: family UNSPEC matches any address, port 0 any port. */
static int end_matches(const struct secsock_addr *want, const struct secsock_addr *have)
{
    const struct secsock_addr w = secsock_addr_unmapped(want), h = secsock_addr_unmapped(have);

    if (w.port && w.port != h.port) return 0;
    if (w.family == SECSOCK_AF_UNSPEC) return 1;
    return w.family == h.family && !memcmp(w.addr, h.addr, w.family == SECSOCK_AF_INET6 ? 16 : 4);
}

const struct secsock_msg *secured_list_answer(const struct secsock_msg_secured_query *req)
{
    static struct secsock_msg reply;
    struct secsock_msg_secured_entry *out = &reply.u.secured_entry;

    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_SECURED_ENTRY;
    for (const struct secured_entry *e = entries; e; e = e->next)
    {
        if (e->id <= req->after || !end_matches(&req->local, &e->info.local) ||
            !end_matches(&req->remote, &e->info.remote))
            continue;
        out->id = e->id;
        out->backend = e->info.backend;
        out->inbound = e->info.inbound;
        out->local = e->info.local;
        out->remote = e->info.remote;
        out->established = (uint64_t)e->established;
        out->cipher = e->info.cipher;
        out->integrity = e->info.integrity;
        out->key_exchange = e->info.key_exchange;
        out->auth = e->info.auth;
        out->spi_in = e->info.spi_in;
        out->spi_out = e->info.spi_out;
        out->ike_spi_i = e->info.ike_spi_i;
        out->ike_spi_r = e->info.ike_spi_r;
        snprintf(out->suite, sizeof(out->suite), "%s", e->info.suite);
        snprintf(out->peer_identity, sizeof(out->peer_identity), "%s", e->info.peer_identity);
        break;
    }
    return &reply;
}

/* ---- TLS ------------------------------------------------------------------ */

static uint32_t tls_cipher(gnutls_cipher_algorithm_t cipher)
{
    switch (cipher)
    {
    case GNUTLS_CIPHER_AES_128_GCM: return SECSOCK_ALG_AES_128_GCM;
    case GNUTLS_CIPHER_AES_256_GCM: return SECSOCK_ALG_AES_256_GCM;
    case GNUTLS_CIPHER_CHACHA20_POLY1305: return SECSOCK_ALG_CHACHA20_POLY1305;
    case GNUTLS_CIPHER_AES_128_CCM: return SECSOCK_ALG_AES_128_CCM;
    case GNUTLS_CIPHER_AES_128_CBC: return SECSOCK_ALG_AES_128_CBC;
    case GNUTLS_CIPHER_AES_256_CBC: return SECSOCK_ALG_AES_256_CBC;
    default: return SECSOCK_ALG_UNKNOWN;
    }
}

static uint32_t tls_hash(gnutls_digest_algorithm_t hash)
{
    switch (hash)
    {
    case GNUTLS_DIG_SHA256: return SECSOCK_ALG_SHA_256;
    case GNUTLS_DIG_SHA384: return SECSOCK_ALG_SHA_384;
    case GNUTLS_DIG_SHA1: return SECSOCK_ALG_SHA_1;
    default: return SECSOCK_ALG_UNKNOWN;
    }
}

static uint32_t tls_group(gnutls_group_t group)
{
    switch (group)
    {
    case GNUTLS_GROUP_SECP256R1: return SECSOCK_KX_ECP_256;
    case GNUTLS_GROUP_SECP384R1: return SECSOCK_KX_ECP_384;
    case GNUTLS_GROUP_X25519: return SECSOCK_KX_X25519;
    case GNUTLS_GROUP_FFDHE2048: return SECSOCK_KX_FFDHE_2048;
    default: return SECSOCK_KX_UNKNOWN;
    }
}

static void hex(const uint8_t *bytes, size_t n, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n && 2 * i + 2 < cap; i++)
    {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * i] = 0;
}

static void addr_of(int fd, int peer, struct secsock_addr *out)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    memset(out, 0, sizeof(*out));
    if (!(peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len)))
        sockaddr_to_wire(&ss, out);
}

void secured_list_tls_up(const void *owner, const struct tls_relay *relay, int plain_fd, int inbound)
{
    gnutls_session_t session = tls_relay_session(relay);
    const gnutls_datum_t *certs;
    unsigned int n_certs = 0;
    uint8_t pin[TLS_RELAY_PIN_LEN];
    struct secured_info info;
    const char *suite;
    int tls_fd = tls_relay_tls_fd(relay);

    memset(&info, 0, sizeof(info));
    info.backend = SECSOCK_BACKEND_TLS;
    info.inbound = !!inbound;
    /* Outbound: the program's socket is the relay port's client, so its
     * own end is plain_fd's peer; inbound: the address the client reached. */
    if (inbound) addr_of(tls_fd, 0, &info.local);
    else addr_of(plain_fd, 1, &info.local);
    addr_of(tls_fd, 1, &info.remote);
    info.cipher = tls_cipher(gnutls_cipher_get(session));
    info.integrity = tls_hash(gnutls_prf_hash_get(session));
    info.key_exchange = tls_group(gnutls_group_get(session));
    info.auth = tls_relay_verdict(relay) == TRUST_OK_CHAIN ? SECSOCK_AUTH_CERTIFICATE : SECSOCK_AUTH_PINNED_KEY;
    if ((suite = gnutls_ciphersuite_get(session))) snprintf(info.suite, sizeof(info.suite), "%s", suite);
    if ((certs = gnutls_certificate_get_peers(session, &n_certs)) && n_certs && !tls_pin_of_certificate(&certs[0], pin))
        hex(pin, sizeof(pin), info.peer_identity, sizeof(info.peer_identity));
    if (!secured_list_add(owner, &info)) log_warn("secured list: out of memory: a TLS connection is not listed");
}

/* ---- IPsec ------------------------------------------------------------------ */

uint32_t secured_alg_of_charon(const char *encr, const char *keysize)
{
    int bits = keysize ? atoi(keysize) : 0;

    if (!encr) return SECSOCK_ALG_UNKNOWN;
    if (!strcmp(encr, "AES_GCM_16")) return bits == 256 ? SECSOCK_ALG_AES_256_GCM : bits == 128 ? SECSOCK_ALG_AES_128_GCM : 0;
    if (!strcmp(encr, "AES_CBC")) return bits == 256 ? SECSOCK_ALG_AES_256_CBC : bits == 128 ? SECSOCK_ALG_AES_128_CBC : 0;
    if (!strcmp(encr, "AES_CCM_16") && bits == 128) return SECSOCK_ALG_AES_128_CCM;
    if (!strcmp(encr, "CHACHA20_POLY1305")) return SECSOCK_ALG_CHACHA20_POLY1305;
    return SECSOCK_ALG_UNKNOWN;
}

uint32_t secured_integrity_of_charon(const char *integ)
{
    if (!integ) return SECSOCK_ALG_AEAD;   /* an AEAD cipher has no separate integrity */
    if (!strcmp(integ, "HMAC_SHA2_256_128") || !strcmp(integ, "PRF_HMAC_SHA2_256")) return SECSOCK_ALG_SHA_256;
    if (!strcmp(integ, "HMAC_SHA2_384_192") || !strcmp(integ, "PRF_HMAC_SHA2_384")) return SECSOCK_ALG_SHA_384;
    if (!strcmp(integ, "HMAC_SHA1_96") || !strcmp(integ, "PRF_HMAC_SHA1")) return SECSOCK_ALG_SHA_1;
    return SECSOCK_ALG_UNKNOWN;
}

uint32_t secured_kx_of_charon(const char *group)
{
    if (!group) return SECSOCK_KX_UNKNOWN;
    if (!strcmp(group, "ECP_256")) return SECSOCK_KX_ECP_256;
    if (!strcmp(group, "ECP_384")) return SECSOCK_KX_ECP_384;
    if (!strcmp(group, "CURVE_25519")) return SECSOCK_KX_X25519;
    if (!strcmp(group, "MODP_2048")) return SECSOCK_KX_MODP_2048;
    return SECSOCK_KX_UNKNOWN;
}

static uint64_t hex_number(const char *text)
{
    return text ? strtoull(text, NULL, 16) : 0;
}

struct sa_read {
    struct secured_info *info;
    int found;
};

/* One list-sa event: a section named after the IKE_SA, with its CHILD_SAs. */
static int read_sa(void *ctx, const struct vici_node *message)
{
    struct sa_read *r = ctx;
    const struct vici_node *ike = message ? message->first_child : NULL, *children, *child;
    const char *prf;

    if (!ike || ike->kind != VICI_NODE_SECTION || r->found) return 0;
    r->info->ike_spi_i = hex_number(vici_find_str(ike, "initiator-spi"));
    r->info->ike_spi_r = hex_number(vici_find_str(ike, "responder-spi"));
    r->info->key_exchange = secured_kx_of_charon(vici_find_str(ike, "dh-group"));
    prf = vici_find_str(ike, "prf-alg");
    if ((children = vici_find(ike, "child-sas")) && (child = children->first_child))
    {
        r->info->cipher = secured_alg_of_charon(vici_find_str(child, "encr-alg"), vici_find_str(child, "encr-keysize"));
        r->info->integrity = secured_integrity_of_charon(vici_find_str(child, "integ-alg"));
        /* An AEAD child: the integrity WFP's IKE proposal shows is the PRF's. */
        if (r->info->integrity == SECSOCK_ALG_AEAD && prf) r->info->integrity = secured_integrity_of_charon(prf);
        r->info->spi_in = (uint32_t)hex_number(vici_find_str(child, "spi-in"));
        r->info->spi_out = (uint32_t)hex_number(vici_find_str(child, "spi-out"));
        snprintf(r->info->suite, sizeof(r->info->suite), "ESP %s/%s %s", vici_find_str(child, "encr-alg") ?: "?",
                 vici_find_str(child, "encr-keysize") ?: "?", vici_find_str(child, "integ-alg") ?: "AEAD");
    }
    r->found = 1;
    return 0;
}

void secured_list_ipsec_up(const void *owner, const struct secsock_xfrm_tuple *tuple, const char *ike_name,
                           const char *peer)
{
    const char *env = getenv(VICI_SOCKET_ENV);
    struct secured_info info;
    struct sa_read r = { &info, 0 };
    struct vici_client vici;
    int ret;

    memset(&info, 0, sizeof(info));
    info.backend = SECSOCK_BACKEND_IPSEC;
    info.auth = SECSOCK_AUTH_PSK;
    info.local.family = info.remote.family = tuple->family == AF_INET6 ? SECSOCK_AF_INET6 : SECSOCK_AF_INET;
    memcpy(info.local.addr, tuple->local_addr, 16);
    memcpy(info.remote.addr, tuple->remote_addr, 16);
    info.local.port = tuple->local_port;
    info.remote.port = tuple->remote_port;
    snprintf(info.peer_identity, sizeof(info.peer_identity), "%s", peer);
    /* What was negotiated is charon's to say (the proposals are its defaults). */
    if ((ret = vici_client_open(&vici, env && *env ? env : VICI_DEFAULT_SOCKET, 2000)) ||
        (ret = vici_list_sas(&vici, ike_name, read_sa, &r)))
        log_warn("secured list: %s: charon does not say what protects it: %s", ike_name, vici_strerror(ret));
    vici_client_close(&vici);
    if (!secured_list_add(owner, &info)) log_warn("secured list: out of memory: an IPsec connection is not listed");
}
