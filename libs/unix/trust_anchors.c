/* Trusted CAs, CRLs, and the verdict on a peer's chain. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <gnutls/x509.h>
#include "unix/cert_issue.h"
#include "unix/key_pair.h"
#include "unix/local_ca.h"
#include "unix/private_file.h"
#include "unix/trust_anchors.h"

struct trust_anchors {
    char dir[4096];
    unsigned int flags;
    gnutls_x509_trust_list_t list;
    struct trust_anchor_info info[TRUST_ANCHORS_MAX_LISTED];
    size_t count, system_count, crl_count;
    uint64_t signature;        /* of every file it was loaded from */
    char warning[512];
};

const char *trust_verdict_name(enum trust_verdict verdict)
{
    switch (verdict)
    {
    case TRUST_NOT_CHECKED: return "not checked";
    case TRUST_OK_CHAIN: return "trusted (chain to a trusted CA)";
    case TRUST_OK_PIN: return "trusted (pinned key)";
    case TRUST_NO_CERTIFICATE: return "no certificate";
    case TRUST_NOT_PINNED: return "key not trusted";
    case TRUST_UNKNOWN_CA: return "unknown CA";
    case TRUST_EXPIRED: return "expired";
    case TRUST_NOT_YET_VALID: return "not yet valid";
    case TRUST_REVOKED: return "revoked";
    case TRUST_NAME_MISMATCH: return "name mismatch";
    case TRUST_WRONG_PURPOSE: return "not for this use";
    case TRUST_INVALID: return "invalid certificate chain";
    }
    return "unknown verdict";
}

int trust_verdict_ok(enum trust_verdict verdict)
{
    return verdict == TRUST_OK_CHAIN || verdict == TRUST_OK_PIN;
}

