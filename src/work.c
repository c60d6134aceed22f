/* SPDX-License-Identifier: ISC */
/*
 * work: see work.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "limits.h"
#include "log.h"
#include "op.h"
#include "records.h"
#include "util.h"
#include "work.h"

static const char *const done_words[ACT__COUNT] = {
	[ACT_PROVISION] = "provisioned", [ACT_UPDATE] = "updated",
	[ACT_DEPROVISION] = "deprovisioned", [ACT_BIND] = "bound",
	[ACT_UNBIND] = "unbound", [ACT_UPGRADE] = "upgraded"
};

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

/* rec's maintenance_info as name, or null. */
static void
add_maintenance(cJSON *dst, const char *name, const cJSON *rec)
{
	const cJSON *mi = cJSON_GetObjectItemCaseSensitive(rec,
	    "maintenance_info");

	if (cJSON_IsObject(mi))
		cJSON_AddItemToObject(dst, name, cJSON_Duplicate(mi, 1));
	else
		cJSON_AddNullToObject(dst, name);
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
	const cJSON	*op = op_last(rec);
	const cJSON	*pending = op_pending(rec);
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
	if (a == ACT_PROVISION || a == ACT_UPDATE || a == ACT_UPGRADE ||
	    a == ACT_BIND) {
		add_copy(in, "parameters", src, "parameters", 1);
		add_copy(in, "context", src, "context", 1);
	}
	/* docs/hooks.md "Upgrades": the version the instance is on (null
	 * when it has none) and the one it moves to. */
	if (a == ACT_UPGRADE) {
		add_maintenance(in, "previous_maintenance_info", rec);
		add_maintenance(in, "maintenance_info", src);
	}
	if (a == ACT_PROVISION) {
		add_copy(in, "organization_guid", rec, "organization_guid", 0);
		add_copy(in, "space_guid", rec, "space_guid", 0);
		add_maintenance(in, "maintenance_info", rec);
	}
	add_copy(in, "originating_identity", op, "originating_identity", 0);
	if (p->cfg->settings != NULL)
		cJSON_AddItemToObject(in, "settings",
		    cJSON_Duplicate(p->cfg->settings, 1));
	else
		cJSON_AddObjectToObject(in, "settings");
	/* Binding actions describe their instance (NULL: gone meanwhile);
	 * update and deprovision the record itself. */
	if (a != ACT_PROVISION)
		cJSON_AddItemToObject(in, "instance", instance_view(
		    bid != NULL ? inst : rec));
	if (a == ACT_BIND || a == ACT_UNBIND)
		add_copy(in, "credentials", rec, "credentials", 1);
	if (a == ACT_BIND) {
		add_copy(in, "bind_resource", rec, "bind_resource", 0);
		add_copy(in, "app_guid", rec, "app_guid", 0);
	}
	if (a == ACT_DEPROVISION) {
		b.arr = cJSON_AddArrayToObject(in, "bindings");
		snprintf(prefix, sizeof(prefix), "%s/", iid);
		if (store_begin(st, 0, NULL, &t) == STORE_OK) {
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
	if (a != ACT_PROVISION && a != ACT_UPDATE && a != ACT_UPGRADE)
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
run_hook(struct store *st, const struct config *cfg, const struct catalog *cat,
    const struct catalog_plan *p, enum action a,
    const char *iid, const char *bid, const cJSON *inst, const cJSON *rec,
    struct hook_result *hr)
{
	const char	*secrets[64];
	const cJSON	*op = op_last(rec);
	struct hook_run	 h = { 0 };
	char		 prefix[600], *input;
	char		**env;
	const char	*bad;
	size_t		 ns = 0;
	double		 left_s;
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
	h.max_stdout = cfg->max_hook_output;
	/* Inside a request: end before the web server gives up on it. */
	if (!async && h.timeout > cfg->request_timeout -
	    OSB_REQUEST_TIMEOUT_MARGIN) {
		h.timeout = cfg->request_timeout - OSB_REQUEST_TIMEOUT_MARGIN;
		log_msg("hook %s: hook_timeout %ld s of plan %s is not below "
		    "OSBROKER_REQUEST_TIMEOUT (%ld s): run for %ld s", prefix,
		    p->cfg->hook_timeout, p->plan_name, cfg->request_timeout,
		    h.timeout);
	}
	/* Never past the operation's deadline. */
	left_s = records_num(op, "deadline") - (double)time(NULL);
	if (left_s < (double)h.timeout)	/* compared before any cast */
		h.timeout = left_s > 1 ? (long)left_s : 1;
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
work_describe(enum action a, const struct hook_result *hr, char *desc,
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

enum store_rc
work_record(struct store *st, enum store_table tb, const char *key,
    const char *opid, enum action a, const struct hook_result *hr,
    cJSON **final, int *ours)
{
	struct store_txn *t;
	cJSON		*rec = NULL, *op, *next, *prev;
	const cJSON	*v;
	enum store_rc	 rc;
	char		 desc[OSB_MAX_HOOK_DESC + 200];
	int		 async, del = 0, i;
	static const char *const flags[] = { "instance_usable",
	    "update_repeatable" };

	*final = NULL;
	*ours = 0;
	if ((rc = store_begin(st, 1, key, &t)) != STORE_OK)
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
	op = op_last(rec);
	async = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op, "async"));
	work_describe(a, hr, desc, sizeof(desc));

	if (hr->status == HOOK_OK && (a == ACT_DEPROVISION || a == ACT_UNBIND)) {
		del = 1;
		if (a == ACT_DEPROVISION)
			rc = op_remove_bindings(t, key, NULL);
		/* A synchronous delete ends a tombstone of the same key; an
		 * asynchronous one writes its own over it. */
		if (rc == STORE_OK)
			rc = async ? store_del(t, tb, key) : op_remove(t, tb, key);
		if (rc == STORE_OK && async)
			rc = op_gone_put(t, key, opid,
			    records_str(rec, "owner"));
	} else if (hr->status == HOOK_OK) {
		if ((a == ACT_UPDATE || a == ACT_UPGRADE) &&
		    (next = cJSON_DetachItemFromObjectCaseSensitive(op,
		    "pending")) != NULL) {
			cJSON_AddItemToObject(next, "last_operation",
			    cJSON_DetachItemFromObjectCaseSensitive(rec,
			    "last_operation"));
			cJSON_Delete(rec);
			rec = next;
		}
		apply_output(a, rec, hr->out);
		op_finish(rec, OPS_SUCCEEDED, desc);
	} else if (hr->status == HOOK_REJECTED && !async) {
		/* Refused before anything was done: as if never asked. */
		if (a == ACT_PROVISION || a == ACT_BIND) {
			del = 1;
			rc = op_remove(t, tb, key);
		} else {
			prev = cJSON_DetachItemFromObjectCaseSensitive(op,
			    "previous");
			cJSON_DeleteItemFromObjectCaseSensitive(rec,
			    "last_operation");
			if (prev != NULL)
				cJSON_AddItemToObject(rec, "last_operation", prev);
		}
	} else {
		op_finish(rec, OPS_FAILED, desc);
		for (i = 0; i < 2 && (a == ACT_UPDATE || a == ACT_UPGRADE ||
		    a == ACT_DEPROVISION); i++)
			if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(
			    hr->out, flags[i])) && (i == 0 || a != ACT_DEPROVISION))
				cJSON_AddBoolToObject(op, flags[i],
				    cJSON_IsTrue(v));
	}
	if (rc == STORE_OK && !del)
		rc = records_save(t, tb, key, rec);
	if (rc == STORE_OK)
		rc = audit_outcome(t, key, rec, action_name(a), opid,
		    hr->status == HOOK_OK ? "succeeded" :
		    hr->status == HOOK_REJECTED && !async ? "refused" :
		    "failed", desc);
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
work_record_until(struct store *st, enum store_table tb, const char *key,
    const char *opid, enum action a, const struct hook_result *hr,
    cJSON **final, int *ours, double until)
{
	enum store_rc	rc;
	int		tries = 0;

	while ((rc = work_record(st, tb, key, opid, a, hr, final, ours)) ==
	    STORE_UNAVAILABLE && (double)time(NULL) + 1 < until) {
		if (tries++ == 0)
			log_msg("%s %s: cannot record its outcome yet (%s); "
			    "trying again every second for up to %.0f s", opid,
			    key, store_strerror(st), until - (double)time(NULL));
		sleep(1);
	}
	return rc;
}

enum store_rc
work_execute(struct store *st, const struct config *cfg,
    const struct catalog *cat,
    const struct catalog_plan *p, enum store_table tb, const char *key,
    const char *iid, const char *bid, const cJSON *inst, const cJSON *rec,
    struct hook_result *hr, cJSON **final, int *ours)
{
	const cJSON	*op = op_last(rec);
	enum action	 a = op_action(rec);
	char		 opid[128];
	double		 until = 0;

	/* A runner waits out an outage; a request does not: a worker that
	 * waits holds up every request queued behind it, which should get
	 * 503 at once while there is no database. */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op, "async")))
		until = records_num(op, "deadline");
	snprintf(opid, sizeof(opid), "%s", op_id(rec));
	run_hook(st, cfg, cat, p, a, iid, bid, inst, rec, hr);
	return work_record_until(st, tb, key, opid, a, hr, final, ours, until);
}

