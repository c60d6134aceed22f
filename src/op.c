/*
 * op: see op.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "log.h"
#include "op.h"
#include "records.h"
#include "util.h"

extern char **environ;

static const char *const state_names[] = {
	[OPS_NONE] = "", [OPS_IN_PROGRESS] = "in progress",
	[OPS_SUCCEEDED] = "succeeded", [OPS_FAILED] = "failed"
};

static const char *const done_words[ACT__COUNT] = {
	[ACT_PROVISION] = "provisioned", [ACT_UPDATE] = "updated",
	[ACT_DEPROVISION] = "deprovisioned", [ACT_BIND] = "bound",
	[ACT_UNBIND] = "unbound"
};

static cJSON *
lastop(const cJSON *rec)
{
	return cJSON_GetObjectItemCaseSensitive(rec, "last_operation");
}

enum op_state
op_state(const cJSON *rec)
{
	const char	*s = records_str(lastop(rec), "state");
	int		 i;

	for (i = OPS_IN_PROGRESS; i <= OPS_FAILED; i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum op_state)i;
	return lastop(rec) != NULL ? OPS_SUCCEEDED : OPS_NONE;
}

enum action
op_action(const cJSON *rec)
{
	const char	*t = records_str(lastop(rec), "type");
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

const char *
op_id(const cJSON *rec)
{
	return records_str(lastop(rec), "id");
}

static void
set_str(cJSON *o, const char *name, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	cJSON_AddStringToObject(o, name, v);
}

/* A fresh last_operation object in rec, with who asked. */
static cJSON *
new_lastop(cJSON *rec, enum action a, const struct op_who *who)
{
	cJSON	*op = cJSON_CreateObject(), *prev;
	char	 at[32];

	fmt_iso8601(time(NULL), at, sizeof(at));
	cJSON_AddStringToObject(op, "type", action_name(a));
	cJSON_AddStringToObject(op, "at", at);
	if (who != NULL && who->request_identity != NULL)
		cJSON_AddStringToObject(op, "request_identity",
		    who->request_identity);
	if (who != NULL && who->originating_identity != NULL)
		cJSON_AddItemToObject(op, "originating_identity",
		    cJSON_Duplicate(who->originating_identity, 1));
	prev = cJSON_DetachItemFromObjectCaseSensitive(rec, "last_operation");
	if (prev != NULL) {
		/* Kept so a refused synchronous change can be undone. */
		cJSON_DeleteItemFromObjectCaseSensitive(prev, "previous");
		cJSON_DeleteItemFromObjectCaseSensitive(prev, "pending");
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

	cJSON_DeleteItemFromObjectCaseSensitive(op, "previous");
	cJSON_AddStringToObject(op, "state", "succeeded");
	cJSON_AddStringToObject(op, "description", description);
}

/* ---- who runs it ------------------------------------------------------ */

static int
proc_start(long pid, char *out, size_t len)
{
	char	 path[64], buf[1024], *p;
	int	 fd, i;
	ssize_t	 n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
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
	int		 fd;
	ssize_t		 n;

	if (id[0] != '\0')
		return id;
	if ((fd = open("/proc/sys/kernel/random/boot_id",
	    O_RDONLY | O_CLOEXEC)) == -1)
		return "";
	n = read(fd, id, sizeof(id) - 1);
	close(fd);
	id[n > 0 ? strcspn(id, "\n") : 0] = '\0';
	return id;
}

void
op_set_runner(cJSON *rec)
{
	cJSON	*op = lastop(rec), *r;
	char	 start[32];

	if (op == NULL || proc_start((long)getpid(), start, sizeof(start)) == -1)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(op, "runner");
	r = cJSON_AddObjectToObject(op, "runner");
	cJSON_AddNumberToObject(r, "pid", (double)getpid());
	cJSON_AddStringToObject(r, "start", start);
	cJSON_AddStringToObject(r, "boot", boot_id());
}

const char *
op_begin(cJSON *rec, enum action a, int async, const struct catalog_plan *p,
    const cJSON *pending, const struct op_who *who)
{
	cJSON	*op = new_lastop(rec, a, who);
	char	 id[64], hex[17], desc[64];
	time_t	 now = time(NULL);
	long	 limit = p->cfg->hook_timeout + OP_DEADLINE_PAD;

	if (random_hex(hex, 8) == -1)
		snprintf(hex, sizeof(hex), "%lx%lx", (long)now, (long)getpid());
	snprintf(id, sizeof(id), "%s-%s", action_name(a), hex);
	/* spec.md "Polling Interval and Duration": past the plan's
	 * maximum_polling_duration the platform considers it failed. */
	if (async && p->maximum_polling_duration > 0)
		limit = p->maximum_polling_duration;
	snprintf(desc, sizeof(desc), "%s in progress", action_name(a));
	cJSON_AddStringToObject(op, "state", "in progress");
	cJSON_AddStringToObject(op, "description", desc);
	cJSON_AddStringToObject(op, "id", id);
	cJSON_AddBoolToObject(op, "async", async);
	cJSON_AddNumberToObject(op, "started", (double)now);
	cJSON_AddNumberToObject(op, "deadline", (double)(now + limit));
	if (pending != NULL)
		cJSON_AddItemToObject(op, "pending", cJSON_Duplicate(pending, 1));
	if (!async)
		op_set_runner(rec);
	return records_str(op, "id");
}

static void
finish(cJSON *rec, enum op_state s, const char *description)
{
	cJSON	*op = lastop(rec);
	char	 at[32];

	fmt_iso8601(time(NULL), at, sizeof(at));
	set_str(op, "state", state_names[s]);
	set_str(op, "description", description);
	set_str(op, "at", at);
	cJSON_DeleteItemFromObjectCaseSensitive(op, "runner");
	cJSON_DeleteItemFromObjectCaseSensitive(op, "pending");
	cJSON_DeleteItemFromObjectCaseSensitive(op, "previous");
}

static double
num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int
op_reap(cJSON *rec, time_t now)
{
	const cJSON	*op = lastop(rec), *runner;
	char		 why[160], start[32];
	const char	*reason = NULL;

	if (op_state(rec) != OPS_IN_PROGRESS)
		return 0;
	runner = cJSON_GetObjectItemCaseSensitive(op, "runner");
	if ((double)now > num(op, "deadline"))
		reason = "it did not finish before its deadline";
	else if (runner != NULL && strcmp(records_str(runner, "boot"),
	    boot_id()) != 0)
		reason = "the machine restarted while it ran";
	else if (runner != NULL && (proc_start((long)num(runner, "pid"), start,
	    sizeof(start)) == -1 ||
	    strcmp(start, records_str(runner, "start")) != 0))
		reason = "the process running it died";
	else if (runner == NULL && (double)now > num(op, "started") +
	    OP_START_GRACE)
		reason = "its runner never started";
	if (reason == NULL)
		return 0;
	snprintf(why, sizeof(why), "%s failed: %s", records_str(op, "type"),
	    reason);
	finish(rec, OPS_FAILED, why);
	return 1;
}

/* ---- starting a runner ------------------------------------------------ */

static const char *const table_arg[T__COUNT] = {
	[T_INSTANCES] = "instances", [T_BINDINGS] = "bindings",
	[T_META] = "meta", [T_GONE] = "gone"
};

/* The runner's environment: the broker's own settings, nothing of the
 * request (under CGI the environment holds its headers). */
static char **
runner_env(void)
{
	static const char *const keep[] = { "PATH=", "HOME=", "TMPDIR=",
	    "LANG=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=", NULL };
	char	**env, **e;
	size_t	 n = 0, i;

	for (e = environ; *e != NULL; e++)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	n = 0;
	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, "OSBROKER_PASSWORD=", 18) == 0)
			continue;
		for (i = 0; keep[i] != NULL; i++)
			if (strncmp(*e, keep[i], strlen(keep[i])) == 0)
				break;
		if (keep[i] != NULL || strncmp(*e, "OSBROKER_", 9) == 0)
			env[n++] = *e;
	}
	return env;
}

