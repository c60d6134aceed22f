/* SPDX-License-Identifier: ISC */
/*
 * h_status: GET /status, the operator's page: one server-rendered HTML
 * document (no script, no external asset, inline CSS that reads on a
 * laptop and a phone) with the store's and the catalog's health, the
 * services and plans with their instance counts, the
 * operations in progress or failed, the recent failures and the recent
 * audit entries.
 *
 * What comes from the store, the catalog or the request is text: every
 * such string goes through html_text() (html.h), and the page is sent with
 * a Content-Security-Policy that allows no script at all, as a second
 * wall.  Never a credential and never a parameter value: records are shown
 * by their ids, plans and last operations only, audit entries by the
 * parameter names they keep (audit.h).
 *
 * Bounded cost, whatever the store holds: every section shows at most
 * OSB_STATUS_ROWS rows and links to its next page by a query parameter of
 * its own:
 *
 *   plans_from=N         services and plans from the N-th row
 *   ops_table=T, ops_after=KEY
 *                        operations: records of table T (instances, then
 *                        bindings) after KEY; one page reads at most
 *                        OSB_STATUS_MAX_SCAN records
 *   failures_before=KEY  failed outcomes among the audit entries before
 *                        KEY, newest first; at most OSB_STATUS_MAX_SCAN
 *                        entries read
 *   audit_before=KEY     audit entries before KEY, newest first
 *
 * A later page shows the health section and the sections its parameters
 * name only, and reads only what they need: following the operations'
 * links does not count every plan again.
 *
 * The counts per plan are h_tally's (the first OSB_METRICS_MAX_SCAN
 * instances, as GET /metrics counts them; not the bindings, which would
 * double the first page's cost), and the page says when there were more.  Everything is read in one read transaction; the page
 * changes nothing (an operation whose runner died shows "in progress"
 * until a request reaps it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "h_tally.h"
#include "handlers.h"
#include "html.h"
#include "limits.h"
#include "op.h"
#include "records.h"
#include "util.h"

/* The sections, as bits of struct cursor's show. */
#define S_PLANS		0x1
#define S_OPS		0x2
#define S_FAILURES	0x4
#define S_AUDIT		0x8
#define S_ALL		0xf

/* Where each section's page starts (the request's query, checked), and
 * which sections to show: all on the first page, only those a paging
 * parameter names on a later one (their cost, not every section's). */
struct cursor {
	int		 show;
	long		 plans_from;
	enum store_table ops_table;
	const char	*ops_after;		/* "" from the first */
	const char	*failures_before;	/* "" from the newest */
	const char	*audit_before;
};

/* What one section's scan found: up to OSB_STATUS_ROWS rows kept as
 * parsed records, and where its next page starts. */
struct rows {
	cJSON		*row[OSB_STATUS_ROWS];
	char		*key[OSB_STATUS_ROWS];
	size_t		 n;
	size_t		 read;			/* records read */
	char		*last;			/* the last key read */
	int		 more;			/* a next page may hold rows */
	int		 failures_only;		/* audit: outcome "failed" */
	int		 oom;
};

