/* SPDX-License-Identifier: ISC */
/*
 * store_lmdb: the LMDB backend, the default (store.h, store_int.h).
 *
 * One environment per state directory (data.mdb, lock.mdb), four named
 * databases.  LMDB rules we rely on: an environment is opened once per process
 * and never used in a forked child; writers are serialised by the lock file
 * across processes; a process killed mid-transaction leaves the last committed
 * state (copy-on-write pages), and stale reader slots of dead processes are
 * cleared with mdb_reader_check() at open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "limits.h"
#include "store.h"
#include "store_int.h"
#include "syncshare.h"

struct lmdb {
	struct store	 base;		/* first: store.c sees this */
	MDB_env		*env;
	MDB_dbi		 dbi[T__COUNT];
	int		 missing[T__COUNT];	/* read-only: table not there */
	int		 readonly;		/* opened read-only: open_env() */
	int		 copy;			/* store_open_copy(): read-only
						   for good, never reopened */
	time_t		 retried;		/* last try to reopen writable */
	char		 dir[OSB_MAX_PATH];
	size_t		 map_size;
	unsigned long	 txns;			/* since the last store_release() */
	struct syncshare *ss;			/* shared flushes, or NULL:
						   lmdb_commit() */
	unsigned long	 opens;			/* env_open() calls */
	struct {				/* find_map()'s last answer */
		unsigned long	 opens;
		size_t		 mapsize;
		void		*addr;
		size_t		 len;
	}		 map;
	char		 err[256];
};

struct lmdb_txn {
	struct store_txn base;		/* first */
	MDB_txn		*txn;
	int		 write;		/* a write transaction: synced */
	int		 dirty;		/* a put or delete succeeded in it */
	int		 claimed;	/* syncshare_got_lock() called */
};

#define LM(s)	((struct lmdb *)(void *)(s))
#define LMC(s)	((const struct lmdb *)(const void *)(s))
#define LT(t)	((struct lmdb_txn *)(void *)(t))

static const struct store_ops lmdb_ops;

static enum store_rc
fail(struct lmdb *st, const char *what, int rc)
{
	snprintf(st->err, sizeof(st->err), "%s: %s", what, mdb_strerror(rc));
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc == MDB_MAP_FULL || rc == ENOSPC || rc == MDB_TXN_FULL)
		return STORE_FULL;
	if (rc == EACCES || rc == EROFS || rc == EPERM)
		return STORE_READONLY;
	return STORE_ERROR;
}

static const char *
lmdb_strerror(const struct store *s)
{
	return LMC(s)->err;
}

static const char *
lmdb_where(const struct store *s)
{
	return LMC(s)->dir;
}

static int
env_open(struct lmdb *st, unsigned flags)
{
	int e;

	if (st->env != NULL) {
		mdb_env_close(st->env);
		st->env = NULL;
	}
	syncshare_close(st->ss);
	st->ss = NULL;
	st->opens++;
	if ((e = mdb_env_create(&st->env)) != 0)
		return e;
	if ((e = mdb_env_set_mapsize(st->env, st->map_size)) != 0 ||
	    (e = mdb_env_set_maxdbs(st->env, T__COUNT)) != 0 ||
	    (e = mdb_env_open(st->env, st->dir, flags, 0600)) != 0) {
		mdb_env_close(st->env);
		st->env = NULL;
	}
	return e;
}

static int
lmdb_readonly(const struct store *s)
{
	return LMC(s)->readonly;
}

/* Open every table in one transaction: a read transaction (create 0),
 * or a write transaction that creates the missing ones.  Returns 0,
 * MDB_NOTFOUND when a table does not exist (read: st->missing says which),
 * or LMDB's error. */
