/* The VICI codec: the protocol's own encoding example byte for byte,
 * round-trips through the tree, and one test per class of malformed
 * input, each rejected with its own status. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unix/vici.h"
#include "unit.h"

/* The encoding example of strongSwan's VICI protocol description:
 *   key1 = value1
 *   section1 = { sub-section = { key2 = value2 } list1 = [ item1, item2 ] } */
static const uint8_t example[] = {
    3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
    1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
    1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
    3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
    2,
    4, 5, 'l', 'i', 's', 't', '1',
    5, 0, 5, 'i', 't', 'e', 'm', '1',
    5, 0, 5, 'i', 't', 'e', 'm', '2',
    6,
    2,
};

static void build_example(struct vici_builder *b)
{
    vici_key_str(b, "key1", "value1");
    vici_section_start(b, "section1");
    vici_section_start(b, "sub-section");
    vici_key_str(b, "key2", "value2");
    vici_section_end(b);
    vici_list_start(b, "list1");
    vici_list_str(b, "item1");
    vici_list_str(b, "item2");
    vici_list_end(b);
    vici_section_end(b);
}

static int walk(const void *msg, size_t len)
{
    return vici_walk(msg, len, NULL, NULL, NULL);
}

static int tree_status(const void *msg, size_t len)
{
    struct vici_tree t;
    int st = vici_tree_parse(msg, len, NULL, &t);
    if (!st) vici_tree_free(&t);
    return st;
}

START_TEST(builder_writes_the_protocol_example)
{
    uint8_t buf[256];
    struct vici_builder b;
    const uint8_t *out;
    size_t len;

    vici_builder_init_fixed(&b, buf, sizeof(buf));
    build_example(&b);
    ck_assert_int_eq(vici_builder_finish(&b, &out, &len), VICI_OK);
    ck_assert_uint_eq(len, sizeof(example));
    ck_assert_mem_eq(out, example, sizeof(example));
}
END_TEST

START_TEST(tree_of_the_protocol_example)
{
    struct vici_tree t;
    const struct vici_node *list, *item;

    ck_assert_int_eq(vici_tree_parse(example, sizeof(example), NULL, &t), VICI_OK);
    ck_assert_uint_eq(t.root->n_children, 2);
    ck_assert_str_eq(vici_find_str(t.root, "key1"), "value1");
    ck_assert_str_eq(vici_find_str(t.root, "section1/sub-section/key2"), "value2");
    list = vici_find(t.root, "section1/list1");
    ck_assert_ptr_nonnull(list);
    ck_assert_int_eq(list->kind, VICI_NODE_LIST);
    ck_assert_uint_eq(list->n_children, 2);
    item = list->first_child;
    ck_assert_int_eq(item->kind, VICI_NODE_ITEM);
    ck_assert_uint_eq(item->value_len, 5);
    ck_assert_mem_eq(item->value, "item1", 5);
    ck_assert_mem_eq(item->next_sibling->value, "item2", 5);
    ck_assert_ptr_null(item->next_sibling->next_sibling);
    ck_assert_ptr_eq(vici_find(t.root, "section1/sub-section")->parent, vici_find(t.root, "section1"));
    /* Paths that are not there, or lead through a key/value or a list. */
    ck_assert_ptr_null(vici_find(t.root, "key2"));
    ck_assert_ptr_null(vici_find(t.root, "key1/x"));
    ck_assert_ptr_null(vici_find(t.root, "section1/list1/item1"));
    ck_assert_ptr_null(vici_find(t.root, "section1/"));
    ck_assert_ptr_null(vici_find(t.root, "section1//key2"));
    ck_assert_ptr_null(vici_find(t.root, ""));
    ck_assert_ptr_null(vici_find_str(t.root, "section1"));
    vici_tree_free(&t);
}
END_TEST

