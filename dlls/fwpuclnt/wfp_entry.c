/*
 * An entry of the service's list as WFP writes and matches its ends:
 * IPv4 addresses as host-order UINT32s, IPv6 ones as 16 bytes.
 */
#include <string.h>
#include "wfp_private.h"

BOOL is_v6(const struct secsock_msg_secured_entry *e)
{
    return e->local.family == SECSOCK_AF_INET6;
}

UINT32 v4_host(const struct secsock_addr *a)
{
    return (UINT32)a->addr[0] << 24 | (UINT32)a->addr[1] << 16 | (UINT32)a->addr[2] << 8 | a->addr[3];
}

FWP_IP_VERSION ip_version(const struct secsock_msg_secured_entry *e)
{
    return is_v6(e) ? FWP_IP_VERSION_V6 : FWP_IP_VERSION_V4;
}

void fill_ends(const struct secsock_msg_secured_entry *e, UINT32 *local_v4, UINT8 *local_v6, UINT32 *remote_v4,
               UINT8 *remote_v6)
{
    if (is_v6(e))
    {
        memcpy(local_v6, e->local.addr, 16);
        memcpy(remote_v6, e->remote.addr, 16);
    }
    else
    {
        *local_v4 = v4_host(&e->local);
        *remote_v4 = v4_host(&e->remote);
    }
}

static BOOL prefix_matches(const BYTE *addr, const BYTE *net, unsigned int bits)
{
    for (unsigned int i = 0; i < 16 && bits; i++, bits = bits > 8 ? bits - 8 : 0)
    {
        BYTE mask = bits >= 8 ? 0xff : (BYTE)(0xff << (8 - bits));
        if ((addr[i] ^ net[i]) & mask) return FALSE;
    }
    return TRUE;
}

BOOL addr_in(const struct secsock_addr *addr, const FWP_CONDITION_VALUE0 *v, FWP_MATCH_TYPE match)
{
    BOOL v6 = addr->family == SECSOCK_AF_INET6, in;

    switch (v->type)
    {
    case FWP_EMPTY: return TRUE;
    case FWP_UINT32: in = !v6 && v4_host(addr) == v->uint32; break;
    case FWP_BYTE_ARRAY16_TYPE: in = v6 && v->byteArray16 && !memcmp(addr->addr, v->byteArray16->byteArray16, 16); break;
    case FWP_V4_ADDR_MASK:
        in = !v6 && v->v4AddrMask && !((v4_host(addr) ^ v->v4AddrMask->addr) & v->v4AddrMask->mask);
        break;
    case FWP_V6_ADDR_MASK:
        in = v6 && v->v6AddrMask && v->v6AddrMask->prefixLength <= 128 &&
             prefix_matches(addr->addr, v->v6AddrMask->addr, v->v6AddrMask->prefixLength);
        break;
    default: return FALSE;
    }
    return match == FWP_MATCH_NOT_EQUAL ? !in : in;
}
