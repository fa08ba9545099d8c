/* The host identity's life: issue, check, re-issue, import. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gnutls/abstract.h>
#include "unix/cert_issue.h"
#include "unix/host_identity.h"
#include "unix/key_pair.h"
#include "unix/local_ca.h"
#include "unix/private_file.h"

const char *host_identity_state_text(enum host_identity_state state)
{
    switch (state)
    {
    case HOST_IDENTITY_CURRENT: return "current";
    case HOST_IDENTITY_MISSING: return "missing";
    case HOST_IDENTITY_DUE: return "due for renewal (less than a third of its lifetime left)";
    case HOST_IDENTITY_NAMES_CHANGED: return "does not name every current name and address of this host";
    case HOST_IDENTITY_OTHER_ISSUER: return "not issued by this directory's CA";
    case HOST_IDENTITY_IMPORTED: return "imported (renewed by whoever issued it)";
    }
    return "unknown";
}

/* Whether identity.origin names this certificate as imported. */
static int imported(const char *dir, gnutls_x509_crt_t crt)
{
    char path[4200], hex[65], *text = NULL, ignored[64];
    size_t len;
    int yes;

    if (private_path(path, sizeof(path), dir, HOST_IDENTITY_ORIGIN) ||
        private_file_read(path, &text, &len, ignored, sizeof(ignored)) || cert_fingerprint_hex(crt, hex))
    {
        free(text);
        return 0;
    }
    yes = len >= 9 + 64 && !memcmp(text, "imported ", 9) && !memcmp(text + 9, hex, 64);
    free(text);
    return yes;
}

static enum host_identity_state state_of(const char *dir, gnutls_x509_crt_t crt, gnutls_x509_crt_t ca,
                                         const struct host_names *names, time_t now)
{
    struct host_names have;
    unsigned int status = 1;
    time_t start = gnutls_x509_crt_get_activation_time(crt), end = gnutls_x509_crt_get_expiration_time(crt);

    if (imported(dir, crt)) return HOST_IDENTITY_IMPORTED;
    /* Dates are judged below, by lifetime left, not by the verifier. */
    if (!ca || gnutls_x509_crt_verify(crt, &ca, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &status) < 0 || status)
        return HOST_IDENTITY_OTHER_ISSUER;
    if (start == (time_t)-1 || end == (time_t)-1 || now > end - (end - start) / 3) return HOST_IDENTITY_DUE;
    if (cert_names_of_crt(crt, &have) < 0 || !host_names_cover(&have, names)) return HOST_IDENTITY_NAMES_CHANGED;
    return HOST_IDENTITY_CURRENT;
}

int host_identity_check(const char *dir, const struct host_names *names, time_t now,
                        enum host_identity_state *state, char *why, size_t why_len)
{
    struct local_ca ca = { NULL, NULL };
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    int r;

    if ((r = key_pair_load(dir, HOST_IDENTITY_KEY, HOST_IDENTITY_CERT, &key, &crt, why, why_len)) < 0) return -1;
    if (r == 1)
    {
        *state = HOST_IDENTITY_MISSING;
        return 0;
    }
    if (local_ca_load(dir, &ca, why, why_len) < 0)
    {
        gnutls_x509_crt_deinit(crt);
        gnutls_x509_privkey_deinit(key);
        return -1;
    }
    *state = state_of(dir, crt, ca.crt, names, now);
    local_ca_free(&ca);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return 0;
}

static void remove_file(const char *dir, const char *name)
{
    char path[4200];
    if (!private_path(path, sizeof(path), dir, name)) unlink(path);
}

/* Issues the identity for key (a new one when key is NULL) and stores it. */
static int issue(const char *dir, const struct local_ca *ca, gnutls_x509_privkey_t key, const char *common_name,
                 const struct host_names *names, time_t now, char *why, size_t why_len)
{
    gnutls_x509_privkey_t fresh = NULL;
    gnutls_pubkey_t pub = NULL;
    gnutls_x509_crt_t crt = NULL;
    int r = -1;

    if (!key && cert_new_key(&fresh, why, why_len)) return -1;
    if (cert_pubkey_of_key(key ? key : fresh, &pub, why, why_len) ||
        local_ca_issue(ca, pub, common_name, names, now, HOST_IDENTITY_DAYS, &crt, why, why_len) ||
        key_pair_store(dir, HOST_IDENTITY_KEY, HOST_IDENTITY_CERT, fresh, crt, why, why_len))
        goto done;
    /* An imported identity's intermediates belong to it alone. */
    remove_file(dir, HOST_IDENTITY_CHAIN);
    r = 0;
done:
    if (crt) gnutls_x509_crt_deinit(crt);
    if (pub) gnutls_pubkey_deinit(pub);
    if (fresh) gnutls_x509_privkey_deinit(fresh);
    return r;
}

