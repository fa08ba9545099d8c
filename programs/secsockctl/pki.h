/*
 * secsockctl's PKI commands (issue 11): the local CA (ca), enrolling this
 * host with another machine's CA (enroll), and the host identity
 * (identity).  Each takes the words after its own and returns the exit
 * code; errors go to stderr with what to run next.
 */
#ifndef SECSOCKCTL_PKI_H
#define SECSOCKCTL_PKI_H

#include <stddef.h>
#include "unix/host_names.h"

int cmd_ca(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_identity(int argc, char **argv);
/* What `identity show` and `ca list` print (also part of `status`). */
int pki_show_identity(void);
int pki_list_cas(void);

/* Shared by the three: the config dir (made private when missing), a
 * whole file, and the names of a certificate on one line each. */
int pki_config_dir(const char *command, char *dir, size_t size);
int pki_read(const char *command, const char *path, char **data, size_t *len);
void pki_print_names(const char *indent, const struct host_names *names);

#endif
