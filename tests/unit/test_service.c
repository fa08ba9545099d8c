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
#include "secsock/auth.h"
#include "unix/client.h"
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
    setenv("SECSOCK_DISCOVERY_PORT", "0", 1);  /* these services answer no other host */
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

static void read_secret(uint8_t *secret)
{
    char path[300], why[512];

    snprintf(path, sizeof(path), "%s/config", dir);
    ck_assert_msg(!secsock_client_read_secret(path, secret, why, sizeof(why)), "%s", why);
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
    req.u.status.sections = SECSOCK_STATUS_BACKENDS;
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

    /* A request before HELLO. */
    fd = connect_raw();
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_STATUS;
    req.u.status.sections = SECSOCK_STATUS_BACKENDS;
    ck_assert_int_eq(secsock_client_call(fd, &req, &reply, why, sizeof(why)), -1);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    ck_assert_int_eq(reply.u.error.wsa_error, SECSOCK_WSAEACCES);
    ck_assert_int_le(recv(fd, buf, sizeof(buf), 0), 0);
    close(fd);

    /* Garbage. */
    fd = connect_raw();
    memset(buf, 0x41, sizeof(buf));
    ck_assert_int_eq(send(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    ck_assert_int_gt(recv(fd, buf, sizeof(buf), 0), 0);  /* an ERROR frame */
    close(fd);

    /* ...and the service lives on. */
    req.type = SECSOCK_MSG_STATUS;
    req.u.status.sections = SECSOCK_STATUS_BACKENDS;
    ck_assert_int_eq(call(&req, &reply), 0);
}
END_TEST

static int recv_frame(int fd, struct secsock_msg *msg);

START_TEST(connect_verdicts)
{
    char why[512];
    int fd;
    struct secsock_msg req, reply;

    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_CONNECT;
    req.u.connect.socktype = SECSOCK_SOCK_STREAM;
    req.u.connect.peer.family = SECSOCK_AF_INET;
    req.u.connect.peer.port = 80;
    req.u.connect.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
    /* No peer listens there: TLS is attempted (PENDING, nothing sent in
     * clear), and the connect is refused. */
    ck_assert_int_eq(secsock_client_connect(dir, &fd, why, sizeof(why)), 0);
    ck_assert_int_eq(secsock_client_call(fd, &req, &reply, why, sizeof(why)), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_CONNECT_VERDICT);
    ck_assert_int_eq(reply.u.connect_verdict.verdict, SECSOCK_VERDICT_PENDING);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.u.connect_verdict.verdict, SECSOCK_VERDICT_REFUSE);
    ck_assert_int_eq(reply.u.connect_verdict.wsa_error, SECSOCK_WSAECONNREFUSED);
    close(fd);
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
    req.u.listen.listen_addr.family = SECSOCK_AF_INET;
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
    uint8_t secret[SECSOCK_SECRET_LEN];
    char why[256];
    pid_t pid;
    int status;

    ck_assert_int_eq(secsock_client_read_control(dir, &info, why, sizeof(why)), 0);
    read_secret(secret);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (!pid)
    {
        struct secsock_msg reply;
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
        /* Admitted: exit 0 (a failure of the test); turned away: exit 1. */
        _exit(secsock_client_handshake(fd, secret, &reply, why, sizeof(why)) ? 1 : 0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "another uid was admitted (status %d)", status);
}
END_TEST

/* ---- the handshake (secsock/auth.h), frame by frame ------------------- */

static void send_frame(int fd, const struct secsock_msg *msg)
{
    uint8_t buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    int n = secsock_msg_encode(msg, buf, sizeof(buf));

    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(send(fd, buf, (size_t)n, MSG_NOSIGNAL), n);
}

/* Reads one frame; returns its decoding status, or 1 when the service
 * closed the connection before a whole frame. */
static int recv_frame(int fd, struct secsock_msg *msg)
{
    uint8_t buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    size_t got = 0, want = SECSOCK_HEADER_LEN;
    uint16_t type;
    uint32_t len = 0;
    int status;

    while (got < want)
    {
        ssize_t n = recv(fd, buf + got, want - got, 0);
        if (n <= 0) return 1;
        got += (size_t)n;
        if (got == SECSOCK_HEADER_LEN && want == SECSOCK_HEADER_LEN)
        {
            if ((status = secsock_frame_header(buf, got, &type, &len))) return status;
            want += len;
        }
    }
    return secsock_msg_decode(type, buf + SECSOCK_HEADER_LEN, len, msg);
}

static int closed_by_peer(int fd)
{
    char c;
    return recv(fd, &c, 1, 0) <= 0;
}

static struct secsock_msg hello_msg(const uint8_t *nonce)
{
    struct secsock_msg m;

    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_HELLO;
    memcpy(m.u.hello.client_nonce, nonce, SECSOCK_NONCE_LEN);
    m.u.hello.pid = (uint32_t)getpid();
    m.u.hello.proto_version = SECSOCK_PROTO_VERSION;
    return m;
}

static int log_has(const char *text)
{
    char path[300], buf[1 << 16];
    size_t n;
    FILE *f;

    usleep(200000);  /* the service writes its line after it replied */
    snprintf(path, sizeof(path), "%s/secsockd.log", dir);
    if (!(f = fopen(path, "r"))) return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, text) != NULL;
}

START_TEST(handshake_good)
{
    uint8_t secret[SECSOCK_SECRET_LEN], cn[SECSOCK_NONCE_LEN], expected[SECSOCK_PROOF_LEN];
    struct secsock_msg m, reply;
    char why[256];
    int fd;

    read_secret(secret);
    /* By hand: the service proves itself over our nonce and its own. */
    memset(cn, 0x42, sizeof(cn));
    fd = connect_raw();
    m = hello_msg(cn);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_CHALLENGE);
    secsock_auth_service_proof(secret, cn, reply.u.challenge.server_nonce, expected);
    ck_assert_mem_eq(expected, reply.u.challenge.service_proof, sizeof(expected));
    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_PROOF;
    secsock_auth_client_proof(secret, cn, reply.u.challenge.server_nonce, m.u.proof.client_proof);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_HELLO_OK);
    /* Without IPsec, no backend needs the local end of a connect. */
    ck_assert_int_eq(reply.u.hello_ok.needs, 0);
    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_STATUS;
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_STATUS_REPLY);
    close(fd);
    /* And through the library, as secsockctl does. */
    fd = connect_raw();
    ck_assert_int_eq(secsock_client_handshake(fd, secret, &reply, why, sizeof(why)), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_HELLO_OK);
    close(fd);
}
END_TEST

