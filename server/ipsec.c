/* The IPsec backend: XFRM policies + charon, one thread per set-up. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ipsec.h"
#include "log.h"
#include "secured_list.h"
#include "peer_uid.h"
#include "secsock/settings.h"
#include "unix/vici_client.h"
#include "secsock/wsaerr.h"
#include "unix/xfrm.h"
#include "sockaddr_posix.h"

/* A slot is (instance tag << 12) | counter: policies and charon
 * connections of this service carry its instance's tag (from its runtime
 * directory), so a restarted instance removes what it left, and never what
 * another instance (another runtime directory) holds. */
#define SLOT_COUNTER_BITS 12
#define RELEASE_GRACE 120   /* seconds a released protection may wait for its TCP connection to go */

enum ipsec_phase { SETTING_UP, ANSWERED, HELD, RELEASING };
enum ipsec_result { RESULT_PROTECTED, RESULT_CLEAR, RESULT_REFUSED };

struct ipsec_conn {
    enum ipsec_phase phase;
    int abandoned;                   /* the program went away during set-up */
    uint32_t slot;
    char name[48];                   /* charon's connection, child and key id */
    struct secsock_xfrm_conn xfrm;
    char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN];
    int allow_insecure;
    uint8_t psk[128];
    size_t psk_len;
    void *session_slot;
    void (*reply)(void *session_slot, const struct secsock_msg *reply, int held);
    /* Set by the thread. */
    enum ipsec_result result;
    int policies_installed, charon_loaded;
    int listener;                    /* an IPsec server's port, not one connection */
    size_t listener_keys;            /* its pre-shared keys loaded into charon: name-0 ... */
    char why[200];
    time_t release_deadline;
    struct ipsec_conn *next;
};

static struct ipsec_conn *conns;
static int done_pipe[2] = { -1, -1 };
static uint32_t instance_tag, counter;
static char vici_path[512];

static uint32_t next_slot(void)
{
    return (instance_tag << SLOT_COUNTER_BITS) | (++counter & ((1u << SLOT_COUNTER_BITS) - 1));
}

/* A connection's slot (its policies' tag) and, from it, its name in charon. */
static void name_slot(struct ipsec_conn *c, uint32_t slot)
{
    c->slot = c->xfrm.slot = slot;
    snprintf(c->name, sizeof(c->name), "secsock-%x-%x", instance_tag, slot & ((1u << SLOT_COUNTER_BITS) - 1));
}

