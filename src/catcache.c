/*
 * catcache: see catcache.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catcache.h"
#include "version.h"

#define CACHE_NAME	"catalog.cache"
#define CACHE_MAX	(16 * 1024 * 1024)	/* compiled 4 MB catalogs fit */

/* The first line of the cache: what it was compiled from, and by what. */
static void
identity(const struct stat *st, char *out, size_t outlen)
{
	snprintf(out, outlen, "osbroker-catalog-cache %s %ju %ju %jd %jd.%09ld "
	    "%jd.%09ld\n", OSB_VERSION, (uintmax_t)st->st_dev,
	    (uintmax_t)st->st_ino, (intmax_t)st->st_size,
	    (intmax_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
	    (intmax_t)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

/* The cache file's bytes (malloc'ed, *len of them), or NULL. */
static char *
read_cache(const char *file, size_t *len)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    st.st_size <= 0 || st.st_size > CACHE_MAX ||
	    (buf = malloc((size_t)st.st_size)) == NULL)
		goto out;
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (n != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	*len = n;
out:
	close(fd);
	return buf;
}

/* Replace the cache atomically: other processes see the old one or this. */
static void
write_cache(const char *dir, const char *file, const char *head,
    const char *body)
{
	char	 tmp[4200];
	size_t	 hl = strlen(head), bl = strlen(body);
	int	 fd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%ld", dir, CACHE_NAME,
	    (long)getpid()) >= sizeof(tmp))
		return;
	(void)unlink(tmp);	/* a leftover of a crashed process with our pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return;
	ok = write(fd, head, hl) == (ssize_t)hl &&
	    write(fd, body, bl) == (ssize_t)bl;
	if (close(fd) == -1 || !ok || rename(tmp, file) == -1)
		(void)unlink(tmp);
}

static int
same_identity(const struct stat *a, const struct stat *b)
{
	char x[256], y[256];

	identity(a, x, sizeof(x));
	identity(b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

int
catcache_load(const char *path, const char *dir, struct catalog **out,
    struct catalog_error *err)
{
	struct stat	 before, after;
	char		 file[4200], head[256], *buf, *body;
	size_t		 len = 0, hl;

	if (dir == NULL || stat(path, &before) == -1 ||
	    (size_t)snprintf(file, sizeof(file), "%s/%s", dir, CACHE_NAME) >=
	    sizeof(file))
		return catalog_load(path, out, err);
	identity(&before, head, sizeof(head));
	hl = strlen(head);
	if ((buf = read_cache(file, &len)) != NULL) {
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
		write_cache(dir, file, head, body);
		free(body);
	}
	return 0;
}
