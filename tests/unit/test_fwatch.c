/* SPDX-License-Identifier: ISC */
/*
 * test_fwatch: a watcher says "changed" after each kind of edit a worker
 * must notice (written in place, replaced by rename, removed, the target
 * of a symbolic link edited in another directory) and "unchanged" when
 * nothing happened to its files, other files of their directories written
 * meanwhile (a log file beside them); while a file is missing it says
 * "changed"; without a watcher it always does.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwatch.h"
#include "tap.h"

static char	dir[] = "/tmp/osb-test-fwatch.XXXXXX";

static void
put(const char *name, const char *text)
{
	char	path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void
at(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

int
main(void)
{
	char		 cat[512], creds[512], tmp[512], link_to[512];
	const char	*files[2];
	struct fwatch	*w;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	at(tmp, sizeof(tmp), "other");
	if (mkdir(tmp, 0700) == -1) {
		perror(tmp);
		return 2;
	}
	put("other/target.yml", "a: 1\n");
	at(cat, sizeof(cat), "catalog.yml");
	at(link_to, sizeof(link_to), "other/target.yml");
	if (symlink(link_to, cat) == -1) {
		perror("symlink");
		return 2;
	}
	at(creds, sizeof(creds), "credentials");
	put("credentials", "u:x\n");
	files[0] = cat;
	files[1] = creds;

	CHECK(fwatch_changed(NULL) == 1, "without a watcher: always changed");
	CHECK((w = fwatch_open(files, 2)) != NULL, "inotify watches both "
	    "files");
	if (w == NULL)
		return tap_done();
	CHECK(fwatch_changed(w) == 1, "the first look says changed");
	CHECK(fwatch_changed(w) == 0, "nothing done: unchanged");
	put("beside.log", "a line\n");
	put("other/beside.log", "a line\n");
	CHECK(fwatch_changed(w) == 0, "another file of their directories "
	    "written: unchanged");

	put("credentials", "u:y\n");
	CHECK(fwatch_changed(w) == 1, "a file written in place: changed");
	CHECK(fwatch_changed(w) == 0, "the events are read once");

	put("credentials.tmp", "u:z\n");
	at(tmp, sizeof(tmp), "credentials.tmp");
	(void)fwatch_changed(w);
	CHECK(rename(tmp, creds) == 0 && fwatch_changed(w) == 1,
	    "a file replaced by rename: changed");

	put("other/target.yml", "a: 2\n");
	CHECK(fwatch_changed(w) == 1, "the target of a symbolic link, edited in "
	    "its own directory: changed");

	CHECK(fwatch_changed(w) == 0, "then unchanged again");
	CHECK(unlink(creds) == 0 && fwatch_changed(w) == 1,
	    "a file removed: changed");
	CHECK(fwatch_changed(w) == 1, "while it is missing: changed, every time");
	put("credentials", "u:w\n");
	CHECK(fwatch_changed(w) == 1, "created again: changed");
	CHECK(fwatch_changed(w) == 0, "then unchanged");
	put("credentials", "u:v\n");
	CHECK(fwatch_changed(w) == 1, "the new file written: changed (it is "
	    "watched)");
	fwatch_close(w);

	unlink(cat);
	unlink(creds);
	at(tmp, sizeof(tmp), "beside.log");
	unlink(tmp);
	at(tmp, sizeof(tmp), "other/beside.log");
	unlink(tmp);
	at(tmp, sizeof(tmp), "other/target.yml");
	unlink(tmp);
	at(tmp, sizeof(tmp), "other");
	rmdir(tmp);
	rmdir(dir);
	return tap_done();
}
