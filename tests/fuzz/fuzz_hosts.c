/* libFuzzer: the hosts file the FQDN is read from.  What it finds must be
 * a valid host name that extends the host's own name. */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "unix/host_names.h"
#include "unix/peer_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char fqdn[HOST_NAME_TEXT_MAX + 1];

    if (host_names_fqdn_from_hosts((const char *)data, size, "box", fqdn, sizeof(fqdn)) &&
        (strncasecmp(fqdn, "box.", 4) || !peer_name_dns_valid(fqdn, strlen(fqdn))))
        __builtin_trap();
    return 0;
}
