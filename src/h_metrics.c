/* SPDX-License-Identifier: ISC */
/*
 * h_metrics: GET /metrics, the host's counters and the store's gauges in
 * the Prometheus text format (promtext.h), for the operator's Prometheus.
 *
 * Counters come from the host's counters file (counters.h): requests by
 * endpoint and status, their durations, hook runs and failures,
 * authentication failures.  Gauges are computed now, from one read
 * transaction: instances and bindings by service and plan, operations by
 * state, the store's size, the catalog in use.
 *
 * Bounded cost: a scrape reads at most OSB_METRICS_MAX_SCAN records of
 * each table (the first in key order) and counts at most
 * OSB_METRICS_MAX_SERIES service and plan pairs, so that a store of a
 * million instances does not make a scrape take seconds;
 * osbroker_store_scan_truncated says when the per-plan gauges cover only
 * part of a table, and osbroker_store_records (LMDB) gives the whole
 * count.  An operation is shown as stored: the scrape changes nothing,
 * so one whose runner died stays "in progress" until a request reaps it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "h_tally.h"
#include "handlers.h"
#include "limits.h"
#include "log.h"
#include "op.h"
#include "promtext.h"

_Static_assert(EP__COUNT <= COUNTERS_ENDPOINTS,
    "every endpoint has its counters");

static void
requests(struct promtext *p)
{
	const char	*lb[5];
	char		 code[8];
	unsigned	 ep, i;
	uint64_t	 v;

	promtext_family(p, "osbroker_requests_total", "counter",
	    "Requests answered by this host, by endpoint and status.");
	for (ep = 0; ep < EP__COUNT; ep++)
		for (i = 0; i < COUNTERS_STATUSES; i++) {
			if ((v = counters_get(counters_req_slot(ep, i))) == 0)
				continue;
			if (counters_statuses[i] == 0)
				snprintf(code, sizeof(code), "other");
			else
				snprintf(code, sizeof(code), "%d",
				    counters_statuses[i]);
			lb[0] = "endpoint";
			lb[1] = route_endpoint_name(ep);
			lb[2] = "code";
			lb[3] = code;
			lb[4] = NULL;
			promtext_u64(p, "osbroker_requests_total", lb, v);
		}
}

static void
durations(struct promtext *p)
{
	const char	*lb[5];
	char		 le[32];
	unsigned	 ep, b;
	uint64_t	 cum, count;

	promtext_family(p, "osbroker_request_duration_seconds", "histogram",
	    "Time from reading a request to its answer, by endpoint.");
	for (ep = 0; ep < EP__COUNT; ep++) {
		count = counters_get(counters_hist_slot(ep,
		    COUNTERS_BUCKETS + 2));
		if (count == 0)
			continue;
		lb[0] = "endpoint";
		lb[1] = route_endpoint_name(ep);
		lb[2] = "le";
		lb[3] = le;
		lb[4] = NULL;
		for (cum = 0, b = 0; b <= COUNTERS_BUCKETS; b++) {
			cum += counters_get(counters_hist_slot(ep, b));
			if (b == COUNTERS_BUCKETS)
				snprintf(le, sizeof(le), "+Inf");
			else
				snprintf(le, sizeof(le), "%g",
				    counters_bucket_us[b] / 1e6);
			promtext_u64(p,
			    "osbroker_request_duration_seconds_bucket", lb,
			    cum);
		}
		lb[2] = NULL;
		promtext_double(p, "osbroker_request_duration_seconds_sum",
		    lb, (double)counters_get(counters_hist_slot(ep,
		    COUNTERS_BUCKETS + 1)) / 1e6);
		/* The buckets and the count are separate adds: a request
		 * finishing meanwhile could make them differ by one; the
		 * +Inf bucket is what the format requires the count to be. */
		promtext_u64(p, "osbroker_request_duration_seconds_count", lb,
		    cum);
	}
}

