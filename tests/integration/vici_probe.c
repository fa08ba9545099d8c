/* Drives the VICI client against a real charon, one command per run, for
 * tests/integration/vici-charon.sh.  Prints what charon answered; exits 0
 * when the call succeeded, 1 when it failed (printing "error: STATUS:
 * errmsg"), 2 on bad usage.
 *   vici_probe SOCKET version
 *   vici_probe SOCKET load-conn NAME LOCAL REMOTE transport|tunnel [trap]
 *   vici_probe SOCKET get-conns | list-sas | unknown-command
 *   vici_probe SOCKET unload-conn NAME
 *   vici_probe SOCKET bad-conn NAME          a load-conn charon must refuse
 *   vici_probe SOCKET load-shared ID SECRET OWNER... | unload-shared ID
 *   vici_probe SOCKET initiate CHILD TIMEOUT_MS | terminate IKE
 *   vici_probe SOCKET install CHILD | uninstall CHILD
 *   vici_probe SOCKET events NAME            registrations, and list-conn events for NAME */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unix/vici_client.h"

static int report(struct vici_client *c, int st)
{
    if (!st) return 0;
    printf("error: %s: %s\n", vici_strerror(st), c->errmsg);
    return 1;
}

static void print_name(void *ctx, const char *name)
{
    (void)ctx;
    printf("conn: %s\n", name);
}

static int print_sa(void *ctx, const struct vici_node *message)
{
    (void)ctx;
    for (const struct vici_node *sa = message->first_child; sa; sa = sa->next_sibling)
    {
        const char *state = vici_find_str(sa, "state");
        printf("sa: %s %s\n", sa->name, state ? state : "?");
    }
    return 0;
}

struct event_count {
    const char *conn;
    int list_conn, other;
};

static void count_event(void *ctx, const char *event, const struct vici_node *message)
{
    struct event_count *e = ctx;

    if (!strcmp(event, "list-conn") && vici_find(message, e->conn)) e->list_conn++;
    else e->other++;
}

/* Registration for the events the backend watches, a refused one, and
 * a stream of list-conn events that must name the connection. */
