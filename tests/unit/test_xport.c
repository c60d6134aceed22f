/* SPDX-License-Identifier: ISC */
/*
 * test_xport: export and import (xport.h) with LMDB stores in mkdtemp(3)
 * directories: a store of every table moved to an empty one byte for byte
 * and exported again the same; every refusal of a damaged, cut, newer or
 * misordered file, and of a store that is not empty, with the target
 * checked to hold nothing afterwards; the export file's mode and its
 * refusals.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "limits.h"
#include "tap.h"
#include "tmpdir.h"
#include "xport.h"

static const enum store_table all[] = { T_INSTANCES, T_BINDINGS, T_GONE,
	T_META };

struct dump {
	FILE		*f;
	const char	*table;
};

static int
dump_one(const char *key, const char *val, size_t len, void *arg)
{
	struct dump *d = arg;

	fprintf(d->f, "%s\t%s\t", d->table, key);
	fwrite(val, 1, len, d->f);
	fputc('\n', d->f);
	return 0;
}

/* Every record of st as "table TAB key TAB value" lines (caller frees). */
static char *
dump(struct store *st)
{
	static const char *const names[] = { "instances", "bindings", "gone",
	    "meta" };
	struct store_txn	*t;
	struct dump		 d;
	char			*text;
	size_t			 len;
	int			 i;

	d.f = open_memstream(&text, &len);
	if (store_begin(st, 0, NULL, &t) != STORE_OK)
		exit(2);
	for (i = 0; i < 4; i++) {
		d.table = names[i];
		if (store_scan(t, all[i], "", dump_one, &d) != STORE_OK)
			exit(2);
	}
	store_abort(t);
	fclose(d.f);
	return text;
}

/* Export st into a string (caller frees); the result in *rc. */
static char *
export(struct store *st, struct xport_counts *n, int *rc, char *err,
    size_t errlen)
{
	char	*text;
	size_t	 len;
	FILE	*f = open_memstream(&text, &len);

	*rc = xport_export(st, f, n, err, errlen);
	fclose(f);
	return text;
}

/* Import text (len bytes; text NULL: an empty input) into st. */
static int
import(struct store *st, const char *text, size_t len, size_t max,
    struct xport_counts *n, char *err, size_t errlen)
{
	FILE	*f;
	int	 rc;

	f = len == 0 ? fopen("/dev/null", "r") :
	    fmemopen((void *)text, len, "r");
	if (f == NULL) {
		perror("fmemopen");
		exit(2);
	}
	err[0] = '\0';
	rc = xport_import(st, f, max, 0, n, err, errlen);
	fclose(f);
	return rc;
}

/* The lines of text, each without its newline (caller frees both). */
static char **
lines_of(const char *text, int *count)
{
	char	*copy = strdup(text), *p, **v = calloc(64, sizeof(*v));
	int	 n = 0;

	for (p = strtok(copy, "\n"); p != NULL && n < 63; p = strtok(NULL,
	    "\n"))
		v[n++] = p;
	*count = n;
	return v;
}

/* Lines joined with newlines, line `skip` left out (-1: none), line `at`
 * replaced by `with` (when not NULL), `extra` appended (when not NULL). */
static char *
variant(char **lines, int count, int skip, int at, const char *with,
    const char *extra)
{
	char	*text;
	size_t	 len;
	FILE	*f = open_memstream(&text, &len);
	int	 i;

	for (i = 0; i < count; i++) {
		if (i == skip)
			continue;
		fprintf(f, "%s\n", i == at && with != NULL ? with : lines[i]);
	}
	if (extra != NULL)
		fputs(extra, f);
	fclose(f);
	return text;
}

static struct store	*target;
static char		 target_dir[128];

/* Import text into the empty target: it must be refused with a message
 * naming line `line` and containing `want`, and the target stay empty. */
