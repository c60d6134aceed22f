/* SPDX-License-Identifier: ISC */
/*
 * test_catalog.c: catalog loading, validation, normalisation and lookup.
 *
 * Most cases append a few lines to BASE, a minimal valid catalog, so the
 * expected line of an error is easy to see: BASE has 9 lines, the plan's
 * mapping continues at indent 4 and the service's at indent 2.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "jsonschema.h"
#include "plancfg.h"
#include "tap.h"

#define BASE \
	"services:\n"			/* 1 */ \
	"- id: svc-1\n"			/* 2 */ \
	"  name: svc\n"			/* 3 */ \
	"  description: d\n"		/* 4 */ \
	"  bindable: true\n"		/* 5 */ \
	"  plans:\n"			/* 6 */ \
	"  - id: plan-1\n"		/* 7 */ \
	"    name: p\n"			/* 8 */ \
	"    description: d\n"		/* 9 */

static int
load_text(const char *text, struct catalog **cat, struct catalog_error *err)
{
	return catalog_load_buffer("t.yml", text, strlen(text), cat, err);
}

/* BASE + extra, to be freed. */
static char *
based(const char *extra)
{
	char *text;

	if (asprintf(&text, "%s%s", BASE, extra) == -1)
		abort();
	return text;
}

/* Loads BASE + extra; must succeed.  Returns the catalog or NULL. */
static struct catalog *
accepts(const char *extra, const char *what)
{
	struct catalog_error err;
	struct catalog *cat = NULL;
	char *text = based(extra);
	int rc;

	rc = load_text(text, &cat, &err);
	CHECK(rc == 0, "accepts: %s", what);
	if (rc != 0)
		printf("#   %s:%d:%d: %s\n", err.file, err.line, err.column,
		    err.message);
	free(text);
	return cat;
}

/* Loads text; must fail at line with a message containing needle. */
static void
rejects_text(const char *text, int line, const char *needle, const char *what)
{
	struct catalog_error err;
	struct catalog *cat = NULL;
	int rc, ok;

	rc = load_text(text, &cat, &err);
	ok = rc == -1 && cat == NULL && err.line == line &&
	    strstr(err.message, needle) != NULL &&
	    strcmp(err.file, "t.yml") == 0;
	CHECK(ok, "rejects: %s", what);
	if (!ok)
		printf("#   rc %d, got %s:%d:%d: %s\n#   want line %d, \"%s\"\n",
		    rc, err.file, err.line, err.column, err.message, line,
		    needle);
	catalog_free(cat);
}

static void
rejects(const char *extra, int line, const char *needle, const char *what)
{
	char *text = based(extra);

	rejects_text(text, line, needle, what);
	free(text);
}

static const cJSON *
get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static void
test_default_catalog(void)
{
	struct catalog_error err;
	struct catalog *cat = NULL;
	struct catalog_plan p;
	const char *json;
	cJSON *doc;
	size_t len;
	int rc;

	rc = catalog_load("catalog.yml", &cat, &err);
	CHECK(rc == 0, "default catalog.yml loads");
	if (rc != 0) {
		printf("#   %s:%d:%d: %s\n", err.file, err.line, err.column,
		    err.message);
		return;
	}
	CHECK(catalog_mtime(cat) > 0, "mtime recorded");
	json = catalog_json(cat, &len);
	CHECK(json != NULL && strlen(json) == len, "json and its length");
	doc = cJSON_Parse(json);
	CHECK(cJSON_IsArray(get(doc, "services")) &&
	    cJSON_GetArraySize(get(doc, "services")) == 1,
	    "served JSON parses, one service");
	cJSON_Delete(doc);
	CHECK(strstr(json, "\"$schema\":\"http://json-schema.org/draft-04/"
	    "schema#\"") != NULL, "schema served");

	rc = catalog_lookup(cat, "3abe3f39-ecb5-4647-b0e3-ee10d64e1ca2",
	    "ceb51bd2-2c76-42fd-857d-458cb1858f1f", &p);
	CHECK(rc == CATALOG_FOUND, "lookup small");
	if (rc == CATALOG_FOUND) {
		CHECK_STR(p.service_name, "osbroker-demo", "service name");
		CHECK_STR(p.plan_name, "small", "plan name");
		CHECK(p.bindable && p.plan_updateable && p.instances_retrievable &&
		    p.bindings_retrievable && p.allow_context_updates &&
		    p.binding_rotatable, "small: effective flags");
		CHECK_STR(p.maintenance_version, "1.0.0", "small: version");
		CHECK(p.maximum_polling_duration == 0, "small: no mpd");
		CHECK(p.service_broker == NULL && p.plan_broker != NULL &&
		    cJSON_IsNumber(get(p.plan_broker, "binding_ttl")),
		    "small: broker settings kept for the broker");
		CHECK(strstr(json, "binding_ttl") == NULL &&
		    strstr(json, "\"osbroker\":") == NULL,
		    "broker settings not served");
	}
	rc = catalog_lookup_plan(cat, "0d0fca7f-3f1e-4dc0-ac63-4274347ca4b4",
	    &p);
	CHECK(rc == CATALOG_FOUND && !p.binding_rotatable &&
	    p.maintenance_version == NULL && cJSON_IsFalse(get(p.plan, "free")),
	    "lookup_plan large");
	catalog_free(cat);
}

/* A catalog in the style of the early Spring-based example brokers
 * (camelCase planUpdateable, CF display metadata), kept beside this test. */
#define SEED_CATALOG "tests/unit/seed-style-catalog.yml"

