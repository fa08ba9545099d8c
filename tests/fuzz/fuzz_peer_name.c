/* libFuzzer: target names as programs give them (WSASetSocketPeerTargetName),
 * and dNSName patterns as certificates carry them.  A parsed name must
 * keep the promises of peer_name.h: SNI only for a valid host name, equal
 * to the host, never for an IP address. */
#include <stdint.h>
#include <string.h>
#include "unix/peer_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct peer_name name;
    char why[256];

    if (!peer_name_parse((const char *)data, size, &name, why, sizeof(why)))
    {
        size_t sni = strlen(name.sni);
        if (name.kind != PEER_NAME_DNS && name.kind != PEER_NAME_IP) __builtin_trap();
        if (name.kind == PEER_NAME_IP && sni) __builtin_trap();
        if (sni && (strcmp(name.sni, name.host) || !peer_name_dns_valid(name.sni, sni))) __builtin_trap();
        /* A name matches itself as a SAN pattern. */
        if (name.kind == PEER_NAME_DNS && !peer_name_dns_pattern_matches(name.host, strlen(name.host), name.host))
            __builtin_trap();
    }
    peer_name_dns_pattern_matches((const char *)data, size, "a.example.com");
    return 0;
}
