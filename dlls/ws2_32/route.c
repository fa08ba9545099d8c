/*
 * How a secured socket may go on, as secsockd decides per request:
 *   REFUSE   the call fails and nothing was sent;
 *   DIRECT   clear text is allowed (ALLOW_INSECURE): Wine's call as is;
 *   RELAY    the socket connects to the service's relay for that peer;
 *   PROTECTED the socket connects directly while the service holds the
 *            connection's protection (for as long as the control
 *            connection stays open);
 *   RESERVED (bind) the service holds the public address; the program's
 *            socket binds a hidden loopback address the service relays to.
 * When the service cannot be reached, secured sockets fail (WSAENETDOWN):
 * never clear text.  This file asks and applies; connect.c, accept.c and
 * divert.c are the calls that ask.
 */
#include "ws2_32_private.h"
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);



BOOL take_snapshot(SOCKET s, const struct secsock_addr *peer, struct snapshot *snap)
{
    struct secsock_socket *sock = sockstate_get(s, FALSE);
    const char *target;

    memset(snap, 0, sizeof(*snap));
    if (!sock) return FALSE;
    snap->secured = sock->secured;
    snap->family = sock->family;
    snap->type = sock->type;
    snap->settings = sock->settings;
    if ((target = sockstate_target_for(sock, peer))) strcpy(snap->target, target);
    snap->reserved = sock->reserved;
    snap->own_address = sock->own_address;
    snap->accepted_info_flags = sock->accepted_info_flags;
    snap->relays_announced = sock->relays_announced;
    snap->lease = sock->lease;
    snap->public_local = sock->public_local;
    snap->has_peer = sock->has_peer;
    snap->peer = sock->peer;
    snap->has_local = sock->has_local;
    snap->local = sock->local;
    sockstate_release(sock);
    return snap->secured;
}

uint8_t wire_socktype(int type)
{
    return type == SOCK_DGRAM ? SECSOCK_SOCK_DGRAM : SECSOCK_SOCK_STREAM;
}


/* Applies a verdict of the service to socket s. */
static enum route apply_verdict(SOCKET s, const struct secsock_msg *reply, const struct secsock_addr *peer,
                                struct secsock_addr *relay, int *err)
{
    const struct secsock_msg_connect_verdict *v = &reply->u.connect_verdict;
    struct secsock_socket *sock;

    if (reply->type != SECSOCK_MSG_CONNECT_VERDICT)
    {
        *err = WSAENETDOWN;
        return ROUTE_FAIL;
    }
    TRACE("socket %#Ix: verdict %u (backend %s, flags %#x)\n", s, v->verdict, debugstr_a(v->backend),
          v->info_flags);
    switch (v->verdict)
    {
    case SECSOCK_VERDICT_PENDING:
        return ROUTE_PENDING;
    case SECSOCK_VERDICT_DIRECT:
    case SECSOCK_VERDICT_PROTECTED:
    case SECSOCK_VERDICT_RELAY:
        if ((sock = sockstate_get(s, FALSE)))
        {
            sock->info_flags = v->info_flags;
            if (v->verdict == SECSOCK_VERDICT_RELAY)
            {
                sock->has_peer = TRUE;
                sock->peer = *peer;
            }
            sockstate_release(sock);
        }
        if (v->verdict == SECSOCK_VERDICT_DIRECT) return ROUTE_DIRECT;
        if (v->verdict == SECSOCK_VERDICT_PROTECTED) return ROUTE_PROTECTED;
        *relay = v->relay;
        return ROUTE_RELAY;
    default:
        *err = v->wsa_error ? (int)v->wsa_error : WSAECONNREFUSED;
        WARN("socket %#Ix: secured connection refused (%d)\n", s, *err);
        return ROUTE_FAIL;
    }
}

/* ROUTE_PROTECTED: the service protects the connection while conn stays open;
 * the socket keeps conn until it is closed.  Then it connects directly. */
static enum route hold_connection(SOCKET s, SOCKET conn, int *err)
{
    struct secsock_socket *sock = sockstate_get(s, FALSE);

