/*
 * The calls a secured socket cannot make on its own: connection set-up
 * (connect family, bind, listen, accept family), the local and peer names
 * that set-up changes, datagrams to new peers, and closing.  For a socket
 * that nobody secured each of them is Wine's own call, untouched.
 *
 * secsockd decides, per request, how a secured socket may go on:
 *   REFUSE   the call fails and nothing was sent;
 *   DIRECT   clear text is allowed (ALLOW_INSECURE): Wine's call as is;
 *   RELAY    the socket connects to the service's relay for that peer;
 *   RESERVED (bind) the service holds the public address; the program's
 *            socket binds a hidden loopback address the service relays to.
 * When the service cannot be reached, secured sockets fail (WSAENETDOWN):
 * never clear text.
 */
#include "ws2_32_private.h"
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

int WINAPI secsock_getsockname(SOCKET s, struct sockaddr *name, int *namelen);


/* What a call needs to know about a socket, copied out of the table so
 * that no lock is held while talking to the service. */
struct snapshot {
    BOOL secured;
    BOOL ipsec_server;
    int family, type;
    struct secsock_settings settings;
    char target[SECSOCK_MAX_STR + 1];
    BOOL reserved;
    SOCKET lease;
    struct secsock_addr public_local;
    BOOL has_peer;
    struct secsock_addr peer;
};

static BOOL take_snapshot(SOCKET s, const struct secsock_addr *peer, struct snapshot *snap)
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
    snap->ipsec_server = sock->ipsec_server;
    snap->lease = sock->lease;
    snap->public_local = sock->public_local;
    snap->has_peer = sock->has_peer;
    snap->peer = sock->peer;
    sockstate_release(sock);
    return snap->secured;
}

static BOOL fail(int err)
{
    WSASetLastError(err);
    return FALSE;
}

static uint8_t wire_socktype(int type)
{
    return type == SOCK_DGRAM ? SECSOCK_SOCK_DGRAM : SECSOCK_SOCK_STREAM;
}

enum route { ROUTE_FAIL, ROUTE_DIRECT, ROUTE_RELAY, ROUTE_PENDING, ROUTE_HELD };

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
    TRACE("socket %#Ix: verdict %u from backend %s\n", s, v->verdict, debugstr_a(v->backend));
    switch (v->verdict)
    {
    case SECSOCK_VERDICT_PENDING:
        return ROUTE_PENDING;
    case SECSOCK_VERDICT_DIRECT:
    case SECSOCK_VERDICT_HELD:
    case SECSOCK_VERDICT_RELAY:
        if ((sock = sockstate_get(s, FALSE)))
        {
            sock->info_flags = v->info_flags;
            lstrcpynA(sock->backend, v->backend, sizeof(sock->backend));
            if (v->verdict == SECSOCK_VERDICT_RELAY)
            {
                sock->has_peer = TRUE;
                sock->peer = *peer;
            }
            sockstate_release(sock);
        }
        if (v->verdict == SECSOCK_VERDICT_DIRECT) return ROUTE_DIRECT;
        if (v->verdict == SECSOCK_VERDICT_HELD) return ROUTE_HELD;
        *relay = v->relay;
        return ROUTE_RELAY;
    default:
        *err = v->wsa_error ? (int)v->wsa_error : WSAECONNREFUSED;
        WARN("socket %#Ix: secured connection refused (%d)\n", s, *err);
        return ROUTE_FAIL;
    }
}

/* ROUTE_HELD: the service protects the connection while conn stays open;
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

/* What SOCKET_SECURITY_SETTINGS_IPSEC may ask beyond the protocol: AuthIP
 * user credentials, main- and quick-mode policy keys, IpsecFlags.  The
 * IPsec backend authenticates with pre-shared keys and makes its own
 * filters, so it can honour none of them: such a connect is refused
 * (WSAEOPNOTSUPP), never carried on as if they had been applied. */
static int ipsec_extras_refused(const struct secsock_settings *settings)
{
    static const uint8_t no_key[16];

    if (!settings->has_ipsec) return 0;
    if (settings->user[0] || settings->domain[0] || settings->password_len || settings->ipsec_flags ||
        memcmp(settings->mm_policy_key, no_key, sizeof(no_key)) || memcmp(settings->qm_policy_key, no_key, sizeof(no_key)))
    {
        WARN("IPsec settings this backend cannot honour (credentials, policy keys or IpsecFlags %#x)\n",
             settings->ipsec_flags);
        return WSAEOPNOTSUPP;
    }
    return 0;
}

/* IPsec protects a 5-tuple, so the service must know the local end before
 * the connection exists: an unbound socket is bound to an ephemeral port
 * first (as connect would do).  The DEFAULT protocol may be served by
 * IPsec too (a peer configured for it), so every stream socket sends it. */
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

/* Asks the service how socket s may reach peer.  ROUTE_PENDING: the
 * service is setting the connection up; *conn stays open for
 * await_route().  On ROUTE_RELAY, *relay is where the program's socket
 * connects instead. */
static enum route ask_route(SOCKET s, const struct snapshot *snap, const struct secsock_addr *peer,
                            struct secsock_addr *relay, SOCKET *conn, int *err)
{
    struct secsock_msg req, reply;
    enum route route;

    memset(&req, 0, sizeof(req));
    *conn = INVALID_SOCKET;
    if ((*err = ipsec_extras_refused(&snap->settings))) return ROUTE_FAIL;
    if ((*conn = control_open(err)) == INVALID_SOCKET) return ROUTE_FAIL;
    /* Only the IPsec backend needs the local end (see local_end). */
    if (snap->type == SOCK_STREAM && (control_backends() & SECSOCK_BACKEND_IPSEC) &&
        (*err = local_end(s, snap, &req.u.connect.local)))
    {
        control_close(*conn);
        *conn = INVALID_SOCKET;
        return ROUTE_FAIL;
    }
    req.type = SECSOCK_MSG_CONNECT;
    req.u.connect.protocol = snap->settings.protocol;
    req.u.connect.flags = snap->settings.flags;
    req.u.connect.ipsec_flags = snap->settings.ipsec_flags;
    req.u.connect.socktype = wire_socktype(snap->type);
    req.u.connect.peer = *peer;
    strcpy(req.u.connect.target_name, snap->target);
    if ((*err = control_call(*conn, &req, &reply))) route = ROUTE_FAIL;
    else route = apply_verdict(s, &reply, peer, relay, err);
    if (route == ROUTE_HELD)
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

/* The final verdict after ROUTE_PENDING; closes conn. */
static enum route await_route(SOCKET s, SOCKET conn, const struct secsock_addr *peer, struct secsock_addr *relay,
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
    else if (route == ROUTE_HELD)
        return hold_connection(s, conn, err);
    control_close(conn);
    return route;
}

/* Both steps, for calls that block until the connection is set up. */
static enum route connect_route(SOCKET s, const struct snapshot *snap, const struct secsock_addr *peer,
                                struct secsock_addr *relay, int *err)
{
    SOCKET conn;
    enum route route = ask_route(s, snap, peer, relay, &conn, err);

