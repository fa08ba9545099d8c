/*
 * secsock's ws2_32 layering DLL: what its files share.
 */
#ifndef SECSOCK_WS2_32_PRIVATE_H
#define SECSOCK_WS2_32_PRIVATE_H

#include <stdarg.h>
#include <string.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <mstcpip.h>
#include "secsock/securesock.h"
#include "secsock/proto.h"
#include "secsock/settings.h"
#include "secsock/wsaerr.h"
#include "forward.h"

/* This DLL must not import the ws2_32 it stands in front of.  Winsock's
 * error slot is the thread's last-error value. */
#undef WSAGetLastError
#undef WSASetLastError
#define WSAGetLastError() ((int)GetLastError())
#define WSASetLastError(err) SetLastError(err)

/* Network byte order without htons/htonl: Wine 10's winsock.h declares
 * them as imports of the very ws2_32 this DLL replaces (Wine 8 had inline
 * macros).  The value returned is stored as its bytes, high first. */
static inline uint16_t net16(uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    uint16_t r;
    memcpy(&r, b, sizeof(r));
    return r;
}

static inline uint32_t net32(uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    uint32_t r;
    memcpy(&r, b, sizeof(r));
    return r;
}

/* Exported by Wine's ws2_32 but not declared by its headers. */
int WINAPI WSASendMsg(SOCKET s, LPWSAMSG msg, DWORD flags, LPDWORD sent, LPWSAOVERLAPPED ovl,
                      LPWSAOVERLAPPED_COMPLETION_ROUTINE cr);

/* ---- per-socket state (sockstate.c) ------------------------------------ */

struct secsock_target_entry {
    struct secsock_addr peer;      /* SECSOCK_AF_UNSPEC for a TCP socket's one name */
    char name[SECSOCK_MAX_STR + 1];
};

/* What we keep for a socket a program has secured or named a peer for.
 * Sockets never touched by the security ioctls have no entry: every call on
 * them goes straight to Wine's Winsock. */
struct secsock_socket {
    SOCKET s;
    int family;                   /* AF_INET or AF_INET6 */
    int type;                     /* SOCK_STREAM or SOCK_DGRAM */
    BOOL secured;                 /* SIO_SET_SECURITY succeeded */
    struct secsock_settings settings;
    struct secsock_target_entry *targets;
    unsigned int target_count;
    SOCKET lease;                 /* control connection holding a reservation */
    SOCKET held;                  /* control connection holding the connection's protection (IPsec) */
    BOOL reserved;                /* the service holds public_local for us */
    BOOL own_address;             /* bound itself; the lease holds the protection of its port */
    ULONG accepted_info_flags;    /* own_address: SOCKET_INFO_* of what it accepts */
    BOOL relays_announced;        /* own_address: what the service relays to it is announced */
    struct secsock_addr public_local;
    BOOL has_peer;                /* relayed: the real peer, for getpeername */
    struct secsock_addr peer;
    BOOL has_local;               /* accepted from the service: its public end, for getsockname */
    struct secsock_addr local;    /* a wildcard address until the service names it */
    ULONG info_flags;             /* SOCKET_INFO_* of the connection */
    ULONG serial;                 /* tells this socket from a later one with the same handle */
    BOOL connect_pending;         /* a non-blocking connect is being set up by the service */
    BOOL connect_issued;          /* Wine's own connect was called, to issued_target */
    SOCKADDR_STORAGE issued_target; /* the peer (DIRECT), the relay, or the refusing port */
    int issued_len;
    BOOL attempt_refused;         /* the service refused: a new connect starts over */
    BOOL vetted;                  /* connected (or accepted) only as the service said */
    uint64_t id;                  /* socket_identity(), once recorded; 0 before */
    SOCKET accepted_from;         /* AcceptEx on a reserved listener: not yet matched */
    /* A reserved listener: connections the service announced, not yet accepted. */
    struct secsock_msg_announce *announced;
    unsigned int announced_count;
};

/* ---- secured sockets by identity, across processes (registry.c) ---- */

/* What a copy of a secured socket inherits. */
struct secsock_registered {
    int32_t family, type;
    struct secsock_settings settings;
    uint32_t vetted, has_peer, info_flags;
    struct secsock_addr peer;
};

void registry_init(void);
/* Whether any socket of the prefix was ever secured (lookups needed). */
BOOL registry_active(void);
int registry_put(uint64_t id, const struct secsock_registered *body);
void registry_forget(uint64_t id);
/* TRUE with *body and its identity *id when s is a copy of a secured socket. */
BOOL registry_lookup(SOCKET s, struct secsock_registered *body, uint64_t *id);
/* Records sock (table locked) under its identity. */
void sockstate_record(struct secsock_socket *sock);