static uint32_t tag_of(const char *runtime_dir)
{
    uint32_t h = 2166136261u;   /* FNV-1a */

    for (const char *p = runtime_dir; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    return h & (SECSOCK_XFRM_SLOT_MAX >> SLOT_COUNTER_BITS);
}

struct cleanup_ctx {
    struct secsock_xfrm_policy_view out[256];   /* our outbound policies: their selector is the 5-tuple */
    uint32_t slots[256];
    size_t count;
};

static int collect_ours(const struct secsock_xfrm_policy_view *policy, void *ctx)
{
    struct cleanup_ctx *c = ctx;
    uint32_t slot;
    size_t i;

    if (!secsock_xfrm_is_ours(policy->index, policy->priority, &slot) || slot >> SLOT_COUNTER_BITS != instance_tag)
        return 0;
    for (i = 0; i < c->count && c->slots[i] != slot; i++) {}
    if (i == c->count)
    {
        if (c->count == sizeof(c->slots) / sizeof(c->slots[0])) return 0;
        c->slots[c->count++] = slot;
        memset(&c->out[i], 0, sizeof(c->out[i]));
    }
    if (policy->dir == SECSOCK_XFRM_DIR_OUT) c->out[i] = *policy;
    return 0;
}

static int tuple_alive(const struct secsock_xfrm_tuple *t);
static void adopt(uint32_t slot, const struct secsock_xfrm_tuple *tuple);

/* An outbound policy's selector is the connection's 5-tuple, local first. */
static void tuple_of_out_policy(const struct secsock_xfrm_policy_view *out, struct secsock_xfrm_tuple *t)
{
    memset(t, 0, sizeof(*t));
    t->family = out->sel.family;
    t->protocol = out->sel.protocol;
    memcpy(t->local_addr, out->sel.src, 16);
    memcpy(t->remote_addr, out->sel.dst, 16);
    t->local_port = out->sel.src_port;
    t->remote_port = out->sel.dst_port;
}

struct conn_names {
    char prefix[32];
    char names[64][48];
    size_t count;
};

static void collect_conn(void *ctx, const char *name)
{
    struct conn_names *n = ctx;

    if (!strncmp(name, n->prefix, strlen(n->prefix)) && n->count < 64)
        snprintf(n->names[n->count++], sizeof(n->names[0]), "%s", name);
}

/* What an earlier instance of this service left: its policies, its
 * connections in charon. */
static void remove_leftovers(struct vici_client *vici)
{
    struct secsock_xfrm_nl nl;
    static struct cleanup_ctx ctx;   /* large: kept out of the stack */
    struct conn_names names;

    memset(&ctx, 0, sizeof(ctx));
    if (!secsock_xfrm_open(&nl))
    {
        size_t kept = 0;
        secsock_xfrm_policy_dump(&nl, collect_ours, &ctx);
        for (size_t i = 0; i < ctx.count; i++)
        {
            struct secsock_xfrm_tuple t;
            tuple_of_out_policy(&ctx.out[i], &t);
            /* A connection that still exists keeps its protection until it
             * ends: removing a required policy now could let it go clear. */
            if (t.family && tuple_alive(&t))
            {
                adopt(ctx.slots[i], &t);
                kept++;
            }
            else secsock_xfrm_policy_del(&nl, ctx.slots[i]);
        }
        secsock_xfrm_close(&nl);
        if (ctx.count)
            log_info("ipsec: an earlier instance left the policies of %zu connections: %zu removed, %zu kept until their "
                     "connection ends", ctx.count, ctx.count - kept, kept);
    }
    memset(&names, 0, sizeof(names));
    snprintf(names.prefix, sizeof(names.prefix), "secsock-%x-", instance_tag);
    if (!vici_get_conns(vici, collect_conn, &names))
    {
        for (size_t i = 0; i < names.count; i++)
        {
            int in_use = 0;
            for (struct ipsec_conn *c = conns; c; c = c->next)
                if (!strcmp(c->name, names.names[i])) in_use = 1;
            if (in_use) continue;
            vici_terminate(vici, NULL, names.names[i], 0);
            vici_unload_conn(vici, names.names[i]);
            vici_unload_shared(vici, names.names[i]);
        }
        if (names.count) log_info("ipsec: unloaded %zu connections an earlier instance left in charon", names.count);
    }
}

int ipsec_backend_init(struct service_config *config, const char *runtime_dir)
{
    struct secsock_xfrm_support support;
    struct vici_client vici;
    struct vici_version version;
    const char *env = getenv(VICI_SOCKET_ENV);
    int ret;

    instance_tag = tag_of(runtime_dir);
    snprintf(vici_path, sizeof(vici_path), "%s", env && *env ? env : VICI_DEFAULT_SOCKET);
    if ((ret = secsock_xfrm_probe(&support)))
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status), "not available: cannot probe XFRM: %s",
                 strerror(-ret));
        return -1;
    }
    if (!support.net_admin)
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status),
                 "not available: secsockd lacks CAP_NET_ADMIN (run it privileged to manage IPsec policies)");
        return -1;
    }
    if ((ret = vici_client_open(&vici, vici_path, 2000)))
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status),
                 "not available: charon does not answer on %.200s (%s)", vici_path, vici_strerror(ret));
        return -1;
    }
    if ((ret = vici_version(&vici, &version)))
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status), "not available: charon's version: %s",
                 vici_strerror(ret));
        vici_client_close(&vici);
        return -1;
    }
    remove_leftovers(&vici);
    vici_client_close(&vici);
    if (pipe2(done_pipe, O_CLOEXEC | O_NONBLOCK))
    {
        snprintf(config->ipsec_status, sizeof(config->ipsec_status), "not available: pipe: %s", strerror(errno));
        return -1;
    }
    config->backends |= SECSOCK_BACKEND_IPSEC;
    snprintf(config->ipsec_status, sizeof(config->ipsec_status),
             "available (charon %.16s on %.50s; keys in %.50s/" IPSEC_PSK_FILE ")%s%.70s",
             version.version, vici_path, config->config_dir, support.esp ? "" : "; ",
             support.esp ? "" : support.reason);
    log_info("ipsec: %s", config->ipsec_status);
    return done_pipe[0];
}

/* ---- the set-up thread -------------------------------------------------------- */

