/* The proofs of the control channel's handshake (include/secsock/auth.h). */
#include <string.h>
#include "secsock/auth.h"
#include "secsock/sha256.h"

static void proof(const uint8_t *secret, const char *label, const uint8_t *first, const uint8_t *second,
                  uint8_t *out)
{
    struct secsock_hmac_sha256 ctx;

    secsock_hmac_sha256_init(&ctx, secret, SECSOCK_SECRET_LEN);
    secsock_hmac_sha256_update(&ctx, label, strlen(label));
    secsock_hmac_sha256_update(&ctx, first, SECSOCK_NONCE_LEN);
    secsock_hmac_sha256_update(&ctx, second, SECSOCK_NONCE_LEN);
    secsock_hmac_sha256_final(&ctx, out);
}

void secsock_auth_service_proof(const uint8_t secret[SECSOCK_SECRET_LEN], const uint8_t client_nonce[SECSOCK_NONCE_LEN],
                                const uint8_t server_nonce[SECSOCK_NONCE_LEN], uint8_t out[SECSOCK_PROOF_LEN])
{
    proof(secret, SECSOCK_AUTH_SERVICE_LABEL, client_nonce, server_nonce, out);
}

void secsock_auth_client_proof(const uint8_t secret[SECSOCK_SECRET_LEN], const uint8_t client_nonce[SECSOCK_NONCE_LEN],
                               const uint8_t server_nonce[SECSOCK_NONCE_LEN], uint8_t out[SECSOCK_PROOF_LEN])
{
    proof(secret, SECSOCK_AUTH_CLIENT_LABEL, server_nonce, client_nonce, out);
}
