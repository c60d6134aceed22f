/* SPDX-License-Identifier: ISC */
/*
 * test_plancfg.c: a plan's broker settings built from the service's and the
 * plan's "osbroker" objects — defaults, every refusal (its message names the
 * key), plan over service per key, async forms, and hook paths resolved
 * against a mkdtemp(3) directory and checked for being executable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plancfg.h"
#include "tap.h"

static char dir[64];	/* the base directory of the hook cases */

static cJSON *
parse(const char *text)
{
	cJSON *j;

	if (text == NULL)
		return NULL;
	if ((j = cJSON_Parse(text)) == NULL) {
		printf("# cannot parse test JSON: %s\n", text);
		abort();
	}
	return j;
}

/* Build from two JSON texts (NULL: absent); must succeed.  Returns the
 * plancfg (caller frees) and keeps the trees alive in *svc / *plan. */
static struct plancfg *
build_ok(const char *svc_text, const char *plan_text, cJSON **svc,
    cJSON **plan, const char *what)
{
	struct plancfg	*p = (struct plancfg *)1;
	char		 err[512] = "";
	int		 rc;

	*svc = parse(svc_text);
	*plan = parse(plan_text);
	rc = plancfg_build(*svc, *plan, dir, &p, err, sizeof(err));
	CHECK(rc == 0 && p != NULL, "accepts: %s", what);
	if (rc != 0)
		printf("#   %s\n", err);
	return rc == 0 ? p : NULL;
}

/* Like build_ok, but frees everything; for cases that only must load. */
static void
accepts(const char *svc_text, const char *plan_text, const char *what)
{
	cJSON *s, *p;

	plancfg_free(build_ok(svc_text, plan_text, &s, &p, what));
	cJSON_Delete(s);
	cJSON_Delete(p);
}

/* Must fail with every needle (NULL-terminated list) in the message. */
static void
rejects_all(const char *svc_text, const char *plan_text,
    const char *const *needles, const char *what)
{
	struct plancfg		*p = (struct plancfg *)1;
	char			 err[512] = "";
	cJSON			*s = parse(svc_text), *pl = parse(plan_text);
	const char *const	*n;
	int			 rc, ok;

	rc = plancfg_build(s, pl, dir, &p, err, sizeof(err));
	ok = rc == -1 && p == NULL;
	for (n = needles; ok && *n != NULL; n++)
		ok = strstr(err, *n) != NULL;
	CHECK(ok, "rejects: %s", what);
	if (!ok) {
		printf("#   rc %d, err \"%s\"\n#   want:", rc, err);
		for (n = needles; *n != NULL; n++)
			printf(" \"%s\"", *n);
		printf("\n");
	}
	if (rc == 0)
		plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);
}

static void
rejects(const char *svc_text, const char *plan_text, const char *needle,
    const char *what)
{
	const char *needles[] = { needle, NULL };

	rejects_all(svc_text, plan_text, needles, what);
}

/* The plan's settings alone. */
#define PLAN_REJECTS(text, needle, what)	rejects(NULL, text, needle, what)

static void
test_action_names(void)
{
	CHECK_STR(action_name(ACT_PROVISION), "provision", "action_name provision");
	CHECK_STR(action_name(ACT_UPDATE), "update", "action_name update");
	CHECK_STR(action_name(ACT_DEPROVISION), "deprovision",
	    "action_name deprovision");
	CHECK_STR(action_name(ACT_BIND), "bind", "action_name bind");
	CHECK_STR(action_name(ACT_UNBIND), "unbind", "action_name unbind");
	CHECK_STR(action_name(ACT__COUNT), "?", "action_name out of range");
	CHECK_STR(action_name((enum action)-1), "?", "action_name negative");
}

