/*
 * The 5-tuple a program sees on its socket (getsockname, getpeername), as
 * WFP conditions: what the securesocket flows of secsock_wfp.c and
 * secsock_wfp_ends.c look their filters and SAs up by.
 */
#ifndef SECSOCK_WFP_TUPLE_H
#define SECSOCK_WFP_TUPLE_H

struct tuple {
    int family;
    SOCKADDR_STORAGE local, remote;
    UINT32 local_v4, remote_v4;          /* host order */
    FWP_BYTE_ARRAY16 local_v6, remote_v6;
    UINT16 local_port, remote_port;
};

static void get_tuple(SOCKET s, int family, struct tuple *t)
{
    int len = sizeof(t->local);

    memset(t, 0, sizeof(*t));
    t->family = family;
    ok(!getsockname(s, (struct sockaddr *)&t->local, &len), "getsockname: %d\n", WSAGetLastError());
    len = sizeof(t->remote);
    ok(!getpeername(s, (struct sockaddr *)&t->remote, &len), "getpeername: %d\n", WSAGetLastError());
    t->local_port = port_of(&t->local);
    t->remote_port = port_of(&t->remote);
    if (family == AF_INET)
    {
        t->local_v4 = ntohl(((struct sockaddr_in *)&t->local)->sin_addr.s_addr);
        t->remote_v4 = ntohl(((struct sockaddr_in *)&t->remote)->sin_addr.s_addr);
    }
    else
    {
        memcpy(t->local_v6.byteArray16, &((struct sockaddr_in6 *)&t->local)->sin6_addr, 16);
        memcpy(t->remote_v6.byteArray16, &((struct sockaddr_in6 *)&t->remote)->sin6_addr, 16);
    }
}

static void addr_value(const struct tuple *t, BOOL local, FWP_CONDITION_VALUE0 *v)
{
    if (t->family == AF_INET)
    {
        v->type = FWP_UINT32;
        v->uint32 = local ? t->local_v4 : t->remote_v4;
    }
    else
    {
        v->type = FWP_BYTE_ARRAY16_TYPE;
        v->byteArray16 = (FWP_BYTE_ARRAY16 *)(local ? &t->local_v6 : &t->remote_v6);
    }
}

#endif
