/* SPDX-License-Identifier: ISC */
/*
 * op: see op.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "jsonin.h"
#include "limits.h"
#include "op.h"
#include "records.h"
#include "util.h"

static const char *const state_names[] = {
	[OPS_NONE] = "", [OPS_IN_PROGRESS] = "in progress",
	[OPS_SUCCEEDED] = "succeeded", [OPS_FAILED] = "failed"
};

cJSON *
op_last(const cJSON *rec)
{
	return jsonin_member(rec, "last_operation");
}

enum op_state
op_state(const cJSON *rec)
{
	const char	*s = records_str(op_last(rec), "state");
	int		 i;

	for (i = OPS_IN_PROGRESS; i <= OPS_FAILED; i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum op_state)i;
	return op_last(rec) != NULL ? OPS_SUCCEEDED : OPS_NONE;
}

enum action
op_action(const cJSON *rec)
{
	const char	*t = records_str(op_last(rec), "type");
	int		 i;

	for (i = 0; i < ACT__COUNT; i++)
		if (strcmp(t, action_name((enum action)i)) == 0)
			return (enum action)i;
	return ACT__COUNT;
}

int
op_is(const cJSON *rec, enum action a, enum op_state s)
{
	return op_action(rec) == a && op_state(rec) == s;
}

const cJSON *
op_pending(const cJSON *rec)
{
	return jsonin_member(op_last(rec), "pending");
}

const char *
op_id(const cJSON *rec)
{
	return records_str(op_last(rec), "id");
}

static void
set_str(cJSON *o, const char *name, const char *v)
{
	cJSON_Delete(jsonin_detach(o, name));
	cJSON_AddStringToObject(o, name, v);
}

/* A fresh last_operation object in rec, with who asked. */
static cJSON *
new_lastop(cJSON *rec, enum action a, const struct op_who *who)
{
	cJSON	*op = cJSON_CreateObject(), *prev;
	char	 at[32];

	util_fmt_iso8601(time(NULL), at, sizeof(at));
	records_add_str(op, "type", action_name(a));
	records_add_str(op, "at", at);
	if (who != NULL && who->request_identity != NULL)
		records_add_str(op, "request_identity",
		    who->request_identity);
	if (who != NULL && who->originating_identity != NULL)
		cJSON_AddItemToObject(op, "originating_identity",
		    cJSON_Duplicate(who->originating_identity, 1));
	prev = jsonin_detach(rec, "last_operation");
	if (prev != NULL) {
		/* Kept so a refused synchronous change can be undone. */
		cJSON_Delete(jsonin_detach(prev, "previous"));
		cJSON_Delete(jsonin_detach(prev, "pending"));
		cJSON_AddItemToObject(op, "previous", prev);
	}
	cJSON_AddItemToObject(rec, "last_operation", op);
	return op;
}

void
op_done(cJSON *rec, enum action a, const char *description,
    const struct op_who *who)
{
	cJSON *op = new_lastop(rec, a, who);

	cJSON_Delete(jsonin_detach(op, "previous"));
	records_add_str(op, "state", "succeeded");
	records_add_str(op, "description", description);
}

/* ---- who runs it ------------------------------------------------------ */

/* The start of the small file path (/proc, /etc) in buf, NUL-terminated:
 * its length, or -1 (buf then "") when it cannot be read or is empty. */
static ssize_t
read_small(const char *path, char *buf, size_t size)
{
	ssize_t	 n;
	int	 fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return -1;
	}
	buf[n] = '\0';
	return n;
}

