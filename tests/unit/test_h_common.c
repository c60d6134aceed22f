/* SPDX-License-Identifier: ISC */
/*
 * test_h_common: who may see a record (h_common_visible()) and which plans
 * a request may use (h_common_lookup()), for a broker serving several
 * platforms (docs/architecture.md, "Several platforms").  The rest of
 * h_common is driven through the real stack by tests/integration.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "h_common.h"
#include "planset.h"
#include "tap.h"

static const char catalog_yml[] =
	"services:\n"
	"- id: svc-a-id\n"
	"  name: svc-a\n"
	"  description: d\n"
	"  bindable: true\n"
	"  plans:\n"
	"  - id: a-small-id\n"
	"    name: small\n"
	"    description: d\n"
	"  - id: a-large-id\n"
	"    name: large\n"
	"    description: d\n";

int
main(void)
{
	struct catalog		*cat = NULL;
	struct catalog_error	 ce;
	struct catalog_plan	 p;
	struct planset		*ps = NULL;
	struct ctx		 admin, a;
	cJSON			*legacy, *mine, *theirs;
	char			 err[256];

	if (catalog_load_buffer("t.yml", catalog_yml, strlen(catalog_yml),
	    &cat, &ce) == -1 || planset_resolve(cat, "plans=svc-a/small", 1,
	    &ps, err, sizeof(err)) == -1) {
		CHECK(0, "the test catalog and set load");
		return tap_done();
	}
	memset(&admin, 0, sizeof(admin));
	admin.catalog = cat;
	admin.user = "operator";
	a = admin;
	a.user = "plat-a";
	a.plans = ps;
	legacy = cJSON_Parse("{\"plan_id\":\"a-small-id\"}");
	mine = cJSON_Parse("{\"plan_id\":\"a-small-id\",\"owner\":\"plat-a\"}");
	theirs = cJSON_Parse("{\"plan_id\":\"a-small-id\",\"owner\":"
	    "\"plat-b\"}");

	CHECK(h_common_visible(&admin, legacy), "unrestricted: a record made "
	    "before owners were kept");
	CHECK(h_common_visible(&admin, mine) && h_common_visible(&admin,
	    theirs), "unrestricted: every user's records");
	CHECK(h_common_visible(&a, mine), "restricted: its own record");
	CHECK(!h_common_visible(&a, theirs), "restricted: not another user's");
	CHECK(!h_common_visible(&a, legacy), "restricted: not an ownerless "
	    "one");
	a.user = "plat-a-2";
	CHECK(!h_common_visible(&a, mine), "restricted: owner names compare "
	    "whole");
	a.user = "plat-a";

	CHECK(h_common_lookup(&admin, "svc-a-id", "a-large-id", &p) ==
	    CATALOG_FOUND, "unrestricted: every plan");
	CHECK(h_common_lookup(&a, "svc-a-id", "a-small-id", &p) ==
	    CATALOG_FOUND, "restricted: a plan of its set");
	CHECK(h_common_lookup(&a, "svc-a-id", "a-large-id", &p) ==
	    CATALOG_NO_PLAN, "restricted: another plan is not there");

	cJSON_Delete(legacy);
	cJSON_Delete(mine);
	cJSON_Delete(theirs);
	planset_free(ps);
	catalog_free(cat);
	return tap_done();
}
