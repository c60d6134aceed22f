/* SPDX-License-Identifier: ISC */
/*
 * fwatch: see fwatch.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fwatch.h"

struct fwatch {
	int	fd;
	int	seen;		/* fwatch_changed() called once */
};

#define FWATCH_EVENTS	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | \
			 IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | \
			 IN_DELETE_SELF | IN_MOVE_SELF)

/* Watch the directory of path: 0, or -1. */
static int
watch_dir_of(int fd, const char *path)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(path, '/');
	size_t		 len;

	if (slash == NULL)
		return inotify_add_watch(fd, ".", FWATCH_EVENTS) == -1 ? -1 : 0;
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof(dir))
		return -1;
	memcpy(dir, path, len);
	dir[len] = '\0';
	return inotify_add_watch(fd, dir, FWATCH_EVENTS) == -1 ? -1 : 0;
}

struct fwatch *
fwatch_open(const char *const *paths, size_t n)
{
	struct fwatch	*w;
	char		 real[PATH_MAX];
	size_t		 i;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		free(w);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (watch_dir_of(w->fd, paths[i]) == -1 ||
		    (realpath(paths[i], real) != NULL &&
		    strcmp(real, paths[i]) != 0 &&
		    watch_dir_of(w->fd, real) == -1)) {
			fwatch_close(w);
			return NULL;
		}
	}
	return w;
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
	changed = !w->seen;
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
		return changed;
	}
}

void
fwatch_close(struct fwatch *w)
{
	if (w == NULL)
		return;
	close(w->fd);
	free(w);
}
