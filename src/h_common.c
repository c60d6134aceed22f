/* SPDX-License-Identifier: ISC */
/*
 * h_common: see h_common.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "h_common.h"
#include "jsonin.h"
#include "jsonschema.h"
#include "limits.h"
#include "log.h"
#include "records.h"
#include "runner.h"
#include "util.h"
#include "work.h"

/* A store failure as the platform sees it (replacing anything in resp) and
 * as the operator does (the log). */
static void
store_failed(const struct ctx *c, enum store_rc rc, struct response *resp)
{
	response_free(resp);
	response_init(resp);
	/* The operator's view goes to the log; the platform gets a short,
	 * non-revealing description. */
	log_msg("state store error (%s): %s", store_where(c->store),
	    store_strerror(c->store));
	switch (rc) {
	case STORE_UNAVAILABLE:
		/* A failover, or a commit whose outcome is unknown: the
		 * platform's retry is answered from what was stored. */
		response_error(resp, OSB_ERR_UNAVAILABLE, "the broker cannot "
		    "reach its state store right now; try again later");
		response_header(resp, "Retry-After", "%d",
		    OSB_STORE_RETRY_AFTER);
		break;
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

int
h_common_check_params(const struct catalog_plan *p, enum catalog_schema which,
    const cJSON *params, int absent_is_empty, struct response *resp)
{
	const struct jschema	*js;
	struct jschema_report	 r;
	cJSON			*empty = NULL;
	char			 desc[OSB_MAX_PARAMS_REPORT], err[256];
	size_t			 i, used = 0, n;
	int			 rc;

	if (!p->cfg->validate_parameters)
		return 0;
	if (catalog_schema(p, which, &js, err, sizeof(err)) == -1) {
		response_error(resp, OSB_ERR_INTERNAL, "the broker could not "
		    "use plan \"%s\"'s parameter schema", p->plan_name);
		snprintf(resp->log_note, sizeof(resp->log_note), "schema: "
		    "%.140s", err);
		return -1;
	}
	if (js == NULL || (params == NULL && !absent_is_empty))
		return 0;
	if (params == NULL && (params = empty = cJSON_CreateObject()) == NULL)
		rc = -1;
	else
		rc = jschema_validate(js, params, "parameters", &r);
	cJSON_Delete(empty);
	if (rc == 0)
		return 0;
	if (rc == -1) {
		response_error(resp, OSB_ERR_INTERNAL, "the broker ran out of "
		    "memory checking the parameters; nothing was changed");
		return -1;
	}
	/* Whole lines while they fit, then how many more: the description
	 * is never cut inside one. */
	desc[0] = '\0';
	for (i = 0; i < r.kept; i++) {
		n = strlen(r.line[i]) + (i > 0 ? 2 : 0);
		if (used + n + 32 >= sizeof(desc))
			break;
		used += (size_t)snprintf(desc + used, sizeof(desc) - used,
		    "%s%s", i > 0 ? "; " : "", r.line[i]);
	}
	if (i < r.count)
		snprintf(desc + used, sizeof(desc) - used, "; and %zu more",
		    r.count - i);
	response_error(resp, OSB_ERR_BAD_REQUEST, "%s", desc);
	/* The log says where, not what: parameter values stay out of it. */
	snprintf(resp->log_note, sizeof(resp->log_note), "parameters do not "
	    "meet the plan's schema (%zu violation(s))", r.count);
	return -1;
}

static int
begin(struct ctx *c, struct h_txn *tx, int write, const char *scope)
{
	tx->key_only = (write & ~STORE_ONE_TRIP) == STORE_WRITE_KEY;
	tx->c = c;
	tx->hidden = 0;
	tx->rc = store_begin(c->store, write, scope, &tx->t);
	if (tx->rc != STORE_OK)
		tx->t = NULL;
	return tx->rc == STORE_OK ? 0 : -1;
}

int
h_common_visible(const struct ctx *c, const cJSON *rec)
{
	return c->plans == NULL || (c->user != NULL &&
	    strcmp(records_str(rec, "owner"), c->user) == 0);
}

enum catalog_lookup_result
h_common_lookup(const struct ctx *c, const char *service_id,
    const char *plan_id, struct catalog_plan *out)
{
	return planset_lookup(c->plans, c->catalog, service_id, plan_id, out);
}

int
h_common_begin(struct ctx *c, struct h_txn *tx)
{
	return begin(c, tx, STORE_WRITE, c->rt->instance_id);
}

int
h_common_begin_key(struct ctx *c, struct h_txn *tx, const char *key)
{
	return begin(c, tx, STORE_WRITE_KEY, key);
}

int
h_common_begin_create(struct ctx *c, struct h_txn *tx, const char *key)
{
	return begin(c, tx, (key != NULL ? STORE_WRITE_KEY : STORE_WRITE) |
	    STORE_ONE_TRIP, key != NULL ? key : c->rt->instance_id);
}

/* After a load of rec that gave rc: a store failure noted in tx->rc, and a
 * record this user may not see (another platform's) is STORE_NOTFOUND,
 * with tx->hidden; the caller then drops rec. */
static enum store_rc
loaded(struct h_txn *tx, enum store_rc rc, const cJSON *rec)
{
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		tx->rc = rc;
	if (rc == STORE_OK && tx->c != NULL && !h_common_visible(tx->c, rec)) {
		tx->hidden = 1;
		rc = STORE_NOTFOUND;
	}
	return rc;
}

enum store_rc
h_common_load(struct h_txn *tx, enum store_table tb, const char *key,
    cJSON **out)
{
	enum store_rc rc = tx->key_only && tb == T_INSTANCES ?
	    records_load(tx->t, tb, key, out) :
	    op_load_live(tx->t, tb, key, out, &tx->dirty);

	if ((rc = loaded(tx, rc, *out)) == STORE_NOTFOUND) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

enum store_rc
h_common_load_instance(struct h_txn *tx, const char *iid, const cJSON **out,
    cJSON **own)
{
	char		*val;
	size_t		 len;
	enum store_rc	 rc;

	*out = *own = NULL;
	if (tx->c == NULL || tx->c->memo == NULL || !tx->key_only) {
		rc = h_common_load(tx, T_INSTANCES, iid, own);
		*out = *own;
		return rc;
	}
	/* records_load(), the parse through the memo. */
	rc = store_get(tx->t, T_INSTANCES, iid, &val, &len);
	if (rc == STORE_OK) {
		if ((*out = records_memo_parse(tx->c->memo, val, len)) == NULL)
			rc = STORE_ERROR;
		free(val);
	}
	if ((rc = loaded(tx, rc, *out)) == STORE_NOTFOUND)
		*out = NULL;	/* the memo's tree, not freed */
	return rc;
}

/* Run the synchronous operation of ch, committed as in progress, and turn
 * its outcome into resp on failure.  0 with *final (the record after it;
 * NULL when deleted), or -1 with resp filled or tx->rc set. */
static int
run_sync(struct ctx *c, struct h_txn *tx, const struct h_change *ch,
    cJSON **final, struct response *resp)
{
	struct hook_result	 hr;
	enum action		 a = op_action(ch->rec);
	char			 desc[OSB_MAX_HOOK_DESC + 200];
	int			 ours;

	tx->rc = work_execute(c->store, c->cfg, c->catalog, ch->p, ch->tb,
	    ch->key, c->rt->instance_id, ch->bid, ch->inst, ch->rec, &hr,
	    final, &ours);
	work_describe(a, &hr, desc, sizeof(desc));
	cJSON_Delete(hr.out);
	if (tx->rc != STORE_OK)
		return -1;
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

/* The audit entry of ch, committed now (audit.h). */
static void
audit_event_of(const struct ctx *c, const struct h_change *ch,
    struct audit_event *e)
{
	*e = (struct audit_event){ .action = action_name(ch->act),
	    .outcome = ch->opid != NULL ? "in progress" : "succeeded",
	    .instance_id = c->rt->instance_id, .binding_id = ch->bid,
	    .service_id = ch->p->service_id, .plan_id = ch->p->plan_id,
	    .operation = ch->opid, .user = c->user,
	    .request_identity = h_common_who(c).request_identity,
	    .originating_identity = c->identity, .parameters = ch->params };
}

void
h_common_commit(struct ctx *c, struct h_txn *tx, const struct h_change *ch,
    struct response *resp)
{
	struct audit_event	 e;
	cJSON			*final = NULL;

	if (!ch->audited) {
		audit_event_of(c, ch, &e);
		if ((tx->rc = audit_record(tx->t, &e)) != STORE_OK)
			return;
	}
	tx->rc = store_commit(tx->t);
	tx->t = NULL;
	if (tx->rc != STORE_OK)
		return;
	if (ch->opid == NULL)
		h_common_reply(resp, ch->status, ch->rec, ch->reply);
	else if (ch->async) {
		/* A runner that cannot start is reaped later (op.h). */
		if (runner_spawn(c->cfg, ch->tb, ch->key, ch->opid) == -1)
			snprintf(resp->log_note, sizeof(resp->log_note), "the "
			    "runner of %.64s could not start; it will be "
			    "reported failed", ch->opid);
		h_common_accepted(resp, ch->opid);
	} else if (run_sync(c, tx, ch, &final, resp) == 0)
		h_common_reply(resp, ch->status, final, ch->reply);
	cJSON_Delete(final);
}

/* Record action a in rec as complete (no hook and synchronous) or begun
 * (ch->opid), and make rec the change's record. */
static void
start_change(struct ctx *c, struct h_change *ch, cJSON *rec, enum action a,
    const char *done)
{
	struct op_who	 who = h_common_who(c);
	const char	*owner = ch->tb == T_BINDINGS ?
			    records_str(ch->inst, "owner") : c->user;

	cJSON_Delete(jsonin_detach(rec, "owner"));
	if (owner != NULL && *owner != '\0')
		records_add_str(rec, "owner", owner);
	if (ch->p->cfg->hook[a] == NULL && !ch->async)
		op_done(rec, a, done, &who);
	else
		ch->opid = op_begin(rec, a, ch->async, ch->p, NULL, &who);
	ch->rec = rec;
}

void
h_common_create(struct ctx *c, struct h_txn *tx, struct h_change *ch,
    cJSON *rec, enum action a, const char *done, struct response *resp)
{
	if (tx->hidden) {
		/* The words of h_common_existing()'s 409. */
		response_error(resp, OSB_ERR_CONFLICT,
		    "%s \"%s\" already exists with different attributes",
		    ch->bid != NULL ? "binding" : "instance",
		    ch->bid != NULL ? ch->bid : ch->key);
		return;
	}
	start_change(c, ch, rec, a, done);
	if ((tx->rc = records_save(tx->t, ch->tb, ch->key, rec)) == STORE_OK)
		h_common_commit(c, tx, ch, resp);
}

/* h_common_create_new() and h_common_create_if(): on condition cond
 * unless NULL. */
static int
create_new(struct ctx *c, struct h_txn *tx, struct h_change *ch, cJSON *rec,
    enum action a, const char *done, const struct store_rec *cond,
    struct response *resp)
{
	struct audit_event	 e;
	struct store_rec	 entry = { .tb = T_AUDIT };
	char			 key[OSB_AUDIT_KEY], *val = NULL;

	start_change(c, ch, rec, a, done);
	/* The audit entry goes with the create, written only if it is. */
	audit_event_of(c, ch, &e);
	if (audit_entry(&e, key, sizeof(key), &val) == -1)
		tx->rc = STORE_ERROR;
	else {
		entry.key = key;
		entry.val = val;
		entry.len = strlen(val);
		tx->rc = records_create_if(tx->t, ch->tb, ch->key, rec,
		    &entry, cond);
	}
	free(val);
	ch->audited = 1;
	if (tx->rc == STORE_OK)
		h_common_commit(c, tx, ch, resp);
	ch->audited = 0;
	if (tx->rc != STORE_EXISTS)
		return 0;
	if (tx->t != NULL)	/* LMDB says so before the commit */
		store_abort(tx->t);
	*tx = (struct h_txn)H_TXN_INIT;
	/* rec as it came, for the comparison or a create after all. */
	cJSON_Delete(jsonin_detach(rec, "last_operation"));
	cJSON_Delete(jsonin_detach(rec, "owner"));
	ch->opid = NULL;
	ch->rec = NULL;
	return 1;
}

int
h_common_create_new(struct ctx *c, struct h_txn *tx, struct h_change *ch,
    cJSON *rec, enum action a, const char *done, struct response *resp)
{
	return create_new(c, tx, ch, rec, a, done, NULL, resp);
}

int
h_common_create_if(struct ctx *c, struct h_txn *tx, struct h_change *ch,
    cJSON *rec, enum action a, const char *done, const struct store_rec *cond,
    struct response *resp)
{
	return create_new(c, tx, ch, rec, a, done, cond, resp);
}

void
h_common_end(struct ctx *c, struct h_txn *tx, struct response *resp)
{
	if (tx->t != NULL) {
		if (tx->rc == STORE_OK)
			tx->rc = op_end(tx->t, tx->dirty);
		else
			store_abort(tx->t);
		tx->t = NULL;
	}
	if (tx->rc != STORE_OK)
		store_failed(c, tx->rc, resp);
}

enum store_rc
h_common_read(struct ctx *c, enum store_table tb, const char *key,
    cJSON **out, struct response *resp)
{
	enum store_rc rc = op_read_live(c->store, tb, key, out);

	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		store_failed(c, rc, resp);
	if (rc == STORE_OK && !h_common_visible(c, *out)) {
		cJSON_Delete(*out);
		*out = NULL;
		rc = STORE_NOTFOUND;
	}
	return rc;
}

cJSON *
h_common_body(const struct ctx *c, struct response *resp)
{
	return jsonin_parse_limits(c->req->body, c->req->body_len,
	    c->cfg->max_json_depth, c->cfg->max_json_keys, resp);
}

struct op_who
h_common_who(const struct ctx *c)
{
	struct op_who w = { c->req->request_identity, c->identity };

	return w;
}

int
h_common_accepts_incomplete(const struct ctx *c)
{
	const char *v = request_query(c->req, "accepts_incomplete");

	return v != NULL && strcmp(v, "true") == 0;
}

int
h_common_check_async(const struct ctx *c, const struct catalog_plan *p,
    enum action a, struct response *resp)
{
	if (!p->cfg->async[a] || h_common_accepts_incomplete(c))
		return 0;
	/* The spec's own text (2.13 "Service Broker Errors"): platforms on
	 * go-open-service-broker-client retry with accepts_incomplete=true
	 * only when the description is exactly this.  The detail goes to
	 * the log line. */
	response_error(resp, OSB_ERR_ASYNC_REQUIRED, "%s",
	    OSB_ASYNC_REQUIRED_TEXT);
	snprintf(resp->log_note, sizeof(resp->log_note), "plan \"%.64s\" "
	    "runs %s asynchronously: accepts_incomplete=true was not sent",
	    p->plan_name, action_name(a));
	return -1;
}

int
h_common_require_ids(const struct ctx *c, struct response *resp)
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

int
h_common_delete_mode(const struct ctx *c, const cJSON *rec,
    const char *also_plan, const char *what, const char *id, enum action a,
    struct catalog_plan *p, int *async, int *hooked, struct response *resp)
{
	const char *plan_id = request_query(c->req, "plan_id");

	*async = *hooked = 0;
	/* spec.md "Deprovisioning", "Unbinding": the ids of the offering
	 * and plan of the instance; a request meant for another one must
	 * not delete this one. */
	if (strcmp(request_query(c->req, "service_id"),
	    records_str(rec, "service_id")) != 0) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "service_id does not "
		    "match %s \"%s\"", what, id);
		return -1;
	}
	if (strcmp(plan_id, records_str(rec, "plan_id")) != 0 &&
	    (also_plan == NULL || strcmp(plan_id, also_plan) != 0)) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "plan_id does not "
		    "match %s \"%s\"", what, id);
		return -1;
	}
	if (catalog_lookup(c->catalog, records_str(rec, "service_id"),
	    records_str(rec, "plan_id"), p) != CATALOG_FOUND)
		return 0;
	*async = p->cfg->async[a];
	*hooked = p->cfg->hook[a] != NULL;
	if (h_common_check_async(c, p, a, resp) == -1)
		return -1;
	if (*async && op_is(rec, a, OPS_IN_PROGRESS)) {
		h_common_accepted(resp, op_id(rec));
		return -1;
	}
	return 0;
}

