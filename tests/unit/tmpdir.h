/* SPDX-License-Identifier: ISC */
/*
 * tmpdir.h: a test's scratch directory — made with mkdtemp(3), a store
 * opened in it, files and /bin/sh hook scripts written into it, values put
 * in one committed transaction, and the whole directory removed at the end.
 * Records (records.h) are saved and read back each in a transaction of
 * their own.  Static inline like tap.h, so a test includes what it does not
 * use.  A failure to set up is no test result: it prints why and exits 2.
 */
#ifndef OSB_TMPDIR_H
#define OSB_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records.h"
#include "store.h"

/* Make /tmp/osb-test-<name>.XXXXXX into dir. */
static inline void
tmp_make(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "/tmp/osb-test-%s.XXXXXX", name);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
}

/* Write dir/name with text and mode; its path into path. */
static inline void
tmp_file(const char *dir, const char *name, const char *text, mode_t mode,
    char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0 || chmod(path, mode) == -1) {
		perror(path);
		exit(2);
	}
}

/* A hook program dir/name: "#!/bin/sh" and body, mode 0755. */
static inline void
tmp_script(const char *dir, const char *name, const char *body, char *path,
    size_t len)
{
	char *text;

	if (asprintf(&text, "#!/bin/sh\n%s\n", body) < 0) {
		perror("asprintf");
		exit(2);
	}
	tmp_file(dir, name, text, 0755, path, len);
	free(text);
}

/* A store in dir, with a 1 MB map. */
static inline struct store *
tmp_store(const char *dir)
{
	struct store *st = NULL;

	if (store_open(NULL, dir, 1024 * 1024, &st) != STORE_OK) {
		fprintf(stderr, "store_open %s: %s\n", dir,
		    st != NULL ? store_strerror(st) : "out of memory");
		exit(2);
	}
	return st;
}

/* Put the raw bytes val under key, committed. */
static inline void
tmp_put(struct store *st, enum store_table tb, const char *key,
    const char *val)
{
	struct store_txn *t;

	if (store_begin(st, 1, NULL, &t) != STORE_OK ||
	    store_put(t, tb, key, val, strlen(val)) != STORE_OK ||
	    store_commit(t) != STORE_OK) {
		fprintf(stderr, "put %s: %s\n", key, store_strerror(st));
		exit(2);
	}
}

/* Save rec under key, committed. */
static inline void
tmp_save(struct store *st, enum store_table tb, const char *key,
    const cJSON *rec)
{
	struct store_txn *t;

	if (store_begin(st, 1, NULL, &t) != STORE_OK ||
	    records_save(t, tb, key, rec) != STORE_OK ||
	    store_commit(t) != STORE_OK) {
		fprintf(stderr, "save %s: %s\n", key, store_strerror(st));
		exit(2);
	}
}

/* The record stored under key, from a new read transaction, or NULL. */
static inline cJSON *
tmp_stored(struct store *st, enum store_table tb, const char *key)
{
	struct store_txn	*t;
	cJSON			*rec = NULL;

	if (store_begin(st, 0, NULL, &t) != STORE_OK) {
		fprintf(stderr, "begin: %s\n", store_strerror(st));
		exit(2);
	}
	(void)records_load(t, tb, key, &rec);
	store_abort(t);
	return rec;
}

static inline int
tmp_unlink(const char *path, const struct stat *sb, int type,
    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) == -1)
		perror(path);
	return 0;
}

/* Remove dir and everything in it. */
static inline void
tmp_remove(const char *dir)
{
	nftw(dir, tmp_unlink, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
