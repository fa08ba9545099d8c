/* The control file, the policy, /proc/net/tcp and user.reg parsers (the peers' files: test_peers.c). */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "secsock/runtime.h"
#include "secsock/settings.h"
#include "secsock/wsaerr.h"
#include "../../server/policy.h"
#include "../../server/peer_uid.h"
#include "../../server/sock_diag.h"
#include "../../programs/secsockctl/prefix.h"
#include "unit.h"

START_TEST(control_file)
{
    struct secsock_control_info info, back;
    char text[SECSOCK_CONTROL_MAX], bad[SECSOCK_CONTROL_MAX];
    int n;

    memset(&info, 0, sizeof(info));
    info.port = 40000;
    info.pid = 1234;
    n = secsock_control_format(&info, text, sizeof(text));
    ck_assert_int_gt(n, 0);
    ck_assert_str_eq(text, "secsock-control 2\nport 40000\npid 1234\n");
    ck_assert_int_eq(secsock_control_parse(text, (size_t)n, &back), 0);
    ck_assert_int_eq(back.port, 40000);
    ck_assert_int_eq(back.pid, 1234);
    ck_assert_int_eq(secsock_control_format(&info, bad, 20), -1);
    /* Every truncation is refused. */
    for (int cut = 0; cut < n; cut++) ck_assert_int_eq(secsock_control_parse(text, (size_t)cut, &back), -1);
    /* Every single-byte corruption of a syntactic byte is refused. */
    memcpy(bad, text, (size_t)n + 1);
    bad[0] = 'S';
    ck_assert_int_eq(secsock_control_parse(bad, (size_t)n, &back), -1);
    memcpy(bad, text, (size_t)n + 1);
    strcpy(strstr(bad, "port ") + 5, "0\npid 1234\n");  /* port 0 */
    ck_assert_int_eq(secsock_control_parse(bad, strlen(bad), &back), -1);
    ck_assert_int_eq(secsock_control_parse("secsock-control 2\nport 70000\npid 1\n", 36, &back), -1);
    memcpy(bad, text, (size_t)n + 1);
    *strstr(bad, "pid ") = 'P';
    ck_assert_int_eq(secsock_control_parse(bad, (size_t)n, &back), -1);
    memcpy(bad, text, (size_t)n + 1);
    bad[n] = 'x';
    ck_assert_int_eq(secsock_control_parse(bad, (size_t)n + 1, &back), -1);
    /* A version 1 control file (with its secret line) is not ours any more. */
    strcpy(bad, "secsock-control 1\nport 40000\nsecret 0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f\n"
                "pid 1234\n");
    ck_assert_int_eq(secsock_control_parse(bad, strlen(bad), &back), -1);
}
END_TEST

START_TEST(secret_file)
{
    uint8_t secret[SECSOCK_SECRET_LEN], back[SECSOCK_SECRET_LEN];
    char text[SECSOCK_SECRET_MAX], bad[SECSOCK_SECRET_MAX];
    int n;

    for (int i = 0; i < SECSOCK_SECRET_LEN; i++) secret[i] = (uint8_t)(i * 7 + 1);
    n = secsock_secret_format(secret, text, sizeof(text));
    ck_assert_int_eq(n, 17 + 65);
    ck_assert_int_eq(strncmp(text, "secsock-secret 1\n01080f", 23), 0);
    ck_assert_int_eq(secsock_secret_parse(text, (size_t)n, back), 0);
    ck_assert_mem_eq(back, secret, SECSOCK_SECRET_LEN);
    ck_assert_int_eq(secsock_secret_format(secret, bad, (size_t)n), -1);
    for (int cut = 0; cut < n; cut++) ck_assert_int_eq(secsock_secret_parse(text, (size_t)cut, back), -1);
    for (int i = 0; i < n; i++)
    {
        memcpy(bad, text, (size_t)n);
        bad[i] = 'G';  /* neither a hex digit nor the header's, nor a newline */
        ck_assert_int_eq(secsock_secret_parse(bad, (size_t)n, back), -1);
    }
    memcpy(bad, text, (size_t)n);
    bad[n] = '\n';
    ck_assert_int_eq(secsock_secret_parse(bad, (size_t)n + 1, back), -1);
    memcpy(bad, text, (size_t)n);
    bad[17] = 'A';  /* upper case is not the format */
    ck_assert_int_eq(secsock_secret_parse(bad, (size_t)n, back), -1);
}
END_TEST

