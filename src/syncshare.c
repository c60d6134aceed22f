/* SPDX-License-Identifier: ISC */
/*
 * syncshare: see syncshare.h.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mapfile.h"
#include "syncshare.h"

#define MAGIC		"osbsync\0"
#define VERSION		2

struct header {
	char		magic[8];
	uint32_t	version;
	uint32_t	zero;
	uint64_t	dev;		/* the data file this file is for */
	uint64_t	ino;
	uint64_t	reserved[5];	/* the numbers start 64 bytes in */
};

struct shared {
	uint64_t	covering;
	uint64_t	durable;
	uint64_t	inflight;	/* the lock holder's claim, or 0 */
	uint32_t	seq;		/* futex word: +1 at every report */
	uint32_t	waiters;	/* processes in syncshare_wait() */
	uint32_t	queued;		/* processes asking for the lock */
};

#define FILE_SIZE	4096

struct syncshare {
	void		*map;
	struct shared	*sh;
};

struct syncshare *
syncshare_open(const char *dir, dev_t dev, ino_t ino, char *err,
    size_t errlen)
{
	struct syncshare	*s;
	struct header		 h;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, MAGIC, sizeof(h.magic));
	h.version = VERSION;
	h.dev = (uint64_t)dev;
	h.ino = (uint64_t)ino;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((s->map = mapfile_open(dir, OSB_SYNCSHARE_FILE, FILE_SIZE, &h,
	    sizeof(h), sizeof(h), err, errlen)) == NULL) {
		free(s);
		return NULL;
	}
	s->sh = (struct shared *)(void *)((char *)s->map + sizeof(h));
	return s;
}

void
syncshare_close(struct syncshare *s)
{
	if (s == NULL)
		return;
	mapfile_close(s->map, FILE_SIZE);
	free(s);
}

/* *p = max(*p, n) */
static void
raise_to(uint64_t *p, uint64_t n)
{
	uint64_t cur = __atomic_load_n(p, __ATOMIC_SEQ_CST);

	while (cur < n && !__atomic_compare_exchange_n(p, &cur, n, 0,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

static void
wake(struct shared *sh)
{
	__atomic_fetch_add(&sh->seq, 1, __ATOMIC_SEQ_CST);
	/* A waiter counts itself before it reads the numbers, and this
	 * reads its count after the numbers were written (both sequentially
	 * consistent): either it sees the new numbers or it is woken. */
	if (__atomic_load_n(&sh->waiters, __ATOMIC_SEQ_CST) != 0)
		(void)syscall(SYS_futex, &sh->seq, FUTEX_WAKE, INT_MAX, NULL,
		    NULL, 0);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L +
	    (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* What covers commit t now: 2 a flush claimed (outside the lock, or by
 * the lock holder), 1 only a writer waiting for the lock, 0 nothing. */
static int
claimed(const struct shared *sh, uint64_t t)
{
	if (__atomic_load_n(&sh->covering, __ATOMIC_SEQ_CST) >= t ||
	    __atomic_load_n(&sh->inflight, __ATOMIC_SEQ_CST) >= t)
		return 2;
	return __atomic_load_n(&sh->queued, __ATOMIC_SEQ_CST) != 0;
}

int
syncshare_wait(struct syncshare *s, uint64_t t, int timeout_ms)
{
	struct shared	*sh = s->sh;
	struct timespec	 t0, left;
	uint32_t	 seq;
	long		 ms;
	int		 done = 0, c;

	if (__atomic_load_n(&sh->durable, __ATOMIC_SEQ_CST) >= t)
		return 1;
	if (claimed(sh, t) == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	__atomic_fetch_add(&sh->waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		seq = __atomic_load_n(&sh->seq, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sh->durable, __ATOMIC_SEQ_CST) >= t) {
			done = 1;
			break;
		}
		if ((c = claimed(sh, t)) == 0)
			break;		/* released, or reset */
		ms = (c == 2 ? timeout_ms : SYNCSHARE_QUEUE_MS) -
		    ms_since(&t0);
		if (ms <= 0) {
			/* A writer counted as waiting for the lock that has
			 * not claimed in all that time died waiting: forget
			 * the count (a live one is only not counted). */
			if (c == 1)
				__atomic_store_n(&sh->queued, 0,
				    __ATOMIC_SEQ_CST);
			break;		/* or the flusher is gone */
		}
		left.tv_sec = ms / 1000;
		left.tv_nsec = (ms % 1000) * 1000000L;
		/* Returns when woken, at once when seq moved since it was
		 * read (EAGAIN), or at the timeout: the loop looks again. */
		(void)syscall(SYS_futex, &sh->seq, FUTEX_WAIT, seq, &left,
		    NULL, 0);
	}
	__atomic_fetch_sub(&sh->waiters, 1, __ATOMIC_SEQ_CST);
	return done;
}

void
syncshare_want_lock(struct syncshare *s)
{
	__atomic_fetch_add(&s->sh->queued, 1, __ATOMIC_SEQ_CST);
}

/* queued - 1, but not below 0 (a waiter may have set it to 0). */
static void
unqueue(struct shared *sh)
{
	uint32_t cur = __atomic_load_n(&sh->queued, __ATOMIC_SEQ_CST);

	while (cur > 0 && !__atomic_compare_exchange_n(&sh->queued, &cur,
	    cur - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

void
syncshare_no_lock(struct syncshare *s)
{
	unqueue(s->sh);
	wake(s->sh);
}

void
syncshare_got_lock(struct syncshare *s, uint64_t n)
{
	/* Claim first, then leave the queue: a waiter never sees neither. */
	__atomic_store_n(&s->sh->inflight, n, __ATOMIC_SEQ_CST);
	unqueue(s->sh);
}

void
syncshare_txn_done(struct syncshare *s, uint64_t n)
{
	if (n > 0)
		raise_to(&s->sh->durable, n);
	__atomic_store_n(&s->sh->inflight, 0, __ATOMIC_SEQ_CST);
	wake(s->sh);
}

void
syncshare_covering(struct syncshare *s, uint64_t n)
{
	raise_to(&s->sh->covering, n);
}

void
syncshare_synced(struct syncshare *s, uint64_t n)
{
	raise_to(&s->sh->durable, n);
	raise_to(&s->sh->covering, n);
	wake(s->sh);
}

uint64_t
syncshare_durable(const struct syncshare *s)
{
	return __atomic_load_n(&s->sh->durable, __ATOMIC_SEQ_CST);
}

uint64_t
syncshare_covered(const struct syncshare *s)
{
	return __atomic_load_n(&s->sh->covering, __ATOMIC_SEQ_CST);
}

uint64_t
syncshare_inflight(const struct syncshare *s)
{
	return __atomic_load_n(&s->sh->inflight, __ATOMIC_SEQ_CST);
}

unsigned
syncshare_queued(const struct syncshare *s)
{
	return __atomic_load_n(&s->sh->queued, __ATOMIC_SEQ_CST);
}

void
syncshare_reset(struct syncshare *s)
{
	__atomic_store_n(&s->sh->durable, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->sh->covering, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->sh->inflight, 0, __ATOMIC_SEQ_CST);
	wake(s->sh);
}
