/* secsockctl ca: export, trust, sign, list — the local CA and the CAs
 * this user trusts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pki.h"
#include "unix/cert_issue.h"
#include "unix/host_identity.h"
#include "unix/local_ca.h"
#include "unix/trust_anchors.h"

static void ca_usage(void)
{
    fprintf(stderr, "usage: secsockctl ca export | trust FILE | sign CSR [--days N] | list\n");
}

/* The local CA, made first when missing. */
static int open_ca(const char *command, char *dir, size_t size, struct local_ca *ca)
{
    char why[512];

    if (pki_config_dir(command, dir, size)) return -1;
    if (local_ca_load_or_create(dir, time(NULL), ca, why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: %s: %s\n", command, why);
        return -1;
    }
    return 0;
}

static int print_pem(const char *command, gnutls_x509_crt_t crt)
{
    gnutls_datum_t pem = { NULL, 0 };

    if (cert_export_pem(crt, &pem))
    {
        fprintf(stderr, "secsockctl: %s: cannot encode the certificate\n", command);
        return 1;
    }
    fwrite(pem.data, 1, pem.size, stdout);
    gnutls_free(pem.data);
    return 0;
}

static int ca_export(void)
{
    struct local_ca ca;
    char dir[4096];
    int r;

    if (open_ca("ca export", dir, sizeof(dir), &ca)) return 1;
    r = print_pem("ca export", ca.crt);
    local_ca_free(&ca);
    return r;
}

static int ca_trust(const char *file)
{
    char dir[4096], why[512], fp[65], *pem;
    size_t len;
    int r;

    if (pki_config_dir("ca trust", dir, sizeof(dir)) || pki_read("ca trust", file, &pem, &len)) return 1;
    r = trust_anchors_add(dir, pem, len, fp, why, sizeof(why));
    free(pem);
    if (r)
    {
        fprintf(stderr, "secsockctl: ca trust: %s: %s\n(on the CA's machine, `secsockctl ca export > ca.crt` gives its CA "
                        "certificate)\n", file, why);
        return 1;
    }
    printf("trusted CA %s (SHA-256 %s) in %s/" TRUST_ANCHORS_DIR "/; secsockd uses it from its next connection\n",
           file, fp, dir);
    return 0;
}

static int ca_sign(const char *file, unsigned int days)
{
    struct local_ca ca;
    gnutls_x509_crt_t crt;
    struct host_names names;
    char dir[4096], why[512], *pem;
    size_t len;
    int r;

    if (pki_read("ca sign", file, &pem, &len)) return 1;
    if (open_ca("ca sign", dir, sizeof(dir), &ca))
    {
        free(pem);
        return 1;
    }
    r = local_ca_sign_request(&ca, pem, len, time(NULL), days, &crt, why, sizeof(why));
    free(pem);
    local_ca_free(&ca);
    if (r)
    {
        fprintf(stderr, "secsockctl: ca sign: %s: %s\n(the host to enroll makes a request with `secsockctl enroll "
                        "request > host.csr`)\n", file, why);
        return 1;
    }
    r = print_pem("ca sign", crt);
    if (!r && !cert_names_of_crt(crt, &names))
    {
        fprintf(stderr, "signed for %u days for:\n", days);
        /* The names go to stderr: stdout is the certificate alone. */
        for (size_t i = 0; i < names.dns_count; i++) fprintf(stderr, "  DNS %s\n", names.dns[i]);
        fprintf(stderr, "  and %zu IP addresses\nInstall it there with: secsockctl enroll install host.crt ca.crt "
                        "(ca.crt from `secsockctl ca export` here)\n", names.ip_count);
    }
    gnutls_x509_crt_deinit(crt);
    return r;
}

int pki_list_cas(void)
{
    struct trust_anchors *anchors;
    char dir[4096], why[512], when[32];

    if (pki_config_dir("ca list", dir, sizeof(dir))) return 1;
    if (!(anchors = trust_anchors_load(dir, 0, why, sizeof(why))))
    {
        fprintf(stderr, "secsockctl: ca list: %s\n", why);
        return 1;
    }
    printf("trusted CAs (%zu) and CRLs (%zu) in %s:\n", trust_anchors_count(anchors), trust_anchors_crl_count(anchors),
           dir);
    for (size_t i = 0; i < trust_anchors_count(anchors); i++)
    {
        const struct trust_anchor_info *info = trust_anchors_info(anchors, i);
        struct tm tm;
        if (!gmtime_r(&info->expires, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d", &tm)) snprintf(when, sizeof(when), "?");
        printf("  %s%s\n    SHA-256 %s, until %s\n", info->subject, info->own ? " (own CA)" : "", info->fingerprint, when);
    }
    if (trust_anchors_warning(anchors)[0]) printf("warning: %s\n", trust_anchors_warning(anchors));
    trust_anchors_free(anchors);
    return 0;
}

int cmd_ca(int argc, char **argv)
{
    unsigned int days = HOST_IDENTITY_DAYS;
    char *end;

    if (argc == 1 && !strcmp(argv[0], "export")) return ca_export();
    if (argc == 1 && !strcmp(argv[0], "list")) return pki_list_cas();
    if (argc == 2 && !strcmp(argv[0], "trust")) return ca_trust(argv[1]);
    if ((argc == 2 || argc == 4) && !strcmp(argv[0], "sign"))
    {
        if (argc == 4)
        {
            unsigned long v = strtoul(argv[3], &end, 10);
            if (strcmp(argv[2], "--days") || *end || !v || v > LOCAL_CA_SIGN_DAYS_MAX || argv[3][0] == '-')
            {
                fprintf(stderr, "secsockctl: ca sign: --days takes 1 to %d\n", LOCAL_CA_SIGN_DAYS_MAX);
                return 2;
            }
            days = (unsigned int)v;
        }
        return ca_sign(argv[1], days);
    }
    ca_usage();
    return 2;
}
