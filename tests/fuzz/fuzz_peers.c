/* libFuzzer: the parsers of the peer model's two files (unix/peers.h):
 * the peers file (the TLS trust list) and ipsec-psk.  Both read the same
 * input; whatever they take must keep their bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "unix/peers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct peers_pinned entries[PEERS_MAX_PINNED];
    struct peers_psk *psks;
    char why[256], *copy = malloc(size ? size : 1);
    int n;

    if (!copy) return 0;
    memcpy(copy, data, size);
    n = peers_parse_pinned(copy, size, entries, why, sizeof(why));
    if (n > PEERS_MAX_PINNED) __builtin_trap();
    for (int i = 0; i < n; i++)
        if (entries[i].addr.family != SECSOCK_AF_INET && entries[i].addr.family != SECSOCK_AF_INET6) __builtin_trap();
    if (n < 0 && !memchr(why, 0, sizeof(why))) __builtin_trap();
    n = peers_parse_psks(copy, size, &psks);
    for (int i = 0; i < n; i++)
        if (!psks[i].secret_len || psks[i].secret_len > PEER_PSK_MAX ||
            strnlen(psks[i].owner, sizeof(psks[i].owner)) > PEER_OWNER_MAX)
            __builtin_trap();
    if (n >= 0) peers_free_psks(psks, (size_t)n);
    free(copy);
    return 0;
}
