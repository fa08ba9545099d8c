/* secsockctl identity: import a certificate from any CA, show the one in use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pki.h"
#include "unix/cert_issue.h"
#include "unix/host_identity.h"
#include "unix/key_pair.h"
#include "unix/tls_identity.h"

static int identity_import(const char *crt_file, const char *key_file)
{
    char dir[4096], why[512], *crt = NULL, *key = NULL;
    size_t crt_len, key_len;
    int r = 1;

    if (pki_config_dir("identity import", dir, sizeof(dir)) || pki_read("identity import", crt_file, &crt, &crt_len) ||
        pki_read("identity import", key_file, &key, &key_len))
        goto done;
    if (host_identity_import(dir, crt, crt_len, key, key_len, time(NULL), why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: identity import: %s\n(CERT is the PEM certificate, optionally followed by its "
                        "intermediate CAs; KEY its unencrypted PEM key)\n", why);
        goto done;
    }
    printf("imported %s as this host's identity; peers that pinned the previous key need the new pin "
           "(secsockctl identity show); it is not renewed here; a running secsockd takes it within a second\n", crt_file);
    r = 0;
done:
    if (key) memset(key, 0, key_len);
    free(key);
    free(crt);
    return r;
}

static void print_date(const char *label, time_t t)
{
    char text[64];
    struct tm tm;

    if (t == (time_t)-1 || !gmtime_r(&t, &tm) || !strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &tm))
        snprintf(text, sizeof(text), "?");
    printf("%s%s\n", label, text);
}

int pki_show_identity(void)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    struct host_names names, host;
    enum host_identity_state state;
    struct tls_identity id;
    char dir[4096], why[512], text[512];
    size_t len;
    int r;

    if (pki_config_dir("identity show", dir, sizeof(dir))) return 1;
    if (!(r = key_pair_load(dir, TLS_IDENTITY_KEY, TLS_IDENTITY_CERT, &key, &crt, why, sizeof(why))) &&
        (r = tls_identity_load(dir, &id, why, sizeof(why))))
    {
        gnutls_x509_crt_deinit(crt);
        gnutls_x509_privkey_deinit(key);
    }
    if (r)
    {
        if (r == 1) fprintf(stderr, "secsockctl: identity show: no identity in %s yet: secsockd makes it when it starts "
                                    "(secsockctl start)\n", dir);
        else fprintf(stderr, "secsockctl: identity show: %s\n", why);
        return 1;
    }
    len = sizeof(text);
    printf("identity: %s/" TLS_IDENTITY_CERT "\n", dir);
    if (!gnutls_x509_crt_get_dn(crt, text, &len)) printf("subject: %s\n", text);
    len = sizeof(text);
    if (!gnutls_x509_crt_get_issuer_dn(crt, text, &len)) printf("issuer:  %s\n", text);
    print_date("valid from: ", gnutls_x509_crt_get_activation_time(crt));
    print_date("expires:    ", gnutls_x509_crt_get_expiration_time(crt));
    printf("pin: ");
    for (int i = 0; i < TLS_RELAY_PIN_LEN; i++) printf("%02x", id.pin[i]);
    printf("\nnames:\n");
    if (!cert_names_of_crt(crt, &names)) pki_print_names("  ", &names);
    host_names_gather(&host, NULL, why, sizeof(why));
    if (!host_identity_check(dir, &host, time(NULL), &state, why, sizeof(why)))
        printf("state: %s\n", host_identity_state_text(state));
    tls_identity_free(&id);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return 0;
}

int cmd_identity(int argc, char **argv)
{
    if (argc == 1 && !strcmp(argv[0], "show")) return pki_show_identity();
    if (argc == 3 && !strcmp(argv[0], "import")) return identity_import(argv[1], argv[2]);
    fprintf(stderr, "usage: secsockctl identity show | identity import CERT KEY\n");
    return 2;
}
