/*
 * Extension functions (SIO_GET_EXTENSION_FUNCTION_POINTER): every one that
 * can connect, accept, send or end a connection is handed out as ours,
 * whatever socket it was asked on, since a pointer obtained on one socket
 * may be called with any other.  Functions that only read (WSARecvMsg,
 * GetAcceptExSockaddrs) are Wine's own.  A GUID not known here is refused:
 * a function we cannot see into could send in clear on a secured socket.
 */
#include "ws2_32_private.h"
#include <string.h>
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

LPFN_CONNECTEX real_ConnectEx;
LPFN_ACCEPTEX real_AcceptEx;
static LPFN_DISCONNECTEX real_DisconnectEx;
static LPFN_TRANSMITFILE real_TransmitFile;
static LPFN_TRANSMITPACKETS real_TransmitPackets;

/* SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER (mstcpip.h of newer SDKs). */
#define SECSOCK_SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER _WSAIORW(IOC_WS2, 36)

/* A connection ended with TF_REUSE_SOCKET: the socket may connect or be
 * accepted into again, and that must be vetted anew. */
static void ended_for_reuse(SOCKET s, DWORD flags)
{
    if ((flags & TF_REUSE_SOCKET) && secsock_tracked_count) forget_connection(s);
}

static BOOL PASCAL secsock_DisconnectEx(SOCKET s, OVERLAPPED *ovl, DWORD flags, DWORD reserved)
{
    BOOL ret;

    if (!real_DisconnectEx) return secsock_fail(WSAEOPNOTSUPP);
    ret = real_DisconnectEx(s, ovl, flags, reserved);
    if (ret || WSAGetLastError() == WSA_IO_PENDING) ended_for_reuse(s, flags);
    return ret;
}

/* Both send only on a connected socket, and a secured socket is connected
 * only as the service said: what matters is that the socket may then be
 * reused. */
static BOOL PASCAL secsock_TransmitFile(SOCKET s, HANDLE file, DWORD total, DWORD per_send, OVERLAPPED *ovl,
                                        TRANSMIT_FILE_BUFFERS *buffers, DWORD flags)
{
    BOOL ret;

    if (!real_TransmitFile) return secsock_fail(WSAEOPNOTSUPP);
    if (secsock_gate_active() && !secured_may_send(s)) return FALSE;
    ret = real_TransmitFile(s, file, total, per_send, ovl, buffers, flags);
    if (ret || WSAGetLastError() == WSA_IO_PENDING) ended_for_reuse(s, flags);
    return ret;
}

static BOOL PASCAL secsock_TransmitPackets(SOCKET s, TRANSMIT_PACKETS_ELEMENT *packets, DWORD count,
                                           DWORD per_send, OVERLAPPED *ovl, DWORD flags)
{
    BOOL ret;

    if (!real_TransmitPackets) return secsock_fail(WSAEOPNOTSUPP);
    if (secsock_gate_active() && !secured_may_send(s)) return FALSE;
    ret = real_TransmitPackets(s, packets, count, per_send, ovl, flags);
    if (ret || WSAGetLastError() == WSA_IO_PENDING) ended_for_reuse(s, flags);
    return ret;
}

struct extension {
    GUID guid;
    void *ours;           /* NULL: Wine's own is handed out */
    void **real;
    const char *name;
};

static const struct extension extensions[] = {
    { WSAID_CONNECTEX, secsock_ConnectEx, (void **)&real_ConnectEx, "ConnectEx" },
    { WSAID_ACCEPTEX, secsock_AcceptEx, (void **)&real_AcceptEx, "AcceptEx" },
    { WSAID_DISCONNECTEX, secsock_DisconnectEx, (void **)&real_DisconnectEx, "DisconnectEx" },
    { WSAID_TRANSMITFILE, secsock_TransmitFile, (void **)&real_TransmitFile, "TransmitFile" },
    { WSAID_TRANSMITPACKETS, secsock_TransmitPackets, (void **)&real_TransmitPackets, "TransmitPackets" },
    { WSAID_WSASENDMSG, secsock_WSASendMsg, NULL, "WSASendMsg" },
    { WSAID_WSARECVMSG, NULL, NULL, "WSARecvMsg" },
    { WSAID_GETACCEPTEXSOCKADDRS, NULL, NULL, "GetAcceptExSockaddrs" },
    { { 0x18c76f85, 0xdc66, 0x4964, { 0x97, 0x2e, 0x23, 0xc2, 0x72, 0x38, 0x31, 0x2b } }, NULL, NULL, "WSAPoll" },
};

static const struct extension *find_extension(const void *in, DWORD in_len)
{
    if (!in || in_len < sizeof(GUID) || IsBadReadPtr(in, sizeof(GUID))) return NULL;
    for (unsigned int i = 0; i < ARRAY_SIZE(extensions); i++)
        if (!memcmp(in, &extensions[i].guid, sizeof(GUID))) return &extensions[i];
    return NULL;
}

BOOL extension_ioctl(SOCKET s, DWORD code, void *in, DWORD in_len, void *out, DWORD out_len, DWORD *returned,
                     WSAOVERLAPPED *ovl, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr, int *ret)
{
    const struct extension *ext;

    if (code == SECSOCK_SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER)
    {
        /* Registered I/O (the only table this code hands out) sends
         * through request queues this DLL cannot see. */
        FIXME("socket %#Ix: registered I/O is not covered by secsock: refused\n", s);
        *ret = (secsock_fail(WSAEOPNOTSUPP), SOCKET_ERROR);
        return TRUE;
    }
    if (code != SIO_GET_EXTENSION_FUNCTION_POINTER) return FALSE;
    if (!(ext = find_extension(in, in_len)))
    {
        if (in && in_len >= sizeof(GUID) && !IsBadReadPtr(in, sizeof(GUID)))
            FIXME("socket %#Ix: extension function %s is not covered by secsock: refused\n", s,
                  wine_dbgstr_guid(in));
        *ret = (secsock_fail(in ? WSAEINVAL : WSAEFAULT), SOCKET_ERROR);
        return TRUE;
    }
    *ret = REAL(WSAIoctl)(s, code, in, in_len, out, out_len, returned, ovl, cr);
    if (*ret || !ext->ours || !out || out_len < sizeof(void *)) return TRUE;
    if (ext->real) InterlockedExchangePointer(ext->real, *(void **)out);
    *(void **)out = ext->ours;
    TRACE("socket %#Ix: %s is ours\n", s, ext->name);
    return TRUE;
}
