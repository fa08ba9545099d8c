/*
 * The hidden hop of a secured server: the program's own socket listens on
 * a loopback port that every local user can see and connect to.  The
 * guard makes the kernel itself drop every connection there that this
 * service did not make: it takes a copy of the program's listening socket
 * (pidfd_getfd, same user) and attaches a socket filter that admits only
 * segments from the source ports of the connections this service is
 * making to it, from the hidden address itself.  No other socket can send
 * from those (this service holds each port bound, without SO_REUSEADDR or
 * SO_REUSEPORT), and an unprivileged user cannot forge a source; so a SYN
 * from anyone else is dropped before a connection exists, no accept model
 * in no process holding the listener ever sees it, and the copy keeps the
 * port bound, so nobody can squat it while the lease lives.  An accepted
 * connection keeps the filter it was born with; ports leave the listener's
 * filter a little after their connection is made.
 */
#ifndef SECSOCKD_HIDDEN_GUARD_H
#define SECSOCKD_HIDDEN_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "secsock/proto.h"

/* Ports admitted at once: two filter instructions each, within the
 * kernel's 4096. */
#define HIDDEN_GUARD_MAX_PORTS 2000

struct hidden_guard {
    int fd;                                   /* our copy of the program's listener, or -1 */
    struct secsock_addr hidden;
    unsigned int count;
    struct hidden_guard_port { uint16_t port; time_t until; } *admitted;  /* until 0: still connecting */
};

/* Whether a hidden address may be one: loopback of its family, a port. */
int hidden_guard_address_ok(const struct secsock_addr *hidden);

/* Finds the socket with this inode in one of our own processes, checks that
 * it is bound to hidden, and makes it take nothing.  0, or -1 with the
 * reason in why. */
int hidden_guard_protect(struct hidden_guard *guard, uint64_t inode, const struct secsock_addr *hidden,
                         char *why, size_t why_len);

/* Admits segments from source (our socket, bound to the hidden address,
 * about to connect): 0, or -1 when it cannot. */
int hidden_guard_admit(struct hidden_guard *guard, const struct secsock_addr *source);

/* The connection from port is made (or given up): its port leaves the
 * filter once the last handshake segment had time to arrive. */
void hidden_guard_connected(struct hidden_guard *guard, uint16_t port, time_t now);

/* Our connection from port is closing: the port leaves the filter before
 * another socket could take it. */
void hidden_guard_forget(struct hidden_guard *guard, uint16_t port);

/* Drops ports whose time is up. */
void hidden_guard_sweep(struct hidden_guard *guard, time_t now);

void hidden_guard_release(struct hidden_guard *guard);

#endif
