/* Talks to a secsockd's control port the way a program (or an intruder)
 * would, for tests/integration/other-user.sh.
 *   ctl_probe PORT garbage               sends bytes that are no frame
 *   ctl_probe PORT hello SECRETHEX       the client's handshake with that secret
 *                                        (64 hex digits): stops unless the
 *                                        service proves it, as every client does
 *   ctl_probe PORT proof SECRETHEX       HELLO, then a PROOF made with that
 *                                        secret whatever the service proved
 *                                        (a client that would guess)
 *   ctl_probe PORT connect SECRETHEX PEERPORT SECONDS
 *       the handshake, then a GUARANTEE_ENCRYPTION CONNECT to 127.0.0.1:PEERPORT;
 *       prints "relay PORT" once the service names its relay port, then
 *       keeps the control connection open for SECONDS.
 * Prints what the service answered.  Exit status: 0 admitted (and for
 * connect: a relay verdict), 1 rejected or closed, 2 usage or connect error. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "secsock/auth.h"
#include "unix/client.h"
#include "secsock/proto.h"

static int connect_port(int port)
{
    struct sockaddr_in sin;
    struct timeval tv = { 5, 0 };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin))) return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static int parse_secret(const char *hex, uint8_t *secret)
{
    if (strlen(hex) != 2 * SECSOCK_SECRET_LEN) return -1;
    for (int i = 0; i < SECSOCK_SECRET_LEN; i++)
        if (sscanf(hex + 2 * i, "%2hhx", &secret[i]) != 1) return -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct secsock_msg req, reply;
    uint8_t secret[SECSOCK_SECRET_LEN];
    char why[512];
    int fd;

    if (argc < 3) return 2;
    if ((fd = connect_port(atoi(argv[1]))) < 0)
    {
        printf("cannot connect to the control port\n");
        return 2;
    }
    if (!strcmp(argv[2], "garbage"))
    {
        char buf[256];
        ssize_t n;
        memset(buf, 'A', 64);
        if (send(fd, buf, 64, MSG_NOSIGNAL) != 64) printf("send failed\n");
        n = recv(fd, buf, sizeof(buf), 0);
        printf("the service answered %zd bytes, then %s\n", n,
               recv(fd, buf, sizeof(buf), 0) <= 0 ? "closed" : "kept the connection");
        return 1;
    }
    if (argc < 4 || parse_secret(argv[3], secret)) return 2;
    if (!strcmp(argv[2], "proof"))
    {
        uint8_t nonce[SECSOCK_NONCE_LEN], expected[SECSOCK_PROOF_LEN];

        memset(&req, 0, sizeof(req));
        req.type = SECSOCK_MSG_HELLO;
        memset(nonce, 0x5c, sizeof(nonce));
        memcpy(req.u.hello.client_nonce, nonce, sizeof(nonce));
        req.u.hello.pid = (uint32_t)getpid();
        req.u.hello.proto_version = SECSOCK_PROTO_VERSION;
        if (secsock_client_call(fd, &req, &reply, why, sizeof(why)) || reply.type != SECSOCK_MSG_CHALLENGE)
        {
            printf("HELLO rejected: %s\n", why);
            return 1;
        }
        secsock_auth_service_proof(secret, nonce, reply.u.challenge.server_nonce, expected);
        printf("the service's proof %s this secret\n",
               memcmp(expected, reply.u.challenge.service_proof, sizeof(expected)) ? "does not match" : "matches");
        memset(&req, 0, sizeof(req));
        req.type = SECSOCK_MSG_PROOF;
        secsock_auth_client_proof(secret, nonce, reply.u.challenge.server_nonce, req.u.proof.client_proof);
        if (secsock_client_call(fd, &req, &reply, why, sizeof(why)) || reply.type != SECSOCK_MSG_HELLO_OK)
        {
            printf("PROOF rejected: %s\n", why);
            return 1;
        }
        printf("PROOF admitted (service pid %u)\n", reply.u.hello_ok.service_pid);
        return 0;
    }
    if (secsock_client_handshake(fd, secret, &reply, why, sizeof(why)))
    {
        printf("handshake failed: %s\n", why);
        return 1;
    }
    printf("HELLO admitted (service pid %u)\n", reply.u.hello_ok.service_pid);
    if (!strcmp(argv[2], "hello")) return 0;
    if (strcmp(argv[2], "connect") || argc < 6) return 2;

    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_CONNECT;
    req.u.connect.flags = 1;  /* GUARANTEE_ENCRYPTION */
    req.u.connect.socktype = SECSOCK_SOCK_STREAM;
    req.u.connect.peer.family = SECSOCK_AF_INET;
    req.u.connect.peer.port = (uint16_t)atoi(argv[4]);
    req.u.connect.peer.addr[0] = 127;
    req.u.connect.peer.addr[3] = 1;
    if (secsock_client_call(fd, &req, &reply, why, sizeof(why)) || reply.type != SECSOCK_MSG_CONNECT_VERDICT)
    {
        printf("CONNECT failed: %s\n", why);
        return 1;
    }
    /* A PENDING verdict is followed by the final one on the same connection. */
    while (reply.u.connect_verdict.verdict == SECSOCK_VERDICT_PENDING)
    {
        uint8_t buf[SECSOCK_HEADER_LEN + SECSOCK_MAX_PAYLOAD];
        uint16_t type;
        uint32_t len;
        ssize_t n = 0, got = 0;

        while (got < SECSOCK_HEADER_LEN && (n = recv(fd, buf + got, SECSOCK_HEADER_LEN - got, 0)) > 0) got += n;
        if (got < SECSOCK_HEADER_LEN || secsock_frame_header(buf, SECSOCK_HEADER_LEN, &type, &len)) return 1;
        got = 0;
        while ((uint32_t)got < len && (n = recv(fd, buf + SECSOCK_HEADER_LEN + got, len - got, 0)) > 0) got += n;
        if ((uint32_t)got < len || secsock_msg_decode(type, buf + SECSOCK_HEADER_LEN, len, &reply)) return 1;
    }
    if (reply.u.connect_verdict.verdict != SECSOCK_VERDICT_RELAY)
    {
        printf("verdict %u, error %u\n", reply.u.connect_verdict.verdict, reply.u.connect_verdict.wsa_error);
        return 1;
    }
    printf("relay %u\n", reply.u.connect_verdict.relay.port);
    fflush(stdout);
    sleep((unsigned)atoi(argv[5]));
    return 0;
}
