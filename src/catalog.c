/* SPDX-License-Identifier: ISC */
/*
 * catalog.c: the loaded catalog.  It assembles struct catalog from the tree
 * and records a producer hands over (catload.c from catalog.yml, catcache.c
 * from the compiled form), checks each plan's broker settings, renders the
 * served JSON once with its ETag, and answers the lookups.  No libyaml here.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_int.h"
#include "jsonin.h"
#include "jsonschema.h"
#include "plancfg.h"

struct catalog_service {
	const char	*id;
	const cJSON	*broker;	/* its "osbroker" object or NULL */
	size_t		 first;		/* index of its first plan */
	size_t		 nplans;
};

struct catalog {
	cJSON		*doc;		/* served {"services":[...]} */
	cJSON		*brokers;	/* array owning the "osbroker" objects */
	char		*json;
	size_t		 jsonlen;
	char		 etag[CATALOG_ETAG_LEN]; /* quote, 16 hex digits,
						   quote, NUL */
	time_t		 mtime;
	struct catalog_service *svcs;
	size_t		 nsvcs;
	struct catalog_plan *plans;	/* grouped by service, in file order */
	size_t		 nplans;
	struct jschema	**schemas;	/* CS__COUNT per plan, compiled when
					   first used (catalog_schema()) */
	struct catalog_error *warnings;	/* catalog_warnings() */
	size_t		 nwarnings;
	size_t		 allwarnings;
};

int
catalog_vfail(struct catalog_error *err, const struct catalog_mark *m,
    const char *fmt, va_list ap)
{
	err->line = m != NULL ? (int)m->line + 1 : 0;
	err->column = m != NULL ? (int)m->column + 1 : 0;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return -1;
}

int
catalog_fail(struct catalog_error *err, const struct catalog_mark *m,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	catalog_vfail(err, m, fmt, ap);
	va_end(ap);
	return -1;
}

static int
oom(struct catalog_parts *c)
{
	return catalog_fail(c->err, NULL, "out of memory");
}

static void
error_init(struct catalog_error *err, const char *name)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s",
	    name != NULL ? name : "(catalog)");
}

/* The directory of the catalog file ("." for names without one). */
static void
set_base_dir(struct catalog_parts *c, const char *name)
{
	const char *slash = name != NULL ? strrchr(name, '/') : NULL;
	char dir[OSB_MAX_PATH], *abs;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == name)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	/* Absolute, so hooks and runners find their programs whatever
	 * directory they run in. */
	abs = realpath(dir, NULL);
	snprintf(c->base_dir, sizeof(c->base_dir), "%s", abs != NULL ? abs :
	    dir);
	free(abs);
}

int
catalog_parts_begin(struct catalog_parts *c, const char *name,
    struct catalog **out, struct catalog_error *err,
    struct catalog_error *scratch)
{
	*out = NULL;
	memset(c, 0, sizeof(*c));
	c->err = err != NULL ? err : scratch;
	error_init(c->err, name);
	set_base_dir(c, name);
	if ((c->brokers = cJSON_CreateArray()) == NULL)
		return oom(c);
	return 0;
}

int
catalog_parts_push(struct catalog_parts *c, struct catalog_recs *a,
    const struct catalog_rec *r)
{
	struct catalog_rec *p;
	size_t ncap;

	if (a->n == a->cap) {
		ncap = a->cap ? a->cap * 2 : 16;
		if ((p = reallocarray(a->v, ncap, sizeof(*p))) == NULL)
			return oom(c);
		a->v = p;
		a->cap = ncap;
	}
	a->v[a->n++] = *r;
	return 0;
}

/* Keep an "osbroker" object apart, owned by c->brokers.  cJSON neither
 * adds nor frees an item it cannot add. */
int
catalog_keep_broker(struct catalog_parts *c, cJSON *broker,
    struct catalog_rec *r)
{
	r->broker = broker;
	if (broker == NULL || cJSON_AddItemToArray(c->brokers, broker))
		return 0;
	cJSON_Delete(broker);
	return oom(c);
}