START_TEST(tree_reencodes_to_the_same_bytes)
{
    struct vici_tree t;
    struct vici_builder b;
    const uint8_t *out;
    size_t len;

    ck_assert_int_eq(vici_tree_parse(example, sizeof(example), NULL, &t), VICI_OK);
    vici_builder_init_growing(&b, VICI_MAX_SEGMENT);
    vici_add_tree(&b, t.root);
    ck_assert_int_eq(vici_builder_finish(&b, &out, &len), VICI_OK);
    ck_assert_uint_eq(len, sizeof(example));
    ck_assert_mem_eq(out, example, len);
    vici_builder_release(&b);
    vici_tree_free(&t);
}
END_TEST

START_TEST(binary_values_and_empty_values_survive)
{
    static const uint8_t blob[] = { 0, 1, 0xff, 0, 'x' };
    struct vici_builder b;
    struct vici_tree t;
    const struct vici_node *n;
    const uint8_t *out;
    size_t len;

    vici_builder_init_growing(&b, 4096);
    vici_key_value(&b, "blob", blob, sizeof(blob));
    vici_key_value(&b, "empty", NULL, 0);
    vici_list_start(&b, "none");
    vici_list_end(&b);
    vici_list_start(&b, "one-empty");
    vici_list_item(&b, "", 0);
    vici_list_end(&b);
    ck_assert_int_eq(vici_builder_finish(&b, &out, &len), VICI_OK);
    ck_assert_int_eq(vici_tree_parse(out, len, NULL, &t), VICI_OK);
    n = vici_find(t.root, "blob");
    ck_assert_uint_eq(n->value_len, sizeof(blob));
    ck_assert_mem_eq(n->value, blob, sizeof(blob));
    /* A value with a NUL byte is not a C string. */
    ck_assert_ptr_null(vici_find_str(t.root, "blob"));
    ck_assert_str_eq(vici_find_str(t.root, "empty"), "");
    ck_assert_uint_eq(vici_find(t.root, "none")->n_children, 0);
    ck_assert_uint_eq(vici_find(t.root, "one-empty")->n_children, 1);
    ck_assert_uint_eq(vici_find(t.root, "one-empty")->first_child->value_len, 0);
    vici_tree_free(&t);
    vici_builder_release(&b);
}
END_TEST