int
op_spawn(const struct config *cfg, enum store_table tb, const char *key,
    const char *opid)
{
	char	*argv[6], logpath[4200], **env;
	pid_t	 pid, gc;
	int	 status, fd;

	if ((env = runner_env()) == NULL)
		return -1;
	argv[0] = "osbroker";
	argv[1] = "--run-operation";
	argv[2] = (char *)table_arg[tb];
	argv[3] = (char *)key;
	argv[4] = (char *)opid;
	argv[5] = NULL;
	snprintf(logpath, sizeof(logpath), "%s/operations.log", cfg->state_dir);
	if ((pid = fork()) == -1) {
		log_msg("cannot start the runner of operation %s: fork: %s",
		    opid, strerror(errno));
		free(env);
		return -1;
	}
	if (pid == 0) {
		/* Detach: a session of its own, and a second fork so the
		 * runner is nobody's child here (no zombie in a worker). */
		setsid();
		if ((gc = fork()) != 0)
			_exit(gc == -1 ? 1 : 0);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			if (fd > 2)
				close(fd);
		}
		/* Under CGI the web server waits for every holder of the
		 * CGI's stderr to close it: log to a file instead. */
		if (!cfg->fastcgi && (fd = open(logpath, O_WRONLY | O_APPEND |
		    O_CREAT | O_CLOEXEC, 0600)) != -1) {
			dup2(fd, 2);
			close(fd);
		}
		closefrom(3);
		execve("/proc/self/exe", argv, env);
		log_msg("cannot start the runner: %s", strerror(errno));
		_exit(127);
	}
	free(env);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_msg("cannot start the runner of operation %s", opid);
		return -1;
	}
	return 0;
}

