/* Reserving a secured socket's public address. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "lease.h"
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

static socklen_t to_sockaddr(const struct secsock_addr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == SECSOCK_AF_INET)
    {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(a->port);
        memcpy(&sin->sin_addr, a->addr, 4);
        return sizeof(*sin);
    }
    if (a->family == SECSOCK_AF_INET6)
    {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(a->port);
        memcpy(&sin6->sin6_addr, a->addr, 16);
        sin6->sin6_scope_id = a->scope_id;
        return sizeof(*sin6);
    }
    return 0;
}

static void from_sockaddr(const struct sockaddr_storage *ss, struct secsock_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (ss->ss_family == AF_INET)
    {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        a->family = SECSOCK_AF_INET;
        a->port = ntohs(sin->sin_port);
        memcpy(a->addr, &sin->sin_addr, 4);
    }
    else if (ss->ss_family == AF_INET6)
    {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        a->family = SECSOCK_AF_INET6;
        a->port = ntohs(sin6->sin6_port);
        memcpy(a->addr, &sin6->sin6_addr, 16);
        a->scope_id = sin6->sin6_scope_id;
    }
}

int lease_reserve(uint8_t socktype, const struct secsock_addr *addr, struct secsock_addr *bound,
                  uint32_t *wsa_error)
{
    struct sockaddr_storage ss;
    socklen_t len = to_sockaddr(addr, &ss);
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
    from_sockaddr(&ss, bound);
    return fd;
}