static void
test_seed_fixture(void)
{
	struct catalog_error err;
	struct catalog *cat = NULL;
	struct catalog_plan p;
	const cJSON *md, *cost;
	const char *json, *path = SEED_CATALOG;
	int rc;

	rc = catalog_load(path, &cat, &err);
	CHECK(rc == 0, "seed-style catalog loads");
	if (rc != 0) {
		printf("#   %s:%d:%d: %s\n", err.file, err.line, err.column,
		    err.message);
		return;
	}
	json = catalog_json(cat, NULL);
	CHECK(strstr(json, "\"plan_updateable\":false") != NULL,
	    "seed: served as plan_updateable");
	CHECK(strstr(json, "planUpdateable") == NULL, "seed: no planUpdateable");
	rc = catalog_lookup(cat, "5f2c9a64-8d0e-4c4b-9a53-2e7f4b1d6a10",
	    "0c8e3f57-1b2a-4d6e-b7a9-5c1d2e3f4a5b", &p);
	CHECK(rc == CATALOG_FOUND && p.bindable && !p.plan_updateable,
	    "seed: lookup, effective flags");
	if (rc == CATALOG_FOUND) {
		CHECK(cJSON_IsString(get(p.plan, "id")), "seed: plan id string");
		md = get(p.service, "metadata");
		CHECK(cJSON_IsString(get(md, "displayName")) &&
		    cJSON_IsString(get(md, "imageUrl")),
		    "seed: metadata keys left alone");
		CHECK(cJSON_IsArray(get(p.service, "requires")) &&
		    cJSON_GetArraySize(get(p.service, "requires")) == 0,
		    "seed: requires []");
		cost = cJSON_GetArrayItem(get(get(p.plan, "metadata"), "costs"),
		    0);
		CHECK(cJSON_IsNumber(get(get(cost, "amount"), "usd")),
		    "seed: usd is a number");
	}
	catalog_free(cat);
}

static void
test_structure(void)
{
	struct catalog *cat;

	rejects_text("", 0, "empty", "empty file");
	rejects_text("# nothing\n", 0, "empty", "comments only");
	rejects_text("- a\n", 1, "top level must be a mapping", "sequence root");
	rejects_text("foo: 1\n", 1, "missing required field \"services\"",
	    "no services");
	rejects_text("services: {}\n", 1, "\"services\" must be a sequence",
	    "services not a sequence");
	rejects_text("services: []\nosbroker: {a: 1}\n", 2,
	    "\"osbroker\" is allowed only in a service or a plan",
	    "top-level osbroker");
	rejects_text("services:\n- 1\n", 2, "service #1 must be a mapping",
	    "service not a mapping");
	rejects_text("services: [\n", 2, "", "syntax error");
	rejects_text("services:\n  - a\n b: c\n", 3, "", "bad indentation");
	cat = accepts("", "BASE is valid");
	catalog_free(cat);
	if (load_text("services: []\n", &cat, NULL) == 0) {
		CHECK_STR(catalog_json(cat, NULL), "{\"services\":[]}",
		    "empty services served");
		catalog_free(cat);
	} else
		CHECK(0, "empty services accepted");
}

static void
test_service_rules(void)
{
	rejects_text("services:\n- name: a\n  description: d\n  bindable: true\n"
	    "  plans: [{id: p, name: p, description: d}]\n", 2,
	    "service \"a\": missing required field \"id\"", "service id");
	rejects_text("services:\n- id: s\n  description: d\n  bindable: true\n"
	    "  plans: [{id: p, name: p, description: d}]\n", 2,
	    "service #1: missing required field \"name\"", "service name");
	rejects_text("services:\n- id: s\n  name: a\n  bindable: true\n"
	    "  plans: [{id: p, name: p, description: d}]\n", 2,
	    "missing required field \"description\"", "service description");
	rejects_text("services:\n- id: s\n  name: a\n  description: d\n"
	    "  plans: [{id: p, name: p, description: d}]\n", 2,
	    "missing required field \"bindable\"", "service bindable");
	rejects_text("services:\n- id: s\n  name: a\n  description: d\n"
	    "  bindable: true\n", 2, "missing required field \"plans\"",
	    "service plans");
	rejects_text("services:\n- id: s\n  name: a\n  description: d\n"
	    "  bindable: true\n  plans: []\n", 6, "at least one plan",
	    "empty plans");
	rejects_text("services:\n- id: ''\n  name: a\n  description: d\n"
	    "  bindable: true\n  plans: [{id: p, name: p, description: d}]\n",
	    2, "\"id\" must not be empty", "empty id");
	rejects_text("services:\n- id: 12345\n  name: a\n  description: d\n"
	    "  bindable: true\n  plans: [{id: p, name: p, description: d}]\n",
	    2, "\"id\" must be a string, not a number; quote it",
	    "numeric id");
	rejects_text("services:\n- id: s\n  name: a\n  description:\n"
	    "  bindable: true\n  plans: [{id: p, name: p, description: d}]\n",
	    4, "\"description\" must be a string, not null", "empty value");
	rejects_text("services:\n- id: s\n  name: my svc\n  description: d\n"
	    "  bindable: true\n  plans: [{id: p, name: p, description: d}]\n",
	    3, "may contain only letters", "name with a space");
	rejects_text("services:\n- id: s\n  name: a\n  description: d\n"
	    "  bindable: yes\n  plans: [{id: p, name: p, description: d}]\n",
	    5, "\"bindable\" must be true or false", "bindable: yes");
	rejects("  tags: [a, 1]\n", 10, "every item of \"tags\"", "tag number");
	rejects("  tags: a\n", 10, "\"tags\" must be a sequence", "tags scalar");
	rejects("  requires: [syslog_drain, syslog]\n", 10,
	    "unknown permission \"syslog\"", "requires value");
	rejects("  instances_retrievable: maybe\n", 10, "true or false",
	    "instances_retrievable");
	rejects("  bindingsRetrievable: 1\n", 10, "true or false",
	    "bindingsRetrievable");
	rejects("  allow_context_updates: \"true\"\n", 10, "true or false",
	    "allow_context_updates quoted");
	rejects("  metadata: [a]\n", 10, "\"metadata\" must be a mapping",
	    "metadata sequence");
	rejects("  dashboard_client:\n    id: x\n    redirect_uri: http://x\n",
	    11, "dashboard_client: missing required field \"secret\"",
	    "dashboard_client secret");
	rejects("  dashboard_client: x\n", 10, "dashboard_client must be a "
	    "mapping", "dashboard_client scalar");
	rejects("  plan_updateable: true\n  planUpdateable: false\n", 11,
	    "both \"plan_updateable\" and \"planUpdateable\"",
	    "both spellings of plan_updateable");
	rejects("  osbroker: 1\n", 10, "\"osbroker\" must be a mapping",
	    "service osbroker scalar");
}

