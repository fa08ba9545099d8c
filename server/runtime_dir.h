/* The runtime directory and its files (include/secsock/runtime.h). */
#ifndef SECSOCKD_RUNTIME_DIR_H
#define SECSOCKD_RUNTIME_DIR_H

#include <stddef.h>
#include <stdint.h>
#include "secsock/runtime.h"

/* Creates the directory 0700 if missing and checks it is ours and private.
 * Returns 0, or -1 with a reason in why. */
int runtime_dir_prepare(const char *dir, char *why, size_t why_len);

/* Writes the control file atomically (temp file + rename), mode 0600. */
int runtime_dir_write_control(const char *dir, const struct secsock_control_info *info);

void runtime_dir_remove_control(const char *dir);

/* The control channel's secret in the config directory dir (which
 * runtime_dir_prepare has checked): read when the file exists and is ours
 * and private, else made (getrandom) and written 0600 without replacing a
 * file another start wrote meanwhile.  Returns 0, or -1 with a reason in
 * why: another owner, open modes, not a regular file, unreadable or
 * malformed contents (left for the user to look at, never overwritten). */
int runtime_dir_load_secret(const char *dir, uint8_t secret[SECSOCK_SECRET_LEN], char *why, size_t why_len);

#endif
