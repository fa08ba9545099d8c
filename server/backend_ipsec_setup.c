/* The IPsec backend's set-ups: a connection's (in a thread of its own) and a server port's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "backend_ipsec.h"
#include "log.h"
#include "secsock/settings.h"

/* The source address the kernel will pick for remote. */
int ipsec_route_source(int family, const uint8_t *remote, uint8_t *local)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

    if (fd < 0) return -1;
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET6)
    {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(9);
        memcpy(&s6->sin6_addr, remote, 16);
        len = sizeof(*s6);
    }
    else
    {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(9);
        memcpy(&s4->sin_addr, remote, 4);
        len = sizeof(*s4);
    }
    if (!connect(fd, (struct sockaddr *)&ss, len) && !getsockname(fd, (struct sockaddr *)&ss, &len))
    {
        memcpy(local, family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                         : (void *)&((struct sockaddr_in *)&ss)->sin_addr, family == AF_INET6 ? 16 : 4);
        ret = 0;
    }
    close(fd);
    return ret;
}

void ipsec_undo(struct ipsec_conn *c)
{
    struct secsock_xfrm_nl nl;
    struct vici_client vici;

    if (c->policies_installed && !secsock_xfrm_open(&nl))
    {
        secsock_xfrm_policy_del(&nl, c->slot);
        secsock_xfrm_close(&nl);
        c->policies_installed = 0;
    }
    if (c->charon_loaded && !vici_client_open(&vici, ipsec_vici_path, 2000))
    {
        vici_terminate(&vici, NULL, c->name, 0);
        vici_unload_conn(&vici, c->name);
        vici_unload_shared(&vici, c->name);
        for (size_t i = 0; i < c->listener_keys; i++)
        {
            char id[80];
            snprintf(id, sizeof(id), "%.48s-%zu", c->name, i);
            vici_unload_shared(&vici, id);
        }
        vici_client_close(&vici);
        c->charon_loaded = 0;
    }
}

void *ipsec_set_up(void *arg)
{
    struct ipsec_conn *c = arg;
    struct secsock_xfrm_nl nl;
    struct vici_client vici;
    struct vici_conn_spec spec;
    const char *owners[2] = { c->local, c->remote };
    int ret;

    c->result = RESULT_REFUSED;
    if ((ret = secsock_xfrm_open(&nl)))
        snprintf(c->why, sizeof(c->why), "XFRM: %s", strerror(-ret));
    else
    {
        ret = secsock_xfrm_policy_add(&nl, &c->xfrm);
        secsock_xfrm_close(&nl);
        if (ret) snprintf(c->why, sizeof(c->why), "cannot install the policies: %s", strerror(-ret));
        else c->policies_installed = 1;
    }
    if (c->policies_installed)
    {
        memset(&spec, 0, sizeof(spec));
        spec.name = c->name;
        spec.local_addr = c->local;
        spec.remote_addr = c->remote;
        spec.protocol = c->xfrm.tuple.protocol;
        spec.local_port = c->xfrm.tuple.local_port;
        spec.remote_port = c->xfrm.tuple.remote_port;
        spec.mode = VICI_MODE_TRANSPORT;
        spec.auth = VICI_AUTH_PSK;
        if ((ret = vici_client_open(&vici, ipsec_vici_path, 2000)))
            snprintf(c->why, sizeof(c->why), "charon: %s", vici_strerror(ret));
        else
        {
            if ((ret = vici_load_shared(&vici, c->name, c->psk, c->psk_len, owners, 2)) ||
                (ret = vici_load_conn(&vici, &spec)))
                snprintf(c->why, sizeof(c->why), "charon refused the connection: %s", vici_strerror(ret));
            else
            {
                c->charon_loaded = 1;
                if ((ret = vici_initiate(&vici, c->name, c->name, IPSEC_INITIATE_TIMEOUT_MS)))
                    snprintf(c->why, sizeof(c->why), "no IPsec SA with the peer: %s", vici_strerror(ret));
                else c->result = RESULT_PROTECTED;
            }
            vici_client_close(&vici);
        }
    }
    if (c->result != RESULT_PROTECTED)
    {
        ipsec_undo(c);
        if (c->allow_insecure) c->result = RESULT_CLEAR;
    }
    /* The loop takes it from here; a full pipe cannot happen (one pointer per set-up, few at once). */
    if (write(ipsec_done_pipe[1], &c, sizeof(c)) != (ssize_t)sizeof(c)) log_error("ipsec: cannot report a set-up");
    return NULL;
}

