/*
 * The XFRM library against the real kernel, each scenario in a network
 * namespace of its own (a forked child that unshares), so the host's
 * policies are never touched.  Root only: exits 77 (automake's skip) with
 * the reason when not root or when namespaces are not available.
 *
 * SECSOCK_XFRM_CAPTURE=dir also writes the raw datagrams the kernel sent
 * (notifications, dumps) into dir: the fuzzer's seed corpus.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include "unix/xfrm.h"
#include "unix/xfrm_msg.h"

#define EXPECT(cond) \
    do { if (!(cond)) { fprintf(stderr, "  failed at line %d: %s\n", __LINE__, #cond); return 1; } } while (0)
#define EXPECT_OK(call) \
    do { int rc_ = (call); \
         if (rc_) { fprintf(stderr, "  failed at line %d: %s = %d (%s)\n", __LINE__, #call, rc_, strerror(-rc_)); \
                    return 1; } } while (0)

/* ---- capture for the fuzz corpus -------------------------------------- */

static void capture(const char *what, const void *data, size_t len)
{
    static unsigned serial;
    const char *dir = getenv("SECSOCK_XFRM_CAPTURE");
    char path[512];
    FILE *f;

    if (!dir) return;
    snprintf(path, sizeof(path), "%s/%s-%d-%u", dir, what, (int)getpid(), serial++);
    if ((f = fopen(path, "wb")) != NULL)
    {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

/* The raw datagrams of one dump, for the corpus only. */
static void capture_dump(uint16_t type, const char *what)
{
    uint8_t req[SECSOCK_XFRM_MSG_MAX], buf[65536];
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    size_t len = secsock_xfrm_build_dump(req, sizeof(req), type, 1);
    int fd;

    if (!getenv("SECSOCK_XFRM_CAPTURE")) return;
    fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_XFRM);
    if (fd < 0 || sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) goto out;
    for (int i = 0; i < 16; i++)
    {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        struct nlmsghdr h;
        if (n <= 0) break;
        capture(what, buf, (size_t)n);
        memcpy(&h, buf, sizeof(h));
        if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) break;
    }
out:
    if (fd >= 0) close(fd);
}

/* ---- the namespace and sockets ---------------------------------------- */

static int write_sysctl(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

    if (fd < 0) return -errno;
    ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
    close(fd);
    return ok ? 0 : -EIO;
}

/* lo up, with XFRM applying to it: the kernel exempts IPv4 loopback
 * (disable_xfrm and disable_policy are 1 on lo), which would make every
 * IPv4 scenario pass traffic in clear whatever the policy says. */
static int loopback_up(void)
{
    struct ifreq ifr;
    int fd, rc;

    if (write_sysctl("/proc/sys/net/ipv4/conf/lo/disable_xfrm", "0") ||
        write_sysctl("/proc/sys/net/ipv4/conf/lo/disable_policy", "0"))
        return -EIO;
    if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0) return -errno;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    if (!rc) rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    rc = rc ? -errno : 0;
    close(fd);
    return rc;
}

static struct secsock_xfrm_tuple loopback_tuple(int family, uint8_t protocol, uint16_t local_port,
                                                uint16_t remote_port)
{
    struct secsock_xfrm_tuple t;

    memset(&t, 0, sizeof(t));
    t.family = family;
    t.protocol = protocol;
    if (family == AF_INET)
    {
        inet_pton(AF_INET, "127.0.0.1", t.local_addr);
        inet_pton(AF_INET, "127.0.0.1", t.remote_addr);
    }
    else
    {
        inet_pton(AF_INET6, "::1", t.local_addr);
        inet_pton(AF_INET6, "::1", t.remote_addr);
    }
    t.local_port = local_port;
    t.remote_port = remote_port;
    return t;
}

static socklen_t to_sockaddr(int family, const uint8_t *addr, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET)
    {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        memcpy(&sin->sin_addr, addr, 4);
        return sizeof(*sin);
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    memcpy(&sin6->sin6_addr, addr, 16);
    return sizeof(*sin6);
}

/* A socket bound to one end of the tuple (local or remote). */
static int bound_socket(const struct secsock_xfrm_tuple *t, int remote_end)
{
    struct sockaddr_storage ss;
    socklen_t len = to_sockaddr(t->family, remote_end ? t->remote_addr : t->local_addr,
                                remote_end ? t->remote_port : t->local_port, &ss);
    int one = 1;
    int fd = socket(t->family, (t->protocol == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);

    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (remote_end && t->protocol == IPPROTO_TCP && listen(fd, 4) < 0))
    {
        close(fd);
        return -1;
    }
    return fd;
}