static void
test_defaults(void)
{
	struct plancfg	*p;
	cJSON		*s, *pl;
	int		 i, none = 1;

	p = build_ok(NULL, NULL, &s, &pl, "no settings at all");
	if (p == NULL)
		return;
	CHECK(p->hook_timeout == PLANCFG_DEFAULT_HOOK_TIMEOUT,
	    "hook_timeout defaults to PLANCFG_DEFAULT_HOOK_TIMEOUT (%ld)",
	    p->hook_timeout);
	CHECK(p->poll_interval == PLANCFG_DEFAULT_POLL_INTERVAL &&
	    p->poll_interval == 5, "poll_interval defaults to 5");
	CHECK(p->binding_ttl == 0 && p->binding_renew_before == 0,
	    "no binding expiry by default");
	CHECK(p->requires_app == 0, "requires_app defaults to false");
	for (i = 0; i < ACT__COUNT; i++)
		if (p->async[i] || p->hook[i] != NULL)
			none = 0;
	CHECK(none, "no hooks, nothing asynchronous");
	CHECK(p->settings == NULL && p->secrets == NULL &&
	    p->credentials == NULL && p->endpoints == NULL &&
	    p->hook_env == NULL, "no maps");
	plancfg_free(p);

	p = build_ok("{}", "{}", &s, &pl, "empty objects");
	CHECK(p != NULL && p->hook_timeout == PLANCFG_DEFAULT_HOOK_TIMEOUT &&
	    p->poll_interval == PLANCFG_DEFAULT_POLL_INTERVAL,
	    "empty objects: defaults");
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);
	plancfg_free(NULL);
	CHECK(1, "plancfg_free(NULL) is harmless");
}

static void
test_unknown_keys(void)
{
	const char *svc[] = { "service osbroker", "\"hook_timout\"", NULL };
	const char *plan[] = { "plan osbroker", "\"asnyc\"", NULL };

	rejects_all("{\"hook_timout\":5}", NULL, svc,
	    "an unknown key of the service, named");
	rejects_all(NULL, "{\"asnyc\":true}", plan,
	    "an unknown key of the plan, named");
	rejects_all("{}", "{\"hook_timeout\":5,\"asnyc\":true}", plan,
	    "an unknown key beside known ones");
	PLAN_REJECTS("{\"Hooks\":{}}", "\"Hooks\"", "keys are case-sensitive");
	PLAN_REJECTS("{\"bindable\":true}", "\"bindable\"",
	    "a catalog key is not a broker setting");
}

static void
test_seconds(void)
{
	struct plancfg	*p;
	cJSON		*s, *pl;

	PLAN_REJECTS("{\"hook_timeout\":0}", "hook_timeout", "hook_timeout 0");
	PLAN_REJECTS("{\"hook_timeout\":86401}", "hook_timeout",
	    "hook_timeout above 86400");
	PLAN_REJECTS("{\"hook_timeout\":-5}", "hook_timeout",
	    "hook_timeout negative");
	PLAN_REJECTS("{\"hook_timeout\":1.5}", "hook_timeout",
	    "hook_timeout not an integer");
	PLAN_REJECTS("{\"hook_timeout\":\"60\"}", "hook_timeout",
	    "hook_timeout a string");
	PLAN_REJECTS("{\"hook_timeout\":null}", "hook_timeout",
	    "hook_timeout null");
	PLAN_REJECTS("{\"hook_timeout\":true}", "hook_timeout",
	    "hook_timeout a boolean");
	/* Regression: out of range is refused before any cast to long. */
	PLAN_REJECTS("{\"hook_timeout\":1e30}", "hook_timeout",
	    "hook_timeout 1e30");
	PLAN_REJECTS("{\"secrets\":{\"x\":1e30}}", "secrets.x",
	    "a secret of 1e30 bytes");
	PLAN_REJECTS("{\"poll_interval\":0}", "poll_interval",
	    "poll_interval 0");
	PLAN_REJECTS("{\"poll_interval\":3601}", "poll_interval",
	    "poll_interval above 3600");
	PLAN_REJECTS("{\"poll_interval\":[5]}", "poll_interval",
	    "poll_interval a sequence");
	PLAN_REJECTS("{\"binding_ttl\":-1}", "binding_ttl",
	    "binding_ttl negative");
	PLAN_REJECTS("{\"binding_ttl\":3153600001}", "binding_ttl",
	    "binding_ttl above 100 years");
	PLAN_REJECTS("{\"binding_ttl\":2.5}", "binding_ttl",
	    "binding_ttl not an integer");
	PLAN_REJECTS("{\"binding_renew_before\":-1}", "binding_renew_before",
	    "binding_renew_before negative");
	PLAN_REJECTS("{\"binding_renew_before\":\"1h\"}",
	    "binding_renew_before", "binding_renew_before a string");
	PLAN_REJECTS("{\"requires_app\":\"yes\"}", "requires_app",
	    "requires_app a string");
	PLAN_REJECTS("{\"requires_app\":1}", "requires_app",
	    "requires_app a number");

	p = build_ok(NULL, "{\"hook_timeout\":1,\"poll_interval\":1,"
	    "\"binding_ttl\":0,\"binding_renew_before\":0,"
	    "\"requires_app\":false}", &s, &pl, "lower bounds");
	CHECK(p != NULL && p->hook_timeout == 1 && p->poll_interval == 1 &&
	    p->binding_ttl == 0 && p->binding_renew_before == 0 &&
	    p->requires_app == 0, "lower bounds kept");
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);
	p = build_ok(NULL, "{\"hook_timeout\":86400,\"poll_interval\":3600,"
	    "\"binding_ttl\":3153600000,\"binding_renew_before\":3153600000,"
	    "\"requires_app\":true}", &s, &pl, "upper bounds");
	CHECK(p != NULL && p->hook_timeout == PLANCFG_MAX_HOOK_TIMEOUT &&
	    p->poll_interval == 3600 && p->binding_ttl == 3153600000L &&
	    p->binding_renew_before == 3153600000L && p->requires_app == 1,
	    "upper bounds kept");
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);
	p = build_ok(NULL, "{\"hook_timeout\":120.0,\"binding_ttl\":3600,"
	    "\"binding_renew_before\":600}", &s, &pl, "typical values");
	CHECK(p != NULL && p->hook_timeout == 120 && p->binding_ttl == 3600 &&
	    p->binding_renew_before == 600, "typical values kept");
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);
}