int
h_common_existing(const struct ctx *c, const cJSON *old, int same,
    enum action create, int async, const char *what, const char *id,
    struct response *resp)
{
	if (op_is(old, create, OPS_IN_PROGRESS)) {
		if (same && async && h_common_accepts_incomplete(c))
			h_common_accepted(resp, op_id(old));
		else
			h_common_busy(resp, what, id, old);
	} else if (op_is(old, create, OPS_FAILED))
		response_error(resp, OSB_ERR_CONFLICT, "%s \"%s\" exists but "
		    "could not be made; delete it first", what, id);
	else if (op_state(old) == OPS_IN_PROGRESS)
		h_common_busy(resp, what, id, old);
	else if (same)
		return 0;
	else
		response_error(resp, OSB_ERR_CONFLICT, "%s \"%s\" already "
		    "exists with different attributes", what, id);
	return -1;
}

void
h_common_reply(struct response *resp, int status, const cJSON *rec,
    const char *const *names)
{
	char	*text;
	size_t	 len;

	if (names == NULL) {
		response_json(resp, status, NULL);
		return;
	}
	/* Printed from the record: no tree is copied for the answer. */
	if ((text = records_print_fields(rec, names, &len)) == NULL) {
		response_error(resp, OSB_ERR_INTERNAL, "out of memory");
		return;
	}
	response_json_text(resp, status, text, len);
}

