/* SPDX-License-Identifier: ISC */
/*
 * h_instance: provision (PUT), fetch (GET), update (PATCH) and deprovision
 * (DELETE) of /v2/service_instances/:instance_id, and its last_operation.
 *
 * Each handler validates the whole request before it opens a write
 * transaction, so every 4xx leaves the store untouched (spec.md "Service
 * Broker Errors"); the decision that depends on stored state (exists? same?)
 * is taken inside the transaction that writes, so racing workers agree.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "h_common.h"
#include "jsonin.h"
#include "limits.h"
#include "records.h"
#include "util.h"

/* Fields that make two provision requests "the same instance" (spec.md
 * "Provisioning", 200 vs 409).  context is left out on purpose: platforms
 * resend it with changed display names, which is not a different instance. */
static const char *const same_instance[] = {
	"service_id", "plan_id", "organization_guid", "space_guid",
	"parameters", NULL
};

/* Fields an update changes: equal in two results means the same update. */
static const char *const same_update[] = {
	"plan_id", "parameters", "context", "maintenance_info", NULL
};

static void
plan_error(struct response *resp, enum catalog_lookup_result lr,
    const char *service_id, const char *plan_id)
{
	if (lr == CATALOG_NO_SERVICE)
		response_error(resp, OSB_ERR_BAD_REQUEST, "service_id \"%.*s\" "
		    "is not a service offering of this broker", OSB_MAX_QUOTED,
		    service_id);
	else
		response_error(resp, OSB_ERR_BAD_REQUEST, "plan_id \"%.*s\" is "
		    "not a plan of service \"%.*s\"", OSB_MAX_QUOTED, plan_id,
		    OSB_MAX_QUOTED, service_id);
}

/* maintenance_info in a request must name the plan's current version
 * (spec.md "Provisioning", "Updating": 422 MaintenanceInfoConflict): also
 * the version an outdated instance is on, since the catalog has changed
 * and a newer one is available ("Updating", maintenance_info). */
static int
check_maintenance(const cJSON *body, const struct catalog_plan *p,
    struct response *resp)
{
	const cJSON	*mi;
	const char	*version;

	if (jsonin_object(body, "maintenance_info", 0, &mi, resp) == -1 ||
	    (mi != NULL &&
	    jsonin_string(mi, "version", 1, &version, resp) == -1))
		return -1;
	if (mi == NULL)
		return 0;
	if (p->maintenance_version == NULL) {
		response_error(resp, OSB_ERR_MAINTENANCE_INFO, "plan \"%s\" has "
		    "no maintenance_info; fetch the catalog again", p->plan_name);
		return -1;
	}
	if (strcmp(version, p->maintenance_version) != 0) {
		response_error(resp, OSB_ERR_MAINTENANCE_INFO, "the maintenance "
		    "information of plan \"%s\" has changed (now %s); fetch the "
		    "catalog again", p->plan_name, p->maintenance_version);
		return -1;
	}
	return 0;
}

/* The plan's maintenance_info as served, for the record. */
static void
set_maintenance(cJSON *rec, const struct catalog_plan *p)
{
	const cJSON *mi = jsonin_member(p->plan,
	    "maintenance_info");

	cJSON_Delete(jsonin_detach(rec, "maintenance_info"));
	if (mi != NULL)
		cJSON_AddItemToObject(rec, "maintenance_info",
		    cJSON_Duplicate(mi, 1));
}

/* Labels the platform can select on and attributes it may show
 * (spec.md "Service Instance Metadata"). */
static cJSON *
make_metadata(const struct catalog_plan *p, const char *created)
{
	cJSON *md = cJSON_CreateObject(), *labels, *attrs;

	labels = cJSON_AddObjectToObject(md, "labels");
	records_add_str(labels, "osbroker.service", p->service_name);
	records_add_str(labels, "osbroker.plan", p->plan_name);
	attrs = cJSON_AddObjectToObject(md, "attributes");
	records_add_str(attrs, "osbroker.created_at", created);
	return md;
}