/* ---- Assembly. ---- */

static const char *
jstr(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(jsonin_member(o, key));
}

static int
jbool(const cJSON *o, const char *key, int dflt)
{
	const cJSON *v = jsonin_member(o, key);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

/* spec.md "Service Plan Object": bindable and plan_updateable override. */
static void
fill_plan(struct catalog_plan *p, const struct catalog_rec *s,
    const struct catalog_rec *r)
{
	const cJSON *mi, *mpd;

	memset(p, 0, sizeof(*p));
	p->service_id = jstr(s->json, "id");
	p->service_name = jstr(s->json, "name");
	p->plan_id = jstr(r->json, "id");
	p->plan_name = jstr(r->json, "name");
	p->bindable = jbool(r->json, "bindable", jbool(s->json, "bindable", 0));
	p->plan_updateable = jbool(r->json, "plan_updateable",
	    jbool(s->json, "plan_updateable", 0));
	p->instances_retrievable = jbool(s->json, "instances_retrievable", 0);
	p->bindings_retrievable = jbool(s->json, "bindings_retrievable", 0);
	p->allow_context_updates = jbool(s->json, "allow_context_updates", 0);
	p->binding_rotatable = jbool(r->json, "binding_rotatable", 0);
	mi = jsonin_member(r->json, "maintenance_info");
	p->maintenance_version = mi != NULL ? jstr(mi, "version") : NULL;
	mpd = jsonin_member(r->json,
	    "maximum_polling_duration");
	p->maximum_polling_duration = cJSON_IsNumber(mpd) ?
	    (long)mpd->valuedouble : 0;
	p->service = s->json;
	p->plan = r->json;
	p->service_broker = s->broker;
	p->plan_broker = r->broker;
}

/* Check each plan's broker settings (service's merged with the plan's). */
static int
build_plancfgs(struct catalog_parts *c, struct catalog *cat)
{
	struct plancfg	*pc;
	char		 msg[OSB_MAX_MESSAGE_LEN];
	size_t		 i;

	for (i = 0; i < cat->nplans; i++) {
		if (plancfg_build(cat->plans[i].service_broker,
		    cat->plans[i].plan_broker, c->base_dir, &pc, msg,
		    sizeof(msg)) == -1)
			return catalog_fail(c->err, &c->plans.v[i].idmark,
			    "plan \"%s\": %s",
			    cat->plans[i].plan_name, msg);
		cat->plans[i].cfg = pc;
	}
	return 0;
}

static int
index_plans(struct catalog_parts *c, struct catalog *cat)
{
	size_t i, j;

	const struct catalog_rec *s;

	if (c->svcs.n > 0 &&
	    (cat->svcs = calloc(c->svcs.n, sizeof(*cat->svcs))) == NULL)
		return oom(c);
	if (c->plans.n > 0 &&
	    (cat->plans = calloc(c->plans.n, sizeof(*cat->plans))) == NULL)
		return oom(c);
	if (c->plans.n > 0 && (cat->schemas = calloc(c->plans.n * CS__COUNT,
	    sizeof(*cat->schemas))) == NULL)
		return oom(c);
	cat->nsvcs = c->svcs.n;
	cat->nplans = c->plans.n;
	for (i = 0; i < c->svcs.n; i++) {
		s = &c->svcs.v[i];
		cat->svcs[i].id = jstr(s->json, "id");
		cat->svcs[i].broker = s->broker;
		cat->svcs[i].first = s->first;
		cat->svcs[i].nplans = s->nplans;
		for (j = s->first; j < s->first + s->nplans; j++) {
			fill_plan(&cat->plans[j], s, &c->plans.v[j]);
			cat->plans[j].schemas = &cat->schemas[j * CS__COUNT];
		}
	}
	return 0;
}

/* 64-bit FNV-1a: cheap, stable across runs, plenty for an ETag. */
static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
catalog_assemble(struct catalog_parts *c, cJSON **root, struct catalog **out)
{
	struct catalog *cat;

	if ((cat = calloc(1, sizeof(*cat))) == NULL) {
		cJSON_Delete(*root);
		*root = NULL;
		return oom(c);
	}
	cat->doc = *root;
	cat->brokers = c->brokers;
	*root = NULL;
	c->brokers = NULL;
	if (index_plans(c, cat) == -1 || build_plancfgs(c, cat) == -1)
		goto fail;
	if ((cat->json = cJSON_PrintUnformatted(cat->doc)) == NULL) {
		oom(c);
		goto fail;
	}
	cat->jsonlen = strlen(cat->json);
	catalog_etag_of(cat->json, cat->jsonlen, cat->etag);
	*out = cat;
	return 0;
fail:
	catalog_free(cat);
	return -1;
}

void
catalog_parts_free(struct catalog_parts *c)
{
	cJSON_Delete(c->brokers);
	free(c->svcs.v);
	free(c->plans.v);
}

/* ---- The loaded catalog. ---- */

/* Read a regular file of at most OSB_MAX_CATALOG_BYTES into *buf. */
static int
read_file(const char *path, char **buf, size_t *len, time_t *mtime,
    struct catalog_error *err)
{
	struct stat st;
	size_t cap, n = 0;
	ssize_t r;
	int fd, rc = -1;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return catalog_fail(err, NULL, "cannot open: %s",
		    strerror(errno));
	if (fstat(fd, &st) == -1) {
		catalog_fail(err, NULL, "cannot stat: %s", strerror(errno));
		goto out;
	}
	/* A FIFO or device could block or never end. */
	if (!S_ISREG(st.st_mode)) {
		catalog_fail(err, NULL, "not a regular file");
		goto out;
	}
	if (st.st_size > OSB_MAX_CATALOG_BYTES) {
		catalog_fail(err, NULL, "the catalog is larger than %d bytes",
		    OSB_MAX_CATALOG_BYTES);
		goto out;
	}
	cap = (size_t)st.st_size + 1;	/* one more byte sees growth */
	if ((*buf = malloc(cap)) == NULL) {
		catalog_fail(err, NULL, "out of memory");
		goto out;
	}
	while (n < cap && (r = read(fd, *buf + n, cap - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			catalog_fail(err, NULL, "cannot read: %s",
			    strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	if (n == cap) {
		catalog_fail(err, NULL, "the file changed while being read");
		goto out;
	}
	*len = n;
	*mtime = st.st_mtime;
	rc = 0;
out:
	if (rc == -1) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return rc;
}

int
catalog_load(const char *path, struct catalog **out, struct catalog_error *err)
{
	struct catalog_error scratch;
	char *buf = NULL;
	size_t len = 0;
	time_t mtime = 0;
	int rc;

	*out = NULL;
	if (err == NULL)
		err = &scratch;
	error_init(err, path);
	if (read_file(path, &buf, &len, &mtime, err) == -1)
		return -1;
	rc = catalog_load_buffer(path, buf, len, out, err);
	if (rc == 0)
		catalog_set_mtime(*out, mtime);
	free(buf);
	return rc;
}

void
catalog_set_mtime(struct catalog *cat, time_t mtime)
{
	cat->mtime = mtime;
}

void
catalog_set_warnings(struct catalog *cat, struct catalog_error *w, size_t n,
    size_t total)
{
	free(cat->warnings);
	cat->warnings = w;
	cat->nwarnings = n;
	cat->allwarnings = total;
}

const struct catalog_error *
catalog_warnings(const struct catalog *cat, size_t *n, size_t *total)
{
	*n = cat->nwarnings;
	if (total != NULL)
		*total = cat->allwarnings;
	return cat->warnings;
}

const cJSON *
catalog_doc(const struct catalog *cat)
{
	return cat->doc;
}

const struct catalog_plan *
catalog_plans(const struct catalog *cat, size_t *n)
{
	*n = cat->nplans;
	return cat->plans;
}

void
catalog_free(struct catalog *cat)
{
	size_t i;

	if (cat == NULL)
		return;
	cJSON_free(cat->json);
	cJSON_Delete(cat->doc);
	cJSON_Delete(cat->brokers);
	free(cat->svcs);
	for (i = 0; i < cat->nplans; i++)
		plancfg_free((struct plancfg *)cat->plans[i].cfg);
	for (i = 0; cat->schemas != NULL && i < cat->nplans * CS__COUNT; i++)
		jschema_free(cat->schemas[i]);
	free(cat->schemas);
	free(cat->plans);
	free(cat->warnings);
	free(cat);
}

const char *
catalog_json(const struct catalog *cat, size_t *len)
{
	if (len != NULL)
		*len = cat->jsonlen;
	return cat->json;
}

void
catalog_etag_of(const char *json, size_t len, char *out)
{
	snprintf(out, CATALOG_ETAG_LEN, "\"%016" PRIx64 "\"",
	    fnv1a(json, len));
}

const char *
catalog_etag(const struct catalog *cat)
{
	return cat->etag;
}

time_t
catalog_mtime(const struct catalog *cat)
{
	return cat->mtime;
}

enum catalog_lookup_result
catalog_lookup(const struct catalog *cat, const char *service_id,
    const char *plan_id, struct catalog_plan *out)
{
	const struct catalog_service *s;
	size_t i, j;

	if (service_id == NULL || plan_id == NULL)
		return service_id == NULL ? CATALOG_NO_SERVICE : CATALOG_NO_PLAN;
	for (i = 0; i < cat->nsvcs; i++) {
		s = &cat->svcs[i];
		if (strcmp(s->id, service_id) != 0)
			continue;
		for (j = s->first; j < s->first + s->nplans; j++) {
			if (strcmp(cat->plans[j].plan_id, plan_id) == 0) {
				*out = cat->plans[j];
				return CATALOG_FOUND;
			}
		}
		return CATALOG_NO_PLAN;
	}
	return CATALOG_NO_SERVICE;
}

enum catalog_lookup_result
catalog_lookup_plan(const struct catalog *cat, const char *plan_id,
    struct catalog_plan *out)
{
	size_t i;

	if (plan_id == NULL)
		return CATALOG_NO_PLAN;
	for (i = 0; i < cat->nplans; i++) {
		if (strcmp(cat->plans[i].plan_id, plan_id) == 0) {
			*out = cat->plans[i];
			return CATALOG_FOUND;
		}
	}
	return CATALOG_NO_PLAN;
}

const cJSON *
catalog_schema_json(const cJSON *plan, enum catalog_schema which)
{
	static const char *const path[CS__COUNT][2] = {
		[CS_CREATE] = { "service_instance", "create" },
		[CS_UPDATE] = { "service_instance", "update" },
		[CS_BIND] = { "service_binding", "create" },
	};
	const cJSON *v = jsonin_member(plan, "schemas");

	v = jsonin_member(v, path[which][0]);
	v = jsonin_member(v, path[which][1]);
	v = jsonin_member(v, "parameters");
	return cJSON_IsObject(v) || cJSON_IsBool(v) ? v : NULL;
}

int
catalog_schema(const struct catalog_plan *p, enum catalog_schema which,
    const struct jschema **out, char *err, size_t errlen)
{
	const struct jschema_opts trusted = { .trusted = 1 };
	const cJSON *json = catalog_schema_json(p->plan, which);

	*out = NULL;
	if (json == NULL)
		return 0;
	if (p->schemas[which] == NULL &&
	    jschema_compile(json, &trusted, &p->schemas[which], err,
	    errlen) == -1)
		return -1;
	*out = p->schemas[which];
	return 0;
}
