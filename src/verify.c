/* SPDX-License-Identifier: ISC */
/*
 * verify: see verify.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "log.h"
#include "op.h"
#include "records.h"
#include "util.h"
#include "verify.h"

struct tally {
	struct store_txn	*t;
	const struct catalog	*cat;
	FILE			*out;
	long			 instances, bindings, gone, running, unknown_plans;
	long			 problems;
};

static void
problem(struct tally *v, const char *table, const char *key, const char *what)
{
	char clean[300];

	log_clean(clean, sizeof(clean), key);
	fprintf(v->out, "%s %s: %s\n", table, clean, what);
	v->problems++;
}

/* The checks every record with a last_operation shares. */
static void
check_record(struct tally *v, const char *table, const char *key,
    const cJSON *rec)
{
	struct catalog_plan p;

	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec,
	    "service_id")) || !cJSON_IsString(
	    cJSON_GetObjectItemCaseSensitive(rec, "plan_id"))) {
		problem(v, table, key, "no service_id or plan_id");
		return;
	}
	if (op_last(rec) != NULL && (op_action(rec) == ACT__COUNT ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(op_last(rec),
	    "state")) || op_state(rec) == OPS_NONE))
		problem(v, table, key, "last_operation has an unknown type or "
		    "state");
	if (op_state(rec) == OPS_IN_PROGRESS) {
		v->running++;
		if (records_num(op_last(rec), "deadline") <= 0)
			problem(v, table, key, "operation in progress without a "
			    "deadline");
	}
	if (v->cat != NULL && catalog_lookup(v->cat, records_str(rec,
	    "service_id"), records_str(rec, "plan_id"), &p) != CATALOG_FOUND)
		v->unknown_plans++;
}

static int
each_instance(const char *key, const char *val, size_t len, void *arg)
{
	struct tally	*v = arg;
	cJSON		*rec = cJSON_ParseWithLength(val, len);

	v->instances++;
	if (!util_id_valid(key))
		problem(v, "instance", key, "key is not a valid id");
	if (!cJSON_IsObject(rec))
		problem(v, "instance", key, "record is not a JSON object");
	else
		check_record(v, "instance", key, rec);
	cJSON_Delete(rec);
	return 0;
}

static int
each_binding(const char *key, const char *val, size_t len, void *arg)
{
	struct tally	*v = arg;
	cJSON		*rec = cJSON_ParseWithLength(val, len);
	const char	*slash = strchr(key, '/');
	char		 iid[OSB_MAX_ID_LEN + 1], *ival;
	size_t		 ilen;

	v->bindings++;
	if (slash == NULL || (size_t)(slash - key) > OSB_MAX_ID_LEN ||
	    !util_id_valid(slash + 1)) {
		problem(v, "binding", key, "key is not <instance id>/<binding "
		    "id>");
		cJSON_Delete(rec);
		return 0;
	}
	snprintf(iid, sizeof(iid), "%.*s", (int)(slash - key), key);
	if (!util_id_valid(iid))
		problem(v, "binding", key, "instance id is not valid");
	else if (store_get(v->t, T_INSTANCES, iid, &ival, &ilen) != STORE_OK)
		problem(v, "binding", key, "its instance does not exist");
	else
		free(ival);
	if (!cJSON_IsObject(rec))
		problem(v, "binding", key, "record is not a JSON object");
	else
		check_record(v, "binding", key, rec);
	cJSON_Delete(rec);
	return 0;
}

static int
each_tombstone(const char *key, const char *val, size_t len, void *arg)
{
	struct tally	*v = arg;
	cJSON		*rec = cJSON_ParseWithLength(val, len);

	v->gone++;
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "operation")))
		problem(v, "tombstone", key, "no operation");
	cJSON_Delete(rec);
	return 0;
}

int
verify_store(struct store *st, const struct catalog *cat, FILE *out)
{
	struct tally	 v;
	enum store_rc	 rc;

	memset(&v, 0, sizeof(v));
	v.cat = cat;
	v.out = out;
	if (store_begin(st, 0, NULL, &v.t) != STORE_OK)
		return -1;
	if ((rc = store_scan(v.t, T_INSTANCES, "", each_instance, &v)) ==
	    STORE_OK &&
	    (rc = store_scan(v.t, T_BINDINGS, "", each_binding, &v)) ==
	    STORE_OK)
		rc = store_scan(v.t, T_GONE, "", each_tombstone, &v);
	store_abort(v.t);
	if (rc != STORE_OK)
		return -1;
	if (v.problems == 0)
		fprintf(out, "ok: %ld instances, %ld bindings, %ld operations in "
		    "progress, %ld tombstones", v.instances, v.bindings,
		    v.running, v.gone);
	else
		fprintf(out, "%ld problems in %ld instances, %ld bindings, %ld "
		    "tombstones", v.problems, v.instances, v.bindings, v.gone);
	if (v.unknown_plans > 0)
		fprintf(out, " (%ld records of plans no longer in the catalog)",
		    v.unknown_plans);
	fputc('\n', out);
	return (int)(v.problems > 0x7fffffff ? 0x7fffffff : v.problems);
}
