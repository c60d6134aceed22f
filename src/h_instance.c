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

#include "handlers.h"
#include "jsonin.h"
#include "op.h"
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
		response_error(resp, OSB_ERR_BAD_REQUEST, "service_id \"%.255s\" "
		    "is not a service offering of this broker", service_id);
	else
		response_error(resp, OSB_ERR_BAD_REQUEST, "plan_id \"%.255s\" is "
		    "not a plan of service \"%.255s\"", plan_id, service_id);
}

/* maintenance_info in a request must name the plan's current version
 * (spec.md "Provisioning", "Updating": 422 MaintenanceInfoConflict). */
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
	const cJSON *mi = cJSON_GetObjectItemCaseSensitive(p->plan,
	    "maintenance_info");

	cJSON_DeleteItemFromObjectCaseSensitive(rec, "maintenance_info");
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
	cJSON_AddStringToObject(labels, "osbroker.service", p->service_name);
	cJSON_AddStringToObject(labels, "osbroker.plan", p->plan_name);
	attrs = cJSON_AddObjectToObject(md, "attributes");
	cJSON_AddStringToObject(attrs, "osbroker.created_at", created);
	return md;
}

static void
provision_reply(struct response *resp, int status, const cJSON *rec)
{
	cJSON *out = cJSON_CreateObject();

	records_copy(out, rec, "dashboard_url");
	records_copy(out, rec, "metadata");
	response_json(resp, status, out);
}


void
h_instance_put(struct ctx *c, struct response *resp)
{
	cJSON			*body, *rec = NULL, *old = NULL, *final = NULL;
	const cJSON		*context, *params;
	const char		*service_id, *plan_id, *org, *space, *opid;
	struct catalog_plan	 p;
	enum catalog_lookup_result lr;
	struct store_txn	*t = NULL;
	struct op_who		 who = records_who(c);
	enum store_rc		 rc;
	char			 now[32];
	int			 async, dirty = 0;

	if ((body = records_body(c, resp)) == NULL)
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
	if ((lr = catalog_lookup(c->catalog, service_id, plan_id, &p)) !=
	    CATALOG_FOUND) {
		plan_error(resp, lr, service_id, plan_id);
		goto done;
	}
	if (check_maintenance(body, &p, resp) == -1)
		goto done;
	async = p.cfg->async[ACT_PROVISION];
	if (records_check_async(c, &p, ACT_PROVISION, resp) == -1)
		goto done;

	fmt_iso8601(time(NULL), now, sizeof(now));
	rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "service_id", service_id);
	cJSON_AddStringToObject(rec, "plan_id", plan_id);
	records_copy(rec, body, "organization_guid");
	records_copy(rec, body, "space_guid");
	records_copy(rec, body, "context");
	records_copy(rec, body, "parameters");
	set_maintenance(rec, &p);
	cJSON_AddItemToObject(rec, "metadata", make_metadata(&p, now));
	cJSON_AddStringToObject(rec, "created_at", now);
	cJSON_AddStringToObject(rec, "updated_at", now);

	if ((rc = store_begin(c->store, 1, &t)) != STORE_OK)
		goto fail;
	rc = records_load_live(t, T_INSTANCES, c->rt->instance_id, &old,
	    &dirty);
	if (rc == STORE_OK) {
		if (records_existing(c, old, records_same_all(old, rec,
		    same_instance), ACT_PROVISION, async,
		    "instance", c->rt->instance_id, resp))
			provision_reply(resp, 200, old);
		rc = records_end(t, dirty);
		t = NULL;
		if (rc != STORE_OK)
			goto fail;
		goto done;
	}
	if (rc != STORE_NOTFOUND)
		goto fail;
	/* A new instance under the id of a deleted one: forget the
	 * tombstone. */
	if ((rc = store_del(t, T_GONE, c->rt->instance_id)) != STORE_OK &&
	    rc != STORE_NOTFOUND)
		goto fail;
	if (p.cfg->hook[ACT_PROVISION] == NULL && !async) {
		op_done(rec, ACT_PROVISION, "provisioned", &who);
		opid = NULL;
	} else
		opid = op_begin(rec, ACT_PROVISION, async, &p, NULL, &who);
	if ((rc = records_save(t, T_INSTANCES, c->rt->instance_id, rec)) !=
	    STORE_OK)
		goto fail;
	rc = store_commit(t);
	t = NULL;
	if (rc != STORE_OK)
		goto fail;
	if (opid == NULL)
		provision_reply(resp, 201, rec);
	else if (async)
		records_start_async(c, T_INSTANCES, c->rt->instance_id, opid,
		    resp);
	else if (records_run_sync(c, &p, T_INSTANCES, c->rt->instance_id,
	    NULL, NULL, rec, &final, resp) == 0)
		provision_reply(resp, 201, final);
	goto done;