static const char style[] =
    "body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:72em;"
    "padding:.5em 1em;color:#1b1b1b;background:#fff}"
    "h1{font-size:1.4em;margin:.4em 0}h2{font-size:1.15em;margin:1.2em 0 .4em;"
    "border-bottom:1px solid #ccc}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #eee;"
    "vertical-align:top;overflow-wrap:break-word}"
    "td.w{overflow-wrap:anywhere;min-width:8em}.nw{white-space:nowrap}"
    "th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:"
    "tabular-nums}"
    ".ok{color:#176317}.bad{color:#a40000;font-weight:bold}"
    ".note{color:#555;font-size:.9em}code{font-size:.9em}"
    "nav a{display:inline-block;margin:.3em 0}"
    /* A phone: the plans stay a table (their ids hidden); operations and
     * audit entries become one card per row, each cell labelled. */
    "@media (max-width:40em){body{font-size:14px;padding:.3em .5em}"
    "th,td{padding:.2em .3em}.wide{display:none}"
    ".cards thead{display:none}.cards tr{display:block;padding:.3em 0;"
    "border-bottom:2px solid #ccc}.cards td,.cards td.wide{display:block;"
    "border:none;padding:.05em .3em;min-width:0}"
    ".cards td::before{font-weight:bold;color:#555}"
    "#ops-table td:nth-child(1)::before{content:\"record: \"}"
    "#ops-table td:nth-child(2)::before{content:\"plan: \"}"
    "#ops-table td:nth-child(3)::before{content:\"operation: \"}"
    "#ops-table td:nth-child(4)::before{content:\"state: \"}"
    "#ops-table td:nth-child(5)::before{content:\"since: \"}"
    "#ops-table td:nth-child(6)::before{content:\"description: \"}"
    ".audit td:nth-child(1)::before{content:\"at: \"}"
    ".audit td:nth-child(2)::before{content:\"action: \"}"
    ".audit td:nth-child(3)::before{content:\"outcome: \"}"
    ".audit td:nth-child(4)::before{content:\"instance / binding: \"}"
    ".audit td:nth-child(5)::before{content:\"who: \"}"
    ".audit td:nth-child(6)::before{content:\"parameters: \"}"
    ".audit td:nth-child(7)::before{content:\"description: \"}"
    "#ops-table td[colspan]::before,.audit td[colspan]::before{content:none}"
    "}";

static void
cell(struct html *h, const char *text)
{
	html_raw(h, "<td>");
	html_text_max(h, text, OSB_STATUS_MAX_CELL);
	html_raw(h, "</td>");
}

static void
cell_class(struct html *h, const char *cls, const char *text)
{
	html_rawf(h, "<td class=\"%s\">", cls);
	html_text_max(h, text, OSB_STATUS_MAX_CELL);
	html_raw(h, "</td>");
}

static void
cell_u64(struct html *h, unsigned long long v)
{
	html_rawf(h, "<td class=\"n\">%llu</td>", v);
}

/* A link to this page with one section moved on: name=value. */
static void
next_link(struct html *h, const char *name, const char *value,
    const char *extra_name, const char *extra_value, const char *label)
{
	html_raw(h, "<nav><a href=\"status?");
	html_raw(h, name);
	html_raw(h, "=");
	html_qval(h, value);
	if (extra_name != NULL) {
		html_raw(h, "&amp;");
		html_raw(h, extra_name);
		html_raw(h, "=");
		html_qval(h, extra_value);
	}
	html_raw(h, "\">");
	html_text(h, label);
	html_raw(h, "</a> &middot; <a href=\"status\">first page</a></nav>");
}

/* ---- the request's query ------------------------------------------------ */

/* A key of the instances or bindings tables: ids and one '/'. */
static int
record_key_valid(const char *s)
{
	char	 buf[OSB_MAX_STORE_KEY + 1];
	char	*slash;

	if (strlen(s) > OSB_MAX_STORE_KEY)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		if (!util_id_valid(slash + 1))
			return 0;
	}
	return util_id_valid(buf);
}

/* An audit key (audit.h): the time and a suffix, [0-9A-Za-z:.-]. */
static int
audit_key_valid(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ:.-");

	return s[n] == '\0' && n < OSB_AUDIT_KEY;
}

static int
read_cursor(const struct ctx *c, struct cursor *cu, struct response *resp)
{
	const char	*v;
	char		*end;

	memset(cu, 0, sizeof(*cu));
	cu->ops_table = T_INSTANCES;
	cu->ops_after = cu->failures_before = cu->audit_before = "";
	if ((v = request_query(c->req, "plans_from")) != NULL) {
		cu->show |= S_PLANS;
		cu->plans_from = strtol(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || strlen(v) > 9)
			goto bad;
	}
	if ((v = request_query(c->req, "ops_table")) != NULL) {
		cu->show |= S_OPS;
		if (strcmp(v, "bindings") == 0)
			cu->ops_table = T_BINDINGS;
		else if (strcmp(v, "instances") != 0)
			goto bad;
	}
	if ((v = request_query(c->req, "ops_after")) != NULL) {
		if (*v != '\0' && !record_key_valid(v))
			goto bad;
		cu->show |= S_OPS;
		cu->ops_after = v;
	}
	if ((v = request_query(c->req, "failures_before")) != NULL) {
		if (!audit_key_valid(v))
			goto bad;
		cu->show |= S_FAILURES;
		cu->failures_before = v;
	}
	if ((v = request_query(c->req, "audit_before")) != NULL) {
		if (!audit_key_valid(v))
			goto bad;
		cu->show |= S_AUDIT;
		cu->audit_before = v;
	}
	if (cu->show == 0)
		cu->show = S_ALL;
	return 0;
bad:
	response_error(resp, OSB_ERR_BAD_REQUEST, "GET /status takes "
	    "plans_from (a number), ops_table (instances or bindings), "
	    "ops_after (a record's key), failures_before and audit_before "
	    "(an audit entry's key), as its own links give them");
	return -1;
}

