/* secsockd's log. */
#include <stdarg.h>
#include <time.h>
#include <unistd.h>
#include "log.h"

static FILE *log_file;

void log_open(FILE *file)
{
    log_file = file;
}

void log_line(const char *level, const char *fmt, ...)
{
    FILE *out = log_file ? log_file : stderr;
    char stamp[32];
    struct tm tm;
    time_t now = time(NULL);
    va_list args;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out, "%s secsockd[%d] %s: ", stamp, (int)getpid(), level);
    va_start(args, fmt);
    vfprintf(out, fmt, args);
    va_end(args);
    fputc('\n', out);
    fflush(out);
}
