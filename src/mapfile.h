/* SPDX-License-Identifier: ISC */
/*
 * mapfile: a small file of fixed size in the state directory that every
 * process of the host (FastCGI workers, CGI processes, runners) maps shared
 * and updates with atomic operations: the counters (counters.h) and the
 * failed-authentication budget (throttle.h).
 *
 * The file is 0600, owned by the broker's user, and starts with a header
 * whose first idlen bytes say what it is (magic, version, sizes).  A file
 * that is missing, of another size, whose first idlen bytes differ, that is
 * not a regular file or not ours, is replaced: a fresh file (the caller's
 * whole header, then zeros) is written beside it and renamed over it, so a
 * process still mapping the old one keeps a valid mapping (and only its
 * later updates are lost).  A missing file is linked into place instead,
 * so that of two processes creating it at once one file wins.  The header's
 * bytes past idlen are the file's own (a random key, an epoch): written
 * once at creation, never compared.
 *
 * No lock is ever taken: a process that dies mid-update leaves nothing
 * held.  Ownership: mapfile_open() returns a mapping the caller releases
 * with mapfile_close() (same size).
 */
#ifndef OSB_MAPFILE_H
#define OSB_MAPFILE_H

#include <stddef.h>

/* Map dir/name, size bytes, creating or replacing it as above.  head is the
 * header of a fresh file (headlen bytes, <= size), the first idlen of which
 * an existing file must share.  Returns the mapping, or NULL with a
 * one-line reason in err. */
void	*mapfile_open(const char *dir, const char *name, size_t size,
	    const void *head, size_t headlen, size_t idlen, char *err,
	    size_t errlen);
void	 mapfile_close(void *map, size_t size);

#endif