static int readable_within(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Sends payload from the local end to the remote end: a TCP connect (and
 * the payload once connected) or one UDP datagram.  Returns the client's
 * descriptor; the remote end is *server. */
static int send_from_local(const struct secsock_xfrm_tuple *t, const char *payload, int *server)
{
    struct sockaddr_storage ss;
    socklen_t len = to_sockaddr(t->family, t->remote_addr, t->remote_port, &ss);
    int client;

    *server = bound_socket(t, 1);
    client = bound_socket(t, 0);
    if (*server < 0 || client < 0) return -1;
    if (t->protocol == IPPROTO_UDP)
    {
        if (sendto(client, payload, strlen(payload), 0, (struct sockaddr *)&ss, len) < 0 && errno != EAGAIN)
            return -1;
        return client;
    }
    if (connect(client, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) return -1;
    struct pollfd p = { client, POLLOUT, 0 };
    if (poll(&p, 1, 1000) == 1 && (p.revents & POLLOUT) && !(p.revents & POLLERR))
        (void)!send(client, payload, strlen(payload), MSG_NOSIGNAL);
    return client;
}

/* What the remote end received (accepting first for TCP) within ms. */
static ssize_t received_at_remote(int server, uint8_t protocol, char *buf, size_t cap, int ms)
{
    int fd = server;
    ssize_t n;

    if (!readable_within(server, ms)) return -1;
    if (protocol == IPPROTO_TCP)
    {
        fd = accept(server, NULL, NULL);
        if (fd < 0 || !readable_within(fd, ms)) return -1;
    }
    n = recv(fd, buf, cap, 0);
    if (fd != server) close(fd);
    return n;
}

/* ---- scenarios --------------------------------------------------------- */

struct counter { size_t ours, foreign; uint32_t slot_seen[2]; };

static int count_policies(const struct secsock_xfrm_policy_view *p, void *ctx)
{
    struct counter *c = ctx;
    uint32_t slot;

    if (secsock_xfrm_is_ours(p->index, p->priority, &slot))
    {
        if (c->ours < 2) c->slot_seen[c->ours] = slot;
        c->ours++;
    }
    else c->foreign++;
    return 0;
}

static int expect_selector(const struct secsock_xfrm_selector *s, const struct secsock_xfrm_tuple *t, int out)
{
    size_t alen = t->family == AF_INET ? 4 : 16;

    EXPECT(s->family == t->family && s->protocol == t->protocol);
    EXPECT(!memcmp(s->src, out ? t->local_addr : t->remote_addr, alen));
    EXPECT(!memcmp(s->dst, out ? t->remote_addr : t->local_addr, alen));
    EXPECT(s->src_port == (out ? t->local_port : t->remote_port));
    EXPECT(s->dst_port == (out ? t->remote_port : t->local_port));
    EXPECT(s->src_prefix == alen * 8 && s->dst_prefix == alen * 8);
    return 0;
}

/* The next notification of this kind within about ms milliseconds. */
static int wait_event(int events, enum secsock_xfrm_event_kind kind, struct secsock_xfrm_event *ev, int ms)
{
    for (int tries = 0; tries < ms / 100; tries++)
    {
        uint8_t raw[16384];
        size_t count = 0;
        ssize_t n;

        if (!readable_within(events, 100)) continue;
        n = recv(events, raw, sizeof(raw), MSG_PEEK);
        if (n > 0) capture("event", raw, (size_t)n);
        if (secsock_xfrm_events_read(events, ev, 1, &count) == 0 && count == 1 && ev->kind == kind)
            return 0;
    }
    return -1;
}

/* A policy as another daemon would add it: kernel-chosen index, another
 * priority; with a hard lifetime of expire_seconds when not 0. */
static int add_foreign_policy(int family, uint8_t protocol, uint64_t expire_seconds)
{
    struct secsock_xfrm_conn foreign = { loopback_tuple(family, protocol, 50001, 50002), SECSOCK_XFRM_REQUIRED, 0 };
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    uint8_t req[SECSOCK_XFRM_MSG_MAX], ack[4096];
    size_t len = secsock_xfrm_build_policy_add(req, sizeof(req), &foreign, SECSOCK_XFRM_DIR_OUT, 9), off = 0;
    struct xfrm_userpolicy_info info;
    struct secsock_xfrm_nlmsg msg;
    int fd, err = 1;
    ssize_t n;

    memcpy(&info, req + NLMSG_HDRLEN, sizeof(info));
    info.index = 0;
    info.priority = 100;
    info.lft.hard_add_expires_seconds = expire_seconds;
    memcpy(req + NLMSG_HDRLEN, &info, sizeof(info));
    fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_XFRM);
    EXPECT(fd >= 0 && sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) == (ssize_t)len);
    n = recv(fd, ack, sizeof(ack), 0);
    close(fd);
    EXPECT(n > 0);
    capture("ack", ack, (size_t)n);
    EXPECT(secsock_xfrm_next_msg(ack, (size_t)n, &off, &msg) == 1 && msg.type == NLMSG_ERROR);
    EXPECT(secsock_xfrm_decode_error(msg.payload, msg.payload_len, &err) == 0 && err == 0);
    return 0;
}

