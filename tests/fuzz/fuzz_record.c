/* SPDX-License-Identifier: ISC */
/*
 * fuzz_record: the stored-record decoder and everything that reads a
 * record.  A value read from the store is parsed as records_load() does
 * (src/records.c: cJSON_ParseWithLength of a NUL-terminated copy), then
 * read by op_last/op_state/op_action/op_id/op_is, records_str/records_num,
 * op_lastop_reply(), h_common_busy(), and ended by op_reap() (src/op.h)
 * at fixed times; two records are compared with records_same().
 *
 * Input: one stored value, or two separated by a NUL byte (stored values
 * never hold one); with one, it is compared with itself.
 *
 * Determinism.  op_reap() asks the system whether a record's runner is
 * alive: it compares runner.boot with this machine's boot id and reads
 * /proc/<runner.pid>/stat.  So that an input means the same on every run:
 * runner.boot "self" is replaced by this machine's boot id; a runner.pid
 * that could name a process (1 .. PID_MAX_LIMIT) is replaced by this
 * process's pid when runner.start is "self" (and start by this process's
 * start time: a live runner), else by a pid no process can have (a dead
 * one).  Other pids are kept as they are: they name no process, and how
 * op.c converts them is part of what is fuzzed (even those no long can
 * hold: regressions/fuzz_record/op-reap-pid-cast).  'now' is fixed, or
 * derived from
 * the record's own started and deadline.
 */
#include <fcntl.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "h_common.h"
#include "op.h"
#include "plancfg.h"
#include "records.h"
#include "response.h"

#define FIXED_NOW	1764547200	/* 2025-12-01T00:00:00Z */
#define PID_LIMIT	4194304		/* PID_MAX_LIMIT of 64-bit Linux */

static const char *const fields[] = {
	"service_id", "plan_id", "organization_guid", "space_guid", "context",
	"parameters", "maintenance_info", "dashboard_url", "metadata",
	"created_at", "updated_at", "last_operation", "app_guid",
	"bind_resource", "predecessor_binding_id", "credentials", "endpoints",
	"expires_epoch", "type", "state", "id", "description", "at", "started",
	"deadline", "runner", "pending", "previous", "async",
	"instance_usable", "update_repeatable", "request_identity",
	"originating_identity", "pid", "start", "boot", NULL
};

static char	boot[64];
static char	self_start[32];

static void
read_line(const char *path, char *buf, size_t len)
{
	int	 fd;
	ssize_t	 n;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 stat[1024], *p;
	int	 i;

	(void)argc;
	(void)argv;
	read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
	/* Field 22 of /proc/self/stat, counted after "(comm)". */
	read_line("/proc/self/stat", stat, sizeof(stat));
	if ((p = strrchr(stat, ')')) == NULL)
		fuzz_die("cannot read /proc/self/stat");
	for (p += 2, i = 0; i < 19 && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p == NULL)
		fuzz_die("cannot parse /proc/self/stat");
	snprintf(self_start, sizeof(self_start), "%.*s",
	    (int)strcspn(p, " "), p);
	return 0;
}

/* See "Determinism" above. */
static void
normalise(cJSON *rec)
{
	cJSON	*runner = cJSON_GetObjectItemCaseSensitive(op_last(rec),
		    "runner");
	cJSON	*pid = cJSON_GetObjectItemCaseSensitive(runner, "pid");
	cJSON	*b = cJSON_GetObjectItemCaseSensitive(runner, "boot");
	int	 self;

	if (cJSON_IsString(b) && strcmp(b->valuestring, "self") == 0)
		cJSON_ReplaceItemInObjectCaseSensitive(runner, "boot",
		    cJSON_CreateString(boot));
	if (!cJSON_IsNumber(pid))
		return;
	if (!(pid->valuedouble >= 1 && pid->valuedouble < PID_LIMIT + 1.0))
		return;
	self = strcmp(records_str(runner, "start"), "self") == 0;
	cJSON_SetNumberValue(pid, self ? (double)getpid() : PID_LIMIT + 1.0);
	if (self)
		cJSON_ReplaceItemInObjectCaseSensitive(runner, "start",
		    cJSON_CreateString(self_start));
}

/* What records_load() gives for a stored value. */
static cJSON *
load(const uint8_t *data, size_t len)
{
	char	*val = fuzz_copy(data, len);	/* store_get(): NUL-terminated */
	cJSON	*rec = cJSON_ParseWithLength(val, len);

	free(val);
	return rec;
}

static char *
print(const cJSON *rec)
{
	char *s = cJSON_PrintUnformatted(rec);

	FUZZ_CHECK(s != NULL, "cannot print a record");
	return s;
}

static void
check_reply(const cJSON *rec)
{
	cJSON		*r = op_lastop_reply(rec);
	const cJSON	*state = cJSON_GetObjectItemCaseSensitive(r, "state");
	const cJSON	*desc = cJSON_GetObjectItemCaseSensitive(r,
			    "description");
	char		*s;

	FUZZ_CHECK(cJSON_IsObject(r), "no last_operation reply");
	FUZZ_CHECK(cJSON_IsString(state) && state->valuestring[0] != '\0',
	    "reply without a state");
	FUZZ_CHECK(desc == NULL || (cJSON_IsString(desc) &&
	    desc->valuestring[0] != '\0'), "empty description in a reply");
	if (op_state(rec) != OPS_FAILED)
		FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(r,
		    "instance_usable") == NULL &&
		    cJSON_GetObjectItemCaseSensitive(r, "update_repeatable") ==
		    NULL, "flags in a reply that is not failed");
	s = print(r);
	free(s);
	cJSON_Delete(r);
}

