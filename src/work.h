/* SPDX-License-Identifier: ISC */
/*
 * work: what an operation does, the same in a request (synchronous) and in
 * a runner (asynchronous): build the hook's input and environment
 * (docs/hooks.md), run it (hook.h) or, for an action without a hook, do
 * nothing, check its answer, and record the outcome in one transaction —
 * the record completed with the hook's output, deleted (with a tombstone
 * after an asynchronous delete), restored (a refused synchronous request) or
 * marked failed.
 *
 * Ownership: *final and hook_result.out are the caller's (cJSON_Delete).
 */
#ifndef OSB_WORK_H
#define OSB_WORK_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "catalog.h"
#include "config.h"
#include "hook.h"
#include "plancfg.h"
#include "store.h"

/* Run the hook of the operation in progress in rec (record key of table tb;
 * inst: the instance record for binding actions) and record its outcome.
 * cfg gives the output limit and, for a synchronous run, the request
 * timeout it must end before (OSBROKER_REQUEST_TIMEOUT).
 * *final gets the record after it (NULL when deleted, or when the
 * operation was no longer ours: *ours 0).  Returns the store's result.
 * While the database cannot be reached (a failover), an asynchronous
 * operation's outcome is recorded again every second until its deadline
 * (work_record_until()); a synchronous one's is not (the request gets
 * 503 at once, and the operation stays in progress until its deadline or
 * lease, op.h). */
enum store_rc work_execute(struct store *, const struct config *,
         const struct catalog *,
         const struct catalog_plan *, enum store_table tb, const char *key,
         const char *iid, const char *bid, const cJSON *inst, const cJSON *rec,
         struct hook_result *hr, cJSON **final, int *ours);

/* Record the outcome hr of operation opid (action a) of record key. */
enum store_rc work_record(struct store *, enum store_table tb,
         const char *key, const char *opid, enum action a,
         const struct hook_result *hr, cJSON **final, int *ours);

/* work_record(), tried again every second while it gets
 * STORE_UNAVAILABLE, until the time until (seconds since the epoch).  A
 * retry after a commit whose outcome was unknown finds the operation no
 * longer in progress and records nothing (*ours 0). */
enum store_rc work_record_until(struct store *, enum store_table tb,
         const char *key, const char *opid, enum action a,
         const struct hook_result *hr, cJSON **final, int *ours,
         double until);

/* The description an operation ends with: the hook's own, or one naming
 * the action and what went wrong.  Into buf. */
void work_describe(enum action, const struct hook_result *, char *buf,
         size_t len);

#endif