static void
refused(const char *what, const char *text, size_t len, size_t max,
    int line, const char *want)
{
	struct xport_counts	 n;
	char			 err[512], at[32], *after;
	int			 rc;

	rc = import(target, text, len, max, &n, err, sizeof(err));
	snprintf(at, sizeof(at), "line %d: ", line);
	after = dump(target);
	CHECK(rc == -1 && strncmp(err, at, strlen(at)) == 0 &&
	    strstr(err, want) != NULL && strstr(err, "nothing was stored") !=
	    NULL && *after == '\0', "import refuses %s: \"%s\", nothing "
	    "stored", what, err);
	if (*after != '\0') {
		/* a fresh target: the next case's failure is its own */
		store_close(target);
		tmp_remove(target_dir);
		tmp_make(target_dir, sizeof(target_dir), "xport-t");
		target = tmp_store(target_dir);
	}
	free(after);
}

static cJSON *
tricky(void)
{
	cJSON *r = cJSON_CreateObject(), *p;

	cJSON_AddStringToObject(r, "service_id", "s-1");
	cJSON_AddStringToObject(r, "plan_id", "p-1");
	p = cJSON_AddObjectToObject(r, "parameters");
	cJSON_AddStringToObject(p, "text", "caf\xc3\xa9 \xf0\x9f\x98\x80 "
	    "\"quoted\" back\\slash\nnew line\ttab\x01");
	cJSON_AddNumberToObject(p, "big", 3e9);
	cJSON_AddNumberToObject(p, "small", 0.1);
	cJSON_AddNumberToObject(p, "negative", -2147483649.0);
	cJSON_AddNumberToObject(p, "tiny", 5e-324);
	/* printed as 1.79769313486232e+308, which reads back as infinity:
	 * re-printed, it would become null */
	cJSON_AddNumberToObject(p, "huge", DBL_MAX);
	cJSON_AddNullToObject(p, "nothing");
	cJSON_AddItemToObject(p, "list", cJSON_CreateIntArray((const int[]){
	    1, 2, 3 }, 3));
	return r;
}

