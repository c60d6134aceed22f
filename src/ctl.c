/* SPDX-License-Identifier: ISC */
/*
 * ctl: see ctl.h.
 */
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "ctl.h"
#include "limits.h"
#include "op.h"
#include "records.h"
#include "table.h"
#include "util.h"
#include "verify.h"
#include "xport.h"

#define MASK	"********"

static void
say(const char *fmt, ...)
{
	va_list ap;

	fputs("osbrokerctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* An id from the command line, checked before it reaches a message. */
static int
check_id(const char *iid)
{
	if (util_id_valid(iid))
		return 0;
	say("not an instance id (1 to %d letters, digits, '-', '.', '_', "
	    "'~')", OSB_MAX_ID_LEN);
	return -1;
}

static int
store_failed(struct ctl *c, const char *what)
{
	say("%s: %s", what, store_strerror(c->st));
	return CTL_FAIL;
}

/* ---- opening ---------------------------------------------------------- */

/* LMDB: the state directory must hold a store already, unless the
 * subcommand makes one (store_open() would create both quietly). */
static int
lmdb_present(const char *dir, int create)
{
	char		path[OSB_MAX_PATH + OSB_MAX_NAME];
	struct stat	sb;

	if (create)
		return 0;
	if (stat(dir, &sb) == -1) {
		say("state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		say("state directory %s: not a directory", dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &sb) == -1) {
		say("%s is not an osbroker state directory (no data.mdb: "
		    "OSBROKER_STATE_DIR names another directory?)", dir);
		return -1;
	}
	return 0;
}

enum ctl_rc
ctl_open(struct ctl *c, int flags)
{
	struct catalog_error	 ce;
	char			 err[512];
	enum store_rc		 rc;

	memset(c, 0, sizeof(*c));
	c->out = stdout;
	c->now = time(NULL);
	if (config_load(&c->cfg, err, sizeof(err)) == -1) {
		say("%s", err);
		return CTL_FAIL;
	}
	if ((c->cfg.store[0] == '\0' || strcmp(c->cfg.store, "lmdb") == 0) &&
	    lmdb_present(c->cfg.state_dir, flags & CTL_CREATE) == -1)
		return CTL_FAIL;
	/* STORE_UNAVAILABLE: the database is down, or its schema newer
	 * than ours (store.h); a worker waits, a command says why. */
	if ((rc = store_open(c->cfg.store, c->cfg.state_dir, c->cfg.map_size,
	    &c->st)) != STORE_OK) {
		say("state store: %s", c->st != NULL ? store_strerror(c->st) :
		    "out of memory");
		ctl_close(c);
		return CTL_FAIL;
	}
	/* Runners are judged by pid on their own host only (op.h). */
	(void)op_set_host(c->cfg.host_id, OP_MACHINE_ID, store_shared(c->st),
	    c->cfg.request_timeout);
	if ((flags & CTL_CATALOG) && catalog_load(c->cfg.catalog_path, &c->cat,
	    &ce) == -1) {
		say("catalog %s not loaded (%s): showing ids", ce.file,
		    ce.message);
		c->cat = NULL;
	}
	return CTL_OK;
}

void
ctl_close(struct ctl *c)
{
	catalog_free(c->cat);
	c->cat = NULL;
	store_close(c->st);
	c->st = NULL;
}

/* ---- what is shown of a record ------------------------------------------- */

void
ctl_age(long s, char *out, size_t outlen)
{
	if (s < 0)
		snprintf(out, outlen, "-");
	else if (s < 120)
		snprintf(out, outlen, "%lds", s);
	else if (s < 2 * 3600)
		snprintf(out, outlen, "%ldm", s / 60);
	else if (s < 2 * 86400)
		snprintf(out, outlen, "%ldh", s / 3600);
	else
		snprintf(out, outlen, "%ldd", s / 86400);
}

/* A record of the store, parsed, its operation judged as op_reap() would
 * (in this copy only); NULL when it is not a JSON object. */
static cJSON *
live(const struct ctl *c, const char *val, size_t len)
{
	cJSON *rec = cJSON_ParseWithLength(val, len);

	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return NULL;
	}
	if (op_state(rec) == OPS_IN_PROGRESS)
		(void)op_reap(rec, c->now);
	return rec;
}

/* The state's name, or NULL (no operation). */
static const char *
state_of(const cJSON *rec)
{
	return op_last(rec) == NULL ? NULL : records_str(op_last(rec), "state");
}

/* The service's and plan's names from the catalog, or NULL. */
static void
names(const struct catalog *cat, const cJSON *rec, const char **sname,
    const char **pname)
{
	struct catalog_plan p;

	*sname = *pname = NULL;
	if (cat != NULL && catalog_lookup(cat, records_str(rec, "service_id"),
	    records_str(rec, "plan_id"), &p) == CATALOG_FOUND) {
		*sname = p.service_name;
		*pname = p.plan_name;
	}
}

static int
matches(const char *want, const char *id, const char *name)
{
	return want == NULL || strcmp(want, id) == 0 ||
	    (name != NULL && strcmp(want, name) == 0);
}

int
ctl_outdated(const struct catalog *cat, const cJSON *rec,
    const char **plan_version)
{
	struct catalog_plan p;

	*plan_version = NULL;
	if (cat == NULL || catalog_lookup(cat, records_str(rec, "service_id"),
	    records_str(rec, "plan_id"), &p) != CATALOG_FOUND ||
	    p.maintenance_version == NULL)
		return 0;
	*plan_version = p.maintenance_version;
	return strcmp(records_str(cJSON_GetObjectItemCaseSensitive(rec,
	    "maintenance_info"), "version"), p.maintenance_version) != 0;
}

int
ctl_match(const struct catalog *cat, const cJSON *rec,
    const struct ctl_filter *f)
{
	const char	*pv;

	const char	*sname, *pname;
	enum op_state	 s = op_state(rec);

	names(cat, rec, &sname, &pname);
	if (s == OPS_NONE)
		s = OPS_SUCCEEDED;
	return matches(f->service, records_str(rec, "service_id"), sname) &&
	    matches(f->plan, records_str(rec, "plan_id"), pname) &&
	    (f->state < 0 || f->state == (int)s) &&
	    (!f->outdated || ctl_outdated(cat, rec, &pv));
}

static void
add_str(cJSON *o, const char *name, const char *v)
{
	if (v != NULL && *v != '\0')
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

/* rec's credentials with every value masked (ctl.h). */
static void
mask_credentials(cJSON *rec)
{
	cJSON *cr = cJSON_GetObjectItemCaseSensitive(rec, "credentials"), *v,
	      *next;

	if (cr == NULL)
		return;
	if (!cJSON_IsObject(cr)) {
		cJSON_ReplaceItemInObjectCaseSensitive(rec, "credentials",
		    cJSON_CreateString(MASK));
		return;
	}
	/* Not cJSON_ArrayForEach: a replaced item is freed. */
	for (v = cr->child; v != NULL; v = next) {
		next = v->next;
		cJSON_ReplaceItemViaPointer(cr, v, cJSON_CreateString(MASK));
	}
}

/* ---- JSON arrays, one object a line -------------------------------------- */

struct jarr {
	FILE	*out;
	int	 n;
};

static void
jarr_start(struct jarr *a, FILE *out)
{
	a->out = out;
	a->n = 0;
	fputc('[', out);
}

/* Print and free o. */
static int
jarr_add(struct jarr *a, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	if (s == NULL)
		return -1;
	fprintf(a->out, "%s%s", a->n++ == 0 ? "\n" : ",\n", s);
	free(s);
	return 0;
}

static void
jarr_end(struct jarr *a)
{
	fputs("\n]\n", a->out);
}

/* ---- listings: a table or a JSON array, from one read transaction ---- */

struct listing {
	struct ctl		*c;
	struct store_txn	*t;
	struct table		*tab;	/* or, with json, j */
	struct jarr		 j;
	int			 failed;	/* out of memory */
};

/* CTL_OK with the read transaction begun, or a failure said. */
static enum ctl_rc
listing_start(struct listing *l, struct ctl *c, int ncols,
    const char *const *head)
{
	memset(l, 0, sizeof(*l));
	l->c = c;
	if (!c->json && (l->tab = table_new(ncols, head)) == NULL) {
		say("out of memory");
		return CTL_FAIL;
	}
	if (store_begin(c->st, STORE_READ, NULL, &l->t) != STORE_OK) {
		table_free(l->tab);
		return store_failed(c, "reading the store");
	}
	if (c->json)
		jarr_start(&l->j, c->out);
	return CTL_OK;
}

/* One entry: o (JSON, freed here) or cells (the table), as the listing
 * is.  For a scan's callback: 1 (stop) when out of memory. */
static int
listing_add(struct listing *l, const char *const *cells, cJSON *o)
{
	int rc = l->c->json ? jarr_add(&l->j, o) : table_add(l->tab, cells);

	if (rc == -1)
		l->failed = 1;
	return rc == -1;
}

/* End the transaction; print the listing, or say why not (rc: the scans'
 * result). */
static enum ctl_rc
listing_end(struct listing *l, enum store_rc rc)
{
	enum ctl_rc out = CTL_OK;

	store_abort(l->t);
	if (rc != STORE_OK)
		out = store_failed(l->c, "reading the store");
	else if (l->failed) {
		say("out of memory");
		out = CTL_FAIL;
	} else if (l->c->json)
		jarr_end(&l->j);
	else
		table_print(l->tab, l->c->out);
	table_free(l->tab);
	return out;
}

/* ---- instances ------------------------------------------------------------ */

/* Bindings per instance: one scan of the bindings, whose keys of one
 * instance are one run ("<iid>/..."), so counting needs no index. */
struct bcount {
	char	*iid;
	long	 n;
};

struct bcounts {
	struct bcount	*v;
	size_t		 n, cap;
	int		 failed;
};

static int
count_binding(const char *key, const char *val, size_t len, void *arg)
{
	struct bcounts	*b = arg;
	const char	*slash = strchr(key, '/');
	size_t		 ilen = slash != NULL ? (size_t)(slash - key) : 0;
	struct bcount	*nv;

	(void)val;
	(void)len;
	if (slash == NULL)
		return 0;
	if (b->n > 0 && strlen(b->v[b->n - 1].iid) == ilen &&
	    memcmp(b->v[b->n - 1].iid, key, ilen) == 0) {
		b->v[b->n - 1].n++;
		return 0;
	}
	if (b->n == b->cap) {
		b->cap = b->cap == 0 ? 64 : b->cap * 2;
		if ((nv = reallocarray(b->v, b->cap, sizeof(*nv))) == NULL) {
			b->failed = 1;
			return 1;
		}
		b->v = nv;
	}
	if ((b->v[b->n].iid = strndup(key, ilen)) == NULL) {
		b->failed = 1;
		return 1;
	}
	b->v[b->n++].n = 1;
	return 0;
}

static int
bcount_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bcount *)a)->iid,
	    ((const struct bcount *)b)->iid);
}

