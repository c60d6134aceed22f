/* SPDX-License-Identifier: ISC */
/*
 * counters: see counters.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counters.h"
#include "limits.h"

struct header {
	char		magic[8];
	uint32_t	version;
	uint32_t	nslots;
	uint64_t	reserved[7];	/* slots start 64 bytes in */
};

#define FILE_SIZE	(sizeof(struct header) + COUNTERS_NSLOTS * sizeof(uint64_t))

const int counters_statuses[COUNTERS_STATUSES] = {
	200, 201, 202, 304, 400, 401, 404, 405, 409, 410, 412, 413, 422, 500,
	502, 503, 0
};

/* 1 ms to 10 s: a catalog answer is well under a millisecond, a
 * synchronous hook may take the request timeout. */
const uint32_t counters_bucket_us[COUNTERS_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 10000000
};

static void	*map;		/* the whole file, or NULL */
static uint64_t	*slots;		/* into map */

static void
image(struct header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, COUNTERS_MAGIC, sizeof(h->magic));
	h->version = COUNTERS_VERSION;
	h->nslots = COUNTERS_NSLOTS;
}

/* A fresh file at path: written beside it, then linked (keep = 1: a file
 * another process created meanwhile wins) or renamed over it. */
static int
fresh(const char *dir, const char *path, int keep, char *err, size_t errlen)
{
	char		 tmp[OSB_MAX_PATH];
	struct header	 h;
	int		 fd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir,
	    OSB_COUNTERS_FILE) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: name too long", dir);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {	/* 0600 */
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	image(&h);
	ok = write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) &&
	    ftruncate(fd, (off_t)FILE_SIZE) == 0;
	close(fd);
	if (ok)
		ok = keep ? link(tmp, path) == 0 || errno == EEXIST :
		    rename(tmp, path) == 0;
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	unlink(tmp);	/* after link(); after rename() there is none */
	return ok ? 0 : -1;
}

/* 1 when fd is a counters file of ours, of this version. */
static int
valid(int fd)
{
	struct stat	sb;
	struct header	h, want;

	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || (sb.st_mode & 077) != 0 ||
	    sb.st_size != (off_t)FILE_SIZE)
		return 0;
	image(&want);
	return pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
	    memcmp(h.magic, want.magic, sizeof(h.magic)) == 0 &&
	    h.version == want.version && h.nslots == want.nslots;
}

int
counters_open(const char *dir, char *err, size_t errlen)
{
	char		 path[OSB_MAX_PATH];
	struct stat	 a, b;
	void		*m;
	int		 fd, tries;

	counters_close();
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
	    OSB_COUNTERS_FILE) >= sizeof(path)) {
		snprintf(err, errlen, "%s: name too long", dir);
		return -1;
	}
	/* Another process may replace the file between our open and our
	 * mapping: map, then check the name still leads to what we mapped. */
	for (tries = 0; tries < 5; tries++) {
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT) {
			if (fresh(dir, path, 1, err, errlen) == -1)
				return -1;
			continue;
		}
		if (fd == -1 && errno != ELOOP) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (fd == -1 || !valid(fd)) {
			if (fd != -1)
				close(fd);
			if (fresh(dir, path, 0, err, errlen) == -1)
				return -1;
			continue;
		}
		m = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
		if (m == MAP_FAILED) {
			snprintf(err, errlen, "%s: mmap: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			close(fd);
			map = m;
			slots = (uint64_t *)((char *)m + sizeof(struct header));
			return 0;
		}
		munmap(m, FILE_SIZE);
		close(fd);
	}
	snprintf(err, errlen, "%s: replaced by another process too often",
	    path);
	return -1;
}

void
counters_close(void)
{
	if (map != NULL)
		munmap(map, FILE_SIZE);
	map = NULL;
	slots = NULL;
}

int
counters_ready(void)
{
	return map != NULL;
}

void
counters_add(unsigned slot, uint64_t n)
{
	if (slots != NULL && slot < COUNTERS_NSLOTS)
		__atomic_fetch_add(&slots[slot], n, __ATOMIC_RELAXED);
}

uint64_t
counters_get(unsigned slot)
{
	if (slots == NULL || slot >= COUNTERS_NSLOTS)
		return 0;
	return __atomic_load_n(&slots[slot], __ATOMIC_RELAXED);
}

unsigned
counters_req_slot(unsigned endpoint, unsigned status_index)
{
	if (endpoint >= COUNTERS_ENDPOINTS || status_index >= COUNTERS_STATUSES)
		return COUNTERS_NSLOTS;		/* counts nowhere */
	return COUNTERS_REQ_BASE + endpoint * COUNTERS_STATUSES + status_index;
}

unsigned
counters_hist_slot(unsigned endpoint, unsigned i)
{
	if (endpoint >= COUNTERS_ENDPOINTS || i >= COUNTERS_HIST_WIDTH)
		return COUNTERS_NSLOTS;
	return COUNTERS_HIST_BASE + endpoint * COUNTERS_HIST_WIDTH + i;
}

void
counters_request(unsigned endpoint, int status, uint64_t usec)
{
	unsigned i, b;

	if (slots == NULL)
		return;
	for (i = 0; i < COUNTERS_STATUSES - 1; i++)
		if (counters_statuses[i] == status)
			break;
	counters_add(counters_req_slot(endpoint, i), 1);
	for (b = 0; b < COUNTERS_BUCKETS; b++)
		if (usec <= counters_bucket_us[b])
			break;
	counters_add(counters_hist_slot(endpoint, b), 1);
	counters_add(counters_hist_slot(endpoint, COUNTERS_BUCKETS + 1), usec);
	counters_add(counters_hist_slot(endpoint, COUNTERS_BUCKETS + 2), 1);
}