static int
open_tables(struct lmdb *st, int create)
{
	MDB_txn	*txn = NULL;
	int	 e, i, notfound = 0;

	if ((e = mdb_txn_begin(st->env, NULL, create ? 0 : MDB_RDONLY,
	    &txn)) != 0)
		return e;
	for (i = 0; i < T__COUNT; i++) {
		e = mdb_dbi_open(txn, store_table_names[i], create ? MDB_CREATE : 0,
		    &st->dbi[i]);
		st->missing[i] = e == MDB_NOTFOUND;
		if (e == MDB_NOTFOUND)
			notfound = 1;
		else if (e != 0) {
			mdb_txn_abort(txn);
			return e;
		}
	}
	/* Committed, not aborted: the handles stay valid afterwards.  A
	 * write transaction is synced as lmdb_commit() syncs. */
	if ((e = mdb_txn_commit(txn)) != 0 ||
	    (create && (e = mdb_env_sync(st->env, 1)) != 0))
		return e;
	return notfound ? MDB_NOTFOUND : 0;
}

/* Commits share their flushes with the other processes of the host that
 * write to this environment, through the file "lmdb.syncs" beside it
 * (syncshare.h, lmdb_commit()).  Without it (it cannot be made) every
 * commit flushes on its own: as durable, and slower. */
static void
share_syncs(struct lmdb *st)
{
	mdb_filehandle_t	 fd;
	struct stat		 sb;
	char			 err[256];

	if (mdb_env_get_fd(st->env, &fd) == 0 && fstat(fd, &sb) == 0)
		st->ss = syncshare_open(st->dir, sb.st_dev, sb.st_ino, err,
		    sizeof(err));
}

/* Open the environment and its tables: read-write, or, when the storage
 * cannot be written (a disk remounted read-only after an error, modes),
 * read-only, so that reads are still served and changes get 503
 * (store_begin) rather than the broker not starting at all.  Without a
 * writable lock file there can be no writer either (MDB_NOLOCK). */
static enum store_rc
open_env(struct lmdb *st)
{
	int	 e, dead;

	st->readonly = 0;
	memset(st->missing, 0, sizeof(st->missing));
	/* MDB_NOTLS: reader slots belong to the transaction, not the
	 * thread; harmless for our single-threaded workers.  MDB_NOMETASYNC:
	 * lmdb_commit() says why. */
	e = env_open(st, MDB_NOTLS | MDB_NOMETASYNC);
	if (e == EACCES || e == EROFS) {
		int e2 = env_open(st, MDB_NOTLS | MDB_RDONLY);

		if (e2 == EACCES || e2 == EROFS)
			e2 = env_open(st, MDB_NOTLS | MDB_RDONLY | MDB_NOLOCK);
		if (e2 == 0) {
			st->readonly = 1;
			e = 0;
		}
	}
	if (e != 0)
		return fail(st, st->dir, e);
	if (!st->readonly) {
		(void)mdb_reader_check(st->env, &dead);
		share_syncs(st);
	}
	/* The tables exist once the store has been opened writable: then a
	 * read transaction opens them without taking the writers' lock, so
	 * a process start (every CGI request) never waits for a commit. */
	if ((e = open_tables(st, 0)) == MDB_NOTFOUND && !st->readonly)
		e = open_tables(st, 1);
	if (e == MDB_NOTFOUND)
		e = 0;		/* read-only, tables missing: reads find nothing */
	return e == 0 ? STORE_OK : fail(st, "open tables", e);
}

enum store_rc
store_lmdb_open(const char *dir, size_t map_size, struct store **out)
{
	struct lmdb	*st;
	enum store_rc	 rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return STORE_ERROR;
	st->base.ops = &lmdb_ops;
	/* Keep st even on failure, just long enough to report; callers
	 * print then close. */
	*out = &st->base;
	if (strlen(dir) >= sizeof(st->dir)) {
		snprintf(st->err, sizeof(st->err), "state directory path too "
		    "long");
		return STORE_ERROR;
	}
	snprintf(st->dir, sizeof(st->dir), "%s", dir);
	st->map_size = map_size;
	if (store_check_dir(dir, st->err, sizeof(st->err)) == -1)
		return STORE_ERROR;
	rc = open_env(st);
	return rc;
}

