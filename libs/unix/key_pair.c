/* A key and its certificate, loaded and replaced as one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unix/cert_issue.h"
#include "unix/key_pair.h"
#include "unix/private_file.h"

#define PENDING ".pending"

static void wipe_free(char *data, size_t len)
{
    if (data) memset(data, 0, len);
    free(data);
}

static int import_key(const char *pem, size_t len, gnutls_x509_privkey_t *key)
{
    gnutls_datum_t d = { (unsigned char *)pem, (unsigned int)len };
    int ret;

    if ((ret = gnutls_x509_privkey_init(key))) return ret;
    /* import2 takes SEC1, PKCS#1 and unencrypted PKCS#8 (certtool, openssl) alike. */
    if ((ret = gnutls_x509_privkey_import2(*key, &d, GNUTLS_X509_FMT_PEM, NULL, 0)))
    {
        gnutls_x509_privkey_deinit(*key);
        *key = NULL;
    }
    return ret;
}

static int import_crt(const char *pem, size_t len, gnutls_x509_crt_t *crt)
{
    gnutls_datum_t d = { (unsigned char *)pem, (unsigned int)len };
    int ret;

    if ((ret = gnutls_x509_crt_init(crt))) return ret;
    if ((ret = gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_PEM)))
    {
        gnutls_x509_crt_deinit(*crt);
        *crt = NULL;
    }
    return ret;
}

/* Finishes or drops a pending certificate left by an interrupted store. */
static void recover_pending(const char *dir, const char *crt_name, const char *key_pem, size_t key_len)
{
    char pending[4200], path[4200], name[256], *pem = NULL, ignored[64];
    size_t len;
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;

    snprintf(name, sizeof(name), "%s" PENDING, crt_name);
    if (private_path(pending, sizeof(pending), dir, name) || private_path(path, sizeof(path), dir, crt_name) ||
        private_file_read(pending, &pem, &len, ignored, sizeof(ignored)))
        return;
    if (key_pem && !import_key(key_pem, key_len, &key) && !import_crt(pem, len, &crt) && cert_key_matches(crt, key))
        rename(pending, path);
    else
        unlink(pending);
    if (crt) gnutls_x509_crt_deinit(crt);
    if (key) gnutls_x509_privkey_deinit(key);
    free(pem);
}

int key_pair_load(const char *dir, const char *key_name, const char *crt_name, gnutls_x509_privkey_t *key,
                  gnutls_x509_crt_t *crt, char *why, size_t why_len)
{
    char key_path[4200], crt_path[4200], *key_pem = NULL, *crt_pem = NULL;
    size_t key_len = 0, crt_len = 0;
    int ret, r;

    *key = NULL;
    *crt = NULL;
    if (private_path(key_path, sizeof(key_path), dir, key_name) || private_path(crt_path, sizeof(crt_path), dir, crt_name))
    {
        snprintf(why, why_len, "path too long: %s", dir);
        return -1;
    }
    if ((r = private_file_read(key_path, &key_pem, &key_len, why, why_len)) < 0) return -1;
    recover_pending(dir, crt_name, key_pem, key_len);
    if (r == 1 || (r = private_file_read(crt_path, &crt_pem, &crt_len, why, why_len)) == 1)
    {
        wipe_free(key_pem, key_len);
        return 1;
    }
    if (r < 0)
    {
        wipe_free(key_pem, key_len);
        return -1;
    }
    if ((ret = import_key(key_pem, key_len, key)) || (ret = import_crt(crt_pem, crt_len, crt)))
    {
        snprintf(why, why_len, "%s or %s in %s is damaged (%s)", key_name, crt_name, dir, gnutls_strerror(ret));
        r = -1;
    }
    else if (!cert_key_matches(*crt, *key))
    {
        snprintf(why, why_len, "%s is not the key of %s in %s", key_name, crt_name, dir);
        r = -1;
    }
    else r = 0;
    if (r)
    {
        if (*key) gnutls_x509_privkey_deinit(*key);
        if (*crt) gnutls_x509_crt_deinit(*crt);
        *key = NULL;
        *crt = NULL;
    }
    wipe_free(key_pem, key_len);
    free(crt_pem);
    return r;
}

int key_pair_store(const char *dir, const char *key_name, const char *crt_name, gnutls_x509_privkey_t key,
                   gnutls_x509_crt_t crt, char *why, size_t why_len)
{
    gnutls_datum_t key_pem = { NULL, 0 }, crt_pem = { NULL, 0 };
    char name[256], pending[4200], path[4200];
    int ret, r = -1;

    snprintf(name, sizeof(name), "%s" PENDING, crt_name);
    if (private_path(pending, sizeof(pending), dir, name) || private_path(path, sizeof(path), dir, crt_name))
    {
        snprintf(why, why_len, "path too long: %s", dir);
        return -1;
    }
    if ((ret = cert_export_pem(crt, &crt_pem)) ||
        (key && (ret = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem))))
    {
        snprintf(why, why_len, "cannot encode %s: %s", crt_name, gnutls_strerror(ret));
        goto done;
    }
    if (!key)
    {
        r = private_file_write(dir, crt_name, crt_pem.data, crt_pem.size, 0644, why, why_len);
        goto done;
    }
    if (private_file_write(dir, name, crt_pem.data, crt_pem.size, 0644, why, why_len)) goto done;
    if (private_file_write(dir, key_name, key_pem.data, key_pem.size, 0600, why, why_len))
    {
        unlink(pending);
        goto done;
    }
    if (rename(pending, path))
    {
        snprintf(why, why_len, "cannot create %s: %s", path, strerror(errno));
        goto done;
    }
    r = 0;
done:
    if (key_pem.data) memset(key_pem.data, 0, key_pem.size);
    gnutls_free(key_pem.data);
    gnutls_free(crt_pem.data);
    return r;
}

int key_pair_import_chain(const char *pem, size_t len, gnutls_x509_crt_t **certs, unsigned int *count,
                          char *why, size_t why_len)
{
    gnutls_datum_t d = { (unsigned char *)pem, (unsigned int)len };
    int ret = gnutls_x509_crt_list_import2(certs, count, &d, GNUTLS_X509_FMT_PEM, 0);

    if (ret < 0 || !*count)
    {
        snprintf(why, why_len, "no PEM certificate could be read: %s", ret < 0 ? gnutls_strerror(ret) : "none found");
        *certs = NULL;
        *count = 0;
        return -1;
    }
    return 0;
}

void key_pair_free_chain(gnutls_x509_crt_t *certs, unsigned int count)
{
    for (unsigned int i = 0; i < count; i++) gnutls_x509_crt_deinit(certs[i]);
    gnutls_free(certs);
}
