/* SPDX-License-Identifier: ISC */
/*
 * suite.c: the official JSON-Schema-Test-Suite through src/jsonschema.c.
 *
 *   build/tests/jsonschema-suite [SUITE_DIR]
 *
 * SUITE_DIR (default /usr/share/json-schema-test-suite, Debian's
 * json-schema-test-suite package) holds tests/draft{4,6,7}/ and remotes/.
 * Every test of the files of tests/draftN/ is required; those of
 * tests/draftN/optional/ (format/ included) are optional.  The remotes are
 * preloaded as documents under http://localhost:1234/, as the suite's
 * README asks, so refRemote.json runs without a network.
 *
 * One TAP line per test, named "draftN/FILE: GROUP: TEST" (a repeated
 * name gets " #2" after it).  A required test that fails is "not ok"; an
 * optional one that fails is "ok ... # SKIP optional, not passed" with
 * the reason, so that it shows without failing the run.  Then one line per
 * draft and kind, such as "# draft7 required: 423/423 passed".  Exit
 * status 1 when a required test failed.  Without the suite: a skipped
 * plan, exit 0.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jsonschema.h"

#define MAX_REMOTES	64
#define MAX_FILES	128

struct counts {
	int	passed, total;
};

static struct jschema_doc	remotes[MAX_REMOTES];
static char			*remote_uris[MAX_REMOTES];
static cJSON			*remote_docs[MAX_REMOTES];
static size_t			 nremotes;
static int			 tap_n, required_failed;
static char			**names;	/* every test name printed */
static size_t			 nnames;

static cJSON *
parse_file(const char *path)
{
	FILE	*f = fopen(path, "rb");
	char	*buf = NULL;
	long	 n;
	cJSON	*doc = NULL;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		doc = cJSON_Parse(buf);
	}
	free(buf);
	fclose(f);
	return doc;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The .json files of dir, sorted, as "dir/name" (freed by the caller). */
static size_t
list_json(const char *dir, char **out, size_t max)
{
	struct dirent	**e;
	size_t		  n = 0, len;
	int		  i, k;

	if ((k = scandir(dir, &e, NULL, by_name)) < 0)
		return 0;
	for (i = 0; i < k; i++) {
		len = strlen(e[i]->d_name);
		if (n < max && len > 5 &&
		    strcmp(e[i]->d_name + len - 5, ".json") == 0 &&
		    asprintf(&out[n], "%s/%s", dir, e[i]->d_name) != -1)
			n++;
		free(e[i]);
	}
	free(e);
	return n;
}

/* The documents of remotes/SUB (and its folders), as
 * http://localhost:1234/SUB/NAME. */
static void
load_remotes(const char *top, const char *sub)
{
	char		 dir[1024], path[2048], subdir[1024];
	char		*files[MAX_FILES];
	struct dirent	**e;
	struct stat	 st;
	size_t		 n, i;
	int		 k, j;

	snprintf(dir, sizeof(dir), "%s/remotes%s", top, sub);
	n = list_json(dir, files, MAX_FILES);
	for (i = 0; i < n; i++) {
		if (nremotes < MAX_REMOTES &&
		    (remote_docs[nremotes] = parse_file(files[i])) != NULL &&
		    asprintf(&remote_uris[nremotes],
		    "http://localhost:1234%s%s", sub, strrchr(files[i], '/'))
		    != -1) {
			remotes[nremotes].uri = remote_uris[nremotes];
			remotes[nremotes].doc = remote_docs[nremotes];
			nremotes++;
		}
		free(files[i]);
	}
	if ((k = scandir(dir, &e, NULL, by_name)) < 0)
		return;
	for (j = 0; j < k; j++) {
		snprintf(path, sizeof(path), "%s/%.255s", dir, e[j]->d_name);
		if (e[j]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			snprintf(subdir, sizeof(subdir), "%s/%.255s", sub,
			    e[j]->d_name);
			load_remotes(top, subdir);
		}
		free(e[j]);
	}
	free(e);
}

/* name, made unique among those printed. */
static const char *
unique_name(const char *name)
{
	static char	buf[1024];
	size_t		i;
	int		k = 1, again;

	snprintf(buf, sizeof(buf), "%s", name);
	do {
		again = 0;
		for (i = 0; i < nnames; i++)
			if (strcmp(names[i], buf) == 0) {
				snprintf(buf, sizeof(buf), "%s #%d", name, ++k);
				again = 1;
				break;
			}
	} while (again);
	names = realloc(names, (nnames + 1) * sizeof(*names));
	if (names == NULL || (names[nnames] = strdup(buf)) == NULL)
		abort();
	nnames++;
	return buf;
}