/* A required policy: the packet does not leave, the kernel asks for keys,
 * and the cleanup leaves no policy of ours behind (and a foreign one alone). */
static int scenario_required(int family, uint8_t protocol)
{
    struct secsock_xfrm_nl nl;
    struct secsock_xfrm_conn conn = { loopback_tuple(family, protocol, 40001, 40002), SECSOCK_XFRM_REQUIRED, 77 };
    struct secsock_xfrm_policy_view view;
    struct secsock_xfrm_event ev;
    struct secsock_xfrm_sa_view sas[4];
    struct counter before = { 0 }, after = { 0 };
    char got[64];
    size_t nsa = 0, removed = 0;
    int events, server, client;

    EXPECT_OK(secsock_xfrm_open(&nl));
    EXPECT_OK(secsock_xfrm_events_open(&events));
    EXPECT_OK(secsock_xfrm_policy_add(&nl, &conn));

    /* Both directions are there, as asked for. */
    EXPECT_OK(secsock_xfrm_policy_get(&nl, 77, SECSOCK_XFRM_DIR_OUT, &view));
    EXPECT(view.dir == XFRM_POLICY_OUT && view.priority == SECSOCK_XFRM_PRIORITY);
    EXPECT(view.tmpl_count == 1 && view.tmpl_proto == IPPROTO_ESP && view.tmpl_mode == XFRM_MODE_TRANSPORT);
    EXPECT(view.tmpl_optional == 0);
    if (expect_selector(&view.sel, &conn.tuple, 1)) return 1;
    EXPECT_OK(secsock_xfrm_policy_get(&nl, 77, SECSOCK_XFRM_DIR_IN, &view));
    if (expect_selector(&view.sel, &conn.tuple, 0)) return 1;
    EXPECT(secsock_xfrm_policy_add(&nl, &conn) == -EEXIST);   /* the slot is taken */
    conn.slot = 78;
    EXPECT(secsock_xfrm_policy_add(&nl, &conn) == -EEXIST);   /* the 5-tuple is taken */
    EXPECT(secsock_xfrm_policy_get(&nl, 78, SECSOCK_XFRM_DIR_OUT, &view) == -ENOENT);
    conn.slot = 77;

    /* A policy that is not ours (the kernel picks its index): cleanup must keep it. */
    EXPECT(add_foreign_policy(family, protocol, 0) == 0);

    EXPECT_OK(secsock_xfrm_policy_dump(&nl, count_policies, &before));
    EXPECT(before.ours == 2 && before.foreign == 1);
    EXPECT(before.slot_seen[0] == 77 && before.slot_seen[1] == 77);

    /* Traffic that matches: held back, and the kernel asks for keys. */
    client = send_from_local(&conn.tuple, "must not arrive", &server);
    EXPECT(client >= 0 && server >= 0);
    EXPECT(wait_event(events, SECSOCK_XFRM_EV_ACQUIRE, &ev, 3000) == 0);
    EXPECT(ev.policy.index == secsock_xfrm_index(77, XFRM_POLICY_OUT));
    EXPECT(ev.policy.dir == XFRM_POLICY_OUT);
    EXPECT(ev.policy.tmpl_count == 1 && ev.policy.tmpl_proto == IPPROTO_ESP);
    EXPECT(ev.sa.proto == IPPROTO_ESP && ev.sa.spi == 0 && ev.acquire_seq != 0);
    EXPECT(ev.sa.sel.protocol == protocol && ev.sa.sel.src_port == 40001 && ev.sa.sel.dst_port == 40002);
    EXPECT(!memcmp(ev.sa.dst, conn.tuple.remote_addr, family == AF_INET ? 4 : 16));
    EXPECT(received_at_remote(server, protocol, got, sizeof(got), 1000) < 0);
    if (protocol == IPPROTO_TCP)
    {
        int soerr = 0;
        socklen_t slen = sizeof(soerr);
        struct pollfd p = { client, POLLOUT, 0 };
        /* Not connected: no SYN reached the listener. */
        EXPECT(poll(&p, 1, 0) == 0 || getsockopt(client, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0 || soerr != 0);
    }

    /* The kernel now holds a larval SA for the connection (no SPI yet). */
    EXPECT_OK(secsock_xfrm_sa_query(&nl, &conn.tuple, sas, 4, &nsa));
    EXPECT(nsa >= 1 && sas[0].spi == 0 && sas[0].proto == IPPROTO_ESP);
    capture_dump(XFRM_MSG_GETSA, "sadump");
    capture_dump(XFRM_MSG_GETPOLICY, "poldump");

    EXPECT_OK(secsock_xfrm_cleanup(&nl, &removed));
    EXPECT(removed == 1);   /* one slot, its two policies */
    EXPECT_OK(secsock_xfrm_policy_dump(&nl, count_policies, &after));
    EXPECT(after.ours == 0 && after.foreign == 1);
    EXPECT(secsock_xfrm_policy_del(&nl, 77) == -ENOENT);
    close(client);
    close(server);
    close(events);
    secsock_xfrm_close(&nl);
    return 0;
}

/* An optional policy and no SA: clear text, and it arrives intact. */
static int scenario_optional(int family, uint8_t protocol)
{
    static const char payload[] = "clear text, byte for byte";
    struct secsock_xfrm_nl nl;
    struct secsock_xfrm_conn conn = { loopback_tuple(family, protocol, 41001, 41002), SECSOCK_XFRM_OPTIONAL, 5 };
    struct secsock_xfrm_policy_view view;
    char got[64];
    ssize_t n;
    int server, client;

    EXPECT_OK(secsock_xfrm_open(&nl));
    EXPECT_OK(secsock_xfrm_policy_add(&nl, &conn));
    EXPECT_OK(secsock_xfrm_policy_get(&nl, 5, SECSOCK_XFRM_DIR_IN, &view));
    EXPECT(view.tmpl_count == 1 && view.tmpl_optional == 1);
    client = send_from_local(&conn.tuple, payload, &server);
    EXPECT(client >= 0 && server >= 0);
    n = received_at_remote(server, protocol, got, sizeof(got), 2000);
    EXPECT(n == (ssize_t)strlen(payload) && !memcmp(got, payload, (size_t)n));
    EXPECT_OK(secsock_xfrm_policy_del(&nl, 5));
    EXPECT(secsock_xfrm_policy_get(&nl, 5, SECSOCK_XFRM_DIR_OUT, &view) == -ENOENT);
    close(client);
    close(server);
    secsock_xfrm_close(&nl);
    return 0;
}

/* A larval SA that nobody keys expires (hard EXPIRE), and a policy with
 * a hard lifetime expires (POLEXPIRE); both decoded. */
static int scenario_expire(int family, uint8_t protocol)
{
    struct secsock_xfrm_nl nl;
    struct secsock_xfrm_conn conn = { loopback_tuple(family, protocol, 42001, 42002), SECSOCK_XFRM_REQUIRED, 9 };
    struct secsock_xfrm_event ev;
    int events, server, client;

    /* The kernel keeps a larval SA for xfrm_acq_expires seconds (30 by default). */
    EXPECT(write_sysctl("/proc/sys/net/core/xfrm_acq_expires", "1") == 0);
    EXPECT_OK(secsock_xfrm_open(&nl));
    EXPECT_OK(secsock_xfrm_events_open(&events));
    EXPECT_OK(secsock_xfrm_policy_add(&nl, &conn));
    client = send_from_local(&conn.tuple, "held", &server);
    EXPECT(client >= 0 && server >= 0);
    EXPECT(wait_event(events, SECSOCK_XFRM_EV_ACQUIRE, &ev, 3000) == 0);
    EXPECT(wait_event(events, SECSOCK_XFRM_EV_EXPIRE, &ev, 5000) == 0);
    EXPECT(ev.hard == 1 && ev.sa.spi == 0 && ev.sa.proto == IPPROTO_ESP && ev.sa.family == family);
    EXPECT(!memcmp(ev.sa.dst, conn.tuple.remote_addr, family == AF_INET ? 4 : 16));

    EXPECT(add_foreign_policy(family, protocol, 1) == 0);
    EXPECT(wait_event(events, SECSOCK_XFRM_EV_POLEXPIRE, &ev, 5000) == 0);
    EXPECT(ev.hard == 1 && ev.policy.dir == XFRM_POLICY_OUT && ev.policy.priority == 100);
    EXPECT(ev.policy.sel.src_port == 50001 && ev.policy.sel.dst_port == 50002);
    EXPECT(ev.policy.tmpl_count == 1 && ev.policy.tmpl_proto == IPPROTO_ESP);
    EXPECT_OK(secsock_xfrm_policy_del(&nl, 9));
    close(client);
    close(server);
    close(events);
    secsock_xfrm_close(&nl);
    return 0;
}

static int scenario_probe(void)
{
    struct secsock_xfrm_support s;

    EXPECT_OK(secsock_xfrm_probe(&s));
    printf("  probe: net_admin=%d esp=%d esp_errno=%d (%s) reason: %s\n", s.net_admin, s.esp, s.esp_errno,
           s.esp_errno ? strerror(s.esp_errno) : "-", s.reason[0] ? s.reason : "-");
    EXPECT(s.net_admin == 1);
    EXPECT(s.esp ? s.esp_errno == 0 : s.esp_errno > 0 && s.reason[0]);
    return 0;
}

/* ---- the runner -------------------------------------------------------- */

struct scenario {
    const char *name;
    int (*run4)(int family, uint8_t protocol);
    int family;
    uint8_t protocol;
};

static int run_in_netns(const struct scenario *s)
{
    int status;
    pid_t pid = fork();

    if (pid < 0) return 1;
    if (pid == 0)
    {
        if (unshare(CLONE_NEWNET) < 0)
        {
            printf("SKIP: no network namespace: unshare(CLONE_NEWNET): %s\n", strerror(errno));
            _exit(77);
        }
        if (loopback_up() < 0)
        {
            printf("  cannot bring lo up with XFRM on it\n");
            _exit(1);
        }
        fflush(stdout);
        _exit(s->run4 ? s->run4(s->family, s->protocol) : scenario_probe());
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return 1;
    return WEXITSTATUS(status);
}

int main(void)
{
    static const struct scenario scenarios[] = {
        { "probe: CAP_NET_ADMIN and ESP", NULL, 0, 0 },
        { "required, TCP over IPv4: SYN held, ACQUIRE, cleanup", scenario_required, AF_INET, IPPROTO_TCP },
        { "required, UDP over IPv4: datagram held, ACQUIRE, cleanup", scenario_required, AF_INET, IPPROTO_UDP },
        { "required, TCP over IPv6: SYN held, ACQUIRE, cleanup", scenario_required, AF_INET6, IPPROTO_TCP },
        { "required, UDP over IPv6: datagram held, ACQUIRE, cleanup", scenario_required, AF_INET6, IPPROTO_UDP },
        { "expiry: larval SA (EXPIRE) and policy lifetime (POLEXPIRE)", scenario_expire, AF_INET, IPPROTO_UDP },
        { "optional, TCP over IPv4: clear and intact", scenario_optional, AF_INET, IPPROTO_TCP },
        { "optional, UDP over IPv6: clear and intact", scenario_optional, AF_INET6, IPPROTO_UDP },
    };
    int failed = 0;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (geteuid() != 0)
    {
        printf("SKIP: xfrm-netns needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for a network namespace)\n");
        return 77;
    }
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
    {
        int rc = run_in_netns(&scenarios[i]);
        if (rc == 77) return 77;
        printf("%s: %s\n", rc ? "FAIL" : "PASS", scenarios[i].name);
        failed += rc != 0;
    }
    return failed ? 1 : 0;
}
