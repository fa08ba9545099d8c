/* VICI: the encoder.  Errors stick in the builder, so a request is
 * written as a straight list of calls and checked once at the end. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unix/vici.h"

void vici_builder_init_fixed(struct vici_builder *b, uint8_t *buf, size_t cap)
{
    memset(b, 0, sizeof(*b));
    b->buf = buf;
    b->cap = cap;
    b->max = cap;
    b->takes_message = 1;
}

void vici_builder_init_growing(struct vici_builder *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
    b->grows = 1;
    b->takes_message = 1;
}

void vici_builder_release(struct vici_builder *b)
{
    if (b->grows) free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
}

static int fail(struct vici_builder *b, int status)
{
    if (!b->status) b->status = status;
    return b->status;
}

/* Makes room for n more bytes; 0 when there is. */
static int room(struct vici_builder *b, size_t n)
{
    size_t want, cap;
    uint8_t *p;

    if (b->status) return b->status;
    if (n <= b->cap - b->len) return 0;
    if (!b->grows || n > b->max - b->len) return fail(b, VICI_E_OVERFLOW);
    want = b->len + n;
    cap = b->cap ? b->cap : 256;
    while (cap < want) cap = cap > b->max / 2 ? b->max : cap * 2;
    if (cap > b->max) cap = b->max;
    if (!(p = realloc(b->buf, cap))) return fail(b, VICI_E_NOMEM);
    b->buf = p;
    b->cap = cap;
    return 0;
}

static void put(struct vici_builder *b, const void *data, size_t n)
{
    memcpy(b->buf + b->len, data, n);
    b->len += n;
}

static void put_byte(struct vici_builder *b, uint8_t v)
{
    b->buf[b->len++] = v;
}

static void put_u16(struct vici_builder *b, size_t v)
{
    put_byte(b, (uint8_t)(v >> 8));
    put_byte(b, (uint8_t)v);
}

/* Length of a valid name, or 0. */
static size_t name_length(const char *name)
{
    size_t n = name ? strnlen(name, VICI_MAX_NAME + 1) : 0;
    return n <= VICI_MAX_NAME ? n : 0;
}

/* Checks an element may come now and makes room for it; 0 when it may. */
static int element(struct vici_builder *b, uint8_t type, size_t size)
{
    int list_type = type == VICI_LIST_ITEM || type == VICI_LIST_END;

    if (b->status) return b->status;
    if (!b->takes_message || b->in_list != list_type) return fail(b, VICI_E_USAGE);
    if (++b->elements > vici_default_limits.max_elements) return fail(b, VICI_E_OVERFLOW);
    return room(b, size);
}

/* The element header of a named element. */
static int named(struct vici_builder *b, uint8_t type, const char *name, size_t extra)
{
    size_t n = name_length(name);

    if (!n) return fail(b, VICI_E_USAGE);
    if (element(b, type, 2 + n + extra)) return b->status;
    put_byte(b, type);
    put_byte(b, (uint8_t)n);
    put(b, name, n);
    return 0;
}

void vici_begin_packet(struct vici_builder *b, enum vici_packet_type type, const char *name)
{
    int has_name = type == VICI_CMD_REQUEST || type == VICI_EVENT_REGISTER || type == VICI_EVENT_UNREGISTER ||
                   type == VICI_EVENT;
    size_t n = name_length(name);

    if (b->status) return;
    if (b->len || b->framed || (unsigned)type > VICI_EVENT || (has_name ? !n : name != NULL))
    {
        fail(b, VICI_E_USAGE);
        return;
    }
    if (room(b, VICI_LENGTH_PREFIX + 1 + (has_name ? 1 + n : 0))) return;
    /* The length is patched in by vici_builder_finish(). */
    memset(b->buf, 0, VICI_LENGTH_PREFIX);
    b->len = VICI_LENGTH_PREFIX;
    put_byte(b, (uint8_t)type);
    if (has_name)
    {
        put_byte(b, (uint8_t)n);
        put(b, name, n);
    }
    b->framed = 1;
    b->takes_message = type == VICI_CMD_REQUEST || type == VICI_CMD_RESPONSE || type == VICI_EVENT;
}

