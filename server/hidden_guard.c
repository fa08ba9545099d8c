/* The kernel-enforced guard of a secured server's hidden loopback hop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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

/* Requires key on every segment from any source of the family. */
static int require_signatures(int fd, int family, const uint8_t *key)
{
    struct tcp_md5sig sig;

    memset(&sig, 0, sizeof(sig));
    sig.tcpm_addr.ss_family = (sa_family_t)family;
    sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    sig.tcpm_prefixlen = 0;   /* every address */
    sig.tcpm_keylen = HIDDEN_GUARD_KEY_LEN;
    memcpy(sig.tcpm_key, key, HIDDEN_GUARD_KEY_LEN);
    return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG_EXT, &sig, sizeof(sig));
}

int hidden_guard_protect(struct hidden_guard *guard, uint64_t inode, const struct secsock_addr *hidden,
                         char *why, size_t why_len)
{
    struct sockaddr_storage ss;
    struct secsock_addr bound;
    socklen_t len = sizeof(ss);
    int type = 0, family;
    socklen_t tlen = sizeof(type);

    guard->fd = -1;
    if (!hidden_guard_address_ok(hidden))
    {
        snprintf(why, why_len, "the hidden address is not a loopback port");
        return -1;
    }
    if (getrandom(guard->key, sizeof(guard->key), 0) != (ssize_t)sizeof(guard->key))
    {
        snprintf(why, why_len, "getrandom: %s", strerror(errno));
        return -1;
    }
    if ((guard->fd = find_socket(inode, why, why_len)) < 0) return -1;
    /* The socket named must be the program's TCP socket on that address. */
    if (getsockopt(guard->fd, SOL_SOCKET, SO_TYPE, &type, &tlen) || type != SOCK_STREAM ||
        getsockname(guard->fd, (struct sockaddr *)&ss, &len) || (sockaddr_to_wire(&ss, &bound), 0) ||
        bound.family != hidden->family || bound.port != hidden->port ||
        memcmp(bound.addr, hidden->addr, hidden->family == SECSOCK_AF_INET ? 4 : 16))
    {
        snprintf(why, why_len, "socket %llu is not the program's TCP socket on its hidden port",
                 (unsigned long long)inode);
        hidden_guard_release(guard);
        return -1;
    }
    family = ss.ss_family;
    if (require_signatures(guard->fd, family, guard->key))
    {
        snprintf(why, why_len, "TCP-MD5 on the hidden listener: %s", strerror(errno));
        hidden_guard_release(guard);
        return -1;
    }
    return 0;
}

int hidden_guard_sign(const struct hidden_guard *guard, int fd, const struct secsock_addr *hidden)
{
    struct tcp_md5sig sig;

    if (guard->fd < 0) return -1;
    memset(&sig, 0, sizeof(sig));
    if (!sockaddr_from_wire(hidden, &sig.tcpm_addr)) return -1;
    ((struct sockaddr_in *)&sig.tcpm_addr)->sin_port = 0;
    if (sig.tcpm_addr.ss_family == AF_INET6) ((struct sockaddr_in6 *)&sig.tcpm_addr)->sin6_port = 0;
    sig.tcpm_keylen = HIDDEN_GUARD_KEY_LEN;
    memcpy(sig.tcpm_key, guard->key, HIDDEN_GUARD_KEY_LEN);
    return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig));
}

void hidden_guard_release(struct hidden_guard *guard)
{
    if (guard->fd >= 0) close(guard->fd);
    guard->fd = -1;
    explicit_bzero(guard->key, sizeof(guard->key));
}

int hidden_guard_available(char *why, size_t why_len)
{
    static const uint8_t key[HIDDEN_GUARD_KEY_LEN];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), pidfd, copy, ok = 0;

    if (fd < 0)
    {
        snprintf(why, why_len, "socket: %s", strerror(errno));
        return 0;
    }
    if (require_signatures(fd, AF_INET, key))
        snprintf(why, why_len, "the kernel has no TCP-MD5 signatures (%s)", strerror(errno));
    else if ((pidfd = sys_pidfd_open(getpid())) < 0)
        snprintf(why, why_len, "pidfd_open: %s", strerror(errno));
    else
    {
        if ((copy = sys_pidfd_getfd(pidfd, fd)) < 0) snprintf(why, why_len, "pidfd_getfd: %s", strerror(errno));
        else
        {
            ok = 1;
            close(copy);
        }
        close(pidfd);
    }
    close(fd);
    return ok;
}
