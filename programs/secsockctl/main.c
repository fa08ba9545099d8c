/*
 * secsockctl: install secsock into a Wine prefix, take it out again, and
 * start, stop or ask the service.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "pki.h"
#include "prefix.h"
#include "unix/client.h"
#include "unix/peers.h"
#include "unix/tls_relay.h"
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: secsockctl COMMAND\n"
            "  install     put secsock into the Wine prefix $WINEPREFIX (default ~/.wine)\n"
            "  uninstall   take it out again, leaving the prefix as it was\n"
            "  status      whether the service runs, and which backends it has\n"
            "  start       start the service (programs start it on demand too)\n"
            "  stop        stop the service\n"
            "  pin CERT    the pin (SHA-256 of the public key) of a PEM certificate\n"
            "  trust ADDRESS PORT|* PIN|CERT\n"
            "              reach the peer at ADDRESS over TLS, requiring that key\n"
            "  ca export   print this user's CA certificate (PEM), for other machines to trust\n"
            "  ca trust FILE\n"
            "              trust the CA certificate in FILE (another machine's, an enterprise CA)\n"
            "  ca sign CSR [--days N]\n"
            "              issue a certificate for a request with this user's CA (PEM to stdout)\n"
            "  ca list     the CAs trusted, and the CRLs\n"
            "  enroll request\n"
            "              print a certificate request for this host's names (the key stays here)\n"
            "  enroll install CERT CA\n"
            "              install the signed CERT as this host's identity and trust its CA\n"
            "  identity import CERT KEY\n"
            "              use a certificate from any CA (CERT may hold its chain) as the identity\n"
            "  identity show\n"
            "              the identity's names, issuer, dates and pin\n"
            "Environment: WINEPREFIX, SECSOCK_RUNTIME_DIR, SECSOCKD (the service to use),\n"
            "SECSOCK_DLLDIR (folder with x86_64-windows/ and i386-windows/ DLLs).\n");
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Where this program runs from: the build tree, or where make install put it. */
static int build_tree(char *top, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;
    const char *suffix = "/programs/secsockctl";

    if (n <= 0) return 0;
    exe[n] = 0;
    if (!(slash = strrchr(exe, '/'))) return 0;
    *slash = 0;
    n = (ssize_t)strlen(exe);
    if (n < (ssize_t)strlen(suffix) || strcmp(exe + n - strlen(suffix), suffix)) return 0;
    n -= (ssize_t)strlen(suffix);
    if ((size_t)n >= size) return 0;
    memcpy(top, exe, (size_t)n);
    top[n] = 0;
    return 1;
}

static void find_paths(struct install_paths *paths)
{
    char top[1024];
    const char *v;
    int in_tree = build_tree(top, sizeof(top));

    memset(paths, 0, sizeof(*paths));
    if ((v = getenv("WINEPREFIX")) && *v) snprintf(paths->prefix, sizeof(paths->prefix), "%s", v);
    else snprintf(paths->prefix, sizeof(paths->prefix), "%s/.wine", getenv("HOME") ? getenv("HOME") : "");
    if ((v = getenv("SECSOCK_DLLDIR")) && *v) snprintf(paths->dll_dir, sizeof(paths->dll_dir), "%s", v);
    else if (in_tree) snprintf(paths->dll_dir, sizeof(paths->dll_dir), "%s/dlls/installed", top);
    else snprintf(paths->dll_dir, sizeof(paths->dll_dir), "%s", PKGLIBDIR);
    if ((v = getenv("SECSOCKD")) && *v) snprintf(paths->secsockd, sizeof(paths->secsockd), "%s", v);
    else if (in_tree) snprintf(paths->secsockd, sizeof(paths->secsockd), "%s/server/secsockd", top);
    else snprintf(paths->secsockd, sizeof(paths->secsockd), "%s/secsockd", BINDIR);
    snprintf(paths->wine64, sizeof(paths->wine64), "%s", WINE64);
    snprintf(paths->wineserver, sizeof(paths->wineserver), "%s", WINESERVER);
}

