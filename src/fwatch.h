/* SPDX-License-Identifier: ISC */
/*
 * fwatch: whether a few files may have changed since the last look, for a
 * long-lived worker that reloads them (catalog.yml, the credentials file)
 * and would otherwise stat() each of them at every request.
 *
 * inotify(7) on the directory of each path (and of the file a symbolic link
 * leads to, which is where an edit of its target happens), so that an edit
 * in place, a replacement by rename(2) (pfile_replace(), editors, a
 * Kubernetes ConfigMap's swap of its ..data link) or a removal is seen.
 * Events are queued by the system call that made the change, so a request
 * that follows the edit sees it.  Any event in those directories counts,
 * a change of another file too: the caller then stat()s its files as
 * before and finds nothing new.  A change inotify cannot see (a file on a
 * network filesystem edited by another host) is seen only by the stat()s
 * of a worker started afterwards; when inotify cannot be used at all (no
 * instance left: fs.inotify.max_user_instances), fwatch_open() returns
 * NULL and fwatch_changed(NULL) always says yes, which is the stat() at
 * every request again.
 *
 * Ownership: fwatch_open() returns a watcher fwatch_close() frees; paths
 * are only read.
 */
#ifndef OSB_FWATCH_H
#define OSB_FWATCH_H

#include <stddef.h>

struct fwatch;

/* Watch the n paths (files that may not exist yet).  NULL when inotify
 * cannot watch one of their directories. */
struct fwatch	*fwatch_open(const char *const *paths, size_t n);

/* 1 when something may have changed since the last call (the first call
 * says 1, and NULL always does), 0 when surely nothing did.  Reads and
 * drops the pending events: one read(2) when there are none. */
int		 fwatch_changed(struct fwatch *);

void		 fwatch_close(struct fwatch *);

#endif