    return route == ROUTE_PENDING ? await_route(s, conn, peer, relay, err) : route;
}

/* Where a socket connects for a route: the peer itself (DIRECT) or the
 * relay.  FALSE with the error set when it cannot. */
static BOOL route_target(enum route route, const struct sockaddr *name, int namelen,
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
        if (addr_to_sockaddr(relay, (struct sockaddr *)target, target_len)) return fail(WSAENETDOWN);
        return TRUE;
    default:
        return fail(err);
    }
}

/* The address a secured socket's connect really goes to, once the
 * service has set the connection up.  Returns FALSE with the error set
 * when it may not connect at all. */
static BOOL route_connect(SOCKET s, const struct sockaddr *name, int namelen, const struct snapshot *snap,
                          SOCKADDR_STORAGE *target, int *target_len)
{
    struct secsock_addr peer, relay;
    enum route route;
    int err = 0;

    if ((err = addr_from_sockaddr(name, namelen, &peer))) return fail(err);
    route = connect_route(s, snap, &peer, &relay, &err);
    return route_target(route, name, namelen, &relay, err, target, target_len);
}

/* ---- connecting without blocking ----------------------------------------------
 *
 * A non-blocking connect (and ConnectEx, always asynchronous) returns at
 * once; a worker thread asks the service and then calls Wine's own connect
 * (or ConnectEx with the program's OVERLAPPED) on the program's socket.
 * Until then the socket is unconnected, and Wine reports nothing for it to
 * select, WSAPoll or WSAEventSelect, so the program waits just as for a
 * slow network.  A refusal becomes Wine's own connection failure: the
 * worker connects the socket to a loopback port that is bound but never
 * listens, and the program sees WSAECONNREFUSED through whichever
 * mechanism it waits on (FD_CONNECT, select's except set, SO_ERROR, the
 * completion of its ConnectEx).  Nothing of the program's leaves in clear. */

struct refuser {
    INIT_ONCE once;
    SOCKET s;
    SOCKADDR_STORAGE addr;
    int addr_len;
};
static struct refuser refusers[2];   /* IPv4, IPv6; opened on first use */

static BOOL CALLBACK open_refuser(INIT_ONCE *once, void *param, void **context)
{
    struct refuser *r = param;
    int family = r == &refusers[1] ? AF_INET6 : AF_INET;
    SOCKADDR_STORAGE ss;
    int len;

    memset(&ss, 0, sizeof(ss));
    ss.ss_family = family;
    if (family == AF_INET6) ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr[15] = 1;
    else ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    r->s = REAL(socket)(family, SOCK_STREAM, IPPROTO_TCP);
    r->addr_len = sizeof(r->addr);
    if (r->s == INVALID_SOCKET || REAL(bind)(r->s, (struct sockaddr *)&ss, len) ||
        REAL(getsockname)(r->s, (struct sockaddr *)&r->addr, &r->addr_len))
    {
        ERR("cannot open a refusing %s port (%d)\n", family == AF_INET6 ? "IPv6" : "IPv4", WSAGetLastError());
        if (r->s != INVALID_SOCKET) REAL(closesocket)(r->s);
        r->s = INVALID_SOCKET;
    }
    return TRUE;
}

/* A loopback address that refuses every connection (bound, never listening). */
static BOOL refusing_address(int family, SOCKADDR_STORAGE *addr, int *len)
{
    struct refuser *r = &refusers[family == AF_INET6 ? 1 : 0];

    InitOnceExecuteOnce(&r->once, open_refuser, r, NULL);
    if (r->s == INVALID_SOCKET) return FALSE;
    *addr = r->addr;
    *len = r->addr_len;
    return TRUE;
}

struct pending_connect {
    SOCKET s;
    ULONG serial;
    int family;
    SOCKET conn;                /* the control connection the verdict comes on */
    struct secsock_addr peer;
    SOCKADDR_STORAGE name;      /* where the program connects (a direct route goes there) */
    int namelen;
    BOOL ex;                    /* ConnectEx: the rest is its arguments */
    void *send_buf;
    DWORD send_len;
    OVERLAPPED *ovl;
};

/* NTSTATUS values of an OVERLAPPED's Internal (ntstatus.h, not included
 * next to winsock2.h here). */
#define SECSOCK_STATUS_CONNECTION_REFUSED 0xc0000236
#define SECSOCK_STATUS_CANCELLED          0xc0000120

/* Completes the program's OVERLAPPED when Wine's ConnectEx cannot: the
 * socket was closed meanwhile, or the call failed at once.  (No packet can
 * be posted to a completion port: the DLL does not know it.) */
static void fail_overlapped(OVERLAPPED *ovl, ULONG_PTR status)
{
    ovl->Internal = status;
    ovl->InternalHigh = 0;
    if (ovl->hEvent) SetEvent((HANDLE)((ULONG_PTR)ovl->hEvent & ~(ULONG_PTR)1));
}

/* Calls Wine's connect or ConnectEx for a set-up that the program is not
 * waiting in.  Returns whether Wine took it (it then completes it). */
static BOOL issue_connect(const struct pending_connect *pc, const SOCKADDR_STORAGE *target, int target_len)
{
    DWORD sent = 0;

    if (!pc->ex)
    {
        REAL(connect)(pc->s, (const struct sockaddr *)target, target_len);  /* WSAEWOULDBLOCK: Wine goes on */
        return TRUE;
    }
    if (real_ConnectEx(pc->s, (const struct sockaddr *)target, target_len, pc->send_buf, pc->send_len, &sent, pc->ovl))
        return TRUE;
    return WSAGetLastError() == WSA_IO_PENDING;
}

/* Records what Wine's connect was (or is about to be) called with. */
static void set_attempt(struct secsock_socket *sock, const SOCKADDR_STORAGE *target, int target_len, BOOL refused)
{
    sock->connect_issued = TRUE;
    sock->attempt_refused = refused || !target_len;
    sock->vetted = !sock->attempt_refused;
    if (sock->vetted) sockstate_record(sock);
    sock->issued_target = *target;
    sock->issued_len = target_len;
}

static DWORD WINAPI connect_worker(void *arg)
{
    struct pending_connect *pc = arg;
    SOCKADDR_STORAGE target;
    struct secsock_addr relay;
    struct secsock_socket *sock;
    enum route route;
    int target_len = 0, err = 0;
    BOOL allowed, issued = FALSE, took = FALSE;

    route = await_route(pc->s, pc->conn, &pc->peer, &relay, &err);
    allowed = route_target(route, (struct sockaddr *)&pc->name, pc->namelen, &relay, err, &target, &target_len);
    if (!allowed && !refusing_address(pc->family, &target, &target_len)) target_len = 0;
    /* Under the table's lock: closesocket cannot pull the handle away (and
     * a new socket cannot take it) between the check and Wine's call. */
    if ((sock = sockstate_get(pc->s, FALSE)))
    {
        if (sock->serial == pc->serial && sock->connect_pending)
        {
            sock->connect_pending = FALSE;
            took = TRUE;
            if (!allowed)
            {
                WARN("socket %#Ix: secured connection refused (%d); the pending connect fails\n", pc->s, err);
                sock->has_peer = FALSE;
                sock->info_flags = 0;
            }
            set_attempt(sock, &target, target_len, !allowed);
            if (target_len) issued = issue_connect(pc, &target, target_len);
        }
        sockstate_release(sock);
    }
    if (pc->ex && !issued) fail_overlapped(pc->ovl, took ? SECSOCK_STATUS_CONNECTION_REFUSED : SECSOCK_STATUS_CANCELLED);
    HeapFree(GetProcessHeap(), 0, pc);
    return 0;
}

