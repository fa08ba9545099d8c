/* The control protocol's requests, one session at a time. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "lease.h"
#include "log.h"
#include "policy.h"
#include "discovery_service.h"
#include "unix/peers.h"
#include "secured_list.h"
#include "session.h"
#include "secsock/auth.h"
#include "secsock/settings.h"
#include "secsock/sha256.h"
#include "secsock/wsaerr.h"

void session_init(struct session *s, int fd, const char *peer, struct reply_to self, time_t now)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->state = SESSION_HELLO;
    s->deadline = now + SERVICE_HELLO_TIMEOUT;
    s->self = self;
    snprintf(s->peer, sizeof(s->peer), "%s", peer);
}

static int queue(struct session *s, const struct secsock_msg *msg)
{
    int n = secsock_msg_encode(msg, s->out + s->out_len, sizeof(s->out) - s->out_len);

    if (n < 0)
    {
        log_error("%s: cannot encode %s: %s", s->peer, secsock_msg_name(msg->type), secsock_proto_strerror(n));
        return -1;
    }
    s->out_len += (size_t)n;
    return 0;
}

static int queue_error(struct session *s, uint32_t wsa_error, const char *reason)
{
    struct secsock_msg msg;

    memset(&msg, 0, sizeof(msg));
    msg.type = SECSOCK_MSG_ERROR;
    msg.u.error.wsa_error = wsa_error;
    snprintf(msg.u.error.reason, sizeof(msg.u.error.reason), "%s", reason);
    s->state = SESSION_CLOSING;
    return queue(s, &msg);
}

/* A backend sets the connection up and will reply; PENDING is said at
 * once, so that a non-blocking connect need not wait. */
static int queue_pending(struct session *s, const char *backend)
{
    struct secsock_msg reply;

    s->state = SESSION_WAITING;
    s->deadline = 0;
    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_CONNECT_VERDICT;
    reply.u.connect_verdict.verdict = SECSOCK_VERDICT_PENDING;
    snprintf(reply.u.connect_verdict.backend, sizeof(reply.u.connect_verdict.backend), "%s", backend);
    return queue(s, &reply);
}

static int handle_hello(struct session *s, const struct secsock_msg *msg, const struct service_config *config)
{
    struct secsock_msg reply;

    if (msg->type != SECSOCK_MSG_HELLO)
    {
        log_warn("%s: rejected: %s before HELLO", s->peer, secsock_msg_name(msg->type));
        return queue_error(s, SECSOCK_WSAEACCES, "HELLO first");
    }
    /* The frame's version already matched; the field is the client's own
     * statement, and must say the same. */
    if (msg->u.hello.proto_version != SECSOCK_PROTO_VERSION)
    {
        log_warn("%s: rejected: client pid %u speaks control protocol version %u, this service %d", s->peer,
                 msg->u.hello.pid, msg->u.hello.proto_version, SECSOCK_PROTO_VERSION);
        return queue_error(s, SECSOCK_WSAEINVAL, "unsupported control protocol version");
    }
    if (getrandom(s->server_nonce, sizeof(s->server_nonce), 0) != (ssize_t)sizeof(s->server_nonce))
    {
        log_error("%s: cannot draw a nonce: %s", s->peer, strerror(errno));
        return queue_error(s, SECSOCK_WSAENETDOWN, "no randomness");
    }
    memcpy(s->client_nonce, msg->u.hello.client_nonce, sizeof(s->client_nonce));
    s->client_pid = msg->u.hello.pid;
    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_CHALLENGE;
    memcpy(reply.u.challenge.server_nonce, s->server_nonce, sizeof(s->server_nonce));
    secsock_auth_service_proof(config->secret, s->client_nonce, s->server_nonce, reply.u.challenge.service_proof);
    s->state = SESSION_PROOF;
    return queue(s, &reply);
}

static int handle_proof(struct session *s, const struct secsock_msg *msg, const struct service_config *config,
                        time_t now)
{
    uint8_t expected[SECSOCK_PROOF_LEN];
    struct secsock_msg reply;
    int good;

    if (msg->type != SECSOCK_MSG_PROOF)
    {
        log_warn("%s: rejected: %s instead of PROOF (client pid %u)", s->peer, secsock_msg_name(msg->type),
                 s->client_pid);
        return queue_error(s, SECSOCK_WSAEACCES, "PROOF expected");
    }
    secsock_auth_client_proof(config->secret, s->client_nonce, s->server_nonce, expected);
    good = secsock_equal_ct(expected, msg->u.proof.client_proof, sizeof(expected));
    secsock_wipe(expected, sizeof(expected));
    /* One PROOF per nonce: whatever happens next, this one is spent. */
    secsock_wipe(s->server_nonce, sizeof(s->server_nonce));
    if (!good)
    {
        log_warn("%s: rejected: wrong proof of the secret (client pid %u)", s->peer, s->client_pid);
        return queue_error(s, SECSOCK_WSAEACCES, "wrong proof");
    }
    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_HELLO_OK;
    reply.u.hello_ok.service_pid = (uint32_t)getpid();
    reply.u.hello_ok.needs = policy_needs(config->backends);
    s->state = SESSION_REQUEST;
    s->deadline = now + SERVICE_IDLE_TIMEOUT;
    return queue(s, &reply);
}