/* ---- the work --------------------------------------------------------- */

static void
add_copy(cJSON *dst, const char *name, const cJSON *src, const char *from,
    int object_default)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, from);

	if (v != NULL && !cJSON_IsNull(v))
		cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, 1));
	else if (object_default)
		cJSON_AddObjectToObject(dst, name);
}

static cJSON *
id_name(const char *id, const char *name)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "name", name);
	return o;
}

static cJSON *
instance_view(const cJSON *inst)
{
	cJSON *o = cJSON_CreateObject();

	add_copy(o, "plan_id", inst, "plan_id", 0);
	add_copy(o, "parameters", inst, "parameters", 1);
	add_copy(o, "context", inst, "context", 1);
	add_copy(o, "dashboard_url", inst, "dashboard_url", 0);
	return o;
}

struct bl {
	cJSON *arr;
};

static int
collect_binding(const char *key, const char *val, size_t len, void *arg)
{
	struct bl	*b = arg;
	cJSON		*rec = cJSON_ParseWithLength(val, len), *o;
	const char	*slash = strchr(key, '/');

	if (rec != NULL && slash != NULL) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "binding_id", slash + 1);
		add_copy(o, "credentials", rec, "credentials", 1);
		cJSON_AddItemToArray(b->arr, o);
	}
	cJSON_Delete(rec);
	return 0;
}