/* Number of sockets with state: zero means every call may pass straight
 * through without a lookup. */
extern volatile LONG secsock_tracked_count;

/* Whether a call must look its socket up at all: this process tracks
 * sockets, or the prefix has secured one (a copy may be here). */
static inline BOOL secsock_gate_active(void)
{
    return secsock_tracked_count || registry_active();
}

void sockstate_init(void);
void sockstate_shutdown(void);
/* Returns the entry for s with the table locked, or NULL (table unlocked).
 * create: make one when there is none.  Release with sockstate_release(). */
struct secsock_socket *sockstate_get(SOCKET s, BOOL create);
void sockstate_release(struct secsock_socket *sock);
/* Forgets s; returns its lease socket (or INVALID_SOCKET) for the caller to
 * close, and in *held (may be NULL) the one holding its protection, to be
 * closed only after s itself. */
SOCKET sockstate_remove(SOCKET s, SOCKET *held);
/* Finds the target name for peer (TCP: the single one); NULL if none. */
const char *sockstate_target_for(const struct secsock_socket *sock, const struct secsock_addr *peer);
int sockstate_set_target(struct secsock_socket *sock, const struct secsock_target *target);
void sockstate_delete_target(struct secsock_socket *sock, const struct secsock_addr *peer);

/* ---- non-blocking mode (nbio.c) ------------------------------------------ */

void nbio_init(void);
void nbio_shutdown(void);
BOOL nbio_is_nonblocking(SOCKET s);
void nbio_forget(SOCKET s);
void nbio_after_ioctl(SOCKET s, DWORD code, const void *in, DWORD in_len);

/* ---- control channel to secsockd (control.c) ---------------------------- */

void control_init(void);
/* Opens an authenticated control connection, starting the service when it
 * does not run.  Returns INVALID_SOCKET with a Windows error code in *err. */
SOCKET control_open(int *err);
/* One request and its reply on an open connection; 0 or a Windows error code. */
int control_call(SOCKET conn, const struct secsock_msg *req, struct secsock_msg *reply);
void control_close(SOCKET conn);
/* Whether a control connection has succeeded in this process. */
BOOL control_service_answered(void);
/* SECSOCK_NEED_* bits the service named when it last answered. */
uint32_t control_needs(void);
/* Waits up to timeout_ms for one message the service sends unasked (on a
 * lease); 0, or WSAETIMEDOUT, or another Windows error. */
int control_wait_message(SOCKET conn, struct secsock_msg *msg, DWORD timeout_ms);

/* ---- helpers ------------------------------------------------------------- */

/* Windows SOCKADDR <-> wire address. */
int addr_from_sockaddr(const struct sockaddr *sa, int len, struct secsock_addr *out);
int addr_to_sockaddr(const struct secsock_addr *addr, struct sockaddr *sa, int *len);

/* The loopback address of family (127.0.0.1 or ::1) with port (host
 * order) in *ss; returns its length. */
int loopback_sockaddr(int family, USHORT port, SOCKADDR_STORAGE *ss);

/* Makes s end its connection with a reset, not a clean close, when it is
 * closed or shut down: what it carried must not look complete. */
void reset_on_close(SOCKET s);

/* The identity of the socket behind handle s (the same through every copy
 * of it), or a Windows error. */
int socket_identity(SOCKET s, uint64_t *id);

/* Socket family and type, or a Windows error (WSAENOTSOCK). */
int socket_kind(SOCKET s, int *family, int *type);

/* The WFP view (secured_view.c): SIO_SECSOCK_SECURED_CONNECTION, and the
 * entry of the connection whose ends the program sees as local and remote
 * (0, or a Windows error; WSAENOTCONN when the service lists none). */
int secured_view_ioctl(const void *in, DWORD in_len, void *out, DWORD out_len, DWORD *returned);
int secured_view_lookup(const struct secsock_addr *local, const struct secsock_addr *remote,
                        struct secsock_msg_secured_entry *entry);

/* The security ioctls (security_ioctl.c): return 0 or a Windows error. */
int security_ioctl(SOCKET s, DWORD code, void *in, DWORD in_len, void *out, DWORD out_len,
                   DWORD *returned);

/* Completes a synchronous success of an overlapped ioctl as Winsock does. */
void complete_overlapped(DWORD bytes, LPWSAOVERLAPPED ovl, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr);

