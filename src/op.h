/* SPDX-License-Identifier: ISC */
/*
 * op: operations — what a state change is while it runs, and how it ends.
 *
 * Every change that runs a hook or is asynchronous is an operation recorded
 * in the resource's record (rec.last_operation):
 *
 *   {type, state: "in progress"|"succeeded"|"failed", id, description, at,
 *    started, deadline, runner: {pid, start, boot, host?, lease?}, pending?,
 *    previous?, instance_usable?, update_repeatable?, request_identity?,
 *    originating_identity?}
 *
 * The record is written "in progress" and committed before any work starts,
 * so any worker or CGI process sees it and refuses conflicting requests
 * (422 ConcurrencyError).  The work (work.h) runs either in the request
 * (synchronous) or in a runner (runner.h), detached from the request, which
 * works in CGI mode too.  The outcome is recorded in one transaction, and
 * only if the record still holds the same operation.  This module is the
 * record's side of it: no process is started and no hook run here.
 *
 * Nothing can stay "in progress" forever: op_reap() turns an operation whose
 * deadline passed, or whose runner process is gone (killed, crashed, machine
 * restarted; identified by pid, process start time and boot id), into
 * "failed".  It is called wherever a record is read, so no daemon is needed.
 *
 * Hosts.  A pid means something only on the host that ran it.  Where the
 * store is shared by several hosts (store_shared(): PostgreSQL), a runner
 * also records its host (op_set_host(): OSBROKER_HOST_ID, else the machine
 * id) and a lease, a time until which it promises to be alive:
 *   - an asynchronous runner's lease is OP_LEASE seconds, renewed every
 *     OP_LEASE_RENEW seconds by its heartbeat (runner.h) for as long as
 *     the runner process lives;
 *   - a synchronous operation's runner is the request's own process, whose
 *     lease is the request's end: OSBROKER_REQUEST_TIMEOUT +
 *     OP_DEADLINE_PAD seconds from its start, never renewed.
 * op_reap() checks the pid only on the runner's own host, and the lease on
 * every host: the operations of a host that died (or lost its runners)
 * become "failed" at the first read after their lease ran out, at most
 * OP_LEASE seconds after the last renewal for asynchronous ones.  Clocks
 * of the hosts must agree to within a few seconds (NTP).  A heartbeat that
 * cannot renew tries again every OP_LEASE_RETRY seconds, so a database
 * outage (a failover) of up to OP_LEASE - OP_LEASE_RENEW - OP_LEASE_RETRY
 * seconds (48) fails no operation whose runner lives; a longer one fails
 * them at the first read after it, and their outcome is then discarded.
 * A host without an identity (no OSBROKER_HOST_ID and no /etc/machine-id)
 * judges every runner by its lease, its own too.
 * Where the store is not shared (LMDB: one host's file), records keep the
 * shape {pid, start, boot} and are judged by pid alone.
 *
 * Asynchronous deletes leave a tombstone (table T_GONE) so last_operation
 * can answer 410 Gone afterwards.  A tombstone counts only while its
 * record is absent: a new record of the same id leaves it where it is (a
 * create writes its record and its audit entry, nothing more:
 * store_create()), and every other removal of a record takes the
 * tombstone with it (op_remove()), so that a record made again and then
 * deleted synchronously is 404 afterwards, not the first delete's 410.
 *
 * Layer: above the record codec (records.h), below the work of an
 * operation (work.h) and everything that starts one.  Nothing here knows a
 * request or a response.
 *
 * Ownership: functions borrow their arguments; pointers returned point
 * into the record; op_load_live(), op_read_live() and op_lastop_reply()
 * return trees the caller frees (cJSON_Delete).
 */
#ifndef OSB_OP_H
#define OSB_OP_H

#include <time.h>
#include <cjson/cJSON.h>

#include "catalog.h"
#include "plancfg.h"
#include "store.h"

#define OP_START_GRACE	30	/* seconds a runner may take to check in */
#define OP_DEADLINE_PAD	30	/* deadline = hook_timeout + this, when the
				   plan sets no maximum_polling_duration */
#define OP_GONE_KEEP	(7 * 86400)	/* seconds tombstones are kept */
#define OP_LEASE	60	/* seconds an asynchronous runner's lease
				   lasts from its last renewal (shared
				   stores: a dead host's operations fail
				   within this) */
#define OP_LEASE_RENEW	10	/* seconds between renewals: five in a row
				   may fail before a lease runs out */
#define OP_LEASE_RETRY	2	/* seconds before a failed renewal is tried
				   again */
#define OP_MACHINE_ID	"/etc/machine-id"	/* the host identity's source
				   when OSBROKER_HOST_ID is unset */

