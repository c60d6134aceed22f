/* SPDX-License-Identifier: ISC */
/*
 * store: the only door to persisted state.
 *
 * Records are small JSON documents kept in tables (instances, bindings, meta).
 * A state decision — read, compare, write — happens inside one transaction:
 * store_begin(write) ... store_commit().  Write transactions are serialised
 * across every process sharing the state directory, which is what makes "two
 * workers race on one id, exactly one 201" true.  Commits are synchronous
 * (durable) by default; a 2xx is sent only after store_commit() returned 0.
 *
 * Two backends sit behind this interface (store.c picks one): LMDB in the
 * state directory (store_lmdb.c, the default: one host, no server) and
 * PostgreSQL (store_pg.c: several broker hosts share one database).  Nothing
 * above this header includes lmdb.h or libpq-fe.h.
 *
 * Write transactions are serialised per scope: the instance id a decision is
 * about (its record, its bindings, its tombstone), or NULL for the whole
 * store.  Two write transactions with the same scope, or one of them NULL,
 * never overlap; LMDB serialises every writer anyway, PostgreSQL takes
 * transaction-scoped advisory locks (docs/high-availability.md says why).
 * A write transaction touches only keys of its scope, and may add audit
 * entries (T_AUDIT), whose keys are new by construction (audit.h).
 *
 * Keys: instances by instance id; bindings by "<instance_id>/<binding_id>" (ids
 * cannot contain '/', see util.h id_valid), so one instance's bindings are one
 * key range and deprovisioning finds them without a second index.
 *
 * Errors are values: every call returns enum store_rc; store_strerror() says
 * what went wrong for the log.  Ownership: store_get() returns a malloc'ed,
 * NUL-terminated copy the caller frees; transactions end with exactly one
 * store_commit() or store_abort().
 */
#ifndef OSB_STORE_H
#define OSB_STORE_H

#include <stddef.h>

enum store_table {
	T_INSTANCES,
	T_BINDINGS,
	T_META,
	T_GONE,			/* tombstones of asynchronous deletes (op.h) */
	T_AUDIT,		/* the audit trail (audit.h) */
	T__COUNT
};

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND,
	STORE_FULL,		/* the map or the disk is full */
	STORE_READONLY,		/* the state directory is not writable */
	STORE_UNAVAILABLE,	/* the database cannot be reached now, or a
				 * commit's outcome is unknown (the connection
				 * was lost during it): retry later */
	STORE_EXISTS,		/* store_create(): the key was there */
	STORE_ERROR		/* anything else; see store_strerror() */
};

struct store;
struct store_txn;

/* Which store: spec NULL, "" or "lmdb" is LMDB in dir (created 0700 when
 * missing and refused when others may write to it; the files are 0600);
 * a libpq connection string ("postgresql://...", "postgres://..." or
 * "key=value ...") is PostgreSQL, whose schema is created on first use.
 * Once per process, never inherited across fork().
 *
 * On failure *out is still set (free it with store_close()) so that
 * store_strerror() can say why; STORE_UNAVAILABLE means the database could
 * not be reached, or holds a schema newer than this broker (refused, never
 * changed): the store is usable and tries again on each store_begin(), so
 * a worker started during an outage or before its upgrade answers 503
 * rather than exiting.  Any other failure is the configuration's (a bad
 * connection string, missing rights). */
enum store_rc store_open(const char *spec, const char *dir, size_t map_size,
                  struct store **out);
void          store_close(struct store *);

/* The state directory check store_open() makes, alone, for a process
 * that needs the directory but not (yet) the store: created 0700 when
 * missing, refused when others may write to it (they could replace a file
 * the broker trusts).  0, or -1 with err set. */
int           store_check_dir(const char *dir, char *err, size_t errlen);

/* "lmdb" or "postgresql". */
const char   *store_kind(const struct store *);

/* 1 when other hosts may share this store (PostgreSQL): a process on
 * another host cannot be judged by its pid, so asynchronous operations
 * renew a lease (op.h).  0 for LMDB. */
int           store_shared(const struct store *);

/* Where the store is, for messages: the state directory, or PostgreSQL's
 * host, port, database and user (never the password). */
const char   *store_where(const struct store *);

/* 1 when the store could only be opened read-only (its directory or files
 * not writable, a read-only file system): reads work, every write
 * transaction gets STORE_READONLY. */
int           store_readonly(const struct store *);

/* Let go of the pages of the data file this process has read: LMDB reads
 * through a shared mapping, so every page a worker has ever looked at counts
 * in its resident size, which would grow with the store (tens of MB after a
 * benchmark) although the pages are the kernel's page cache, shared by all
 * processes.  The pages stay cached and cost a minor fault when read again.
 * Nothing to do (and nothing done) when no transaction began since the
 * last call.  Call with no transaction of this process open; the server
 * does every OSB_RELEASE_EVERY requests. */
