/*
 * The Linux side's client of secsockd (secsockctl, tests): the same
 * control channel the DLLs speak.  Functions return 0, or -1 with a reason
 * in why; they never print.
 */
#ifndef SECSOCK_CLIENT_H
#define SECSOCK_CLIENT_H

#include <stddef.h>
#include "secsock/proto.h"
#include "secsock/runtime.h"

/* The runtime directory by the rules of runtime.h. */
int secsock_runtime_dir(char *buf, size_t size);

/* The config directory by the same rules (runtime.h): it holds the secret. */
int secsock_config_dir(char *buf, size_t size);

/* Reads the control channel's secret from config_dir, refusing a
 * directory or file that belongs to another user or is open to others
 * (group or world bits): such a secret may be anybody's. */
int secsock_client_read_secret(const char *config_dir, uint8_t secret[SECSOCK_SECRET_LEN], char *why,
                               size_t why_len);

/* Whether st (of path) is this user's and not open to anybody else
 * (group or world bits): 0, or -1 with the reason in why.  The kind of
 * file is the caller's to check. */
struct stat;
int secsock_check_private(const struct stat *st, const char *path, char *why, size_t why_len);
/* The same of a directory (st of dir): -1 with the reason in why for
 * anything else. */
int secsock_check_private_dir(const struct stat *st, const char *dir, char *why, size_t why_len);

/* Reads the secret file at path, refusing one that is not a regular file
 * of this user closed to everybody else, or a symlink: 0, 1 when there is
 * none, or -1 with the reason in why.  (The service reads it this way too.) */
int secsock_read_secret_file(const char *path, uint8_t secret[SECSOCK_SECRET_LEN], char *why, size_t why_len);

/* The client's half of the handshake (secsock/auth.h) on a connected fd:
 * fails, without sending PROOF, unless the service proves the secret.
 * On success *hello_ok is the service's HELLO_OK. */
int secsock_client_handshake(int fd, const uint8_t secret[SECSOCK_SECRET_LEN], struct secsock_msg *hello_ok,
                             char *why, size_t why_len);

/* Reads and parses dir's control file. */
int secsock_client_read_control(const char *dir, struct secsock_control_info *info, char *why, size_t why_len);

/* Connects to the service of dir (the port of its control file) and
 * authenticates with the config directory's secret; *fd is the connection. */
int secsock_client_connect(const char *dir, int *fd, char *why, size_t why_len);

/* One request and its reply (5 s timeout each way). */
int secsock_client_call(int fd, const struct secsock_msg *req, struct secsock_msg *reply, char *why,
                        size_t why_len);

/* Runs `secsockd --daemon` for dir and waits for it to answer. */
int secsock_client_start(const char *secsockd, const char *dir, char *why, size_t why_len);

#endif
