/*
 * The control channel's mutual challenge-response (protocol version 3).
 * The secret never crosses the wire; each side proves it knows it by an
 * HMAC-SHA-256 over both sides' fresh nonces:
 *
 *   client  -> HELLO     { client_nonce[32], pid, proto_version }
 *   service -> CHALLENGE { server_nonce[32],
 *                          service_proof = HMAC(secret, "secsock service v3" || client_nonce || server_nonce) }
 *   client checks service_proof before it sends anything else
 *   client  -> PROOF     { client_proof = HMAC(secret, "secsock client v3" || server_nonce || client_nonce) }
 *   service -> HELLO_OK  { service_pid, backends }, or ERROR and close
 *
 * The labels differ, so neither proof can be reflected as the other; the
 * service's nonce is fresh per connection, so a recorded PROOF is useless
 * on a later one; the client's nonce is fresh too, so a recorded CHALLENGE
 * cannot be replayed by a fake service.
 */
#ifndef SECSOCK_AUTH_H
#define SECSOCK_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include "secsock/proto.h"

#define SECSOCK_AUTH_SERVICE_LABEL "secsock service v3"
#define SECSOCK_AUTH_CLIENT_LABEL  "secsock client v3"

void secsock_auth_service_proof(const uint8_t secret[SECSOCK_SECRET_LEN], const uint8_t client_nonce[SECSOCK_NONCE_LEN],
                                const uint8_t server_nonce[SECSOCK_NONCE_LEN], uint8_t out[SECSOCK_PROOF_LEN]);
void secsock_auth_client_proof(const uint8_t secret[SECSOCK_SECRET_LEN], const uint8_t client_nonce[SECSOCK_NONCE_LEN],
                               const uint8_t server_nonce[SECSOCK_NONCE_LEN], uint8_t out[SECSOCK_PROOF_LEN]);

#endif