static void
singles(struct promtext *p)
{
	promtext_family(p, "osbroker_hook_runs_total", "counter",
	    "Hook programs run on this host.");
	promtext_u64(p, "osbroker_hook_runs_total", NULL,
	    counters_get(C_HOOK_RUNS));
	promtext_family(p, "osbroker_hook_failures_total", "counter",
	    "Hook runs that did not succeed (refused, failed, crashed, timed "
	    "out, wrote bad output, or could not start).");
	promtext_u64(p, "osbroker_hook_failures_total", NULL,
	    counters_get(C_HOOK_FAILURES));
	promtext_family(p, "osbroker_auth_failures_total", "counter",
	    "Requests refused for missing or wrong credentials (401).");
	promtext_u64(p, "osbroker_auth_failures_total", NULL,
	    counters_get(C_AUTH_FAILURES));
	promtext_family(p, "osbroker_auth_throttled_total", "counter",
	    "Requests refused unchecked (429) from addresses over their "
	    "budget of failed authentications.");
	promtext_u64(p, "osbroker_auth_throttled_total", NULL,
	    counters_get(C_AUTH_THROTTLED));
}

static void
catalog_info(struct promtext *p, const struct catalog *cat)
{
	const char *lb[3] = { "etag", catalog_etag(cat), NULL };

	promtext_family(p, "osbroker_catalog_info", "gauge",
	    "The catalog this process serves, by its ETag.");
	promtext_u64(p, "osbroker_catalog_info", lb, 1);
	promtext_family(p, "osbroker_catalog_modified_timestamp_seconds",
	    "gauge", "Modification time of the catalog file served.");
	promtext_u64(p, "osbroker_catalog_modified_timestamp_seconds", NULL,
	    (uint64_t)catalog_mtime(cat));
}

static void
plan_gauges(struct promtext *p, const struct catalog *cat,
    const struct h_tally *t)
{
	static const char *const names[2] = { "osbroker_instances",
	    "osbroker_bindings" };
	static const char *const help[2] = {
	    "Service instances in the store, by service and plan.",
	    "Service bindings in the store, by service and plan." };
	struct catalog_plan	 cp;
	const char		*lb[9];
	size_t			 i;
	int			 k;

	for (k = 0; k < 2; k++) {
		promtext_family(p, names[k], "gauge", help[k]);
		for (i = 0; i < t->ns; i++) {
			lb[0] = "service_id";
			lb[1] = t->s[i].service_id;
			lb[2] = "plan_id";
			lb[3] = t->s[i].plan_id;
			lb[4] = "service";
			lb[5] = "";
			lb[6] = "plan";
			lb[7] = "";
			lb[8] = NULL;
			if (catalog_lookup(cat, t->s[i].service_id,
			    t->s[i].plan_id, &cp) == CATALOG_FOUND) {
				lb[5] = cp.service_name;
				lb[7] = cp.plan_name;
			}
			promtext_u64(p, names[k], lb, t->s[i].n[k]);
		}
	}
}

static void
op_gauges(struct promtext *p, const struct h_tally *t)
{
	static const char *const kind[2] = { "instance", "binding" };
	static const char *const state[4] = { [OPS_IN_PROGRESS] =
	    "in progress", [OPS_SUCCEEDED] = "succeeded", [OPS_FAILED] =
	    "failed" };
	const char	*lb[5];
	int		 k, s;

	promtext_family(p, "osbroker_operations", "gauge",
	    "Last operations of the records in the store, by kind and state.");
	for (k = 0; k < 2; k++)
		for (s = OPS_IN_PROGRESS; s <= OPS_FAILED; s++) {
			lb[0] = "kind";
			lb[1] = kind[k];
			lb[2] = "state";
			lb[3] = state[s];
			lb[4] = NULL;
			promtext_u64(p, "osbroker_operations", lb,
			    t->ops[k][s]);
		}
}

