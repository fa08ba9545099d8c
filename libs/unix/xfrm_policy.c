/* One connection's XFRM policies, finding ours again, and the SAs the
 * kernel holds for a connection.  See unix/xfrm.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include "xfrm_nl.h"

static int policy_by_index(struct secsock_xfrm_nl *nl, uint16_t type, uint32_t slot, uint8_t dir,
                           xfrm_nl_reply each, void *ctx)
{
    uint8_t req[SECSOCK_XFRM_MSG_MAX];
    size_t len = secsock_xfrm_build_policy_by_index(req, sizeof(req), type, secsock_xfrm_index(slot, dir), dir,
                                                    xfrm_nl_next_seq(nl));

    return len ? xfrm_nl_transact(nl, req, len, each, ctx) : -EINVAL;
}

static int keep_policy(const struct secsock_xfrm_nlmsg *msg, void *ctx)
{
    if (msg->type != XFRM_MSG_NEWPOLICY) return -EBADMSG;
    return secsock_xfrm_decode_policy(msg->payload, msg->payload_len, ctx);
}

int secsock_xfrm_policy_get(struct secsock_xfrm_nl *nl, uint32_t slot, uint8_t dir,
                            struct secsock_xfrm_policy_view *out)
{
    if (slot > SECSOCK_XFRM_SLOT_MAX) return -EINVAL;
    return policy_by_index(nl, XFRM_MSG_GETPOLICY, slot, dir, keep_policy, out);
}

static int add_one(struct secsock_xfrm_nl *nl, const struct secsock_xfrm_conn *conn, uint8_t dir)
{
    uint8_t req[SECSOCK_XFRM_MSG_MAX];
    size_t len = secsock_xfrm_build_policy_add(req, sizeof(req), conn, dir, xfrm_nl_next_seq(nl));

    return len ? xfrm_nl_transact(nl, req, len, NULL, NULL) : -EINVAL;
}

int secsock_xfrm_policy_add(struct secsock_xfrm_nl *nl, const struct secsock_xfrm_conn *conn)
{
    struct secsock_xfrm_policy_view existing;
    int err;

    if (conn->slot > SECSOCK_XFRM_SLOT_MAX) return -EINVAL;
    /* The kernel quietly picks another index when the one asked for is
     * taken, and a policy we cannot name is one we cannot delete: refuse
     * a slot that is in use instead. */
    for (uint8_t dir = SECSOCK_XFRM_DIR_IN; dir <= SECSOCK_XFRM_DIR_OUT; dir++)
    {
        err = secsock_xfrm_policy_get(nl, conn->slot, dir, &existing);
        if (!err) return -EEXIST;
        if (err != -ENOENT) return err;
    }
    if ((err = add_one(nl, conn, SECSOCK_XFRM_DIR_OUT)) != 0) return err;
    if ((err = add_one(nl, conn, SECSOCK_XFRM_DIR_IN)) != 0)
    {
        policy_by_index(nl, XFRM_MSG_DELPOLICY, conn->slot, SECSOCK_XFRM_DIR_OUT, NULL, NULL);
        return err;
    }
    return 0;
}

int secsock_xfrm_policy_del(struct secsock_xfrm_nl *nl, uint32_t slot)
{
    int found = 0, result = 0;

    if (slot > SECSOCK_XFRM_SLOT_MAX) return -EINVAL;
    for (uint8_t dir = SECSOCK_XFRM_DIR_IN; dir <= SECSOCK_XFRM_DIR_OUT; dir++)
    {
        int err = policy_by_index(nl, XFRM_MSG_DELPOLICY, slot, dir, NULL, NULL);
        if (!err) found = 1;
        else if (err != -ENOENT && !result) result = err;
    }
    return result ? result : found ? 0 : -ENOENT;
}

struct dump_walk {
    int (*each)(const struct secsock_xfrm_policy_view *policy, void *ctx);
    void *ctx;
};

static int dump_entry(const struct secsock_xfrm_nlmsg *msg, void *ctx)
{
    struct dump_walk *walk = ctx;
    struct secsock_xfrm_policy_view view;
    int err;

    if (msg->type != XFRM_MSG_NEWPOLICY) return 0;
    if ((err = secsock_xfrm_decode_policy(msg->payload, msg->payload_len, &view)) != 0) return err;
    return walk->each(&view, walk->ctx);
}