/* The source address the kernel will pick for remote. */
static int route_source(int family, const uint8_t *remote, uint8_t *local)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

    if (fd < 0) return -1;
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET6)
    {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(9);
        memcpy(&s6->sin6_addr, remote, 16);
        len = sizeof(*s6);
    }
    else
    {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(9);
        memcpy(&s4->sin_addr, remote, 4);
        len = sizeof(*s4);
    }
    if (!connect(fd, (struct sockaddr *)&ss, len) && !getsockname(fd, (struct sockaddr *)&ss, &len))
    {
        memcpy(local, family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                         : (void *)&((struct sockaddr_in *)&ss)->sin_addr, family == AF_INET6 ? 16 : 4);
        ret = 0;
    }
    close(fd);
    return ret;
}

static void undo(struct ipsec_conn *c)
{
    struct secsock_xfrm_nl nl;
    struct vici_client vici;

    if (c->policies_installed && !secsock_xfrm_open(&nl))
    {
        secsock_xfrm_policy_del(&nl, c->slot);
        secsock_xfrm_close(&nl);
        c->policies_installed = 0;
    }
    if (c->charon_loaded && !vici_client_open(&vici, vici_path, 2000))
    {
        vici_terminate(&vici, NULL, c->name, 0);
        vici_unload_conn(&vici, c->name);
        vici_unload_shared(&vici, c->name);
        for (size_t i = 0; i < c->listener_keys; i++)
        {
            char id[80];
            snprintf(id, sizeof(id), "%.48s-%zu", c->name, i);
            vici_unload_shared(&vici, id);
        }
        vici_client_close(&vici);
        c->charon_loaded = 0;
    }
}

static void *set_up(void *arg)
{
    struct ipsec_conn *c = arg;
    struct secsock_xfrm_nl nl;
    struct vici_client vici;
    struct vici_conn_spec spec;
    const char *owners[2] = { c->local, c->remote };
    int ret;

    c->result = RESULT_REFUSED;
    if ((ret = secsock_xfrm_open(&nl)))
        snprintf(c->why, sizeof(c->why), "XFRM: %s", strerror(-ret));
    else
    {
        ret = secsock_xfrm_policy_add(&nl, &c->xfrm);
        secsock_xfrm_close(&nl);
        if (ret) snprintf(c->why, sizeof(c->why), "cannot install the policies: %s", strerror(-ret));
        else c->policies_installed = 1;
    }
    if (c->policies_installed)
    {
        memset(&spec, 0, sizeof(spec));
        spec.name = c->name;
        spec.local_addr = c->local;
        spec.remote_addr = c->remote;
        spec.protocol = c->xfrm.tuple.protocol;
        spec.local_port = c->xfrm.tuple.local_port;
        spec.remote_port = c->xfrm.tuple.remote_port;
        spec.mode = VICI_MODE_TRANSPORT;
        spec.auth = VICI_AUTH_PSK;
        if ((ret = vici_client_open(&vici, vici_path, 2000)))
            snprintf(c->why, sizeof(c->why), "charon: %s", vici_strerror(ret));
        else
        {
            if ((ret = vici_load_shared(&vici, c->name, c->psk, c->psk_len, owners, 2)) ||
                (ret = vici_load_conn(&vici, &spec)))
                snprintf(c->why, sizeof(c->why), "charon refused the connection: %s", vici_strerror(ret));
            else
            {
                c->charon_loaded = 1;
                if ((ret = vici_initiate(&vici, c->name, c->name, IPSEC_INITIATE_TIMEOUT_MS)))
                    snprintf(c->why, sizeof(c->why), "no IPsec SA with the peer: %s", vici_strerror(ret));
                else c->result = RESULT_PROTECTED;
            }
            vici_client_close(&vici);
        }
    }
    if (c->result != RESULT_PROTECTED)
    {
        undo(c);
        if (c->allow_insecure) c->result = RESULT_CLEAR;
    }
    /* The loop takes it from here; a full pipe cannot happen (one pointer per set-up, few at once). */
    if (write(done_pipe[1], &c, sizeof(c)) != (ssize_t)sizeof(c)) log_error("ipsec: cannot report a set-up");
    return NULL;
}

/* One "psk ADDRESS SECRET" line (the secret is the rest of the line, 1 to
 * 128 bytes): 0 with addr and the secret's place in line, else -1. */
static int psk_line(const char *line, char addr[INET6_ADDRSTRLEN + 1], const char **secret, size_t *secret_len)
{
    int used = 0;

    if (sscanf(line, "psk %46s %n", addr, &used) != 1 || !used) return -1;
    *secret = line + used;
    *secret_len = strcspn(*secret, "\r\n");
    return *secret_len && *secret_len <= 128 ? 0 : -1;
}

