/* SPDX-License-Identifier: ISC */
/*
 * test_log: the lines log_msg() writes name the process that wrote them,
 * a forked child too (the pid is remembered between lines and forgotten at
 * fork), and log_clean() keeps printable ASCII only; log_text() writes
 * what log_msg("%s") writes, a line too long for one cut at the same
 * byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

/* The text written to fd since offset 0, in buf. */
static void
slurp(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

static void
pids(void)
{
	char	 path[] = "/tmp/osb-test-log.XXXXXX", buf[4096], want[64];
	int	 fd, saved, status;
	pid_t	 child;

	if ((fd = mkstemp(path)) == -1 || (saved = dup(STDERR_FILENO)) == -1) {
		perror("mkstemp");
		exit(2);
	}
	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_init("tlog");
	log_msg("first %d", 1);
	log_msg("second");
	if ((child = fork()) == 0) {
		log_msg("from the child");
		_exit(0);
	}
	waitpid(child, &status, 0);
	log_msg("third");
	dup2(saved, STDERR_FILENO);
	close(saved);
	slurp(fd, buf, sizeof(buf));
	close(fd);

	snprintf(want, sizeof(want), " tlog[%ld]: first 1\n", (long)getpid());
	CHECK(strstr(buf, want) != NULL, "a line names its process");
	snprintf(want, sizeof(want), " tlog[%ld]: second\n", (long)getpid());
	CHECK(strstr(buf, want) != NULL, "the next line names it too (remembered)");
	snprintf(want, sizeof(want), " tlog[%ld]: from the child\n",
	    (long)child);
	CHECK(strstr(buf, want) != NULL, "a forked child's line names the child, "
	    "not its parent");
	snprintf(want, sizeof(want), " tlog[%ld]: third\n", (long)getpid());
	CHECK(strstr(buf, want) != NULL, "the parent's lines after the fork "
	    "name the parent");
	CHECK(buf[0] >= '2' && buf[0] <= '9' && buf[4] == '-' && buf[10] == 'T' &&
	    buf[19] == 'Z', "a line starts with its UTC time");
}

static void
clean(void)
{
	char out[8];

	log_clean(out, sizeof(out), "a\tb\x7f" "c\xc3\xa9");
	CHECK_STR(out, "a?b?c??", "control bytes and non-ASCII become '?'");
	log_clean(out, 4, "abcdef");
	CHECK_STR(out, "abc", "cut to the buffer, NUL-terminated");
	log_clean(out, sizeof(out), NULL);
	CHECK_STR(out, "", "NULL is the empty string");
}

/* The lines written by fn(arg) (stderr to a file), in buf. */
static void
capture(void (*fn)(const char *), const char *arg, char *buf, size_t len)
{
	char	 path[] = "/tmp/osb-test-log.XXXXXX";
	int	 fd, saved;

	if ((fd = mkstemp(path)) == -1 || (saved = dup(STDERR_FILENO)) == -1) {
		perror("mkstemp");
		exit(2);
	}
	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn(arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	slurp(fd, buf, len);
	close(fd);
}

static void
by_msg(const char *s)
{
	log_msg("%s", s);
}

static void
by_text(const char *s)
{
	log_text(s, strlen(s));
}

static void
text(void)
{
	static char	 big[5000], a[8192], b[8192];
	size_t		 n;

	memset(big, 'x', sizeof(big) - 1);
	for (n = 0; n < 3; n++) {
		big[n == 0 ? 10 : n == 1 ? 2000 : sizeof(big) - 1] = '\0';
		/* The same second, almost always: compare after the time. */
		capture(by_msg, big, a, sizeof(a));
		capture(by_text, big, b, sizeof(b));
		CHECK(strlen(a) > 20 && strcmp(a + 20, b + 20) == 0,
		    "log_text writes what log_msg(\"%%s\") writes (%zu bytes)",
		    strlen(big));
		big[n == 0 ? 10 : n == 1 ? 2000 : sizeof(big) - 1] = 'x';
	}
}

int
main(void)
{
	pids();
	text();
	clean();
	return tap_done();
}