/* 1 when some object of the tree repeats a key.  The broker never stores
 * one (jsonin refuses them, op.c and work.c replace fields), and cJSON's
 * replace and delete calls touch the first of them only. */
static int
dup_keys(const cJSON *n)
{
	const cJSON *a, *b;

	for (a = n != NULL ? n->child : NULL; a != NULL; a = a->next) {
		if (cJSON_IsObject(n))
			for (b = a->next; b != NULL; b = b->next)
				if (strcmp(a->string, b->string) == 0)
					return 1;
		if (dup_keys(a))
			return 1;
	}
	return 0;
}

/* One reap at now, on a copy.  An operation in progress may end (failed,
 * without runner, pending or previous); anything else stays as it was.
 * What a reaped record looks like is checked for records the broker can
 * have written, those without repeated keys (see dup_keys). */
static void
reap(const cJSON *rec, time_t now)
{
	cJSON		*c = cJSON_Duplicate(rec, 1), *op;
	enum op_state	 before;
	char		*s0, *s1;
	int		 r;

	FUZZ_CHECK(c != NULL, "cannot duplicate a record");
	normalise(c);
	before = op_state(c);
	s0 = print(c);
	r = op_reap(c, now);
	s1 = print(c);
	FUZZ_CHECK(r == 0 || r == 1, "op_reap returned %d", r);
	if (r == 0) {
		FUZZ_CHECK(strcmp(s0, s1) == 0, "op_reap changed a record it "
		    "did not reap");
	} else if (!dup_keys(op_last(rec))) {
		op = op_last(c);
		FUZZ_CHECK(before == OPS_IN_PROGRESS, "reaped from state %d",
		    (int)before);
		FUZZ_CHECK(op_state(c) == OPS_FAILED, "reaped, not failed");
		FUZZ_CHECK(*records_str(op, "description") != '\0',
		    "reaped without a reason");
		FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(op, "runner") ==
		    NULL && cJSON_GetObjectItemCaseSensitive(op, "pending") ==
		    NULL && cJSON_GetObjectItemCaseSensitive(op, "previous") ==
		    NULL, "a reaped operation keeps runner, pending or previous");
		FUZZ_CHECK(op_reap(c, now) == 0, "reaped twice");
	}
	check_reply(c);
	free(s0);
	free(s1);
	cJSON_Delete(c);
}

/* A time from a record field, when it is one time_t can hold. */
static int
field_time(const cJSON *rec, const char *name, time_t *t)
{
	double d = records_num(op_last(rec), name);

	if (!(d >= 0 && d < 1e12))
		return 0;
	*t = (time_t)d + 1;
	return 1;
}

static void
read_record(const cJSON *rec)
{
	struct response	 resp;
	const char	*id;
	enum op_state	 st = op_state(rec);
	enum action	 a = op_action(rec), i;
	enum op_state	 s;
	time_t		 t;
	int		 k;

	FUZZ_CHECK(st >= OPS_NONE && st <= OPS_FAILED, "op_state %d", (int)st);
	FUZZ_CHECK(a >= ACT_PROVISION && a <= ACT__COUNT, "op_action %d",
	    (int)a);
	FUZZ_CHECK((op_last(rec) == NULL) == (st == OPS_NONE),
	    "op_state %d with%s last_operation", (int)st,
	    op_last(rec) ? "" : "out");
	id = op_id(rec);
	FUZZ_CHECK(id != NULL, "op_id is NULL");
	for (i = ACT_PROVISION; i <= ACT__COUNT; i++)
		for (s = OPS_NONE; s <= OPS_FAILED; s++)
			FUZZ_CHECK(op_is(rec, i, s) == (a == i && st == s),
			    "op_is(%d, %d)", (int)i, (int)s);
	for (k = 0; fields[k] != NULL; k++) {
		FUZZ_CHECK(records_str(rec, fields[k]) != NULL &&
		    records_str(op_last(rec), fields[k]) != NULL,
		    "records_str(%s) is NULL", fields[k]);
		(void)records_num(rec, fields[k]);
		(void)records_num(op_last(rec), fields[k]);
	}
	check_reply(rec);
	response_init(&resp);
	h_common_busy(&resp, "instance", "inst-1", rec);
	FUZZ_CHECK(resp.status == 422, "h_common_busy: %d", resp.status);
	h_common_accepted(&resp, id);
	FUZZ_CHECK(resp.status == 202, "h_common_accepted: %d", resp.status);
	response_free(&resp);

	reap(rec, FIXED_NOW);
	if (field_time(rec, "started", &t))
		reap(rec, t);
	if (field_time(rec, "deadline", &t))
		reap(rec, t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nul = memchr(data, '\0', size);
	size_t		 alen = nul != NULL ? (size_t)(nul - data) : size;
	cJSON		*a, *b;
	int		 k;

	a = load(data, alen);
	b = nul != NULL ? load(nul + 1, size - alen - 1) : NULL;
	if (a != NULL)
		read_record(a);
	if (b != NULL)
		read_record(b);
	if (a != NULL)
		for (k = 0; fields[k] != NULL; k++)
			FUZZ_CHECK(records_same(a, b != NULL ? b : a, fields[k]) ==
			    records_same(b != NULL ? b : a, a, fields[k]),
			    "records_same(%s) is not symmetric", fields[k]);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return 0;
}
