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

/* The addresses this service holds.  Reserved stream sockets use
 * SO_REUSEPORT, so that a secured server restarts while its old
 * connections are in TIME_WAIT, as it would on Windows; not SO_REUSEADDR:
 * the kernel lets any user's SO_REUSEADDR socket bind an address held by
 * a SO_REUSEADDR socket that only is bound, while it shares SO_REUSEPORT
 * only within one uid.  Datagram reservations have no TIME_WAIT and take
 * neither.  Exclusivity among our own reservations is kept here. */
#define MAX_RESERVED 8192
static struct { int fd; uint8_t socktype; struct secsock_addr addr; } reserved[MAX_RESERVED];
static unsigned int reserved_count;

static int overlaps(const struct secsock_addr *a, const struct secsock_addr *b)
{
    static const uint8_t any[16];
    size_t n = a->family == SECSOCK_AF_INET ? 4 : 16;

    if (a->family != b->family || a->port != b->port) return 0;
    return !memcmp(a->addr, b->addr, n) || !memcmp(a->addr, any, n) || !memcmp(b->addr, any, n);
}

static int reserved_by_us(uint8_t socktype, const struct secsock_addr *addr)
{
    for (unsigned int i = 0; i < reserved_count; i++)
        if (reserved[i].socktype == socktype && overlaps(&reserved[i].addr, addr)) return 1;
    return 0;
}

void lease_release(int fd)
{
    for (unsigned int i = 0; i < reserved_count; i++)
    {
        if (reserved[i].fd != fd) continue;
        reserved[i] = reserved[--reserved_count];
        break;
    }
    close(fd);
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
    if ((addr->port && reserved_by_us(socktype, addr)) || reserved_count == MAX_RESERVED)
    {
        *wsa_error = reserved_count == MAX_RESERVED ? SECSOCK_WSAENOBUFS : SECSOCK_WSAEADDRINUSE;
        return -1;
    }
    if ((fd = socket(ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
    {
        *wsa_error = lease_wsa_error(errno);
        return -1;
    }
    /* Like a Windows AF_INET6 socket, which does not take IPv4 by default. */
    if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
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
    /* The kernel may hand out a port one of our reservations holds. */
    if (reserved_by_us(socktype, bound))
    {
        close(fd);
        *wsa_error = SECSOCK_WSAEADDRINUSE;
        return -1;
    }
    reserved[reserved_count].fd = fd;
    reserved[reserved_count].socktype = socktype;
    reserved[reserved_count].addr = *bound;
    reserved_count++;
    return fd;
}

unsigned int lease_count(void)
{
    return reserved_count;
}