static void
test_plan_rules(void)
{
	struct catalog *cat;
	char big[400], *text;

	rejects_text("services:\n- id: s\n  name: a\n  description: d\n"
	    "  bindable: true\n  plans:\n    - id: p\n      name: tiny\n", 7,
	    "plan \"tiny\": missing required field \"description\"",
	    "plan description (the message the CLI prints)");
	rejects_text("services:\n- id: s\n  name: a\n  description: d\n"
	    "  bindable: true\n  plans:\n    - name: tiny\n"
	    "      description: d\n", 7,
	    "missing required field \"id\"", "plan id");
	rejects_text("services:\n- id: s\n  name: a\n  description: d\n"
	    "  bindable: true\n  plans:\n    - [a]\n", 7,
	    "plan #1 must be a mapping", "plan not a mapping");
	rejects("    name: q\n", 10, "duplicate key \"name\" (first at line 8)",
	    "duplicate key");
	rejects("    1: x\n", 10, "key \"1\" is a number, not a string",
	    "numeric key");
	rejects("    metadata: {~: x}\n", 10, "key \"~\" is null",
	    "null key");
	rejects("    ? [a]\n    : x\n", 10, "mapping keys must be strings",
	    "sequence as key");
	rejects("    free: 1\n", 10, "\"free\" must be true or false", "free");
	rejects("    bindable: ~\n", 10, "true or false", "plan bindable null");
	rejects("    binding_rotatable: no\n", 10, "true or false",
	    "binding_rotatable: no");
	rejects("    metadata: x\n", 10, "must be a mapping", "plan metadata");
	rejects("    maximum_polling_duration: 0\n", 10, "whole number",
	    "mpd 0");
	rejects("    maximum_polling_duration: -5\n", 10, "whole number",
	    "mpd negative");
	rejects("    maximum_polling_duration: 1.5\n", 10, "whole number",
	    "mpd fraction");
	rejects("    maximum_polling_duration: \"60\"\n", 10, "whole number",
	    "mpd quoted");
	rejects("    maximum_polling_duration: 3000000000\n", 10,
	    "whole number", "mpd too large");
	rejects("    maintenance_info: {description: x}\n", 10,
	    "maintenance_info: missing required field \"version\"",
	    "maintenance_info without version");
	rejects("    maintenance_info:\n      version: 1.0\n", 11,
	    "Semantic Versioning", "version 1.0 (a number)");
	rejects("    maintenance_info:\n      version: 01.0.0\n", 11,
	    "Semantic Versioning", "version with a leading zero");
	rejects("    maintenance_info:\n      version: 1.0.0-alpha.01\n", 11,
	    "Semantic Versioning", "pre-release with a leading zero");
	rejects("    maintenance_info:\n      version: 1.0.0-\n", 11,
	    "Semantic Versioning", "empty pre-release");
	rejects("    maintenance_info:\n      version: 1.0.0+a..b\n", 11,
	    "Semantic Versioning", "empty build identifier");
	rejects("    maintenance_info:\n      version: v1.0.0\n", 11,
	    "Semantic Versioning", "v prefix");
	rejects("    maintenanceInfo:\n      version: 1.0.0\n"
	    "      description: [x]\n", 12, "\"description\" must be a string",
	    "maintenance description");
	rejects("    osbroker: [a]\n", 10, "\"osbroker\" must be a mapping",
	    "plan osbroker sequence");
	rejects("  - id: plan-2\n    name: p\n    description: d\n", 11,
	    "duplicate plan name in this service \"p\" (first at line 8)",
	    "plan names unique in a service");
	rejects("  - id: plan-1\n    name: q\n    description: d\n", 10,
	    "duplicate plan id \"plan-1\" (first at line 7)",
	    "plan ids unique");

	cat = accepts("    maintenance_info:\n"
	    "      version: 1.0.0-rc.1+build.05\n"
	    "    maximum_polling_duration: 60\n", "semver with pre and build");
	if (cat != NULL) {
		struct catalog_plan p;

		CHECK(catalog_lookup_plan(cat, "plan-1", &p) == CATALOG_FOUND &&
		    strcmp(p.maintenance_version, "1.0.0-rc.1+build.05") == 0 &&
		    p.maximum_polling_duration == 60, "version and mpd");
	}
	catalog_free(cat);

	/* Ids and names: 255 bytes pass, 256 fail. */
	memset(big, 'a', 256);
	big[255] = '\0';
	if (asprintf(&text, "- id: %s\n  name: b\n  description: d\n"
	    "  bindable: false\n  plans: [{id: p2, name: %s, description: d}]\n",
	    big, big) == -1)
		abort();
	cat = accepts(text, "255-byte id and name");
	catalog_free(cat);
	free(text);
	big[255] = 'a';
	big[256] = '\0';
	if (asprintf(&text, "- id: s2\n  name: b\n  description: d\n"
	    "  bindable: false\n  plans: [{id: %s, name: q, description: d}]\n",
	    big) == -1)
		abort();
	rejects(text, 14, "longer than 255 bytes", "256-byte plan id");
	free(text);
}

/* catalog_schema(): a plan's schema compiled at its first use, kept, and
 * NULL for a schema the plan does not declare. */
