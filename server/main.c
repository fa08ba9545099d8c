/*
 * secsockd: the per-user secsock service.  Programs under Wine reach it
 * over loopback TCP; each side proves it knows the secret of the config
 * directory (secsock/auth.h), and the service decides how each secured
 * socket may go on.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "runtime_dir.h"
#include "unix/client.h"
#include "backend_ipsec.h"
#include "ktls.h"
#include "service.h"
#include "unix/peers.h"
#include "tls_trust.h"

static volatile int stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: secsockd [--foreground | --daemon] [--runtime-dir DIR] [--log-stderr]\n"
            "  --foreground       run in this process (the default)\n"
            "  --daemon           detach; return once the service answers (at once if it runs)\n"
            "  --runtime-dir DIR  instead of $SECSOCK_RUNTIME_DIR, $XDG_RUNTIME_DIR/secsock, ~/.cache/secsock\n"
            "  --log-stderr       log to stderr instead of DIR/" SECSOCK_LOG_FILE "\n"
            "  --version, --help\n"
            "environment: SECSOCK_RELAY_IDLE_TIMEOUT=SECONDS ends relays that carried nothing\n"
            "  for that long (default 0: never; TCP keepalive still finds dead peers)\n");
}

/* Whatever the starting process left open (Wine's descriptors among them)
 * is not ours to hold. */
static void close_inherited(void)
{
    for (int fd = 3; fd < 1024; fd++) close(fd);
}

static int take_lock(const char *dir, int *already_running)
{
    char path[4200];
    int fd;

    *already_running = 0;
    snprintf(path, sizeof(path), "%s/" SECSOCK_LOCK_FILE, dir);
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) return -1;
    if (flock(fd, LOCK_EX | LOCK_NB))
    {
        if (errno == EWOULDBLOCK) *already_running = 1;
        close(fd);
        return -1;
    }
    return fd;
}

/* The config directory holds the control channel's secret, so it must be
 * there, ours and private, or the service does not run at all; the TLS
 * backend keeps its identity and trust list there too. */
static int setup_config_dir(struct service_config *config, char *why, size_t why_len)
{
    if (secsock_config_dir(config->config_dir, sizeof(config->config_dir)))
    {
        snprintf(why, why_len, "no config directory (set SECSOCK_CONFIG_DIR, XDG_CONFIG_HOME or HOME)");
        return -1;
    }
    if (runtime_dir_prepare(config->config_dir, why, why_len) ||
        runtime_dir_load_secret(config->config_dir, config->secret, why, why_len))
        return -1;
    return 0;
}

/* The TLS backend needs our identity in the config directory (made on
 * first start, issued by the local CA); without it it is unavailable, and
 * STATUS says why. */
static void setup_tls(struct service_config *config)
{
    const struct tls_identity *identity;
    char why[4400];
    int n;

    if (!(identity = tls_trust_init(config->config_dir, why, sizeof(why))))
    {
        snprintf(config->tls_status, sizeof(config->tls_status), "not available: %.200s", why);
        log_warn("TLS backend not available: %s", why);
        return;
    }
    config->tls_ready = 1;
    config->backends |= SECSOCK_BACKEND_TLS;
    n = snprintf(config->tls_status, sizeof(config->tls_status), "available: peers whose certificate chains to a "
                 "trusted CA (secsockctl ca list) or whose key is pinned in %s/" PEERS_FILE
                 "; this identity's pin: ", config->config_dir);
    for (int i = 0; i < TLS_RELAY_PIN_LEN && n > 0 && (size_t)n + 3 < sizeof(config->tls_status); i++)
        n += snprintf(config->tls_status + n, sizeof(config->tls_status) - (size_t)n, "%02x", identity->pin[i]);
}

static int read_idle_timeout(unsigned int *seconds)
{
    const char *v = getenv("SECSOCK_RELAY_IDLE_TIMEOUT");
    char *end;
    unsigned long n;

    *seconds = 0;
    if (!v || !*v) return 0;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (errno || *end || n > 7 * 24 * 3600) return -1;
    *seconds = (unsigned int)n;
    return 0;
}