/* ---- scans -------------------------------------------------------------- */

static void
rows_free(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		cJSON_Delete(r->row[i]);
		free(r->key[i]);
	}
	free(r->last);
	memset(r, 0, sizeof(*r));
}

static int
keep(struct rows *r, const char *key, cJSON *rec)
{
	if ((r->key[r->n] = strdup(key)) == NULL) {
		cJSON_Delete(rec);
		r->oom = 1;
		return 1;
	}
	r->row[r->n++] = rec;
	return 0;
}

/* Remember key as the last read: where the next page starts. */
static int
mark(struct rows *r, const char *key)
{
	free(r->last);
	if ((r->last = strdup(key)) == NULL)
		r->oom = 1;
	return r->oom;
}

/* A record whose last operation is in progress or failed. */
static int
op_row(const char *key, const char *val, size_t len, void *arg)
{
	struct rows	*r = arg;
	cJSON		*rec;
	enum op_state	 s;

	if (r->n == OSB_STATUS_ROWS) {
		r->more = 1;	/* a row past the page: there is more */
		return 1;
	}
	r->read++;
	if (mark(r, key))
		return 1;
	if ((rec = cJSON_ParseWithLength(val, len)) == NULL)
		return 0;
	s = op_state(rec);
	if (s != OPS_IN_PROGRESS && s != OPS_FAILED) {
		cJSON_Delete(rec);
		return 0;
	}
	return keep(r, key, rec);
}

struct skip_first {
	struct rows	*r;
	const char	*from;
};

/* op_row() but for the key a page starts after (shown already). */
static int
op_row_after(const char *key, const char *val, size_t len, void *arg)
{
	struct skip_first *sf = arg;

	if (strcmp(key, sf->from) == 0)
		return 0;
	return op_row(key, val, len, sf->r);
}

/* The operations section: from the cursor on, instances then bindings,
 * at most OSB_STATUS_MAX_SCAN records read.  *tb is where it ended. */
static enum store_rc
read_ops(struct store_txn *t, const struct cursor *cu, struct rows *r,
    enum store_table *tb)
{
	struct skip_first sf = { r, cu->ops_after };
	enum store_rc	 rc;

	*tb = cu->ops_table;
	rc = store_scan_from(t, *tb, cu->ops_after, OSB_STATUS_MAX_SCAN + 1,
	    op_row_after, &sf);
	if (rc != STORE_OK || r->oom)
		return rc;
	if (r->read >= OSB_STATUS_MAX_SCAN)
		r->more = 1;
	/* The instances were read to their end within the bound: the
	 * bindings go on, from their first. */
	if (!r->more && *tb == T_INSTANCES) {
		*tb = T_BINDINGS;
		free(r->last);
		r->last = NULL;
		sf.from = "";
		rc = store_scan_from(t, T_BINDINGS, "", OSB_STATUS_MAX_SCAN -
		    r->read, op_row_after, &sf);
		if (rc == STORE_OK && r->read >= OSB_STATUS_MAX_SCAN)
			r->more = 1;
	}
	return rc;
}

static int
audit_row(const char *key, const char *val, size_t len, void *arg)
{
	struct rows	*r = arg;
	cJSON		*e;

	if (r->n == OSB_STATUS_ROWS) {
		r->more = 1;
		return 1;
	}
	r->read++;
	if (mark(r, key))
		return 1;
	if ((e = cJSON_ParseWithLength(val, len)) == NULL)
		return 0;
	if (r->failures_only && strcmp(records_str(e, "outcome"), "failed") !=
	    0) {
		cJSON_Delete(e);
		return 0;
	}
	return keep(r, key, e);
}

