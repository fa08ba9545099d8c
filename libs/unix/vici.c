/* VICI: the packet layer and the message walker over untrusted bytes.
 * Every read is checked against the end of the input before it is made. */
#include <string.h>
#include "unix/vici.h"

const struct vici_limits vici_default_limits = {
    .max_depth = 32,
    .max_size = VICI_MAX_SEGMENT,
    .max_elements = 65536,
};

const char *vici_strerror(int status)
{
    switch (status)
    {
    case VICI_OK: return "success";
    case VICI_E_TRUNCATED: return "truncated input";
    case VICI_E_TOO_LARGE: return "packet or message too large";
    case VICI_E_PACKET_TYPE: return "unknown packet type";
    case VICI_E_TRAILING: return "bytes after a packet without a message";
    case VICI_E_NAME: return "empty name or name with a NUL byte";
    case VICI_E_ELEMENT: return "unknown message element";
    case VICI_E_DEPTH: return "sections nested too deep";
    case VICI_E_UNBALANCED: return "end of a section or list that is not open";
    case VICI_E_UNCLOSED: return "message ends inside a section or list";
    case VICI_E_NOT_IN_LIST: return "list item outside a list";
    case VICI_E_IN_LIST: return "element other than an item inside a list";
    case VICI_E_TOO_MANY: return "too many elements";
    case VICI_E_DUPLICATE: return "duplicate name in a section";
    case VICI_E_OVERFLOW: return "output does not fit";
    case VICI_E_USAGE: return "invalid builder call";
    case VICI_E_NOMEM: return "out of memory";
    case VICI_E_IO: return "socket error";
    case VICI_E_TIMEOUT: return "timed out";
    case VICI_E_CLOSED: return "charon closed the connection";
    case VICI_E_UNEXPECTED: return "unexpected packet from charon";
    case VICI_E_UNKNOWN_CMD: return "charon does not know the command";
    case VICI_E_UNKNOWN_EVENT: return "charon does not know the event";
    case VICI_E_FAILED: return "the command failed";
    case VICI_E_NOT_FOUND: return "expected key missing from the reply";
    }
    return status > 0 ? "stopped by a callback" : "unknown error";
}

const char *vici_packet_type_name(int type)
{
    static const char *const names[] = {
#define PACKET_TYPE_NAME(name, value) [value] = #name,
        VICI_PACKET_TYPES(PACKET_TYPE_NAME)
#undef PACKET_TYPE_NAME
    };
    return type >= 0 && type <= VICI_EVENT ? names[type] : "?";
}

int vici_segment_length(const uint8_t prefix[VICI_LENGTH_PREFIX], uint32_t max_len, uint32_t *len)
{
    uint32_t n = (uint32_t)prefix[0] << 24 | (uint32_t)prefix[1] << 16 | (uint32_t)prefix[2] << 8 | prefix[3];

    /* A packet has at least its type byte. */
    if (n == 0) return VICI_E_TRUNCATED;
    if (n > max_len) return VICI_E_TOO_LARGE;
    *len = n;
    return VICI_OK;
}

static int is_named(uint8_t type)
{
    return type == VICI_CMD_REQUEST || type == VICI_EVENT_REGISTER || type == VICI_EVENT_UNREGISTER ||
           type == VICI_EVENT;
}

static int carries_message(uint8_t type)
{
    return type == VICI_CMD_REQUEST || type == VICI_CMD_RESPONSE || type == VICI_EVENT;
}

/* A 1-byte-length name at *pos, copied NUL-terminated into name. */
static int read_name(const uint8_t *data, size_t len, size_t *pos, char name[VICI_MAX_NAME + 1])
{
    size_t n;

    if (*pos >= len) return VICI_E_TRUNCATED;
    n = data[(*pos)++];
    if (n == 0) return VICI_E_NAME;
    if (n > len - *pos) return VICI_E_TRUNCATED;
    if (memchr(data + *pos, 0, n)) return VICI_E_NAME;
    memcpy(name, data + *pos, n);
    name[n] = 0;
    *pos += n;
    return VICI_OK;
}