/* Each relayed connection costs the service two descriptors (three while
 * it is set up), so the default soft limit of 1024 would cap it near 400
 * connections: take what the hard limit allows. */
static void raise_descriptor_limit(void)
{
    struct rlimit limit;

    if (!getrlimit(RLIMIT_NOFILE, &limit) && limit.rlim_cur < limit.rlim_max)
    {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/* The peer model, the backends, the control listener and its control
 * file: the listening fd, or -1 (logged). */
static int start_service(struct service_config *config, const char *dir,
                         uint16_t *port)
{
    struct secsock_control_info info;
    int listen_fd;

    if (!(config->peers = peers_new(config->config_dir)))
    {
        log_error("out of memory");
        return -1;
    }
    config->backends = SECSOCK_BACKEND_NONE;
    config->check_peer_uid = 1;
    setup_tls(config);
    ipsec_backend_init(config, dir);
    if ((listen_fd = service_listen(port)) < 0)
    {
        log_error("cannot listen on 127.0.0.1: %s", strerror(errno));
        return -1;
    }
    info.port = *port;
    info.pid = (uint32_t)getpid();
    if (runtime_dir_write_control(dir, &info))
    {
        log_error("cannot write %s/" SECSOCK_CONTROL_FILE ": %s", dir, strerror(errno));
        close(listen_fd);
        return -1;
    }
    return listen_fd;
}

struct options {
    char dir[4096];
    int daemonize, log_stderr;
};

/* 0, or the exit status (after --version, --help or a bad option). */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option options[] = {
        { "foreground", no_argument, NULL, 'f' },
        { "daemon", no_argument, NULL, 'd' },
        { "runtime-dir", required_argument, NULL, 'r' },
        { "log-stderr", no_argument, NULL, 'l' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int opt;

    memset(o, 0, sizeof(*o));
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1)
    {
        switch (opt)
        {
        case 'f': o->daemonize = 0; break;
        case 'd': o->daemonize = 1; break;
        case 'r': snprintf(o->dir, sizeof(o->dir), "%s", optarg); break;
        case 'l': o->log_stderr = 1; break;
        case 'V': printf("secsockd %s (control protocol %d)\n", PACKAGE_VERSION, SECSOCK_PROTO_VERSION); return -1;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) { usage(stderr); return 2; }
    return 0;
}

/* --daemon: the parent returns once the child answers (ready), so a client
 * that started us can connect right away.  Returns in the child only. */
static void detach(int ready[2], int log_stderr, const char *log_path)
{
    pid_t pid;
    char byte;

    if (pipe2(ready, O_CLOEXEC) || (pid = fork()) < 0)
    {
        fprintf(stderr, "secsockd: cannot detach: %s\n", strerror(errno));
        exit(1);
    }
    if (pid > 0)
    {
        close(ready[1]);
        if (read(ready[0], &byte, 1) == 1) exit(0);
        fprintf(stderr, "secsockd: the service failed to start; see %s\n", log_stderr ? "stderr" : log_path);
        exit(1);
    }
    close(ready[0]);
    setsid();
}

/* The child of --daemon answers: its standard streams go to /dev/null. */
static void detached_ready(int ready[2], int log_stderr)
{
    int null = open("/dev/null", O_RDWR);

    if (null >= 0)
    {
        dup2(null, 0);
        dup2(null, 1);
        if (!log_stderr) dup2(null, 2);
        if (null > 2) close(null);
    }
    if (write(ready[1], "1", 1) != 1) log_warn("the starting process left early");
    close(ready[1]);
}

/* The relay idle timeout from the environment, and the runtime directory
 * (o->dir, found when not given) made private: 0, or the exit status. */
static int prepare_runtime(struct options *o, unsigned int *idle_timeout)
{
    char why[4400];

    if (read_idle_timeout(idle_timeout))
    {
        fprintf(stderr, "secsockd: SECSOCK_RELAY_IDLE_TIMEOUT must be a number of seconds (at most a week)\n");
        return 2;
    }
    if (!o->dir[0] && secsock_runtime_dir(o->dir, sizeof(o->dir)))
    {
        fprintf(stderr, "secsockd: no runtime directory: set SECSOCK_RUNTIME_DIR, XDG_RUNTIME_DIR or HOME\n");
        return 1;
    }
    umask(077);
    if (runtime_dir_prepare(o->dir, why, sizeof(why)))
    {
        fprintf(stderr, "secsockd: refusing to run: %s\n", why);
        return 1;
    }
    return 0;
}

/* The one-instance lock of dir: its descriptor, or -1 with the exit
 * status in *status (0 when a daemon finds one running already). */
static int lock_instance(const char *dir, int daemonize, int *status)
{
    int running, lock_fd = take_lock(dir, &running);

    if (lock_fd >= 0) return lock_fd;
    if (running)
    {
        if (!daemonize) fprintf(stderr, "secsockd: already running for %s\n", dir);
        *status = daemonize ? 0 : 1;
        return -1;
    }
    fprintf(stderr, "secsockd: cannot lock %s/" SECSOCK_LOCK_FILE ": %s\n", dir, strerror(errno));
    *status = 1;
    return -1;
}

/* The log file of dir (its name in path), opened for log_*: 0 or -1. */
static int open_log_file(const char *dir, char *path, size_t size, FILE **log_file)
{
    snprintf(path, size, "%s/" SECSOCK_LOG_FILE, dir);
    if (!(*log_file = fopen(path, "ae")))
    {
        fprintf(stderr, "secsockd: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    log_open(*log_file);
    return 0;
}

/* After the event loop: the control file goes, then everything held. */
static void stop_service(const char *dir, int listen_fd, int lock_fd, struct service_config *config, FILE *log_file)
{
    runtime_dir_remove_control(dir);
    log_info("stopped");
    close(listen_fd);
    close(lock_fd);
    if (config->tls_ready) tls_trust_shutdown();
    peers_free(config->peers);
    if (log_file) fclose(log_file);
}

int main(int argc, char **argv)
{
    static struct service_config config;
    struct options o;
    char why[4400], path[4200];
    int lock_fd, listen_fd, ready[2] = { -1, -1 }, ret;
    uint16_t port;
    unsigned int idle_timeout;
    char ktls_status[256];
    FILE *log_file = NULL;
    char *dir = o.dir;
    int daemonize, log_stderr;

    if ((ret = parse_options(argc, argv, &o))) return ret < 0 ? 0 : ret;
    daemonize = o.daemonize;
    log_stderr = o.log_stderr;
    close_inherited();
    raise_descriptor_limit();
    if ((ret = prepare_runtime(&o, &idle_timeout))) return ret;
    ktls_setup(dir, argv, ktls_status, sizeof(ktls_status));
    if ((lock_fd = lock_instance(dir, daemonize, &ret)) < 0) return ret;
    if (!log_stderr && open_log_file(dir, path, sizeof(path), &log_file)) return 1;
    memset(&config, 0, sizeof(config));
    if (setup_config_dir(&config, why, sizeof(why)))
    {
        fprintf(stderr, "secsockd: refusing to run: %s\n", why);
        if (log_file) log_error("refusing to run: %s", why);
        return 1;
    }

    if (daemonize) detach(ready, log_stderr, path);

    config.relay_idle_timeout = idle_timeout;
    memcpy(config.ktls_status, ktls_status, sizeof(config.ktls_status));
    if ((listen_fd = start_service(&config, dir, &port)) < 0) return 1;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    log_info("listening on 127.0.0.1:%u for uid %u; runtime directory %s", port, (unsigned)geteuid(), dir);

    if (daemonize) detached_ready(ready, log_stderr);

    if (service_run(listen_fd, &config, &stop_requested)) log_error("event loop failed: %s", strerror(errno));
    stop_service(dir, listen_fd, lock_fd, &config, log_file);
    return 0;
}