static int
proc_start(long pid, char *out, size_t len)
{
	char	 path[64], buf[1024], *p;
	int	 i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (read_small(path, buf, sizeof(buf)) == -1)
		return -1;
	/* Fields after "(comm)": state is the first, starttime the 20th. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return -1;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return -1;
	for (i = 0; i < 19 && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p == NULL)
		return -1;
	snprintf(out, len, "%.*s", (int)strcspn(p, " "), p);
	return 0;
}

static const char *
boot_id(void)
{
	static char	 id[64];

	if (id[0] != '\0')
		return id;
	if (read_small("/proc/sys/kernel/random/boot_id", id, sizeof(id)) > 0)
		id[strcspn(id, "\n")] = '\0';
	return id;
}

/* This process's host (op_set_host()). */
static struct {
	char	id[OSB_MAX_HOST_ID];
	int	shared;
	long	request_timeout;
} host;

/* The machine id in path: 32 hexadecimal digits (machine-id(5)); 0, or
 * -1 when there is none (missing, empty, "uninitialized"). */
static int
machine_id(const char *path, char out[33])
{
	char	 buf[64];

	if (read_small(path, buf, sizeof(buf)) == -1)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	if (strlen(buf) != 32 || strspn(buf, "0123456789abcdef") != 32)
		return -1;
	memcpy(out, buf, 33);
	return 0;
}

const char *
op_set_host(const char *host_id, const char *machine_id_path, int shared,
    long request_timeout)
{
	char	 mid[33], ns[64];
	ssize_t	 n;
	size_t	 d;

	memset(&host, 0, sizeof(host));
	host.shared = shared;
	host.request_timeout = request_timeout > 0 ? request_timeout :
	    OSB_DEFAULT_REQUEST_TIMEOUT;
	if (host_id != NULL && *host_id != '\0') {
		snprintf(host.id, sizeof(host.id), "%s", host_id);
		return host.id;
	}
	/* Not shared: no runner records a host, none is judged by one. */
	if (!shared || machine_id(machine_id_path, mid) == -1)
		return host.id;
	/* "pid:[4026531836]": processes of two containers on one machine
	 * cannot see each other's pids, so they are two hosts. */
	n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	ns[n > 0 ? n : 0] = '\0';
	d = strcspn(ns, "0123456789");
	if (n > 0 && strspn(ns + d, "0123456789") > 0)
		snprintf(host.id, sizeof(host.id), "%s.%.*s", mid,
		    (int)strspn(ns + d, "0123456789"), ns + d);
	else
		snprintf(host.id, sizeof(host.id), "%s", mid);
	return host.id;
}

void
op_set_runner(cJSON *rec)
{
	cJSON	*op = op_last(rec), *r;
	char	 start[32];
	time_t	 now = time(NULL);
	int	 async;

	if (op == NULL || proc_start((long)getpid(), start, sizeof(start)) == -1)
		return;
	cJSON_Delete(jsonin_detach(op, "runner"));
	r = cJSON_AddObjectToObject(op, "runner");
	cJSON_AddNumberToObject(r, "pid", (double)getpid());
	records_add_str(r, "start", start);
	records_add_str(r, "boot", boot_id());
	if (!host.shared)
		return;
	async = cJSON_IsTrue(jsonin_member(op, "async"));
	records_add_str(r, "host", host.id);
	cJSON_AddNumberToObject(r, "lease", (double)(now + (async ? OP_LEASE :
	    host.request_timeout + OP_DEADLINE_PAD)));
}

enum store_rc
op_renew(struct store *st, enum store_table tb, const char *key,
    const char *opid, int *ours)
{
	struct store_txn	*t;
	cJSON			*rec = NULL, *runner;
	enum store_rc		 rc;

	*ours = 0;
	if ((rc = store_begin(st, 1, key, &t)) != STORE_OK)
		return rc;
	rc = records_load(t, tb, key, &rec);
	runner = jsonin_member(op_last(rec), "runner");
	if (rc == STORE_OK && op_state(rec) == OPS_IN_PROGRESS &&
	    strcmp(op_id(rec), opid) == 0 &&
	    jsonin_member(runner, "lease") != NULL) {
		*ours = 1;
		cJSON_Delete(jsonin_detach(runner, "lease"));
		cJSON_AddNumberToObject(runner, "lease", (double)(time(NULL) +
		    OP_LEASE));
		if ((rc = records_save(t, tb, key, rec)) == STORE_OK)
			rc = store_commit(t);
		else
			store_abort(t);
	} else {
		store_abort(t);
		if (rc == STORE_NOTFOUND)
			rc = STORE_OK;
	}
	cJSON_Delete(rec);
	return rc;
}

const char *
op_begin(cJSON *rec, enum action a, int async, const struct catalog_plan *p,
    const cJSON *pending, const struct op_who *who)
{
	cJSON	*op = new_lastop(rec, a, who);
	char	 id[64], hex[17], desc[64];
	time_t	 now = time(NULL);
	long	 limit = p->cfg->hook_timeout + OP_DEADLINE_PAD;

	if (util_random_hex(hex, 8) == -1)
		snprintf(hex, sizeof(hex), "%lx%lx", (long)now, (long)getpid());
	snprintf(id, sizeof(id), "%s-%s", action_name(a), hex);
	/* spec.md "Polling Interval and Duration": past the plan's
	 * maximum_polling_duration the platform considers it failed. */
	if (async && p->maximum_polling_duration > 0)
		limit = p->maximum_polling_duration;
	snprintf(desc, sizeof(desc), "%s in progress", action_name(a));
	records_add_str(op, "state", "in progress");
	records_add_str(op, "description", desc);
	records_add_str(op, "id", id);
	cJSON_AddBoolToObject(op, "async", async);
	cJSON_AddNumberToObject(op, "started", (double)now);
	cJSON_AddNumberToObject(op, "deadline", (double)(now + limit));
	if (pending != NULL)
		cJSON_AddItemToObject(op, "pending", cJSON_Duplicate(pending, 1));
	if (!async)
		op_set_runner(rec);
	return records_str(op, "id");
}

void
op_finish(cJSON *rec, enum op_state s, const char *description)
{
	cJSON	*op = op_last(rec);
	char	 at[32];

	util_fmt_iso8601(time(NULL), at, sizeof(at));
	set_str(op, "state", state_names[s]);
	set_str(op, "description", description);
	set_str(op, "at", at);
	cJSON_Delete(jsonin_detach(op, "runner"));
	cJSON_Delete(jsonin_detach(op, "pending"));
	cJSON_Delete(jsonin_detach(op, "previous"));
}

int
op_reap(cJSON *rec, time_t now)
{
	const cJSON	*op = op_last(rec), *runner;
	char		 why[OSB_MAX_HOST_ID + 200], start[32];
	char		 lost[OSB_MAX_HOST_ID + 120];
	const char	*reason = NULL, *where;
	int		 leased, here;

	if (op_state(rec) != OPS_IN_PROGRESS)
		return 0;
	runner = jsonin_member(op, "runner");
	/* A runner with a lease ran on a shared store: its pid is checked
	 * only where it means that process, on its own host. */
	leased = jsonin_member(runner, "lease") != NULL;
	where = records_str(runner, "host");
	here = !leased || (host.id[0] != '\0' && strcmp(where, host.id) == 0);
	if ((double)now > records_num(op, "deadline"))
		reason = "it did not finish before its deadline";
	else if (leased && !((double)now <= records_num(runner, "lease"))) {
		if (cJSON_IsTrue(jsonin_member(op, "async")))
			snprintf(lost, sizeof(lost), "its runner on host %.*s "
			    "stopped renewing its lease (that host or the "
			    "runner stopped)", OSB_MAX_HOST_ID - 1, *where ?
			    where : "(unknown)");
		else
			snprintf(lost, sizeof(lost), "the request running it "
			    "on host %.*s did not end within its lease (that "
			    "host or its process stopped)", OSB_MAX_HOST_ID - 1,
			    *where ? where : "(unknown)");
		reason = lost;
	} else if (runner != NULL && here && strcmp(records_str(runner,
	    "boot"), boot_id()) != 0)
		reason = "the machine restarted while it ran";
	else if (runner != NULL && here && (!(records_num(runner, "pid") > 0 &&
	    records_num(runner, "pid") < 1e9) ||
	    proc_start((long)records_num(runner, "pid"), start,
	    sizeof(start)) == -1 ||
	    strcmp(start, records_str(runner, "start")) != 0))
		reason = "the process running it died";
	else if (runner == NULL && (double)now > records_num(op, "started") +
	    OP_START_GRACE)
		reason = "its runner never started";
	if (reason == NULL)
		return 0;
	snprintf(why, sizeof(why), "%s failed: %s", records_str(op, "type"),
	    reason);
	op_finish(rec, OPS_FAILED, why);
	return 1;
}

/* ---- tombstones ------------------------------------------------------- */

enum store_rc
op_remove(struct store_txn *t, enum store_table tb, const char *key)
{
	enum store_rc rc = store_del(t, tb, key);

	return rc == STORE_OK ? store_drop(t, T_GONE, key) : rc;
}

/* Keys a scan collects, to be read or written after it (a store's cursor
 * is not to be written under); each a copy, freed by the collector. */
struct keys {
	char	**v;
	size_t	  n, room;
	int	  oom;
};

/* Append a copy of key: 0, or 1 (stop the scan) with k->oom. */
static int
keys_add(struct keys *k, const char *key)
{
	char	**v;

	if (k->n == k->room) {
		k->room = k->room == 0 ? 8 : 2 * k->room;
		if ((v = reallocarray(k->v, k->room, sizeof(*v))) == NULL) {
			k->oom = 1;
			return 1;
		}
		k->v = v;
	}
	if ((k->v[k->n] = strdup(key)) == NULL) {
		k->oom = 1;
		return 1;
	}
	k->n++;
	return 0;
}

/* The keys of instance iid's bindings that fn keeps (keys_add()) in k;
 * prefix (OSB_MAX_ID_LEN + 2 bytes) gets "iid/". */
static enum store_rc
scan_bindings(struct store_txn *t, const char *iid, char *prefix,
    int (*fn)(const char *, const char *, size_t, void *), struct keys *k)
{
	enum store_rc rc;

	snprintf(prefix, OSB_MAX_ID_LEN + 2, "%s/", iid);
	rc = store_scan(t, T_BINDINGS, prefix, fn, k);
	return rc == STORE_OK && k->oom ? STORE_ERROR : rc;
}

static int
add_key(const char *key, const char *val, size_t len, void *arg)
{
	(void)val;
	(void)len;
	return keys_add(arg, key);
}

enum store_rc
op_remove_bindings(struct store_txn *t, const char *iid, size_t *n)
{
	struct keys	 k = { NULL, 0, 0, 0 };
	enum store_rc	 rc;
	char		 prefix[OSB_MAX_ID_LEN + 2];
	size_t		 i;

	/* The keys first, then their tombstones, then the records in one
	 * delete. */
	rc = scan_bindings(t, iid, prefix, add_key, &k);
	for (i = 0; i < k.n; i++) {
		if (rc == STORE_OK)
			rc = store_drop(t, T_GONE, k.v[i]);
		free(k.v[i]);
	}
	free(k.v);
	if (rc == STORE_OK)
		rc = store_del_prefix(t, T_BINDINGS, prefix, n);
	return rc;
}

struct prune {
	time_t		 now;
	char		*keys[64];
	int		 n;
};

static int
old_tombstone(const char *key, const char *val, size_t len, void *arg)
{
	struct prune	*pr = arg;
	cJSON		*g = cJSON_ParseWithLength(val, len);

	if (g != NULL && records_num(g, "at") + OP_GONE_KEEP < (double)pr->now &&
	    pr->n < 64)
		pr->keys[pr->n++] = strdup(key);
	cJSON_Delete(g);
	return pr->n >= 64;
}

enum store_rc
op_gone_put(struct store_txn *t, const char *key, const char *opid,
    const char *owner)
{
	struct prune	 pr = { time(NULL), { 0 }, 0 };
	cJSON		*g = cJSON_CreateObject();
	enum store_rc	 rc;
	int		 i;

	/* Tombstones are few (asynchronous deletes of a week): prune the
	 * expired ones here rather than in a daemon. */
	rc = store_scan(t, T_GONE, "", old_tombstone, &pr);
	for (i = 0; i < pr.n; i++) {
		if (rc == STORE_OK && pr.keys[i] != NULL)
			rc = store_del(t, T_GONE, pr.keys[i]);
		free(pr.keys[i]);
	}
	if (rc == STORE_NOTFOUND)
		rc = STORE_OK;
	records_add_str(g, "operation", opid);
	if (owner != NULL && *owner != '\0')
		records_add_str(g, "owner", owner);
	cJSON_AddNumberToObject(g, "at", (double)time(NULL));
	if (rc == STORE_OK)
		rc = records_save(t, T_GONE, key, g);
	cJSON_Delete(g);
	return rc;
}

int
op_gone_get(struct store_txn *t, const char *key)
{
	char	*v;
	size_t	 len;

	if (store_get(t, T_GONE, key, &v, &len) != STORE_OK)
		return 0;
	free(v);
	return 1;
}

/* ---- records read with their operation's liveness --------------------- */

enum store_rc
op_load_live(struct store_txn *t, enum store_table tb, const char *key,
    cJSON **out, int *dirty)
{
	enum store_rc	 rc = records_load(t, tb, key, out);
	char		 opid[64] = "";	/* "<action>-<16 hex>" */

	if (rc == STORE_OK && op_state(*out) == OPS_IN_PROGRESS)
		snprintf(opid, sizeof(opid), "%s", op_id(*out));
	if (rc == STORE_OK && op_reap(*out, time(NULL))) {
		*dirty = 1;
		rc = records_save(t, tb, key, *out);
		/* An outcome, as its runner would have recorded it. */
		if (rc == STORE_OK)
			rc = audit_outcome(t, key, *out,
			    action_name(op_action(*out)), opid, "failed",
			    records_str(op_last(*out), "description"));
	}
	return rc;
}

enum store_rc
op_read_live(struct store *st, enum store_table tb, const char *key,
    cJSON **out)
{
	struct store_txn	*t;
	enum store_rc		 rc;
	int			 dirty = 0;

	*out = NULL;
	rc = records_fetch(st, tb, key, out);
	if (rc != STORE_OK || op_state(*out) != OPS_IN_PROGRESS ||
	    !op_reap(*out, time(NULL)))
		return rc;
	/* It must be ended: again, in a write transaction, since another
	 * process may have finished it meanwhile. */
	cJSON_Delete(*out);
	*out = NULL;
	if ((rc = store_begin(st, 1, key, &t)) == STORE_OK) {
		rc = op_load_live(t, tb, key, out, &dirty);
		if (rc == STORE_OK)
			rc = op_end(t, dirty);
		else
			store_abort(t);
	}
	if (rc != STORE_OK) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

enum store_rc
op_end(struct store_txn *t, int dirty)
{
	if (!dirty) {
		store_abort(t);
		return STORE_OK;
	}
	return store_commit(t);
}

/* The keys of the bindings whose records say "in progress". */
static int
note_busy(const char *key, const char *val, size_t len, void *arg)
{
	cJSON	*rec = cJSON_ParseWithLength(val, len);
	int	 stop = 0;

	if (op_state(rec) == OPS_IN_PROGRESS)
		stop = keys_add(arg, key);
	cJSON_Delete(rec);
	return stop;
}

enum store_rc
op_bindings_busy(struct store_txn *t, const char *iid, int *busy, int *dirty)
{
	struct keys	 b = { NULL, 0, 0, 0 };
	char		 prefix[OSB_MAX_ID_LEN + 2];
	cJSON		*rec;
	enum store_rc	 rc;
	size_t		 i;

	*busy = 0;
	rc = scan_bindings(t, iid, prefix, note_busy, &b);
	/* Reload each in its own right: one that can no longer finish is
	 * reaped (and saved, so *dirty) rather than counted. */
	for (i = 0; i < b.n; i++) {
		rec = NULL;
		if (rc == STORE_OK)
			rc = op_load_live(t, T_BINDINGS, b.v[i], &rec,
			    dirty);
		if (rc == STORE_OK && op_state(rec) == OPS_IN_PROGRESS)
			*busy = 1;
		cJSON_Delete(rec);
		free(b.v[i]);
	}
	free(b.v);
	return rc;
}

cJSON *
op_lastop_reply(const cJSON *rec)
{
	static const char *const flags[] = { "instance_usable",
	    "update_repeatable" };
	const cJSON	*op = op_last(rec), *f;
	const char	*state = records_str(op, "state");
	const char	*desc = records_str(op, "description");
	cJSON		*out = cJSON_CreateObject();
	int		 i;

	records_add_str(out, "state", *state ? state : "succeeded");
	if (*desc != '\0')	/* spec: if present, non-empty */
		records_add_str(out, "description", desc);
	/* spec.md: only for failed updates and deprovisions. */
	for (i = 0; i < 2 && op_state(rec) == OPS_FAILED; i++)
		if (cJSON_IsBool(f = jsonin_member(op,
		    flags[i])))
			cJSON_AddBoolToObject(out, flags[i], cJSON_IsTrue(f));
	return out;
}
