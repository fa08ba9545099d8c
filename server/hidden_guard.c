/* The kernel-enforced guard of a secured server's hidden loopback hop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "hidden_guard.h"
#include "sockaddr_posix.h"

int hidden_guard_address_ok(const struct secsock_addr *hidden)
{
    static const uint8_t v6_loopback[16] = { [15] = 1 };

    if (!hidden->port) return 0;
    if (hidden->family == SECSOCK_AF_INET) return hidden->addr[0] == 127;
    if (hidden->family == SECSOCK_AF_INET6) return !memcmp(hidden->addr, v6_loopback, 16);
    return 0;
}

static int sys_pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int sys_pidfd_getfd(int pidfd, int fd)
{
    return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/* A copy of the socket with this inode from a process of ours (Wine's
 * server holds every socket of the prefix; the program's process may too). */
static int find_socket(uint64_t inode, char *why, size_t why_len)
{
    char want[64], path[600], link[64];
    struct dirent *p, *f;
    DIR *procs, *fds;
    int copy = -1, denied = 0;

    snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)inode);
    if (!(procs = opendir("/proc")))
    {
        snprintf(why, why_len, "/proc: %s", strerror(errno));
        return -1;
    }
    while (copy < 0 && (p = readdir(procs)))
    {
        struct stat st;
        if (p->d_name[0] < '0' || p->d_name[0] > '9') continue;
        snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
        if (stat(path, &st) || st.st_uid != geteuid() || !(fds = opendir(path))) continue;
        while ((f = readdir(fds)))
        {
            ssize_t n;
            int pidfd;
            if (f->d_name[0] == '.') continue;
            snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, f->d_name);
            if ((n = readlink(path, link, sizeof(link) - 1)) <= 0) continue;
            link[n] = 0;
            if (strcmp(link, want)) continue;
            if ((pidfd = sys_pidfd_open(atoi(p->d_name))) >= 0)
            {
                copy = sys_pidfd_getfd(pidfd, atoi(f->d_name));
                if (copy < 0) denied = errno;
                close(pidfd);
            }
            if (copy >= 0) break;
        }
        closedir(fds);
    }
    closedir(procs);
    if (copy < 0 && denied)
        snprintf(why, why_len, "cannot take the program's listener (pidfd_getfd: %s)", strerror(denied));
    else if (copy < 0)
        snprintf(why, why_len, "the program's listener (socket %llu) is in none of this user's processes",
                 (unsigned long long)inode);
    else fcntl(copy, F_SETFD, FD_CLOEXEC);
    return copy;
}

/* Segments the filter reads: the IPv4 or IPv6 source address (at the
 * network header) and the TCP source port (the filter runs with the data
 * at the TCP header). */
#define NET_OFF(k) ((uint32_t)(SKF_NET_OFF + (k)))

/* Builds and attaches the filter: from the hidden address, the admitted
 * source ports; nothing else. */
static int attach(const struct hidden_guard *guard)
{
    struct sock_filter *code, *p;
    struct sock_fprog prog;
    unsigned int words = guard->hidden.family == SECSOCK_AF_INET6 ? 4 : 1;
    int ret;

    if (!(code = calloc(words * 3 + 2 + guard->count * 2, sizeof(*code)))) return -1;
    p = code;
    for (unsigned int i = 0; i < words; i++)
    {
        uint32_t w = (uint32_t)guard->hidden.addr[4 * i] << 24 | (uint32_t)guard->hidden.addr[4 * i + 1] << 16 |
                     (uint32_t)guard->hidden.addr[4 * i + 2] << 8 | guard->hidden.addr[4 * i + 3];
        *p++ = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET_OFF(words == 4 ? 8 + 4 * i : 12));
        *p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, w, 1, 0);
        *p++ = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
    }
    *p++ = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0);
    for (unsigned int i = 0; i < guard->count; i++)
    {
        *p++ = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, guard->admitted[i].port, 0, 1);
        *p++ = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffffu);
    }
    *p++ = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
    prog.len = (unsigned short)(p - code);
    prog.filter = code;
    ret = setsockopt(guard->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
    free(code);
    return ret;
}

