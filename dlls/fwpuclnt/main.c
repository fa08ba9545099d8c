/*
 * secsock's fwpuclnt: the six Winsock secure-socket functions.  As on
 * Windows they are thin wrappers over WSAIoctl (SIO_SET_SECURITY and
 * friends), which ws2_32 implements; every other fwpuclnt export is
 * forwarded to Wine's own.
 */
#include <stdarg.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <string.h>
#include "secsock/securesock.h"
#include "secsock/settings.h"
#include "forward.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(fwpuclnt);

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    if (reason == DLL_PROCESS_ATTACH)
    {
        DisableThreadLibraryCalls(instance);
        return forward_load(instance, L"fwpuclnt.dll");
    }
    return TRUE;
}

static INT fail(int err)
{
    WSASetLastError(err);
    return SOCKET_ERROR;
}

INT WINAPI secsock_WSASetSocketSecurity(SOCKET s, const SOCKET_SECURITY_SETTINGS *settings, ULONG len,
                                        LPWSAOVERLAPPED ovl, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    BOOL exclusive = TRUE;
    DWORD bytes = 0;

    TRACE("%#Ix %p %lu %p %p\n", s, settings, len, ovl, cr);
    /* Windows takes the port exclusively first, whatever the ioctl says. */
    setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&exclusive, sizeof(exclusive));
    return WSAIoctl(s, SIO_SET_SECURITY, (void *)settings, len, NULL, 0, &bytes, ovl, cr);
}

INT WINAPI secsock_WSAQuerySocketSecurity(SOCKET s, const SOCKET_SECURITY_QUERY_TEMPLATE *tmpl, ULONG tmpl_len,
                                          SOCKET_SECURITY_QUERY_INFO *info, ULONG *info_len,
                                          LPWSAOVERLAPPED ovl, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    TRACE("%#Ix %p %lu %p %p %p %p\n", s, tmpl, tmpl_len, info, info_len, ovl, cr);
    if (!info_len || IsBadWritePtr(info_len, sizeof(*info_len))) return fail(WSAEFAULT);
    return WSAIoctl(s, SIO_QUERY_SECURITY, (void *)tmpl, tmpl_len, info, *info_len, info_len, ovl, cr);
}

INT WINAPI secsock_WSASetSocketPeerTargetName(SOCKET s, const SOCKET_PEER_TARGET_NAME *name, ULONG len,
                                              LPWSAOVERLAPPED ovl, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    DWORD bytes = 0;

    TRACE("%#Ix %p %lu %p %p\n", s, name, len, ovl, cr);
    if (!name) return fail(WSAEFAULT);
    return WSAIoctl(s, SIO_SET_PEER_TARGET_NAME, (void *)name, len, NULL, 0, &bytes, ovl, cr);
}

INT WINAPI secsock_WSADeleteSocketPeerTargetName(SOCKET s, const struct sockaddr *addr, ULONG len,
                                                 LPWSAOVERLAPPED ovl, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    DWORD bytes = 0;

    TRACE("%#Ix %p %lu %p %p\n", s, addr, len, ovl, cr);
    if (!addr) return fail(WSAEFAULT);
    return WSAIoctl(s, SIO_DELETE_PEER_TARGET_NAME, (void *)addr, len, NULL, 0, &bytes, ovl, cr);
}

static void close_tokens(const SOCKET_SECURITY_QUERY_INFO *info)
{
    if (info->PeerApplicationAccessTokenHandle) CloseHandle((HANDLE)(ULONG_PTR)info->PeerApplicationAccessTokenHandle);
    if (info->PeerMachineAccessTokenHandle) CloseHandle((HANDLE)(ULONG_PTR)info->PeerMachineAccessTokenHandle);
}

/* Impersonation uses the peer's tokens from SIO_QUERY_SECURITY: the user's
 * when the peer sent one, else the machine's.  A secured connection's peer
 * gets the anonymous logon's token (dlls/ws2_32/peer_token.h); a connection
 * that is not secured has no peer to impersonate (WSAEINVAL); a system that
 * cannot make that token (Wine 8) fails the call (WSAEOPNOTSUPP) rather
 * than leave the thread with any other token. */
INT WINAPI secsock_WSAImpersonateSocketPeer(SOCKET s, const struct sockaddr *addr, ULONG len)
{
    SOCKET_SECURITY_QUERY_TEMPLATE tmpl;
    SOCKET_SECURITY_QUERY_INFO info;
    struct secsock_addr peer;
    ULONG info_len = sizeof(info);
    int type, type_len = sizeof(type), err;
    HANDLE token;
    BOOL ok;

    TRACE("%#Ix %p %lu\n", s, addr, len);
    if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &type_len)) return SOCKET_ERROR;
    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.PeerTokenAccessMask = TOKEN_QUERY | TOKEN_IMPERSONATE | TOKEN_DUPLICATE;
    if (type == SOCK_DGRAM)
    {
        /* A datagram socket's peer is named by the caller. */
        if (!addr || IsBadReadPtr(addr, len)) return fail(WSAEFAULT);
        if ((err = secsock_sockaddr_decode(addr, len, &peer))) return fail(err);
        memcpy(&tmpl.PeerAddress, addr, peer.family == SECSOCK_AF_INET6 ? 28 : 16);
    }
    if (secsock_WSAQuerySocketSecurity(s, &tmpl, sizeof(tmpl), &info, &info_len, NULL, NULL)) return SOCKET_ERROR;
    if (!(info.Flags & SOCKET_INFO_CONNECTION_SECURED))
    {
        WARN("socket %#Ix: not secured, no peer to impersonate\n", s);
        close_tokens(&info);
        return fail(WSAEINVAL);
    }
    token = (HANDLE)(ULONG_PTR)(info.PeerApplicationAccessTokenHandle
                                ? info.PeerApplicationAccessTokenHandle : info.PeerMachineAccessTokenHandle);
    if (!token)
    {
        WARN("socket %#Ix: this system cannot make the peer's anonymous logon token\n", s);
        return fail(WSAEOPNOTSUPP);
    }
    ok = ImpersonateLoggedOnUser(token);
    close_tokens(&info);
    return ok ? 0 : fail(WSASYSCALLFAILURE);
}

INT WINAPI secsock_WSARevertImpersonation(void)
{
    TRACE("\n");
    /* Not impersonating: RevertToSelf succeeds and nothing changes. */
    if (!RevertToSelf()) return fail(WSASYSCALLFAILURE);
    return 0;
}