START_TEST(handshake_wrong_secret)
{
    uint8_t secret[SECSOCK_SECRET_LEN], wrong[SECSOCK_SECRET_LEN], cn[SECSOCK_NONCE_LEN];
    struct secsock_msg m, reply;
    char why[256];
    int fd;

    read_secret(secret);
    memcpy(wrong, secret, sizeof(wrong));
    wrong[31] ^= 1;
    /* The client's secret is not the service's: the service's proof does
     * not match, and the client stops before PROOF (seen from the client,
     * this is also a service with the wrong secret). */
    fd = connect_raw();
    ck_assert_int_eq(secsock_client_handshake(fd, wrong, &reply, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "did not prove"));
    close(fd);
    /* A client that sends a PROOF made with the wrong secret anyway. */
    memset(cn, 7, sizeof(cn));
    fd = connect_raw();
    m = hello_msg(cn);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_CHALLENGE);
    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_PROOF;
    secsock_auth_client_proof(wrong, cn, reply.u.challenge.server_nonce, m.u.proof.client_proof);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    ck_assert_int_eq(reply.u.error.wsa_error, SECSOCK_WSAEACCES);
    ck_assert(closed_by_peer(fd));
    close(fd);
    ck_assert(log_has("rejected: wrong proof of the secret"));
    /* The service's proof as the client's (a reflection): refused too. */
    fd = connect_raw();
    m = hello_msg(cn);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_PROOF;
    memcpy(m.u.proof.client_proof, reply.u.challenge.service_proof, SECSOCK_PROOF_LEN);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    close(fd);
}
END_TEST

