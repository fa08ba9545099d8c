/* The TLS backend's relay: one connection, plain side <-> TLS side. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/socket.h>
#include <gnutls/x509.h>
#include "unix/peer_name.h"
#include "unix/tls_relay.h"
#include "unix/trust_anchors.h"

/* One TLS record's worth each way: the most a relay holds. */
#define RELAY_BUFFER 16384

/* Allocated when a read needs it and freed as soon as it drains, so an idle
 * connection holds no buffer at all (the service's memory per idle
 * connection is a target). */
struct buffer {
    uint8_t *data;
    size_t len, off;
};

static int buffer_ready(struct buffer *b)
{
    if (!b->data) b->data = malloc(RELAY_BUFFER);
    return b->data != NULL;
}

static void buffer_drained(struct buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->off = 0;
}

struct tls_relay {
    int plain_fd, tls_fd;
    gnutls_session_t session;
    enum tls_relay_state state;
    struct buffer up;     /* plain -> peer */
    struct buffer down;   /* peer -> plain */
    int plain_eof;        /* the program ended its side */
    int up_closed;        /* close_notify sent */
    int peer_eof;         /* close_notify received */
    int down_closed;      /* the program was told: shutdown(SHUT_WR) */
    int tls_wants_write;  /* the last GnuTLS call stopped on a full socket */
    uint64_t to_peer, from_peer;
    const uint8_t (*pins)[TLS_RELAY_PIN_LEN];
    size_t pin_count;
    int is_server;
    const struct trust_anchors *anchors;
    const struct peer_name *peer_name;
    enum trust_verdict verdict;
    char error[256];
};

int tls_pin_of_certificate(const gnutls_datum_t *der, uint8_t pin[TLS_RELAY_PIN_LEN])
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_pubkey_t key = NULL;
    gnutls_datum_t spki = { NULL, 0 };
    int ret = -1;

    if (gnutls_x509_crt_init(&crt) || gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) ||
        gnutls_pubkey_init(&key) || gnutls_pubkey_import_x509(key, crt, 0) ||
        gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &spki) ||
        gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, pin))
        goto done;
    ret = 0;
done:
    gnutls_free(spki.data);
    if (key) gnutls_pubkey_deinit(key);
    if (crt) gnutls_x509_crt_deinit(crt);
    return ret;
}

/* The address the TLS socket is connected to, as the name a server
 * must carry when the program named none. */
static int connected_name(int fd, struct peer_name *name)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getpeername(fd, (struct sockaddr *)&ss, &len)) return -1;
    if (ss.ss_family == AF_INET) return peer_name_from_address(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, name);
    if (ss.ss_family == AF_INET6) return peer_name_from_address(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, name);
    return -1;
}

/* During the handshake: the peer's key must be pinned or, with trust
 * anchors, its chain must verify and carry the expected name.  Failing
 * here aborts the handshake with an alert, before the relay reads a byte
 * of the program's. */
static int verify_peer(gnutls_session_t session)
{
    struct tls_relay *relay = gnutls_session_get_ptr(session);
    struct trust_check check;
    struct peer_name address;

    memset(&check, 0, sizeof(check));
    check.chain = gnutls_certificate_get_peers(session, &check.count);
    check.pins = relay->pins;
    check.pin_count = relay->pin_count;
    check.name = relay->peer_name;
    check.peer_is_server = !relay->is_server;
    if (relay->anchors && !relay->is_server && !relay->peer_name)
    {
        if (connected_name(relay->tls_fd, &address))
        {
            relay->verdict = TRUST_INVALID;
            snprintf(relay->error, sizeof(relay->error), "the peer's address cannot be read: %s", strerror(errno));
            return -1;
        }
        check.name = &address;
    }
    relay->verdict = trust_anchors_verify(relay->anchors, &check, relay->error, sizeof(relay->error));
    return trust_verdict_ok(relay->verdict) ? 0 : -1;
}

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

struct tls_relay *tls_relay_new(int plain_fd, int tls_fd, const struct tls_relay_config *config,
                                char *why, size_t why_len)
{
    return tls_relay_new_trusting(plain_fd, tls_fd, config, NULL, why, why_len);
}

