/* Wire addresses to and from the kernel's (see sockaddr_posix.h). */
#include <netinet/in.h>
#include <string.h>
#include "sockaddr_posix.h"

socklen_t sockaddr_from_wire(const struct secsock_addr *a, struct sockaddr_storage *ss)
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

void sockaddr_to_wire(const struct sockaddr_storage *ss, struct secsock_addr *a)
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
