/* libFuzzer: the trust list parser (a file the service reads on every
 * secured connect).  Whatever parses must be looked up without harm. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../server/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct trust_store store;
    struct secsock_addr peer = { SECSOCK_AF_INET, 443, 0, { 127, 0, 0, 1 } };
    char why[256], *copy = malloc(size ? size : 1);

    if (!copy) return 0;
    memcpy(copy, data, size);
    if (!trust_parse(copy, size, &store, why, sizeof(why)))
    {
        if (store.count > TRUST_MAX_PEERS) __builtin_trap();
        trust_lookup(&store, &peer);
    }
    free(copy);
    return 0;
}