fail:
	records_fail(c, t, rc, resp);
done:
	cJSON_Delete(final);
	cJSON_Delete(old);
	cJSON_Delete(rec);
	cJSON_Delete(body);
}

/* Read one instance record in a read transaction; fills resp on failure. */
static int
read_instance(struct ctx *c, cJSON **rec, struct response *resp)
{
	enum store_rc rc;

	rc = records_read_live(c, T_INSTANCES, c->rt->instance_id, rec, resp);
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
	if (op_is(rec, ACT_UPDATE, OPS_IN_PROGRESS)) {
		records_busy(resp, "instance", c->rt->instance_id, rec);
		cJSON_Delete(rec);
		return;
	}
	out = cJSON_CreateObject();
	records_copy(out, rec, "service_id");
	records_copy(out, rec, "plan_id");
	records_copy(out, rec, "dashboard_url");
	records_copy(out, rec, "parameters");
	records_copy(out, rec, "maintenance_info");
	records_copy(out, rec, "metadata");
	response_json(resp, 200, out);
	cJSON_Delete(rec);
}

/* Shallow merge of update parameters: a key replaces the stored one, a key
 * set to null removes it (documented in osbroker(8)). */
static void
merge_parameters(cJSON *rec, const cJSON *params)
{
	cJSON		*cur = cJSON_GetObjectItemCaseSensitive(rec, "parameters");
	const cJSON	*kv;

	if (cur == NULL)
		cur = cJSON_AddObjectToObject(rec, "parameters");
	for (kv = params->child; kv != NULL; kv = kv->next) {
		cJSON_DeleteItemFromObjectCaseSensitive(cur, kv->string);
		if (!cJSON_IsNull(kv))
			cJSON_AddItemToObject(cur, kv->string,
			    cJSON_Duplicate(kv, 1));
	}
}

/* Validate an update against the stored instance and apply it to rec.
 * Returns 0, or -1 with the error in resp (rec may be half-changed then, and
 * is discarded). */
static int
apply_update(struct ctx *c, const cJSON *body, cJSON *rec,
    struct catalog_plan *target_out, struct response *resp)
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
		response_error(resp, OSB_ERR_BAD_REQUEST, "service_id \"%.255s\" "
		    "is not the service of instance \"%s\"", service_id,
		    c->rt->instance_id);
		return -1;
	}
	cur_plan = records_str(rec, "plan_id");
	have_cur = catalog_lookup(c->catalog, service_id, cur_plan, &cur) ==
	    CATALOG_FOUND;
	plan_change = plan_id != NULL && strcmp(plan_id, cur_plan) != 0;
	if (plan_change) {
		lr = catalog_lookup(c->catalog, service_id, plan_id, &target);
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
	if (check_maintenance(body, &target, resp) == -1)
		return -1;
	if (context != NULL && !plan_change && params == NULL && mi == NULL &&
	    !target.allow_context_updates) {
		response_error(resp, OSB_ERR_UNPROCESSABLE, "service \"%s\" does "
		    "not accept context-only updates (allow_context_updates)",
		    target.service_name);
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
		cJSON_DeleteItemFromObjectCaseSensitive(rec, "context");
		records_copy(rec, body, "context");
	}
	fmt_iso8601(time(NULL), now, sizeof(now));
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "updated_at");
	cJSON_AddStringToObject(rec, "updated_at", now);
	*target_out = target;
	return 0;
}

/* May instance rec be updated (for_update) or deleted now?  One operation
 * at a time per instance, its bindings' included.  0, or -1 with the
 * refusal in resp. */
