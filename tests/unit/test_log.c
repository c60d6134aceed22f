/* SPDX-License-Identifier: ISC */
/*
 * test_log: the lines log_msg() writes name the process that wrote them,
 * a forked child too (the pid is remembered between lines and forgotten at
 * fork), and log_clean() keeps printable ASCII only.
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

int
main(void)
{
	pids();
	clean();
	return tap_done();
}
