/* SPDX-License-Identifier: ISC */
/*
 * test_runner: runner_main() (runner.h), the asynchronous runner's work,
 * called in this process as `osbroker --run-operation TABLE KEY OP` would.
 * runner_spawn() is a double fork and an exec of the broker binary, so it
 * is left to the integration tests.
 *
 * runner_main() reads its settings from the environment (config.h): this
 * test points OSBROKER_STATE_DIR and OSBROKER_CATALOG into a mkdtemp(3)
 * directory holding a catalog.yml whose hooks are small /bin/sh scripts.
 * It opens the store there itself; an LMDB environment must not be open
 * twice in one process, so the test closes its own store around each call.
 * runner_main() neither exits, nor redirects or closes descriptors, so it
 * runs in-process.
 *
 * Cases: arguments and settings it refuses (unknown table, invalid
 * settings, unusable state directory), operations that are not its to run
 * (absent record, another operation id, an operation already ended), each
 * leaving the store as it was; and real operations: a provision and a bind
 * whose hooks succeed or fail, a plan gone from the catalog, and a catalog
 * that no longer loads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "op.h"
#include "records.h"
#include "runner.h"
#include "store.h"
#include "tap.h"
#include "tmpdir.h"

static char		 dir[64], catalog_path[256];
static struct store	*st;
static struct catalog	*cat;

static const char catalog_yml[] =
"services:\n"
"- id: svc-1\n"
"  name: svc\n"
"  description: d\n"
"  bindable: true\n"
"  plans:\n"
"  - {id: p-ok, name: ok, description: d, osbroker: {async: true, hooks: {"
    "provision: ok, bind: bind}}}\n"
"  - {id: p-fail, name: fail, description: d, osbroker: {async: true, "
    "hooks: {provision: fail}}}\n";

static void
setup(void)
{
	struct catalog_error	 ce;
	char			 path[256];

	tmp_make(dir, sizeof(dir), "runner");
	tmp_script(dir, "ok", "cat >/dev/null; echo '{\"dashboard_url\":"
	    "\"https://dash.example/r\"}'", path, sizeof(path));
	tmp_script(dir, "fail", "echo '{\"description\":\"no capacity\"}'; "
	    "exit 1", path, sizeof(path));
	tmp_script(dir, "bind", "cat > \"$0.stdin\"; echo "
	    "\"{\\\"credentials\\\":{\\\"op\\\":\\\"$OSBROKER_OPERATION\\\"}}\"",
	    path, sizeof(path));
	tmp_file(dir, "catalog.yml", catalog_yml, 0644, catalog_path,
	    sizeof(catalog_path));
	if (catalog_load(catalog_path, &cat, &ce) == -1) {
		fprintf(stderr, "%s:%d:%d: %s\n", ce.file, ce.line, ce.column,
		    ce.message);
		exit(2);
	}
	setenv("OSBROKER_STATE_DIR", dir, 1);
	setenv("OSBROKER_CATALOG", catalog_path, 1);
	setenv("OSBROKER_MAP_SIZE", "1048576", 1);
	st = tmp_store(dir);
}

/* runner_main with the test's store closed meanwhile. */
static int
run(const char *table, const char *key, const char *opid)
{
	int rc;

	store_close(st);
	rc = runner_main(table, key, opid);
	st = tmp_store(dir);
	return rc;
}

/* A record of plan pid with an asynchronous operation of a in progress,
 * saved under key; its operation id into opid. */
static cJSON *
begun(enum store_table tb, const char *key, const char *pid, enum action a,
    char *opid, size_t len)
{
	struct catalog_plan	 p;
	cJSON			*rec = cJSON_CreateObject();

	cJSON_AddStringToObject(rec, "service_id", "svc-1");
	cJSON_AddStringToObject(rec, "plan_id", pid);
	if (catalog_lookup(cat, "svc-1", "p-ok", &p) != CATALOG_FOUND)
		exit(2);
	snprintf(opid, len, "%s", op_begin(rec, a, 1, &p, NULL, NULL));
	tmp_save(st, tb, key, rec);
	return rec;
}