static int handle_connect(struct session *s, const struct secsock_msg_connect *req, const struct service_config *config)
{
    struct policy_decision d;
    struct secsock_msg reply;
    struct peer peer;
    char why[300];

    /* Looked at on every request (read again when changed), so that
     * `secsockctl trust` needs no restart. */
    if (peers_refresh(config->peers, why, sizeof(why)) && config->tls_ready)
        log_warn("%s: the trust list is ignored: %s", s->peer, why);
    peers_lookup(config->peers, &req->peer, &peer);
    d = policy_connect(req, config->backends, &peer);
    log_info("%s: CONNECT %s peer port %u (protocol %u, flags %#x, target \"%s\"): %s",
             s->peer, req->socktype == SECSOCK_SOCK_DGRAM ? "udp" : "tcp", req->peer.port, req->protocol,
             req->flags, req->target_name, d.reason);
    if (policy_backend_answers(&d))
    {
        /* PENDING is said at once, so that a non-blocking connect need not
         * wait; the backend answers once the connection is set up. */
        if (queue_pending(s, d.label)) return -1;
        s->backend = d.backend;
        s->backend_state = d.backend->connect(s->self, req, &peer, s->peer, config);
        return 0;
    }
    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_CONNECT_VERDICT;
    reply.u.connect_verdict.verdict = d.verdict;
    reply.u.connect_verdict.wsa_error = d.wsa_error;
    reply.u.connect_verdict.info_flags = d.info_flags;
    snprintf(reply.u.connect_verdict.backend, sizeof(reply.u.connect_verdict.backend), "%s", d.label);
    /* A datagram's verdict depends on the settings and the peer alone:
     * the client may reuse it for a while instead of asking per datagram. */
    if (req->socktype == SECSOCK_SOCK_DGRAM) reply.u.connect_verdict.cache_seconds = SESSION_DGRAM_VERDICT_SECONDS;
    s->state = SESSION_CLOSING;
    return queue(s, &reply);
}

static int handle_bind(struct session *s, const struct secsock_msg_bind *req, const struct service_config *config)
{
    struct policy_decision d = policy_bind(req, config->backends);
    struct secsock_msg reply;
    uint32_t wsa_error = 0;

    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_BIND_VERDICT;
    snprintf(reply.u.bind_verdict.backend, sizeof(reply.u.bind_verdict.backend), "%s", d.label);
    if (req->socktype != SECSOCK_SOCK_STREAM && req->socktype != SECSOCK_SOCK_DGRAM)
    {
        d.verdict = SECSOCK_VERDICT_REFUSE;
        d.wsa_error = SECSOCK_WSAEINVAL;
        d.reason = "unknown socket type";
    }
    if (d.verdict == SECSOCK_VERDICT_RESERVED || d.verdict == SECSOCK_VERDICT_OWN_ADDRESS)
    {
        /* The session becomes a lease of the backend. */
        if (!(s->backend_state = d.backend->bind(s->self, req, s->peer, &reply.u.bind_verdict.bound, &wsa_error)))
        {
            d.verdict = SECSOCK_VERDICT_REFUSE;
            d.wsa_error = wsa_error;
            d.reason = "the public address cannot be bound";
        }
    }
    log_info("%s: BIND %s port %u (protocol %u, flags %#x): %s", s->peer,
             req->socktype == SECSOCK_SOCK_DGRAM ? "udp" : "tcp", req->local.port, req->protocol, req->flags,
             d.reason);
    reply.u.bind_verdict.verdict = d.verdict;
    reply.u.bind_verdict.wsa_error = d.wsa_error;
    if (s->backend_state)
    {
        s->backend = d.backend;
        s->state = SESSION_LEASE;
        s->deadline = 0;
    }
    else s->state = SESSION_CLOSING;
    return queue(s, &reply);
}

static int handle_listen(struct session *s, const struct secsock_msg_listen *req, const struct service_config *config)
{
    struct secsock_msg reply;

    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_LISTEN_VERDICT;
    s->backend->listen(s->backend_state, req, &reply.u.listen_verdict, s->peer, config);
    return queue(s, &reply);
}

