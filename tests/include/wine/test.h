/*
 * secsock's conformance harness: the API and the output lines of Wine's
 * test harness (ok, todo_wine, broken, skip, win_skip, trace, contexts,
 * START_TEST and the summary line), written for this project.  A test
 * program includes it once and defines exactly one START_TEST.
 *
 * Environment: WINETEST_PLATFORM ("wine" or "windows", default windows),
 * WINETEST_DEBUG (default 1), WINETEST_REPORT_SUCCESS, WINETEST_TIME.
 */
#ifndef SECSOCK_WINE_TEST_H
#define SECSOCK_WINE_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static int winetest_debug = 1;
static int winetest_platform_is_wine;
static int winetest_report_success;
static int winetest_report_time;
static const char *winetest_name = "";
static DWORD winetest_start_ticks;

static volatile LONG winetest_successes, winetest_failures, winetest_todo_successes, winetest_todo_failures;
static volatile LONG winetest_skipped, winetest_flaky_failures;

/* Location and todo/flaky state of the check being made, per thread. */
struct winetest_thread {
    const char *file;
    int line;
    unsigned int todo_level;    /* a bit per nesting level: 1 = todo */
    int todo_do_loop;
    unsigned int flaky_level;
    int flaky_do_loop;
    int context_count;
    char context[8][128];
};
static DWORD winetest_tls = TLS_OUT_OF_INDEXES;
static CRITICAL_SECTION winetest_output_lock;

/* The harness must not disturb the last error a check is about to read
 * (TlsGetValue resets it). */
static struct winetest_thread *winetest_get_thread(void)
{
    DWORD last_error = GetLastError();
    struct winetest_thread *t = TlsGetValue(winetest_tls);
    if (!t)
    {
        t = calloc(1, sizeof(*t));
        TlsSetValue(winetest_tls, t);
    }
    SetLastError(last_error);
    return t;
}

static const char *winetest_basename(const char *file)
{
    const char *p = strrchr(file, '/'), *q = strrchr(file, '\\');
    if (q > p) p = q;
    return p ? p + 1 : file;
}

static void winetest_set_location(const char *file, int line)
{
    struct winetest_thread *t = winetest_get_thread();
    t->file = winetest_basename(file);
    t->line = line;
}

/* "file.c:123:<elapsed> " then the contexts, then the message. */
static void winetest_vprint(const char *kind, const char *fmt, va_list args)
{
    struct winetest_thread *t = winetest_get_thread();

    EnterCriticalSection(&winetest_output_lock);
    if (winetest_report_time)
        printf("%s:%d:%.3f %s", t->file, t->line, (GetTickCount() - winetest_start_ticks) / 1000.0, kind);
    else
        printf("%s:%d: %s", t->file, t->line, kind);
    for (int i = 0; i < t->context_count; i++) printf("%s: ", t->context[i]);
    vprintf(fmt, args);
    fflush(stdout);
    LeaveCriticalSection(&winetest_output_lock);
}

static void winetest_print(const char *kind, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    winetest_vprint(kind, fmt, args);
    va_end(args);
}

static int winetest_vok(int condition, const char *fmt, va_list args)
{
    struct winetest_thread *t = winetest_get_thread();

    if (t->todo_level & 1)
    {
        if (condition)
        {
            winetest_vprint("Test succeeded inside todo block: ", fmt, args);
            InterlockedIncrement(&winetest_todo_failures);
            return 0;
        }
        if (winetest_debug > 0) winetest_vprint("Test marked todo: ", fmt, args);
        InterlockedIncrement(&winetest_todo_successes);
        return 1;
    }
    if (!condition)
    {
        if (t->flaky_level & 1)
        {
            winetest_vprint("Test marked flaky: ", fmt, args);
            InterlockedIncrement(&winetest_flaky_failures);
            return 0;
        }
        winetest_vprint("Test failed: ", fmt, args);
        InterlockedIncrement(&winetest_failures);
        return 0;
    }
    if (winetest_report_success) winetest_vprint("Test succeeded\n", "", args);
    InterlockedIncrement(&winetest_successes);
    return 1;
}

static int __attribute__((format(printf, 2, 3))) winetest_ok(int condition, const char *fmt, ...)
{
    va_list args;
    int ret;
    va_start(args, fmt);
    ret = winetest_vok(condition, fmt, args);
    va_end(args);
    return ret;
}

static void __attribute__((format(printf, 1, 2))) winetest_trace(const char *fmt, ...)
{
    va_list args;
    if (winetest_debug <= 0) return;
    va_start(args, fmt);
    winetest_vprint("", fmt, args);
    va_end(args);
}

static void __attribute__((format(printf, 1, 2))) winetest_skip(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    winetest_vprint("Tests skipped: ", fmt, args);
    va_end(args);
    InterlockedIncrement(&winetest_skipped);
}

/* On Wine a win_skip is a failure: Wine must implement what it skips. */
static void __attribute__((format(printf, 1, 2))) winetest_win_skip(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    if (winetest_platform_is_wine)
    {
        winetest_vprint("Test failed: ", fmt, args);
        InterlockedIncrement(&winetest_failures);
    }
    else
    {
        winetest_vprint("Tests skipped: ", fmt, args);
        InterlockedIncrement(&winetest_skipped);
    }
    va_end(args);
}

