/* SPDX-License-Identifier: ISC */
/*
 * xport: see xport.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "limits.h"
#include "util.h"
#include "version.h"
#include "xport.h"

/* The tables in the order of the format, with their names in it (the
 * store's own names for them, store_int.h). */
static const struct {
	enum store_table	 tb;
	const char		*name;
	const char		*plural;	/* for summaries */
	int			 since;		/* the format version that
						   added it */
} tables[T__COUNT] = {
	{ T_INSTANCES,	"instances",	"instances",	1 },
	{ T_BINDINGS,	"bindings",	"bindings",	1 },
	{ T_GONE,	"gone",		"tombstones",	1 },
	{ T_META,	"meta",		"meta",		1 },
	{ T_AUDIT,	"audit",	"audit entries", 2 },
};

static void
say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Append text to err. */
static void
add(char *err, size_t errlen, const char *text)
{
	size_t n = strlen(err);

	if (n < errlen)
		snprintf(err + n, errlen - n, "%s", text);
}

/* ---- the rules a record obeys, in both directions ------------------- */

/* "<instance id>/<binding id>" */
static int
binding_key(const char *key)
{
	const char	*slash = strchr(key, '/');
	char		 iid[OSB_MAX_ID_LEN + 1];

	if (slash == NULL || (size_t)(slash - key) > OSB_MAX_ID_LEN)
		return 0;
	memcpy(iid, key, (size_t)(slash - key));
	iid[slash - key] = '\0';
	return util_id_valid(iid) && util_id_valid(slash + 1);
}

/* Printable ASCII but space, 1..OSB_MAX_STORE_KEY bytes. */
static int
meta_key(const char *key)
{
	size_t n;

	for (n = 0; key[n] != '\0'; n++)
		if (n >= OSB_MAX_STORE_KEY || key[n] <= ' ' || key[n] > '~')
			return 0;
	return n > 0;
}

/* NULL when key may be a key of the table at position ti, else what it
 * should be. */
static const char *
key_problem(int ti, const char *key)
{
	switch (tables[ti].tb) {
	case T_INSTANCES:
		return util_id_valid(key) ? NULL : "the key is not a valid "
		    "instance id";
	case T_BINDINGS:
		return binding_key(key) ? NULL : "the key is not <instance "
		    "id>/<binding id>";
	case T_GONE:
		return util_id_valid(key) || binding_key(key) ? NULL :
		    "the key is neither an instance id nor <instance "
		    "id>/<binding id>";
	default:
		return meta_key(key) ? NULL : "the key is not 1 to 511 "
		    "printable characters";
	}
}

/* 1 when p[0..len) is one JSON object (whitespace around it allowed). */
static int json_object(const char *, size_t);

/* NULL when key and the stored value may be a record of the table at
 * position ti, else why not. */
static const char *
record_problem(int ti, const char *key, const char *val, size_t len)
{
	const char *why = key_problem(ti, key);

	if (why == NULL && !json_object(val, len))
		why = "the value is not a JSON object";
	return why;
}

static int
json_object(const char *p, size_t len)
{
	const char	*end = NULL;
	cJSON		*j;
	int		 ok;

	if (memchr(p, '\0', len) != NULL)
		return 0;
	j = cJSON_ParseWithLengthOpts(p, len, &end, 0);
	ok = cJSON_IsObject(j) && end != NULL;
	cJSON_Delete(j);
	if (!ok)
		return 0;
	while (end < p + len && (*end == ' ' || *end == '\t' || *end == '\n' ||
	    *end == '\r'))
		end++;
	return end == p + len;
}

/* One more record of the table at position ti. */
static void
counted(struct xport_counts *n, int ti)
{
	n->table[tables[ti].tb]++;
	n->total++;
}

void
xport_summary(const struct xport_counts *n, char *buf, size_t len)
{
	snprintf(buf, len, "%ld %s, %ld %s, %ld %s, %ld %s, %ld %s",
	    n->table[tables[0].tb], tables[0].plural,
	    n->table[tables[1].tb], tables[1].plural,
	    n->table[tables[2].tb], tables[2].plural,
	    n->table[tables[3].tb], tables[3].plural,
	    n->table[tables[4].tb], tables[4].plural);
}