struct tls_relay *tls_relay_new_trusting(int plain_fd, int tls_fd, const struct tls_relay_config *config,
                                         const struct tls_relay_trust *trust, char *why, size_t why_len)
{
    static const struct tls_relay_trust pins_only = { NULL, NULL };
    struct tls_relay *relay = calloc(1, sizeof(*relay));
    int ret;

    if (!relay)
    {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    relay->plain_fd = plain_fd;
    relay->tls_fd = tls_fd;
    relay->pins = config->pins;
    relay->pin_count = config->pin_count;
    relay->is_server = config->is_server;
    if (!trust) trust = &pins_only;
    relay->anchors = trust->anchors;
    relay->peer_name = trust->peer_name;
    if ((plain_fd >= 0 && set_nonblocking(plain_fd)) || set_nonblocking(tls_fd))
    {
        snprintf(why, why_len, "fcntl: %s", strerror(errno));
        free(relay);
        return NULL;
    }
    if ((ret = gnutls_init(&relay->session, (config->is_server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK)) ||
        /* TLS 1.3 only: no renegotiation, forward secrecy, encrypted certificates. */
        (ret = gnutls_priority_set_direct(relay->session, "NORMAL:-VERS-ALL:+VERS-TLS1.3", NULL)) ||
        (ret = gnutls_credentials_set(relay->session, GNUTLS_CRD_CERTIFICATE, config->credentials)))
    {
        snprintf(why, why_len, "TLS set-up: %s", gnutls_strerror(ret));
        if (relay->session) gnutls_deinit(relay->session);
        free(relay);
        return NULL;
    }
    if (config->is_server) gnutls_certificate_server_set_request(relay->session, GNUTLS_CERT_REQUIRE);
    if (!config->is_server && config->server_name)
        gnutls_server_name_set(relay->session, GNUTLS_NAME_DNS, config->server_name, strlen(config->server_name));
    else if (!config->is_server && trust->peer_name && trust->peer_name->sni[0])
        gnutls_server_name_set(relay->session, GNUTLS_NAME_DNS, trust->peer_name->sni, strlen(trust->peer_name->sni));
    gnutls_session_set_ptr(relay->session, relay);
    gnutls_session_set_verify_function(relay->session, verify_peer);
    gnutls_transport_set_int(relay->session, tls_fd);
    gnutls_handshake_set_timeout(relay->session, 0);  /* the owner times the handshake */
    relay->state = TLS_RELAY_HANDSHAKE;
    return relay;
}

void tls_relay_free(struct tls_relay *relay)
{
    if (!relay) return;
    buffer_drained(&relay->up);
    buffer_drained(&relay->down);
    gnutls_deinit(relay->session);
    if (relay->plain_fd >= 0) close(relay->plain_fd);
    if (relay->tls_fd >= 0) close(relay->tls_fd);
    free(relay);
}

/* Ends the relay on an error: the program sees a reset, not an end of stream. */
static enum tls_relay_state fail(struct tls_relay *relay, const char *what, const char *detail)
{
    static const struct linger reset = { 1, 0 };

    if (!relay->error[0]) snprintf(relay->error, sizeof(relay->error), "%s: %s", what, detail);
    if (relay->plain_fd >= 0)
    {
        setsockopt(relay->plain_fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
        close(relay->plain_fd);
        relay->plain_fd = -1;
    }
    if (relay->tls_fd >= 0)
    {
        setsockopt(relay->tls_fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
        close(relay->tls_fd);
        relay->tls_fd = -1;
    }
    relay->state = TLS_RELAY_FAILED;
    return relay->state;
}

static int again(ssize_t ret)
{
    return ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED;
}

static int io_again(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* One pass over both directions; returns whether anything moved, or -1
 * when the relay failed. */
static int pump(struct tls_relay *relay)
{
    int moved = 0;
    ssize_t n;

    /* Program -> peer. */
    if (!relay->up.len && !relay->plain_eof)
    {
        if (!buffer_ready(&relay->up)) return fail(relay, "reading from the program", "out of memory"), -1;
        n = read(relay->plain_fd, relay->up.data, RELAY_BUFFER);
        if (n > 0) { relay->up.len = (size_t)n; relay->up.off = 0; moved = 1; }
        else if (!n) { relay->plain_eof = 1; moved = 1; }
        else if (!io_again()) return fail(relay, "reading from the program", strerror(errno)), -1;
        if (n <= 0) buffer_drained(&relay->up);
    }
    if (relay->up.off < relay->up.len)
    {
        /* After GNUTLS_E_AGAIN the same data must be offered again: it is. */
        n = gnutls_record_send(relay->session, relay->up.data + relay->up.off, relay->up.len - relay->up.off);
        if (n > 0)
        {
            relay->up.off += (size_t)n;
            relay->to_peer += (uint64_t)n;
            if (relay->up.off == relay->up.len) buffer_drained(&relay->up);
            moved = 1;
        }
        else if (again(n)) relay->tls_wants_write = 1;
        else return fail(relay, "sending to the peer", gnutls_strerror((int)n)), -1;
    }
    if (relay->plain_eof && !relay->up.len && !relay->up_closed)
    {
        int ret = gnutls_bye(relay->session, GNUTLS_SHUT_WR);
        if (!ret) { relay->up_closed = 1; moved = 1; }
        else if (again(ret)) relay->tls_wants_write = 1;
        else return fail(relay, "ending the TLS stream", gnutls_strerror(ret)), -1;
    }

    /* Peer -> program. */
    if (!relay->down.len && !relay->peer_eof)
    {
        if (!buffer_ready(&relay->down)) return fail(relay, "receiving from the peer", "out of memory"), -1;
        n = gnutls_record_recv(relay->session, relay->down.data, RELAY_BUFFER);
        if (n <= 0) buffer_drained(&relay->down);
        if (n > 0) { relay->down.len = (size_t)n; relay->down.off = 0; relay->from_peer += (uint64_t)n; moved = 1; }
        else if (!n) { relay->peer_eof = 1; moved = 1; }
        else if (!again(n))
            return fail(relay, n == GNUTLS_E_PREMATURE_TERMINATION ? "the peer's stream was cut without close_notify"
                                                                      : "receiving from the peer",
                        gnutls_strerror((int)n)), -1;
    }
    if (relay->down.off < relay->down.len)
    {
        n = write(relay->plain_fd, relay->down.data + relay->down.off, relay->down.len - relay->down.off);
        if (n > 0)
        {
            relay->down.off += (size_t)n;
            if (relay->down.off == relay->down.len) buffer_drained(&relay->down);
            moved = 1;
        }
        else if (n < 0 && !io_again()) return fail(relay, "writing to the program", strerror(errno)), -1;
    }
    if (relay->peer_eof && !relay->down.len && !relay->down_closed)
    {
        shutdown(relay->plain_fd, SHUT_WR);
        relay->down_closed = 1;
        moved = 1;
    }
    return moved;
}

int tls_relay_attach_plain(struct tls_relay *relay, int plain_fd)
{
    if (relay->plain_fd >= 0 || set_nonblocking(plain_fd)) return -1;
    relay->plain_fd = plain_fd;
    return 0;
}

enum tls_relay_state tls_relay_step(struct tls_relay *relay)
{
    int ret;

    if (relay->state == TLS_RELAY_HANDSHAKE)
    {
        ret = gnutls_handshake(relay->session);
        if (again(ret)) return relay->state;
        if (ret) return fail(relay, "TLS handshake", gnutls_strerror(ret));
        relay->state = TLS_RELAY_OPEN;
    }
    /* Open but not yet joined to the program: wait, reading nothing. */
    if (relay->state != TLS_RELAY_OPEN || relay->plain_fd < 0) return relay->state;
    relay->tls_wants_write = 0;
    while ((ret = pump(relay)) > 0) {}
    if (ret < 0) return relay->state;
    if (relay->up_closed && relay->down_closed) relay->state = TLS_RELAY_DONE;
    return relay->state;
}

void tls_relay_interest(const struct tls_relay *relay, short *plain_events, short *tls_events)
{
    *plain_events = *tls_events = 0;
    switch (relay->state)
    {
    case TLS_RELAY_HANDSHAKE:
        /* Nothing is read from the program before the peer is verified. */
        *tls_events = gnutls_record_get_direction(relay->session) ? POLLOUT : POLLIN;
        return;
    case TLS_RELAY_OPEN:
        if (relay->plain_fd < 0) return;
        if (!relay->up.len && !relay->plain_eof) *plain_events |= POLLIN;
        if (relay->down.off < relay->down.len) *plain_events |= POLLOUT;
        if (!relay->down.len && !relay->peer_eof) *tls_events |= POLLIN;
        if (relay->tls_wants_write) *tls_events |= POLLOUT;
        return;
    default:
        return;
    }
}

int tls_relay_plain_fd(const struct tls_relay *relay) { return relay->plain_fd; }
int tls_relay_tls_fd(const struct tls_relay *relay) { return relay->tls_fd; }
const char *tls_relay_error(const struct tls_relay *relay) { return relay->error; }
enum trust_verdict tls_relay_verdict(const struct tls_relay *relay) { return relay->verdict; }

int tls_relay_kernel_tls(const struct tls_relay *relay)
{
    return gnutls_transport_is_ktls_enabled(relay->session) != 0;
}

gnutls_session_t tls_relay_session(const struct tls_relay *relay)
{
    return relay->session;
}

void tls_relay_counts(const struct tls_relay *relay, uint64_t *to_peer, uint64_t *from_peer)
{
    *to_peer = relay->to_peer;
    *from_peer = relay->from_peer;
}
