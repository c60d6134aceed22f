/* SPDX-License-Identifier: ISC */
/*
 * test_op: the life of an operation record (op.h) without a store: begin,
 * state queries, and op_reap() for every way an operation can no longer
 * finish — deadline passed, runner dead, machine restarted, runner never
 * started — and the ways it still can.  Then the functions that read and
 * write records through a real store (LMDB in a mkdtemp(3) directory),
 * each result checked from a new transaction: op_load_live(), op_end(),
 * op_read_live() and op_bindings_busy() with live and stale operations,
 * op_lastop_reply(), and the tombstones (op_gone_put(), op_gone_get()).
 * A stale operation is one whose deadline is set into the past.
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
#include "records.h"
#include "store.h"
#include "tap.h"
#include "tmpdir.h"

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

	/* A runner that exited: a child of ours, reaped.  (What stdout holds
	 * is flushed first, or the child could print it again.) */
	fflush(stdout);
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

/* ---- through a store --------------------------------------------------- */

static char dir[64];

/* Save rec under key and free it. */
static void
keep(struct store *st, enum store_table tb, const char *key, cJSON *rec)
{
	tmp_save(st, tb, key, rec);
	cJSON_Delete(rec);
}

/* The stored record's operation state; -1 when there is no record. */
static int
stored_state(struct store *st, enum store_table tb, const char *key)
{
	cJSON	*rec = tmp_stored(st, tb, key);
	int	 s = rec != NULL ? (int)op_state(rec) : -1;

	cJSON_Delete(rec);
	return s;
}

/* An operation of action a in progress, past its deadline. */
static cJSON *
stale(enum action a)
{
	cJSON *rec = cJSON_CreateObject();

	op_begin(rec, a, 1, &plan, NULL, NULL);
	set_num(lastop(rec), "deadline", (double)(time(NULL) - 1));
	return rec;
}

/* An operation of action a in progress, well before its deadline. */
static cJSON *
live(enum action a)
{
	cJSON *rec = cJSON_CreateObject();

	op_begin(rec, a, 1, &plan, NULL, NULL);
	return rec;
}

static struct store_txn *
begin_write(struct store *st)
{
	struct store_txn *t;

	if (store_begin(st, 1, NULL, &t) != STORE_OK)
		exit(2);
	return t;
}

static void
test_load_live(struct store *st)
{
	struct store_txn	*t;
	cJSON			*got, *again;
	enum store_rc		 rc, erc;
	int			 dirty = 0;

	keep(st, T_INSTANCES, "i-stale", stale(ACT_PROVISION));
	keep(st, T_INSTANCES, "i-stale2", stale(ACT_PROVISION));
	keep(st, T_INSTANCES, "i-live", live(ACT_PROVISION));

	t = begin_write(st);
	rc = op_load_live(t, T_INSTANCES, "i-live", &got, &dirty);
	CHECK(rc == STORE_OK && dirty == 0 && op_state(got) ==
	    OPS_IN_PROGRESS, "op_load_live: a live operation stays in "
	    "progress, *dirty not set");
	cJSON_Delete(got);
	rc = op_load_live(t, T_INSTANCES, "i-stale", &got, &dirty);
	CHECK(rc == STORE_OK && dirty == 1 && op_state(got) == OPS_FAILED,
	    "a stale operation is reaped: failed, *dirty set");
	cJSON_Delete(got);
	again = NULL;
	(void)records_load(t, T_INSTANCES, "i-stale", &again);
	CHECK(op_state(again) == OPS_FAILED,
	    "... and saved in the caller's transaction");
	cJSON_Delete(again);
	dirty = 0;
	rc = op_load_live(t, T_INSTANCES, "i-none", &got, &dirty);
	CHECK(rc == STORE_NOTFOUND && got == NULL && dirty == 0,
	    "an absent record: STORE_NOTFOUND, *dirty not set");
	CHECK(op_end(t, 1) == STORE_OK && stored_state(st, T_INSTANCES,
	    "i-stale") == OPS_FAILED, "op_end(dirty) commits: a new "
	    "transaction sees the reaped operation failed");

	t = begin_write(st);
	dirty = 0;
	rc = op_load_live(t, T_INSTANCES, "i-stale2", &got, &dirty);
	cJSON_Delete(got);
	erc = op_end(t, 0);
	CHECK(rc == STORE_OK && dirty == 1 && erc == STORE_OK &&
	    stored_state(st, T_INSTANCES, "i-stale2") == OPS_IN_PROGRESS,
	    "op_end(clean) aborts: what the transaction wrote is not stored");
}