/* ---- export ----------------------------------------------------------- */

struct out {
	FILE			*f;
	int			 ti;		/* tables[] position */
	struct xport_counts	*n;
	char			*prev;		/* the key before */
	char			*err;
	size_t			 errlen;
	int			 failed;
};

/* Print line (a cJSON tree) and a newline; 0 or -1 (err set). */
static int
put_line(struct out *o, const cJSON *line)
{
	char	*s = cJSON_PrintUnformatted(line);
	size_t	 len;
	int	 rc = 0;

	if (s == NULL) {
		say(o->err, o->errlen, "out of memory");
		return -1;
	}
	len = strlen(s);
	if (len > OSB_MAX_EXPORT_LINE) {
		say(o->err, o->errlen, "a record of table %s is longer than an "
		    "export line may be (%lld bytes)", tables[o->ti].name,
		    (long long)OSB_MAX_EXPORT_LINE);
		rc = -1;
	} else if (fwrite(s, 1, len, o->f) != len || putc('\n', o->f) == EOF) {
		say(o->err, o->errlen, "writing: %s", strerror(errno));
		rc = -1;
	}
	free(s);
	return rc;
}

/* Keys are not quoted: the message goes to a terminal or a log, and a
 * damaged key may be anything. */
static int
each_record(const char *key, const char *val, size_t len, void *arg)
{
	struct out	*o = arg;
	const char	*why;
	cJSON		*line;
	char		*copy;
	int		 rc;

	why = record_problem(o->ti, key, val, len);
	if (why == NULL && o->prev != NULL && strcmp(key, o->prev) <= 0)
		why = "the keys are not in byte order";
	if (why != NULL) {
		say(o->err, o->errlen, "table %s, record %ld: %s; nothing "
		    "exported (osbroker --verify names damaged records)",
		    tables[o->ti].name, o->n->table[tables[o->ti].tb] + 1, why);
		o->failed = 1;
		return 1;
	}
	/* The value as a string of its exact bytes (xport.h). */
	if ((copy = malloc(len + 1)) == NULL || (line =
	    cJSON_CreateObject()) == NULL) {
		free(copy);
		say(o->err, o->errlen, "out of memory");
		o->failed = 1;
		return 1;
	}
	memcpy(copy, val, len);
	copy[len] = '\0';
	cJSON_AddStringToObject(line, "table", tables[o->ti].name);
	cJSON_AddStringToObject(line, "key", key);
	cJSON_AddStringToObject(line, "value", copy);
	rc = put_line(o, line);
	cJSON_Delete(line);
	free(copy);
	free(o->prev);
	if (rc == -1 || (o->prev = strdup(key)) == NULL) {
		if (rc == 0)
			say(o->err, o->errlen, "out of memory");
		o->prev = NULL;
		o->failed = 1;
		return 1;
	}
	counted(o->n, o->ti);
	return 0;
}

