/* libFuzzer: the control protocol's frame header and message decoders.
 * Input: a whole frame.  A decoded message must re-encode to a frame that
 * decodes to the same message. */
#include <stdint.h>
#include <string.h>
#include "secsock/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t again[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    struct secsock_msg msg, back;
    uint16_t type, type2;
    uint32_t len, len2;
    int n;

    if (secsock_frame_header(data, size, &type, &len)) return 0;
    if (size - SECSOCK_HEADER_LEN < len) return 0;
    if (secsock_msg_decode(type, data + SECSOCK_HEADER_LEN, len, &msg)) return 0;
    n = secsock_msg_encode(&msg, again, sizeof(again));
    if (n < 0) __builtin_trap();
    if (secsock_frame_header(again, (size_t)n, &type2, &len2) || type2 != type) __builtin_trap();
    if (secsock_msg_decode(type2, again + SECSOCK_HEADER_LEN, len2, &back)) __builtin_trap();
    if (memcmp(&msg, &back, sizeof(msg))) __builtin_trap();
    return 0;
}
