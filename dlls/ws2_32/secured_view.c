/*
 * The WFP view's source in this DLL: what secsockd secured, one connection
 * per control request (SECURED_QUERY).  fwpuclnt asks through
 * SIO_SECSOCK_SECURED_CONNECTION; the IPSEC2 query asks for its own
 * connection's SA ids.
 */
#include "ws2_32_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

static int ask(const struct secsock_msg_secured_query *query, struct secsock_msg_secured_entry *entry)
{
    struct secsock_msg req, reply;
    SOCKET conn;
    int err = 0;

    if ((conn = control_open(&err)) == INVALID_SOCKET) return err;
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_SECURED_QUERY;
    req.u.secured_query = *query;
    if (!(err = control_call(conn, &req, &reply)) && reply.type != SECSOCK_MSG_SECURED_ENTRY)
    {
        WARN("secsockd answered SECURED_QUERY with %s\n", secsock_msg_name(reply.type));
        err = WSAENETDOWN;
    }
    control_close(conn);
    if (!err) *entry = reply.u.secured_entry;
    return err;
}

int secured_view_ioctl(const void *in, DWORD in_len, void *out, DWORD out_len, DWORD *returned)
{
    struct secsock_msg_secured_query query;
    int err;

    if (!in || in_len < sizeof(query) || !out || out_len < sizeof(struct secsock_msg_secured_entry))
        return WSAEFAULT;
    memcpy(&query, in, sizeof(query));
    if ((err = ask(&query, out))) return err;
    *returned = sizeof(struct secsock_msg_secured_entry);
    return 0;
}

int secured_view_lookup(const struct secsock_addr *local, const struct secsock_addr *remote,
                        struct secsock_msg_secured_entry *entry)
{
    struct secsock_msg_secured_query query;
    int err;

    memset(&query, 0, sizeof(query));
    query.local = *local;
    query.remote = *remote;
    if ((err = ask(&query, entry))) return err;
    return entry->id ? 0 : WSAENOTCONN;
}