/* The body of a provision's answer (spec.md "Provisioning"). */
static const char *const provision_reply[] = {
	"dashboard_url", "metadata", NULL
};

/* The body of an update's answer after its operation (spec.md "Updating"). */
static const char *const update_reply[] = { "dashboard_url", NULL };


void
h_instance_put(struct ctx *c, struct response *resp)
{
	cJSON			*body, *rec = NULL, *old = NULL;
	const cJSON		*context, *params;
	const char		*service_id, *plan_id, *org, *space;
	const char		*iid = c->rt->instance_id;
	struct catalog_plan	 p;
	enum catalog_lookup_result lr;
	struct h_txn		 tx = H_TXN_INIT;
	struct h_change		 ch;
	enum store_rc		 rc;
	char			 now[32];

	if ((body = h_common_body(c, resp)) == NULL)
		return;
	if (jsonin_string(body, "service_id", 1, &service_id, resp) == -1 ||
	    jsonin_string(body, "plan_id", 1, &plan_id, resp) == -1 ||
	    jsonin_object(body, "context", 0, &context, resp) == -1 ||
	    /* Deprecated by context but still REQUIRED without it. */
	    jsonin_string(body, "organization_guid", context == NULL, &org,
	    resp) == -1 ||
	    jsonin_string(body, "space_guid", context == NULL, &space,
	    resp) == -1 ||
	    jsonin_object(body, "parameters", 0, &params, resp) == -1)
		goto done;
	if ((lr = h_common_lookup(c, service_id, plan_id, &p)) !=
	    CATALOG_FOUND) {
		plan_error(resp, lr, service_id, plan_id);
		goto done;
	}
	if (check_maintenance(body, &p, resp) == -1 ||
	    h_common_check_params(&p, CS_CREATE, params, 1, resp) == -1)
		goto done;
	ch = (struct h_change){ .p = &p, .tb = T_INSTANCES, .key = iid,
	    .async = p.cfg->async[ACT_PROVISION], .status = 201,
	    .reply = provision_reply, .act = ACT_PROVISION, .params = params };

	util_fmt_iso8601(time(NULL), now, sizeof(now));
	rec = cJSON_CreateObject();
	records_add_str(rec, "service_id", service_id);
	records_add_str(rec, "plan_id", plan_id);
	/* Moved, not copied: the body is not read again (params is now
	 * rec's, which lives as long). */
	records_move(rec, body, "organization_guid");
	records_move(rec, body, "space_guid");
	records_move(rec, body, "context");
	records_move(rec, body, "parameters");
	set_maintenance(rec, &p);
	cJSON_AddItemToObject(rec, "metadata", make_metadata(&p, now));
	records_add_str(rec, "created_at", now);
	records_add_str(rec, "updated_at", now);

	/* A new id, as a rule: created without a read first; an id that
	 * exists is read and decided on in a second transaction.  A request
	 * that an asynchronous plan refuses (AsyncRequired) is read first: an
	 * existing instance answers as it is (200, 409), since a platform
	 * retries AsyncRequired with accepts_incomplete=true, and such a
	 * retry of a 409 could never succeed. */
	if (!(ch.async && !h_common_accepts_incomplete(c)) &&
	    (h_common_begin_create(c, &tx, NULL) == -1 ||
	    h_common_create_new(c, &tx, &ch,
	    rec, ACT_PROVISION, "provisioned", resp) == 0))
		goto done;
	if (h_common_begin(c, &tx) == -1)
		goto done;
	rc = h_common_load(&tx, T_INSTANCES, iid, &old);
	if (rc == STORE_OK) {
		if (h_common_existing(c, old, records_same_all(old, rec,
		    same_instance), ACT_PROVISION, ch.async, "instance", iid,
		    resp) == 0)
			h_common_reply(resp, 200, old, provision_reply);
		goto done;
	}
	if (rc == STORE_NOTFOUND &&
	    h_common_check_async(c, &p, ACT_PROVISION, resp) == 0)
		h_common_create(c, &tx, &ch, rec, ACT_PROVISION, "provisioned",
		    resp);
done:
	h_common_end(c, &tx, resp);
	cJSON_Delete(old);
	cJSON_Delete(rec);
	cJSON_Delete(body);
}