/* The hook's standard input (docs/hooks.md "Input"). */
static char *
make_input(struct store *st, const struct catalog *cat, enum action a,
    const struct catalog_plan *p,
    const char *iid, const char *bid, const cJSON *inst, const cJSON *rec)
{
	const cJSON	*op = lastop(rec);
	const cJSON	*pending = cJSON_GetObjectItemCaseSensitive(op, "pending");
	const cJSON	*src = pending != NULL ? pending : rec;
	cJSON		*in = cJSON_CreateObject();
	struct catalog_plan prev;
	struct store_txn *t;
	struct bl	 b;
	char		 prefix[OSB_MAX_ID_LEN + 2], *s;
	int		 async = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op,
			    "async"));

	cJSON_AddStringToObject(in, "action", action_name(a));
	cJSON_AddStringToObject(in, "instance_id", iid);
	if (bid != NULL)
		cJSON_AddStringToObject(in, "binding_id", bid);
	cJSON_AddBoolToObject(in, "async", async);
	if (async)
		cJSON_AddStringToObject(in, "operation", op_id(rec));
	else
		cJSON_AddNullToObject(in, "operation");
	cJSON_AddItemToObject(in, "service", id_name(p->service_id,
	    p->service_name));
	cJSON_AddItemToObject(in, "plan", id_name(p->plan_id, p->plan_name));
	if (a == ACT_UPDATE && strcmp(records_str(rec, "plan_id"),
	    p->plan_id) != 0) {
		if (catalog_lookup_plan(cat, records_str(rec, "plan_id"),
		    &prev) == CATALOG_FOUND)
			cJSON_AddItemToObject(in, "previous_plan",
			    id_name(prev.plan_id, prev.plan_name));
		else {
			cJSON *pp = cJSON_AddObjectToObject(in, "previous_plan");
			cJSON_AddStringToObject(pp, "id",
			    records_str(rec, "plan_id"));
		}
	}
	if (a == ACT_PROVISION || a == ACT_UPDATE || a == ACT_BIND) {
		add_copy(in, "parameters", src, "parameters", 1);
		add_copy(in, "context", src, "context", 1);
	}
	if (a == ACT_PROVISION) {
		add_copy(in, "organization_guid", rec, "organization_guid", 0);
		add_copy(in, "space_guid", rec, "space_guid", 0);
	}
	add_copy(in, "originating_identity", op, "originating_identity", 0);
	if (p->cfg->settings != NULL)
		cJSON_AddItemToObject(in, "settings",
		    cJSON_Duplicate(p->cfg->settings, 1));
	else
		cJSON_AddObjectToObject(in, "settings");
	if (a != ACT_PROVISION)
		cJSON_AddItemToObject(in, "instance", instance_view(
		    inst != NULL ? inst : rec));
	if (a == ACT_BIND || a == ACT_UNBIND)
		add_copy(in, "credentials", rec, "credentials", 1);
	if (a == ACT_BIND) {
		add_copy(in, "bind_resource", rec, "bind_resource", 0);
		add_copy(in, "app_guid", rec, "app_guid", 0);
	}
	if (a == ACT_DEPROVISION) {
		b.arr = cJSON_AddArrayToObject(in, "bindings");
		snprintf(prefix, sizeof(prefix), "%s/", iid);
		if (store_begin(st, 0, &t) == STORE_OK) {
			(void)store_scan(t, T_BINDINGS, prefix, collect_binding,
			    &b);
			store_abort(t);
		}
	}
	s = cJSON_PrintUnformatted(in);
	cJSON_Delete(in);
	return s;
}

static char **
make_env(enum action a, const struct catalog_plan *p, const char *iid,
    const char *bid, const char *opid)
{
	const cJSON	*kv;
	const char	*home = getenv("HOME"), *tmp = getenv("TMPDIR");
	char		**env;
	size_t		 n = 12, i = 0;
	char		 num[64];

	cJSON_ArrayForEach(kv, p->cfg->hook_env)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	env[i++] = strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
	    "/usr/bin:/sbin:/bin");
	env[i++] = strdup("LANG=C.UTF-8");
	if (asprintf(&env[i++], "HOME=%s", home != NULL && *home ? home :
	    "/") < 0)
		env[i - 1] = NULL;
	if (asprintf(&env[i++], "TMPDIR=%s", tmp != NULL && *tmp ? tmp :
	    "/tmp") < 0)
		env[i - 1] = NULL;
#define ADD(...) do { if (asprintf(&env[i++], __VA_ARGS__) < 0) \
	env[--i] = NULL; } while (0)
	ADD("OSBROKER_ACTION=%s", action_name(a));
	ADD("OSBROKER_INSTANCE_ID=%s", iid);
	if (bid != NULL)
		ADD("OSBROKER_BINDING_ID=%s", bid);
	ADD("OSBROKER_SERVICE_ID=%s", p->service_id);
	ADD("OSBROKER_PLAN_ID=%s", p->plan_id);
	ADD("OSBROKER_PLAN_NAME=%s", p->plan_name);
	if (opid != NULL)
		ADD("OSBROKER_OPERATION=%s", opid);
	cJSON_ArrayForEach(kv, p->cfg->hook_env) {
		if (cJSON_IsNumber(kv)) {
			snprintf(num, sizeof(num), "%.17g", kv->valuedouble);
			ADD("%s=%s", kv->string, num);
		} else
			ADD("%s=%s", kv->string, kv->valuestring);
	}
#undef ADD
	env[i] = NULL;
	return env;
}

