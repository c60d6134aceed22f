/* SPDX-License-Identifier: ISC */
/*
 * test_op: the life of an operation record (op.h) without a store: begin,
 * state queries, and op_reap() for every way an operation can no longer
 * finish — deadline passed, runner dead, machine restarted, runner never
 * started — and the ways it still can.  Then the functions that read and
 * write records through a real store (LMDB in a mkdtemp(3) directory),
 * each result checked from a new transaction: op_load_live(), op_end(),
 * op_read_live() and op_bindings_busy() with live and stale operations,
 * op_lastop_reply(), the tombstones (op_gone_put(), op_gone_get()), and
 * removals that take a tombstone with them (op_remove(),
 * op_remove_bindings()).
 * A stale operation is one whose deadline is set into the past.
 *
 * Hosts (op.h "Hosts"): the identity op_set_host() takes (OSBROKER_HOST_ID,
 * a machine id file, none), the runner record on a store that is not
 * shared (no host, no lease: LMDB's shape) and on a shared one (host and
 * lease; an asynchronous lease of OP_LEASE, a synchronous one of the
 * request timeout), op_reap() judging a runner by its pid on its own host
 * and by its lease on any other (a dead pid there means nothing; a lease
 * run out fails it, naming the host), and op_renew() through the store.
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

/* 1 when o's member names are exactly the space-separated names. */
static int
keys_are(const cJSON *o, const char *names)
{
	const cJSON	*c;
	char		 buf[200], *w, *save = NULL;
	int		 n = 0, m = 0;

	cJSON_ArrayForEach(c, o)
		n++;
	snprintf(buf, sizeof(buf), "%s", names);
	for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ",
	    &save), m++)
		if (cJSON_GetObjectItemCaseSensitive(o, w) == NULL)
			return 0;
	return n == m;
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
	CHECK(keys_are(cJSON_GetObjectItemCaseSensitive(lastop(rec), "runner"),
	    "pid start boot"), "without op_set_host() (a store of its own "
	    "host): the runner is {pid, start, boot}, no host, no lease");
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

/* ---- hosts ------------------------------------------------------------- */

static void
set_str(cJSON *o, const char *name, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	cJSON_AddStringToObject(o, name, v);
}

static cJSON *
runner_of(cJSON *rec)
{
	return cJSON_GetObjectItemCaseSensitive(lastop(rec), "runner");
}

