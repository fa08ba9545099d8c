/* libFuzzer: the discovery decoders (bytes from any host on the network).
 * Whatever decodes must encode back to exactly the same bytes. */
#include <stdint.h>
#include <string.h>
#include "unix/discovery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct discovery_probe probe;
    struct discovery_answer answer;
    uint8_t again[64];

    if (discovery_decode_probe(data, size, &probe) == DISCOVERY_OK &&
        (discovery_encode_probe(&probe, again, sizeof(again)) != (int)size || memcmp(again, data, size)))
        __builtin_trap();
    if (discovery_decode_answer(data, size, &answer) == DISCOVERY_OK &&
        (discovery_encode_answer(&answer, again, sizeof(again)) != (int)size || memcmp(again, data, size) ||
         !(answer.flags & DISCOVERY_FLAG_TLS) != !answer.tls_port))
        __builtin_trap();
    return 0;
}
