/* SPDX-License-Identifier: ISC */
/*
 * pfile: see pfile.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "limits.h"
#include "pfile.h"

char *
pfile_read(const char *path, size_t max, size_t *len)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    st.st_size <= 0 || (size_t)st.st_size > max ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (n != (size_t)st.st_size) {	/* changed while being read */
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = n;
out:
	close(fd);
	return buf;
}

int
pfile_replace(const char *path, const char *data, size_t len)
{
	char	 tmp[OSB_MAX_PATH + OSB_MAX_NAME];
	ssize_t	 w;
	size_t	 done = 0;
	int	 fd, ok = 1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp))
		return -1;
	(void)unlink(tmp);	/* a leftover of a crashed process with our pid */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	while (ok && done < len) {
		w = write(fd, data + done, len - done);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			ok = 0;
		else
			done += (size_t)w;
	}
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

void
pfile_identity(const struct stat *st, char *out, size_t outlen)
{
	snprintf(out, outlen, "%ju %ju %jd %jd.%09ld %jd.%09ld",
	    (uintmax_t)st->st_dev, (uintmax_t)st->st_ino, (intmax_t)st->st_size,
	    (intmax_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
	    (intmax_t)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}
