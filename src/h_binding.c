/* SPDX-License-Identifier: ISC */
/*
 * h_binding: bind (PUT), fetch (GET), unbind (DELETE) of
 * /v2/service_instances/:iid/service_bindings/:bid, and its last_operation.
 *
 * Like h_instance: the request is validated first, and the decision that
 * depends on stored state happens in the write transaction that records it.
 * Binding rotation (spec.md "Binding Rotation"): a PUT with
 * predecessor_binding_id creates a new binding of the same instance with new
 * credentials, inheriting the predecessor's parameters and bind_resource; both
 * stay valid until deleted or expired.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "h_common.h"
#include "jsonin.h"
#include "limits.h"
#include "records.h"
#include "util.h"

/* Fields that make two bind requests "the same binding" (200 vs 409). */
static const char *const same_binding[] = {
	"service_id", "plan_id", "app_guid", "bind_resource", "parameters",
	"predecessor_binding_id", NULL
};

/* The response body of a completed bind (spec.md "Binding")... */
static const char *const binding_reply[] = {
	"credentials", "metadata", "endpoints", "syslog_drain_url",
	"route_service_url", "volume_mounts", NULL
};

/* ... and of a fetch (spec.md "Fetching a Service Binding"). */
static const char *const binding_view[] = {
	"credentials", "metadata", "endpoints", "syslog_drain_url",
	"route_service_url", "volume_mounts", "parameters", NULL
};

/* Checks of the request body that need no stored state.  Fills the request
 * fields of rec, moving them out of body (parameters stay in body too). */
static int
parse_bind(const struct ctx *c, cJSON *body, cJSON *rec,
    const char **pred, struct response *resp)
{
	const cJSON	*ctx, *br, *params;
	const char	*service_id, *plan_id, *app_guid, *br_app = NULL;

	if (jsonin_string(body, "predecessor_binding_id", 0, pred, resp) == -1)
		return -1;
	/* A rotation request needs only predecessor_binding_id. */
	if (jsonin_string(body, "service_id", *pred == NULL, &service_id,
	    resp) == -1 ||
	    jsonin_string(body, "plan_id", *pred == NULL, &plan_id, resp) == -1 ||
	    jsonin_string(body, "app_guid", 0, &app_guid, resp) == -1 ||
	    jsonin_object(body, "bind_resource", 0, &br, resp) == -1 ||
	    jsonin_object(body, "context", 0, &ctx, resp) == -1 ||
	    jsonin_object(body, "parameters", 0, &params, resp) == -1 ||
	    (br != NULL &&
	    jsonin_string(br, "app_guid", 0, &br_app, resp) == -1))
		return -1;
	if (*pred != NULL && (!util_id_valid(*pred) ||
	    strlen(*pred) > c->cfg->max_id_len)) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "predecessor_binding_id "
		    "is not a valid binding id");
		return -1;
	}
	/* Moved, not copied (*pred is then rec's), but for the parameters,
	 * which the audit entry reads in the body (bind_change()). */
	records_move(rec, body, "service_id");
	records_move(rec, body, "plan_id");
	/* app_guid is deprecated in favour of bind_resource.app_guid; keep
	 * whichever was sent, as one field. */
	if (app_guid != NULL || br_app != NULL)
		records_add_str(rec, "app_guid",
		    br_app != NULL ? br_app : app_guid);
	records_move(rec, body, "bind_resource");
	records_move(rec, body, "context");
	records_copy(rec, body, "parameters");
	records_move(rec, body, "predecessor_binding_id");
	return 0;
}

/* Does the request match the instance, and may this plan bind?  Completes
 * rec's service_id/plan_id from the instance for rotations. */
static int
check_against_instance(struct ctx *c, cJSON *rec, const cJSON *inst,
    struct catalog_plan *p, struct response *resp)
{
	const char *sid = records_str(inst, "service_id");
	const char *pid = records_str(inst, "plan_id");

