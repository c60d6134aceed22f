/* SPDX-License-Identifier: ISC */
/*
 * test_syncshare: the shared flush numbers (syncshare.h).  A fresh file is
 * 0600 with both numbers 0; a commit nobody covers must be flushed by its
 * caller at once, whatever the timeout; a durable commit needs nothing; a
 * waiter whose commit another process's flush covers sleeps until that
 * process reports, and is then done without flushing; a covering flush
 * that never reports (its process died) sends the waiter to flush itself
 * after the timeout; a reset wakes a waiter and leaves it to flush; the
 * numbers only grow; another data file (inode) gets a fresh file.  The
 * writers' lock: a waiter sleeps while the lock holder's claim covers its
 * commit, is done when that holder's commit flushed, and flushes itself
 * when the holder's transaction ended without a flush; a writer counted as
 * waiting for the lock that never claims it holds a waiter only
 * SYNCSHARE_QUEUE_MS, after which the count is forgotten.  Every wait is
 * guarded by alarm(), so a lost wake-up fails instead of hanging.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "syncshare.h"
#include "tap.h"
#include "tmpdir.h"

static struct syncshare *
open_ok(const char *dir, ino_t ino)
{
	struct syncshare	*s;
	char			 err[256];

	if ((s = syncshare_open(dir, 1, ino, err, sizeof(err))) == NULL)
		printf("# syncshare_open: %s\n", err);
	return s;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A child that maps the file itself, waits ms, then calls fn(n). */
static pid_t
later(const char *dir, int ms, void (*fn)(struct syncshare *, uint64_t),
    uint64_t n)
{
	pid_t pid;

	fflush(stdout);		/* the child prints nothing of ours again */
	if ((pid = fork()) == 0) {
		struct syncshare *s = open_ok(dir, 7);

		usleep((useconds_t)ms * 1000);
		if (s != NULL && fn != NULL)
			fn(s, n);
		syncshare_close(s);
		_exit(s == NULL);
	}
	return pid;
}

static void
done_flushed(struct syncshare *s, uint64_t n)
{
	syncshare_txn_done(s, n);
}

static void
done_clean(struct syncshare *s, uint64_t n)
{
	(void)n;
	syncshare_txn_done(s, 0);
}

static void
reset(struct syncshare *s, uint64_t n)
{
	(void)n;
	syncshare_reset(s);
}

static int
reaped(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0;
}

