/* What the PKI commands share: the config dir, reading files, names. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include "pki.h"
#include "unix/client.h"
#include "unix/private_file.h"

int pki_config_dir(const char *command, char *dir, size_t size)
{
    char why[512];

    if (secsock_config_dir(dir, size))
    {
        fprintf(stderr, "secsockctl: %s: no config directory: set SECSOCK_CONFIG_DIR, XDG_CONFIG_HOME or HOME\n",
                command);
        return -1;
    }
    if (private_dir_ensure(dir, why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: %s: %s\n", command, why);
        return -1;
    }
    return 0;
}

int pki_read(const char *command, const char *path, char **data, size_t *len)
{
    char why[512];
    int r = private_file_read(path, data, len, why, sizeof(why));

    if (r == 1) fprintf(stderr, "secsockctl: %s: %s does not exist\n", command, path);
    else if (r < 0) fprintf(stderr, "secsockctl: %s: %s\n", command, why);
    return r ? -1 : 0;
}

void pki_print_names(const char *indent, const struct host_names *names)
{
    char text[64];

    for (size_t i = 0; i < names->dns_count; i++) printf("%sDNS %s\n", indent, names->dns[i]);
    for (size_t i = 0; i < names->ip_count; i++)
        if (inet_ntop(names->ip[i].family, names->ip[i].addr, text, sizeof(text))) printf("%sIP  %s\n", indent, text);
}
