/*
 * Where secsockd and its clients meet: the runtime directory and the
 * control file.  Shared by secsockd, secsockctl and the DLLs.
 *
 * Runtime directory, first that applies:
 *   $SECSOCK_RUNTIME_DIR
 *   $XDG_RUNTIME_DIR/secsock
 *   $HOME/.cache/secsock
 * It is mode 0700 and owned by the user; secsockd refuses any other.
 *
 * Files in it:
 *   control       mode 0600, written atomically (temp file + rename) once the
 *                 service listens:
 *                     secsock-control 1
 *                     port <decimal TCP port on 127.0.0.1>
 *                     secret <64 lowercase hex digits = SECSOCK_SECRET_LEN bytes>
 *                     pid <decimal>
 *   lock          flock()ed by the running service (one per user)
 *   secsockd.log  the service's log
 *
 * Starting on demand: a client that cannot connect runs
 *   <secsockd> --daemon
 * which returns (exit 0) once the control file is valid, or at once if a
 * service already holds the lock.  The DLLs find <secsockd> in
 * $SECSOCKD, else in the registry value HKCU\Software\secsock\ServicePath
 * (a Unix path written by `secsockctl install`).
 */
#ifndef SECSOCK_RUNTIME_H
#define SECSOCK_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include "secsock/proto.h"

#define SECSOCK_CONTROL_FILE   "control"
#define SECSOCK_CONTROL_FILE_W L"control"
#define SECSOCK_LOCK_FILE      "lock"
#define SECSOCK_LOG_FILE       "secsockd.log"
#define SECSOCK_CONTROL_HEADER "secsock-control 1"
#define SECSOCK_CONTROL_MAX    512 /* a valid control file is shorter */

struct secsock_control_info {
    uint16_t port;
    uint32_t pid;
    uint8_t secret[SECSOCK_SECRET_LEN];
};

/* Parses a control file's text (not NUL-terminated, len bytes).
 * Returns 0, or -1 when it is not exactly the format above. */
int secsock_control_parse(const char *text, size_t len, struct secsock_control_info *out);

/* Formats one; returns the length written (without NUL) or -1 if cap is short. */
int secsock_control_format(const struct secsock_control_info *info, char *buf, size_t cap);

#endif