static void
test_read_live(struct store *st)
{
	cJSON		*got, *before, *after;
	enum store_rc	 rc;

	keep(st, T_INSTANCES, "r-stale", stale(ACT_UPDATE));
	rc = op_read_live(st, T_INSTANCES, "r-stale", &got);
	CHECK(rc == STORE_OK && op_is(got, ACT_UPDATE, OPS_FAILED),
	    "op_read_live: a stale operation is returned failed");
	CHECK(stored_state(st, T_INSTANCES, "r-stale") == OPS_FAILED,
	    "... and the store then holds it failed (its own write "
	    "transaction, committed)");
	cJSON_Delete(got);

	before = live(ACT_UPDATE);
	tmp_save(st, T_INSTANCES, "r-live", before);
	rc = op_read_live(st, T_INSTANCES, "r-live", &got);
	after = tmp_stored(st, T_INSTANCES, "r-live");
	CHECK(rc == STORE_OK && op_is(got, ACT_UPDATE, OPS_IN_PROGRESS) &&
	    cJSON_Compare(got, before, 1) && cJSON_Compare(after, before, 1),
	    "a live operation: returned and stored as it was");
	cJSON_Delete(got);
	cJSON_Delete(after);
	cJSON_Delete(before);

	got = (cJSON *)&dir;	/* not NULL: op_read_live must clear it */
	rc = op_read_live(st, T_INSTANCES, "r-none", &got);
	CHECK(rc == STORE_NOTFOUND && got == NULL,
	    "an absent record: STORE_NOTFOUND, *out NULL");
}

/* op_bindings_busy(iid) in a write transaction, then op_end(t, dirty): what
 * it reaped is kept only when it said so. */
static int
busy_dirty(struct store *st, const char *iid, enum store_rc *rc, int *dirty)
{
	struct store_txn	*t = begin_write(st);
	int			 busy = -1;

	*dirty = 0;
	*rc = op_bindings_busy(t, iid, &busy, dirty);
	if (op_end(t, *dirty) != STORE_OK)
		exit(2);
	return busy;
}

static int
busy_of(struct store *st, const char *iid, enum store_rc *rc)
{
	int dirty;

	return busy_dirty(st, iid, rc, &dirty);
}

static void
test_bindings_busy(struct store *st)
{
	cJSON		*rec;
	enum store_rc	 rc;
	char		 key[32];
	int		 i, dirty;

	CHECK(busy_of(st, "inst-0", &rc) == 0 && rc == STORE_OK,
	    "op_bindings_busy: no bindings, not busy");

	rec = cJSON_CreateObject();
	op_done(rec, ACT_BIND, "bound", NULL);
	keep(st, T_BINDINGS, "inst-1/b-1", rec);
	CHECK(busy_of(st, "inst-1", &rc) == 0 && rc == STORE_OK,
	    "a finished binding: not busy");
	keep(st, T_BINDINGS, "inst-1/b-2", live(ACT_BIND));
	CHECK(busy_of(st, "inst-1", &rc) == 1 && rc == STORE_OK,
	    "one binding in progress: busy");

	CHECK(busy_dirty(st, "inst-1", &rc, &dirty) == 1 && dirty == 0,
	    "... and nothing reaped: not dirty");

	keep(st, T_BINDINGS, "inst-2/b-1", stale(ACT_UNBIND));
	CHECK(busy_dirty(st, "inst-2", &rc, &dirty) == 0 && rc == STORE_OK,
	    "one in progress past its deadline: not busy");
	CHECK(dirty == 1, "... reaping it makes the transaction dirty");
	CHECK(stored_state(st, T_BINDINGS, "inst-2/b-1") == OPS_FAILED,
	    "... it was reaped in the caller's transaction");

	/* "inst-30/b-1" starts with "inst-3" but is not a binding of it. */
	keep(st, T_BINDINGS, "inst-30/b-1", live(ACT_BIND));
	CHECK(busy_of(st, "inst-3", &rc) == 0 && rc == STORE_OK,
	    "bindings of inst-30 do not make inst-3 busy");
	CHECK(busy_of(st, "inst-30", &rc) == 1,
	    "... they make inst-30 busy");

	/* More than the 16 keys it keeps to reload. */
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "inst-4/b-%02d", i);
		rec = cJSON_CreateObject();
		op_done(rec, ACT_BIND, "bound", NULL);
		if (i == 19)
			op_begin(rec, ACT_UNBIND, 1, &plan, NULL, NULL);
		keep(st, T_BINDINGS, key, rec);
	}
	CHECK(busy_of(st, "inst-4", &rc) == 1,
	    "the last of 20 bindings in progress: busy");
	/* 16 stale ones fill the list of keys it reloads; the 17th, live,
	 * is past it. */
	for (i = 0; i < 17; i++) {
		snprintf(key, sizeof(key), "inst-5/b-%02d", i);
		keep(st, T_BINDINGS, key, i < 16 ? stale(ACT_BIND) :
		    live(ACT_BIND));
	}
	CHECK(busy_of(st, "inst-5", &rc) == 1,
	    "16 stale bindings and a 17th in progress: busy");
	/* Once, not only the second time: every stale one is reaped. */
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "inst-6/b-%02d", i);
		keep(st, T_BINDINGS, key, stale(ACT_BIND));
	}
	CHECK(busy_dirty(st, "inst-6", &rc, &dirty) == 0 && rc == STORE_OK &&
	    dirty == 1, "20 stale bindings: not busy at the first look");
	CHECK(stored_state(st, T_BINDINGS, "inst-6/b-19") == OPS_FAILED,
	    "... the 20th was reaped too");
}

