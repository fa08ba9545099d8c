/* libFuzzer: the decoders of the structs a program hands to the security
 * ioctls (settings, peer target name, query template, sockaddr), as the DLL
 * receives them: arbitrary bytes of arbitrary length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "secsock/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct secsock_settings settings;
    struct secsock_target target;
    struct secsock_query_template tmpl;
    struct secsock_addr addr;
    uint8_t *copy;

    /* An exact-size heap copy, so that AddressSanitizer sees any read past it. */
    if (!(copy = malloc(size ? size : 1))) return 0;
    memcpy(copy, data, size);
    secsock_settings_decode(copy, size, &settings);
    secsock_target_decode(copy, size, 0, &target);
    secsock_target_decode(copy, size, 1, &target);
    secsock_template_decode(copy, size, 0, &tmpl);
    secsock_template_decode(copy, size, 1, &tmpl);
    if (!secsock_sockaddr_decode(copy, size, &addr))
    {
        uint8_t out[28];
        if (!secsock_sockaddr_encode(&addr, out, sizeof(out))) __builtin_trap();
    }
    free(copy);
    return 0;
}
