/* SPDX-License-Identifier: ISC */
/*
 * audit: the trail of state changes, for operators (osbrokerctl audit).
 *
 * Every change a platform or an operator makes (provision, update, upgrade,
 * bind, unbind, deprovision, purge) and every outcome of an operation is one
 * entry of the T_AUDIT table, written in the same transaction as the
 * change itself: the trail holds exactly what was committed.  An entry is a
 * JSON object:
 *
 *   at                  the time, ISO 8601 UTC with microseconds
 *   action              provision, update, upgrade, deprovision, bind,
 *                       unbind, purge
 *   outcome             succeeded, failed or "in progress" (an operation
 *                       begun; its outcome is an entry of its own)
 *   instance_id, binding_id (bindings only), service_id, plan_id
 *   operation           the operation's id, when there is one
 *   user                the broker user of the request, or "-" for the
 *                       broker itself (an operation ended by its runner or
 *                       found dead) and the operator's login for a purge
 *   request_identity    X-Broker-API-Request-Identity, when sent
 *   originating_identity  X-Broker-API-Originating-Identity decoded:
 *                       {"platform": ..., "value": {...}}, when sent
 *   parameters          the names of the parameters sent, never a value
 *   description         what the outcome said (a hook's description)
 *
 * Never a credential and never a parameter value.  Keys are the time
 * followed by a random suffix ("2026-12-06T10:00:00.123456Z-1f2e3d4c"), so
 * the table is in time order, and an entry never collides with another:
 * any write transaction may add one, whatever its scope (store.h).
 *
 * Retention: entries older than OSBROKER_AUDIT_DAYS are deleted by
 * audit_prune(), a few at a time in short transactions of their own.
 *
 * Ownership: nothing returned needs freeing; audit_scan()'s entries are
 * borrowed for the callback only.
 */
#ifndef OSB_AUDIT_H
#define OSB_AUDIT_H

#include <stddef.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "store.h"

struct audit_event {
	const char	*action;		/* action_name(), or "purge" */
	const char	*outcome;		/* "succeeded", "failed", ... */
	const char	*instance_id;
	const char	*binding_id;		/* or NULL */
	const char	*service_id;		/* or NULL */
	const char	*plan_id;		/* or NULL */
	const char	*operation;		/* or NULL */
	const char	*user;			/* or NULL: "-" */
	const char	*request_identity;	/* or NULL */
	const cJSON	*originating_identity;	/* decoded, or NULL */
	const cJSON	*parameters;		/* names recorded, or NULL */
	const char	*description;		/* or NULL */
};

/* Add the entry for e in t (a write transaction). */
enum store_rc audit_record(struct store_txn *t, const struct audit_event *e);

/* The entry for e as a key (keylen >= OSB_AUDIT_KEY) and a malloc'ed
 * JSON text (*val, the caller frees): for a write that depends on another
 * (store_create()'s companion).  0, or -1 out of memory or randomness. */
int audit_entry(const struct audit_event *e, char *key, size_t keylen,
    char **val);

/* The entry of an operation's outcome, from the record of tb at key as
 * its operation (opid) ends (rec: before or after; NULL when deleted, then
 * ids and plan from before): user "-", the record's own request and
 * originating identities. */
enum store_rc audit_outcome(struct store_txn *t, const char *key,
    const cJSON *rec, const char *action, const char *opid,
    const char *outcome, const char *description);

/* fn for each entry from time since on (ISO 8601, a prefix of an entry's
 * "at" such as "2026-12-06" or "2026-12-06T10:00"; NULL or "" from the
 * first), in time order, of instance_id only when not NULL, until fn
 * returns non-zero or limit entries were given (0: no limit).  Read a
 * page (OSB_AUDIT_PAGE entries) of the store at a time. */
enum store_rc audit_scan(struct store_txn *t, const char *since,
    const char *instance_id, size_t limit,
    int (*fn)(const char *key, const cJSON *entry, void *arg), void *arg);

/* Delete the entries older than before, at most OSB_AUDIT_PRUNE_BATCH in
 * one short write transaction, and tell (*more) whether older ones are
 * left.  *deleted (optional) gets how many went. */
enum store_rc audit_prune(struct store *st, time_t before, size_t *deleted,
    int *more);

#endif
