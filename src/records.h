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
#include "store.h"

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

/* Set rec.last_operation for a completed synchronous change, with the
 * request's identities and the time. */
void records_set_lastop(struct ctx *, cJSON *rec, const char *type,
    const char *description);

/* Copy field name of src (if present) into dst. */
void records_copy(cJSON *dst, const cJSON *src, const char *name);

/* 1 when field name is equal (both absent counts as equal) in a and b. */
int  records_same(const cJSON *a, const cJSON *b, const char *name);

/* The binding key "<iid>/<bid>" into buf. */
void records_binding_key(char *buf, size_t len, const char *iid,
    const char *bid);

/* A string field of a record, or "" when absent. */
const char *records_str(const cJSON *rec, const char *name);

/* Deprovision and unbind: the REQUIRED service_id and plan_id query
 * parameters (spec.md).  0, or -1 with a 400 in resp. */
int  records_require_ids(struct ctx *, struct response *);

/* {"state", "description"} of rec.last_operation (spec.md "Polling Last
 * Operation"); a new tree. */
cJSON *records_lastop_reply(const cJSON *rec);

#endif
