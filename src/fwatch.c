/* SPDX-License-Identifier: ISC */
/*
 * fwatch: see fwatch.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fwatch.h"

/* What changes a file: its bytes, its attributes (a link count that drops
 * when it is replaced by rename(2) or removed included), its end. */
#define FWATCH_EVENTS	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | \
			 IN_DELETE_SELF | IN_MOVE_SELF)

struct fwatch {
	int		 fd;
	int		 seen;		/* fwatch_changed() called once */
	int		 missing;	/* a path has no watch (no file) */
	size_t		 n;
	char		**paths;
};

/* (Re)watch the file each path names now (a symbolic link followed):
 * after a replacement the path names another file.  0, or -1 when inotify
 * refuses for another reason than a missing file (then w->missing). */
static int
watch_all(struct fwatch *w)
{
	size_t i;

	w->missing = 0;
	for (i = 0; i < w->n; i++)
		if (inotify_add_watch(w->fd, w->paths[i], FWATCH_EVENTS) ==
		    -1) {
			if (errno != ENOENT)
				return -1;
			w->missing = 1;
		}
	return 0;
}

struct fwatch *
fwatch_open(const char *const *paths, size_t n)
{
	struct fwatch	*w;
	int		 e;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fd = -1;
	if ((w->paths = calloc(n, sizeof(*w->paths))) == NULL)
		goto fail;
	for (w->n = 0; w->n < n; w->n++)
		if ((w->paths[w->n] = strdup(paths[w->n])) == NULL)
			goto fail;
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    watch_all(w) == -1)
		goto fail;
	return w;
fail:
	e = errno;
	fwatch_close(w);
	errno = e;
	return NULL;
}

int
fwatch_changed(struct fwatch *w)
{
	char	 buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t	 got;
	int	 changed;

	if (w == NULL)
		return 1;
	changed = !w->seen || w->missing;
	w->seen = 1;
	for (;;) {
		got = read(w->fd, buf, sizeof(buf));
		if (got > 0) {
			changed = 1;	/* any event, IN_Q_OVERFLOW included */
			continue;
		}
		if (got == -1 && errno == EINTR)
			continue;
		/* EAGAIN: no more events.  Any other failure: say yes, and
		 * the caller stat()s as without a watcher. */
		if (got == -1 && errno != EAGAIN)
			changed = 1;
		break;
	}
	/* A file replaced or removed: watch what the path names now (the
	 * watch of a file that is gone ends by itself). */
	if (changed && watch_all(w) == -1)
		w->missing = 1;		/* try again next time; say yes */
	return changed;
}

void
fwatch_close(struct fwatch *w)
{
	size_t i;

	if (w == NULL)
		return;
	if (w->fd != -1)
		close(w->fd);
	for (i = 0; i < w->n; i++)
		free(w->paths[i]);
	free(w->paths);
	free(w);
}
