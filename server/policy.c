/*
 * The policy step.  A TCP peer in the trust list is reached over TLS, whatever
 * the flags ask (TLS protects and encrypts).  Any other peer cannot be
 * secured: ALLOW_INSECURE goes on in clear text, anything else is refused
 * before a byte is sent (GUARANTEE_ENCRYPTION and "no flag" alike: without
 * ALLOW_INSECURE, Windows never sends in clear).
 */
#include "policy.h"
#include "secsock/settings.h"
#include "secsock/wsaerr.h"

static int clear_allowed(uint32_t flags)
{
    return (flags & SECSOCK_FLAG_ALLOW_INSECURE) != 0;
}

struct policy_decision policy_connect(const struct secsock_msg_connect *req, uint32_t backends, unsigned int peer)
{
    struct policy_decision d = { SECSOCK_VERDICT_REFUSE, SECSOCK_WSAECONNREFUSED, 0, "none", NULL };

    if (req->protocol >= SECSOCK_PROTOCOL_INVALID)
    {
        d.wsa_error = SECSOCK_WSAEINVAL;
        d.reason = "invalid security protocol";
        return d;
    }
    /* The IPsec backend authenticates with pre-shared keys and makes its
     * own filters: AuthIP credentials, policy keys and IpsecFlags cannot be
     * honoured by any backend here, and are refused rather than ignored. */
    if (req->demands || req->ipsec_flags)
    {
        d.wsa_error = SECSOCK_WSAEOPNOTSUPP;
        d.reason = "IPsec settings no backend here can honour (credentials, policy keys or IpsecFlags): refused";
        return d;
    }
    if (req->protocol == SECSOCK_PROTOCOL_IPSEC || req->protocol == SECSOCK_PROTOCOL_IPSEC2)
    {
        /* IPsec was asked for by name: never TLS instead. */
        if ((backends & SECSOCK_BACKEND_IPSEC) && req->socktype == SECSOCK_SOCK_STREAM)
        {
            d.verdict = SECSOCK_VERDICT_PENDING;
            d.wsa_error = 0;
            d.backend = "ipsec";
            d.reason = "IPsec: policies for the 5-tuple, SA from charon";
            return d;
        }
        d.backend = "ipsec";
        if (clear_allowed(req->flags))
        {
            d.verdict = SECSOCK_VERDICT_DIRECT;
            d.wsa_error = 0;
            d.reason = "IPsec is not available here (see secsockctl status); ALLOW_INSECURE permits clear text";
            return d;
        }
        d.reason = "IPsec asked for and not available here (see secsockctl status): refused, nothing sent";
        return d;
    }
    if ((peer & POLICY_PEER_TLS) && (backends & SECSOCK_BACKEND_TLS) && req->socktype == SECSOCK_SOCK_STREAM)
    {
        d.verdict = SECSOCK_VERDICT_RELAY;
        d.wsa_error = 0;
        d.info_flags = SECSOCK_INFO_SECURED | SECSOCK_INFO_ENCRYPTED;
        d.backend = "tls";
        d.reason = "trusted peer: TLS 1.3 with its pinned key";
        return d;
    }
    if ((peer & POLICY_PEER_IPSEC) && (backends & SECSOCK_BACKEND_IPSEC) && req->socktype == SECSOCK_SOCK_STREAM)
    {
        d.verdict = SECSOCK_VERDICT_PENDING;
        d.wsa_error = 0;
        d.backend = "ipsec";
        d.reason = "peer configured for IPsec (ipsec-psk): policies for the 5-tuple, SA from charon";
        return d;
    }
    if (clear_allowed(req->flags))
    {
        d.verdict = SECSOCK_VERDICT_DIRECT;
        d.wsa_error = 0;
        d.reason = "no backend can secure this peer; ALLOW_INSECURE permits clear text";
        return d;
    }
    d.reason = (req->flags & SECSOCK_FLAG_GUARANTEE_ENCRYPTION)
        ? "GUARANTEE_ENCRYPTION and no backend can encrypt: refused, nothing sent"
        : "protection required and no backend can secure this peer: refused, nothing sent";
    return d;
}

struct policy_decision policy_bind(const struct secsock_msg_bind *req, uint32_t backends)
{
    struct policy_decision d = { SECSOCK_VERDICT_RESERVED, 0, 0, "none", NULL };

    (void)backends;
    if (req->protocol >= SECSOCK_PROTOCOL_INVALID)
    {
        d.verdict = SECSOCK_VERDICT_REFUSE;
        d.wsa_error = SECSOCK_WSAEINVAL;
        d.reason = "invalid security protocol";
        return d;
    }
    if ((req->protocol == SECSOCK_PROTOCOL_IPSEC || req->protocol == SECSOCK_PROTOCOL_IPSEC2) &&
        (backends & SECSOCK_BACKEND_IPSEC) && req->socktype == SECSOCK_SOCK_STREAM)
    {
        d.verdict = SECSOCK_VERDICT_OWN_ADDRESS;
        d.backend = "ipsec";
        d.reason = "IPsec: the program binds its own socket; on LISTEN, policies for its port and a responder in charon";
        return d;
    }
    if (clear_allowed(req->flags))
    {
        d.verdict = SECSOCK_VERDICT_DIRECT;
        d.reason = "ALLOW_INSECURE: the program binds its own socket";
        return d;
    }
    d.reason = "protection required: the service holds the address and lets no clear peer in";
    return d;
}