static void
test_schema_use(void)
{
	struct catalog		*cat;
	struct catalog_plan	 p;
	const struct jschema	*js, *again;
	struct jschema_report	 r;
	cJSON			*inst;
	char			 err[256];

	cat = accepts("    schemas:\n      service_instance:\n"
	    "        update:\n          parameters:\n"
	    "            $schema: http://json-schema.org/draft-07/schema#\n"
	    "            if: {required: [a]}\n"
	    "            then: {properties: {a: {maximum: 3}}}\n",
	    "a draft-07 schema with if/then");
	if (cat == NULL || catalog_lookup_plan(cat, "plan-1", &p) !=
	    CATALOG_FOUND) {
		CHECK(0, "the plan of the draft-07 schema");
		catalog_free(cat);
		return;
	}
	CHECK(catalog_schema(&p, CS_CREATE, &js, err, sizeof(err)) == 0 &&
	    js == NULL, "no create schema: NULL");
	CHECK(catalog_schema(&p, CS_UPDATE, &js, err, sizeof(err)) == 0 &&
	    js != NULL && jschema_draft(js) == 7, "the update schema, draft 7");
	CHECK(catalog_schema(&p, CS_UPDATE, &again, err, sizeof(err)) == 0 &&
	    again == js, "compiled once, then kept");
	inst = cJSON_Parse("{\"a\": 4}");
	CHECK(js != NULL && jschema_validate(js, inst, "parameters", &r) == 1 &&
	    r.count == 1 && strcmp(r.line[0], "parameters/a: 4 is greater than "
	    "the maximum 3") == 0, "it validates: %s", r.kept ? r.line[0] : "");
	cJSON_Delete(inst);
	catalog_free(cat);
}

static void
test_schemas(void)
{
	struct catalog *cat;
	char *big, *text;
	size_t i, n;

	cat = accepts("    schemas:\n"
	    "      serviceInstance:\n"
	    "        create:\n"
	    "          parameters:\n"
	    "            $schema: http://json-schema.org/draft-04/schema#\n"
	    "            definitions: {n: {type: integer}}\n"
	    "            properties: {size: {$ref: '#/definitions/n'}}\n"
	    "      service_binding:\n"
	    "        create:\n"
	    "          parameters: {type: object}\n",
	    "schemas, camelCase serviceInstance, internal $ref");
	if (cat != NULL) {
		const char *json = catalog_json(cat, NULL);

		CHECK(strstr(json, "\"service_instance\":{\"create\"") != NULL &&
		    strstr(json, "serviceInstance") == NULL,
		    "served as service_instance");
	}
	catalog_free(cat);
	rejects("    schemas: [a]\n", 10, "schemas must be a mapping",
	    "schemas sequence");
	rejects("    schemas:\n      service_binding:\n        create:\n"
	    "          parameters: [a]\n", 13, "\"parameters\" must be a "
	    "mapping", "parameters sequence");
	rejects("    schemas:\n      service_instance:\n        update:\n"
	    "          parameters:\n            $schema: 4\n", 14,
	    "\"$schema\" must be a string", "$schema number");
	rejects("    schemas:\n      service_instance:\n        create:\n"
	    "          parameters:\n            properties:\n"
	    "              a: {$ref: 'http://evil.example/s.json'}\n", 15,
	    "external \"$ref\"", "external $ref");
	rejects("    schemas:\n      service_instance:\n        create:\n"
	    "          parameters:\n            allOf:\n"
	    "              - $ref: other.json#/x\n", 15,
	    "external \"$ref\"", "relative $ref in a sequence");
	rejects("    schemas:\n      serviceInstance: {}\n"
	    "      service_instance: {}\n", 12, "both",
	    "both spellings of service_instance");
	/* Each schema is compiled at load: valid for its draft's
	 * meta-schema, and usable (docs/json-schema.md). */
	rejects("    schemas:\n      service_instance:\n        create:\n"
	    "          parameters:\n            type: 5\n", 14,
	    "is not a usable JSON Schema: type", "a schema its meta-schema "
	    "refuses");
	rejects("    schemas:\n      service_instance:\n        create:\n"
	    "          parameters:\n            $schema: "
	    "http://json-schema.org/draft-07/schema#\n"
	    "            properties: {a: {pattern: '(?=x)y'}}\n", 14,
	    "is not a usable JSON Schema", "a pattern POSIX regex cannot run");
	rejects("    schemas:\n      service_instance:\n        create:\n"
	    "          parameters:\n            definitions: {a: {$ref: "
	    "'#/definitions/a'}}\n            $ref: '#/definitions/a'\n", 14,
	    "is not a usable JSON Schema", "a $ref cycle");
	rejects("    schemas:\n      service_instance:\n        create:\n"
	    "          parameters:\n            $schema: "
	    "http://json-schema.org/draft-07/schema#\n"
	    "            exclusiveMinimum: true\n", 14,
	    "is not a usable JSON Schema", "a draft-04 keyword form under "
	    "draft-07");

	/* A schema just over 64 kB once rendered. */
	n = 7000;
	if ((big = malloc(n * 16 + 64)) == NULL)
		abort();
	strcpy(big, "{");
	for (i = 0; i < n; i++)
		sprintf(big + strlen(big), "%sp%05zu: 1", i ? ", " : "", i);
	strcat(big, "}");
	if (asprintf(&text, "    schemas:\n      service_instance:\n"
	    "        create:\n          parameters: %s\n", big) == -1)
		abort();
	rejects(text, 13, "at most 65536", "schema over 64 kB");
	free(text);
	free(big);
	test_schema_use();
}

static void
test_uniqueness(void)
{
	struct catalog *cat;

	rejects("- id: svc-1\n  name: other\n  description: d\n"
	    "  bindable: true\n  plans: [{id: plan-2, name: p, description: d}]\n",
	    10, "duplicate service id \"svc-1\"", "service ids unique");
	rejects("- id: svc-2\n  name: svc\n  description: d\n"
	    "  bindable: true\n  plans: [{id: plan-2, name: p, description: d}]\n",
	    11, "duplicate service name \"svc\" (first at line 3)",
	    "service names unique");
	rejects("- id: svc-2\n  name: other\n  description: d\n"
	    "  bindable: true\n  plans: [{id: plan-1, name: p, description: d}]\n",
	    14, "duplicate plan id \"plan-1\"", "plan ids unique across services");
	cat = accepts("- id: svc-2\n  name: other\n  description: d\n"
	    "  bindable: true\n  plans: [{id: plan-2, name: p, description: d}]\n",
	    "same plan name in two services");
	catalog_free(cat);
}

