/* The per-user TLS identity: make, store, load. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include "unix/tls_identity.h"

#define VALIDITY_DAYS 3650   /* trust is by pinned key, not by dates */

static int make_pair(const char *common_name, gnutls_x509_privkey_t *key_out, gnutls_x509_crt_t *crt_out,
                     char *why, size_t why_len)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    unsigned char serial[16];
    time_t now = time(NULL);
    int ret;

    if ((ret = gnutls_x509_privkey_init(&key)) ||
        (ret = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) ||
        (ret = gnutls_x509_crt_init(&crt)) ||
        (ret = gnutls_x509_crt_set_version(crt, 3)) ||
        (ret = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) ||
        (serial[0] &= 0x7f, ret = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) ||
        (ret = gnutls_x509_crt_set_activation_time(crt, now - 24 * 3600)) ||
        (ret = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)VALIDITY_DAYS * 24 * 3600)) ||
        (ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, common_name, strlen(common_name))) ||
        (ret = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, common_name, strlen(common_name),
                                                    GNUTLS_FSAN_SET)) ||
        (ret = gnutls_x509_crt_set_key(crt, key)) ||
        (ret = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)))
    {
        snprintf(why, why_len, "cannot make a TLS identity: %s", gnutls_strerror(ret));
        if (crt) gnutls_x509_crt_deinit(crt);
        if (key) gnutls_x509_privkey_deinit(key);
        return -1;
    }
    *key_out = key;
    *crt_out = crt;
    return 0;
}

static int fill_identity(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, struct tls_identity *identity,
                         char *why, size_t why_len)
{
    gnutls_datum_t der = { NULL, 0 };
    int ret;

    memset(identity, 0, sizeof(*identity));
    if ((ret = gnutls_certificate_allocate_credentials(&identity->credentials)) ||
        (ret = gnutls_certificate_set_x509_key(identity->credentials, &crt, 1, key)) ||
        (ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der)) ||
        (ret = tls_pin_of_certificate(&der, identity->pin) ? GNUTLS_E_CERTIFICATE_ERROR : 0))
    {
        snprintf(why, why_len, "cannot use the TLS identity: %s", gnutls_strerror(ret));
        gnutls_free(der.data);
        if (identity->credentials) gnutls_certificate_free_credentials(identity->credentials);
        identity->credentials = NULL;
        return -1;
    }
    gnutls_free(der.data);
    return 0;
}

int tls_identity_ephemeral(const char *common_name, struct tls_identity *identity, char *why, size_t why_len)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    int ret;

    if (make_pair(common_name, &key, &crt, why, why_len)) return -1;
    ret = fill_identity(crt, key, identity, why, why_len);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return ret;
}

/* Writes data to dir/name through a temporary file, synced, then renamed. */
static int write_file(const char *dir, const char *name, const gnutls_datum_t *data, mode_t mode, char *why,
                      size_t why_len)
{
    char tmp[4200], path[4200];
    int fd;

    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)) < 0)
    {
        snprintf(why, why_len, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (write(fd, data->data, data->size) != (ssize_t)data->size || fsync(fd) || close(fd))
    {
        /* A full disk must not leave a half identity that later fails to load. */
        snprintf(why, why_len, "cannot write %s: %s", tmp, strerror(errno ? errno : EIO));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path))
    {
        snprintf(why, why_len, "cannot create %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int read_file(const char *path, gnutls_datum_t *data)
{
    return gnutls_load_file(path, data) ? -1 : 0;
}

int tls_identity_load_or_create(const char *dir, const char *common_name, struct tls_identity *identity,
                                char *why, size_t why_len)
{
    char key_path[4200], crt_path[4200];
    gnutls_datum_t key_pem = { NULL, 0 }, crt_pem = { NULL, 0 };
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    int ret = -1, err;

    snprintf(key_path, sizeof(key_path), "%s/" TLS_IDENTITY_KEY, dir);
    snprintf(crt_path, sizeof(crt_path), "%s/" TLS_IDENTITY_CERT, dir);
    if (!read_file(key_path, &key_pem) && !read_file(crt_path, &crt_pem))
    {
        if ((err = gnutls_x509_privkey_init(&key)) ||
            (err = gnutls_x509_privkey_import(key, &key_pem, GNUTLS_X509_FMT_PEM)) ||
            (err = gnutls_x509_crt_init(&crt)) ||
            (err = gnutls_x509_crt_import(crt, &crt_pem, GNUTLS_X509_FMT_PEM)))
        {
            snprintf(why, why_len, "the TLS identity in %s is damaged (%s); remove %s and %s to make a new one",
                     dir, gnutls_strerror(err), TLS_IDENTITY_KEY, TLS_IDENTITY_CERT);
            goto done;
        }
    }
    else
    {
        gnutls_free(key_pem.data);
        gnutls_free(crt_pem.data);
        key_pem.data = crt_pem.data = NULL;
        if (make_pair(common_name, &key, &crt, why, why_len)) goto done;
        if ((err = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem)) ||
            (err = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &crt_pem)))
        {
            snprintf(why, why_len, "cannot encode the TLS identity: %s", gnutls_strerror(err));
            goto done;
        }
        /* The certificate last: its presence means the key is complete. */
        if (write_file(dir, TLS_IDENTITY_KEY, &key_pem, 0600, why, why_len)) goto done;
        if (write_file(dir, TLS_IDENTITY_CERT, &crt_pem, 0644, why, why_len))
        {
            unlink(key_path);
            goto done;
        }
    }
    ret = fill_identity(crt, key, identity, why, why_len);
done:
    if (key_pem.data) { memset(key_pem.data, 0, key_pem.size); gnutls_free(key_pem.data); }
    gnutls_free(crt_pem.data);
    if (crt) gnutls_x509_crt_deinit(crt);
    if (key) gnutls_x509_privkey_deinit(key);
    return ret;
}

void tls_identity_free(struct tls_identity *identity)
{
    if (identity->credentials) gnutls_certificate_free_credentials(identity->credentials);
    identity->credentials = NULL;
}
