/* Target names: host, IP literal and SPN forms; matching against SANs. */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>
#include <time.h>
#include "unix/peer_name.h"
#include "pki_fixture.h"
#include "unit.h"

static void refused(const char *text, size_t len)
{
    struct peer_name n;
    char why[256] = "";
    ck_assert_msg(peer_name_parse(text, len, &n, why, sizeof(why)) == -1, "accepted %s", text);
    ck_assert_msg(why[0], "no reason for %s", text);
}

START_TEST(plain_names)
{
    struct peer_name n = fixture_peer_name("Server.Example.COM.");
    ck_assert_int_eq(n.kind, PEER_NAME_DNS);
    ck_assert_str_eq(n.host, "server.example.com");
    ck_assert_str_eq(n.sni, "server.example.com");
    ck_assert_str_eq(n.service_class, "");
    n = fixture_peer_name("myhost");
    ck_assert_str_eq(n.sni, "myhost");
    /* Plain text that is no RFC 1123 host name: matched, never sent. */
    n = fixture_peer_name("build_box.corp");
    ck_assert_int_eq(n.kind, PEER_NAME_DNS);
    ck_assert_str_eq(n.host, "build_box.corp");
    ck_assert_str_eq(n.sni, "");
    n = fixture_peer_name("b\xc3\xbc" "cher.example");
    ck_assert_str_eq(n.host, "xn--bcher-kva.example");
    ck_assert_str_eq(n.sni, "xn--bcher-kva.example");
}
END_TEST

START_TEST(ip_literals)
{
    static const uint8_t v4[4] = { 192, 0, 2, 7 };
    struct peer_name n = fixture_peer_name("192.0.2.7");
    ck_assert_int_eq(n.kind, PEER_NAME_IP);
    ck_assert_int_eq(n.ip.family, AF_INET);
    ck_assert_mem_eq(n.ip.addr, v4, 4);
    ck_assert_str_eq(n.sni, "");
    n = fixture_peer_name("::1");
    ck_assert_int_eq(n.ip.family, AF_INET6);
    ck_assert_str_eq(n.host, "::1");
    n = fixture_peer_name("[2001:DB8::1]");
    ck_assert_int_eq(n.ip.family, AF_INET6);
    ck_assert_str_eq(n.host, "2001:db8::1");
    ck_assert_str_eq(n.sni, "");
    /* An IPv4-mapped literal is the IPv4 address. */
    n = fixture_peer_name("::ffff:192.0.2.7");
    ck_assert_int_eq(n.ip.family, AF_INET);
    ck_assert_mem_eq(n.ip.addr, v4, 4);
}
END_TEST

START_TEST(spn_forms)
{
    struct peer_name n = fixture_peer_name("host/server.example.com");
    ck_assert_str_eq(n.service_class, "host");
    ck_assert_str_eq(n.host, "server.example.com");
    ck_assert_str_eq(n.sni, "server.example.com");
    ck_assert_uint_eq(n.port, 0);
    ck_assert_str_eq(n.service_name, "");
    n = fixture_peer_name("HTTP/web.example.com:8080");
    ck_assert_str_eq(n.service_class, "HTTP");
    ck_assert_uint_eq(n.port, 8080);
    n = fixture_peer_name("ldap/dc1.example.com:389/example.com");
    ck_assert_str_eq(n.host, "dc1.example.com");
    ck_assert_uint_eq(n.port, 389);
    ck_assert_str_eq(n.service_name, "example.com");
    n = fixture_peer_name("ldap/dc1.example.com/DC=example,DC=com");
    ck_assert_uint_eq(n.port, 0);
    ck_assert_str_eq(n.service_name, "DC=example,DC=com");
    n = fixture_peer_name("MSSQLSvc/[2001:db8::1]:1433");
    ck_assert_int_eq(n.kind, PEER_NAME_IP);
    ck_assert_int_eq(n.ip.family, AF_INET6);
    ck_assert_uint_eq(n.port, 1433);
    ck_assert_str_eq(n.sni, "");
    n = fixture_peer_name("host/::1");
    ck_assert_int_eq(n.ip.family, AF_INET6);
    ck_assert_uint_eq(n.port, 0);
    n = fixture_peer_name("host/10.0.0.1:443");
    ck_assert_int_eq(n.ip.family, AF_INET);
    ck_assert_uint_eq(n.port, 443);
}
END_TEST

START_TEST(bad_names_refused)
{
    static const char *const bad[] = {
        "", "/x", "host/", "host/:80", "host/a:0", "host/a:65536", "host/a:8x", "host/a:", "host/a/",
        "a:80", "a b", "1.2.3", "999.1.1.1", "x\x01y", "[zz]", "[192.0.2.1]", "host/[::1", "host/[::1]x",
        "ho st/a", "cl:ass/a", "a*.example.com", "*.example.com", "host/a:123456",
    };
    char longname[PEER_NAME_TARGET_MAX + 2];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) refused(bad[i], strlen(bad[i]));
    refused("a\0b", 3);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    refused(longname, strlen(longname));
    memset(longname, 'a', 254);
    longname[254] = 0;
    refused(longname, 254);   /* longer than a DNS name can be */
}
END_TEST

