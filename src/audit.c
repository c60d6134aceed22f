/* SPDX-License-Identifier: ISC */
/*
 * audit: entries of the audit trail (audit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "jsonin.h"
#include "jsonout.h"
#include "limits.h"
#include "records.h"
#include "util.h"

/* Scope of the pruning transactions: not an instance's, so that pruning
 * waits for no request (store.h; an instance of this id would only share
 * its lock). */
#define AUDIT_SCOPE	"osbroker-audit-prune"

/* The member name of an entry, after a comma unless it is the first;
 * name is a plain key (nothing in it to escape). */
static void
add_key(struct jsonout *w, int *n, const char *name)
{
	if ((*n)++ > 0)
		jsonout_raw(w, ",", 1);
	jsonout_raw(w, "\"", 1);
	jsonout_raw(w, name, strlen(name));
	jsonout_raw(w, "\":", 2);
}

/* A string member, left out when v is NULL or "". */
static void
add_str(struct jsonout *w, int *n, const char *name, const char *v)
{
	if (v != NULL && *v != '\0') {
		add_key(w, n, name);
		jsonout_string(w, v);
	}
}

/* The key of an entry made now, its "at" in at (a prefix of the key). */
static int
new_key(char *key, size_t keylen, char *at, size_t atlen)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 day[24], hex[9];
	size_t		 n;
	int		 us, i;

	clock_gettime(CLOCK_REALTIME, &ts);
	util_gmtime(ts.tv_sec, &tm);
	if ((n = util_fmt_datetime(&tm, day, sizeof(day))) == 0 ||
	    util_random_hex(hex, 4) == -1)
		return -1;
	us = (int)(ts.tv_nsec / 1000 % 1000000);
	if (n != 19 || atlen < 28 || keylen < 37) {
		snprintf(at, atlen, "%.19s.%06dZ", day, us);
		snprintf(key, keylen, "%s-%s", at, hex);
		return 0;
	}
	/* What the snprintf()s above write, by hand: this is every
	 * request's. */
	memcpy(at, day, 19);
	at[19] = '.';
	for (i = 25; i > 19; i--, us /= 10)
		at[i] = (char)('0' + us % 10);
	at[26] = 'Z';
	at[27] = '\0';
	memcpy(key, at, 27);
	key[27] = '-';
	memcpy(key + 28, hex, 9);
	return 0;
}

int
audit_entry(const struct audit_event *e, char *key, size_t keylen,
    char **val)
{
	struct jsonout	 w;
	const cJSON	*p;
	char		 at[40];
	int		 n = 0, first = 1;

	*val = NULL;
	if (new_key(key, keylen, at, sizeof(at)) == -1)
		return -1;
	/* Written as it goes, member by member, in this order (no cJSON
	 * tree is built for it). */
	jsonout_begin(&w);
	jsonout_raw(&w, "{", 1);
	add_str(&w, &n, "at", at);
	add_str(&w, &n, "action", e->action);
	add_str(&w, &n, "outcome", e->outcome);
	add_str(&w, &n, "instance_id", e->instance_id);
	add_str(&w, &n, "binding_id", e->binding_id);
	add_str(&w, &n, "service_id", e->service_id);
	add_str(&w, &n, "plan_id", e->plan_id);
	add_str(&w, &n, "operation", e->operation);
	add_str(&w, &n, "user", e->user != NULL ? e->user : "-");
	add_str(&w, &n, "request_identity", e->request_identity);
	if (e->originating_identity != NULL) {
		add_key(&w, &n, "originating_identity");
		jsonout_value(&w, e->originating_identity);
	}
	if (cJSON_IsObject(e->parameters)) {
		/* The names only: a value may be a secret. */
		add_key(&w, &n, "parameters");
		jsonout_raw(&w, "[", 1);
		cJSON_ArrayForEach(p, e->parameters) {
			if (p->string == NULL)
				continue;
			if (!first)
				jsonout_raw(&w, ",", 1);
			first = 0;
			jsonout_string(&w, p->string);
		}
		jsonout_raw(&w, "]", 1);
	}
	add_str(&w, &n, "description", e->description);
	jsonout_raw(&w, "}", 1);
	*val = jsonout_end(&w, NULL);
	return *val != NULL ? 0 : -1;
}

enum store_rc
audit_record(struct store_txn *t, const struct audit_event *e)
{
	char		 key[OSB_AUDIT_KEY], *val;
	enum store_rc	 rc;

	if (audit_entry(e, key, sizeof(key), &val) == -1)
		return STORE_ERROR;
	rc = store_put(t, T_AUDIT, key, val, strlen(val));
	free(val);
	return rc;
}

