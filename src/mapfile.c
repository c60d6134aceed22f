/* SPDX-License-Identifier: ISC */
/*
 * mapfile: see mapfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits.h"
#include "mapfile.h"

/* A fresh file at path: written beside it, then linked (keep = 1: a file
 * another process created meanwhile wins) or renamed over it. */
static int
fresh(const char *dir, const char *name, const char *path, size_t size,
    const void *head, size_t headlen, int keep, char *err, size_t errlen)
{
	char	 tmp[OSB_MAX_PATH];
	int	 fd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "%s: name too long", dir);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {	/* 0600 */
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	ok = write(fd, head, headlen) == (ssize_t)headlen &&
	    ftruncate(fd, (off_t)size) == 0;
	close(fd);
	if (ok)
		ok = keep ? link(tmp, path) == 0 || errno == EEXIST :
		    rename(tmp, path) == 0;
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	unlink(tmp);	/* after link(); after rename() there is none */
	return ok ? 0 : -1;
}

/* 1 when fd is a file of ours of this size whose header starts as head. */
static int
valid(int fd, size_t size, const void *head, size_t idlen)
{
	struct stat	 sb;
	char		 buf[256];

	if (idlen > sizeof(buf) || fstat(fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077) != 0 || sb.st_size != (off_t)size)
		return 0;
	return pread(fd, buf, idlen, 0) == (ssize_t)idlen &&
	    memcmp(buf, head, idlen) == 0;
}

void *
mapfile_open(const char *dir, const char *name, size_t size,
    const void *head, size_t headlen, size_t idlen, char *err, size_t errlen)
{
	char		 path[OSB_MAX_PATH];
	struct stat	 a, b;
	void		*m;
	int		 fd, tries;

	if (headlen > size || idlen > headlen || idlen > 256) {
		snprintf(err, errlen, "%s: header larger than the file", name);
		return NULL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		snprintf(err, errlen, "%s: name too long", dir);
		return NULL;
	}
	/* Another process may replace the file between our open and our
	 * mapping: map, then check the name still leads to what we mapped. */
	for (tries = 0; tries < 5; tries++) {
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT) {
			if (fresh(dir, name, path, size, head, headlen, 1, err,
			    errlen) == -1)
				return NULL;
			continue;
		}
		if (fd == -1 && errno != ELOOP) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		if (fd == -1 || !valid(fd, size, head, idlen)) {
			if (fd != -1)
				close(fd);
			if (fresh(dir, name, path, size, head, headlen, 0, err,
			    errlen) == -1)
				return NULL;
			continue;
		}
		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			snprintf(err, errlen, "%s: mmap: %s", path,
			    strerror(errno));
			close(fd);
			return NULL;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			close(fd);
			return m;
		}
		munmap(m, size);
		close(fd);
	}
	snprintf(err, errlen, "%s: replaced by another process too often",
	    path);
	return NULL;
}

void
mapfile_close(void *map, size_t size)
{
	if (map != NULL)
		munmap(map, size);
}
