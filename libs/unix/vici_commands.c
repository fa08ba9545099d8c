/* The VICI commands the IPsec backend needs, as charon's vici plugin
 * documents them: each builds its request, sends it, and reads the
 * "success"/"errmsg" answer (or the data it asked for). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "unix/vici_client.h"

#define REQUEST_MAX (VICI_MAX_SEGMENT + VICI_LENGTH_PREFIX)

static int fail(struct vici_client *c, int status, const char *text)
{
    snprintf(c->errmsg, sizeof(c->errmsg), "%s", text);
    return status;
}

/* Sends what b holds and returns the reply tree (caller frees). */
static int send_request(struct vici_client *c, struct vici_builder *b, int extra_ms, struct vici_tree *reply)
{
    const uint8_t *out;
    size_t len;
    int st = vici_builder_finish(b, &out, &len);

    if (st) snprintf(c->errmsg, sizeof(c->errmsg), "cannot encode the request: %s", vici_strerror(st));
    else st = vici_client_call_waiting(c, out, len, reply, extra_ms);
    vici_builder_release(b);
    return st;
}

/* Sends what b holds and reads the usual success/errmsg answer. */
static int run(struct vici_client *c, struct vici_builder *b, int extra_ms)
{
    struct vici_tree reply;
    int st = send_request(c, b, extra_ms, &reply);

    if (st) return st;
    st = vici_reply_result(reply.root, c->errmsg, sizeof(c->errmsg));
    vici_tree_free(&reply);
    return st;
}

static void begin(struct vici_builder *b, const char *command)
{
    vici_builder_init_growing(b, REQUEST_MAX);
    vici_begin_packet(b, VICI_CMD_REQUEST, command);
}

/* A command whose request is one key and its string value. */
static int run_keyed(struct vici_client *c, const char *command, const char *key, const char *value)
{
    struct vici_builder b;

    begin(&b, command);
    vici_key_str(&b, key, value);
    return run(c, &b, 0);
}

static void copy_field(const struct vici_node *root, const char *key, char *dst, size_t size)
{
    const char *v = vici_find_str(root, key);
    snprintf(dst, size, "%s", v ? v : "");
}

int vici_version(struct vici_client *c, struct vici_version *out)
{
    struct vici_tree reply;
    int st = vici_client_command(c, "version", &reply);

    if (st) return st;
    copy_field(reply.root, "daemon", out->daemon, sizeof(out->daemon));
    copy_field(reply.root, "version", out->version, sizeof(out->version));
    copy_field(reply.root, "sysname", out->sysname, sizeof(out->sysname));
    copy_field(reply.root, "release", out->release, sizeof(out->release));
    copy_field(reply.root, "machine", out->machine, sizeof(out->machine));
    vici_tree_free(&reply);
    if (!out->daemon[0] || !out->version[0]) return fail(c, VICI_E_NOT_FOUND, "version reply without daemon or version");
    return VICI_OK;
}

/* A traffic selector for one host and, optionally, protocol and port, in
 * swanctl's notation: "192.0.2.1/32[6/443]", "2001:db8::1/128[17]". */
/* 0.0.0.0 or :: stands for any address: a responder's remote side, or a
 * listener bound to every address. */
static int is_wildcard(const char *addr)
{
    unsigned char bin[16], zero[16] = { 0 };
    int v6 = strchr(addr, ':') != NULL;

    return inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) == 1 && !memcmp(bin, zero, v6 ? 16 : 4);
}

static int traffic_selector(char *buf, size_t size, const char *addr, uint8_t protocol, uint16_t port)
{
    unsigned char bin[16];
    int v6 = strchr(addr, ':') != NULL, n;

    int prefix;

    if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1) return -1;
    if (port && !protocol) return -1;  /* a port means nothing without a protocol */
    prefix = is_wildcard(addr) ? 0 : v6 ? 128 : 32;
    if (!protocol) n = snprintf(buf, size, "%s/%d", addr, prefix);
    else if (!port) n = snprintf(buf, size, "%s/%d[%u]", addr, prefix, protocol);
    else n = snprintf(buf, size, "%s/%d[%u/%u]", addr, prefix, protocol, port);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* A comma-separated proposal string as a list, one proposal an item. */