/* The discovery line of STATUS. */
static const char *discovery_text(void)
{
    static char text[128];

    if (!discovery_service_port()) return "off (SECSOCK_DISCOVERY_PORT=0)";
    snprintf(text, sizeof(text), "UDP port %u, %s", discovery_service_port(),
             discovery_service_answering() ? "answering and asking"
                                           : "asking only (another service holds the port: this one is not found)");
    return text;
}

static int handle_status(struct session *s, const struct secsock_msg_status *req, const struct service_config *config,
                         const struct service_stats *stats)
{
    struct secsock_msg reply;

    memset(&reply, 0, sizeof(reply));
    reply.type = SECSOCK_MSG_STATUS_REPLY;
    reply.u.status_reply.service_pid = (uint32_t)getpid();
    reply.u.status_reply.proto_version = SECSOCK_PROTO_VERSION;
    reply.u.status_reply.backends = config->backends;
    reply.u.status_reply.leases = lease_count();
    reply.u.status_reply.requests = stats->requests;
    if (req->sections & SECSOCK_STATUS_BACKENDS)
        snprintf(reply.u.status_reply.report, sizeof(reply.u.status_reply.report),
                 "none: available\n"
                 "tls: %s\n"
                 "  kernel TLS: %s\n"
                 "  discovery: %s\n"
                 "ipsec: %s\n", config->tls_status, config->ktls_status, discovery_text(), config->ipsec_status);
    s->state = SESSION_CLOSING;
    return queue(s, &reply);
}

static int handle(struct session *s, const struct secsock_msg *msg, const struct service_config *config,
                  struct service_stats *stats, time_t now)
{
    switch (s->state)
    {
    case SESSION_HELLO:
        return handle_hello(s, msg, config);
    case SESSION_PROOF:
        return handle_proof(s, msg, config, now);
    case SESSION_REQUEST:
        stats->requests++;
        switch (msg->type)
        {
        case SECSOCK_MSG_CONNECT: return handle_connect(s, &msg->u.connect, config);
        case SECSOCK_MSG_BIND: return handle_bind(s, &msg->u.bind, config);
        case SECSOCK_MSG_STATUS: return handle_status(s, &msg->u.status, config, stats);
        case SECSOCK_MSG_SECURED_QUERY:
            s->state = SESSION_CLOSING;
            return queue(s, secured_list_answer(&msg->u.secured_query));
        default: break;
        }
        break;
    case SESSION_LEASE:
        if (msg->type == SECSOCK_MSG_LISTEN) return handle_listen(s, &msg->u.listen, config);
        break;
    case SESSION_CLOSING:
    case SESSION_WAITING:
    case SESSION_PROTECTING:
        return 0;  /* the reply is (or will be) on its way; ignore what follows */
    }
    log_warn("%s: unexpected %s", s->peer, secsock_msg_name(msg->type));
    return queue_error(s, SECSOCK_WSAEINVAL, "unexpected message");
}

int session_process(struct session *s, const struct service_config *config, struct service_stats *stats,
                    time_t now)
{
    while (s->in_len >= SECSOCK_HEADER_LEN && s->state != SESSION_CLOSING && s->state != SESSION_WAITING)
    {
        struct secsock_msg msg;
        uint16_t type;
        uint32_t len;
        int status = secsock_frame_header(s->in, s->in_len, &type, &len);

        if (status == SECSOCK_PROTO_EVERSION)
        {
            log_warn("%s: rejected: the client speaks control protocol version %d, this service %d", s->peer,
                     secsock_frame_version(s->in, s->in_len), SECSOCK_PROTO_VERSION);
            return queue_error(s, SECSOCK_WSAEINVAL, "unsupported control protocol version");
        }
        if (status)
        {
            log_warn("%s: rejected: %s", s->peer, secsock_proto_strerror(status));
            return queue_error(s, SECSOCK_WSAEINVAL, secsock_proto_strerror(status));
        }
        if (s->in_len < SECSOCK_HEADER_LEN + len) break;
        status = secsock_msg_decode(type, s->in + SECSOCK_HEADER_LEN, len, &msg);
        memmove(s->in, s->in + SECSOCK_HEADER_LEN + len, s->in_len - SECSOCK_HEADER_LEN - len);
        s->in_len -= SECSOCK_HEADER_LEN + len;
        if (status)
        {
            log_warn("%s: rejected %s: %s", s->peer, secsock_msg_name(type), secsock_proto_strerror(status));
            return queue_error(s, SECSOCK_WSAEINVAL, secsock_proto_strerror(status));
        }
        if (handle(s, &msg, config, stats, now)) return -1;
        memset(&msg, 0, sizeof(msg));
    }
    return 0;
}

void session_release(struct session *s)
{
    if (s->backend_state && s->backend->closed) s->backend->closed(s->backend_state);
    s->backend_state = NULL;
}