static void
test_yaml_features(void)
{
	char *text;
	size_t n;

	rejects_text("services: &s []\nx: *s\n", 2, "aliases are not supported",
	    "alias");
	rejects_text("a: &a [x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "services: []\n", 2, "aliases are not supported", "alias bomb");
	rejects_text(BASE "---\n" BASE, 10, "more than one YAML document",
	    "second document");
	rejects("    x: !!str 12\n", 10, "tags", "explicit tag");
	rejects("    x: \"a\\0b\"\n", 10, "NUL", "NUL in a string");
	rejects("    metadata: {x: .inf}\n", 10, "cannot be represented",
	    "infinity");
	rejects("    metadata: {x: 1e999}\n", 10, "cannot be represented",
	    "overflowing number");
	rejects_text("services: []\nx: \"\xff\xfe\"\n", 2, "",
	    "invalid UTF-8");

	/* A million '[' must fail at level 65, not exhaust the stack. */
	n = 1000000;
	if ((text = malloc(n + 32)) == NULL)
		abort();
	strcpy(text, "services: []\nx: ");
	memset(text + 16, '[', n);
	text[16 + n] = '\0';
	rejects_text(text, 2, "nested deeper than 64", "a million '['");
	free(text);

	/* Size limit. */
	n = 4 * 1024 * 1024 + 1;
	if ((text = malloc(n + 1)) == NULL)
		abort();
	memset(text, ' ', n);
	text[n] = '\0';
	memcpy(text, "services: []\n#", 14);
	rejects_text(text, 0, "larger than", "over 4 MiB");
	free(text);
}

static void
test_depth_limit(void)
{
	struct catalog *cat = NULL;
	char text[256];
	size_t i;
	int rc;

	/* The root mapping is level 1: 63 more sequences make 64. */
	strcpy(text, "services: []\nx: ");
	for (i = 0; i < 63; i++)
		strcat(text, "[");
	for (i = 0; i < 63; i++)
		strcat(text, "]");
	strcat(text, "\n");
	rc = load_text(text, &cat, NULL);	/* CHECK evaluates twice */
	CHECK(rc == 0, "64 levels of nesting load");
	catalog_free(cat);
	cat = NULL;
	strcpy(text, "services: []\nx: ");
	for (i = 0; i < 64; i++)
		strcat(text, "[");
	for (i = 0; i < 64; i++)
		strcat(text, "]");
	strcat(text, "\n");
	rejects_text(text, 2, "nested deeper than 64", "65 levels refused");
}

static void
test_typing(void)
{
	struct catalog *cat;
	struct catalog_plan p;
	const cJSON *m;

	cat = accepts("    metadata:\n"
	    "      guid: 0c8e3f57-1b2a-4d6e-b7a9-5c1d2e3f4a5b\n"
	    "      hex8: 5f2c9a64\n"
	    "      digits: 12345678\n"
	    "      quoted: \"12345678\"\n"
	    "      float: 1.5\n"
	    "      exp: 1e3\n"
	    "      hex: 0x1F\n"
	    "      oct: 0o17\n"
	    "      neg: -12\n"
	    "      t: True\n"
	    "      f: FALSE\n"
	    "      yes: yes\n"
	    "      tquoted: 'true'\n"
	    "      tilde: ~\n"
	    "      nul: null\n"
	    "      empty:\n"
	    "      ver: 1.0.0\n"
	    "      dot: .5\n"
	    "      word: .inform\n",
	    "typing sample");
	if (cat == NULL)
		return;
	CHECK(catalog_lookup(cat, "svc-1", "plan-1", &p) == CATALOG_FOUND,
	    "typing: lookup");
	m = get(p.plan, "metadata");
	CHECK_STR(cJSON_GetStringValue(get(m, "guid")),
	    "0c8e3f57-1b2a-4d6e-b7a9-5c1d2e3f4a5b", "guid stays a string");
	CHECK_STR(cJSON_GetStringValue(get(m, "hex8")), "5f2c9a64",
	    "5f2c9a64 stays a string");
	CHECK(cJSON_IsNumber(get(m, "digits")) &&
	    get(m, "digits")->valuedouble == 12345678, "digits: number");
	CHECK_STR(cJSON_GetStringValue(get(m, "quoted")), "12345678",
	    "quoted digits: string");
	CHECK(get(m, "float")->valuedouble == 1.5, "float");
	CHECK(get(m, "exp")->valuedouble == 1000, "exponent");
	CHECK(get(m, "hex")->valuedouble == 31, "0x1F");
	CHECK(get(m, "oct")->valuedouble == 15, "0o17");
	CHECK(get(m, "neg")->valuedouble == -12, "negative");
	CHECK(cJSON_IsTrue(get(m, "t")), "True");
	CHECK(cJSON_IsFalse(get(m, "f")), "FALSE");
	CHECK_STR(cJSON_GetStringValue(get(m, "yes")), "yes", "yes: string");
	CHECK_STR(cJSON_GetStringValue(get(m, "tquoted")), "true",
	    "'true': string");
	CHECK(cJSON_IsNull(get(m, "tilde")) && cJSON_IsNull(get(m, "nul")) &&
	    cJSON_IsNull(get(m, "empty")), "~, null, empty: null");
	CHECK_STR(cJSON_GetStringValue(get(m, "ver")), "1.0.0",
	    "1.0.0: string");
	CHECK(get(m, "dot")->valuedouble == 0.5, ".5");
	CHECK_STR(cJSON_GetStringValue(get(m, "word")), ".inform",
	    ".inform: string");
	catalog_free(cat);
}

#define TWO_SERVICES BASE \
	"    bindable: false\n"			/* 10 */ \
	"    planUpdateable: true\n"		/* 11 */ \
	"    osbroker: {poll_interval: 3}\n"		/* 12 */ \
	"  osbroker:\n"				/* 13 */ \
	"    hook_timeout: 9\n"			/* 14 */ \
	"  x-vendor: {keep: me}\n"		/* 15 */ \
	"  dashboardClient:\n"			/* 16 */ \
	"    id: dash\n"			/* 17 */ \
	"    secret: s3cret\n"			/* 18 */ \
	"    redirectUri: https://dash.example.org\n" \
	"- id: svc-2\n" \
	"  name: other\n" \
	"  description: d\n" \
	"  bindable: true\n" \
	"  plan_updateable: true\n" \
	"  plans:\n" \
	"  - id: plan-2\n" \
	"    name: p\n" \
	"    description: d\n" \
	"    plan_updateable: false\n"

static void
test_lookup_and_broker(void)
{
	struct catalog_error err;
	struct catalog *cat = NULL;
	struct catalog_plan p;
	const char *json;

	if (load_text(TWO_SERVICES, &cat, &err) != 0) {
		CHECK(0, "two services load");
		printf("#   %d:%d: %s\n", err.line, err.column, err.message);
		return;
	}
	json = catalog_json(cat, NULL);
	CHECK(strstr(json, "osbroker") == NULL, "osbroker stripped");
	CHECK(strstr(json, "\"x-vendor\":{\"keep\":\"me\"}") != NULL,
	    "vendor extension kept");
	CHECK(strstr(json, "\"dashboard_client\":{\"id\":\"dash\","
	    "\"secret\":\"s3cret\",\"redirect_uri\":") != NULL,
	    "dashboardClient normalised");
	CHECK(catalog_lookup(cat, "svc-1", "plan-1", &p) == CATALOG_FOUND,
	    "found");
	CHECK(!p.bindable && p.plan_updateable, "plan overrides service");
	CHECK(p.service_broker != NULL &&
	    get(p.service_broker, "hook_timeout")->valuedouble == 9,
	    "service osbroker kept");
	CHECK(p.plan_broker != NULL &&
	    get(p.plan_broker, "poll_interval")->valuedouble == 3,
	    "plan osbroker kept");
	CHECK(p.cfg != NULL && p.cfg->poll_interval == 3 &&
	    p.cfg->hook_timeout == 9, "settings merged: plan over service");
	CHECK(get(p.plan, "osbroker") == NULL &&
	    get(p.service, "osbroker") == NULL, "not in served objects");
	CHECK(catalog_lookup(cat, "svc-2", "plan-2", &p) == CATALOG_FOUND &&
	    p.bindable && !p.plan_updateable && p.service_broker == NULL,
	    "second service, plan_updateable overridden to false");
	CHECK(catalog_lookup(cat, "nope", "plan-1", &p) == CATALOG_NO_SERVICE,
	    "unknown service");
	CHECK(catalog_lookup(cat, "svc-2", "plan-1", &p) == CATALOG_NO_PLAN,
	    "plan of another service");
	CHECK(catalog_lookup(cat, "svc-1", "nope", &p) == CATALOG_NO_PLAN,
	    "unknown plan");
	CHECK(catalog_lookup_plan(cat, "plan-2", &p) == CATALOG_FOUND &&
	    strcmp(p.service_id, "svc-2") == 0, "lookup_plan");
	CHECK(catalog_lookup_plan(cat, "nope", &p) == CATALOG_NO_PLAN,
	    "lookup_plan unknown");
	catalog_free(cat);
}

static void
test_etag(void)
{
	struct catalog *a = NULL, *b = NULL, *c = NULL;
	const char *e;

	if (load_text(BASE, &a, NULL) != 0 || load_text(BASE, &b, NULL) != 0 ||
	    load_text(BASE "    free: false\n", &c, NULL) != 0) {
		CHECK(0, "etag: catalogs load");
		goto out;
	}
	e = catalog_etag(a);
	CHECK(strlen(e) == 18 && e[0] == '"' && e[17] == '"',
	    "etag is a quoted 16-digit hex");
	CHECK_STR(catalog_etag(b), e, "etag stable for the same text");
	CHECK(strcmp(catalog_etag(c), e) != 0, "etag differs for other text");
	CHECK(catalog_mtime(a) == 0, "buffers have no mtime");
out:
	catalog_free(a);
	catalog_free(b);
	catalog_free(c);
}

static void
test_files(void)
{
	struct catalog_error err;
	struct catalog *cat = NULL;
	int rc;

	rc = catalog_load("/nonexistent/catalog.yml", &cat, &err);
	CHECK(rc == -1 && cat == NULL && err.line == 0 &&
	    strcmp(err.file, "/nonexistent/catalog.yml") == 0 &&
	    strstr(err.message, "cannot open") != NULL, "missing file");
	rc = catalog_load("/", &cat, &err);
	CHECK(rc == -1 && strstr(err.message, "not a regular file") != NULL,
	    "directory");
	rc = catalog_load("/nonexistent", &cat, NULL);
	CHECK(rc == -1, "err may be NULL");
}

/* Cheap fuzzing: every prefix and random byte edits of a real catalog must
 * load or fail cleanly (the point is ASan/valgrind, not the verdict). */
static void
test_mutations(void)
{
	static const char bytes[] = "-:[]{}#&*!|>'\"%@`,? \n\t\\0aZ~.";
	struct catalog *cat;
	char *text;
	size_t len, i, j, pos;
	uint32_t seed = 12345;
	int loaded = 0;

	len = strlen(TWO_SERVICES);
	if ((text = malloc(len + 1)) == NULL)
		abort();
	for (i = 0; i <= len; i += 3) {
		cat = NULL;
		if (catalog_load_buffer("t", TWO_SERVICES, i, &cat, NULL) == 0)
			loaded++;
		catalog_free(cat);
	}
	for (i = 0; i < 3000; i++) {
		memcpy(text, TWO_SERVICES, len + 1);
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245 + 12345;
			pos = (seed >> 8) % len;
			seed = seed * 1103515245 + 12345;
			text[pos] = bytes[(seed >> 8) % (sizeof(bytes) - 1)];
		}
		cat = NULL;
		if (catalog_load_buffer("t", text, len, &cat, NULL) == 0 &&
		    catalog_json(cat, NULL) != NULL)
			loaded++;
		catalog_free(cat);
	}
	free(text);
	CHECK(loaded > 0, "mutations: no crash (%d loaded)", loaded);
}

