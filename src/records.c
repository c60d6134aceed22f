/*
 * records: see records.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonin.h"
#include "limits.h"
#include "plancfg.h"
#include "log.h"
#include "records.h"
#include "runner.h"
#include "util.h"

enum store_rc
records_load(struct store_txn *t, enum store_table tb, const char *key,
    cJSON **out)
{
	char		*val;
	size_t		 len;
	enum store_rc	 rc;

	*out = NULL;
	if ((rc = store_get(t, tb, key, &val, &len)) != STORE_OK)
		return rc;
	*out = cJSON_ParseWithLength(val, len);
	free(val);
	return *out != NULL ? STORE_OK : STORE_ERROR;
}

enum store_rc
records_save(struct store_txn *t, enum store_table tb, const char *key,
    const cJSON *rec)
{
	char		*val;
	enum store_rc	 rc;

	if ((val = cJSON_PrintUnformatted(rec)) == NULL)
		return STORE_ERROR;
	rc = store_put(t, tb, key, val, strlen(val));
	free(val);
	return rc;
}

void
records_fail(struct ctx *c, struct store_txn *t, enum store_rc rc,
    struct response *resp)
{
	store_abort(t);
	/* The operator's view goes to the log; the platform gets a short,
	 * non-revealing description. */
	log_msg("state store error (%s): %s", c->cfg->state_dir,
	    store_strerror(c->store));
	switch (rc) {
	case STORE_FULL:
		response_error(resp, OSB_ERR_UNAVAILABLE, "the broker's state "
		    "storage is full; nothing was changed");
		break;
	case STORE_READONLY:
		response_error(resp, OSB_ERR_UNAVAILABLE, "the broker's state "
		    "storage is not writable; nothing was changed");
		break;
	default:
		response_error(resp, OSB_ERR_INTERNAL, "the broker could not "
		    "read or write its state; nothing was changed");
		break;
	}
}

void
records_copy(cJSON *dst, const cJSON *src, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, name);

	if (v != NULL && !cJSON_IsNull(v))
		cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, 1));
}

int
records_same(const cJSON *a, const cJSON *b, const char *name)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, name);
	const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, name);

	if (x != NULL && cJSON_IsNull(x))
		x = NULL;
	if (y != NULL && cJSON_IsNull(y))
		y = NULL;
	if (x == NULL || y == NULL)
		return x == y;
	return cJSON_Compare(x, y, 1);
}

int
records_same_all(const cJSON *a, const cJSON *b, const char *const *names)
{
	for (; *names != NULL; names++)
		if (!records_same(a, b, *names))
			return 0;
	return 1;
}

void
records_binding_key(char *buf, size_t len, const char *iid, const char *bid)
{
	snprintf(buf, len, "%s/%s", iid, bid);
}