/* ---- copies (store_copy(), store_open_copy()) ------------------------ */

static enum store_rc
lmdb_copy(struct store *s, int fd)
{
	struct lmdb	*st = LM(s);
	int		 e;

	if (st->env == NULL) {
		snprintf(st->err, sizeof(st->err), "copy: the store is not open");
		return STORE_ERROR;
	}
	/* Its own read transaction: one snapshot, writers go on. */
	if ((e = mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT)) != 0)
		return fail(st, "copy", e);
	return STORE_OK;
}

/* The layout of LMDB's meta pages (pages 0 and 1 of a data file; lmdb's
 * MDB_page and MDB_meta, whose fields are size_t wide): the page header,
 * then magic, version, address, map size, the free and main databases'
 * MDB_db (the free one's first field holding the page size), the last
 * page used and the transaction id.  LMDB maps a data file without
 * checking it is as long as its meta page says: a cut copy would be read
 * past its end (SIGBUS), so a copy is checked before it is opened. */
#define LM_Z		sizeof(size_t)
#define LM_META		(LM_Z + 8)		/* page header */
#define LM_PSIZE	(LM_META + 8 + 2 * LM_Z)
#define LM_DB		(8 + 5 * LM_Z)		/* sizeof(MDB_db) */
#define LM_LAST_PG	(LM_META + 8 + 2 * LM_Z + 2 * LM_DB)
#define LM_TXNID	(LM_LAST_PG + LM_Z)
#define LM_MAGIC	0xBEEFC0DEu

static size_t
meta_word(const unsigned char *page, size_t off)
{
	size_t v;

	memcpy(&v, page + off, sizeof(v));
	return v;
}

/* 0 when path looks like a whole LMDB data file, else -1 with err. */
static int
check_copy(const char *path, char *err, size_t errlen)
{
	unsigned char	 head[2 * 65536];
	struct stat	 sb;
	uint32_t	 magic, psize;
	size_t		 last, need;
	ssize_t		 n;
	int		 fd, m;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < (ssize_t)(LM_META + sizeof(magic)))
		goto invalid;
	memcpy(&magic, head + LM_META, sizeof(magic));
	if (magic == LM_MAGIC && n < (ssize_t)(LM_TXNID + LM_Z)) {
		snprintf(err, errlen, "%s: cut short (%lld bytes)", path,
		    (long long)sb.st_size);
		return -1;
	}
	memcpy(&psize, head + LM_PSIZE, sizeof(psize));
	if (magic != LM_MAGIC || psize < 512 || psize > 65536 ||
	    (psize & (psize - 1)) != 0)
		goto invalid;
	if (n < (ssize_t)(2 * psize)) {
		snprintf(err, errlen, "%s: cut short (%lld bytes, less than "
		    "its two meta pages)", path, (long long)sb.st_size);
		return -1;
	}
	/* The meta page of the later transaction is the one in use. */
	m = meta_word(head + psize, LM_TXNID) > meta_word(head, LM_TXNID);
	last = meta_word(head + (size_t)m * psize, LM_LAST_PG);
	if (last > (size_t)sb.st_size / psize) {
		snprintf(err, errlen, "%s: cut short (%lld bytes; its meta page "
		    "names page %zu of %u bytes)", path,
		    (long long)sb.st_size, last, psize);
		return -1;
	}
	need = (last + 1) * psize;
	if ((size_t)sb.st_size < need) {
		snprintf(err, errlen, "%s: cut short (%lld bytes of %zu)", path,
		    (long long)sb.st_size, need);
		return -1;
	}
	return 0;
invalid:
	snprintf(err, errlen, "%s: not an LMDB data file", path);
	return -1;
}