int
xport_export(struct store *st, FILE *f, struct xport_counts *n, char *err,
    size_t errlen)
{
	struct store_txn	*t;
	struct out		 o;
	cJSON			*head, *tail, *counts;
	char			 when[64];
	time_t			 now;
	struct tm		 tm;
	enum store_rc		 rc = STORE_OK;
	int			 i, failed;

	memset(n, 0, sizeof(*n));
	memset(&o, 0, sizeof(o));
	o.f = f;
	o.n = n;
	o.err = err;
	o.errlen = errlen;
	if (store_begin(st, 0, NULL, &t) != STORE_OK) {
		say(err, errlen, "reading the store: %s", store_strerror(st));
		return -1;
	}
	now = time(NULL);
	if (strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
	    util_gmtime(now, &tm)) == 0)
		snprintf(when, sizeof(when), "unknown");
	head = cJSON_CreateObject();
	cJSON_AddStringToObject(head, "format", XPORT_FORMAT_NAME);
	cJSON_AddNumberToObject(head, "format_version", XPORT_FORMAT);
	cJSON_AddStringToObject(head, "osbroker_version", OSB_VERSION);
	cJSON_AddStringToObject(head, "source", store_kind(st));
	cJSON_AddStringToObject(head, "exported_at", when);
	failed = put_line(&o, head) == -1;
	cJSON_Delete(head);
	for (i = 0; !failed && i < T__COUNT; i++) {
		o.ti = i;
		free(o.prev);
		o.prev = NULL;
		rc = store_scan(t, tables[i].tb, "", each_record, &o);
		failed = o.failed;
		if (!failed && rc != STORE_OK) {
			say(err, errlen, "reading the store: %s",
			    store_strerror(st));
			failed = 1;
		}
	}
	free(o.prev);
	store_abort(t);
	if (failed)
		return -1;
	tail = cJSON_CreateObject();
	cJSON_AddStringToObject(tail, "end", XPORT_FORMAT_NAME);
	cJSON_AddNumberToObject(tail, "records", (double)n->total);
	counts = cJSON_AddObjectToObject(tail, "counts");
	for (i = 0; i < T__COUNT; i++)
		cJSON_AddNumberToObject(counts, tables[i].name,
		    (double)n->table[tables[i].tb]);
	failed = put_line(&o, tail) == -1;
	cJSON_Delete(tail);
	if (!failed && fflush(f) == EOF) {
		say(err, errlen, "writing: %s", strerror(errno));
		failed = 1;
	}
	return failed ? -1 : 0;
}