const char *
records_str(const cJSON *rec, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

double
records_num(const cJSON *rec, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int
records_require_ids(struct ctx *c, struct response *resp)
{
	static const char *const names[] = { "service_id", "plan_id" };
	const char	*v;
	int		 i;

	for (i = 0; i < 2; i++) {
		v = request_query(c->req, names[i]);
		if (v == NULL || *v == '\0') {
			response_error(resp, OSB_ERR_BAD_REQUEST, "the query "
			    "parameter %s is required", names[i]);
			return -1;
		}
	}
	return 0;
}

cJSON *
records_lastop_reply(const cJSON *rec)
{
	const cJSON	*op = cJSON_GetObjectItemCaseSensitive(rec,
			    "last_operation");
	const char	*state = records_str(op, "state");
	const char	*desc = records_str(op, "description");
	cJSON		*out = cJSON_CreateObject();

	static const char *const flags[] = { "instance_usable",
	    "update_repeatable" };
	const cJSON	*f;
	int		 i;

	cJSON_AddStringToObject(out, "state", *state ? state : "succeeded");
	if (*desc != '\0')	/* spec: if present, non-empty */
		cJSON_AddStringToObject(out, "description", desc);
	/* spec.md: only for failed updates and deprovisions. */
	for (i = 0; i < 2 && op_state(rec) == OPS_FAILED; i++)
		if (cJSON_IsBool(f = cJSON_GetObjectItemCaseSensitive(op,
		    flags[i])))
			cJSON_AddBoolToObject(out, flags[i], cJSON_IsTrue(f));
	return out;
}

enum store_rc
records_read(struct ctx *c, enum store_table tb, const char *key, cJSON **out,
    struct response *resp)
{
	struct store_txn	*t;
	enum store_rc		 rc;

	if ((rc = store_begin(c->store, 0, &t)) == STORE_OK) {
		rc = records_load(t, tb, key, out);
		store_abort(t);
	}
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		records_fail(c, NULL, rc, resp);
	return rc;
}

cJSON *
records_body(const struct ctx *c, struct response *resp)
{
	return jsonin_parse_limits(c->req->body, c->req->body_len,
	    c->cfg->max_json_depth, c->cfg->max_json_keys, resp);
}

struct op_who
records_who(const struct ctx *c)
{
	struct op_who w = { c->req->request_identity, c->identity };

	return w;
}

int
records_accepts_incomplete(const struct ctx *c)
{
	const char *v = request_query(c->req, "accepts_incomplete");

	return v != NULL && strcmp(v, "true") == 0;
}

int
records_check_async(const struct ctx *c, const struct catalog_plan *p,
    enum action a, struct response *resp)
{
	if (!p->cfg->async[a] || records_accepts_incomplete(c))
		return 0;
	response_error(resp, OSB_ERR_ASYNC_REQUIRED, "plan \"%s\" runs %s "
	    "asynchronously: send accepts_incomplete=true", p->plan_name,
	    action_name(a));
	return -1;
}

int
records_delete_mode(const struct ctx *c, const cJSON *rec, const char *what,
    const char *id, enum action a, struct catalog_plan *p, int *async,
    int *hooked, struct response *resp)
{
	*async = *hooked = 0;
	if (strcmp(request_query(c->req, "service_id"),
	    records_str(rec, "service_id")) != 0) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "service_id does not "
		    "match %s \"%s\"", what, id);
		return -1;
	}
	if (catalog_lookup(c->catalog, records_str(rec, "service_id"),
	    records_str(rec, "plan_id"), p) != CATALOG_FOUND)
		return 0;
	*async = p->cfg->async[a];
	*hooked = p->cfg->hook[a] != NULL;
	if (records_check_async(c, p, a, resp) == -1)
		return -1;
	if (*async && op_is(rec, a, OPS_IN_PROGRESS)) {
		records_accepted(resp, op_id(rec));
		return -1;
	}
	return 0;
}

enum store_rc
records_load_live(struct store_txn *t, enum store_table tb, const char *key,
    cJSON **out, int *dirty)
{
	enum store_rc rc = records_load(t, tb, key, out);

	if (rc == STORE_OK && op_reap(*out, time(NULL))) {
		*dirty = 1;
		rc = records_save(t, tb, key, *out);
	}
	return rc;
}

enum store_rc
records_read_live(struct ctx *c, enum store_table tb, const char *key,
    cJSON **out, struct response *resp)
{
	struct store_txn	*t;
	enum store_rc		 rc;
	int			 dirty = 0;

	rc = records_read(c, tb, key, out, resp);
	if (rc != STORE_OK || op_state(*out) != OPS_IN_PROGRESS ||
	    !op_reap(*out, time(NULL)))
		return rc;
	/* It must be ended: again, in a write transaction, since another
	 * process may have finished it meanwhile. */
	cJSON_Delete(*out);
	*out = NULL;
	if ((rc = store_begin(c->store, 1, &t)) == STORE_OK) {
		rc = records_load_live(t, tb, key, out, &dirty);
		if (rc == STORE_OK)
			rc = records_end(t, dirty);
		else
			store_abort(t);
	}
	if (rc != STORE_OK && rc != STORE_NOTFOUND) {
		cJSON_Delete(*out);
		*out = NULL;
		records_fail(c, NULL, rc, resp);
	}
	return rc;
}

enum store_rc
records_end(struct store_txn *t, int dirty)
{
	if (!dirty) {
		store_abort(t);
		return STORE_OK;
	}
	return store_commit(t);
}

struct busy {
	char	*keys[16];
	int	 n, more;
};

static int
note_busy(const char *key, const char *val, size_t len, void *arg)
{
	struct busy	*b = arg;
	cJSON		*rec = cJSON_ParseWithLength(val, len);

	if (op_state(rec) == OPS_IN_PROGRESS) {
		if (b->n < 16)
			b->keys[b->n++] = strdup(key);
		else
			b->more = 1;
	}
	cJSON_Delete(rec);
	return b->more;
}

