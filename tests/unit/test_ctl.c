/* SPDX-License-Identifier: ISC */
/*
 * test_ctl: what osbrokerctl decides without a store: which instance
 * records a filter passes (by id, by the catalog's names, by the state of
 * the last operation, with no catalog at all) and durations for people.
 * The subcommands themselves run against a store the broker wrote in
 * tests/integration/test_osbrokerctl.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "op.h"
#include "tap.h"

static const char yml[] =
"services:\n"
"- id: s-db\n"
"  name: db\n"
"  description: d\n"
"  bindable: true\n"
"  plans:\n"
"  - {id: p-small, name: small, description: d}\n"
"  - {id: p-big, name: big, description: d,\n"
"     maintenance_info: {version: 2.0.0}}\n"
"- id: s-cache\n"
"  name: cache\n"
"  description: d\n"
"  bindable: true\n"
"  plans:\n"
"  - {id: p-c-small, name: small, description: d}\n";

static int
m(const struct catalog *cat, const cJSON *rec, const char *s, const char *p,
    int state)
{
	struct ctl_filter f = { s, p, state, 0 };

	return ctl_match(cat, rec, &f);
}

/* ctl_outdated() and --outdated: p-big is at 2.0.0, p-c-small has no
 * maintenance_info. */
static void
test_outdated(const struct catalog *cat, const cJSON *no_version,
    const cJSON *unversioned_plan, const cJSON *gone)
{
	struct ctl_filter	 f = { NULL, NULL, -1, 1 };
	const char		*pv;
	cJSON			*old, *cur;

	old = cJSON_Parse("{\"service_id\":\"s-db\",\"plan_id\":\"p-big\","
	    "\"maintenance_info\":{\"version\":\"1.0.0\"}}");
	cur = cJSON_Parse("{\"service_id\":\"s-db\",\"plan_id\":\"p-big\","
	    "\"maintenance_info\":{\"version\":\"2.0.0\"}}");
	CHECK(ctl_outdated(cat, old, &pv) == 1 && pv != NULL &&
	    strcmp(pv, "2.0.0") == 0, "an instance at 1.0.0 of a plan at "
	    "2.0.0 is outdated, the plan's version given");
	CHECK(ctl_outdated(cat, no_version, &pv) == 1,
	    "an instance without a version, of a plan with one: outdated");
	CHECK(ctl_outdated(cat, cur, &pv) == 0 && pv != NULL,
	    "an instance on its plan's version is not outdated");
	CHECK(ctl_outdated(cat, unversioned_plan, &pv) == 0 && pv == NULL,
	    "a plan without maintenance_info: never outdated");
	CHECK(ctl_outdated(cat, gone, &pv) == 0 && pv == NULL,
	    "a plan no longer in the catalog: not outdated");
	CHECK(ctl_outdated(NULL, old, &pv) == 0 && pv == NULL,
	    "without a catalog: not outdated");
	CHECK(ctl_match(cat, old, &f) && !ctl_match(cat, cur, &f) &&
	    !ctl_match(cat, unversioned_plan, &f),
	    "--outdated passes outdated instances only");
	cJSON_Delete(old);
	cJSON_Delete(cur);
}

int
main(void)
{
	struct catalog		*cat;
	struct catalog_error	 ce;
	cJSON			*rec, *none, *gone;
	char			 b[32];

	if (catalog_load_buffer("catalog.yml", yml, strlen(yml), &cat,
	    &ce) == -1) {
		fprintf(stderr, "catalog: %s\n", ce.message);
		return 2;
	}
	rec = cJSON_Parse("{\"service_id\":\"s-db\",\"plan_id\":\"p-big\","
	    "\"last_operation\":{\"type\":\"provision\",\"state\":\"failed\"}}");
	none = cJSON_Parse("{\"service_id\":\"s-cache\",\"plan_id\":"
	    "\"p-c-small\"}");
	gone = cJSON_Parse("{\"service_id\":\"s-old\",\"plan_id\":\"p-old\","
	    "\"last_operation\":{\"type\":\"update\",\"state\":"
	    "\"in progress\"}}");

	CHECK(m(cat, rec, NULL, NULL, -1), "no filter passes everything");
	test_outdated(cat, rec, none, gone);
	CHECK(m(cat, rec, "s-db", NULL, -1) && m(cat, rec, "db", NULL, -1),
	    "--service by id and by name");
	CHECK(!m(cat, rec, "cache", NULL, -1) && !m(cat, rec, "s-cache", NULL,
	    -1), "--service: another service's name or id");
	CHECK(m(cat, rec, NULL, "big", -1) && m(cat, rec, NULL, "p-big", -1),
	    "--plan by name and by id");
	CHECK(!m(cat, rec, NULL, "small", -1), "--plan: another plan's name");
	CHECK(m(cat, none, "cache", "small", -1) && !m(cat, none, "db",
	    "small", -1), "a plan name shared by two services: --service "
	    "tells them apart");
	CHECK(m(cat, rec, NULL, NULL, OPS_FAILED) && !m(cat, rec, NULL, NULL,
	    OPS_SUCCEEDED), "--state failed");
	CHECK(m(cat, none, NULL, NULL, OPS_SUCCEEDED) && !m(cat, none, NULL,
	    NULL, OPS_IN_PROGRESS), "a record without an operation counts as "
	    "succeeded");
	CHECK(m(cat, gone, "s-old", "p-old", OPS_IN_PROGRESS),
	    "a plan no longer in the catalog matches by id");
	CHECK(!m(cat, gone, "old", NULL, -1), "... and has no name");
	CHECK(m(NULL, rec, "s-db", "p-big", OPS_FAILED) && !m(NULL, rec, "db",
	    NULL, -1), "without a catalog: ids only");

	ctl_age(0, b, sizeof(b));
	CHECK_STR(b, "0s", "age 0");
	ctl_age(119, b, sizeof(b));
	CHECK_STR(b, "119s", "age under two minutes: seconds");
	ctl_age(120, b, sizeof(b));
	CHECK_STR(b, "2m", "age of two minutes: minutes");
	ctl_age(2 * 3600 - 1, b, sizeof(b));
	CHECK_STR(b, "119m", "age under two hours: minutes");
	ctl_age(5 * 3600 + 59, b, sizeof(b));
	CHECK_STR(b, "5h", "age in hours, rounded down");
	ctl_age(3 * 86400 + 7, b, sizeof(b));
	CHECK_STR(b, "3d", "age in days");
	ctl_age(-5, b, sizeof(b));
	CHECK_STR(b, "-", "a negative age (another host's clock)");

	cJSON_Delete(rec);
	cJSON_Delete(none);
	cJSON_Delete(gone);
	catalog_free(cat);
	return tap_done();
}
