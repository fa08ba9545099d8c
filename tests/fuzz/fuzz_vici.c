/* libFuzzer: the VICI packet layer, message walker and tree decoder.
 * Input: one packet as it follows the 4-byte length prefix (type byte,
 * name, message).  Oracles: the walker and the tree agree on every input
 * (the tree only adds duplicate-name rejection); a decoded message
 * re-encodes to exactly its input bytes, since the encoding has no
 * freedom; look-ups of every decoded name find a node. */
#include <stdint.h>
#include <string.h>
#include "unix/vici.h"

static void check_lookups(const struct vici_node *section, int depth)
{
    for (const struct vici_node *c = section->first_child; c; c = c->next_sibling)
    {
        if (c->kind == VICI_NODE_ITEM) continue;
        /* A name with '/' is legal on the wire but cannot be a path step. */
        if (!strchr(c->name, '/') && vici_find(section, c->name) != c) __builtin_trap();
        if (c->kind == VICI_NODE_KEY_VALUE && !memchr(c->value, 0, c->value_len) &&
            !strchr(c->name, '/') && vici_find_str(section, c->name) != (const char *)c->value)
            __builtin_trap();
        if (c->kind == VICI_NODE_SECTION && depth < 64) check_lookups(c, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vici_packet p;
    struct vici_tree tree;
    struct vici_builder b;
    const uint8_t *out;
    size_t out_len;
    uint32_t seg;
    int walked, parsed;

    if (size >= VICI_LENGTH_PREFIX) (void)vici_segment_length(data, VICI_MAX_SEGMENT, &seg);
    if (vici_packet_parse(data, size, &p)) return 0;
    if (!p.msg) return 0;
    walked = vici_walk(p.msg, p.msg_len, NULL, NULL, NULL);
    parsed = vici_tree_parse(p.msg, p.msg_len, NULL, &tree);
    if (walked != parsed && !(walked == VICI_OK && parsed == VICI_E_DUPLICATE)) __builtin_trap();
    if (parsed) return 0;
    check_lookups(tree.root, 0);
    (void)vici_reply_result(tree.root, NULL, 0);

    vici_builder_init_growing(&b, VICI_MAX_SEGMENT + VICI_LENGTH_PREFIX);
    vici_begin_packet(&b, (enum vici_packet_type)p.type, p.name[0] ? p.name : NULL);
    vici_add_tree(&b, tree.root);
    if (vici_builder_finish(&b, &out, &out_len)) __builtin_trap();
    if (out_len != size + VICI_LENGTH_PREFIX || memcmp(out + VICI_LENGTH_PREFIX, data, size)) __builtin_trap();
    if (vici_segment_length(out, VICI_MAX_SEGMENT, &seg) || seg != size) __builtin_trap();
    vici_builder_release(&b);
    vici_tree_free(&tree);
    return 0;
}
