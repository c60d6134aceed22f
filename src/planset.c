/* SPDX-License-Identifier: ISC */
/*
 * planset: see planset.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planset.h"

struct planset {
	const struct catalog	*cat;
	unsigned char		*keep;	/* per plan of catalog_plans() */
	size_t			 nplans;
	size_t			 count;	/* plans kept */
	char			*json;
	size_t			 jsonlen;
	char			 etag[CATALOG_ETAG_LEN];
};

/* A part of an entry: printable ASCII but the separators. */
static int
part_char(char ch)
{
	return ch > ' ' && ch <= '~' && ch != ',' && ch != '/' && ch != ':';
}

int
planset_syntax(const char *field, char *err, size_t errlen)
{
	const char	*p;
	size_t		 n, entry = 1;
	int		 parts;

	if (strncmp(field, PLANSET_PREFIX, strlen(PLANSET_PREFIX)) != 0) {
		snprintf(err, errlen, "the third field must be "
		    "\"plans=SERVICE/PLAN,...\"");
		return -1;
	}
	p = field + strlen(PLANSET_PREFIX);
	for (;;) {
		/* One entry: SERVICE or SERVICE/PLAN. */
		for (parts = 0; parts < 2; parts++) {
			for (n = 0; part_char(p[n]); n++)
				;
			if (n == 0) {
				snprintf(err, errlen, "plans=: entry %zu: a "
				    "service and plan are ids or names of "
				    "printable characters without ',', '/', "
				    "':' or space", entry);
				return -1;
			}
			p += n;
			if (*p != '/')
				break;
			if (parts == 1) {
				snprintf(err, errlen, "plans=: entry %zu: "
				    "SERVICE or SERVICE/PLAN", entry);
				return -1;
			}
			p++;
		}
		if (*p == '\0')
			return 0;
		if (*p != ',') {
			snprintf(err, errlen, "plans=: entry %zu: unexpected "
			    "character 0x%02x", entry, (unsigned char)*p);
			return -1;
		}
		p++;
		entry++;
	}
}

/* 1 when the n bytes at s are the string str. */
static int
same(const char *s, size_t n, const char *str)
{
	return str != NULL && strlen(str) == n && memcmp(s, str, n) == 0;
}

/* Mark the plans of one entry (svc, svclen; plan NULL for all of them).
 * The number of plans it names. */
static size_t
mark(struct planset *ps, const struct catalog_plan *plans, const char *svc,
    size_t svclen, const char *plan, size_t planlen, int *service_found)
{
	size_t i, n = 0;

	for (i = 0; i < ps->nplans; i++) {
		if (!same(svc, svclen, plans[i].service_id) &&
		    !same(svc, svclen, plans[i].service_name))
			continue;
		*service_found = 1;
		if (plan != NULL && !same(plan, planlen, plans[i].plan_id) &&
		    !same(plan, planlen, plans[i].plan_name))
			continue;
		if (!ps->keep[i])
			ps->count++;
		ps->keep[i] = 1;
		n++;
	}
	return n;
}

/* The set's own document: the catalog's services in order, each with the
 * plans of the set, those with none left out. */
static int
render(struct planset *ps, const struct catalog_plan *plans)
{
	cJSON		*doc, *svcs, *svc = NULL, *list = NULL;
	const cJSON	*cur = NULL;
	size_t		 i;

	if ((doc = cJSON_CreateObject()) == NULL ||
	    (svcs = cJSON_AddArrayToObject(doc, "services")) == NULL)
		goto fail;
	for (i = 0; i < ps->nplans; i++) {
		if (!ps->keep[i])
			continue;
		if (plans[i].service != cur) {
			cur = plans[i].service;
			/* The offering as served, its plans replaced in
			 * place (the keys keep their order). */
			if ((svc = cJSON_Duplicate(cur, 1)) == NULL ||
			    (list = cJSON_CreateArray()) == NULL) {
				cJSON_Delete(svc);
				goto fail;
			}
			cJSON_AddItemToArray(svcs, svc);
			if (!cJSON_ReplaceItemInObjectCaseSensitive(svc, "plans",
			    list)) {
				cJSON_Delete(list);
				goto fail;
			}
		}
		if (!cJSON_AddItemToArray(list, cJSON_Duplicate(plans[i].plan,
		    1)))
			goto fail;
	}
	if ((ps->json = cJSON_PrintUnformatted(doc)) == NULL)
		goto fail;
	ps->jsonlen = strlen(ps->json);
	catalog_etag_of(ps->json, ps->jsonlen, ps->etag);
	cJSON_Delete(doc);
	return 0;
fail:
	cJSON_Delete(doc);
	return -1;
}

