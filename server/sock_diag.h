/*
 * The owner of one TCP socket, asked of the kernel by its exact 4-tuple
 * (NETLINK_SOCK_DIAG, inet_diag).  Costs the same however many sockets
 * the machine has, where reading /proc/net/tcp costs one line per socket
 * (8 ms with 2,700 sockets, tens of ms with 10,000: measured by the
 * benchmark, three times per secured connect).
 */
#ifndef SECSOCKD_SOCK_DIAG_H
#define SECSOCKD_SOCK_DIAG_H

#include <stddef.h>
#include <stdint.h>
#include "peer_uid.h"

/* local / remote: the socket's own ends.  Returns 0 with *uid; -ENOENT
 * when the kernel has no such socket; another negative errno when the
 * kernel cannot be asked (the caller then reads /proc/net/tcp). */
int sock_diag_uid(const struct tcp_endpoint *local, const struct tcp_endpoint *remote, uint32_t *uid);

/* Reads the kernel's answer (bytes from outside the process: fuzzed).
 * Returns 0 with *uid when it names the socket with sport/dport (host
 * order), -ENOENT / -errno for an error message, -EPROTO when malformed. */
int sock_diag_parse(const uint8_t *buf, size_t len, uint16_t sport, uint16_t dport, uint32_t *uid);

#endif