static long
bcount_of(const struct bcounts *b, const char *iid)
{
	struct bcount	 k = { (char *)(uintptr_t)iid, 0 }, *f;

	f = b->n == 0 ? NULL : bsearch(&k, b->v, b->n, sizeof(*b->v),
	    bcount_cmp);
	return f != NULL ? f->n : 0;
}

static void
bcounts_free(struct bcounts *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].iid);
	free(b->v);
}

struct ilist {
	struct listing		 l;		/* first */
	const struct ctl_filter	*f;
	struct bcounts		 b;
};

static int
list_instance(const char *key, const char *val, size_t len, void *arg)
{
	struct ilist	*il = arg;
	struct ctl	*c = il->l.c;
	cJSON		*rec = live(c, val, len), *o = NULL;
	const char	*sname, *pname, *op, *st, *pv, *iv;
	char		 nb[32], ver[2 * OSB_MAX_TABLE_CELL];
	int		 stop, outdated;

	if (rec == NULL || !ctl_match(c->cat, rec, il->f)) {
		cJSON_Delete(rec);
		return 0;
	}
	names(c->cat, rec, &sname, &pname);
	op = op_last(rec) != NULL ? records_str(op_last(rec), "type") : NULL;
	st = state_of(rec);
	/* osbrokerctl(8): the instance's version, "<" and the plan's when
	 * the plan offers another. */
	outdated = ctl_outdated(c->cat, rec, &pv);
	iv = records_str(cJSON_GetObjectItemCaseSensitive(rec,
	    "maintenance_info"), "version");
	snprintf(ver, sizeof(ver), "%s%s%s", *iv != '\0' ? iv : "-",
	    outdated ? "<" : "", outdated ? pv : "");
	if (c->json) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "instance_id", key);
		add_str(o, "service_id", records_str(rec, "service_id"));
		add_str(o, "service_name", sname);
		add_str(o, "plan_id", records_str(rec, "plan_id"));
		add_str(o, "plan_name", pname);
		add_str(o, "state", st);
		add_str(o, "operation", op);
		add_str(o, "description", records_str(op_last(rec),
		    "description"));
		cJSON_AddNumberToObject(o, "bindings", (double)bcount_of(&il->b,
		    key));
		add_str(o, "created_at", records_str(rec, "created_at"));
		add_str(o, "updated_at", records_str(rec, "updated_at"));
		add_str(o, "maintenance_version", iv);
		add_str(o, "plan_maintenance_version", pv);
		cJSON_AddBoolToObject(o, "outdated", outdated);
	}
	snprintf(nb, sizeof(nb), "%ld", bcount_of(&il->b, key));
	{
		const char *const row[] = { key, sname != NULL ? sname :
		    records_str(rec, "service_id"), pname != NULL ? pname :
		    records_str(rec, "plan_id"), st, op, nb,
		    records_str(rec, "created_at"), ver };

		stop = listing_add(&il->l, row, o);
	}
	cJSON_Delete(rec);
	return stop;
}

