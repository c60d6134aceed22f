/* SPDX-License-Identifier: ISC */
/*
 * test_store.c: the store over LMDB in a mkdtemp(3) directory — get/put/del,
 * abort and commit, persistence across reopen, prefix scans and deletes, and
 * a full map; store_copy() and store_open_copy() (a cut or foreign copy
 * refused before it is mapped).  Each environment is opened once at a time
 * (LMDB's rule).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

static char dir[32];

static void
rm_env(const char *d)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/data.mdb", d);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", d);
	unlink(p);
	if (rmdir(d) == -1)
		perror(d);
}

/* Value of key in a fresh read transaction, or NULL (caller frees). */
static char *
get(struct store *st, enum store_table tb, const char *key, enum store_rc *rc)
{
	struct store_txn	*t;
	char			*v = NULL;

	if ((*rc = store_begin(st, 0, NULL, &t)) != STORE_OK)
		return NULL;
	*rc = store_get(t, tb, key, &v, NULL);
	store_abort(t);
	return v;
}

static int
put1(struct store *st, enum store_table tb, const char *key, const char *val)
{
	struct store_txn *t;

	if (store_begin(st, 1, NULL, &t) != STORE_OK)
		return -1;
	if (store_put(t, tb, key, val, strlen(val)) != STORE_OK) {
		store_abort(t);
		return -1;
	}
	return store_commit(t) == STORE_OK ? 0 : -1;
}

struct seen {
	char	 keys[1024];
	int	 n;
	int	 stop_after;
	int	 bad_val;
};

/* Collect "key=val;" for every call. */
static int
collect(const char *key, const char *val, size_t len, void *arg)
{
	struct seen *s = arg;
	size_t n = strlen(s->keys);

	snprintf(s->keys + n, sizeof(s->keys) - n, "%s=%.*s;", key, (int)len,
	    val);
	s->n++;
	return s->stop_after > 0 && s->n >= s->stop_after;
}

static void
scans(struct store_txn *t, const char *prefix, const char *want, int stop,
    const char *what)
{
	struct seen	 s;
	enum store_rc	 rc;

	memset(&s, 0, sizeof(s));
	s.stop_after = stop;
	rc = store_scan(t, T_BINDINGS, prefix, collect, &s);
	CHECK(rc == STORE_OK && strcmp(s.keys, want) == 0,
	    "store_scan \"%s\": %s", prefix, what);
	if (rc != STORE_OK || strcmp(s.keys, want) != 0)
		printf("#   rc %d got %s\n#  want %s\n", rc, s.keys, want);
}

