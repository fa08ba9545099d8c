/*
 * XFRM netlink messages: building requests and decoding what the kernel
 * sends.  Pure functions over byte buffers (no sockets), so the unit tests
 * and the fuzzer drive them directly.
 *
 * Decoders trust nothing: every length (netlink header, attribute, fixed
 * structure) is checked against the bytes actually present, and fields are
 * copied out with memcpy, so the input may sit at any alignment.
 */
#ifndef SECSOCK_XFRM_MSG_H
#define SECSOCK_XFRM_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "unix/xfrm.h"

/* Room for the largest request we build. */
#define SECSOCK_XFRM_MSG_MAX 1024

/* Requests.  Each returns the message length, or 0 when cap is too small
 * or the input is invalid (family, protocol, slot). */
size_t secsock_xfrm_build_policy_add(void *buf, size_t cap, const struct secsock_xfrm_conn *conn,
                                     uint8_t dir, uint32_t seq);
size_t secsock_xfrm_build_policy_by_index(void *buf, size_t cap, uint16_t type, uint32_t index,
                                          uint8_t dir, uint32_t seq);
size_t secsock_xfrm_build_dump(void *buf, size_t cap, uint16_t type, uint32_t seq);
/* An ESP transport SA (AES-CBC, HMAC-SHA-256) with the given throwaway
 * keys (16 bytes of cipher key, then 32 of MAC key): the probe. */
#define SECSOCK_XFRM_PROBE_KEY_LEN 48
size_t secsock_xfrm_build_esp_sa(void *buf, size_t cap, int family, const uint8_t *src,
                                 const uint8_t *dst, uint32_t spi, const uint8_t key[SECSOCK_XFRM_PROBE_KEY_LEN],
                                 uint32_t seq);
size_t secsock_xfrm_build_sa_del(void *buf, size_t cap, int family, const uint8_t *dst,
                                 uint32_t spi, uint8_t proto, uint32_t seq);

/* The selector of a connection's policy in one direction. */
int secsock_xfrm_selector_for(const struct secsock_xfrm_tuple *tuple, uint8_t dir,
                              struct secsock_xfrm_selector *sel);

/* One netlink message out of a received datagram. */
struct secsock_xfrm_nlmsg {
    uint16_t type, flags;
    uint32_t seq, pid;
    const uint8_t *payload;
    size_t payload_len;
};

/* Walks buf from *offset: 1 and *msg for the next message, 0 at the end,
 * -EBADMSG for a header that does not fit. */
int secsock_xfrm_next_msg(const uint8_t *buf, size_t len, size_t *offset,
                          struct secsock_xfrm_nlmsg *msg);
/* NLMSG_ERROR: *error is the kernel's errno (0 for an ACK, else negative). */
int secsock_xfrm_decode_error(const uint8_t *payload, size_t len, int *error);
/* NEWPOLICY / dump entry / GETPOLICY reply. */
int secsock_xfrm_decode_policy(const uint8_t *payload, size_t len, struct secsock_xfrm_policy_view *out);
/* NEWSA / dump entry. */
int secsock_xfrm_decode_sa(const uint8_t *payload, size_t len, struct secsock_xfrm_sa_view *out);
/* ACQUIRE, EXPIRE, POLEXPIRE; -ENOMSG for any other type. */
int secsock_xfrm_decode_event(uint16_t type, const uint8_t *payload, size_t len,
                              struct secsock_xfrm_event *out);

#endif
