/* libFuzzer: the kernel's NETLINK_SOCK_DIAG answer behind the uid check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../server/sock_diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t uid = 0;
    /* A copy of exactly size bytes: the sanitizer sees any read past it. */
    uint8_t *copy = malloc(size ? size : 1);
    int ret;

    if (!copy) return 0;
    memcpy(copy, data, size);
    ret = sock_diag_parse(copy, size, 0xa001, 0x9c40, &uid);
    /* Property: success only for a message at least as long as its header says. */
    if (!ret && size < 16) abort();
    free(copy);
    return 0;
}
