/* SPDX-License-Identifier: ISC */
/*
 * test_catcache.c: the compiled catalog (catalog_compile() and
 * catalog_load_compiled()) and its cache in the state directory: the same
 * catalog either way, the cache used while the file is unchanged, ignored
 * when damaged, foreign or writable by others, and rebuilt after an edit;
 * the served bytes read from it alone (catcache_served()).
 *
 * Works in a mkdtemp(3) directory removed at the end; run from the top of
 * the repository (it reads catalog.yml and the seed-style catalog).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "catcache.h"
#include "plancfg.h"
#include "tap.h"

#define PLAN_ID "9d7a3c50-6d0e-4a43-b3f4-7b9a0b2b2c01"

static char dir[64], state[128], cat_path[128], cache[160], hook[128];
static time_t stamp;

static const char catalog_v1[] =
    "services:\n"
    "  - id: svc-1\n"
    "    name: svc\n"
    "    description: first edition\n"
    "    bindable: true\n"
    "    osbroker:\n"
    "      hook_timeout: 20\n"
    "    plans:\n"
    "      - id: " PLAN_ID "\n"
    "        name: p\n"
    "        description: a plan\n"
    "        maintenance_info: {version: 1.2.3}\n"
    "        osbroker:\n"
    "          binding_ttl: 3600\n"
    "          hooks: {provision: ./hook}\n";

/* Write text to path with a later mtime each time. */
static void
write_at(const char *path, const char *text, size_t len)
{
	struct timespec	 ts[2];
	FILE		*f;

	if ((f = fopen(path, "w")) == NULL || fwrite(text, 1, len, f) != len ||
	    fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	stamp += 10;
	ts[0].tv_sec = ts[1].tv_sec = stamp;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, ts, 0) == -1) {
		perror(path);
		exit(2);
	}
}

static char *
slurp(const char *path, size_t *len)
{
	static char	 buf[65536];
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	*len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* The served JSON of a catcache_load() of the test catalog, or "" (the
 * returned buffer is static). */
static const char *
served(void)
{
	static char		 out[8192];
	struct catalog		*c;
	struct catalog_error	 ce;

	out[0] = '\0';
	if (catcache_load(cat_path, state, &c, &ce) == 0)
		snprintf(out, sizeof(out), "%s", catalog_json(c, NULL));
	else
		printf("# catcache_load: %s\n", ce.message);
	catalog_free(c);
	return out;
}

/* catcache_served() gives what a catcache_load() serves, with its ETag
 * and Last-Modified, and the served bytes hold want; when names the case. */
static void
check_served(const char *want, const char *when)
{
	struct catcache_served	 s;
	struct catalog		*c = NULL;
	struct catalog_error	 ce;
	struct stat		 st;
	size_t			 len = 0;

	if (catcache_served(cat_path, state, &s) == -1) {
		CHECK(0, "catcache_served reads the current cache %s", when);
		return;
	}
	CHECK(catcache_load(cat_path, state, &c, &ce) == 0 &&
	    strcmp(s.json, catalog_json(c, &len)) == 0 && s.len == len &&
	    strlen(s.json) == s.len && strcmp(s.etag, catalog_etag(c)) == 0 &&
	    s.mtime == catalog_mtime(c) && stat(cat_path, &st) == 0 &&
	    s.mtime == st.st_mtime,
	    "catcache_served %s: the bytes, ETag and mtime catcache_load "
	    "serves", when);
	CHECK(strstr(s.json, want) != NULL, "catcache_served %s: %s", when,
	    want);
	catalog_free(c);
	catcache_served_free(&s);
	CHECK(s.buf == NULL && s.json == NULL, "catcache_served_free clears "
	    "(%s)", when);
}

/* catcache_served() refuses the cache as it is now (and leaves nothing to
 * free). */
static void
served_refused(const char *why)
{
	struct catcache_served s;

	CHECK(catcache_served(cat_path, state, &s) == -1 && s.buf == NULL,
	    "catcache_served refuses %s", why);
}

/* Compile file, load the result, compare what both serve and look up. */
static void
round_trip(const char *file)
{
	struct catalog		*a = NULL, *b = NULL;
	struct catalog_error	 ce;
	struct catalog_plan	 pa, pb;
	char			*text = NULL;
	size_t			 la, lb, n = 0;

	if (catalog_load(file, &a, &ce) == -1 ||
	    (text = catalog_compile(a)) == NULL ||
	    catalog_load_compiled(file, text, strlen(text), &b, &ce) == -1) {
		CHECK(0, "%s compiles and loads back: %s", file, ce.message);
		goto out;
	}
	CHECK_STR(catalog_json(b, &lb), catalog_json(a, &la),
	    "%s: the same served bytes after compiling", file);
	CHECK_STR(catalog_etag(b), catalog_etag(a), "%s: the same ETag", file);
	CHECK(strstr(catalog_json(b, NULL), "\"osbroker\":") == NULL,
	    "%s: broker settings are still not served", file);
	/* Every plan the original knows, with the same effective view. */
	{
		cJSON *doc = cJSON_Parse(catalog_json(a, NULL)), *s, *p;
		int same = 1;

		cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "services"))
			cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "plans")) {
			const char *pid = cJSON_GetStringValue(
			    cJSON_GetObjectItem(p, "id"));

			n++;
			if (catalog_lookup_plan(a, pid, &pa) != CATALOG_FOUND ||
			    catalog_lookup_plan(b, pid, &pb) != CATALOG_FOUND ||
			    strcmp(pa.service_id, pb.service_id) != 0 ||
			    pa.bindable != pb.bindable ||
			    pa.plan_updateable != pb.plan_updateable ||
			    pa.binding_rotatable != pb.binding_rotatable ||
			    (pa.plan_broker == NULL) != (pb.plan_broker == NULL) ||
			    (pa.service_broker == NULL) !=
			    (pb.service_broker == NULL) ||
			    pa.cfg->binding_ttl != pb.cfg->binding_ttl ||
			    pa.cfg->hook_timeout != pb.cfg->hook_timeout
			    )
				same = 0;
		}
		cJSON_Delete(doc);
		CHECK(same && n > 0, "%s: all %zu plans look the same", file, n);
	}