START_TEST(handshake_replayed_proof)
{
    uint8_t secret[SECSOCK_SECRET_LEN], cn[SECSOCK_NONCE_LEN], first_nonce[SECSOCK_NONCE_LEN];
    struct secsock_msg m, reply, recorded;
    int fd;

    read_secret(secret);
    memset(cn, 0x99, sizeof(cn));
    /* An earlier connection, recorded. */
    fd = connect_raw();
    m = hello_msg(cn);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    memcpy(first_nonce, reply.u.challenge.server_nonce, sizeof(first_nonce));
    memset(&recorded, 0, sizeof(recorded));
    recorded.type = SECSOCK_MSG_PROOF;
    secsock_auth_client_proof(secret, cn, first_nonce, recorded.u.proof.client_proof);
    send_frame(fd, &recorded);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_HELLO_OK);
    close(fd);
    /* The same HELLO and the recorded PROOF on a new connection: the
     * service's nonce is new, so the PROOF is worthless. */
    fd = connect_raw();
    m = hello_msg(cn);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_CHALLENGE);
    ck_assert(memcmp(first_nonce, reply.u.challenge.server_nonce, sizeof(first_nonce)));
    send_frame(fd, &recorded);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    ck_assert_int_eq(reply.u.error.wsa_error, SECSOCK_WSAEACCES);
    ck_assert(closed_by_peer(fd));
    close(fd);
    /* A PROOF sent twice on one connection: the second is not taken as a
     * request. */
    fd = connect_raw();
    m = hello_msg(cn);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_PROOF;
    secsock_auth_client_proof(secret, cn, reply.u.challenge.server_nonce, m.u.proof.client_proof);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_HELLO_OK);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    close(fd);
}
END_TEST

START_TEST(handshake_bad_frames)
{
    uint8_t cn[SECSOCK_NONCE_LEN], buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    struct secsock_msg m, reply;
    int fd, n;

    memset(cn, 1, sizeof(cn));
    /* PROOF without HELLO. */
    fd = connect_raw();
    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_PROOF;
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    ck_assert(closed_by_peer(fd));
    close(fd);
    /* A HELLO cut short inside its fields (the header says 20 bytes). */
    m = hello_msg(cn);
    n = secsock_msg_encode(&m, buf, sizeof(buf));
    buf[8] = 20; buf[9] = 0; buf[10] = 0; buf[11] = 0;
    fd = connect_raw();
    ck_assert_int_eq(send(fd, buf, SECSOCK_HEADER_LEN + 20, 0), SECSOCK_HEADER_LEN + 20);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    close(fd);
    /* A HELLO with bytes after its last field. */
    m = hello_msg(cn);
    n = secsock_msg_encode(&m, buf, sizeof(buf));
    buf[8] = (uint8_t)(n - SECSOCK_HEADER_LEN + 3);
    buf[n] = buf[n + 1] = buf[n + 2] = 0;
    fd = connect_raw();
    ck_assert_int_eq(send(fd, buf, (size_t)n + 3, 0), n + 3);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    close(fd);
    /* A HELLO whose frame ends early, then the client goes: no CHALLENGE. */
    m = hello_msg(cn);
    n = secsock_msg_encode(&m, buf, sizeof(buf));
    fd = connect_raw();
    ck_assert_int_eq(send(fd, buf, (size_t)n - 5, 0), n - 5);
    shutdown(fd, SHUT_WR);
    ck_assert_int_eq(recv_frame(fd, &reply), 1);
    close(fd);
    /* After CHALLENGE, a request instead of PROOF. */
    fd = connect_raw();
    m = hello_msg(cn);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_CHALLENGE);
    memset(&m, 0, sizeof(m));
    m.type = SECSOCK_MSG_STATUS;
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    ck_assert(closed_by_peer(fd));
    close(fd);
    /* After CHALLENGE, garbage. */
    fd = connect_raw();
    m = hello_msg(cn);
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    memset(buf, 0x41, 64);
    ck_assert_int_eq(send(fd, buf, 64, 0), 64);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    close(fd);
}
END_TEST

