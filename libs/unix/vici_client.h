/*
 * A client of charon's VICI socket (a UNIX stream socket): one command at
 * a time, every call bounded by a timeout, EVENT packets that arrive in
 * between handed to a callback.  The codec is unix/vici.h; this adds
 * the socket and the commands the IPsec backend uses.
 *
 * Calls return 0 or a negative enum vici_status.  After VICI_E_FAILED,
 * errmsg holds charon's reason; after any error, it holds what went
 * wrong.  A timeout or an I/O or framing error leaves the stream out of
 * step: the connection is then broken and every later call fails with
 * the same status until it is closed.
 */
#ifndef SECSOCK_VICI_CLIENT_H
#define SECSOCK_VICI_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "unix/vici.h"

#define VICI_DEFAULT_SOCKET "/var/run/charon.vici"
#define VICI_SOCKET_ENV     "SECSOCK_VICI_SOCKET"  /* overrides the default */

/* Called with each event; message is valid for the call only. */
typedef void (*vici_event_fn)(void *ctx, const char *event, const struct vici_node *message);

struct vici_client {
    int fd;
    int timeout_ms;          /* bound on each call, from its start */
    int broken;              /* status that broke the stream, or 0 */
    int sys_errno;           /* errno of the last VICI_E_IO */
    char errmsg[256];
    vici_event_fn on_event;  /* NULL: events are read and dropped */
    void *event_ctx;
    struct vici_limits limits;  /* applied to everything charon sends */
    uint8_t *rx;             /* the last packet read */
    size_t rx_cap;
};

/* path: a file name or "unix://" URI; NULL: $SECSOCK_VICI_SOCKET, else
 * VICI_DEFAULT_SOCKET.  Call vici_client_close() whatever it returns. */
int vici_client_open(struct vici_client *c, const char *path, int timeout_ms);
void vici_client_close(struct vici_client *c);
void vici_client_on_event(struct vici_client *c, vici_event_fn fn, void *ctx);

/* Sends a finished CMD_REQUEST packet (a builder's output) and decodes
 * the response into reply (NULL: only checked).  VICI_E_UNKNOWN_CMD when
 * charon has no such command. */
int vici_client_call(struct vici_client *c, const uint8_t *packet, size_t len, struct vici_tree *reply);
/* The same, waiting extra_ms longer: for commands that carry a timeout
 * of charon's own. */
int vici_client_call_waiting(struct vici_client *c, const uint8_t *packet, size_t len, struct vici_tree *reply,
                             int extra_ms);
/* A command without arguments. */
int vici_client_command(struct vici_client *c, const char *command, struct vici_tree *reply);
/* EVENT_REGISTER / EVENT_UNREGISTER; VICI_E_UNKNOWN_EVENT when refused. */
int vici_client_register(struct vici_client *c, const char *event);
int vici_client_unregister(struct vici_client *c, const char *event);
/* Waits up to timeout_ms for one event and hands it to the callback. */
int vici_client_wait_event(struct vici_client *c, int timeout_ms);

/* ---- the commands the IPsec backend uses (vici_commands.c) ---------- */

struct vici_version {
    char daemon[64], version[64], sysname[64], release[128], machine[64];
};
int vici_version(struct vici_client *c, struct vici_version *out);

enum vici_mode { VICI_MODE_TRANSPORT, VICI_MODE_TUNNEL };
enum vici_auth { VICI_AUTH_PSK, VICI_AUTH_PUBKEY };

/* One IKEv2 connection with one CHILD_SA (both named name) that protects
 * one flow: local/remote address, IP protocol and ports (0 = any). */
struct vici_conn_spec {
    const char *name;
    const char *local_addr, *remote_addr;   /* IPv4 or IPv6 literals */
    uint8_t protocol;
    uint16_t local_port, remote_port;
    enum vici_mode mode;
    enum vici_auth auth;
    const char *local_id, *remote_id;       /* NULL: the addresses */
    /* VICI_AUTH_PUBKEY: our certificate, and the peer's raw public key
     * (NULL: any certificate charon trusts); PEM or DER. */
    const uint8_t *local_cert;
    size_t local_cert_len;
    const uint8_t *remote_pubkey;
    size_t remote_pubkey_len;
    const char *ike_proposals;              /* comma-separated; NULL: charon's defaults */
    const char *esp_proposals;
    int trap;                               /* install trap policies when loaded */
};
int vici_load_conn(struct vici_client *c, const struct vici_conn_spec *spec);
int vici_unload_conn(struct vici_client *c, const char *name);
/* Calls fn with each connection name loaded over vici. */
int vici_get_conns(struct vici_client *c, void (*fn)(void *ctx, const char *name), void *ctx);
/* An IKE pre-shared key for the identities in owners; id names it for
 * vici_unload_shared (NULL: none). */
int vici_load_shared(struct vici_client *c, const char *id, const void *secret, size_t secret_len,
                     const char *const *owners, size_t n_owners);
int vici_unload_shared(struct vici_client *c, const char *id);
/* timeout_ms is charon's: it answers when the SA is up (or down) or
 * that time has passed, and the call waits that long plus the client's
 * own timeout.  timeout_ms <= 0: charon answers at once and goes on in
 * the background. */
int vici_initiate(struct vici_client *c, const char *child, const char *ike, int timeout_ms);
int vici_terminate(struct vici_client *c, const char *child, const char *ike, int timeout_ms);
int vici_install(struct vici_client *c, const char *child, const char *ike);
int vici_uninstall(struct vici_client *c, const char *child);
/* Streams the IKE_SAs (filtered by IKE config name unless NULL): fn gets
 * each list-sa event's message, whose one section is named after the
 * IKE_SA and holds its child-sas.  fn returns 0 to go on. */
int vici_list_sas(struct vici_client *c, const char *ike,
                  int (*fn)(void *ctx, const struct vici_node *message), void *ctx);

#endif
