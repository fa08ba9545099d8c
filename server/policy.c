/*
 * The policy step: the backends in the order they are asked.  A TCP peer
 * with a pin is reached over TLS, whatever the flags ask (TLS protects and
 * encrypts); IPsec serves what asks for it by name and peers with a
 * pre-shared key; none decides everything else: ALLOW_INSECURE goes on in
 * clear text, anything else is refused before a byte is sent
 * (GUARANTEE_ENCRYPTION and "no flag" alike: without ALLOW_INSECURE,
 * Windows never sends in clear).  A new backend is one entry here.
 */
#include "backend.h"
#include "policy.h"
#include "secsock/settings.h"

/* none last: it decides whatever the others do not serve. */
const struct backend_ops *const backend_table[] = { &backend_tls, &backend_ipsec, &backend_none };
const unsigned int backend_count = sizeof(backend_table) / sizeof(*backend_table);

int policy_clear_allowed(uint32_t flags)
{
    return (flags & SECSOCK_FLAG_ALLOW_INSECURE) != 0;
}

int policy_ipsec_by_name(uint32_t protocol)
{
    return protocol == SECSOCK_PROTOCOL_IPSEC || protocol == SECSOCK_PROTOCOL_IPSEC2;
}

int policy_demands(const struct secsock_msg_connect *req)
{
    return req->demands || req->ipsec_flags;
}

uint32_t policy_needs(uint32_t backends)
{
    uint32_t needs = 0;

    for (unsigned int i = 0; i < backend_count; i++)
        if (backends & backend_table[i]->bit) needs |= backend_table[i]->needs;
    return needs;
}

struct policy_decision policy_connect(const struct secsock_msg_connect *req, uint32_t backends,
                                      const struct peer *peer)
{
    struct policy_decision d = { SECSOCK_VERDICT_REFUSE, 0, 0, NULL, NULL, NULL };

    for (unsigned int i = 0; i < backend_count; i++)
    {
        const struct backend_ops *b = backend_table[i];
        if (!b->serves_connect || !b->serves_connect(req, peer, backends, &d)) continue;
        d.backend = b;
        if (!d.label) d.label = b->name;
        break;
    }
    return d;
}

struct policy_decision policy_bind(const struct secsock_msg_bind *req, uint32_t backends)
{
    struct policy_decision d = { SECSOCK_VERDICT_REFUSE, 0, 0, NULL, NULL, NULL };

    for (unsigned int i = 0; i < backend_count; i++)
    {
        const struct backend_ops *b = backend_table[i];
        if (!b->serves_bind || !b->serves_bind(req, backends, &d)) continue;
        d.backend = b;
        if (!d.label) d.label = b->name;
        break;
    }
    return d;
}

int policy_backend_answers(const struct policy_decision *d)
{
    return d->verdict == SECSOCK_VERDICT_RELAY || d->verdict == SECSOCK_VERDICT_PENDING;
}
