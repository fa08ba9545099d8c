/* Kernel TLS: asked for, offered by the kernel, handed to GnuTLS. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ktls.h"

#define KTLS_ENV "SECSOCK_KTLS"
#define KTLS_CONF "gnutls-ktls.conf"
#define GNUTLS_CONF_ENV "GNUTLS_SYSTEM_PRIORITY_FILE"

/* Whether the kernel lists "tls" among its TCP upper-layer protocols. */
static int kernel_offers_tls(char *ulps, size_t len)
{
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "re");
    char *word, *save = NULL;
    int found = 0;

    snprintf(ulps, len, "(unreadable)");
    if (!f) return 0;
    if (!fgets(ulps, (int)len, f)) snprintf(ulps, len, "(empty)");
    fclose(f);
    ulps[strcspn(ulps, "\n")] = 0;
    {
        char copy[256];
        snprintf(copy, sizeof(copy), "%s", ulps);
        for (word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save))
            if (!strcmp(word, "tls")) found = 1;
    }
    return found;
}

void ktls_setup(const char *runtime_dir, char **argv, char *status, size_t status_len)
{
    const char *asked = getenv(KTLS_ENV), *conf = getenv(GNUTLS_CONF_ENV);
    char ulps[200], path[4200];
    FILE *f;

    if (!asked || strcmp(asked, "1"))
    {
        snprintf(status, status_len, "not asked for (SECSOCK_KTLS=1 asks); TLS records are made in userspace");
        return;
    }
    if (!kernel_offers_tls(ulps, sizeof(ulps)))
    {
        snprintf(status, status_len, "asked for, but this kernel offers no TLS ULP (tcp_available_ulp: %.120s); "
                 "TLS records are made in userspace", ulps);
        return;
    }
    snprintf(path, sizeof(path), "%s/" KTLS_CONF, runtime_dir);
    if (conf && !strcmp(conf, path))
    {
        snprintf(status, status_len, "on: GnuTLS hands the record layer to the kernel after each handshake");
        return;
    }
    if (!(f = fopen(path, "we")) || fprintf(f, "[global]\nktls = true\n") < 0 || fclose(f))
    {
        snprintf(status, status_len, "asked for, but %.100s cannot be written (%s); userspace TLS", path,
                 strerror(errno));
        return;
    }
    /* GnuTLS has read its configuration already: run again with ours. */
    setenv(GNUTLS_CONF_ENV, path, 1);
    execv("/proc/self/exe", argv);
    snprintf(status, status_len, "asked for, but secsockd cannot run itself again (%s); userspace TLS",
             strerror(errno));
}
