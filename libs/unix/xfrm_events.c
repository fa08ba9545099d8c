/* ACQUIRE and EXPIRE notifications from the kernel's XFRM multicast groups. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include "unix/xfrm_msg.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* One datagram holds a handful of notifications; 16 KiB is several times
 * the largest (an ACQUIRE with a security context). */
#define XFRM_EVENT_DATAGRAM_MAX (16 * 1024)

int secsock_xfrm_events_open(int *fd)
{
    static const int groups[] = { XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE };
    struct sockaddr_nl local = { .nl_family = AF_NETLINK };
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_XFRM);

    if (s < 0) return -errno;
    if (bind(s, (struct sockaddr *)&local, sizeof(local)) < 0) goto fail;
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (setsockopt(s, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0) goto fail;
    *fd = s;
    return 0;
fail:
    {
        int err = -errno;
        close(s);
        return err;
    }
}

int secsock_xfrm_events_read(int fd, struct secsock_xfrm_event *out, size_t max, size_t *count)
{
    uint8_t buf[XFRM_EVENT_DATAGRAM_MAX];
    struct sockaddr_nl from;
    socklen_t from_len = sizeof(from);
    struct secsock_xfrm_nlmsg msg;
    size_t offset = 0;
    ssize_t n;
    int more;

    *count = 0;
    /* ENOBUFS (notifications were lost) is returned as is: the caller
     * then re-reads the state it cares about with the dumps. */
    n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from, &from_len);
    if (n < 0) return -errno;
    if ((size_t)n > sizeof(buf)) return -EMSGSIZE;
    if (from_len < sizeof(from) || from.nl_pid != 0) return 0;   /* not from the kernel: ignored */
    while ((more = secsock_xfrm_next_msg(buf, (size_t)n, &offset, &msg)) == 1)
    {
        struct secsock_xfrm_event ev;
        int err = secsock_xfrm_decode_event(msg.type, msg.payload, msg.payload_len, &ev);

        if (err == -ENOMSG) continue;   /* a type we do not follow */
        if (err) return err;
        if (*count < max) out[*count] = ev;
        (*count)++;
    }
    if (*count > max) *count = max;
    return more < 0 ? more : 0;
}