static void
store_gauges(struct promtext *p, const struct store_stats *ss,
    const struct h_tally *t, const char *kind)
{
	static const char *const tables[2] = { "instances", "bindings" };
	const char	*lb[3];
	int		 k;

	lb[0] = "store";
	lb[1] = kind;
	lb[2] = NULL;
	promtext_family(p, "osbroker_store_size_bytes", "gauge",
	    "The store's size on disk (LMDB: the data file; PostgreSQL: "
	    "osbroker_records with its indexes).");
	promtext_double(p, "osbroker_store_size_bytes", lb, (double)ss->bytes);
	if (ss->map_bytes >= 0) {
		promtext_family(p, "osbroker_store_map_size_bytes", "gauge",
		    "LMDB's map size (OSBROKER_MAP_SIZE): the most the data "
		    "file can grow to.");
		promtext_double(p, "osbroker_store_map_size_bytes", NULL,
		    (double)ss->map_bytes);
		promtext_family(p, "osbroker_store_map_used_bytes", "gauge",
		    "LMDB's pages in use, of the map.");
		promtext_double(p, "osbroker_store_map_used_bytes", NULL,
		    (double)ss->used_bytes);
	}
	if (ss->records[T_INSTANCES] >= 0) {
		promtext_family(p, "osbroker_store_records", "gauge",
		    "Records in the store's tables.");
		for (k = 0; k < 2; k++) {
			lb[0] = "table";
			lb[1] = tables[k];
			promtext_double(p, "osbroker_store_records", lb,
			    (double)ss->records[k == 0 ? T_INSTANCES :
			    T_BINDINGS]);
		}
	}
	promtext_family(p, "osbroker_store_scan_truncated", "gauge",
	    "1 when the per-plan gauges counted only the first "
	    "OSB_METRICS_MAX_SCAN records of the table.");
	for (k = 0; k < 2; k++) {
		lb[0] = "table";
		lb[1] = tables[k];
		promtext_u64(p, "osbroker_store_scan_truncated", lb,
		    t->read[k] >= OSB_METRICS_MAX_SCAN);
	}
}

/* The gauges of the store, read in one transaction. */
static enum store_rc
read_store(struct store *st, struct h_tally *t, struct store_stats *ss)
{
	struct store_txn	*txn;
	enum store_rc		 rc;

	if ((rc = store_begin(st, STORE_READ, NULL, &txn)) != STORE_OK)
		return rc;
	if ((rc = store_stats(txn, ss)) == STORE_OK)
		rc = h_tally_scan(txn, t, 1);
	store_abort(txn);
	return rc;
}

void
h_metrics_get(struct ctx *c, struct response *resp)
{
	struct promtext		 p;
	struct h_tally		 t;
	struct store_stats	 ss;
	enum store_rc		 rc;
	char			*page;
	size_t			 len;

	memset(&t, 0, sizeof(t));
	promtext_init(&p);
	requests(&p);
	durations(&p);
	singles(&p);
	catalog_info(&p, c->catalog);
	rc = read_store(c->store, &t, &ss);
	promtext_family(&p, "osbroker_store_up", "gauge",
	    "1 when the store answered this scrape's read.");
	promtext_u64(&p, "osbroker_store_up", NULL, rc == STORE_OK);
	if (rc == STORE_OK) {
		plan_gauges(&p, c->catalog, &t);
		op_gauges(&p, &t);
		store_gauges(&p, &ss, &t, store_kind(c->store));
	} else
		snprintf(resp->log_note, sizeof(resp->log_note),
		    "store: %.140s", store_strerror(c->store));
	h_tally_free(&t);
	if ((page = promtext_take(&p, &len)) == NULL) {
		response_error(resp, OSB_ERR_INTERNAL, "out of memory");
		return;
	}
	response_text(resp, 200, PROMTEXT_CONTENT_TYPE, page, len);
	response_header(resp, "Cache-Control", "no-store");
}