void
h_common_accepted(struct response *resp, const char *opid)
{
	cJSON *out = cJSON_CreateObject();

	records_add_str(out, "operation", opid);
	response_json(resp, 202, out);
}

void
h_common_busy(struct response *resp, const char *what, const char *id,
    const cJSON *rec)
{
	const char *type = records_str(op_last(rec), "type");

	/* The spec's reason text, as for AsyncRequired; the detail is
	 * logged. */
	response_error(resp, OSB_ERR_CONCURRENCY, "%s", OSB_CONCURRENCY_TEXT);
	snprintf(resp->log_note, sizeof(resp->log_note), "another operation "
	    "(%s) of %s \"%.64s\" is in progress", *type ? type : "binding",
	    what, id);
}

/* Retry-After for an operation in progress: the plan's poll_interval. */
static void
retry_after(const struct ctx *c, const cJSON *rec, struct response *resp)
{
	struct catalog_plan	p;
	long			s = PLANCFG_DEFAULT_POLL_INTERVAL;

	if (catalog_lookup(c->catalog, records_str(rec, "service_id"),
	    records_str(rec, "plan_id"), &p) == CATALOG_FOUND)
		s = p.cfg->poll_interval;
	response_header(resp, "Retry-After", "%ld", s);
}

void
h_common_lastop(struct ctx *c, enum store_table tb, const char *key,
    const char *what, struct response *resp)
{
	struct store_txn	*t;
	const char		*want = request_query(c->req, "operation");
	cJSON			*rec = NULL, *tomb = NULL;
	enum store_rc		 rc;
	int			 gone = 0;

	rc = h_common_read(c, tb, key, &rec, resp);
	if (rc == STORE_NOTFOUND) {
		/* spec.md "Polling Last Operation": 410 Gone with {} once an
		 * asynchronous delete has finished (of a record this user
		 * could see: the tombstone keeps its owner). */
		if (store_begin(c->store, 0, NULL, &t) == STORE_OK) {
			gone = records_load(t, T_GONE, key, &tomb) ==
			    STORE_OK && h_common_visible(c, tomb);
			cJSON_Delete(tomb);
			store_abort(t);
		}
		if (gone)
			response_json(resp, 410, NULL);
		else
			response_error(resp, OSB_ERR_NOT_FOUND, "%s \"%s\" does "
			    "not exist", what, key);
		return;
	}
	if (rc != STORE_OK)
		return;
	if (want != NULL && *op_id(rec) != '\0' && strcmp(want, op_id(rec)) !=
	    0)
		response_error(resp, OSB_ERR_BAD_REQUEST, "operation \"%s\" "
		    "is not the last operation of %s \"%s\" (that is \"%s\")",
		    strlen(want) <= OSB_MAX_QUOTED && util_utf8_valid(want,
		    strlen(want)) ? want : "(not shown)", what, key, op_id(rec));
	else {
		response_json(resp, 200, op_lastop_reply(rec));
		if (op_state(rec) == OPS_IN_PROGRESS)
			retry_after(c, rec, resp);
	}
	cJSON_Delete(rec);
}