void          store_release(struct store *);

/* store_begin()'s write: */
#define STORE_READ	0
#define STORE_WRITE	1	/* serialised per instance (above) */
#define STORE_WRITE_KEY	2	/* serialised per key; see store_begin() */
#define STORE_ONE_TRIP	8	/* or'ed into either: see store_begin() */

/* A read transaction (STORE_READ) sees one consistent snapshot; scope is
 * ignored.  A write transaction (STORE_WRITE) is serialised with every
 * other of the same scope (above): an instance id, or a key of the
 * instances, bindings or gone tables, whose part before the first '/' is
 * the instance id.  STORE_WRITE_KEY, for a new binding, whose requests
 * should not wait for each other's: scope is a binding key
 * "<instance_id>/<binding_id>", and the transaction is serialised with
 * every STORE_WRITE of that instance and every STORE_WRITE_KEY of that
 * key, but not with STORE_WRITE_KEY transactions of the instance's other
 * keys.  It may read anything and write only that key (in any table);
 * the instance's record it reads cannot change until it ends.
 *
 * STORE_ONE_TRIP, or'ed into either, promises that the transaction waits
 * for nothing before its store_commit(): it only puts, drops and creates
 * (no store_get(), store_del(), scan or stats).  PostgreSQL then sends
 * neither BEGIN nor COMMIT: the locks, the writes and the Sync that ends
 * them are one implicit transaction of the protocol, which the server
 * commits at the Sync (or rolls back when a statement failed), two
 * statements fewer in the transaction's one round trip.  A call that would
 * wait is refused (STORE_ERROR) and the transaction rolled back; an
 * abort after a write closes the connection, which rolls it back.  LMDB
 * ignores it. */
enum store_rc store_begin(struct store *, int write, const char *scope,
                  struct store_txn **out);
/* STORE_OK only once the change is durable (LMDB: synced; PostgreSQL:
 * COMMIT returned with synchronous_commit on).  STORE_UNAVAILABLE when the
 * connection was lost during COMMIT: the outcome is unknown.  STORE_EXISTS:
 * store_create() found its key, and nothing was changed. */
enum store_rc store_commit(struct store_txn *);
void          store_abort(struct store_txn *);

enum store_rc store_get(struct store_txn *, enum store_table, const char *key,
                  char **val, size_t *len);
/* store_get() in a read transaction of its own, for a caller that reads
 * this one record and nothing else: PostgreSQL runs it as one statement,
 * which is one snapshot, without BEGIN and ROLLBACK around it. */
enum store_rc store_fetch(struct store *, enum store_table, const char *key,
                  char **val, size_t *len);
/* The value of key in tb as this process last read it (a copy the
 * caller frees), without asking the store: it may have changed since, so
 * it is only ever a guess, to be confirmed by store_create_if().
 * PostgreSQL remembers the instance records (T_INSTANCES) its process read
 * most recently, and forgets one this process writes; STORE_NOTFOUND when
 * it has none of key, and always for LMDB, whose reads cost no round
 * trip. */
enum store_rc store_recall(struct store *, enum store_table, const char *key,
                  char **val, size_t *len);
/* A hint that this transaction will store_get() key: PostgreSQL sends the
 * SELECT with the transaction's next statement rather than in a round trip
 * of its own, and the store_get() answers from it (unless the transaction
 * wrote in between).  Changes nothing; LMDB ignores it. */
void          store_prefetch(struct store_txn *, enum store_table,
                  const char *key);
/* PostgreSQL sends a put without waiting for it: its failure is the
 * result of the transaction's next call or of its commit (which then
 * stores nothing).  A put's STORE_OK is final once the commit's is. */
enum store_rc store_put(struct store_txn *, enum store_table, const char *key,
                  const char *val, size_t len);
/* A record to write (store_create()'s companion). */
struct store_rec {
	enum store_table	 tb;
	const char		*key;
	const char		*val;
	size_t			 len;
};

/* Create key in tb unless tb has it, and only then put with (NULL: none):
 * a new record and its audit entry (audit.h).  A tombstone of the same
 * key (T_GONE) is left as it is: it counts only while the record is
 * absent (op.h).  For a
 * write transaction whose one change this is, so that a caller that meets
 * an existing key needs no read first: STORE_EXISTS, from this call
 * (LMDB) or from store_commit() (PostgreSQL sends it with the COMMIT, in
 * one round trip), means nothing was changed and the transaction is to be
 * ended; the caller then reads the existing record in a new one.  After
 * STORE_OK here, write nothing else in the transaction. */