/* Hands a set-up the service is still working on to a worker.  FALSE with
 * the error set when it could not (conn is closed then). */
static BOOL start_pending_connect(SOCKET s, SOCKET conn, const struct sockaddr *name, int namelen,
                                  const struct secsock_addr *peer, int family,
                                  void *send_buf, DWORD send_len, OVERLAPPED *ovl, BOOL ex)
{
    struct pending_connect *pc;
    struct secsock_socket *sock;

    if (namelen <= 0 || namelen > (int)sizeof(pc->name))
    {
        control_close(conn);
        return fail(WSAEFAULT);
    }
    if (!(pc = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*pc))))
    {
        control_close(conn);
        return fail(WSAENOBUFS);
    }
    pc->s = s;
    pc->conn = conn;
    pc->peer = *peer;
    memcpy(&pc->name, name, namelen);
    pc->namelen = namelen;
    pc->family = family;
    pc->ex = ex;
    pc->send_buf = send_buf;
    pc->send_len = send_len;
    pc->ovl = ovl;
    if (!(sock = sockstate_get(s, FALSE)))
    {
        control_close(conn);
        HeapFree(GetProcessHeap(), 0, pc);
        return fail(WSAENOTSOCK);
    }
    pc->serial = sock->serial;
    sock->connect_pending = TRUE;
    if (ovl)
    {
        ovl->Internal = STATUS_PENDING;
        ovl->InternalHigh = 0;
        if (ovl->hEvent) ResetEvent((HANDLE)((ULONG_PTR)ovl->hEvent & ~(ULONG_PTR)1));
    }
    if (!QueueUserWorkItem(connect_worker, pc, WT_EXECUTELONGFUNCTION))
    {
        sock->connect_pending = FALSE;
        sockstate_release(sock);
        control_close(conn);
        HeapFree(GetProcessHeap(), 0, pc);
        return fail(WSAENOBUFS);
    }
    sockstate_release(sock);
    TRACE("socket %#Ix: the service sets the connection up in the background\n", s);
    return TRUE;
}

/* A connect on a secured socket after an earlier one: still pending in the
 * service is WSAEALREADY (*pending); once Wine's own connect was issued,
 * Wine's call answers (WSAEALREADY, WSAEISCONN, ...) but only ever with
 * the target the service chose then (*issued): never the program's new
 * address, which the service did not vet.  An attempt the service refused
 * is over: the next connect asks the service again, as a retry after
 * WSAECONNREFUSED may on Windows. */
static BOOL connect_in_progress(SOCKET s, BOOL *pending, SOCKADDR_STORAGE *issued, int *issued_len)
{
    struct secsock_socket *sock = sockstate_get(s, FALSE);
    BOOL busy;

    *pending = FALSE;
    if (!sock) return FALSE;
    if (sock->connect_issued && sock->attempt_refused) sock->connect_issued = sock->attempt_refused = FALSE;
    *pending = sock->connect_pending;
    busy = sock->connect_pending || sock->connect_issued;
    *issued = sock->issued_target;
    *issued_len = sock->issued_len;
    sockstate_release(sock);
    return busy;
}

static void mark_issued(SOCKET s, const SOCKADDR_STORAGE *target, int target_len)
{
    struct secsock_socket *sock = sockstate_get(s, FALSE);

    if (!sock) return;
    set_attempt(sock, target, target_len, FALSE);
    sockstate_release(sock);
}

/* Wine's connect to the issued target failed for good: that attempt is over. */
static void end_failed_attempt(SOCKET s, int err)
{
    struct secsock_socket *sock;

    if (err == WSAEALREADY || err == WSAEWOULDBLOCK || err == WSAEISCONN || err == WSAEINVAL ||
        err == WSA_IO_PENDING || !(sock = sockstate_get(s, FALSE)))
        return;
    sock->attempt_refused = TRUE;
    sock->vetted = FALSE;
    sockstate_release(sock);
}

void forget_connection(SOCKET s)
{
    struct secsock_socket *sock = sockstate_get(s, FALSE);
    SOCKET held;

    if (!sock) return;
    sock->connect_issued = sock->attempt_refused = sock->vetted = FALSE;
    sock->has_peer = FALSE;
    sock->info_flags = 0;
    held = sock->held;
    sock->held = INVALID_SOCKET;
    sockstate_release(sock);
    control_close(held);
}

BOOL secured_may_send(SOCKET s)
{
    struct secsock_socket *sock = sockstate_get(s, FALSE);
    BOOL ok;

    if (!sock) return TRUE;
    ok = !sock->secured || sock->vetted;
    sockstate_release(sock);
    if (!ok) WARN("socket %#Ix: secured and not connected through secsockd: nothing is sent\n", s);
    return ok || fail(WSAENOTCONN);
}

enum start { START_FAILED, START_PENDING, START_NOW };

/* The first step of a connect that must not block: a refusal or a clear
 * route is known at once (START_FAILED with the error set, or START_NOW
 * with the target); a relay being set up goes on in a worker. */
static enum start start_connect(SOCKET s, const struct sockaddr *name, int namelen, const struct snapshot *snap,
                                void *send_buf, DWORD send_len, OVERLAPPED *ovl, BOOL ex,
                                SOCKADDR_STORAGE *target, int *target_len)
{
    struct secsock_addr peer, relay;
    enum route route;
    SOCKET conn;
    int err = 0;

    if ((err = addr_from_sockaddr(name, namelen, &peer))) return fail(err), START_FAILED;
    route = ask_route(s, snap, &peer, &relay, &conn, &err);
    if (route == ROUTE_PENDING)
        return start_pending_connect(s, conn, name, namelen, &peer, snap->family, send_buf, send_len, ovl, ex)
                   ? START_PENDING : START_FAILED;
    if (!route_target(route, name, namelen, &relay, err, target, target_len)) return START_FAILED;
    mark_issued(s, target, *target_len);
    return START_NOW;
}

enum secured_connect { CONNECT_FAILED, CONNECT_PENDING, CONNECT_TO_TARGET, CONNECT_AS_ISSUED };

