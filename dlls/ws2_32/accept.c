/*
 * Secured servers: bind and listen through a lease, and the accept family
 * (accept, WSAAccept, AcceptEx), which take only what the service
 * delivered and report its real peer.
 */
#include "ws2_32_private.h"
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

/* ---- bind and listen ------------------------------------------------------ */

/* Binds s to addr and keeps the lease with it: reserved, the service holds
 * the public address (addr is the hidden one); else (OWN_ADDRESS) the
 * socket binds its own address and the lease holds its port's protection. */
static int bind_with_lease(SOCKET s, const struct sockaddr *addr, int addr_len, SOCKET lease,
                           const struct secsock_msg_bind_verdict *verdict, BOOL reserved)
{
    struct secsock_socket *sock;
    int err;

    if (REAL(bind)(s, addr, addr_len))
    {
        err = WSAGetLastError();
        control_close(lease);
        return secsock_fail(err), SOCKET_ERROR;
    }
    if (!(sock = sockstate_get(s, FALSE)))
    {
        control_close(lease);
        return secsock_fail(WSAENOTSOCK), SOCKET_ERROR;
    }
    sock->lease = lease;
    sock->reserved = reserved;
    sock->own_address = !reserved;
    if (reserved) sock->public_local = verdict->bound;
    TRACE("socket %#Ix: bound through a lease (backend %s)\n", s, debugstr_a(verdict->backend));
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
    if (snap.reserved) return secsock_fail(WSAEINVAL), SOCKET_ERROR;
    if ((err = addr_from_sockaddr(name, namelen, &local))) return secsock_fail(err), SOCKET_ERROR;

    if ((lease = control_open(&err)) == INVALID_SOCKET) return secsock_fail(err), SOCKET_ERROR;
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_BIND;
    req.u.bind.protocol = snap.settings.protocol;
    req.u.bind.flags = snap.settings.flags;
    req.u.bind.socktype = wire_socktype(snap.type);
    req.u.bind.local = local;
    if ((err = control_call(lease, &req, &reply)) || reply.type != SECSOCK_MSG_BIND_VERDICT)
    {
        control_close(lease);
        return secsock_fail(err ? err : WSAENETDOWN), SOCKET_ERROR;
    }
    switch (reply.u.bind_verdict.verdict)
    {
    case SECSOCK_VERDICT_DIRECT:
        control_close(lease);
        return REAL(bind)(s, name, namelen);
    case SECSOCK_VERDICT_OWN_ADDRESS:
        /* The socket binds itself; at listen the service protects its
         * port for as long as the lease stays open. */
        return bind_with_lease(s, name, namelen, lease, &reply.u.bind_verdict, FALSE);
    case SECSOCK_VERDICT_RESERVED:
        break;
    default:
        control_close(lease);
        return secsock_fail(reply.u.bind_verdict.wsa_error ? (int)reply.u.bind_verdict.wsa_error : WSAEACCES),
               SOCKET_ERROR;
    }

    /* The service holds the public address; the program's socket takes a
     * loopback port of its own family, reachable only through the service. */
    hidden_len = loopback_sockaddr(snap.family, 0, &hidden);
    TRACE("socket %#Ix: service holds port %u\n", s, reply.u.bind_verdict.bound.port);
    return bind_with_lease(s, (struct sockaddr *)&hidden, hidden_len, lease, &reply.u.bind_verdict, TRUE);
}