static void
test_basic(void)
{
	struct store		*st;
	struct store_txn	*t;
	enum store_rc		 rc;
	char			*v;
	size_t			 len;

	rc = store_open(NULL, dir, 16 * 1024 * 1024, &st);
	CHECK(rc == STORE_OK && st != NULL, "store_open in a temp dir");
	if (rc != STORE_OK) {
		printf("#   %s\n", st ? store_strerror(st) : "");
		store_close(st);
		return;
	}

	CHECK(store_begin(st, 1, NULL, &t) == STORE_OK, "begin write");
	CHECK(store_put(t, T_INSTANCES, "i1", "{\"a\":1}", 7) == STORE_OK,
	    "put");
	len = 0;
	v = NULL;
	rc = store_get(t, T_INSTANCES, "i1", &v, &len);
	CHECK(rc == STORE_OK && len == 7 && v != NULL &&
	    strcmp(v, "{\"a\":1}") == 0, "get sees the put in the same txn");
	free(v);
	CHECK(store_put(t, T_INSTANCES, "i1", "{\"a\":22}", 8) == STORE_OK,
	    "put overwrites");
	rc = store_get(t, T_INSTANCES, "i1", &v, &len);
	CHECK(rc == STORE_OK && len == 8 && strcmp(v, "{\"a\":22}") == 0,
	    "get after overwrite");
	free(v);
	v = (char *)"x";
	rc = store_get(t, T_INSTANCES, "nope", &v, &len);
	CHECK(rc == STORE_NOTFOUND && v == NULL, "get missing: NOTFOUND, NULL");
	rc = store_get(t, T_BINDINGS, "i1", &v, &len);
	CHECK(rc == STORE_NOTFOUND, "tables are separate");
	CHECK(store_put(t, T_META, "bin", "a\0b", 3) == STORE_OK,
	    "put a value with a NUL byte");
	rc = store_get(t, T_META, "bin", &v, &len);
	CHECK(rc == STORE_OK && len == 3 && memcmp(v, "a\0b", 4) == 0,
	    "get returns all bytes, NUL-terminated");
	free(v);
	CHECK(store_put(t, T_META, "empty", "", 0) == STORE_OK,
	    "put an empty value");
	rc = store_get(t, T_META, "empty", &v, &len);
	CHECK(rc == STORE_OK && len == 0 && v != NULL && v[0] == '\0',
	    "get an empty value");
	free(v);
	CHECK(store_put(t, T_INSTANCES, "tmp", "x", 1) == STORE_OK, "put tmp");
	CHECK(store_del(t, T_INSTANCES, "tmp") == STORE_OK, "del");
	CHECK(store_get(t, T_INSTANCES, "tmp", &v, &len) == STORE_NOTFOUND,
	    "get after del: NOTFOUND");
	CHECK(store_del(t, T_INSTANCES, "tmp") == STORE_NOTFOUND,
	    "del missing: NOTFOUND");
	CHECK(store_put(t, T_GONE, "tmp", "x", 1) == STORE_OK, "put gone/tmp");
	CHECK(store_drop(t, T_GONE, "tmp") == STORE_OK, "drop");
	CHECK(store_get(t, T_GONE, "tmp", &v, &len) == STORE_NOTFOUND,
	    "get after drop: NOTFOUND");
	CHECK(store_drop(t, T_GONE, "tmp") == STORE_OK,
	    "drop missing: STORE_OK");
	CHECK(store_commit(t) == STORE_OK, "commit the puts and deletes");

	/* Abort discards writes and deletes. */
	CHECK(store_begin(st, 1, NULL, &t) == STORE_OK, "begin write 2");
	store_put(t, T_INSTANCES, "gone", "x", 1);
	store_del(t, T_INSTANCES, "i1");
	store_put(t, T_META, "bin", "changed", 7);
	store_abort(t);
	v = get(st, T_INSTANCES, "gone", &rc);
	CHECK(rc == STORE_NOTFOUND && v == NULL, "abort: put discarded");
	free(v);
	v = get(st, T_INSTANCES, "i1", &rc);
	CHECK(rc == STORE_OK && strcmp(v, "{\"a\":22}") == 0,
	    "abort: del discarded");
	free(v);
	v = get(st, T_META, "bin", &rc);
	CHECK(rc == STORE_OK && strcmp(v, "a") == 0,
	    "abort: overwrite discarded");
	free(v);
	store_abort(NULL);

	/* store_fetch: a get in a read transaction of its own. */
	len = 0;
	rc = store_fetch(st, T_INSTANCES, "i1", &v, &len);
	CHECK(rc == STORE_OK && len == 8 && strcmp(v, "{\"a\":22}") == 0,
	    "fetch");
	free(v);
	rc = store_fetch(st, T_INSTANCES, "nope", &v, &len);
	CHECK(rc == STORE_NOTFOUND && v == NULL, "fetch missing: NOTFOUND, NULL");

	/* A reader does not see a writer's uncommitted data. */
	{
		struct store_txn *w, *r;

		CHECK(store_begin(st, 0, NULL, &r) == STORE_OK, "begin read");
		CHECK(store_begin(st, 1, NULL, &w) == STORE_OK,
		    "begin write while reading");
		store_put(w, T_INSTANCES, "i2", "two", 3);
		CHECK(store_get(r, T_INSTANCES, "i2", &v, &len) ==
		    STORE_NOTFOUND, "reader does not see uncommitted put");
		CHECK(store_commit(w) == STORE_OK, "commit i2");
		CHECK(store_get(r, T_INSTANCES, "i2", &v, &len) ==
		    STORE_NOTFOUND, "reader keeps its snapshot");
		store_abort(r);
	}
	CHECK(store_strerror(st) != NULL, "store_strerror is a string");
	store_close(st);

	/* Commits persist across close and reopen. */
	rc = store_open(NULL, dir, 16 * 1024 * 1024, &st);
	CHECK(rc == STORE_OK, "reopen");
	if (rc != STORE_OK) {
		store_close(st);
		return;
	}
	v = get(st, T_INSTANCES, "i1", &rc);
	CHECK(rc == STORE_OK && strcmp(v, "{\"a\":22}") == 0,
	    "i1 persisted across reopen");
	free(v);
	v = get(st, T_INSTANCES, "i2", &rc);
	CHECK(rc == STORE_OK && strcmp(v, "two") == 0,
	    "i2 persisted across reopen");
	free(v);
	v = get(st, T_INSTANCES, "gone", &rc);
	CHECK(rc == STORE_NOTFOUND, "aborted key still absent after reopen");
	free(v);
	store_close(st);
}

/* store_create(): a new key is created with its companion record, and a
 * tombstone of the same key left as it is (op.h: it counts only while the
 * record is absent); an existing one is STORE_EXISTS with nothing
 * changed. */
