/* The peer model (libs/unix/peers.c): both files' formats, the lookups,
 * the cache and the writer secsockctl uses. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "unix/peers.h"
#include "unit.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/secsock-peers-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *text)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A store that has read the text as its peers file. */
static struct peers *peers_of(const char *text, int *status, char *why, size_t why_len)
{
    struct peers *peers;

    write_file(PEERS_FILE, text);
    ck_assert_ptr_nonnull(peers = peers_new(dir));
    *status = peers_refresh(peers, why, why_len);
    return peers;
}

/* The pin a connect to addr would require, or NULL. */
static const uint8_t *pin_for(const struct peers *peers, const struct secsock_addr *addr, struct peer *p)
{
    peers_lookup(peers, addr, p);
    return p->auth == PEER_AUTH_PINS ? p->pins[0] : NULL;
}

START_TEST(trust_list)
{
    static const char good[] =
        "# peers that speak secsock's TLS\n"
        "peer 127.0.0.1 443 abababababababababababababababababababababababababababababababab\n"
        "\n"
        "  peer ::1 *  0101010101010101010101010101010101010101010101010101010101010101  # any port\r\n";
    struct secsock_addr v4 = { SECSOCK_AF_INET, 443, 0, { 127, 0, 0, 1 } }, v6 = { SECSOCK_AF_INET6, 9, 0, { 0 } };
    const uint8_t *pin;
    struct peers *peers;
    struct peer p;
    char why[256];
    int status;

    make_dir();
    v6.addr[15] = 1;
    peers = peers_of(good, &status, why, sizeof(why));
    ck_assert_int_eq(status, 0);
    ck_assert_uint_eq(peers_pinned_count(peers), 2);
    ck_assert_ptr_nonnull(pin = pin_for(peers, &v4, &p));
    ck_assert_int_eq(pin[0], 0xab);
    v4.port = 444;
    ck_assert_ptr_null(pin_for(peers, &v4, &p));   /* another port */
    ck_assert_ptr_nonnull(pin = pin_for(peers, &v6, &p));
    ck_assert_int_eq(pin[31], 0x01);
    v6.addr[15] = 2;
    ck_assert_ptr_null(pin_for(peers, &v6, &p));
    peers_free(peers);
    /* A peer's own port wins over '*', in either order. */
    {
        static const char both[] =
            "peer 10.0.0.1 * 0101010101010101010101010101010101010101010101010101010101010101\n"
            "peer 10.0.0.1 4433 0202020202020202020202020202020202020202020202020202020202020202\n"
            "peer 10.0.0.2 4433 0303030303030303030303030303030303030303030303030303030303030303\n"
            "peer 10.0.0.2 * 0404040404040404040404040404040404040404040404040404040404040404\n";
        struct secsock_addr a = { SECSOCK_AF_INET, 4433, 0, { 10, 0, 0, 1 } };
        peers = peers_of(both, &status, why, sizeof(why));
        ck_assert_int_eq(status, 0);
        ck_assert_int_eq(pin_for(peers, &a, &p)[0], 0x02);
        a.port = 80;
        ck_assert_int_eq(pin_for(peers, &a, &p)[0], 0x01);
        a.addr[3] = 2;
        ck_assert_int_eq(pin_for(peers, &a, &p)[0], 0x04);
        a.port = 4433;
        ck_assert_int_eq(pin_for(peers, &a, &p)[0], 0x03);
        /* A client's port is its own: every pin of its address. */
        ck_assert_int_eq(peers_lookup_client(peers, &a, &p), 1);
        ck_assert_uint_eq(p.pin_count, 2);
        ck_assert_int_eq(p.pins[0][0], 0x03);
        ck_assert_int_eq(p.pins[1][0], 0x04);
        a.addr[3] = 3;
        ck_assert_int_eq(peers_lookup_client(peers, &a, &p), 0);
        peers_free(peers);
    }
    /* Each bad line is named, and nothing of the file is used. */
    peers = peers_of("peer 1.2.3 443 ab\n", &status, why, sizeof(why));
    ck_assert_int_eq(status, -1);
    ck_assert_ptr_nonnull(strstr(why, "line 1"));
    ck_assert_uint_eq(peers_pinned_count(peers), 0);
    peers_free(peers);
    peers = peers_of("peer 127.0.0.1 443 abababababababababababababababababababababababababababababababab\n"
                     "peer 127.0.0.1 0 ab\n", &status, why, sizeof(why));
    ck_assert_int_eq(status, -1);
    ck_assert_ptr_nonnull(strstr(why, "line 2"));
    ck_assert_uint_eq(peers_pinned_count(peers), 0);
    ck_assert_ptr_null(pin_for(peers, &v4, &p));
    peers_free(peers);
    {
        static const char *const bad[] = {
            "peer 127.0.0.1 443 abab\n", "host 127.0.0.1 443\n", "peer 127.0.0.1 +443 " "ab" "\n",
            "peer 127.0.0.1 * abababababababababababababababababababababababababababababababab x\n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        {
            peers = peers_of(bad[i], &status, why, sizeof(why));
            ck_assert_int_eq(status, -1);
            peers_free(peers);
        }
        ck_assert_ptr_nonnull(strstr(why, "trailing"));
    }
    remove_dir();
}
END_TEST