enum ctl_rc
ctl_instances(struct ctl *c, const struct ctl_filter *f)
{
	static const char *const head[] = { "INSTANCE", "SERVICE", "PLAN",
	    "STATE", "OPERATION", "BINDINGS", "CREATED", "VERSION" };
	struct ilist	 il;
	enum store_rc	 rc;
	enum ctl_rc	 out;

	memset(&il, 0, sizeof(il));
	il.f = f;
	if (f->outdated && c->cat == NULL) {
		say("--outdated needs the catalog (the plans' "
		    "maintenance_info.version)");
		return CTL_FAIL;
	}
	if ((out = listing_start(&il.l, c, 8, head)) != CTL_OK)
		return out;
	rc = store_scan(il.l.t, T_BINDINGS, "", count_binding, &il.b);
	il.l.failed |= il.b.failed;
	if (rc == STORE_OK && !il.l.failed) {
		if (il.b.n > 0)		/* qsort(NULL, 0, ...) is undefined */
			qsort(il.b.v, il.b.n, sizeof(*il.b.v), bcount_cmp);
		rc = store_scan(il.l.t, T_INSTANCES, "", list_instance, &il);
	}
	bcounts_free(&il.b);
	return listing_end(&il.l, rc);
}

/* ---- one instance: show, bindings ----------------------------------------- */

struct one {
	struct ctl	*c;
	cJSON		*bindings;	/* array of records, binding_id added */
	int		 failed;
};

static int
each_binding_of(const char *key, const char *val, size_t len, void *arg)
{
	struct one	*o = arg;
	cJSON		*rec = live(o->c, val, len);

	if (rec == NULL)
		return 0;
	cJSON_AddStringToObject(rec, "binding_id", strchr(key, '/') + 1);
	cJSON_AddItemToArray(o->bindings, rec);
	return 0;
}

/* The instance (or NULL: none) and its bindings, in one read
 * transaction.  CTL_NOTFOUND when there is neither. */
static enum ctl_rc
load_one(struct ctl *c, const char *iid, cJSON **inst, cJSON **bindings)
{
	struct store_txn	*t;
	struct one		 o = { c, cJSON_CreateArray(), 0 };
	char			 prefix[OSB_MAX_ID_LEN + 2], *val;
	size_t			 len;
	enum store_rc		 rc;
	int			 gone;

	*inst = NULL;
	*bindings = NULL;
	if (o.bindings == NULL || store_begin(c->st, STORE_READ, NULL, &t) !=
	    STORE_OK) {
		cJSON_Delete(o.bindings);
		return store_failed(c, "reading the store");
	}
	snprintf(prefix, sizeof(prefix), "%s/", iid);
	rc = store_get(t, T_INSTANCES, iid, &val, &len);
	if (rc == STORE_OK) {
		*inst = live(c, val, len);
		free(val);
	}
	if (rc == STORE_OK || rc == STORE_NOTFOUND)
		rc = store_scan(t, T_BINDINGS, prefix, each_binding_of, &o);
	gone = op_gone_get(t, iid);
	store_abort(t);
	if (rc != STORE_OK) {
		cJSON_Delete(*inst);
		cJSON_Delete(o.bindings);
		*inst = NULL;
		return store_failed(c, "reading the store");
	}
	if (*inst == NULL && cJSON_GetArraySize(o.bindings) == 0) {
		cJSON_Delete(o.bindings);
		say("no instance %s%s", iid, gone ? " (deleted: its tombstone "
		    "is there)" : "");
		return CTL_NOTFOUND;
	}
	*bindings = o.bindings;
	return CTL_OK;
}