START_TEST(rfc1123_host_names)
{
    char label[70];
    ck_assert(peer_name_dns_valid("a-b.c", 5));
    ck_assert(peer_name_dns_valid("1a.com", 6));
    ck_assert(peer_name_dns_valid("x", 1));
    ck_assert(!peer_name_dns_valid("-a.com", 6));
    ck_assert(!peer_name_dns_valid("a-.com", 6));
    ck_assert(!peer_name_dns_valid("a..b", 4));
    ck_assert(!peer_name_dns_valid(".", 1));
    ck_assert(!peer_name_dns_valid("123", 3));
    ck_assert(!peer_name_dns_valid("a_b.c", 5));
    memset(label, 'a', 64);
    ck_assert(peer_name_dns_valid(label, 63));
    ck_assert(!peer_name_dns_valid(label, 64));
}
END_TEST

START_TEST(wildcards)
{
    ck_assert(peer_name_dns_pattern_matches("*.example.com", 13, "a.example.com"));
    ck_assert(peer_name_dns_pattern_matches("*.EXAMPLE.com", 13, "a.example.com"));
    ck_assert(!peer_name_dns_pattern_matches("*.example.com", 13, "example.com"));
    ck_assert(!peer_name_dns_pattern_matches("*.example.com", 13, "a.b.example.com"));
    ck_assert(!peer_name_dns_pattern_matches("w*.example.com", 14, "www.example.com"));
    ck_assert(!peer_name_dns_pattern_matches("*w.example.com", 14, "ww.example.com"));
    ck_assert(!peer_name_dns_pattern_matches("*.com", 5, "example.com"));
    ck_assert(!peer_name_dns_pattern_matches("*.*.example.com", 15, "a.b.example.com"));
    ck_assert(!peer_name_dns_pattern_matches("a.*.example.com", 15, "a.b.example.com"));
    ck_assert(peer_name_dns_pattern_matches("Example.COM.", 12, "example.com"));
    ck_assert(!peer_name_dns_pattern_matches("example.com\0.evil", 17, "example.com"));
    ck_assert(!peer_name_dns_pattern_matches("", 0, "example.com"));
}
END_TEST

START_TEST(certificate_names)
{
    static const char *const sans[] = { "dns:*.svc.test", "dns:Host.Test", "ip:192.0.2.7", "ip:::ffff:198.51.100.1",
                                        "ip:2001:db8::5", "dns:192.0.2.9", NULL };
    static const char *const none[] = { NULL };
    static const uint8_t v4[4] = { 192, 0, 2, 7 }, other[4] = { 192, 0, 2, 8 };
    static const char *const match[] = { "host.test", "HOST.test", "x.svc.test", "host/x.svc.test:99/a",
                                         "192.0.2.7", "::ffff:192.0.2.7", "198.51.100.1", "[2001:db8::5]" };
    static const char *const miss[] = { "svc.test", "a.b.svc.test", "leaf.test", "2001:db8::6", "192.0.2.9",
                                        "198.51.100.2", "other.test" };
    struct fixture_cert ca = { 0 }, leaf = { 0 }, bare = { 0 };
    time_t now = time(NULL);

    fixture_ca(&ca, "Test CA");
    fixture_leaf(&ca, sans, now - 60, now + 3600, &leaf);
    for (size_t i = 0; i < sizeof(match) / sizeof(match[0]); i++)
    {
        struct peer_name n = fixture_peer_name(match[i]);
        ck_assert_msg(peer_name_certificate_matches(leaf.crt, &n), "%s should match", match[i]);
    }
    for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
    {
        struct peer_name n = fixture_peer_name(miss[i]);
        ck_assert_msg(!peer_name_certificate_matches(leaf.crt, &n), "%s should not match", miss[i]);
    }
    ck_assert(peer_name_certificate_names_address(leaf.crt, AF_INET, v4));
    ck_assert(!peer_name_certificate_names_address(leaf.crt, AF_INET, other));
    /* The CN ("leaf.test") is never a name, even without any SAN. */
    fixture_leaf(&ca, none, now - 60, now + 3600, &bare);
    {
        struct peer_name n = fixture_peer_name("leaf.test");
        ck_assert(!peer_name_certificate_matches(bare.crt, &n));
    }
    fixture_free(&leaf);
    fixture_free(&bare);
    fixture_free(&ca);
}
END_TEST

Suite *peer_name_suite(void)
{
    Suite *s = suite_create("peer_name");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, plain_names);
    tcase_add_test(tc, ip_literals);
    tcase_add_test(tc, spn_forms);
    tcase_add_test(tc, bad_names_refused);
    tcase_add_test(tc, rfc1123_host_names);
    tcase_add_test(tc, wildcards);
    tcase_add_test(tc, certificate_names);
    suite_add_tcase(s, tc);
    return s;
}
