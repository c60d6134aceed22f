/* SPDX-License-Identifier: ISC */
/*
 * fwatch: whether a few files may have changed since the last look, for a
 * long-lived worker that reloads them (catalog.yml, the credentials file)
 * and would otherwise stat() each of them at every request.
 *
 * inotify(7) on each file (the file a symbolic link leads to): an edit in
 * place, a replacement by rename(2) (pfile_replace(), editors) or a
 * removal of it is an event, queued by the system call that made it, so a
 * request that follows the edit sees it.  After an event the paths are
 * watched again, since a replaced path names another file.  While a path
 * names no file (a replacement that removes before it creates), every look
 * says "changed".  A change inotify cannot see (a file on a network
 * filesystem edited by another host) is seen only by a worker started
 * afterwards; nor does a symbolic link swapped to another target (a
 * Kubernetes ConfigMap's ..data) count until the old target is removed,
 * which the kubelet does right after the swap.  When inotify cannot be
 * used at all (no instance left: fs.inotify.max_user_instances),
 * fwatch_open() returns NULL and fwatch_changed(NULL) always says yes,
 * which is the stat() at every request again.
 *
 * Ownership: fwatch_open() returns a watcher fwatch_close() frees; paths
 * are only read.
 */
#ifndef OSB_FWATCH_H
#define OSB_FWATCH_H

#include <stddef.h>

struct fwatch;

/* Watch the files of the n paths (copied).  NULL, with errno, when
 * inotify cannot be used or cannot watch one of them for another reason
 * than its absence. */
struct fwatch	*fwatch_open(const char *const *paths, size_t n);

/* 1 when something may have changed since the last call (the first call
 * says 1, and NULL always does), 0 when surely nothing did.  Reads and
 * drops the pending events: one read(2) when there are none. */
int		 fwatch_changed(struct fwatch *);

void		 fwatch_close(struct fwatch *);

#endif
