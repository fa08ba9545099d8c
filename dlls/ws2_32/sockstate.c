/* Per-socket security state, keyed by SOCKET, under one lock. */
#include "ws2_32_private.h"
#include "sockmap.h"
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

#define BUCKETS 1024

struct node {
    struct sockmap_link link;     /* first: the map's entry */
    struct secsock_socket sock;
};

static struct sockmap_link *buckets[BUCKETS];
static const struct sockmap map = { buckets, BUCKETS };
static CRITICAL_SECTION lock;
volatile LONG secsock_tracked_count;

void sockstate_init(void)
{
    InitializeCriticalSection(&lock);
}

void sockstate_shutdown(void)
{
    DeleteCriticalSection(&lock);
}

static struct secsock_socket *adopt_copy(SOCKET s);

struct secsock_socket *sockstate_get(SOCKET s, BOOL create)
{
    struct sockmap_link **slot;
    struct node *n;

    if (!create && !secsock_tracked_count && !registry_active()) return NULL;
    EnterCriticalSection(&lock);
    slot = sockmap_slot(&map, s);
    if (*slot) return &((struct node *)*slot)->sock;
    if (!create)
    {
        LeaveCriticalSection(&lock);
        return registry_active() ? adopt_copy(s) : NULL;
    }
    if ((n = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*n))))
    {
        static ULONG next_serial;
        n->link.s = n->sock.s = s;
        n->sock.lease = INVALID_SOCKET;
        n->sock.held = INVALID_SOCKET;
        n->sock.serial = ++next_serial;
        n->sock.accepted_from = INVALID_SOCKET;
        sockmap_link_at(slot, &n->link);
        InterlockedIncrement(&secsock_tracked_count);
        return &n->sock;
    }
    LeaveCriticalSection(&lock);
    return NULL;
}

static BOOL copy_is_connected(SOCKET s)
{
    SOCKADDR_STORAGE peer;
    int len = sizeof(peer);

    return !REAL(getpeername)(s, (struct sockaddr *)&peer, &len);
}

/* s is not in this process's table: a copy of a secured socket takes its
 * settings (and what was vetted of its connection) from the registry. */
static struct secsock_socket *adopt_copy(SOCKET s)
{
    struct secsock_registered body;
    struct secsock_socket *sock;
    uint64_t id;

    if (!registry_lookup(s, &body, &id) || !(sock = sockstate_get(s, TRUE))) return NULL;
    if (!sock->secured)
    {
        sock->family = body.family;
        sock->type = body.type;
        sock->settings = body.settings;
        sock->secured = TRUE;
        /* Connected already: only through secsock's own gates, in whichever
         * process did it, since every one of them looks the socket up here
         * (what the service said of it is not known here: Flags 0). */
        sock->vetted = body.vetted || copy_is_connected(s);
        sock->has_peer = body.has_peer;
        sock->peer = body.peer;
        sock->info_flags = body.info_flags;
        sock->id = id;
        /* Not its own connect: one under way elsewhere answers as Wine's. */
        sock->connect_issued = FALSE;
    }
    return sock;
}

void sockstate_record(struct secsock_socket *sock)
{
    struct secsock_registered body;

    if (!sock->id && socket_identity(sock->s, &sock->id)) return;
    memset(&body, 0, sizeof(body));
    body.family = sock->family;
    body.type = sock->type;
    body.settings = sock->settings;
    body.vetted = sock->vetted;
    body.has_peer = sock->has_peer;
    body.peer = sock->peer;
    body.info_flags = sock->info_flags;
    registry_put(sock->id, &body);
}

void sockstate_release(struct secsock_socket *sock)
{
    if (sock) LeaveCriticalSection(&lock);
}

/* Whether s is the last handle to its socket, in any process. */
struct object_basic_information { ULONG attributes, granted_access, handle_count, pointer_count, reserved[10]; };
LONG WINAPI NtQueryObject(HANDLE, int, void *, ULONG, ULONG *);

static BOOL last_handle(SOCKET s)
{
    struct object_basic_information info;

    if (NtQueryObject((HANDLE)s, 0 /* ObjectBasicInformation */, &info, sizeof(info), NULL)) return FALSE;
    return info.handle_count <= 1;
}

SOCKET sockstate_remove(SOCKET s, SOCKET *held)
{
    struct sockmap_link **slot;
    SOCKET lease = INVALID_SOCKET;
    struct node *n;

    if (held) *held = INVALID_SOCKET;
    if (!secsock_tracked_count) return INVALID_SOCKET;
    EnterCriticalSection(&lock);
    if (*(slot = sockmap_slot(&map, s)))
    {
        n = (struct node *)sockmap_unlink(slot);
        lease = n->sock.lease;
        if (n->sock.id && last_handle(s)) registry_forget(n->sock.id);
        if (held) *held = n->sock.held;
        else if (n->sock.held != INVALID_SOCKET) control_close(n->sock.held);
        HeapFree(GetProcessHeap(), 0, n->sock.targets);
        HeapFree(GetProcessHeap(), 0, n->sock.announced);
        HeapFree(GetProcessHeap(), 0, n);
        InterlockedDecrement(&secsock_tracked_count);
    }
    LeaveCriticalSection(&lock);
    return lease;
}

const char *sockstate_target_for(const struct secsock_socket *sock, const struct secsock_addr *peer)
{
    for (unsigned int i = 0; i < sock->target_count; i++)
    {
        if (sock->type == SOCK_STREAM || (peer && secsock_addr_equal(&sock->targets[i].peer, peer)))
            return sock->targets[i].name;
    }
    return NULL;
}

int sockstate_set_target(struct secsock_socket *sock, const struct secsock_target *target)
{
    struct secsock_target_entry *entry = NULL, *grown;

    /* A stream socket has one peer and so one name; a datagram socket one per peer. */
    for (unsigned int i = 0; i < sock->target_count && !entry; i++)
        if (sock->type == SOCK_STREAM || secsock_addr_equal(&sock->targets[i].peer, &target->peer))
            entry = &sock->targets[i];
    if (!entry)
    {
        if (sock->target_count >= 4096) return WSAENOBUFS;
        grown = sock->targets
            ? HeapReAlloc(GetProcessHeap(), 0, sock->targets, (sock->target_count + 1) * sizeof(*grown))
            : HeapAlloc(GetProcessHeap(), 0, sizeof(*grown));
        if (!grown) return WSAENOBUFS;
        sock->targets = grown;
        entry = &sock->targets[sock->target_count++];
    }
    entry->peer = target->peer;
    memcpy(entry->name, target->name, sizeof(entry->name));
    return 0;
}

void sockstate_delete_target(struct secsock_socket *sock, const struct secsock_addr *peer)
{
    for (unsigned int i = 0; i < sock->target_count; i++)
    {
        if (sock->type != SOCK_STREAM && !secsock_addr_equal(&sock->targets[i].peer, peer)) continue;
        sock->targets[i] = sock->targets[--sock->target_count];
        return;
    }
}
