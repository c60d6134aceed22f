/* SPDX-License-Identifier: ISC */
/*
 * fuzz_catalog: catalog.yml through catalog_load_buffer() (src/catload.c,
 * with plancfg.c and template.c behind it), then everything a loaded
 * catalog offers: the served JSON, its ETag, lookups, the plans' broker
 * settings, and their credential templates expanded (template.c).
 *
 * The input is the file's bytes.  Its name is "catalog.yml" in a temporary
 * directory holding the hook programs the repository's catalogs name
 * (hooks/behave, hooks/provision, ..., examples/demo/delay-hook: empty
 * executables, never run), so that those catalogs load as they do in use.
 *
 * Properties of an accepted catalog: catalog_json() is UTF-8 JSON
 * {"services": [...]} that prints back to the same text (it round-trips);
 * no service or plan serves an "osbroker" key; ids and names are
 * non-empty, at most 255 bytes, names CLI-friendly, ids and names unique
 * as the spec asks; every served plan is found by catalog_lookup() and
 * catalog_lookup_plan() with the flags the spec's override rules give; the
 * ETag is the quoted FNV-1a of the JSON; its compiled form
 * (catalog_compile(), the state directory's catalog.cache) loads back to
 * a catalog that serves the same bytes and passes the same checks.
 * Refused: a message, and no catalog.
 */
#include <inttypes.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "catcache.h"
#include "fuzz.h"
#include "plancfg.h"
#include "template.h"
#include "util.h"

static char name[4200];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const hooks[] = { "hooks/behave", "hooks/provision",
	    "hooks/update", "hooks/deprovision", "hooks/bind", "hooks/unbind",
	    "examples/demo/delay-hook", NULL };
	int i;

	(void)argc;
	(void)argv;
	fuzz_tmp_make("hooks", NULL, 0755);
	fuzz_tmp_make("examples", NULL, 0755);
	fuzz_tmp_make("examples/demo", NULL, 0755);
	for (i = 0; hooks[i] != NULL; i++)
		fuzz_tmp_make(hooks[i], "#!/bin/sh\nexit 0\n", 0755);
	snprintf(name, sizeof(name), "%s/catalog.yml", fuzz_tmpdir());
	return 0;
}

static const char *
str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int
flag(const cJSON *o, const char *key, int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

static void
check_id(const char *s, int cli, const char *what)
{
	size_t n;

	FUZZ_CHECK(s != NULL && (n = strlen(s)) > 0 && n <= 255,
	    "%s \"%s\"", what, s ? s : "(none)");
	for (; cli && *s != '\0'; s++)
		FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789.-_", *s) != NULL, "%s has byte 0x%02x", what,
		    (unsigned char)*s);
}

/* Expand a plan's templates as a bind would, with secrets of the declared
 * sizes (fixed text, so runs are deterministic) and fixed parameters. */
static void
expand(const struct catalog_plan *p)
{
	const struct plancfg	*cfg = p->cfg;
	const cJSON		*kv, *tmpl[2] = { cfg->credentials,
				    cfg->endpoints };
	cJSON			*secrets, *params, *out, *gen;
	struct tvars		 v;
	char			 err[512], buf[2 * PLANCFG_MAX_SECRET_BYTES + 1];
	int			 i, k, n;

	secrets = cJSON_CreateObject();
	cJSON_ArrayForEach(kv, cfg->secrets) {
		n = (int)kv->valuedouble;
		FUZZ_CHECK(n >= 1 && n <= PLANCFG_MAX_SECRET_BYTES,
		    "secret of %d bytes accepted", n);
		memset(buf, 'a', (size_t)n * 2);
		buf[n * 2] = '\0';
		cJSON_AddStringToObject(secrets, kv->string, buf);
	}
	/* template_secrets() itself: random, but always of those sizes. */
	if (cfg->secrets != NULL) {
		gen = template_secrets(cfg->secrets);
		FUZZ_CHECK(gen != NULL, "template_secrets failed");
		cJSON_ArrayForEach(kv, gen)
			FUZZ_CHECK(cJSON_IsString(kv) &&
			    strlen(kv->valuestring) == 2 * (size_t)cJSON_GetNumberValue(
			    cJSON_GetObjectItemCaseSensitive(cfg->secrets,
			    kv->string)), "secret %s", kv->string);
		cJSON_Delete(gen);
	}
	params = cJSON_Parse("{\"flavour\": \"x\", \"size\": 2, \"on\": true, "
	    "\"none\": null, \"obj\": {}}");
	memset(&v, 0, sizeof(v));
	v.instance_id = "inst-1";
	v.binding_id = "bind-1";
	v.service_id = p->service_id;
	v.plan_id = p->plan_id;
	v.service_name = p->service_name;
	v.plan_name = p->plan_name;
	v.secrets = secrets;
	v.settings = cfg->settings;
	for (i = 0; i < 2; i++) {
		if (tmpl[i] == NULL)
			continue;
		for (k = 0; k < 2; k++) {
			v.params = k ? params : NULL;
			v.instance_params = k ? NULL : params;
			err[0] = '\0';
			out = template_expand(tmpl[i], &v, err, sizeof(err));
			if (out == NULL) {
				FUZZ_CHECK(err[0] != '\0', "expansion failed "
				    "without a reason");
				continue;
			}
			FUZZ_CHECK(i == 0 ? cJSON_IsObject(out) :
			    cJSON_IsArray(out), "template %d expanded to "
			    "type %d", i, out->type);
			cJSON_Delete(out);
		}
	}
	cJSON_Delete(params);
	cJSON_Delete(secrets);
}