static void
test_create(void)
{
	struct store		*st;
	struct store_txn	*t;
	enum store_rc		 rc;
	char			*v;
	const struct store_rec	 with = { T_AUDIT, "a1", "{\"a\":1}", 7 };
	const struct store_rec	 with2 = { T_AUDIT, "a2", "{\"a\":2}", 7 };

	if (store_open(NULL, dir, 16 * 1024 * 1024, &st) != STORE_OK) {
		CHECK(0, "store_open for create");
		store_close(st);
		return;
	}
	CHECK(put1(st, T_GONE, "c1", "{\"gone\":1}") == 0 &&
	    put1(st, T_GONE, "c2", "{\"gone\":2}") == 0 &&
	    put1(st, T_INSTANCES, "c2", "{\"old\":1}") == 0, "create: setup");
	CHECK(store_begin(st, STORE_WRITE, "c1", &t) == STORE_OK &&
	    store_create(t, T_INSTANCES, "c1", "{\"new\":1}", 9, &with) ==
	    STORE_OK && store_commit(t) == STORE_OK, "create a new key");
	v = get(st, T_INSTANCES, "c1", &rc);
	CHECK(v != NULL && strcmp(v, "{\"new\":1}") == 0, "created: stored");
	free(v);
	v = get(st, T_GONE, "c1", &rc);
	CHECK(v != NULL && strcmp(v, "{\"gone\":1}") == 0,
	    "created: the tombstone left as it was");
	free(v);
	v = get(st, T_AUDIT, "a1", &rc);
	CHECK(v != NULL && strcmp(v, "{\"a\":1}") == 0,
	    "created: its companion record written");
	free(v);

	CHECK(store_begin(st, STORE_WRITE, "c2", &t) == STORE_OK,
	    "begin for an existing key");
	rc = store_create(t, T_INSTANCES, "c2", "{\"new\":2}", 9, &with2);
	CHECK(rc == STORE_EXISTS, "create of an existing key: STORE_EXISTS");
	store_abort(t);
	v = get(st, T_INSTANCES, "c2", &rc);
	CHECK(v != NULL && strcmp(v, "{\"old\":1}") == 0,
	    "existing: the old record kept");
	free(v);
	v = get(st, T_GONE, "c2", &rc);
	CHECK(v != NULL && strcmp(v, "{\"gone\":2}") == 0,
	    "existing: its tombstone as it was");
	free(v);
	v = get(st, T_AUDIT, "a2", &rc);
	CHECK(v == NULL && rc == STORE_NOTFOUND,
	    "existing: no companion record");
	free(v);

	CHECK(store_begin(st, STORE_WRITE, "c3", &t) == STORE_OK &&
	    store_create(t, T_BINDINGS, "c3/b", "{}", 2, NULL) ==
	    STORE_OK &&
	    store_commit(t) == STORE_OK, "create with no companion record");
	v = get(st, T_BINDINGS, "c3/b", &rc);
	CHECK(v != NULL && strcmp(v, "{}") == 0, "created without a companion");
	free(v);
	/* Leave the store as found, for the scans below. */
	if (store_begin(st, STORE_WRITE, NULL, &t) == STORE_OK) {
		(void)store_del_prefix(t, T_INSTANCES, "c", NULL);
		(void)store_del_prefix(t, T_BINDINGS, "c", NULL);
		(void)store_del_prefix(t, T_GONE, "c", NULL);
		(void)store_del_prefix(t, T_AUDIT, "a", NULL);
		(void)store_commit(t);
	}
	store_close(st);
}

static void
test_prefix(void)
{
	static const char *keys[] = {
		"i1/c", "i10/x", "i1/a", "i2/y", "i0/z", "i1/b", "i1", "i1.",
		"h9/9",
	};
	struct store		*st;
	struct store_txn	*t;
	enum store_rc		 rc;
	char			 key[600], *v;
	size_t			 i, n;
	int			 ok;

	if (store_open(NULL, dir, 16 * 1024 * 1024, &st) != STORE_OK) {
		CHECK(0, "reopen for prefix tests");
		store_close(st);
		return;
	}
	if (store_begin(st, 1, NULL, &t) != STORE_OK)
		abort();
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		store_put(t, T_BINDINGS, keys[i], keys[i], strlen(keys[i]));
	store_put(t, T_INSTANCES, "i1/zz", "other table", 11);
	CHECK(store_commit(t) == STORE_OK, "commit binding keys");

	if (store_begin(st, 0, NULL, &t) != STORE_OK)
		abort();
	scans(t, "i1/", "i1/a=i1/a;i1/b=i1/b;i1/c=i1/c;", 0,
	    "only i1/*, in key order (not i10/x, i1, i1.)");
	scans(t, "i10/", "i10/x=i10/x;", 0, "i10/");
	scans(t, "i1/", "i1/a=i1/a;", 1, "stops when fn returns non-zero");
	scans(t, "i3/", "", 0, "no match between keys");
	scans(t, "zz", "", 0, "no match after the last key");
	scans(t, "a", "", 0, "no match before the first key");
	scans(t, "i1/b", "i1/b=i1/b;", 0, "a whole key as prefix");
	scans(t, "", "h9/9=h9/9;i0/z=i0/z;i1=i1;i1.=i1.;i1/a=i1/a;"
	    "i1/b=i1/b;i1/c=i1/c;i10/x=i10/x;i2/y=i2/y;", 0,
	    "empty prefix: every key");
	store_abort(t);

	/* Delete by prefix. */
	if (store_begin(st, 1, NULL, &t) != STORE_OK)
		abort();
	n = 99;
	rc = store_del_prefix(t, T_BINDINGS, "i1/", &n);
	CHECK(rc == STORE_OK && n == 3, "store_del_prefix i1/: 3 deleted "
	    "(got %zu)", n);
	n = 99;
	rc = store_del_prefix(t, T_BINDINGS, "i3/", &n);
	CHECK(rc == STORE_OK && n == 0, "store_del_prefix: none matching");
	rc = store_del_prefix(t, T_BINDINGS, "zzz", NULL);
	CHECK(rc == STORE_OK, "store_del_prefix: count optional, past end");
	CHECK(store_commit(t) == STORE_OK, "commit deletes");
	if (store_begin(st, 0, NULL, &t) != STORE_OK)
		abort();
	scans(t, "i1/", "", 0, "i1/* gone");
	scans(t, "i", "i0/z=i0/z;i1=i1;i1.=i1.;i10/x=i10/x;i2/y=i2/y;", 0,
	    "neighbours untouched");
	CHECK(store_get(t, T_INSTANCES, "i1/zz", &v, NULL) == STORE_OK,
	    "other table untouched");
	free(v);
	store_abort(t);

	/* Many keys over many pages, one instance in the middle. */
	if (store_begin(st, 1, NULL, &t) != STORE_OK)
		abort();
	for (i = 0; i < 600; i++) {
		snprintf(key, sizeof(key), "m%c/b%04zu", i < 200 ? 'a' :
		    i < 400 ? 'b' : 'c', i);
		store_put(t, T_BINDINGS, key, "0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef", 64);
	}
	CHECK(store_commit(t) == STORE_OK, "commit 600 keys");
	if (store_begin(st, 1, NULL, &t) != STORE_OK)
		abort();
	rc = store_del_prefix(t, T_BINDINGS, "mb/", &n);
	CHECK(rc == STORE_OK && n == 200, "store_del_prefix over pages: 200 "
	    "(got %zu)", n);
	CHECK(store_commit(t) == STORE_OK, "commit the prefix delete");
	if (store_begin(st, 0, NULL, &t) != STORE_OK)
		abort();
	{
		struct seen s;

		memset(&s, 0, sizeof(s));
		store_scan(t, T_BINDINGS, "ma/", collect, &s);
		ok = s.n == 200;
		memset(&s, 0, sizeof(s));
		store_scan(t, T_BINDINGS, "mb/", collect, &s);
		ok = ok && s.n == 0;
		memset(&s, 0, sizeof(s));
		store_scan(t, T_BINDINGS, "mc/", collect, &s);
		ok = ok && s.n == 200;
		CHECK(ok, "the instances before and after keep 200 each");
	}
	store_abort(t);

	/* The longest binding key: 255 + "/" + 255 bytes. */
	memset(key, 'k', 511);
	key[255] = '/';
	key[511] = '\0';
	CHECK(put1(st, T_BINDINGS, key, "long") == 0,
	    "a 511-byte key (longest binding key) is stored");
	v = get(st, T_BINDINGS, key, &rc);
	CHECK(rc == STORE_OK && v != NULL && strcmp(v, "long") == 0,
	    "and read back");
	free(v);
	store_close(st);
}