/* A dead process's pid: a child of ours, exited and reaped. */
static pid_t
dead_pid(void)
{
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

/* An operation (async or not) whose runner is on host h, with pid and
 * lease as given (lease 0: as op_set_runner() set it). */
static cJSON *
hosted(int async, const char *h, double pid, double lease)
{
	cJSON *rec = begun(async);

	op_set_runner(rec);
	set_str(runner_of(rec), "host", h);
	if (pid > 0)
		set_num(runner_of(rec), "pid", pid);
	if (lease > 0)
		set_num(runner_of(rec), "lease", lease);
	return rec;
}

static void
test_hosts(void)
{
	char		 d[64], path[128], mid[128];
	const char	*id;
	cJSON		*rec;
	time_t		 now = time(NULL);
	double		 gone = (double)dead_pid(), lease;

	tmp_make(d, sizeof(d), "host");
	/* The identity. */
	CHECK_STR(op_set_host("host-a", "/nonexistent", 1, 20), "host-a",
	    "op_set_host: OSBROKER_HOST_ID when set");
	tmp_file(d, "machine-id", "0123456789abcdef0123456789abcdef\n", 0644,
	    mid, sizeof(mid));
	id = op_set_host("", mid, 1, 20);
	CHECK(strncmp(id, "0123456789abcdef0123456789abcdef.", 33) == 0 &&
	    strlen(id) > 33 && strspn(id + 33, "0123456789") == strlen(id + 33),
	    "... else the machine id and the pid namespace (%s)", id);
	tmp_file(d, "uninit", "uninitialized\n", 0644, path, sizeof(path));
	CHECK_STR(op_set_host("", path, 1, 20), "",
	    "a machine id file saying \"uninitialized\": no identity");
	tmp_file(d, "empty", "", 0644, path, sizeof(path));
	CHECK_STR(op_set_host(NULL, path, 1, 20), "", "an empty one: none");
	CHECK_STR(op_set_host("", "/nonexistent/machine-id", 1, 20), "",
	    "no machine id file: none");

	/* A store of its own host: LMDB's shape, judged by pid. */
	(void)op_set_host("host-a", mid, 0, 20);
	rec = begun(1);
	op_set_runner(rec);
	CHECK(keys_are(runner_of(rec), "pid start boot"),
	    "not shared: the runner is {pid, start, boot} as before");
	set_num(runner_of(rec), "pid", gone);
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "died") != NULL,
	    "not shared: a dead pid fails it at once (%s)", desc(rec));
	cJSON_Delete(rec);

	/* A shared store: host and lease. */
	(void)op_set_host("host-a", mid, 1, 20);
	rec = begun(1);
	op_set_runner(rec);
	lease = records_num(runner_of(rec), "lease");
	CHECK(keys_are(runner_of(rec), "pid start boot host lease") &&
	    strcmp(records_str(runner_of(rec), "host"), "host-a") == 0,
	    "shared: the runner records its host and a lease");
	CHECK(lease >= (double)(now + OP_LEASE) && lease <= (double)(now +
	    OP_LEASE + 2), "an asynchronous lease lasts OP_LEASE (%d s)",
	    OP_LEASE);
	CHECK(op_reap(rec, now) == 0, "its own live runner: not reaped");
	cJSON_Delete(rec);
	rec = begun(0);
	lease = records_num(runner_of(rec), "lease");
	CHECK(lease >= (double)(now + 20 + OP_DEADLINE_PAD) && lease <=
	    (double)(now + 20 + OP_DEADLINE_PAD + 2), "a synchronous lease: "
	    "the request timeout (20 s) + %d s", OP_DEADLINE_PAD);
	cJSON_Delete(rec);

	/* Same host: the pid decides, as on one host. */
	rec = hosted(1, "host-a", gone, (double)(now + 30));
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "died") != NULL,
	    "same host, dead pid, lease still running: failed at once (%s)",
	    desc(rec));
	cJSON_Delete(rec);
	rec = hosted(1, "host-a", 0, (double)(now + 30));
	set_str(runner_of(rec), "boot", "another-boot");
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "restarted") != NULL,
	    "same host, another boot: failed (%s)", desc(rec));
	cJSON_Delete(rec);

	/* Another host: the lease decides, the pid means nothing here. */
	rec = hosted(1, "host-b", gone, (double)(now + 5));
	set_str(runner_of(rec), "boot", "another-boot");
	CHECK(op_reap(rec, now) == 0 && op_state(rec) == OPS_IN_PROGRESS,
	    "another host, a pid dead here, another boot, lease running: "
	    "still in progress");
	CHECK(op_reap(rec, now + 5) == 0, "... up to the lease's last second");
	CHECK(op_reap(rec, now + 6) == 1 && op_state(rec) == OPS_FAILED,
	    "... failed once the lease ran out");
	CHECK_STR(desc(rec), "provision failed: its runner on host host-b "
	    "stopped renewing its lease (that host or the runner stopped)",
	    "the description names the host and the lease");
	cJSON_Delete(rec);
	rec = hosted(1, "host-b", (double)getpid(), (double)(now - 1));
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "host-b") != NULL,
	    "another host, a pid alive here, lease run out: failed");
	cJSON_Delete(rec);
	rec = hosted(1, "host-a", 0, (double)(now - 1));
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "lease") != NULL,
	    "same host, live runner, lease run out: failed too (every host "
	    "judges a lease alike)");
	cJSON_Delete(rec);
	rec = hosted(0, "host-b", gone, (double)(now - 1));
	CHECK(op_reap(rec, now) == 1 && strcmp(desc(rec), "provision failed: "
	    "the request running it on host host-b did not end within its "
	    "lease (that host or its process stopped)") == 0,
	    "a synchronous one of another host past its lease (%s)",
	    desc(rec));
	cJSON_Delete(rec);
	rec = hosted(1, "host-b", gone, 0);
	cJSON_DeleteItemFromObjectCaseSensitive(runner_of(rec), "lease");
	cJSON_AddStringToObject(runner_of(rec), "lease", "soon");
	CHECK(op_reap(rec, now) == 1, "a lease that is not a number: failed");
	cJSON_Delete(rec);
	rec = hosted(1, "host-b", gone, (double)(now + 30));
	set_num(lastop(rec), "deadline", (double)(now - 1));
	CHECK(op_reap(rec, now) == 1 && strstr(desc(rec), "deadline") != NULL,
	    "the deadline still binds a leased runner");
	cJSON_Delete(rec);

	/* No identity: no runner is "here", not even one recorded with "". */
	CHECK_STR(op_set_host("", "/nonexistent", 1, 20), "",
	    "op_set_host without an identity");
	rec = hosted(1, "", gone, (double)(now + 5));
	CHECK(op_reap(rec, now) == 0, "no identity: a dead pid recorded by a "
	    "host without one is judged by its lease");
	CHECK(op_reap(rec, now + 6) == 1 && strstr(desc(rec),
	    "host (unknown)") != NULL, "... and failed after it (%s)",
	    desc(rec));
	cJSON_Delete(rec);

	(void)op_set_host("", "/nonexistent", 0, 0);
	tmp_remove(d);
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