enum op_state { OPS_NONE, OPS_IN_PROGRESS, OPS_SUCCEEDED, OPS_FAILED };

/* What a request needs to record who started an operation. */
struct op_who {
	const char	*request_identity;	/* or NULL */
	const cJSON	*originating_identity;	/* or NULL */
};

cJSON      *op_last(const cJSON *rec);	/* rec.last_operation or NULL */
enum op_state op_state(const cJSON *rec);
int         op_is(const cJSON *rec, enum action, enum op_state);
const char *op_id(const cJSON *rec);	/* "" when none */
/* An update's record as it will be (op_begin's pending), or NULL. */
const cJSON *op_pending(const cJSON *rec);
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

/* Where this process runs, for the runners it records and judges (see
 * "Hosts" above); once per process, after the store is open.  host_id:
 * OSBROKER_HOST_ID, or "" for the machine's own identity: the machine id
 * read from machine_id (OP_MACHINE_ID), with the process's pid namespace
 * (containers on one machine share a machine id, not their pids).
 * shared: store_shared().  request_timeout: OSBROKER_REQUEST_TIMEOUT, for
 * the lease of synchronous operations.  Returns the identity in use, ""
 * when there is none (the machine id is read only when shared).  Without a
 * call, the process behaves as on a store of its own host (no host, no
 * lease recorded). */
const char *op_set_host(const char *host_id, const char *machine_id,
         int shared, long request_timeout);

/* 1 when rec's operation was in progress but can no longer finish (past
 * its deadline, runner gone, lease run out): rec is then marked failed,
 * the description saying why (and which host, for a lease).  0
 * otherwise. */
int  op_reap(cJSON *rec, time_t now);

/* Record this process as rec's runner: pid, start time and boot id, and
 * on a shared store this host and a lease (op_set_host()). */
void op_set_runner(cJSON *rec);

/* The heartbeat's step: in a write transaction of its own, extend the
 * lease of operation opid of record key to OP_LEASE seconds from now.
 * *ours is 0 when the record no longer holds that operation in progress
 * with a lease (it ended, was reaped or deleted): the heartbeat then
 * stops.  The store's result. */
enum store_rc op_renew(struct store *, enum store_table tb, const char *key,
         const char *opid, int *ours);

/* End rec's operation with state s and description: its runner and
 * pending values are dropped. */
void op_finish(cJSON *rec, enum op_state s, const char *description);

/* Remove record key of tb (T_INSTANCES or T_BINDINGS) other than by an
 * asynchronous delete (which op_gone_put()s): with the tombstone an
 * earlier one of the same key left.  STORE_NOTFOUND: no such record,
 * nothing changed. */
enum store_rc op_remove(struct store_txn *, enum store_table,
         const char *key);

/* op_remove() of every binding of instance iid; *n (optional) gets how
 * many there were (store_del_prefix()). */
enum store_rc op_remove_bindings(struct store_txn *, const char *iid,
         size_t *n);

/* Tombstones for asynchronous deletes. */
enum store_rc op_gone_put(struct store_txn *, const char *key,
         const char *opid, const char *owner);	/* owner: the deleted
						   record's, or "" */
int  op_gone_get(struct store_txn *, const char *key);	/* 1 when there */

/* ---- records read with their operation's liveness ---- */

/* records_load() in a write transaction, ending an operation that can no
 * longer finish (op_reap); *dirty is set when the record was so changed and
 * saved, so the caller must commit even when it then refuses the request. */
enum store_rc op_load_live(struct store_txn *, enum store_table,
         const char *key, cJSON **out, int *dirty);

/* One record in a read transaction of its own, for the read-only
 * endpoints; when its operation must be reaped, that is done in a write
 * transaction of its own.  STORE_OK with *out, STORE_NOTFOUND, or a
 * failure. */
enum store_rc op_read_live(struct store *, enum store_table,
         const char *key, cJSON **out);

/* End a transaction that decided to change nothing: commit when dirty (a
 * reaped operation was saved), else abort.  STORE_OK, or the commit's
 * failure. */
enum store_rc op_end(struct store_txn *, int dirty);

/* *busy = 1 when a binding of instance iid has an operation in progress.
 * One that can no longer finish is reaped and saved first, and *dirty set
 * (as op_load_live).  The store's result; *busy is then 0. */
enum store_rc op_bindings_busy(struct store_txn *, const char *iid,
         int *busy, int *dirty);

/* {"state", "description"} of rec.last_operation (spec.md "Polling Last
 * Operation"), with instance_usable / update_repeatable where a failed
 * update or deprovision recorded them; a new tree. */
cJSON *op_lastop_reply(const cJSON *rec);


#endif
