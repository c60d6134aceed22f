/* SPDX-License-Identifier: ISC */
/*
 * test_planset.c: a credentials line's "plans=" field: its syntax, what it
 * names in a catalog, the lookups and the catalog document it serves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "planset.h"
#include "tap.h"

#include "two_offerings.h"

static void
syntax(void)
{
	static const char *const good[] = {
		"plans=svc-a", "plans=svc-a/small", "plans=svc-a/small,svc-b",
		"plans=svc-a-id/a-large-id,svc-b/b-small-id",
		"plans=x/y,x/z,x/y",
	};
	static const char *const bad[] = {
		"", "plans=", "plans", "services=svc-a", "plans=svc-a,",
		"plans=,svc-a", "plans=svc-a/", "plans=/small",
		"plans=svc-a/small/x", "plans=svc a", "plans=svc-a:x",
		"plans=svc-a,,svc-b", "plans=svc-\x01", "PLANS=svc-a",
		"plans=svc-a\t",
	};
	char	err[256];
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(planset_syntax(good[i], err, sizeof(err)) == 0,
		    "syntax: \"%s\" accepted", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(planset_syntax(bad[i], err, sizeof(err)) == -1 &&
		    err[0] != '\0', "syntax: bad field %zu refused with a "
		    "reason", i);
	}
	CHECK(planset_syntax("plans=a,b/c,d e", err, sizeof(err)) == -1 &&
	    strstr(err, "entry 3") != NULL, "syntax: the reason names the "
	    "entry (%s)", err);
}

/* The plan ids of a served catalog document, "svc:plan ...". */
static void
ids_of(const char *json, char *out, size_t outlen)
{
	cJSON		*doc = cJSON_Parse(json);
	const cJSON	*s, *p;
	size_t		 n = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "services"))
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "plans"))
			n += (size_t)snprintf(out + n, outlen - n, "%s%s:%s",
			    n ? " " : "", cJSON_GetStringValue(
			    cJSON_GetObjectItem(s, "id")),
			    cJSON_GetStringValue(cJSON_GetObjectItem(p, "id")));
	cJSON_Delete(doc);
}

static void
resolve(const struct catalog *cat)
{
	struct planset	*ps = NULL, *all = NULL, *ab = NULL;
	struct catalog_plan p;
	char		 err[256], ids[512];
	size_t		 len;

	CHECK(planset_resolve(cat, "plans=svc-a/small", 1, &ps, err,
	    sizeof(err)) == 0 && ps != NULL, "resolve: a plan by names");
	if (ps == NULL)
		return;
	CHECK(planset_count(ps) == 1, "resolve: one plan kept");
	ids_of(planset_json(ps, &len), ids, sizeof(ids));
	CHECK_STR(ids, "svc-a-id:a-small-id", "resolve: its document has that "
	    "plan only");
	CHECK(len == strlen(planset_json(ps, NULL)), "resolve: length of the "
	    "document");
	CHECK(strcmp(planset_etag(ps), catalog_etag(cat)) != 0 &&
	    planset_etag(ps)[0] == '"' && strlen(planset_etag(ps)) == 18,
	    "resolve: an ETag of its own (%s)", planset_etag(ps));
	CHECK(planset_lookup(ps, cat, "svc-a-id", "a-small-id", &p) ==
	    CATALOG_FOUND && strcmp(p.plan_name, "small") == 0,
	    "lookup: the plan of the set is found");
	CHECK(planset_lookup(ps, cat, "svc-a-id", "a-large-id", &p) ==
	    CATALOG_NO_PLAN, "lookup: another plan of its service: no plan");
	CHECK(planset_lookup(ps, cat, "svc-b-id", "b-small-id", &p) ==
	    CATALOG_NO_SERVICE, "lookup: a service without a plan in the set: "
	    "no service");
	CHECK(planset_lookup(ps, cat, "svc-a-id", "nope", &p) ==
	    CATALOG_NO_PLAN && planset_lookup(ps, cat, "nope", "a-small-id",
	    &p) == CATALOG_NO_SERVICE, "lookup: unknown ids as in the catalog");
	CHECK(planset_lookup(NULL, cat, "svc-b-id", "b-small-id", &p) ==
	    CATALOG_FOUND, "lookup: no set is the whole catalog");

	CHECK(planset_resolve(cat, "plans=svc-a-id,svc-b", 1, &all, err,
	    sizeof(err)) == 0 && all != NULL && planset_count(all) == 3,
	    "resolve: whole services by id and by name");
	if (all != NULL) {
		CHECK_STR(planset_json(all, NULL), catalog_json(cat, NULL),
		    "resolve: every plan: the catalog's own document");
		CHECK_STR(planset_etag(all), catalog_etag(cat), "resolve: "
		    "every plan: the catalog's own ETag");
	}
	CHECK(planset_resolve(cat, "plans=svc-b/b-small-id,svc-a/large", 1,
	    &ab, err, sizeof(err)) == 0 && ab != NULL, "resolve: a plan by "
	    "id, another by name");
	if (ab != NULL) {
		ids_of(planset_json(ab, NULL), ids, sizeof(ids));
		CHECK_STR(ids, "svc-a-id:a-large-id svc-b-id:b-small-id",
		    "resolve: the catalog's order, not the field's");
		CHECK(strcmp(planset_etag(ab), planset_etag(ps)) != 0,
		    "resolve: two sets, two ETags");
	}
	planset_free(ab);
	planset_free(all);
	planset_free(ps);
}

