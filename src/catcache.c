/*
 * catcache: see catcache.h.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catcache.h"
#include "pfile.h"
#include "version.h"

#define CACHE_NAME	"catalog.cache"
#define CACHE_MAX	(16 * 1024 * 1024)	/* compiled 4 MB catalogs fit */

/* The first line of the cache: what it was compiled from, and by what. */
static void
identity(const struct stat *st, char *out, size_t outlen)
{
	char id[200];

	pfile_identity(st, id, sizeof(id));
	snprintf(out, outlen, "osbroker-catalog-cache %s %s\n", OSB_VERSION, id);
}

static int
same_identity(const struct stat *a, const struct stat *b)
{
	char x[200], y[200];

	pfile_identity(a, x, sizeof(x));
	pfile_identity(b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

int
catcache_load(const char *path, const char *dir, struct catalog **out,
    struct catalog_error *err)
{
	struct stat	 before, after;
	char		 file[4200], head[256], *buf, *body, *text;
	size_t		 len = 0, hl;

	if (dir == NULL || stat(path, &before) == -1 ||
	    (size_t)snprintf(file, sizeof(file), "%s/%s", dir, CACHE_NAME) >=
	    sizeof(file))
		return catalog_load(path, out, err);
	identity(&before, head, sizeof(head));
	hl = strlen(head);
	if ((buf = pfile_read(file, CACHE_MAX, &len)) != NULL) {
		if (len > hl && memcmp(buf, head, hl) == 0 &&
		    catalog_load_compiled(path, buf + hl, len - hl, out,
		    err) == 0) {
			catalog_set_mtime(*out, before.st_mtime);
			free(buf);
			return 0;
		}
		free(buf);
	}
	if (catalog_load(path, out, err) == -1)
		return -1;
	/* Only what is known to be the file that was stat'ed is cached. */
	if (stat(path, &after) == 0 && same_identity(&before, &after) &&
	    (body = catalog_compile(*out)) != NULL) {
		if ((text = malloc(hl + strlen(body) + 1)) != NULL) {
			memcpy(text, head, hl);
			strcpy(text + hl, body);
			(void)pfile_replace(file, text, strlen(text));
			free(text);
		}
		free(body);
	}
	return 0;
}
