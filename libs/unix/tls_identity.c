/* The per-user TLS identity: make, store, load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include "unix/cert_issue.h"
#include "unix/host_names.h"
#include "unix/key_pair.h"
#include "unix/peer_name.h"
#include "unix/private_file.h"
#include "unix/tls_identity.h"

#define EPHEMERAL_DAYS 3650   /* trust in an ephemeral identity is by pinned key, not by dates */

/* Credentials of crt (then its intermediates) and key, and the pin. */
static int fill_identity(gnutls_x509_crt_t *chain, unsigned int count, gnutls_x509_privkey_t key,
                         struct tls_identity *identity, char *why, size_t why_len)
{
    gnutls_datum_t der = { NULL, 0 };
    int ret;

    memset(identity, 0, sizeof(*identity));
    if ((ret = gnutls_certificate_allocate_credentials(&identity->credentials)) ||
        (ret = gnutls_certificate_set_x509_key(identity->credentials, chain, count, key)) ||
        (ret = gnutls_x509_crt_export2(chain[0], GNUTLS_X509_FMT_DER, &der)) ||
        (ret = tls_pin_of_certificate(&der, identity->pin) ? GNUTLS_E_CERTIFICATE_ERROR : 0))
    {
        snprintf(why, why_len, "cannot use the TLS identity: %s", gnutls_strerror(ret));
        gnutls_free(der.data);
        if (identity->credentials) gnutls_certificate_free_credentials(identity->credentials);
        identity->credentials = NULL;
        return -1;
    }
    identity->expires = gnutls_x509_crt_get_expiration_time(chain[0]);
    gnutls_free(der.data);
    return 0;
}

int tls_identity_ephemeral(const char *common_name, struct tls_identity *identity, char *why, size_t why_len)
{
    time_t now = time(NULL);
    struct host_names names;
    struct cert_profile profile = { common_name, &names, now - 24 * 3600, now + (time_t)EPHEMERAL_DAYS * 24 * 3600, 0 };
    gnutls_x509_privkey_t key = NULL;
    gnutls_pubkey_t pub = NULL;
    gnutls_x509_crt_t crt = NULL;
    int ret = -1;

    host_names_init(&names);
    host_names_add_dns(&names, common_name);
    if (!cert_new_key(&key, why, why_len) && !cert_pubkey_of_key(key, &pub, why, why_len) &&
        !cert_issue(&profile, pub, NULL, key, &crt, why, why_len))
        ret = fill_identity(&crt, 1, key, identity, why, why_len);
    if (crt) gnutls_x509_crt_deinit(crt);
    if (pub) gnutls_pubkey_deinit(pub);
    if (key) gnutls_x509_privkey_deinit(key);
    return ret;
}

int tls_identity_load(const char *dir, struct tls_identity *identity, char *why, size_t why_len)
{
    gnutls_x509_crt_t *chain = NULL, *extra = NULL, leaf = NULL;
    gnutls_x509_privkey_t key = NULL;
    unsigned int extra_count = 0;
    char path[4200], *pem = NULL;
    size_t len;
    int r;

    if ((r = key_pair_load(dir, TLS_IDENTITY_KEY, TLS_IDENTITY_CERT, &key, &leaf, why, why_len))) return r;
    if (private_path(path, sizeof(path), dir, HOST_IDENTITY_CHAIN))
    {
        snprintf(why, why_len, "path too long: %s", dir);
        r = -1;
        goto done;
    }
    if (private_file_read(path, &pem, &len, why, why_len) < 0 ||
        (pem && key_pair_import_chain(pem, len, &extra, &extra_count, why, why_len)))
    {
        r = -1;
        goto done;
    }
    if (!(chain = calloc(extra_count + 1, sizeof(*chain))))
    {
        snprintf(why, why_len, "out of memory");
        r = -1;
        goto done;
    }
    chain[0] = leaf;
    for (unsigned int i = 0; i < extra_count; i++) chain[i + 1] = extra[i];
    r = fill_identity(chain, extra_count + 1, key, identity, why, why_len);
done:
    free(chain);
    free(pem);
    key_pair_free_chain(extra, extra_count);
    gnutls_x509_crt_deinit(leaf);
    gnutls_x509_privkey_deinit(key);
    return r;
}

int tls_identity_load_or_create(const char *dir, const char *common_name, struct tls_identity *identity,
                                char *why, size_t why_len)
{
    struct host_names names;
    char ignored[128];
    int r;

    /* A host whose interfaces cannot be listed still gets an identity for
     * its name and loopback: gather fills what it could. */
    host_names_gather(&names, NULL, ignored, sizeof(ignored));
    if (peer_name_dns_valid(common_name, strlen(common_name))) host_names_add_dns(&names, common_name);
    if (host_identity_ensure(dir, common_name, &names, time(NULL), NULL, why, why_len)) return -1;
    if ((r = tls_identity_load(dir, identity, why, why_len)) == 1)
        snprintf(why, why_len, "the TLS identity in %s vanished while it was loaded", dir);
    return r ? -1 : 0;
}

void tls_identity_free(struct tls_identity *identity)
{
    if (identity->credentials) gnutls_certificate_free_credentials(identity->credentials);
    identity->credentials = NULL;
}