/* begun(), then the runner of that operation (table: its name on the
 * command line); the record it left into *done (the caller frees it). */
static int
begin_and_run(enum store_table tb, const char *table, const char *key,
    const char *pid, enum action a, char *opid, size_t len, cJSON **done)
{
	int rc;

	cJSON_Delete(begun(tb, key, pid, a, opid, len));
	rc = run(table, key, opid);
	*done = tmp_stored(st, tb, key);
	return rc;
}

/* 1 when the record under key is still exactly rec. */
static int
unchanged(enum store_table tb, const char *key, const cJSON *rec)
{
	cJSON	*now = tmp_stored(st, tb, key);
	int	 same = cJSON_Compare(now, rec, 1);

	cJSON_Delete(now);
	return same;
}

static const char *
desc(const cJSON *rec)
{
	return records_str(op_last(rec), "description");
}

static void
test_refused(void)
{
	cJSON	*rec, *done;
	char	 opid[64];
	int	 rc;

	rec = begun(T_INSTANCES, "i-1", "p-ok", ACT_PROVISION, opid,
	    sizeof(opid));
	rc = run("meta", "i-1", opid);
	CHECK(rc == 2 && unchanged(T_INSTANCES, "i-1", rec),
	    "table \"meta\": exit status 2, the record untouched");
	rc = run("instance", "i-1", opid);
	CHECK(rc == 2 && unchanged(T_INSTANCES, "i-1", rec),
	    "table \"instance\" (not a table name): 2, untouched");

	setenv("OSBROKER_MAX_HOOK_OUTPUT", "lots", 1);
	rc = run("instances", "i-1", opid);
	unsetenv("OSBROKER_MAX_HOOK_OUTPUT");
	CHECK(rc == 1 && unchanged(T_INSTANCES, "i-1", rec),
	    "invalid settings: 1, untouched");

	setenv("OSBROKER_STATE_DIR", catalog_path, 1);	/* a file */
	rc = run("instances", "i-1", opid);
	setenv("OSBROKER_STATE_DIR", dir, 1);
	CHECK(rc == 1 && unchanged(T_INSTANCES, "i-1", rec),
	    "a state directory that is a file: 1, untouched");

	/* Not its to run: the runner ends without doing anything, and
	 * that is no failure (it ended meanwhile, or was never there). */
	rc = run("instances", "i-none", opid);
	done = tmp_stored(st, T_INSTANCES, "i-none");
	CHECK(rc == 0 && done == NULL, "an absent record: 0, nothing made");
	cJSON_Delete(done);
	rc = run("bindings", "i-1", opid);
	CHECK(rc == 0 && unchanged(T_INSTANCES, "i-1", rec),
	    "the key in the other table: 0, untouched");
	rc = run("instances", "i-1", "provision-other");
	CHECK(rc == 0 && unchanged(T_INSTANCES, "i-1", rec),
	    "another operation id: 0, untouched (no runner checked in)");

	op_finish(rec, OPS_FAILED, "reaped");
	tmp_save(st, T_INSTANCES, "i-1", rec);
	rc = run("instances", "i-1", opid);
	CHECK(rc == 0 && unchanged(T_INSTANCES, "i-1", rec),
	    "its operation already ended: 0, untouched");
	cJSON_Delete(rec);
}