struct owners {
    char text[256];
};

static int collect_owner(void *ctx, const char *owner, const uint8_t *secret, size_t len)
{
    struct owners *o = ctx;

    ck_assert_uint_gt(len, 0);
    ck_assert_ptr_nonnull(secret);
    strcat(o->text, owner);
    strcat(o->text, ",");
    return 0;
}

START_TEST(psk_file)
{
    static const char text[] =
        "psk 10.77.0.2 secsock-ipsec-test-key\n"
        "# not a key\n"
        "psk 10.77.0.2 a second key for the same address\n"
        "psk ::1 key with spaces\r\n"
        "psk 192.0.2.1 \n"
        "  psk 192.0.2.2 indented: not a key line\n"
        "psk %any a key for charon's wildcard\n";
    struct secsock_addr a = { SECSOCK_AF_INET, 80, 0, { 10, 77, 0, 2 } }, v6 = { SECSOCK_AF_INET6, 80, 0, { 0 } },
                        mapped = { SECSOCK_AF_INET6, 80, 0, { 0 } };
    struct peers *peers;
    struct peer p;
    char why[256];
    struct owners owners = { "" };

    make_dir();
    write_file(PEERS_PSK_FILE, text);
    ck_assert_ptr_nonnull(peers = peers_new(dir));
    ck_assert_int_eq(peers_refresh(peers, why, sizeof(why)), 0);   /* no peers file: an empty list */
    ck_assert_int_eq(peers_lookup(peers, &a, &p), 1);
    ck_assert_int_eq(p.auth, PEER_AUTH_NONE);
    ck_assert_uint_eq(p.psk_len, strlen("secsock-ipsec-test-key"));   /* the first line wins */
    ck_assert_mem_eq(p.psk, "secsock-ipsec-test-key", p.psk_len);
    v6.addr[15] = 1;
    ck_assert_int_eq(peers_lookup(peers, &v6, &p), 1);
    ck_assert_mem_eq(p.psk, "key with spaces", p.psk_len);
    ck_assert_uint_eq(p.psk_len, strlen("key with spaces"));
    /* ::ffff:10.77.0.2 is 10.77.0.2. */
    mapped.addr[10] = mapped.addr[11] = 0xff;
    memcpy(mapped.addr + 12, a.addr, 4);
    ck_assert_int_eq(peers_lookup(peers, &mapped, &p), 1);
    ck_assert_ptr_nonnull(p.psk);
    a.addr[3] = 3;
    ck_assert_int_eq(peers_lookup(peers, &a, &p), 0);
    ck_assert_ptr_null(p.psk);
    memcpy(a.addr, (uint8_t[]){ 192, 0, 2, 1 }, 4);   /* an empty secret is no key */
    ck_assert_int_eq(peers_lookup(peers, &a, &p), 0);
    /* A responder takes every key line, in order, whatever its address;
     * a key charon refuses is not counted. */
    ck_assert_uint_eq(peers_each_psk(peers, collect_owner, &owners), 4);
    ck_assert_str_eq(owners.text, "10.77.0.2,10.77.0.2,::1,%any,");
    peers_free(peers);
    remove_dir();
}
END_TEST

/* Read again only when a file changed (its inode, size or times), and
 * then at once: a changed list needs no restart. */