static int runtime_dir(char *dir, size_t size)
{
    if (secsock_runtime_dir(dir, size))
    {
        fprintf(stderr, "secsockctl: no runtime directory: set SECSOCK_RUNTIME_DIR, XDG_RUNTIME_DIR or HOME\n");
        return -1;
    }
    return 0;
}

static int cmd_status(void)
{
    struct secsock_msg req, reply;
    char dir[4096], why[512];
    int fd;

    if (runtime_dir(dir, sizeof(dir))) return 1;
    if (secsock_client_connect(dir, &fd, why, sizeof(why)))
    {
        printf("secsockd: not running: %s\n", why);
        printf("It starts on demand when a program secures a socket, or with `secsockctl start`.\n");
        return 3;
    }
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_STATUS;
    req.u.status.sections = SECSOCK_STATUS_BACKENDS;
    if (secsock_client_call(fd, &req, &reply, why, sizeof(why)) || reply.type != SECSOCK_MSG_STATUS_REPLY)
    {
        fprintf(stderr, "secsockctl: status: %s\n", why);
        close(fd);
        return 1;
    }
    close(fd);
    printf("secsockd: running, pid %u, control protocol %u, runtime directory %s\n",
           reply.u.status_reply.service_pid, reply.u.status_reply.proto_version, dir);
    printf("reserved addresses: %u, requests served: %llu\n", reply.u.status_reply.leases,
           (unsigned long long)reply.u.status_reply.requests);
    printf("backends:\n");
    for (char *line = strtok(reply.u.status_reply.report, "\n"); line; line = strtok(NULL, "\n"))
        printf("  %s\n", line);
    /* The TLS backend's identity and the CAs its peers may chain to, as
     * the files the service reads say them. */
    printf("\n");
    pki_show_identity();
    printf("\n");
    pki_list_cas();
    return 0;
}

/* Whether a service answers for this user's runtime directory (dir gets
 * it): 1 yes, 0 no (why says why), -1 no runtime directory. */
static int service_answers(char *dir, size_t size, char *why, size_t why_len)
{
    int fd;

    if (runtime_dir(dir, size)) return -1;
    if (secsock_client_connect(dir, &fd, why, why_len)) return 0;
    close(fd);
    return 1;
}

static int cmd_start(void)
{
    struct install_paths paths;
    char dir[4096], why[512];
    int running = service_answers(dir, sizeof(dir), why, sizeof(why));

    if (running < 0) return 1;
    if (running)
    {
        printf("secsockd: already running\n");
        return 0;
    }
    find_paths(&paths);
    if (secsock_client_start(paths.secsockd, dir, why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: start: %s\n", why);
        return 1;
    }
    printf("secsockd: started\n");
    return 0;
}

static int cmd_stop(void)
{
    struct secsock_control_info info;
    char dir[4096], why[512];
    int running = service_answers(dir, sizeof(dir), why, sizeof(why));

    if (running < 0) return 1;
    /* Signal the pid only once the service behind it has answered. */
    if (!running || secsock_client_read_control(dir, &info, why, sizeof(why)))
    {
        printf("secsockd: not running: %s\n", why);
        return 0;
    }
    if (kill((pid_t)info.pid, SIGTERM))
    {
        fprintf(stderr, "secsockctl: stop: cannot signal pid %u: %s\n", info.pid, strerror(errno));
        return 1;
    }
    for (int i = 0; i < 100; i++)
    {
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        if (kill((pid_t)info.pid, 0) && errno == ESRCH)
        {
            printf("secsockd: stopped\n");
            return 0;
        }
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "secsockctl: stop: pid %u still runs after 5 s\n", info.pid);
    return 1;
}

static int cmd_install(int install)
{
    struct install_paths paths;
    char why[8192];

    find_paths(&paths);
    if (!exists(paths.wine64))
    {
        fprintf(stderr, "secsockctl: Wine's wine64 is not at %s\n", paths.wine64);
        return 1;
    }
    if (install ? prefix_install(&paths, why, sizeof(why)) : prefix_uninstall(&paths, why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: %s: %s\n", install ? "install" : "uninstall", why);
        return 1;
    }
    if (install)
        printf("secsock installed into %s (DLLs from %s, service %s)\n", paths.prefix, paths.dll_dir,
               paths.secsockd);
    else
        printf("secsock removed from %s\n", paths.prefix);
    return 0;
}

/* The pin (SHA-256 of the public key) of a PEM certificate file. */
static int pin_of_file(const char *path, uint8_t pin[TLS_RELAY_PIN_LEN])
{
    gnutls_datum_t pem = { NULL, 0 }, der = { NULL, 0 };
    gnutls_x509_crt_t crt = NULL;
    int ret = -1;

    if (gnutls_load_file(path, &pem) || gnutls_x509_crt_init(&crt) ||
        gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) ||
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) || tls_pin_of_certificate(&der, pin))
        goto done;
    ret = 0;
done:
    gnutls_free(pem.data);
    gnutls_free(der.data);
    if (crt) gnutls_x509_crt_deinit(crt);
    return ret;
}