enum store_rc
audit_outcome(struct store_txn *t, const char *key, const cJSON *rec,
    const char *action, const char *opid, const char *outcome,
    const char *description)
{
	const cJSON	*op = jsonin_member(rec,
			    "last_operation");
	const char	*slash = strchr(key, '/');
	char		 iid[OSB_MAX_STORE_KEY + 1];

	snprintf(iid, sizeof(iid), "%.*s", slash != NULL ?
	    (int)(slash - key) : (int)strlen(key), key);
	return audit_record(t, &(struct audit_event){
	    .action = action, .outcome = outcome, .instance_id = iid,
	    .binding_id = slash != NULL ? slash + 1 : NULL,
	    .service_id = records_str(rec, "service_id"),
	    .plan_id = records_str(rec, "plan_id"), .operation = opid,
	    .request_identity = records_str(op, "request_identity"),
	    .originating_identity = jsonin_member(op,
	    "originating_identity"), .description = description });
}

/* ---- reading ----------------------------------------------------------- */

struct page {
	const char	*instance_id;
	int		(*fn)(const char *, const cJSON *, void *);
	void		*arg;
	size_t		 limit, given;
	size_t		 read;		/* entries of this page */
	char		 last[OSB_MAX_STORE_KEY + 1];	/* the last key read */
	int		 stop;
};

static int
each_entry(const char *key, const char *val, size_t len, void *arg)
{
	struct page	*pg = arg;
	cJSON		*e;
	const cJSON	*iid;

	/* Pages overlap by their first key, the last of the page before. */
	if (pg->last[0] != '\0' && strcmp(key, pg->last) <= 0)
		return 0;
	pg->read++;
	snprintf(pg->last, sizeof(pg->last), "%s", key);
	if ((e = cJSON_ParseWithLength(val, len)) == NULL)
		return 0;	/* not one of ours: osbroker --verify says */
	iid = jsonin_member(e, "instance_id");
	if (pg->instance_id == NULL || (cJSON_IsString(iid) &&
	    strcmp(iid->valuestring, pg->instance_id) == 0)) {
		pg->given++;
		pg->stop = pg->fn(key, e, pg->arg) != 0 ||
		    (pg->limit > 0 && pg->given >= pg->limit);
	}
	cJSON_Delete(e);
	return pg->stop;
}

enum store_rc
audit_scan(struct store_txn *t, const char *since, const char *instance_id,
    size_t limit, int (*fn)(const char *, const cJSON *, void *), void *arg)
{
	struct page	pg = { instance_id, fn, arg, limit, 0, 0, "", 0 };
	enum store_rc	rc;
	const char	*from = since != NULL ? since : "";

	do {
		pg.read = 0;
		if ((rc = store_scan_from(t, T_AUDIT, pg.last[0] != '\0' ?
		    pg.last : from, OSB_AUDIT_PAGE, each_entry, &pg)) !=
		    STORE_OK)
			return rc;
	} while (!pg.stop && pg.read > 0);
	return STORE_OK;
}

/* ---- pruning ----------------------------------------------------------- */

struct old {
	char	 cutoff[32];		/* keys before it are older */
	char	*keys[OSB_AUDIT_PRUNE_BATCH + 1];
	size_t	 n;
	int	 oom;
};

static int
note_old(const char *key, const char *val, size_t len, void *arg)
{
	struct old *o = arg;

	(void)val;
	(void)len;
	if (strcmp(key, o->cutoff) >= 0)
		return 1;
	if ((o->keys[o->n] = strdup(key)) == NULL) {
		o->oom = 1;
		return 1;
	}
	return ++o->n == OSB_AUDIT_PRUNE_BATCH + 1;
}

enum store_rc
audit_prune(struct store *st, time_t before, size_t *deleted, int *more)
{
	struct store_txn	*t;
	struct old		 o = { .n = 0 };
	struct tm		 tm;
	enum store_rc		 rc;
	size_t			 i, n;

	if (deleted != NULL)
		*deleted = 0;
	*more = 0;
	util_gmtime(before, &tm);
	if (strftime(o.cutoff, sizeof(o.cutoff), "%Y-%m-%dT%H:%M:%S",
	    &tm) == 0)
		return STORE_ERROR;
	if ((rc = store_begin(st, STORE_WRITE, AUDIT_SCOPE, &t)) != STORE_OK)
		return rc;
	rc = store_scan_from(t, T_AUDIT, "", OSB_AUDIT_PRUNE_BATCH + 1,
	    note_old, &o);
	if (rc == STORE_OK && o.oom)
		rc = STORE_ERROR;
	n = o.n > OSB_AUDIT_PRUNE_BATCH ? OSB_AUDIT_PRUNE_BATCH : o.n;
	for (i = 0; rc == STORE_OK && i < n; i++)
		rc = store_drop(t, T_AUDIT, o.keys[i]);
	if (rc == STORE_OK && n > 0)
		rc = store_commit(t);
	else
		store_abort(t);
	for (i = 0; i < o.n; i++)
		free(o.keys[i]);
	if (rc != STORE_OK)
		return rc;
	if (deleted != NULL)
		*deleted = n;
	*more = o.n > OSB_AUDIT_PRUNE_BATCH;
	return STORE_OK;
}