static void
refuse(const struct catalog *cat)
{
	struct planset	*ps = (struct planset *)1;
	char		 err[256];

	CHECK(planset_resolve(cat, "plans=svc-a/small,svc-c", 1, &ps, err,
	    sizeof(err)) == -1 && ps == NULL && strstr(err, "entry 2") &&
	    strstr(err, "\"svc-c\""), "strict: an unknown service is refused "
	    "(%s)", err);
	CHECK(planset_resolve(cat, "plans=svc-b/large", 1, &ps, err,
	    sizeof(err)) == -1 && strstr(err, "has no plan \"large\""),
	    "strict: a plan of another service is refused (%s)", err);
	CHECK(planset_resolve(cat, "plans=svc-a/", 1, &ps, err,
	    sizeof(err)) == -1, "strict: bad syntax is refused");
	CHECK(planset_check(cat, "plans=svc-a/small,svc-b", err,
	    sizeof(err)) == 0, "check: a good field");
	CHECK(planset_check(cat, "plans=svc-a/small,svc-c", err,
	    sizeof(err)) == -1 && strstr(err, "entry 2") != NULL,
	    "check: an unknown entry, named");
	CHECK(planset_check(cat, "plans=,", err, sizeof(err)) == -1,
	    "check: bad syntax");
	CHECK(planset_resolve(cat, "plans=svc-c,svc-a/small", 0, &ps, err,
	    sizeof(err)) == 0 && ps != NULL && planset_count(ps) == 1 &&
	    strstr(err, "svc-c") != NULL, "lenient: an unknown entry grants "
	    "nothing and is named");
	planset_free(ps);
	CHECK(planset_resolve(cat, "plans=svc-c", 0, &ps, err,
	    sizeof(err)) == 0 && ps != NULL && planset_count(ps) == 0 &&
	    strcmp(planset_json(ps, NULL), "{\"services\":[]}") == 0,
	    "lenient: nothing known: an empty catalog");
	planset_free(ps);
	CHECK(planset_resolve(cat, "plans=svc-a", 0, &ps, err,
	    sizeof(err)) == 0 && err[0] == '\0', "lenient: all known: no "
	    "message");
	planset_free(ps);
}

int
main(void)
{
	struct catalog		*cat = NULL, *other = NULL;
	struct catalog_error	 ce;
	struct planset		*ps = NULL;
	struct catalog_plan	 p;
	char			 err[256];

	syntax();
	if (catalog_load_buffer("t.yml", catalog_yml, strlen(catalog_yml),
	    &cat, &ce) == -1) {
		printf("# %s:%d: %s\n", ce.file, ce.line, ce.message);
		CHECK(0, "the test catalog loads");
		return tap_done();
	}
	resolve(cat);
	refuse(cat);
	/* A set is of the catalog it was resolved against. */
	if (catalog_load_buffer("t.yml", catalog_yml, strlen(catalog_yml),
	    &other, &ce) == 0 && planset_resolve(cat, "plans=svc-a", 1, &ps,
	    err, sizeof(err)) == 0)
		CHECK(planset_lookup(ps, other, "svc-a-id", "a-small-id", &p) !=
		    CATALOG_FOUND, "lookup: in another catalog, nothing");
	planset_free(ps);
	catalog_free(other);
	catalog_free(cat);
	return tap_done();
}
