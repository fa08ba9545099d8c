/* libFuzzer: the decoders of what NETLINK_XFRM delivers (replies, dumps,
 * ACQUIRE / EXPIRE / POLEXPIRE notifications).  The input is one datagram;
 * each message in it goes to the decoder for its type, and the whole input
 * is also tried as the payload of each kind.  Nothing may read outside
 * the input, and what is decoded must agree with the lengths seen. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include "unix/xfrm_msg.h"

static void decode_payload(uint16_t type, const uint8_t *payload, size_t len)
{
    struct secsock_xfrm_policy_view policy;
    struct secsock_xfrm_sa_view sa;
    struct secsock_xfrm_event ev;
    int error;

    switch (type)
    {
    case NLMSG_ERROR:
    case NLMSG_DONE:
        if (!secsock_xfrm_decode_error(payload, len, &error) && (error > 0 || error < -4095)) __builtin_trap();
        break;
    case XFRM_MSG_NEWPOLICY:
        if (!secsock_xfrm_decode_policy(payload, len, &policy) &&
            (len < sizeof(struct xfrm_userpolicy_info) ||
             policy.tmpl_count * sizeof(struct xfrm_user_tmpl) > len))
            __builtin_trap();
        break;
    case XFRM_MSG_NEWSA:
        if (!secsock_xfrm_decode_sa(payload, len, &sa) && len < sizeof(struct xfrm_usersa_info)) __builtin_trap();
        break;
    default:
        if (!secsock_xfrm_decode_event(type, payload, len, &ev) && ev.policy.tmpl_count * sizeof(struct xfrm_user_tmpl) > len)
            __builtin_trap();
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t kinds[] = { NLMSG_ERROR, XFRM_MSG_NEWPOLICY, XFRM_MSG_NEWSA, XFRM_MSG_ACQUIRE,
                                      XFRM_MSG_EXPIRE, XFRM_MSG_POLEXPIRE };
    /* A copy of exactly size bytes, so that the sanitizer sees any read past it. */
    uint8_t *copy = malloc(size ? size : 1);
    struct secsock_xfrm_nlmsg msg;
    size_t offset = 0, last = 0;
    int more;

    if (!copy) return 0;
    memcpy(copy, data, size);
    while ((more = secsock_xfrm_next_msg(copy, size, &offset, &msg)) == 1)
    {
        if (offset <= last || offset > size || msg.payload + msg.payload_len > copy + size) __builtin_trap();
        last = offset;
        decode_payload(msg.type, msg.payload, msg.payload_len);
    }
    if (more != 0 && more != -EBADMSG) __builtin_trap();
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) decode_payload(kinds[i], copy, size);
    free(copy);
    return 0;
}
