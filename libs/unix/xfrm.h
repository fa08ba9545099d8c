/*
 * The IPsec backend's kernel side: XFRM policies for one connection, the
 * SAs the kernel holds for it, ACQUIRE / EXPIRE notifications, and whether
 * this kernel and this process can do any of it.  Linux only.
 *
 * A connection gets two policies (out and in; fwd is for forwarded
 * traffic and transport mode has none) that ask for ESP in transport mode:
 * required for GUARANTEE_ENCRYPTION and for no flag (no SA: the kernel
 * sends an ACQUIRE and holds the traffic back), optional for
 * ALLOW_INSECURE (ESP when an SA exists, clear text otherwise).
 *
 * Owner tag.  Every policy secsockd installs carries, together:
 *   - an index whose top byte is SECSOCK_XFRM_INDEX_TAG, then the caller's
 *     connection slot, then the direction in the low 3 bits (the kernel
 *     insists that index & 7 == dir);
 *   - the priority SECSOCK_XFRM_PRIORITY.
 * The index is what lets us find and delete one connection's policies
 * without knowing their selectors, and an ACQUIRE names the policy that
 * caused it, so the index leads back to the connection.  A mark or an
 * if_id cannot serve as a tag: the kernel matches packets against both, so
 * a tagged policy would no longer apply to the program's traffic.  The
 * kernel's own indexes count up from 0 in steps of 8 per policy and would
 * need about 190 million policies in one namespace to reach our band; the
 * priority is the second half of the tag, so even then cleanup leaves a
 * foreign policy alone.  The priority is small (preferred) because our
 * policies are exact 5-tuples and must win over broader ones.
 *
 * Every function returns 0 or a negative errno; nothing is printed.
 */
#ifndef SECSOCK_XFRM_H
#define SECSOCK_XFRM_H

#include <stddef.h>
#include <stdint.h>

#define SECSOCK_XFRM_INDEX_TAG 0x5cu
#define SECSOCK_XFRM_PRIORITY 0x5ecu
#define SECSOCK_XFRM_SLOT_MAX ((1u << 21) - 1)

/* The XFRM directions (XFRM_POLICY_IN / _OUT), for readers without <linux/xfrm.h>. */
#define SECSOCK_XFRM_DIR_IN 0
#define SECSOCK_XFRM_DIR_OUT 1

struct secsock_xfrm_tuple {
    int family;              /* AF_INET or AF_INET6 */
    uint8_t protocol;        /* IPPROTO_TCP or IPPROTO_UDP */
    uint8_t local_addr[16];  /* network order; IPv4 uses the first 4 bytes */
    uint8_t remote_addr[16];
    uint16_t local_port;     /* host order */
    uint16_t remote_port;
};

enum secsock_xfrm_level {
    SECSOCK_XFRM_REQUIRED,   /* GUARANTEE_ENCRYPTION, no flag */
    SECSOCK_XFRM_OPTIONAL,   /* ALLOW_INSECURE */
};

struct secsock_xfrm_conn {
    struct secsock_xfrm_tuple tuple;
    enum secsock_xfrm_level level;
    uint32_t slot;           /* the caller's number for the connection, <= SLOT_MAX */
};

/* A traffic selector as the kernel stores it: source / destination, not
 * local / remote (an in policy's source is the remote end). */
struct secsock_xfrm_selector {
    int family;
    uint8_t protocol;
    uint8_t src[16], dst[16];
    uint8_t src_prefix, dst_prefix;
    uint16_t src_port, dst_port;            /* host order */
    uint16_t src_port_mask, dst_port_mask;
};

/* One policy as the kernel reports it (dump, ACQUIRE, policy expire). */
struct secsock_xfrm_policy_view {
    struct secsock_xfrm_selector sel;
    uint32_t index, priority;
    uint8_t dir, action;
    unsigned tmpl_count;     /* templates present; the first is described below */
    uint8_t tmpl_proto, tmpl_mode, tmpl_optional;
    uint32_t tmpl_reqid;
};

/* One SA as the kernel reports it (dump, EXPIRE). */
struct secsock_xfrm_sa_view {
    struct secsock_xfrm_selector sel;
    int family;
    uint8_t src[16], dst[16];  /* the SA's own addresses */
    uint32_t spi;              /* host order; 0 for a larval SA (keys asked for, none yet) */
    uint8_t proto, mode;
    uint32_t reqid, seq;
    uint64_t bytes, packets;
};