static void
test_renew(struct store *st)
{
	cJSON		*rec, *got;
	const char	*id;
	char		 opid[64];
	time_t		 now = time(NULL);
	enum store_rc	 rc;
	int		 ours;

	(void)op_set_host("host-a", "/nonexistent", 1, 20);
	rec = begun(1);
	op_set_runner(rec);
	set_num(runner_of(rec), "lease", (double)(now - 5));
	snprintf(opid, sizeof(opid), "%s", op_id(rec));
	keep(st, T_INSTANCES, "n-1", rec);
	rc = op_renew(st, T_INSTANCES, "n-1", opid, &ours);
	got = tmp_stored(st, T_INSTANCES, "n-1");
	CHECK(rc == STORE_OK && ours == 1 && records_num(runner_of(got),
	    "lease") >= (double)(now + OP_LEASE) && op_state(got) ==
	    OPS_IN_PROGRESS, "op_renew: the lease is OP_LEASE from now again, "
	    "committed, *ours 1");
	cJSON_Delete(got);

	rec = tmp_stored(st, T_INSTANCES, "n-1");
	rc = op_renew(st, T_INSTANCES, "n-1", "provision-other", &ours);
	got = tmp_stored(st, T_INSTANCES, "n-1");
	CHECK(rc == STORE_OK && ours == 0 && cJSON_Compare(rec, got, 1),
	    "another operation id: *ours 0, nothing written");
	cJSON_Delete(got);
	op_finish(rec, OPS_FAILED, "reaped");
	keep(st, T_INSTANCES, "n-1", rec);
	rc = op_renew(st, T_INSTANCES, "n-1", opid, &ours);
	got = tmp_stored(st, T_INSTANCES, "n-1");
	CHECK(rc == STORE_OK && ours == 0 && op_state(got) == OPS_FAILED &&
	    runner_of(got) == NULL, "an operation that ended: *ours 0, it "
	    "stays ended");
	cJSON_Delete(got);
	rc = op_renew(st, T_INSTANCES, "n-none", opid, &ours);
	CHECK(rc == STORE_OK && ours == 0, "an absent record: STORE_OK, "
	    "*ours 0");

	(void)op_set_host("host-a", "/nonexistent", 0, 20);
	rec = begun(1);
	op_set_runner(rec);
	id = op_id(rec);
	snprintf(opid, sizeof(opid), "%s", id);
	keep(st, T_INSTANCES, "n-2", rec);
	rc = op_renew(st, T_INSTANCES, "n-2", opid, &ours);
	got = tmp_stored(st, T_INSTANCES, "n-2");
	CHECK(rc == STORE_OK && ours == 0 && keys_are(runner_of(got),
	    "pid start boot"), "a runner without a lease (not shared): "
	    "*ours 0, no lease added");
	cJSON_Delete(got);
	(void)op_set_host("", "/nonexistent", 0, 0);
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
	CHECK(op_gone_put(t, "g-1", "deprovision-1", "") == STORE_OK,
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
	if (op_gone_put(t, "g-2", "deprovision-2", "") != STORE_OK ||
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

/* 1 when tb holds key, by a read of its own. */
static int
has(struct store *st, enum store_table tb, const char *key)
{
	cJSON	*rec = tmp_stored(st, tb, key);
	int	 there = rec != NULL;

	cJSON_Delete(rec);
	return there;
}

/* op_remove() and op_remove_bindings(): a record removed other than by an
 * asynchronous delete takes its tombstone with it; a tombstone without a
 * record (a finished asynchronous delete) stays, and so does everything
 * of another instance. */
static void
test_remove(struct store *st)
{
	struct store_txn	*t;
	size_t			 n = 99;

	tmp_put(st, T_INSTANCES, "r-1", "{}");
	tmp_put(st, T_GONE, "r-1", "{\"operation\":\"o\"}");
	tmp_put(st, T_GONE, "r-2", "{\"operation\":\"o\"}");
	t = begin_write(st);
	CHECK(op_remove(t, T_INSTANCES, "r-1") == STORE_OK,
	    "op_remove of a record: STORE_OK");
	CHECK(op_remove(t, T_INSTANCES, "r-2") == STORE_NOTFOUND,
	    "op_remove of no record: STORE_NOTFOUND");
	if (store_commit(t) != STORE_OK)
		exit(2);
	CHECK(!has(st, T_INSTANCES, "r-1") && !has(st, T_GONE, "r-1"),
	    "the record and its tombstone are gone");
	CHECK(has(st, T_GONE, "r-2"),
	    "a tombstone without a record is kept (it answers 410)");

	tmp_put(st, T_BINDINGS, "r-3/b1", "{}");
	tmp_put(st, T_GONE, "r-3/b1", "{\"operation\":\"o\"}");
	tmp_put(st, T_BINDINGS, "r-3/b2", "{}");
	tmp_put(st, T_GONE, "r-3/b3", "{\"operation\":\"o\"}");
	tmp_put(st, T_BINDINGS, "r-30/b1", "{}");
	tmp_put(st, T_GONE, "r-30/b1", "{\"operation\":\"o\"}");
	t = begin_write(st);
	CHECK(op_remove_bindings(t, "r-3", &n) == STORE_OK && n == 2,
	    "op_remove_bindings: STORE_OK, 2 bindings (%zu)", n);
	if (store_commit(t) != STORE_OK)
		exit(2);
	CHECK(!has(st, T_BINDINGS, "r-3/b1") && !has(st, T_BINDINGS, "r-3/b2"),
	    "the instance's bindings are gone");
	CHECK(!has(st, T_GONE, "r-3/b1"),
	    "a removed binding's tombstone is gone");
	CHECK(has(st, T_GONE, "r-3/b3"),
	    "the tombstone of a binding deleted before is kept");
	CHECK(has(st, T_BINDINGS, "r-30/b1") && has(st, T_GONE, "r-30/b1"),
	    "another instance's binding and tombstone are kept");
	t = begin_write(st);
	CHECK(op_remove_bindings(t, "r-4", &n) == STORE_OK && n == 0,
	    "op_remove_bindings of an instance without bindings: 0");
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
	test_hosts();
	tmp_make(dir, sizeof(dir), "op");
	st = tmp_store(dir);
	test_load_live(st);
	test_read_live(st);
	test_bindings_busy(st);
	test_renew(st);
	test_lastop_reply();
	test_gone(st);
	test_remove(st);
	store_close(st);
	tmp_remove(dir);
	return tap_done();
}