/* A human line "name  value"; nothing when value is empty. */
static void
field(FILE *out, const char *name, const char *value)
{
	char clean[OSB_MAX_TABLE_CELL + 1];
	size_t i;

	if (value == NULL || *value == '\0')
		return;
	snprintf(clean, sizeof(clean), "%s", value);
	for (i = 0; clean[i] != '\0'; i++)
		if ((unsigned char)clean[i] < 0x20 || clean[i] == 0x7f)
			clean[i] = '?';
	fprintf(out, "%-14s%s\n", name, clean);
}

/* A JSON member printed on one line (parameters, context, credentials). */
static void
field_json(FILE *out, const char *name, const cJSON *v)
{
	char *s;

	if (v == NULL || cJSON_IsNull(v))
		return;
	if ((s = cJSON_PrintUnformatted(v)) != NULL)
		field(out, name, s);
	free(s);
}

static void
show_operation(const struct ctl *c, FILE *out, const cJSON *rec)
{
	const cJSON	*op = op_last(rec), *runner;
	char		 line[OSB_MAX_TABLE_CELL], age[32];
	long		 since;

	if (op == NULL)
		return;
	snprintf(line, sizeof(line), "%s %s (%s)", records_str(op, "type"),
	    records_str(op, "state"), records_str(op, "id")[0] != '\0' ?
	    records_str(op, "id") : "no id");
	field(out, "operation", line);
	field(out, "description", records_str(op, "description"));
	field(out, "at", records_str(op, "at"));
	if (op_state(rec) == OPS_IN_PROGRESS) {
		since = (long)(c->now - (time_t)records_num(op, "started"));
		ctl_age(since, age, sizeof(age));
		snprintf(line, sizeof(line), "%s ago, deadline in %lds", age,
		    (long)(records_num(op, "deadline") - (double)c->now));
		field(out, "started", line);
		runner = cJSON_GetObjectItemCaseSensitive(op, "runner");
		if (runner != NULL) {
			snprintf(line, sizeof(line), "pid %.0f%s%s",
			    records_num(runner, "pid"),
			    records_str(runner, "host")[0] != '\0' ?
			    " on host " : "", records_str(runner, "host"));
			field(out, "runner", line);
		}
	}
}

static const char *const bhead[] = { "BINDING", "STATE", "OPERATION",
	"APP", "CREATED" };

static int
binding_table(FILE *out, const cJSON *bindings)
{
	struct table	*t = table_new(5, bhead);
	const cJSON	*b;
	const char	*row[5];

	if (t == NULL)
		return -1;
	cJSON_ArrayForEach(b, bindings) {
		row[0] = records_str(b, "binding_id");
		row[1] = state_of(b);
		row[2] = records_str(op_last(b), "type");
		row[3] = records_str(b, "app_guid");
		row[4] = records_str(b, "created_at");
		if (table_add(t, row) == -1) {
			table_free(t);
			return -1;
		}
	}
	table_print(t, out);
	table_free(t);
	return 0;
}

/* The instance's maintenance_info.version, and the plan's when it is
 * behind it. */
static void
show_version(const struct ctl *c, FILE *out, const cJSON *inst)
{
	const char	*pv, *iv = records_str(cJSON_GetObjectItemCaseSensitive(
			    inst, "maintenance_info"), "version");
	char		 line[OSB_MAX_TABLE_CELL];

	if (ctl_outdated(c->cat, inst, &pv))
		snprintf(line, sizeof(line), "%s (outdated: the plan is at %s)",
		    *iv != '\0' ? iv : "none", pv);
	else
		snprintf(line, sizeof(line), "%s", iv);
	field(out, "version", line);
}

static void
show_human(struct ctl *c, const char *iid, const cJSON *inst,
    const cJSON *bindings, int creds)
{
	const char	*sname, *pname;
	const cJSON	*b;
	char		 line[OSB_MAX_TABLE_CELL];
	FILE		*out = c->out;

	field(out, "instance", iid);
	if (inst == NULL)
		fprintf(out, "(no instance record: bindings left without "
		    "it)\n");
	else {
		names(c->cat, inst, &sname, &pname);
		snprintf(line, sizeof(line), "%s (%s)", sname != NULL ? sname :
		    "not in the catalog", records_str(inst, "service_id"));
		field(out, "service", line);
		snprintf(line, sizeof(line), "%s (%s)", pname != NULL ? pname :
		    "not in the catalog", records_str(inst, "plan_id"));
		field(out, "plan", line);
		field(out, "organization", records_str(inst,
		    "organization_guid"));
		field(out, "space", records_str(inst, "space_guid"));
		/* The broker user that provisioned it (osbroker(8),
		 * CREDENTIALS); none before owners were kept. */
		field(out, "owner", *records_str(inst, "owner") != '\0' ?
		    records_str(inst, "owner") : "-");
		field(out, "created", records_str(inst, "created_at"));
		field(out, "updated", records_str(inst, "updated_at"));
		field(out, "dashboard_url", records_str(inst, "dashboard_url"));
		show_version(c, out, inst);
		field_json(out, "context", cJSON_GetObjectItemCaseSensitive(inst,
		    "context"));
		field_json(out, "parameters", cJSON_GetObjectItemCaseSensitive(
		    inst, "parameters"));
		show_operation(c, out, inst);
	}
	fprintf(out, "\n%d binding%s\n", cJSON_GetArraySize(bindings),
	    cJSON_GetArraySize(bindings) == 1 ? "" : "s");
	if (cJSON_GetArraySize(bindings) > 0)
		(void)binding_table(out, bindings);
	if (!creds)
		return;
	cJSON_ArrayForEach(b, bindings) {
		snprintf(line, sizeof(line), "credentials of %s",
		    records_str(b, "binding_id"));
		fprintf(out, "\n%s\n", line);
		field_json(out, "credentials", cJSON_GetObjectItemCaseSensitive(
		    b, "credentials"));
	}
}