int
main(void)
{
	char			 dir_a[128], dir_b[128], dir_c[128];
	char			 path[300], err[512], line[512];
	char			*a, *b, *exp_a, *exp_b;
	char			 **ls, *v, *cut, big[600];
	struct store		*sa, *sb, *sc;
	struct xport_counts	 n;
	struct stat		 sbuf;
	cJSON			*rec, *head;
	int			 rc, count, count_b, i;
	char			 **ls_b;

	tmp_make(dir_a, sizeof(dir_a), "xport-a");
	tmp_make(dir_b, sizeof(dir_b), "xport-b");
	tmp_make(dir_c, sizeof(dir_c), "xport-c");
	tmp_make(target_dir, sizeof(target_dir), "xport-t");
	sa = tmp_store(dir_a);
	sb = tmp_store(dir_b);
	target = tmp_store(target_dir);

	/* ---- an empty store ---- */
	exp_a = export(sa, &n, &rc, err, sizeof(err));
	ls = lines_of(exp_a, &count);
	CHECK(rc == 0 && count == 2 && n.total == 0 && strstr(ls[1],
	    "\"records\":0") != NULL, "an empty store exports a header and a "
	    "trailer");
	CHECK(import(sb, exp_a, strlen(exp_a), OSB_MAX_EXPORT_LINE, &n, err,
	    sizeof(err)) == 0 && n.total == 0, "... which imports (%s)", err);
	free(ls[0]);
	free(ls);
	free(exp_a);

	/* ---- every table, tricky values, key order by bytes ---- */
	rec = tricky();
	tmp_save(sa, T_INSTANCES, "i-1", rec);
	tmp_save(sa, T_INSTANCES, "i-10", rec);
	tmp_save(sa, T_INSTANCES, "i-2", rec);
	tmp_save(sa, T_BINDINGS, "i-1/b-1", rec);
	tmp_save(sa, T_BINDINGS, "i-1/b-2", rec);
	tmp_save(sa, T_BINDINGS, "i-2/b-1", rec);
	cJSON_Delete(rec);
	tmp_put(sa, T_GONE, "i-1/b-0", "{\"operation\":\"unbind-1\",\"at\":1}");
	tmp_put(sa, T_GONE, "i-9", "{\"operation\":\"deprovision-1\","
	    "\"at\":1700000000}");
	tmp_put(sa, T_META, "lease/host-a", "{\"renewed\":1700000000}");
	/* Not how the broker writes (spaces, 1e10): kept byte for byte. */
	tmp_put(sa, T_INSTANCES, "i-3", "{ \"service_id\" : \"s\", \"n\" : "
	    "1e10 }");

	exp_a = export(sa, &n, &rc, err, sizeof(err));
	ls = lines_of(exp_a, &count);
	CHECK(rc == 0 && n.total == 10 && n.table[T_INSTANCES] == 4 &&
	    n.table[T_BINDINGS] == 3 && n.table[T_GONE] == 2 &&
	    n.table[T_META] == 1 && count == 12, "export: 10 records, header "
	    "and trailer (%s)", rc == 0 ? "ok" : err);
	head = cJSON_Parse(ls[0]);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(head, "format")),
	    "osbroker-export", "header: format");
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(head,
	    "format_version")) == 2, "header: format_version 2");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(head, "source")),
	    "lmdb", "header: source");
	CHECK(cJSON_IsString(cJSON_GetObjectItem(head, "exported_at")) &&
	    cJSON_IsString(cJSON_GetObjectItem(head, "osbroker_version")),
	    "header: exported_at, osbroker_version");
	cJSON_Delete(head);
	CHECK(strncmp(ls[1], "{\"table\":\"instances\",\"key\":\"i-1\","
	    "\"value\":\"{\\\"service_id\\\"", 56) == 0 &&
	    strstr(ls[2], "\"key\":\"i-10\"") != NULL &&
	    strstr(ls[3], "\"key\":\"i-2\"") != NULL &&
	    strstr(ls[5], "\"table\":\"bindings\",\"key\":\"i-1/b-1\"") !=
	    NULL &&
	    strstr(ls[8], "\"table\":\"gone\",\"key\":\"i-1/b-0\"") != NULL &&
	    strstr(ls[10], "\"table\":\"meta\"") != NULL,
	    "records by table (instances, bindings, gone, meta), then by key "
	    "bytes");
	CHECK_STR(ls[11], "{\"end\":\"osbroker-export\",\"records\":10,"
	    "\"counts\":{\"instances\":4,\"bindings\":3,\"gone\":2,"
	    "\"meta\":1,\"audit\":0}}",
	    "trailer with the counts");
	CHECK(strstr(exp_a, "\"value\":\"{ \\\"service_id\\\" : \\\"s\\\", "
	    "\\\"n\\\" : 1e10 }\"") != NULL, "a value is the stored bytes "
	    "as a string");

	/* sb imported the empty file: it holds nothing, so it is empty. */
	CHECK(import(sb, exp_a, strlen(exp_a), OSB_MAX_EXPORT_LINE, &n, err,
	    sizeof(err)) == 0 && n.total == 10, "import into an empty store "
	    "(%s)", err);
	a = dump(sa);
	b = dump(sb);
	CHECK(strcmp(a, b) == 0, "every table and record the same, byte for "
	    "byte");
	free(a);
	free(b);
	exp_b = export(sb, &n, &rc, err, sizeof(err));
	ls_b = lines_of(exp_b, &count_b);
	for (i = 1; rc == 0 && i < count && i < count_b; i++)
		if (strcmp(ls[i], ls_b[i]) != 0)
			break;
	CHECK(rc == 0 && count == count_b && i == count, "exported again: "
	    "the same lines after the header");
	free(ls_b[0]);
	free(ls_b);
	free(exp_b);

	/* ---- a store that is not empty ---- */
	a = dump(sb);
	rc = import(sb, exp_a, strlen(exp_a), OSB_MAX_EXPORT_LINE, &n, err,
	    sizeof(err));
	b = dump(sb);
	CHECK(rc == -1 && strstr(err, "not empty") != NULL &&
	    strstr(err, "nothing was stored") != NULL && strcmp(a, b) == 0,
	    "a store that is not empty is refused, unchanged (%s)", err);
	free(a);
	free(b);
	tmp_put(target, T_META, "x", "{}");
	rc = import(target, ls[0], strlen(ls[0]), OSB_MAX_EXPORT_LINE, &n,
	    err, sizeof(err));
	a = dump(target);
	CHECK(rc == -1 && strstr(err, "table meta has records") != NULL &&
	    strcmp(a, "meta\tx\t{}\n") == 0, "one meta record makes a store "
	    "not empty (%s)", err);
	free(a);
	store_close(target);
	tmp_remove(target_dir);
	tmp_make(target_dir, sizeof(target_dir), "xport-t");
	target = tmp_store(target_dir);

	/* ---- refusals: nothing stored, the line named ---- */
	refused("an empty input", NULL, 0, OSB_MAX_EXPORT_LINE, 1, "empty");
	v = variant(ls, count, -1, 0, ls[1], NULL);
	refused("a file without the header", v, strlen(v),
	    OSB_MAX_EXPORT_LINE, 1, "not the header");
	free(v);
	v = variant(ls, count, -1, 0, "{\"format\":\"osbroker-export\","
	    "\"format_version\":3}", NULL);
	refused("a newer format version", v, strlen(v), OSB_MAX_EXPORT_LINE,
	    1, "format version 3 is newer");
	free(v);
	v = variant(ls, count, -1, 0, "{\"format\":\"osbroker-export\","
	    "\"format_version\":\"1\"}", NULL);
	refused("a format version that is no number", v, strlen(v),
	    OSB_MAX_EXPORT_LINE, 1, "positive integer");
	free(v);
	v = variant(ls, count, -1, 0, "{\"format\":\"other\","
	    "\"format_version\":1}", NULL);
	refused("another format", v, strlen(v), OSB_MAX_EXPORT_LINE, 1,
	    "not the header");
	free(v);
	v = variant(ls, count, 11, -1, NULL, NULL);
	refused("a file cut after a record", v, strlen(v),
	    OSB_MAX_EXPORT_LINE, 12, "without its trailer");
	free(v);
	v = variant(ls, count, 11, -1, NULL, NULL);
	cut = strndup(v, strlen(v) - 30);
	refused("a file cut within a line", cut, strlen(cut),
	    OSB_MAX_EXPORT_LINE, 11, "not JSON");
	free(cut);
	free(v);
	v = variant(ls, count, 5, -1, NULL, NULL);
	refused("a file missing a record", v, strlen(v), OSB_MAX_EXPORT_LINE,
	    11, "counts 10 records, the file holds 9");
	free(v);
	v = variant(ls, count, -1, 11, "{\"end\":\"osbroker-export\","
	    "\"records\":10,\"counts\":{\"instances\":3,\"bindings\":4,"
	    "\"gone\":2,\"meta\":1}}", NULL);
	refused("counts per table that differ", v, strlen(v),
	    OSB_MAX_EXPORT_LINE, 12, "counts 3 records of table instances");
	free(v);
	v = variant(ls, count, -1, 11, "{\"end\":\"osbroker-export\","
	    "\"records\":10,\"counts\":{\"instances\":4,\"bindings\":3,"
	    "\"gone\":2,\"meta\":1,\"more\":0}}", NULL);
	refused("a count of an unknown table", v, strlen(v),
	    OSB_MAX_EXPORT_LINE, 12, "does not know");
	free(v);
	v = variant(ls, count, -1, -1, NULL, "{\"table\":\"meta\","
	    "\"key\":\"z\",\"value\":\"{}\"}\n");
	refused("a line after the trailer", v, strlen(v), OSB_MAX_EXPORT_LINE,
	    13, "after the trailer");
	free(v);

	/* Each bad record on line 5, after valid ones. */
	{
		static const struct {
			const char *what, *line, *want;
		} bad[] = {
			{ "an unknown table", "{\"table\":\"users\",\"key\":"
			    "\"i-2/b-0\",\"value\":\"{}\"}", "unknown table" },
			{ "an instance key with a slash", "{\"table\":"
			    "\"instances\",\"key\":\"i-3/x\",\"value\":\"{}\"}",
			    "not a valid instance id" },
			{ "an empty instance key", "{\"table\":\"instances\","
			    "\"key\":\"\",\"value\":\"{}\"}",
			    "not a valid instance id" },
			{ "a binding key without a slash", "{\"table\":"
			    "\"bindings\",\"key\":\"i-3\",\"value\":\"{}\"}",
			    "not <instance id>/<binding id>" },
			{ "a binding key without a binding id", "{\"table\":"
			    "\"bindings\",\"key\":\"i-3/\",\"value\":\"{}\"}",
			    "not <instance id>/<binding id>" },
			{ "a binding key with two slashes", "{\"table\":"
			    "\"bindings\",\"key\":\"i-3/b/c\",\"value\":"
			    "\"{}\"}",
			    "not <instance id>/<binding id>" },
			{ "a tombstone key with a space", "{\"table\":\"gone\","
			    "\"key\":\"i 3\",\"value\":\"{}\"}",
			    "neither an instance id" },
			{ "a meta key with a space", "{\"table\":\"meta\","
			    "\"key\":\"a b\",\"value\":\"{}\"}",
			    "printable characters" },
			{ "a value that is an array", "{\"table\":"
			    "\"instances\",\"key\":\"i-3\",\"value\":\"[1]\"}",
			    "not a JSON object" },
			{ "a value that is no JSON", "{\"table\":\"instances\","
			    "\"key\":\"i-3\",\"value\":\"{not json\"}",
			    "not a JSON object" },
			{ "a value with text after the object", "{\"table\":"
			    "\"instances\",\"key\":\"i-3\",\"value\":\"{} x\"}",
			    "not a JSON object" },
			{ "a value embedded as an object", "{\"table\":"
			    "\"instances\",\"key\":\"i-3\",\"value\":{}}",
			    "are strings" },
			{ "an extra member", "{\"table\":\"instances\",\"key\":"
			    "\"i-3\",\"value\":\"{}\",\"x\":1}",
			    "exactly the members" },
			{ "a member twice", "{\"table\":\"instances\",\"key\":"
			    "\"i-3\",\"key\":\"i-4\",\"value\":\"{}\"}",
			    "exactly the members" },
			{ "a missing member", "{\"table\":\"instances\","
			    "\"key\":\"i-3\"}", "are strings" },
			{ "a key twice", "{\"table\":\"bindings\",\"key\":"
			    "\"i-1/b-1\",\"value\":\"{}\"}", "out of order" },
			{ "keys out of order", "{\"table\":\"bindings\","
			    "\"key\":\"i-0/b-1\",\"value\":\"{}\"}",
			    "out of order" },
			{ "tables out of order", "{\"table\":\"instances\","
			    "\"key\":\"i-99\",\"value\":\"{}\"}",
			    "out of order" },
			{ "a line that is no object", "[1,2]",
			    "not a JSON object" },
			{ "an empty line", "", "an empty line" },
		};
		size_t k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			/* line 5 (index 4) is i-3, the last instance; the
			 * bindings' cases replace line 6 (i-1/b-1 stays) */
			int at = strstr(bad[k].line, "bindings") != NULL ||
			    strstr(bad[k].what, "tables") != NULL ? 6 : 4;

			v = variant(ls, count, -1, at, bad[k].line, NULL);
			refused(bad[k].what, v, strlen(v), OSB_MAX_EXPORT_LINE,
			    at + 1, bad[k].want);
			free(v);
		}
	}
	v = variant(ls, count, -1, -1, NULL, NULL);
	v[strlen(ls[0]) + 5] = '\0';	/* a NUL in line 2 */
	refused("a NUL byte", v, strlen(ls[0]) + strlen(ls[1]) + 2,
	    OSB_MAX_EXPORT_LINE, 2, "a NUL byte");
	free(v);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	if (asprintf(&v, "%s\n{\"table\":\"meta\",\"key\":\"k\",\"value\":"
	    "\"{\\\"v\\\":\\\"%.400s\\\"}\"}\n{\"end\":\"osbroker-export\","
	    "\"records\":1,\"counts\":{\"instances\":0,\"bindings\":0,"
	    "\"gone\":0,\"meta\":1,\"audit\":0}}\n", ls[0], big) < 0)
		exit(2);
	refused("a line longer than the limit", v, strlen(v), 300, 2,
	    "longer than 300 bytes");
	CHECK(import(target, v, strlen(v), 1000, &n, err, sizeof(err)) == 0 &&
	    n.total == 1, "... which a larger limit takes (%s)", err);
	free(v);
	/* Format version 1 had no audit table: its trailer has no count of
	 * it, and an audit record in it is not one of its tables. */
	store_close(target);
	tmp_remove(target_dir);
	tmp_make(target_dir, sizeof(target_dir), "xport-t");
	target = tmp_store(target_dir);
	v = strdup("{\"format\":\"osbroker-export\",\"format_version\":1}\n"
	    "{\"table\":\"audit\",\"key\":\"k\",\"value\":\"{}\"}\n"
	    "{\"end\":\"osbroker-export\",\"records\":1,\"counts\":"
	    "{\"instances\":0,\"bindings\":0,\"gone\":0,\"meta\":0,"
	    "\"audit\":1}}\n");
	refused("an audit record in a version 1 file", v, strlen(v),
	    OSB_MAX_EXPORT_LINE, 2, "an unknown table");
	free(v);
	v = strdup("{\"format\":\"osbroker-export\",\"format_version\":1}\n"
	    "{\"table\":\"meta\",\"key\":\"k\",\"value\":\"{}\"}\n"
	    "{\"end\":\"osbroker-export\",\"records\":1,\"counts\":"
	    "{\"instances\":0,\"bindings\":0,\"gone\":0,\"meta\":1}}\n");
	CHECK(v != NULL && import(target, v, strlen(v), 1000, &n, err,
	    sizeof(err)) == 0 && n.total == 1, "a version 1 file (no audit "
	    "table) imports (%s)", err);
	free(v);
	store_close(target);
	tmp_remove(target_dir);

	/* ---- the file ---- */
	umask(0);
	snprintf(path, sizeof(path), "%s/export.jsonl", dir_b);
	CHECK(xport_export_file(sa, path, &n, err, sizeof(err)) == 0 &&
	    stat(path, &sbuf) == 0 && (sbuf.st_mode & 07777) == 0600,
	    "the export file is created 0600 whatever the umask");
	printf("# %s\n", err);
	CHECK(xport_export_file(sa, path, &n, err, sizeof(err)) == -1 &&
	    strstr(err, "exists") != NULL && stat(path, &sbuf) == 0 &&
	    sbuf.st_size == (off_t)strlen(exp_a), "an existing file is not "
	    "overwritten");
	printf("# %s\n", err);
	snprintf(line, sizeof(line), "%s/link.jsonl", dir_b);
	if (symlink("export.jsonl", line) == -1)
		exit(2);
	CHECK(xport_export_file(sa, line, &n, err, sizeof(err)) == -1 &&
	    stat(path, &sbuf) == 0 && sbuf.st_size == (off_t)strlen(exp_a),
	    "nor one behind a symbolic link");
	printf("# %s\n", err);
	sc = tmp_store(dir_c);
	err[0] = '\0';
	CHECK(xport_import_file(sc, path, 0, &n, err, sizeof(err)) == 0 &&
	    n.total == 10, "the file imports");
	printf("# %s\n", err);
	snprintf(line, sizeof(line), "%s/none.jsonl", dir_b);
	CHECK(xport_import_file(sc, line, 0, &n, err, sizeof(err)) == -1 &&
	    strstr(err, "No such file") != NULL, "a missing file: %s", err);

	/* ---- a store the format cannot hold is not exported ---- */
	tmp_put(sb, T_INSTANCES, "bad key", "{}");
	snprintf(path, sizeof(path), "%s/bad.jsonl", dir_b);
	CHECK(xport_export_file(sb, path, &n, err, sizeof(err)) == -1 &&
	    strstr(err, "table instances, record 1: the key is not a valid "
	    "instance id") != NULL && access(path, F_OK) == -1,
	    "a stored key import would refuse: no export, no file (%s)", err);
	store_close(sb);
	tmp_remove(dir_b);
	tmp_make(dir_b, sizeof(dir_b), "xport-b");
	sb = tmp_store(dir_b);
	tmp_put(sb, T_BINDINGS, "i-1/b-1", "[]");
	snprintf(path, sizeof(path), "%s/bad.jsonl", dir_b);
	CHECK(xport_export_file(sb, path, &n, err, sizeof(err)) == -1 &&
	    strstr(err, "table bindings, record 1: the value is not a JSON "
	    "object") != NULL && access(path, F_OK) == -1,
	    "a stored value that is no object: no export, no file (%s)", err);

	free(ls[0]);
	free(ls);
	free(exp_a);
	store_close(sa);
	store_close(sb);
	store_close(sc);
	tmp_remove(dir_a);
	tmp_remove(dir_b);
	tmp_remove(dir_c);
	return tap_done();
}