enum store_rc
store_lmdb_open_copy(const char *path, struct store **out)
{
	struct lmdb	*st;
	int		 e;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return STORE_ERROR;
	st->base.ops = &lmdb_ops;
	*out = &st->base;
	if (strlen(path) >= sizeof(st->dir)) {
		snprintf(st->err, sizeof(st->err), "path too long");
		return STORE_ERROR;
	}
	snprintf(st->dir, sizeof(st->dir), "%s", path);
	if (check_copy(path, st->err, sizeof(st->err)) == -1)
		return STORE_ERROR;
	/* No map size of ours: LMDB takes the file's (at least its size). */
	st->map_size = 0;
	st->readonly = 1;
	st->copy = 1;
	e = env_open(st, MDB_NOTLS | MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK);
	if (e != 0)
		return fail(st, path, e);
	if ((e = open_tables(st, 0)) != 0 && e != MDB_NOTFOUND)
		return fail(st, "open tables", e);
	return STORE_OK;
}

static void
lmdb_close(struct store *s)
{
	struct lmdb *st = LM(s);

	if (st->env != NULL)
		mdb_env_close(st->env);
	syncshare_close(st->ss);
	free(st);
}

/* Where the data file is mapped in this process: LMDB does not say
 * (mdb_env_info() gives the address only for MDB_FIXEDMAP), so find the
 * mapping of the file's inode in /proc/self/maps.  The answer holds while
 * the environment is the same one (no reopen) with the same map size (a
 * grown map moves it): kept until either changes. */
