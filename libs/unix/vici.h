/*
 * strongSwan VICI protocol codec: the packet layer and the message
 * encoding that charon's vici plugin speaks.  No I/O and no libraries: the
 * transport lives in vici_client.h, so this part is testable on bytes.
 *
 * Transport: each packet is a 4-byte big-endian length (of what follows)
 * and that many bytes.  Packet: a type byte, for named types a 1-byte name
 * length and the name, then for CMD_REQUEST, CMD_RESPONSE and EVENT a
 * message.  Message: a sequence of elements, each a type byte, for
 * SECTION_START, KEY_VALUE and LIST_START a 1-byte-length name, for
 * KEY_VALUE and LIST_ITEM a 2-byte big-endian-length value.
 */
#ifndef SECSOCK_VICI_H
#define SECSOCK_VICI_H

#include <stddef.h>
#include <stdint.h>

#define VICI_LENGTH_PREFIX 4
#define VICI_MAX_SEGMENT   (512u * 1024u) /* charon's own limit on one packet */
#define VICI_MAX_NAME      255u           /* names have a 1-byte length */
#define VICI_MAX_VALUE     65535u         /* values have a 2-byte length */

/* The packet types and their values: one list for the enum and for
 * vici_packet_type_name(). */
#define VICI_PACKET_TYPES(X) \
    X(CMD_REQUEST, 0) X(CMD_RESPONSE, 1) X(CMD_UNKNOWN, 2) X(EVENT_REGISTER, 3) \
    X(EVENT_UNREGISTER, 4) X(EVENT_CONFIRM, 5) X(EVENT_UNKNOWN, 6) X(EVENT, 7)

enum vici_packet_type {
#define VICI_PACKET_TYPE(name, value) VICI_##name = value,
    VICI_PACKET_TYPES(VICI_PACKET_TYPE)
#undef VICI_PACKET_TYPE
};

enum vici_element_type {
    VICI_SECTION_START = 1,
    VICI_SECTION_END   = 2,
    VICI_KEY_VALUE     = 3,
    VICI_LIST_START    = 4,
    VICI_LIST_ITEM     = 5,
    VICI_LIST_END      = 6,
};

/* Every function returns 0 or one of these (negative).  Callbacks of
 * vici_walk() may stop a walk with a positive value of their own. */
enum vici_status {
    VICI_OK = 0,
    /* decoding untrusted bytes */
    VICI_E_TRUNCATED      = -1,  /* the input ends inside a header, name or value */
    VICI_E_TOO_LARGE      = -2,  /* packet or message above the size limit */
    VICI_E_PACKET_TYPE    = -3,  /* unknown packet type */
    VICI_E_TRAILING       = -4,  /* bytes after a packet that carries no message */
    VICI_E_NAME           = -5,  /* empty name, or a name with a NUL byte */
    VICI_E_ELEMENT        = -6,  /* unknown element type */
    VICI_E_DEPTH          = -7,  /* sections nested deeper than the limit */
    VICI_E_UNBALANCED     = -8,  /* SECTION_END at the root, LIST_END outside a list */
    VICI_E_UNCLOSED       = -9,  /* the message ends inside a section or list */
    VICI_E_NOT_IN_LIST    = -10, /* LIST_ITEM outside a list */
    VICI_E_IN_LIST        = -11, /* anything but LIST_ITEM / LIST_END inside a list */
    VICI_E_TOO_MANY       = -12, /* more elements than the limit */
    VICI_E_DUPLICATE      = -13, /* two children of one section share a name */
    /* encoding */
    VICI_E_OVERFLOW       = -14, /* the output does not fit the buffer or the limit */
    VICI_E_USAGE          = -15, /* builder calls out of order, value or name too long */
    VICI_E_NOMEM          = -16,
    /* talking to charon (vici_client.h) */
    VICI_E_IO             = -17, /* socket error; errno is kept in the connection */
    VICI_E_TIMEOUT        = -18,
    VICI_E_CLOSED         = -19, /* charon closed the connection */
    VICI_E_UNEXPECTED     = -20, /* a packet type that does not answer what was sent */
    VICI_E_UNKNOWN_CMD    = -21, /* charon has no such command (CMD_UNKNOWN) */
    VICI_E_UNKNOWN_EVENT  = -22, /* charon has no such event (EVENT_UNKNOWN) */
    VICI_E_FAILED         = -23, /* the command answered success=no (see errmsg) */
    VICI_E_NOT_FOUND      = -24, /* an expected key is missing from a reply */
};

const char *vici_strerror(int status);
const char *vici_packet_type_name(int type);

/* ---- packet layer -------------------------------------------------- */

/* Reads a 4-byte length prefix; rejects 0 and lengths above max_len. */
int vici_segment_length(const uint8_t prefix[VICI_LENGTH_PREFIX], uint32_t max_len, uint32_t *len);

struct vici_packet {
    uint8_t type;                  /* enum vici_packet_type */
    char name[VICI_MAX_NAME + 1];  /* named types only, NUL-terminated */
    const uint8_t *msg;            /* into the parsed bytes; NULL for types without one */
    size_t msg_len;
};

