/* SPDX-License-Identifier: ISC */
/*
 * store_int.h: what store.c and its backends share, and nothing above them
 * includes.  A backend's store and transaction structures begin with
 * struct store and struct store_txn, so store.c can dispatch through ops.
 * Ownership as in store.h: open allocates the backend's store (also on
 * failure, for the message), close frees it; begin allocates the
 * transaction, commit and abort free it.
 */
#ifndef OSB_STORE_INT_H
#define OSB_STORE_INT_H

#include "store.h"

struct store_ops {
	const char	*kind;
	int		 shared;
	int		 one_trip;	/* understands STORE_ONE_TRIP */
	void		 (*close)(struct store *);
	int		 (*readonly)(const struct store *);
	void		 (*release)(struct store *);
	const char	*(*where)(const struct store *);
	const char	*(*strerror)(const struct store *);
	enum store_rc	 (*begin)(struct store *, int, const char *,
			    struct store_txn **);
	enum store_rc	 (*commit)(struct store_txn *);
	void		 (*abort)(struct store_txn *);
	enum store_rc	 (*get)(struct store_txn *, enum store_table,
			    const char *, char **, size_t *);
	/* NULL: store_fetch() is store_begin(), store_get(), store_abort() */
	enum store_rc	 (*fetch)(struct store *, enum store_table,
			    const char *, char **, size_t *);
	/* NULL: store_prefetch() does nothing */
	void		 (*prefetch)(struct store_txn *, enum store_table,
			    const char *);
	enum store_rc	 (*put)(struct store_txn *, enum store_table,
			    const char *, const char *, size_t);
	enum store_rc	 (*create)(struct store_txn *, enum store_table,
			    const char *, const char *, size_t,
			    const struct store_rec *);
	/* NULL: store_create_if() is store_get() of cond, compared, then
	 * create */
	enum store_rc	 (*create_if)(struct store_txn *, enum store_table,
			    const char *, const char *, size_t,
			    const struct store_rec *, const struct store_rec *);
	/* NULL: store_recall() finds nothing */
	enum store_rc	 (*recall)(struct store *, enum store_table,
			    const char *, char **, size_t *);
	enum store_rc	 (*del)(struct store_txn *, enum store_table,
			    const char *);
	enum store_rc	 (*drop)(struct store_txn *, enum store_table,
			    const char *);
	enum store_rc	 (*scan)(struct store_txn *, enum store_table,
			    const char *, int (*)(const char *, const char *,
			    size_t, void *), void *);
	enum store_rc	 (*scan_from)(struct store_txn *, enum store_table,
			    const char *, size_t, int (*)(const char *,
			    const char *, size_t, void *), void *);
	enum store_rc	 (*del_prefix)(struct store_txn *, enum store_table,
			    const char *, size_t *);
	/* NULL: store_copy() is refused (store_copyable() 0) */
	enum store_rc	 (*copy)(struct store *, int);
	enum store_rc	 (*stats)(struct store_txn *, struct store_stats *);
	enum store_rc	 (*scan_back)(struct store_txn *, enum store_table,
			    const char *, size_t, int (*)(const char *,
			    const char *, size_t, void *), void *);
};

struct store {
	const struct store_ops	*ops;
};

struct store_txn {
	struct store		*st;
};

/* The tables' names, as LMDB's named databases and PostgreSQL's tbl
 * column (and the runner's command line) spell them. */
extern const char *const store_table_names[T__COUNT];

enum store_rc store_lmdb_open(const char *dir, size_t map_size,
                  struct store **out);
enum store_rc store_lmdb_open_copy(const char *path, struct store **out);
enum store_rc store_pg_open(const char *conninfo, const char *dir,
                  struct store **out);

#endif
