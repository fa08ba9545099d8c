/*
 * secsock control protocol: shared by the DLLs (PE), secsockd and
 * secsockctl.  Plain C11, no OS headers: it must build for both sides.
 *
 * Frame: magic u32 | version u16 | type u16 | payload length u32 | payload,
 * all little-endian.  After the handshake (HELLO, CHALLENGE, PROOF,
 * HELLO_OK: secsock/auth.h), one request and one reply per control
 * connection, except a BIND lease, which stays open for the life of the
 * socket.  Every frame carries the version and a frame of another version
 * is refused whole (SECSOCK_PROTO_EVERSION), never parsed.
 */
#ifndef SECSOCK_PROTO_H
#define SECSOCK_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SECSOCK_PROTO_MAGIC    0x4b435353u /* "SSCK" */
#define SECSOCK_PROTO_VERSION  4
#define SECSOCK_HEADER_LEN     12
#define SECSOCK_MAX_PAYLOAD    4096
#define SECSOCK_MAX_STR        1024
#define SECSOCK_SECRET_LEN     32
#define SECSOCK_NONCE_LEN      32
#define SECSOCK_PROOF_LEN      32 /* an HMAC-SHA-256 */

/* Address families on the wire (neither Windows' nor Linux' numbers). */
enum secsock_family {
    SECSOCK_AF_UNSPEC = 0,
    SECSOCK_AF_INET   = 4,
    SECSOCK_AF_INET6  = 6,
};

struct secsock_addr {
    uint16_t family;   /* enum secsock_family */
    uint16_t port;     /* host order */
    uint32_t scope_id;
    uint8_t  addr[16]; /* network order; first 4 bytes for IPv4 */
};

/* Same family, port and address (the bytes the family uses). */
int secsock_addr_equal(const struct secsock_addr *a, const struct secsock_addr *b);
/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is;
 * any other address as it is. */
struct secsock_addr secsock_addr_unmapped(const struct secsock_addr *a);

enum secsock_socktype {
    SECSOCK_SOCK_STREAM = 1,
    SECSOCK_SOCK_DGRAM  = 2,
};

/* Backends, as bits of STATUS_REPLY.backends. */
enum secsock_backend {
    SECSOCK_BACKEND_NONE  = 1 << 0,
    SECSOCK_BACKEND_TLS   = 1 << 1,
    SECSOCK_BACKEND_IPSEC = 1 << 2,
};

/* HELLO_OK.needs: what a client must send for the service's backends. */
enum secsock_need {
    /* CONNECT of a stream socket carries its local end (a backend protects
     * the 5-tuple before the connection exists). */
    SECSOCK_NEED_LOCAL_END = 1 << 0,
};

/* CONNECT.demands / BIND.demands: what the program's IPsec settings ask
 * for beyond the protocol (SOCKET_SECURITY_SETTINGS_IPSEC). */
enum secsock_demand {
    SECSOCK_DEMAND_CREDENTIALS = 1 << 0,   /* AuthIP user, domain or password */
    SECSOCK_DEMAND_MM_POLICY   = 1 << 1,   /* a main-mode policy key */
    SECSOCK_DEMAND_QM_POLICY   = 1 << 2,   /* a quick-mode policy key */
};

/* STATUS.sections. */
enum secsock_status_section {
    SECSOCK_STATUS_BACKENDS = 1 << 0,      /* each backend: available or why not */
};

/* SECURED_ENTRY: what protects a secured connection, in no backend's
 * own numbers (fwpuclnt maps them to WFP's transform ids). */
enum secsock_alg {
    SECSOCK_ALG_UNKNOWN = 0,
    SECSOCK_ALG_AES_128_GCM,          /* cipher: AEAD (its own integrity) */
    SECSOCK_ALG_AES_256_GCM,
    SECSOCK_ALG_CHACHA20_POLY1305,
    SECSOCK_ALG_AES_128_CCM,
    SECSOCK_ALG_AES_128_CBC,
    SECSOCK_ALG_AES_256_CBC,
    SECSOCK_ALG_SHA_256,              /* integrity (TLS: the handshake's hash) */
    SECSOCK_ALG_SHA_384,
    SECSOCK_ALG_SHA_1,
    SECSOCK_ALG_AEAD,                 /* integrity: the cipher's own (ESP with an AEAD) */
};
enum secsock_kx {
    SECSOCK_KX_UNKNOWN = 0,
    SECSOCK_KX_ECP_256,
    SECSOCK_KX_ECP_384,
    SECSOCK_KX_X25519,
    SECSOCK_KX_FFDHE_2048,
    SECSOCK_KX_MODP_2048,
};
enum secsock_auth_method {
    SECSOCK_AUTH_UNKNOWN = 0,
    SECSOCK_AUTH_PINNED_KEY,          /* TLS: a certificate whose key is pinned */
    SECSOCK_AUTH_PSK,                 /* IPsec: a pre-shared key */
    SECSOCK_AUTH_CERTIFICATE,         /* a certificate chained to a trusted CA */
};

