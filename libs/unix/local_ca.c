/* The local certificate authority: make, load, issue, sign requests. */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gnutls/abstract.h>
#include "unix/cert_issue.h"
#include "unix/key_pair.h"
#include "unix/local_ca.h"
#include "unix/peer_name.h"
#include "unix/private_file.h"

#define DAY (24 * 3600)
#define CLOCK_SLACK 3600   /* back-dating, for peers whose clock lags */

void local_ca_free(struct local_ca *ca)
{
    if (ca->crt) gnutls_x509_crt_deinit(ca->crt);
    if (ca->key) gnutls_x509_privkey_deinit(ca->key);
    ca->crt = NULL;
    ca->key = NULL;
}

int local_ca_load(const char *dir, struct local_ca *ca, char *why, size_t why_len)
{
    int r = key_pair_load(dir, LOCAL_CA_KEY, LOCAL_CA_CERT, &ca->key, &ca->crt, why, why_len);

    if (!r && !cert_is_ca(ca->crt))
    {
        snprintf(why, why_len, "%s/" LOCAL_CA_CERT " is not a CA certificate", dir);
        local_ca_free(ca);
        return -1;
    }
    return r;
}

/* "secsock CA user@host": tells people whose CA they are asked to trust. */
static void ca_label(char *buf, size_t size)
{
    char host[256] = "localhost";
    struct passwd *pw = getpwuid(geteuid());

    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = 0;
    if (pw && pw->pw_name) snprintf(buf, size, "secsock CA %.64s@%.128s", pw->pw_name, host);
    else snprintf(buf, size, "secsock CA uid %u@%.128s", (unsigned)geteuid(), host);
}

int local_ca_load_or_create_locked(const char *dir, time_t now, struct local_ca *ca, char *why, size_t why_len)
{
    struct cert_profile profile = { NULL, NULL, now - CLOCK_SLACK, now + (time_t)LOCAL_CA_DAYS * DAY, 1 };
    gnutls_pubkey_t pub = NULL;
    char label[256];
    int r;

    memset(ca, 0, sizeof(*ca));
    if ((r = local_ca_load(dir, ca, why, why_len)) <= 0) return r;
    ca_label(label, sizeof(label));
    profile.common_name = label;
    if (cert_new_key(&ca->key, why, why_len) || cert_pubkey_of_key(ca->key, &pub, why, why_len) ||
        cert_issue(&profile, pub, NULL, ca->key, &ca->crt, why, why_len) ||
        key_pair_store(dir, LOCAL_CA_KEY, LOCAL_CA_CERT, ca->key, ca->crt, why, why_len))
        r = -1;
    else r = 0;
    if (pub) gnutls_pubkey_deinit(pub);
    if (r) local_ca_free(ca);
    return r;
}

int local_ca_load_or_create(const char *dir, time_t now, struct local_ca *ca, char *why, size_t why_len)
{
    int lock, r;

    if (private_lock(dir, &lock, why, why_len)) return -1;
    r = local_ca_load_or_create_locked(dir, now, ca, why, why_len);
    private_unlock(lock);
    return r;
}

int local_ca_issue(const struct local_ca *ca, gnutls_pubkey_t key, const char *common_name,
                   const struct host_names *names, time_t now, unsigned int days, gnutls_x509_crt_t *out,
                   char *why, size_t why_len)
{
    struct cert_profile profile = { common_name, names, now - CLOCK_SLACK, now + (time_t)days * DAY, 0 };
    time_t ca_end = gnutls_x509_crt_get_expiration_time(ca->crt);

    /* Never beyond the CA itself: a chain is only as valid as its root. */
    if (ca_end != (time_t)-1 && profile.not_after > ca_end) profile.not_after = ca_end;
    return cert_issue(&profile, key, ca->crt, ca->key, out, why, why_len);
}

/* Every DNS SAN of a request must be a host name or "*." and one. */
static int request_names_valid(const struct host_names *names, char *why, size_t why_len)
{
    for (size_t i = 0; i < names->dns_count; i++)
    {
        const char *n = names->dns[i];
        int wildcard = n[0] == '*' && n[1] == '.';
        if (!peer_name_dns_valid(wildcard ? n + 2 : n, strlen(wildcard ? n + 2 : n)) ||
            (wildcard && !strchr(n + 2, '.')))
        {
            snprintf(why, why_len, "the request names \"%s\", which is not a host name", n);
            return -1;
        }
    }
    if (!names->dns_count && !names->ip_count)
    {
        snprintf(why, why_len, "the request names no host (no DNS or IP subject alternative name)");
        return -1;
    }
    return 0;
}

int local_ca_sign_request(const struct local_ca *ca, const char *csr_pem, size_t len, time_t now,
                          unsigned int days, gnutls_x509_crt_t *out, char *why, size_t why_len)
{
    gnutls_datum_t d = { (unsigned char *)csr_pem, (unsigned int)len };
    gnutls_x509_crq_t crq = NULL;
    gnutls_pubkey_t pub = NULL;
    struct host_names names;
    char cn[256];
    size_t cn_len = sizeof(cn);
    int ret, r = -1;

    *out = NULL;
    if (!days || days > LOCAL_CA_SIGN_DAYS_MAX)
    {
        snprintf(why, why_len, "--days must be from 1 to %d", LOCAL_CA_SIGN_DAYS_MAX);
        return -1;
    }
    if ((ret = gnutls_x509_crq_init(&crq)) || (ret = gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM)))
    {
        snprintf(why, why_len, "not a PEM certificate request: %s", gnutls_strerror(ret));
        goto done;
    }
    /* The requester must hold the key it asks a certificate for. */
    if ((ret = gnutls_x509_crq_verify(crq, 0)) < 0)
    {
        snprintf(why, why_len, "the request's signature does not verify: %s", gnutls_strerror(ret));
        goto done;
    }
    if ((ret = cert_names_of_crq(crq, &names)) < 0)
    {
        snprintf(why, why_len, "cannot read the request's names: %s", gnutls_strerror(ret));
        goto done;
    }
    if (request_names_valid(&names, why, why_len)) goto done;
    if (gnutls_x509_crq_get_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_len) || !cn_len)
        snprintf(cn, sizeof(cn), "%s", names.dns_count ? names.dns[0] : "secsock host");
    if ((ret = gnutls_pubkey_init(&pub)) || (ret = gnutls_pubkey_import_x509_crq(pub, crq, 0)))
    {
        snprintf(why, why_len, "cannot read the request's key: %s", gnutls_strerror(ret));
        goto done;
    }
    r = local_ca_issue(ca, pub, cn, &names, now, days, out, why, why_len);
done:
    if (pub) gnutls_pubkey_deinit(pub);
    if (crq) gnutls_x509_crq_deinit(crq);
    return r;
}