static void
free_env(char **env)
{
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* Every string of the credentials (of the record and of the hook's
 * answer): what must never reach a log. */
static void
collect_secrets(const cJSON *o, const char **out, size_t *n, size_t max)
{
	const cJSON *c;

	if (cJSON_IsString(o) && *n < max)
		out[(*n)++] = o->valuestring;
	for (c = (cJSON_IsObject(o) || cJSON_IsArray(o)) ? o->child : NULL;
	    c != NULL; c = c->next)
		collect_secrets(c, out, n, max);
}

static int
is_type(const cJSON *o, const char *name, cJSON_bool (*pred)(const cJSON *))
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return v == NULL || pred(v);
}

static int
endpoints_ok(const cJSON *eps)
{
	const cJSON *ep, *port;

	cJSON_ArrayForEach(ep, eps) {
		if (!cJSON_IsObject(ep) || !is_type(ep, "protocol", cJSON_IsString) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ep, "host")) ||
		    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(ep, "ports")))
			return 0;
		cJSON_ArrayForEach(port, cJSON_GetObjectItemCaseSensitive(ep,
		    "ports"))
			if (!cJSON_IsString(port))
				return 0;
	}
	return 1;
}

/* docs/hooks.md "Output": the field that has the wrong type, or NULL. */
static const char *
bad_output_field(const cJSON *out)
{
	static const struct {
		const char *name;
		cJSON_bool (*pred)(const cJSON *);
	} f[] = {
		{ "credentials", cJSON_IsObject }, { "endpoints", cJSON_IsArray },
		{ "syslog_drain_url", cJSON_IsString },
		{ "route_service_url", cJSON_IsString },
		{ "volume_mounts", cJSON_IsArray },
		{ "dashboard_url", cJSON_IsString },
		{ "metadata", cJSON_IsObject }, { "description", cJSON_IsString },
		{ "instance_usable", cJSON_IsBool },
		{ "update_repeatable", cJSON_IsBool },
	};
	const cJSON	*md = cJSON_GetObjectItemCaseSensitive(out, "metadata");
	size_t		 i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!is_type(out, f[i].name, f[i].pred))
			return f[i].name;
	if (!endpoints_ok(cJSON_GetObjectItemCaseSensitive(out, "endpoints")))
		return "endpoints";
	if (!is_type(md, "labels", cJSON_IsObject) ||
	    !is_type(md, "attributes", cJSON_IsObject))
		return "metadata";
	return NULL;
}

/* A user-facing description, at most OSB_MAX_HOOK_DESC bytes, cut on a
 * UTF-8 character boundary. */
static void
user_text(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src), max = len - 1 < OSB_MAX_HOOK_DESC ? len - 1 :
	    OSB_MAX_HOOK_DESC;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Merge the hook's answer into the record it completes. */
static void
apply_output(enum action a, cJSON *rec, const cJSON *out)
{
	static const char *const bind_fields[] = { "endpoints",
	    "syslog_drain_url", "route_service_url", "volume_mounts", NULL };
	const cJSON	*v, *kv;
	cJSON		*dst, *md, *part;
	const char	*parts[] = { "labels", "attributes" };
	int		 i;

	if (a == ACT_BIND) {
		if ((v = cJSON_GetObjectItemCaseSensitive(out, "credentials"))) {
			dst = cJSON_GetObjectItemCaseSensitive(rec, "credentials");
			if (dst == NULL)
				dst = cJSON_AddObjectToObject(rec, "credentials");
			cJSON_ArrayForEach(kv, v) {
				cJSON_DeleteItemFromObjectCaseSensitive(dst,
				    kv->string);
				cJSON_AddItemToObject(dst, kv->string,
				    cJSON_Duplicate(kv, 1));
			}
		}
		for (i = 0; bind_fields[i] != NULL; i++)
			if ((v = cJSON_GetObjectItemCaseSensitive(out,
			    bind_fields[i])) != NULL) {
				cJSON_DeleteItemFromObjectCaseSensitive(rec,
				    bind_fields[i]);
				records_copy(rec, out, bind_fields[i]);
			}
		return;
	}
	if (a != ACT_PROVISION && a != ACT_UPDATE)
		return;
	if (cJSON_GetObjectItemCaseSensitive(out, "dashboard_url") != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(rec, "dashboard_url");
		records_copy(rec, out, "dashboard_url");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(out, "metadata")) == NULL)
		return;
	if ((md = cJSON_GetObjectItemCaseSensitive(rec, "metadata")) == NULL)
		md = cJSON_AddObjectToObject(rec, "metadata");
	for (i = 0; i < 2; i++) {
		if ((part = cJSON_GetObjectItemCaseSensitive(md, parts[i])) == NULL)
			part = cJSON_AddObjectToObject(md, parts[i]);
		cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(v,
		    parts[i])) {
			cJSON_DeleteItemFromObjectCaseSensitive(part, kv->string);
			cJSON_AddItemToObject(part, kv->string,
			    cJSON_Duplicate(kv, 1));
		}
	}
}

