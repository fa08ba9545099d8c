/* The VICI client's transport against a scripted stand-in for charon: a
 * child process that answers each request with canned packets.  Covers
 * what a real charon will not do on demand: events interleaved with a
 * response, silence, a closed socket, malformed or unexpected packets. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "unix/vici_client.h"
#include "unit.h"

struct script {
    char dir[32], path[64], capture[64];
    int listener;
    pid_t pid;
};

struct step {
    uint8_t bytes[512];  /* sent after the request is read; may hold several packets */
    size_t len;
    int close_after;     /* then hang up */
};

static int read_full(int fd, uint8_t *buf, size_t len)
{
    while (len)
    {
        ssize_t n = read(fd, buf, len);
        if (n <= 0) return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The stand-in: one connection, one step per request read; every
 * request is appended to the capture file. */
static void serve(struct script *s, const struct step *steps, size_t n)
{
    int fd = accept(s->listener, NULL, NULL), cap = open(s->capture, O_WRONLY | O_CREAT | O_APPEND, 0600);
    static uint8_t req[VICI_MAX_SEGMENT + 4];

    for (size_t i = 0; i < n; i++)
    {
        uint32_t len;
        if (read_full(fd, req, 4) || vici_segment_length(req, VICI_MAX_SEGMENT, &len) || read_full(fd, req + 4, len))
            _exit(1);
        if (write(cap, req, len + 4) != (ssize_t)(len + 4)) _exit(1);
        if (steps[i].len && write(fd, steps[i].bytes, steps[i].len) != (ssize_t)steps[i].len) _exit(1);
        if (steps[i].close_after) _exit(0);
    }
    /* Keep the socket open until the client goes away. */
    while (read(fd, req, sizeof(req)) > 0) {}
    _exit(0);
}

static void start(struct script *s, const struct step *steps, size_t n)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };

    strcpy(s->dir, "/tmp/vici-unit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->dir));
    snprintf(s->path, sizeof(s->path), "%s/charon.vici", s->dir);
    snprintf(s->capture, sizeof(s->capture), "%s/requests", s->dir);
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
    s->listener = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(s->listener, (struct sockaddr *)&sun, sizeof(sun)), 0);
    ck_assert_int_eq(listen(s->listener, 1), 0);
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0) serve(s, steps, n);
}

/* Ends the stand-in; returns what it captured (caller frees) in *len. */
static uint8_t *stop(struct script *s, size_t *len)
{
    uint8_t *data = malloc(VICI_MAX_SEGMENT);
    int fd, status;
    ssize_t n = 0;

    /* The stand-in ends when the client hangs up.  No signal: the child
     * inherits check's own handlers, which would take the test down. */
    waitpid(s->pid, &status, 0);
    close(s->listener);
    if ((fd = open(s->capture, O_RDONLY)) >= 0)
    {
        n = read(fd, data, VICI_MAX_SEGMENT);
        close(fd);
    }
    *len = n > 0 ? (size_t)n : 0;
    unlink(s->capture);
    unlink(s->path);
    rmdir(s->dir);
    return data;
}

/* Appends a packet made by fill (NULL: no message) to a step. */
static void add_packet(struct step *st, enum vici_packet_type type, const char *name,
                       void (*fill)(struct vici_builder *))
{
    struct vici_builder b;
    size_t len;

    vici_builder_init_fixed(&b, st->bytes + st->len, sizeof(st->bytes) - st->len);
    vici_begin_packet(&b, type, name);
    if (fill) fill(&b);
    ck_assert_int_eq(vici_builder_finish(&b, NULL, &len), VICI_OK);
    st->len += len;
}

static void add_raw(struct step *st, const void *bytes, size_t len)
{
    memcpy(st->bytes + st->len, bytes, len);
    st->len += len;
}

static void success(struct vici_builder *b) { vici_key_str(b, "success", "yes"); }
static void refusal(struct vici_builder *b) { vici_key_str(b, "success", "no"); vici_key_str(b, "errmsg", "no way"); }
static void updown(struct vici_builder *b) { vici_section_start(b, "conn-1"); vici_key_str(b, "state", "ESTABLISHED"); vici_section_end(b); }
static void version(struct vici_builder *b)
{
    vici_key_str(b, "daemon", "charon");
    vici_key_str(b, "version", "5.9.8");
    vici_key_str(b, "sysname", "Linux");
}