void vici_section_start(struct vici_builder *b, const char *name)
{
    if (b->depth >= vici_default_limits.max_depth)
    {
        fail(b, VICI_E_USAGE);
        return;
    }
    if (!named(b, VICI_SECTION_START, name, 0)) b->depth++;
}

void vici_section_end(struct vici_builder *b)
{
    if (!b->depth)
    {
        fail(b, VICI_E_USAGE);
        return;
    }
    if (element(b, VICI_SECTION_END, 1)) return;
    put_byte(b, VICI_SECTION_END);
    b->depth--;
}

void vici_key_value(struct vici_builder *b, const char *key, const void *value, size_t len)
{
    if (len > VICI_MAX_VALUE || (len && !value))
    {
        fail(b, VICI_E_USAGE);
        return;
    }
    if (named(b, VICI_KEY_VALUE, key, 2 + len)) return;
    put_u16(b, len);
    if (len) put(b, value, len);
}

void vici_key_str(struct vici_builder *b, const char *key, const char *value)
{
    if (!value)
    {
        fail(b, VICI_E_USAGE);
        return;
    }
    vici_key_value(b, key, value, strlen(value));
}

void vici_key_fmt(struct vici_builder *b, const char *key, const char *fmt, ...)
{
    char small[256], *text = small;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n > VICI_MAX_VALUE)
    {
        fail(b, VICI_E_USAGE);
        return;
    }
    if ((size_t)n >= sizeof(small))
    {
        if (!(text = malloc((size_t)n + 1)))
        {
            fail(b, VICI_E_NOMEM);
            return;
        }
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    vici_key_value(b, key, text, (size_t)n);
    if (text != small) free(text);
}

void vici_list_start(struct vici_builder *b, const char *name)
{
    if (!named(b, VICI_LIST_START, name, 0)) b->in_list = 1;
}

void vici_list_item(struct vici_builder *b, const void *value, size_t len)
{
    if (len > VICI_MAX_VALUE || (len && !value))
    {
        fail(b, VICI_E_USAGE);
        return;
    }
    if (element(b, VICI_LIST_ITEM, 3 + len)) return;
    put_byte(b, VICI_LIST_ITEM);
    put_u16(b, len);
    if (len) put(b, value, len);
}

void vici_list_str(struct vici_builder *b, const char *value)
{
    if (!value)
    {
        fail(b, VICI_E_USAGE);
        return;
    }
    vici_list_item(b, value, strlen(value));
}

void vici_list_end(struct vici_builder *b)
{
    if (element(b, VICI_LIST_END, 1)) return;
    put_byte(b, VICI_LIST_END);
    b->in_list = 0;
}

void vici_add_tree(struct vici_builder *b, const struct vici_node *section)
{
    for (const struct vici_node *c = section->first_child; c && !b->status; c = c->next_sibling)
    {
        switch (c->kind)
        {
        case VICI_NODE_SECTION:
            vici_section_start(b, c->name);
            vici_add_tree(b, c);
            vici_section_end(b);
            break;
        case VICI_NODE_KEY_VALUE:
            vici_key_value(b, c->name, c->value, c->value_len);
            break;
        case VICI_NODE_LIST:
            vici_list_start(b, c->name);
            for (const struct vici_node *i = c->first_child; i; i = i->next_sibling)
                vici_list_item(b, i->value, i->value_len);
            vici_list_end(b);
            break;
        case VICI_NODE_ITEM:
            fail(b, VICI_E_USAGE);
            break;
        }
    }
}

int vici_builder_finish(struct vici_builder *b, const uint8_t **out, size_t *len)
{
    if (b->status) return b->status;
    if (b->depth || b->in_list) return fail(b, VICI_E_USAGE);
    if (b->framed)
    {
        size_t body = b->len - VICI_LENGTH_PREFIX;

        if (body > VICI_MAX_SEGMENT) return fail(b, VICI_E_OVERFLOW);
        b->buf[0] = (uint8_t)(body >> 24);
        b->buf[1] = (uint8_t)(body >> 16);
        b->buf[2] = (uint8_t)(body >> 8);
        b->buf[3] = (uint8_t)body;
    }
    else if (b->len > VICI_MAX_SEGMENT) return fail(b, VICI_E_OVERFLOW);
    if (out) *out = b->buf;
    if (len) *len = b->len;
    return VICI_OK;
}
