/* The Linux client of secsockd's control channel. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "secsock/client.h"

#define TIMEOUT_SECONDS 5

int secsock_runtime_dir(char *buf, size_t size)
{
    const char *v;
    int n;

    if ((v = getenv("SECSOCK_RUNTIME_DIR")) && *v) n = snprintf(buf, size, "%s", v);
    else if ((v = getenv("XDG_RUNTIME_DIR")) && *v) n = snprintf(buf, size, "%s/secsock", v);
    else if ((v = getenv("HOME")) && *v) n = snprintf(buf, size, "%s/.cache/secsock", v);
    else return -1;
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int secsock_client_read_control(const char *dir, struct secsock_control_info *info, char *why, size_t why_len)
{
    char path[4200], text[SECSOCK_CONTROL_MAX + 1];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/" SECSOCK_CONTROL_FILE, dir);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    {
        snprintf(why, why_len, "the service does not run (no %s: %s)", path, strerror(errno));
        return -1;
    }
    n = read(fd, text, sizeof(text));
    close(fd);
    if (n < 0 || secsock_control_parse(text, (size_t)n, info))
    {
        snprintf(why, why_len, "%s is not a valid control file", path);
        return -1;
    }
    return 0;
}

static int io_all(int fd, void *buf, size_t len, int writing)
{
    char *p = buf;

    while (len)
    {
        ssize_t n = writing ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int secsock_client_call(int fd, const struct secsock_msg *req, struct secsock_msg *reply, char *why,
                        size_t why_len)
{
    uint8_t buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    uint16_t type;
    uint32_t len;
    int n = secsock_msg_encode(req, buf, sizeof(buf)), status;

    if (n < 0)
    {
        snprintf(why, why_len, "cannot encode %s: %s", secsock_msg_name(req->type), secsock_proto_strerror(n));
        return -1;
    }
    if (io_all(fd, buf, (size_t)n, 1) || io_all(fd, buf, SECSOCK_HEADER_LEN, 0))
    {
        snprintf(why, why_len, "the service closed the control connection");
        return -1;
    }
    if ((status = secsock_frame_header(buf, SECSOCK_HEADER_LEN, &type, &len)) ||
        io_all(fd, buf + SECSOCK_HEADER_LEN, len, 0) ||
        (status = secsock_msg_decode(type, buf + SECSOCK_HEADER_LEN, len, reply)))
    {
        snprintf(why, why_len, "bad reply: %s", secsock_proto_strerror(status ? status : SECSOCK_PROTO_ETRUNCATED));
        return -1;
    }
    if (reply->type == SECSOCK_MSG_ERROR)
    {
        snprintf(why, why_len, "the service refused: %s (error %u)", reply->u.error.reason, reply->u.error.wsa_error);
        return -1;
    }
    return 0;
}

int secsock_client_connect(const char *dir, int *fd_out, char *why, size_t why_len)
{
    struct secsock_control_info info;
    struct secsock_msg hello, reply;
    struct sockaddr_in sin;
    struct timeval tv = { TIMEOUT_SECONDS, 0 };
    int fd;

    if (secsock_client_read_control(dir, &info, why, why_len)) return -1;
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
    {
        snprintf(why, why_len, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(info.port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
    {
        snprintf(why, why_len, "the service does not answer on 127.0.0.1:%u: %s", info.port, strerror(errno));
        close(fd);
        return -1;
    }
    memset(&hello, 0, sizeof(hello));
    hello.type = SECSOCK_MSG_HELLO;
    memcpy(hello.u.hello.secret, info.secret, sizeof(info.secret));
    hello.u.hello.pid = (uint32_t)getpid();
    memset(&info, 0, sizeof(info));
    if (secsock_client_call(fd, &hello, &reply, why, why_len) || reply.type != SECSOCK_MSG_HELLO_OK)
    {
        memset(&hello, 0, sizeof(hello));
        if (reply.type != SECSOCK_MSG_ERROR) snprintf(why, why_len, "the service did not accept the handshake");
        close(fd);
        return -1;
    }
    memset(&hello, 0, sizeof(hello));
    *fd_out = fd;
    return 0;
}

int secsock_client_start(const char *secsockd, const char *dir, char *why, size_t why_len)
{
    pid_t pid;
    int status, fd;

    if (access(secsockd, X_OK))
    {
        snprintf(why, why_len, "cannot run %s: %s", secsockd, strerror(errno));
        return -1;
    }
    if ((pid = fork()) < 0)
    {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        return -1;
    }
    if (!pid)
    {
        execl(secsockd, secsockd, "--daemon", "--runtime-dir", dir, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status))
    {
        snprintf(why, why_len, "%s --daemon failed (status %d); see %s/" SECSOCK_LOG_FILE, secsockd,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir);
        return -1;
    }
    if (secsock_client_connect(dir, &fd, why, why_len)) return -1;
    close(fd);
    return 0;
}
