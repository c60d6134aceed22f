/*
 * test_op: the life of an operation record (op.h) without a store: begin,
 * state queries, and op_reap() for every way an operation can no longer
 * finish — deadline passed, runner dead, machine restarted, runner never
 * started — and the ways it still can.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "op.h"
#include "plancfg.h"
#include "tap.h"

static struct plancfg		cfg;
static struct catalog_plan	plan;

static cJSON *
lastop(cJSON *rec)
{
	return cJSON_GetObjectItemCaseSensitive(rec, "last_operation");
}

static const char *
desc(cJSON *rec)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    lastop(rec), "description"));
}

static void
set_num(cJSON *o, const char *name, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	cJSON_AddNumberToObject(o, name, v);
}

static cJSON *
begun(int async)
{
	cJSON *rec = cJSON_CreateObject();
	struct op_who who = { "rid-1", NULL };

	op_begin(rec, ACT_PROVISION, async, &plan, NULL, &who);
	return rec;
}

static void
test_begin(void)
{
	cJSON		*rec = begun(1), *op;
	const char	*id;
	time_t		 now = time(NULL);

	op = lastop(rec);
	id = op_id(rec);
	CHECK(op_state(rec) == OPS_IN_PROGRESS && op_action(rec) ==
	    ACT_PROVISION && op_is(rec, ACT_PROVISION, OPS_IN_PROGRESS),
	    "op_begin: provision in progress");
	CHECK(strncmp(id, "provision-", 10) == 0 && strlen(id) == 26,
	    "operation id \"provision-\" + 16 hex digits (%s)", id);
	CHECK(cJSON_GetObjectItemCaseSensitive(op, "runner") == NULL,
	    "an asynchronous operation has no runner until it checks in");
	CHECK(cJSON_GetObjectItemCaseSensitive(op, "deadline")->valuedouble >=
	    (double)(now + 10) &&
	    cJSON_GetObjectItemCaseSensitive(op, "deadline")->valuedouble <=
	    (double)(now + 11), "deadline: maximum_polling_duration (10 s)");
	CHECK(op_reap(rec, now) == 0, "a fresh operation is not reaped");
	op_set_runner(rec);
	CHECK(cJSON_GetObjectItemCaseSensitive(lastop(rec), "runner") != NULL,
	    "op_set_runner records this process");
	CHECK(op_reap(rec, now) == 0, "a live runner is not reaped");
	cJSON_Delete(rec);

	rec = begun(0);
	CHECK(cJSON_GetObjectItemCaseSensitive(lastop(rec), "runner") != NULL,
	    "a synchronous operation's runner is the process itself");
	CHECK(cJSON_GetObjectItemCaseSensitive(lastop(rec), "deadline")->
	    valuedouble >= (double)(now + cfg.hook_timeout + OP_DEADLINE_PAD),
	    "synchronous deadline: hook_timeout + %d s", OP_DEADLINE_PAD);
	cJSON_Delete(rec);

	rec = cJSON_CreateObject();
	CHECK(op_state(rec) == OPS_NONE && op_action(rec) == ACT__COUNT &&
	    *op_id(rec) == '\0', "a record without an operation");
	op_done(rec, ACT_BIND, "bound", NULL);
	CHECK(op_is(rec, ACT_BIND, OPS_SUCCEEDED) && strcmp(desc(rec),
	    "bound") == 0, "op_done: succeeded at once");
	cJSON_Delete(rec);
}

static void
test_reap(void)
{
	cJSON	*rec, *runner;
	time_t	 now = time(NULL);
	pid_t	 pid;

	rec = begun(1);
	CHECK(op_reap(rec, now + 11) == 1 && op_state(rec) == OPS_FAILED,
	    "past its deadline: failed");
	CHECK(strstr(desc(rec), "deadline") != NULL, "says why (%s)", desc(rec));
	CHECK(op_reap(rec, now + 100) == 0, "a failed operation stays failed");
	cJSON_Delete(rec);

	rec = begun(1);
	set_num(lastop(rec), "started", (double)(now - OP_START_GRACE - 1));
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "never started") !=
	    NULL, "no runner within %d s: failed (%s)", OP_START_GRACE,
	    desc(rec));
	cJSON_Delete(rec);

	/* A runner that exited: a child of ours, reaped. */
	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	rec = begun(1);
	op_set_runner(rec);
	runner = cJSON_GetObjectItemCaseSensitive(lastop(rec), "runner");
	set_num(runner, "pid", (double)pid);
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "died") != NULL,
	    "its runner died: failed (%s)", desc(rec));
	cJSON_Delete(rec);

	/* A live process under the runner's pid, started at another time:
	 * the pid was reused. */
	rec = begun(1);
	op_set_runner(rec);
	runner = cJSON_GetObjectItemCaseSensitive(lastop(rec), "runner");
	cJSON_DeleteItemFromObjectCaseSensitive(runner, "start");
	cJSON_AddStringToObject(runner, "start", "1");
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "died") != NULL,
	    "a reused pid is not the runner: failed");
	cJSON_Delete(rec);

	rec = begun(1);
	op_set_runner(rec);
	runner = cJSON_GetObjectItemCaseSensitive(lastop(rec), "runner");
	cJSON_DeleteItemFromObjectCaseSensitive(runner, "boot");
	cJSON_AddStringToObject(runner, "boot", "another-boot");
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "restarted") != NULL,
	    "recorded before a reboot: failed (%s)", desc(rec));
	cJSON_Delete(rec);
}

int
main(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.hook_timeout = 7;
	plan.service_id = "svc";
	plan.plan_id = "plan";
	plan.plan_name = "p";
	plan.maximum_polling_duration = 10;
	plan.cfg = &cfg;
	test_begin();
	test_reap();
	return tap_done();
}
