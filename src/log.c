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

void
log_msg(const char *fmt, ...)
{
	char		 line[2048], ts[32];
	va_list		 ap;
	time_t		 now = time(NULL);
	struct tm	 tm;
	pid_t		 me;
	int		 n, m;

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
			return;
		head_len = (size_t)n;
		head_when = now;
		head_pid = me;
	}
	memcpy(line, head, head_len);
	n = (int)head_len;
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