/* Read one instance record in a read transaction; fills resp on failure. */
static int
read_instance(struct ctx *c, cJSON **rec, struct response *resp)
{
	enum store_rc rc;

	rc = h_common_read(c, T_INSTANCES, c->rt->instance_id, rec, resp);
	if (rc == STORE_NOTFOUND)
		response_error(resp, OSB_ERR_NOT_FOUND, "instance \"%s\" does "
		    "not exist", c->rt->instance_id);
	return rc == STORE_OK ? 0 : -1;
}

void
h_instance_get(struct ctx *c, struct response *resp)
{
	cJSON *rec, *out;

	if (read_instance(c, &rec, resp) == -1)
		return;
	/* spec.md "Fetching a Service Instance": 404 while it is being
	 * provisioned (or failed to be), 422 while it is being updated. */
	if (op_action(rec) == ACT_PROVISION && op_state(rec) != OPS_SUCCEEDED) {
		response_error(resp, OSB_ERR_NOT_FOUND, "instance \"%s\" %s",
		    c->rt->instance_id, op_state(rec) == OPS_FAILED ?
		    "failed to be provisioned" : "is still being provisioned");
		cJSON_Delete(rec);
		return;
	}
	if (op_is(rec, ACT_UPDATE, OPS_IN_PROGRESS) ||
	    op_is(rec, ACT_UPGRADE, OPS_IN_PROGRESS)) {
		h_common_busy(resp, "instance", c->rt->instance_id, rec);
		cJSON_Delete(rec);
		return;
	}
	/* The answer's fields are moved out of the record, which is
	 * freed next, rather than copied. */
	out = cJSON_CreateObject();
	records_move(out, rec, "service_id");
	records_move(out, rec, "plan_id");
	records_move(out, rec, "dashboard_url");
	records_move(out, rec, "parameters");
	records_move(out, rec, "maintenance_info");
	records_move(out, rec, "metadata");
	response_json(resp, 200, out);
	cJSON_Delete(rec);
}

/* Shallow merge of update parameters: a key replaces the stored one, a key
 * set to null removes it (documented in osbroker(8)). */
static void
merge_parameters(cJSON *rec, const cJSON *params)
{
	cJSON		*cur = jsonin_member(rec, "parameters");
	const cJSON	*kv;

	if (cur == NULL)
		cur = cJSON_AddObjectToObject(rec, "parameters");
	for (kv = params->child; kv != NULL; kv = kv->next) {
		cJSON_Delete(jsonin_detach(cur, kv->string));
		if (!cJSON_IsNull(kv))
			cJSON_AddItemToObject(cur, kv->string,
			    cJSON_Duplicate(kv, 1));
	}
}

/* 1 when instance rec is on plan p's current maintenance_info.version. */
static int
upgrade_done(const cJSON *rec, const struct catalog_plan *p)
{
	const cJSON *mi = jsonin_member(rec,
	    "maintenance_info");

	return p->maintenance_version == NULL ||
	    strcmp(records_str(mi, "version"), p->maintenance_version) == 0;
}

/* 1 when merging params would change rec's parameters (none and {} are
 * the same: Cloud Controller sends "parameters": {} with an upgrade). */
static int
params_change(const cJSON *rec, const cJSON *params)
{
	cJSON	*before = cJSON_CreateObject(), *after;
	int	 changed;

	records_copy(before, rec, "parameters");
	if (jsonin_member(before, "parameters") == NULL)
		cJSON_AddObjectToObject(before, "parameters");
	after = cJSON_Duplicate(before, 1);
	merge_parameters(after, params);
	changed = !cJSON_Compare(jsonin_member(before,
	    "parameters"), jsonin_member(after,
	    "parameters"), 1);
	cJSON_Delete(after);
	cJSON_Delete(before);
	return changed;
}

