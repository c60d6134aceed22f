/* SPDX-License-Identifier: ISC */
/*
 * test_throttle: the budget of failed authentications per address
 * (throttle.h): SipHash-2-4's published vectors; an address may fail its
 * budget, then waits (the Retry-After) while others do not; one failure
 * comes back every window/budget, the whole budget after a window;
 * refusals do not extend the wait; IPv6 counts by /64, an IPv4-mapped
 * address as its IPv4; one log line per address and minute with the
 * refusals in between; processes with mappings of their own share the
 * counts; a flood of fresh addresses does not wash out a guesser, and the
 * file keeps its size; a clock set back waits at most one window; the
 * file 0600, its counts surviving a reopen, a damaged one replaced.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "limits.h"
#include "tap.h"
#include "throttle.h"
#include "tmpdir.h"

#define CHILDREN	4

static struct throttle *
open_ok(const char *dir, unsigned budget, unsigned window)
{
	struct throttle	*t;
	char		 err[256];

	if ((t = throttle_open(dir, budget, window, err, sizeof(err))) == NULL)
		printf("# throttle_open: %s\n", err);
	return t;
}

static void
fail_n(struct throttle *t, const char *addr, int n, uint64_t now)
{
	while (n-- > 0)
		throttle_failed(t, addr, now);
}

static int
children_fail(const char *dir, const char *addr, int each)
{
	pid_t	 pids[CHILDREN];
	int	 i, st, ok = 1;

	fflush(stdout);
	for (i = 0; i < CHILDREN; i++)
		if ((pids[i] = fork()) == 0) {
			struct throttle *c = open_ok(dir, 20, 1000);

			if (c == NULL)
				_exit(1);
			fail_n(c, addr, each, throttle_now());
			throttle_close(c);
			_exit(0);
		}
	for (i = 0; i < CHILDREN; i++)
		if (pids[i] == -1 || waitpid(pids[i], &st, 0) == -1 ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			ok = 0;
	return ok;
}

int
main(void)
{
	static const uint64_t key[2] = {
		UINT64_C(0x0706050403020100), UINT64_C(0x0f0e0d0c0b0a0908)
	};
	unsigned char	 msg[15];
	char		 dir[256], path[512], addr[64];
	struct throttle	*t, *u;
	struct stat	 sb, sb2;
	uint64_t	 t0;
	unsigned	 n, i, w;
	int		 fd, logged;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	CHECK(throttle_siphash(key, msg, 0) == UINT64_C(0x726fdb47dd0e0e31),
	    "SipHash-2-4 of the empty message (the reference vectors)");
	CHECK(throttle_siphash(key, msg, 15) == UINT64_C(0xa129ca6149be45e5),
	    "SipHash-2-4 of 15 bytes (the paper's example)");

	tmp_make(dir, sizeof(dir), "throttle");
	snprintf(path, sizeof(path), "%s/%s", dir, OSB_THROTTLE_FILE);
	CHECK(throttle_open(dir, 0, 60, addr, sizeof(addr)) == NULL,
	    "a budget of 0 is refused (the caller does not open it then)");
	CHECK((t = open_ok(dir, 5, 10)) != NULL, "opened: 5 failures in 10 s");
	CHECK(stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0600, "the file is a regular file, 0600");

	/* 5 in 10 s: one comes back every 2 s. */
	t0 = throttle_now() + 1000;
	CHECK(throttle_wait(t, "192.0.2.1", t0) == 0, "a new address waits 0");
	fail_n(t, "192.0.2.1", 4, t0);
	CHECK(throttle_wait(t, "192.0.2.1", t0) == 0,
	    "after 4 failures of 5 it may still fail");
	throttle_failed(t, "192.0.2.1", t0);
	CHECK((w = throttle_wait(t, "192.0.2.1", t0)) == 2,
	    "after 5 it waits 2 s (got %u)", w);
	CHECK(throttle_wait(t, "192.0.2.2", t0) == 0,
	    "another address is not held back");
	CHECK(throttle_wait(t, "192.0.2.1", t0 + 1500) == 1,
	    "1.5 s later: 1 s more (rounded up)");
	CHECK(throttle_wait(t, "192.0.2.1", t0 + 2000) == 0,
	    "2 s later: one failure came back");
	throttle_failed(t, "192.0.2.1", t0 + 2000);
	CHECK(throttle_wait(t, "192.0.2.1", t0 + 2000) == 2,
	    "and spending it waits 2 s again");
	for (i = 0; i < 50; i++)
		(void)throttle_wait(t, "192.0.2.1", t0 + 2100);
	CHECK(throttle_wait(t, "192.0.2.1", t0 + 4000) == 0,
	    "refusals meanwhile do not extend the wait");
	CHECK(throttle_wait(t, "192.0.2.1", t0 + 12000) == 0,
	    "a window later it waits 0");
	fail_n(t, "192.0.2.1", 4, t0 + 12000);
	CHECK(throttle_wait(t, "192.0.2.1", t0 + 12000) == 0,
	    "the whole budget came back after a window (4 of 5 spent)");
	throttle_failed(t, "192.0.2.1", t0 + 12000);
	CHECK(throttle_wait(t, "192.0.2.1", t0 + 12000) == 2,
	    "the 5th spends it");

	/* Who is one client. */
	fail_n(t, "2001:db8:1:2::1", 5, t0);
	CHECK(throttle_wait(t, "2001:db8:1:2:ffff::9", t0) == 2,
	    "IPv6: another address of the same /64 shares the budget");
	CHECK(throttle_wait(t, "2001:db8:1:3::1", t0) == 0,
	    "IPv6: another /64 does not");
	fail_n(t, "::ffff:198.51.100.7", 5, t0);
	CHECK(throttle_wait(t, "198.51.100.7", t0) == 2,
	    "an IPv4-mapped IPv6 address counts as its IPv4 address");
	fail_n(t, "unix:", 5, t0);
	CHECK(throttle_wait(t, "unix:", t0) == 2 &&
	    throttle_wait(t, "", t0) == 0 && throttle_wait(t, NULL, t0) == 0,
	    "text that is no address is a client of its own");

	/* One log line per address and minute. */
	t0 = (throttle_now() / 60000 + 2) * 60000;	/* a minute's start */
	fail_n(t, "203.0.113.9", 5, t0);
	logged = throttle_refused(t, "203.0.113.9", t0, &n);
	CHECK(logged == 1 && n == 1, "the first refusal is logged (1)");
	for (i = 0, logged = 0; i < 3; i++)
		logged += throttle_refused(t, "203.0.113.9", t0 + 1000 * i, &n);
	CHECK(logged == 0, "3 more in the same minute are not");
	fail_n(t, "203.0.113.10", 5, t0);
	CHECK(throttle_refused(t, "203.0.113.10", t0 + 5000, &n) == 1 &&
	    n == 1, "another address's first refusal is logged");
	logged = throttle_refused(t, "203.0.113.9", t0 + 60000, &n);
	CHECK(logged == 1 && n == 4,
	    "the next minute's first is, with the 3 and itself (%u)", n);
	CHECK(throttle_refused(t, "203.0.113.9", t0 + 61000, &n) == 0,
	    "then not again that minute");
	CHECK(throttle_refused(NULL, "x", t0, &n) == 1 && n == 1 &&
	    throttle_wait(NULL, "x", t0) == 0,
	    "without a table: never held back");
	throttle_failed(NULL, "x", t0);		/* must not crash */

	/* A flood of fresh addresses, each failing once, more of them than
	 * the table has slots: the guesser over its budget stays so. */
	t0 = throttle_now();
	fail_n(t, "192.0.2.200", 5, t0);
	for (i = 0; i < 3 * OSB_THROTTLE_SLOTS; i++) {
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", i >> 16 & 255,
		    i >> 8 & 255, i & 255);
		throttle_failed(t, addr, t0 + 1);
	}
	CHECK(throttle_wait(t, "192.0.2.200", t0 + 1) == 2,
	    "%u fresh addresses do not wash out a guesser",
	    3 * OSB_THROTTLE_SLOTS);
	CHECK(stat(path, &sb2) == 0 && sb2.st_size == sb.st_size,
	    "the file keeps its size (%lld bytes)", (long long)sb.st_size);
	/* Spent slots are taken again: every one of a new flood's addresses
	 * that is over budget is remembered as such. */
	for (i = 0, n = 0; i < OSB_THROTTLE_SLOTS / 16; i++) {
		snprintf(addr, sizeof(addr), "172.16.%u.%u", i >> 8, i & 255);
		fail_n(t, addr, 5, t0 + 30000);
		n += throttle_wait(t, addr, t0 + 30000) == 2;
	}
	CHECK(n == OSB_THROTTLE_SLOTS / 16, "a window later, %u new guessers "
	    "each over budget (%u remembered)", OSB_THROTTLE_SLOTS / 16, n);

	/* Failures counted an hour ahead, then the clock set back: at
	 * most a window's wait. */
	fail_n(t, "192.0.2.201", 5, t0 + 3600000);
	CHECK(throttle_wait(t, "192.0.2.201", t0) == 10,
	    "a clock set back waits at most one window");

	/* Other processes, each with its own mapping, count together: four
	 * children failing 5 times each (20 of a budget of 20) put the
	 * address over; 4 each (16) do not. */
	throttle_close(t);
	CHECK(children_fail(dir, "192.0.2.77", 5) &&
	    children_fail(dir, "192.0.2.78", 4), "%d children counted",
	    CHILDREN);
	CHECK((t = open_ok(dir, 20, 1000)) != NULL, "reopened");
	CHECK(throttle_wait(t, "192.0.2.77", throttle_now()) > 0,
	    "4 processes x 5 failures spend a budget of 20");
	CHECK(throttle_wait(t, "192.0.2.78", throttle_now()) == 0,
	    "4 x 4 do not");
	CHECK((u = open_ok(dir, 20, 1000)) != NULL &&
	    throttle_wait(u, "192.0.2.77", throttle_now()) > 0,
	    "a second handle in this process sees the same");
	throttle_close(u);
	throttle_close(t);

	/* Damaged: a file of the right size with another magic. */
	fd = open(path, O_WRONLY);
	CHECK(fd != -1 && pwrite(fd, "XXXXXXXX", 8, 0) == 8, "magic damaged");
	if (fd != -1)
		close(fd);
	CHECK((t = open_ok(dir, 20, 1000)) != NULL &&
	    throttle_wait(t, "192.0.2.77", throttle_now()) == 0,
	    "a damaged file is replaced by an empty one");
	throttle_close(t);
	chmod(path, 0644);
	CHECK((t = open_ok(dir, 20, 1000)) != NULL && stat(path, &sb) == 0 &&
	    (sb.st_mode & 0777) == 0600,
	    "a file others may read (its key) is replaced, 0600");
	throttle_close(t);
	snprintf(path, sizeof(path), "%s/missing/deeper", dir);
	CHECK(throttle_open(path, 5, 10, addr, sizeof(addr)) == NULL &&
	    addr[0] != '\0', "a directory that does not exist: NULL, a reason");
	throttle_close(NULL);
	tmp_remove(dir);
	return tap_done();
}
