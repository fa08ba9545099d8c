/* The NETLINK_XFRM request socket: one request, its acknowledgement,
 * reply or dump.  Private to libs/secsock's XFRM files. */
#ifndef SECSOCK_XFRM_NL_H
#define SECSOCK_XFRM_NL_H

#include <stddef.h>
#include <stdint.h>
#include "unix/xfrm.h"
#include "unix/xfrm_msg.h"

/* Called for each reply message that is not an acknowledgement; a
 * non-zero return ends the transaction with that value (a dump still gets
 * drained, so the socket is ready for the next request). */
typedef int (*xfrm_nl_reply)(const struct secsock_xfrm_nlmsg *msg, void *ctx);

uint32_t xfrm_nl_next_seq(struct secsock_xfrm_nl *nl);

/* Sends req (built with seq from xfrm_nl_next_seq) and reads until the
 * kernel's acknowledgement, its single reply, or the end of a dump.
 * Returns 0, the kernel's negative errno, or each()'s value. */
int xfrm_nl_transact(struct secsock_xfrm_nl *nl, const void *req, size_t len, xfrm_nl_reply each, void *ctx);

#endif
