/* The runtime directory and its files (include/secsock/runtime.h). */
#ifndef SECSOCKD_RUNTIME_DIR_H
#define SECSOCKD_RUNTIME_DIR_H

#include <stddef.h>
#include "secsock/runtime.h"

/* Creates the directory 0700 if missing and checks it is ours and private.
 * Returns 0, or -1 with a reason in why. */
int runtime_dir_prepare(const char *dir, char *why, size_t why_len);

/* Writes the control file atomically (temp file + rename), mode 0600. */
int runtime_dir_write_control(const char *dir, const struct secsock_control_info *info);

void runtime_dir_remove_control(const char *dir);

#endif
