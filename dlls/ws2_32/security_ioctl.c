/*
 * SIO_SET_SECURITY, SIO_QUERY_SECURITY, SIO_SET_PEER_TARGET_NAME and
 * SIO_DELETE_PEER_TARGET_NAME: the ioctls fwpuclnt's functions wrap.
 * Validation order: pointers, the socket, the buffer's contents, then the
 * socket's state (connected, bound, already secured).
 */
#include "ws2_32_private.h"
#include <string.h>
#include "peer_token.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(secsock);

static BOOL is_connected(SOCKET s)
{
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss);
    return !REAL(getpeername)(s, (struct sockaddr *)&ss, &len);
}

/* A datagram socket's peer named in a struct must be of the socket's own
 * family: an IPv6 peer can never be an IPv4 socket's (and back). */
static int check_peer_family(int family, int type, const struct secsock_addr *peer)
{
    if (type != SOCK_DGRAM || peer->family == SECSOCK_AF_UNSPEC) return 0;
    if ((family == AF_INET) != (peer->family == SECSOCK_AF_INET)) return WSAEAFNOSUPPORT;
    return 0;
}

static BOOL is_bound(SOCKET s)
{
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss);
    return !REAL(getsockname)(s, (struct sockaddr *)&ss, &len);
}

/* The family and type the secure-socket calls accept. */
static int check_kind(SOCKET s, int *family, int *type)
{
    int err = socket_kind(s, family, type);

    if (err) return err;
    if ((*family != AF_INET && *family != AF_INET6) || (*type != SOCK_STREAM && *type != SOCK_DGRAM))
        return WSAEINVAL;
    return 0;
}

static int set_security(SOCKET s, const void *in, DWORD in_len)
{
    struct secsock_settings settings;
    struct secsock_socket *sock;
    int family, type, err;
    SOCKET probe;

    if ((err = check_kind(s, &family, &type))) return err;
    if ((err = secsock_settings_decode(in, in_len, &settings)))
    {
        WARN("socket %#Ix: bad settings (%u bytes): error %d\n", s, (unsigned)in_len, err);
        return err;
    }
    /* Settings apply before connect (client) and before bind (server). */
    if (is_connected(s)) return WSAEISCONN;
    if (is_bound(s)) return WSAEINVAL;
    if (!(sock = sockstate_get(s, TRUE))) return WSAENOBUFS;
    if (sock->secured)
    {
        sockstate_release(sock);
        return WSAEINVAL;  /* once per socket */
    }
    sock->family = family;
    sock->type = type;
    sock->settings = settings;
    sock->secured = TRUE;
    sockstate_record(sock);
    sockstate_release(sock);
    TRACE("socket %#Ix secured: protocol %u flags %#x ipsec flags %#x\n", s, settings.protocol,
          settings.flags, settings.ipsec_flags);

    /* Start the service now, so that connect does not wait for it; if it
     * cannot start, connect fails closed then.  Once it has answered in
     * this process, connect's own request starts it again if need be. */
    if (!control_service_answered() && (probe = control_open(&err)) != INVALID_SOCKET) control_close(probe);
    return 0;
}

/* The WFP view's entry for s, by the ends the program sees. */
static void sa_ids(SOCKET s, SOCKET_SECURITY_QUERY_INFO_IPSEC2 *info)
{
    struct secsock_msg_secured_entry entry;
    struct secsock_addr local, remote;
    SOCKADDR_STORAGE ss;
    int len = sizeof(ss), err;

    if (secsock_getsockname(s, (struct sockaddr *)&ss, &len) || addr_from_sockaddr((struct sockaddr *)&ss, len, &local))
        return;
    len = sizeof(ss);
    if (secsock_getpeername(s, (struct sockaddr *)&ss, &len) || addr_from_sockaddr((struct sockaddr *)&ss, len, &remote))
        return;
    if ((err = secured_view_lookup(&local, &remote, &entry)))
    {
        WARN("socket %#Ix: no SA ids: error %d\n", s, err);
        return;
    }
    info->MmSaId = entry.id;
    info->QmSaId = entry.id;
}