/* The async flags as a 5-character string, e.g. "10010". */
static void
async_is(const char *plan_text, const char *svc_text, const char *want,
    const char *what)
{
	struct plancfg	*p;
	cJSON		*s, *pl;
	char		 got[ACT__COUNT + 1];
	int		 i;

	p = build_ok(svc_text, plan_text, &s, &pl, what);
	if (p != NULL) {
		for (i = 0; i < ACT__COUNT; i++)
			got[i] = p->async[i] ? '1' : '0';
		got[ACT__COUNT] = '\0';
		CHECK_STR(got, want, "async flags: %s", what);
	}
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);
}

static void
test_async(void)
{
	/* Order: provision update deprovision bind unbind upgrade. */
	async_is("{\"async\":true}", NULL, "111111", "async true");
	async_is("{\"async\":false}", NULL, "000000", "async false");
	async_is("{\"async\":[\"provision\",\"deprovision\"]}", NULL, "101000",
	    "async [provision, deprovision]");
	async_is("{\"async\":[\"bind\",\"unbind\",\"update\"]}", NULL,
	    "010110", "async [bind, unbind, update]");
	async_is("{\"async\":[\"bind\",\"bind\"]}", NULL, "000100",
	    "async with a repeated action");
	async_is("{\"async\":[]}", NULL, "000000", "async []");
	async_is("{\"async\":[\"upgrade\"]}", NULL, "000001",
	    "async [upgrade]");
	async_is("{\"async\":false}", "{\"async\":true}", "000000",
	    "the plan's false overrides the service's true");
	async_is("{\"async\":[\"bind\"]}", "{\"async\":true}", "000100",
	    "the plan's list replaces the service's true");
	async_is("{}", "{\"async\":[\"provision\"]}", "100000",
	    "the service's list when the plan has none");

	PLAN_REJECTS("{\"async\":[\"bindd\"]}", "async", "async unknown action");
	PLAN_REJECTS("{\"async\":[\"Bind\"]}", "async",
	    "async action names are case-sensitive");
	PLAN_REJECTS("{\"async\":[1]}", "async", "async list of numbers");
	PLAN_REJECTS("{\"async\":\"bind\"}", "async", "async a lone string");
	PLAN_REJECTS("{\"async\":1}", "async", "async a number");
	PLAN_REJECTS("{\"async\":{\"bind\":true}}", "async", "async a mapping");
	PLAN_REJECTS("{\"async\":null}", "async", "async null");
}

