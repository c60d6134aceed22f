/* SPDX-License-Identifier: ISC */
/*
 * store: picks the backend (store.h) and dispatches to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"
#include "store_int.h"

const char *const store_table_names[T__COUNT] = {
	[T_INSTANCES]	= "instances",
	[T_BINDINGS]	= "bindings",
	[T_META]	= "meta",
	[T_GONE]	= "gone",
	[T_AUDIT]	= "audit",
};

/* The state directory holds every credential handed out: create it
 * private, and refuse one that others may write to (they could replace the
 * data file or its lock). */
int
store_check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(dir, &sb) == -1 && errno == ENOENT && mkdir(dir, 0700) == -1) {
		snprintf(err, errlen, "%s: cannot create it: %s",
		    dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: writable by other users "
		    "(mode %04o); chmod 0700 it", dir,
		    (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

enum store_rc
store_open(const char *spec, const char *dir, size_t map_size,
    struct store **out)
{
	if (spec == NULL || *spec == '\0' || strcmp(spec, "lmdb") == 0)
		return store_lmdb_open(dir, map_size, out);
	return store_pg_open(spec, dir, out);
}

enum store_rc
store_open_copy(const char *path, struct store **out)
{
	return store_lmdb_open_copy(path, out);
}

int
store_copyable(const struct store *st)
{
	return st->ops->copy != NULL;
}

enum store_rc
store_copy(struct store *st, int fd)
{
	if (st->ops->copy == NULL)
		return STORE_ERROR;
	return st->ops->copy(st, fd);
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

const char *
store_kind(const struct store *st)
{
	return st->ops->kind;
}

int
store_shared(const struct store *st)
{
	return st->ops->shared;
}

const char *
store_where(const struct store *st)
{
	return st->ops->where(st);
}

int
store_readonly(const struct store *st)
{
	return st->ops->readonly(st);
}

void
store_release(struct store *st)
{
	if (st != NULL)
		st->ops->release(st);
}

const char *
store_strerror(const struct store *st)
{
	return st->ops->strerror(st);
}

enum store_rc
store_begin(struct store *st, int write, const char *scope,
    struct store_txn **out)
{
	if (!st->ops->one_trip)
		write &= ~STORE_ONE_TRIP;
	return st->ops->begin(st, write, scope, out);
}

enum store_rc
store_commit(struct store_txn *t)
{
	return t->st->ops->commit(t);
}

void
store_abort(struct store_txn *t)
{
	if (t != NULL)
		t->st->ops->abort(t);
}

enum store_rc
store_get(struct store_txn *t, enum store_table tb, const char *key,
    char **val, size_t *len)
{
	return t->st->ops->get(t, tb, key, val, len);
}

enum store_rc
store_fetch(struct store *st, enum store_table tb, const char *key,
    char **val, size_t *len)
{
	struct store_txn	*t;
	enum store_rc		 rc;

	if (st->ops->fetch != NULL)
		return st->ops->fetch(st, tb, key, val, len);
	*val = NULL;
	if ((rc = store_begin(st, 0, NULL, &t)) != STORE_OK)
		return rc;
	rc = store_get(t, tb, key, val, len);
	store_abort(t);
	return rc;
}

void
store_prefetch(struct store_txn *t, enum store_table tb, const char *key)
{
	if (t->st->ops->prefetch != NULL)
		t->st->ops->prefetch(t, tb, key);
}

enum store_rc
store_put(struct store_txn *t, enum store_table tb, const char *key,
    const char *val, size_t len)
{
	return t->st->ops->put(t, tb, key, val, len);
}

enum store_rc
store_create(struct store_txn *t, enum store_table tb, const char *key,
    const char *val, size_t len, const struct store_rec *with)
{
	return t->st->ops->create(t, tb, key, val, len, with);
}

enum store_rc
store_create_if(struct store_txn *t, enum store_table tb, const char *key,
    const char *val, size_t len, const struct store_rec *with,
    const struct store_rec *cond)
{
	enum store_rc	 rc;
	char		*now;
	size_t		 nlen;
	int		 same;

	if (t->st->ops->create_if != NULL)
		return t->st->ops->create_if(t, tb, key, val, len, with, cond);
	if ((rc = store_get(t, cond->tb, cond->key, &now, &nlen)) ==
	    STORE_NOTFOUND)
		return STORE_EXISTS;	/* gone */
	if (rc != STORE_OK)
		return rc;
	same = nlen == cond->len && memcmp(now, cond->val, nlen) == 0;
	free(now);
	if (!same)
		return STORE_EXISTS;	/* changed */
	return store_create(t, tb, key, val, len, with);
}

enum store_rc
store_recall(struct store *st, enum store_table tb, const char *key,
    char **val, size_t *len)
{
	*val = NULL;
	if (st->ops->recall == NULL)
		return STORE_NOTFOUND;
	return st->ops->recall(st, tb, key, val, len);
}

enum store_rc
store_del(struct store_txn *t, enum store_table tb, const char *key)
{
	return t->st->ops->del(t, tb, key);
}

enum store_rc
store_drop(struct store_txn *t, enum store_table tb, const char *key)
{
	return t->st->ops->drop(t, tb, key);
}

enum store_rc
store_scan_from(struct store_txn *t, enum store_table tb, const char *from,
    size_t limit, int (*fn)(const char *, const char *, size_t, void *),
    void *arg)
{
	return t->st->ops->scan_from(t, tb, from, limit, fn, arg);
}

enum store_rc
store_scan(struct store_txn *t, enum store_table tb, const char *prefix,
    int (*fn)(const char *, const char *, size_t, void *), void *arg)
{
	return t->st->ops->scan(t, tb, prefix, fn, arg);
}

enum store_rc
store_scan_back(struct store_txn *t, enum store_table tb, const char *before,
    size_t limit, int (*fn)(const char *, const char *, size_t, void *),
    void *arg)
{
	return limit == 0 ? STORE_OK :
	    t->st->ops->scan_back(t, tb, before, limit, fn, arg);
}

enum store_rc
store_scan_head(struct store_txn *t, enum store_table tb, size_t max,
    int (*fn)(const char *, const char *, size_t, void *), void *arg)
{
	/* store_scan_from()'s limit 0 is "no limit". */
	return max == 0 ? STORE_OK : store_scan_from(t, tb, "", max, fn, arg);
}

enum store_rc
store_stats(struct store_txn *t, struct store_stats *s)
{
	int i;

	s->bytes = s->map_bytes = s->used_bytes = -1;
	for (i = 0; i < T__COUNT; i++)
		s->records[i] = -1;
	return t->st->ops->stats(t, s);
}

enum store_rc
store_del_prefix(struct store_txn *t, enum store_table tb, const char *prefix,
    size_t *count)
{
	return t->st->ops->del_prefix(t, tb, prefix, count);
}
