/* Keys, CA and leaf certificates, and their names. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include "unix/cert_issue.h"

int cert_new_key(gnutls_x509_privkey_t *key, char *why, size_t why_len)
{
    int ret;

    *key = NULL;
    if ((ret = gnutls_x509_privkey_init(key)) ||
        (ret = gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)))
    {
        snprintf(why, why_len, "cannot make a key: %s", gnutls_strerror(ret));
        if (*key) gnutls_x509_privkey_deinit(*key);
        *key = NULL;
        return -1;
    }
    return 0;
}

int cert_pubkey_of_key(gnutls_x509_privkey_t key, gnutls_pubkey_t *pub, char *why, size_t why_len)
{
    gnutls_privkey_t priv = NULL;
    int ret;

    *pub = NULL;
    if ((ret = gnutls_privkey_init(&priv)) || (ret = gnutls_privkey_import_x509(priv, key, 0)) ||
        (ret = gnutls_pubkey_init(pub)) || (ret = gnutls_pubkey_import_privkey(*pub, priv, 0, 0)))
    {
        snprintf(why, why_len, "cannot read the public key: %s", gnutls_strerror(ret));
        if (*pub) gnutls_pubkey_deinit(*pub);
        *pub = NULL;
    }
    if (priv) gnutls_privkey_deinit(priv);
    return *pub ? 0 : -1;
}

int cert_key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
    unsigned char a[64], b[64];
    size_t alen = sizeof(a), blen = sizeof(b);

    return !gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &alen) &&
           !gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &blen) && alen == blen &&
           !memcmp(a, b, alen);
}

int cert_is_ca(gnutls_x509_crt_t crt)
{
    unsigned int usage = 0, critical = 0;
    int ret;

    if (gnutls_x509_crt_get_ca_status(crt, &critical) <= 0) return 0;
    ret = gnutls_x509_crt_get_key_usage(crt, &usage, &critical);
    if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) return 1;
    return ret >= 0 && (usage & GNUTLS_KEY_KEY_CERT_SIGN);
}

static int set_names(gnutls_x509_crt_t crt, gnutls_x509_crq_t crq, const struct host_names *names)
{
    int ret = 0;

    for (size_t i = 0; !ret && i < names->dns_count; i++)
    {
        unsigned int len = (unsigned int)strlen(names->dns[i]);
        ret = crt ? gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, names->dns[i], len, GNUTLS_FSAN_APPEND)
                  : gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_DNSNAME, names->dns[i], len, GNUTLS_FSAN_APPEND);
    }
    for (size_t i = 0; !ret && i < names->ip_count; i++)
    {
        unsigned int len = names->ip[i].family == AF_INET ? 4 : 16;
        ret = crt ? gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, names->ip[i].addr, len, GNUTLS_FSAN_APPEND)
                  : gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_IPADDRESS, names->ip[i].addr, len, GNUTLS_FSAN_APPEND);
    }
    return ret;
}

int cert_names_set(gnutls_x509_crt_t crt, const struct host_names *names) { return set_names(crt, NULL, names); }
int cert_names_set_crq(gnutls_x509_crq_t crq, const struct host_names *names) { return set_names(NULL, crq, names); }

static int read_names(gnutls_x509_crt_t crt, gnutls_x509_crq_t crq, struct host_names *names)
{
    host_names_init(names);
    for (unsigned int seq = 0;; seq++)
    {
        char buf[HOST_NAME_TEXT_MAX + 2];
        size_t size = sizeof(buf);
        unsigned int type = 0;
        int ret = crt ? gnutls_x509_crt_get_subject_alt_name2(crt, seq, buf, &size, &type, NULL)
                      : gnutls_x509_crq_get_subject_alt_name(crq, seq, buf, &size, &type, NULL);

        if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) return 0;
        if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER) continue;
        if (ret < 0) return ret;
        if (type == GNUTLS_SAN_DNSNAME && !memchr(buf, 0, size))
        {
            buf[size] = 0;
            host_names_add_dns(names, buf);
        }
        else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16))
            host_names_add_ip(names, size == 4 ? AF_INET : AF_INET6, buf);
    }
}

int cert_names_of_crt(gnutls_x509_crt_t crt, struct host_names *names) { return read_names(crt, NULL, names); }
int cert_names_of_crq(gnutls_x509_crq_t crq, struct host_names *names) { return read_names(NULL, crq, names); }

static int reparse(gnutls_x509_crt_t built, gnutls_x509_crt_t *out, char *why, size_t why_len)
{
    gnutls_datum_t der = { NULL, 0 };
    int ret;

    *out = NULL;
    if (!(ret = gnutls_x509_crt_export2(built, GNUTLS_X509_FMT_DER, &der)) && !(ret = gnutls_x509_crt_init(out)) &&
        (ret = gnutls_x509_crt_import(*out, &der, GNUTLS_X509_FMT_DER)))
    {
        gnutls_x509_crt_deinit(*out);
        *out = NULL;
    }
    gnutls_free(der.data);
    gnutls_x509_crt_deinit(built);
    if (ret) snprintf(why, why_len, "cannot read back a certificate: %s", gnutls_strerror(ret));
    return ret ? -1 : 0;
}

int cert_issue(const struct cert_profile *profile, gnutls_pubkey_t subject_key, gnutls_x509_crt_t issuer,
               gnutls_x509_privkey_t issuer_key, gnutls_x509_crt_t *out, char *why, size_t why_len)
{
    gnutls_x509_crt_t crt = NULL;
    unsigned char serial[16], key_id[64];
    size_t key_id_len = sizeof(key_id);
    int ret;

    if ((ret = gnutls_x509_crt_init(&crt)) ||
        (ret = gnutls_x509_crt_set_version(crt, 3)) ||
        (ret = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) ||
        /* Positive, and never all zero at the front (RFC 5280: 20 bytes at most). */
        (serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01), ret = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) ||
        (ret = gnutls_x509_crt_set_activation_time(crt, profile->not_before)) ||
        (ret = gnutls_x509_crt_set_expiration_time(crt, profile->not_after)) ||
        (ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, profile->common_name,
                                             (unsigned int)strlen(profile->common_name))) ||
        (ret = gnutls_x509_crt_set_pubkey(crt, subject_key)) ||
        (ret = gnutls_x509_crt_get_key_id(crt, 0, key_id, &key_id_len)) ||
        (ret = gnutls_x509_crt_set_subject_key_id(crt, key_id, key_id_len)))
        goto failed;
    if (profile->is_ca)
    {
        /* Path length 0: this CA signs identities, never other CAs. */
        if ((ret = gnutls_x509_crt_set_basic_constraints(crt, 1, 0)) ||
            (ret = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)))
            goto failed;
    }
    else if ((ret = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) ||
             (ret = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) ||
             (ret = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) ||
             (ret = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) ||
             (profile->names && (ret = cert_names_set(crt, profile->names))))
        goto failed;
    if (issuer)
    {
        key_id_len = sizeof(key_id);
        if (!gnutls_x509_crt_get_subject_key_id(issuer, key_id, &key_id_len, NULL) &&
            (ret = gnutls_x509_crt_set_authority_key_id(crt, key_id, key_id_len)))
            goto failed;
    }
    if ((ret = gnutls_x509_crt_sign2(crt, issuer ? issuer : crt, issuer_key, GNUTLS_DIG_SHA256, 0))) goto failed;
    /* GnuTLS reads extensions of a certificate it built from its old
     * encoding (none): hand out one parsed from its DER, like a peer's. */
    return reparse(crt, out, why, why_len);