/* show --json: one object {"instance": ..., "bindings": [...]}. */
static int
show_json(struct ctl *c, const char *iid, cJSON *inst, cJSON *bindings,
    int creds)
{
	cJSON		*doc = cJSON_CreateObject(), *b;
	const char	*sname, *pname;
	char		*s;

	if (inst != NULL) {
		names(c->cat, inst, &sname, &pname);
		cJSON_AddStringToObject(inst, "instance_id", iid);
		add_str(inst, "service_name", sname);
		add_str(inst, "plan_name", pname);
		cJSON_AddItemReferenceToObject(doc, "instance", inst);
	} else
		cJSON_AddNullToObject(doc, "instance");
	cJSON_ArrayForEach(b, bindings)
		if (!creds)
			mask_credentials(b);
	cJSON_AddItemReferenceToObject(doc, "bindings", bindings);
	s = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (s == NULL)
		return -1;
	fprintf(c->out, "%s\n", s);
	free(s);
	return 0;
}

enum ctl_rc
ctl_show(struct ctl *c, const char *iid, int creds)
{
	cJSON		*inst, *bindings;
	enum ctl_rc	 rc;

	if (check_id(iid) == -1)
		return CTL_USAGE;
	if ((rc = load_one(c, iid, &inst, &bindings)) != CTL_OK)
		return rc;
	if (c->json) {
		if (show_json(c, iid, inst, bindings, creds) == -1) {
			say("out of memory");
			rc = CTL_FAIL;
		}
	} else
		show_human(c, iid, inst, bindings, creds);
	cJSON_Delete(inst);
	cJSON_Delete(bindings);
	return rc;
}

enum ctl_rc
ctl_bindings(struct ctl *c, const char *iid)
{
	cJSON		*inst, *bindings, *b, *o;
	struct jarr	 j;
	enum ctl_rc	 rc;
	int		 failed = 0;

	if (check_id(iid) == -1)
		return CTL_USAGE;
	if ((rc = load_one(c, iid, &inst, &bindings)) != CTL_OK)
		return rc;
	if (c->json) {
		jarr_start(&j, c->out);
		cJSON_ArrayForEach(b, bindings) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "instance_id", iid);
			add_str(o, "binding_id", records_str(b, "binding_id"));
			add_str(o, "service_id", records_str(b, "service_id"));
			add_str(o, "plan_id", records_str(b, "plan_id"));
			add_str(o, "app_guid", records_str(b, "app_guid"));
			add_str(o, "state", state_of(b));
			add_str(o, "operation", records_str(op_last(b), "type"));
			add_str(o, "description", records_str(op_last(b),
			    "description"));
			add_str(o, "created_at", records_str(b, "created_at"));
			failed |= jarr_add(&j, o) == -1;
		}
		jarr_end(&j);
	} else
		failed = binding_table(c->out, bindings) == -1;
	cJSON_Delete(inst);
	cJSON_Delete(bindings);
	if (failed) {
		say("out of memory");
		return CTL_FAIL;
	}
	return CTL_OK;
}

/* ---- operations ----------------------------------------------------------- */

/* "2026-11-25T06:15:35.0Z" (util_fmt_iso8601) as a time, or -1. */
static time_t
iso_time(const char *s)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return (time_t)-1;
	return timegm(&tm);
}

struct opscan {
	struct listing	 l;		/* first */
	const char	*kind;
};

static int
each_operation(const char *key, const char *val, size_t len, void *arg)
{
	struct opscan	*s = arg;
	struct ctl	*c = s->l.c;
	cJSON		*rec = live(c, val, len), *o = NULL, *r;
	const cJSON	*op, *runner;
	const char	*slash = strchr(key, '/');
	char		 iid[OSB_MAX_ID_LEN + 1], age[32], who[OSB_MAX_HOST_ID + 32];
	enum op_state	 st = rec != NULL ? op_state(rec) : OPS_NONE;
	time_t		 since;
	int		 stop;

	if (st != OPS_IN_PROGRESS && st != OPS_FAILED) {
		cJSON_Delete(rec);
		return 0;
	}
	op = op_last(rec);
	runner = cJSON_GetObjectItemCaseSensitive(op, "runner");
	snprintf(iid, sizeof(iid), "%.*s", slash != NULL ? (int)(slash - key) :
	    (int)strlen(key), key);
	since = st == OPS_IN_PROGRESS ? (time_t)records_num(op, "started") :
	    iso_time(records_str(op, "at"));
	who[0] = '\0';
	if (runner != NULL)
		snprintf(who, sizeof(who), "%.0f%s%.*s", records_num(runner,
		    "pid"), records_str(runner, "host")[0] != '\0' ? "@" : "",
		    OSB_MAX_HOST_ID, records_str(runner, "host"));
	if (c->json) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", s->kind);
		cJSON_AddStringToObject(o, "instance_id", iid);
		add_str(o, "binding_id", slash != NULL ? slash + 1 : NULL);
		add_str(o, "operation", records_str(op, "type"));
		add_str(o, "id", records_str(op, "id"));
		add_str(o, "state", records_str(op, "state"));
		add_str(o, "description", records_str(op, "description"));
		if (since > 0)
			cJSON_AddNumberToObject(o, "age_seconds",
			    (double)(c->now - since));
		else
			cJSON_AddNullToObject(o, "age_seconds");
		if (runner != NULL) {
			r = cJSON_AddObjectToObject(o, "runner");
			cJSON_AddNumberToObject(r, "pid", records_num(runner,
			    "pid"));
			add_str(r, "host", records_str(runner, "host"));
		} else
			cJSON_AddNullToObject(o, "runner");
	}
	if (since > 0)
		ctl_age((long)(c->now - since), age, sizeof(age));
	else
		snprintf(age, sizeof(age), "-");
	{
		const char *const row[] = { s->kind, key, records_str(op,
		    "type"), records_str(op, "state"), age, who,
		    records_str(op, "description") };

		stop = listing_add(&s->l, row, o);
	}
	cJSON_Delete(rec);
	return stop;
}

