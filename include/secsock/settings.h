/*
 * Decoders of the structs a program hands to the security ioctls, as raw
 * bytes in Windows layout (little-endian, Windows address families).
 * Plain C: the DLL uses them, and they are unit-tested and fuzzed on Linux.
 * Each returns 0 or the Windows error code the ioctl must fail with.
 */
#ifndef SECSOCK_SETTINGS_H
#define SECSOCK_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include "secsock/proto.h"

/* Windows values (mstcpip.h). */
#define SECSOCK_PROTOCOL_DEFAULT   0
#define SECSOCK_PROTOCOL_IPSEC     1
#define SECSOCK_PROTOCOL_IPSEC2    2
#define SECSOCK_PROTOCOL_INVALID   3
#define SECSOCK_FLAG_GUARANTEE_ENCRYPTION 0x1
#define SECSOCK_FLAG_ALLOW_INSECURE       0x2
#define SECSOCK_IPSEC_FLAGS_ALL           0xf
#define SECSOCK_INFO_SECURED              0x1   /* SOCKET_INFO_CONNECTION_SECURED */
#define SECSOCK_INFO_ENCRYPTED            0x2   /* SOCKET_INFO_CONNECTION_ENCRYPTED */
#define SECSOCK_WIN_AF_INET   2
#define SECSOCK_WIN_AF_INET6  23

#define SECSOCK_SETTINGS_LEN        8   /* sizeof(SOCKET_SECURITY_SETTINGS) */
#define SECSOCK_SETTINGS_IPSEC_LEN  88  /* sizeof(SOCKET_SECURITY_SETTINGS_IPSEC) */
#define SECSOCK_TARGET_HEADER_LEN   140 /* offsetof(SOCKET_PEER_TARGET_NAME, AllStrings) */
#define SECSOCK_TEMPLATE_LEN        144 /* sizeof(SOCKET_SECURITY_QUERY_TEMPLATE) */
#define SECSOCK_TEMPLATE_IPSEC2_LEN 152
#define SECSOCK_QUERY_INFO_LEN      24
#define SECSOCK_QUERY_INFO_IPSEC2_LEN 64
#define SECSOCK_SOCKADDR_STORAGE_LEN 128
#define SECSOCK_MAX_CRED           256  /* UTF-8 bytes of a user or domain name */

struct secsock_settings {
    uint32_t protocol;
    uint32_t flags;
    uint32_t ipsec_flags;
    int      has_ipsec;          /* given as SOCKET_SECURITY_SETTINGS_IPSEC */
    uint8_t  mm_policy_key[16];
    uint8_t  qm_policy_key[16];
    char     user[SECSOCK_MAX_CRED + 1];
    char     domain[SECSOCK_MAX_CRED + 1];
    uint32_t password_len;       /* bytes; the password itself is not kept here */
};

/* SOCKET_SECURITY_SETTINGS or _IPSEC (NULL buf: the defaults). */
int secsock_settings_decode(const void *buf, size_t len, struct secsock_settings *out);

/* A Windows SOCKADDR (AF_INET or AF_INET6) of len bytes. */
int secsock_sockaddr_decode(const void *buf, size_t len, struct secsock_addr *out);
/* Writes one; returns its length, or 0 if cap is too small. */
size_t secsock_sockaddr_encode(const struct secsock_addr *addr, void *buf, size_t cap);

struct secsock_target {
    uint32_t protocol;
    struct secsock_addr peer;       /* SECSOCK_AF_UNSPEC when zero */
    char name[SECSOCK_MAX_STR + 1]; /* UTF-8 */
};

/* SOCKET_PEER_TARGET_NAME.  PeerTargetNameStringLen is taken as bytes when
 * the buffer holds exactly that many, else as characters (the Microsoft
 * samples pass wcslen()).  connectionless: the socket is a UDP socket, which
 * needs a peer address with an IP and a port. */
int secsock_target_decode(const void *buf, size_t len, int connectionless, struct secsock_target *out);

struct secsock_query_template {
    uint32_t protocol;
    struct secsock_addr peer;
    uint32_t token_access_mask;
    int      ipsec2;               /* the _IPSEC2 form was given */
    uint32_t ipsec2_flags, field_mask;
};

/* SOCKET_SECURITY_QUERY_TEMPLATE(_IPSEC2); NULL buf with len 0: all zero. */
int secsock_template_decode(const void *buf, size_t len, int connectionless,
                            struct secsock_query_template *out);

/* UTF-16LE (n code units) to UTF-8; returns 0, or -1 on a bad surrogate,
 * an embedded NUL or an output over cap-1 bytes. */
int secsock_utf16_to_utf8(const uint8_t *src, size_t units, char *dst, size_t cap);

#endif