static void
test_maps(void)
{
	struct plancfg	*p;
	cJSON		*s, *pl;
	char		 text[512];

	PLAN_REJECTS("{\"settings\":[1]}", "settings", "settings a sequence");
	PLAN_REJECTS("{\"settings\":\"x\"}", "settings", "settings a string");
	PLAN_REJECTS("{\"settings\":{\"ok\":1,\"bad\":{\"a\":1}}}",
	    "settings.bad", "a setting that is a mapping");
	PLAN_REJECTS("{\"settings\":{\"bad\":[1]}}", "settings.bad",
	    "a setting that is a sequence");
	PLAN_REJECTS("{\"settings\":{\"bad\":null}}", "settings.bad",
	    "a setting that is null");
	accepts(NULL, "{\"settings\":{\"s\":\"x\",\"n\":1.5,\"b\":false}}",
	    "settings: string, number, boolean");

	PLAN_REJECTS("{\"secrets\":[16]}", "secrets", "secrets a sequence");
	PLAN_REJECTS("{\"secrets\":{\"pw\":0}}", "secrets.pw", "a secret of 0");
	PLAN_REJECTS("{\"secrets\":{\"pw\":65}}", "secrets.pw",
	    "a secret of 65 bytes");
	PLAN_REJECTS("{\"secrets\":{\"pw\":-1}}", "secrets.pw",
	    "a secret of -1 bytes");
	PLAN_REJECTS("{\"secrets\":{\"pw\":1.5}}", "secrets.pw",
	    "a secret of 1.5 bytes");
	PLAN_REJECTS("{\"secrets\":{\"pw\":\"16\"}}", "secrets.pw",
	    "a secret given as a string");
	PLAN_REJECTS("{\"secrets\":{\"pw\":1e300}}", "secrets.pw",
	    "a huge secret");
	accepts(NULL, "{\"secrets\":{\"a\":1,\"b\":64}}", "secrets of 1 and 64");

	PLAN_REJECTS("{\"hook_env\":[\"A=1\"]}", "hook_env",
	    "hook_env a sequence");
	PLAN_REJECTS("{\"hook_env\":{\"OSBROKER_X\":\"1\"}}",
	    "hook_env.OSBROKER_X", "hook_env OSBROKER_ prefix");
	PLAN_REJECTS("{\"hook_env\":{\"1ABC\":\"1\"}}", "hook_env.1ABC",
	    "hook_env name starting with a digit");
	PLAN_REJECTS("{\"hook_env\":{\"A-B\":\"1\"}}", "hook_env.A-B",
	    "hook_env name with '-'");
	PLAN_REJECTS("{\"hook_env\":{\"A=B\":\"1\"}}", "hook_env.A=B",
	    "hook_env name with '='");
	PLAN_REJECTS("{\"hook_env\":{\"\":\"1\"}}", "hook_env.",
	    "hook_env empty name");
	PLAN_REJECTS("{\"hook_env\":{\"A\":{\"x\":1}}}", "hook_env.A",
	    "hook_env value a mapping");
	PLAN_REJECTS("{\"hook_env\":{\"A\":true}}", "hook_env.A",
	    "hook_env value a boolean");
	PLAN_REJECTS("{\"hook_env\":{\"A\":null}}", "hook_env.A",
	    "hook_env value null");
	snprintf(text, sizeof(text), "{\"hook_env\":{\"A%0128d\":\"1\"}}", 0);
	PLAN_REJECTS(text, "hook_env.A0", "hook_env name of 129 characters");
	snprintf(text, sizeof(text), "{\"hook_env\":{\"A%0127d\":\"1\"}}", 0);
	accepts(NULL, text, "hook_env name of 128 characters");
	accepts(NULL, "{\"hook_env\":{\"PGHOST\":\"/run/postgresql\","
	    "\"_x9\":\"\",\"PORT\":5432,\"OSBROKERX\":\"1\"}}",
	    "hook_env names and values");

	PLAN_REJECTS("{\"credentials\":[\"a\"]}", "credentials",
	    "credentials a sequence");
	PLAN_REJECTS("{\"credentials\":\"${instance_id}\"}", "credentials",
	    "credentials a string");
	PLAN_REJECTS("{\"endpoints\":{\"host\":\"h\"}}", "endpoints",
	    "endpoints a mapping");
	PLAN_REJECTS("{\"endpoints\":[\"h:1\"]}", "endpoints",
	    "an endpoint that is a string");
	PLAN_REJECTS("{\"endpoints\":[{\"ports\":[\"5432\"]}]}", "endpoints",
	    "an endpoint without host");
	PLAN_REJECTS("{\"endpoints\":[{\"host\":1,\"ports\":[\"5432\"]}]}",
	    "endpoints", "an endpoint whose host is a number");
	PLAN_REJECTS("{\"endpoints\":[{\"host\":\"h\"}]}", "endpoints",
	    "an endpoint without ports");
	PLAN_REJECTS("{\"endpoints\":[{\"host\":\"h\",\"ports\":\"5432\"}]}",
	    "endpoints", "an endpoint whose ports is a string");
	PLAN_REJECTS("{\"endpoints\":[{\"host\":\"h\",\"ports\":[],"
	    "\"protocol\":\"sctp\"}]}", "endpoints", "protocol sctp");
	PLAN_REJECTS("{\"endpoints\":[{\"host\":\"h\",\"ports\":[],"
	    "\"protocol\":6}]}", "endpoints", "protocol a number");
	PLAN_REJECTS("{\"endpoints\":[{\"host\":\"h\",\"ports\":[]},"
	    "{\"host\":\"h2\"}]}", "endpoints", "the second endpoint is bad");
	accepts(NULL, "{\"endpoints\":[{\"host\":\"h\",\"ports\":[\"1\"]},"
	    "{\"host\":\"h\",\"ports\":[],\"protocol\":\"tcp\"},"
	    "{\"host\":\"h\",\"ports\":[],\"protocol\":\"udp\"},"
	    "{\"host\":\"h\",\"ports\":[],\"protocol\":\"all\"}]}",
	    "endpoints with each protocol");

	/* Templates are checked against the merged secrets and settings. */
	PLAN_REJECTS("{\"credentials\":{\"u\":\"${nope}\"}}",
	    "osbroker: credentials", "a credentials template with an unknown "
	    "placeholder");
	PLAN_REJECTS("{\"credentials\":{\"u\":\"${secret.pw}\"}}",
	    "no declared secret", "credentials use an undeclared secret");
	PLAN_REJECTS("{\"secrets\":{\"pw\":8},\"credentials\":"
	    "{\"u\":\"${settings.host}\"}}", "no declared setting",
	    "credentials use an undeclared setting");
	PLAN_REJECTS("{\"credentials\":{\"u\":\"${instance_id\"}}",
	    "unterminated", "credentials with an unterminated ${");
	PLAN_REJECTS("{\"endpoints\":[{\"host\":\"${settings.host}\","
	    "\"ports\":[]}]}", "osbroker: endpoints",
	    "an endpoints template with an undeclared setting");
	p = build_ok(NULL, "{\"secrets\":{\"pw\":16},\"settings\":{\"host\":"
	    "\"db\",\"port\":5432},\"credentials\":{\"uri\":\"pg://u:"
	    "${secret.pw}@${settings.host}:${settings.port}/${instance_id}\","
	    "\"user\":\"${param.user:-u}\"},\"endpoints\":[{\"host\":"
	    "\"${settings.host}\",\"ports\":[\"${settings.port}\"]}],"
	    "\"hook_env\":{\"PGHOST\":\"db\"}}", &s, &pl,
	    "credentials and endpoints templates");
	CHECK(p != NULL && p->secrets == cJSON_GetObjectItem(pl, "secrets") &&
	    p->settings == cJSON_GetObjectItem(pl, "settings") &&
	    p->credentials == cJSON_GetObjectItem(pl, "credentials") &&
	    p->endpoints == cJSON_GetObjectItem(pl, "endpoints") &&
	    p->hook_env == cJSON_GetObjectItem(pl, "hook_env"),
	    "the maps are borrowed from the plan's object");
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);
}