/* A peer as the peer model hands it out: PEER_TLS, a pin; PEER_IPSEC, a
 * pre-shared key. */
enum { PEER_TLS = 1, PEER_IPSEC = 2 };

static const struct peer *peer_with(unsigned int what)
{
    static const uint8_t psk[] = "key";
    static struct peer peer;

    memset(&peer, 0, sizeof(peer));
    if (what & PEER_TLS)
    {
        peer.auth = PEER_AUTH_PINS;
        peer.pin_count = 1;
    }
    if (what & PEER_IPSEC)
    {
        peer.psk = psk;
        peer.psk_len = 3;
    }
    return &peer;
}

START_TEST(policy_none)
{
    struct secsock_msg_connect c;
    struct secsock_msg_bind b;
    struct policy_decision d;

    memset(&c, 0, sizeof(c));
    memset(&b, 0, sizeof(b));
    for (uint32_t protocol = 0; protocol < 3; protocol++)
    {
        c.protocol = b.protocol = protocol;
        c.flags = b.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
        d = policy_connect(&c, SECSOCK_BACKEND_NONE, peer_with(0));
        ck_assert_int_eq(d.verdict, SECSOCK_VERDICT_REFUSE);
        ck_assert_int_eq(d.wsa_error, SECSOCK_WSAECONNREFUSED);
        ck_assert_int_eq(policy_bind(&b, SECSOCK_BACKEND_NONE).verdict, SECSOCK_VERDICT_RESERVED);
        c.flags = b.flags = 0;
        ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE, peer_with(0)).verdict, SECSOCK_VERDICT_REFUSE);
        ck_assert_int_eq(policy_bind(&b, SECSOCK_BACKEND_NONE).verdict, SECSOCK_VERDICT_RESERVED);
        c.flags = b.flags = SECSOCK_FLAG_ALLOW_INSECURE;
        d = policy_connect(&c, SECSOCK_BACKEND_NONE, peer_with(0));
        ck_assert_int_eq(d.verdict, SECSOCK_VERDICT_DIRECT);
        ck_assert_int_eq(d.info_flags, 0);
        ck_assert_int_eq(policy_bind(&b, SECSOCK_BACKEND_NONE).verdict, SECSOCK_VERDICT_DIRECT);
    }
    /* IPsec asked for by name: the IPsec backend sets it up when it is
     * there (TCP), never TLS instead, even for a pinned peer. */
    for (uint32_t protocol = 1; protocol < 3; protocol++)
    {
        c.protocol = protocol;
        c.socktype = SECSOCK_SOCK_STREAM;
        c.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
        ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_IPSEC, peer_with(0)).verdict,
                         SECSOCK_VERDICT_PENDING);
        ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS, peer_with(1)).verdict,
                         SECSOCK_VERDICT_REFUSE);
        c.flags = SECSOCK_FLAG_ALLOW_INSECURE;
        ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS, peer_with(1)).verdict,
                         SECSOCK_VERDICT_DIRECT);
        ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_IPSEC, peer_with(1)).verdict,
                         SECSOCK_VERDICT_PENDING);
        c.socktype = SECSOCK_SOCK_DGRAM;   /* datagrams: not yet */
        ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_IPSEC, peer_with(1)).verdict,
                         SECSOCK_VERDICT_DIRECT);
        c.flags = 0;
        ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_IPSEC, peer_with(1)).verdict,
                         SECSOCK_VERDICT_REFUSE);
    }
    /* An IPsec server binds itself and keeps the lease (OWN_ADDRESS) when the
     * backend is there; without it, the none behaviour. */
    b.protocol = SECSOCK_PROTOCOL_IPSEC;
    b.socktype = SECSOCK_SOCK_STREAM;
    b.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
    ck_assert_int_eq(policy_bind(&b, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_IPSEC).verdict, SECSOCK_VERDICT_OWN_ADDRESS);
    ck_assert_int_eq(policy_bind(&b, SECSOCK_BACKEND_NONE).verdict, SECSOCK_VERDICT_RESERVED);
    b.protocol = 0;
    ck_assert_int_eq(policy_bind(&b, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_IPSEC).verdict, SECSOCK_VERDICT_RESERVED);
    /* DEFAULT: a peer configured for IPsec (a pre-shared key) goes to the
     * IPsec backend when it is there; a TLS-trusted peer goes over TLS. */
    c.protocol = 0;
    c.socktype = SECSOCK_SOCK_STREAM;
    c.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_IPSEC, peer_with(PEER_IPSEC)).verdict,
                     SECSOCK_VERDICT_PENDING);
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE, peer_with(PEER_IPSEC)).verdict, SECSOCK_VERDICT_REFUSE);
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_IPSEC | SECSOCK_BACKEND_TLS,
                                    peer_with(PEER_IPSEC | PEER_TLS)).verdict, SECSOCK_VERDICT_RELAY);
    /* A pinned peer goes over TLS when the backend is there, and only then. */
    c.protocol = 0;
    c.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
    c.socktype = SECSOCK_SOCK_STREAM;
    d = policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS, peer_with(1));
    ck_assert_int_eq(d.verdict, SECSOCK_VERDICT_RELAY);
    ck_assert_int_eq(d.info_flags, SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED);
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE, peer_with(1)).verdict, SECSOCK_VERDICT_REFUSE);
    /* Any other peer: TLS is attempted (a trusted CA's certificate for its
     * name, or refused); with ALLOW_INSECURE it goes on in clear. */
    d = policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS, peer_with(0));
    ck_assert_int_eq(d.verdict, SECSOCK_VERDICT_RELAY);
    ck_assert_str_eq(d.label, "tls");
    c.flags = SECSOCK_FLAG_ALLOW_INSECURE;
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS, peer_with(0)).verdict,
                     SECSOCK_VERDICT_DIRECT);
    c.flags = 0;
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS, peer_with(0)).verdict,
                     SECSOCK_VERDICT_RELAY);
    /* Without the TLS backend, nothing can secure it: refused. */
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE, peer_with(0)).verdict, SECSOCK_VERDICT_REFUSE);
    c.flags = SECSOCK_FLAG_GUARANTEE_ENCRYPTION;
    c.socktype = SECSOCK_SOCK_DGRAM;  /* no DTLS yet */
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS, peer_with(1)).verdict, SECSOCK_VERDICT_REFUSE);
    c.flags = SECSOCK_FLAG_ALLOW_INSECURE;
    c.socktype = SECSOCK_SOCK_STREAM;
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS, peer_with(PEER_TLS)).verdict, SECSOCK_VERDICT_RELAY);
    /* IPsec settings beyond the protocol (credentials, policy keys,
     * IpsecFlags) cannot be honoured here: refused, even with
     * ALLOW_INSECURE and a peer TLS could serve. */
    c.demands = SECSOCK_DEMAND_QM_POLICY;
    d = policy_connect(&c, SECSOCK_BACKEND_NONE | SECSOCK_BACKEND_TLS | SECSOCK_BACKEND_IPSEC, peer_with(PEER_TLS));
    ck_assert_int_eq(d.verdict, SECSOCK_VERDICT_REFUSE);
    ck_assert_int_eq(d.wsa_error, SECSOCK_WSAEOPNOTSUPP);
    c.demands = 0;
    c.ipsec_flags = 1;
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE, peer_with(0)).wsa_error, SECSOCK_WSAEOPNOTSUPP);
    c.ipsec_flags = 0;
    c.protocol = b.protocol = 3;
    ck_assert_int_eq(policy_connect(&c, SECSOCK_BACKEND_NONE, peer_with(0)).wsa_error, SECSOCK_WSAEINVAL);
    ck_assert_int_eq(policy_bind(&b, SECSOCK_BACKEND_NONE).verdict, SECSOCK_VERDICT_REFUSE);
}
END_TEST