/* ---- verdicts of the service (route.c) ----------------------------------- */

/* Fails with a Windows error code: FALSE, the thread's error set. */
BOOL secsock_fail(int err);

/* What a call needs to know about a socket, copied out of the table so
 * that no lock is held while talking to the service. */
struct snapshot {
    BOOL secured;
    BOOL own_address;
    ULONG accepted_info_flags;
    BOOL relays_announced;
    int family, type;
    struct secsock_settings settings;
    char target[SECSOCK_MAX_STR + 1];
    BOOL reserved;
    SOCKET lease;
    struct secsock_addr public_local;
    BOOL has_peer;
    struct secsock_addr peer;
    BOOL has_local;
    struct secsock_addr local;
};
BOOL take_snapshot(SOCKET s, const struct secsock_addr *peer, struct snapshot *snap);
uint8_t wire_socktype(int type);

enum route { ROUTE_FAIL, ROUTE_DIRECT, ROUTE_RELAY, ROUTE_PENDING, ROUTE_PROTECTED };
/* Asks the service how s may reach peer (ROUTE_PENDING: *conn stays open
 * for await_route); on ROUTE_RELAY *relay is where s connects instead. */
enum route ask_route(SOCKET s, const struct snapshot *snap, const struct secsock_addr *peer,
                     struct secsock_addr *relay, SOCKET *conn, int *err);
enum route await_route(SOCKET s, SOCKET conn, const struct secsock_addr *peer, struct secsock_addr *relay,
                       int *err);
enum route connect_route(SOCKET s, const struct snapshot *snap, const struct secsock_addr *peer,
                         struct secsock_addr *relay, int *err);
BOOL route_target(enum route route, const struct sockaddr *name, int namelen, const struct secsock_addr *relay,
                  int err, SOCKADDR_STORAGE *target, int *target_len);
BOOL route_connect(SOCKET s, const struct sockaddr *name, int namelen, const struct snapshot *snap,
                   SOCKADDR_STORAGE *target, int *target_len);
/* A datagram socket's verdict for peer: from the cache while the service's
 * verdict lasts, else asked (ROUTE_DIRECT or ROUTE_FAIL with *err). */
enum route datagram_route(SOCKET s, const struct snapshot *snap, const struct secsock_addr *peer, int *err);
int WINAPI secsock_getsockname(SOCKET s, struct sockaddr *name, int *namelen);
int WINAPI secsock_getpeername(SOCKET s, struct sockaddr *name, int *namelen);

/* ---- datagram verdicts by peer (verdict_cache.c) ---------------------------- */

void verdict_cache_init(void);
/* TRUE with the route and error the service gave for the same request
 * (peer and settings), while that verdict lasts. */
BOOL verdict_cache_get(const struct secsock_msg_connect *req, enum route *route, int *err);
/* Keeps a verdict for seconds (0: not at all). */
void verdict_cache_put(const struct secsock_msg_connect *req, enum route route, int err, DWORD seconds);

/* Extension functions a secured socket needs diverted (connect.c, accept.c). */
BOOL PASCAL secsock_ConnectEx(SOCKET s, const struct sockaddr *name, int namelen, void *send_buf,
                              DWORD send_len, DWORD *sent, OVERLAPPED *ovl);
BOOL PASCAL secsock_AcceptEx(SOCKET listener, SOCKET accepted, void *buf, DWORD recv_len,
                             DWORD local_len, DWORD remote_len, DWORD *received, OVERLAPPED *ovl);
/* A socket AcceptEx filled from a reserved listener: matched against the
 * service's announcements on first use (divert.c). */
void match_accepted(SOCKET s);
extern LPFN_CONNECTEX real_ConnectEx;
extern LPFN_ACCEPTEX real_AcceptEx;
/* A connection of s is over and s may be reused: what was vetted is forgotten. */
void forget_connection(SOCKET s);
/* Whether s may send as it is: FALSE (WSAENOTCONN set) for a secured socket
 * the service did not connect. */
BOOL secured_may_send(SOCKET s);
int WINAPI secsock_WSASendMsg(SOCKET s, LPWSAMSG msg, DWORD flags, LPDWORD sent, LPWSAOVERLAPPED ovl,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE cr);

/* The extension-function ioctls (extension.c): TRUE when handled, with
 * WSAIoctl's return value in *ret. */
BOOL extension_ioctl(SOCKET s, DWORD code, void *in, DWORD in_len, void *out, DWORD out_len, DWORD *returned,
                     WSAOVERLAPPED *ovl, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, int *ret);

#endif