static int
instance_ready(struct ctx *c, struct store_txn *t, const cJSON *rec,
    int for_update, enum store_rc *rc, struct response *resp)
{
	const char *iid = c->rt->instance_id;

	*rc = STORE_OK;
	/* A failed provision can only be deleted (orphan mitigation). */
	if (for_update && op_is(rec, ACT_PROVISION, OPS_FAILED)) {
		response_error(resp, OSB_ERR_UNPROCESSABLE, "instance \"%s\" "
		    "failed to be provisioned; deprovision it", iid);
		return -1;
	}
	if (op_state(rec) == OPS_IN_PROGRESS) {
		records_busy(resp, "instance", iid, rec);
		return -1;
	}
	if (records_bindings_busy(t, iid, rc)) {
		if (*rc == STORE_OK)	/* NULL: "a binding operation" */
			records_busy(resp, "instance", iid, NULL);
		return -1;
	}
	return 0;
}

void
h_instance_patch(struct ctx *c, struct response *resp)
{
	cJSON			*body, *rec = NULL, *next = NULL, *final = NULL;
	const cJSON		*pending;
	struct catalog_plan	 target;
	struct store_txn	*t = NULL;
	struct op_who		 who = records_who(c);
	enum store_rc		 rc;
	const char		*opid = NULL;
	int			 async, dirty = 0, refused;

	if ((body = records_body(c, resp)) == NULL)
		return;
	if ((rc = store_begin(c->store, 1, &t)) != STORE_OK)
		goto fail;
	rc = records_load_live(t, T_INSTANCES, c->rt->instance_id, &rec,
	    &dirty);
	if (rc == STORE_NOTFOUND) {
		response_error(resp, OSB_ERR_NOT_FOUND, "instance \"%s\" does "
		    "not exist", c->rt->instance_id);
		goto refuse;
	}
	if (rc != STORE_OK)
		goto fail;
	next = cJSON_Duplicate(rec, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(next, "last_operation");
	if (apply_update(c, body, next, &target, resp) == -1)
		goto refuse;
	async = target.cfg->async[ACT_UPDATE];
	if (records_check_async(c, &target, ACT_UPDATE, resp) == -1)
		goto refuse;
	/* The same update sent again while it runs: the same operation. */
	pending = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    rec, "last_operation"), "pending");
	if (op_is(rec, ACT_UPDATE, OPS_IN_PROGRESS) && async &&
	    pending != NULL &&
	    records_same_all(pending, next, same_update)) {
		records_accepted(resp, op_id(rec));
		goto refuse;
	}
	refused = instance_ready(c, t, rec, 1, &rc, resp);
	if (rc != STORE_OK)
		goto fail;
	if (refused)
		goto refuse;
	if (target.cfg->hook[ACT_UPDATE] == NULL && !async) {
		op_done(next, ACT_UPDATE, "updated", &who);
		rc = records_save(t, T_INSTANCES, c->rt->instance_id, next);
	} else {
		opid = op_begin(rec, ACT_UPDATE, async, &target, next, &who);
		rc = records_save(t, T_INSTANCES, c->rt->instance_id, rec);
	}
	if (rc != STORE_OK)
		goto fail;
	rc = store_commit(t);
	t = NULL;
	if (rc != STORE_OK)
		goto fail;
	if (opid == NULL)
		response_json(resp, 200, NULL);
	else if (async)
		records_start_async(c, T_INSTANCES, c->rt->instance_id, opid,
		    resp);
	else if (records_run_sync(c, &target, T_INSTANCES, c->rt->instance_id,
	    NULL, NULL, rec, &final, resp) == 0) {
		cJSON *out = cJSON_CreateObject();
		records_copy(out, final, "dashboard_url");
		response_json(resp, 200, out);
	}
	goto done;
refuse:
	rc = records_end(t, dirty);
	t = NULL;
	if (rc == STORE_OK)
		goto done;
fail:
	response_free(resp);
	response_init(resp);
	records_fail(c, t, rc, resp);
done:
	cJSON_Delete(final);
	cJSON_Delete(next);
	cJSON_Delete(rec);
	cJSON_Delete(body);
}