/* planset_resolve(), and the document rendered only when out is not
 * NULL (planset_check()). */
static int
resolve(const struct catalog *cat, const char *field, int strict,
    struct planset **out, char *err, size_t errlen)
{
	const struct catalog_plan *plans;
	struct planset	*ps;
	const char	*p, *end, *slash;
	size_t		 n, entry = 1;
	int		 svc_found;

	if (out != NULL)
		*out = NULL;
	if (planset_syntax(field, err, errlen) == -1)
		return -1;
	err[0] = '\0';
	plans = catalog_plans(cat, &n);
	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (ps->keep = calloc(n + 1, 1)) == NULL)
		goto oom;
	ps->cat = cat;
	ps->nplans = n;
	for (p = field + strlen(PLANSET_PREFIX); *p != '\0'; entry++) {
		end = p + strcspn(p, ",");
		slash = memchr(p, '/', (size_t)(end - p));
		svc_found = 0;
		if (mark(ps, plans, p, (size_t)((slash != NULL ? slash : end) -
		    p), slash != NULL ? slash + 1 : NULL, slash != NULL ?
		    (size_t)(end - slash - 1) : 0, &svc_found) == 0 &&
		    err[0] == '\0') {
			if (!svc_found)
				snprintf(err, errlen, "plans=: entry %zu: no "
				    "service offering \"%.*s\" in the catalog "
				    "(by id or name)", entry,
				    (int)((slash != NULL ? slash : end) - p), p);
			else
				snprintf(err, errlen, "plans=: entry %zu: "
				    "service \"%.*s\" has no plan \"%.*s\" (by "
				    "id or name)", entry, (int)(slash - p), p,
				    (int)(end - slash - 1), slash + 1);
			if (strict)
				goto fail;
		}
		p = *end == ',' ? end + 1 : end;
	}
	if (out == NULL) {
		planset_free(ps);
		return 0;
	}
	if (render(ps, plans) == -1)
		goto oom;
	*out = ps;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	planset_free(ps);
	return -1;
}

int
planset_resolve(const struct catalog *cat, const char *field, int strict,
    struct planset **out, char *err, size_t errlen)
{
	return resolve(cat, field, strict, out, err, errlen);
}

int
planset_check(const struct catalog *cat, const char *field, char *err,
    size_t errlen)
{
	return resolve(cat, field, 1, NULL, err, errlen);
}

void
planset_free(struct planset *ps)
{
	if (ps == NULL)
		return;
	free(ps->keep);
	cJSON_free(ps->json);
	free(ps);
}

enum catalog_lookup_result
planset_lookup(const struct planset *ps, const struct catalog *cat,
    const char *service_id, const char *plan_id, struct catalog_plan *out)
{
	const struct catalog_plan *plans;
	enum catalog_lookup_result r;
	size_t		 i, n;
	int		 service_kept = 0;

	if ((r = catalog_lookup(cat, service_id, plan_id, out)) !=
	    CATALOG_FOUND && r != CATALOG_NO_PLAN)
		return r;
	if (ps == NULL)
		return r;
	if (cat != ps->cat)	/* resolved against another catalog */
		return CATALOG_NO_SERVICE;
	plans = catalog_plans(cat, &n);
	for (i = 0; i < n && i < ps->nplans; i++) {
		if (!ps->keep[i] || strcmp(plans[i].service_id, service_id) != 0)
			continue;
		service_kept = 1;
		if (r == CATALOG_FOUND && strcmp(plans[i].plan_id, plan_id) == 0)
			return CATALOG_FOUND;
	}
	return service_kept ? CATALOG_NO_PLAN : CATALOG_NO_SERVICE;
}

const char *
planset_json(const struct planset *ps, size_t *len)
{
	if (len != NULL)
		*len = ps->jsonlen;
	return ps->json;
}

const char *
planset_etag(const struct planset *ps)
{
	return ps->etag;
}

size_t
planset_count(const struct planset *ps)
{
	return ps->count;
}
