/* Wire addresses (struct secsock_addr) to and from the kernel's. */
#ifndef SECSOCKD_SOCKADDR_POSIX_H
#define SECSOCKD_SOCKADDR_POSIX_H

#include <sys/socket.h>
#include "secsock/proto.h"

/* Returns the length to pass to bind/connect, or 0 for an unknown family. */
socklen_t sockaddr_from_wire(const struct secsock_addr *a, struct sockaddr_storage *ss);
void sockaddr_to_wire(const struct sockaddr_storage *ss, struct secsock_addr *a);

#endif