/* FNV-1a over what identifies a file's version. */
static uint64_t mix(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t mix_stat(uint64_t h, const char *path)
{
    struct stat st;

    h = mix(h, path, strlen(path) + 1);
    if (stat(path, &st)) return mix(h, "-", 1);
    h = mix(h, &st.st_ino, sizeof(st.st_ino));
    h = mix(h, &st.st_size, sizeof(st.st_size));
    h = mix(h, &st.st_mode, sizeof(st.st_mode));   /* a directory opened to others stops counting */
    h = mix(h, &st.st_mtim.tv_sec, sizeof(st.st_mtim.tv_sec));
    return mix(h, &st.st_mtim.tv_nsec, sizeof(st.st_mtim.tv_nsec));
}

/* Calls fn for each regular file of dir/sub (dotfiles, our temporaries
 * among them, are skipped), in name order so that loads repeat. */
static uint64_t each_file(const char *dir, const char *sub, uint64_t h,
                          void (*fn)(struct trust_anchors *, const char *), struct trust_anchors *a)
{
    char path[4200], file[4500];
    struct dirent **names;
    int n;

    if (private_path(path, sizeof(path), dir, sub)) return h;
    h = mix_stat(h, path);
    if ((n = scandir(path, &names, NULL, alphasort)) < 0) return h;
    for (int i = 0; i < n; i++)
    {
        if (names[i]->d_name[0] != '.' && !private_path(file, sizeof(file), path, names[i]->d_name))
        {
            h = mix_stat(h, file);
            if (fn) fn(a, file);
        }
        free(names[i]);
    }
    free(names);
    return h;
}

static uint64_t signature_of(const char *dir)
{
    char path[4200];
    uint64_t h = 0xcbf29ce484222325ull;

    if (!private_path(path, sizeof(path), dir, LOCAL_CA_CERT)) h = mix_stat(h, path);
    h = each_file(dir, TRUST_ANCHORS_DIR, h, NULL, NULL);
    return each_file(dir, TRUST_CRLS_DIR, h, NULL, NULL);
}

static void warn(struct trust_anchors *a, const char *path, const char *what)
{
    if (!a->warning[0]) snprintf(a->warning, sizeof(a->warning), "%.200s skipped: %.280s", path, what);
}

static void describe(struct trust_anchors *a, gnutls_x509_crt_t crt, int own)
{
    struct trust_anchor_info *info;
    size_t len;

    if (a->count == TRUST_ANCHORS_MAX_LISTED) return;
    info = &a->info[a->count++];
    memset(info, 0, sizeof(*info));
    len = sizeof(info->subject);
    if (gnutls_x509_crt_get_dn(crt, info->subject, &len)) snprintf(info->subject, sizeof(info->subject), "?");
    cert_fingerprint_hex(crt, info->fingerprint);
    info->expires = gnutls_x509_crt_get_expiration_time(crt);
    info->own = own;
}

/* Adds every CA certificate of a file; the list owns what it took. */
static void add_ca_file(struct trust_anchors *a, const char *path, int own)
{
    gnutls_x509_crt_t *certs = NULL;
    unsigned int count = 0;
    char *pem, why[256];
    size_t len;

    if (private_file_read(path, &pem, &len, why, sizeof(why)))
    {
        if (!own) warn(a, path, why);
        return;
    }
    if (key_pair_import_chain(pem, len, &certs, &count, why, sizeof(why))) warn(a, path, why);
    for (unsigned int i = 0; i < count; i++)
    {
        if (!cert_is_ca(certs[i]))
        {
            warn(a, path, "not a CA certificate");
            gnutls_x509_crt_deinit(certs[i]);
            continue;
        }
        describe(a, certs[i], own);
        if (gnutls_x509_trust_list_add_cas(a->list, &certs[i], 1, 0) != 1) gnutls_x509_crt_deinit(certs[i]);
    }
    gnutls_free(certs);
    free(pem);
}

static void add_trusted_ca(struct trust_anchors *a, const char *path) { add_ca_file(a, path, 0); }

/* A CRL counts only when a trusted CA signed it (GNUTLS_TL_VERIFY_CRL):
 * so the CAs go in first. */
static void add_crl(struct trust_anchors *a, const char *path)
{
    gnutls_datum_t data = { NULL, 0 };
    char *text, why[256];
    size_t len;
    int n;

    if (private_file_read(path, &text, &len, why, sizeof(why)))
    {
        warn(a, path, why);
        return;
    }
    data.data = (unsigned char *)text;
    data.size = (unsigned int)len;
    n = gnutls_x509_trust_list_add_trust_mem(a->list, NULL, &data, GNUTLS_X509_FMT_PEM, GNUTLS_TL_VERIFY_CRL, 0);
    if (n <= 0) n = gnutls_x509_trust_list_add_trust_mem(a->list, NULL, &data, GNUTLS_X509_FMT_DER, GNUTLS_TL_VERIFY_CRL, 0);
    if (n > 0) a->crl_count += (size_t)n;
    else warn(a, path, "not a CRL signed by a trusted CA");
    free(text);
}

/* Makes dir/sub when missing; whether it may be read from: a directory
 * others may write to adds nobody. */
static int usable_dir(struct trust_anchors *a, const char *sub)
{
    char path[4200], problem[300];

    if (private_path(path, sizeof(path), a->dir, sub)) return 0;
    if (!private_dir_ensure(path, problem, sizeof(problem))) return 1;
    warn(a, path, problem);
    return 0;
}

/* Builds a fresh set into a; on failure a is untouched. */
static int load_into(struct trust_anchors *a, char *why, size_t why_len)
{
    struct trust_anchors *next = calloc(1, sizeof(*next));
    char path[4200];
    int ret, cas_ok, crls_ok;

    if (!next)
    {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    memcpy(next->dir, a->dir, sizeof(next->dir));
    next->flags = a->flags;
    /* The directories first: making them changes what the signature sees. */
    cas_ok = usable_dir(next, TRUST_ANCHORS_DIR);
    crls_ok = usable_dir(next, TRUST_CRLS_DIR);
    next->signature = signature_of(a->dir);
    if ((ret = gnutls_x509_trust_list_init(&next->list, 0)))
    {
        snprintf(why, why_len, "cannot make a trust list: %s", gnutls_strerror(ret));
        free(next);
        return -1;
    }
    if (!private_path(path, sizeof(path), a->dir, LOCAL_CA_CERT)) add_ca_file(next, path, 1);
    if (cas_ok) each_file(a->dir, TRUST_ANCHORS_DIR, 0, add_trusted_ca, next);
    if ((next->flags & TRUST_ANCHORS_SYSTEM) && (ret = gnutls_x509_trust_list_add_system_trust(next->list, 0, 0)) > 0)
        next->system_count = (size_t)ret;
    if (crls_ok) each_file(a->dir, TRUST_CRLS_DIR, 0, add_crl, next);
    if (a->list) gnutls_x509_trust_list_deinit(a->list, 1);
    *a = *next;
    free(next);
    return 0;
}

struct trust_anchors *trust_anchors_load(const char *dir, unsigned int flags, char *why, size_t why_len)
{
    struct trust_anchors *a = calloc(1, sizeof(*a));

    if (!a || snprintf(a->dir, sizeof(a->dir), "%s", dir) >= (int)sizeof(a->dir))
    {
        snprintf(why, why_len, a ? "path too long: %s" : "out of memory", dir);
        free(a);
        return NULL;
    }
    a->flags = flags;
    if (load_into(a, why, why_len))
    {
        free(a);
        return NULL;
    }
    return a;
}

void trust_anchors_free(struct trust_anchors *anchors)
{
    if (!anchors) return;
    if (anchors->list) gnutls_x509_trust_list_deinit(anchors->list, 1);
    free(anchors);
}

int trust_anchors_refresh(struct trust_anchors *anchors, char *why, size_t why_len)
{
    if (signature_of(anchors->dir) == anchors->signature) return 0;
    return load_into(anchors, why, why_len) ? -1 : 1;
}

size_t trust_anchors_count(const struct trust_anchors *anchors) { return anchors->count; }
size_t trust_anchors_system_count(const struct trust_anchors *anchors) { return anchors->system_count; }
size_t trust_anchors_crl_count(const struct trust_anchors *anchors) { return anchors->crl_count; }
const char *trust_anchors_warning(const struct trust_anchors *anchors) { return anchors->warning; }

const struct trust_anchor_info *trust_anchors_info(const struct trust_anchors *anchors, size_t i)
{
    return i < anchors->count ? &anchors->info[i] : NULL;
}

static void format_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    if (t == (time_t)-1 || !gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm))
        snprintf(buf, size, "an unreadable date");
}