static const char proc_tcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:9C40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000 100 0 0 10 0\n"
    "   1: 0100007F:A001 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 2 1 0000 20 4 30 10 -1\n"
    "   2: garbage line\n"
    "   3: 0100007F:A002 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  99999999999 0 3\n";

START_TEST(proc_net_tcp)
{
    struct tcp_endpoint local = { { 127, 0, 0, 1 }, 0xa001, 0 }, remote = { { 127, 0, 0, 1 }, 0x9c40, 0 };
    uint32_t uid = 7;

    ck_assert_int_eq(proc_net_tcp_find_uid(proc_tcp, strlen(proc_tcp), &local, &remote, &uid), 0);
    ck_assert_int_eq(uid, 1000);
    local.port = 0xa002;  /* a uid too large for 32 bits: the line is skipped */
    ck_assert_int_eq(proc_net_tcp_find_uid(proc_tcp, strlen(proc_tcp), &local, &remote, &uid), -1);
    local.port = 0xa003;
    ck_assert_int_eq(proc_net_tcp_find_uid(proc_tcp, strlen(proc_tcp), &local, &remote, &uid), -1);
    local.port = 0xa001;
    local.addr[3] = 2;
    ck_assert_int_eq(proc_net_tcp_find_uid(proc_tcp, strlen(proc_tcp), &local, &remote, &uid), -1);
    /* Cut anywhere: never a match on a partial line, never a read past the end. */
    local.addr[3] = 1;
    for (size_t cut = 0; cut < strlen(proc_tcp); cut++)
        proc_net_tcp_find_uid(proc_tcp, cut, &local, &remote, &uid);
    /* A port in use by any socket (the listener 0x9c40, a connection 0xa001). */
    ck_assert_int_eq(proc_net_tcp_port_in_use(proc_tcp, strlen(proc_tcp), 0x9c40), 1);
    ck_assert_int_eq(proc_net_tcp_port_in_use(proc_tcp, strlen(proc_tcp), 0xa001), 1);
    ck_assert_int_eq(proc_net_tcp_port_in_use(proc_tcp, strlen(proc_tcp), 0x1234), 0);
}
END_TEST