static void
check_plan(const struct catalog *cat, const cJSON *svc, const cJSON *plan)
{
	struct catalog_plan	 p, q;
	const cJSON		*mi = cJSON_GetObjectItemCaseSensitive(plan,
				    "maintenance_info");
	const cJSON		*mpd = cJSON_GetObjectItemCaseSensitive(plan,
				    "maximum_polling_duration");

	FUZZ_CHECK(cJSON_IsObject(plan), "a plan is not an object");
	FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(plan, "osbroker") == NULL,
	    "a plan serves its broker settings");
	check_id(str(plan, "id"), 0, "plan id");
	check_id(str(plan, "name"), 1, "plan name");
	FUZZ_CHECK(str(plan, "description") != NULL &&
	    *str(plan, "description") != '\0', "plan description");
	FUZZ_CHECK(catalog_lookup(cat, str(svc, "id"), str(plan, "id"), &p) ==
	    CATALOG_FOUND, "plan %s not found", str(plan, "id"));
	FUZZ_CHECK(catalog_lookup_plan(cat, str(plan, "id"), &q) ==
	    CATALOG_FOUND && q.plan == p.plan, "plan %s by id alone",
	    str(plan, "id"));
	FUZZ_CHECK(cJSON_Compare(p.plan, plan, 1) &&
	    cJSON_Compare(p.service, svc, 1), "lookup found another plan");
	FUZZ_CHECK(strcmp(p.plan_id, str(plan, "id")) == 0 &&
	    strcmp(p.plan_name, str(plan, "name")) == 0 &&
	    strcmp(p.service_id, str(svc, "id")) == 0 &&
	    strcmp(p.service_name, str(svc, "name")) == 0, "plan names");
	FUZZ_CHECK(p.bindable == flag(plan, "bindable", flag(svc, "bindable",
	    0)), "bindable override");
	FUZZ_CHECK(p.plan_updateable == flag(plan, "plan_updateable",
	    flag(svc, "plan_updateable", 0)), "plan_updateable override");
	FUZZ_CHECK(p.instances_retrievable == flag(svc,
	    "instances_retrievable", 0) && p.bindings_retrievable ==
	    flag(svc, "bindings_retrievable", 0) && p.allow_context_updates ==
	    flag(svc, "allow_context_updates", 0) && p.binding_rotatable ==
	    flag(plan, "binding_rotatable", 0), "flags");
	FUZZ_CHECK(mi == NULL ? p.maintenance_version == NULL :
	    p.maintenance_version != NULL &&
	    strcmp(p.maintenance_version, str(mi, "version")) == 0,
	    "maintenance_info.version");
	FUZZ_CHECK(mpd == NULL ? p.maximum_polling_duration == 0 :
	    cJSON_IsNumber(mpd) && mpd->valuedouble >= 1 &&
	    mpd->valuedouble <= 2147483647.0 &&
	    (double)p.maximum_polling_duration == mpd->valuedouble,
	    "maximum_polling_duration");
	FUZZ_CHECK(p.cfg != NULL, "plan without checked settings");
	expand(&p);
}

static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

/* No two of the strings at key in items (one group) are equal. */
static void
unique(const cJSON *const *items, int n, const char *key, const char *what)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			FUZZ_CHECK(strcmp(str(items[i], key),
			    str(items[j], key)) != 0, "duplicate %s \"%s\"",
			    what, str(items[i], key));
}

