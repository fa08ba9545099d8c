/* The peer model: the config directory's peers and ipsec-psk files, cached (see peers.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "secsock/sha256.h"
#include "unix/peers.h"

#define PEERS_FILE_MAX (1 << 20)   /* larger files are refused, not read in part */

/* What identifies one version of a file: read again when any of it changed. */
struct stamp {
    int present;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

struct peers {
    char pinned_path[4200], psk_path[4200];
    struct stamp pinned_stamp, psk_stamp;
    int read_once;
    uint64_t generation;
    /* The peers file: its entries, or why it cannot be used. */
    struct peers_pinned pinned[PEERS_MAX_PINNED];
    size_t pinned_count;
    char pinned_why[300];
    struct peers_psk *psks;
    size_t psk_count;
};

struct peers *peers_new(const char *config_dir)
{
    struct peers *peers = calloc(1, sizeof(*peers));

    if (!peers) return NULL;
    snprintf(peers->pinned_path, sizeof(peers->pinned_path), "%s/" PEERS_FILE, config_dir);
    snprintf(peers->psk_path, sizeof(peers->psk_path), "%s/" PEERS_PSK_FILE, config_dir);
    return peers;
}

void peers_free(struct peers *peers)
{
    if (!peers) return;
    peers_free_psks(peers->psks, peers->psk_count);
    free(peers);
}

static void stamp_of(const struct stat *st, struct stamp *stamp)
{
    memset(stamp, 0, sizeof(*stamp));
    stamp->present = 1;
    stamp->dev = st->st_dev;
    stamp->ino = st->st_ino;
    stamp->size = st->st_size;
    stamp->mtime = st->st_mtim;
    stamp->ctime = st->st_ctim;
}

static int same_stamp(const struct stamp *a, const struct stamp *b)
{
    if (a->present != b->present) return 0;
    if (!a->present) return 1;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
           a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* 1: unchanged since *stamp; 0: *text (malloc'd, *len bytes, NULL for a
 * missing file) is the new content and *stamp its version; -1: cannot be
 * read (why; *stamp then says "missing", so the next call tries again). */
static int read_if_changed(const char *path, struct stamp *stamp, int force, char **text, size_t *len, char *why,
                           size_t why_len)
{
    struct stamp now = { 0 };
    struct stat st;
    ssize_t n;
    int fd;

    *text = NULL;
    *len = 0;
    if (!stat(path, &st)) stamp_of(&st, &now);
    if (!force && same_stamp(&now, stamp)) return 1;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    {
        memset(stamp, 0, sizeof(*stamp));
        if (errno == ENOENT) return 0;
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* The version recorded is the one read (fstat), not the one stat saw. */
    if (fstat(fd, &st) || !(*text = malloc(PEERS_FILE_MAX)))
    {
        snprintf(why, why_len, "%s: %s", path, strerror(errno ? errno : ENOMEM));
        memset(stamp, 0, sizeof(*stamp));
        close(fd);
        return -1;
    }
    stamp_of(&st, stamp);
    while (*len < PEERS_FILE_MAX && (n = read(fd, *text + *len, PEERS_FILE_MAX - *len)) > 0) *len += (size_t)n;
    close(fd);
    if (*len == PEERS_FILE_MAX)
    {
        snprintf(why, why_len, "%s is larger than 1 MiB", path);
        free(*text);
        *text = NULL;
        return -1;
    }
    return 0;
}

static void refresh_pinned(struct peers *peers, int force)
{
    char *text, why[sizeof(peers->pinned_why)];
    size_t len;
    int ret = read_if_changed(peers->pinned_path, &peers->pinned_stamp, force, &text, &len, why, sizeof(why));

    if (ret == 1) return;
    peers->generation++;
    peers->pinned_count = 0;
    peers->pinned_why[0] = 0;
    if (!ret) ret = peers_parse_pinned(text ? text : "", len, peers->pinned, why, sizeof(why));
    free(text);
    if (ret < 0) snprintf(peers->pinned_why, sizeof(peers->pinned_why), "%s", why);
    else peers->pinned_count = (size_t)ret;
}

static void refresh_psks(struct peers *peers, int force)
{
    char *text, why[300];
    size_t len;
    int ret = read_if_changed(peers->psk_path, &peers->psk_stamp, force, &text, &len, why, sizeof(why));

    if (ret == 1) return;
    peers->generation++;
    peers_free_psks(peers->psks, peers->psk_count);
    peers->psks = NULL;
    peers->psk_count = 0;
    /* An unreadable key file holds no key (as a missing one). */
    if (!ret && text && (ret = peers_parse_psks(text, len, &peers->psks)) > 0) peers->psk_count = (size_t)ret;
    if (text)
    {
        secsock_wipe(text, len);
        free(text);
    }
}

int peers_refresh(struct peers *peers, char *why, size_t why_len)
{
    refresh_pinned(peers, !peers->read_once);
    refresh_psks(peers, !peers->read_once);
    peers->read_once = 1;
    if (!peers->pinned_why[0]) return 0;
    snprintf(why, why_len, "%s", peers->pinned_why);
    return -1;
}

uint64_t peers_generation(const struct peers *peers)
{
    return peers->generation;
}

size_t peers_pinned_count(const struct peers *peers)
{
    return peers->pinned_count;
}

static int same_address(const struct secsock_addr *a, const struct secsock_addr *b)
{
    return a->family == b->family && !memcmp(a->addr, b->addr, a->family == SECSOCK_AF_INET ? 4 : 16);
}

/* The first line of the key file for addr (as inet_ntop writes it). */
static const struct peers_psk *find_psk(const struct peers *peers, const struct secsock_addr *addr)
{
    char text[INET6_ADDRSTRLEN];

    if (addr->family != SECSOCK_AF_INET && addr->family != SECSOCK_AF_INET6) return NULL;
    inet_ntop(addr->family == SECSOCK_AF_INET6 ? AF_INET6 : AF_INET, addr->addr, text, sizeof(text));
    for (size_t i = 0; i < peers->psk_count; i++)
        if (!strcmp(peers->psks[i].owner, text)) return &peers->psks[i];
    return NULL;
}

static int with_psk(const struct peers *peers, struct peer *out)
{
    const struct peers_psk *psk = find_psk(peers, &out->addr);

    if (psk)
    {
        out->psk = psk->secret;
        out->psk_len = psk->secret_len;
    }
    return out->pin_count || out->psk;
}

int peers_lookup(const struct peers *peers, const struct secsock_addr *addr, struct peer *out)
{
    const struct peers_pinned *any_port = NULL, *found = NULL;

    memset(out, 0, sizeof(*out));
    out->addr = secsock_addr_unmapped(addr);
    /* An entry for the peer's own port wins over one for every port ('*'),
     * wherever each stands in the list. */
    for (size_t i = 0; i < peers->pinned_count && !found; i++)
    {
        const struct peers_pinned *e = &peers->pinned[i];
        if (!same_address(&e->addr, &out->addr)) continue;
        if (e->addr.port == out->addr.port) found = e;
        else if (!e->addr.port && !any_port) any_port = e;
    }
    if (!found) found = any_port;
    if (found)
    {
        out->auth = PEER_AUTH_PINS;
        out->pin_count = 1;
        memcpy(out->pins[0], found->pin, PEER_PIN_LEN);
    }
    return with_psk(peers, out);
}

int peers_lookup_client(const struct peers *peers, const struct secsock_addr *addr, struct peer *out)
{
    memset(out, 0, sizeof(*out));
    out->addr = *addr;
    out->addr.port = 0;
    for (size_t i = 0; i < peers->pinned_count && out->pin_count < PEER_MAX_PINS; i++)
        if (same_address(&peers->pinned[i].addr, addr))
            memcpy(out->pins[out->pin_count++], peers->pinned[i].pin, PEER_PIN_LEN);
    if (out->pin_count) out->auth = PEER_AUTH_PINS;
    with_psk(peers, out);
    return out->pin_count != 0;
}

size_t peers_each_psk(const struct peers *peers,
                      int (*each)(void *ctx, const char *owner, const uint8_t *secret, size_t len), void *ctx)
{
    size_t taken = 0;

    for (size_t i = 0; i < peers->psk_count; i++)
        if (!each(ctx, peers->psks[i].owner, peers->psks[i].secret, peers->psks[i].secret_len)) taken++;
    return taken;
}

int peers_add_pinned(const char *config_dir, const char *address, const char *port,
                     const uint8_t pin[PEER_PIN_LEN], char *path, size_t path_len, char *why, size_t why_len)
{
    char line[256];
    int len = peers_format_pinned(address, port, pin, line, sizeof(line), why, why_len), fd, err = 0;

    snprintf(path, path_len, "%s/" PEERS_FILE, config_dir);
    if (len < 0) return -1;
    mkdir(config_dir, 0700);
    if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) < 0) err = errno;
    else
    {
        if (write(fd, line, (size_t)len) != len) err = errno ? errno : EIO;
        if (close(fd) && !err) err = errno;
    }
    if (!err) return 0;
    snprintf(why, why_len, "cannot write %s: %s", path, strerror(err));
    return -1;
}