/* /proc/net/tcp6: ::1 is four host-order words, the last printed 01000000
 * on a little-endian machine (like this test's text); an IPv4 endpoint
 * never matches an IPv6 line. */
static const char proc_tcp6[] =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:A001 00000000000000000000000001000000:9C40 01 00000000:00000000 00:00000000 00000000  1001        0 2 1\n"
    "   1: 0000000000000000000000000100000:A002 00000000000000000000000001000000:9C40 01 00000000:00000000 00:00000000 00000000  1002        0 2 1\n";

/* The exact lookup: both ends of a real loopback connection are ours;
 * a 4-tuple nobody has is ENOENT; malformed answers are refused. */
START_TEST(sock_diag_lookup)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, b;
    socklen_t len = sizeof(a);
    struct tcp_endpoint local, remote;
    uint32_t uid = 12345;
    uint8_t msg[128];
    int l = socket(AF_INET, SOCK_STREAM, 0), s = socket(AF_INET, SOCK_STREAM, 0), acc;

    ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &len), 0);
    ck_assert_int_eq(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_ge(acc = accept(l, NULL, NULL), 0);
    len = sizeof(b);
    getsockname(s, (struct sockaddr *)&b, &len);
    memset(&local, 0, sizeof(local));
    memset(&remote, 0, sizeof(remote));
    memcpy(local.addr, &b.sin_addr, 4);
    local.port = ntohs(b.sin_port);
    memcpy(remote.addr, &a.sin_addr, 4);
    remote.port = ntohs(a.sin_port);
    ck_assert_int_eq(sock_diag_uid(&local, &remote, &uid), 0);
    ck_assert_uint_eq(uid, geteuid());
    local.port ^= 1;   /* a tuple nobody has */
    ck_assert_int_eq(sock_diag_uid(&local, &remote, &uid), -ENOENT);
    close(acc);
    close(s);
    close(l);
    /* Malformed answers. */
    memset(msg, 0, sizeof(msg));
    ck_assert_int_eq(sock_diag_parse(msg, 8, 1, 2, &uid), -EPROTO);          /* shorter than a header */
    ((struct nlmsghdr *)msg)->nlmsg_len = 200;                                 /* longer than what came */
    ck_assert_int_eq(sock_diag_parse(msg, sizeof(msg), 1, 2, &uid), -EPROTO);
    ((struct nlmsghdr *)msg)->nlmsg_len = NLMSG_LENGTH(4);
    ((struct nlmsghdr *)msg)->nlmsg_type = NLMSG_ERROR;                        /* error without its body */
    ck_assert_int_eq(sock_diag_parse(msg, sizeof(msg), 1, 2, &uid), -EPROTO);
    ((struct nlmsghdr *)msg)->nlmsg_type = SOCK_DIAG_BY_FAMILY;                /* answer without its body */
    ck_assert_int_eq(sock_diag_parse(msg, sizeof(msg), 1, 2, &uid), -EPROTO);
}
END_TEST