static void
test_full(void)
{
	struct store		*st;
	struct store_txn	*t;
	enum store_rc		 rc = STORE_OK;
	char			 d[64], key[32], *big, *v;
	int			 i;

	snprintf(d, sizeof(d), "%s/small", dir);
	if (mkdir(d, 0700) == -1) {
		perror(d);
		return;
	}
	rc = store_open(NULL, d, 1024 * 1024, &st);
	CHECK(rc == STORE_OK, "store_open with a 1 MiB map");
	if (rc != STORE_OK) {
		store_close(st);
		rm_env(d);
		return;
	}
	CHECK(put1(st, T_INSTANCES, "keep", "{\"kept\":true}") == 0,
	    "commit a record before filling");
	if ((big = malloc(4000)) == NULL)
		abort();
	memset(big, 'x', 4000);
	if (store_begin(st, 1, NULL, &t) != STORE_OK)
		abort();
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "fill%06d", i);
		if ((rc = store_put(t, T_INSTANCES, key, big, 4000)) !=
		    STORE_OK)
			break;
	}
	CHECK(rc == STORE_FULL, "put until the map is full: STORE_FULL "
	    "(rc %d after %d puts)", rc, i);
	CHECK(store_strerror(st)[0] != '\0', "store_strerror says why (%s)",
	    store_strerror(st));
	store_abort(t);
	free(big);

	v = get(st, T_INSTANCES, "keep", &rc);
	CHECK(rc == STORE_OK && v != NULL && strcmp(v, "{\"kept\":true}") == 0,
	    "after abort: committed data still readable");
	free(v);
	v = get(st, T_INSTANCES, "fill000000", &rc);
	CHECK(rc == STORE_NOTFOUND, "after abort: nothing of the full txn");
	free(v);
	CHECK(put1(st, T_INSTANCES, "after", "small") == 0,
	    "after abort: a small write commits");
	store_close(st);
	rm_env(d);
}

static void
test_open_errors(void)
{
	struct store	*st = NULL;
	enum store_rc	 rc;
	char		 d[96];

	snprintf(d, sizeof(d), "%s/missing/deeper", dir);
	rc = store_open(NULL, d, 1024 * 1024, &st);
	CHECK(rc != STORE_OK && st != NULL &&
	    strstr(store_strerror(st), d) != NULL,
	    "store_open of a missing directory fails, naming it");
	store_close(st);

	/* A missing state directory is created private; its files are too. */
	{
		struct stat sb;
		char p[128];

		snprintf(d, sizeof(d), "%s/new", dir);
		st = NULL;
		rc = store_open(NULL, d, 1024 * 1024, &st);
		CHECK(rc == STORE_OK && stat(d, &sb) == 0 &&
		    (sb.st_mode & 07777) == 0700, "a missing state directory is "
		    "created 0700");
		snprintf(p, sizeof(p), "%s/data.mdb", d);
		CHECK(stat(p, &sb) == 0 && (sb.st_mode & 07777) == 0600,
		    "data.mdb is 0600");
		store_close(st);
		rm_env(d);

		snprintf(d, sizeof(d), "%s/shared", dir);
		if (mkdir(d, 0700) == 0 && chmod(d, 0770) == 0) {
			st = NULL;
			rc = store_open(NULL, d, 1024 * 1024, &st);
			CHECK(rc != STORE_OK && st != NULL &&
			    strstr(store_strerror(st), "chmod 0700") != NULL,
			    "a group-writable state directory is refused");
			store_close(st);
			chmod(d, 0702);
			st = NULL;
			rc = store_open(NULL, d, 1024 * 1024, &st);
			CHECK(rc != STORE_OK, "a world-writable one too");
			store_close(st);
			rmdir(d);
		}
	}

	if (geteuid() == 0) {
		CHECK(1, "# SKIP read-only directory (running as root)");
		return;
	}
	snprintf(d, sizeof(d), "%s/ro", dir);
	if (mkdir(d, 0500) == -1) {
		perror(d);
		return;
	}
	st = NULL;
	rc = store_open(NULL, d, 1024 * 1024, &st);
	CHECK(rc == STORE_READONLY, "unwritable directory: STORE_READONLY "
	    "(rc %d)", rc);
	store_close(st);
	chmod(d, 0700);
	rm_env(d);
}