enum store_rc store_create(struct store_txn *, enum store_table,
                  const char *key, const char *val, size_t len,
                  const struct store_rec *with);
/* store_create(), made only if record cond (its table, key and value)
 * is stored exactly, byte for byte, as given: a decision taken on a copy
 * of cond that may be out of date (store_recall()) is written only if it
 * is not.  STORE_EXISTS, as store_create()'s, also when cond is not so
 * (changed, or gone): nothing was changed, and the caller decides again
 * on what it reads now.  cond's key must be one the transaction's locks
 * keep still (STORE_WRITE_KEY: its instance's record). */
enum store_rc store_create_if(struct store_txn *, enum store_table,
                  const char *key, const char *val, size_t len,
                  const struct store_rec *with, const struct store_rec *cond);
/* STORE_NOTFOUND when there was no such key. */
enum store_rc store_del(struct store_txn *, enum store_table, const char *key);
/* Delete key if there is one, without saying whether there was: for a
 * delete whose answer the caller does not need (a tombstone that rarely
 * exists), which PostgreSQL then sends without waiting, as a put. */
enum store_rc store_drop(struct store_txn *, enum store_table, const char *key);

/* Call fn for every key starting with prefix, in key order, until fn returns
 * non-zero.  Keys and values are borrowed for the call only. */
enum store_rc store_scan(struct store_txn *, enum store_table,
                  const char *prefix,
                  int (*fn)(const char *key, const char *val, size_t len,
                      void *arg), void *arg);

/* Call fn for the keys of tb from key from on ("" from the first), in key
 * order, at most limit of them, until fn returns non-zero: a table too big
 * for one store_scan() (the audit trail) is read a page at a time. */
enum store_rc store_scan_from(struct store_txn *, enum store_table,
                  const char *from, size_t limit,
                  int (*fn)(const char *key, const char *val, size_t len,
                      void *arg), void *arg);

/* Call fn for the keys of tb before key before ("" from the last), in
 * descending key order, at most limit of them (0: none), until fn returns
 * non-zero: the newest entries of a table kept in time order (the audit
 * trail, for GET /status) without reading the older ones. */
enum store_rc store_scan_back(struct store_txn *, enum store_table,
                  const char *before, size_t limit,
                  int (*fn)(const char *key, const char *val, size_t len,
                      void *arg), void *arg);

/* store_scan() of the whole of tb, its first max keys only: what a report
 * whose cost must not grow with the store reads (GET /metrics);
 * store_scan_from(t, tb, "", max, ...), so PostgreSQL fetches only those
 * rows. */
enum store_rc store_scan_head(struct store_txn *, enum store_table,
                  size_t max,
                  int (*fn)(const char *key, const char *val, size_t len,
                      void *arg), void *arg);

/* What is cheap to know about the store's size, for GET /metrics; -1 for
 * what the backend cannot tell cheaply. */
struct store_stats {
	long long	 bytes;		/* LMDB: the data file; PostgreSQL:
					 * osbroker_records, indexes and
					 * TOAST included */
	long long	 map_bytes;	/* LMDB: OSBROKER_MAP_SIZE in force */
	long long	 used_bytes;	/* LMDB: the map's pages in use */
	long long	 records[T__COUNT]; /* LMDB: exact (the B-trees keep
					 * the count); PostgreSQL: -1 (a
					 * count would scan) */
};
enum store_rc store_stats(struct store_txn *, struct store_stats *);

/* Delete every key starting with prefix; *count (optional) gets how many. */
enum store_rc store_del_prefix(struct store_txn *, enum store_table,
                  const char *prefix, size_t *count);

/* A compacting copy of the whole store into fd (a new, empty file), from
 * one read transaction: consistent, and safe while the broker serves.
 * Only where store_copyable() (LMDB: mdb_env_copyfd2() with
 * MDB_CP_COMPACT, a data file that store_open_copy() opens again);
 * elsewhere STORE_ERROR, nothing written (PostgreSQL's copy is the export
 * format, xport.h).  The caller syncs and closes fd. */
int           store_copyable(const struct store *);
enum store_rc store_copy(struct store *, int fd);

/* Open such a copy, read-only (nothing is ever written to it, and no lock
 * file is made beside it), to read its records as those of a store: for
 * restoring it.  A file that is not an LMDB data file, or shorter than
 * its own first pages say (cut short), is refused with STORE_ERROR before
 * it is mapped.  *out as store_open()'s. */
enum store_rc store_open_copy(const char *path, struct store **out);

/* The last error of this store, for logs (never contains record data or a
 * password). */
const char   *store_strerror(const struct store *);

#endif