	if (jsonin_member(rec, "service_id") != NULL &&
	    strcmp(records_str(rec, "service_id"), sid) != 0) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "service_id is not the "
		    "service of instance \"%s\"", c->rt->instance_id);
		return -1;
	}
	if (jsonin_member(rec, "plan_id") != NULL &&
	    strcmp(records_str(rec, "plan_id"), pid) != 0) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "plan_id is not the "
		    "plan of instance \"%s\"", c->rt->instance_id);
		return -1;
	}
	if (h_common_lookup(c, sid, pid, p) != CATALOG_FOUND) {
		response_error(resp, OSB_ERR_UNPROCESSABLE, "the plan of instance "
		    "\"%s\" is no longer in the catalog", c->rt->instance_id);
		return -1;
	}
	if (!p->bindable) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "plan \"%s\" of "
		    "service \"%s\" is not bindable", p->plan_name,
		    p->service_name);
		return -1;
	}
	if (jsonin_member(rec, "service_id") == NULL)
		records_add_str(rec, "service_id", sid);
	if (jsonin_member(rec, "plan_id") == NULL)
		records_add_str(rec, "plan_id", pid);
	return 0;
}

/* Rotation: the predecessor must be a live binding of the same instance.
 * 0, or -1 with the refusal in resp or the store's failure in tx->rc. */
static int
check_predecessor(struct ctx *c, struct h_txn *tx, const char *pred,
    const struct catalog_plan *p, cJSON *rec, struct response *resp)
{
	enum store_rc	 rc;
	cJSON		*old = NULL;
	const cJSON	*exp;
	char		 key[2 * OSB_MAX_ID_LEN + 2];

	if (!p->binding_rotatable) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "plan \"%s\" does not "
		    "support binding rotation (binding_rotatable)", p->plan_name);
		return -1;
	}
	if (strcmp(pred, c->rt->binding_id) == 0) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "a binding cannot be "
		    "its own predecessor");
		return -1;
	}
	records_binding_key(key, sizeof(key), c->rt->instance_id, pred);
	rc = records_load(tx->t, T_BINDINGS, key, &old);
	if (rc == STORE_NOTFOUND) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "predecessor_binding_id "
		    "\"%s\" is not a binding of instance \"%s\"", pred,
		    c->rt->instance_id);
		return -1;
	}
	if (rc != STORE_OK) {
		tx->rc = rc;
		return -1;
	}
	exp = jsonin_member(old, "expires_epoch");
	if (cJSON_IsNumber(exp) && exp->valuedouble <= (double)time(NULL)) {
		response_error(resp, OSB_ERR_BAD_REQUEST, "predecessor binding "
		    "\"%s\" has expired", pred);
		cJSON_Delete(old);
		return -1;
	}
	/* The platform need not resend what the predecessor was bound with. */
	if (jsonin_member(rec, "parameters") == NULL)
		records_copy(rec, old, "parameters");
	if (jsonin_member(rec, "bind_resource") == NULL)
		records_copy(rec, old, "bind_resource");
	if (jsonin_member(rec, "app_guid") == NULL)
		records_copy(rec, old, "app_guid");
	cJSON_Delete(old);
	return 0;
}

/* Generate what the binding hands out.  0, or -1 with resp filled: a 400
 * (a parameter the credentials template needs) or a 500 (randomness or
 * memory failed). */
static int
complete_binding(struct ctx *c, cJSON *rec, const cJSON *inst,
    const struct catalog_plan *p, struct response *resp)
{
	cJSON		*cred, *md, *eps;
	time_t		 now = time(NULL);
	char		 at[32], err[256];
	int		 internal;

	cred = backend_credentials(p, c->rt->instance_id, c->rt->binding_id,
	    jsonin_member(rec, "parameters"),
	    jsonin_member(inst, "parameters"), &eps,
	    &internal, err, sizeof(err));
	if (cred == NULL) {
		if (internal)
			response_error(resp, OSB_ERR_INTERNAL, "the broker could "
			    "not make the binding's credentials; nothing was "
			    "changed");
		else
			response_error(resp, OSB_ERR_BAD_REQUEST, "%s", err);
		return -1;
	}
	cJSON_AddItemToObject(rec, "credentials", cred);
	if (eps != NULL)
		cJSON_AddItemToObject(rec, "endpoints", eps);
	if ((md = backend_binding_metadata(p, now)) != NULL) {
		cJSON_AddItemToObject(rec, "metadata", md);
		cJSON_AddNumberToObject(rec, "expires_epoch", (double)(now +
		    p->cfg->binding_ttl));
	}
	util_fmt_iso8601(now, at, sizeof(at));
	records_add_str(rec, "created_at", at);
	return 0;
}

