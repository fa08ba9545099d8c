/* secsockd's event loop: the control listener and its sessions. */
#ifndef SECSOCKD_SERVICE_H
#define SECSOCKD_SERVICE_H

#include <stdint.h>
#include "secsock/proto.h"

#define SERVICE_MAX_SESSIONS  4096
#define SERVICE_HELLO_TIMEOUT 5    /* seconds to authenticate */
#define SERVICE_IDLE_TIMEOUT  30   /* seconds for the request after HELLO */

struct peers;
struct backend_ops;

/* What an epoll entry points to starts with one of these: a session's
 * (owner NULL) or a backend's, whose event operation it goes to. */
struct watch {
    const struct backend_ops *owner;
    int gone;                       /* ended earlier in this batch of events */
    int kind;                       /* the owner's own distinction between its watches */
};

/* Adds, changes (op EPOLL_CTL_*) or removes a watch of fd. */
int service_watch_ctl(int op, int fd, uint32_t events, struct watch *watch);

/* Frees a watched object once the current batch of events is done: a
 * later event of the same batch may still point to it (a relay has two
 * descriptors), and must find it gone, not freed. */
void service_free_later(struct watch *watch);

struct service_config {
    uint8_t secret[SECSOCK_SECRET_LEN];
    uint32_t backends;              /* SECSOCK_BACKEND_* available */
    int check_peer_uid;             /* admit only our own uid (/proc/net/tcp) */
    int tls_ready;                  /* the TLS backend has an identity (tls_trust.h) */
    char config_dir[4096];          /* holds the peers' files and the identity */
    struct peers *peers;            /* the peer model of config_dir (unix/peers.h) */
    unsigned int relay_idle_timeout;   /* seconds without traffic before a relay ends; 0: never */
    char tls_status[256];           /* why TLS is (not) available, for STATUS */
    char ktls_status[256];          /* kernel TLS: asked for, offered, on */
    char ipsec_status[256];         /* why IPsec is (not) available */
};

/* Listens on 127.0.0.1 (port 0: the kernel picks).  Returns the listening
 * fd and its port, or -1 with errno. */
int service_listen(uint16_t *port);

/* Serves until *stop becomes nonzero (a signal handler sets it). */
int service_run(int listen_fd, const struct service_config *config, volatile int *stop);

#endif
