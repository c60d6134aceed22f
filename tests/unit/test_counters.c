/* SPDX-License-Identifier: ISC */
/*
 * test_counters: the host's counters file (counters.h): created 0600 with
 * its header; counts survive a reopen; a damaged, short or foreign file is
 * replaced by a fresh one; a symbolic link in its place is not followed;
 * increments from forked children, each with its own mapping, add up
 * exactly; a request lands in its status's slot (the last one for a
 * status not listed) and its duration's bucket.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "counters.h"
#include "tap.h"
#include "tmpdir.h"

#define CHILDREN	4
#define ADDS		20000

static int
open_ok(const char *dir)
{
	char err[256];

	if (counters_open(dir, err, sizeof(err)) == -1) {
		printf("# counters_open: %s\n", err);
		return 0;
	}
	return 1;
}

static void
overwrite(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600);

	if (fd == -1 || write(fd, data, len) != (ssize_t)len)
		printf("# cannot write %s\n", path);
	if (fd != -1)
		close(fd);
}

int
main(void)
{
	char		 dir[256], path[512], magic[8];
	struct stat	 sb;
	pid_t		 pids[CHILDREN];
	int		 i, j, st, fd, all_ok;
	unsigned	 s;

	tmp_make(dir, sizeof(dir), "counters");
	snprintf(path, sizeof(path), "%s/%s", dir, OSB_COUNTERS_FILE);

	CHECK(!counters_ready() && counters_get(C_HOOK_RUNS) == 0,
	    "before counters_open(): nothing mapped, reads 0");
	counters_add(C_HOOK_RUNS, 1);	/* must not crash */
	CHECK(open_ok(dir), "counters_open() creates the file");
	CHECK(stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0600, "the file is a regular file, 0600");
	fd = open(path, O_RDONLY);
	CHECK(fd != -1 && read(fd, magic, 8) == 8 &&
	    memcmp(magic, COUNTERS_MAGIC, 8) == 0, "it starts with the magic");
	if (fd != -1)
		close(fd);
	CHECK(counters_get(C_HOOK_RUNS) == 0, "a new file counts 0");

	counters_add(C_HOOK_RUNS, 3);
	counters_add(C_AUTH_FAILURES, 1);
	counters_close();
	CHECK(open_ok(dir) && counters_get(C_HOOK_RUNS) == 3 &&
	    counters_get(C_AUTH_FAILURES) == 1, "counts survive a reopen");
	CHECK(counters_get(COUNTERS_NSLOTS) == 0, "a slot out of range reads 0");
	counters_add(COUNTERS_NSLOTS + 5, 1);	/* ignored */

	/* Forked children each map the file anew and add concurrently. */
	counters_close();
	fflush(stdout);		/* or each child prints it again */
	for (i = 0; i < CHILDREN; i++) {
		if ((pids[i] = fork()) == 0) {
			char err[256];

			if (counters_open(dir, err, sizeof(err)) == -1)
				_exit(1);
			for (j = 0; j < ADDS; j++) {
				counters_add(C_HOOK_FAILURES, 1);
				counters_request(0, 200, 700);
			}
			_exit(0);
		}
	}
	all_ok = 1;
	for (i = 0; i < CHILDREN; i++)
		if (pids[i] == -1 || waitpid(pids[i], &st, 0) == -1 ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			all_ok = 0;
	CHECK(all_ok, "%d children added %d times each", CHILDREN, ADDS);
	CHECK(open_ok(dir), "reopened after the children");
	CHECK(counters_get(C_HOOK_FAILURES) == (uint64_t)CHILDREN * ADDS,
	    "concurrent increments add up exactly: %llu",
	    (unsigned long long)counters_get(C_HOOK_FAILURES));
	CHECK(counters_get(counters_req_slot(0, 0)) ==
	    (uint64_t)CHILDREN * ADDS, "requests of status 200 add up");
	/* 700 us: the second bucket (500 < 700 <= 1000). */
	CHECK(counters_get(counters_hist_slot(0, 1)) ==
	    (uint64_t)CHILDREN * ADDS && counters_get(counters_hist_slot(0,
	    0)) == 0, "their durations are in the 1 ms bucket");
	CHECK(counters_get(counters_hist_slot(0, COUNTERS_BUCKETS + 1)) ==
	    (uint64_t)CHILDREN * ADDS * 700, "the sum of microseconds");
	CHECK(counters_get(counters_hist_slot(0, COUNTERS_BUCKETS + 2)) ==
	    (uint64_t)CHILDREN * ADDS, "the count");

	counters_request(1, 418, 20000000);
	CHECK(counters_get(counters_req_slot(1, COUNTERS_STATUSES - 1)) == 1,
	    "a status not listed counts as other");
	CHECK(counters_get(counters_hist_slot(1, COUNTERS_BUCKETS)) == 1,
	    "20 s is in the +Inf bucket");
	s = counters_req_slot(COUNTERS_ENDPOINTS, 0);
	CHECK(s == COUNTERS_NSLOTS, "an endpoint out of range has no slot");

	/* Damaged: garbage of the right size, a short file, another version,
	 * a symbolic link: each replaced by a fresh file counting 0. */
	counters_close();
	{
		static char junk[8192];
		struct {
			const char	*what;
			size_t		 len;
		} bad[] = {
			{ "garbage of any size", 100 },
			{ "an empty file", 0 },
			{ "a file as long as a real one, but not one", 0 },
		};
		long size;

		memset(junk, 'x', sizeof(junk));
		size = (long)sb.st_size;
		bad[2].len = (size_t)size <= sizeof(junk) ? (size_t)size : 0;
		for (i = 0; i < 3; i++) {
			overwrite(path, junk, bad[i].len);
			CHECK(open_ok(dir) && counters_get(C_HOOK_FAILURES) == 0,
			    "%s is replaced by a fresh file", bad[i].what);
			fd = open(path, O_RDONLY);
			CHECK(fd != -1 && read(fd, magic, 8) == 8 &&
			    memcmp(magic, COUNTERS_MAGIC, 8) == 0,
			    "%s: the new file has the header",
			    bad[i].what);
			if (fd != -1)
				close(fd);
			counters_add(C_HOOK_FAILURES, 7);
			counters_close();
		}
	}
	/* A file of another version: the header's version field. */
	{
		uint32_t v = COUNTERS_VERSION + 1;

		fd = open(path, O_WRONLY);
		CHECK(fd != -1 && pwrite(fd, &v, sizeof(v), 8) == sizeof(v),
		    "version changed in place");
		if (fd != -1)
			close(fd);
		CHECK(open_ok(dir) && counters_get(C_HOOK_FAILURES) == 0,
		    "a file of another version is replaced");
		counters_close();
	}
	/* Others may read or write it: replaced, and the new one is 0600. */
	chmod(path, 0666);
	CHECK(open_ok(dir) && stat(path, &sb) == 0 &&
	    (sb.st_mode & 0777) == 0600, "a file others may write is replaced");
	counters_close();
	{
		char target[600];

		snprintf(target, sizeof(target), "%s/elsewhere", dir);
		overwrite(target, "keep", 4);
		unlink(path);
		CHECK(symlink(target, path) == 0, "a symbolic link planted");
		CHECK(open_ok(dir) && lstat(path, &sb) == 0 &&
		    S_ISREG(sb.st_mode), "a symbolic link is replaced by a file");
		fd = open(target, O_RDONLY);
		CHECK(fd != -1 && read(fd, magic, 8) == 4 &&
		    memcmp(magic, "keep", 4) == 0,
		    "the link's target is untouched");
		if (fd != -1)
			close(fd);
		counters_close();
	}
	snprintf(path, sizeof(path), "%s/missing/deeper", dir);
	{
		char err[256];

		CHECK(counters_open(path, err, sizeof(err)) == -1 &&
		    err[0] != '\0' && !counters_ready(),
		    "a directory that does not exist: -1 with a reason");
	}
	tmp_remove(dir);
	return tap_done();
}
