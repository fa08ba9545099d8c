/*
 * Files in secsock's private config directory: written whole or not at all
 * (temporary file, fsync, rename), read back bounded, directories that
 * must belong to this user and be closed to others, and a lock that
 * serialises secsockd and secsockctl when both make or replace keys.
 * Functions return 0, or -1 with a reason in why; they never print.
 */
#ifndef SECSOCK_PRIVATE_FILE_H
#define SECSOCK_PRIVATE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* The largest file read back (certificates, CRLs, keys). */
#define PRIVATE_FILE_MAX (4u << 20)

/* Writes data to dir/name: a uniquely named temporary file in dir with
 * mode, synced, then renamed over name, then dir synced.  A crash leaves
 * the old file or the new one, never a mixture. */
int private_file_write(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
                       char *why, size_t why_len);

/* Reads path whole (at most PRIVATE_FILE_MAX bytes) into a malloc'd,
 * NUL-terminated buffer.  Returns 0, 1 when the file does not exist
 * (*data NULL), or -1. */
int private_file_read(const char *path, char **data, size_t *len, char *why, size_t why_len);

/* Makes dir (mode 0700) when missing; refuses a directory that is not
 * ours or that others may write to (group or world write bits). */
int private_dir_ensure(const char *dir, char *why, size_t why_len);

/* Holds dir's lock file (<dir>/.lock, flock exclusive) until
 * private_unlock; *fd is the lock. */
int private_lock(const char *dir, int *fd, char *why, size_t why_len);
void private_unlock(int fd);

/* Joins dir and name into buf; -1 when it does not fit. */
int private_path(char *buf, size_t size, const char *dir, const char *name);

#endif