/* op_lastop_reply(rec) equals the JSON text want; rec is freed. */
static int
reply_is(cJSON *rec, const char *want)
{
	cJSON	*got = op_lastop_reply(rec), *w = cJSON_Parse(want);
	char	*s = cJSON_PrintUnformatted(got);
	int	 same = cJSON_Compare(got, w, 1);

	if (!same)
		printf("#   got: %s\n#  want: %s\n", s, want);
	free(s);
	cJSON_Delete(got);
	cJSON_Delete(w);
	cJSON_Delete(rec);
	return same;
}

/* A finished operation of action a in state s with both flags set. */
static cJSON *
flagged(enum action a, enum op_state s, int usable, const char *repeatable)
{
	cJSON *rec = live(a);

	op_finish(rec, s, "it broke");
	cJSON_AddBoolToObject(lastop(rec), "instance_usable", usable);
	if (repeatable != NULL)
		cJSON_AddItemToObject(lastop(rec), "update_repeatable",
		    cJSON_Parse(repeatable));
	return rec;
}

static void
test_lastop_reply(void)
{
	cJSON *rec;

	CHECK(reply_is(live(ACT_PROVISION), "{\"state\":\"in progress\","
	    "\"description\":\"provision in progress\"}"),
	    "op_lastop_reply: in progress, with its description");
	CHECK(reply_is(flagged(ACT_UPDATE, OPS_FAILED, 0, "true"),
	    "{\"state\":\"failed\",\"description\":\"it broke\","
	    "\"instance_usable\":false,\"update_repeatable\":true}"),
	    "failed: instance_usable and update_repeatable as recorded");
	CHECK(reply_is(flagged(ACT_UPDATE, OPS_FAILED, 1, "\"yes\""),
	    "{\"state\":\"failed\",\"description\":\"it broke\","
	    "\"instance_usable\":true}"),
	    "failed: a flag that is not a boolean is left out");
	CHECK(reply_is(flagged(ACT_UPDATE, OPS_SUCCEEDED, 0, "false"),
	    "{\"state\":\"succeeded\",\"description\":\"it broke\"}"),
	    "succeeded: no flags, even when recorded");
	CHECK(reply_is(cJSON_CreateObject(), "{\"state\":\"succeeded\"}"),
	    "no operation: succeeded, no description");
	rec = live(ACT_BIND);
	op_finish(rec, OPS_SUCCEEDED, "");
	CHECK(reply_is(rec, "{\"state\":\"succeeded\"}"),
	    "an empty description is left out");
}

static void
test_gone(struct store *st)
{
	struct store_txn	*t;
	cJSON			*g;
	char			 old[80];
	time_t			 now = time(NULL);

	t = begin_write(st);
	CHECK(op_gone_get(t, "g-1") == 0, "op_gone_get: no tombstone, 0");
	CHECK(op_gone_put(t, "g-1", "deprovision-1") == STORE_OK,
	    "op_gone_put: STORE_OK");
	if (store_commit(t) != STORE_OK)
		exit(2);
	t = begin_write(st);
	CHECK(op_gone_get(t, "g-1") == 1, "a new transaction finds it");
	store_abort(t);
	g = tmp_stored(st, T_GONE, "g-1");
	CHECK(strcmp(records_str(g, "operation"), "deprovision-1") == 0 &&
	    records_num(g, "at") >= (double)now &&
	    records_num(g, "at") <= (double)now + 5,
	    "it names the operation and when");
	cJSON_Delete(g);

	snprintf(old, sizeof(old), "{\"operation\":\"o\",\"at\":%lld}",
	    (long long)(now - OP_GONE_KEEP - 60));
	tmp_put(st, T_GONE, "g-old", old);
	snprintf(old, sizeof(old), "{\"operation\":\"o\",\"at\":%lld}",
	    (long long)(now - OP_GONE_KEEP + 600));
	tmp_put(st, T_GONE, "g-week", old);
	t = begin_write(st);
	if (op_gone_put(t, "g-2", "deprovision-2") != STORE_OK ||
	    store_commit(t) != STORE_OK)
		exit(2);
	t = begin_write(st);
	CHECK(op_gone_get(t, "g-old") == 0,
	    "a tombstone older than %d s is pruned by the next put",
	    OP_GONE_KEEP);
	CHECK(op_gone_get(t, "g-week") == 1 && op_gone_get(t, "g-1") == 1,
	    "younger ones are kept");
	store_abort(t);
}

int
main(void)
{
	struct store *st;

	memset(&cfg, 0, sizeof(cfg));
	cfg.hook_timeout = 7;
	plan.service_id = "svc";
	plan.plan_id = "plan";
	plan.plan_name = "p";
	plan.maximum_polling_duration = 10;
	plan.cfg = &cfg;
	test_begin();
	test_reap();
	tmp_make(dir, sizeof(dir), "op");
	st = tmp_store(dir);
	test_load_live(st);
	test_read_live(st);
	test_bindings_busy(st);
	test_lastop_reply();
	test_gone(st);
	store_close(st);
	tmp_remove(dir);
	return tap_done();
}