/* One meaning per value; which messages carry which is said in
 * messages.def. */
enum secsock_verdict {
    SECSOCK_VERDICT_REFUSE      = 0, /* fail with wsa_error; nothing was sent */
    SECSOCK_VERDICT_DIRECT      = 1, /* clear text allowed: use the real socket call */
    SECSOCK_VERDICT_RELAY       = 2, /* connect: connect the program's socket to 'relay' */
    SECSOCK_VERDICT_RESERVED    = 3, /* bind: the service holds the public address */
    SECSOCK_VERDICT_PENDING     = 4, /* connect: being set up; the final verdict
                                        follows on the same connection */
    SECSOCK_VERDICT_PROTECTED   = 5, /* connect: connect directly; the service
                                        protects the connection for as long as
                                        this control connection stays open */
    SECSOCK_VERDICT_OWN_ADDRESS = 6, /* bind: bind the program's own address and
                                        keep the lease; LISTEN protects its port */
};

/* How long the service may take to set a connection up (reach the peer,
 * handshake, verify) before its final verdict. */
#define SECSOCK_SETUP_TIMEOUT_S 10

/* messages.def's field kinds, each one SECSOCK_FIELD(kind, name,
 * declaration) that a generator defines: here the structs' members,
 * in libs/secsock/proto.c one codec call per field.  The kinds are int (its
 * wire size is its member's), bytes, str and addr. */
#define F_U8(n)        SECSOCK_FIELD(int, n, uint8_t n)
#define F_U16(n)       SECSOCK_FIELD(int, n, uint16_t n)
#define F_U32(n)       SECSOCK_FIELD(int, n, uint32_t n)
#define F_U64(n)       SECSOCK_FIELD(int, n, uint64_t n)
#define F_BYTES(n, l)  SECSOCK_FIELD(bytes, n, uint8_t n[l])
#define F_STR(n)       SECSOCK_FIELD(str, n, char n[SECSOCK_MAX_STR + 1])
#define F_ADDR(n)      SECSOCK_FIELD(addr, n, struct secsock_addr n)

#define SECSOCK_FIELD(kind, n, decl) decl;
#define SECSOCK_MSG(NAME, code, member, fields) struct secsock_msg_##member { fields };
#include "messages.def"
#undef SECSOCK_MSG
#undef SECSOCK_FIELD

enum secsock_msg_type {
#define SECSOCK_MSG(NAME, code, member, fields) SECSOCK_MSG_##NAME = code,
#include "messages.def"
#undef SECSOCK_MSG
};

struct secsock_msg {
    uint16_t type; /* enum secsock_msg_type */
    union {
#define SECSOCK_MSG(NAME, code, member, fields) struct secsock_msg_##member member;
#include "messages.def"
#undef SECSOCK_MSG
    } u;
};

enum secsock_proto_status {
    SECSOCK_PROTO_OK         =  0,
    SECSOCK_PROTO_EMAGIC     = -1, /* not our protocol */
    SECSOCK_PROTO_EVERSION   = -2, /* another protocol version */
    SECSOCK_PROTO_ETYPE      = -3, /* unknown message type */
    SECSOCK_PROTO_ELENGTH    = -4, /* payload length over SECSOCK_MAX_PAYLOAD */
    SECSOCK_PROTO_ETRUNCATED = -5, /* payload ends inside a field */
    SECSOCK_PROTO_ETRAILING  = -6, /* bytes left after the last field */
    SECSOCK_PROTO_ESTRING    = -7, /* string too long or with a NUL */
    SECSOCK_PROTO_EADDR      = -8, /* unknown address family */
    SECSOCK_PROTO_ESPACE     = -9, /* output buffer too small */
};

/* Writes a whole frame for msg into buf.  Returns its length, or
 * SECSOCK_PROTO_ESPACE / ESTRING / ETYPE / EADDR. */
int secsock_msg_encode(const struct secsock_msg *msg, uint8_t *buf, size_t cap);

/* Checks a frame header; on success stores the type and payload length. */
int secsock_frame_header(const uint8_t *hdr, size_t len, uint16_t *type, uint32_t *payload_len);

/* The version a frame header with our magic announces, or -1: to name
 * the other side's version when secsock_frame_header said EVERSION. */
int secsock_frame_version(const uint8_t *hdr, size_t len);

/* Decodes one payload of the given type into msg (which it zeroes first). */
int secsock_msg_decode(uint16_t type, const uint8_t *payload, size_t len, struct secsock_msg *msg);

/* Human-readable text for a status, for logs. */
const char *secsock_proto_strerror(int status);

/* The message's name ("CONNECT"), or NULL for an unknown type. */
const char *secsock_msg_name(uint16_t type);

#endif /* SECSOCK_PROTO_H */