enum ctl_rc
ctl_operations(struct ctl *c)
{
	static const char *const head[] = { "KIND", "ID", "OPERATION", "STATE",
	    "AGE", "RUNNER", "DESCRIPTION" };
	struct opscan	 s;
	enum store_rc	 rc;
	enum ctl_rc	 out;

	if ((out = listing_start(&s.l, c, 7, head)) != CTL_OK)
		return out;
	s.kind = "instance";
	rc = store_scan(s.l.t, T_INSTANCES, "", each_operation, &s);
	s.kind = "binding";
	if (rc == STORE_OK && !s.l.failed)
		rc = store_scan(s.l.t, T_BINDINGS, "", each_operation, &s);
	return listing_end(&s.l, rc);
}

/* ---- audit ------------------------------------------------------------------ */

/* "platform user" of an entry's originating identity, or "-". */
static void
origin(const cJSON *e, char *out, size_t outlen)
{
	const cJSON	*oi = cJSON_GetObjectItemCaseSensitive(e,
			    "originating_identity");
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(oi, "value");
	const char	*who = records_str(v, "user_id");

	if (*who == '\0')
		who = records_str(v, "username");
	if (oi == NULL)
		snprintf(out, outlen, "-");
	else
		snprintf(out, outlen, "%.32s %.64s", records_str(oi,
		    "platform"), who);
}

static int
each_entry(const char *key, const cJSON *e, void *arg)
{
	struct listing	*l = arg;
	char		 from[100];
	const char	*cells[8];

	(void)key;
	if (l->c->json)
		return listing_add(l, NULL, cJSON_Duplicate(e, 1));
	origin(e, from, sizeof(from));
	cells[0] = records_str(e, "at");
	cells[1] = records_str(e, "action");
	cells[2] = records_str(e, "outcome");
	cells[3] = records_str(e, "instance_id");
	cells[4] = *records_str(e, "binding_id") ? records_str(e,
	    "binding_id") : "-";
	cells[5] = records_str(e, "user");
	cells[6] = from;
	cells[7] = *records_str(e, "description") ? records_str(e,
	    "description") : "-";
	return listing_add(l, cells, NULL);
}

/* since: a UTC time of the form of the entries' "at" or a start of one
 * (2026-12-06, 2026-12-06T10:30): digits and "-T:.Z" only. */
static int
since_ok(const char *since)
{
	size_t n = strlen(since);

	return n >= 4 && n <= 27 && strspn(since, "0123456789-T:.Z") == n &&
	    since[0] >= '0' && since[0] <= '9';
}

enum ctl_rc
ctl_audit(struct ctl *c, const char *iid, const char *since)
{
	static const char *const head[] = { "AT", "ACTION", "OUTCOME",
	    "INSTANCE", "BINDING", "USER", "ORIGIN", "DESCRIPTION" };
	struct listing	 l;
	enum store_rc	 rc;
	enum ctl_rc	 out;

	if (iid != NULL && check_id(iid) == -1)
		return CTL_USAGE;
	if (since != NULL && !since_ok(since)) {
		say("--since %s: a UTC time such as 2026-12-06, "
		    "2026-12-06T10:30 or 2026-12-06T10:30:00Z", since);
		return CTL_USAGE;
	}
	if ((out = listing_start(&l, c, 8, head)) != CTL_OK)
		return out;
	rc = audit_scan(l.t, since, iid, 0, each_entry, &l);
	return listing_end(&l, rc);
}

/* ---- purge ------------------------------------------------------------------ */

/* The purge's audit entry, in its transaction: the operator's login as
 * user ("osbrokerctl:<login>"), what went.  (When nothing was there, the
 * transaction is not committed, and neither is the entry.) */
static enum store_rc
audit_purge(struct store_txn *t, const char *iid, const cJSON *inst,
    size_t nb, size_t ng)
{
	struct passwd	*pw = getpwuid(getuid());
	char		 user[96], desc[96];

	snprintf(user, sizeof(user), "osbrokerctl:%.60s", pw != NULL ?
	    pw->pw_name : "?");
	snprintf(desc, sizeof(desc), "purged by an operator: %s, %zu "
	    "binding(s), %zu tombstone(s)", inst != NULL ? "the instance" :
	    "no instance", nb, ng);
	return audit_record(t, &(struct audit_event){ .action = "purge",
	    .outcome = "succeeded", .instance_id = iid,
	    .service_id = inst != NULL ? records_str(inst, "service_id") : NULL,
	    .plan_id = inst != NULL ? records_str(inst, "plan_id") : NULL,
	    .user = user, .description = desc });
}