/* May the instance take a binding change now?  0, or -1 with resp. */
static int
instance_bindable(struct ctx *c, const cJSON *inst, struct response *resp)
{
	if (op_is(inst, ACT_PROVISION, OPS_FAILED)) {
		response_error(resp, OSB_ERR_UNPROCESSABLE, "instance \"%s\" "
		    "failed to be provisioned", c->rt->instance_id);
		return -1;
	}
	if (op_state(inst) == OPS_IN_PROGRESS) {
		h_common_busy(resp, "instance", c->rt->instance_id, inst);
		return -1;
	}
	return 0;
}

/* Begin a bind's transaction and read the instance (*inst when
 * STORE_OK).  Of the binding's key alone, so that binds of one instance
 * do not wait for each other, unless the instance's operation is in
 * progress: then of the whole instance, since ending an operation that can
 * no longer finish (reaping) writes the instance's record. */
static enum store_rc
begin_bind(struct ctx *c, struct h_txn *tx, const char *key,
    const cJSON **inst, cJSON **own)
{
	enum store_rc	rc;
	int		pass;

	for (pass = 0; pass < 2; pass++) {
		if ((pass == 0 ? h_common_begin_key(c, tx, key) :
		    h_common_begin(c, tx)) == -1)
			return tx->rc;
		store_prefetch(tx->t, T_BINDINGS, key);	/* read later */
		/* Read only: through the worker's memo, in pass 0. */
		rc = h_common_load_instance(tx, c->rt->instance_id, inst, own);
		if (rc != STORE_OK || !tx->key_only ||
		    op_state(*inst) != OPS_IN_PROGRESS)
			return rc;
		cJSON_Delete(*own);
		*inst = *own = NULL;
		store_abort(tx->t);
		*tx = (struct h_txn)H_TXN_INIT;
	}
	return STORE_ERROR;	/* not reached: pass 1 is not key_only */
}

/* How a bind's change goes on (h_common_commit()). */
static struct h_change
bind_change(const struct ctx *c, const struct catalog_plan *p,
    const char *key, const cJSON *inst, const cJSON *rec, const cJSON *body)
{
	return (struct h_change){ .p = p, .tb = T_BINDINGS, .key = key,
	    .bid = c->rt->binding_id, .inst = inst, .rec = rec,
	    .async = p->cfg->async[ACT_BIND], .status = 201,
	    .reply = binding_reply, .act = ACT_BIND,
	    .params = jsonin_member(body, "parameters") };
}

/*
 * A new binding in one round trip.  A bind is decided on its instance's
 * record, which a worker on PostgreSQL remembers from its last read
 * (store_recall(): by a bind, a fetch, any request of that instance).  When
 * the remembered record lets this bind create its binding, the binding is
 * made and written with the locks in one round trip that commits it
 * (h_common_begin_create()), on condition that the instance's record is
 * still stored exactly as remembered and the binding's key is free
 * (store_create_if(), under the instance's lock held shared: nothing
 * changes the record until the commit).  The answer is then the
 * one the usual way gives: the same record, request, catalog and clock, and
 * a binding that does not exist, which is everything a new binding's
 * decision reads.  Anything else (the record changed or gone, on any host;
 * the binding or a predecessor to read; a refusal, which is decided again on
 * the stored record, not on a remembered one) goes the usual way, which
 * reads both records and remembers the instance's anew.
 *
 * rec, the request's fields (parse_bind()), becomes the binding's record.
 * 0 when the request was answered (resp, or a store failure in tx->rc), 1
 * when it is to go the usual way, nothing changed: rec is then as it came
 * (every change here appends members, and they are taken off again).
 */