/* A 2-byte-length value at *pos. */
static int read_value(const uint8_t *data, size_t len, size_t *pos, const uint8_t **value, size_t *value_len)
{
    size_t n;

    if (len - *pos < 2) return VICI_E_TRUNCATED;
    n = (size_t)data[*pos] << 8 | data[*pos + 1];
    *pos += 2;
    if (n > len - *pos) return VICI_E_TRUNCATED;
    *value = data + *pos;
    *value_len = n;
    *pos += n;
    return VICI_OK;
}

int vici_packet_parse(const uint8_t *data, size_t len, struct vici_packet *out)
{
    size_t pos = 1;
    int st;

    if (len == 0) return VICI_E_TRUNCATED;
    if (len > VICI_MAX_SEGMENT) return VICI_E_TOO_LARGE;
    if (data[0] > VICI_EVENT) return VICI_E_PACKET_TYPE;
    out->type = data[0];
    out->name[0] = 0;
    if (is_named(out->type) && (st = read_name(data, len, &pos, out->name))) return st;
    if (carries_message(out->type))
    {
        out->msg = data + pos;
        out->msg_len = len - pos;
    }
    else
    {
        if (pos != len) return VICI_E_TRAILING;
        out->msg = NULL;
        out->msg_len = 0;
    }
    return VICI_OK;
}

#define CALL(cb, ...) do { if (visitor && visitor->cb && (st = visitor->cb(ctx, __VA_ARGS__))) return st; } while (0)

int vici_walk(const uint8_t *msg, size_t len, const struct vici_limits *limits,
              const struct vici_visitor *visitor, void *ctx)
{
    char name[VICI_MAX_NAME + 1];
    const uint8_t *value;
    size_t pos = 0, count = 0, value_len;
    unsigned depth = 0;
    int in_list = 0, st;

    if (!limits) limits = &vici_default_limits;
    if (len > limits->max_size) return VICI_E_TOO_LARGE;
    while (pos < len)
    {
        uint8_t type = msg[pos++];

        if (++count > limits->max_elements) return VICI_E_TOO_MANY;
        if (in_list && type != VICI_LIST_ITEM && type != VICI_LIST_END)
            return type >= VICI_SECTION_START && type <= VICI_LIST_END ? VICI_E_IN_LIST : VICI_E_ELEMENT;
        switch (type)
        {
        case VICI_SECTION_START:
            if ((st = read_name(msg, len, &pos, name))) return st;
            if (depth >= limits->max_depth) return VICI_E_DEPTH;
            CALL(section_start, name, depth);
            depth++;
            break;
        case VICI_SECTION_END:
            if (depth == 0) return VICI_E_UNBALANCED;
            depth--;
            CALL(section_end, depth);
            break;
        case VICI_KEY_VALUE:
            if ((st = read_name(msg, len, &pos, name))) return st;
            if ((st = read_value(msg, len, &pos, &value, &value_len))) return st;
            CALL(key_value, name, value, value_len, depth);
            break;
        case VICI_LIST_START:
            if ((st = read_name(msg, len, &pos, name))) return st;
            CALL(list_start, name, depth);
            in_list = 1;
            break;
        case VICI_LIST_ITEM:
            if (!in_list) return VICI_E_NOT_IN_LIST;
            if ((st = read_value(msg, len, &pos, &value, &value_len))) return st;
            CALL(list_item, value, value_len);
            break;
        case VICI_LIST_END:
            if (!in_list) return VICI_E_UNBALANCED;
            in_list = 0;
            if (visitor && visitor->list_end && (st = visitor->list_end(ctx))) return st;
            break;
        default:
            return VICI_E_ELEMENT;
        }
    }
    return in_list || depth ? VICI_E_UNCLOSED : VICI_OK;
}
