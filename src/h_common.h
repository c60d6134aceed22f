/* SPDX-License-Identifier: ISC */
/*
 * h_common: what the OSBAPI handlers (h_instance.c, h_binding.c) share and
 * nothing else uses: reading the request the way every handler does, the
 * spec's answers to a record that exists or is busy, and the one way a
 * mutating request ends.
 *
 * A mutating handler validates what needs no stored state first, then opens
 * a write transaction (struct h_txn), takes every decision that depends on
 * stored state inside it, and ends in one of two ways:
 *
 *   h_common_commit()  the change is saved: commit, then either answer at
 *                      once (no operation), run the operation in the
 *                      request (synchronous) or start its runner
 *                      (asynchronous, 202);
 *   h_common_end()     always, at the handler's one `done:` label: a
 *                      transaction still open is the refusal of a request
 *                      (commit only what reaping changed, else abort), and
 *                      a store failure met anywhere replaces the answer with
 *                      a 500 or 503.
 *
 * So a handler's every early exit is `goto done` with either resp filled (a
 * refusal) or tx.rc set (a store failure).
 *
 * Ownership: everything is borrowed for one request; trees returned through
 * out parameters are the caller's (cJSON_Delete).
 */
#ifndef OSB_H_COMMON_H
#define OSB_H_COMMON_H

#include <cjson/cJSON.h>

#include "catalog.h"
#include "handlers.h"
#include "op.h"
#include "response.h"
#include "store.h"

/* A mutating request's write transaction and how it is going. */
struct h_txn {
	struct store_txn	*t;	/* open, or NULL */
	int			 dirty;	/* a reaped operation was saved: commit
					   even when refusing (op_load_live) */
	enum store_rc		 rc;	/* the store failure met, or STORE_OK */
	int			 key_only; /* h_common_begin_key() */
	const struct ctx	*c;	/* whose request (h_common_visible()) */
	int			 hidden;	/* h_common_load() hid a record
					   of another user */
};

#define H_TXN_INIT	{ NULL, 0, STORE_OK, 0, NULL, 0 }

/* How a change just saved in the transaction goes on (h_common_commit). */
struct h_change {
	const struct catalog_plan *p;	/* whose settings run it */
	enum store_table	 tb;
	const char		*key;	/* of the record in tb */
	const char		*bid;	/* binding id, NULL for an instance */
	const cJSON		*inst;	/* binding actions: the instance */
	const cJSON		*rec;	/* the record as saved */
	const char		*opid;	/* the operation begun (op_begin), or
					   NULL when the change is complete */
	int			 async;
	int			 status;	/* 200 or 201 once complete */
	/* The body of a complete change: these members of the record as it
	 * ends (rec, or the record after the synchronous operation), by
	 * h_common_reply(); NULL answers {}. */
	const char *const	*reply;
	enum action		 act;		/* for the audit entry */
	const cJSON		*params;	/* the request's, for its names */
	int			 audited;	/* the entry is written already */
};

/* Check the request's parameters against the plan's schema which
 * (catalog_schema()), unless the plan sets validate_parameters: false.
 * params NULL: nothing to check, or {} when absent_is_empty (a provision
 * or bind without parameters still meets the schema's "required").  0, or
 * -1 with resp: 400 naming every violation (up to JSCHEMA_REPORT_MAX, by
 * JSON pointer from "parameters"), or 500. */
int  h_common_check_params(const struct catalog_plan *,
    enum catalog_schema which, const cJSON *params, int absent_is_empty,
    struct response *);

/* 1 when the request's user may see record rec (an instance, a binding,
 * a tombstone): a user restricted to some plans (c->plans) sees only what
 * it created, the records whose "owner" it is; any other user sees them
 * all, those made before records had owners too (docs/architecture.md,
 * "Several platforms").  What a user may not see is not found, on every
 * endpoint, as an unknown id is. */
int  h_common_visible(const struct ctx *, const cJSON *rec);

/* catalog_lookup() within the request user's plans (planset_lookup()):
 * a provision, an update or a bind of a plan outside them is refused as
 * that of a plan that is not in the catalog. */
enum catalog_lookup_result h_common_lookup(const struct ctx *,
    const char *service_id, const char *plan_id, struct catalog_plan *out);

/* Open the write transaction.  0, or -1 with tx->rc set. */
int  h_common_begin(struct ctx *, struct h_txn *);

/* Open a write transaction of the one key "<instance>/<binding>" key
 * (STORE_WRITE_KEY: binds of one instance need not wait for each other).
 * It must not write the instance's record: h_common_load() reads that
 * without reaping, and a caller that finds the instance's operation in
 * progress ends tx and begins again with h_common_begin(), where
 * reaping may write.  0, or -1 with tx->rc set. */
int  h_common_begin_key(struct ctx *, struct h_txn *, const char *key);

/* The transaction of h_common_create_new() or h_common_create_if(), which
 * is all it does (STORE_ONE_TRIP): that of the instance (key NULL), or of
 * the binding key key as h_common_begin_key()'s.  0, or -1 with tx->rc
 * set. */
int  h_common_begin_create(struct ctx *, struct h_txn *, const char *key);

/* op_load_live() in tx: STORE_OK with *out or STORE_NOTFOUND (also for a
 * record the request's user may not see: tx->hidden); a failure is
 * also kept in tx->rc.  The instance in a transaction of
 * h_common_begin_key() is only read (records_load()). */
enum store_rc h_common_load(struct h_txn *, enum store_table,
    const char *key, cJSON **out);

