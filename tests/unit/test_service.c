/* secsockd itself, started for real in a throwaway runtime directory. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "secsock/client.h"
#include "secsock/settings.h"
#include "secsock/wsaerr.h"
#include "unit.h"

static char dir[256];

static void start_service(void)
{
    char why[512], path[512];
    const char *top = getenv("top_builddir");

    snprintf(dir, sizeof(dir), "/tmp/secsock-unit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/config", dir);
    setenv("SECSOCK_CONFIG_DIR", path, 1);  /* the TLS identity goes there, not into ~/.config */
    snprintf(path, sizeof(path), "%s/server/secsockd", top ? top : ".");
    if (secsock_client_start(path, dir, why, sizeof(why)))
    {
        fprintf(stderr, "cannot start %s: %s\n", path, why);
        abort();
    }
}

static void stop_service(void)
{
    struct secsock_control_info info;
    char why[256], cmd[300];

    if (!secsock_client_read_control(dir, &info, why, sizeof(why))) kill((pid_t)info.pid, SIGTERM);
    sleep(1);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
}

static int connect_raw(void)
{
    struct secsock_control_info info;
    struct sockaddr_in sin;
    struct timeval tv = { 5, 0 };
    char why[256];
    int fd;

    ck_assert_int_eq(secsock_client_read_control(dir, &info, why, sizeof(why)), 0);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(info.port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

static int call(const struct secsock_msg *req, struct secsock_msg *reply)
{
    char why[512];
    int fd, ret;

    ck_assert_int_eq(secsock_client_connect(dir, &fd, why, sizeof(why)), 0);
    ret = secsock_client_call(fd, req, reply, why, sizeof(why));
    close(fd);
    return ret;
}

START_TEST(runtime_dir_is_private)
{
    struct stat st;
    char path[300];

    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/control", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(status)
{
    struct secsock_msg req, reply;

    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_STATUS;
    ck_assert_int_eq(call(&req, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_STATUS_REPLY);
    ck_assert_int_eq(reply.u.status_reply.proto_version, SECSOCK_PROTO_VERSION);
    ck_assert_int_eq(reply.u.status_reply.backends, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS);
    ck_assert_ptr_nonnull(strstr(reply.u.status_reply.report, "none: available"));
    ck_assert_ptr_nonnull(strstr(reply.u.status_reply.report, "tls: available"));
    ck_assert_ptr_nonnull(strstr(reply.u.status_reply.report, "ipsec: not available"));
}
END_TEST

START_TEST(wrong_secret_and_garbage)
{
    struct secsock_msg req, reply;
    char why[256], buf[64];
    int fd;

    /* A HELLO with the wrong secret gets an error and the door. */
    fd = connect_raw();
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_HELLO;
    ck_assert_int_eq(secsock_client_call(fd, &req, &reply, why, sizeof(why)), -1);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    ck_assert_int_eq(reply.u.error.wsa_error, SECSOCK_WSAEACCES);
    ck_assert_int_le(recv(fd, buf, sizeof(buf), 0), 0);
    close(fd);

    /* A request before HELLO. */
    fd = connect_raw();
    req.type = SECSOCK_MSG_STATUS;
    ck_assert_int_eq(secsock_client_call(fd, &req, &reply, why, sizeof(why)), -1);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    close(fd);

    /* Garbage. */
    fd = connect_raw();
    memset(buf, 0x41, sizeof(buf));
    ck_assert_int_eq(send(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    ck_assert_int_gt(recv(fd, buf, sizeof(buf), 0), 0);  /* an ERROR frame */
    close(fd);

    /* ...and the service lives on. */
    req.type = SECSOCK_MSG_STATUS;
    ck_assert_int_eq(call(&req, &reply), 0);
}
END_TEST

START_TEST(connect_verdicts)
{
    struct secsock_msg req, reply;

    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_CONNECT;
    req.u.connect.socktype = SECSOCK_SOCK_STREAM;
    req.u.connect.peer.family = SECSOCK_AF_INET;
    req.u.connect.peer.port = 80;
    req.u.connect.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
    ck_assert_int_eq(call(&req, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_CONNECT_VERDICT);
    ck_assert_int_eq(reply.u.connect_verdict.verdict, SECSOCK_VERDICT_REFUSE);
    ck_assert_int_eq(reply.u.connect_verdict.wsa_error, SECSOCK_WSAECONNREFUSED);
    req.u.connect.flags = SECSOCK_FLAG_ALLOW_INSECURE;
    ck_assert_int_eq(call(&req, &reply), 0);
    ck_assert_int_eq(reply.u.connect_verdict.verdict, SECSOCK_VERDICT_DIRECT);
    ck_assert_str_eq(reply.u.connect_verdict.backend, "none");
}
END_TEST

static int tcp_connect_errno(uint16_t port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ret;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ret = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
    close(fd);
    return ret;
}

/* bind() of a plain socket to the address, with SO_REUSEADDR if reuse (as
 * another user's server may try); 0 if it got the address. */
static int plain_bind(uint16_t port, int reuse)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ret;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (reuse) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
    ret = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
    close(fd);
    return ret;
}

START_TEST(bind_lease)
{
    struct secsock_msg req, reply;
    char why[512];
    uint16_t port;
    int lease, fd, freed = 0;

    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_BIND;
    req.u.bind.socktype = SECSOCK_SOCK_STREAM;
    req.u.bind.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
    req.u.bind.local.family = SECSOCK_AF_INET;
    req.u.bind.local.addr[0] = 127;
    req.u.bind.local.addr[3] = 1;
    ck_assert_int_eq(secsock_client_connect(dir, &lease, why, sizeof(why)), 0);
    ck_assert_int_eq(secsock_client_call(lease, &req, &reply, why, sizeof(why)), 0);
    ck_assert_int_eq(reply.u.bind_verdict.verdict, SECSOCK_VERDICT_RESERVED);
    port = reply.u.bind_verdict.bound.port;
    ck_assert_int_ne(port, 0);

    /* LISTEN on the lease: the public port still refuses clear peers. */
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_LISTEN;
    req.u.listen.backlog = 5;
    req.u.listen.hidden.family = SECSOCK_AF_INET;
    ck_assert_int_eq(secsock_client_call(lease, &req, &reply, why, sizeof(why)), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_LISTEN_VERDICT);
    /* No program socket listens at that hidden address, so it cannot be
     * guarded: the server fails closed. */
    ck_assert_int_eq(reply.u.listen_verdict.wsa_error, SECSOCK_WSAENETDOWN);
    ck_assert_int_eq(tcp_connect_errno(port), ECONNREFUSED);
    ck_assert_int_ne(plain_bind(port, 0), 0);
    ck_assert_int_ne(plain_bind(port, 1), 0);

    /* A second reservation of the same address. */
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_BIND;
    req.u.bind.socktype = SECSOCK_SOCK_STREAM;
    req.u.bind.local.family = SECSOCK_AF_INET;
    req.u.bind.local.port = port;
    req.u.bind.local.addr[0] = 127;
    req.u.bind.local.addr[3] = 1;
    ck_assert_int_eq(secsock_client_connect(dir, &fd, why, sizeof(why)), 0);
    ck_assert_int_eq(secsock_client_call(fd, &req, &reply, why, sizeof(why)), 0);
    ck_assert_int_eq(reply.u.bind_verdict.verdict, SECSOCK_VERDICT_REFUSE);
    ck_assert_int_eq(reply.u.bind_verdict.wsa_error, SECSOCK_WSAEADDRINUSE);
    close(fd);

    /* Closing the lease frees the address. */
    close(lease);
    for (int i = 0; i < 40 && !freed; i++)
    {
        freed = !plain_bind(port, 0);
        if (!freed) usleep(50000);
    }
    ck_assert_int_eq(freed, 1);
}
END_TEST

/* Another local user who somehow holds the secret is still turned away:
 * the service checks the connecting socket's uid.  Needs root to become
 * that other user. */
START_TEST(other_user_rejected)
{
    struct secsock_control_info info;
    char why[256];
    pid_t pid;
    int status;

    ck_assert_int_eq(secsock_client_read_control(dir, &info, why, sizeof(why)), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (!pid)
    {
        struct secsock_msg hello, reply;
        struct sockaddr_in sin;
        struct timeval tv = { 5, 0 };
        int fd;

        if (setgid(65534) || setuid(65534)) _exit(2);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons(info.port);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) _exit(3);
        memset(&hello, 0, sizeof(hello));
        hello.type = SECSOCK_MSG_HELLO;
        memcpy(hello.u.hello.secret, info.secret, sizeof(info.secret));
        /* Admitted: exit 0 (a failure of the test); turned away: exit 1. */
        _exit(secsock_client_call(fd, &hello, &reply, why, sizeof(why)) ? 1 : 0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "another uid was admitted (status %d)", status);
}
END_TEST

Suite *service_suite(void)
{
    Suite *s = suite_create("service");
    TCase *tc = tcase_create("secsockd");
    tcase_add_unchecked_fixture(tc, start_service, stop_service);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, runtime_dir_is_private);
    tcase_add_test(tc, status);
    tcase_add_test(tc, wrong_secret_and_garbage);
    tcase_add_test(tc, connect_verdicts);
    tcase_add_test(tc, bind_lease);
    if (!geteuid()) tcase_add_test(tc, other_user_rejected);
    else fprintf(stderr, "service: other_user_rejected needs root to switch users; not run\n");
    suite_add_tcase(s, tc);
    return s;
}