failed:
    snprintf(why, why_len, "cannot make a certificate: %s", gnutls_strerror(ret));
    if (crt) gnutls_x509_crt_deinit(crt);
    *out = NULL;
    return -1;
}

int cert_export_pem(gnutls_x509_crt_t crt, gnutls_datum_t *pem)
{
    return gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, pem);
}

int cert_fingerprint_hex(gnutls_x509_crt_t crt, char hex[65])
{
    unsigned char digest[32];
    size_t len = sizeof(digest);

    if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &len) || len != 32) return -1;
    for (size_t i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

int cert_request_pem(gnutls_x509_privkey_t key, const char *common_name, const struct host_names *names,
                     gnutls_datum_t *pem, char *why, size_t why_len)
{
    gnutls_x509_crq_t crq = NULL;
    int ret;

    pem->data = NULL;
    pem->size = 0;
    if ((ret = gnutls_x509_crq_init(&crq)) || (ret = gnutls_x509_crq_set_version(crq, 1)) ||
        (ret = gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, common_name,
                                             (unsigned int)strlen(common_name))) ||
        (ret = gnutls_x509_crq_set_key(crq, key)) || (ret = cert_names_set_crq(crq, names)) ||
        (ret = gnutls_x509_crq_sign2(crq, key, GNUTLS_DIG_SHA256, 0)) ||
        (ret = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, pem)))
        snprintf(why, why_len, "cannot make a certificate request: %s", gnutls_strerror(ret));
    if (crq) gnutls_x509_crq_deinit(crq);
    return ret ? -1 : 0;
}