struct seen {
    int count;
    char last[64];
    char state[32];
};

static void on_event(void *ctx, const char *event, const struct vici_node *msg)
{
    struct seen *s = ctx;
    const char *state = vici_find_str(msg, "conn-1/state");

    s->count++;
    snprintf(s->last, sizeof(s->last), "%s", event);
    snprintf(s->state, sizeof(s->state), "%s", state ? state : "");
}

START_TEST(events_before_the_response_go_to_the_callback)
{
    static struct step steps[2];
    struct script s;
    struct vici_client c;
    struct vici_version v;
    struct seen seen = { 0, "", "" };
    size_t len;

    memset(steps, 0, sizeof(steps));
    add_packet(&steps[0], VICI_EVENT, "ike-updown", updown);
    add_packet(&steps[0], VICI_EVENT, "child-updown", updown);
    add_packet(&steps[0], VICI_CMD_RESPONSE, NULL, version);
    add_packet(&steps[1], VICI_CMD_RESPONSE, NULL, refusal);
    start(&s, steps, 2);
    ck_assert_int_eq(vici_client_open(&c, s.path, 2000), VICI_OK);
    vici_client_on_event(&c, on_event, &seen);
    ck_assert_int_eq(vici_version(&c, &v), VICI_OK);
    ck_assert_str_eq(v.daemon, "charon");
    ck_assert_str_eq(v.version, "5.9.8");
    ck_assert_str_eq(v.machine, "");
    ck_assert_int_eq(seen.count, 2);
    ck_assert_str_eq(seen.last, "child-updown");
    ck_assert_str_eq(seen.state, "ESTABLISHED");
    /* A refusal carries charon's errmsg and leaves the connection usable. */
    ck_assert_int_eq(vici_unload_conn(&c, "x"), VICI_E_FAILED);
    ck_assert_str_eq(c.errmsg, "no way");
    ck_assert_int_eq(c.broken, 0);
    vici_client_close(&c);
    free(stop(&s, &len));
    /* version, then unload-conn { name = x } */
    ck_assert_uint_eq(len, (4 + 1 + 1 + 7) + (4 + 1 + 1 + 11 + 1 + 1 + 4 + 2 + 1));
}
END_TEST

START_TEST(unknown_command_and_event_keep_the_connection)
{
    static struct step steps[4];
    struct script s;
    struct vici_client c;
    size_t len;

    memset(steps, 0, sizeof(steps));
    add_packet(&steps[0], VICI_CMD_UNKNOWN, NULL, NULL);
    add_packet(&steps[1], VICI_EVENT_UNKNOWN, NULL, NULL);
    add_packet(&steps[2], VICI_EVENT_CONFIRM, NULL, NULL);
    add_packet(&steps[3], VICI_CMD_RESPONSE, NULL, success);
    start(&s, steps, 4);
    ck_assert_int_eq(vici_client_open(&c, s.path, 2000), VICI_OK);
    ck_assert_int_eq(vici_client_command(&c, "no-such", NULL), VICI_E_UNKNOWN_CMD);
    ck_assert_int_eq(vici_client_register(&c, "no-such"), VICI_E_UNKNOWN_EVENT);
    ck_assert_int_eq(vici_client_register(&c, "ike-updown"), VICI_OK);
    ck_assert_int_eq(vici_install(&c, "child", NULL), VICI_OK);
    vici_client_close(&c);
    free(stop(&s, &len));
}
END_TEST