static enum store_rc
read_audit(struct store_txn *t, const char *before, size_t limit,
    struct rows *r)
{
	enum store_rc rc;

	rc = store_scan_back(t, T_AUDIT, before, limit, audit_row, r);
	if (rc == STORE_OK && r->read >= limit)
		r->more = 1;
	return rc;
}

/* ---- sections ----------------------------------------------------------- */

static void
head(struct html *h)
{
	char	 now[32];

	util_fmt_iso8601(time(NULL), now, sizeof(now));
	html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">"
	    "<title>osbroker status</title><style>");
	html_raw(h, style);
	html_raw(h, "</style></head><body><h1>osbroker status</h1>"
	    "<p class=\"note\">As of <time id=\"generated\">");
	html_text(h, now);
	html_raw(h, "</time>. Every section shows at most ");
	html_rawf(h, "%d", OSB_STATUS_ROWS);
	html_raw(h, " rows; its own link leads to the next ones.</p>\n");
}

static void
health(struct html *h, const struct ctx *c, enum store_rc rc,
    const struct store_stats *ss)
{
	char	 when[32];
	size_t	 nwarn = 0;

	html_raw(h, "<h2 id=\"health\">Health</h2><div class=\"scroll\">"
	    "<table id=\"health-table\"><tbody>");
	html_raw(h, "<tr><th>store</th>");
	if (rc == STORE_OK)
		cell_class(h, "ok", "answers");
	else
		cell_class(h, "bad", "does not answer");
	html_raw(h, "</tr><tr><th>store kind</th>");
	cell(h, store_kind(c->store));
	html_raw(h, "</tr><tr><th>store location</th>");
	cell(h, store_where(c->store));
	if (rc != STORE_OK) {
		html_raw(h, "</tr><tr><th>store error</th>");
		cell(h, store_strerror(c->store));
	}
	if (rc == STORE_OK && store_readonly(c->store)) {
		html_raw(h, "</tr><tr><th>store writable</th>");
		cell_class(h, "bad", "no (read-only)");
	}
	if (rc == STORE_OK) {
		html_raw(h, "</tr><tr><th>store size</th>");
		html_rawf(h, "<td id=\"store-bytes\">%lld bytes</td>",
		    ss->bytes);
		if (ss->map_bytes > 0) {
			html_raw(h, "</tr><tr><th>map in use</th>");
			html_rawf(h, "<td>%lld of %lld bytes (%.1f%%)</td>",
			    ss->used_bytes, ss->map_bytes, 100.0 *
			    (double)ss->used_bytes / (double)ss->map_bytes);
		}
		if (ss->records[T_INSTANCES] >= 0) {
			html_raw(h, "</tr><tr><th>records</th>");
			html_rawf(h, "<td>instances <span id=\"store-"
			    "instances\">%lld</span>, bindings <span id=\""
			    "store-bindings\">%lld</span>, audit entries %lld"
			    "</td>",
			    ss->records[T_INSTANCES], ss->records[T_BINDINGS],
			    ss->records[T_AUDIT]);
		}
	}
	html_raw(h, "</tr><tr><th>catalog</th>");
	if (c->catalog == NULL) {
		cell_class(h, "bad", "not loaded");
	} else {
		cell_class(h, "ok", "loaded");
		html_raw(h, "</tr><tr><th>catalog ETag</th>");
		cell(h, catalog_etag(c->catalog));
		if (catalog_mtime(c->catalog) != 0) {
			util_fmt_iso8601(catalog_mtime(c->catalog), when,
			    sizeof(when));
			html_raw(h, "</tr><tr><th>catalog modified</th>");
			cell(h, when);
		}
		(void)catalog_warnings(c->catalog, &nwarn, NULL);
		html_raw(h, "</tr><tr><th>catalog platform warnings</th>");
		html_rawf(h, "<td>%zu</td>", nwarn);
	}
	html_raw(h, "</tr></tbody></table></div>\n");
}

