/*
 * Kernel TLS as a run-time option.  SECSOCK_KTLS=1 asks for it; it is used
 * only when the kernel offers the "tls" upper-layer protocol
 * (/proc/sys/net/ipv4/tcp_available_ulp).  GnuTLS reads whether to use it
 * from its system configuration when the library loads, before main(), so
 * secsockd writes such a file into its runtime directory and runs itself
 * again with GNUTLS_SYSTEM_PRIORITY_FILE pointing at it.
 */
#ifndef SECSOCKD_KTLS_H
#define SECSOCKD_KTLS_H

#include <stddef.h>

/* Decides; may exec argv again (and so not return).  Writes one line for
 * STATUS into status. */
void ktls_setup(const char *runtime_dir, char **argv, char *status, size_t status_len);

#endif