static void
result(int ok, int required, const char *name, const char *why)
{
	const char *n = unique_name(name);

	tap_n++;
	if (ok)
		printf("ok %d - %s\n", tap_n, n);
	else if (required) {
		required_failed++;
		printf("not ok %d - %s\n#   %s\n", tap_n, n, why);
	} else
		printf("ok %d - %s # SKIP optional, not passed: %s\n", tap_n,
		    n, why);
}

/* Every test of one file. */
static void
run_file(const char *path, const char *label, int draft, int required,
    struct counts *c)
{
	cJSON			*doc = parse_file(path), *group, *test;
	struct jschema_opts	 opts = { .draft = draft, .docs = remotes,
				    .ndocs = nremotes };
	struct jschema		*s;
	struct jschema_report	 r;
	char			 err[256], name[1024], why[512];
	const char		*gd, *td;
	int			 want, rc, ok;

	if (doc == NULL) {
		c->total++;
		result(0, required, label, "cannot read or parse the file");
		return;
	}
	cJSON_ArrayForEach(group, doc) {
		gd = cJSON_GetStringValue(cJSON_GetObjectItem(group,
		    "description"));
		rc = jschema_compile(cJSON_GetObjectItem(group, "schema"),
		    &opts, &s, err, sizeof(err));
		cJSON_ArrayForEach(test, cJSON_GetObjectItem(group, "tests")) {
			td = cJSON_GetStringValue(cJSON_GetObjectItem(test,
			    "description"));
			want = cJSON_IsTrue(cJSON_GetObjectItem(test, "valid"));
			snprintf(name, sizeof(name), "%s: %s: %s", label,
			    gd ? gd : "?", td ? td : "?");
			c->total++;
			if (rc == -1) {
				snprintf(why, sizeof(why), "schema refused: %s",
				    err);
				result(0, required, name, why);
				continue;
			}
			rc = jschema_validate(s, cJSON_GetObjectItem(test,
			    "data"), "", &r);
			/* a report says why, or is empty */
			ok = rc == !want && (rc == 0 ? r.count == 0 :
			    r.count > 0 && r.kept > 0 && r.line[0][0] != '\0');
			snprintf(why, sizeof(why), "expected %s, got %s%s%s",
			    want ? "valid" : "invalid", rc == 0 ? "valid" :
			    rc == 1 ? "invalid" : "out of memory",
			    rc == 1 ? ": " : "", rc == 1 ? r.line[0] : "");
			c->passed += ok;
			result(ok, required, name, why);
			rc = 0;
		}
		if (rc == 0)
			jschema_free(s);
	}
	cJSON_Delete(doc);
}

/* The files of tests/draftN/SUB; a format test counts in *fmt. */
static void
run_dir(const char *top, int draft, const char *sub, int required,
    struct counts *c, struct counts *fmt)
{
	char	 dir[4096], label[512], *files[MAX_FILES];
	size_t	 n, i;

	snprintf(dir, sizeof(dir), "%s/tests/draft%d%s", top, draft, sub);
	n = list_json(dir, files, MAX_FILES);
	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "draft%d%s/%s", draft, sub,
		    strrchr(files[i], '/') + 1);
		run_file(files[i], label, draft, required,
		    strstr(label, "format") != NULL ? fmt : c);
		free(files[i]);
	}
}

int
main(int argc, char *argv[])
{
	const char	*top = argc > 1 ? argv[1] :
			    "/usr/share/json-schema-test-suite";
	static const int drafts[] = { 4, 6, 7 };
	struct counts	 req[3] = { { 0, 0 } }, opt[3] = { { 0, 0 } },
			 fmt[3] = { { 0, 0 } };
	char		 path[4096];
	struct stat	 st;
	size_t		 i;

	snprintf(path, sizeof(path), "%s/tests/draft7", top);
	if (stat(path, &st) == -1) {
		printf("1..0 # SKIP %s: no JSON-Schema-Test-Suite (Debian: "
		    "json-schema-test-suite)\n", top);
		return 0;
	}
	load_remotes(top, "");
	for (i = 0; i < 3; i++) {
		run_dir(top, drafts[i], "", 1, &req[i], &req[i]);
		run_dir(top, drafts[i], "/optional", 0, &opt[i], &fmt[i]);
		run_dir(top, drafts[i], "/optional/format", 0, &opt[i],
		    &fmt[i]);
	}
	for (i = 0; i < 3; i++) {
		printf("# draft%d required: %d/%d passed\n", drafts[i],
		    req[i].passed, req[i].total);
		printf("# draft%d optional: %d/%d passed (format: %d/%d)\n",
		    drafts[i], opt[i].passed + fmt[i].passed,
		    opt[i].total + fmt[i].total, fmt[i].passed, fmt[i].total);
	}
	printf("1..%d\n", tap_n);
	for (i = 0; i < nremotes; i++) {
		free(remote_uris[i]);
		cJSON_Delete(remote_docs[i]);
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	jschema_cleanup();
	return required_failed ? 1 : 0;
}
