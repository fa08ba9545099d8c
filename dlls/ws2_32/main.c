/*
 * secsock's ws2_32: a layering DLL in front of Wine's own Winsock.
 *
 * Every export of Wine's ws2_32 is forwarded to it untouched (the thunks
 * generated from ws2_32.exports), except the calls that must see secured
 * sockets: the security ioctls and the connect, accept, bind, listen, name
 * and send families.  Those look the socket up and, for a socket nobody
 * secured, pass straight through as well.
 */
#include "ws2_32_private.h"
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    switch (reason)
    {
    case DLL_PROCESS_ATTACH:
        DisableThreadLibraryCalls(instance);
        if (!forward_load(instance, L"ws2_32.dll")) return FALSE;
        sockstate_init();
        registry_init();
        nbio_init();
        control_init();
        verdict_cache_init();
        break;
    case DLL_PROCESS_DETACH:
        if (reserved) break;   /* the process is exiting: nothing to free */
        sockstate_shutdown();
        nbio_shutdown();
        break;
    }
    return TRUE;
}

BOOL secsock_fail(int err)
{
    WSASetLastError(err);
    return FALSE;
}

int addr_from_sockaddr(const struct sockaddr *sa, int len, struct secsock_addr *out)
{
    if (!sa) return WSAEFAULT;
    if (len < 0) return WSAEFAULT;
    switch (secsock_sockaddr_decode(sa, (size_t)len, out))
    {
    case 0: return 0;
    case SECSOCK_WSAEAFNOSUPPORT: return WSAEAFNOSUPPORT;
    default: return WSAEFAULT;
    }
}

int addr_to_sockaddr(const struct secsock_addr *addr, struct sockaddr *sa, int *len)
{
    unsigned char buf[sizeof(SOCKADDR_STORAGE)];
    size_t n = secsock_sockaddr_encode(addr, buf, sizeof(buf));

    if (!n || !sa || !len) return WSAEFAULT;
    if ((size_t)*len < n) return WSAEFAULT;
    memcpy(sa, buf, n);
    *len = (int)n;
    return 0;
}

int loopback_sockaddr(int family, USHORT port, SOCKADDR_STORAGE *ss)
{
    memset(ss, 0, sizeof(*ss));
    ss->ss_family = family;
    if (family == AF_INET6)
    {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_addr.s6_addr[15] = 1;
        sin6->sin6_port = net16(port);
        return sizeof(*sin6);
    }
    ((struct sockaddr_in *)ss)->sin_addr.s_addr = net32(INADDR_LOOPBACK);
    ((struct sockaddr_in *)ss)->sin_port = net16(port);
    return sizeof(struct sockaddr_in);
}

void reset_on_close(SOCKET s)
{
    static const LINGER abortive = { 1, 0 };

    REAL(setsockopt)(s, SOL_SOCKET, SO_LINGER, (const char *)&abortive, sizeof(abortive));
}

/* FileInternalInformation, from NtQueryInformationFile (winternl.h is not
 * usable next to winsock2.h here). */
#define SECSOCK_FILE_INTERNAL_INFORMATION 6
struct io_status { union { LONG status; void *pointer; }; ULONG_PTR information; };
LONG WINAPI NtQueryInformationFile(HANDLE, struct io_status *, void *, ULONG, int);

int socket_identity(SOCKET s, uint64_t *id)
{
    struct io_status io;
    LARGE_INTEGER index;

    /* For a socket, Wine answers with the Unix socket's inode: the same for
     * every handle to it, in every process, and never reused while the
     * kernel's inode counter does not wrap. */
    if (NtQueryInformationFile((HANDLE)s, &io, &index, sizeof(index), SECSOCK_FILE_INTERNAL_INFORMATION) ||
        !index.QuadPart)
        return WSAENOTSOCK;
    *id = (uint64_t)index.QuadPart;
    return 0;
}

int socket_kind(SOCKET s, int *family, int *type)
{
    WSAPROTOCOL_INFOW info;
    int len = sizeof(info);

    if (REAL(getsockopt)(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info, &len))
        return WSAGetLastError();
    *family = info.iAddressFamily;
    *type = info.iSocketType;
    return 0;
}

struct completion {
    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
    DWORD bytes;
    LPWSAOVERLAPPED ovl;
};

static void CALLBACK completion_apc(ULONG_PTR arg)
{
    struct completion *c = (struct completion *)arg;

    c->routine(0, c->bytes, c->ovl, 0);
    HeapFree(GetProcessHeap(), 0, c);
}

void complete_overlapped(DWORD bytes, LPWSAOVERLAPPED ovl, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    struct completion *c;

    if (!ovl) return;
    ovl->Internal = 0;
    ovl->InternalHigh = bytes;
    if (cr)
    {
        /* As for any overlapped call: the routine runs when the thread next
         * waits alertably. */
        if ((c = HeapAlloc(GetProcessHeap(), 0, sizeof(*c))))
        {
            c->routine = cr;
            c->bytes = bytes;
            c->ovl = ovl;
            if (!QueueUserAPC(completion_apc, GetCurrentThread(), (ULONG_PTR)c))
                HeapFree(GetProcessHeap(), 0, c);
        }
    }
    else if (ovl->hEvent) SetEvent(ovl->hEvent);
}
