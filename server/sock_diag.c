/* Exact socket lookups through NETLINK_SOCK_DIAG. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "sock_diag.h"

int sock_diag_parse(const uint8_t *buf, size_t len, uint16_t sport, uint16_t dport, uint32_t *uid)
{
    struct nlmsghdr h;
    struct inet_diag_msg msg;
    struct nlmsgerr err;

    /* One message is expected; copied out, as the buffer may be unaligned. */
    if (len < sizeof(h)) return -EPROTO;
    memcpy(&h, buf, sizeof(h));
    if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len) return -EPROTO;
    if (h.nlmsg_type == NLMSG_ERROR)
    {
        if (h.nlmsg_len < NLMSG_LENGTH(sizeof(err))) return -EPROTO;
        memcpy(&err, buf + NLMSG_HDRLEN, sizeof(err));
        if (err.error >= 0 || err.error < -4095) return -EPROTO;
        return err.error;
    }
    if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY || h.nlmsg_len < NLMSG_LENGTH(sizeof(msg))) return -EPROTO;
    memcpy(&msg, buf + NLMSG_HDRLEN, sizeof(msg));
    if (ntohs(msg.id.idiag_sport) != sport || ntohs(msg.id.idiag_dport) != dport) return -EPROTO;
    *uid = msg.idiag_uid;
    return 0;
}

int sock_diag_uid(const struct tcp_endpoint *local, const struct tcp_endpoint *remote, uint32_t *uid)
{
    struct {
        struct nlmsghdr h;
        struct inet_diag_req_v2 r;
    } req;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    struct timeval timeout = { 1, 0 };
    uint8_t answer[1024];
    ssize_t n;
    int fd, ret;

    if (local->v6 != remote->v6) return -EINVAL;
    fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -errno;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    memset(&req, 0, sizeof(req));
    req.h.nlmsg_len = sizeof(req);
    req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.h.nlmsg_flags = NLM_F_REQUEST;
    req.h.nlmsg_seq = 1;
    req.r.sdiag_family = local->v6 ? AF_INET6 : AF_INET;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = ~0u;
    req.r.id.idiag_sport = htons(local->port);
    req.r.id.idiag_dport = htons(remote->port);
    memcpy(req.r.id.idiag_src, local->addr, local->v6 ? 16 : 4);
    memcpy(req.r.id.idiag_dst, remote->addr, remote->v6 ? 16 : 4);
    req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) != (ssize_t)sizeof(req))
    {
        ret = -errno;
        close(fd);
        return ret;
    }
    n = recv(fd, answer, sizeof(answer), 0);
    ret = n < 0 ? -errno : sock_diag_parse(answer, (size_t)n, local->port, remote->port, uid);
    close(fd);
    return ret;
}