/* What connect and WSAConnect do with a secured socket before Wine's own
 * call: CONNECT_FAILED (error set); CONNECT_PENDING (non-blocking: the
 * service sets it up, WSAEWOULDBLOCK); CONNECT_TO_TARGET (*target: the
 * peer or the relay); CONNECT_AS_ISSUED (a connect was issued: Wine's call
 * with that same *target answers, WSAEALREADY or WSAEISCONN). */
static enum secured_connect secured_connect(SOCKET s, const struct sockaddr *name, int namelen,
                                            const struct snapshot *snap, SOCKADDR_STORAGE *target, int *target_len)
{
    BOOL pending;

    if (connect_in_progress(s, &pending, target, target_len))
        return pending ? (fail(WSAEALREADY), CONNECT_FAILED) : CONNECT_AS_ISSUED;
    if (nbio_is_nonblocking(s))
    {
        switch (start_connect(s, name, namelen, snap, NULL, 0, NULL, FALSE, target, target_len))
        {
        case START_FAILED: return CONNECT_FAILED;
        case START_PENDING: return fail(WSAEWOULDBLOCK), CONNECT_PENDING;
        case START_NOW: return CONNECT_TO_TARGET;
        }
    }
    if (!route_connect(s, name, namelen, snap, target, target_len)) return CONNECT_FAILED;
    mark_issued(s, target, *target_len);
    return CONNECT_TO_TARGET;
}

int WINAPI secsock_connect(SOCKET s, const struct sockaddr *name, int namelen)
{
    struct snapshot snap;
    struct secsock_addr peer;
    SOCKADDR_STORAGE target;
    int target_len;

    if (addr_from_sockaddr(name, namelen, &peer)) memset(&peer, 0, sizeof(peer));
    if (!take_snapshot(s, &peer, &snap)) return REAL(connect)(s, name, namelen);
    TRACE("secured socket %#Ix connects\n", s);
    switch (secured_connect(s, name, namelen, &snap, &target, &target_len))
    {
    case CONNECT_TO_TARGET:
    case CONNECT_AS_ISSUED:
        if (!REAL(connect)(s, (struct sockaddr *)&target, target_len)) return 0;
        end_failed_attempt(s, WSAGetLastError());
        return SOCKET_ERROR;
    default: return SOCKET_ERROR;
    }
}

int WINAPI secsock_WSAConnect(SOCKET s, const struct sockaddr *name, int namelen, WSABUF *caller_data,
                              WSABUF *callee_data, QOS *sqos, QOS *gqos)
{
    struct snapshot snap;
    struct secsock_addr peer;
    SOCKADDR_STORAGE target;
    int target_len;

    if (addr_from_sockaddr(name, namelen, &peer)) memset(&peer, 0, sizeof(peer));
    if (!take_snapshot(s, &peer, &snap))
        return REAL(WSAConnect)(s, name, namelen, caller_data, callee_data, sqos, gqos);
    switch (secured_connect(s, name, namelen, &snap, &target, &target_len))
    {
    case CONNECT_TO_TARGET:
    case CONNECT_AS_ISSUED:
        if (!REAL(WSAConnect)(s, (struct sockaddr *)&target, target_len, caller_data, callee_data, sqos, gqos))
            return 0;
        end_failed_attempt(s, WSAGetLastError());
        return SOCKET_ERROR;
    default: return SOCKET_ERROR;
    }
}

BOOL PASCAL secsock_ConnectEx(SOCKET s, const struct sockaddr *name, int namelen, void *send_buf,
                              DWORD send_len, DWORD *sent, OVERLAPPED *ovl)
{
    struct snapshot snap;
    struct secsock_addr peer;
    SOCKADDR_STORAGE local, target;
    int local_len = sizeof(local), target_len;
    BOOL pending;

    if (!real_ConnectEx) return fail(WSAEOPNOTSUPP);
    if (addr_from_sockaddr(name, namelen, &peer)) memset(&peer, 0, sizeof(peer));
    if (!take_snapshot(s, &peer, &snap)) return real_ConnectEx(s, name, namelen, send_buf, send_len, sent, ovl);
    if (connect_in_progress(s, &pending, &target, &target_len))
    {
        if (pending) return fail(WSAEALREADY);
        if (real_ConnectEx(s, (struct sockaddr *)&target, target_len, send_buf, send_len, sent, ovl)) return TRUE;
        end_failed_attempt(s, WSAGetLastError());
        return FALSE;
    }
    /* What Wine's ConnectEx refuses at once is refused before anything is
     * set up: no OVERLAPPED, an unbound socket. */
    if (!ovl) return fail(WSAEINVAL);
    if (REAL(getsockname)(s, (struct sockaddr *)&local, &local_len)) return fail(WSAEINVAL);
    /* Decided before the send buffer could leave: a refusal sends nothing. */
    switch (start_connect(s, name, namelen, &snap, send_buf, send_len, ovl, TRUE, &target, &target_len))
    {
    case START_FAILED: return FALSE;
    case START_PENDING: return fail(WSA_IO_PENDING);
    case START_NOW: break;
    }
    if (real_ConnectEx(s, (struct sockaddr *)&target, target_len, send_buf, send_len, sent, ovl)) return TRUE;
    end_failed_attempt(s, WSAGetLastError());
    return FALSE;
}

/* The names a connect-by-list or by-name call reports. */
static void report_names(SOCKET s, DWORD *local_len, struct sockaddr *local, DWORD *remote_len,
                         struct sockaddr *remote, const struct sockaddr *peer, int peer_len)
{
    int len;

    if (local && local_len)
    {
        len = (int)*local_len;
        if (!secsock_getsockname(s, local, &len)) *local_len = (DWORD)len;
    }
    if (remote && remote_len && *remote_len >= (DWORD)peer_len)
    {
        memcpy(remote, peer, peer_len);
        *remote_len = (DWORD)peer_len;
    }
}

/* Tries each address in turn, as WSAConnectByList does.  The timeout is
 * left to each connect's own. */
static BOOL connect_each(SOCKET s, SOCKET_ADDRESS_LIST *list, DWORD *local_len, struct sockaddr *local,
                         DWORD *remote_len, struct sockaddr *remote)
{
    int err = WSAEHOSTUNREACH;

    if (!list) return fail(WSAEFAULT);
    if (!list->iAddressCount) return fail(WSAEINVAL);
    for (int i = 0; i < list->iAddressCount; i++)
    {
        const SOCKET_ADDRESS *a = &list->Address[i];
        if (!secsock_connect(s, a->lpSockaddr, a->iSockaddrLength))
        {
            report_names(s, local_len, local, remote_len, remote, a->lpSockaddr, a->iSockaddrLength);
            return TRUE;
        }
        err = WSAGetLastError();
        /* A refusal by policy holds for every address: stop there. */
        if (err == WSAENETDOWN) break;
    }
    return fail(err);
}

BOOL WINAPI secsock_WSAConnectByList(SOCKET s, SOCKET_ADDRESS_LIST *list, DWORD *local_len,
                                     struct sockaddr *local, DWORD *remote_len, struct sockaddr *remote,
                                     const struct timeval *timeout, WSAOVERLAPPED *reserved)
{
    TRACE("%#Ix %p\n", s, list);
    if (reserved) return fail(WSAEINVAL);
    return connect_each(s, list, local_len, local, remote_len, remote);
}