/* A process with a small map keeps working after one with a larger map
 * (a later OSBROKER_MAP_SIZE) has grown the data past it. */
static int
count_key(const char *key, const char *val, size_t len, void *arg)
{
	size_t *n = arg;

	(void)key;
	(void)val;
	(void)len;
	(*n)++;
	return 0;
}

/* The keys store_scan_back() gives, joined with ',' into buf. */
struct keys {
	char	 buf[256];
	size_t	 n, stop;	/* stop: return 1 at the n-th, 0 never */
};

static int
join_key(const char *key, const char *val, size_t len, void *arg)
{
	struct keys *k = arg;
	size_t used = strlen(k->buf);

	(void)val;
	(void)len;
	snprintf(k->buf + used, sizeof(k->buf) - used, "%s%s",
	    used ? "," : "", key);
	return ++k->n == k->stop;
}

/* store_scan_back() on the 50 keys k00..k49 of test_head_stats(). */
static void
back_checks(struct store_txn *t)
{
	struct keys k;

	memset(&k, 0, sizeof(k));
	CHECK(store_scan_back(t, T_INSTANCES, "", 3, join_key, &k) ==
	    STORE_OK, "scan_back from the last");
	CHECK_STR(k.buf, "k49,k48,k47", "scan_back(\"\", 3): the last three, "
	    "last first");
	memset(&k, 0, sizeof(k));
	store_scan_back(t, T_INSTANCES, "k10", 3, join_key, &k);
	CHECK_STR(k.buf, "k09,k08,k07", "scan_back(k10): keys before it only");
	memset(&k, 0, sizeof(k));
	store_scan_back(t, T_INSTANCES, "k105", 2, join_key, &k);
	CHECK_STR(k.buf, "k10,k09", "scan_back from a key not stored");
	memset(&k, 0, sizeof(k));
	store_scan_back(t, T_INSTANCES, "z", 1, join_key, &k);
	CHECK_STR(k.buf, "k49", "scan_back from after the last key");
	memset(&k, 0, sizeof(k));
	store_scan_back(t, T_INSTANCES, "k02", 10, join_key, &k);
	CHECK_STR(k.buf, "k01,k00", "scan_back stops at the first key");
	memset(&k, 0, sizeof(k));
	store_scan_back(t, T_INSTANCES, "k00", 10, join_key, &k);
	CHECK_STR(k.buf, "", "scan_back before the first key gives none");
	memset(&k, 0, sizeof(k));
	k.stop = 2;
	store_scan_back(t, T_INSTANCES, "", 10, join_key, &k);
	CHECK_STR(k.buf, "k49,k48", "scan_back stops when fn says so");
	memset(&k, 0, sizeof(k));
	store_scan_back(t, T_INSTANCES, "", 0, join_key, &k);
	CHECK_STR(k.buf, "", "scan_back(0) reads none");
	memset(&k, 0, sizeof(k));
	store_scan_back(t, T_GONE, "", 5, join_key, &k);
	CHECK_STR(k.buf, "", "scan_back of an empty table");
}

/* store_scan_head() reads at most max keys of a table; store_stats()
 * gives LMDB's file and map sizes and exact counts per table. */
static void
test_head_stats(void)
{
	struct store		*st = NULL;
	struct store_txn	*t;
	struct store_stats	 ss;
	char			 d[64], key[32];
	size_t			 n;
	int			 i, ok = 1;

	snprintf(d, sizeof(d), "%s/head", dir);
	if (mkdir(d, 0700) == -1 || store_open(NULL, d, 4 * 1024 * 1024,
	    &st) != STORE_OK || store_begin(st, STORE_WRITE, NULL, &t) !=
	    STORE_OK) {
		CHECK(0, "open a store for scan_head and stats");
		store_close(st);
		return;
	}
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "k%02d", i);
		ok &= store_put(t, T_INSTANCES, key, "{}", 2) == STORE_OK;
	}
	ok &= store_put(t, T_BINDINGS, "k00/b", "{}", 2) == STORE_OK;
	CHECK(ok && store_commit(t) == STORE_OK, "50 instances, 1 binding");
	if (store_begin(st, STORE_READ, NULL, &t) != STORE_OK) {
		CHECK(0, "a read transaction");
		store_close(st);
		return;
	}
	n = 0;
	CHECK(store_scan_head(t, T_INSTANCES, 7, count_key, &n) == STORE_OK &&
	    n == 7, "scan_head(7) reads 7 keys of 50 (%zu)", n);
	n = 0;
	CHECK(store_scan_head(t, T_INSTANCES, 100, count_key, &n) ==
	    STORE_OK && n == 50, "scan_head(100) reads all 50 (%zu)", n);
	n = 0;
	CHECK(store_scan_head(t, T_INSTANCES, 0, count_key, &n) == STORE_OK &&
	    n == 0, "scan_head(0) reads none");
	back_checks(t);
	CHECK(store_stats(t, &ss) == STORE_OK &&
	    ss.records[T_INSTANCES] == 50 && ss.records[T_BINDINGS] == 1 &&
	    ss.records[T_GONE] == 0, "stats: exact counts per table");
	CHECK(ss.map_bytes == 4 * 1024 * 1024 && ss.bytes > 0 &&
	    ss.used_bytes > 0 && ss.used_bytes <= ss.map_bytes,
	    "stats: file %lld, map %lld, used %lld", ss.bytes, ss.map_bytes,
	    ss.used_bytes);
	store_abort(t);
	store_close(st);
	rm_env(d);
}

