/* libFuzzer: the control file parser (the file a client trusts to find
 * the service) and the secret file's.  What parses must format to text
 * that parses to the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "secsock/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct secsock_control_info info, back;
    uint8_t secret[SECSOCK_SECRET_LEN], back_secret[SECSOCK_SECRET_LEN];
    char text[SECSOCK_CONTROL_MAX];
    char *copy = malloc(size ? size : 1);
    int n;

    if (!copy) return 0;
    memcpy(copy, data, size);
    if (!secsock_control_parse(copy, size, &info))
    {
        n = secsock_control_format(&info, text, sizeof(text));
        if (n < 0 || secsock_control_parse(text, (size_t)n, &back) || back.port != info.port || back.pid != info.pid)
            __builtin_trap();
    }
    if (!secsock_secret_parse(copy, size, secret))
    {
        n = secsock_secret_format(secret, text, sizeof(text));
        if (n < 0 || (size_t)n != size || memcmp(text, copy, size) || secsock_secret_parse(text, (size_t)n, back_secret) ||
            memcmp(secret, back_secret, sizeof(secret)))
            __builtin_trap();
    }
    free(copy);
    return 0;
}