/* WSAConnectByName on a secured socket: resolve, then connect through the
 * service to each address in turn. */
static BOOL connect_by_name(SOCKET s, const WCHAR *node, const WCHAR *service, DWORD *local_len,
                            struct sockaddr *local, DWORD *remote_len, struct sockaddr *remote)
{
    ADDRINFOW hints, *res = NULL, *ai;
    SOCKET_ADDRESS_LIST *list;
    struct snapshot snap;
    int count = 0, err;
    BOOL ret;

    if (!node || !service) return fail(WSAEINVAL);
    take_snapshot(s, NULL, &snap);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = snap.family;
    hints.ai_socktype = snap.type;
    if ((err = REAL(GetAddrInfoW)(node, service, &hints, &res))) return fail(err);
    for (ai = res; ai; ai = ai->ai_next) count++;
    if (!(list = HeapAlloc(GetProcessHeap(), 0, offsetof(SOCKET_ADDRESS_LIST, Address[count ? count : 1]))))
    {
        REAL(FreeAddrInfoW)(res);
        return fail(WSAENOBUFS);
    }
    list->iAddressCount = 0;
    for (ai = res; ai; ai = ai->ai_next)
    {
        list->Address[list->iAddressCount].lpSockaddr = ai->ai_addr;
        list->Address[list->iAddressCount++].iSockaddrLength = (int)ai->ai_addrlen;
    }
    ret = connect_each(s, list, local_len, local, remote_len, remote);
    err = WSAGetLastError();
    HeapFree(GetProcessHeap(), 0, list);
    REAL(FreeAddrInfoW)(res);
    WSASetLastError(err);
    return ret;
}

BOOL WINAPI secsock_WSAConnectByNameW(SOCKET s, WCHAR *node, WCHAR *service, DWORD *local_len,
                                      struct sockaddr *local, DWORD *remote_len, struct sockaddr *remote,
                                      const struct timeval *timeout, WSAOVERLAPPED *reserved)
{
    struct snapshot snap;

    if (!take_snapshot(s, NULL, &snap))
        return REAL(WSAConnectByNameW)(s, node, service, local_len, local, remote_len, remote, timeout, reserved);
    if (reserved) return fail(WSAEINVAL);
    return connect_by_name(s, node, service, local_len, local, remote_len, remote);
}

static WCHAR *to_wide(const char *s)
{
    int n;
    WCHAR *w;

    if (!s) return NULL;
    n = MultiByteToWideChar(CP_ACP, 0, s, -1, NULL, 0);
    if ((w = HeapAlloc(GetProcessHeap(), 0, n * sizeof(WCHAR)))) MultiByteToWideChar(CP_ACP, 0, s, -1, w, n);
    return w;
}

BOOL WINAPI secsock_WSAConnectByNameA(SOCKET s, const char *node, const char *service, DWORD *local_len,
                                      struct sockaddr *local, DWORD *remote_len, struct sockaddr *remote,
                                      const struct timeval *timeout, WSAOVERLAPPED *reserved)
{
    struct snapshot snap;
    WCHAR *wnode, *wservice;
    BOOL ret;
    int err;

    if (!take_snapshot(s, NULL, &snap))
        return REAL(WSAConnectByNameA)(s, node, service, local_len, local, remote_len, remote, timeout, reserved);
    if (reserved) return fail(WSAEINVAL);
    wnode = to_wide(node);
    wservice = to_wide(service);
    ret = connect_by_name(s, wnode, wservice, local_len, local, remote_len, remote);
    err = WSAGetLastError();
    HeapFree(GetProcessHeap(), 0, wnode);
    HeapFree(GetProcessHeap(), 0, wservice);
    WSASetLastError(err);
    return ret;
}

/* ---- bind and listen ------------------------------------------------------ */

/* Binds s to addr and keeps the lease with it: reserved, the service holds
 * the public address (addr is the hidden one); else an IPsec server that
 * binds itself and whose lease holds its port's protection. */
static int bind_with_lease(SOCKET s, const struct sockaddr *addr, int addr_len, SOCKET lease,
                           const struct secsock_msg_bind_verdict *verdict, BOOL reserved)
{
    struct secsock_socket *sock;
    int err;

    if (REAL(bind)(s, addr, addr_len))
    {
        err = WSAGetLastError();
        control_close(lease);
        return fail(err), SOCKET_ERROR;
    }
    if (!(sock = sockstate_get(s, FALSE)))
    {
        control_close(lease);
        return fail(WSAENOTSOCK), SOCKET_ERROR;
    }
    sock->lease = lease;
    sock->reserved = reserved;
    sock->ipsec_server = !reserved;
    if (reserved) sock->public_local = verdict->bound;
    lstrcpynA(sock->backend, verdict->backend, sizeof(sock->backend));
    sockstate_release(sock);
    return 0;
}

int WINAPI secsock_bind(SOCKET s, const struct sockaddr *name, int namelen)
{
    struct secsock_msg req, reply;
    struct snapshot snap;
    SOCKADDR_STORAGE hidden;
    struct secsock_addr local;
    int err, hidden_len;
    SOCKET lease;

    if (!take_snapshot(s, NULL, &snap)) return REAL(bind)(s, name, namelen);
    if (snap.reserved) return fail(WSAEINVAL), SOCKET_ERROR;
    if ((err = addr_from_sockaddr(name, namelen, &local))) return fail(err), SOCKET_ERROR;

    if ((lease = control_open(&err)) == INVALID_SOCKET) return fail(err), SOCKET_ERROR;
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_BIND;
    req.u.bind.protocol = snap.settings.protocol;
    req.u.bind.flags = snap.settings.flags;
    req.u.bind.ipsec_flags = snap.settings.ipsec_flags;
    req.u.bind.socktype = wire_socktype(snap.type);
    req.u.bind.local = local;
    if ((err = control_call(lease, &req, &reply)) || reply.type != SECSOCK_MSG_BIND_VERDICT)
    {
        control_close(lease);
        return fail(err ? err : WSAENETDOWN), SOCKET_ERROR;
    }
    switch (reply.u.bind_verdict.verdict)
    {
    case SECSOCK_VERDICT_DIRECT:
        control_close(lease);
        return REAL(bind)(s, name, namelen);
    case SECSOCK_VERDICT_HELD:
        /* IPsec: the socket binds itself; at listen the service protects
         * its port for as long as the lease stays open. */
        return bind_with_lease(s, name, namelen, lease, &reply.u.bind_verdict, FALSE);
    case SECSOCK_VERDICT_RESERVED:
        break;
    default:
        control_close(lease);
        return fail(reply.u.bind_verdict.wsa_error ? (int)reply.u.bind_verdict.wsa_error : WSAEACCES),
               SOCKET_ERROR;
    }

    /* The service holds the public address; the program's socket takes a
     * loopback port of its own family, reachable only through the service. */
    memset(&hidden, 0, sizeof(hidden));
    if (snap.family == AF_INET6)
    {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&hidden;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr.s6_addr[15] = 1;  /* ::1 */
        hidden_len = sizeof(*sin6);
    }
    else
    {
        struct sockaddr_in *sin = (struct sockaddr_in *)&hidden;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        hidden_len = sizeof(*sin);
    }
    TRACE("socket %#Ix: service holds port %u\n", s, reply.u.bind_verdict.bound.port);
    return bind_with_lease(s, (struct sockaddr *)&hidden, hidden_len, lease, &reply.u.bind_verdict, TRUE);
}

