/* secsockd's log: one line per event, to the runtime dir's log or stderr. */
#ifndef SECSOCKD_LOG_H
#define SECSOCKD_LOG_H

#include <stdio.h>

/* Where log lines go from now on (NULL: stderr). */
void log_open(FILE *file);
void log_line(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_info(...)  log_line("info", __VA_ARGS__)
#define log_warn(...)  log_line("warn", __VA_ARGS__)
#define log_error(...) log_line("error", __VA_ARGS__)

#endif