/* One row of the plans table. */
static void
plan_row(struct html *h, const char *sname, const char *pname,
    const char *pdesc, const char *sid, const char *pid,
    const struct h_tally_series *s)
{
	html_raw(h, "<tr data-plan-id=\"");
	html_text(h, pid);
	html_raw(h, "\">");
	cell(h, sname);
	/* The plan's description as the name's tooltip. */
	html_raw(h, "<td title=\"");
	html_text_max(h, pdesc, OSB_STATUS_MAX_CELL);
	html_raw(h, "\">");
	html_text_max(h, pname, OSB_STATUS_MAX_CELL);
	html_raw(h, "</td>");
	cell_class(h, "wide", sid);
	cell_class(h, "wide", pid);
	cell_u64(h, s != NULL ? s->n[0] : 0);
	html_raw(h, "</tr>");
}

static void
plans(struct html *h, const struct ctx *c, const struct h_tally *t,
    long from)
{
	cJSON		*doc = NULL;
	const cJSON	*svc, *plan;
	const char	*json, *sid, *pid;
	size_t		 len, i;
	long		 row = 0, shown = 0;
	int		 more = 0;

	html_raw(h, "<h2 id=\"plans\">Services and plans</h2>");
	if (t->read[0] >= OSB_METRICS_MAX_SCAN)
		html_rawf(h, "<p class=\"note\" id=\"plans-capped\">Counts "
		    "are capped: they cover the first %d instances (in key "
		    "order), not all of them; the health section has the whole "
		    "count.</p>", OSB_METRICS_MAX_SCAN);
	html_raw(h, "<div class=\"scroll\"><table id=\"plans-table\"><thead>"
	    "<tr><th>service</th><th>plan</th><th class=\"wide\">service id"
	    "</th><th class=\"wide\">plan id</th><th>instances</th>"
	    "</tr></thead><tbody>");
	if (c->catalog != NULL) {
		json = catalog_json(c->catalog, &len);
		doc = cJSON_ParseWithLength(json, len);
	}
	cJSON_ArrayForEach(svc, cJSON_GetObjectItemCaseSensitive(doc,
	    "services")) {
		sid = records_str(svc, "id");
		cJSON_ArrayForEach(plan, cJSON_GetObjectItemCaseSensitive(svc,
		    "plans")) {
			if (row++ < from)
				continue;
			if (shown == OSB_STATUS_ROWS) {
				more = 1;
				break;
			}
			pid = records_str(plan, "id");
			plan_row(h, records_str(svc, "name"),
			    records_str(plan, "name"),
			    records_str(plan, "description"), sid, pid,
			    h_tally_find(t, sid, pid));
			shown++;
		}
	}
	/* What the store holds of plans the catalog no longer has. */
	for (i = 0; i < t->ns; i++) {
		struct catalog_plan cp;

		if (c->catalog != NULL && catalog_lookup(c->catalog,
		    t->s[i].service_id, t->s[i].plan_id, &cp) ==
		    CATALOG_FOUND)
			continue;
		if (row++ < from)
			continue;
		if (shown == OSB_STATUS_ROWS) {
			more = 1;
			break;
		}
		plan_row(h, "(not in the catalog)", "(not in the catalog)",
		    "", t->s[i].service_id, t->s[i].plan_id, &t->s[i]);
		shown++;
	}
	html_raw(h, "</tbody></table></div>");
	if (more) {
		char n[24];

		snprintf(n, sizeof(n), "%ld", from + shown);
		next_link(h, "plans_from", n, NULL, NULL, "next plans");
	}
	cJSON_Delete(doc);
	html_raw(h, "\n");
}

static const char *
plan_name(const struct ctx *c, const cJSON *rec)
{
	struct catalog_plan cp;

	if (c->catalog != NULL && catalog_lookup(c->catalog,
	    records_str(rec, "service_id"), records_str(rec, "plan_id"), &cp) ==
	    CATALOG_FOUND)
		return cp.plan_name;
	return records_str(rec, "plan_id");
}

static void
operations(struct html *h, const struct ctx *c, const struct rows *r,
    enum store_table tb)
{
	const cJSON	*op;
	size_t		 i;

