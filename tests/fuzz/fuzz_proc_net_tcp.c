/* libFuzzer: the /proc/net/tcp parser behind the service's uid check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../server/peer_uid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tcp_endpoint local = { { 127, 0, 0, 1 }, 0xa001, 0 }, remote = { { 127, 0, 0, 1 }, 0x9c40, 0 };
    uint32_t uid;
    char *copy = malloc(size ? size : 1);

    if (!copy) return 0;
    memcpy(copy, data, size);
    proc_net_tcp_find_uid(copy, size, &local, &remote, &uid);
    proc_net_tcp_port_in_use(copy, size, 0xa001);
    free(copy);
    return 0;
}