static void proposal_list(struct vici_builder *b, const char *name, const char *proposals)
{
    vici_list_start(b, name);
    while (*proposals)
    {
        size_t n = strcspn(proposals, ",");
        if (n) vici_list_item(b, proposals, n);
        proposals += n + (proposals[n] == ',');
    }
    vici_list_end(b);
}

int vici_load_conn(struct vici_client *c, const struct vici_conn_spec *s)
{
    const char *auth = s->auth == VICI_AUTH_PUBKEY ? "pubkey" : "psk";
    char local_ts[96], remote_ts[96];
    struct vici_builder b;

    if (!s->name || !s->local_addr || !s->remote_addr) return fail(c, VICI_E_USAGE, "connection without name or addresses");
    if (traffic_selector(local_ts, sizeof(local_ts), s->local_addr, s->protocol, s->local_port) ||
        traffic_selector(remote_ts, sizeof(remote_ts), s->remote_addr, s->protocol, s->remote_port))
        return fail(c, VICI_E_USAGE, "invalid address, or a port without a protocol");
    if (s->auth == VICI_AUTH_PUBKEY && !s->local_cert) return fail(c, VICI_E_USAGE, "pubkey auth without a certificate");

    begin(&b, "load-conn");
    vici_section_start(&b, s->name);
    vici_key_str(&b, "version", "2");
    vici_list_start(&b, "local_addrs");
    vici_list_str(&b, is_wildcard(s->local_addr) ? "%any" : s->local_addr);
    vici_list_end(&b);
    vici_list_start(&b, "remote_addrs");
    vici_list_str(&b, is_wildcard(s->remote_addr) ? "%any" : s->remote_addr);
    vici_list_end(&b);
    if (s->ike_proposals) proposal_list(&b, "proposals", s->ike_proposals);

    vici_section_start(&b, "local");
    vici_key_str(&b, "auth", auth);
    /* A wildcard address names no identity: charon then uses the address
     * the IKE_SA runs on. */
    if (s->local_id || !is_wildcard(s->local_addr)) vici_key_str(&b, "id", s->local_id ? s->local_id : s->local_addr);
    if (s->auth == VICI_AUTH_PUBKEY)
    {
        vici_list_start(&b, "certs");
        vici_list_item(&b, s->local_cert, s->local_cert_len);
        vici_list_end(&b);
    }
    vici_section_end(&b);

    vici_section_start(&b, "remote");
    vici_key_str(&b, "auth", auth);
    if (s->remote_id || !is_wildcard(s->remote_addr))
        vici_key_str(&b, "id", s->remote_id ? s->remote_id : s->remote_addr);
    if (s->auth == VICI_AUTH_PUBKEY && s->remote_pubkey)
    {
        vici_list_start(&b, "pubkeys");
        vici_list_item(&b, s->remote_pubkey, s->remote_pubkey_len);
        vici_list_end(&b);
    }
    vici_section_end(&b);

    vici_section_start(&b, "children");
    vici_section_start(&b, s->name);
    vici_key_str(&b, "mode", s->mode == VICI_MODE_TUNNEL ? "tunnel" : "transport");
    vici_list_start(&b, "local_ts");
    vici_list_str(&b, local_ts);
    vici_list_end(&b);
    vici_list_start(&b, "remote_ts");
    vici_list_str(&b, remote_ts);
    vici_list_end(&b);
    if (s->esp_proposals) proposal_list(&b, "esp_proposals", s->esp_proposals);
    if (s->trap) vici_key_str(&b, "start_action", "trap");
    vici_section_end(&b);
    vici_section_end(&b);

    vici_section_end(&b);
    return run(c, &b, 0);
}

int vici_unload_conn(struct vici_client *c, const char *name)
{
    return run_keyed(c, "unload-conn", "name", name);
}