static int
bind_remembered(struct ctx *c, struct h_txn *tx, const char *key,
    const cJSON *body, cJSON *rec, struct response *resp)
{
	struct store_rec	 cond = { .tb = T_INSTANCES,
				    .key = c->rt->instance_id };
	struct response		 no;
	struct catalog_plan	 p;
	struct h_change		 ch;
	const cJSON		*inst;
	cJSON			*own = NULL, *last = NULL, *m, *next;
	char			*val;
	size_t			 len;
	int			 rc = 1;

	if (store_recall(c->store, T_INSTANCES, c->rt->instance_id, &val,
	    &len) != STORE_OK)
		return 1;
	response_init(&no);	/* refusals: decided again, not answered */
	for (m = rec->child; m != NULL; m = m->next)
		last = m;	/* the request's last member */
	/* The worker's memo parses the record once for its many binds;
	 * the tree is only read here. */
	inst = c->memo != NULL ? records_memo_parse(c->memo, val, len) :
	    (own = cJSON_ParseWithLength(val, len));
	if (inst == NULL ||
	    !h_common_visible(c, inst) ||
	    check_against_instance(c, rec, inst, &p, &no) == -1 ||
	    h_common_check_params(&p, CS_BIND,
	    jsonin_member(rec, "parameters"), 1, &no) == -1 ||
	    (p.cfg->requires_app &&
	    jsonin_member(rec, "app_guid") == NULL) ||
	    h_common_check_async(c, &p, ACT_BIND, &no) == -1 ||
	    instance_bindable(c, inst, &no) == -1 ||
	    complete_binding(c, rec, inst, &p, &no) == -1)
		goto out;
	ch = bind_change(c, &p, key, inst, rec, body);
	cond.val = val;
	cond.len = len;
	if (h_common_begin_create(c, tx, key) == -1)
		rc = 0;		/* tx->rc: the usual way would fail alike */
	else
		rc = h_common_create_if(c, tx, &ch, rec, ACT_BIND, "bound",
		    &cond, resp);
out:
	if (rc == 1)	/* rec as it came: what was added goes */
		for (m = last != NULL ? last->next : rec->child; m != NULL;
		    m = next) {
			next = m->next;
			cJSON_Delete(cJSON_DetachItemViaPointer(rec, m));
		}
	response_free(&no);
	cJSON_Delete(own);
	free(val);
	return rc;
}

void
h_binding_put(struct ctx *c, struct response *resp)
{
	cJSON			*body, *rec, *own = NULL, *old = NULL;
	const cJSON		*inst = NULL;	/* own, or the memo's */
	const char		*pred;
	struct catalog_plan	 p;
	struct h_txn		 tx = H_TXN_INIT;
	struct h_change		 ch;
	enum store_rc		 rc;
	char			 key[2 * OSB_MAX_ID_LEN + 2];

	if ((body = h_common_body(c, resp)) == NULL)
		return;
	rec = cJSON_CreateObject();
	if (parse_bind(c, body, rec, &pred, resp) == -1)
		goto done;
	records_binding_key(key, sizeof(key), c->rt->instance_id,
	    c->rt->binding_id);
	/* A rotation reads its predecessor: the usual way. */
	if (pred == NULL && bind_remembered(c, &tx, key, body, rec, resp) == 0)
		goto done;
	rc = begin_bind(c, &tx, key, &inst, &own);
	if (rc == STORE_NOTFOUND)
		response_error(resp, OSB_ERR_NOT_FOUND, "instance \"%s\" does "
		    "not exist", c->rt->instance_id);
	if (rc != STORE_OK)
		goto done;
	/* A rotation without parameters inherits its predecessor's, which
	 * were checked when it was made. */
	if (check_against_instance(c, rec, inst, &p, resp) == -1 ||
	    h_common_check_params(&p, CS_BIND,
	    jsonin_member(rec, "parameters"), pred == NULL,
	    resp) == -1)
		goto done;
	ch = bind_change(c, &p, key, inst, rec, body);
	if (p.cfg->requires_app &&
	    jsonin_member(rec, "app_guid") == NULL) {
		response_error(resp, OSB_ERR_REQUIRES_APP, "plan \"%s\" binds "
		    "applications only: send bind_resource.app_guid",
		    p.plan_name);
		goto done;
	}
	if (pred != NULL &&
	    check_predecessor(c, &tx, pred, &p, rec, resp) == -1)
		goto done;
	rc = h_common_load(&tx, T_BINDINGS, key, &old);
	if (rc == STORE_OK) {
		if (h_common_existing(c, old, records_same_all(old, rec,
		    same_binding), ACT_BIND, ch.async, "binding",
		    c->rt->binding_id, resp) == 0)
			h_common_reply(resp, 200, old, binding_reply);
		goto done;
	}
	/* AsyncRequired only for a new binding: an existing one answers as
	 * it is (200, 409), as a provision does. */
	if (rc != STORE_NOTFOUND ||
	    h_common_check_async(c, &p, ACT_BIND, resp) == -1 ||
	    instance_bindable(c, inst, resp) == -1 ||
	    complete_binding(c, rec, inst, &p, resp) == -1)
		goto done;
	h_common_create(c, &tx, &ch, rec, ACT_BIND, "bound", resp);
done:
	h_common_end(c, &tx, resp);
	cJSON_Delete(old);
	cJSON_Delete(own);
	cJSON_Delete(rec);
	cJSON_Delete(body);
}