int WINAPI secsock_listen(SOCKET s, int backlog)
{
    struct secsock_msg req, reply;
    struct snapshot snap;
    SOCKADDR_STORAGE hidden;
    int len = sizeof(hidden), err;

    if (!take_snapshot(s, NULL, &snap) || (!snap.reserved && !snap.ipsec_server)) return REAL(listen)(s, backlog);
    /* Reserved: the program's hidden address; IPsec server: its own. */
    if (REAL(getsockname)(s, (struct sockaddr *)&hidden, &len)) return SOCKET_ERROR;
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_LISTEN;
    req.u.listen.backlog = backlog > 0 ? (uint32_t)backlog : 0;
    if ((err = addr_from_sockaddr((struct sockaddr *)&hidden, len, &req.u.listen.hidden)) ||
        (err = socket_identity(s, &req.u.listen.socket_inode)))
        return fail(err), SOCKET_ERROR;
    if ((err = control_call(snap.lease, &req, &reply)) || reply.type != SECSOCK_MSG_LISTEN_VERDICT)
        return fail(err ? err : WSAENETDOWN), SOCKET_ERROR;
    if (reply.u.listen_verdict.wsa_error) return fail(reply.u.listen_verdict.wsa_error), SOCKET_ERROR;
    return REAL(listen)(s, backlog);
}

/* ---- accept ----------------------------------------------------------- */

/* An accepted socket carries its listener's settings. */
static void inherit_settings(SOCKET listener, SOCKET accepted)
{
    struct secsock_socket *from, *to;
    struct secsock_settings settings;
    int family = 0, type = 0;

    if (accepted == INVALID_SOCKET || !(from = sockstate_get(listener, FALSE))) return;
    settings = from->settings;
    family = from->family;
    type = from->type;
    sockstate_release(from);
    if (!(to = sockstate_get(accepted, TRUE))) return;
    to->settings = settings;
    to->family = family;
    to->type = type;
    to->secured = TRUE;
    to->vetted = TRUE;   /* only what the service delivered gets this far */
    sockstate_record(to);
    sockstate_release(to);
}

/* Serialises reading announcements from leases. */
static CRITICAL_SECTION announce_lock;
static INIT_ONCE announce_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK init_announce_lock(INIT_ONCE *once, void *param, void **context)
{
    InitializeCriticalSection(&announce_lock);
    return TRUE;
}

/* Takes the announcement of the connection from source (its exact end:
 * address and port) from listener's list. */
static BOOL take_announced(SOCKET listener, const struct secsock_addr *source, struct secsock_msg_announce *out)
{
    struct secsock_socket *sock = sockstate_get(listener, FALSE);
    BOOL found = FALSE;

    if (!sock) return FALSE;
    for (unsigned int i = 0; i < sock->announced_count && !found; i++)
    {
        if (!secsock_addr_equal(&sock->announced[i].source, source)) continue;
        *out = sock->announced[i];
        sock->announced[i] = sock->announced[--sock->announced_count];
        found = TRUE;
    }
    sockstate_release(sock);
    return found;
}

static void keep_announced(SOCKET listener, const struct secsock_msg_announce *a)
{
    struct secsock_socket *sock = sockstate_get(listener, FALSE);
    struct secsock_msg_announce *grown;

    if (!sock) return;
    if (sock->announced_count < 1024)
    {
        grown = sock->announced
            ? HeapReAlloc(GetProcessHeap(), 0, sock->announced, (sock->announced_count + 1) * sizeof(*grown))
            : HeapAlloc(GetProcessHeap(), 0, sizeof(*grown));
        if (grown)
        {
            sock->announced = grown;
            sock->announced[sock->announced_count++] = *a;
        }
    }
    sockstate_release(sock);
}

/* Waits briefly for the announcement of the connection from source
 * and takes it.  The announcement is sent before the connection is made:
 * it is there already, or arrives within moments. */
static BOOL take_announced_wait(SOCKET listener, const struct snapshot *snap, const struct secsock_addr *source,
                                struct secsock_msg_announce *a)
{
    struct secsock_msg msg;
    DWORD start = GetTickCount();
    BOOL found;

    InitOnceExecuteOnce(&announce_once, init_announce_lock, NULL, NULL);
    EnterCriticalSection(&announce_lock);
    while (!(found = take_announced(listener, source, a)) && GetTickCount() - start < 1000)
    {
        if (control_wait_message(snap->lease, &msg, 1000 - (GetTickCount() - start))) break;
        if (msg.type == SECSOCK_MSG_ANNOUNCE) keep_announced(listener, &msg.u.announce);
    }
    LeaveCriticalSection(&announce_lock);
    return found;
}

/* On a reserved listener only the service delivers connections, each
 * announced on the lease before it connects.  Anything else that reached
 * the hidden loopback port is dropped unread. */
static BOOL relayed(SOCKET listener, const struct snapshot *snap, SOCKET accepted, struct secsock_msg_announce *a)
{
    SOCKADDR_STORAGE from;
    struct secsock_addr src;
    int len = sizeof(from);

    if (REAL(getpeername)(accepted, (struct sockaddr *)&from, &len) ||
        addr_from_sockaddr((struct sockaddr *)&from, len, &src))
        return FALSE;
    return take_announced_wait(listener, snap, &src, a);
}

/* A connection the service announced: its real peer and protection. */
static void take_announcement(SOCKET accepted, const struct secsock_msg_announce *a)
{
    struct secsock_socket *sock = sockstate_get(accepted, FALSE);

    if (!sock) return;
    sock->accepted_from = INVALID_SOCKET;
    sock->has_peer = TRUE;
    sock->peer = a->peer;
    sock->info_flags = a->info_flags;
    lstrcpynA(sock->backend, "tls", sizeof(sock->backend));
    sockstate_release(sock);
}

