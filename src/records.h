/* SPDX-License-Identifier: ISC */
/*
 * records: the JSON documents osbroker keeps per instance and binding, and
 * their codec: load and save through the store, read fields, copy and
 * compare them.  Nothing here knows requests, operations or responses.
 *
 * Instance record (table instances, key instance_id):
 *   service_id, plan_id, organization_guid, space_guid, context, parameters,
 *   maintenance_info, dashboard_url, metadata {labels, attributes},
 *   created_at, updated_at, last_operation,
 *   owner (the broker user that provisioned it; absent in records made
 *   before owners were kept).
 * Binding record (table bindings, key "<instance_id>/<binding_id>"):
 *   service_id, plan_id, app_guid, bind_resource, context, parameters,
 *   predecessor_binding_id, credentials, metadata {expires_at, renew_before},
 *   created_at, last_operation, owner (its instance's).
 * last_operation is the operation's (op.h).
 *
 * Ownership: records_load() returns a tree the caller frees (cJSON_Delete);
 * records_memo_parse() lends one that its memo owns; the other functions
 * borrow their arguments, and records_str() points into the record.
 */
#ifndef OSB_RECORDS_H
#define OSB_RECORDS_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "store.h"

/* Load and parse a record.  STORE_OK with *out, STORE_NOTFOUND, or an error
 * (a stored document that does not parse is reported as STORE_ERROR). */
enum store_rc records_load(struct store_txn *, enum store_table,
    const char *key, cJSON **out);

/* records_load() in a read transaction of its own (store_fetch()). */
enum store_rc records_fetch(struct store *, enum store_table,
    const char *key, cJSON **out);

/* Serialise and store_create() (with: a record written too, only if rec
 * is created, or NULL), on condition cond (store_create_if(); NULL:
 * none). */
enum store_rc records_create_if(struct store_txn *, enum store_table,
    const char *key, const cJSON *rec, const struct store_rec *with,
    const struct store_rec *cond);

/* Serialise and put. */
enum store_rc records_save(struct store_txn *, enum store_table,
    const char *key, const cJSON *rec);

/* The tree of the last record text parsed through it: a worker binds one
 * instance many times, and its record, the same text each time, is
 * parsed once (cJSON's parse of a record and the freeing of its tree
 * cost more than a bind's other work on it).  The tree depends on the
 * text alone, so it is given again for the same bytes, read-only. */
struct records_memo {
	char	*text;		/* the text parsed last, or NULL */
	size_t	 len;
	cJSON	*tree;		/* its tree */
};

/* The tree of the record text val (len bytes), parsed unless it is the
 * text of the last call; NULL when it does not parse (or out of memory).
 * The tree is the memo's: the caller reads it and does not keep it past
 * the memo's next call or records_memo_free().  A memo starts zeroed. */
const cJSON *records_memo_parse(struct records_memo *, const char *val,
    size_t len);
void records_memo_free(struct records_memo *);

/* cJSON_AddStringToObject() without a copy of the name: name is a
 * string literal (it must outlive o; cJSON_Delete() leaves it alone).
 * The member added, or NULL (out of memory). */
cJSON *records_add_str(cJSON *o, const char *name, const char *v);

/* Copy field name of src (if present and not null) into dst. */
void records_copy(cJSON *dst, const cJSON *src, const char *name);
/* The text jsonout_print() writes for the object that records_copy() of
 * each of names (NULL-terminated) into an empty one makes: the members of
 * rec of those names that are present and not null, in the order of
 * names (rec NULL: "{}"), printed from rec without a copy.  Malloc'ed,
 * its length in *len; NULL out of memory. */
char *records_print_fields(const cJSON *rec, const char *const *names,
    size_t *len);
/* The same, but the field is moved: detached from src (which the caller
 * still frees) and owned by dst, without copying; name is a string literal,
 * kept uncopied as records_add_str()'s. */
void records_move(cJSON *dst, cJSON *src, const char *name);

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

#endif
