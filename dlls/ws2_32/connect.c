/*
 * The connect family of a secured socket: connect, WSAConnect, ConnectEx,
 * WSAConnectByName and WSAConnectByList, each attempt as the service
 * decides (route.c), blocking or not.
 */
#include "ws2_32_private.h"
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

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

    len = loopback_sockaddr(family, 0, &ss);
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
        return secsock_fail(WSAEFAULT);
    }
    if (!(pc = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*pc))))
    {
        control_close(conn);
        return secsock_fail(WSAENOBUFS);
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
        return secsock_fail(WSAENOTSOCK);
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
        return secsock_fail(WSAENOBUFS);
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
    return ok || secsock_fail(WSAENOTCONN);
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

    if ((err = addr_from_sockaddr(name, namelen, &peer))) return secsock_fail(err), START_FAILED;
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
        return pending ? (secsock_fail(WSAEALREADY), CONNECT_FAILED) : CONNECT_AS_ISSUED;
    if (nbio_is_nonblocking(s))
    {
        switch (start_connect(s, name, namelen, snap, NULL, 0, NULL, FALSE, target, target_len))
        {
        case START_FAILED: return CONNECT_FAILED;
        case START_PENDING: return secsock_fail(WSAEWOULDBLOCK), CONNECT_PENDING;
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

    if (!real_ConnectEx) return secsock_fail(WSAEOPNOTSUPP);
    if (addr_from_sockaddr(name, namelen, &peer)) memset(&peer, 0, sizeof(peer));
    if (!take_snapshot(s, &peer, &snap)) return real_ConnectEx(s, name, namelen, send_buf, send_len, sent, ovl);
    if (connect_in_progress(s, &pending, &target, &target_len))
    {
        if (pending) return secsock_fail(WSAEALREADY);
        if (real_ConnectEx(s, (struct sockaddr *)&target, target_len, send_buf, send_len, sent, ovl)) return TRUE;
        end_failed_attempt(s, WSAGetLastError());
        return FALSE;
    }
    /* What Wine's ConnectEx refuses at once is refused before anything is
     * set up: no OVERLAPPED, an unbound socket. */
    if (!ovl) return secsock_fail(WSAEINVAL);
    if (REAL(getsockname)(s, (struct sockaddr *)&local, &local_len)) return secsock_fail(WSAEINVAL);
    /* Decided before the send buffer could leave: a refusal sends nothing. */
    switch (start_connect(s, name, namelen, &snap, send_buf, send_len, ovl, TRUE, &target, &target_len))
    {
    case START_FAILED: return FALSE;
    case START_PENDING: return secsock_fail(WSA_IO_PENDING);
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

    if (!list) return secsock_fail(WSAEFAULT);
    if (!list->iAddressCount) return secsock_fail(WSAEINVAL);
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
    return secsock_fail(err);
}

BOOL WINAPI secsock_WSAConnectByList(SOCKET s, SOCKET_ADDRESS_LIST *list, DWORD *local_len,
                                     struct sockaddr *local, DWORD *remote_len, struct sockaddr *remote,
                                     const struct timeval *timeout, WSAOVERLAPPED *reserved)
{
    TRACE("%#Ix %p\n", s, list);
    if (reserved) return secsock_fail(WSAEINVAL);
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

    if (!node || !service) return secsock_fail(WSAEINVAL);
    take_snapshot(s, NULL, &snap);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = snap.family;
    hints.ai_socktype = snap.type;
    if ((err = REAL(GetAddrInfoW)(node, service, &hints, &res))) return secsock_fail(err);
    for (ai = res; ai; ai = ai->ai_next) count++;
    if (!(list = HeapAlloc(GetProcessHeap(), 0, offsetof(SOCKET_ADDRESS_LIST, Address[count ? count : 1]))))
    {
        REAL(FreeAddrInfoW)(res);
        return secsock_fail(WSAENOBUFS);
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
    if (reserved) return secsock_fail(WSAEINVAL);
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
    if (reserved) return secsock_fail(WSAEINVAL);
    wnode = to_wide(node);
    wservice = to_wide(service);
    ret = connect_by_name(s, wnode, wservice, local_len, local, remote_len, remote);
    err = WSAGetLastError();
    HeapFree(GetProcessHeap(), 0, wnode);
    HeapFree(GetProcessHeap(), 0, wservice);
    WSASetLastError(err);
    return ret;
}

