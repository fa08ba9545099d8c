/* Reserving a secured socket's public address. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "lease.h"
#include "sockaddr_posix.h"
#include "secsock/wsaerr.h"

uint32_t lease_wsa_error(int err)
{
    switch (err)
    {
    case EADDRINUSE: return SECSOCK_WSAEADDRINUSE;
    case EADDRNOTAVAIL: return SECSOCK_WSAEADDRNOTAVAIL;
    case EACCES: case EPERM: return SECSOCK_WSAEACCES;
    case EAFNOSUPPORT: return SECSOCK_WSAEAFNOSUPPORT;
    case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM: return SECSOCK_WSAENOBUFS;
    default: return SECSOCK_WSAEINVAL;
    }
}

int lease_reserve(uint8_t socktype, const struct secsock_addr *addr, struct secsock_addr *bound,
                  uint32_t *wsa_error)
{
    struct sockaddr_storage ss;
    socklen_t len = sockaddr_from_wire(addr, &ss);
    int type = socktype == SECSOCK_SOCK_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
    int fd, one = 1;

    if (!len)
    {
        *wsa_error = SECSOCK_WSAEAFNOSUPPORT;
        return -1;
    }
    if ((fd = socket(ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
    {
        *wsa_error = lease_wsa_error(errno);
        return -1;
    }
    /* Like a Windows AF_INET6 socket, which does not take IPv4 by default. */
    if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len))
    {
        *wsa_error = lease_wsa_error(errno);
        close(fd);
        return -1;
    }
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len))
    {
        *wsa_error = lease_wsa_error(errno);
        close(fd);
        return -1;
    }
    sockaddr_to_wire(&ss, bound);
    return fd;
}