/* ---- Platform checks: warnings, the catalog still loads. ---- */

/* Loads text; must succeed with a warning at line containing needle (and
 * no other warning when alone is set). */
static void
warns_text(const char *text, int line, const char *needle, int alone,
    const char *what)
{
	const struct catalog_error *w = NULL;
	struct catalog_error err;
	struct catalog *cat = NULL;
	size_t n = 0, total = 0, i;
	int rc, found = 0;

	rc = load_text(text, &cat, &err);
	if (rc == 0)
		w = catalog_warnings(cat, &n, &total);
	for (i = 0; i < n; i++)
		if (w[i].line == line && w[i].column > 0 &&
		    strstr(w[i].message, needle) != NULL &&
		    strcmp(w[i].file, "t.yml") == 0)
			found = 1;
	CHECK(rc == 0 && found && (!alone || total == 1), "warns: %s", what);
	if (rc != 0)
		printf("#   refused: %s:%d:%d: %s\n", err.file, err.line,
		    err.column, err.message);
	for (i = 0; (rc != 0 || !found || (alone && total != 1)) && i < n; i++)
		printf("#   got %s:%d:%d: %s\n", w[i].file, w[i].line,
		    w[i].column, w[i].message);
	catalog_free(cat);
}

static void
warns(const char *extra, int line, const char *needle, const char *what)
{
	char *text = based(extra);

	warns_text(text, line, needle, 1, what);
	free(text);
}