out:
	free(text);
	catalog_free(a);
	catalog_free(b);
}

int
main(void)
{
	struct catalog		*c = NULL;
	struct catalog_error	 ce;
	struct catalog_plan	 p;
	struct stat		 st;
	char			*text, buf[65536];
	const char		*first;
	size_t			 len;

	stamp = time(NULL);
	snprintf(dir, sizeof(dir), "/tmp/osb-test-catcache.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(cat_path, sizeof(cat_path), "%s/catalog.yml", dir);
	snprintf(cache, sizeof(cache), "%s/catalog.cache", state);
	if (mkdir(state, 0700) == -1) {
		perror(state);
		return 2;
	}
	snprintf(hook, sizeof(hook), "%s/hook", dir);
	write_at(hook, "#!/bin/sh\n", 10);
	chmod(hook, 0700);

	round_trip("catalog.yml");
	round_trip("tests/unit/seed-style-catalog.yml");
	CHECK(catalog_load_compiled("x", "{\"format\":1}", 12, &c, &ce) == -1 &&
	    c == NULL, "a compiled text without a catalog is refused");
	CHECK(catalog_load_compiled("x", "{\"format\":1,\"catalog\":{\"services\""
	    ":[{\"id\":\"a\",\"name\":\"b\",\"plans\":[{\"id\":7}]}]}}", 67, &c,
	    &ce) == -1 && c == NULL, "a compiled plan without a string id is "
	    "refused");
	CHECK(catalog_load_compiled("x", "{\"format\":2,\"catalog\":{"
	    "\"services\":[]}}", 36, &c, &ce) == -1, "another format is refused");

	write_at(cat_path, catalog_v1, sizeof(catalog_v1) - 1);
	served_refused("a state directory without a cache");
	first = served();
	CHECK(strstr(first, "first edition") != NULL, "first load serves the "
	    "file");
	CHECK(stat(cache, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "the compiled catalog is cached, mode 0600");
	CHECK(catcache_load(cat_path, state, &c, &ce) == 0 &&
	    catalog_lookup_plan(c, PLAN_ID, &p) == CATALOG_FOUND &&
	    p.cfg->binding_ttl == 3600 && p.cfg->hook_timeout == 20 &&
	    p.cfg->hook[ACT_PROVISION] != NULL && strcmp(p.cfg->hook[ACT_PROVISION] +
	    strlen(p.cfg->hook[ACT_PROVISION]) - 5, "/hook") == 0 && p.maintenance_version != NULL &&
	    strcmp(p.maintenance_version, "1.2.3") == 0 &&
	    catalog_mtime(c) == stamp, "from the cache: broker settings, plan "
	    "fields and Last-Modified as from the file");
	catalog_free(c);
	c = NULL;
	check_served("first edition", "after the first load");

	/* The cache is what is read while the file is unchanged: an edit of
	 * the cache alone shows. */
	text = slurp(cache, &len);
	CHECK(text != NULL && strstr(text, "first edition") != NULL &&
	    strstr(text, "\"binding_ttl\":3600") != NULL, "the cache holds the "
	    "catalog and its broker settings");
	if (text != NULL) {
		char *at;

		memcpy(buf, text, len);
		buf[len] = '\0';
		/* in the served bytes and in the compiled form */
		while ((at = strstr(buf, "first edition")) != NULL)
			memcpy(at, "cache edition", 13);
		write_at(cache, buf, len);
	}
	CHECK(strstr(served(), "cache edition") != NULL, "an unchanged file is "
	    "served from the cache");
	check_served("cache edition", "after an edit of the cache");
	chmod(cache, 0620);
	served_refused("a cache others may write");
	CHECK(strstr(served(), "first edition") != NULL, "a cache others may "
	    "write is not believed");
	CHECK(stat(cache, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "... and is replaced by a fresh one");
	write_at(cache, "osbroker-catalog-cache 0.1.0 1 2 3\n{", 37);
	CHECK(strstr(served(), "first edition") != NULL, "a damaged or foreign "
	    "cache is ignored");

	/* The served bytes: a cache without them (the layout before they
	 * were kept), or whose length runs past the file or misses the
	 * newline after them, is not believed and is rebuilt. */
	text = slurp(cache, &len);
	if (text != NULL) {
		char	*line = strchr(text, '\n'), *comp;
		size_t	 n;

		/* the first line and the compiled form only */
		comp = line != NULL ? strstr(line, "\n{\"format\"") : NULL;
		if (comp != NULL) {
			n = (size_t)(line + 1 - text);
			memcpy(buf, text, n);
			memcpy(buf + n, comp + 1, len - (size_t)(comp + 1 - text));
			write_at(cache, buf, n + len - (size_t)(comp + 1 - text));
			/* write_at() moved the time of the cache, not of the
			 * catalog: the first line still matches. */
			served_refused("a cache without the served bytes");
			CHECK(strstr(served(), "first edition") != NULL,
			    "a cache without the served bytes is rebuilt");
			check_served("first edition", "after that rebuild");
		} else
			CHECK(0, "the cache has a compiled form after a line");
	}
	text = slurp(cache, &len);
	if (text != NULL) {
		char *num = strstr(text, "\nserved ");

		memcpy(buf, text, len);
		if (num != NULL) {
			num = buf + (num - text) + 8;
			*num = *num == '9' ? '8' : '9';	/* another length */
			write_at(cache, buf, len);
			served_refused("a served length that does not fit");
			CHECK(strstr(served(), "first edition") != NULL,
			    "... and catcache_load rebuilds it");
			check_served("first edition", "after a bad length");
		} else
			CHECK(0, "the cache has a served line");
	}

	/* An edit of the file, same size, same second: a new compile. */
	memcpy(buf, catalog_v1, sizeof(catalog_v1));
	memcpy(strstr(buf, "first edition"), "other edition", 13);
	{
		struct timespec	 ts[2];

		stat(cat_path, &st);
		write_at(cat_path, buf, sizeof(catalog_v1) - 1);
		ts[0] = ts[1] = st.st_mtim;	/* the old mtime again */
		utimensat(AT_FDCWD, cat_path, ts, 0);
	}
	served_refused("the cache of the file before its edit");
	CHECK(strstr(served(), "other edition") != NULL, "an edited file is "
	    "compiled again, even with its old size and mtime (ctime differs)");
	CHECK((text = slurp(cache, &len)) != NULL &&
	    strstr(text, "other edition") != NULL, "... and cached");

	/* A broken edit is an error, as without the cache. */
	write_at(cat_path, "services: [", 11);
	CHECK(catcache_load(cat_path, state, &c, &ce) == -1 && ce.line > 0,
	    "a broken catalog is refused with its line, cache or not");
	catalog_free(c);
	c = NULL;

	/* No usable directory: the file is loaded directly. */
	write_at(cat_path, catalog_v1, sizeof(catalog_v1) - 1);
	CHECK(catcache_load(cat_path, "/nonexistent/state", &c, &ce) == 0,
	    "without a writable state directory the file still loads");
	catalog_free(c);

	unlink(cache);
	unlink(cat_path);
	unlink(hook);
	rmdir(state);
	if (rmdir(dir) == -1)
		perror(dir);
	return tap_done();
}
