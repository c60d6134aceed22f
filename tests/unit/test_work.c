/* SPDX-License-Identifier: ISC */
/*
 * test_work: what an operation does (work.h), with a real store (LMDB in a
 * mkdtemp(3) directory), a catalog loaded with catalog_load_buffer() whose
 * plans name hook programs, and those hooks as small /bin/sh scripts in the
 * same directory.  Each case saves a record with an operation in progress
 * (op_begin), runs work_execute() and checks the outcome docs/hooks.md
 * gives, in the returned record and in the store (from a new transaction):
 *
 *   - a provision hook that succeeds: dashboard_url and metadata stored;
 *     its standard input and environment hold the documented fields;
 *   - a hook that refuses (exit 64): a synchronous provision leaves no
 *     record, a synchronous update restores the previous operation, an
 *     asynchronous one fails with the hook's description;
 *   - a hook that fails, with and without a description, writes something
 *     other than JSON, answers a field of the wrong type, writes more than
 *     the configured output limit, or outlives the request timeout;
 *   - failed updates and deprovisions keep instance_usable and
 *     update_repeatable as the hook said (deprovision: instance_usable only);
 *   - bind: the hook's credentials are merged over the built-in ones;
 *   - update: the pending record replaces the instance;
 *   - upgrade: the same, the hook's input with the old and new
 *     maintenance_info; a failed one keeps the old version;
 *   - deprovision: the record and its bindings are removed, with a
 *     tombstone when it ran asynchronously; unbind without a hook;
 *   - work_record() of an operation that is no longer the record's;
 *   - work_describe()'s texts.
 *
 * The slowest case waits for a 2 s hook timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "config.h"
#include "hook.h"
#include "limits.h"
#include "op.h"
#include "records.h"
#include "store.h"
#include "tap.h"
#include "tmpdir.h"
#include "work.h"

static char		 dir[64];
static struct store	*st;
static struct catalog	*cat;
static struct config	 cfg;

static const struct {
	const char *name, *body;
} hooks[] = {
	{ "provision", "cat > \"$0.stdin\"; env > \"$0.env\"; echo "
	    "'{\"dashboard_url\":\"https://dash.example/i\",\"metadata\":"
	    "{\"labels\":{\"team\":\"a\"}}}'" },
	{ "quiet", "cat > \"$0.stdin\"" },
	{ "bind", "cat > \"$0.stdin\"; env > \"$0.env\"; echo "
	    "'{\"credentials\":{\"password\":\"hook-pw\",\"port\":5432},"
	    "\"syslog_drain_url\":\"syslog://d\"}'" },
	{ "reject", "cat >/dev/null; echo '{\"description\":\"size must be "
	    "small\"}'; exit 64" },
	{ "fail", "echo '{\"description\":\"disk full\"}'; exit 1" },
	{ "fail-flags", "echo '{\"description\":\"half done\","
	    "\"instance_usable\":false,\"update_repeatable\":true}'; exit 3" },
	{ "fail-quiet", "exit 1" },
	{ "nonjson", "echo 'all good'" },
	{ "badtype", "echo '{\"dashboard_url\":5}'" },
	{ "big", "head -c 2000 /dev/zero | tr '\\000' ' '; echo '{}'" },
	{ "slow", "exec sleep 20" },
};

/* One service, a plan per behaviour; @ is the scratch directory. */
static const char catalog_yml[] =
"services:\n"
"- id: svc-1\n"
"  name: svc\n"
"  description: d\n"
"  bindable: true\n"
"  plan_updateable: true\n"
"  osbroker:\n"
"    settings: {host: db.example, port: 5432}\n"
"    hook_env: {EXTRA_VAR: extra}\n"
"  plans:\n"
"  - {id: p-ok, name: ok, description: d, osbroker: {hooks: {"
    "provision: @/provision, update: @/quiet, deprovision: @/quiet, "
    "bind: @/bind, upgrade: @/quiet}}}\n"
"  - {id: p-reject, name: reject, description: d, osbroker: {hooks: {"
    "provision: @/reject, update: @/reject, bind: @/reject}}}\n"
"  - {id: p-reject-async, name: reject-async, description: d, osbroker: {"
    "async: true, hooks: {provision: @/reject}}}\n"
"  - {id: p-fail, name: fail, description: d, osbroker: {hooks: {"
    "provision: @/fail, update: @/fail-flags, deprovision: @/fail-flags, "
    "upgrade: @/fail-flags}}}\n"
"  - {id: p-fail-quiet, name: fail-quiet, description: d, osbroker: {"
    "hooks: {provision: @/fail-quiet}}}\n"
"  - {id: p-nonjson, name: nonjson, description: d, osbroker: {hooks: {"
    "provision: @/nonjson}}}\n"
"  - {id: p-badtype, name: badtype, description: d, osbroker: {hooks: {"
    "provision: @/badtype}}}\n"