START_TEST(silence_times_out_and_breaks_the_connection)
{
    static struct step steps[1];
    struct script s;
    struct vici_client c;
    struct timespec t0, t1;
    long ms;
    size_t len;

    memset(steps, 0, sizeof(steps));
    start(&s, steps, 1);
    ck_assert_int_eq(vici_client_open(&c, s.path, 300), VICI_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(vici_client_command(&c, "version", NULL), VICI_E_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_ge(ms, 290);
    ck_assert_int_lt(ms, 2000);
    /* The answer could still come: the stream is out of step for good. */
    ck_assert_int_eq(vici_client_command(&c, "version", NULL), VICI_E_TIMEOUT);
    ck_assert_ptr_nonnull(strstr(c.errmsg, "unusable"));
    vici_client_close(&c);
    free(stop(&s, &len));
}
END_TEST

START_TEST(waiting_for_events)
{
    static struct step steps[1];
    struct script s;
    struct vici_client c;
    struct seen seen = { 0, "", "" };
    size_t len;

    memset(steps, 0, sizeof(steps));
    add_packet(&steps[0], VICI_EVENT_CONFIRM, NULL, NULL);
    add_packet(&steps[0], VICI_EVENT, "ike-updown", updown);
    start(&s, steps, 1);
    ck_assert_int_eq(vici_client_open(&c, s.path, 2000), VICI_OK);
    vici_client_on_event(&c, on_event, &seen);
    ck_assert_int_eq(vici_client_register(&c, "ike-updown"), VICI_OK);
    ck_assert_int_eq(vici_client_wait_event(&c, 2000), VICI_OK);
    ck_assert_int_eq(seen.count, 1);
    ck_assert_str_eq(seen.last, "ike-updown");
    /* No event in time is not a fault of the stream. */
    ck_assert_int_eq(vici_client_wait_event(&c, 100), VICI_E_TIMEOUT);
    ck_assert_int_eq(c.broken, 0);
    vici_client_close(&c);
    free(stop(&s, &len));
}
END_TEST

/* One bad answer per run; each must be reported with its status and
 * leave the connection broken. */
static void bad_answer(const void *raw, size_t raw_len, enum vici_packet_type type, int hang_up, int expect)
{
    static struct step steps[1];
    struct script s;
    struct vici_client c;
    size_t len;
    int st;

    memset(steps, 0, sizeof(steps));
    if (raw) add_raw(&steps[0], raw, raw_len);
    else add_packet(&steps[0], type, NULL, NULL);
    steps[0].close_after = hang_up;
    start(&s, steps, 1);
    ck_assert_int_eq(vici_client_open(&c, s.path, 1000), VICI_OK);
    st = vici_client_command(&c, "version", NULL);
    ck_assert_msg(st == expect, "got %s, expected %s", vici_strerror(st), vici_strerror(expect));
    ck_assert_int_eq(c.broken, expect);
    vici_client_close(&c);
    free(stop(&s, &len));
}

START_TEST(bad_answers_are_refused)
{
    bad_answer("\0\0\0\x02\x01\x02", 6, 0, 0, VICI_E_UNBALANCED);         /* response: stray SECTION_END */
    bad_answer("\0\0\0\x01\x09", 5, 0, 0, VICI_E_PACKET_TYPE);            /* packet type 9 */
    bad_answer("\0\x10\0\0", 4, 0, 0, VICI_E_TOO_LARGE);                  /* 1 MiB announced */
    bad_answer("\0\0\0\0", 4, 0, 0, VICI_E_TRUNCATED);                    /* empty packet */
    bad_answer("\0\0\0\x05\x01", 5, 0, 1, VICI_E_CLOSED);                 /* closes mid-packet */
    bad_answer("\0\0\0\x02\x05\x00", 6, 0, 0, VICI_E_TRAILING);           /* EVENT_CONFIRM with a byte */
    bad_answer(NULL, 0, VICI_EVENT_CONFIRM, 0, VICI_E_UNEXPECTED);         /* not an answer to a command */
    bad_answer("\0\0\0\x03\x07\x01x\0\0\0\x03\x01\x03\x00", 14, 0, 0, VICI_E_NAME); /* event, then bad response */
}
END_TEST

START_TEST(load_conn_request_says_what_charon_needs)
{
    static struct step steps[1];
    struct script s;
    struct vici_client c;
    struct vici_packet p;
    struct vici_tree t;
    const struct vici_node *n;
    uint8_t *req;
    size_t len;
    struct vici_conn_spec spec = {
        .name = "flow-1", .local_addr = "2001:db8::1", .remote_addr = "2001:db8::2", .protocol = 17,
        .local_port = 0, .remote_port = 500, .mode = VICI_MODE_TUNNEL, .auth = VICI_AUTH_PSK,
        .esp_proposals = "aes256gcm16,,chacha20poly1305", .trap = 1,
    };

    memset(steps, 0, sizeof(steps));
    add_packet(&steps[0], VICI_CMD_RESPONSE, NULL, success);
    start(&s, steps, 1);
    ck_assert_int_eq(vici_client_open(&c, s.path, 2000), VICI_OK);
    ck_assert_int_eq(vici_load_conn(&c, &spec), VICI_OK);
    vici_client_close(&c);
    req = stop(&s, &len);
    ck_assert_int_eq(vici_packet_parse(req + 4, len - 4, &p), VICI_OK);
    ck_assert_str_eq(p.name, "load-conn");
    ck_assert_int_eq(vici_tree_parse(p.msg, p.msg_len, NULL, &t), VICI_OK);
    ck_assert_str_eq(vici_find_str(t.root, "flow-1/version"), "2");
    ck_assert_str_eq((const char *)vici_find(t.root, "flow-1/local_addrs")->first_child->value, "2001:db8::1");
    ck_assert_str_eq(vici_find_str(t.root, "flow-1/local/auth"), "psk");
    ck_assert_str_eq(vici_find_str(t.root, "flow-1/remote/id"), "2001:db8::2");
    ck_assert_ptr_null(vici_find(t.root, "flow-1/proposals"));
    ck_assert_str_eq(vici_find_str(t.root, "flow-1/children/flow-1/mode"), "tunnel");
    ck_assert_str_eq(vici_find_str(t.root, "flow-1/children/flow-1/start_action"), "trap");
    ck_assert_str_eq((const char *)vici_find(t.root, "flow-1/children/flow-1/local_ts")->first_child->value, "2001:db8::1/128[17]");
    ck_assert_str_eq((const char *)vici_find(t.root, "flow-1/children/flow-1/remote_ts")->first_child->value,
                     "2001:db8::2/128[17/500]");
    n = vici_find(t.root, "flow-1/children/flow-1/esp_proposals");
    ck_assert_uint_eq(n->n_children, 2);
    ck_assert_str_eq((const char *)n->first_child->value, "aes256gcm16");
    ck_assert_str_eq((const char *)n->last_child->value, "chacha20poly1305");
    vici_tree_free(&t);
    free(req);
}
END_TEST

START_TEST(bad_arguments_never_reach_the_socket)
{
    struct vici_client c;
    struct vici_conn_spec spec = { .name = "x", .local_addr = "10.0.0.1", .remote_addr = "not-an-address" };

    ck_assert_int_eq(vici_client_open(&c, "/nonexistent/charon.vici", 100), VICI_E_IO);
    ck_assert_ptr_nonnull(strstr(c.errmsg, "/nonexistent/charon.vici"));
    /* Argument checks come before the broken connection is noticed. */
    ck_assert_int_eq(vici_load_conn(&c, &spec), VICI_E_USAGE);
    spec.remote_addr = "10.0.0.2";
    spec.remote_port = 80;
    ck_assert_int_eq(vici_load_conn(&c, &spec), VICI_E_USAGE);
    spec.protocol = 6;
    spec.auth = VICI_AUTH_PUBKEY;
    ck_assert_int_eq(vici_load_conn(&c, &spec), VICI_E_USAGE);
    ck_assert_int_eq(vici_terminate(&c, NULL, NULL, 0), VICI_E_USAGE);
    ck_assert_int_eq(vici_version(&c, &(struct vici_version){ 0 }), VICI_E_IO);
    vici_client_close(&c);
}
END_TEST

Suite *vici_client_suite(void)
{
    Suite *s = suite_create("vici_client");
    TCase *tc = tcase_create("transport");

    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, events_before_the_response_go_to_the_callback);
    tcase_add_test(tc, unknown_command_and_event_keep_the_connection);
    tcase_add_test(tc, silence_times_out_and_breaks_the_connection);
    tcase_add_test(tc, waiting_for_events);
    tcase_add_test(tc, bad_answers_are_refused);
    tcase_add_test(tc, load_conn_request_says_what_charon_needs);
    tcase_add_test(tc, bad_arguments_never_reach_the_socket);
    suite_add_tcase(s, tc);
    return s;
}
