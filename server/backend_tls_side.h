/*
 * The tls backend's ALLOW_INSECURE servers: the program binds and listens
 * on its own address, where clear clients reach it as they always did; a
 * side port of the service speaks secsock TLS for it, which discovery
 * names to other secsock hosts (discovery_service.h).  A client verified
 * there is announced on the program's lease, then connected to the
 * program's own address from a local address, so that the program's
 * accept can tell the relayed connection (and its real peer) from the
 * clear ones.
 */
#ifndef SECSOCKD_BACKEND_TLS_SIDE_H
#define SECSOCKD_BACKEND_TLS_SIDE_H

#include <stdint.h>
#include "backend.h"

struct side_listener;

/* An ALLOW_INSECURE TCP server, when this service answers discovery. */
int tls_side_serves_bind(const struct secsock_msg_bind *req, uint32_t backends, struct policy_decision *d);
/* The lease (OWN_ADDRESS): nothing is held until LISTEN. */
void *tls_side_bind(struct reply_to to, const struct secsock_msg_bind *req, const char *who,
                    struct secsock_addr *bound, uint32_t *wsa_error);
/* LISTEN: opens the side port for the program's listen_addr. */
void tls_side_listen(struct side_listener *side, const struct secsock_msg_listen *req,
                     struct secsock_msg_listen_verdict *verdict, const char *who);
void tls_side_closed(struct side_listener *side);
/* Its side port has clients waiting. */
void tls_side_accept(struct side_listener *side, const struct service_config *config);
/* The side port serving public_port here, or 0. */
uint16_t tls_side_port_for(uint16_t public_port);

#endif