/* matched: the announcement a was taken already (WSAAccept's condition). */
static SOCKET finish_accept(SOCKET listener, const struct snapshot *snap, SOCKET accepted, struct sockaddr *addr,
                            int *addrlen, BOOL *dropped, const struct secsock_msg_announce *matched)
{
    static const LINGER abort_close = { 1, 0 };
    struct secsock_msg_announce a;
    struct secsock_socket *sock;

    *dropped = FALSE;
    if (accepted == INVALID_SOCKET) return accepted;
    inherit_settings(listener, accepted);
    if (snap->ipsec_server && !(snap->settings.flags & SOCKET_SETTINGS_ALLOW_INSECURE) &&
        (sock = sockstate_get(accepted, FALSE)))
    {
        /* The port's required ESP policy let nothing else in. */
        sock->info_flags = SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED;
        lstrcpynA(sock->backend, "ipsec", sizeof(sock->backend));
        sockstate_release(sock);
    }
    if (!snap->reserved) return accepted;
    if (matched) a = *matched;
    else if (!relayed(listener, snap, accepted, &a))
    {
        WARN("dropping a connection that bypassed secsockd\n");
        sockstate_remove(accepted, NULL);
        REAL(setsockopt)(accepted, SOL_SOCKET, SO_LINGER, (const char *)&abort_close, sizeof(abort_close));
        REAL(closesocket)(accepted);
        *dropped = TRUE;
        return INVALID_SOCKET;
    }
    take_announcement(accepted, &a);
    /* The caller asked for the peer's address, not the service's. */
    if (addr && addrlen) addr_to_sockaddr(&a.peer, addr, addrlen);
    return accepted;
}

SOCKET WINAPI secsock_accept(SOCKET s, struct sockaddr *addr, int *addrlen)
{
    struct snapshot snap;
    BOOL dropped;
    SOCKET ret;

    if (!take_snapshot(s, NULL, &snap)) return REAL(accept)(s, addr, addrlen);
    do ret = finish_accept(s, &snap, REAL(accept)(s, addr, addrlen), addr, addrlen, &dropped, NULL);
    while (dropped);
    return ret;
}

/* WSAAccept's condition function on a reserved listener: it is asked with
 * the service's loopback address; this one finds the announcement behind
 * it, rejects what the service did not deliver, and asks the program's
 * condition (if any) with the real peer's address. */
struct accept_condition {
    LPCONDITIONPROC condition;
    DWORD_PTR context;
    SOCKET listener;
    const struct snapshot *snap;
    BOOL matched;
    BOOL bypassed;                  /* rejected here: the service did not deliver it */
    struct secsock_msg_announce announce;
};

static int CALLBACK relayed_condition(WSABUF *caller_id, WSABUF *caller_data, QOS *sqos, QOS *gqos,
                                      WSABUF *callee_id, WSABUF *callee_data, GROUP *group, DWORD_PTR context)
{
    struct accept_condition *ac = (struct accept_condition *)context;
    SOCKADDR_STORAGE real;
    struct secsock_addr src;
    WSABUF real_id;
    int len = sizeof(real), ret;

    ac->matched = FALSE;
    if (!caller_id || !caller_id->buf || addr_from_sockaddr((struct sockaddr *)caller_id->buf, (int)caller_id->len, &src) ||
        !take_announced_wait(ac->listener, ac->snap, &src, &ac->announce))
    {
        WARN("rejecting a connection that bypassed secsockd\n");
        ac->bypassed = TRUE;
        return CF_REJECT;
    }
    if (!ac->condition)
    {
        ac->matched = TRUE;
        return CF_ACCEPT;
    }
    if (addr_to_sockaddr(&ac->announce.peer, (struct sockaddr *)&real, &len)) return CF_REJECT;
    real_id.buf = (char *)&real;
    real_id.len = (ULONG)len;
    ret = ac->condition(&real_id, caller_data, sqos, gqos, callee_id, callee_data, group, ac->context);
    if (ret == CF_ACCEPT) ac->matched = TRUE;
    /* Deferred: the same connection is offered again, with its announcement. */
    else if (ret == CF_DEFER) keep_announced(ac->listener, &ac->announce);
    return ret;
}

SOCKET WINAPI secsock_WSAAccept(SOCKET s, struct sockaddr *addr, int *addrlen, LPCONDITIONPROC condition,
                                DWORD_PTR context)
{
    struct accept_condition ac;
    struct snapshot snap;
    BOOL dropped;
    SOCKET ret;

    if (!take_snapshot(s, NULL, &snap)) return REAL(WSAAccept)(s, addr, addrlen, condition, context);
    if (!snap.reserved)
    {
        do ret = finish_accept(s, &snap, REAL(WSAAccept)(s, addr, addrlen, condition, context), addr, addrlen,
                               &dropped, NULL);
        while (dropped);
        return ret;
    }
    memset(&ac, 0, sizeof(ac));
    ac.condition = condition;
    ac.context = context;
    ac.listener = s;
    ac.snap = &snap;
    for (;;)
    {
        /* Our own address buffer: without one, Wine 8 reads the caller's
         * address into a struct sockaddr, too small for IPv6. */
        SOCKADDR_STORAGE from;
        int from_len = sizeof(from);

        ac.bypassed = FALSE;
        ret = REAL(WSAAccept)(s, (struct sockaddr *)&from, &from_len, relayed_condition, (DWORD_PTR)&ac);
        /* Refused by our condition, not the program's: wait for the next. */
        if (ret == INVALID_SOCKET && ac.bypassed) continue;
        ret = finish_accept(s, &snap, ret, addr, addrlen, &dropped, ac.matched ? &ac.announce : NULL);
        if (ret != INVALID_SOCKET || !dropped) return ret;
    }
}

BOOL PASCAL secsock_AcceptEx(SOCKET listener, SOCKET accepted, void *buf, DWORD recv_len, DWORD local_len,
                             DWORD remote_len, DWORD *received, OVERLAPPED *ovl)
{
    struct secsock_socket *sock;
    struct snapshot snap;

    if (!real_AcceptEx) return fail(WSAEOPNOTSUPP);
    if (take_snapshot(listener, NULL, &snap))
    {
        inherit_settings(listener, accepted);
        /* The connection is known only when the OVERLAPPED completes, out of
         * our sight: it is matched on its first use instead
         * (SO_UPDATE_ACCEPT_CONTEXT, WSAQuerySocketSecurity, getpeername). */
        if (snap.reserved && (sock = sockstate_get(accepted, FALSE)))
        {
            sock->accepted_from = listener;
            sockstate_release(sock);
        }
    }
    return real_AcceptEx(listener, accepted, buf, recv_len, local_len, remote_len, received, ovl);
}

void match_accepted(SOCKET s)
{
    static const LINGER abort_close = { 1, 0 };
    struct secsock_msg_announce a;
    struct secsock_addr src;
    struct secsock_socket *sock;
    struct snapshot snap;
    SOCKET listener;
    SOCKADDR_STORAGE peer;
    int len = sizeof(peer);

    if (!(sock = sockstate_get(s, FALSE))) return;
    listener = sock->accepted_from;
    sockstate_release(sock);
    if (listener == INVALID_SOCKET) return;
    /* Not connected yet: the AcceptEx is still pending. */
    if (REAL(getpeername)(s, (struct sockaddr *)&peer, &len) || addr_from_sockaddr((struct sockaddr *)&peer, len, &src))
        return;
    if (take_snapshot(listener, NULL, &snap) && snap.reserved && take_announced_wait(listener, &snap, &src, &a))
    {
        take_announcement(s, &a);
        return;
    }
    /* Not delivered by the service: a local process reached the hidden
     * port directly.  The program keeps its handle, but the connection is
     * reset and reported as not secured. */
    WARN("socket %#Ix: an AcceptEx connection bypassed secsockd: reset\n", s);
    if ((sock = sockstate_get(s, FALSE)))
    {
        sock->accepted_from = INVALID_SOCKET;
        sock->info_flags = 0;
        sockstate_release(sock);
    }
    REAL(setsockopt)(s, SOL_SOCKET, SO_LINGER, (const char *)&abort_close, sizeof(abort_close));
    REAL(shutdown)(s, SD_BOTH);
}