START_TEST(handshake_version_mismatch)
{
    uint8_t cn[SECSOCK_NONCE_LEN], buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
    uint8_t secret[SECSOCK_SECRET_LEN];
    struct secsock_msg m, reply;
    char why[256];
    int fd, n, sv[2];
    pid_t pid;

    memset(cn, 3, sizeof(cn));
    /* A version 2 client: the whole frame is refused, and the log says
     * which versions met. */
    m = hello_msg(cn);
    n = secsock_msg_encode(&m, buf, sizeof(buf));
    buf[4] = 2;
    fd = connect_raw();
    ck_assert_int_eq(send(fd, buf, (size_t)n, 0), n);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    ck_assert_str_eq(reply.u.error.reason, "unsupported control protocol version");
    ck_assert(closed_by_peer(fd));
    close(fd);
    ck_assert(log_has("the client speaks control protocol version 2, this service 4"));
    /* A version 4 frame whose HELLO says another version. */
    m = hello_msg(cn);
    m.u.hello.proto_version = 5;
    fd = connect_raw();
    send_frame(fd, &m);
    ck_assert_int_eq(recv_frame(fd, &reply), 0);
    ck_assert_int_eq(reply.type, SECSOCK_MSG_ERROR);
    close(fd);
    ck_assert(log_has("speaks control protocol version 5, this service 4"));
    /* A service of version 5: the client names both versions and stops. */
    read_secret(secret);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (!pid)
    {
        struct secsock_msg challenge;
        close(sv[0]);
        if (recv_frame(sv[1], &m)) _exit(1);
        memset(&challenge, 0, sizeof(challenge));
        challenge.type = SECSOCK_MSG_CHALLENGE;
        n = secsock_msg_encode(&challenge, buf, sizeof(buf));
        buf[4] = 5;
        if (send(sv[1], buf, (size_t)n, 0) != n) _exit(1);
        /* Anything after that would be the client misparsing (a reset
         * is fine: the client closes with our payload unread). */
        _exit(recv(sv[1], buf, 1, 0) <= 0 ? 0 : 1);
    }
    close(sv[1]);
    ck_assert_int_eq(secsock_client_handshake(sv[0], secret, &reply, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "the service speaks control protocol version 5; this client speaks 4");
    close(sv[0]);
    ck_assert_int_eq(waitpid(pid, &n, 0), pid);
    ck_assert_msg(WIFEXITED(n) && WEXITSTATUS(n) == 0, "the fake service saw more (status %#x)", n);
}
END_TEST

/* The secret's file: made 0600 in the 0700 config directory, read the same
 * way by the client library, which refuses it once it is open to others. */
START_TEST(secret_file_private)
{
    uint8_t secret[SECSOCK_SECRET_LEN];
    char path[300], why[512];
    struct stat st;

    snprintf(path, sizeof(path), "%s/config", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/config/control-secret", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    chmod(path, 0640);
    snprintf(path, sizeof(path), "%s/config", dir);
    ck_assert_int_eq(secsock_client_read_secret(path, secret, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "open to other users"));
    snprintf(path, sizeof(path), "%s/config/control-secret", dir);
    chmod(path, 0600);
    snprintf(path, sizeof(path), "%s/config", dir);
    ck_assert_int_eq(secsock_client_read_secret(path, secret, why, sizeof(why)), 0);
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
    tcase_add_test(tc, handshake_good);
    tcase_add_test(tc, handshake_wrong_secret);
    tcase_add_test(tc, handshake_replayed_proof);
    tcase_add_test(tc, handshake_bad_frames);
    tcase_add_test(tc, handshake_version_mismatch);
    tcase_add_test(tc, secret_file_private);
    if (!geteuid()) tcase_add_test(tc, other_user_rejected);
    else fprintf(stderr, "service: other_user_rejected needs root to switch users; not run\n");
    suite_add_tcase(s, tc);
    return s;
}