/* h_common_load() of the instance iid in a transaction of
 * h_common_begin_key(), read through the worker's memo (c->memo,
 * records_memo_parse()): *out is the memo's tree, read-only, valid
 * until the memo's next use.  Without a memo (c->memo NULL) or in
 * another transaction, h_common_load() itself: *out is also put in
 * *own, which the caller frees. */
enum store_rc h_common_load_instance(struct h_txn *, const char *iid,
    const cJSON **out, cJSON **own);

/* Commit tx and answer as ch says.  Failures end up in tx->rc (the store)
 * or resp (the operation), for h_common_end(). */
void h_common_commit(struct ctx *, struct h_txn *, const struct h_change *,
    struct response *);

/* A PUT that creates record rec at ch->key in ch->tb (ch->rec is set to
 * it; a tombstone of that key is left alone, op.h): record action a as
 * complete (no hook and synchronous: description done) or begun
 * (ch->opid), and who owns it (an instance: the request's user; a
 * binding: its instance's owner), save, and h_common_commit().
 * When the key holds a record the user may not see (tx->hidden), 409 as
 * for an existing record with other attributes: the one answer that
 * shows an id is taken, since two records cannot share it. */
void h_common_create(struct ctx *, struct h_txn *, struct h_change *,
    cJSON *rec, enum action a, const char *done, struct response *);

/* h_common_create() without a read first: for a provision, whose ids are
 * new as a rule.  The store creates the record unless its key is there
 * (store_create()); 0 when the request went on as h_common_create()'s
 * does, 1 when the key was there: tx is then ended with nothing changed,
 * rec and ch as they were before the call, and the handler reads the
 * record in a new transaction and decides as usual. */
int  h_common_create_new(struct ctx *, struct h_txn *, struct h_change *,
    cJSON *rec, enum action, const char *done, struct response *);

/* h_common_create_new() made only if record cond is stored exactly as
 * given (store_create_if()): for a change decided on a record remembered
 * from an earlier request (store_recall()), which may have changed since.
 * 1, as h_common_create_new()'s, also when it had. */
int  h_common_create_if(struct ctx *, struct h_txn *, struct h_change *,
    cJSON *rec, enum action, const char *done, const struct store_rec *cond,
    struct response *);

/* The end of every mutating handler; see above. */
void h_common_end(struct ctx *, struct h_txn *, struct response *);

/* A record for a read-only endpoint (op_read_live).  STORE_OK with *out,
 * STORE_NOTFOUND (the caller says what is missing; also for a record the
 * user may not see), or a failure with the 500/503 in resp. */
enum store_rc h_common_read(struct ctx *, enum store_table, const char *key,
    cJSON **out, struct response *);

/* The request's body as a checked JSON object, within the configured
 * limits (OSBROKER_MAX_JSON_DEPTH, OSBROKER_MAX_JSON_KEYS); NULL with a 400
 * in resp. */
cJSON *h_common_body(const struct ctx *, struct response *);

/* Who sent this request, for the operation record. */
struct op_who h_common_who(const struct ctx *);

/* 1 when the request says accepts_incomplete=true. */
int  h_common_accepts_incomplete(const struct ctx *);

/* 0 when action a of plan p may run as the request asks; -1 with 422
 * AsyncRequired when p runs it asynchronously and the request lacks
 * accepts_incomplete=true (spec.md "Asynchronous Operations"). */
int  h_common_check_async(const struct ctx *, const struct catalog_plan *p,
    enum action a, struct response *);

/* Deprovision and unbind: the REQUIRED service_id and plan_id query
 * parameters (spec.md).  0, or -1 with a 400 in resp. */
int  h_common_require_ids(const struct ctx *, struct response *);

/* Unbind and deprovision of the record rec (what: "instance" or "binding",
 * named id): the query's service_id must be rec's and its plan_id rec's or
 * also_plan (NULL: none), the plan the platform may know it by (the
 * instance's plan for a binding made before a plan change; the plan of an
 * update in progress), else 400; the plan's settings for action a go to
 * *p, *async, *hooked (none when the plan left the catalog: the broker
 * deletes alone); AsyncRequired as above; the same delete still running is
 * answered 202 with its operation.  0 to go on, -1 with resp filled. */
int  h_common_delete_mode(const struct ctx *, const cJSON *rec,
    const char *also_plan, const char *what, const char *id, enum action a,
    struct catalog_plan *p, int *async, int *hooked, struct response *);

/* A PUT that meets a record that exists (what/id: "instance" or "binding"
 * and its id; same: the request equals the stored one; create: the action
 * that made it).  spec.md: 200 for the same, 409 for a different one, 202
 * with the operation while the same runs asynchronously; 422
 * ConcurrencyError while anything else runs; 409 when its creation failed
 * (delete it first).  0 when the caller answers 200 with the stored record,
 * -1 with resp filled. */
int  h_common_existing(const struct ctx *, const cJSON *old, int same,
    enum action create, int async, const char *what, const char *id,
    struct response *);

/* Answer status with the members of record rec named in names
 * (NULL-terminated) as the body, printed from rec (records_print_fields());
 * names NULL: {}.  Out of memory, a 500. */
void h_common_reply(struct response *, int status, const cJSON *rec,
    const char *const *names);

/* 202 with the operation id (spec.md: "operation" in async responses). */
void h_common_accepted(struct response *, const char *opid);

/* 422 ConcurrencyError naming what is in progress on rec (NULL: an
 * operation on one of the instance's bindings). */
void h_common_busy(struct response *, const char *what, const char *id,
    const cJSON *rec);

/* last_operation of the record key in table tb (what: "instance" or
 * "binding", for messages); both endpoints' answer. */
void h_common_lastop(struct ctx *, enum store_table tb, const char *key,
    const char *what, struct response *);

#endif
