/* SPDX-License-Identifier: ISC */
/*
 * h_tally: see h_tally.h.
 */
#include <stdlib.h>
#include <string.h>

#include "h_tally.h"
#include "limits.h"
#include "op.h"

const struct h_tally_series *
h_tally_find(const struct h_tally *t, const char *service_id,
    const char *plan_id)
{
	size_t i;

	for (i = 0; i < t->ns; i++)
		if (strcmp(t->s[i].plan_id, plan_id) == 0 &&
		    strcmp(t->s[i].service_id, service_id) == 0)
			return &t->s[i];
	return NULL;
}

static struct h_tally_series *
series_for(struct h_tally *t, const char *service_id, const char *plan_id)
{
	struct h_tally_series	*n;

	if ((n = (struct h_tally_series *)h_tally_find(t, service_id,
	    plan_id)) != NULL)
		return n;
	if (t->ns >= OSB_METRICS_MAX_SERIES) {
		service_id = plan_id = "other";
		if ((n = (struct h_tally_series *)h_tally_find(t, "other",
		    "other")) != NULL)
			return n;
	}
	if ((n = realloc(t->s, (t->ns + 1) * sizeof(*n))) == NULL)
		return NULL;
	t->s = n;
	n = &t->s[t->ns];
	memset(n, 0, sizeof(*n));
	n->service_id = strdup(service_id);
	n->plan_id = strdup(plan_id);
	if (n->service_id == NULL || n->plan_id == NULL) {
		free(n->service_id);
		free(n->plan_id);
		return NULL;
	}
	t->ns++;
	return n;
}

static int
count_one(const char *key, const char *val, size_t len, void *arg)
{
	struct h_tally	*t = arg;
	struct h_tally_series	*s;
	cJSON		*rec;
	const cJSON	*sid, *pid;

	(void)key;
	t->read[t->kind]++;
	if ((rec = cJSON_ParseWithLength(val, len)) == NULL)
		return 0;	/* --verify's business, not a report's */
	sid = cJSON_GetObjectItemCaseSensitive(rec, "service_id");
	pid = cJSON_GetObjectItemCaseSensitive(rec, "plan_id");
	if (cJSON_IsString(sid) && cJSON_IsString(pid)) {
		if ((s = series_for(t, sid->valuestring, pid->valuestring)) ==
		    NULL)
			t->oom = 1;
		else
			s->n[t->kind]++;
	}
	t->ops[t->kind][op_state(rec)]++;
	cJSON_Delete(rec);
	return t->oom;
}

void
h_tally_free(struct h_tally *t)
{
	size_t i;

	for (i = 0; i < t->ns; i++) {
		free(t->s[i].service_id);
		free(t->s[i].plan_id);
	}
	free(t->s);
}

enum store_rc
h_tally_scan(struct store_txn *txn, struct h_tally *t, int bindings)
{
	enum store_rc rc;

	t->kind = 0;
	rc = store_scan_head(txn, T_INSTANCES, OSB_METRICS_MAX_SCAN,
	    count_one, t);
	t->kind = 1;
	if (rc == STORE_OK && !t->oom && bindings)
		rc = store_scan_head(txn, T_BINDINGS, OSB_METRICS_MAX_SCAN,
		    count_one, t);
	if (rc == STORE_OK && t->oom)
		rc = STORE_ERROR;
	return rc;
}