/* Splits one packet (the bytes after the length prefix).  The message is
 * not checked here: give it to vici_walk() or vici_tree_parse(). */
int vici_packet_parse(const uint8_t *data, size_t len, struct vici_packet *out);

/* ---- message decoding ---------------------------------------------- */

struct vici_limits {
    unsigned max_depth;   /* sections open at once */
    size_t max_size;      /* bytes of message */
    size_t max_elements;  /* elements of any type */
};
extern const struct vici_limits vici_default_limits;

/* Called in order while walking; each returns 0 to go on.  Names are
 * NUL-terminated; values are raw bytes.  depth is the section depth the
 * element is in (0 = root).  Any callback may be NULL. */
struct vici_visitor {
    int (*section_start)(void *ctx, const char *name, unsigned depth);
    int (*section_end)(void *ctx, unsigned depth);
    int (*key_value)(void *ctx, const char *key, const uint8_t *value, size_t len, unsigned depth);
    int (*list_start)(void *ctx, const char *name, unsigned depth);
    int (*list_item)(void *ctx, const uint8_t *value, size_t len);
    int (*list_end)(void *ctx);
};

/* Walks a message, checking its structure as it goes.  Callbacks may have
 * seen elements before an error further on is found: call it once with a
 * NULL visitor to validate first when that matters.  Names of one section
 * are not checked for duplicates here (that needs memory; the tree does). */
int vici_walk(const uint8_t *msg, size_t len, const struct vici_limits *limits,
              const struct vici_visitor *visitor, void *ctx);

enum vici_node_kind {
    VICI_NODE_SECTION,
    VICI_NODE_KEY_VALUE,
    VICI_NODE_LIST,
    VICI_NODE_ITEM,
};

struct vici_node {
    enum vici_node_kind kind;
    const char *name;            /* "" for the root and list items */
    const uint8_t *value;        /* key/values and items: len bytes and a NUL */
    size_t value_len;
    struct vici_node *parent;
    struct vici_node *first_child, *last_child; /* sections and lists */
    struct vici_node *next_sibling;
    size_t n_children;
};

struct vici_tree {
    struct vici_node *root;      /* a section named "" */
    void *storage;               /* one allocation holds every node and string */
};

/* Decodes a message into a tree; the tree does not point into msg. */
int vici_tree_parse(const uint8_t *msg, size_t len, const struct vici_limits *limits,
                    struct vici_tree *out);
void vici_tree_free(struct vici_tree *tree);

/* Finds a node by a '/'-separated path of names below a section, e.g.
 * "child-sas/net-1/state".  NULL if absent. */
const struct vici_node *vici_find(const struct vici_node *section, const char *path);
/* The value of a key/value at path as a C string; NULL if absent, not a
 * key/value, or holding a NUL byte. */
const char *vici_find_str(const struct vici_node *section, const char *path);
/* Reads the usual reply of a command: 0 when "success" is "yes", else
 * VICI_E_FAILED with "errmsg" (or a fixed text) copied to errmsg. */
int vici_reply_result(const struct vici_node *root, char *errmsg, size_t errmsg_len);

/* ---- encoding ------------------------------------------------------ */

/* Writes a packet or a bare message into a caller's buffer or a growing
 * one.  The first error sticks: later calls do nothing and
 * vici_builder_finish() returns it, so a caller checks once at the end.
 * The builder refuses to write what the decoder would reject with its
 * default limits, except duplicate names, which it does not track. */
struct vici_builder {
    uint8_t *buf;
    size_t len, cap;
    size_t max;           /* growing: the most it may grow to */
    int grows;            /* buf is the builder's own, on the heap */
    int status;
    int framed;           /* began with a packet header, to patch at finish */
    int takes_message;    /* the packet type carries a message */
    unsigned depth;
    int in_list;
    size_t elements;
};

void vici_builder_init_fixed(struct vici_builder *b, uint8_t *buf, size_t cap);
void vici_builder_init_growing(struct vici_builder *b, size_t max);
/* Starts a packet: length prefix, type, and the name for named types
 * (NULL for the others).  Must come first, if at all. */
void vici_begin_packet(struct vici_builder *b, enum vici_packet_type type, const char *name);
void vici_section_start(struct vici_builder *b, const char *name);
void vici_section_end(struct vici_builder *b);
void vici_key_value(struct vici_builder *b, const char *key, const void *value, size_t len);
void vici_key_str(struct vici_builder *b, const char *key, const char *value);
void vici_key_fmt(struct vici_builder *b, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vici_list_start(struct vici_builder *b, const char *name);
void vici_list_item(struct vici_builder *b, const void *value, size_t len);
void vici_list_str(struct vici_builder *b, const char *value);
void vici_list_end(struct vici_builder *b);
/* Appends the children of a decoded section (e.g. a tree's root). */
void vici_add_tree(struct vici_builder *b, const struct vici_node *section);
/* Checks balance, fills in the length prefix; out/len may be NULL. */
int vici_builder_finish(struct vici_builder *b, const uint8_t **out, size_t *len);
/* Frees a growing builder's buffer (nothing for a fixed one). */
void vici_builder_release(struct vici_builder *b);

#endif
