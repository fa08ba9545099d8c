/* secsockd's event loop: the control listener and its sessions. */
#ifndef SECSOCKD_SERVICE_H
#define SECSOCKD_SERVICE_H

#include <stdint.h>
#include "secsock/proto.h"

#define SERVICE_MAX_SESSIONS  4096
#define SERVICE_HELLO_TIMEOUT 5    /* seconds to authenticate */
#define SERVICE_IDLE_TIMEOUT  30   /* seconds for the request after HELLO */

struct tls_identity;
struct peers;

/* What an epoll entry points to starts with one of these. */
enum service_watch { SERVICE_WATCH_SESSION = 1, SERVICE_WATCH_RELAY = 2, SERVICE_WATCH_PUBLIC = 3,
                     SERVICE_WATCH_IPSEC = 4, SERVICE_WATCH_GONE = 5 };

/* Frees an epoll entry's object once the current batch of events is done:
 * a later event of the same batch may still point to it (a relay has two
 * descriptors), and must find it marked SERVICE_WATCH_GONE, not freed. */
void service_free_later(void *watch);

struct service_config {
    uint8_t secret[SECSOCK_SECRET_LEN];
    uint32_t backends;              /* SECSOCK_BACKEND_* available */
    int check_peer_uid;             /* admit only our own uid (/proc/net/tcp) */
    const struct tls_identity *identity;   /* the TLS backend's; NULL without it */
    char config_dir[4096];          /* holds the peers' files and the identity */
    struct peers *peers;            /* the peer model of config_dir (unix/peers.h) */
    char tls_status[256];           /* why TLS is (not) available, for STATUS */
    unsigned int relay_idle_timeout;
    char ipsec_status[256];
    char ktls_status[256];          /* kernel TLS: asked for, offered, on */         /* why IPsec is (not) available, for STATUS */
    int ipsec_event_fd;             /* IPsec set-ups report here; -1: no IPsec backend */   /* seconds without traffic before a relay ends; 0: never */
};

/* Listens on 127.0.0.1 (port 0: the kernel picks).  Returns the listening
 * fd and its port, or -1 with errno. */
int service_listen(uint16_t *port);

/* Serves until *stop becomes nonzero (a signal handler sets it). */
int service_run(int listen_fd, const struct service_config *config, volatile int *stop);

#endif
