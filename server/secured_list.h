/*
 * The secured connections the service holds, as the WFP view shows them
 * (fwpuclnt's FwpmFilterEnum0, IPsecSaContextEnum0, IkeextSaGetById0 and
 * the IPSEC2 query's SA ids, through SECURED_QUERY).  Backends feed it:
 * an entry is added once a connection is protected and carries the
 * program's bytes, and removed when the protection ends.  Each entry has
 * an id, never reused while the service runs, from which the DLL derives
 * the WFP ids (filters, SA context, IKE SA).
 *
 * The ends are those the program sees: a TLS-relayed connection's local
 * end is the program's own socket (its loopback hop to the relay, what
 * its getsockname says), the remote end the real peer (what getpeername
 * says); an accepted one's local end is the public address the client
 * reached.  An IPsec connection's ends are its 5-tuple on the wire.
 */
#ifndef SECSOCKD_SECURED_LIST_H
#define SECSOCKD_SECURED_LIST_H

#include <stdint.h>
#include "secsock/proto.h"

struct tls_relay;
struct secsock_xfrm_tuple;

/* What a backend knows of one protected connection. */
struct secured_info {
    uint32_t backend;                 /* SECSOCK_BACKEND_* */
    uint8_t inbound;                  /* the peer connected to the program */
    struct secsock_addr local, remote;
    uint32_t cipher, integrity;       /* enum secsock_alg */
    uint32_t key_exchange;            /* enum secsock_kx */
    uint32_t auth;                    /* enum secsock_auth_method */
    uint32_t spi_in, spi_out;
    uint64_t ike_spi_i, ike_spi_r;
    char suite[64];
    /* Who the peer proved to be; until the identity work reports more:
     * TLS, the SHA-256 of its key in hex; IPsec, its pre-shared key's
     * identity (its address). */
    char peer_identity[256];
};

/* Adds (or replaces) owner's entry; owner is the backend's own object,
 * the key for secured_list_remove.  Returns the entry's id, 0 when out
 * of memory. */
uint64_t secured_list_add(const void *owner, const struct secured_info *info);
/* The protection of owner's connection ended (no entry: nothing). */
void secured_list_remove(const void *owner);
size_t secured_list_count(void);

/* Hook for the TLS backend: the relay carries a verified connection; the
 * program's side is plain_fd (outbound: the program connected to the
 * relay from its own address; inbound: our connection to its hidden
 * port).  Reads what GnuTLS negotiated and the key the peer proved. */
void secured_list_tls_up(const void *owner, const struct tls_relay *relay, int plain_fd, int inbound);
/* Hook for the IPsec backend: the SA for tuple is up (ike_name: charon's
 * connection; peer: the peer's address as text, its key's identity).
 * Reads the SA's SPIs and algorithms from charon. */
void secured_list_ipsec_up(const void *owner, const struct secsock_xfrm_tuple *tuple, const char *ike_name,
                           const char *peer);

/* The answer to SECURED_QUERY (a SECURED_ENTRY, id 0 when nothing
 * matches); the message lives until the next call. */
const struct secsock_msg *secured_list_answer(const struct secsock_msg_secured_query *req);

/* Maps GnuTLS's and charon's names to the wire's (for tests). */
uint32_t secured_alg_of_charon(const char *encr, const char *keysize);
uint32_t secured_integrity_of_charon(const char *integ);
uint32_t secured_kx_of_charon(const char *group);

#endif