int
xport_export_file(struct store *st, const char *path, struct xport_counts *n,
    char *err, size_t errlen)
{
	FILE	*f;
	int	 fd, rc;

	if (strcmp(path, "-") == 0) {
		rc = xport_export(st, stdout, n, err, errlen);
		if (rc == 0 && ferror(stdout)) {
			say(err, errlen, "writing to standard output failed");
			rc = -1;
		}
		return rc;
	}
	/* O_EXCL: never overwrite (nor follow a link planted there). */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		say(err, errlen, "%s: %s", path, errno == EEXIST ? "exists; "
		    "refusing to overwrite it" : strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1 || (f = fdopen(fd, "w")) == NULL) {
		say(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	rc = xport_export(st, f, n, err, errlen);
	if (rc == 0 && (fflush(f) == EOF || fsync(fileno(f)) == -1)) {
		say(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (fclose(f) == EOF && rc == 0) {
		say(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc == -1)
		unlink(path);	/* ours: created above with O_EXCL */
	return rc;
}

/* ---- import ----------------------------------------------------------- */

struct in {
	FILE			*f;
	size_t			 max;
	char			*buf;
	size_t			 cap, len;
	long			 lineno;
	int			 ti;		/* the table before */
	long			 version;	/* the file's format_version */
	char			*prev;		/* ... and its key */
	struct xport_counts	*n;
	struct store_txn	*t;
	struct store		*st;
	char			*err;
	size_t			 errlen;
};

/* The next line into in->buf (NUL-terminated, without its newline):
 * 1, 0 at the end of the input, -1 when it is longer than in->max bytes,
 * -2 on a read error. */
static int
read_line(struct in *in)
{
	int	 c;
	char	*nb;
	size_t	 ncap;

	in->len = 0;
	while ((c = getc_unlocked(in->f)) != EOF && c != '\n') {
		if (in->len >= in->max)
			return -1;
		if (in->len + 1 >= in->cap) {
			ncap = in->cap == 0 ? 4096 : in->cap * 2;
			if (ncap > in->max + 1)
				ncap = in->max + 1;
			if ((nb = realloc(in->buf, ncap)) == NULL)
				return -2;
			in->buf = nb;
			in->cap = ncap;
		}
		in->buf[in->len++] = (char)c;
	}
	if (ferror(in->f))
		return -2;
	if (c == EOF && in->len == 0)
		return 0;
	if (in->buf == NULL && (in->buf = malloc(1)) == NULL)
		return -2;
	in->buf[in->len] = '\0';
	return 1;
}

static int
bad(struct in *in, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(in->err, in->errlen, "line %ld: ", in->lineno);
	if (n < 0 || (size_t)n >= in->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(in->err + n, in->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* 1 when j is a number with an integral value >= 0, into *v. */
static int
count_of(const cJSON *j, long *v)
{
	if (!cJSON_IsNumber(j) || j->valuedouble < 0 ||
	    j->valuedouble > 1e15 || j->valuedouble != (double)(long)
	    j->valuedouble)
		return 0;
	*v = (long)j->valuedouble;
	return 1;
}

static int
header(struct in *in, const cJSON *j)
{
	const cJSON	*fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
	const cJSON	*ver = cJSON_GetObjectItemCaseSensitive(j,
			    "format_version");
	long		 v;

	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring,
	    XPORT_FORMAT_NAME) != 0)
		return bad(in, "not the header of an osbroker export "
		    "(\"format\":\"%s\")", XPORT_FORMAT_NAME);
	if (!count_of(ver, &v) || v < 1)
		return bad(in, "format_version is not a positive integer");
	if (v > XPORT_FORMAT)
		return bad(in, "format version %ld is newer than this osbroker "
		    "reads (%d): import it with a newer osbroker", v,
		    XPORT_FORMAT);
	in->version = v;
	return 0;
}

static int
trailer(struct in *in, const cJSON *j)
{
	const cJSON	*end = cJSON_GetObjectItemCaseSensitive(j, "end");
	const cJSON	*counts = cJSON_GetObjectItemCaseSensitive(j,
			    "counts");
	const cJSON	*c;
	long		 v;
	int		 i, known;

	if (!cJSON_IsString(end) || strcmp(end->valuestring,
	    XPORT_FORMAT_NAME) != 0)
		return bad(in, "a trailer whose \"end\" is not \"%s\"",
		    XPORT_FORMAT_NAME);
	if (!count_of(cJSON_GetObjectItemCaseSensitive(j, "records"), &v))
		return bad(in, "the trailer has no record count");
	if (v != in->n->total)
		return bad(in, "the trailer counts %ld records, the file holds "
		    "%ld: damaged or cut", v, in->n->total);
	if (!cJSON_IsObject(counts))
		return bad(in, "the trailer has no counts per table");
	cJSON_ArrayForEach(c, counts) {
		for (known = 0, i = 0; i < T__COUNT; i++)
			known |= strcmp(c->string, tables[i].name) == 0;
		if (!known)
			return bad(in, "the trailer counts a table this "
			    "osbroker does not know");
	}
	for (i = 0; i < T__COUNT; i++) {
		c = cJSON_GetObjectItemCaseSensitive(counts, tables[i].name);
		if (c == NULL && in->version < tables[i].since)
			v = 0;	/* a table the file's version did not have */
		else if (!count_of(c, &v))
			return bad(in, "the trailer has no count of table %s",
			    tables[i].name);
		if (v != in->n->table[tables[i].tb])
			return bad(in, "the trailer counts %ld records of "
			    "table %s, the file holds %ld: damaged or cut", v,
			    tables[i].name, in->n->table[tables[i].tb]);
	}
	return 0;
}

static int
record(struct in *in, const cJSON *j)
{
	static const char *const names[] = { "table", "key", "value" };
	const cJSON	*m, *tb = NULL, *key = NULL, *val = NULL;
	const char	*why;
	enum store_rc	 rc;
	size_t		 vlen;
	int		 i, ti;

	cJSON_ArrayForEach(m, j) {
		for (i = 0; i < 3; i++)
			if (strcmp(m->string, names[i]) == 0)
				break;
		if (i == 3 || (i == 0 && tb != NULL) || (i == 1 && key !=
		    NULL) || (i == 2 && val != NULL))
			return bad(in, "a record has exactly the members "
			    "table, key and value, each once");
		*(i == 0 ? &tb : i == 1 ? &key : &val) = m;
	}
	if (!cJSON_IsString(tb) || !cJSON_IsString(key) ||
	    !cJSON_IsString(val))
		return bad(in, "table, key and value of a record are strings");
	for (ti = 0; ti < T__COUNT; ti++)
		if (strcmp(tb->valuestring, tables[ti].name) == 0)
			break;
	if (ti == T__COUNT || in->version < tables[ti].since)
		return bad(in, "an unknown table (this osbroker knows "
		    "instances, bindings, gone, meta and, since format "
		    "version 2, audit)");
	if ((why = key_problem(ti, key->valuestring)) != NULL)
		return bad(in, "%s (table %s)", why, tables[ti].name);
	vlen = strlen(val->valuestring);
	if (!json_object(val->valuestring, vlen))
		return bad(in, "the value is not a JSON object");
	if (ti < in->ti || (ti == in->ti && in->prev != NULL &&
	    strcmp(key->valuestring, in->prev) <= 0))
		return bad(in, "out of order (records come by table: "
		    "instances, bindings, gone, meta, audit; then by key, "
		    "each key once)");
	if ((rc = store_put(in->t, tables[ti].tb, key->valuestring,
	    val->valuestring, vlen)) != STORE_OK)
		return bad(in, "storing the record: %s",
		    store_strerror(in->st));
	in->ti = ti;
	free(in->prev);
	if ((in->prev = strdup(key->valuestring)) == NULL)
		return bad(in, "out of memory");
	counted(in->n, ti);
	return 0;
}

static int
first_key(const char *key, const char *val, size_t len, void *arg)
{
	(void)key;
	(void)val;
	(void)len;
	*(int *)arg = 1;
	return 1;
}

/* 0 when st holds no record in any table, else -1 with err; with
 * XPORT_REPLACE, every record is deleted instead. */
static int
empty(struct store_txn *t, struct store *st, int flags, char *err,
    size_t errlen)
{
	int	 i, found = 0;

	for (i = 0; (flags & XPORT_REPLACE) && i < T__COUNT; i++)
		if (store_del_prefix(t, tables[i].tb, "", NULL) != STORE_OK) {
			say(err, errlen, "emptying the target store: %s",
			    store_strerror(st));
			return -1;
		}
	for (i = 0; i < T__COUNT; i++) {
		if (store_scan(t, tables[i].tb, "", first_key, &found) !=
		    STORE_OK) {
			say(err, errlen, "reading the target store: %s",
			    store_strerror(st));
			return -1;
		}
		if (found) {
			say(err, errlen, "the target store is not empty (table "
			    "%s has records): import only into an empty store",
			    tables[i].name);
			return -1;
		}
	}
	return 0;
}

/* Every line, checked and stored; 0 when the trailer was the last one. */
static int
read_all(struct in *in)
{
	cJSON	*j;
	int	 r = 0, rc = 0, ended = 0;

	while (rc == 0 && (r = read_line(in)) == 1) {
		in->lineno++;
		if (ended)
			return bad(in, "text after the trailer line");
		if (in->len == 0)
			return bad(in, "an empty line");
		if (memchr(in->buf, '\0', in->len) != NULL)
			return bad(in, "a NUL byte");
		/* len + 1: cJSON finds the terminating NUL within it. */
		j = cJSON_ParseWithLengthOpts(in->buf, in->len + 1, NULL, 1);
		if (j == NULL)
			rc = bad(in, "not JSON (a line cut short?)");
		else if (!cJSON_IsObject(j))
			rc = bad(in, "not a JSON object");
		else if (in->lineno == 1)
			rc = header(in, j);
		else if (cJSON_GetObjectItemCaseSensitive(j, "end") != NULL)
			ended = (rc = trailer(in, j)) == 0;
		else
			rc = record(in, j);
		cJSON_Delete(j);
	}
	if (rc != 0)
		return rc;
	in->lineno++;
	if (r == -1)
		return bad(in, "longer than %zu bytes", in->max);
	if (r == -2)
		return bad(in, "cannot read: %s", strerror(errno));
	if (in->lineno == 1)
		return bad(in, "the input is empty (no header line)");
	if (!ended)
		return bad(in, "the file ends without its trailer line (cut "
		    "short?)");
	return 0;
}

/* Commit (unless failed) or abort a load's transaction; 0 or -1, err
 * saying whether anything was stored. */
static int
finish(struct store_txn *t, struct store *st, int failed, char *err,
    size_t errlen)
{
	enum store_rc rc;

	if (!failed) {
		if ((rc = store_commit(t)) == STORE_OK)
			return 0;
		say(err, errlen, "commit: %s", store_strerror(st));
		if (rc == STORE_UNAVAILABLE) {
			add(err, errlen, "; whether anything was stored is "
			    "unknown: look before importing again");
			return -1;
		}
	} else
		store_abort(t);
	add(err, errlen, "; nothing was stored");
	return -1;
}

int
xport_import(struct store *st, FILE *f, size_t max_line, int flags,
    struct xport_counts *n, char *err, size_t errlen)
{
	struct in	 in;
	enum store_rc	 rc;
	int		 failed;

	memset(n, 0, sizeof(*n));
	memset(&in, 0, sizeof(in));
	in.f = f;
	in.max = max_line;
	in.n = n;
	in.st = st;
	in.err = err;
	in.errlen = errlen;
	/* The whole store, one transaction: the emptiness checked and the
	 * records stored with no other writer in between. */
	if ((rc = store_begin(st, 1, NULL, &in.t)) != STORE_OK) {
		say(err, errlen, "writing to the target store: %s; nothing was "
		    "stored", store_strerror(st));
		return -1;
	}
	failed = empty(in.t, st, flags, err, errlen) == -1 ||
	    read_all(&in) == -1;
	free(in.buf);
	free(in.prev);
	return finish(in.t, st, failed, err, errlen);
}

int
xport_import_file(struct store *st, const char *path, int flags,
    struct xport_counts *n, char *err, size_t errlen)
{
	FILE	*f;
	int	 rc;

	if (strcmp(path, "-") == 0)
		return xport_import(st, stdin, OSB_MAX_EXPORT_LINE, flags, n,
		    err, errlen);
	if ((f = fopen(path, "re")) == NULL) {
		say(err, errlen, "%s; nothing was stored", strerror(errno));
		return -1;
	}
	rc = xport_import(st, f, OSB_MAX_EXPORT_LINE, flags, n, err, errlen);
	fclose(f);
	return rc;
}

/* ---- copy ------------------------------------------------------------- */

struct copy {
	struct store_txn	*to;
	struct store		*st;		/* to's, for messages */
	int			 ti;
	struct xport_counts	*n;
	char			*err;
	size_t			 errlen;
	int			 failed;
};

static int
copy_record(const char *key, const char *val, size_t len, void *arg)
{
	struct copy	*c = arg;
	const char	*why = record_problem(c->ti, key, val, len);

	if (why != NULL) {
		say(c->err, c->errlen, "table %s, record %ld: %s",
		    tables[c->ti].name, c->n->table[tables[c->ti].tb] + 1,
		    why);
		c->failed = 1;
		return 1;
	}
	if (store_put(c->to, tables[c->ti].tb, key, val, len) != STORE_OK) {
		say(c->err, c->errlen, "storing a record of table %s: %s",
		    tables[c->ti].name, store_strerror(c->st));
		c->failed = 1;
		return 1;
	}
	counted(c->n, c->ti);
	return 0;
}

int
xport_copy(struct store *from, struct store *to, int flags,
    struct xport_counts *n, char *err, size_t errlen)
{
	struct store_txn	*rt;
	struct copy		 c = { .st = to, .n = n, .err = err,
				    .errlen = errlen };
	int			 i;

	memset(n, 0, sizeof(*n));
	if (store_begin(from, 0, NULL, &rt) != STORE_OK) {
		say(err, errlen, "reading %s: %s; nothing was stored",
		    store_where(from), store_strerror(from));
		return -1;
	}
	if (store_begin(to, 1, NULL, &c.to) != STORE_OK) {
		say(err, errlen, "writing to the target store: %s; nothing was "
		    "stored", store_strerror(to));
		store_abort(rt);
		return -1;
	}
	c.failed = empty(c.to, to, flags, err, errlen) == -1;
	for (i = 0; !c.failed && i < T__COUNT; i++) {
		c.ti = i;
		if (store_scan(rt, tables[i].tb, "", copy_record, &c) !=
		    STORE_OK && !c.failed) {
			say(err, errlen, "reading %s: %s", store_where(from),
			    store_strerror(from));
			c.failed = 1;
		}
	}
	store_abort(rt);
	return finish(c.to, to, c.failed, err, errlen);
}