/* The reason for GnuTLS's status bits, most telling first: a revoked or
 * unknown chain says more than the dates of its certificates. */
static enum trust_verdict verdict_of_status(unsigned int status, gnutls_x509_crt_t leaf, char *why, size_t why_len)
{
    char text[256], when[64];
    size_t len = sizeof(text);

    if (status & GNUTLS_CERT_REVOKED)
        return snprintf(why, why_len, "revoked: a CRL of its CA lists the peer's certificate (or one of its chain)"),
               TRUST_REVOKED;
    if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
    {
        if (gnutls_x509_crt_get_issuer_dn(leaf, text, &len)) snprintf(text, sizeof(text), "?");
        snprintf(why, why_len, "unknown CA: the peer's certificate does not chain to a trusted CA (issuer: %s)", text);
        return TRUST_UNKNOWN_CA;
    }
    if (status & GNUTLS_CERT_EXPIRED)
    {
        format_time(gnutls_x509_crt_get_expiration_time(leaf), when, sizeof(when));
        snprintf(why, why_len, "expired: the peer's certificate (or one of its chain) ran out (the peer's on %s)", when);
        return TRUST_EXPIRED;
    }
    if (status & GNUTLS_CERT_NOT_ACTIVATED)
    {
        format_time(gnutls_x509_crt_get_activation_time(leaf), when, sizeof(when));
        snprintf(why, why_len, "not yet valid: the peer's certificate (or one of its chain) starts later (the peer's on %s)",
                 when);
        return TRUST_NOT_YET_VALID;
    }
    if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
        return snprintf(why, why_len, "not for this use: the peer's certificate is not for TLS"), TRUST_WRONG_PURPOSE;
    snprintf(why, why_len, "invalid certificate chain (GnuTLS status 0x%x)", status);
    return TRUST_INVALID;
}