/* A pin given as 64 hex digits. */
static int pin_of_hex(const char *hex, uint8_t pin[TLS_RELAY_PIN_LEN])
{
    unsigned int byte;

    if (strlen(hex) != 2 * TLS_RELAY_PIN_LEN || strspn(hex, "0123456789abcdefABCDEF") != strlen(hex)) return -1;
    for (int i = 0; i < TLS_RELAY_PIN_LEN; i++)
    {
        sscanf(hex + 2 * i, "%2x", &byte);
        pin[i] = (uint8_t)byte;
    }
    return 0;
}

static void print_pin(const uint8_t pin[TLS_RELAY_PIN_LEN])
{
    for (int i = 0; i < TLS_RELAY_PIN_LEN; i++) printf("%02x", pin[i]);
}

static int cmd_pin(const char *path)
{
    uint8_t pin[TLS_RELAY_PIN_LEN];

    if (pin_of_file(path, pin))
    {
        fprintf(stderr, "secsockctl: pin: %s is not a readable PEM certificate\n", path);
        return 1;
    }
    print_pin(pin);
    printf("\n");
    return 0;
}

static int cmd_trust(const char *address, const char *port, const char *key)
{
    char dir[4096], path[4200], why[512];
    uint8_t pin[TLS_RELAY_PIN_LEN];

    if (pin_of_hex(key, pin) && pin_of_file(key, pin))
    {
        fprintf(stderr, "secsockctl: trust: %s is neither a pin nor a PEM certificate\n", key);
        return 1;
    }
    if (secsock_config_dir(dir, sizeof(dir)))
    {
        fprintf(stderr, "secsockctl: trust: no config directory: set SECSOCK_CONFIG_DIR, XDG_CONFIG_HOME or HOME\n");
        return 1;
    }
    if (peers_add_pinned(dir, address, port, pin, path, sizeof(path), why, sizeof(why)))
    {
        fprintf(stderr, "secsockctl: trust: %s %s: %s\n", address, port, why);
        return 1;
    }
    printf("trusted %s port %s with key ", address, port);
    print_pin(pin);
    printf(" (in %s)\n", path);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "pin")) return cmd_pin(argv[2]);
    if (argc == 5 && !strcmp(argv[1], "trust")) return cmd_trust(argv[2], argv[3], argv[4]);
    if (argc >= 2 && !strcmp(argv[1], "ca")) return cmd_ca(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "enroll")) return cmd_enroll(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "identity")) return cmd_identity(argc - 2, argv + 2);
    if (argc != 2)
    {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "install")) return cmd_install(1);
    if (!strcmp(argv[1], "uninstall")) return cmd_install(0);
    if (!strcmp(argv[1], "status")) return cmd_status();
    if (!strcmp(argv[1], "start")) return cmd_start();
    if (!strcmp(argv[1], "stop")) return cmd_stop();
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
    {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