static void
test_grown(void)
{
	struct store		*small = NULL, *large = NULL;
	struct store_txn	*t;
	enum store_rc		 rc = STORE_OK;
	char			 d[64], key[32], big[4000], *v;
	int			 i;

	snprintf(d, sizeof(d), "%s/grown", dir);
	if (mkdir(d, 0700) == -1) {
		perror(d);
		return;
	}
	memset(big, 'y', sizeof(big));
	if (store_open(NULL, d, 1024 * 1024, &small) != STORE_OK ||
	    put1(small, T_INSTANCES, "first", "{}") != 0 ||
	    store_open(NULL, d, 8 * 1024 * 1024, &large) != STORE_OK ||
	    store_begin(large, 1, NULL, &t) != STORE_OK) {
		CHECK(0, "two stores with different map sizes");
		goto out;
	}
	for (i = 0; i < 600 && rc == STORE_OK; i++) {
		snprintf(key, sizeof(key), "big%04d", i);
		rc = store_put(t, T_INSTANCES, key, big, sizeof(big));
	}
	CHECK(rc == STORE_OK && store_commit(t) == STORE_OK, "the larger map "
	    "takes 2.4 MB, more than the small one holds");
	v = get(small, T_INSTANCES, "big0599", &rc);
	CHECK(rc == STORE_OK && v != NULL && strlen(v) == sizeof(big),
	    "the small map's process reads it (map size adopted)");
	free(v);
	CHECK(put1(small, T_INSTANCES, "last", "{}") == 0, "... and writes");
out:
	store_close(small);
	store_close(large);
	rm_env(d);
}

/* Resident kB of this process's mapping of the data file in d. */
static long
map_rss_kb(const char *d)
{
	char	 line[4352], want[128];
	FILE	*f;
	long	 kb = -1;
	int	 in = 0;

	snprintf(want, sizeof(want), "%s/data.mdb", d);
	if ((f = fopen("/proc/self/smaps", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strchr(line, '-') != NULL && strstr(line, " r") != NULL &&
		    line[0] != 'R')
			in = strstr(line, want) != NULL;
		if (in && strncmp(line, "Rss:", 4) == 0) {
			kb = atol(line + 4);
			in = 0;
		}
	}
	fclose(f);
	return kb;
}

/* store_release(): the pages read stop counting in this process's
 * resident size, and reads still find everything. */
static void
test_release(void)
{
	struct store		*st = NULL;
	struct store_txn	*t;
	enum store_rc		 rc = STORE_OK;
	char			 d[64], key[32], big[4000], *v;
	long			 before, after;
	int			 i, same = 1;

	snprintf(d, sizeof(d), "%s/release", dir);
	if (mkdir(d, 0700) == -1) {
		perror(d);
		return;
	}
	memset(big, 'r', sizeof(big));
	if (store_open(NULL, d, 64 * 1024 * 1024, &st) != STORE_OK ||
	    store_begin(st, 1, NULL, &t) != STORE_OK) {
		CHECK(0, "store for store_release");
		goto out;
	}
	for (i = 0; i < 2000 && rc == STORE_OK; i++) {
		snprintf(key, sizeof(key), "r%05d", i);
		rc = store_put(t, T_INSTANCES, key, big, sizeof(big));
	}
	CHECK(rc == STORE_OK && store_commit(t) == STORE_OK, "8 MB of records");
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "r%05d", i);
		free(get(st, T_INSTANCES, key, &rc));
	}
	before = map_rss_kb(d);
	store_release(st);
	after = map_rss_kb(d);
	CHECK(before >= 4000 && after >= 0 && after < 512, "store_release: the "
	    "mapping's resident size %ld kB -> %ld kB", before, after);
	for (i = 0; i < 2000; i += 7) {
		snprintf(key, sizeof(key), "r%05d", i);
		v = get(st, T_INSTANCES, key, &rc);
		if (rc != STORE_OK || v == NULL || memcmp(v, big, sizeof(big)))
			same = 0;
		free(v);
	}
	CHECK(same, "after store_release every record reads the same");
	store_release(st);
	store_release(st);	/* nothing read meanwhile: nothing to do */
	CHECK(map_rss_kb(d) < 512, "store_release again: still small");