static void winetest_start_todo(int is_todo)
{
    struct winetest_thread *t = winetest_get_thread();
    t->todo_level = (t->todo_level << 1) | (is_todo != 0);
    t->todo_do_loop = 1;
}

static int winetest_loop_todo(void)
{
    struct winetest_thread *t = winetest_get_thread();
    int do_loop = t->todo_do_loop;
    t->todo_do_loop = 0;
    return do_loop;
}

static void winetest_end_todo(void)
{
    winetest_get_thread()->todo_level >>= 1;
}

static void winetest_start_flaky(int is_flaky)
{
    struct winetest_thread *t = winetest_get_thread();
    t->flaky_level = (t->flaky_level << 1) | (is_flaky != 0);
    t->flaky_do_loop = 1;
}

static int winetest_loop_flaky(void)
{
    struct winetest_thread *t = winetest_get_thread();
    int do_loop = t->flaky_do_loop;
    t->flaky_do_loop = 0;
    return do_loop;
}

static void winetest_end_flaky(void)
{
    winetest_get_thread()->flaky_level >>= 1;
}

static void __attribute__((format(printf, 1, 2))) winetest_push_context(const char *fmt, ...)
{
    struct winetest_thread *t = winetest_get_thread();
    va_list args;

    if (t->context_count < 8)
    {
        va_start(args, fmt);
        vsnprintf(t->context[t->context_count], sizeof(t->context[0]), fmt, args);
        va_end(args);
    }
    t->context_count++;
}

static void winetest_pop_context(void)
{
    struct winetest_thread *t = winetest_get_thread();
    if (t->context_count) t->context_count--;
}

static LONG winetest_get_failures(void)
{
    return winetest_failures + winetest_todo_failures;
}

static int winetest_broken(int condition)
{
    return !winetest_platform_is_wine && condition;
}

static void winetest_init(const char *name)
{
    const char *p;

    winetest_name = name;
    /* Every line out at once: a test killed by the runner's timeout still
     * shows how far it got. */
    setvbuf(stdout, NULL, _IONBF, 0);
    winetest_start_ticks = GetTickCount();
    winetest_tls = TlsAlloc();
    InitializeCriticalSection(&winetest_output_lock);
    setvbuf(stdout, NULL, _IONBF, 0);
    if ((p = getenv("WINETEST_PLATFORM"))) winetest_platform_is_wine = !strcmp(p, "wine");
    if ((p = getenv("WINETEST_DEBUG"))) winetest_debug = atoi(p);
    if ((p = getenv("WINETEST_REPORT_SUCCESS"))) winetest_report_success = atoi(p);
    if ((p = getenv("WINETEST_TIME"))) winetest_report_time = atoi(p);
}

static int winetest_finish(void)
{
    LONG failures = winetest_failures + winetest_todo_failures;
    LONG executed = winetest_successes + winetest_failures + winetest_todo_successes + winetest_todo_failures +
                    winetest_flaky_failures;
    char elapsed[32] = "";

    if (winetest_report_time) snprintf(elapsed, sizeof(elapsed), "%.3f", (GetTickCount() - winetest_start_ticks) / 1000.0);
    printf("%04lx:%s:%s %ld tests executed (%ld marked as todo, %ld as flaky, %ld %s), %ld skipped.\n",
           (unsigned long)(GetCurrentProcessId() & 0xffff), winetest_name, elapsed, executed,
           winetest_todo_successes, winetest_flaky_failures, failures, failures == 1 ? "failure" : "failures",
           winetest_skipped);
    fflush(stdout);
    return failures > 255 ? 255 : (int)failures;
}

#define ok_(file, line)   (winetest_set_location(file, line), 0) ? 0 : winetest_ok
#define ok                ok_(__FILE__, __LINE__)
#define trace             (winetest_set_location(__FILE__, __LINE__), 0) ? (void)0 : winetest_trace
#define skip              (winetest_set_location(__FILE__, __LINE__), 0) ? (void)0 : winetest_skip
#define win_skip          (winetest_set_location(__FILE__, __LINE__), 0) ? (void)0 : winetest_win_skip
#define broken(cond)      winetest_broken(!!(cond))
#define todo_if(is_todo)  for (winetest_start_todo(is_todo); winetest_loop_todo(); winetest_end_todo())
#define todo_wine         todo_if(winetest_platform_is_wine)
#define todo_wine_if(c)   todo_if(winetest_platform_is_wine && (c))
#define flaky_if(c)       for (winetest_start_flaky(c); winetest_loop_flaky(); winetest_end_flaky())
#define flaky             flaky_if(1)
#define flaky_wine        flaky_if(winetest_platform_is_wine)
#define flaky_wine_if(c)  flaky_if(winetest_platform_is_wine && (c))

#define START_TEST(name) \
    static void func_##name(void); \
    int main(int argc, char **argv) \
    { \
        (void)argc; (void)argv; \
        winetest_init(#name); \
        func_##name(); \
        return winetest_finish(); \
    } \
    static void func_##name(void)

#endif