START_TEST(cache_by_stamp)
{
    static const char one[] = "peer 10.0.0.1 * 0101010101010101010101010101010101010101010101010101010101010101\n";
    static const char two[] = "peer 10.0.0.1 * 0202020202020202020202020202020202020202020202020202020202020202\n";
    struct secsock_addr a = { SECSOCK_AF_INET, 443, 0, { 10, 0, 0, 1 } };
    struct timespec times[2];
    struct peers *peers;
    struct peer p;
    char why[256], path[128];
    uint64_t generation;
    int status;

    make_dir();
    snprintf(path, sizeof(path), "%s/" PEERS_FILE, dir);
    peers = peers_of(one, &status, why, sizeof(why));
    ck_assert_int_eq(status, 0);
    ck_assert_int_eq(pin_for(peers, &a, &p)[0], 0x01);
    generation = peers_generation(peers);
    ck_assert_int_eq(peers_refresh(peers, why, sizeof(why)), 0);
    ck_assert_uint_eq(peers_generation(peers), generation);   /* unchanged: not read again */
    /* Rewritten in place with the same size and its mtime put back: its
     * ctime still tells. */
    {
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        times[0] = st.st_atim;
        times[1] = st.st_mtim;
    }
    write_file(PEERS_FILE, two);
    ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
    ck_assert_int_eq(peers_refresh(peers, why, sizeof(why)), 0);
    ck_assert_uint_ne(peers_generation(peers), generation);
    ck_assert_int_eq(pin_for(peers, &a, &p)[0], 0x02);
    /* A file replaced by another (sed -i, mv): read again. */
    generation = peers_generation(peers);
    write_file("peers.new", one);
    {
        char from[128];
        snprintf(from, sizeof(from), "%s/peers.new", dir);
        ck_assert_int_eq(rename(from, path), 0);
    }
    ck_assert_int_eq(peers_refresh(peers, why, sizeof(why)), 0);
    ck_assert_uint_ne(peers_generation(peers), generation);
    ck_assert_int_eq(pin_for(peers, &a, &p)[0], 0x01);
    /* Removed: an empty list; a bad file: empty, and said on every refresh. */
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(peers_refresh(peers, why, sizeof(why)), 0);
    ck_assert_ptr_null(pin_for(peers, &a, &p));
    write_file(PEERS_FILE, "peer 10.0.0.1\n");
    ck_assert_int_eq(peers_refresh(peers, why, sizeof(why)), -1);
    why[0] = 0;
    ck_assert_int_eq(peers_refresh(peers, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "line 1"));
    peers_free(peers);
    remove_dir();
}
END_TEST

/* secsockctl trust writes through the model: the line reads back as it
 * was meant, appended to what is there; a line the service would refuse
 * is never written. */
START_TEST(add_pinned)
{
    struct secsock_addr a = { SECSOCK_AF_INET6, 8443, 0, { 0 } };
    uint8_t pin[PEER_PIN_LEN];
    struct peers *peers;
    struct peer p;
    char why[256], path[256], text[512] = "";
    FILE *f;

    make_dir();
    for (int i = 0; i < PEER_PIN_LEN; i++) pin[i] = (uint8_t)(0xa0 + i);
    ck_assert_int_eq(peers_add_pinned(dir, "::1", "8443", pin, path, sizeof(path), why, sizeof(why)), 0);
    pin[0] = 0x11;
    ck_assert_int_eq(peers_add_pinned(dir, "127.0.0.1", "*", pin, path, sizeof(path), why, sizeof(why)), 0);
    ck_assert_int_eq(peers_add_pinned(dir, "localhost", "*", pin, path, sizeof(path), why, sizeof(why)), -1);
    ck_assert_int_eq(peers_add_pinned(dir, "::1", "0", pin, path, sizeof(path), why, sizeof(why)), -1);
    ck_assert_int_eq(peers_add_pinned(dir, "::1", "1 2", pin, path, sizeof(path), why, sizeof(why)), -1);
    ck_assert_int_eq(peers_add_pinned(dir, "::1#", "1", pin, path, sizeof(path), why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    ck_assert_uint_gt(fread(text, 1, sizeof(text) - 1, f), 0);
    fclose(f);
    ck_assert_str_eq(text,
                     "peer ::1 8443 a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n"
                     "peer 127.0.0.1 * 11a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n");
    ck_assert_ptr_nonnull(peers = peers_new(dir));
    ck_assert_int_eq(peers_refresh(peers, why, sizeof(why)), 0);
    a.addr[15] = 1;
    ck_assert_int_eq(peers_lookup(peers, &a, &p), 1);
    ck_assert_int_eq(p.pins[0][0], 0xa0);
    peers_free(peers);
    remove_dir();
}
END_TEST

Suite *peers_suite(void)
{
    Suite *s = suite_create("peers");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, trust_list);
    tcase_add_test(tc, psk_file);
    tcase_add_test(tc, cache_by_stamp);
    tcase_add_test(tc, add_pinned);
    suite_add_tcase(s, tc);
    return s;
}
