/* SPDX-License-Identifier: ISC */
/*
 * catcache: the compiled catalog, kept in the state directory.
 *
 * A CGI process answers one request and exits, so parsing catalog.yml with
 * libyaml and checking every catalog rule would be most of its work.  The
 * first process that loads a catalog writes its compiled form
 * (catalog_compile()) to <state>/catalog.cache, headed by the identity of
 * the file it came from: device, inode, size, and modification and change
 * times to the nanosecond.  Later processes load that instead while the
 * identity matches.  Any edit of catalog.yml changes its times, so the next
 * load parses the file again and rewrites the cache; a damaged or foreign
 * cache is ignored the same way.
 *
 * The served document is kept apart in the file, ahead of the compiled
 * form, so that a process answering only the catalog reads it without
 * loading the catalog (catcache_served()).
 *
 * The cache names hook programs, so it is trusted only as far as the state
 * directory is: call this after store_open() has checked the directory, and
 * the file is read only when it is a regular file of this user that nobody
 * else may write.  Failing to write it (a read-only state directory) only
 * costs speed and is not reported.
 */
#ifndef OSB_CATCACHE_H
#define OSB_CATCACHE_H

#include "catalog.h"

/*
 * The compiled form: the validated catalog with its broker settings, as one
 * JSON text that catalog_load_compiled() turns back into the same catalog
 * (the same served bytes and ETag) without libyaml and without the catalog
 * rules, which it has already passed.  The text is trusted as far as its
 * structure goes (ids and names are checked, plans' broker settings are
 * checked again), so keep it where only the broker can write.
 * catalog_compile() returns a malloc'ed string or NULL (out of memory).
 * catalog_load_compiled() works like catalog_load_buffer(); name is the
 * catalog file's path, for relative hook paths and messages.
 */
char *catalog_compile(const struct catalog *);
int   catalog_load_compiled(const char *name, const char *data, size_t len,
          struct catalog **out, struct catalog_error *err);

/* Like catalog_load(path, out, err), through the cache in dir. */
int catcache_load(const char *path, const char *dir, struct catalog **out,
    struct catalog_error *err);

/*
 * What GET /v2/catalog answers, without loading the catalog: the bytes
 * catalog_json() serves, their catalog_etag() and the file's mtime, taken
 * from the cache in dir as they are when it is current (no JSON parsed, no
 * hook looked at).  For a CGI process that answers the catalog to a user
 * who sees it all.  0, or -1 when there is no current cache (then
 * catcache_load() makes one).  Same trust as catcache_load(): call it after
 * the state directory has been checked.  out owns buf, which json points
 * into (NUL-terminated); catcache_served_free() frees it.
 */
struct catcache_served {
	char		*buf;
	const char	*json;
	size_t		 len;
	char		 etag[CATALOG_ETAG_LEN];
	time_t		 mtime;
};
int  catcache_served(const char *path, const char *dir,
         struct catcache_served *out);
void catcache_served_free(struct catcache_served *);

#endif
