/* The NETLINK_XFRM request socket: send one request, read its answer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include "xfrm_nl.h"

/* Large enough for any datagram a dump sends (the kernel fills at most
 * 32 KiB per datagram); MSG_TRUNC tells us if one ever is larger. */
#define XFRM_NL_RECV_MAX (64 * 1024)

int secsock_xfrm_open(struct secsock_xfrm_nl *nl)
{
    struct sockaddr_nl local;
    /* The kernel answers at once; a bound wait keeps a wedged kernel
     * from wedging the service. */
    struct timeval wait = { 5, 0 };

    nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
    if (nl->fd < 0) return -errno;
    memset(&local, 0, sizeof(local));
    local.nl_family = AF_NETLINK;
    if (bind(nl->fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
        setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) < 0)
    {
        int err = -errno;
        close(nl->fd);
        nl->fd = -1;
        return err;
    }
    nl->seq = (uint32_t)time(NULL);
    return 0;
}

void secsock_xfrm_close(struct secsock_xfrm_nl *nl)
{
    if (nl->fd >= 0) close(nl->fd);
    nl->fd = -1;
}

uint32_t xfrm_nl_next_seq(struct secsock_xfrm_nl *nl)
{
    return ++nl->seq;
}

/* One datagram from the kernel (port 0); others' datagrams are dropped. */
static ssize_t receive_from_kernel(int fd, uint8_t *buf, size_t cap)
{
    for (;;)
    {
        struct sockaddr_nl from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&from, &from_len);

        if (n < 0) return errno == EINTR ? 0 : -errno;
        if ((size_t)n > cap) return -EMSGSIZE;
        if (from_len >= sizeof(from) && from.nl_family == AF_NETLINK && from.nl_pid == 0) return n;
    }
}

int xfrm_nl_transact(struct secsock_xfrm_nl *nl, const void *req, size_t len, xfrm_nl_reply each, void *ctx)
{
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    struct nlmsghdr head;
    uint8_t *buf;
    int result = 0, stopped = 0;

    if (len < sizeof(head)) return -EINVAL;
    memcpy(&head, req, sizeof(head));
    if (sendto(nl->fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) return -errno;
    buf = malloc(XFRM_NL_RECV_MAX);
    if (!buf) return -ENOMEM;
    for (;;)
    {
        ssize_t n = receive_from_kernel(nl->fd, buf, XFRM_NL_RECV_MAX);
        struct secsock_xfrm_nlmsg msg;
        size_t offset = 0;
        int more;

        if (n < 0) { result = (int)n; break; }
        while ((more = secsock_xfrm_next_msg(buf, (size_t)n, &offset, &msg)) == 1)
        {
            int err;

            if (msg.seq != head.nlmsg_seq) continue;   /* the tail of an earlier request */
            if (msg.type == NLMSG_ERROR || msg.type == NLMSG_DONE)
            {
                /* DONE may carry the dump's error the same way; an empty one is success. */
                if (msg.type == NLMSG_DONE && msg.payload_len < sizeof(int)) err = 0;
                else if (secsock_xfrm_decode_error(msg.payload, msg.payload_len, &err)) err = -EBADMSG;
                if (!stopped) result = err;
                goto done;
            }
            if (!stopped && each && (err = each(&msg, ctx)) != 0) { result = err; stopped = 1; }
            /* A single reply (no dump) is the whole answer. */
            if (!(head.nlmsg_flags & NLM_F_DUMP) && !(msg.flags & NLM_F_MULTI)) goto done;
        }
        if (more < 0) { result = more; break; }
    }
done:
    free(buf);
    return result;
}