int
main(void)
{
	char			 dir[256], path[512];
	struct syncshare	*s, *other;
	struct stat		 sb;
	pid_t			 pid;
	double			 t0;
	int			 r;

	tmp_make(dir, sizeof(dir), "syncshare");
	snprintf(path, sizeof(path), "%s/%s", dir, OSB_SYNCSHARE_FILE);
	alarm(60);

	if ((s = open_ok(dir, 7)) == NULL) {
		CHECK(0, "syncshare_open in a fresh directory");
		return tap_done();
	}
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "a fresh file is made, mode 0600");
	CHECK(syncshare_durable(s) == 0 && syncshare_covered(s) == 0,
	    "a fresh file's numbers are 0");

	t0 = now();
	r = syncshare_wait(s, 3, 10000);
	CHECK(r == 0 && now() - t0 < 5,
	    "a commit no flush covers: flush yourself, without waiting");

	syncshare_synced(s, 5);
	CHECK(syncshare_durable(s) == 5 && syncshare_covered(s) == 5,
	    "a reported flush raises durable (and covering) to its commit");
	CHECK(syncshare_wait(s, 5, 0) == 1 && syncshare_wait(s, 4, 0) == 1,
	    "a commit at or below durable needs nothing");
	syncshare_synced(s, 2);
	syncshare_covering(s, 1);
	CHECK(syncshare_durable(s) == 5 && syncshare_covered(s) == 5,
	    "the numbers never go down");

	/* Another process is flushing what covers commit 9, and reports it
	 * 200 ms later: the wait sleeps until then and is done. */
	syncshare_covering(s, 9);
	pid = later(dir, 200, syncshare_synced, 9);
	t0 = now();
	r = syncshare_wait(s, 9, 20000);
	CHECK(r == 1 && now() - t0 >= 0.15 && now() - t0 < 15,
	    "a covered commit waits for the covering flush's report and is "
	    "durable without a flush of its own");
	CHECK(reaped(pid), "the reporting process mapped the same file");
	CHECK(syncshare_durable(s) == 9, "durable is the covering flush's commit");

	/* A report that covers less than the waiter's commit does not end
	 * its wait for the one that covers it. */
	syncshare_covering(s, 12);
	pid = later(dir, 100, syncshare_synced, 11);
	t0 = now();
	r = syncshare_wait(s, 12, 600);
	CHECK(r == 0 && now() - t0 >= 0.5,
	    "a report below the waiter's commit does not end the wait; the "
	    "timeout does, and the caller flushes");
	CHECK(reaped(pid), "that reporting process ran");

	/* The covering flush's process dies before it reports. */
	syncshare_covering(s, 20);
	pid = later(dir, 0, NULL, 0);
	CHECK(reaped(pid), "a process that claims nothing and exits");
	t0 = now();
	r = syncshare_wait(s, 20, 300);
	CHECK(r == 0 && now() - t0 >= 0.25,
	    "a covering flush that never reports: the caller flushes after "
	    "the timeout");

	/* A reset while a process waits: it is woken and flushes. */
	pid = later(dir, 200, reset, 0);
	t0 = now();
	r = syncshare_wait(s, 20, 20000);
	CHECK(r == 0 && now() - t0 < 15,
	    "a reset wakes the waiter, which flushes itself");
	CHECK(reaped(pid) && syncshare_durable(s) == 0 &&
	    syncshare_covered(s) == 0, "a reset sets both numbers to 0");

	/* The writers' lock.  Its holder claims commit 40 (its own id less
	 * one): a waiter for 40 sleeps until the holder's commit reports. */
	syncshare_want_lock(s);
	CHECK(syncshare_queued(s) == 1, "a writer asking for the lock is "
	    "counted");
	syncshare_got_lock(s, 40);
	CHECK(syncshare_queued(s) == 0 && syncshare_inflight(s) == 40,
	    "the writer that got the lock claims its flush and leaves the "
	    "queue");
	pid = later(dir, 200, done_flushed, 40);
	t0 = now();
	r = syncshare_wait(s, 40, 20000);
	CHECK(r == 1 && now() - t0 >= 0.15 && now() - t0 < 15,
	    "a commit the lock holder's flush covers waits for that commit "
	    "and is durable without a flush of its own");
	CHECK(reaped(pid) && syncshare_durable(s) == 40 &&
	    syncshare_inflight(s) == 0, "the holder's flushed commit raises "
	    "durable and ends its claim");

	/* The holder's transaction changed nothing: no flush, the waiter
	 * is woken and flushes. */
	syncshare_want_lock(s);
	syncshare_got_lock(s, 41);
	pid = later(dir, 200, done_clean, 0);
	t0 = now();
	r = syncshare_wait(s, 41, 20000);
	CHECK(r == 0 && now() - t0 >= 0.15 && now() - t0 < 15,
	    "a lock holder that flushed nothing wakes the waiter, which "
	    "flushes itself");
	CHECK(reaped(pid) && syncshare_durable(s) == 40,
	    "a transaction that flushed nothing leaves durable as it was");

	/* A writer counted in the queue that never claims (it died while
	 * waiting for the lock): the waiter gives up after the queue's
	 * short wait, and the count is forgotten. */
	syncshare_want_lock(s);
	t0 = now();
	r = syncshare_wait(s, 42, 20000);
	CHECK(r == 0 && now() - t0 >= (SYNCSHARE_QUEUE_MS - 1) / 1000.0 &&
	    now() - t0 < 15, "a queued writer that never claims holds the "
	    "waiter only SYNCSHARE_QUEUE_MS");
	CHECK(syncshare_queued(s) == 0, "and the stale count is forgotten");
	syncshare_want_lock(s);
	syncshare_no_lock(s);
	syncshare_no_lock(s);
	CHECK(syncshare_queued(s) == 0, "a writer that did not get the lock "
	    "leaves the queue, and the count never goes below 0");

	/* A second mapping in this process shares the numbers. */
	syncshare_synced(s, 50);
	other = open_ok(dir, 7);
	CHECK(other != NULL && syncshare_durable(other) == 50,
	    "another mapping of the same data file's numbers sees them");
	syncshare_close(other);

	/* Another data file: a fresh file, its numbers 0, while the old
	 * mapping stays valid. */
	other = open_ok(dir, 8);
	CHECK(other != NULL && syncshare_durable(other) == 0 &&
	    syncshare_durable(s) == 50,
	    "another data file (inode) gets a fresh file; the old mapping "
	    "keeps its numbers");
	syncshare_close(other);
	syncshare_close(s);

	snprintf(path, sizeof(path), "%s/missing/deeper", dir);
	{
		char err[256];

		CHECK(syncshare_open(path, 1, 7, err, sizeof(err)) == NULL &&
		    err[0] != '\0', "a directory that does not exist: NULL "
		    "with a reason");
	}
	tmp_remove(dir);
	return tap_done();
}
