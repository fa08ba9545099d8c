/*
 * Who owns the other end of a loopback TCP connection: the uid column of
 * /proc/net/tcp or /proc/net/tcp6.  secsockd admits control connections from its own user only.
 */
#ifndef SECSOCKD_PEER_UID_H
#define SECSOCKD_PEER_UID_H

#include <stddef.h>
#include <stdint.h>

struct tcp_endpoint {
    uint8_t addr[16];  /* network order: IPv4 in the first 4 bytes */
    uint16_t port;     /* host order */
    uint8_t v6;        /* an IPv6 endpoint (/proc/net/tcp6) */
};

/* Finds in the text of /proc/net/tcp the socket whose local end is local
 * and remote end is remote; stores its uid.  Returns 0, or -1 when no line
 * matches (malformed lines are skipped). */
int proc_net_tcp_find_uid(const char *text, size_t len, const struct tcp_endpoint *local,
                          const struct tcp_endpoint *remote, uint32_t *uid);

/* Whether a line of that text has a socket whose local port is port (any
 * state, any address).  Returns 1 or 0. */
int proc_net_tcp_port_in_use(const char *text, size_t len, uint16_t port);
/* The same, reading /proc/net/tcp or /proc/net/tcp6; -1 when unreadable. */
int local_port_in_use(int v6, uint16_t port);

/* The same, reading /proc/net/tcp (/proc/net/tcp6 for IPv6 endpoints).
 * Returns 0, or -1 with errno set. */
int peer_uid_lookup(const struct tcp_endpoint *peer_local, const struct tcp_endpoint *peer_remote,
                    uint32_t *uid);

/* The uid owning the other end of fd, an accepted loopback TCP connection
 * (IPv4 or IPv6); peer (if not NULL) receives "address:port" for logs. */
int peer_uid_of_connection(int fd, uint32_t *uid, char *peer, size_t peer_len);

#endif
