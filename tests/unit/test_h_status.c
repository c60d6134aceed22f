/* SPDX-License-Identifier: ISC */
/*
 * test_h_status: GET /status (h_status.c) on a store written here: an HTML
 * page with its headers, the catalog's texts and the records' descriptions
 * escaped, the counts per plan, the operations in progress or failed, the
 * newest OSB_STATUS_ROWS audit entries with a link to the older ones that
 * leads to exactly them, and 400 for a paging parameter that is not one
 * of the page's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "catalog.h"
#include "handlers.h"
#include "io.h"
#include "limits.h"
#include "tap.h"
#include "tmpdir.h"

#define NINST	60
#define NAUDIT	(OSB_STATUS_ROWS + 10)

static const char catalog_yml[] =
    "services:\n"
    "- id: svc-1\n"
    "  name: svc\n"
    "  description: a service\n"
    "  bindable: true\n"
    "  plans:\n"
    "  - id: plan-1\n"
    "    name: small\n"
    "    description: \"<b onmouseover='x'>small</b>\"\n"
    "  - id: plan-2\n"
    "    name: large\n"
    "    description: large\n";

struct fake {
	const char	*uri, *query;
};

static const char *
fake_param(struct io *io, const char *name)
{
	struct fake *f = io->ctx;

	if (strcmp(name, "REQUEST_METHOD") == 0)
		return "GET";
	if (strcmp(name, "REQUEST_URI") == 0)
		return f->uri;
	if (strcmp(name, "QUERY_STRING") == 0)
		return f->query;
	return NULL;
}

static ssize_t
fake_read(struct io *io, char *buf, size_t n)
{
	(void)io; (void)buf; (void)n;
	return 0;
}

static int
fake_write(struct io *io, const char *buf, size_t n)
{
	(void)io; (void)buf; (void)n;
	return 0;
}

static struct config	 cfg;
static struct catalog	*cat;
static struct store	*st;

/* GET /status?query into resp (freed by the caller). */
static void
get(const char *query, struct response *resp)
{
	char		 uri[512];
	struct fake	 f = { uri, query };
	struct io	 io = { fake_param, fake_read, fake_write, &f };
	struct request	 r;
	struct route	 rt;
	struct ctx	 c;

	snprintf(uri, sizeof(uri), "/status%s%s", *query ? "?" : "", query);
	response_init(resp);
	if (request_read(&r, &io, &cfg, resp) == -1 ||
	    route_match(&r, &rt, resp) == -1) {
		printf("#   GET %s: not routed\n", uri);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.catalog = cat;
	c.store = st;
	c.req = &r;
	c.rt = &rt;
	c.user = "op";
	h_status_get(&c, resp);
	request_free(&r);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static const char *
header(const struct response *resp, const char *name)
{
	int i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return "";
}

/* The section of the page under heading id, up to the next heading, in a
 * buffer of its own (each call overwrites the last). */
static const char *
section(const char *page, const char *id)
{
	static char	 buf[256 * 1024];
	char		 h[64];
	const char	*p, *end;
	size_t		 n;

	snprintf(h, sizeof(h), "<h2 id=\"%s\">", id);
	if ((p = strstr(page, h)) == NULL)
		return "";
	end = strstr(p + 1, "<h2 ");
	n = end != NULL ? (size_t)(end - p) : strlen(p);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static void
fill(void)
{
	char	key[64], val[512];
	int	i;

	for (i = 0; i < NINST; i++) {
		snprintf(key, sizeof(key), "inst-%03d", i);
		snprintf(val, sizeof(val), "{\"service_id\":\"svc-1\","
		    "\"plan_id\":\"%s\",\"parameters\":{\"pw\":\"VALUE-%d\"}%s}",
		    i < 40 ? "plan-1" : "plan-2", i, i % 20 == 5 ?
		    ",\"last_operation\":{\"type\":\"provision\",\"state\":"
		    "\"failed\",\"description\":\"<script>boom</script>\"}" :
		    i == 7 ? ",\"last_operation\":{\"type\":\"update\","
		    "\"state\":\"in progress\",\"description\":\"busy\"}" : "");
		tmp_put(st, T_INSTANCES, key, val);
	}
	tmp_put(st, T_BINDINGS, "inst-000/b", "{\"service_id\":\"svc-1\","
	    "\"plan_id\":\"plan-1\",\"credentials\":{\"password\":"
	    "\"SECRET-PW\"}}");
	for (i = 0; i < NAUDIT; i++) {
		snprintf(key, sizeof(key), "2026-01-01T00:%02d:00.000000Z-"
		    "0000%04d", i, i);
		snprintf(val, sizeof(val), "{\"at\":\"2026-01-01T00:%02d:00."
		    "000000Z\",\"action\":\"provision\",\"outcome\":\"%s\","
		    "\"instance_id\":\"inst-%03d\",\"user\":\"u<%d>\","
		    "\"parameters\":[\"pw\"],\"description\":\"d%d\"}", i,
		    i == 3 ? "failed" : "succeeded", i, i, i);
		tmp_put(st, T_AUDIT, key, val);
	}
}

int
main(void)
{
	struct catalog_error	 err;
	struct response		 resp;
	char			 dir[64], want[128];
	const char		*page, *p;

	cfg.max_body = OSB_DEFAULT_MAX_BODY;
	if (catalog_load_buffer("t.yml", catalog_yml, strlen(catalog_yml),
	    &cat, &err) == -1) {
		printf("Bail out! catalog: %s\n", err.message);
		return 2;
	}
	tmp_make(dir, sizeof(dir), "h_status");
	st = tmp_store(dir);
	fill();

	get("", &resp);
	page = resp.owned != NULL ? resp.owned : "";
	CHECK(resp.status == 200, "GET /status: 200 (%d)", resp.status);
	CHECK(strncmp(header(&resp, "Content-Security-Policy"),
	    "default-src 'none'", 18) == 0 && strcmp(resp.content_type,
	    "text/html; charset=utf-8") == 0, "HTML with a CSP");
	CHECK(strncmp(page, "<!DOCTYPE html>", 15) == 0 &&
	    strstr(page, "name=\"viewport\"") != NULL, "a document with a "
	    "viewport");
	CHECK(strstr(page, "<script") == NULL && strstr(page, "<b ") == NULL &&
	    strstr(page, "&lt;script&gt;boom&lt;/script&gt;") != NULL &&
	    strstr(page, "title=\"&lt;b onmouseover=&#39;x&#39;&gt;small") !=
	    NULL && strstr(page, "u&lt;3&gt;") != NULL,
	    "descriptions, names and users escaped");
	CHECK(strstr(page, "VALUE-") == NULL && strstr(page, "SECRET-PW") ==
	    NULL, "no parameter value, no credential");
	CHECK(strstr(page, "<tr data-plan-id=\"plan-1\"><td>svc</td>") !=
	    NULL && strstr(page, ">small</td><td class=\"wide\">svc-1</td>"
	    "<td class=\"wide\">plan-1</td><td class=\"n\">40</td></tr>") !=
	    NULL && strstr(page, ">large</td><td class=\"wide\">svc-1</td>"
	    "<td class=\"wide\">plan-2</td><td class=\"n\">20</td></tr>") !=
	    NULL, "instances per plan: 40 and 20");
	p = section(page, "operations");
	CHECK(count(p, "<tr data-key=\"inst-") == 4, "4 operations: 3 "
	    "failed, 1 in progress");
	CHECK(strstr(p, "inst-007</td><td>small</td><td class=\"nw\">update"
	    "</td><td class=\"ok nw\">in progress") != NULL,
	    "the operation in progress");
	p = section(page, "audit");
	CHECK(count(p, "<tr data-key=") == OSB_STATUS_ROWS,
	    "the audit section shows %d rows", OSB_STATUS_ROWS);
	CHECK(strstr(p, "data-key=\"2026-01-01T00:59:00.000000Z-00000059\"") <
	    strstr(p, "data-key=\"2026-01-01T00:58:00.000000Z-00000058\""),
	    "newest first");
	snprintf(want, sizeof(want), "status?audit_before=2026-01-01T00%%3A"
	    "10%%3A00.000000Z-00000010\"");
	CHECK(strstr(p, want) != NULL, "a link to the entries before the "
	    "last shown");
	p = section(page, "failures");
	CHECK(count(p, "<tr data-key=") == 1 && strstr(p, "00000003") != NULL,
	    "one failure among the audit entries");
	response_free(&resp);

	get("audit_before=2026-01-01T00%3A10%3A00.000000Z-00000010", &resp);
	page = resp.owned != NULL ? resp.owned : "";
	p = section(page, "audit");
	CHECK(resp.status == 200 && count(p, "<tr data-key=") == 10 &&
	    strstr(p, "00000009\"") != NULL && strstr(p, "00000010\"") ==
	    NULL && strstr(p, "audit_before=") == NULL,
	    "the next page: the 10 older entries, no further link");
	CHECK(strstr(page, "<h2 id=\"plans\">") == NULL && strstr(page,
	    "<h2 id=\"operations\">") == NULL && strstr(page,
	    "<h2 id=\"health\">") != NULL, "a later page shows its section "
	    "and the health only");
	response_free(&resp);

	get("ops_after=inst-025", &resp);
	page = resp.owned != NULL ? resp.owned : "";
	p = section(page, "operations");
	CHECK(strstr(p, "inst-005") == NULL && strstr(p, "inst-025\"") ==
	    NULL && strstr(p, "inst-045\"") != NULL,
	    "operations after a key");
	response_free(&resp);

	get("plans_from=1", &resp);
	page = resp.owned != NULL ? resp.owned : "";
	CHECK(strstr(page, "data-plan-id=\"plan-1\"") == NULL &&
	    strstr(page, "data-plan-id=\"plan-2\"") != NULL,
	    "plans from the second");
	response_free(&resp);

	get("audit_before=%3Cx%3E", &resp);
	CHECK(resp.status == 400, "a bad audit key: 400");
	response_free(&resp);
	get("plans_from=9999999999", &resp);
	CHECK(resp.status == 400, "a plans_from too long: 400");
	response_free(&resp);
	get("ops_table=audit", &resp);
	CHECK(resp.status == 400, "ops_table of another table: 400");
	response_free(&resp);

	store_close(st);
	catalog_free(cat);
	tmp_remove(dir);
	return tap_done();
}
