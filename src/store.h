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
 * The backend today is LMDB (store.c).  Handlers never include lmdb.h, so
 * another backend can replace this file without touching them.
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
	T__COUNT
};

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND,
	STORE_FULL,		/* the map or the disk is full */
	STORE_READONLY,		/* the state directory is not writable */
	STORE_ERROR		/* anything else; see store_strerror() */
};

struct store;
struct store_txn;

/* Open (creating if needed) the store in dir.  Once per process, never
 * inherited across fork().  dir is created 0700 when missing and refused
 * when others may write to it; the files are 0600. */
enum store_rc store_open(const char *dir, size_t map_size, struct store **out);
void          store_close(struct store *);

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

enum store_rc store_begin(struct store *, int write, struct store_txn **out);
enum store_rc store_commit(struct store_txn *);
void          store_abort(struct store_txn *);

enum store_rc store_get(struct store_txn *, enum store_table, const char *key,
                  char **val, size_t *len);
enum store_rc store_put(struct store_txn *, enum store_table, const char *key,
                  const char *val, size_t len);
enum store_rc store_del(struct store_txn *, enum store_table, const char *key);

/* Call fn for every key starting with prefix, in key order, until fn returns
 * non-zero.  Keys and values are borrowed for the call only. */
enum store_rc store_scan(struct store_txn *, enum store_table,
                  const char *prefix,
                  int (*fn)(const char *key, const char *val, size_t len,
                      void *arg), void *arg);

/* Delete every key starting with prefix; *count (optional) gets how many. */
enum store_rc store_del_prefix(struct store_txn *, enum store_table,
                  const char *prefix, size_t *count);

/* The last error of this store, for logs (never contains record data). */
const char   *store_strerror(const struct store *);

#endif
