/*
 * A private key and its certificate kept as two PEM files of the config
 * dir (KEY mode 0600), replaced together: the certificate is written
 * first as CERT.pending, then the key, then the pending certificate is
 * renamed into place.  A crash in between leaves the old pair, or a
 * pending certificate that key_pair_load finishes (when it matches the
 * key) or drops (when it does not): never a key with another's
 * certificate.  Writers hold private_lock.
 */
#ifndef SECSOCK_KEY_PAIR_H
#define SECSOCK_KEY_PAIR_H

#include <stddef.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* Loads dir/key_name and dir/crt_name.  Returns 0; 1 when either file is
 * missing (nothing loaded); -1 with why when they are damaged or do not
 * belong together. */
int key_pair_load(const char *dir, const char *key_name, const char *crt_name, gnutls_x509_privkey_t *key,
                  gnutls_x509_crt_t *crt, char *why, size_t why_len);

/* Replaces both files (see above).  key may be NULL: only the certificate
 * is replaced (renewal with the same key). */
int key_pair_store(const char *dir, const char *key_name, const char *crt_name, gnutls_x509_privkey_t key,
                   gnutls_x509_crt_t crt, char *why, size_t why_len);

/* Loads every certificate of a PEM text (a chain, leaf first). */
int key_pair_import_chain(const char *pem, size_t len, gnutls_x509_crt_t **certs, unsigned int *count,
                          char *why, size_t why_len);
void key_pair_free_chain(gnutls_x509_crt_t *certs, unsigned int count);

#endif