void
h_instance_delete(struct ctx *c, struct response *resp)
{
	cJSON			*rec = NULL;
	struct catalog_plan	 p;
	struct store_txn	*t = NULL;
	struct op_who		 who = records_who(c);
	enum store_rc		 rc;
	char			 prefix[OSB_MAX_ID_LEN + 2];
	const char		*opid = NULL;
	size_t			 nb = 0;
	int			 async = 0, hooked = 0, dirty = 0, refused;

	if (records_require_ids(c, resp) == -1)
		return;
	if ((rc = store_begin(c->store, 1, &t)) != STORE_OK)
		goto fail;
	rc = records_load_live(t, T_INSTANCES, c->rt->instance_id, &rec,
	    &dirty);
	if (rc == STORE_NOTFOUND) {
		response_error(resp, OSB_ERR_GONE, "instance \"%s\" does not "
		    "exist", c->rt->instance_id);
		goto refuse;
	}
	if (rc != STORE_OK)
		goto fail;
	if (records_delete_mode(c, rec, "instance", c->rt->instance_id,
	    ACT_DEPROVISION, &p, &async, &hooked, resp) == -1)
		goto refuse;
	refused = instance_ready(c, t, rec, 0, &rc, resp);
	if (rc != STORE_OK)
		goto fail;
	if (refused)
		goto refuse;
	if (!hooked && !async) {
		snprintf(prefix, sizeof(prefix), "%s/", c->rt->instance_id);
		if ((rc = store_del_prefix(t, T_BINDINGS, prefix, &nb)) !=
		    STORE_OK ||
		    (rc = store_del(t, T_INSTANCES, c->rt->instance_id)) !=
		    STORE_OK)
			goto fail;
	} else {
		opid = op_begin(rec, ACT_DEPROVISION, async, &p, NULL, &who);
		if ((rc = records_save(t, T_INSTANCES, c->rt->instance_id,
		    rec)) != STORE_OK)
			goto fail;
	}
	rc = store_commit(t);
	t = NULL;
	if (rc != STORE_OK)
		goto fail;
	if (nb > 0)
		snprintf(resp->log_note, sizeof(resp->log_note),
		    "removed %zu binding record(s) with the instance", nb);
	if (opid == NULL)
		response_json(resp, 200, NULL);
	else if (async)
		records_start_async(c, T_INSTANCES, c->rt->instance_id, opid,
		    resp);
	else {
		cJSON *final = NULL;
		if (records_run_sync(c, &p, T_INSTANCES, c->rt->instance_id,
		    NULL, NULL, rec, &final, resp) == 0)
			response_json(resp, 200, NULL);
		cJSON_Delete(final);
	}
	goto done;
refuse:
	rc = records_end(t, dirty);
	t = NULL;
	if (rc == STORE_OK)
		goto done;
fail:
	response_free(resp);
	response_init(resp);
	records_fail(c, t, rc, resp);
done:
	cJSON_Delete(rec);
}

/* Retry-After for an operation in progress: the plan's poll_interval. */
static void
retry_after(struct ctx *c, const cJSON *rec, struct response *resp)
{
	struct catalog_plan	p;
	long			s = PLANCFG_DEFAULT_POLL_INTERVAL;

	if (catalog_lookup(c->catalog, records_str(rec, "service_id"),
	    records_str(rec, "plan_id"), &p) == CATALOG_FOUND)
		s = p.cfg->poll_interval;
	response_header(resp, "Retry-After", "%ld", s);
}

void
h_lastop_reply(struct ctx *c, enum store_table tb, const char *key,
    const char *what, struct response *resp)
{
	struct store_txn	*t;
	const char		*want = request_query(c->req, "operation");
	cJSON			*rec = NULL;
	enum store_rc		 rc;
	int			 gone = 0;

	rc = records_read_live(c, tb, key, &rec, resp);
	if (rc == STORE_NOTFOUND) {
		/* spec.md "Polling Last Operation": 410 Gone with {} once an
		 * asynchronous delete has finished. */
		if (store_begin(c->store, 0, &t) == STORE_OK) {
			gone = op_gone_get(t, key);
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
		    strlen(want) <= 255 && utf8_valid(want, strlen(want)) ?
		    want : "(not shown)", what, key, op_id(rec));
	else {
		response_json(resp, 200, records_lastop_reply(rec));
		if (op_state(rec) == OPS_IN_PROGRESS)
			retry_after(c, rec, resp);
	}
	cJSON_Delete(rec);
}

/* The stored outcome of the last operation (spec.md "Polling Last Operation
 * for Service Instances"). */
void
h_instance_lastop(struct ctx *c, struct response *resp)
{
	h_lastop_reply(c, T_INSTANCES, c->rt->instance_id, "instance", resp);
}