/* Validate an update against the stored instance and apply it to rec.
 * *upgrade: 1 when it moves the instance to its plan's current
 * maintenance_info.version (docs/hooks.md "Upgrades").
 * Returns 0, or -1 with the error in resp (rec may be half-changed then, and
 * is discarded). */
static int
apply_update(struct ctx *c, const cJSON *body, cJSON *rec,
    struct catalog_plan *target_out, int *upgrade, struct response *resp)
{
	const cJSON		*context, *params, *mi, *prev;
	const char		*service_id, *plan_id, *cur_plan;
	struct catalog_plan	 cur, target;
	enum catalog_lookup_result lr;
	int			 plan_change, have_cur;
	char			 now[32];

	if (jsonin_string(body, "service_id", 1, &service_id, resp) == -1 ||
	    jsonin_string(body, "plan_id", 0, &plan_id, resp) == -1 ||
	    jsonin_object(body, "context", 0, &context, resp) == -1 ||
	    jsonin_object(body, "parameters", 0, &params, resp) == -1 ||
	    jsonin_object(body, "previous_values", 0, &prev, resp) == -1 ||
	    jsonin_object(body, "maintenance_info", 0, &mi, resp) == -1)
		return -1;
	if (strcmp(service_id, records_str(rec, "service_id")) != 0) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "service_id \"%.*s\" "
		    "is not the service of instance \"%s\"", OSB_MAX_QUOTED,
		    service_id, c->rt->instance_id);
		return -1;
	}
	cur_plan = records_str(rec, "plan_id");
	have_cur = h_common_lookup(c, service_id, cur_plan, &cur) ==
	    CATALOG_FOUND;
	plan_change = plan_id != NULL && strcmp(plan_id, cur_plan) != 0;
	if (plan_change) {
		lr = h_common_lookup(c, service_id, plan_id, &target);
		if (lr != CATALOG_FOUND) {
			plan_error(resp, lr, service_id, plan_id);
			return -1;
		}
		/* spec.md "Updating": plan_updateable of the instance's plan
		 * (plan overrides offering) decides. */
		if (have_cur && !cur.plan_updateable) {
			response_error(resp, OSB_ERR_UNPROCESSABLE, "plan \"%s\" "
			    "does not allow plan changes", cur.plan_name);
			return -1;
		}
	} else if (!have_cur) {
		response_error(resp, OSB_ERR_UNPROCESSABLE, "the plan of "
		    "instance \"%s\" is no longer in the catalog; update it to "
		    "a current plan", c->rt->instance_id);
		return -1;
	} else
		target = cur;
	/* The parameters as sent, against the plan the instance will be on;
	 * the merge with the stored ones is not checked again. */
	if (check_maintenance(body, &target, resp) == -1 ||
	    h_common_check_params(&target, CS_UPDATE, params, 0, resp) == -1)
		return -1;
	if (context != NULL && !plan_change && params == NULL && mi == NULL &&
	    !target.allow_context_updates) {
		response_error(resp, OSB_ERR_UNPROCESSABLE, "service \"%s\" does "
		    "not accept context-only updates (allow_context_updates)",
		    target.service_name);
		return -1;
	}

	/* An upgrade: the plan's current version (checked above), which the
	 * instance is not on yet.  A plan change records the new plan's
	 * version and is an update (its hook moves the instance). */
	*upgrade = mi != NULL && !plan_change && !upgrade_done(rec, &target);
	if (*upgrade && params != NULL && params_change(rec, params)) {
		response_error(resp, OSB_ERR_UNPROCESSABLE, "a maintenance "
		    "upgrade (maintenance_info.version %s) cannot change "
		    "parameters too; send them in an update of their own",
		    target.maintenance_version);
		return -1;
	}

	if (plan_change) {
		cJSON_ReplaceItemInObjectCaseSensitive(rec, "plan_id",
		    cJSON_CreateString(plan_id));
		set_maintenance(rec, &target);
	}
	if (mi != NULL)
		set_maintenance(rec, &target);
	if (params != NULL)
		merge_parameters(rec, params);
	if (context != NULL) {
		cJSON_Delete(jsonin_detach(rec, "context"));
		records_copy(rec, body, "context");
	}
	util_fmt_iso8601(time(NULL), now, sizeof(now));
	cJSON_Delete(jsonin_detach(rec, "updated_at"));
	records_add_str(rec, "updated_at", now);
	*target_out = target;
	return 0;
}