int hidden_guard_protect(struct hidden_guard *guard, uint64_t inode, const struct secsock_addr *hidden,
                         char *why, size_t why_len)
{
    struct sockaddr_storage ss;
    struct secsock_addr bound;
    socklen_t len = sizeof(ss);
    int type = 0;
    socklen_t tlen = sizeof(type);

    guard->fd = -1;
    guard->count = 0;
    guard->hidden = *hidden;
    if (!hidden_guard_address_ok(hidden))
    {
        snprintf(why, why_len, "the hidden address is not a loopback port");
        return -1;
    }
    if (!(guard->admitted = calloc(HIDDEN_GUARD_MAX_PORTS, sizeof(*guard->admitted))))
    {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    if ((guard->fd = find_socket(inode, why, why_len)) < 0)
    {
        hidden_guard_release(guard);
        return -1;
    }
    /* The socket named must be the program's TCP socket on that address. */
    if (getsockopt(guard->fd, SOL_SOCKET, SO_TYPE, &type, &tlen) || type != SOCK_STREAM ||
        getsockname(guard->fd, (struct sockaddr *)&ss, &len) || (sockaddr_to_wire(&ss, &bound), 0) ||
        !secsock_addr_equal(&bound, hidden))
    {
        snprintf(why, why_len, "socket %llu is not the program's TCP socket on its hidden port",
                 (unsigned long long)inode);
        hidden_guard_release(guard);
        return -1;
    }
    if (attach(guard))
    {
        snprintf(why, why_len, "socket filter on the hidden listener: %s", strerror(errno));
        hidden_guard_release(guard);
        return -1;
    }
    return 0;
}

int hidden_guard_admit(struct hidden_guard *guard, const struct secsock_addr *source)
{
    struct secsock_addr from = *source;

    from.port = guard->hidden.port;
    if (guard->fd < 0 || !secsock_addr_equal(&from, &guard->hidden) || guard->count == HIDDEN_GUARD_MAX_PORTS)
        return -1;
    guard->admitted[guard->count].port = source->port;
    guard->admitted[guard->count].until = 0;
    guard->count++;
    if (attach(guard))
    {
        guard->count--;
        return -1;
    }
    return 0;
}

/* How long a made connection's port stays admitted: its last handshake
 * segment may wait while the program's accept queue is full. */
#define GRACE_SECONDS 3

void hidden_guard_connected(struct hidden_guard *guard, uint16_t port, time_t now)
{
    for (unsigned int i = 0; i < guard->count; i++)
        if (guard->admitted[i].port == port && !guard->admitted[i].until) guard->admitted[i].until = now + GRACE_SECONDS;
}

void hidden_guard_forget(struct hidden_guard *guard, uint16_t port)
{
    for (unsigned int i = 0; i < guard->count; i++)
    {
        if (guard->admitted[i].port != port) continue;
        guard->admitted[i] = guard->admitted[--guard->count];
        attach(guard);
        return;
    }
}

void hidden_guard_sweep(struct hidden_guard *guard, time_t now)
{
    unsigned int kept = 0;

    if (guard->fd < 0) return;
    for (unsigned int i = 0; i < guard->count; i++)
        if (!guard->admitted[i].until || guard->admitted[i].until > now) guard->admitted[kept++] = guard->admitted[i];
    if (kept == guard->count) return;
    guard->count = kept;
    attach(guard);
}

void hidden_guard_release(struct hidden_guard *guard)
{
    /* Another process may still hold the listener: it takes nothing more. */
    guard->count = 0;
    if (guard->fd >= 0 && guard->admitted) attach(guard);
    if (guard->fd >= 0) close(guard->fd);
    guard->fd = -1;
    free(guard->admitted);
    guard->admitted = NULL;
    guard->count = 0;
}