/* 1 pinned, 0 not, -1 unreadable. */
static int pinned(const gnutls_datum_t *leaf, const struct trust_check *check)
{
    uint8_t pin[TLS_RELAY_PIN_LEN];

    if (tls_pin_of_certificate(leaf, pin)) return -1;
    for (size_t i = 0; i < check->pin_count; i++)
        if (!memcmp(pin, check->pins[i], TLS_RELAY_PIN_LEN)) return 1;
    return 0;
}

enum trust_verdict trust_anchors_verify(const struct trust_anchors *anchors, const struct trust_check *check,
                                        char *why, size_t why_len)
{
    gnutls_x509_crt_t certs[TRUST_CHAIN_MAX];
    gnutls_typed_vdata_st purpose;
    unsigned int n = 0, status = 0;
    enum trust_verdict verdict;
    int ret;

    if (!check->chain || !check->count)
        return snprintf(why, why_len, "the peer sent no certificate"), TRUST_NO_CERTIFICATE;
    switch (pinned(&check->chain[0], check))
    {
    case 1: return why[0] = 0, TRUST_OK_PIN;
    case -1: return snprintf(why, why_len, "the peer's certificate cannot be read"), TRUST_INVALID;
    }
    if (!anchors) return snprintf(why, why_len, "the peer's key is not trusted"), TRUST_NOT_PINNED;
    if (check->count > TRUST_CHAIN_MAX)
        return snprintf(why, why_len, "invalid certificate chain: more than %d certificates", TRUST_CHAIN_MAX), TRUST_INVALID;
    for (; n < check->count; n++)
        if (gnutls_x509_crt_init(&certs[n]) || gnutls_x509_crt_import(certs[n], &check->chain[n], GNUTLS_X509_FMT_DER))
        {
            gnutls_x509_crt_deinit(certs[n]);
            verdict = TRUST_INVALID;
            snprintf(why, why_len, "invalid certificate chain: certificate %u cannot be read", n);
            goto done;
        }
    memset(&purpose, 0, sizeof(purpose));
    purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
    purpose.data = (void *)(check->peer_is_server ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT);
    ret = gnutls_x509_trust_list_verify_crt2(anchors->list, certs, n, &purpose, 1, 0, &status, NULL);
    if (ret < 0)
    {
        verdict = TRUST_INVALID;
        snprintf(why, why_len, "invalid certificate chain: %s", gnutls_strerror(ret));
    }
    else if (status) verdict = verdict_of_status(status, certs[0], why, why_len);
    else if (check->name && !peer_name_certificate_matches(certs[0], check->name))
    {
        verdict = TRUST_NAME_MISMATCH;
        snprintf(why, why_len, "name mismatch: the peer's certificate does not name %s", check->name->host);
    }
    else
    {
        verdict = TRUST_OK_CHAIN;
        why[0] = 0;
    }
done:
    for (unsigned int i = 0; i < n; i++) gnutls_x509_crt_deinit(certs[i]);
    return verdict;
}

int trust_anchors_add(const char *dir, const char *pem, size_t len, char fingerprint[65], char *why, size_t why_len)
{
    gnutls_x509_crt_t *certs = NULL;
    unsigned int count = 0;
    gnutls_datum_t out = { NULL, 0 };
    char sub[4200], name[80];
    int r = -1;

    if (key_pair_import_chain(pem, len, &certs, &count, why, why_len)) return -1;
    if (count != 1) snprintf(why, why_len, "the file holds %u certificates: give one CA certificate per file", count);
    else if (!cert_is_ca(certs[0]))
        snprintf(why, why_len, "not a CA certificate (no CA:TRUE basic constraint with keyCertSign)");
    else if (cert_fingerprint_hex(certs[0], fingerprint) || cert_export_pem(certs[0], &out))
        snprintf(why, why_len, "cannot encode the certificate");
    else if (!private_path(sub, sizeof(sub), dir, TRUST_ANCHORS_DIR) && !private_dir_ensure(sub, why, why_len))
    {
        snprintf(name, sizeof(name), "%s.pem", fingerprint);
        r = private_file_write(sub, name, out.data, out.size, 0644, why, why_len);
    }
    gnutls_free(out.data);
    key_pair_free_chain(certs, count);
    return r;
}