static void
test_override(void)
{
	struct plancfg	*p;
	cJSON		*s, *pl;

	p = build_ok("{\"hook_timeout\":9,\"poll_interval\":3,"
	    "\"binding_ttl\":100,\"requires_app\":true,"
	    "\"settings\":{\"host\":\"svc-host\"},\"secrets\":{\"pw\":8}}",
	    "{\"hook_timeout\":20,\"requires_app\":false,"
	    "\"credentials\":{\"p\":\"${secret.pw}\",\"h\":"
	    "\"${settings.host}\"}}", &s, &pl,
	    "service and plan settings");
	if (p != NULL) {
		CHECK(p->hook_timeout == 20, "hook_timeout: the plan's");
		CHECK(p->poll_interval == 3, "poll_interval: the service's");
		CHECK(p->binding_ttl == 100, "binding_ttl: the service's");
		CHECK(p->requires_app == 0, "requires_app: the plan's false");
		CHECK(p->settings == cJSON_GetObjectItem(s, "settings") &&
		    p->secrets == cJSON_GetObjectItem(s, "secrets"),
		    "settings and secrets: the service's");
		CHECK(p->credentials == cJSON_GetObjectItem(pl, "credentials"),
		    "credentials: the plan's, checked against the service's "
		    "secrets and settings");
	}
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);

	/* A map key replaces the service's map whole, not key by key. */
	p = build_ok("{\"settings\":{\"a\":1,\"b\":2}}",
	    "{\"settings\":{\"a\":3}}", &s, &pl, "settings in both");
	CHECK(p != NULL && p->settings == cJSON_GetObjectItem(pl, "settings") &&
	    cJSON_GetObjectItem(p->settings, "b") == NULL,
	    "the plan's settings replace the service's");
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);

	/* So a plan's credentials cannot use a setting only the service's
	 * replaced map had. */
	rejects("{\"settings\":{\"a\":1,\"b\":2}}",
	    "{\"settings\":{\"a\":3},\"credentials\":{\"x\":\"${settings.b}\"}}",
	    "settings.b", "a setting of the replaced service map");
	/* An error in the plan is reported even when the service is fine. */
	rejects("{\"hook_timeout\":9}", "{\"hook_timeout\":0}", "hook_timeout",
	    "the plan's bad value over a good service value");
	rejects("{\"poll_interval\":0}", "{}", "poll_interval",
	    "the service's bad value when the plan has none");
}

