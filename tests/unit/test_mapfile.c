/* SPDX-License-Identifier: ISC */
/*
 * test_mapfile: a shared file of fixed size (mapfile.h): created 0600 with
 * the caller's header and zeros; what one mapping writes another sees;
 * the header past its identifying bytes is the file's own and kept by a
 * reopen that brings another; a different identity or size replaces the
 * file; a header larger than the file is refused.  (test_counters and
 * test_throttle take it through damaged, foreign and linked files.)
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mapfile.h"
#include "tap.h"
#include "tmpdir.h"

#define SIZE	4096

int
main(void)
{
	char		 dir[256], path[512], err[256];
	char		 head[32], other[32];
	struct stat	 sb;
	char		*a, *b;

	tmp_make(dir, sizeof(dir), "mapfile");
	snprintf(path, sizeof(path), "%s/shared", dir);
	memset(head, 0, sizeof(head));
	memcpy(head, "TESTMAP1", 8);
	memcpy(head + 8, "own-part", 8);
	memcpy(other, head, sizeof(head));
	memcpy(other + 8, "newpart!", 8);

	a = mapfile_open(dir, "shared", SIZE, head, sizeof(head), 8, err,
	    sizeof(err));
	CHECK(a != NULL, "created");
	CHECK(stat(path, &sb) == 0 && sb.st_size == SIZE &&
	    (sb.st_mode & 0777) == 0600, "%d bytes, 0600", SIZE);
	CHECK(a != NULL && memcmp(a, head, sizeof(head)) == 0 &&
	    a[SIZE - 1] == 0, "the header, then zeros");
	b = mapfile_open(dir, "shared", SIZE, other, sizeof(other), 8, err,
	    sizeof(err));
	CHECK(b != NULL && memcmp(b + 8, "own-part", 8) == 0,
	    "reopened with another header past the id: the file's is kept");
	if (a != NULL && b != NULL) {
		a[100] = 42;
		CHECK(b[100] == 42, "what one mapping writes, another sees");
	}
	mapfile_close(b, SIZE);
	b = mapfile_open(dir, "shared", SIZE, other, sizeof(other), 16, err,
	    sizeof(err));
	CHECK(b != NULL && memcmp(b + 8, "newpart!", 8) == 0 && b[100] == 0,
	    "another identity: a fresh file");
	CHECK(a != NULL && a[100] == 42,
	    "an old mapping stays valid (the old file, renamed over)");
	mapfile_close(b, SIZE);
	b = mapfile_open(dir, "shared", 2 * SIZE, other, sizeof(other), 16,
	    err, sizeof(err));
	CHECK(b != NULL && stat(path, &sb) == 0 && sb.st_size == 2 * SIZE,
	    "another size: a fresh file of that size");
	mapfile_close(b, 2 * SIZE);
	mapfile_close(a, SIZE);
	CHECK(mapfile_open(dir, "shared", 16, head, sizeof(head), 8, err,
	    sizeof(err)) == NULL && err[0] != '\0',
	    "a header larger than the file: NULL with a reason");
	mapfile_close(NULL, SIZE);	/* nothing */
	tmp_remove(dir);
	return tap_done();
}