static FILE *open_psk_file(const char *config_dir)
{
    char path[4200];

    snprintf(path, sizeof(path), "%s/" IPSEC_PSK_FILE, config_dir);
    return fopen(path, "re");
}

static int find_psk(const char *config_dir, const char *address, uint8_t *psk, size_t *psk_len)
{
    char line[512], addr[INET6_ADDRSTRLEN + 1];
    const char *secret;
    FILE *f = open_psk_file(config_dir);
    int found = 0;

    if (!f) return 0;
    while (!found && fgets(line, sizeof(line), f))
    {
        if (psk_line(line, addr, &secret, psk_len) || strcmp(addr, address)) continue;
        memcpy(psk, secret, *psk_len);
        found = 1;
    }
    fclose(f);
    memset(line, 0, sizeof(line));
    return found;
}

/* Each "psk ADDRESS SECRET" line, for a responder that takes every
 * configured peer. */
static size_t load_every_psk(struct vici_client *vici, const char *config_dir, const char *name)
{
    char line[512], addr[INET6_ADDRSTRLEN + 1], id[80];
    const char *owners[1] = { addr }, *secret;
    FILE *f = open_psk_file(config_dir);
    size_t loaded = 0, secret_len;

    if (!f) return 0;
    while (fgets(line, sizeof(line), f))
    {
        if (psk_line(line, addr, &secret, &secret_len)) continue;
        snprintf(id, sizeof(id), "%.48s-%zu", name, loaded);
        if (!vici_load_shared(vici, id, secret, secret_len, owners, 1)) loaded++;
    }
    fclose(f);
    memset(line, 0, sizeof(line));
    return loaded;
}