	html_raw(h, "<h2 id=\"operations\">Operations in progress or failed"
	    "</h2><div class=\"scroll\"><table id=\"ops-table\" class=\"cards\"><thead><tr>"
	    "<th>record</th><th>plan</th><th>operation</th><th>state</th>"
	    "<th>since</th><th>description</th></tr></thead><tbody>");
	for (i = 0; i < r->n; i++) {
		op = cJSON_GetObjectItemCaseSensitive(r->row[i],
		    "last_operation");
		html_raw(h, "<tr data-key=\"");
		html_text(h, r->key[i]);
		html_raw(h, "\">");
		cell_class(h, "w", r->key[i]);
		cell(h, plan_name(c, r->row[i]));
		cell_class(h, "nw", records_str(op, "type"));
		cell_class(h, op_state(r->row[i]) == OPS_FAILED ? "bad nw" :
		    "ok nw", records_str(op, "state"));
		cell_class(h, "nw", records_str(op, "at"));
		cell_class(h, "w", records_str(op, "description"));
		html_raw(h, "</tr>");
	}
	if (r->n == 0)
		html_raw(h, "<tr><td colspan=\"6\">none</td></tr>");
	html_raw(h, "</tbody></table></div>");
	html_rawf(h, "<p class=\"note\">%zu records read", r->read);
	html_raw(h, r->more ? "; more follow.</p>" : ".</p>");
	if (r->more && r->last != NULL)
		next_link(h, "ops_table", tb == T_BINDINGS ? "bindings" :
		    "instances", "ops_after", r->last, "next operations");
	html_raw(h, "\n");
}

/* Who asked: the broker user and the platform's user, decoded. */
static void
who(struct html *h, const cJSON *e)
{
	const cJSON	*oi, *v;
	const char	*u;

	html_raw(h, "<td class=\"w\">");
	html_text_max(h, records_str(e, "user"), OSB_STATUS_MAX_CELL);
	oi = cJSON_GetObjectItemCaseSensitive(e, "originating_identity");
	if (cJSON_IsObject(oi)) {
		v = cJSON_GetObjectItemCaseSensitive(oi, "value");
		u = records_str(v, "user_id");
		if (*u == '\0')
			u = records_str(v, "username");
		html_raw(h, "<br><span class=\"note\">");
		html_text_max(h, records_str(oi, "platform"), 64);
		html_raw(h, ": ");
		html_text_max(h, u, OSB_STATUS_MAX_CELL);
		html_raw(h, "</span>");
	}
	html_raw(h, "</td>");
}

/* The parameter names an entry keeps (never a value). */
static void
param_names(struct html *h, const cJSON *e)
{
	const cJSON	*p;
	int		 first = 1;

	html_raw(h, "<td class=\"wide\">");
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(e,
	    "parameters")) {
		if (!cJSON_IsString(p))
			continue;
		if (!first)
			html_raw(h, ", ");
		html_text_max(h, p->valuestring, 64);
		first = 0;
	}
	html_raw(h, "</td>");
}

static void
audit_table(struct html *h, const char *id, const char *title,
    const struct rows *r, const char *param, const char *next_label)
{
	const cJSON	*e;
	const char	*b;
	size_t		 i;

	html_rawf(h, "<h2 id=\"%s\">", id);
	html_raw(h, title);
	html_rawf(h, "</h2><div class=\"scroll\"><table id=\"%s-table\" "
	    "class=\"cards audit\">", id);
	html_raw(h, "<thead><tr><th>at</th><th>action</th><th>outcome</th>"
	    "<th>instance / binding</th><th>who</th><th class=\"wide\">"
	    "parameters</th><th>description</th></tr></thead><tbody>");
	for (i = 0; i < r->n; i++) {
		e = r->row[i];
		html_raw(h, "<tr data-key=\"");
		html_text(h, r->key[i]);
		html_raw(h, "\">");
		cell_class(h, "nw", records_str(e, "at"));
		cell_class(h, "nw", records_str(e, "action"));
		cell_class(h, strcmp(records_str(e, "outcome"), "failed") == 0 ?
		    "bad nw" : "ok nw", records_str(e, "outcome"));
		html_raw(h, "<td class=\"w\">");
		html_text_max(h, records_str(e, "instance_id"),
		    OSB_STATUS_MAX_CELL);
		if (*(b = records_str(e, "binding_id")) != '\0') {
			html_raw(h, " / ");
			html_text_max(h, b, OSB_STATUS_MAX_CELL);
		}
		html_raw(h, "</td>");
		who(h, e);
		param_names(h, e);
		cell_class(h, "w", records_str(e, "description"));
		html_raw(h, "</tr>");
	}
	if (r->n == 0)
		html_raw(h, "<tr><td colspan=\"7\">none</td></tr>");
	html_raw(h, "</tbody></table></div>");
	if (r->failures_only)
		html_rawf(h, "<p class=\"note\">%zu audit entries read%s</p>",
		    r->read, r->more ? "; older ones follow." : ".");
	if (r->more && r->last != NULL)
		next_link(h, param, r->last, NULL, NULL, next_label);
	html_raw(h, "\n");
}