int vici_get_conns(struct vici_client *c, void (*fn)(void *ctx, const char *name), void *ctx)
{
    struct vici_tree reply;
    const struct vici_node *conns;
    int st = vici_client_command(c, "get-conns", &reply);

    if (st) return st;
    conns = vici_find(reply.root, "conns");
    if (!conns || conns->kind != VICI_NODE_LIST)
    {
        vici_tree_free(&reply);
        return fail(c, VICI_E_NOT_FOUND, "get-conns reply without a conns list");
    }
    for (const struct vici_node *i = conns->first_child; i; i = i->next_sibling)
        if (!memchr(i->value, 0, i->value_len)) fn(ctx, (const char *)i->value);
    vici_tree_free(&reply);
    return VICI_OK;
}

int vici_load_shared(struct vici_client *c, const char *id, const void *secret, size_t secret_len,
                     const char *const *owners, size_t n_owners)
{
    struct vici_builder b;

    begin(&b, "load-shared");
    if (id) vici_key_str(&b, "id", id);
    vici_key_str(&b, "type", "IKE");
    vici_key_value(&b, "data", secret, secret_len);
    vici_list_start(&b, "owners");
    for (size_t i = 0; i < n_owners; i++) vici_list_str(&b, owners[i]);
    vici_list_end(&b);
    return run(c, &b, 0);
}

int vici_unload_shared(struct vici_client *c, const char *id)
{
    return run_keyed(c, "unload-shared", "id", id);
}

/* initiate and terminate: charon waits up to timeout_ms itself; a
 * timeout <= 0 becomes -1, charon's "answer at once, go on in the
 * background", since 0 would mean waiting without bound. */
static int child_action(struct vici_client *c, const char *command, const char *child, const char *ike,
                        int timeout_ms)
{
    struct vici_builder b;

    if (!child && !ike) return fail(c, VICI_E_USAGE, "neither child nor ike given");
    begin(&b, command);
    if (child) vici_key_str(&b, "child", child);
    if (ike) vici_key_str(&b, "ike", ike);
    vici_key_fmt(&b, "timeout", "%d", timeout_ms > 0 ? timeout_ms : -1);
    return run(c, &b, timeout_ms > 0 ? timeout_ms : 0);
}

int vici_initiate(struct vici_client *c, const char *child, const char *ike, int timeout_ms)
{
    if (!child) return fail(c, VICI_E_USAGE, "initiate needs a child");
    return child_action(c, "initiate", child, ike, timeout_ms);
}

int vici_terminate(struct vici_client *c, const char *child, const char *ike, int timeout_ms)
{
    return child_action(c, "terminate", child, ike, timeout_ms);
}

int vici_install(struct vici_client *c, const char *child, const char *ike)
{
    struct vici_builder b;

    begin(&b, "install");
    vici_key_str(&b, "child", child);
    if (ike) vici_key_str(&b, "ike", ike);
    return run(c, &b, 0);
}

int vici_uninstall(struct vici_client *c, const char *child)
{
    return run_keyed(c, "uninstall", "child", child);
}

struct sa_stream {
    int (*fn)(void *ctx, const struct vici_node *message);
    void *ctx;
    int stopped;
    vici_event_fn other;     /* the handler the caller had: gets every other event */
    void *other_ctx;
};

static void on_list_sa(void *ctx, const char *event, const struct vici_node *message)
{
    struct sa_stream *s = ctx;

    if (strcmp(event, "list-sa"))
    {
        if (s->other) s->other(s->other_ctx, event, message);
    }
    else if (!s->stopped)
        s->stopped = s->fn(s->ctx, message);
}

int vici_list_sas(struct vici_client *c, const char *ike,
                  int (*fn)(void *ctx, const struct vici_node *message), void *ctx)
{
    struct sa_stream s = { fn, ctx, 0, c->on_event, c->event_ctx };
    struct vici_builder b;
    struct vici_tree reply;
    int st, st2;

    if ((st = vici_client_register(c, "list-sa"))) return st;
    vici_client_on_event(c, on_list_sa, &s);
    begin(&b, "list-sas");
    if (ike) vici_key_str(&b, "ike", ike);
    st = send_request(c, &b, 0, &reply);
    vici_client_on_event(c, s.other, s.other_ctx);
    if (!st) vici_tree_free(&reply);
    st2 = vici_client_unregister(c, "list-sa");
    return st ? st : st2;
}