    if (!sock)
    {
        control_close(conn);
        *err = WSAENOTSOCK;
        return ROUTE_FAIL;
    }
    if (sock->held != INVALID_SOCKET) control_close(sock->held);
    sock->held = conn;
    sockstate_release(sock);
    return ROUTE_DIRECT;
}

/* What SOCKET_SECURITY_SETTINGS_IPSEC asks beyond the protocol, as the
 * service's SECSOCK_DEMAND_* bits: the service decides what it can honour. */
static uint32_t settings_demands(const struct secsock_settings *settings)
{
    static const uint8_t no_key[16];
    uint32_t demands = 0;

    if (!settings->has_ipsec) return 0;
    if (settings->user[0] || settings->domain[0] || settings->password_len) demands |= SECSOCK_DEMAND_CREDENTIALS;
    if (memcmp(settings->mm_policy_key, no_key, sizeof(no_key))) demands |= SECSOCK_DEMAND_MM_POLICY;
    if (memcmp(settings->qm_policy_key, no_key, sizeof(no_key))) demands |= SECSOCK_DEMAND_QM_POLICY;
    return demands;
}

/* When a backend of the service protects the 5-tuple (SECSOCK_NEED_LOCAL_END),
 * the service must know the local end before the connection exists: an
 * unbound socket is bound to an ephemeral port first (as connect would do).
 * Any protocol may be served by such a backend, so every stream socket
 * sends it then. */
static int local_end(SOCKET s, const struct snapshot *snap, struct secsock_addr *local)
{
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss);

    memset(local, 0, sizeof(*local));
    if (REAL(getsockname)(s, (struct sockaddr *)&ss, &len))
    {
        memset(&ss, 0, sizeof(ss));
        ss.ss_family = snap->family;
        len = snap->family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        if (REAL(bind)(s, (struct sockaddr *)&ss, len)) return WSAGetLastError();
        len = sizeof(ss);
        if (REAL(getsockname)(s, (struct sockaddr *)&ss, &len)) return WSAGetLastError();
    }
    return addr_from_sockaddr((struct sockaddr *)&ss, len, local);
}

/* The CONNECT request for socket s to peer; 0 or a Windows error. */
static int build_connect(SOCKET s, const struct snapshot *snap, const struct secsock_addr *peer, struct secsock_msg *req)
{
    int err;

    memset(req, 0, sizeof(*req));
    if (snap->type == SOCK_STREAM && (control_needs() & SECSOCK_NEED_LOCAL_END) &&
        (err = local_end(s, snap, &req->u.connect.local)))
        return err;
    req->type = SECSOCK_MSG_CONNECT;
    req->u.connect.protocol = snap->settings.protocol;
    req->u.connect.flags = snap->settings.flags;
    req->u.connect.demands = settings_demands(&snap->settings);
    req->u.connect.ipsec_flags = snap->settings.has_ipsec ? snap->settings.ipsec_flags : 0;
    req->u.connect.socktype = wire_socktype(snap->type);
    req->u.connect.peer = *peer;
    strcpy(req->u.connect.target_name, snap->target);
    return 0;
}

/* Asks the service how socket s may reach peer.  ROUTE_PENDING: the
 * service is setting the connection up; *conn stays open for
 * await_route().  On ROUTE_RELAY, *relay is where the program's socket
 * connects instead. */
enum route ask_route(SOCKET s, const struct snapshot *snap, const struct secsock_addr *peer,
                            struct secsock_addr *relay, SOCKET *conn, int *err)
{
    struct secsock_msg req, reply;
    enum route route;

    if ((*conn = control_open(err)) == INVALID_SOCKET) return ROUTE_FAIL;
    if ((*err = build_connect(s, snap, peer, &req)) || (*err = control_call(*conn, &req, &reply)))
        route = ROUTE_FAIL;
    else route = apply_verdict(s, &reply, peer, relay, err);
    if (route == ROUTE_PROTECTED)
    {
        route = hold_connection(s, *conn, err);
        *conn = INVALID_SOCKET;
    }
    else if (route != ROUTE_PENDING)
    {
        control_close(*conn);
        *conn = INVALID_SOCKET;
    }
    return route;
}