START_TEST(packet_framing_of_every_type)
{
    static const struct { enum vici_packet_type type; const char *name; int message; } cases[] = {
        { VICI_CMD_REQUEST, "version", 1 },      { VICI_CMD_RESPONSE, NULL, 1 },
        { VICI_CMD_UNKNOWN, NULL, 0 },           { VICI_EVENT_REGISTER, "child-updown", 0 },
        { VICI_EVENT_UNREGISTER, "ike-updown", 0 }, { VICI_EVENT_CONFIRM, NULL, 0 },
        { VICI_EVENT_UNKNOWN, NULL, 0 },         { VICI_EVENT, "list-sa", 1 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
    {
        uint8_t buf[128];
        struct vici_builder b;
        struct vici_packet p;
        const uint8_t *out;
        size_t len, name_len = cases[i].name ? strlen(cases[i].name) : 0;
        uint32_t body;

        vici_builder_init_fixed(&b, buf, sizeof(buf));
        vici_begin_packet(&b, cases[i].type, cases[i].name);
        if (cases[i].message) vici_key_str(&b, "k", "v");
        ck_assert_int_eq(vici_builder_finish(&b, &out, &len), VICI_OK);
        ck_assert_uint_eq(len, 4 + 1 + (name_len ? 1 + name_len : 0) + (cases[i].message ? 6 : 0));
        ck_assert_int_eq(vici_segment_length(out, VICI_MAX_SEGMENT, &body), VICI_OK);
        ck_assert_uint_eq(body, len - 4);
        ck_assert_uint_eq(out[4], cases[i].type);
        ck_assert_int_eq(vici_packet_parse(out + 4, body, &p), VICI_OK);
        ck_assert_uint_eq(p.type, cases[i].type);
        ck_assert_str_eq(p.name, cases[i].name ? cases[i].name : "");
        if (cases[i].message)
        {
            ck_assert_uint_eq(p.msg_len, 6);
            ck_assert_int_eq(walk(p.msg, p.msg_len), VICI_OK);
        }
        else
            ck_assert_ptr_null(p.msg);
    }
}
END_TEST

START_TEST(version_request_bytes)
{
    static const uint8_t expect[] = { 0, 0, 0, 9, 0, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n' };
    uint8_t buf[32];
    struct vici_builder b;
    const uint8_t *out;
    size_t len;

    vici_builder_init_fixed(&b, buf, sizeof(buf));
    vici_begin_packet(&b, VICI_CMD_REQUEST, "version");
    ck_assert_int_eq(vici_builder_finish(&b, &out, &len), VICI_OK);
    ck_assert_uint_eq(len, sizeof(expect));
    ck_assert_mem_eq(out, expect, len);
}
END_TEST

START_TEST(malformed_packets)
{
    struct vici_packet p;
    uint32_t len;

    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"", 0, &p), VICI_E_TRUNCATED);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x08", 1, &p), VICI_E_PACKET_TYPE);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\xff", 1, &p), VICI_E_PACKET_TYPE);
    /* named types: no name length, empty name, short name, NUL in name */
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x00", 1, &p), VICI_E_TRUNCATED);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x07\x00", 2, &p), VICI_E_NAME);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x03\x05" "abc", 5, &p), VICI_E_TRUNCATED);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x04\x03" "a\0c", 5, &p), VICI_E_NAME);
    /* types without a message take no further bytes */
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x02x", 2, &p), VICI_E_TRAILING);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x05x", 2, &p), VICI_E_TRAILING);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x03\x01" "ab", 4, &p), VICI_E_TRAILING);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x06", 1, &p), VICI_OK);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x01", 1, &p), VICI_OK);
    ck_assert_uint_eq(p.msg_len, 0);
    ck_assert_int_eq(vici_packet_parse((const uint8_t *)"\x01", VICI_MAX_SEGMENT + 1, &p), VICI_E_TOO_LARGE);
    /* length prefixes */
    ck_assert_int_eq(vici_segment_length((const uint8_t *)"\0\0\0\0", VICI_MAX_SEGMENT, &len), VICI_E_TRUNCATED);
    ck_assert_int_eq(vici_segment_length((const uint8_t *)"\0\x08\0\x01", VICI_MAX_SEGMENT, &len), VICI_E_TOO_LARGE);
    ck_assert_int_eq(vici_segment_length((const uint8_t *)"\xff\xff\xff\xff", VICI_MAX_SEGMENT, &len), VICI_E_TOO_LARGE);
    ck_assert_int_eq(vici_segment_length((const uint8_t *)"\0\x08\0\0", VICI_MAX_SEGMENT, &len), VICI_OK);
    ck_assert_uint_eq(len, VICI_MAX_SEGMENT);
    ck_assert_int_eq(vici_segment_length((const uint8_t *)"\0\0\x01\0", 255, &len), VICI_E_TOO_LARGE);
}
END_TEST

/* Every proper prefix of a valid message is invalid: either it stops
 * inside an element or it leaves a section open. */
START_TEST(every_truncation_is_rejected)
{
    for (size_t n = 0; n < sizeof(example); n++)
    {
        int st = walk(example, n);
        /* Cut right after key1 = value1: a complete message on its own. */
        if (n == 0 || n == 14)
        {
            ck_assert_int_eq(st, VICI_OK);
            continue;
        }
        ck_assert_msg(st == VICI_E_TRUNCATED || st == VICI_E_UNCLOSED, "prefix %zu: %s", n, vici_strerror(st));
        ck_assert_int_eq(tree_status(example, n), st);
    }
}
END_TEST

