/* secsockctl enroll: this host gets its identity from another machine's
 * (or an enterprise) CA in two steps; the key never leaves this host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "pki.h"
#include "unix/cert_issue.h"
#include "unix/host_identity.h"
#include "unix/key_pair.h"
#include "unix/private_file.h"
#include "unix/trust_anchors.h"

#define ENROLL_KEY "enroll.key"   /* the key of the request, until install */

static int enroll_request(void)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_datum_t key_pem = { NULL, 0 }, csr = { NULL, 0 };
    struct host_names names;
    char dir[4096], why[512];
    int r = 1;

    if (pki_config_dir("enroll request", dir, sizeof(dir))) return 1;
    if (host_names_gather(&names, NULL, why, sizeof(why)))
        fprintf(stderr, "secsockctl: enroll request: %s (the request names what could be found)\n", why);
    if (cert_new_key(&key, why, sizeof(why)) || gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem) ||
        cert_request_pem(key, names.dns_count ? names.dns[0] : "localhost", &names, &csr, why, sizeof(why)) ||
        private_file_write(dir, ENROLL_KEY, key_pem.data, key_pem.size, 0600, why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: enroll request: %s\n", why);
        goto done;
    }
    fwrite(csr.data, 1, csr.size, stdout);
    fprintf(stderr, "request for:\n");
    for (size_t i = 0; i < names.dns_count; i++) fprintf(stderr, "  DNS %s\n", names.dns[i]);
    fprintf(stderr, "  and %zu IP addresses\nkey kept in %s/" ENROLL_KEY ". On the CA's machine: secsockctl ca sign "
                    "host.csr > host.crt; secsockctl ca export > ca.crt. Then here: secsockctl enroll install host.crt ca.crt\n",
            names.ip_count, dir);
    r = 0;
done:
    if (key_pem.data) memset(key_pem.data, 0, key_pem.size);
    gnutls_free(key_pem.data);
    gnutls_free(csr.data);
    if (key) gnutls_x509_privkey_deinit(key);
    return r;
}

/* Whether the certificate was issued by the CA of ca_pem. */
static int issued_by(const char *crt_pem, size_t crt_len, const char *ca_pem, size_t ca_len, char *why, size_t why_len)
{
    gnutls_x509_crt_t *crts = NULL, *cas = NULL;
    unsigned int ncrt = 0, nca = 0, status = 1;
    int ok = 0;

    if (!key_pair_import_chain(crt_pem, crt_len, &crts, &ncrt, why, why_len) &&
        !key_pair_import_chain(ca_pem, ca_len, &cas, &nca, why, why_len))
    {
        ok = gnutls_x509_crt_verify(crts[0], cas, nca, 0, &status) >= 0 && !status;
        if (!ok) snprintf(why, why_len, "the certificate was not issued by that CA, or is not valid now (status 0x%x)", status);
    }
    key_pair_free_chain(crts, ncrt);
    key_pair_free_chain(cas, nca);
    return ok;
}

static int enroll_install(const char *crt_file, const char *ca_file)
{
    char dir[4096], key_path[4200], why[512], fp[65], *crt = NULL, *ca = NULL, *key = NULL;
    size_t crt_len, ca_len, key_len;
    int r = 1;

    if (pki_config_dir("enroll install", dir, sizeof(dir)) || private_path(key_path, sizeof(key_path), dir, ENROLL_KEY))
        return 1;
    if (pki_read("enroll install", crt_file, &crt, &crt_len) || pki_read("enroll install", ca_file, &ca, &ca_len))
        goto done;
    if (private_file_read(key_path, &key, &key_len, why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: enroll install: no pending request key (%s): run `secsockctl enroll request` first\n",
                key_path);
        goto done;
    }
    if (!issued_by(crt, crt_len, ca, ca_len, why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: enroll install: %s: %s\n", crt_file, why);
        goto done;
    }
    /* The identity first: a CA trusted for an identity that failed to
     * install would trust more than was asked. */
    if (host_identity_import(dir, crt, crt_len, key, key_len, time(NULL), why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: enroll install: %s (was %s signed for the last `enroll request`?)\n", why, crt_file);
        goto done;
    }
    if (trust_anchors_add(dir, ca, ca_len, fp, why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: enroll install: the identity is installed, but the CA is not trusted: %s\n"
                        "run `secsockctl ca trust %s` once that is fixed\n", why, ca_file);
        goto done;
    }
    unlink(key_path);
    printf("installed the identity issued by %s and trusted that CA (SHA-256 %s); it is not renewed here: "
           "enroll again before it expires (secsockctl identity show); a running secsockd takes it within a second\n", ca_file, fp);
    r = 0;
done:
    if (key) memset(key, 0, key_len);
    free(key);
    free(crt);
    free(ca);
    return r;
}

int cmd_enroll(int argc, char **argv)
{
    if (argc == 1 && !strcmp(argv[0], "request")) return enroll_request();
    if (argc == 3 && !strcmp(argv[0], "install")) return enroll_install(argv[1], argv[2]);
    fprintf(stderr, "usage: secsockctl enroll request > host.csr | enroll install host.crt ca.crt\n");
    return 2;
}