enum route datagram_route(SOCKET s, const struct snapshot *snap, const struct secsock_addr *peer, int *err)
{
    struct secsock_msg req, reply;
    struct secsock_addr relay;
    enum route route;
    SOCKET conn;

    if ((*err = build_connect(s, snap, peer, &req))) return ROUTE_FAIL;
    if (verdict_cache_get(&req.u.connect, &route, err)) return route;
    if ((conn = control_open(err)) == INVALID_SOCKET) return ROUTE_FAIL;
    *err = control_call(conn, &req, &reply);
    control_close(conn);
    if (*err) return ROUTE_FAIL;
    route = apply_verdict(s, &reply, peer, &relay, err);
    /* Datagrams have no relay and no held protection yet: anything but
     * clear text allowed is refused, and nothing is sent. */
    if (route != ROUTE_DIRECT && route != ROUTE_FAIL)
    {
        route = ROUTE_FAIL;
        *err = WSAEOPNOTSUPP;
    }
    if (route == ROUTE_DIRECT || reply.u.connect_verdict.verdict == SECSOCK_VERDICT_REFUSE)
        verdict_cache_put(&req.u.connect, route, *err, reply.u.connect_verdict.cache_seconds);
    return route;
}

/* The final verdict after ROUTE_PENDING; closes conn. */
enum route await_route(SOCKET s, SOCKET conn, const struct secsock_addr *peer, struct secsock_addr *relay,
                              int *err)
{
    struct secsock_msg reply;
    enum route route;

    /* The service ends every set-up within its own timeout: a little more
     * here tells a dead service from a slow peer. */
    if ((*err = control_wait_message(conn, &reply, (SECSOCK_SETUP_TIMEOUT_S + 5) * 1000)))
    {
        if (*err == WSAETIMEDOUT) *err = WSAENETDOWN;
        route = ROUTE_FAIL;
    }
    else if ((route = apply_verdict(s, &reply, peer, relay, err)) == ROUTE_PENDING)
    {
        *err = WSAENETDOWN;
        route = ROUTE_FAIL;
    }
    else if (route == ROUTE_PROTECTED)
        return hold_connection(s, conn, err);
    control_close(conn);
    return route;
}

/* Both steps, for calls that block until the connection is set up. */
enum route connect_route(SOCKET s, const struct snapshot *snap, const struct secsock_addr *peer,
                                struct secsock_addr *relay, int *err)
{
    SOCKET conn;
    enum route route = ask_route(s, snap, peer, relay, &conn, err);

    return route == ROUTE_PENDING ? await_route(s, conn, peer, relay, err) : route;
}

/* Where a socket connects for a route: the peer itself (DIRECT) or the
 * relay.  FALSE with the error set when it cannot. */
BOOL route_target(enum route route, const struct sockaddr *name, int namelen,
                         const struct secsock_addr *relay, int err, SOCKADDR_STORAGE *target, int *target_len)
{
    switch (route)
    {
    case ROUTE_DIRECT:
        if (namelen > (int)sizeof(*target)) namelen = sizeof(*target);
        memcpy(target, name, namelen);
        *target_len = namelen;
        return TRUE;
    case ROUTE_RELAY:
        *target_len = sizeof(*target);
        if (addr_to_sockaddr(relay, (struct sockaddr *)target, target_len)) return secsock_fail(WSAENETDOWN);
        return TRUE;
    default:
        return secsock_fail(err);
    }
}

/* The address a secured socket's connect really goes to, once the
 * service has set the connection up.  Returns FALSE with the error set
 * when it may not connect at all. */
BOOL route_connect(SOCKET s, const struct sockaddr *name, int namelen, const struct snapshot *snap,
                          SOCKADDR_STORAGE *target, int *target_len)
{
    struct secsock_addr peer, relay;
    enum route route;
    int err = 0;

    if ((err = addr_from_sockaddr(name, namelen, &peer))) return secsock_fail(err);
    route = connect_route(s, snap, &peer, &relay, &err);
    return route_target(route, name, namelen, &relay, err, target, target_len);
}
