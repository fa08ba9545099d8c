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
 *                     secsock-control 2
 *                     port <decimal TCP port on 127.0.0.1>
 *                     pid <decimal>
 *   lock          flock()ed by the running service (one per user)
 *   secsockd.log  the service's log
 *
 * The secret of the control channel is not here: whoever owns the runtime
 * directory could write a control file with a secret of their own, and a
 * client would then prove itself to their service.  It lives in the config
 * directory (the trust list's: $SECSOCK_CONFIG_DIR, else
 * $XDG_CONFIG_HOME/secsock, else $HOME/.config/secsock), 0700, in
 *   control-secret  mode 0600, made by the service on its first start:
 *                     secsock-secret 1
 *                     <64 lowercase hex digits = SECSOCK_SECRET_LEN bytes>
 * secsockd refuses to run when that directory or file belongs to another
 * user or is open to others; the port of the control file is only a hint,
 * since the service must prove the secret (secsock/auth.h).
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
#define SECSOCK_CONTROL_HEADER "secsock-control 2"
#define SECSOCK_SECRET_FILE    "control-secret"
#define SECSOCK_SECRET_FILE_W  L"control-secret"
#define SECSOCK_SECRET_HEADER  "secsock-secret 1"
#define SECSOCK_SECRET_MAX     128 /* a valid secret file is shorter */
#define SECSOCK_CONTROL_MAX    512 /* a valid control file is shorter */

struct secsock_control_info {
    uint16_t port;
    uint32_t pid;
};

/* Parses a control file's text (not NUL-terminated, len bytes).
 * Returns 0, or -1 when it is not exactly the format above. */
int secsock_control_parse(const char *text, size_t len, struct secsock_control_info *out);

/* Formats one; returns the length written (without NUL) or -1 if cap is short. */
int secsock_control_format(const struct secsock_control_info *info, char *buf, size_t cap);

/* The secret file's text, likewise: 0 or -1. */
int secsock_secret_parse(const char *text, size_t len, uint8_t secret[SECSOCK_SECRET_LEN]);
int secsock_secret_format(const uint8_t secret[SECSOCK_SECRET_LEN], char *buf, size_t cap);

#endif
