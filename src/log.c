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

/* What every line starts with, kept from line to line: getpid() is a
 * system call (glibc does not cache it), and a worker writes a line per
 * request.  A forked child forgets it (log_forked()). */
static int	 pid_cached;	/* log_init() could register log_forked() */
static pid_t	 pid;		/* 0: not known yet */
static time_t	 ts_when = (time_t)-1;
static char	 ts[32];

static void
log_forked(void)
{
	pid = 0;
}

void
log_init(const char *progname)
{
	prog = progname;
	if (!pid_cached && pthread_atfork(NULL, NULL, log_forked) == 0)
		pid_cached = 1;
}

void
log_msg(const char *fmt, ...)
{
	char		 line[2048];
	va_list		 ap;
	time_t		 now = time(NULL);
	struct tm	 tm;
	pid_t		 me;
	int		 n, m;

	if (now != ts_when) {
		util_gmtime(now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		ts_when = now;
	}
	if (!pid_cached || (me = pid) == 0) {
		me = getpid();
		if (pid_cached)
			pid = me;
	}
	n = snprintf(line, sizeof(line), "%s %s[%ld]: ", ts, prog, (long)me);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write(2) per line keeps lines of concurrent workers whole. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
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