/* Read one binding; 404 when it (or its instance) does not exist. */
static int
read_binding(struct ctx *c, cJSON **rec, struct response *resp)
{
	enum store_rc	 rc;
	char		 key[2 * OSB_MAX_ID_LEN + 2];

	records_binding_key(key, sizeof(key), c->rt->instance_id,
	    c->rt->binding_id);
	rc = h_common_read(c, T_BINDINGS, key, rec, resp);
	if (rc == STORE_NOTFOUND)
		response_error(resp, OSB_ERR_NOT_FOUND, "binding \"%s\" of "
		    "instance \"%s\" does not exist", c->rt->binding_id,
		    c->rt->instance_id);
	return rc == STORE_OK ? 0 : -1;
}

void
h_binding_get(struct ctx *c, struct response *resp)
{
	cJSON *rec;

	if (read_binding(c, &rec, resp) == -1)
		return;
	/* spec.md "Fetching a Service Binding": 404 while being created. */
	if (op_action(rec) == ACT_BIND && op_state(rec) != OPS_SUCCEEDED)
		response_error(resp, OSB_ERR_NOT_FOUND, "binding \"%s\" %s",
		    c->rt->binding_id, op_state(rec) == OPS_FAILED ?
		    "failed to be made" : "is still being made");
	else
		h_common_reply(resp, 200, rec, binding_view);
	cJSON_Delete(rec);
}

void
h_binding_delete(struct ctx *c, struct response *resp)
{
	cJSON			*rec = NULL, *inst = NULL;
	struct catalog_plan	 p;
	struct h_txn		 tx = H_TXN_INIT;
	char			 key[2 * OSB_MAX_ID_LEN + 2];
	struct h_change		 ch = { .p = &p, .tb = T_BINDINGS, .key = key,
				    .bid = c->rt->binding_id, .status = 200,
				    .act = ACT_UNBIND };
	struct op_who		 who = h_common_who(c);
	enum store_rc		 rc;
	int			 hooked;

	if (h_common_require_ids(c, resp) == -1)
		return;
	records_binding_key(key, sizeof(key), c->rt->instance_id,
	    c->rt->binding_id);
	if (h_common_begin(c, &tx) == -1)
		goto done;
	store_prefetch(tx.t, T_INSTANCES, c->rt->instance_id); /* below */
	rc = h_common_load(&tx, T_BINDINGS, key, &rec);
	if (rc == STORE_NOTFOUND)
		response_error(resp, OSB_ERR_GONE, "binding \"%s\" of instance "
		    "\"%s\" does not exist", c->rt->binding_id,
		    c->rt->instance_id);
	if (rc != STORE_OK)
		goto done;
	rc = h_common_load(&tx, T_INSTANCES, c->rt->instance_id, &inst);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		goto done;
	if (h_common_delete_mode(c, rec, inst != NULL ?
	    records_str(inst, "plan_id") : NULL, "binding", c->rt->binding_id,
	    ACT_UNBIND, &p, &ch.async, &hooked, resp) == -1)
		goto done;
	if (op_state(rec) == OPS_IN_PROGRESS) {
		h_common_busy(resp, "binding", c->rt->binding_id, rec);
		goto done;
	}
	if (inst != NULL && op_state(inst) == OPS_IN_PROGRESS) {
		h_common_busy(resp, "instance", c->rt->instance_id, inst);
		goto done;
	}
	ch.inst = inst;
	if (!hooked && !ch.async) {
		if ((tx.rc = op_remove(tx.t, T_BINDINGS, key)) != STORE_OK)
			goto done;
	} else {
		ch.opid = op_begin(rec, ACT_UNBIND, ch.async, &p, NULL, &who);
		ch.rec = rec;
		if ((tx.rc = records_save(tx.t, T_BINDINGS, key, rec)) !=
		    STORE_OK)
			goto done;
	}
	h_common_commit(c, &tx, &ch, resp);
done:
	h_common_end(c, &tx, resp);
	cJSON_Delete(inst);
	cJSON_Delete(rec);
}

void
h_binding_lastop(struct ctx *c, struct response *resp)
{
	char key[2 * OSB_MAX_ID_LEN + 2];

	records_binding_key(key, sizeof(key), c->rt->instance_id,
	    c->rt->binding_id);
	h_common_lastop(c, T_BINDINGS, key, "binding", resp);
}