START_TEST(proc_net_tcp6)
{
    struct tcp_endpoint local = { { 0 }, 0xa001, 1 }, remote = { { 0 }, 0x9c40, 1 };
    uint32_t uid = 7;

    local.addr[15] = remote.addr[15] = 1;   /* ::1, network order */
    ck_assert_int_eq(proc_net_tcp_find_uid(proc_tcp6, strlen(proc_tcp6), &local, &remote, &uid), 0);
    ck_assert_int_eq(uid, 1001);
    local.port = 0xa002;  /* 31 digits: malformed, skipped */
    ck_assert_int_eq(proc_net_tcp_find_uid(proc_tcp6, strlen(proc_tcp6), &local, &remote, &uid), -1);
    local.port = 0xa001;
    local.v6 = remote.v6 = 0;
    ck_assert_int_eq(proc_net_tcp_find_uid(proc_tcp6, strlen(proc_tcp6), &local, &remote, &uid), -1);
}
END_TEST

START_TEST(user_reg)
{
    static const char reg[] =
        "WINE REGISTRY Version 2\n;; All keys relative to \\\\User\\\\S-1-5-21\n\n"
        "[Software\\\\Wine\\\\DllOverrides] 1700000000\n#time=1\n\"ws2_32\"=\"native,builtin\"\n\"x\"=\"a\\\\b\\\"c\"\n\n"
        "[Software\\\\secsock] 1700000000\n\"ServicePath\"=\"/usr/bin/secsockd\"\n";
    char value[64];

    ck_assert_int_eq(user_reg_value(reg, "Software\\\\Wine\\\\DllOverrides", "ws2_32", value, sizeof(value)), 0);
    ck_assert_str_eq(value, "native,builtin");
    ck_assert_int_eq(user_reg_value(reg, "Software\\\\Wine\\\\DllOverrides", "x", value, sizeof(value)), 0);
    ck_assert_str_eq(value, "a\\b\"c");
    ck_assert_int_eq(user_reg_value(reg, "Software\\\\Wine\\\\DllOverrides", "fwpuclnt", value, sizeof(value)), -1);
    ck_assert_int_eq(user_reg_value(reg, "Software\\\\secsock", "ServicePath", value, sizeof(value)), 0);
    ck_assert_str_eq(value, "/usr/bin/secsockd");
    ck_assert_int_eq(user_reg_value(reg, "Software\\\\secsock", "ServicePath", value, 5), -1);
    ck_assert_int_eq(user_reg_value(reg, "Software\\\\Nothing", "ServicePath", value, sizeof(value)), -1);
}
END_TEST

Suite *runtime_suite(void)
{
    Suite *s = suite_create("runtime");
    TCase *tc = tcase_create("control file");
    tcase_add_test(tc, control_file);
    tcase_add_test(tc, secret_file);
    suite_add_tcase(s, tc);
    return s;
}

Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("none backend");
    tcase_add_test(tc, policy_none);
    suite_add_tcase(s, tc);
    return s;
}

Suite *peer_uid_suite(void)
{
    Suite *s = suite_create("peer_uid");
    TCase *tc = tcase_create("proc net tcp");
    tcase_add_test(tc, proc_net_tcp);
    tcase_add_test(tc, proc_net_tcp6);
    tcase_add_test(tc, sock_diag_lookup);
    suite_add_tcase(s, tc);
    return s;
}

Suite *user_reg_suite(void)
{
    Suite *s = suite_create("user_reg");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, user_reg);
    suite_add_tcase(s, tc);
    return s;
}