/* Loads one pre-shared key for a responder that takes every configured peer. */
struct psk_loader {
    struct vici_client *vici;
    const char *name;
    size_t loaded;
};

static int load_one_psk(void *ctx, const char *owner, const uint8_t *secret, size_t len)
{
    struct psk_loader *loader = ctx;
    const char *owners[1] = { owner };
    char id[80];

    snprintf(id, sizeof(id), "%.48s-%zu", loader->name, loader->loaded);
    if (vici_load_shared(loader->vici, id, secret, len, owners, 1)) return -1;
    loader->loaded++;
    return 0;
}

int ipsec_listener_install(struct ipsec_conn *c, const struct secsock_addr *local, const struct service_config *config,
                           char *why, size_t why_len)
{
    struct secsock_xfrm_nl nl;
    struct vici_client vici;
    struct vici_conn_spec spec;
    int family = local->family == SECSOCK_AF_INET6 ? AF_INET6 : AF_INET, ret;

    ipsec_name_slot(c, ipsec_next_slot());
    c->xfrm.level = c->allow_insecure ? SECSOCK_XFRM_OPTIONAL : SECSOCK_XFRM_REQUIRED;
    c->xfrm.tuple.family = family;
    c->xfrm.tuple.protocol = IPPROTO_TCP;
    memcpy(c->xfrm.tuple.local_addr, local->addr, family == AF_INET6 ? 16 : 4);
    c->xfrm.tuple.local_port = local->port;   /* remote: any address, any port */
    inet_ntop(family, c->xfrm.tuple.local_addr, c->local, sizeof(c->local));
    inet_ntop(family, c->xfrm.tuple.remote_addr, c->remote, sizeof(c->remote));
    if ((ret = secsock_xfrm_open(&nl)))
    {
        snprintf(why, why_len, "XFRM: %s", strerror(-ret));
        return -1;
    }
    ret = secsock_xfrm_policy_add(&nl, &c->xfrm);
    secsock_xfrm_close(&nl);
    if (ret)
    {
        snprintf(why, why_len, "cannot install the policies: %s", strerror(-ret));
        return -1;
    }
    c->policies_installed = 1;
    memset(&spec, 0, sizeof(spec));
    spec.name = c->name;
    spec.local_addr = c->local;
    spec.remote_addr = c->remote;
    spec.protocol = IPPROTO_TCP;
    spec.local_port = local->port;
    spec.mode = VICI_MODE_TRANSPORT;
    spec.auth = VICI_AUTH_PSK;
    if ((ret = vici_client_open(&vici, ipsec_vici_path, 2000)))
        snprintf(why, why_len, "charon: %s", vici_strerror(ret));
    else
    {
        struct psk_loader loader = { &vici, c->name, 0 };
        char peers_why[300];
        c->charon_loaded = 1;
        peers_refresh(config->peers, peers_why, sizeof(peers_why));   /* the peers file's state is not ours to report */
        peers_each_psk(config->peers, load_one_psk, &loader);
        c->listener_keys = loader.loaded;
        if ((ret = vici_load_conn(&vici, &spec)))
            snprintf(why, why_len, "charon refused the responder: %s", vici_strerror(ret));
        vici_client_close(&vici);
    }
    if (ret)
    {
        ipsec_undo(c);
        return -1;
    }
    c->phase = HELD;
    ipsec_link(c);
    log_info("ipsec %s: port %u of %s: ESP %s for every TCP connection, responder with %zu keys", c->name, local->port,
             c->local, c->allow_insecure ? "optional" : "required", c->listener_keys);
    return 0;
}
