/*
 * The rest of what a secured socket cannot do on its own: the local and
 * peer names that set-up changes, datagrams to new peers, closing, and the
 * ioctls.  For a socket that nobody secured each is Wine's own call.
 */
#include "ws2_32_private.h"
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

/* ---- names ------------------------------------------------------------ */

static int report_addr(const struct secsock_addr *addr, struct sockaddr *name, int *namelen)
{
    int err;

    if (!name || !namelen) return secsock_fail(WSAEFAULT), SOCKET_ERROR;
    if ((err = addr_to_sockaddr(addr, name, namelen))) return secsock_fail(err), SOCKET_ERROR;
    return 0;
}

static BOOL addr_unspecified(const struct secsock_addr *a)
{
    static const uint8_t zero[16];
    const struct secsock_addr u = secsock_addr_unmapped(a);

    return !memcmp(u.addr, zero, u.family == SECSOCK_AF_INET6 ? 16 : 4);
}

/* The public end of a connection accepted from the service: the address
 * its client reached.  A listener on a wildcard address does not say which
 * one: the service's list of what it secured does (by the listener's port
 * and the peer), and the answer is kept. */
static BOOL accepted_local(SOCKET s, const struct snapshot *snap, struct secsock_addr *out)
{
    struct secsock_msg_secured_entry entry;
    struct secsock_addr want;
    struct secsock_socket *sock;
    int err;

    *out = snap->local;
    if (!addr_unspecified(&snap->local)) return TRUE;
    memset(&want, 0, sizeof(want));
    want.family = SECSOCK_AF_UNSPEC;
    want.port = snap->local.port;
    if ((err = secured_view_lookup(&want, &snap->peer, &entry)))
    {
        WARN("socket %#Ix: the service does not name the address its client reached: error %d\n", s, err);
        return FALSE;
    }
    *out = entry.local;
    if ((sock = sockstate_get(s, FALSE)))
    {
        sock->local = entry.local;
        sockstate_release(sock);
    }
    return TRUE;
}

int WINAPI secsock_getsockname(SOCKET s, struct sockaddr *name, int *namelen)
{
    struct snapshot snap;
    struct secsock_addr local;

    if (secsock_tracked_count) match_accepted(s);
    if (!take_snapshot(s, NULL, &snap) || (!snap.reserved && !snap.has_local))
        return REAL(getsockname)(s, name, namelen);
    if (snap.reserved) return report_addr(&snap.public_local, name, namelen);
    /* Still Wine's call first: it says whether the socket is usable. */
    {
        SOCKADDR_STORAGE real;
        int len = sizeof(real);
        if (REAL(getsockname)(s, (struct sockaddr *)&real, &len)) return SOCKET_ERROR;
    }
    if (!accepted_local(s, &snap, &local)) return REAL(getsockname)(s, name, namelen);
    return report_addr(&local, name, namelen);
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

/* A secured datagram socket may send to peer only as the service says
 * (route.c: datagram_route). */
static BOOL datagram_allowed(SOCKET s, const struct sockaddr *to, int tolen)
{
    struct snapshot snap;
    struct secsock_addr peer;
    int err;

    if (!to) return TRUE;  /* a connected socket: its connect was vetted */
    if (addr_from_sockaddr(to, tolen, &peer)) return TRUE;  /* Wine reports the bad address */
    if (!take_snapshot(s, &peer, &snap) || snap.type != SOCK_DGRAM) return TRUE;
    return datagram_route(s, &snap, &peer, &err) == ROUTE_DIRECT ? TRUE : secsock_fail(err);
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
    case SIO_SECSOCK_SECURED_CONNECTION:
        TRACE("%#Ix %#lx %p %lu %p %lu %p %p %p\n", s, code, in, in_len, out, out_len, returned, ovl, cr);
        /* Windows probes the caller's buffers and fails with WSAEFAULT
         * instead of faulting; so does this. */
        if ((in && in_len && IsBadReadPtr(in, in_len)) || (out && out_len && IsBadWritePtr(out, out_len)) ||
            (returned && IsBadWritePtr(returned, sizeof(*returned))) || (ovl && IsBadWritePtr(ovl, sizeof(*ovl))))
        {
            WARN("invalid buffer\n");
            return secsock_fail(WSAEFAULT), SOCKET_ERROR;
        }
        if (!returned)
        {
            if (!ovl) return secsock_fail(WSAEFAULT), SOCKET_ERROR;
            returned = &local_returned;
        }
        if ((err = security_ioctl(s, code, in, in_len, out, out_len, returned)))
            return secsock_fail(err), SOCKET_ERROR;
        complete_overlapped(*returned, ovl, cr);
        return 0;

    case FIONBIO:
        ret = REAL(WSAIoctl)(s, code, in, in_len, out, out_len, returned, ovl, cr);
        if (!ret) nbio_after_ioctl(s, code, in, in_len);
        return ret;
    }
    return REAL(WSAIoctl)(s, code, in, in_len, out, out_len, returned, ovl, cr);
}