struct ipsec_conn *ipsec_listener_start(const struct secsock_msg_bind *bind, const struct secsock_addr *local,
                                        const struct service_config *config, char *why, size_t why_len)
{
    struct ipsec_conn *c = calloc(1, sizeof(*c));
    struct secsock_xfrm_nl nl;
    struct vici_client vici;
    struct vici_conn_spec spec;
    int family = local->family == SECSOCK_AF_INET6 ? AF_INET6 : AF_INET, ret;

    if (!c)
    {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    c->listener = 1;
    c->allow_insecure = !!(bind->flags & SECSOCK_FLAG_ALLOW_INSECURE);
    name_slot(c, next_slot());
    c->xfrm.level = c->allow_insecure ? SECSOCK_XFRM_OPTIONAL : SECSOCK_XFRM_REQUIRED;
    c->xfrm.tuple.family = family;
    c->xfrm.tuple.protocol = IPPROTO_TCP;
    memcpy(c->xfrm.tuple.local_addr, local->addr, family == AF_INET6 ? 16 : 4);
    c->xfrm.tuple.local_port = local->port;   /* remote: any address, any port */
    inet_ntop(family, c->xfrm.tuple.local_addr, c->local, sizeof(c->local));
    inet_ntop(family, c->xfrm.tuple.remote_addr, c->remote, sizeof(c->remote));
    if ((ret = secsock_xfrm_open(&nl)))
    {
        snprintf(why, why_len, "XFRM: %s", strerror(-ret));
        free(c);
        return NULL;
    }
    ret = secsock_xfrm_policy_add(&nl, &c->xfrm);
    secsock_xfrm_close(&nl);
    if (ret)
    {
        snprintf(why, why_len, "cannot install the policies: %s", strerror(-ret));
        free(c);
        return NULL;
    }
    c->policies_installed = 1;
    memset(&spec, 0, sizeof(spec));
    spec.name = c->name;
    spec.local_addr = c->local;
    spec.remote_addr = c->remote;
    spec.protocol = IPPROTO_TCP;
    spec.local_port = local->port;
    spec.mode = VICI_MODE_TRANSPORT;
    spec.auth = VICI_AUTH_PSK;
    if ((ret = vici_client_open(&vici, vici_path, 2000)))
        snprintf(why, why_len, "charon: %s", vici_strerror(ret));
    else
    {
        c->charon_loaded = 1;
        c->listener_keys = load_every_psk(&vici, config->config_dir, c->name);
        if ((ret = vici_load_conn(&vici, &spec)))
            snprintf(why, why_len, "charon refused the responder: %s", vici_strerror(ret));
        vici_client_close(&vici);
    }
    if (ret)
    {
        undo(c);
        free(c);
        return NULL;
    }
    c->phase = HELD;
    c->next = conns;
    conns = c;
    log_info("ipsec %s: port %u of %s: ESP %s for every TCP connection, responder with %zu keys", c->name, local->port,
             c->local, c->allow_insecure ? "optional" : "required", c->listener_keys);
    return c;
}

int ipsec_peer_configured(const struct service_config *config, const struct secsock_addr *peer)
{
    char address[INET6_ADDRSTRLEN];
    uint8_t psk[128];
    size_t psk_len;
    int found;

    if (peer->family != SECSOCK_AF_INET && peer->family != SECSOCK_AF_INET6) return 0;
    inet_ntop(peer->family == SECSOCK_AF_INET6 ? AF_INET6 : AF_INET, peer->addr, address, sizeof(address));
    found = find_psk(config->config_dir, address, psk, &psk_len);
    memset(psk, 0, sizeof(psk));
    return found;
}

static void answer(struct ipsec_conn *c, uint8_t verdict, uint32_t wsa_error, uint32_t info, int held)
{
    struct secsock_msg reply;

    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_CONNECT_VERDICT;
    reply.u.connect_verdict.verdict = verdict;
    reply.u.connect_verdict.wsa_error = wsa_error;
    reply.u.connect_verdict.info_flags = info;
    strcpy(reply.u.connect_verdict.backend, "ipsec");
    c->reply(c->session_slot, &reply, held);
}

static void unlink_conn(struct ipsec_conn *c)
{
    for (struct ipsec_conn **p = &conns; *p; p = &(*p)->next)
        if (*p == c) { *p = c->next; break; }
}

/* A protection an earlier instance left for a connection that still
 * exists: released like any other once the connection ends. */
static void adopt(uint32_t slot, const struct secsock_xfrm_tuple *tuple)
{
    struct ipsec_conn *c = calloc(1, sizeof(*c));

    if (!c) return;
    name_slot(c, slot);
    c->xfrm.tuple = *tuple;
    c->policies_installed = c->charon_loaded = 1;
    c->phase = RELEASING;
    c->release_deadline = time(NULL) + RELEASE_GRACE;
    if ((slot & ((1u << SLOT_COUNTER_BITS) - 1)) > counter) counter = slot & ((1u << SLOT_COUNTER_BITS) - 1);
    c->next = conns;
    conns = c;
}

struct ipsec_conn *ipsec_conn_start(void *session_slot, const struct secsock_msg_connect *req,
                                    const struct service_config *config,
                                    void (*reply)(void *session_slot, const struct secsock_msg *reply, int held))
{
    struct ipsec_conn *c = calloc(1, sizeof(*c));
    struct secsock_xfrm_tuple *t;
    pthread_attr_t attr;
    pthread_t thread;
    int family, alen;

    if (!c) return NULL;
    c->session_slot = session_slot;
    c->reply = reply;
    c->allow_insecure = !!(req->flags & SECSOCK_FLAG_ALLOW_INSECURE);
    name_slot(c, next_slot());
    c->phase = SETTING_UP;
    c->next = conns;
    conns = c;

    family = req->peer.family == SECSOCK_AF_INET6 ? AF_INET6 : AF_INET;
    alen = family == AF_INET6 ? 16 : 4;
    t = &c->xfrm.tuple;
    t->family = family;
    t->protocol = IPPROTO_TCP;
    memcpy(t->remote_addr, req->peer.addr, alen);
    t->remote_port = req->peer.port;
    t->local_port = req->local.port;
    c->xfrm.level = c->allow_insecure ? SECSOCK_XFRM_OPTIONAL : SECSOCK_XFRM_REQUIRED;
    if (req->local.family == req->peer.family && memcmp(req->local.addr, (uint8_t[16]){ 0 }, alen))
        memcpy(t->local_addr, req->local.addr, alen);
    else if (route_source(family, t->remote_addr, t->local_addr))
    {
        snprintf(c->why, sizeof(c->why), "no route to the peer");
        goto refuse;
    }
    if (!req->local.port || req->local.family != req->peer.family)
    {
        snprintf(c->why, sizeof(c->why), "the program's socket has no local port");
        goto refuse;
    }
    inet_ntop(family, t->local_addr, c->local, sizeof(c->local));
    inet_ntop(family, t->remote_addr, c->remote, sizeof(c->remote));
    if (!find_psk(config->config_dir, c->remote, c->psk, &c->psk_len))
    {
        snprintf(c->why, sizeof(c->why), "no pre-shared key for %s in %.100s/" IPSEC_PSK_FILE, c->remote,
                 config->config_dir);
        goto refuse;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attr, set_up, c))
    {
        pthread_attr_destroy(&attr);
        snprintf(c->why, sizeof(c->why), "cannot start a thread");
        goto refuse;
    }
    pthread_attr_destroy(&attr);
    log_info("ipsec %s: %s port %u -> %s port %u: setting up (%s)", c->name, c->local, t->local_port, c->remote,
             t->remote_port, c->allow_insecure ? "optional" : "required");
    return c;

refuse:
    log_warn("ipsec %s: %s", c->name, c->why);
    if (c->allow_insecure) answer(c, SECSOCK_VERDICT_DIRECT, 0, 0, 0);
    else answer(c, SECSOCK_VERDICT_REFUSE, SECSOCK_WSAECONNREFUSED, 0, 0);
    unlink_conn(c);
    free(c);
    return NULL;
}