/* Run the hook, or pretend a hook-less action succeeded. */
static void
run_hook(struct store *st, const struct catalog *cat,
    const struct catalog_plan *p, enum action a,
    const char *iid, const char *bid, const cJSON *inst, const cJSON *rec,
    struct hook_result *hr)
{
	const char	*secrets[64];
	const cJSON	*op = lastop(rec);
	struct hook_run	 h;
	char		 prefix[600], *input;
	char		**env;
	const char	*bad;
	size_t		 ns = 0;
	long		 left;
	int		 async = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op,
			    "async"));

	memset(hr, 0, sizeof(*hr));
	if (p->cfg->hook[a] == NULL) {
		hr->status = HOOK_OK;
		hr->out = cJSON_CreateObject();
		return;
	}
	input = make_input(st, cat, a, p, iid, bid, inst, rec);
	env = make_env(a, p, iid, bid, async ? op_id(rec) : NULL);
	collect_secrets(cJSON_GetObjectItemCaseSensitive(rec, "credentials"),
	    secrets, &ns, 63);
	secrets[ns] = NULL;
	snprintf(prefix, sizeof(prefix), "%s %s%s%s", action_name(a), iid,
	    bid != NULL ? "/" : "", bid != NULL ? bid : "");
	h.path = p->cfg->hook[a];
	h.env = env;
	h.input = input != NULL ? input : "{}";
	h.timeout = p->cfg->hook_timeout;
	/* Never past the operation's deadline. */
	left = (long)(num(op, "deadline") - (double)time(NULL));
	if (left < h.timeout)
		h.timeout = left > 1 ? left : 1;
	h.log_prefix = prefix;
	h.redact = secrets;
	if (env == NULL || input == NULL) {
		hr->status = HOOK_NOT_RUN;
		snprintf(hr->why, sizeof(hr->why), "could not be prepared (out "
		    "of memory)");
	} else
		hook_run(&h, hr);
	if (input != NULL) {
		explicit_bzero(input, strlen(input));
		free(input);
	}
	free_env(env);
	if (hr->status == HOOK_OK && (bad = bad_output_field(hr->out)) != NULL) {
		hr->status = HOOK_BAD_OUTPUT;
		snprintf(hr->why, sizeof(hr->why), "answered with a \"%s\" of "
		    "the wrong type", bad);
	}
	if (hr->status != HOOK_OK)
		log_msg("hook %s %s", prefix, hr->why);
}

void
op_describe(enum action a, const struct hook_result *hr, char *desc,
    size_t len)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(hr->out,
	    "description");

	if (cJSON_IsString(d) && d->valuestring[0] != '\0')
		user_text(desc, len, d->valuestring);
	else if (hr->status == HOOK_OK)
		snprintf(desc, len, "%s", done_words[a]);
	else
		snprintf(desc, len, "%s failed: the %s hook %s",
		    action_name(a), action_name(a), hr->why);
}

