/* SPDX-License-Identifier: ISC */
/*
 * syncshare: lets the processes of one host that commit to one LMDB
 * environment share the disk flushes that make their commits durable.
 *
 * Commits are numbered (LMDB's transaction ids), and a flush of the data
 * file (fdatasync) makes durable every commit whose last write to the file
 * came before the flush started.  The file "lmdb.syncs" in the state
 * directory, mapped shared by every process that writes, holds:
 *
 *   durable   the highest commit that a finished flush made durable;
 *   covering  the highest commit that a flush outside the writers' lock,
 *             under way or finished, started after: it will make it
 *             durable;
 *   inflight  set by the holder of the writers' lock for as long as it
 *             holds it: the commit its own flush will cover when it
 *             commits a change (the last one before it took the lock), or
 *             0 when none is held;
 *   queued    the processes waiting for the writers' lock: the next of
 *             them to take it will claim inflight.
 *
 * A process that must not answer before commit t is durable calls
 * syncshare_wait(t): it returns at once when durable >= t; while covering
 * or inflight is >= t it sleeps (a futex in the mapping) until the flush
 * that covers t reports, so the process does not flush again what another
 * one is flushing; while only queued says a writer is about to take the
 * lock, it sleeps at most SYNCSHARE_QUEUE_MS for that writer's claim.
 * Otherwise, or after timeout_ms without a report (the flushing process
 * died), it tells the caller to flush itself.  A count left in queued by a
 * process that died waiting costs each commit one SYNCSHARE_QUEUE_MS, once:
 * the waiter that times out on it sets it back to 0.
 *
 * The lock holder calls syncshare_got_lock(n) as soon as it has the lock
 * (syncshare_want_lock() before asking for it, syncshare_no_lock() when it
 * did not get it) and syncshare_txn_done(n or 0) when its transaction
 * ended: n when its commit flushed, 0 when it committed nothing or failed.
 * A process that flushes outside the lock calls syncshare_covering(n)
 * before its flush and syncshare_synced(n) after it succeeded.  The caller
 * decides what n a flush covers; this module only keeps the numbers.
 * Wrong numbers here would acknowledge a commit that is not on disk, so
 * the rule is: claim n only for a flush that starts after commit n's last
 * write, report it only after that flush returned 0.
 *
 * The file's header names the data file (device, inode): a state directory
 * whose data file was replaced gets a fresh file (mapfile.h), whose
 * numbers are 0.  syncshare_reset() zeroes the numbers of a mapping whose
 * data file started again from low commit numbers.
 *
 * No lock is held: a process killed mid-flush leaves its waiters to time
 * out and flush themselves.  Ownership: syncshare_open() returns a handle
 * the caller releases with syncshare_close().
 */
#ifndef OSB_SYNCSHARE_H
#define OSB_SYNCSHARE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OSB_SYNCSHARE_FILE	"lmdb.syncs"

struct syncshare;

/* Map dir/syncs for the data file with this device and inode.  NULL with
 * a one-line reason in err; the caller then flushes every commit itself. */
struct syncshare *syncshare_open(const char *dir, dev_t dev, ino_t ino,
		    char *err, size_t errlen);
void		 syncshare_close(struct syncshare *);

#define SYNCSHARE_QUEUE_MS	5

/* 1 when commit t is durable (at once, or after the covering flush
 * reported); 0 when the caller must flush (nothing covers t, or the
 * covering flush did not report within timeout_ms). */
int		 syncshare_wait(struct syncshare *, uint64_t t, int timeout_ms);
/* The writers' lock: about to ask for it; did not get it; got it, and a
 * commit of a change would cover commit n. */
void		 syncshare_want_lock(struct syncshare *);
void		 syncshare_no_lock(struct syncshare *);
void		 syncshare_got_lock(struct syncshare *, uint64_t n);
/* The lock holder's transaction ended: its commit flushed what covers n
 * (n > 0), or it flushed nothing (0).  Wakes waiters. */
void		 syncshare_txn_done(struct syncshare *, uint64_t n);
/* A flush outside the lock that covers every commit up to n is starting. */
void		 syncshare_covering(struct syncshare *, uint64_t n);
/* A flush that covered every commit up to n returned 0: wakes waiters. */
void		 syncshare_synced(struct syncshare *, uint64_t n);
/* The numbers now: for tests and for the caller's consistency check. */
uint64_t	 syncshare_durable(const struct syncshare *);
uint64_t	 syncshare_covered(const struct syncshare *);
uint64_t	 syncshare_inflight(const struct syncshare *);
unsigned	 syncshare_queued(const struct syncshare *);
/* Both numbers back to 0 (the data file started again). */
void		 syncshare_reset(struct syncshare *);

#endif