static void finish(struct ipsec_conn *c)
{
    secured_list_remove(c);
    undo(c);
    unlink_conn(c);
    free(c);
}

void ipsec_backend_event(void)
{
    struct ipsec_conn *c;

    while (read(done_pipe[0], &c, sizeof(c)) == (ssize_t)sizeof(c))
    {
        if (c->abandoned)
        {
            log_warn("ipsec %s: the program went away during set-up", c->name);
            finish(c);
            continue;
        }
        switch (c->result)
        {
        case RESULT_PROTECTED:
            log_info("ipsec %s: SA established with %s; the program connects, ESP required", c->name, c->remote);
            c->phase = HELD;
            secured_list_ipsec_up(c, &c->xfrm.tuple, c->name, c->remote);
            answer(c, SECSOCK_VERDICT_PROTECTED, 0, SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED, 1);
            break;
        case RESULT_CLEAR:
            log_warn("ipsec %s: %s; ALLOW_INSECURE: clear text", c->name, c->why);
            c->phase = ANSWERED;
            answer(c, SECSOCK_VERDICT_DIRECT, 0, 0, 0);
            finish(c);
            break;
        case RESULT_REFUSED:
            log_warn("ipsec %s: secured connection refused: %s", c->name, c->why);
            c->phase = ANSWERED;
            answer(c, SECSOCK_VERDICT_REFUSE, SECSOCK_WSAECONNREFUSED, 0, 0);
            finish(c);
            break;
        }
    }
}

void ipsec_conn_closed(struct ipsec_conn *c)
{
    if (c->phase == SETTING_UP)
    {
        c->abandoned = 1;   /* the thread still owns it: finished when it reports */
        return;
    }
    if (c->phase == HELD)
    {
        c->phase = RELEASING;
        c->release_deadline = time(NULL) + RELEASE_GRACE;
        ipsec_backend_sweep(time(NULL));
    }
}

/* Whether the kernel still has the program's TCP connection. */
static int tuple_alive(const struct secsock_xfrm_tuple *t)
{
    struct tcp_endpoint local, remote;
    uint32_t uid;

    /* A listener's port: alive while any connection on that port is
     * (accepted ones outlive the listening socket). */
    if (!t->remote_port) return local_port_in_use(t->family == AF_INET6, t->local_port) != 0;

    memset(&local, 0, sizeof(local));
    memset(&remote, 0, sizeof(remote));
    memcpy(local.addr, t->local_addr, 16);
    memcpy(remote.addr, t->remote_addr, 16);
    local.port = t->local_port;
    remote.port = t->remote_port;
    local.v6 = remote.v6 = t->family == AF_INET6;
    return !peer_uid_lookup(&local, &remote, &uid);
}

void ipsec_backend_sweep(time_t now)
{
    for (struct ipsec_conn *c = conns, *next; c; c = next)
    {
        next = c->next;
        if (c->phase != RELEASING) continue;
        if (tuple_alive(&c->xfrm.tuple) && now < c->release_deadline) continue;
        log_info("ipsec %s: connection closed: policies and SA removed", c->name);
        finish(c);
    }
}

void ipsec_backend_shutdown(void)
{
    for (struct ipsec_conn *c = conns, *next; c; c = next)
    {
        next = c->next;
        if (c->phase == SETTING_UP) continue;   /* its thread still runs; the next instance cleans up */
        /* A connection still open keeps its policies: the next instance
         * adopts them and removes them once it has ended. */
        if ((c->phase == HELD || c->phase == RELEASING) && tuple_alive(&c->xfrm.tuple)) continue;
        finish(c);
    }
}