/* End the operation in the store (one transaction). */
static enum store_rc
complete(struct store *st, enum store_table tb, const char *key,
    const char *opid, enum action a, const struct hook_result *hr,
    cJSON **final, int *ours)
{
	struct store_txn *t;
	cJSON		*rec = NULL, *op, *next, *prev;
	const cJSON	*v;
	enum store_rc	 rc;
	char		 desc[OSB_MAX_HOOK_DESC + 200], prefix[OSB_MAX_ID_LEN + 2];
	int		 async, del = 0, i;
	static const char *const flags[] = { "instance_usable",
	    "update_repeatable" };

	*final = NULL;
	*ours = 0;
	if ((rc = store_begin(st, 1, &t)) != STORE_OK)
		return rc;
	rc = records_load(t, tb, key, &rec);
	if (rc == STORE_NOTFOUND || (rc == STORE_OK && (op_state(rec) !=
	    OPS_IN_PROGRESS || strcmp(op_id(rec), opid) != 0))) {
		store_abort(t);
		cJSON_Delete(rec);
		return STORE_OK;
	}
	if (rc != STORE_OK) {
		store_abort(t);
		return rc;
	}
	*ours = 1;
	op = lastop(rec);
	async = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op, "async"));
	op_describe(a, hr, desc, sizeof(desc));

	if (hr->status == HOOK_OK && (a == ACT_DEPROVISION || a == ACT_UNBIND)) {
		del = 1;
		if (a == ACT_DEPROVISION) {
			snprintf(prefix, sizeof(prefix), "%s/", key);
			rc = store_del_prefix(t, T_BINDINGS, prefix, NULL);
		}
		if (rc == STORE_OK)
			rc = store_del(t, tb, key);
		if (rc == STORE_OK && async)
			rc = op_gone_put(t, key, opid);
	} else if (hr->status == HOOK_OK) {
		if (a == ACT_UPDATE && (next = cJSON_DetachItemFromObjectCaseSensitive(
		    op, "pending")) != NULL) {
			cJSON_AddItemToObject(next, "last_operation",
			    cJSON_DetachItemFromObjectCaseSensitive(rec,
			    "last_operation"));
			cJSON_Delete(rec);
			rec = next;
		}
		apply_output(a, rec, hr->out);
		finish(rec, OPS_SUCCEEDED, desc);
	} else if (hr->status == HOOK_REJECTED && !async) {
		/* Refused before anything was done: as if never asked. */
		if (a == ACT_PROVISION || a == ACT_BIND) {
			del = 1;
			rc = store_del(t, tb, key);
		} else {
			prev = cJSON_DetachItemFromObjectCaseSensitive(op,
			    "previous");
			cJSON_DeleteItemFromObjectCaseSensitive(rec,
			    "last_operation");
			if (prev != NULL)
				cJSON_AddItemToObject(rec, "last_operation", prev);
		}
	} else {
		finish(rec, OPS_FAILED, desc);
		for (i = 0; i < 2 && (a == ACT_UPDATE || a == ACT_DEPROVISION);
		    i++)
			if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(
			    hr->out, flags[i])) && (i == 0 || a == ACT_UPDATE))
				cJSON_AddBoolToObject(op, flags[i],
				    cJSON_IsTrue(v));
	}
	if (rc == STORE_OK && !del)
		rc = records_save(t, tb, key, rec);
	if (rc != STORE_OK) {
		store_abort(t);
		cJSON_Delete(rec);
		return rc;
	}
	if ((rc = store_commit(t)) != STORE_OK) {
		cJSON_Delete(rec);
		return rc;
	}
	if (del)
		cJSON_Delete(rec);
	else
		*final = rec;
	return STORE_OK;
}

enum store_rc
op_execute(struct store *st, const struct catalog *cat,
    const struct catalog_plan *p, enum store_table tb, const char *key,
    const char *iid, const char *bid, const cJSON *inst, const cJSON *rec,
    struct hook_result *hr, cJSON **final, int *ours)
{
	enum action	 a = op_action(rec);
	char		 opid[128];

	snprintf(opid, sizeof(opid), "%s", op_id(rec));
	run_hook(st, cat, p, a, iid, bid, inst, rec, hr);
	return complete(st, tb, key, opid, a, hr, final, ours);
}

/* ---- tombstones ------------------------------------------------------- */

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

	if (g != NULL && num(g, "at") + OP_GONE_KEEP < (double)pr->now &&
	    pr->n < 64)
		pr->keys[pr->n++] = strdup(key);
	cJSON_Delete(g);
	return pr->n >= 64;
}

enum store_rc
op_gone_put(struct store_txn *t, const char *key, const char *opid)
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
	cJSON_AddStringToObject(g, "operation", opid);
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

/* ---- the runner ------------------------------------------------------- */

