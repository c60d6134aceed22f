/* SPDX-License-Identifier: ISC */
/*
 * catcache: the compiled form of a catalog (catalog_compile() and
 * catalog_load_compiled()) and its file in the state directory; see
 * catcache.h.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"
#include "catcache.h"
#include "pfile.h"
#include "version.h"

#define CACHE_NAME	"catalog.cache"

/* ---- The compiled form. ---- */

#define COMPILED_FORMAT	1

static int
damaged(struct catalog_parts *c)
{
	return catalog_fail(c->err, NULL, "damaged compiled catalog");
}

/* Put a copy of broker (if any) back into obj as "osbroker". */
static int
attach_broker(cJSON *obj, const cJSON *broker)
{
	cJSON *copy;

	if (broker == NULL)
		return 0;
	if ((copy = cJSON_Duplicate(broker, 1)) == NULL)
		return -1;
	if (!cJSON_AddItemToObject(obj, "osbroker", copy)) {
		cJSON_Delete(copy);
		return -1;
	}
	return 0;
}

char *
catalog_compile(const struct catalog *cat)
{
	const struct catalog_plan *plans;
	cJSON *top, *full, *s, *p;
	size_t k = 0, nplans;
	char *out = NULL;

	plans = catalog_plans(cat, &nplans);
	if ((top = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddNumberToObject(top, "format", COMPILED_FORMAT) == NULL ||
	    (full = cJSON_Duplicate(catalog_doc(cat), 1)) == NULL)
		goto out;
	if (!cJSON_AddItemToObject(top, "catalog", full)) {
		cJSON_Delete(full);
		goto out;
	}
	/* The served tree holds the offerings and plans in catalog order,
	 * the order of catalog_plans(); every offering has a plan, and each
	 * of its plans carries the offering's broker settings too. */
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(full,
	    "services")) {
		if (k < nplans &&
		    attach_broker(s, plans[k].service_broker) == -1)
			goto out;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s,
		    "plans")) {
			if (k < nplans &&
			    attach_broker(p, plans[k].plan_broker) == -1)
				goto out;
			k++;
		}
	}
	out = cJSON_PrintUnformatted(top);
out:
	cJSON_Delete(top);
	return out;
}

/* An offering or plan of a compiled catalog: an object with a string id and
 * name; its "osbroker" object is taken apart into c->brokers. */
static int
compiled_rec(struct catalog_parts *c, cJSON *obj, struct catalog_rec *r)
{
	cJSON *broker;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(obj) || cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(obj, "id")) == NULL ||
	    cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(obj, "name")) == NULL)
		return damaged(c);
	r->json = obj;
	broker = cJSON_DetachItemFromObjectCaseSensitive(obj, "osbroker");
	if (broker != NULL && !cJSON_IsObject(broker)) {
		cJSON_Delete(broker);
		return damaged(c);
	}
	return catalog_keep_broker(c, broker, r);
}

static int
compiled_services(struct catalog_parts *c, cJSON *root)
{
	cJSON *svcs, *s, *plans, *p;
	struct catalog_rec r, pr;

	svcs = cJSON_GetObjectItemCaseSensitive(root, "services");
	if (!cJSON_IsArray(svcs))
		return damaged(c);
	cJSON_ArrayForEach(s, svcs) {
		if (compiled_rec(c, s, &r) == -1)
			return -1;
		r.first = c->plans.n;
		plans = cJSON_GetObjectItemCaseSensitive(s, "plans");
		if (!cJSON_IsArray(plans) || plans->child == NULL)
			return damaged(c);
		cJSON_ArrayForEach(p, plans) {
			if (compiled_rec(c, p, &pr) == -1)
				return -1;
			pr.svc = c->svcs.n;
			if (catalog_parts_push(c, &c->plans, &pr) == -1)
				return -1;
		}
		r.nplans = c->plans.n - r.first;
		if (catalog_parts_push(c, &c->svcs, &r) == -1)
			return -1;
	}
	return 0;
}

int
catalog_load_compiled(const char *name, const char *data, size_t len,
    struct catalog **out, struct catalog_error *err)
{
	struct catalog_error scratch;
	struct catalog_parts c;
	cJSON *top = NULL, *root = NULL, *fmt;
	int rc = -1;

	if (catalog_parts_begin(&c, name, out, err, &scratch) == -1)
		goto out;
	if ((top = cJSON_ParseWithLength(data, len)) == NULL) {
		damaged(&c);
		goto out;
	}
	fmt = cJSON_GetObjectItemCaseSensitive(top, "format");
	root = cJSON_DetachItemFromObjectCaseSensitive(top, "catalog");
	if (!cJSON_IsNumber(fmt) || fmt->valuedouble != COMPILED_FORMAT ||
	    !cJSON_IsObject(root)) {
		catalog_fail(c.err, NULL,
		    "not a compiled catalog of this version");
		goto out;
	}
	if (compiled_services(&c, root) == -1 ||
	    catalog_assemble(&c, &root, out) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	cJSON_Delete(top);
	catalog_parts_free(&c);
	return rc;
}

/* ---- The cache file. ---- */

/* The first line of the cache: what it was compiled from, and by what. */
static void
identity(const struct stat *st, char *out, size_t outlen)
{
	char id[200];

	pfile_identity(st, id, sizeof(id));
	snprintf(out, outlen, "osbroker-catalog-cache %s %s\n", OSB_VERSION, id);
}

static int
same_identity(const struct stat *a, const struct stat *b)
{
	char x[200], y[200];

	pfile_identity(a, x, sizeof(x));
	pfile_identity(b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

int
catcache_load(const char *path, const char *dir, struct catalog **out,
    struct catalog_error *err)
{
	struct stat	 before, after;
	char		 file[OSB_MAX_PATH + OSB_MAX_NAME], head[256];
	char		*buf, *body, *text;
	size_t		 len = 0, hl;

	if (dir == NULL || stat(path, &before) == -1 ||
	    (size_t)snprintf(file, sizeof(file), "%s/%s", dir, CACHE_NAME) >=
	    sizeof(file))
		return catalog_load(path, out, err);
	identity(&before, head, sizeof(head));
	hl = strlen(head);
	if ((buf = pfile_read(file, OSB_MAX_CATALOG_CACHE, &len)) != NULL) {
		if (len > hl && memcmp(buf, head, hl) == 0 &&
		    catalog_load_compiled(path, buf + hl, len - hl, out,
		    err) == 0) {
			catalog_set_mtime(*out, before.st_mtime);
			free(buf);
			return 0;
		}
		free(buf);
	}
	if (catalog_load(path, out, err) == -1)
		return -1;
	/* Only what is known to be the file that was stat'ed is cached. */
	if (stat(path, &after) == 0 && same_identity(&before, &after) &&
	    (body = catalog_compile(*out)) != NULL) {
		if ((text = malloc(hl + strlen(body) + 1)) != NULL) {
			memcpy(text, head, hl);
			strcpy(text + hl, body);
			(void)pfile_replace(file, text, strlen(text));
			free(text);
		}
		free(body);
	}
	return 0;
}