int WINAPI secsock_setsockopt(SOCKET s, int level, int name, const char *value, int len)
{
    int ret = REAL(setsockopt)(s, level, name, value, len);

    if (!ret && secsock_tracked_count && level == SOL_SOCKET && name == SO_UPDATE_ACCEPT_CONTEXT)
        match_accepted(s);
    return ret;
}

/* ---- names ------------------------------------------------------------ */

static int report_addr(const struct secsock_addr *addr, struct sockaddr *name, int *namelen)
{
    int err;

    if (!name || !namelen) return fail(WSAEFAULT), SOCKET_ERROR;
    if ((err = addr_to_sockaddr(addr, name, namelen))) return fail(err), SOCKET_ERROR;
    return 0;
}

int WINAPI secsock_getsockname(SOCKET s, struct sockaddr *name, int *namelen)
{
    struct snapshot snap;

    if (!take_snapshot(s, NULL, &snap) || !snap.reserved) return REAL(getsockname)(s, name, namelen);
    return report_addr(&snap.public_local, name, namelen);
}

int WINAPI secsock_getpeername(SOCKET s, struct sockaddr *name, int *namelen)
{
    struct snapshot snap;

    if (secsock_tracked_count) match_accepted(s);
    if (!take_snapshot(s, NULL, &snap) || !snap.has_peer) return REAL(getpeername)(s, name, namelen);
    /* Still Wine's call first: it says whether the socket is connected. */
    {
        SOCKADDR_STORAGE real;
        int len = sizeof(real);
        if (REAL(getpeername)(s, (struct sockaddr *)&real, &len)) return SOCKET_ERROR;
    }
    return report_addr(&snap.peer, name, namelen);
}

/* ---- datagrams to a new peer ---------------------------------------------- */

/* A secured datagram socket may send to peer only as the service says;
 * datagrams have no relay yet, so anything but DIRECT is refused. */
static BOOL datagram_allowed(SOCKET s, const struct sockaddr *to, int tolen)
{
    struct snapshot snap;
    struct secsock_addr peer, relay;
    int err;

    if (!to) return TRUE;  /* a connected socket: its connect was vetted */
    if (addr_from_sockaddr(to, tolen, &peer)) return TRUE;  /* Wine reports the bad address */
    if (!take_snapshot(s, &peer, &snap) || snap.type != SOCK_DGRAM) return TRUE;
    switch (connect_route(s, &snap, &peer, &relay, &err))
    {
    case ROUTE_DIRECT: return TRUE;
    case ROUTE_RELAY: return fail(WSAEOPNOTSUPP);
    default: return fail(err);
    }
}

int WINAPI secsock_sendto(SOCKET s, const char *buf, int len, int flags, const struct sockaddr *to, int tolen)
{
    if (secsock_gate_active() && !datagram_allowed(s, to, tolen)) return SOCKET_ERROR;
    return REAL(sendto)(s, buf, len, flags, to, tolen);
}

int WINAPI secsock_WSASendTo(SOCKET s, WSABUF *bufs, DWORD count, DWORD *sent, DWORD flags,
                             const struct sockaddr *to, int tolen, WSAOVERLAPPED *ovl,
                             LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    if (secsock_gate_active() && !datagram_allowed(s, to, tolen)) return SOCKET_ERROR;
    return REAL(WSASendTo)(s, bufs, count, sent, flags, to, tolen, ovl, cr);
}

int WINAPI secsock_WSASendMsg(SOCKET s, WSAMSG *msg, DWORD flags, DWORD *sent, WSAOVERLAPPED *ovl,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    if (secsock_gate_active() && msg && !datagram_allowed(s, msg->name, msg->namelen)) return SOCKET_ERROR;
    return REAL(WSASendMsg)(s, msg, flags, sent, ovl, cr);
}

/* ---- closing and ioctls ------------------------------------------------------ */

int WINAPI secsock_closesocket(SOCKET s)
{
    /* Forget the state first: once Wine closes s, its handle value may be
     * reused by another thread's new socket. */
    SOCKET held, lease = sockstate_remove(s, &held);
    int ret, err;

    nbio_forget(s);
    ret = REAL(closesocket)(s);
    err = WSAGetLastError();

    /* Closing the lease tells the service to release what it held; the
     * protection of a connection goes only once the socket is closed. */
    control_close(lease);
    control_close(held);
    WSASetLastError(err);
    return ret;
}

int WINAPI secsock_WSAIoctl(SOCKET s, DWORD code, void *in, DWORD in_len, void *out, DWORD out_len,
                            DWORD *returned, WSAOVERLAPPED *ovl, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    DWORD local_returned;
    int err, ret;

    if (extension_ioctl(s, code, in, in_len, out, out_len, returned, ovl, cr, &ret)) return ret;
    switch (code)
    {
    case SIO_SET_SECURITY:
    case SIO_QUERY_SECURITY:
    case SIO_SET_PEER_TARGET_NAME:
    case SIO_DELETE_PEER_TARGET_NAME:
        TRACE("%#Ix %#lx %p %lu %p %lu %p %p %p\n", s, code, in, in_len, out, out_len, returned, ovl, cr);
        /* Windows probes the caller's buffers and fails with WSAEFAULT
         * instead of faulting; so does this. */
        if ((in && in_len && IsBadReadPtr(in, in_len)) || (out && out_len && IsBadWritePtr(out, out_len)) ||
            (returned && IsBadWritePtr(returned, sizeof(*returned))) || (ovl && IsBadWritePtr(ovl, sizeof(*ovl))))
        {
            WARN("invalid buffer\n");
            return fail(WSAEFAULT), SOCKET_ERROR;
        }
        if (!returned)
        {
            if (!ovl) return fail(WSAEFAULT), SOCKET_ERROR;
            returned = &local_returned;
        }
        if ((err = security_ioctl(s, code, in, in_len, out, out_len, returned)))
            return fail(err), SOCKET_ERROR;
        complete_overlapped(*returned, ovl, cr);
        return 0;

    case FIONBIO:
        ret = REAL(WSAIoctl)(s, code, in, in_len, out, out_len, returned, ovl, cr);
        if (!ret) nbio_after_ioctl(s, code, in, in_len);
        return ret;
    }
    return REAL(WSAIoctl)(s, code, in, in_len, out, out_len, returned, ovl, cr);
}