/* Loads text; must succeed without a warning. */
static void
quiet_text(const char *text, const char *what)
{
	struct catalog_error err;
	struct catalog *cat = NULL;
	size_t n = 1, total = 1;
	int rc;

	if ((rc = load_text(text, &cat, &err)) == 0)
		(void)catalog_warnings(cat, &n, &total);
	CHECK(rc == 0 && n == 0 && total == 0, "no warning: %s", what);
	if (rc != 0)
		printf("#   refused: %s:%d:%d: %s\n", err.file, err.line,
		    err.column, err.message);
	catalog_free(cat);
}

static void
quiet(const char *extra, const char *what)
{
	char *text = based(extra);

	quiet_text(text, what);
	free(text);
}

static char *
xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* asprintf(3) that cannot fail: the text, to be freed. */
static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc == -1)
		abort();
	return s;
}

/* warns() with extra made from fmt and one string. */
static void
warns_with(const char *fmt, const char *arg, int line, const char *needle,
    const char *what)
{
	char *extra = xasprintf(fmt, arg);

	warns(extra, line, needle, what);
	free(extra);
}

static char *
repeat(int ch, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

static void
test_platform_lengths(void)
{
	char *s63 = repeat('a', 63), *s64 = repeat('a', 64), *text;

	quiet("", "BASE");
	text = xasprintf("services:\n- id: %s\n  name: %s\n"
	    "  description: d\n  bindable: true\n  plans:\n  - id: %s\n"
	    "    name: %s\n    description: d\n", s63, s63, s63, s63);
	quiet_text(text, "63-byte ids and names");
	free(text);
	text = xasprintf("%s  - id: %s\n    name: q\n    description: d\n",
	    BASE, s64);
	warns_text(text, 10, "plan \"q\": \"id\" is 64 bytes; the Kubernetes "
	    "service catalog refuses more than 63", 1, "plan id of 64 bytes");
	free(text);
	text = xasprintf("%s  - id: plan-2\n    name: %s\n"
	    "    description: d\n", BASE, s64);
	warns_text(text, 11, "\"name\" is 64 bytes", 1, "plan name of 64 bytes");
	free(text);
	text = xasprintf("services:\n- id: %s\n  name: %s\n"
	    "  description: d\n  bindable: true\n  plans:\n  - id: p\n"
	    "    name: p\n    description: d\n", s64, s64);
	warns_text(text, 2, "service \"aaaa", 0, "service id of 64 bytes");
	warns_text(text, 3, "\"name\" is 64 bytes", 0,
	    "service name of 64 bytes");
	free(text);
	free(s63);
	free(s64);
}

static void
test_platform_strings(void)
{
	char *d = repeat('x', 10001), *t = repeat('t', 2049), *text;

	/* blank: Cloud Foundry's is_blank_str? */
	warns("  - id: \" \\t\"\n    name: q\n    description: d\n", 10,
	    "plan \"q\": \"id\" is only white space", "blank plan id");
	warns("  - id: plan-2\n    name: q\n    description: \"  \"\n", 12,
	    "\"description\" is only white space", "blank plan description");
	warns_with("  - id: plan-2\n    name: q\n    description: %s\n", d, 12,
	    "longer than 10000 characters", "description of 10001 characters");
	/* characters, not bytes: 5000 two-byte characters are fine */
	text = malloc(64 + 10000);
	if (text == NULL)
		abort();
	strcpy(text, "  - id: plan-2\n    name: q\n    description: ");
	for (size_t i = 0; i < 5000; i++)
		strcat(text, "\xc3\xa9");
	strcat(text, "\n");
	quiet(text, "10000 bytes of 5000 characters");
	free(text);
	warns_with("  tags: [%s]\n", t, 10, "\"tags\" are 2049 characters "
	    "together", "tags over 2048 characters");
	t[2048 - 3] = '\0';
	text = xasprintf("  tags: [%s, abc]\n", t);
	quiet(text, "tags of 2048 characters");
	free(text);
	free(d);
	free(t);
	warns("  metadata: {shareable: \"yes\"}\n", 10, "metadata \"shareable\"",
	    "metadata.shareable not a boolean");
	quiet("  metadata: {shareable: true, displayName: x}\n",
	    "metadata.shareable a boolean");
}

static void
test_platform_dashboard(void)
{
	quiet("  dashboard_client: {id: c, secret: s, redirect_uri: "
	    "\"https://x\"}\n", "a complete dashboard_client");
	warns("  dashboard_client: {id: c, secret: s}\n", 10,
	    "dashboard_client has no \"redirect_uri\"",
	    "dashboard_client without redirect_uri");
	warns("  dashboardClient: {id: c, secret: \" \", redirectUri: u}\n", 10,
	    "dashboard_client \"secret\" is blank", "blank secret (camelCase)");
	warns_text(BASE "  dashboard_client: {id: c, secret: s, "
	    "redirect_uri: u}\n"
	    "- id: svc-2\n  name: svc2\n  description: d\n  bindable: true\n"
	    "  dashboard_client:\n    id: c\n    secret: s\n"
	    "    redirect_uri: u\n"
	    "  plans:\n  - id: plan-2\n    name: p\n    description: d\n",
	    16, "dashboard_client id \"c\" is also the one at line 10", 1,
	    "dashboard_client ids unique across services");
}

static void
test_platform_plans(void)
{
	char *big = repeat('m', 2000), *text;
	int i;

	warns("  - id: plan-2\n    name: P\n    description: d\n", 11,
	    "plan names \"P\" and \"p\" (line 8) differ only in case",
	    "plan names differing in case");
	quiet_text("services:\n- id: a\n  name: a\n  description: d\n"
	    "  bindable: true\n  plans:\n  - id: a1\n    name: p\n"
	    "    description: d\n"
	    "- id: b\n  name: b\n  description: d\n  bindable: true\n"
	    "  plans:\n  - id: b1\n    name: P\n    description: d\n",
	    "plan names differing in case in two services");
	warns("    maintenance_info: {version: 1.0.0, notes: x}\n", 10,
	    "maintenance_info key \"notes\"", "maintenance_info extra key");
	warns_with("    maintenance_info: {version: 1.0.0, description: %s}\n",
	    big, 10, "maintenance_info is longer than 2000 characters",
	    "maintenance_info over 2000 characters as JSON");
	free(big);
	warns("    schemas:\n      service_binding:\n        create:\n"
	    "          parameters:\n            type: object\n", 14,
	    "schema service_binding.create.parameters has no \"$schema\"",
	    "schema without $schema");
	quiet("    schemas:\n      service_instance:\n        create:\n"
	    "          parameters:\n            $schema: \"http://json-schema."
	    "org/draft-04/schema#\"\n", "schema with $schema");
	warns("    maximum_polling_duration: 119\n", 10,
	    "maximum_polling_duration 119 is under 120", "polling 119 s");
	warns("    maximumPollingDuration: 60\n", 10,
	    "maximum_polling_duration 60", "polling 60 s, camelCase");
	quiet("    maximum_polling_duration: 120\n", "polling 120 s");
	warns_text("services: []\n", 1, "no services", 1, "no services");
	/* kept up to the bound, all counted */
	text = strdup("services:\n- id: s\n  name: s\n  description: d\n"
	    "  bindable: true\n  plans:\n");
	for (i = 0; text != NULL && i < OSB_MAX_CATALOG_WARNINGS + 5; i++) {
		char *more;

		more = xasprintf("%s  - {id: p%d, name: p%d, description: d,"
		    " maximum_polling_duration: 1}\n", text, i, i);
		free(text);
		text = more;
	}
	if (text != NULL) {
		struct catalog *cat = NULL;
		struct catalog_error err;
		size_t n = 0, total = 0;

		if (load_text(text, &cat, &err) == 0)
			(void)catalog_warnings(cat, &n, &total);
		CHECK(cat != NULL && n == OSB_MAX_CATALOG_WARNINGS &&
		    total == OSB_MAX_CATALOG_WARNINGS + 5,
		    "warnings: %d kept, all counted", OSB_MAX_CATALOG_WARNINGS);
		catalog_free(cat);
	}
	free(text);
}

/* What the project ships passes --strict: no warnings. */
static void
test_shipped_catalogs_quiet(void)
{
	static const char *const files[] = { "catalog.yml",
	    "examples/postgresql/catalog.yml", NULL };
	struct catalog_error err;
	struct catalog *cat;
	size_t i, n, total;

	for (i = 0; files[i] != NULL; i++) {
		n = total = 1;
		if (catalog_load(files[i], &cat, &err) == 0)
			(void)catalog_warnings(cat, &n, &total);
		CHECK(cat != NULL && total == 0, "%s: no platform warnings",
		    files[i]);
		catalog_free(cat);
	}
}

static long oom_budget = -1;	/* allocations left; -1 is unlimited */

static void *
oom_malloc(size_t n)
{
	if (oom_budget == 0)
		return NULL;
	if (oom_budget > 0)
		oom_budget--;
	return malloc(n);
}

/* Fail cJSON's n-th allocation for every n: each error path must clean up. */
static void
test_out_of_memory(void)
{
	cJSON_Hooks hooks = { oom_malloc, free };
	struct catalog_error err;
	struct catalog *cat;
	long n;
	int rc, bad = 0, failed = 0;

	cJSON_InitHooks(&hooks);
	for (n = 0; n < 100000; n++) {
		oom_budget = n;
		cat = NULL;
		rc = load_text(TWO_SERVICES, &cat, &err);
		catalog_free(cat);
		if (rc == 0)
			break;
		failed++;
		if (strcmp(err.message, "out of memory") != 0) {
			bad++;
			printf("#   budget %ld: %s\n", n, err.message);
		}
	}
	oom_budget = -1;
	cJSON_InitHooks(NULL);
	CHECK(rc == 0 && failed > 0 && bad == 0,
	    "allocation failures reported cleanly (%d tried)", failed);
}

int
main(void)
{
	test_default_catalog();
	test_seed_fixture();
	test_structure();
	test_service_rules();
	test_plan_rules();
	test_schemas();
	test_uniqueness();
	test_yaml_features();
	test_depth_limit();
	test_typing();
	test_lookup_and_broker();
	test_etag();
	test_files();
	test_mutations();
	test_platform_lengths();
	test_platform_strings();
	test_platform_dashboard();
	test_platform_plans();
	test_shipped_catalogs_quiet();
	test_out_of_memory();
	return tap_done();
}