out:
	store_close(st);
	rm_env(d);
}

/* The other process of test_open_during_write(): "test_store --open-read
 * DIR" opens the store and reads "there"; exit 0 when it could. */
static int
open_read(const char *d)
{
	struct store	*other = NULL;
	enum store_rc	 rc = STORE_ERROR;
	char		*v = NULL;

	alarm(10);
	if (store_open(NULL, d, 1024 * 1024, &other) == STORE_OK)
		v = get(other, T_INSTANCES, "there", &rc);
	rc = rc == STORE_OK && v != NULL && strcmp(v, "{\"x\":1}") == 0 ?
	    STORE_OK : STORE_ERROR;
	free(v);
	store_close(other);
	return rc == STORE_OK ? 0 : 4;
}

/* Opening an existing store takes no writers' lock: another process opens
 * it and reads while this one is inside a write transaction (a CGI process
 * starting during a commit).  That process is this program again (exec'd,
 * so it inherits no LMDB environment), given 10 s (SIGALRM) to do it. */
static void
test_open_during_write(const char *self)
{
	struct store		*st = NULL;
	struct store_txn	*t = NULL;
	char			 d[64];
	pid_t			 pid;
	int			 status = -1;

	snprintf(d, sizeof(d), "%s/busy", dir);
	if (mkdir(d, 0700) == -1) {
		perror(d);
		return;
	}
	if (store_open(NULL, d, 1024 * 1024, &st) != STORE_OK ||
	    put1(st, T_INSTANCES, "there", "{\"x\":1}") != 0 ||
	    store_begin(st, 1, NULL, &t) != STORE_OK) {
		CHECK(0, "a store with a write transaction open");
		goto out;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		execl(self, self, "--open-read", d, (char *)NULL);
		_exit(5);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "another process opens the store and reads during a write "
	    "transaction (status %d)", status);
out:
	if (t != NULL)
		store_abort(t);
	store_close(st);
	rm_env(d);
}

static int
count_one(const char *key, const char *val, size_t len, void *arg)
{
	(void)key;
	(void)val;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

/* A compacting copy of a store with records, opened again read-only; a
 * copy cut short, and a file that is not LMDB's, refused with a reason. */
static void
test_copy(void)
{
	char			 d[64], f[96], cut[96], *val = NULL, *data;
	struct store		*st, *cp = NULL;
	struct store_txn	*t;
	struct stat		 sb;
	size_t			 len;
	FILE			*in, *out;
	int			 fd, n = 0;
	enum store_rc		 rc;

	snprintf(d, sizeof(d), "%s/copy", dir);
	snprintf(f, sizeof(f), "%s/copy.mdb", dir);
	snprintf(cut, sizeof(cut), "%s/cut.mdb", dir);
	if (store_open(NULL, d, 1 << 20, &st) != STORE_OK ||
	    store_begin(st, 1, NULL, &t) != STORE_OK)
		exit(2);
	for (n = 0; n < 200; n++) {
		char k[16];

		snprintf(k, sizeof(k), "i%03d", n);
		if (store_put(t, T_INSTANCES, k, "{\"a\":1}", 7) != STORE_OK)
			exit(2);
	}
	if (store_commit(t) != STORE_OK)
		exit(2);
	CHECK(store_copyable(st), "copy: LMDB can copy itself");
	fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd != -1 && store_copy(st, fd) == STORE_OK && close(fd) == 0,
	    "copy: store_copy() into a new file");
	store_close(st);
	CHECK(store_open_copy(f, &cp) == STORE_OK && store_readonly(cp),
	    "copy: store_open_copy() opens it read-only");
	n = 0;
	CHECK(store_begin(cp, 0, NULL, &t) == STORE_OK &&
	    store_scan(t, T_INSTANCES, "", count_one, &n) == STORE_OK &&
	    n == 200 && store_get(t, T_INSTANCES, "i123", &val, &len) ==
	    STORE_OK && len == 7, "copy: every record is in it");
	free(val);
	store_abort(t);
	CHECK(store_begin(cp, 1, NULL, &t) == STORE_READONLY,
	    "copy: no write transaction on a copy");
	store_close(cp);
	CHECK(stat(f, &sb) == 0 && sb.st_size > 8192, "copy: its size");
	/* cut: the first half */
	if ((in = fopen(f, "rb")) == NULL || (data = malloc((size_t)
	    sb.st_size)) == NULL || fread(data, 1, (size_t)sb.st_size, in) !=
	    (size_t)sb.st_size || (out = fopen(cut, "wb")) == NULL)
		exit(2);
	fclose(in);
	fwrite(data, 1, (size_t)sb.st_size / 2, out);
	fclose(out);
	cp = NULL;
	rc = store_open_copy(cut, &cp);
	CHECK(rc == STORE_ERROR && cp != NULL && strstr(store_strerror(cp),
	    "cut short") != NULL, "copy: a copy cut short is refused: %s",
	    cp != NULL ? store_strerror(cp) : "");
	store_close(cp);
	/* foreign: the same bytes with the magic number changed */
	data[16] ^= 0xff;
	if ((out = fopen(cut, "wb")) == NULL)
		exit(2);
	fwrite(data, 1, (size_t)sb.st_size, out);
	fclose(out);
	cp = NULL;
	rc = store_open_copy(cut, &cp);
	CHECK(rc == STORE_ERROR && cp != NULL && strstr(store_strerror(cp),
	    "not an LMDB data file") != NULL, "copy: a file that is not LMDB's "
	    "is refused");
	store_close(cp);
	free(data);
	unlink(f);
	unlink(cut);
	rm_env(d);
}