static void
test_run(void)
{
	cJSON	*rec, *done, *in;
	char	 opid[64], path[300], want[128], *text = NULL;
	size_t	 len = 0;
	FILE	*f;
	int	 rc;

	rc = begin_and_run(T_INSTANCES, "instances", "i-ok", "p-ok", ACT_PROVISION,
	    opid, sizeof(opid), &done);
	CHECK(rc == 0 && op_is(done, ACT_PROVISION, OPS_SUCCEEDED) &&
	    strcmp(op_id(done), opid) == 0 && strcmp(desc(done),
	    "provisioned") == 0,
	    "a provision whose hook exits 0: 0, the record succeeded");
	CHECK(strcmp(records_str(done, "dashboard_url"),
	    "https://dash.example/r") == 0, "... with the hook's output");
	cJSON_Delete(done);

	rc = begin_and_run(T_INSTANCES, "instances", "i-fail", "p-fail", ACT_PROVISION,
	    opid, sizeof(opid), &done);
	CHECK(rc == 0 && op_is(done, ACT_PROVISION, OPS_FAILED) &&
	    strcmp(desc(done), "no capacity") == 0,
	    "a hook that exits 1: 0, failed with the hook's description");
	cJSON_Delete(done);

	/* A binding: the instance and binding ids come from the key. */
	rec = cJSON_Parse("{\"service_id\":\"svc-1\",\"plan_id\":\"p-ok\","
	    "\"dashboard_url\":\"https://i-b\"}");
	tmp_save(st, T_INSTANCES, "i-b", rec);
	cJSON_Delete(rec);
	rc = begin_and_run(T_BINDINGS, "bindings", "i-b/b-1", "p-ok", ACT_BIND,
	    opid, sizeof(opid), &done);
	snprintf(want, sizeof(want), "{\"op\":\"%s\"}", opid);
	in = cJSON_Parse(want);
	CHECK(rc == 0 && op_is(done, ACT_BIND, OPS_SUCCEEDED) &&
	    cJSON_Compare(cJSON_GetObjectItemCaseSensitive(done,
	    "credentials"), in, 1),
	    "a bind: succeeded, the hook saw OSBROKER_OPERATION");
	cJSON_Delete(in);
	cJSON_Delete(done);
	snprintf(path, sizeof(path), "%s/bind.stdin", dir);
	if ((f = fopen(path, "r")) != NULL) {
		if (getdelim(&text, &len, '\0', f) == -1) {
			free(text);
			text = NULL;
		}
		fclose(f);
	}
	in = text != NULL ? cJSON_Parse(text) : NULL;
	free(text);
	CHECK(strcmp(records_str(in, "instance_id"), "i-b") == 0 &&
	    strcmp(records_str(in, "binding_id"), "b-1") == 0 &&
	    strcmp(records_str(in, "operation"), opid) == 0,
	    "its input: instance_id and binding_id from the key, the "
	    "operation");
	CHECK(strcmp(records_str(cJSON_GetObjectItemCaseSensitive(in,
	    "instance"), "dashboard_url"), "https://i-b") == 0,
	    "its input: the stored instance");
	cJSON_Delete(in);
}

static void
test_catalog(void)
{
	cJSON	*rec, *done;
	char	 opid[64], path[300];
	int	 rc;

	rc = begin_and_run(T_INSTANCES, "instances", "i-gone", "p-gone", ACT_PROVISION,
	    opid, sizeof(opid), &done);
	CHECK(rc == 0 && op_is(done, ACT_PROVISION, OPS_FAILED) &&
	    strcmp(desc(done), "provision failed: the provision hook could "
	    "not run: plan p-gone is no longer in the catalog") == 0,
	    "a plan no longer in the catalog: failed, saying so");
	cJSON_Delete(done);

	rec = begun(T_INSTANCES, "i-badcat", "p-ok", ACT_PROVISION, opid,
	    sizeof(opid));
	cJSON_Delete(rec);
	tmp_file(dir, "broken.yml", "services: [", 0644, path, sizeof(path));
	setenv("OSBROKER_CATALOG", path, 1);
	rc = run("instances", "i-badcat", opid);
	setenv("OSBROKER_CATALOG", catalog_path, 1);
	done = tmp_stored(st, T_INSTANCES, "i-badcat");
	CHECK(rc == 0 && op_is(done, ACT_PROVISION, OPS_FAILED) &&
	    strcmp(desc(done), "provision failed: the provision hook could "
	    "not run: the catalog is invalid") == 0,
	    "a catalog that does not load: failed, saying so");
	cJSON_Delete(done);
}

int
main(void)
{
	setup();
	test_refused();
	test_run();
	test_catalog();
	store_close(st);
	catalog_free(cat);
	tmp_remove(dir);
	return tap_done();
}
