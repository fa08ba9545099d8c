/* Can this process install XFRM policies, and can this kernel do ESP? */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <linux/capability.h>
#include <linux/xfrm.h>
#include "xfrm_nl.h"

/* Where the probe in the child stopped. */
enum probe_stage { PROBE_DONE, PROBE_NO_NETNS, PROBE_NO_SOCKET, PROBE_NO_PRIVILEGE, PROBE_SA_REFUSED };

struct probe_result {
    int stage;
    int error;   /* positive errno */
};

static int have_cap_net_admin(void)
{
    struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &head, data) < 0) return 0;
    return (data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN)) != 0;
}

/* In the child: a network namespace of its own, then one ESP SA added and
 * removed.  Without CAP_NET_ADMIN a plain new namespace would still be
 * one we may not configure, so a user namespace comes with it (we hold
 * every capability there); with it, the plain one, as user namespaces
 * are often disabled for root's services. */
static struct probe_result probe_in_private_netns(int net_admin)
{
    static const uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 192, 0, 2, 2 };
    struct probe_result r = { PROBE_DONE, 0 };
    struct secsock_xfrm_nl nl;
    uint8_t req[SECSOCK_XFRM_MSG_MAX], key[SECSOCK_XFRM_PROBE_KEY_LEN];
    size_t len;
    int err;

    int first = net_admin ? CLONE_NEWNET : CLONE_NEWUSER | CLONE_NEWNET;
    int second = net_admin ? CLONE_NEWUSER | CLONE_NEWNET : CLONE_NEWNET;

    if (unshare(first) < 0 && unshare(second) < 0) return (struct probe_result){ PROBE_NO_NETNS, errno };
    if ((err = secsock_xfrm_open(&nl)) != 0) return (struct probe_result){ PROBE_NO_SOCKET, -err };
    /* The key is never used for a packet; random only so that no fixed key exists anywhere. */
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) memset(key, 0x5c, sizeof(key));
    len = secsock_xfrm_build_esp_sa(req, sizeof(req), AF_INET, src, dst, 0x5ec50001, key, xfrm_nl_next_seq(&nl));
    err = xfrm_nl_transact(&nl, req, len, NULL, NULL);
    if (err) r = (struct probe_result){ err == -EPERM ? PROBE_NO_PRIVILEGE : PROBE_SA_REFUSED, -err };
    else
    {
        len = secsock_xfrm_build_sa_del(req, sizeof(req), AF_INET, dst, 0x5ec50001, IPPROTO_ESP,
                                        xfrm_nl_next_seq(&nl));
        xfrm_nl_transact(&nl, req, len, NULL, NULL);
    }
    secsock_xfrm_close(&nl);
    return r;
}

/* The namespace change must not touch the caller, hence a child. */
static int run_probe_child(int net_admin, struct probe_result *r)
{
    int pipe_fds[2], status;
    ssize_t n;
    pid_t pid;

    if (pipe2(pipe_fds, O_CLOEXEC) < 0) return -errno;
    pid = fork();
    if (pid < 0)
    {
        int err = -errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return err;
    }
    if (pid == 0)
    {
        struct probe_result mine = probe_in_private_netns(net_admin);
        close(pipe_fds[0]);
        _exit(write(pipe_fds[1], &mine, sizeof(mine)) == (ssize_t)sizeof(mine) ? 0 : 1);
    }
    close(pipe_fds[1]);
    do n = read(pipe_fds[0], r, sizeof(*r));
    while (n < 0 && errno == EINTR);
    close(pipe_fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return n == (ssize_t)sizeof(*r) ? 0 : -ECHILD;
}

static void append_reason(struct secsock_xfrm_support *out, const char *text)
{
    size_t used = strlen(out->reason);

    snprintf(out->reason + used, sizeof(out->reason) - used, "%s%s", used ? "; " : "", text);
}

int secsock_xfrm_probe(struct secsock_xfrm_support *out)
{
    struct probe_result r;
    char text[160];
    int err;

    memset(out, 0, sizeof(*out));
    out->net_admin = have_cap_net_admin();
    if (!out->net_admin) append_reason(out, "no CAP_NET_ADMIN: cannot install XFRM policies");
    if ((err = run_probe_child(out->net_admin, &r)) != 0) return err;
    out->esp = r.stage == PROBE_DONE;
    out->esp_errno = r.error;
    switch (r.stage)
    {
    case PROBE_DONE: break;
    case PROBE_NO_NETNS:
        snprintf(text, sizeof(text), "ESP support unknown: no private network namespace (%s)", strerror(r.error));
        append_reason(out, text);
        break;
    case PROBE_NO_PRIVILEGE:
        append_reason(out, "ESP support unknown: not allowed to configure XFRM even in a private namespace");
        break;
    case PROBE_NO_SOCKET:
        snprintf(text, sizeof(text), "no XFRM netlink in this kernel (%s)", strerror(r.error));
        append_reason(out, text);
        break;
    default:
        snprintf(text, sizeof(text), "kernel refuses ESP SAs: %s (errno %d)%s", strerror(r.error), r.error,
                 r.error == EPROTONOSUPPORT ? ", no esp4/esp6" : "");
        append_reason(out, text);
        break;
    }
    return 0;
}