static int query_security(SOCKET s, const void *in, DWORD in_len, void *out, DWORD out_len,
                          DWORD *returned)
{
    struct secsock_query_template tmpl;
    SOCKET_SECURITY_QUERY_INFO_IPSEC2 info;
    struct secsock_socket *sock;
    int family, type, err;
    DWORD need;

    if (!returned) return WSAEFAULT;
    if ((err = check_kind(s, &family, &type))) return err;
    if ((err = secsock_template_decode(in, in_len, type == SOCK_DGRAM, &tmpl))) return err;
    if ((err = check_peer_family(family, type, &tmpl.peer))) return err;
    need = tmpl.ipsec2 ? sizeof(SOCKET_SECURITY_QUERY_INFO_IPSEC2) : sizeof(SOCKET_SECURITY_QUERY_INFO);
    if (!out || out_len < need)
    {
        /* The size probe: the caller allocates *returned bytes and asks again. */
        *returned = need;
        return type == SOCK_STREAM ? WSAEFAULT : WSAEMSGSIZE;
    }
    if (type == SOCK_STREAM && !is_connected(s)) return WSAENOTCONN;
    match_accepted(s);

    memset(&info, 0, sizeof(info));
    info.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    if ((sock = sockstate_get(s, FALSE)))
    {
        if (sock->secured) info.SecurityProtocol = sock->settings.protocol;
        info.Flags = sock->info_flags;
        sockstate_release(sock);
    }
    /* A secured connection's peer proved a key, never a Windows account:
     * its token is the anonymous logon's (peer_token.h), as the machine's;
     * none when this system cannot make one, or when nothing is secured. */
    if (tmpl.token_access_mask && (info.Flags & SOCKET_INFO_CONNECTION_SECURED))
    {
        HANDLE token;
        DWORD token_err = peer_token_anonymous(tmpl.token_access_mask, &token);

        if (!token_err) info.PeerMachineAccessTokenHandle = (ULONG_PTR)token;
        else WARN("socket %#Ix: no peer token: error %lu\n", s, token_err);
    }
    /* The SA ids the WFP view gives this connection (fwpuclnt: the IKE SA's
     * and the quick-mode SA's ids are the entry's). */
    if (tmpl.ipsec2 && (info.Flags & SOCKET_INFO_CONNECTION_SECURED) && type == SOCK_STREAM)
        sa_ids(s, &info);
    memcpy(out, &info, need);
    *returned = need;
    return 0;
}

static int set_target(SOCKET s, const void *in, DWORD in_len)
{
    struct secsock_target target;
    struct secsock_socket *sock;
    int family, type, err;

    if (!in) return WSAEFAULT;
    if ((err = check_kind(s, &family, &type))) return err;
    if ((err = secsock_target_decode(in, in_len, type == SOCK_DGRAM, &target)))
    {
        WARN("socket %#Ix: bad peer target name (%u bytes): error %d\n", s, (unsigned)in_len, err);
        return err;
    }
    if ((err = check_peer_family(family, type, &target.peer))) return err;
    if (is_connected(s)) return WSAEISCONN;
    if (!(sock = sockstate_get(s, TRUE))) return WSAENOBUFS;
    sock->family = family;
    sock->type = type;
    err = sockstate_set_target(sock, &target);
    sockstate_release(sock);
    TRACE("socket %#Ix: peer target name %s\n", s, debugstr_a(target.name));
    return err;
}

static int delete_target(SOCKET s, const void *in, DWORD in_len)
{
    struct secsock_addr peer;
    struct secsock_socket *sock;
    int family, type, err;

    if (!in) return WSAEFAULT;
    if ((err = check_kind(s, &family, &type))) return err;
    if ((err = secsock_sockaddr_decode(in, in_len, &peer))) return err;
    if ((err = check_peer_family(family, type, &peer))) return err;
    if ((sock = sockstate_get(s, FALSE)))
    {
        sockstate_delete_target(sock, &peer);
        sockstate_release(sock);
    }
    return 0;
}

int security_ioctl(SOCKET s, DWORD code, void *in, DWORD in_len, void *out, DWORD out_len,
                   DWORD *returned)
{
    switch (code)
    {
    case SIO_SET_SECURITY:
        *returned = 0;
        return set_security(s, in, in_len);
    case SIO_QUERY_SECURITY:
        return query_security(s, in, in_len, out, out_len, returned);
    case SIO_SET_PEER_TARGET_NAME:
        *returned = 0;
        return set_target(s, in, in_len);
    case SIO_DELETE_PEER_TARGET_NAME:
        *returned = 0;
        return delete_target(s, in, in_len);
    case SIO_SECSOCK_SECURED_CONNECTION:
        return secured_view_ioctl(in, in_len, out, out_len, returned);
    }
    return WSAEOPNOTSUPP;
}
