/* The Linux client of secsockd's control channel. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "secsock/auth.h"
#include "unix/client.h"
#include "secsock/sha256.h"

#define TIMEOUT_SECONDS 5

/* The first of $own, $XDG_x/secsock, $HOME/home_suffix that is set. */
static int dir_from_env(char *buf, size_t size, const char *own, const char *xdg, const char *home_suffix)
{
    const char *v;
    int n;

    if ((v = getenv(own)) && *v) n = snprintf(buf, size, "%s", v);
    else if ((v = getenv(xdg)) && *v) n = snprintf(buf, size, "%s/secsock", v);
    else if ((v = getenv("HOME")) && *v) n = snprintf(buf, size, "%s/%s", v, home_suffix);
    else return -1;
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int secsock_runtime_dir(char *buf, size_t size)
{
    return dir_from_env(buf, size, "SECSOCK_RUNTIME_DIR", "XDG_RUNTIME_DIR", ".cache/secsock");
}

/* The configuration directory (peers, identity, secret), for the service
 * and for secsockctl alike. */
int secsock_config_dir(char *buf, size_t size)
{
    return dir_from_env(buf, size, "SECSOCK_CONFIG_DIR", "XDG_CONFIG_HOME", ".config/secsock");
}

int secsock_check_private(const struct stat *st, const char *path, char *why, size_t why_len)
{
    if (st->st_uid != geteuid())
    {
        snprintf(why, why_len, "%s belongs to uid %u, not to this user (%u)", path, (unsigned)st->st_uid,
                 (unsigned)geteuid());
        return -1;
    }
    if (st->st_mode & 077)
    {
        snprintf(why, why_len, "%s is open to other users (mode %03o); it must be %s", path,
                 (unsigned)(st->st_mode & 0777), S_ISDIR(st->st_mode) ? "0700" : "0600");
        return -1;
    }
    return 0;
}

int secsock_check_private_dir(const struct stat *st, const char *dir, char *why, size_t why_len)
{
    if (!S_ISDIR(st->st_mode))
    {
        snprintf(why, why_len, "%s is not a directory", dir);
        return -1;
    }
    return secsock_check_private(st, dir, why, why_len);
}

int secsock_read_secret_file(const char *path, uint8_t secret[SECSOCK_SECRET_LEN], char *why, size_t why_len)
{
    char text[SECSOCK_SECRET_MAX + 1];
    struct stat st;
    ssize_t n;
    int fd;

    /* O_NOFOLLOW: a symlink planted in place of the file is refused, not
     * followed; the checks below are of the file actually read (fstat). */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
    {
        if (errno == ENOENT) return 1;
        snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode))
    {
        snprintf(why, why_len, "%s is not a regular file", path);
        close(fd);
        return -1;
    }
    if (secsock_check_private(&st, path, why, why_len))
    {
        close(fd);
        return -1;
    }
    n = read(fd, text, sizeof(text));
    close(fd);
    if (n < 0 || secsock_secret_parse(text, (size_t)n, secret))
    {
        snprintf(why, why_len, "%s is not a valid secret file (remove it to have a new one made)", path);
        secsock_wipe(text, sizeof(text));
        return -1;
    }
    secsock_wipe(text, sizeof(text));
    return 0;
}

int secsock_client_read_secret(const char *config_dir, uint8_t secret[SECSOCK_SECRET_LEN], char *why,
                               size_t why_len)
{
    char path[4200];
    struct stat st;
    int ret;

    if (stat(config_dir, &st))
    {
        snprintf(why, why_len, "no config directory %s (%s): the service never ran", config_dir, strerror(errno));
        return -1;
    }
    if (secsock_check_private_dir(&st, config_dir, why, why_len)) return -1;
    snprintf(path, sizeof(path), "%s/" SECSOCK_SECRET_FILE, config_dir);
    if ((ret = secsock_read_secret_file(path, secret, why, why_len)) > 0)
        snprintf(why, why_len, "cannot open %s: %s", path, strerror(ENOENT));
    return ret ? -1 : 0;
}