static int events(struct vici_client *c, const char *conn)
{
    static const char *const watched[] = { "ike-updown", "child-updown", "ike-rekey", "child-rekey" };
    struct event_count e = { conn, 0, 0 };
    struct vici_builder b;
    const uint8_t *out;
    size_t len;
    int st;

    for (size_t i = 0; i < sizeof(watched) / sizeof(*watched); i++)
    {
        if ((st = vici_client_register(c, watched[i]))) return report(c, st);
        printf("registered: %s\n", watched[i]);
    }
    st = vici_client_register(c, "no-such-event");
    printf("no-such-event: %s\n", vici_strerror(st));
    if (st != VICI_E_UNKNOWN_EVENT) return 1;

    vici_client_on_event(c, count_event, &e);
    if ((st = vici_client_register(c, "list-conn"))) return report(c, st);
    vici_builder_init_growing(&b, 4096);
    vici_begin_packet(&b, VICI_CMD_REQUEST, "list-conns");
    vici_key_str(&b, "ike", conn);
    if ((st = vici_builder_finish(&b, &out, &len)) || (st = vici_client_call(c, out, len, NULL)))
    {
        vici_builder_release(&b);
        return report(c, st);
    }
    vici_builder_release(&b);
    printf("list-conn events naming %s: %d, other events: %d\n", conn, e.list_conn, e.other);
    for (size_t i = 0; i < sizeof(watched) / sizeof(*watched); i++)
        if ((st = vici_client_unregister(c, watched[i]))) return report(c, st);
    if ((st = vici_client_unregister(c, "list-conn"))) return report(c, st);
    /* Unregistered: nothing may arrive any more. */
    st = vici_client_wait_event(c, 300);
    printf("after unregistering: %s\n", vici_strerror(st));
    return e.list_conn == 1 && st == VICI_E_TIMEOUT ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct vici_client c;
    const char *cmd;
    int st;

    if (argc < 3)
    {
        fprintf(stderr, "usage: vici_probe SOCKET COMMAND [ARGS]\n");
        return 2;
    }
    cmd = argv[2];
    if ((st = vici_client_open(&c, argv[1], 5000))) return report(&c, st);

    if (!strcmp(cmd, "version"))
    {
        struct vici_version v;
        if (!(st = vici_version(&c, &v))) printf("%s %s (%s %s %s)\n", v.daemon, v.version, v.sysname, v.release, v.machine);
    }
    else if (!strcmp(cmd, "load-conn") && argc >= 7)
    {
        struct vici_conn_spec s = {
            .name = argv[3], .local_addr = argv[4], .remote_addr = argv[5], .protocol = 6, .remote_port = 443,
            .mode = strcmp(argv[6], "tunnel") ? VICI_MODE_TRANSPORT : VICI_MODE_TUNNEL, .auth = VICI_AUTH_PSK,
            .ike_proposals = "aes256-sha256-modp3072", .esp_proposals = "aes256gcm16,aes128gcm16",
            .trap = argc > 7 && !strcmp(argv[7], "trap"),
        };
        if (!(st = vici_load_conn(&c, &s))) printf("loaded: %s\n", s.name);
    }
    else if (!strcmp(cmd, "bad-conn") && argc >= 4)
    {
        /* A key load-conn does not know. */
        struct vici_builder b;
        const uint8_t *out;
        size_t len;
        struct vici_tree reply;

        vici_builder_init_growing(&b, 4096);
        vici_begin_packet(&b, VICI_CMD_REQUEST, "load-conn");
        vici_section_start(&b, argv[3]);
        vici_key_str(&b, "no-such-option", "1");
        vici_section_end(&b);
        if (!(st = vici_builder_finish(&b, &out, &len)) && !(st = vici_client_call(&c, out, len, &reply)))
        {
            st = vici_reply_result(reply.root, c.errmsg, sizeof(c.errmsg));
            vici_tree_free(&reply);
        }
        vici_builder_release(&b);
    }
    else if (!strcmp(cmd, "get-conns"))
        st = vici_get_conns(&c, print_name, NULL);
    else if (!strcmp(cmd, "unload-conn") && argc >= 4)
        st = vici_unload_conn(&c, argv[3]);
    else if (!strcmp(cmd, "unknown-command"))
        st = vici_client_command(&c, "no-such-command", NULL);
    else if (!strcmp(cmd, "load-shared") && argc >= 6)
        st = vici_load_shared(&c, argv[3], argv[4], strlen(argv[4]), (const char *const *)argv + 5, (size_t)argc - 5);
    else if (!strcmp(cmd, "unload-shared") && argc >= 4)
        st = vici_unload_shared(&c, argv[3]);
    else if (!strcmp(cmd, "initiate") && argc >= 5)
        st = vici_initiate(&c, argv[3], NULL, atoi(argv[4]));
    else if (!strcmp(cmd, "terminate") && argc >= 4)
        st = vici_terminate(&c, NULL, argv[3], 2000);
    else if (!strcmp(cmd, "install") && argc >= 4)
        st = vici_install(&c, argv[3], NULL);
    else if (!strcmp(cmd, "uninstall") && argc >= 4)
        st = vici_uninstall(&c, argv[3]);
    else if (!strcmp(cmd, "list-sas"))
        st = vici_list_sas(&c, NULL, print_sa, NULL);
    else if (!strcmp(cmd, "events") && argc >= 4)
    {
        st = events(&c, argv[3]);
        vici_client_close(&c);
        return st;
    }
    else
    {
        fprintf(stderr, "vici_probe: unknown command or missing arguments: %s\n", cmd);
        vici_client_close(&c);
        return 2;
    }
    st = report(&c, st);
    vici_client_close(&c);
    return st;
}