/* Check in as the runner of opid; 1 when the operation is ours to run. */
static int
check_in(struct store *st, enum store_table tb, const char *key,
    const char *opid, cJSON **rec)
{
	struct store_txn	*t;
	int			 ok = 0;

	*rec = NULL;
	if (store_begin(st, 1, &t) != STORE_OK)
		return 0;
	if (records_load(t, tb, key, rec) == STORE_OK &&
	    op_state(*rec) == OPS_IN_PROGRESS &&
	    strcmp(op_id(*rec), opid) == 0) {
		op_set_runner(*rec);
		ok = records_save(t, tb, key, *rec) == STORE_OK;
	}
	if (ok)
		ok = store_commit(t) == STORE_OK;
	else
		store_abort(t);
	return ok;
}

int
op_runner_main(const char *table, const char *key, const char *opid)
{
	struct config		 cfg;
	struct catalog		*cat = NULL;
	struct catalog_error	 ce;
	struct catalog_plan	 p;
	struct store		*st = NULL;
	struct store_txn	*t;
	struct hook_result	 hr;
	enum store_table	 tb;
	const cJSON		*pending;
	cJSON			*rec = NULL, *inst = NULL, *final = NULL;
	char			 err[512], iid[OSB_MAX_ID_LEN + 1];
	const char		*slash, *bid = NULL, *pid;
	enum action		 a;
	int			 ours = 0, rc = 1;

	memset(&hr, 0, sizeof(hr));
	if (strcmp(table, "instances") == 0)
		tb = T_INSTANCES;
	else if (strcmp(table, "bindings") == 0)
		tb = T_BINDINGS;
	else {
		log_msg("runner: unknown table %s", table);
		return 2;
	}
	if (config_load(&cfg, err, sizeof(err)) == -1) {
		log_msg("runner: %s", err);
		return 1;
	}
	if (store_open(cfg.state_dir, cfg.map_size, &st) != STORE_OK) {
		log_msg("runner: state directory %s: %s", cfg.state_dir,
		    st != NULL ? store_strerror(st) : "out of memory");
		goto out;
	}
	if (!check_in(st, tb, key, opid, &rec)) {
		log_msg("runner: operation %s of %s is no longer in progress",
		    opid, key);
		rc = 0;
		goto out;
	}
	a = op_action(rec);
	snprintf(iid, sizeof(iid), "%.*s", (int)((slash = strchr(key, '/')) ?
	    (size_t)(slash - key) : strlen(key)), key);
	if (slash != NULL)
		bid = slash + 1;
	pending = cJSON_GetObjectItemCaseSensitive(lastop(rec), "pending");
	pid = records_str(pending != NULL ? pending : rec, "plan_id");
	if (catalog_load(cfg.catalog_path, &cat, &ce) == -1) {
		hr.status = HOOK_NOT_RUN;
		snprintf(hr.why, sizeof(hr.why), "could not run: the catalog is "
		    "invalid");
		log_msg("runner: catalog %s: %d:%d: %s", ce.file, ce.line,
		    ce.column, ce.message);
	} else if (catalog_lookup(cat, records_str(rec, "service_id"), pid,
	    &p) != CATALOG_FOUND) {
		hr.status = HOOK_NOT_RUN;
		snprintf(hr.why, sizeof(hr.why), "could not run: plan %.64s is "
		    "no longer in the catalog", pid);
	}
	if (hr.status == HOOK_NOT_RUN) {
		log_msg("runner: %s %s: %s", opid, key, hr.why);
		if (complete(st, tb, key, opid, a, &hr, &final, &ours) ==
		    STORE_OK)
			rc = 0;
		goto out;
	}
	if (bid != NULL && store_begin(st, 0, &t) == STORE_OK) {
		(void)records_load(t, T_INSTANCES, iid, &inst);
		store_abort(t);
	}
	if (op_execute(st, cat, &p, tb, key, iid, bid, inst, rec, &hr, &final,
	    &ours) != STORE_OK)
		log_msg("runner: %s %s: cannot record the outcome: %s", opid,
		    key, store_strerror(st));
	else {
		rc = 0;
		if (!ours)
			log_msg("runner: %s %s ended meanwhile (deadline or "
			    "deleted); its outcome is discarded", opid, key);
		else
			log_msg("runner: %s %s %s", opid, key,
			    hr.status == HOOK_OK ? "succeeded" : "failed");
	}
out:
	cJSON_Delete(hr.out);
	cJSON_Delete(final);
	cJSON_Delete(inst);
	cJSON_Delete(rec);
	catalog_free(cat);
	store_close(st);
	return rc;
}
