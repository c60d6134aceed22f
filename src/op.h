/*
 * op: operations — what a state change is while it runs, and how it ends.
 *
 * Every change that runs a hook or is asynchronous is an operation recorded
 * in the resource's record (rec.last_operation):
 *
 *   {type, state: "in progress"|"succeeded"|"failed", id, description, at,
 *    started, deadline, runner: {pid, start, boot}, pending?, previous?,
 *    instance_usable?, update_repeatable?, request_identity?,
 *    originating_identity?}
 *
 * The record is written "in progress" and committed before any work starts,
 * so any worker or CGI process sees it and refuses conflicting requests
 * (422 ConcurrencyError).  The work runs either in the request (synchronous)
 * or in a runner: this same program, started as `osbroker --run-operation`,
 * detached from the request, which works in CGI mode too.  The outcome is
 * written by op_complete() in one transaction, and only if the record still
 * holds the same operation.
 *
 * Nothing can stay "in progress" forever: op_reap() turns an operation whose
 * deadline passed, or whose runner process is gone (killed, crashed, machine
 * restarted; identified by pid, process start time and boot id), into
 * "failed".  It is called wherever a record is read, so no daemon is needed.
 *
 * Asynchronous deletes leave a tombstone (table T_GONE) so last_operation
 * can answer 410 Gone afterwards.
 *
 * Ownership: functions borrow their arguments; op_input() returns a
 * malloc'ed string.
 */
#ifndef OSB_OP_H
#define OSB_OP_H

#include <time.h>
#include <cjson/cJSON.h>

#include "catalog.h"
#include "config.h"
#include "hook.h"
#include "plancfg.h"
#include "store.h"

#define OP_START_GRACE	30	/* seconds a runner may take to check in */
#define OP_DEADLINE_PAD	30	/* deadline = hook_timeout + this, when the
				   plan sets no maximum_polling_duration */
#define OP_GONE_KEEP	(7 * 86400)	/* seconds tombstones are kept */

enum op_state { OPS_NONE, OPS_IN_PROGRESS, OPS_SUCCEEDED, OPS_FAILED };

/* What a request needs to record who started an operation. */
struct op_who {
	const char	*request_identity;	/* or NULL */
	const cJSON	*originating_identity;	/* or NULL */
};

enum op_state op_state(const cJSON *rec);
int         op_is(const cJSON *rec, enum action, enum op_state);
const char *op_id(const cJSON *rec);	/* "" when none */
enum action op_action(const cJSON *rec);	/* ACT__COUNT when none */

/* Set rec.last_operation to a finished operation (no hook, synchronous). */
void op_done(cJSON *rec, enum action, const char *description,
         const struct op_who *);

/* Set rec.last_operation to a new operation in progress, with a fresh id
 * (returned, owned by rec).  pending: for update, the record as it will be
 * (copied).  A synchronous operation's runner is this process. */
const char *op_begin(cJSON *rec, enum action, int async,
         const struct catalog_plan *, const cJSON *pending,
         const struct op_who *);

/* 1 when rec's operation was in progress but can no longer finish (past
 * its deadline, runner gone): rec is then marked failed.  0 otherwise. */
int  op_reap(cJSON *rec, time_t now);

/* Record this process as rec's runner. */
void op_set_runner(cJSON *rec);

/* Start the detached runner for the operation opid of record key in table
 * tb.  0, or -1 (logged). */
int  op_spawn(const struct config *, enum store_table tb, const char *key,
         const char *opid);

/* Run the hook of an operation in progress (or nothing, when the plan has
 * none for it) and end the operation with its outcome.  inst: the instance
 * record for binding actions.  *final gets the record after completion
 * (NULL when it was deleted or no longer ours; caller frees).  Returns the
 * store result; *hr is filled and its out owned by the caller. */
enum store_rc op_execute(struct store *, const struct catalog *,
         const struct catalog_plan *, enum store_table tb, const char *key,
         const char *iid, const char *bid, const cJSON *inst, const cJSON *rec,
         struct hook_result *hr, cJSON **final, int *ours);

/* The description an operation ends with: the hook's own, or one naming
 * the action and what went wrong.  Into buf. */
void op_describe(enum action, const struct hook_result *, char *buf,
         size_t len);

/* Tombstones for asynchronous deletes. */
enum store_rc op_gone_put(struct store_txn *, const char *key,
         const char *opid);
int  op_gone_get(struct store_txn *, const char *key);	/* 1 when there */

/* `osbroker --run-operation TABLE KEY OPID`: the runner's main. */
int  op_runner_main(const char *table, const char *key, const char *opid);

#endif