START_TEST(malformed_messages)
{
    static const struct { const char *what; const char *bytes; size_t len; int status; } cases[] = {
        { "element type 0", "\x00", 1, VICI_E_ELEMENT },
        { "element type 7", "\x07", 1, VICI_E_ELEMENT },
        { "element type 255 in a list", "\x04\x01l\xff", 4, VICI_E_ELEMENT },
        { "empty key", "\x03\x00\x00\x00", 4, VICI_E_NAME },
        { "NUL in a section name", "\x01\x02\x61\x00\x02", 5, VICI_E_NAME },
        { "key without value length", "\x03\x01k\x00", 4, VICI_E_TRUNCATED },
        { "value longer than the message", "\x03\x01k\x00\x05" "abc", 8, VICI_E_TRUNCATED },
        { "item value longer than the message", "\x04\x01l\x05\xff\xff", 6, VICI_E_TRUNCATED },
        { "section end at the root", "\x02", 1, VICI_E_UNBALANCED },
        { "one section end too many", "\x01\x01s\x02\x02", 5, VICI_E_UNBALANCED },
        { "list end without a list", "\x06", 1, VICI_E_UNBALANCED },
        { "section left open", "\x01\x01s", 3, VICI_E_UNCLOSED },
        { "list left open", "\x04\x01l\x05\x00\x00", 6, VICI_E_UNCLOSED },
        { "item outside a list", "\x05\x00\x00", 3, VICI_E_NOT_IN_LIST },
        { "section in a list", "\x04\x01l\x01\x01s\x02\x06", 8, VICI_E_IN_LIST },
        { "section end in a list", "\x01\x01s\x04\x01l\x02", 7, VICI_E_IN_LIST },
        { "key/value in a list", "\x04\x01l\x03\x01k\x00\x00\x06", 9, VICI_E_IN_LIST },
        { "list in a list", "\x04\x01l\x04\x01m\x06\x06", 8, VICI_E_IN_LIST },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
    {
        int st = walk(cases[i].bytes, cases[i].len);
        ck_assert_msg(st == cases[i].status, "%s: %s, expected %s", cases[i].what, vici_strerror(st),
                      vici_strerror(cases[i].status));
        ck_assert_int_eq(tree_status(cases[i].bytes, cases[i].len), cases[i].status);
    }
}
END_TEST

START_TEST(duplicate_names_are_rejected_by_the_tree)
{
    static const uint8_t dup_root[] = { 3, 1, 'k', 0, 0, 3, 1, 'k', 0, 1, 'x' };
    static const uint8_t dup_kinds[] = { 1, 1, 'a', 2, 4, 1, 'a', 6 };
    static const uint8_t dup_nested[] = { 1, 1, 's', 3, 1, 'b', 0, 0, 3, 1, 'a', 0, 0, 3, 1, 'b', 0, 0, 2 };
    static const uint8_t same_name_apart[] = { 1, 1, 's', 3, 1, 'k', 0, 0, 2, 1, 1, 't', 3, 1, 'k', 0, 0, 2 };

    ck_assert_int_eq(walk(dup_root, sizeof(dup_root)), VICI_OK);
    ck_assert_int_eq(tree_status(dup_root, sizeof(dup_root)), VICI_E_DUPLICATE);
    ck_assert_int_eq(tree_status(dup_kinds, sizeof(dup_kinds)), VICI_E_DUPLICATE);
    ck_assert_int_eq(tree_status(dup_nested, sizeof(dup_nested)), VICI_E_DUPLICATE);
    ck_assert_int_eq(tree_status(same_name_apart, sizeof(same_name_apart)), VICI_OK);
}
END_TEST

START_TEST(limits_depth_size_and_count)
{
    struct vici_limits lim = vici_default_limits;
    uint8_t deep[3 * 40 + 40];
    size_t n = 0;

    for (int i = 0; i < 40; i++) { deep[n++] = 1; deep[n++] = 1; deep[n++] = 's'; }
    for (int i = 0; i < 40; i++) deep[n++] = 2;
    ck_assert_int_eq(walk(deep, n), VICI_E_DEPTH);
    lim.max_depth = 40;
    ck_assert_int_eq(vici_walk(deep, n, &lim, NULL, NULL), VICI_OK);
    lim.max_depth = 39;
    ck_assert_int_eq(vici_walk(deep, n, &lim, NULL, NULL), VICI_E_DEPTH);

    lim = vici_default_limits;
    lim.max_size = sizeof(example) - 1;
    ck_assert_int_eq(vici_walk(example, sizeof(example), &lim, NULL, NULL), VICI_E_TOO_LARGE);
    lim.max_size = sizeof(example);
    ck_assert_int_eq(vici_walk(example, sizeof(example), &lim, NULL, NULL), VICI_OK);

    /* The example has 10 elements. */
    lim = vici_default_limits;
    lim.max_elements = 9;
    ck_assert_int_eq(vici_walk(example, sizeof(example), &lim, NULL, NULL), VICI_E_TOO_MANY);
    ck_assert_int_eq(vici_tree_parse(example, sizeof(example), &lim, &(struct vici_tree){ 0 }), VICI_E_TOO_MANY);
    lim.max_elements = 10;
    ck_assert_int_eq(vici_walk(example, sizeof(example), &lim, NULL, NULL), VICI_OK);
}
END_TEST

struct trace {
    char text[512];
    int stop_at_item;
};

static void trace_add(struct trace *t, const char *s)
{
    size_t used = strlen(t->text);
    snprintf(t->text + used, sizeof(t->text) - used, "%s", s);
}

static int t_section_start(void *ctx, const char *name, unsigned depth)
{
    char s[300];
    snprintf(s, sizeof(s), "S%u:%s ", depth, name);
    trace_add(ctx, s);
    return 0;
}

static int t_section_end(void *ctx, unsigned depth)
{
    char s[16];
    snprintf(s, sizeof(s), "E%u ", depth);
    trace_add(ctx, s);
    return 0;
}

static int t_kv(void *ctx, const char *key, const uint8_t *value, size_t len, unsigned depth)
{
    char s[600];
    snprintf(s, sizeof(s), "K%u:%s=%.*s ", depth, key, (int)len, (const char *)value);
    trace_add(ctx, s);
    return 0;
}

static int t_list_start(void *ctx, const char *name, unsigned depth)
{
    char s[300];
    snprintf(s, sizeof(s), "L%u:%s ", depth, name);
    trace_add(ctx, s);
    return 0;
}

static int t_item(void *ctx, const uint8_t *value, size_t len)
{
    struct trace *t = ctx;
    char s[300];
    snprintf(s, sizeof(s), "I:%.*s ", (int)len, (const char *)value);
    trace_add(t, s);
    return t->stop_at_item ? 42 : 0;
}

static int t_list_end(void *ctx)
{
    trace_add(ctx, "/L ");
    return 0;
}

START_TEST(walker_visits_in_order_and_stops_when_asked)
{
    static const struct vici_visitor v = {
        t_section_start, t_section_end, t_kv, t_list_start, t_item, t_list_end,
    };
    struct trace t = { "", 0 };

    ck_assert_int_eq(vici_walk(example, sizeof(example), NULL, &v, &t), VICI_OK);
    ck_assert_str_eq(t.text, "K0:key1=value1 S0:section1 S1:sub-section K2:key2=value2 E1 "
                             "L1:list1 I:item1 I:item2 /L E0 ");
    memset(&t, 0, sizeof(t));
    t.stop_at_item = 1;
    ck_assert_int_eq(vici_walk(example, sizeof(example), NULL, &v, &t), 42);
    ck_assert_str_eq(t.text, "K0:key1=value1 S0:section1 S1:sub-section K2:key2=value2 E1 L1:list1 I:item1 ");
}
END_TEST

START_TEST(fixed_buffer_overflow_at_every_size)
{
    uint8_t buf[sizeof(example)];

    for (size_t cap = 0; cap <= sizeof(example); cap++)
    {
        struct vici_builder b;
        size_t len = 0;

        vici_builder_init_fixed(&b, buf, cap);
        build_example(&b);
        if (cap < sizeof(example))
            ck_assert_int_eq(vici_builder_finish(&b, NULL, NULL), VICI_E_OVERFLOW);
        else
        {
            ck_assert_int_eq(vici_builder_finish(&b, NULL, &len), VICI_OK);
            ck_assert_uint_eq(len, sizeof(example));
        }
    }
}
END_TEST

START_TEST(growing_buffer_and_its_ceiling)
{
    struct vici_builder b;
    struct vici_tree t;
    const uint8_t *out;
    size_t len;
    char value[1000];

    memset(value, 'v', sizeof(value));
    vici_builder_init_growing(&b, VICI_MAX_SEGMENT + VICI_LENGTH_PREFIX);
    vici_begin_packet(&b, VICI_CMD_RESPONSE, NULL);
    vici_list_start(&b, "big");
    for (int i = 0; i < 400; i++) vici_list_item(&b, value, sizeof(value));
    vici_list_end(&b);
    ck_assert_int_eq(vici_builder_finish(&b, &out, &len), VICI_OK);
    ck_assert_uint_eq(len, 4 + 1 + 5 + 400 * 1003 + 1);
    ck_assert_int_eq(vici_tree_parse(out + 5, len - 5, NULL, &t), VICI_OK);
    ck_assert_uint_eq(vici_find(t.root, "big")->n_children, 400);
    vici_tree_free(&t);
    vici_builder_release(&b);

    /* More than a packet may hold. */
    vici_builder_init_growing(&b, 2 * VICI_MAX_SEGMENT);
    vici_begin_packet(&b, VICI_CMD_RESPONSE, NULL);
    vici_list_start(&b, "big");
    for (int i = 0; i < 600; i++) vici_list_item(&b, value, sizeof(value));
    vici_list_end(&b);
    ck_assert_int_eq(vici_builder_finish(&b, NULL, NULL), VICI_E_OVERFLOW);
    vici_builder_release(&b);

    /* The ceiling the caller set. */
    vici_builder_init_growing(&b, 3000);
    for (int i = 0; i < 3; i++) vici_key_value(&b, i == 0 ? "a" : i == 1 ? "b" : "c", value, sizeof(value));
    ck_assert_int_eq(vici_builder_finish(&b, NULL, NULL), VICI_E_OVERFLOW);
    vici_builder_release(&b);
}
END_TEST

static int misuse(void (*calls)(struct vici_builder *))
{
    uint8_t buf[512];
    struct vici_builder b;

    vici_builder_init_fixed(&b, buf, sizeof(buf));
    calls(&b);
    return vici_builder_finish(&b, NULL, NULL);
}

static void kv_in_list(struct vici_builder *b) { vici_list_start(b, "l"); vici_key_str(b, "k", "v"); vici_list_end(b); }
static void section_in_list(struct vici_builder *b) { vici_list_start(b, "l"); vici_section_start(b, "s"); }
static void item_outside(struct vici_builder *b) { vici_list_str(b, "x"); }
static void end_without_section(struct vici_builder *b) { vici_section_end(b); }
static void end_without_list(struct vici_builder *b) { vici_list_end(b); }
static void unclosed_section(struct vici_builder *b) { vici_section_start(b, "s"); }
static void unclosed_list(struct vici_builder *b) { vici_list_start(b, "l"); }
static void empty_name(struct vici_builder *b) { vici_key_str(b, "", "v"); }
static void null_name(struct vici_builder *b) { vici_section_start(b, NULL); vici_section_end(b); }
static void null_value(struct vici_builder *b) { vici_key_str(b, "k", NULL); }
static void long_name(struct vici_builder *b)
{
    char name[VICI_MAX_NAME + 2];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = 0;
    vici_key_str(b, name, "v");
}
static void longest_name(struct vici_builder *b)
{
    char name[VICI_MAX_NAME + 1];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = 0;
    vici_key_str(b, name, "v");
}
static void long_value(struct vici_builder *b) { vici_key_value(b, "k", "", VICI_MAX_VALUE + 1); }
static void message_after_confirm(struct vici_builder *b) { vici_begin_packet(b, VICI_EVENT_CONFIRM, NULL); vici_key_str(b, "k", "v"); }
static void packet_twice(struct vici_builder *b) { vici_begin_packet(b, VICI_CMD_RESPONSE, NULL); vici_begin_packet(b, VICI_CMD_RESPONSE, NULL); }
static void packet_after_element(struct vici_builder *b) { vici_key_str(b, "k", "v"); vici_begin_packet(b, VICI_CMD_RESPONSE, NULL); }
static void request_without_name(struct vici_builder *b) { vici_begin_packet(b, VICI_CMD_REQUEST, NULL); }
static void response_with_name(struct vici_builder *b) { vici_begin_packet(b, VICI_CMD_RESPONSE, "x"); }
static void unknown_packet(struct vici_builder *b) { vici_begin_packet(b, (enum vici_packet_type)8, NULL); }
static void too_deep(struct vici_builder *b)
{
    for (unsigned i = 0; i <= vici_default_limits.max_depth; i++) vici_section_start(b, "s");
}
static void deepest(struct vici_builder *b)
{
    for (unsigned i = 0; i < vici_default_limits.max_depth; i++) vici_section_start(b, "s");
    for (unsigned i = 0; i < vici_default_limits.max_depth; i++) vici_section_end(b);
}
static void fmt_value(struct vici_builder *b) { vici_key_fmt(b, "n", "%d-%s", 42, "x"); }

START_TEST(builder_refuses_misuse)
{
    ck_assert_int_eq(misuse(kv_in_list), VICI_E_USAGE);
    ck_assert_int_eq(misuse(section_in_list), VICI_E_USAGE);
    ck_assert_int_eq(misuse(item_outside), VICI_E_USAGE);
    ck_assert_int_eq(misuse(end_without_section), VICI_E_USAGE);
    ck_assert_int_eq(misuse(end_without_list), VICI_E_USAGE);
    ck_assert_int_eq(misuse(unclosed_section), VICI_E_USAGE);
    ck_assert_int_eq(misuse(unclosed_list), VICI_E_USAGE);
    ck_assert_int_eq(misuse(empty_name), VICI_E_USAGE);
    ck_assert_int_eq(misuse(null_name), VICI_E_USAGE);
    ck_assert_int_eq(misuse(null_value), VICI_E_USAGE);
    ck_assert_int_eq(misuse(long_name), VICI_E_USAGE);
    ck_assert_int_eq(misuse(long_value), VICI_E_USAGE);
    ck_assert_int_eq(misuse(message_after_confirm), VICI_E_USAGE);
    ck_assert_int_eq(misuse(packet_twice), VICI_E_USAGE);
    ck_assert_int_eq(misuse(packet_after_element), VICI_E_USAGE);
    ck_assert_int_eq(misuse(request_without_name), VICI_E_USAGE);
    ck_assert_int_eq(misuse(response_with_name), VICI_E_USAGE);
    ck_assert_int_eq(misuse(unknown_packet), VICI_E_USAGE);
    ck_assert_int_eq(misuse(too_deep), VICI_E_USAGE);
    /* the edges that are allowed */
    ck_assert_int_eq(misuse(longest_name), VICI_OK);
    ck_assert_int_eq(misuse(deepest), VICI_OK);
    ck_assert_int_eq(misuse(fmt_value), VICI_OK);
}
END_TEST

START_TEST(format_values_long_and_short)
{
    struct vici_builder b;
    struct vici_tree t;
    const uint8_t *out;
    size_t len;
    char big[1001];

    memset(big, 'z', 1000);
    big[1000] = 0;
    vici_builder_init_growing(&b, 8192);
    vici_key_fmt(&b, "short", "%u/%s", 24u, "x");
    vici_key_fmt(&b, "long", "<%s>", big);
    ck_assert_int_eq(vici_builder_finish(&b, &out, &len), VICI_OK);
    ck_assert_int_eq(vici_tree_parse(out, len, NULL, &t), VICI_OK);
    ck_assert_str_eq(vici_find_str(t.root, "short"), "24/x");
    ck_assert_uint_eq(vici_find(t.root, "long")->value_len, 1002);
    vici_tree_free(&t);
    vici_builder_release(&b);
}
END_TEST

START_TEST(reply_result_reads_success_and_errmsg)
{
    static const uint8_t ok[] = { 3, 7, 's', 'u', 'c', 'c', 'e', 's', 's', 0, 3, 'y', 'e', 's' };
    static const uint8_t no[] = { 3, 7, 's', 'u', 'c', 'c', 'e', 's', 's', 0, 2, 'n', 'o',
                                  3, 6, 'e', 'r', 'r', 'm', 's', 'g', 0, 4, 'b', 'a', 'd', '!' };
    static const uint8_t bare_no[] = { 3, 7, 's', 'u', 'c', 'c', 'e', 's', 's', 0, 2, 'n', 'o' };
    struct vici_tree t;
    char why[64];

    ck_assert_int_eq(vici_tree_parse(ok, sizeof(ok), NULL, &t), VICI_OK);
    ck_assert_int_eq(vici_reply_result(t.root, why, sizeof(why)), VICI_OK);
    vici_tree_free(&t);
    ck_assert_int_eq(vici_tree_parse(no, sizeof(no), NULL, &t), VICI_OK);
    ck_assert_int_eq(vici_reply_result(t.root, why, sizeof(why)), VICI_E_FAILED);
    ck_assert_str_eq(why, "bad!");
    ck_assert_int_eq(vici_reply_result(t.root, why, 3), VICI_E_FAILED);
    ck_assert_str_eq(why, "ba");
    vici_tree_free(&t);
    ck_assert_int_eq(vici_tree_parse(bare_no, sizeof(bare_no), NULL, &t), VICI_OK);
    ck_assert_int_eq(vici_reply_result(t.root, why, sizeof(why)), VICI_E_FAILED);
    ck_assert_ptr_nonnull(strstr(why, "without errmsg"));
    vici_tree_free(&t);
    ck_assert_int_eq(vici_tree_parse(example, sizeof(example), NULL, &t), VICI_OK);
    ck_assert_int_eq(vici_reply_result(t.root, why, sizeof(why)), VICI_E_FAILED);
    ck_assert_ptr_nonnull(strstr(why, "no success key"));
    vici_tree_free(&t);
}
END_TEST

START_TEST(every_status_has_its_own_text)
{
    for (int a = VICI_E_NOT_FOUND; a <= VICI_OK; a++)
    {
        ck_assert_str_ne(vici_strerror(a), "unknown error");
        for (int b = a + 1; b <= VICI_OK; b++) ck_assert_str_ne(vici_strerror(a), vici_strerror(b));
    }
    ck_assert_str_eq(vici_strerror(VICI_E_NOT_FOUND - 1), "unknown error");
    ck_assert_str_eq(vici_packet_type_name(VICI_EVENT), "EVENT");
    ck_assert_str_eq(vici_packet_type_name(8), "?");
}
END_TEST

Suite *vici_suite(void)
{
    Suite *s = suite_create("vici");
    TCase *tc = tcase_create("codec");

    tcase_add_test(tc, builder_writes_the_protocol_example);
    tcase_add_test(tc, tree_of_the_protocol_example);
    tcase_add_test(tc, tree_reencodes_to_the_same_bytes);
    tcase_add_test(tc, binary_values_and_empty_values_survive);
    tcase_add_test(tc, packet_framing_of_every_type);
    tcase_add_test(tc, version_request_bytes);
    tcase_add_test(tc, malformed_packets);
    tcase_add_test(tc, every_truncation_is_rejected);
    tcase_add_test(tc, malformed_messages);
    tcase_add_test(tc, duplicate_names_are_rejected_by_the_tree);
    tcase_add_test(tc, limits_depth_size_and_count);
    tcase_add_test(tc, walker_visits_in_order_and_stops_when_asked);
    tcase_add_test(tc, fixed_buffer_overflow_at_every_size);
    tcase_add_test(tc, growing_buffer_and_its_ceiling);
    tcase_add_test(tc, builder_refuses_misuse);
    tcase_add_test(tc, format_values_long_and_short);
    tcase_add_test(tc, reply_result_reads_success_and_errmsg);
    tcase_add_test(tc, every_status_has_its_own_text);
    suite_add_tcase(s, tc);
    return s;
}
