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

/*
 * After its first line (identity()): "served <len>\n", the <len> bytes
 * catalog_json() serves and a newline, then the compiled form.  The served
 * bytes come first and are not JSON to parse: a CGI process answering GET
 * /v2/catalog takes them as they are (catcache_served()).
 */
#define SERVED_TAG	"served "

/* Find the served bytes and the compiled form in text (n bytes, after the
 * first line): 0, or -1 when text is not laid out so. */
static int
split(const char *text, size_t n, const char **json, size_t *jlen,
    const char **body, size_t *blen)
{
	const char	*p = text, *end = text + n;
	size_t		 len = 0, tl = strlen(SERVED_TAG);

	if (n <= tl || memcmp(p, SERVED_TAG, tl) != 0)
		return -1;
	for (p += tl; p < end && *p >= '0' && *p <= '9'; p++) {
		if (len > OSB_MAX_CATALOG_CACHE)
			return -1;
		len = len * 10 + (size_t)(*p - '0');
	}
	if (p == text + tl || p == end || *p++ != '\n' ||
	    len >= (size_t)(end - p) || p[len] != '\n')
		return -1;
	*json = p;
	*jlen = len;
	*body = p + len + 1;
	*blen = (size_t)(end - *body);
	return 0;
}

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
	char		 tag[48], *buf, *compiled, *text;
	const char	*json, *body;
	size_t		 len = 0, hl, tl, jlen, blen, cl;

	if (dir == NULL || stat(path, &before) == -1 ||
	    (size_t)snprintf(file, sizeof(file), "%s/%s", dir, CACHE_NAME) >=
	    sizeof(file))
		return catalog_load(path, out, err);
	identity(&before, head, sizeof(head));
	hl = strlen(head);
	if ((buf = pfile_read(file, OSB_MAX_CATALOG_CACHE, &len)) != NULL) {
		if (len > hl && memcmp(buf, head, hl) == 0 &&
		    split(buf + hl, len - hl, &json, &jlen, &body,
		    &blen) == 0 &&
		    catalog_load_compiled(path, body, blen, out, err) == 0) {
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
	    (compiled = catalog_compile(*out)) != NULL) {
		json = catalog_json(*out, &jlen);
		tl = (size_t)snprintf(tag, sizeof(tag), SERVED_TAG "%zu\n",
		    jlen);
		cl = strlen(compiled);
		if ((text = malloc(hl + tl + jlen + 1 + cl)) != NULL) {
			memcpy(text, head, hl);
			memcpy(text + hl, tag, tl);
			memcpy(text + hl + tl, json, jlen);
			text[hl + tl + jlen] = '\n';
			memcpy(text + hl + tl + jlen + 1, compiled, cl);
			(void)pfile_replace(file, text, hl + tl + jlen + 1 + cl);
			free(text);
		}
		free(compiled);
	}
	return 0;
}

int
catcache_served(const char *path, const char *dir,
    struct catcache_served *out)
{
	struct stat	 st;
	char		 file[OSB_MAX_PATH + OSB_MAX_NAME], head[256], *buf;
	const char	*json, *body;
	size_t		 len = 0, hl, jlen, blen;

	memset(out, 0, sizeof(*out));
	if (dir == NULL || stat(path, &st) == -1 ||
	    (size_t)snprintf(file, sizeof(file), "%s/%s", dir, CACHE_NAME) >=
	    sizeof(file))
		return -1;
	identity(&st, head, sizeof(head));
	hl = strlen(head);
	if ((buf = pfile_read(file, OSB_MAX_CATALOG_CACHE, &len)) == NULL)
		return -1;
	if (len <= hl || memcmp(buf, head, hl) != 0 ||
	    split(buf + hl, len - hl, &json, &jlen, &body, &blen) == -1) {
		free(buf);
		return -1;
	}
	buf[(size_t)(json - buf) + jlen] = '\0';	/* was its newline */
	out->buf = buf;
	out->json = json;
	out->len = jlen;
	catalog_etag_of(json, jlen, out->etag);
	out->mtime = st.st_mtime;
	return 0;
}

void
catcache_served_free(struct catcache_served *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}
