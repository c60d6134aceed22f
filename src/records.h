/*
 * records: the JSON documents osbroker keeps per instance and binding, and the
 * helpers every handler shares to read, compare and write them.
 *
 * Instance record (table instances, key instance_id):
 *   service_id, plan_id, organization_guid, space_guid, context, parameters,
 *   maintenance_info, dashboard_url, metadata {labels, attributes},
 *   created_at, updated_at, last_operation.
 * Binding record (table bindings, key "<instance_id>/<binding_id>"):
 *   service_id, plan_id, app_guid, bind_resource, context, parameters,
 *   predecessor_binding_id, credentials, metadata {expires_at, renew_before},
 *   created_at, last_operation.
 * last_operation: {type, state, description, at, request_identity?,
 *   originating_identity?} — the state change and who caused it (audit).
 *
 * Ownership: records_load() returns a tree the caller frees (cJSON_Delete).
 */
#ifndef OSB_RECORDS_H
#define OSB_RECORDS_H

#include <cjson/cJSON.h>

#include "handlers.h"
#include "op.h"
#include "store.h"
#include "work.h"

/* Load and parse a record.  STORE_OK with *out, STORE_NOTFOUND, or an error
 * (a stored document that does not parse is reported as STORE_ERROR). */
enum store_rc records_load(struct store_txn *, enum store_table,
    const char *key, cJSON **out);

/* Load one record in a read transaction of its own.  STORE_OK with *out,
 * STORE_NOTFOUND (the caller says what is missing), or another code after
 * records_fail() filled resp. */
enum store_rc records_read(struct ctx *, enum store_table, const char *key,
    cJSON **out, struct response *resp);

/* Serialise and put. */
enum store_rc records_save(struct store_txn *, enum store_table,
    const char *key, const cJSON *rec);

/* Turn a store failure into the response and a log line.  Always aborts t
 * when non-NULL. */
void records_fail(struct ctx *, struct store_txn *t, enum store_rc,
    struct response *);

/* Copy field name of src (if present) into dst. */
void records_copy(cJSON *dst, const cJSON *src, const char *name);

/* 1 when field name is equal (both absent counts as equal) in a and b. */
int  records_same(const cJSON *a, const cJSON *b, const char *name);

/* 1 when every field of the NULL-terminated names is the same in a and b. */
int  records_same_all(const cJSON *a, const cJSON *b,
    const char *const *names);

/* The binding key "<iid>/<bid>" into buf. */
void records_binding_key(char *buf, size_t len, const char *iid,
    const char *bid);

/* A string field of a record, or "" when absent. */
const char *records_str(const cJSON *rec, const char *name);

/* A number field of a record, or 0 when absent. */
double      records_num(const cJSON *rec, const char *name);

/* Deprovision and unbind: the REQUIRED service_id and plan_id query
 * parameters (spec.md).  0, or -1 with a 400 in resp. */
int  records_require_ids(struct ctx *, struct response *);

/* {"state", "description"} of rec.last_operation (spec.md "Polling Last
 * Operation"), with instance_usable / update_repeatable where a failed
 * update or deprovision recorded them; a new tree. */
cJSON *records_lastop_reply(const cJSON *rec);

/* ---- operations (op.h) as the handlers use them ---- */

/* The request's body as a checked JSON object, within the configured
 * limits (OSBROKER_MAX_JSON_DEPTH, OSBROKER_MAX_JSON_KEYS); NULL with a 400
 * in resp. */
cJSON *records_body(const struct ctx *, struct response *resp);

/* Who sent this request, for the operation record. */
struct op_who records_who(const struct ctx *);

/* 1 when the request says accepts_incomplete=true. */
int  records_accepts_incomplete(const struct ctx *);

/* 0 when action a of plan p may run as the request asks; -1 with 422
 * AsyncRequired when p runs it asynchronously and the request lacks
 * accepts_incomplete=true (spec.md "Asynchronous Operations"). */
int  records_check_async(const struct ctx *, const struct catalog_plan *p,
    enum action a, struct response *);

/* Unbind and deprovision of the record rec (what: "instance" or "binding",
 * named id): the query's service_id must match (400); the plan's settings
 * for action a go to *p, *async, *hooked (none when the plan left the
 * catalog: the broker deletes alone); AsyncRequired as above; the same
 * delete still running gets 202 with its operation.  0 to go on, -1 with
 * resp filled. */
int  records_delete_mode(const struct ctx *, const cJSON *rec,
    const char *what, const char *id, enum action a, struct catalog_plan *p,
    int *async, int *hooked, struct response *);

/* records_load() in a write transaction, ending an operation that can no
 * longer finish (op_reap); *dirty is set when the record was so changed and
 * saved, so the caller must commit even when it then refuses the request. */
enum store_rc records_load_live(struct store_txn *, enum store_table,
    const char *key, cJSON **out, int *dirty);

/* records_read() for the read-only endpoints, with the same repair done in
 * a write transaction of its own when needed. */
enum store_rc records_read_live(struct ctx *, enum store_table,
    const char *key, cJSON **out, struct response *resp);

/* End a transaction that decided to refuse: commit when dirty, else abort.
 * STORE_OK, or the commit's failure. */
enum store_rc records_end(struct store_txn *, int dirty);

/* 1 when a binding of instance iid has an operation in progress. */
int  records_bindings_busy(struct store_txn *, const char *iid,
    enum store_rc *rc);

/* 202 with the operation id (spec.md: "operation" in async responses). */
void records_accepted(struct response *, const char *opid);

/* A PUT that would create a record that exists already (what/id: "instance"
 * or "binding" and its id; same: the request equals the stored one; create:
 * the action that made it).  spec.md: 200 for the same, 409 for a
 * different one, 202 with the operation while the same runs
 * asynchronously; 422 ConcurrencyError while anything else runs; 409 when
 * its creation failed (delete it first).  Returns 1 when the caller answers
 * 200 with the stored record, 0 with resp filled. */
int  records_existing(const struct ctx *, const cJSON *old, int same,
    enum action create, int async, const char *what, const char *id,
    struct response *resp);

/* 422 ConcurrencyError naming what is in progress on rec (NULL: an
 * operation on one of the instance's bindings). */
void records_busy(struct response *, const char *what, const char *id,
    const cJSON *rec);

/* Run a synchronous operation just committed as in progress (rec) and turn
 * its outcome into resp on failure.  0 with *final (the record after it;
 * NULL when deleted) on success; -1 with resp filled. */
int  records_run_sync(struct ctx *, const struct catalog_plan *,
    enum store_table, const char *key, const char *bid, const cJSON *inst,
    const cJSON *rec, cJSON **final, struct response *resp);

/* Start the runner of an asynchronous operation just committed; answer
 * 202.  A runner that cannot start is reaped later (op.h). */
void records_start_async(struct ctx *, enum store_table, const char *key,
    const char *opid, struct response *resp);

#endif