int secsock_xfrm_policy_dump(struct secsock_xfrm_nl *nl,
                             int (*each)(const struct secsock_xfrm_policy_view *policy, void *ctx), void *ctx)
{
    uint8_t req[SECSOCK_XFRM_MSG_MAX];
    size_t len = secsock_xfrm_build_dump(req, sizeof(req), XFRM_MSG_GETPOLICY, xfrm_nl_next_seq(nl));
    struct dump_walk walk = { each, ctx };

    return xfrm_nl_transact(nl, req, len, dump_entry, &walk);
}

/* Our policies found by the dump, deleted after it: deleting while the
 * kernel walks its list could make the walk skip entries. */
struct found_list {
    uint32_t *slots;
    size_t count, cap;
};

static int collect_ours(const struct secsock_xfrm_policy_view *policy, void *ctx)
{
    struct found_list *found = ctx;
    uint32_t slot;

    if (!secsock_xfrm_is_ours(policy->index, policy->priority, &slot)) return 0;
    for (size_t i = 0; i < found->count; i++)
        if (found->slots[i] == slot) return 0;
    if (found->count == found->cap)
    {
        size_t cap = found->cap ? found->cap * 2 : 64;
        uint32_t *grown = realloc(found->slots, cap * sizeof(*grown));
        if (!grown) return -ENOMEM;
        found->slots = grown;
        found->cap = cap;
    }
    found->slots[found->count++] = slot;
    return 0;
}

int secsock_xfrm_cleanup(struct secsock_xfrm_nl *nl, size_t *removed)
{
    struct found_list found = { NULL, 0, 0 };
    int err = secsock_xfrm_policy_dump(nl, collect_ours, &found);

    *removed = 0;
    for (size_t i = 0; !err && i < found.count; i++)
    {
        int del = secsock_xfrm_policy_del(nl, found.slots[i]);
        if (!del) (*removed)++;
        else if (del != -ENOENT) err = del;   /* ENOENT: someone removed it meanwhile */
    }
    free(found.slots);
    return err;
}

/* ---- SAs for a connection ---------------------------------------------- */

struct sa_filter {
    const struct secsock_xfrm_tuple *tuple;
    struct secsock_xfrm_sa_view *out;
    size_t max, count;
};

static int port_allows(uint16_t port, uint16_t sel_port, uint16_t mask)
{
    return (port & mask) == (sel_port & mask);
}

/* Does an SA from src to dst with this selector carry the tuple's traffic? */
static int sa_matches(const struct secsock_xfrm_sa_view *sa, const struct secsock_xfrm_tuple *t)
{
    size_t alen = t->family == AF_INET ? 4 : 16;
    int out;

    if (sa->family != t->family || sa->proto != IPPROTO_ESP) return 0;
    if (!memcmp(sa->src, t->local_addr, alen) && !memcmp(sa->dst, t->remote_addr, alen)) out = 1;
    else if (!memcmp(sa->src, t->remote_addr, alen) && !memcmp(sa->dst, t->local_addr, alen)) out = 0;
    else return 0;
    /* A keyed SA often has an empty selector (family 0): it then carries
     * anything between its addresses. */
    if (sa->sel.family == 0) return 1;
    if (sa->sel.protocol && sa->sel.protocol != t->protocol) return 0;
    return port_allows(out ? t->local_port : t->remote_port, sa->sel.src_port, sa->sel.src_port_mask) &&
           port_allows(out ? t->remote_port : t->local_port, sa->sel.dst_port, sa->sel.dst_port_mask);
}

static int filter_sa(const struct secsock_xfrm_nlmsg *msg, void *ctx)
{
    struct sa_filter *filter = ctx;
    struct secsock_xfrm_sa_view sa;
    int err;

    if (msg->type != XFRM_MSG_NEWSA) return 0;
    if ((err = secsock_xfrm_decode_sa(msg->payload, msg->payload_len, &sa)) != 0) return err;
    if (!sa_matches(&sa, filter->tuple)) return 0;
    if (filter->count < filter->max) filter->out[filter->count] = sa;
    filter->count++;
    return 0;
}

int secsock_xfrm_sa_query(struct secsock_xfrm_nl *nl, const struct secsock_xfrm_tuple *tuple,
                          struct secsock_xfrm_sa_view *out, size_t max, size_t *count)
{
    uint8_t req[SECSOCK_XFRM_MSG_MAX];
    struct sa_filter filter = { tuple, out, max, 0 };
    size_t len;
    int err;

    *count = 0;
    if (tuple->family != AF_INET && tuple->family != AF_INET6) return -EINVAL;
    len = secsock_xfrm_build_dump(req, sizeof(req), XFRM_MSG_GETSA, xfrm_nl_next_seq(nl));
    err = xfrm_nl_transact(nl, req, len, filter_sa, &filter);
    *count = filter.count;
    return err;
}
