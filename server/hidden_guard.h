/*
 * The hidden hop of a secured server: the program's own socket listens on
 * a loopback port that every local user can see and connect to.  The
 * guard makes the kernel itself refuse every connection there that this
 * service did not make: it takes a copy of the program's listening socket
 * (pidfd_getfd, same user) and requires a TCP-MD5 signature (RFC 2385) with
 * a key only this service knows on every segment from any source.  An
 * unsigned SYN is dropped before a connection exists, so no accept model,
 * in no process holding the listener, ever sees it; and the copy keeps the
 * port bound, so nobody can squat it while the lease lives.
 */
#ifndef SECSOCKD_HIDDEN_GUARD_H
#define SECSOCKD_HIDDEN_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include "secsock/proto.h"

#define HIDDEN_GUARD_KEY_LEN 32

struct hidden_guard {
    int fd;                                   /* our copy of the program's listener, or -1 */
    uint8_t key[HIDDEN_GUARD_KEY_LEN];
};

/* Whether a hidden address may be one: loopback of its family, a port. */
int hidden_guard_address_ok(const struct secsock_addr *hidden);

/* Finds the socket with this inode in one of our own processes, checks that
 * it is bound to hidden, and makes it accept only signed segments.
 * 0, or -1 with the reason in why. */
int hidden_guard_protect(struct hidden_guard *guard, uint64_t inode, const struct secsock_addr *hidden,
                         char *why, size_t why_len);

/* Signs what fd (ours, not yet connected) sends to the guarded hidden address. */
int hidden_guard_sign(const struct hidden_guard *guard, int fd, const struct secsock_addr *hidden);

void hidden_guard_release(struct hidden_guard *guard);

/* Whether this kernel and this user's rights let the guard work (for status):
 * 1, or 0 with the reason. */
int hidden_guard_available(char *why, size_t why_len);

#endif