int WINAPI secsock_listen(SOCKET s, int backlog)
{
    struct secsock_socket *sock;
    struct secsock_msg req, reply;
    struct snapshot snap;
    SOCKADDR_STORAGE hidden;
    int len = sizeof(hidden), err;

    if (!take_snapshot(s, NULL, &snap) || (!snap.reserved && !snap.own_address)) return REAL(listen)(s, backlog);
    /* Reserved: the program's hidden address; OWN_ADDRESS: its own. */
    if (REAL(getsockname)(s, (struct sockaddr *)&hidden, &len)) return SOCKET_ERROR;
    memset(&req, 0, sizeof(req));
    req.type = SECSOCK_MSG_LISTEN;
    req.u.listen.backlog = backlog > 0 ? (uint32_t)backlog : 0;
    strcpy(req.u.listen.target_name, snap.target);
    if ((err = addr_from_sockaddr((struct sockaddr *)&hidden, len, &req.u.listen.listen_addr)) ||
        (err = socket_identity(s, &req.u.listen.socket_inode)))
        return secsock_fail(err), SOCKET_ERROR;
    if ((err = control_call(snap.lease, &req, &reply)) || reply.type != SECSOCK_MSG_LISTEN_VERDICT)
        return secsock_fail(err ? err : WSAENETDOWN), SOCKET_ERROR;
    if (reply.u.listen_verdict.wsa_error) return secsock_fail(reply.u.listen_verdict.wsa_error), SOCKET_ERROR;
    TRACE("socket %#Ix: listening (backend %s, accepted flags %#x)\n", s,
          debugstr_a(reply.u.listen_verdict.backend), reply.u.listen_verdict.info_flags);
    if (snap.own_address && (sock = sockstate_get(s, FALSE)))
    {
        sock->accepted_info_flags = reply.u.listen_verdict.info_flags;
        sock->relays_announced = reply.u.listen_verdict.announced != 0;
        sockstate_release(sock);
    }
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

/* How long to wait for an announcement: on a reserved listener every
 * connection is the service's, announced before it is made (it is there
 * already, or arrives within moments); on an ALLOW_INSECURE server's own
 * address only those from a local address may be, and the service sends
 * the announcement before it connects. */
#define ANNOUNCE_WAIT_RESERVED_MS 1000
#define ANNOUNCE_WAIT_OWN_MS      200

/* Waits briefly for the announcement of the connection from source
 * and takes it. */
static BOOL take_announced_wait(SOCKET listener, const struct snapshot *snap, const struct secsock_addr *source,
                                struct secsock_msg_announce *a)
{
    DWORD start = GetTickCount(), wait = snap->reserved ? ANNOUNCE_WAIT_RESERVED_MS : ANNOUNCE_WAIT_OWN_MS;
    struct secsock_msg msg;
    BOOL found;

    InitOnceExecuteOnce(&announce_once, init_announce_lock, NULL, NULL);
    EnterCriticalSection(&announce_lock);
    while (!(found = take_announced(listener, source, a)) && GetTickCount() - start < wait)
    {
        if (control_wait_message(snap->lease, &msg, wait - (GetTickCount() - start))) break;
        if (msg.type == SECSOCK_MSG_ANNOUNCE) keep_announced(listener, &msg.u.announce);
    }
    LeaveCriticalSection(&announce_lock);
    return found;
}

/* Whether a connection from src to accepted may be one the service relays
 * to an ALLOW_INSECURE server: only from this host (loopback, or the
 * address it reached). */
static BOOL from_this_host(const struct secsock_addr *src, const struct sockaddr *local_sa, int local_len)
{
    static const uint8_t loopback6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    struct secsock_addr local;

    if ((src->family == SECSOCK_AF_INET && src->addr[0] == 127) ||
        (src->family == SECSOCK_AF_INET6 && !memcmp(src->addr, loopback6, 16)))
        return TRUE;
    if (!local_sa || addr_from_sockaddr(local_sa, local_len, &local)) return FALSE;
    local.port = src->port;
    return secsock_addr_equal(&local, src);
}

/* The announcement of a connection on an ALLOW_INSECURE server's own
 * address, when the service relayed it; FALSE for a clear client. */
static BOOL own_address_relayed(SOCKET listener, const struct snapshot *snap, SOCKET accepted,
                                struct secsock_msg_announce *a)
{
    SOCKADDR_STORAGE from, local;
    struct secsock_addr src;
    int len = sizeof(from), local_len = sizeof(local);

    if (!snap->relays_announced || REAL(getpeername)(accepted, (struct sockaddr *)&from, &len) ||
        addr_from_sockaddr((struct sockaddr *)&from, len, &src) ||
        REAL(getsockname)(accepted, (struct sockaddr *)&local, &local_len) ||
        !from_this_host(&src, (struct sockaddr *)&local, local_len))
        return FALSE;
    return take_announced_wait(listener, snap, &src, a);
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

/* A connection the service announced: its real peer and protection, and
 * its public end: the listener's address (the program's socket itself is
 * connected to a hidden port or from the service's relay).  A listener on a
 * wildcard address leaves the address to the service to name (getsockname). */
static void take_announcement(SOCKET listener, const struct snapshot *snap, SOCKET accepted,
                              const struct secsock_msg_announce *a)
{
    struct secsock_socket *sock;
    struct secsock_addr local;
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss);
    BOOL has_local = TRUE;

    if (snap->reserved) local = snap->public_local;
    else if (REAL(getsockname)(listener, (struct sockaddr *)&ss, &len) ||
             addr_from_sockaddr((struct sockaddr *)&ss, len, &local))
        has_local = FALSE;
    if (!(sock = sockstate_get(accepted, FALSE))) return;
    sock->accepted_from = INVALID_SOCKET;
    sock->has_peer = TRUE;
    sock->peer = a->peer;
    sock->has_local = has_local;
    if (has_local) sock->local = local;
    sock->info_flags = a->info_flags;
    TRACE("socket %#Ix: accepted from the service (backend %s, flags %#x)\n", accepted, debugstr_a(a->backend),
          a->info_flags);
    sockstate_release(sock);
}

/* matched: the announcement a was taken already (WSAAccept's condition). */
static SOCKET finish_accept(SOCKET listener, const struct snapshot *snap, SOCKET accepted, struct sockaddr *addr,
                            int *addrlen, BOOL *dropped, const struct secsock_msg_announce *matched)
{
    struct secsock_msg_announce a;
    struct secsock_socket *sock;

    *dropped = FALSE;
    if (accepted == INVALID_SOCKET) return accepted;
    inherit_settings(listener, accepted);
    /* What the service said at listen that its port's protection gives;
     * a connection it relayed to the program's own address says more. */
    if (snap->own_address && (sock = sockstate_get(accepted, FALSE)))
    {
        sock->info_flags = snap->accepted_info_flags;
        sockstate_release(sock);
    }
    if (snap->own_address && (matched || own_address_relayed(listener, snap, accepted, &a)))
    {
        if (matched) a = *matched;
        take_announcement(listener, snap, accepted, &a);
        if (addr && addrlen) addr_to_sockaddr(&a.peer, addr, addrlen);
        return accepted;
    }
    if (!snap->reserved) return accepted;
    if (matched) a = *matched;
    else if (!relayed(listener, snap, accepted, &a))
    {
        WARN("dropping a connection that bypassed secsockd\n");
        sockstate_remove(accepted, NULL);
        reset_on_close(accepted);
        REAL(closesocket)(accepted);
        *dropped = TRUE;
        return INVALID_SOCKET;
    }
    take_announcement(listener, snap, accepted, &a);
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
    if (ac->snap->own_address && caller_id && caller_id->buf &&
        (addr_from_sockaddr((struct sockaddr *)caller_id->buf, (int)caller_id->len, &src) ||
         !from_this_host(&src, callee_id ? (struct sockaddr *)callee_id->buf : NULL, callee_id ? (int)callee_id->len : 0) ||
         !take_announced_wait(ac->listener, ac->snap, &src, &ac->announce)))
    {
        /* A clear client of an ALLOW_INSECURE server: as it is. */
        return ac->condition ? ac->condition(caller_id, caller_data, sqos, gqos, callee_id, callee_data, group, ac->context)
                             : CF_ACCEPT;
    }
    if (ac->snap->own_address) {}
    else if (!caller_id || !caller_id->buf ||
             addr_from_sockaddr((struct sockaddr *)caller_id->buf, (int)caller_id->len, &src) ||
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
    if (!snap.reserved && !snap.relays_announced)
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
        /* A clear client of an ALLOW_INSECURE server: its own address. */
        if (ret != INVALID_SOCKET && !ac.matched && addr && addrlen && *addrlen >= from_len)
        {
            memcpy(addr, &from, from_len);
            *addrlen = from_len;
        }
        if (ret != INVALID_SOCKET || !dropped) return ret;
    }
}

BOOL PASCAL secsock_AcceptEx(SOCKET listener, SOCKET accepted, void *buf, DWORD recv_len, DWORD local_len,
                             DWORD remote_len, DWORD *received, OVERLAPPED *ovl)
{
    struct secsock_socket *sock;
    struct snapshot snap;

    if (!real_AcceptEx) return secsock_fail(WSAEOPNOTSUPP);
    if (take_snapshot(listener, NULL, &snap))
    {
        inherit_settings(listener, accepted);
        /* The connection is known only when the OVERLAPPED completes, out of
         * our sight: it is matched on its first use instead
         * (SO_UPDATE_ACCEPT_CONTEXT, WSAQuerySocketSecurity, getpeername). */
        if ((snap.reserved || snap.relays_announced) && (sock = sockstate_get(accepted, FALSE)))
        {
            sock->accepted_from = listener;
            sockstate_release(sock);
        }
    }
    return real_AcceptEx(listener, accepted, buf, recv_len, local_len, remote_len, received, ovl);
}

void match_accepted(SOCKET s)
{
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
    if (take_snapshot(listener, NULL, &snap) && snap.own_address)
    {
        /* ALLOW_INSECURE: relayed, or a clear client as it is. */
        if (own_address_relayed(listener, &snap, s, &a)) take_announcement(listener, &snap, s, &a);
        else if ((sock = sockstate_get(s, FALSE)))
        {
            sock->accepted_from = INVALID_SOCKET;
            sock->info_flags = snap.accepted_info_flags;
            sockstate_release(sock);
        }
        return;
    }
    if (snap.reserved && take_announced_wait(listener, &snap, &src, &a))
    {
        take_announcement(listener, &snap, s, &a);
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
    reset_on_close(s);
    REAL(shutdown)(s, SD_BOTH);
}

int WINAPI secsock_setsockopt(SOCKET s, int level, int name, const char *value, int len)
{
    int ret = REAL(setsockopt)(s, level, name, value, len);

    if (!ret && secsock_tracked_count && level == SOL_SOCKET && name == SO_UPDATE_ACCEPT_CONTEXT)
        match_accepted(s);
    return ret;
}