struct busy {
	struct ctl	*c;
	long		 n, running;
};

static int
count_busy(const char *key, const char *val, size_t len, void *arg)
{
	struct busy	*b = arg;
	cJSON		*rec = live(b->c, val, len);

	(void)key;
	b->n++;
	if (rec != NULL && op_state(rec) == OPS_IN_PROGRESS)
		b->running++;
	cJSON_Delete(rec);
	return 0;
}

enum ctl_rc
ctl_purge_look(struct ctl *c, const char *iid)
{
	struct store_txn	*t;
	struct busy		 bind = { c, 0, 0 }, gone = { c, 0, 0 };
	char			 prefix[OSB_MAX_ID_LEN + 2], *val = NULL;
	cJSON			*inst = NULL;
	size_t			 len;
	enum store_rc		 rc;
	int			 tomb, have;

	if (check_id(iid) == -1)
		return CTL_USAGE;
	snprintf(prefix, sizeof(prefix), "%s/", iid);
	if (store_begin(c->st, STORE_READ, NULL, &t) != STORE_OK)
		return store_failed(c, "reading the store");
	rc = store_get(t, T_INSTANCES, iid, &val, &len);
	if ((have = rc == STORE_OK))
		inst = live(c, val, len);
	if (rc == STORE_OK || rc == STORE_NOTFOUND)
		rc = store_scan(t, T_BINDINGS, prefix, count_busy, &bind);
	if (rc == STORE_OK)
		rc = store_scan(t, T_GONE, prefix, count_busy, &gone);
	tomb = op_gone_get(t, iid);
	store_abort(t);
	free(val);
	if (rc != STORE_OK) {
		cJSON_Delete(inst);
		return store_failed(c, "reading the store");
	}
	if (!have && bind.n == 0 && gone.n == 0 && !tomb) {
		say("no instance %s, and no binding or tombstone of it", iid);
		return CTL_NOTFOUND;
	}
	if ((inst != NULL && op_state(inst) == OPS_IN_PROGRESS) ||
	    bind.running > 0) {
		say("refused: an operation of instance %s %s is in progress "
		    "(osbrokerctl operations)", iid, bind.running > 0 ?
		    "or of one of its bindings" : "");
		cJSON_Delete(inst);
		return CTL_FAIL;
	}
	cJSON_Delete(inst);
	fprintf(c->out, "instance %s: %s record, %ld binding%s, %ld "
	    "tombstone%s\n", iid, have ? "its" : "no", bind.n,
	    bind.n == 1 ? "" : "s", gone.n + tomb, gone.n + tomb == 1 ? "" :
	    "s");
	return CTL_OK;
}

enum ctl_rc
ctl_purge(struct ctl *c, const char *iid)
{
	struct store_txn	*t;
	cJSON			*inst = NULL;
	char			 prefix[OSB_MAX_ID_LEN + 2];
	size_t			 nb = 0, ng = 0;
	enum store_rc		 rc, irc, grc;
	int			 dirty = 0, busy = 0;

	if (check_id(iid) == -1)
		return CTL_USAGE;
	snprintf(prefix, sizeof(prefix), "%s/", iid);
	/* As a handler decides: one write transaction about this instance,
	 * its operations' liveness judged (and a dead one saved) inside. */
	if (store_begin(c->st, STORE_WRITE, iid, &t) != STORE_OK)
		return store_failed(c, "writing to the store");
	irc = op_load_live(t, T_INSTANCES, iid, &inst, &dirty);
	if (irc != STORE_OK && irc != STORE_NOTFOUND) {
		store_abort(t);
		return store_failed(c, "reading the instance");
	}
	if ((rc = op_bindings_busy(t, iid, &busy, &dirty)) != STORE_OK) {
		store_abort(t);
		cJSON_Delete(inst);
		return store_failed(c, "reading the bindings");
	}
	if ((inst != NULL && op_state(inst) == OPS_IN_PROGRESS) || busy) {
		cJSON_Delete(inst);
		rc = op_end(t, dirty);
		say("refused: an operation of instance %s or of one of its "
		    "bindings is in progress (osbrokerctl operations)%s", iid,
		    rc != STORE_OK ? "; and the record of one that had ended "
		    "could not be saved" : "");
		return CTL_FAIL;
	}
	rc = irc == STORE_OK ? store_del(t, T_INSTANCES, iid) : STORE_OK;
	if (rc == STORE_OK)
		rc = store_del_prefix(t, T_BINDINGS, prefix, &nb);
	grc = rc == STORE_OK ? store_del(t, T_GONE, iid) : STORE_NOTFOUND;
	if (grc != STORE_OK && grc != STORE_NOTFOUND)
		rc = grc;
	if (rc == STORE_OK)
		rc = store_del_prefix(t, T_GONE, prefix, &ng);
	if (rc == STORE_OK)
		rc = audit_purge(t, iid, inst, nb, ng + (grc == STORE_OK));
	cJSON_Delete(inst);
	if (rc != STORE_OK) {
		store_abort(t);
		return store_failed(c, "purging");
	}
	if (irc == STORE_NOTFOUND && nb == 0 && ng == 0 && grc ==
	    STORE_NOTFOUND) {
		if ((rc = op_end(t, dirty)) != STORE_OK)
			return store_failed(c, "commit");
		say("no instance %s, and no binding or tombstone of it", iid);
		return CTL_NOTFOUND;
	}
	if ((rc = store_commit(t)) != STORE_OK) {
		say("commit: %s%s", store_strerror(c->st), rc ==
		    STORE_UNAVAILABLE ? " (whether the purge was stored is "
		    "unknown: look with osbrokerctl show)" : "; nothing was "
		    "purged");
		return CTL_FAIL;
	}
	fprintf(c->out, "ok: purged instance %s: %s record, %zu binding%s, "
	    "%zu tombstone%s\n", iid, irc == STORE_OK ? "its" : "no", nb,
	    nb == 1 ? "" : "s", ng + (grc == STORE_OK), ng + (grc ==
	    STORE_OK) == 1 ? "" : "s");
	return CTL_OK;
}

