/*
 * The name a secured peer must prove: what WSASetSocketPeerTargetName
 * gives (a host name, an IP literal, or a Windows SPN), or the address a
 * client connected to when the program named nobody; and the matching of
 * that name against a certificate's subject alternative names.
 *
 * Accepted target names (UTF-8):
 *   host                      a DNS name (IDN in U-labels is mapped to A-labels)
 *   192.0.2.7, ::1, [::1]     an IP literal
 *   class/host                an SPN (DsMakeSpn: ServiceClass/InstanceName
 *   class/host:port             [:InstancePort][/ServiceName]); the host
 *   class/host/service          part is the name, the rest is kept but not
 *   class/host:port/service     matched (a certificate does not carry it)
 * An IPv6 host in an SPN is bracketed when a port follows ("class/[::1]:80").
 *
 * Matching (RFC 6125, RFC 9525): a DNS name only against dNSName SANs,
 * case-insensitively, with a wildcard only as the whole left-most label
 * ("*.example.com" matches "a.example.com", never "example.com",
 * "a.b.example.com" nor a partial label like "w*.example.com"); an IP
 * address only against iPAddress SANs, byte for byte, with an IPv4-mapped
 * IPv6 address equal to its IPv4 address.  The subject's common name is
 * never used: RFC 6125 allows it only without SANs, RFC 9525 and the CA/B
 * Forum's requirements drop it, and GnuTLS's own check falls back to it
 * exactly when a certificate has no DNS SAN, so a certificate issued
 * for a person or a CA whose CN happens to be a host name would pass.
 */
#ifndef SECSOCK_PEER_NAME_H
#define SECSOCK_PEER_NAME_H

#include <stddef.h>
#include <stdint.h>
#include <gnutls/x509.h>
#include "unix/host_names.h"

#define PEER_NAME_TARGET_MAX 1024   /* the longest target name taken */

enum peer_name_kind {
    PEER_NAME_DNS = 1,
    PEER_NAME_IP = 2,
};

struct peer_name {
    enum peer_name_kind kind;
    char host[HOST_NAME_TEXT_MAX + 1];   /* DNS: lower case, A-labels, no trailing dot; IP: printable form */
    struct host_address ip;              /* kind IP: the address (IPv4-mapped kept as IPv4) */
    char sni[HOST_NAME_TEXT_MAX + 1];    /* the server name to send; "" for none */
    char service_class[64];              /* SPN: the service class; "" for a plain name */
    uint16_t port;                       /* SPN: the instance port; 0 for none */
    char service_name[PEER_NAME_TARGET_MAX];   /* SPN: the service name; "" for none */
};

/* Parses a target name of len bytes.  Returns 0, or -1 with why. */
int peer_name_parse(const char *target, size_t len, struct peer_name *name, char *why, size_t why_len);

/* The name of an address (AF_INET: 4 bytes, AF_INET6: 16), for a client
 * that set no target name: the certificate must carry that address. */
int peer_name_from_address(int family, const void *addr, struct peer_name *name);

/* Whether name[0..len) is an RFC 1123 host name: dot-separated labels of
 * 1-63 letters, digits and hyphens, no hyphen at either end of a label,
 * at most 253 bytes, and a last label that is not all digits (that would
 * be a mangled IPv4 address).  Only such a name is sent as SNI. */
int peer_name_dns_valid(const char *name, size_t len);

/* Whether a dNSName SAN of plen bytes (may be a left-most wildcard)
 * matches host (a DNS name as peer_name_parse leaves it). */
int peer_name_dns_pattern_matches(const char *pattern, size_t plen, const char *host);

/* Whether the certificate names name by the rules above. */
int peer_name_certificate_matches(gnutls_x509_crt_t crt, const struct peer_name *name);

/* Whether the certificate names this address (iPAddress SAN). */
int peer_name_certificate_names_address(gnutls_x509_crt_t crt, int family, const void *addr);

#endif