int host_identity_ensure(const char *dir, const char *common_name, const struct host_names *names, time_t now,
                         enum host_identity_state *before, char *why, size_t why_len)
{
    struct local_ca ca = { NULL, NULL };
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    enum host_identity_state state = HOST_IDENTITY_MISSING;
    int lock, r;

    if (private_lock(dir, &lock, why, why_len)) return -1;
    if (local_ca_load_or_create_locked(dir, now, &ca, why, why_len) ||
        (r = key_pair_load(dir, HOST_IDENTITY_KEY, HOST_IDENTITY_CERT, &key, &crt, why, why_len)) < 0)
    {
        r = -1;
        goto done;
    }
    if (r == 0) state = state_of(dir, crt, ca.crt, names, now);
    switch (state)
    {
    case HOST_IDENTITY_CURRENT:
    case HOST_IDENTITY_IMPORTED:
        r = 0;
        break;
    default:
        r = issue(dir, &ca, key, common_name, names, now, why, why_len);
    }
done:
    if (before) *before = state;
    if (crt) gnutls_x509_crt_deinit(crt);
    if (key) gnutls_x509_privkey_deinit(key);
    local_ca_free(&ca);
    private_unlock(lock);
    return r;
}

/* The intermediates after the leaf, as one PEM text. */
static int store_chain(const char *dir, gnutls_x509_crt_t *certs, unsigned int count, char *why, size_t why_len)
{
    char *text = NULL;
    size_t len = 0;
    int r = 0;

    if (count < 2)
    {
        remove_file(dir, HOST_IDENTITY_CHAIN);
        return 0;
    }
    for (unsigned int i = 1; i < count && !r; i++)
    {
        gnutls_datum_t pem = { NULL, 0 };
        char *grown;
        if (cert_export_pem(certs[i], &pem) || !(grown = realloc(text, len + pem.size)))
            r = -1;
        else
        {
            text = grown;
            memcpy(text + len, pem.data, pem.size);
            len += pem.size;
        }
        gnutls_free(pem.data);
    }
    if (r) snprintf(why, why_len, "cannot encode the certificate chain");
    else r = private_file_write(dir, HOST_IDENTITY_CHAIN, text, len, 0644, why, why_len);
    free(text);
    return r;
}

static int check_importable(gnutls_x509_crt_t leaf, gnutls_x509_privkey_t key, time_t now, char *why, size_t why_len)
{
    if (!cert_key_matches(leaf, key))
    {
        snprintf(why, why_len, "the key is not the certificate's key");
        return -1;
    }
    if (cert_is_ca(leaf))
    {
        snprintf(why, why_len, "the certificate is a CA certificate, not a host's identity");
        return -1;
    }
    if (now < gnutls_x509_crt_get_activation_time(leaf) || now > gnutls_x509_crt_get_expiration_time(leaf))
    {
        snprintf(why, why_len, "the certificate is not valid now (expired or not yet valid)");
        return -1;
    }
    return 0;
}

int host_identity_import(const char *dir, const char *cert_pem, size_t cert_len, const char *key_pem,
                         size_t key_len, time_t now, char *why, size_t why_len)
{
    gnutls_datum_t kd = { (unsigned char *)key_pem, (unsigned int)key_len };
    gnutls_x509_crt_t *certs = NULL;
    gnutls_x509_privkey_t key = NULL;
    unsigned int count = 0;
    char origin[80], hex[65];
    int lock = -1, ret, r = -1;

    if (key_pair_import_chain(cert_pem, cert_len, &certs, &count, why, why_len)) return -1;
    if ((ret = gnutls_x509_privkey_init(&key)) || (ret = gnutls_x509_privkey_import2(key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)))
    {
        snprintf(why, why_len, "not a PEM private key (or an encrypted one): %s", gnutls_strerror(ret));
        goto done;
    }
    if (check_importable(certs[0], key, now, why, why_len) || private_lock(dir, &lock, why, why_len)) goto done;
    if (cert_fingerprint_hex(certs[0], hex))
    {
        snprintf(why, why_len, "cannot read the certificate's fingerprint");
        goto done;
    }
    snprintf(origin, sizeof(origin), "imported %s\n", hex);
    /* The origin first: until the certificate is in place it names none. */
    if (private_file_write(dir, HOST_IDENTITY_ORIGIN, origin, strlen(origin), 0644, why, why_len) ||
        store_chain(dir, certs, count, why, why_len) ||
        key_pair_store(dir, HOST_IDENTITY_KEY, HOST_IDENTITY_CERT, key, certs[0], why, why_len))
        goto done;
    r = 0;
done:
    private_unlock(lock);
    if (key) gnutls_x509_privkey_deinit(key);
    key_pair_free_chain(certs, count);
    return r;
}