int secsock_client_read_control(const char *dir, struct secsock_control_info *info, char *why, size_t why_len)
{
    char path[4200], text[SECSOCK_CONTROL_MAX + 2];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/" SECSOCK_CONTROL_FILE, dir);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    {
        snprintf(why, why_len, "the service does not run (no %s: %s)", path, strerror(errno));
        return -1;
    }
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n >= 0) text[n] = 0;
    if (n > 16 && !memcmp(text, "secsock-control ", 16) &&
        memcmp(text, SECSOCK_CONTROL_HEADER "\n", strlen(SECSOCK_CONTROL_HEADER) + 1))
    {
        /* Written by a secsockd of another version, which we would not
         * understand on the wire either. */
        snprintf(why, why_len, "%s was written by a secsockd of another version (it says \"%.*s\"; this client "
                 "speaks control protocol %d)", path, (int)(strcspn(text, "\n") > 24 ? 24 : strcspn(text, "\n")),
                 text, SECSOCK_PROTO_VERSION);
        return -1;
    }
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
    if (secsock_frame_header(buf, SECSOCK_HEADER_LEN, &type, &len) == SECSOCK_PROTO_EVERSION)
    {
        snprintf(why, why_len, "the service speaks control protocol version %d; this client speaks %d",
                 secsock_frame_version(buf, SECSOCK_HEADER_LEN), SECSOCK_PROTO_VERSION);
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

int secsock_client_handshake(int fd, const uint8_t secret[SECSOCK_SECRET_LEN], struct secsock_msg *hello_ok,
                             char *why, size_t why_len)
{
    uint8_t client_nonce[SECSOCK_NONCE_LEN], expected[SECSOCK_PROOF_LEN];
    struct secsock_msg msg, reply;
    int good;

    if (getrandom(client_nonce, sizeof(client_nonce), 0) != (ssize_t)sizeof(client_nonce))
    {
        snprintf(why, why_len, "cannot draw a nonce: %s", strerror(errno));
        return -1;
    }
    memset(&msg, 0, sizeof(msg));
    msg.type = SECSOCK_MSG_HELLO;
    memcpy(msg.u.hello.client_nonce, client_nonce, sizeof(client_nonce));
    msg.u.hello.pid = (uint32_t)getpid();
    msg.u.hello.proto_version = SECSOCK_PROTO_VERSION;
    if (secsock_client_call(fd, &msg, &reply, why, why_len)) return -1;
    if (reply.type != SECSOCK_MSG_CHALLENGE)
    {
        snprintf(why, why_len, "the service answered HELLO with %s, not CHALLENGE", secsock_msg_name(reply.type));
        return -1;
    }
    secsock_auth_service_proof(secret, client_nonce, reply.u.challenge.server_nonce, expected);
    good = secsock_equal_ct(expected, reply.u.challenge.service_proof, sizeof(expected));
    secsock_wipe(expected, sizeof(expected));
    if (!good)
    {
        snprintf(why, why_len, "the service on this port did not prove it knows the secret: not our service");
        return -1;
    }
    memset(&msg, 0, sizeof(msg));
    msg.type = SECSOCK_MSG_PROOF;
    secsock_auth_client_proof(secret, client_nonce, reply.u.challenge.server_nonce, msg.u.proof.client_proof);
    if (secsock_client_call(fd, &msg, hello_ok, why, why_len)) return -1;
    if (hello_ok->type != SECSOCK_MSG_HELLO_OK)
    {
        snprintf(why, why_len, "the service answered PROOF with %s, not HELLO_OK", secsock_msg_name(hello_ok->type));
        return -1;
    }
    return 0;
}

int secsock_client_connect(const char *dir, int *fd_out, char *why, size_t why_len)
{
    struct secsock_control_info info;
    struct secsock_msg reply;
    struct sockaddr_in sin;
    struct timeval tv = { TIMEOUT_SECONDS, 0 };
    uint8_t secret[SECSOCK_SECRET_LEN];
    char config_dir[4096];
    int fd, ret;

    if (secsock_client_read_control(dir, &info, why, why_len)) return -1;
    if (secsock_config_dir(config_dir, sizeof(config_dir)))
    {
        snprintf(why, why_len, "no config directory: set SECSOCK_CONFIG_DIR, XDG_CONFIG_HOME or HOME");
        return -1;
    }
    if (secsock_client_read_secret(config_dir, secret, why, why_len)) return -1;
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
    {
        snprintf(why, why_len, "socket: %s", strerror(errno));
        secsock_wipe(secret, sizeof(secret));
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
        secsock_wipe(secret, sizeof(secret));
        close(fd);
        return -1;
    }
    ret = secsock_client_handshake(fd, secret, &reply, why, why_len);
    secsock_wipe(secret, sizeof(secret));
    if (ret)
    {
        close(fd);
        return -1;
    }
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