/* May instance rec be updated (for_update) or deleted now?  One operation
 * at a time per instance, its bindings' included.  0, or -1 with the
 * refusal in resp or the store's failure in tx->rc. */
static int
instance_ready(struct ctx *c, struct h_txn *tx, const cJSON *rec,
    int for_update, struct response *resp)
{
	const char	*iid = c->rt->instance_id;
	int		 busy;

	/* A failed provision can only be deleted (orphan mitigation). */
	if (for_update && op_is(rec, ACT_PROVISION, OPS_FAILED)) {
		response_error(resp, OSB_ERR_UNPROCESSABLE, "instance \"%s\" "
		    "failed to be provisioned; deprovision it", iid);
		return -1;
	}
	if (op_state(rec) == OPS_IN_PROGRESS) {
		h_common_busy(resp, "instance", iid, rec);
		return -1;
	}
	if ((tx->rc = op_bindings_busy(tx->t, iid, &busy, &tx->dirty)) !=
	    STORE_OK)
		return -1;
	if (busy) {
		/* NULL: "a binding operation" */
		h_common_busy(resp, "instance", iid, NULL);
		return -1;
	}
	return 0;
}

void
h_instance_patch(struct ctx *c, struct response *resp)
{
	cJSON			*body, *rec = NULL, *next = NULL;
	const cJSON		*pending;
	const char		*iid = c->rt->instance_id;
	struct catalog_plan	 target;
	struct h_txn		 tx = H_TXN_INIT;
	struct h_change		 ch;
	struct op_who		 who = h_common_who(c);
	enum store_rc		 rc;
	enum action		 a;
	int			 upgrade = 0;
	char			 done_desc[64 + OSB_MAX_QUOTED];

	if ((body = h_common_body(c, resp)) == NULL)
		return;
	if (h_common_begin(c, &tx) == -1)
		goto done;
	rc = h_common_load(&tx, T_INSTANCES, iid, &rec);
	if (rc == STORE_NOTFOUND)
		response_error(resp, OSB_ERR_NOT_FOUND, "instance \"%s\" does "
		    "not exist", iid);
	if (rc != STORE_OK)
		goto done;
	next = cJSON_Duplicate(rec, 1);
	cJSON_Delete(jsonin_detach(next, "last_operation"));
	if (apply_update(c, body, next, &target, &upgrade, resp) == -1)
		goto done;
	/* An upgrade runs the plan's upgrade hook with its own settings;
	 * without one, the new version is just recorded (docs/hooks.md). */
	a = upgrade ? ACT_UPGRADE : ACT_UPDATE;
	if (h_common_check_async(c, &target, a, resp) == -1)
		goto done;
	ch = (struct h_change){ .p = &target, .tb = T_INSTANCES, .key = iid,
	    .async = target.cfg->async[a], .status = 200,
	    .act = a,
	    .params = jsonin_member(body, "parameters") };
	/* The same update sent again while it runs: the same operation. */
	pending = op_pending(rec);
	if (op_is(rec, a, OPS_IN_PROGRESS) && ch.async &&
	    pending != NULL && records_same_all(pending, next, same_update)) {
		h_common_accepted(resp, op_id(rec));
		goto done;
	}
	if (instance_ready(c, &tx, rec, 1, resp) == -1)
		goto done;
	if (target.cfg->hook[a] == NULL && !ch.async &&
	    records_same_all(rec, next, same_update)) {
		/* The same update again: nothing to do, nothing to store (a
		 * plan with an update hook runs it again, as asked). */
		response_json(resp, 200, NULL);
		goto done;
	}
	if (target.cfg->hook[a] == NULL && !ch.async) {
		/* Complete at once: the answer is {}. */
		if (upgrade)
			snprintf(done_desc, sizeof(done_desc), "upgraded to "
			    "maintenance_info.version %.*s", OSB_MAX_QUOTED,
			    target.maintenance_version);
		op_done(next, a, upgrade ? done_desc : "updated", &who);
		ch.rec = next;
	} else {
		/* The record keeps its values until the operation succeeds;
		 * the update waits in last_operation.pending. */
		ch.opid = op_begin(rec, a, ch.async, &target, next,
		    &who);
		ch.rec = rec;
		ch.reply = update_reply;
	}
	if ((tx.rc = records_save(tx.t, T_INSTANCES, iid, ch.rec)) ==
	    STORE_OK)
		h_common_commit(c, &tx, &ch, resp);
done:
	h_common_end(c, &tx, resp);
	cJSON_Delete(next);
	cJSON_Delete(rec);
	cJSON_Delete(body);
}

