/* VICI: a decoded message as a tree, and look-ups by path.
 * Two walks: the first validates and counts, so the second fills one
 * allocation of exactly the right size and never fails half way. */
#include <stdlib.h>
#include <string.h>
#include "unix/vici.h"

struct count_state {
    size_t nodes, bytes;
};

static int count_named(void *ctx, const char *name, unsigned depth)
{
    struct count_state *c = ctx;
    (void)depth;
    c->nodes++;
    c->bytes += strlen(name) + 1;
    return 0;
}

static int count_section_end(void *ctx, unsigned depth)
{
    (void)ctx, (void)depth;
    return 0;
}

static int count_kv(void *ctx, const char *key, const uint8_t *value, size_t len, unsigned depth)
{
    struct count_state *c = ctx;
    (void)value, (void)depth;
    c->nodes++;
    c->bytes += strlen(key) + 1 + len + 1;
    return 0;
}

static int count_item(void *ctx, const uint8_t *value, size_t len)
{
    struct count_state *c = ctx;
    (void)value;
    c->nodes++;
    c->bytes += len + 1;
    return 0;
}

static const struct vici_visitor count_visitor = {
    .section_start = count_named,
    .section_end = count_section_end,
    .key_value = count_kv,
    .list_start = count_named,
    .list_item = count_item,
};

struct fill_state {
    struct vici_node *nodes;
    size_t used;
    const char **scratch;  /* room for every node's name, to sort siblings */
    char *strings;
    struct vici_node *open;  /* the section or list elements go into */
};

static char *keep(struct fill_state *f, const void *data, size_t len)
{
    char *s = f->strings;
    memcpy(s, data, len);
    s[len] = 0;
    f->strings += len + 1;
    return s;
}

static struct vici_node *add(struct fill_state *f, enum vici_node_kind kind, const char *name)
{
    struct vici_node *n = &f->nodes[f->used++];

    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->name = name ? keep(f, name, strlen(name)) : "";
    n->parent = f->open;
    if (f->open->last_child) f->open->last_child->next_sibling = n;
    else f->open->first_child = n;
    f->open->last_child = n;
    f->open->n_children++;
    return n;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The protocol wants names unique within a section; sorting makes the
 * check O(n log n), so a hostile message cannot make it quadratic. */
static int check_unique(struct fill_state *f, const struct vici_node *section)
{
    size_t n = 0;

    for (const struct vici_node *c = section->first_child; c; c = c->next_sibling) f->scratch[n++] = c->name;
    if (n < 2) return 0;
    qsort(f->scratch, n, sizeof(*f->scratch), compare_names);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(f->scratch[i - 1], f->scratch[i])) return VICI_E_DUPLICATE;
    return 0;
}

static int fill_section_start(void *ctx, const char *name, unsigned depth)
{
    struct fill_state *f = ctx;
    (void)depth;
    f->open = add(f, VICI_NODE_SECTION, name);
    return 0;
}

static int fill_section_end(void *ctx, unsigned depth)
{
    struct fill_state *f = ctx;
    int st = check_unique(f, f->open);
    (void)depth;
    f->open = f->open->parent;
    return st;
}

static int fill_kv(void *ctx, const char *key, const uint8_t *value, size_t len, unsigned depth)
{
    struct fill_state *f = ctx;
    struct vici_node *n = add(f, VICI_NODE_KEY_VALUE, key);
    (void)depth;
    n->value = (const uint8_t *)keep(f, value, len);
    n->value_len = len;
    return 0;
}

static int fill_list_start(void *ctx, const char *name, unsigned depth)
{
    struct fill_state *f = ctx;
    (void)depth;
    f->open = add(f, VICI_NODE_LIST, name);
    return 0;
}

static int fill_item(void *ctx, const uint8_t *value, size_t len)
{
    struct fill_state *f = ctx;
    struct vici_node *n = add(f, VICI_NODE_ITEM, NULL);
    n->value = (const uint8_t *)keep(f, value, len);
    n->value_len = len;
    return 0;
}

static int fill_list_end(void *ctx)
{
    struct fill_state *f = ctx;
    f->open = f->open->parent;
    return 0;
}

static const struct vici_visitor fill_visitor = {
    .section_start = fill_section_start,
    .section_end = fill_section_end,
    .key_value = fill_kv,
    .list_start = fill_list_start,
    .list_item = fill_item,
    .list_end = fill_list_end,
};

int vici_tree_parse(const uint8_t *msg, size_t len, const struct vici_limits *limits, struct vici_tree *out)
{
    struct count_state count = { .nodes = 1, .bytes = 0 };
    struct fill_state fill;
    char *storage;
    int st;

    out->root = NULL;
    out->storage = NULL;
    if ((st = vici_walk(msg, len, limits, &count_visitor, &count))) return st;
    storage = malloc(count.nodes * (sizeof(struct vici_node) + sizeof(char *)) + count.bytes);
    if (!storage) return VICI_E_NOMEM;
    fill.nodes = (struct vici_node *)storage;
    fill.scratch = (const char **)(storage + count.nodes * sizeof(struct vici_node));
    fill.strings = storage + count.nodes * (sizeof(struct vici_node) + sizeof(char *));
    memset(&fill.nodes[0], 0, sizeof(fill.nodes[0]));
    fill.nodes[0].kind = VICI_NODE_SECTION;
    fill.nodes[0].name = "";
    fill.used = 1;
    fill.open = &fill.nodes[0];
    if ((st = vici_walk(msg, len, limits, &fill_visitor, &fill)) || (st = check_unique(&fill, &fill.nodes[0])))
    {
        free(storage);
        return st;
    }
    out->root = &fill.nodes[0];
    out->storage = storage;
    return VICI_OK;
}

void vici_tree_free(struct vici_tree *tree)
{
    free(tree->storage);
    tree->storage = NULL;
    tree->root = NULL;
}

const struct vici_node *vici_find(const struct vici_node *section, const char *path)
{
    const struct vici_node *at = section;

    while (at && *path)
    {
        const char *slash = strchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : strlen(path);
        const struct vici_node *c;

        if (n == 0 || at->kind != VICI_NODE_SECTION) return NULL;
        for (c = at->first_child; c; c = c->next_sibling)
            if (!strncmp(c->name, path, n) && c->name[n] == 0) break;
        at = c;
        path += n + (slash ? 1 : 0);
        if (slash && !*path) return NULL;
    }
    return at == section ? NULL : at;
}

const char *vici_find_str(const struct vici_node *section, const char *path)
{
    const struct vici_node *n = vici_find(section, path);

    if (!n || n->kind != VICI_NODE_KEY_VALUE || memchr(n->value, 0, n->value_len)) return NULL;
    return (const char *)n->value;
}

int vici_reply_result(const struct vici_node *root, char *errmsg, size_t errmsg_len)
{
    const char *success = vici_find_str(root, "success");
    const char *why = vici_find_str(root, "errmsg");

    if (success && !strcmp(success, "yes")) return VICI_OK;
    if (errmsg && errmsg_len)
    {
        if (!why) why = success ? "charon answered success=no without errmsg" : "charon's reply has no success key";
        strncpy(errmsg, why, errmsg_len - 1);
        errmsg[errmsg_len - 1] = 0;
    }
    return VICI_E_FAILED;
}