/* ---- backup, restore, export, import, verify ------------------------------- */

enum ctl_rc
ctl_backup(struct ctl *c, const char *path)
{
	struct xport_counts	 n;
	struct stat		 sb;
	char			 err[512] = "";
	int			 fd;
	enum store_rc		 rc;

	if (strcmp(path, "-") == 0) {
		say("backup: name a file (standard output is export's)");
		return CTL_USAGE;
	}
	if (!store_copyable(c->st)) {
		/* PostgreSQL: the export format is its copy. */
		if (xport_export_file(c->st, path, &n, err, sizeof(err)) == -1) {
			say("backup: %s", err);
			return CTL_FAIL;
		}
		fprintf(c->out, "ok: backup of the %s store, %s, to %s: an "
		    "export of %ld records\n", store_kind(c->st),
		    store_where(c->st), path, n.total);
		return CTL_OK;
	}
	/* O_EXCL: never overwrite (nor follow a link planted there). */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		say("backup: %s: %s", path, errno == EEXIST ? "exists; refusing "
		    "to overwrite it" : strerror(errno));
		return CTL_FAIL;
	}
	rc = store_copy(c->st, fd);
	if (rc != STORE_OK)
		snprintf(err, sizeof(err), "%s", store_strerror(c->st));
	else if (fchmod(fd, 0600) == -1 || fsync(fd) == -1 ||
	    fstat(fd, &sb) == -1)
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
	if (close(fd) == -1 && rc == STORE_OK && err[0] == '\0')
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
	if (rc != STORE_OK || err[0] != '\0') {
		unlink(path);	/* ours: created above with O_EXCL */
		say("backup: %s", err);
		return CTL_FAIL;
	}
	fprintf(c->out, "ok: backup of the %s store, %s, to %s: an LMDB data "
	    "file of %lld bytes\n", store_kind(c->st), store_where(c->st), path,
	    (long long)sb.st_size);
	return CTL_OK;
}

static void
loaded(struct ctl *c, const char *what, const char *path,
    const struct xport_counts *n)
{
	char sum[256];

	xport_summary(n, sum, sizeof(sum));
	fprintf(c->out, "ok: %s %ld records (%s) from %s into the %s store, "
	    "%s\n", what, n->total, sum, strcmp(path, "-") == 0 ?
	    "standard input" : path, store_kind(c->st), store_where(c->st));
}

enum ctl_rc
ctl_restore(struct ctl *c, const char *path, int force)
{
	struct xport_counts	 n;
	struct store		*from = NULL;
	char			 err[512], first = 0;
	int			 fd, flags = force ? XPORT_REPLACE : 0;
	ssize_t			 r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		say("restore: %s: %s; nothing was stored", path,
		    strerror(errno));
		return CTL_FAIL;
	}
	r = read(fd, &first, 1);
	close(fd);
	if (r != 1) {
		say("restore: %s: %s; nothing was stored", path, r == 0 ?
		    "empty" : strerror(errno));
		return CTL_FAIL;
	}
	/* An export begins with its header object; an LMDB data file with
	 * a page number, 0. */
	if (first == '{') {
		if (xport_import_file(c->st, path, flags, &n, err,
		    sizeof(err)) == -1) {
			say("restore from %s: %s", path, err);
			return CTL_FAIL;
		}
		loaded(c, "restored", path, &n);
		return CTL_OK;
	}
	if (store_open_copy(path, &from) != STORE_OK) {
		say("restore: %s (neither an LMDB backup nor an export); "
		    "nothing was stored", from != NULL ? store_strerror(from) :
		    "out of memory");
		store_close(from);
		return CTL_FAIL;
	}
	if (xport_copy(from, c->st, flags, &n, err, sizeof(err)) == -1) {
		store_close(from);
		say("restore from %s: %s", path, err);
		return CTL_FAIL;
	}
	store_close(from);
	loaded(c, "restored", path, &n);
	return CTL_OK;
}

enum ctl_rc
ctl_export(struct ctl *c, const char *path)
{
	struct xport_counts	 n;
	char			 err[512], sum[256];

	if (xport_export_file(c->st, path, &n, err, sizeof(err)) == -1) {
		say("export: %s", err);
		return CTL_FAIL;
	}
	/* To stderr: stdout may be the export itself. */
	xport_summary(&n, sum, sizeof(sum));
	fprintf(stderr, "osbrokerctl: exported %ld records (%s) from the %s "
	    "store, %s, to %s\n", n.total, sum, store_kind(c->st),
	    store_where(c->st), strcmp(path, "-") == 0 ? "standard output" :
	    path);
	return CTL_OK;
}

enum ctl_rc
ctl_import(struct ctl *c, const char *path)
{
	struct xport_counts	 n;
	char			 err[512];

	if (xport_import_file(c->st, path, 0, &n, err, sizeof(err)) == -1) {
		say("import from %s: %s", strcmp(path, "-") == 0 ?
		    "standard input" : path, err);
		return CTL_FAIL;
	}
	loaded(c, "imported", path, &n);
	return CTL_OK;
}

enum ctl_rc
ctl_verify(struct ctl *c)
{
	int n = verify_store(c->st, c->cat, c->out);

	if (n == -1)
		return store_failed(c, "cannot read the state");
	return n == 0 ? CTL_OK : CTL_FAIL;
}
