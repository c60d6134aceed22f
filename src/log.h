/* SPDX-License-Identifier: ISC */
/*
 * log: one-line messages on stderr, the only way osbroker reports at run time.
 *
 * Under spawn-fcgi and plain CGI, fd 2 is the process's real stderr (never the
 * FastCGI error stream), so lines land in the launcher's log file or the web
 * server's error log.  Secrets never reach this module: callers pass ids,
 * statuses and field names, never bodies, credentials or Authorization values.
 * log_clean() exists for values that come from the platform (request identity):
 * it keeps printable ASCII only and bounds the length, so a header cannot
 * forge log lines.
 */
#ifndef OSB_LOG_H
#define OSB_LOG_H

#include <stddef.h>

void log_init(const char *progname);
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line of the len bytes of text as they are, after log_msg()'s head
 * and cut where log_msg() would cut it: for a line made by the caller
 * (a request's, made of ids, numbers and log_clean()ed values) without
 * formatting it twice. */
void log_text(const char *text, size_t len);

/* Copy src into dst (dstlen bytes), replacing anything but printable ASCII
 * with '?' and truncating; dst is always NUL-terminated. */
void log_clean(char *dst, size_t dstlen, const char *src);

#endif
