/* SPDX-License-Identifier: ISC */
/*
 * log: see log.h.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static const char *prog = "osbroker";

/* What every line starts with ("2026-01-02T03:04:05Z osbroker[123]: "),
 * kept from line to line and made again when the second or the process
 * changes: getpid() is a system call (glibc does not cache it), and a
 * worker writes a line per request.  A forked child forgets its pid
 * (log_forked()). */
static int	 pid_cached;	/* log_init() could register log_forked() */
static pid_t	 pid;		/* 0: not known yet */
static time_t	 head_when = (time_t)-1;
static pid_t	 head_pid;
static char	 head[160];
static size_t	 head_len;

static void
log_forked(void)
{
	pid = 0;
}

void
log_init(const char *progname)
{
	prog = progname;
	head_when = (time_t)-1;
	if (!pid_cached && pthread_atfork(NULL, NULL, log_forked) == 0)
		pid_cached = 1;
}

#define LOG_LINE	2048	/* bytes of a line, its '\n' included */

/* The head of a line now into line (LOG_LINE bytes); its length, or -1
 * when it could not be made. */
static int
line_head(char *line)
{
	char		 ts[32];
	time_t		 now = time(NULL);
	struct tm	 tm;
	pid_t		 me;
	int		 n;

	if (!pid_cached || (me = pid) == 0) {
		me = getpid();
		if (pid_cached)
			pid = me;
	}
	if (now != head_when || me != head_pid) {
		util_gmtime(now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(head, sizeof(head), "%s %s[%ld]: ", ts, prog,
		    (long)me);
		if (n < 0 || (size_t)n >= sizeof(head))
			return -1;
		head_len = (size_t)n;
		head_when = now;
		head_pid = me;
	}
	memcpy(line, head, head_len);
	return (int)head_len;
}

/* The line of n bytes (at most LOG_LINE - 1: room for its '\n'). */
static void
line_write(char *line, size_t n)
{
	line[n++] = '\n';
	/* One write(2) per line keeps lines of concurrent workers whole. */
	(void)!write(STDERR_FILENO, line, n);
}

void
log_msg(const char *fmt, ...)
{
	char		 line[LOG_LINE];
	va_list		 ap;
	int		 n, m;

	if ((n = line_head(line)) == -1)
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line_write(line, (size_t)n);
}

void
log_text(const char *text, size_t len)
{
	char	 line[LOG_LINE];
	int	 n;

	if ((n = line_head(line)) == -1)
		return;
	if (len > sizeof(line) - 2 - (size_t)n)
		len = sizeof(line) - 2 - (size_t)n;
	memcpy(line + n, text, len);
	line_write(line, (size_t)n + len);
}

void
log_clean(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	if (dstlen == 0)
		return;
	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}
