/*
 * Which sockets a program made non-blocking.  Winsock has no call that
 * reads the mode back, and a secured socket's connect must know it: a
 * non-blocking connect returns at once while the service sets the
 * connection up.  FIONBIO, WSAEventSelect and WSAAsyncSelect are the only
 * ways into non-blocking mode, so they are watched here, for every socket
 * (the cost is one small table update per such call).
 */
#include "ws2_32_private.h"
#include "sockmap.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

#define NBIO_BUCKETS 256

static struct sockmap_link *nbio_buckets[NBIO_BUCKETS];
static const struct sockmap nbio_map = { nbio_buckets, NBIO_BUCKETS };
static CRITICAL_SECTION nbio_lock;
static volatile LONG nbio_count;

void nbio_init(void)
{
    InitializeCriticalSection(&nbio_lock);
}

void nbio_shutdown(void)
{
    DeleteCriticalSection(&nbio_lock);
}

static void nbio_set(SOCKET s, BOOL nonblocking)
{
    struct sockmap_link **slot, *n;

    EnterCriticalSection(&nbio_lock);
    slot = sockmap_slot(&nbio_map, s);
    if (nonblocking && !*slot && (n = HeapAlloc(GetProcessHeap(), 0, sizeof(*n))))
    {
        n->s = s;
        sockmap_link_at(slot, n);
        InterlockedIncrement(&nbio_count);
    }
    else if (!nonblocking && *slot)
    {
        HeapFree(GetProcessHeap(), 0, sockmap_unlink(slot));
        InterlockedDecrement(&nbio_count);
    }
    LeaveCriticalSection(&nbio_lock);
}

BOOL nbio_is_nonblocking(SOCKET s)
{
    BOOL ret;

    if (!nbio_count) return FALSE;
    EnterCriticalSection(&nbio_lock);
    ret = *sockmap_slot(&nbio_map, s) != NULL;
    LeaveCriticalSection(&nbio_lock);
    return ret;
}

void nbio_forget(SOCKET s)
{
    if (nbio_count) nbio_set(s, FALSE);
}

int WINAPI secsock_ioctlsocket(SOCKET s, LONG cmd, ULONG *arg)
{
    int ret = REAL(ioctlsocket)(s, cmd, arg);

    if (!ret && cmd == (LONG)FIONBIO && arg) nbio_set(s, *arg != 0);
    return ret;
}

int WINAPI secsock_WSAEventSelect(SOCKET s, WSAEVENT event, LONG events)
{
    int ret = REAL(WSAEventSelect)(s, event, events);

    /* Even with no events the socket stays non-blocking, as on Windows. */
    if (!ret) nbio_set(s, TRUE);
    return ret;
}

int WINAPI secsock_WSAAsyncSelect(SOCKET s, HWND hwnd, UINT msg, LONG events)
{
    int ret = REAL(WSAAsyncSelect)(s, hwnd, msg, events);

    if (!ret) nbio_set(s, TRUE);
    return ret;
}

/* FIONBIO through WSAIoctl (called from secsock_WSAIoctl after success). */
void nbio_after_ioctl(SOCKET s, DWORD code, const void *in, DWORD in_len)
{
    if (code == FIONBIO && in && in_len >= sizeof(ULONG)) nbio_set(s, *(const ULONG *)in != 0);
}