/* ---- the page ----------------------------------------------------------- */

struct reads {
	struct h_tally		 tally;
	struct store_stats	 ss;
	struct rows		 ops, failures, audit;
	enum store_table	 ops_end;
};

static enum store_rc
read_all(struct store *st, const struct cursor *cu, struct reads *rd)
{
	struct store_txn	*t;
	enum store_rc		 rc;

	if ((rc = store_begin(st, STORE_READ, NULL, &t)) != STORE_OK)
		return rc;
	rd->failures.failures_only = 1;
	rc = store_stats(t, &rd->ss);
	if (rc == STORE_OK && (cu->show & S_PLANS))
		rc = h_tally_scan(t, &rd->tally, 0);
	if (rc == STORE_OK && (cu->show & S_OPS))
		rc = read_ops(t, cu, &rd->ops, &rd->ops_end);
	if (rc == STORE_OK && (cu->show & S_FAILURES))
		rc = read_audit(t, cu->failures_before, OSB_STATUS_MAX_SCAN,
		    &rd->failures);
	if (rc == STORE_OK && (cu->show & S_AUDIT))
		rc = read_audit(t, cu->audit_before, OSB_STATUS_ROWS,
		    &rd->audit);
	store_abort(t);
	if (rc == STORE_OK && (rd->ops.oom || rd->failures.oom ||
	    rd->audit.oom))
		rc = STORE_ERROR;
	return rc;
}

void
h_status_get(struct ctx *c, struct response *resp)
{
	struct cursor	 cu;
	struct reads	 rd;
	struct html	 h;
	enum store_rc	 rc;
	char		*page;
	size_t		 len;

	if (read_cursor(c, &cu, resp) == -1)
		return;
	memset(&rd, 0, sizeof(rd));
	rc = read_all(c->store, &cu, &rd);
	if (rc != STORE_OK)
		snprintf(resp->log_note, sizeof(resp->log_note),
		    "store: %.140s", store_strerror(c->store));
	html_init(&h, OSB_STATUS_MAX_BYTES);
	head(&h);
	health(&h, c, rc, &rd.ss);
	if (rc == STORE_OK && (cu.show & S_PLANS))
		plans(&h, c, &rd.tally, cu.plans_from);
	if (rc == STORE_OK && (cu.show & S_OPS))
		operations(&h, c, &rd.ops, rd.ops_end);
	if (rc == STORE_OK && (cu.show & S_FAILURES))
		audit_table(&h, "failures", "Recent failures", &rd.failures,
		    "failures_before", "older failures");
	if (rc == STORE_OK && (cu.show & S_AUDIT))
		audit_table(&h, "audit", "Recent audit entries", &rd.audit,
		    "audit_before", "older entries");
	html_raw(&h, "</body></html>\n");
	h_tally_free(&rd.tally);
	rows_free(&rd.ops);
	rows_free(&rd.failures);
	rows_free(&rd.audit);
	if ((page = html_take(&h, &len)) == NULL) {
		response_error(resp, OSB_ERR_INTERNAL, "out of memory, or the "
		    "status page past OSB_STATUS_MAX_BYTES");
		return;
	}
	response_text(resp, rc == STORE_OK ? 200 : 503, HTML_CONTENT_TYPE,
	    page, len);
	response_header(resp, "Cache-Control", "no-store");
	response_header(resp, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
	    "frame-ancestors 'none'");
	response_header(resp, "X-Content-Type-Options", "nosniff");
	response_header(resp, "Referrer-Policy", "no-referrer");
}