static int
find_map(struct lmdb *st, void **addr, size_t *len)
{
	struct stat		 sb;
	MDB_envinfo		 info;
	FILE			*f;
	char			 line[OSB_MAX_PROC_LINE];
	unsigned long		 lo, hi, ino;
	mdb_filehandle_t	 fd;
	int			 found = 0;

	if (mdb_env_info(st->env, &info) != 0)
		return 0;
	if (st->map.addr != NULL && st->map.opens == st->opens &&
	    st->map.mapsize == info.me_mapsize) {
		*addr = st->map.addr;
		*len = st->map.len;
		return 1;
	}
	if (mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) == -1 ||
	    (f = fopen("/proc/self/maps", "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &lo, &hi, &ino) == 3 &&
		    ino == (unsigned long)sb.st_ino && hi > lo &&
		    strstr(line, "/data.mdb") != NULL) {
			*addr = (void *)lo;
			*len = hi - lo;
			found = 1;
		}
	fclose(f);
	if (found) {
		st->map.opens = st->opens;
		st->map.mapsize = info.me_mapsize;
		st->map.addr = *addr;
		st->map.len = *len;
	}
	return found;
}

static void
lmdb_release(struct store *s)
{
	struct lmdb	*st = LM(s);
	void		*addr;
	size_t		 len;

	if (st->env == NULL || st->txns == 0 ||
	    !find_map(st, &addr, &len))
		return;
	st->txns = 0;
	/* A read-only shared mapping of the file (no MDB_WRITEMAP): the
	 * pages stay in the page cache and fault back in on the next read. */
	(void)madvise(addr, len, MADV_DONTNEED);
}

/* Every LMDB writer is serialised by the lock file: scope needs nothing
 * more. */
static enum store_rc
lmdb_begin(struct store *s, int write, const char *scope,
    struct store_txn **out)
{
	struct lmdb		*st = LM(s);
	struct lmdb_txn		*t;
	int			 e;

	(void)scope;
	*out = NULL;
	/* Opened read-only: the storage may be writable again (the disk
	 * repaired and remounted).  Try at most once a second; no transaction
	 * of this process is open between requests. */
	if (((write && st->readonly) || st->env == NULL) && !st->copy &&
	    time(NULL) != st->retried) {
		st->retried = time(NULL);
		(void)open_env(st);
	}
	if (st->env == NULL)	/* no environment at all any more */
		return STORE_ERROR;
	if (write && st->readonly) {
		snprintf(st->err, sizeof(st->err), "begin: %s %.200s is not "
		    "writable", st->copy ? "the copy" : "the state directory",
		    st->dir);
		return STORE_READONLY;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return STORE_ERROR;
	t->base.st = s;
	t->write = write;
	st->txns++;
	if (write && st->ss != NULL)
		syncshare_want_lock(st->ss);
	e = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	/* Another process (one started with a larger OSBROKER_MAP_SIZE) grew
	 * the data past our map: adopt its size, which needs no transaction
	 * of ours open, and there is none between requests. */
	if (e == MDB_MAP_RESIZED && (e = mdb_env_set_mapsize(st->env, 0)) == 0)
		e = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY,
		    &t->txn);
	if (write && st->ss != NULL) {
		/* The writers' lock is ours: a commit of a change flushes
		 * after the last commit's meta page was written. */
		if (e == 0) {
			syncshare_got_lock(st->ss,
			    (uint64_t)mdb_txn_id(t->txn) - 1);
			t->claimed = 1;
		} else
			syncshare_no_lock(st->ss);
	}
	if (e != 0) {
		free(t);
		return fail(st, "begin", e);
	}
	*out = &t->base;
	return STORE_OK;
}

/*
 * A write transaction is durable when this returns STORE_OK, and its
 * answer is sent only after that, but its flushes are shared.  LMDB's
 * default commit flushes twice while holding the writers' lock: the data
 * pages (fdatasync), then the meta page that makes them current (a write
 * through a descriptor opened O_DSYNC), so every durable write waits for
 * the disk twice behind all the others.  The environment is opened with
 * MDB_NOMETASYNC instead, which lmdb.h describes as "Flush system buffers
 * to disk only once per transaction, omit the metadata flush. Defer that
 * until the system flushes files to disk, or next non-MDB_RDONLY commit
 * or mdb_env_sync(). This optimization maintains database integrity, but
 * a system crash may undo the last committed transaction. I.e. it
 * preserves the ACI (atomicity, consistency, isolation) but not D
 * (durability)": the data pages are still flushed before the meta page is
 * written, so a crash can never leave a meta page pointing at pages that
 * are not on disk.
 *
 * The D comes back from a flush of the data file (fdatasync) that starts
 * after the meta page of commit W was written, i.e. after mdb_txn_commit()
 * returned.  Two kinds of flush qualify, and syncshare.h lets processes
 * count on each other's:
 *
 *   - the next writer's own data flush: it takes the writers' lock after
 *     W's commit released it, so its flush, inside its mdb_txn_commit(),
 *     covers W.  Whoever takes the lock claims that (syncshare_got_lock(),
 *     its own id less one, lmdb_begin()) and says when its transaction
 *     ended whether its commit flushed (a transaction that changed
 *     something: dirty) or not (syncshare_txn_done()).
 *   - mdb_env_sync(env, 1), called after the commit: it covers every
 *     commit up to the last one at its start (mdb_env_info(), whose
 *     me_last_txnid LMDB sets after writing that commit's meta page).
 *
 * So after committing W a process waits while the lock holder's flush, or
 * another's, covers W, or while a writer waits for the lock it has just
 * released (syncshare_wait()), and flushes itself only when none does, or
 * when the one it waited for did not report within SHARE_WAIT_MS (its
 * process died).  Under load the next writer's flush is enough; alone, a
 * commit flushes twice as before.  A transaction that changed nothing
 * waits for (or makes) the flush that covers W too: its answer may rest on
 * what the commit before it wrote.  Only then does the caller answer; a
 * failed flush is an error (the change may be lost in a crash, so it is
 * not acknowledged).
 */
#define SHARE_WAIT_MS	500

static enum store_rc
lmdb_commit(struct store_txn *bt)
{
	struct lmdb_txn	*t = LT(bt);
	struct lmdb	*st = LM(bt->st);
	MDB_envinfo	 info;
	uint64_t	 w = 0;
	int		 e, write = t->write, claimed = t->claimed,
			 dirty = t->dirty;

	if (write)
		w = (uint64_t)mdb_txn_id(t->txn);
	e = mdb_txn_commit(t->txn);
	free(t);
	if (claimed)		/* a dirty commit flushed what covers w - 1 */
		syncshare_txn_done(st->ss, e == 0 && dirty ? w - 1 : 0);
	if (e != 0)
		return fail(st, "commit", e);
	if (!write)
		return STORE_OK;
	if (st->ss != NULL) {
		/* Numbers of a data file that started again (replaced
		 * under the same inode): forget them. */
		if (mdb_env_info(st->env, &info) == 0 &&
		    syncshare_durable(st->ss) > (uint64_t)info.me_last_txnid)
			syncshare_reset(st->ss);
		else if (syncshare_wait(st->ss, w, SHARE_WAIT_MS))
			return STORE_OK;
	}
	if (st->ss == NULL || mdb_env_info(st->env, &info) != 0)
		info.me_last_txnid = 0;		/* covers nothing to share */
	else
		syncshare_covering(st->ss, (uint64_t)info.me_last_txnid);
	if ((e = mdb_env_sync(st->env, 1)) != 0)
		return fail(st, "sync", e);
	if (st->ss != NULL && info.me_last_txnid > 0)
		syncshare_synced(st->ss, (uint64_t)info.me_last_txnid);
	return STORE_OK;
}

static void
lmdb_abort(struct store_txn *bt)
{
	struct lmdb_txn	*t = LT(bt);
	struct lmdb	*st = LM(bt->st);
	int		 claimed = t->claimed;

	mdb_txn_abort(t->txn);
	free(t);
	if (claimed)
		syncshare_txn_done(st->ss, 0);
}

static MDB_val
keyval(const char *key)
{
	MDB_val k;

	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	return k;
}

static enum store_rc
lmdb_get(struct store_txn *bt, enum store_table tb, const char *key,
    char **val, size_t *len)
{
	struct lmdb_txn	*t = LT(bt);
	struct lmdb	*st = LM(bt->st);
	MDB_val	 k = keyval(key), v;
	int	 e;

	*val = NULL;
	if (st->missing[tb])
		return STORE_NOTFOUND;
	if ((e = mdb_get(t->txn, st->dbi[tb], &k, &v)) != 0)
		return e == MDB_NOTFOUND ? STORE_NOTFOUND : fail(st, "get", e);
	if ((*val = malloc(v.mv_size + 1)) == NULL)
		return STORE_ERROR;
	memcpy(*val, v.mv_data, v.mv_size);
	(*val)[v.mv_size] = '\0';
	if (len != NULL)
		*len = v.mv_size;
	return STORE_OK;
}

/* mdb_put() with flags (MDB_NOOVERWRITE: STORE_EXISTS when key is there). */
static enum store_rc
put_flags(struct store_txn *bt, enum store_table tb, const char *key,
    const char *val, size_t len, unsigned flags)
{
	struct lmdb_txn	*t = LT(bt);
	struct lmdb	*st = LM(bt->st);
	MDB_val	 k = keyval(key), v;
	int	 e;

	v.mv_data = (void *)val;
	v.mv_size = len;
	if ((e = mdb_put(t->txn, st->dbi[tb], &k, &v, flags)) != 0)
		return e == MDB_KEYEXIST ? STORE_EXISTS : fail(st, "put", e);
	t->dirty = 1;
	return STORE_OK;
}

static enum store_rc
lmdb_put(struct store_txn *bt, enum store_table tb, const char *key,
    const char *val, size_t len)
{
	return put_flags(bt, tb, key, val, len, 0);
}

static enum store_rc
lmdb_del(struct store_txn *bt, enum store_table tb, const char *key)
{
	struct lmdb_txn	*t = LT(bt);
	struct lmdb	*st = LM(bt->st);
	MDB_val	 k = keyval(key);
	int	 e;

	if ((e = mdb_del(t->txn, st->dbi[tb], &k, NULL)) != 0)
		return e == MDB_NOTFOUND ? STORE_NOTFOUND : fail(st, "del", e);
	t->dirty = 1;
	return STORE_OK;
}

static enum store_rc
lmdb_drop(struct store_txn *bt, enum store_table tb, const char *key)
{
	enum store_rc rc = lmdb_del(bt, tb, key);

	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

static enum store_rc
lmdb_create(struct store_txn *bt, enum store_table tb, const char *key,
    const char *val, size_t len, const struct store_rec *with)
{
	enum store_rc rc = put_flags(bt, tb, key, val, len, MDB_NOOVERWRITE);

	if (rc == STORE_OK && with != NULL)
		rc = put_flags(bt, with->tb, with->key, with->val, with->len, 0);
	return rc;
}


/* Call fn with a record of a cursor (its key NUL-terminated in a copy):
 * 1 when fn says stop (non-zero), 0 when not, -1 when out of memory. */
static int
give(const MDB_val *k, const MDB_val *v,
    int (*fn)(const char *, const char *, size_t, void *), void *arg)
{
	char	*key;
	int	 stop;

	if ((key = malloc(k->mv_size + 1)) == NULL)
		return -1;
	memcpy(key, k->mv_data, k->mv_size);
	key[k->mv_size] = '\0';
	stop = fn(key, v->mv_data, v->mv_size, arg) != 0;
	free(key);
	return stop;
}

/* The keys from seek on, while they start with prefix (plen bytes), at
 * most limit of them (0: all): fn for each, until it returns non-zero. */
static enum store_rc
scan(struct store_txn *bt, enum store_table tb, const char *seek,
    const char *prefix, size_t plen, size_t limit,
    int (*fn)(const char *, const char *, size_t, void *), void *arg)
{
	struct lmdb_txn	*t = LT(bt);
	struct lmdb	*st = LM(bt->st);
	MDB_cursor	*c;
	MDB_val		 k = keyval(seek), v;
	size_t		 seen = 0;
	int		 e, op = MDB_SET_RANGE, stop = 0;
	enum store_rc	 rc = STORE_OK;

	if (st->missing[tb])
		return STORE_OK;
	if ((e = mdb_cursor_open(t->txn, st->dbi[tb], &c)) != 0)
		return fail(st, "cursor", e);
	/* LMDB refuses an empty key to seek to: "" means from the start. */
	if (*seek == '\0')
		op = MDB_FIRST;
	while (!stop && (limit == 0 || seen++ < limit) &&
	    (e = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if ((stop = give(&k, &v, fn, arg)) == -1) {
			rc = STORE_ERROR;
			break;
		}
	}
	if (e != 0 && e != MDB_NOTFOUND)
		rc = fail(st, "scan", e);
	mdb_cursor_close(c);
	return rc;
}

static enum store_rc
lmdb_scan(struct store_txn *bt, enum store_table tb, const char *prefix,
    int (*fn)(const char *, const char *, size_t, void *), void *arg)
{
	return scan(bt, tb, prefix, prefix, strlen(prefix), 0, fn, arg);
}

static enum store_rc
lmdb_scan_from(struct store_txn *bt, enum store_table tb, const char *from,
    size_t limit, int (*fn)(const char *, const char *, size_t, void *),
    void *arg)
{
	return scan(bt, tb, from, "", 0, limit, fn, arg);
}

/* The keys before before ("": from the last), last first, at most limit. */
static enum store_rc
lmdb_scan_back(struct store_txn *bt, enum store_table tb, const char *before,
    size_t limit, int (*fn)(const char *, const char *, size_t, void *),
    void *arg)
{
	struct lmdb_txn	*t = LT(bt);
	struct lmdb	*st = LM(bt->st);
	MDB_cursor	*c;
	MDB_val		 k = keyval(before), v;
	size_t		 seen = 0;
	int		 e, stop = 0;
	enum store_rc	 rc = STORE_OK;

	if (st->missing[tb])
		return STORE_OK;
	if ((e = mdb_cursor_open(t->txn, st->dbi[tb], &c)) != 0)
		return fail(st, "cursor", e);
	/* The first key at or after before, and the one before it; none at
	 * or after it (or before ""): the last key is the first to give. */
	if (*before == '\0' ||
	    (e = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) == MDB_NOTFOUND)
		e = mdb_cursor_get(c, &k, &v, MDB_LAST);
	else if (e == 0)
		e = mdb_cursor_get(c, &k, &v, MDB_PREV);
	while (e == 0 && !stop && seen++ < limit) {
		if ((stop = give(&k, &v, fn, arg)) == -1) {
			rc = STORE_ERROR;
			break;
		}
		if (!stop && seen < limit)
			e = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	if (e != 0 && e != MDB_NOTFOUND && rc == STORE_OK)
		rc = fail(st, "scan", e);
	mdb_cursor_close(c);
	return rc;
}

static enum store_rc
lmdb_del_prefix(struct store_txn *bt, enum store_table tb, const char *prefix,
    size_t *count)
{
	struct lmdb_txn	*t = LT(bt);
	struct lmdb	*st = LM(bt->st);
	MDB_cursor	*c;
	MDB_val		 k = keyval(prefix), v;
	size_t		 plen = strlen(prefix), n = 0;
	int		 e;
	enum store_rc	 rc = STORE_OK;

	if ((e = mdb_cursor_open(t->txn, st->dbi[tb], &c)) != 0)
		return fail(st, "cursor", e);
	e = mdb_cursor_get(c, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	while (e == 0) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if ((e = mdb_cursor_del(c, 0)) != 0)
			break;
		t->dirty = 1;
		n++;
		/* Seek again rather than trust the cursor's position after a
		 * delete at the end of a page. */
		k = keyval(prefix);
		e = mdb_cursor_get(c, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	}
	if (e != 0 && e != MDB_NOTFOUND)
		rc = fail(st, "delete", e);
	mdb_cursor_close(c);
	if (count != NULL)
		*count = n;
	return rc;
}

static enum store_rc
lmdb_stats(struct store_txn *bt, struct store_stats *s)
{
	struct lmdb	*st = LM(bt->st);
	MDB_envinfo	 info;
	MDB_stat	 ms;
	struct stat	 sb;
	mdb_filehandle_t fd;
	int		 i, e;

	if ((e = mdb_env_info(st->env, &info)) != 0 ||
	    (e = mdb_env_stat(st->env, &ms)) != 0)
		return fail(st, "stat", e);
	s->map_bytes = (long long)info.me_mapsize;
	s->used_bytes = (long long)(info.me_last_pgno + 1) * ms.ms_psize;
	if (mdb_env_get_fd(st->env, &fd) == 0 && fstat(fd, &sb) == 0)
		s->bytes = (long long)sb.st_size;
	for (i = 0; i < T__COUNT; i++) {
		if (st->missing[i])
			s->records[i] = 0;
		else if (mdb_stat(LT(bt)->txn, st->dbi[i], &ms) == 0)
			s->records[i] = (long long)ms.ms_entries;
	}
	return STORE_OK;
}

static const struct store_ops lmdb_ops = {
	.kind = "lmdb", .shared = 0,
	.close = lmdb_close, .readonly = lmdb_readonly,
	.release = lmdb_release, .where = lmdb_where,
	.strerror = lmdb_strerror, .begin = lmdb_begin,
	.commit = lmdb_commit, .abort = lmdb_abort, .get = lmdb_get,
	.put = lmdb_put, .create = lmdb_create, .del = lmdb_del,
	.drop = lmdb_drop,
	.scan = lmdb_scan, .scan_from = lmdb_scan_from,
	.scan_back = lmdb_scan_back,
	.del_prefix = lmdb_del_prefix, .copy = lmdb_copy, .stats = lmdb_stats,
};
