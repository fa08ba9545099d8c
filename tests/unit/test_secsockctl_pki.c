/* secsockctl's PKI commands, run as the user runs them: machine B
 * enrolls with machine A's CA, then each side's trust anchors judge the
 * other's identity. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unix/host_identity.h"
#include "unix/key_pair.h"
#include "unix/peer_name.h"
#include "unix/private_file.h"
#include "unix/trust_anchors.h"
#include "pki_fixture.h"
#include "unit.h"

/* Runs secsockctl ARGS with config dir dir, stdout to out (may be NULL);
 * returns its exit code. */
static int ctl(const char *dir, const char *out, const char *const *args)
{
    const char *top = getenv("top_builddir");
    char exe[4096];
    const char *argv[8] = { exe };
    pid_t pid;
    int status, i;

    snprintf(exe, sizeof(exe), "%s/programs/secsockctl/secsockctl", top && *top ? top : ".");
    for (i = 0; args[i] && i < 6; i++) argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    ck_assert_int_ge(pid = fork(), 0);
    if (!pid)
    {
        int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600), quiet = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(quiet, 2);
        setenv("SECSOCK_CONFIG_DIR", dir, 1);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 127, "cannot run %s", exe);
    return WEXITSTATUS(status);
}

static enum trust_verdict judge(const char *anchors_dir, const char *identity_dir, const char *name)
{
    struct trust_anchors *a;
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_datum_t der;
    struct peer_name n;
    struct trust_check check = { NULL, 1, NULL, 0, &n, 1 };
    enum trust_verdict v;
    char why[512];

    ck_assert_int_eq(peer_name_parse(name, strlen(name), &n, why, sizeof(why)), 0);
    ck_assert_msg(!key_pair_load(identity_dir, HOST_IDENTITY_KEY, HOST_IDENTITY_CERT, &key, &crt, why, sizeof(why)), "%s",
                  why);
    ck_assert_ptr_nonnull(a = trust_anchors_load(anchors_dir, 0, why, sizeof(why)));
    der = fixture_der(crt);
    check.chain = &der;
    v = trust_anchors_verify(a, &check, why, sizeof(why));
    gnutls_free(der.data);
    trust_anchors_free(a);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return v;
}

START_TEST(enroll_with_another_machines_ca)
{
    char top[64], a[128], b[128], ca_crt[128], csr[128], crt[128], why[256];
    static const char *const export_args[] = { "ca", "export", NULL };
    static const char *const request_args[] = { "enroll", "request", NULL };
    const char *sign_args[] = { "ca", "sign", csr, "--days", "30", NULL };
    const char *install_args[] = { "enroll", "install", crt, ca_crt, NULL };
    const char *trust_args[] = { "ca", "trust", crt, NULL };
    static const char *const show_args[] = { "identity", "show", NULL };
    struct host_names names;
    enum host_identity_state state;

    fixture_tmpdir(top, sizeof(top));
    snprintf(a, sizeof(a), "%s/a", top);
    snprintf(b, sizeof(b), "%s/b", top);
    snprintf(ca_crt, sizeof(ca_crt), "%s/a-ca.crt", top);
    snprintf(csr, sizeof(csr), "%s/b.csr", top);
    snprintf(crt, sizeof(crt), "%s/b.crt", top);
    ck_assert_int_eq(ctl(b, NULL, show_args), 1);              /* nothing yet */
    ck_assert_int_eq(ctl(a, ca_crt, export_args), 0);
    ck_assert_int_eq(ctl(b, csr, request_args), 0);
    ck_assert_int_eq(ctl(a, crt, sign_args), 0);
    ck_assert_int_eq(ctl(b, NULL, trust_args), 1);             /* a host's certificate is no CA */
    ck_assert_int_eq(ctl(b, NULL, install_args), 0);
    ck_assert_int_eq(ctl(b, NULL, show_args), 0);
    /* A trusts B: B's identity chains to A's CA and names localhost. */
    ck_assert_int_eq(judge(a, b, "localhost"), TRUST_OK_CHAIN);
    ck_assert_int_eq(judge(a, b, "127.0.0.1"), TRUST_OK_CHAIN);
    ck_assert_int_eq(judge(a, b, "not-this-host.test"), TRUST_NAME_MISMATCH);
    /* B kept no request key, and does not renew what A issued. */
    {
        char path[200];
        snprintf(path, sizeof(path), "%s/enroll.key", b);
        ck_assert_int_ne(access(path, F_OK), 0);
    }
    host_names_init(&names);
    ck_assert_int_eq(host_identity_check(b, &names, time(NULL), &state, why, sizeof(why)), 0);
    ck_assert_int_eq(state, HOST_IDENTITY_IMPORTED);
    /* Installing again with no request pending fails and says what to run. */
    ck_assert_int_eq(ctl(b, NULL, install_args), 1);
    fixture_rmrf(top);
}
END_TEST

START_TEST(import_checks_the_key)
{
    char top[64], dir[128], crt[128], key[128], other[128];
    struct fixture_cert ca = { 0 }, leaf = { 0 }, stranger = { 0 };
    static const char *const names[] = { "dns:imported.test", NULL };
    const char *import_args[] = { "identity", "import", crt, key, NULL };
    const char *wrong_args[] = { "identity", "import", crt, other, NULL };
    char *pem;
    time_t now = time(NULL);

    fixture_tmpdir(top, sizeof(top));
    snprintf(dir, sizeof(dir), "%s/conf", top);
    snprintf(crt, sizeof(crt), "%s/c.pem", top);
    snprintf(key, sizeof(key), "%s/k.pem", top);
    snprintf(other, sizeof(other), "%s/o.pem", top);
    fixture_ca(&ca, "Corp CA");
    fixture_leaf(&ca, names, now - 60, now + 86400, &leaf);
    fixture_leaf(&ca, names, now - 60, now + 86400, &stranger);
    fixture_write(top, "c.pem", pem = fixture_crt_pem(leaf.crt));
    free(pem);
    fixture_write(top, "k.pem", pem = fixture_key_pem(leaf.key));
    free(pem);
    fixture_write(top, "o.pem", pem = fixture_key_pem(stranger.key));
    free(pem);
    ck_assert_int_eq(ctl(dir, NULL, wrong_args), 1);
    ck_assert_int_eq(ctl(dir, NULL, import_args), 0);
    {
        gnutls_x509_privkey_t k;
        gnutls_x509_crt_t c;
        char why[256];
        ck_assert_int_eq(key_pair_load(dir, HOST_IDENTITY_KEY, HOST_IDENTITY_CERT, &k, &c, why, sizeof(why)), 0);
        ck_assert(gnutls_x509_crt_equals(c, leaf.crt));
        gnutls_x509_crt_deinit(c);
        gnutls_x509_privkey_deinit(k);
    }
    fixture_free(&ca); fixture_free(&leaf); fixture_free(&stranger);
    fixture_rmrf(top);
}
END_TEST

Suite *secsockctl_pki_suite(void)
{
    Suite *s = suite_create("secsockctl_pki");
    TCase *tc = tcase_create("commands");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, enroll_with_another_machines_ca);
    tcase_add_test(tc, import_checks_the_key);
    suite_add_tcase(s, tc);
    return s;
}