static void
check_catalog(const struct catalog *cat)
{
	const cJSON	*svcs, *svc, *plans, *plan;
	const cJSON	*all_svcs[64], *all_plans[256], *own[64];
	cJSON		*doc;
	const char	*json;
	char		*again, etag[32];
	size_t		 len;
	int		 ns = 0, np = 0, no;

	json = catalog_json(cat, &len);
	FUZZ_CHECK(json != NULL && strlen(json) == len, "catalog_json length");
	FUZZ_CHECK(util_utf8_valid(json, len), "the served catalog is not UTF-8");
	doc = cJSON_ParseWithLength(json, len);
	FUZZ_CHECK(cJSON_IsObject(doc), "the served catalog does not parse "
	    "as a JSON object");
	again = cJSON_PrintUnformatted(doc);
	FUZZ_CHECK(again != NULL && strcmp(again, json) == 0,
	    "the served catalog does not round-trip:\n%s\n%s", json,
	    again ? again : "(null)");
	free(again);
	snprintf(etag, sizeof(etag), "\"%016" PRIx64 "\"", fnv1a(json, len));
	FUZZ_CHECK(strcmp(catalog_etag(cat), etag) == 0, "ETag %s, want %s",
	    catalog_etag(cat), etag);
	FUZZ_CHECK(catalog_mtime(cat) == 0, "a buffer with an mtime");
	FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(doc, "osbroker") == NULL,
	    "top-level broker settings served");

	svcs = cJSON_GetObjectItemCaseSensitive(doc, "services");
	FUZZ_CHECK(cJSON_IsArray(svcs), "services is not an array");
	cJSON_ArrayForEach(svc, svcs) {
		FUZZ_CHECK(cJSON_IsObject(svc), "a service is not an object");
		FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(svc, "osbroker") ==
		    NULL, "a service serves its broker settings");
		check_id(str(svc, "id"), 0, "service id");
		check_id(str(svc, "name"), 1, "service name");
		FUZZ_CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(svc,
		    "bindable")), "service without bindable");
		plans = cJSON_GetObjectItemCaseSensitive(svc, "plans");
		FUZZ_CHECK(cJSON_IsArray(plans) && cJSON_GetArraySize(plans) > 0,
		    "service without plans");
		if (ns < 64)
			all_svcs[ns++] = svc;
		no = 0;
		cJSON_ArrayForEach(plan, plans) {
			check_plan(cat, svc, plan);
			if (np < 256)
				all_plans[np++] = plan;
			if (no < 64)
				own[no++] = plan;
		}
		unique(own, no, "name", "plan name in a service");
	}
	unique(all_svcs, ns, "id", "service id");
	unique(all_svcs, ns, "name", "service name");
	unique(all_plans, np, "id", "plan id");
	FUZZ_CHECK(catalog_lookup(cat, NULL, "x", NULL) == CATALOG_NO_SERVICE &&
	    catalog_lookup_plan(cat, NULL, NULL) == CATALOG_NO_PLAN,
	    "lookups of nothing");
	cJSON_Delete(doc);
}

/* The compiled form (catcache.h) loads back to the same catalog: the same
 * served bytes and ETag, and it passes the same checks. */
static void
compiled_same(const struct catalog *cat)
{
	struct catalog		*back = NULL;
	struct catalog_error	 err;
	char			*text = catalog_compile(cat);

	FUZZ_CHECK(text != NULL, "catalog_compile failed");
	FUZZ_CHECK(catalog_load_compiled(name, text, strlen(text), &back,
	    &err) == 0, "the compiled catalog is refused: %s", err.message);
	FUZZ_CHECK(strcmp(catalog_json(back, NULL), catalog_json(cat, NULL)) ==
	    0, "the compiled catalog serves other bytes");
	FUZZ_CHECK(strcmp(catalog_etag(back), catalog_etag(cat)) == 0,
	    "the compiled catalog has another ETag");
	check_catalog(back);
	catalog_free(back);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog		*cat = (struct catalog *)1;
	struct catalog_error	 err;

	if (catalog_load_buffer(name, (const char *)data, size, &cat,
	    &err) == -1) {
		FUZZ_CHECK(cat == NULL, "refused, yet a catalog");
		FUZZ_CHECK(err.message[0] != '\0', "refused without a reason");
		FUZZ_CHECK(strcmp(err.file, name) == 0, "error names %s",
		    err.file);
		FUZZ_CHECK(err.line >= 0 && err.column >= 0, "error at %d:%d",
		    err.line, err.column);
		return 0;
	}
	FUZZ_CHECK(cat != NULL, "accepted, no catalog");
	check_catalog(cat);
	compiled_same(cat);
	catalog_free(cat);
	return 0;
}