void
h_instance_delete(struct ctx *c, struct response *resp)
{
	cJSON			*rec = NULL;
	const cJSON		*pending;
	const char		*iid = c->rt->instance_id;
	struct catalog_plan	 p;
	struct h_txn		 tx = H_TXN_INIT;
	struct h_change		 ch = { .p = &p, .tb = T_INSTANCES, .key = iid,
				    .status = 200, .act = ACT_DEPROVISION };
	struct op_who		 who = h_common_who(c);
	enum store_rc		 rc;
	size_t			 nb = 0;
	int			 hooked;

	if (h_common_require_ids(c, resp) == -1)
		return;
	if (h_common_begin(c, &tx) == -1)
		goto done;
	rc = h_common_load(&tx, T_INSTANCES, iid, &rec);
	if (rc == STORE_NOTFOUND)
		response_error(resp, OSB_ERR_GONE, "instance \"%s\" does not "
		    "exist", iid);
	if (rc != STORE_OK)
		goto done;
	/* The plan of an update in progress is a name the platform may use. */
	pending = op_pending(rec);
	if (h_common_delete_mode(c, rec, pending != NULL ?
	    records_str(pending, "plan_id") : NULL, "instance", iid,
	    ACT_DEPROVISION, &p, &ch.async, &hooked, resp) == -1 ||
	    instance_ready(c, &tx, rec, 0, resp) == -1)
		goto done;
	if (!hooked && !ch.async) {
		if ((tx.rc = op_remove_bindings(tx.t, iid, &nb)) != STORE_OK ||
		    (tx.rc = op_remove(tx.t, T_INSTANCES, iid)) != STORE_OK)
			goto done;
		if (nb > 0)
			snprintf(resp->log_note, sizeof(resp->log_note),
			    "removed %zu binding record(s) with the instance",
			    nb);
	} else {
		ch.opid = op_begin(rec, ACT_DEPROVISION, ch.async, &p, NULL,
		    &who);
		ch.rec = rec;
		if ((tx.rc = records_save(tx.t, T_INSTANCES, iid, rec)) !=
		    STORE_OK)
			goto done;
	}
	h_common_commit(c, &tx, &ch, resp);
done:
	h_common_end(c, &tx, resp);
	cJSON_Delete(rec);
}

/* The stored outcome of the last operation (spec.md "Polling Last Operation
 * for Service Instances"). */
void
h_instance_lastop(struct ctx *c, struct response *resp)
{
	h_common_lastop(c, T_INSTANCES, c->rt->instance_id, "instance", resp);
}