/* Files for the hook cases, in dir. */
static int
make_file(const char *name, const char *body, mode_t mode)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(body, f);
	if (fclose(f) != 0 || chmod(path, mode) == -1)
		return -1;
	return 0;
}

static void
test_hooks(void)
{
	struct plancfg	*p;
	cJSON		*s, *pl;
	char		 want[256], text[2048];
	char		 sub[128];
	const char	*bind_needles[] = { "hooks.bind", "not an executable", NULL };

	snprintf(sub, sizeof(sub), "%s/hooks", dir);
	if (mkdir(sub, 0755) == -1 ||
	    make_file("run", "#!/bin/sh\nexit 0\n", 0755) == -1 ||
	    make_file("plain", "#!/bin/sh\nexit 0\n", 0644) == -1 ||
	    make_file("hooks/bind", "#!/bin/sh\nexit 0\n", 0700) == -1) {
		CHECK(0, "hook fixtures created in %s", dir);
		return;
	}

	p = build_ok(NULL, "{\"hooks\":{\"bind\":\"hooks/bind\","
	    "\"unbind\":\"run\"}}", &s, &pl, "relative hook paths");
	if (p != NULL) {
		snprintf(want, sizeof(want), "%s/hooks/bind", dir);
		CHECK_STR(p->hook[ACT_BIND], want,
		    "a relative path resolves against base_dir");
		snprintf(want, sizeof(want), "%s/run", dir);
		CHECK_STR(p->hook[ACT_UNBIND], want,
		    "a file in base_dir itself");
		CHECK(p->hook[ACT_PROVISION] == NULL &&
		    p->hook[ACT_UPDATE] == NULL &&
		    p->hook[ACT_DEPROVISION] == NULL,
		    "actions without a hook have none");
	}
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);

	snprintf(text, sizeof(text), "{\"hooks\":{\"provision\":\"%s/run\","
	    "\"update\":\"run\",\"deprovision\":\"./run\",\"bind\":"
	    "\"hooks/../run\",\"unbind\":\"/bin/sh\"}}", dir);
	p = build_ok(text, NULL, &s, &pl, "every action, absolute and relative");
	if (p != NULL) {
		snprintf(want, sizeof(want), "%s/run", dir);
		CHECK_STR(p->hook[ACT_PROVISION], want,
		    "an absolute path is kept as is");
		CHECK_STR(p->hook[ACT_UPDATE], want, "update hook");
		snprintf(want, sizeof(want), "%s/./run", dir);
		CHECK_STR(p->hook[ACT_DEPROVISION], want, "./run kept joined");
		CHECK_STR(p->hook[ACT_UNBIND], "/bin/sh", "an absolute system path");
		CHECK(p->hook[ACT_BIND] != NULL, "bind hook from the service");
	}
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);

	/* The plan's hooks replace the service's whole. */
	p = build_ok("{\"hooks\":{\"bind\":\"run\",\"unbind\":\"run\"}}",
	    "{\"hooks\":{\"provision\":\"run\"}}", &s, &pl,
	    "hooks in service and plan");
	CHECK(p != NULL && p->hook[ACT_PROVISION] != NULL &&
	    p->hook[ACT_BIND] == NULL && p->hook[ACT_UNBIND] == NULL,
	    "the plan's hooks replace the service's");
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);

	rejects_all(NULL, "{\"hooks\":{\"bind\":\"plain\"}}", bind_needles,
	    "a hook that is not executable");
	snprintf(want, sizeof(want), "%s/plain", dir);
	PLAN_REJECTS("{\"hooks\":{\"bind\":\"plain\"}}", want,
	    "the message names the resolved path");
	rejects_all(NULL, "{\"hooks\":{\"bind\":\"missing\"}}", bind_needles,
	    "a hook that does not exist");
	rejects_all(NULL, "{\"hooks\":{\"provision\":\"run\","
	    "\"bind\":\"nope/run\"}}", bind_needles,
	    "a bad hook after a good one (no leak)");
	PLAN_REJECTS("{\"hooks\":{\"unbind\":\"/nonexistent/hook\"}}",
	    "hooks.unbind", "an absolute path that does not exist");
	PLAN_REJECTS("{\"hooks\":[\"run\"]}", "hooks", "hooks a sequence");
	PLAN_REJECTS("{\"hooks\":\"run\"}", "hooks", "hooks a string");
	PLAN_REJECTS("{\"hooks\":{\"frobnicate\":\"run\"}}", "\"frobnicate\"",
	    "a hook for an unknown action");
	PLAN_REJECTS("{\"hooks\":{\"bind\":\"\"}}", "hooks.bind",
	    "an empty hook path");
	PLAN_REJECTS("{\"hooks\":{\"bind\":5}}", "hooks.bind",
	    "a hook path that is a number");
	PLAN_REJECTS("{\"hooks\":{\"bind\":null}}", "hooks.bind",
	    "a hook path that is null");
	snprintf(text, sizeof(text), "{\"hooks\":{\"bind\":\"%01025d\"}}", 0);
	PLAN_REJECTS(text, "hooks.bind", "a hook path over 1024 bytes");
	/* Regression: a directory is searchable (X_OK) but no program. */
	rejects_all(NULL, "{\"hooks\":{\"bind\":\"hooks\"}}", bind_needles,
	    "a directory as hook");
	rejects_all(NULL, "{\"hooks\":{\"bind\":\".\"}}", bind_needles,
	    "the base directory itself as hook");
	/* Regression: a key given twice (cJSON keeps both) leaks nothing. */
	p = build_ok(NULL, "{\"hooks\":{\"bind\":\"run\",\"bind\":"
	    "\"hooks/bind\"}}", &s, &pl, "a hook given twice");
	snprintf(want, sizeof(want), "%s/hooks/bind", dir);
	CHECK(p != NULL && strcmp(p->hook[ACT_BIND], want) == 0,
	    "a hook given twice: the last wins");
	plancfg_free(p);
	cJSON_Delete(s);
	cJSON_Delete(pl);
}

static void
rm_fixtures(void)
{
	static const char *const files[] = { "hooks/bind", "run", "plain", NULL };
	char	 path[256];
	int	 i;

	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/hooks", dir);
	rmdir(path);
	CHECK(rmdir(dir) == 0, "temporary directory removed");
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/osb-plancfg-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_action_names();
	test_defaults();
	test_unknown_keys();
	test_seconds();
	test_async();
	test_maps();
	test_override();
	test_hooks();
	rm_fixtures();
	return tap_done();
}