"  - {id: p-big, name: big, description: d, osbroker: {hooks: {"
    "provision: @/big}}}\n"
"  - {id: p-slow, name: slow, description: d, osbroker: {hook_timeout: 30, "
    "hooks: {provision: @/slow}}}\n"
"  - {id: p-async, name: async, description: d, osbroker: {async: true, "
    "hooks: {deprovision: @/quiet}}}\n";

static void
setup(void)
{
	struct catalog_error	 ce;
	char			 path[256], err[256], *yml, *o;
	const char		*c;
	size_t			 i;

	tmp_make(dir, sizeof(dir), "work");
	for (i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		tmp_script(dir, hooks[i].name, hooks[i].body, path,
		    sizeof(path));
	if ((yml = malloc(sizeof(catalog_yml) * 4)) == NULL)
		exit(2);
	for (c = catalog_yml, o = yml; *c != '\0'; c++)
		if (*c == '@')
			o = stpcpy(o, dir);
		else
			*o++ = *c;
	*o = '\0';
	if (catalog_load_buffer("catalog.yml", yml, strlen(yml), &cat,
	    &ce) == -1) {
		fprintf(stderr, "catalog: %d:%d: %s\n", ce.line, ce.column,
		    ce.message);
		exit(2);
	}
	free(yml);
	setenv("OSBROKER_STATE_DIR", dir, 1);
	unsetenv("OSBROKER_MAX_HOOK_OUTPUT");
	unsetenv("OSBROKER_REQUEST_TIMEOUT");
	if (config_load(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "config: %s\n", err);
		exit(2);
	}
	st = tmp_store(dir);
}

static struct catalog_plan
plan(const char *id)
{
	struct catalog_plan p;

	if (catalog_lookup(cat, "svc-1", id, &p) != CATALOG_FOUND) {
		fprintf(stderr, "no plan %s\n", id);
		exit(2);
	}
	return p;
}

static void
save(enum store_table tb, const char *key, const cJSON *rec)
{
	tmp_save(st, tb, key, rec);
}

static cJSON *
stored(enum store_table tb, const char *key)
{
	return tmp_stored(st, tb, key);
}

/* An instance record of plan pid, as a provision writes it. */
static cJSON *
instance(const char *pid)
{
	cJSON *rec = cJSON_Parse("{\"service_id\":\"svc-1\",\"organization_guid\":"
	    "\"org-1\",\"space_guid\":\"space-1\",\"parameters\":{\"size\":"
	    "\"s\"},\"context\":{\"platform\":\"test\"}}");

	cJSON_AddStringToObject(rec, "plan_id", pid);
	return rec;
}

/* One run of the work: the outcome of operation a (async or not) begun in
 * rec, saved under key of tb first.  rec is freed. */
struct run {
	enum store_rc		 rc;
	struct hook_result	 hr;
	cJSON			*final;
	int			 ours;
	char			 opid[64];
};

static void
run(struct run *r, const char *pid, enum store_table tb, const char *key,
    cJSON *rec, enum action a, int async, const cJSON *pending,
    const cJSON *inst)
{
	struct catalog_plan	 p = plan(pid);
	struct op_who		 who = { "rid-1", NULL };
	const char		*slash = strchr(key, '/');
	char			 iid[64];
	cJSON			*oi = cJSON_Parse("{\"platform\":\"test\","
				    "\"value\":{\"user_id\":\"u-1\"}}");

	who.originating_identity = oi;
	snprintf(iid, sizeof(iid), "%.*s", slash != NULL ? (int)(slash - key) :
	    (int)strlen(key), key);
	snprintf(r->opid, sizeof(r->opid), "%s", op_begin(rec, a, async, &p,
	    pending, &who));
	save(tb, key, rec);
	r->rc = work_execute(st, &cfg, cat, &p, tb, key, iid,
	    slash != NULL ? slash + 1 : NULL, inst, rec, &r->hr, &r->final,
	    &r->ours);
	cJSON_Delete(rec);
	cJSON_Delete(oi);
}

static void
run_free(struct run *r)
{
	cJSON_Delete(r->hr.out);
	cJSON_Delete(r->final);
	memset(r, 0, sizeof(*r));
}

static const char *
desc(const cJSON *rec)
{
	return records_str(op_last(rec), "description");
}

/* dir/name, parsed (the hook's copy of its standard input). */
static cJSON *
hook_input(const char *name)
{
	char	 path[256], *text = NULL;
	size_t	 len = 0;
	FILE	*f;
	cJSON	*in;

	snprintf(path, sizeof(path), "%s/%s.stdin", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (getdelim(&text, &len, '\0', f) == -1) {
		free(text);
		text = NULL;
	}
	fclose(f);
	unlink(path);
	in = text != NULL ? cJSON_Parse(text) : NULL;
	free(text);
	return in;
}

/* 1 when the hook name's environment had the line want. */
static int
hook_env_has(const char *name, const char *want)
{
	char	 path[256], *line = NULL;
	size_t	 len = 0;
	ssize_t	 n;
	FILE	*f;
	int	 found = 0;

	snprintf(path, sizeof(path), "%s/%s.env", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && (n = getline(&line, &len, f)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		found = strcmp(line, want) == 0;
	}
	free(line);
	fclose(f);
	return found;
}

/* 1 when field name of o is the JSON text want. */
static int
field_is(const cJSON *o, const char *name, const char *want)
{
	cJSON	*w = cJSON_Parse(want);
	int	 same = cJSON_Compare(cJSON_GetObjectItemCaseSensitive(o, name),
		    w, 1);

	if (!same) {
		char *g = cJSON_PrintUnformatted(
		    cJSON_GetObjectItemCaseSensitive(o, name));
		printf("#   %s: %s, want %s\n", name, g != NULL ? g : "absent",
		    want);
		free(g);
	}
	cJSON_Delete(w);
	return same;
}

static void
test_provision(void)
{
	struct run	 r;
	cJSON		*in, *rec;

	run(&r, "p-ok", T_INSTANCES, "i-ok", instance("p-ok"), ACT_PROVISION,
	    0, NULL, NULL);
	CHECK(r.rc == STORE_OK && r.ours == 1 && r.hr.status == HOOK_OK,
	    "provision hook exits 0: STORE_OK, *ours 1, HOOK_OK");
	CHECK(op_is(r.final, ACT_PROVISION, OPS_SUCCEEDED) &&
	    strcmp(desc(r.final), "provisioned") == 0,
	    "the record is succeeded, \"provisioned\"");
	CHECK(strcmp(records_str(r.final, "dashboard_url"),
	    "https://dash.example/i") == 0, "the hook's dashboard_url is kept");
	CHECK(field_is(r.final, "metadata", "{\"labels\":{\"team\":\"a\"},"
	    "\"attributes\":{}}"), "its metadata labels are merged in");
	CHECK(cJSON_GetObjectItemCaseSensitive(op_last(r.final), "runner") ==
	    NULL, "the runner is dropped from the finished operation");
	rec = stored(T_INSTANCES, "i-ok");
	CHECK(cJSON_Compare(rec, r.final, 1),
	    "the store holds what *final holds");
	cJSON_Delete(rec);
	run_free(&r);

	in = hook_input("provision");
	CHECK(field_is(in, "action", "\"provision\"") &&
	    field_is(in, "instance_id", "\"i-ok\"") &&
	    cJSON_GetObjectItemCaseSensitive(in, "binding_id") == NULL,
	    "input: action and instance_id, no binding_id");
	CHECK(field_is(in, "async", "false") &&
	    field_is(in, "operation", "null"),
	    "input: synchronous, operation null");
	CHECK(field_is(in, "service", "{\"id\":\"svc-1\",\"name\":\"svc\"}") &&
	    field_is(in, "plan", "{\"id\":\"p-ok\",\"name\":\"ok\"}"),
	    "input: service and plan {id, name}");
	CHECK(field_is(in, "parameters", "{\"size\":\"s\"}") &&
	    field_is(in, "context", "{\"platform\":\"test\"}"),
	    "input: parameters and context of the record");
	CHECK(field_is(in, "organization_guid", "\"org-1\"") &&
	    field_is(in, "space_guid", "\"space-1\""),
	    "input: organization_guid and space_guid");
	CHECK(field_is(in, "originating_identity", "{\"platform\":\"test\","
	    "\"value\":{\"user_id\":\"u-1\"}}"),
	    "input: the originating identity");
	CHECK(field_is(in, "settings", "{\"host\":\"db.example\","
	    "\"port\":5432}"), "input: the plan's settings");
	CHECK(cJSON_GetObjectItemCaseSensitive(in, "instance") == NULL &&
	    cJSON_GetObjectItemCaseSensitive(in, "credentials") == NULL,
	    "input: no instance, no credentials for a provision");
	cJSON_Delete(in);
	CHECK(hook_env_has("provision", "OSBROKER_ACTION=provision") &&
	    hook_env_has("provision", "OSBROKER_INSTANCE_ID=i-ok") &&
	    hook_env_has("provision", "OSBROKER_PLAN_NAME=ok") &&
	    hook_env_has("provision", "EXTRA_VAR=extra"),
	    "environment: the action, ids, plan and hook_env");
	CHECK(!hook_env_has("provision", "OSBROKER_STATE_DIR=") &&
	    !hook_env_has("provision", "OSBROKER_BINDING_ID=i-ok"),
	    "environment: nothing of the broker's own");
}

static void
test_refused(void)
{
	struct run	 r;
	cJSON		*rec, *before;

	run(&r, "p-reject", T_INSTANCES, "i-rej", instance("p-reject"),
	    ACT_PROVISION, 0, NULL, NULL);
	CHECK(r.rc == STORE_OK && r.ours == 1 && r.hr.status ==
	    HOOK_REJECTED && r.final == NULL,
	    "synchronous provision refused (exit 64): *final NULL");
	rec = stored(T_INSTANCES, "i-rej");
	CHECK(rec == NULL, "... and no record is left");
	cJSON_Delete(rec);
	CHECK(r.hr.out != NULL && strcmp(records_str(r.hr.out, "description"),
	    "size must be small") == 0,
	    "the hook's description is in hook_result.out");
	run_free(&r);

	/* An instance provisioned on p-ok, updated to p-reject. */
	before = instance("p-ok");
	op_done(before, ACT_PROVISION, "provisioned", NULL);
	save(T_INSTANCES, "i-upd", before);
	rec = instance("p-reject");
	cJSON_AddStringToObject(rec, "dashboard_url", "https://new");
	run(&r, "p-reject", T_INSTANCES, "i-upd", cJSON_Duplicate(before, 1),
	    ACT_UPDATE, 0, rec, NULL);
	CHECK(r.rc == STORE_OK && r.ours == 1 && r.hr.status ==
	    HOOK_REJECTED && cJSON_Compare(r.final, before, 1),
	    "synchronous update refused: the record as before, its "
	    "previous operation restored");
	cJSON_Delete(rec);
	rec = stored(T_INSTANCES, "i-upd");
	CHECK(cJSON_Compare(rec, before, 1), "... in the store too");
	cJSON_Delete(rec);
	cJSON_Delete(before);
	run_free(&r);

	run(&r, "p-reject-async", T_INSTANCES, "i-rej-a",
	    instance("p-reject-async"), ACT_PROVISION, 1, NULL, NULL);
	CHECK(r.rc == STORE_OK && r.ours == 1 && op_is(r.final, ACT_PROVISION,
	    OPS_FAILED) && strcmp(desc(r.final), "size must be small") == 0,
	    "asynchronous provision refused: failed, the hook's description");
	rec = stored(T_INSTANCES, "i-rej-a");
	CHECK(op_is(rec, ACT_PROVISION, OPS_FAILED),
	    "... and the failed record stays");
	cJSON_Delete(rec);
	run_free(&r);
}

/* A synchronous provision of plan pid: the final description when it
 * failed and the store holds it failed, else NULL (static buffer). */
static const char *
failed_provision(const char *pid, const char *key, enum hook_status want)
{
	static char	 d[1200];
	struct run	 r;
	cJSON		*rec;
	const char	*res = NULL;

	run(&r, pid, T_INSTANCES, key, instance(pid), ACT_PROVISION, 0, NULL,
	    NULL);
	rec = stored(T_INSTANCES, key);
	if (r.rc == STORE_OK && r.ours == 1 && r.hr.status == want &&
	    op_is(r.final, ACT_PROVISION, OPS_FAILED) &&
	    cJSON_Compare(rec, r.final, 1)) {
		snprintf(d, sizeof(d), "%s", desc(r.final));
		res = d;
	} else
		printf("#   status %d, why %s\n", r.hr.status, r.hr.why);
	cJSON_Delete(rec);
	run_free(&r);
	return res;
}

static void
test_failed(void)
{
	struct run	 r;
	cJSON		*before, *pending;
	time_t		 t0;

	CHECK_STR(failed_provision("p-fail", "i-f1", HOOK_FAILED), "disk full",
	    "exit 1 with a description: failed, the hook's description");
	CHECK_STR(failed_provision("p-fail-quiet", "i-f2", HOOK_FAILED),
	    "provision failed: the provision hook failed (exit status 1)",
	    "exit 1 without output: failed, the exit status named");
	CHECK_STR(failed_provision("p-nonjson", "i-f3", HOOK_BAD_OUTPUT),
	    "provision failed: the provision hook wrote something other than "
	    "one JSON object on standard output",
	    "exit 0 with output that is not JSON: failed, the output not "
	    "quoted");
	CHECK_STR(failed_provision("p-badtype", "i-f4", HOOK_BAD_OUTPUT),
	    "provision failed: the provision hook answered with a "
	    "\"dashboard_url\" of the wrong type",
	    "a field of the wrong type: failed, the field named");

	cfg.max_hook_output = 1024;
	CHECK_STR(failed_provision("p-big", "i-f5", HOOK_BAD_OUTPUT),
	    "provision failed: the provision hook wrote more than 1024 bytes "
	    "on standard output",
	    "more output than OSBROKER_MAX_HOOK_OUTPUT (1024): failed");
	cfg.max_hook_output = OSB_MAX_HOOK_STDOUT;

	/* hook_timeout 30, but a synchronous run must end 5 s before the
	 * request times out. */
	cfg.request_timeout = OSB_REQUEST_TIMEOUT_MARGIN + 2;
	t0 = time(NULL);
	CHECK_STR(failed_provision("p-slow", "i-f6", HOOK_TIMEOUT),
	    "provision failed: the provision hook did not finish within 2 "
	    "seconds", "a synchronous hook is stopped before the request "
	    "timeout");
	CHECK(time(NULL) - t0 < 15, "... in %lld s", (long long)(time(NULL) -
	    t0));
	cfg.request_timeout = OSB_DEFAULT_REQUEST_TIMEOUT;

	before = instance("p-ok");
	op_done(before, ACT_PROVISION, "provisioned", NULL);
	pending = instance("p-fail");
	run(&r, "p-fail", T_INSTANCES, "i-uf", before, ACT_UPDATE, 0, pending,
	    NULL);
	CHECK(op_is(r.final, ACT_UPDATE, OPS_FAILED) &&
	    field_is(op_last(r.final), "instance_usable", "false") &&
	    field_is(op_last(r.final), "update_repeatable", "true"),
	    "failed update: instance_usable and update_repeatable recorded");
	CHECK(strcmp(records_str(r.final, "plan_id"), "p-ok") == 0 &&
	    cJSON_GetObjectItemCaseSensitive(op_last(r.final), "pending") ==
	    NULL, "... the instance keeps its plan, the pending values go");
	cJSON_Delete(pending);
	run_free(&r);

	before = instance("p-fail");
	op_done(before, ACT_PROVISION, "provisioned", NULL);
	run(&r, "p-fail", T_INSTANCES, "i-df", before, ACT_DEPROVISION, 0,
	    NULL, NULL);
	CHECK(op_is(r.final, ACT_DEPROVISION, OPS_FAILED) &&
	    strcmp(desc(r.final), "half done") == 0 &&
	    field_is(op_last(r.final), "instance_usable", "false") &&
	    cJSON_GetObjectItemCaseSensitive(op_last(r.final),
	    "update_repeatable") == NULL,
	    "failed deprovision: instance_usable recorded, update_repeatable "
	    "not");
	run_free(&r);
}

static void
test_bind(void)
{
	struct run	 r;
	cJSON		*inst, *rec, *in;

	inst = instance("p-ok");
	cJSON_AddStringToObject(inst, "dashboard_url", "https://dash");
	op_done(inst, ACT_PROVISION, "provisioned", NULL);
	save(T_INSTANCES, "i-b", inst);
	rec = cJSON_Parse("{\"service_id\":\"svc-1\",\"plan_id\":\"p-ok\","
	    "\"app_guid\":\"app-1\",\"bind_resource\":{\"app_guid\":\"app-1\"},"
	    "\"parameters\":{\"ro\":true},\"credentials\":{\"username\":\"u\","
	    "\"password\":\"built-in\"}}");
	run(&r, "p-ok", T_BINDINGS, "i-b/b-1", rec, ACT_BIND, 0, NULL, inst);
	CHECK(r.rc == STORE_OK && r.ours == 1 && op_is(r.final, ACT_BIND,
	    OPS_SUCCEEDED) && strcmp(desc(r.final), "bound") == 0,
	    "bind hook exits 0: bound");
	CHECK(field_is(r.final, "credentials", "{\"username\":\"u\","
	    "\"password\":\"hook-pw\",\"port\":5432}"),
	    "the hook's credentials are merged over the built-in ones");
	CHECK(field_is(r.final, "syslog_drain_url", "\"syslog://d\""),
	    "its syslog_drain_url is kept");
	rec = stored(T_BINDINGS, "i-b/b-1");
	CHECK(cJSON_Compare(rec, r.final, 1), "the store holds it");
	cJSON_Delete(rec);
	run_free(&r);

	in = hook_input("bind");
	CHECK(field_is(in, "action", "\"bind\"") &&
	    field_is(in, "instance_id", "\"i-b\"") &&
	    field_is(in, "binding_id", "\"b-1\""),
	    "input: action, instance_id and binding_id");
	CHECK(field_is(in, "credentials", "{\"username\":\"u\","
	    "\"password\":\"built-in\"}"),
	    "input: the built-in credentials");
	CHECK(field_is(in, "instance", "{\"plan_id\":\"p-ok\",\"parameters\":"
	    "{\"size\":\"s\"},\"context\":{\"platform\":\"test\"},"
	    "\"dashboard_url\":\"https://dash\"}"),
	    "input: the instance's plan, parameters, context, dashboard_url");
	CHECK(field_is(in, "parameters", "{\"ro\":true}") &&
	    field_is(in, "context", "{}"),
	    "input: the binding's parameters, its context {} when none");
	CHECK(field_is(in, "app_guid", "\"app-1\"") &&
	    field_is(in, "bind_resource", "{\"app_guid\":\"app-1\"}"),
	    "input: app_guid and bind_resource");
	cJSON_Delete(in);
	CHECK(hook_env_has("bind", "OSBROKER_BINDING_ID=b-1"),
	    "environment: OSBROKER_BINDING_ID");
	cJSON_Delete(inst);

	/* p-ok has no unbind hook: the broker unbinds alone. */
	rec = stored(T_BINDINGS, "i-b/b-1");
	run(&r, "p-ok", T_BINDINGS, "i-b/b-1", rec, ACT_UNBIND, 0, NULL, NULL);
	CHECK(r.rc == STORE_OK && r.ours == 1 && r.hr.status == HOOK_OK &&
	    r.final == NULL, "unbind without a hook: done, *final NULL");
	rec = stored(T_BINDINGS, "i-b/b-1");
	CHECK(rec == NULL, "... and the binding is removed");
	cJSON_Delete(rec);
	run_free(&r);
}

static void
test_update_delete(void)
{
	struct run		 r;
	struct store_txn	*t;
	cJSON			*rec, *pending, *in;
	int			 gone;

	rec = instance("p-reject");
	op_done(rec, ACT_PROVISION, "provisioned", NULL);
	pending = instance("p-ok");
	cJSON_ReplaceItemInObject(pending, "parameters",
	    cJSON_Parse("{\"size\":\"l\"}"));
	run(&r, "p-ok", T_INSTANCES, "i-u", rec, ACT_UPDATE, 0, pending, NULL);
	CHECK(op_is(r.final, ACT_UPDATE, OPS_SUCCEEDED) &&
	    strcmp(records_str(r.final, "plan_id"), "p-ok") == 0 &&
	    field_is(r.final, "parameters", "{\"size\":\"l\"}") &&
	    cJSON_GetObjectItemCaseSensitive(op_last(r.final), "pending") ==
	    NULL, "update succeeds: the pending record replaces the instance");
	run_free(&r);
	in = hook_input("quiet");
	CHECK(field_is(in, "previous_plan", "{\"id\":\"p-reject\","
	    "\"name\":\"reject\"}") && field_is(in, "plan",
	    "{\"id\":\"p-ok\",\"name\":\"ok\"}") && field_is(in, "parameters",
	    "{\"size\":\"l\"}"),
	    "input: the new plan and parameters, and previous_plan");
	CHECK(cJSON_GetObjectItemCaseSensitive(in, "organization_guid") ==
	    NULL && cJSON_GetObjectItemCaseSensitive(in, "space_guid") == NULL,
	    "input: organization_guid and space_guid only for a provision");
	cJSON_Delete(in);
	cJSON_Delete(pending);

	/* Deprovision, synchronous: the instance and its bindings go. */
	rec = instance("p-ok");
	op_done(rec, ACT_BIND, "bound", NULL);
	save(T_BINDINGS, "i-d/b-1", rec);
	save(T_BINDINGS, "i-d0/b-1", rec);
	run(&r, "p-ok", T_INSTANCES, "i-d", rec, ACT_DEPROVISION, 0, NULL,
	    NULL);
	in = hook_input("quiet");
	CHECK(field_is(in, "bindings", "[{\"binding_id\":\"b-1\","
	    "\"credentials\":{}}]"), "input: the instance's bindings");
	cJSON_Delete(in);
	CHECK(r.rc == STORE_OK && r.ours == 1 && r.final == NULL &&
	    (rec = stored(T_INSTANCES, "i-d")) == NULL,
	    "deprovision succeeds: the record is removed");
	CHECK((rec = stored(T_BINDINGS, "i-d/b-1")) == NULL,
	    "... with its bindings");
	CHECK((rec = stored(T_BINDINGS, "i-d0/b-1")) != NULL,
	    "... not those of instance i-d0");
	cJSON_Delete(rec);
	if (store_begin(st, 0, NULL, &t) != STORE_OK)
		exit(2);
	gone = op_gone_get(t, "i-d");
	store_abort(t);
	CHECK(gone == 0, "a synchronous deprovision leaves no tombstone");
	run_free(&r);

	run(&r, "p-async", T_INSTANCES, "i-da", instance("p-async"),
	    ACT_DEPROVISION, 1, NULL, NULL);
	cJSON_Delete(hook_input("quiet"));
	if (store_begin(st, 0, NULL, &t) != STORE_OK)
		exit(2);
	gone = op_gone_get(t, "i-da");
	store_abort(t);
	CHECK(r.rc == STORE_OK && r.final == NULL && gone == 1,
	    "an asynchronous deprovision leaves a tombstone");
	run_free(&r);
}

/* An instance record of plan pid at maintenance version v (NULL: none). */
static cJSON *
versioned(const char *pid, const char *v)
{
	cJSON *rec = instance(pid), *mi;

	if (v != NULL) {
		mi = cJSON_AddObjectToObject(rec, "maintenance_info");
		cJSON_AddStringToObject(mi, "version", v);
	}
	return rec;
}

static void
test_upgrade(void)
{
	struct run	 r;
	cJSON		*rec, *pending, *in;

	/* A provision's input names the version it makes. */
	run(&r, "p-ok", T_INSTANCES, "i-vp", versioned("p-ok", "1.0.0"),
	    ACT_PROVISION, 0, NULL, NULL);
	run_free(&r);
	in = hook_input("provision");
	CHECK(field_is(in, "maintenance_info", "{\"version\":\"1.0.0\"}"),
	    "input: a provision's maintenance_info");
	cJSON_Delete(in);

	rec = versioned("p-ok", "1.0.0");
	op_done(rec, ACT_PROVISION, "provisioned", NULL);
	pending = versioned("p-ok", "2.0.0");
	run(&r, "p-ok", T_INSTANCES, "i-up", rec, ACT_UPGRADE, 0, pending,
	    NULL);
	CHECK(r.rc == STORE_OK && op_is(r.final, ACT_UPGRADE, OPS_SUCCEEDED) &&
	    field_is(r.final, "maintenance_info", "{\"version\":\"2.0.0\"}") &&
	    cJSON_GetObjectItemCaseSensitive(op_last(r.final), "pending") ==
	    NULL, "upgrade succeeds: the new version is recorded");
	CHECK(strcmp(desc(r.final), "upgraded") == 0,
	    "... described as upgraded");
	run_free(&r);
	in = hook_input("quiet");
	CHECK(field_is(in, "action", "\"upgrade\"") &&
	    field_is(in, "previous_maintenance_info",
	    "{\"version\":\"1.0.0\"}") && field_is(in, "maintenance_info",
	    "{\"version\":\"2.0.0\"}"),
	    "input: upgrade, the old and the new maintenance_info");
	CHECK(field_is(in, "parameters", "{\"size\":\"s\"}") &&
	    field_is(in, "context", "{\"platform\":\"test\"}") &&
	    cJSON_GetObjectItemCaseSensitive(in, "previous_plan") == NULL,
	    "input: the instance's parameters and context, no previous_plan");
	cJSON_Delete(in);
	cJSON_Delete(pending);

	/* From no version: previous_maintenance_info is null. */
	rec = versioned("p-ok", NULL);
	op_done(rec, ACT_PROVISION, "provisioned", NULL);
	pending = versioned("p-ok", "2.0.0");
	run(&r, "p-ok", T_INSTANCES, "i-up0", rec, ACT_UPGRADE, 1, pending,
	    NULL);
	run_free(&r);
	in = hook_input("quiet");
	CHECK(field_is(in, "previous_maintenance_info", "null") &&
	    field_is(in, "async", "true"),
	    "input: an instance without a version: previous null");
	cJSON_Delete(in);
	cJSON_Delete(pending);

	/* A failed upgrade keeps the old version, with the hook's words. */
	rec = versioned("p-fail", "1.0.0");
	op_done(rec, ACT_PROVISION, "provisioned", NULL);
	pending = versioned("p-fail", "2.0.0");
	run(&r, "p-fail", T_INSTANCES, "i-upf", rec, ACT_UPGRADE, 0, pending,
	    NULL);
	CHECK(op_is(r.final, ACT_UPGRADE, OPS_FAILED) &&
	    strcmp(desc(r.final), "half done") == 0 &&
	    field_is(r.final, "maintenance_info", "{\"version\":\"1.0.0\"}"),
	    "upgrade fails: the old version stays, failed, the hook's "
	    "description");
	CHECK(field_is(op_last(r.final), "instance_usable", "false") &&
	    field_is(op_last(r.final), "update_repeatable", "true"),
	    "... with instance_usable and update_repeatable as the hook said");
	run_free(&r);
	cJSON_Delete(pending);
}

static void
test_record(void)
{
	struct hook_result	 hr;
	struct catalog_plan	 p = plan("p-ok");
	cJSON			*rec, *final = (cJSON *)&dir, *after;
	char			 opid[64];
	int			 ours = -1;

	memset(&hr, 0, sizeof(hr));
	hr.status = HOOK_OK;
	rec = instance("p-ok");
	snprintf(opid, sizeof(opid), "%s", op_begin(rec, ACT_PROVISION, 1, &p,
	    NULL, NULL));
	save(T_INSTANCES, "i-r", rec);
	CHECK(work_record(st, T_INSTANCES, "i-r", "provision-other",
	    ACT_PROVISION, &hr, &final, &ours) == STORE_OK && ours == 0 &&
	    final == NULL, "work_record of another operation: *ours 0, "
	    "*final NULL");
	after = stored(T_INSTANCES, "i-r");
	CHECK(cJSON_Compare(after, rec, 1), "... and the record is unchanged");
	cJSON_Delete(after);

	op_finish(rec, OPS_FAILED, "reaped");
	save(T_INSTANCES, "i-r", rec);
	ours = -1;
	CHECK(work_record(st, T_INSTANCES, "i-r", opid, ACT_PROVISION, &hr,
	    &final, &ours) == STORE_OK && ours == 0 && final == NULL,
	    "its own operation, no longer in progress: *ours 0");
	after = stored(T_INSTANCES, "i-r");
	CHECK(op_is(after, ACT_PROVISION, OPS_FAILED) &&
	    strcmp(desc(after), "reaped") == 0,
	    "... and the record stays failed");
	cJSON_Delete(after);
	cJSON_Delete(rec);

	ours = -1;
	CHECK(work_record(st, T_INSTANCES, "i-none", opid, ACT_PROVISION, &hr,
	    &final, &ours) == STORE_OK && ours == 0 && final == NULL,
	    "a record that is gone: STORE_OK, *ours 0");
}

static void
test_describe(void)
{
	static const char *const words[ACT__COUNT] = { "provisioned",
	    "updated", "deprovisioned", "bound", "unbound", "upgraded" };
	struct hook_result	 hr;
	char			 d[OSB_MAX_HOOK_DESC + 200], *big;
	int			 a;

	memset(&hr, 0, sizeof(hr));
	for (a = 0; a < ACT__COUNT; a++) {
		work_describe((enum action)a, &hr, d, sizeof(d));
		CHECK_STR(d, words[a], "work_describe: %s succeeded, in "
		    "its own word", action_name((enum action)a));
	}
	hr.status = HOOK_TIMEOUT;
	snprintf(hr.why, sizeof(hr.why), "did not finish within 3 seconds");
	work_describe(ACT_UNBIND, &hr, d, sizeof(d));
	CHECK_STR(d, "unbind failed: the unbind hook did not finish within 3 "
	    "seconds", "a failure without a description: action and why");
	hr.out = cJSON_Parse("{\"description\":\"\"}");
	work_describe(ACT_UNBIND, &hr, d, sizeof(d));
	CHECK_STR(d, "unbind failed: the unbind hook did not finish within 3 "
	    "seconds", "an empty description counts as none");
	cJSON_Delete(hr.out);
	hr.out = cJSON_Parse("{\"description\":7}");
	work_describe(ACT_UNBIND, &hr, d, sizeof(d));
	CHECK_STR(d, "unbind failed: the unbind hook did not finish within 3 "
	    "seconds", "a description that is not a string counts as none");
	cJSON_Delete(hr.out);
	hr.out = cJSON_Parse("{\"description\":\"still there\"}");
	work_describe(ACT_UNBIND, &hr, d, sizeof(d));
	CHECK_STR(d, "still there", "a failure with a description: the "
	    "hook's");
	hr.status = HOOK_OK;
	work_describe(ACT_BIND, &hr, d, sizeof(d));
	CHECK_STR(d, "still there", "a success with a description: the "
	    "hook's");
	cJSON_Delete(hr.out);

	/* 999 bytes of "a", then "é" (2 bytes): cut before the "é". */
	if ((big = malloc(OSB_MAX_HOOK_DESC + 8)) == NULL)
		exit(2);
	memset(big, 'a', OSB_MAX_HOOK_DESC - 1);
	strcpy(big + OSB_MAX_HOOK_DESC - 1, "\xc3\xa9zz");
	hr.out = cJSON_CreateObject();
	cJSON_AddStringToObject(hr.out, "description", big);
	work_describe(ACT_BIND, &hr, d, sizeof(d));
	CHECK(strlen(d) == OSB_MAX_HOOK_DESC - 1 &&
	    strspn(d, "a") == OSB_MAX_HOOK_DESC - 1,
	    "a long description: at most %d bytes, cut on a character "
	    "boundary (%zu)", OSB_MAX_HOOK_DESC, strlen(d));
	big[OSB_MAX_HOOK_DESC - 1] = 'b';	/* "...ab" then "czz" */
	big[OSB_MAX_HOOK_DESC] = 'c';
	cJSON_ReplaceItemInObject(hr.out, "description",
	    cJSON_CreateString(big));
	work_describe(ACT_BIND, &hr, d, sizeof(d));
	CHECK(strlen(d) == OSB_MAX_HOOK_DESC && d[OSB_MAX_HOOK_DESC - 1] == 'b',
	    "an ASCII one: exactly %d bytes", OSB_MAX_HOOK_DESC);
	work_describe(ACT_BIND, &hr, d, 10);
	CHECK(strlen(d) == 9, "never more than the buffer holds");
	cJSON_Delete(hr.out);
	free(big);
}

int
main(void)
{
	setup();
	test_provision();
	test_refused();
	test_failed();
	test_bind();
	test_update_delete();
	test_upgrade();
	test_record();
	test_describe();
	store_close(st);
	catalog_free(cat);
	tmp_remove(dir);
	return tap_done();
}
