/* What an earlier instance of this service left: its XFRM policies and charon connections. */
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
#include "backend_ipsec.h"
#include "log.h"
#include "peer_uid.h"

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

    if (!secsock_xfrm_is_ours(policy->index, policy->priority, &slot) || slot >> SLOT_COUNTER_BITS != ipsec_instance_tag)
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
void ipsec_remove_leftovers(struct vici_client *vici)
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
            if (t.family && ipsec_tuple_alive(&t))
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
    snprintf(names.prefix, sizeof(names.prefix), "secsock-%x-", ipsec_instance_tag);
    if (!vici_get_conns(vici, collect_conn, &names))
    {
        for (size_t i = 0; i < names.count; i++)
        {
            int in_use = 0;
            for (struct ipsec_conn *c = ipsec_conns; c; c = c->next)
                if (!strcmp(c->name, names.names[i])) in_use = 1;
            if (in_use) continue;
            vici_terminate(vici, NULL, names.names[i], 0);
            vici_unload_conn(vici, names.names[i]);
            vici_unload_shared(vici, names.names[i]);
        }
        if (names.count) log_info("ipsec: unloaded %zu connections an earlier instance left in charon", names.count);
    }
}

/* A protection an earlier instance left for a connection that still
 * exists: released like any other once the connection ends. */
static void adopt(uint32_t slot, const struct secsock_xfrm_tuple *tuple)
{
    struct ipsec_conn *c = calloc(1, sizeof(*c));

    if (!c) return;
    ipsec_name_slot(c, slot);
    c->xfrm.tuple = *tuple;
    c->policies_installed = c->charon_loaded = 1;
    c->phase = RELEASING;
    c->release_deadline = time(NULL) + RELEASE_GRACE;
    if ((slot & ((1u << SLOT_COUNTER_BITS) - 1)) > ipsec_counter) ipsec_counter = slot & ((1u << SLOT_COUNTER_BITS) - 1);
    ipsec_link(c);
}

/* Whether the kernel still has the program's TCP connection. */
int ipsec_tuple_alive(const struct secsock_xfrm_tuple *t)
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
