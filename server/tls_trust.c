/* The TLS backend's identity, renewed in place, and its trusted CAs. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "tls_trust.h"
#include "unix/host_names.h"

struct tls_creds {
    struct tls_identity identity;
    unsigned int refs;               /* the holder's own, plus one per relay */
};

static struct tls_creds *current;
static struct trust_anchors *anchors;
static char dir[4096];
static char common_name[256] = "secsock";
static time_t next_check;
static unsigned int check_seconds = TLS_TRUST_CHECK_SECONDS;

/* The identity file as it was when loaded: `secsockctl identity import`
 * and `enroll install` replace it (rename), and are taken at once. */
struct file_seen {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};
static struct file_seen loaded_crt;

static void seen_now(struct file_seen *seen)
{
    char path[4200];
    struct stat st;

    memset(seen, 0, sizeof(*seen));
    snprintf(path, sizeof(path), "%s/" TLS_IDENTITY_CERT, dir);
    if (stat(path, &st)) return;
    seen->dev = st.st_dev;
    seen->ino = st.st_ino;
    seen->size = st.st_size;
    seen->mtime = st.st_mtim;
}

static int same_file(const struct file_seen *a, const struct file_seen *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static unsigned int check_period(void)
{
    const char *v = getenv("SECSOCK_IDENTITY_CHECK_SECONDS");
    char *end;
    unsigned long n;

    if (!v || !*v) return TLS_TRUST_CHECK_SECONDS;
    n = strtoul(v, &end, 10);
    return *end || !n || n > 86400 ? TLS_TRUST_CHECK_SECONDS : (unsigned int)n;
}

/* Loads the identity files as they are now into new credentials. */
static struct tls_creds *load_creds(char *why, size_t why_len)
{
    struct tls_creds *creds = calloc(1, sizeof(*creds));
    int r;

    if (!creds)
    {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    if ((r = tls_identity_load(dir, &creds->identity, why, why_len)))
    {
        if (r == 1) snprintf(why, why_len, "no identity in %s", dir);
        free(creds);
        return NULL;
    }
    creds->refs = 1;
    return creds;
}

/* The host's names now, for the identity to cover. */
static void gather_names(struct host_names *names)
{
    char ignored[128];

    /* A host whose interfaces cannot be listed still gets its name and
     * loopback: gather fills what it could. */
    host_names_gather(names, NULL, ignored, sizeof(ignored));
    if (peer_name_dns_valid(common_name, strlen(common_name))) host_names_add_dns(names, common_name);
}

const struct tls_identity *tls_trust_init(const char *config_dir, char *why, size_t why_len)
{
    struct host_names names;
    const char *sys = getenv("SECSOCK_TRUST_SYSTEM");

    snprintf(dir, sizeof(dir), "%s", config_dir);
    gethostname(common_name, sizeof(common_name) - 1);
    check_seconds = check_period();
    gather_names(&names);
    if (host_identity_ensure(dir, common_name, &names, time(NULL), NULL, why, why_len)) return NULL;
    seen_now(&loaded_crt);
    if (!(current = load_creds(why, why_len))) return NULL;
    if (!(anchors = trust_anchors_load(dir, sys && !strcmp(sys, "1") ? TRUST_ANCHORS_SYSTEM : 0, why, why_len)))
    {
        tls_trust_release(current);
        current = NULL;
        return NULL;
    }
    if (*trust_anchors_warning(anchors)) log_warn("trusted CAs: %s", trust_anchors_warning(anchors));
    log_info("TLS identity: expires %ld; trusted CAs: %zu of %s, %zu of the system; CRLs: %zu",
             (long)current->identity.expires, trust_anchors_count(anchors), dir, trust_anchors_system_count(anchors),
             trust_anchors_crl_count(anchors));
    next_check = time(NULL) + check_seconds;
    return &current->identity;
}

struct tls_creds *tls_trust_acquire(void)
{
    if (current) current->refs++;
    return current;
}

gnutls_certificate_credentials_t tls_creds_get(const struct tls_creds *creds)
{
    return creds->identity.credentials;
}

void tls_trust_release(struct tls_creds *creds)
{
    if (!creds || --creds->refs) return;
    tls_identity_free(&creds->identity);
    free(creds);
}

const struct trust_anchors *tls_trust_anchors(void)
{
    char why[512];

    if (anchors && trust_anchors_refresh(anchors, why, sizeof(why)) < 0)
        log_warn("trusted CAs not reloaded (the previous set stays): %s", why);
    return anchors;
}

/* Takes the identity files as they are now; why says what changed. */
static void reload(const char *what)
{
    struct tls_creds *renewed;
    char why[512];

    if (!(renewed = load_creds(why, sizeof(why))))
    {
        log_warn("%s TLS identity not loaded (the current one stays): %s", what, why);
        return;
    }
    log_info("TLS identity %s: expires %ld; relays already open keep the previous one", what,
             (long)renewed->identity.expires);
    tls_trust_release(current);
    current = renewed;
}

void tls_trust_sweep(time_t now)
{
    enum host_identity_state before;
    struct host_names names;
    struct file_seen seen;
    char why[512];

    if (!current) return;
    /* Replaced from outside (an import, an enrolment): checked each sweep. */
    seen_now(&seen);
    if (!same_file(&seen, &loaded_crt))
    {
        loaded_crt = seen;
        reload("replaced");
    }
    if (now < next_check) return;
    next_check = now + check_seconds;
    gather_names(&names);
    if (host_identity_ensure(dir, common_name, &names, now, &before, why, sizeof(why)))
    {
        log_warn("TLS identity not renewed (the current one stays): %s", why);
        return;
    }
    if (before == HOST_IDENTITY_CURRENT || before == HOST_IDENTITY_IMPORTED) return;
    seen_now(&loaded_crt);
    reload(host_identity_state_text(before));
}

void tls_trust_shutdown(void)
{
    tls_trust_release(current);
    current = NULL;
    trust_anchors_free(anchors);
    anchors = NULL;
}