/* store_create_if(): made when the condition's record is stored exactly
 * as given; STORE_EXISTS with nothing changed when it differs in a byte, in
 * its length or is gone, and when the key exists; store_recall() finds
 * nothing on LMDB, so no handler decides on a remembered record there. */
static void
test_create_if(void)
{
	struct store		*st;
	struct store_txn	*t;
	enum store_rc		 rc;
	char			*v;
	size_t			 len;
	const struct store_rec	 with = { T_AUDIT, "ca1", "{\"a\":1}", 7 };
	const struct store_rec	 same = { T_INSTANCES, "ci", "{\"p\":1}", 7 },
				 other = { T_INSTANCES, "ci", "{\"p\":2}", 7 },
				 shorter = { T_INSTANCES, "ci", "{\"p\":1}", 6 },
				 gone = { T_INSTANCES, "cj", "{\"p\":1}", 7 };

	if (store_open(NULL, dir, 16 * 1024 * 1024, &st) != STORE_OK) {
		CHECK(0, "store_open for create_if");
		store_close(st);
		return;
	}
	CHECK(put1(st, T_INSTANCES, "ci", "{\"p\":1}") == 0 &&
	    put1(st, T_GONE, "ci/b1", "{}") == 0, "create_if: setup");
	CHECK(store_recall(st, T_INSTANCES, "ci", &v, &len) == STORE_NOTFOUND &&
	    v == NULL, "create_if: LMDB remembers no record");
	CHECK(store_begin(st, STORE_WRITE_KEY, "ci/b1", &t) == STORE_OK,
	    "create_if: begin");
	rc = store_create_if(t, T_BINDINGS, "ci/b1", "{}", 2, &with,
	    &other);
	CHECK(rc == STORE_EXISTS, "create_if: a changed record: STORE_EXISTS");
	rc = store_create_if(t, T_BINDINGS, "ci/b1", "{}", 2, &with,
	    &shorter);
	CHECK(rc == STORE_EXISTS, "create_if: a record of another length: "
	    "STORE_EXISTS");
	rc = store_create_if(t, T_BINDINGS, "ci/b1", "{}", 2, &with,
	    &gone);
	CHECK(rc == STORE_EXISTS, "create_if: a record that is gone: "
	    "STORE_EXISTS");
	store_abort(t);
	v = get(st, T_BINDINGS, "ci/b1", &rc);
	CHECK(v == NULL && rc == STORE_NOTFOUND, "create_if refused: nothing "
	    "created");
	free(v);
	v = get(st, T_GONE, "ci/b1", &rc);
	CHECK(v != NULL, "create_if refused: the tombstone kept");
	free(v);
	v = get(st, T_AUDIT, "ca1", &rc);
	CHECK(v == NULL, "create_if refused: no companion record");
	free(v);

	CHECK(store_begin(st, STORE_WRITE_KEY, "ci/b1", &t) == STORE_OK &&
	    store_create_if(t, T_BINDINGS, "ci/b1", "{}", 2, &with,
	    &same) == STORE_OK && store_commit(t) == STORE_OK,
	    "create_if: the record as given: created");
	v = get(st, T_BINDINGS, "ci/b1", &rc);
	CHECK(v != NULL && strcmp(v, "{}") == 0, "create_if: stored");
	free(v);
	v = get(st, T_GONE, "ci/b1", &rc);
	CHECK(v != NULL && strcmp(v, "{}") == 0,
	    "create_if: the tombstone left as it was");
	free(v);
	v = get(st, T_AUDIT, "ca1", &rc);
	CHECK(v != NULL, "create_if: companion record written");
	free(v);
	CHECK(store_begin(st, STORE_WRITE_KEY, "ci/b1", &t) == STORE_OK,
	    "create_if again: begin");
	rc = store_create_if(t, T_BINDINGS, "ci/b1", "{\"x\":1}", 7, NULL,
	    &same);
	CHECK(rc == STORE_EXISTS, "create_if of an existing key: STORE_EXISTS");
	store_abort(t);
	v = get(st, T_BINDINGS, "ci/b1", &rc);
	CHECK(v != NULL && strcmp(v, "{}") == 0, "create_if of an existing "
	    "key: the old record kept");
	free(v);
	if (store_begin(st, STORE_WRITE, NULL, &t) == STORE_OK) {
		(void)store_del_prefix(t, T_INSTANCES, "c", NULL);
		(void)store_del_prefix(t, T_BINDINGS, "c", NULL);
		(void)store_del_prefix(t, T_GONE, "c", NULL);
		(void)store_del_prefix(t, T_AUDIT, "c", NULL);
		(void)store_commit(t);
	}
	store_close(st);
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "--open-read") == 0)
		return open_read(argv[2]);
	snprintf(dir, sizeof(dir), "/tmp/osb-test-store.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_basic();
	test_create();
	test_create_if();
	test_prefix();
	test_full();
	test_grown();
	test_head_stats();
	test_release();
	test_open_during_write(argv[0]);
	test_open_errors();
	test_copy();
	rm_env(dir);
	return tap_done();
}
