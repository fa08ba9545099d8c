/*
 * The names a certificate carries as subject alternative names: DNS names
 * and IP addresses.  host_names_gather() collects this host's own (its
 * name, its FQDN when /etc/hosts says it, localhost, the address of every
 * interface, loopback included) for the local identity.
 */
#ifndef SECSOCK_HOST_NAMES_H
#define SECSOCK_HOST_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define HOST_NAMES_MAX_DNS 16
#define HOST_NAMES_MAX_IP  64
#define HOST_NAME_TEXT_MAX 253    /* the longest DNS name (RFC 1035) */

struct host_address {
    int family;                   /* AF_INET or AF_INET6 */
    uint8_t addr[16];             /* 4 or 16 bytes used */
};

struct host_names {
    char dns[HOST_NAMES_MAX_DNS][HOST_NAME_TEXT_MAX + 1];   /* lower case */
    size_t dns_count;
    struct host_address ip[HOST_NAMES_MAX_IP];
    size_t ip_count;
};

void host_names_init(struct host_names *names);

/* Adds a DNS name (printable ASCII without blanks, at most 253 bytes; a
 * trailing dot is dropped, case folded), once.  Returns 0, or -1 when it
 * is not such a text or the list is full. */
int host_names_add_dns(struct host_names *names, const char *name);

/* Adds an address (4 bytes for AF_INET, 16 for AF_INET6), once; an
 * IPv4-mapped IPv6 address is kept as the IPv4 address it maps. */
int host_names_add_ip(struct host_names *names, int family, const void *addr);

/* Whether every name and address of want is in have. */
int host_names_cover(const struct host_names *have, const struct host_names *want);

/* This host's names, read without asking DNS (a name server that does
 * not answer must not delay the service's start).  hosts_path is the
 * hosts file to read the FQDN from (NULL: /etc/hosts). */
int host_names_gather(struct host_names *names, const char *hosts_path, char *why, size_t why_len);

/* The FQDN of hostname in a hosts file's text: the first name on a line
 * that names hostname which is hostname plus a domain.  Returns 1 and
 * fills fqdn, or 0.  The text is outside input (fuzzed). */
int host_names_fqdn_from_hosts(const char *text, size_t len, const char *hostname, char *fqdn, size_t size);

#endif