enum secsock_xfrm_event_kind {
    SECSOCK_XFRM_EV_ACQUIRE = 1,   /* a packet needs an SA that does not exist */
    SECSOCK_XFRM_EV_EXPIRE,        /* an SA reached a soft or hard limit */
    SECSOCK_XFRM_EV_POLEXPIRE,     /* a policy reached a soft or hard limit */
};

struct secsock_xfrm_event {
    enum secsock_xfrm_event_kind kind;
    int hard;                               /* expire events */
    uint32_t acquire_seq;                   /* ACQUIRE: the sequence a keying daemon answers with */
    struct secsock_xfrm_policy_view policy; /* ACQUIRE, POLEXPIRE */
    /* EXPIRE: the SA.  ACQUIRE: the SA asked for (its addresses and
     * protocol) and, in sa.sel, the selector of the packet that caused it. */
    struct secsock_xfrm_sa_view sa;
};

/* ---- helpers on the owner tag ---------------------------------------- */
uint32_t secsock_xfrm_index(uint32_t slot, uint8_t dir);
/* 1 and *slot when the policy is ours (both halves of the tag), else 0. */
int secsock_xfrm_is_ours(uint32_t index, uint32_t priority, uint32_t *slot);

/* ---- a request socket (NETLINK_XFRM) ---------------------------------- */
struct secsock_xfrm_nl {
    int fd;
    uint32_t seq;
};

int secsock_xfrm_open(struct secsock_xfrm_nl *nl);
void secsock_xfrm_close(struct secsock_xfrm_nl *nl);

/* Both policies of a connection.  -EEXIST when the slot or the 5-tuple
 * already has policies; on any failure, none of the two remains. */
int secsock_xfrm_policy_add(struct secsock_xfrm_nl *nl, const struct secsock_xfrm_conn *conn);
/* Deletes both directions of a slot; -ENOENT when neither existed. */
int secsock_xfrm_policy_del(struct secsock_xfrm_nl *nl, uint32_t slot);
/* One of our policies by slot and direction; -ENOENT when absent. */
int secsock_xfrm_policy_get(struct secsock_xfrm_nl *nl, uint32_t slot, uint8_t dir,
                            struct secsock_xfrm_policy_view *out);
/* Calls each() for every policy in the kernel (ours or not); a non-zero
 * return from each() stops the walk and is returned. */
int secsock_xfrm_policy_dump(struct secsock_xfrm_nl *nl,
                             int (*each)(const struct secsock_xfrm_policy_view *policy, void *ctx),
                             void *ctx);
/* Deletes every policy carrying our owner tag (restart after a crash). */
int secsock_xfrm_cleanup(struct secsock_xfrm_nl *nl, size_t *removed);

/* SAs between the tuple's two addresses (either direction, any SPI,
 * larval ones included) whose selector does not exclude the tuple's
 * ports and protocol.  Fills up to max; *count is how many matched. */
int secsock_xfrm_sa_query(struct secsock_xfrm_nl *nl, const struct secsock_xfrm_tuple *tuple,
                          struct secsock_xfrm_sa_view *out, size_t max, size_t *count);

/* ---- notifications ----------------------------------------------------- */
/* A non-blocking socket in the ACQUIRE and EXPIRE groups (*fd); needs
 * CAP_NET_ADMIN (-EPERM otherwise). */
int secsock_xfrm_events_open(int *fd);
/* Reads one datagram and decodes its notifications into out (up to max;
 * others are skipped); -EAGAIN when nothing is waiting, -ENOBUFS when the
 * kernel dropped notifications (re-read the state with the dumps). */
int secsock_xfrm_events_read(int fd, struct secsock_xfrm_event *out, size_t max, size_t *count);

/* ---- what this machine allows ----------------------------------------- */
struct secsock_xfrm_support {
    int net_admin;        /* this process holds CAP_NET_ADMIN */
    int esp;              /* the kernel accepted an ESP transport SA */
    int esp_errno;        /* why not (0 when esp) */
    char reason[192];     /* one line for status output; empty when both are yes */
};

/* Asks the kernel in a throwaway network namespace (a forked child; a new
 * user namespace too when we are not privileged), so the host's tables
 * are never touched. */
int secsock_xfrm_probe(struct secsock_xfrm_support *out);

#endif