int
records_bindings_busy(struct store_txn *t, const char *iid,
    enum store_rc *rc)
{
	struct busy	 b = { { 0 }, 0, 0 };
	char		 prefix[OSB_MAX_ID_LEN + 2];
	cJSON		*rec;
	int		 i, busy = 0, dirty;

	snprintf(prefix, sizeof(prefix), "%s/", iid);
	*rc = store_scan(t, T_BINDINGS, prefix, note_busy, &b);
	busy = b.more;
	for (i = 0; i < b.n; i++) {
		rec = NULL;
		dirty = 0;
		if (*rc == STORE_OK && b.keys[i] != NULL &&
		    records_load_live(t, T_BINDINGS, b.keys[i], &rec,
		    &dirty) == STORE_OK && op_state(rec) == OPS_IN_PROGRESS)
			busy = 1;
		cJSON_Delete(rec);
		free(b.keys[i]);
	}
	return busy;
}

void
records_accepted(struct response *resp, const char *opid)
{
	cJSON *out = cJSON_CreateObject();

	cJSON_AddStringToObject(out, "operation", opid);
	response_json(resp, 202, out);
}

int
records_existing(const struct ctx *c, const cJSON *old, int same,
    enum action create, int async, const char *what, const char *id,
    struct response *resp)
{
	if (op_is(old, create, OPS_IN_PROGRESS)) {
		if (same && async && records_accepts_incomplete(c))
			records_accepted(resp, op_id(old));
		else
			records_busy(resp, what, id, old);
	} else if (op_is(old, create, OPS_FAILED))
		response_error(resp, OSB_ERR_CONFLICT, "%s \"%s\" exists but "
		    "could not be made; delete it first", what, id);
	else if (op_state(old) == OPS_IN_PROGRESS)
		records_busy(resp, what, id, old);
	else if (same)
		return 1;
	else
		response_error(resp, OSB_ERR_CONFLICT, "%s \"%s\" already "
		    "exists with different attributes", what, id);
	return 0;
}

void
records_busy(struct response *resp, const char *what, const char *id,
    const cJSON *rec)
{
	const char *type = records_str(cJSON_GetObjectItemCaseSensitive(rec,
	    "last_operation"), "type");

	response_error(resp, OSB_ERR_CONCURRENCY, "another operation (%s) "
	    "of %s \"%s\" is in progress; try again when it has finished",
	    *type ? type : "binding", what, id);
}

int
records_run_sync(struct ctx *c, const struct catalog_plan *p,
    enum store_table tb, const char *key, const char *bid, const cJSON *inst,
    const cJSON *rec, cJSON **final, struct response *resp)
{
	struct hook_result	 hr;
	enum store_rc		 rc;
	enum action		 a = op_action(rec);
	char			 desc[OSB_MAX_HOOK_DESC + 200];
	int			 ours;

	rc = work_execute(c->store, c->cfg, c->catalog, p, tb, key, c->rt->instance_id,
	    bid, inst, rec, &hr, final, &ours);
	work_describe(a, &hr, desc, sizeof(desc));
	cJSON_Delete(hr.out);
	if (rc != STORE_OK) {
		records_fail(c, NULL, rc, resp);
		return -1;
	}
	if (!ours) {
		response_error(resp, OSB_ERR_INTERNAL, "the %s did not finish "
		    "in time and was ended by the broker", action_name(a));
		return -1;
	}
	if (hr.status == HOOK_OK)
		return 0;
	cJSON_Delete(*final);
	*final = NULL;
	snprintf(resp->log_note, sizeof(resp->log_note), "%s hook: %.120s",
	    action_name(a), hr.why);
	response_error(resp, hr.status == HOOK_REJECTED ? OSB_ERR_BAD_REQUEST :
	    OSB_ERR_INTERNAL, "%s", desc);
	return -1;
}

void
records_start_async(struct ctx *c, enum store_table tb, const char *key,
    const char *opid, struct response *resp)
{
	if (runner_spawn(c->cfg, tb, key, opid) == -1)
		snprintf(resp->log_note, sizeof(resp->log_note), "the runner "
		    "of %.64s could not start; it will be reported failed", opid);
	records_accepted(resp, opid);
}
