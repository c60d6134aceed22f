/* SPDX-License-Identifier: ISC */
/*
 * fuzz_request: the broker's own entry point, server_handle() (src/server.c),
 * with a struct server that server_open() loaded once per process from a
 * temporary state directory, a catalog written there and a credentials
 * file of one known user.  A fake struct io hands it the input's CGI
 * parameters and body and keeps the rendered reply and the log line it
 * writes; every change the server makes to its store is checked.
 *
 * Input: up to MAX_REQUESTS requests separated by a line "%%"
 * (the bytes "\n%%\n"), each in a text framing so that seeds stay readable:
 *
 *   NAME=value\n     one CGI/FastCGI parameter (REQUEST_METHOD=PUT,
 *   ...              REQUEST_URI=/v2/..., QUERY_STRING=..., HTTP_...); a
 *                    value ends at a NUL byte as a C string would
 *   NAME\n           the parameter is absent (for the defaults below)
 *   \n               an empty line ends the parameters
 *   body             every byte after it, up to the next "\n%%\n"
 *
 * A parameter not listed is absent, but for HTTP_AUTHORIZATION (the known
 * user's valid Basic value) and HTTP_X_BROKER_API_VERSION (2.17): so most
 * inputs get past authentication and the version check, and "NAME" alone
 * takes them away.  Without a CONTENT_LENGTH line a non-empty body gets its
 * length, as a web server sends it.  The body is handed out a few bytes per
 * read.  The configuration is config_load()'s defaults (the environment's
 * OSBROKER_* variables are replaced) but for a body limit of 1024 bytes, so
 * that 413 is reachable, and a small LMDB map.
 *
 * The store: every input starts from the same three finished records
 * (inst-1, its binding bind-1, inst-f whose provision failed); what an
 * input changed is put back after it.  The catalog has no hooks and
 * nothing asynchronous, so no program is run, no runner started, and the
 * requests of one input see each other's changes only.
 *
 * Per request, on the real reply (see check_reply() and check_store()):
 * the request as request_read() takes it is bounded and its logged fields
 * printable; the reply has a status line, header lines without CR or LF,
 * the echoed request identity, Content-Length equal to the body, and a
 * body that is one UTF-8 JSON object (none for 304), with a description for
 * errors; no 5xx and no 202; the log line is one line of printable ASCII;
 * a 4xx or a GET leaves the store as it was; any change leaves a store
 * that verify_store() finds consistent, with the catalog's service and plan
 * in every instance and binding; a 2xx PUT or PATCH leaves its record, a
 * 201 made it, a 200 DELETE removed it (an instance with its bindings).
 *
 * The server's log goes to stderr (fd 2); libFuzzer is told to close it
 * (-close_fd_mask=2 is added to its arguments unless given), and the
 * line of each request is caught in a memory file and checked.  FUZZ_SHOW=1
 * prints every reply's status line and log line (for checking what a seed
 * or a regression input reaches).
 */
#include <crypt.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "fuzz.h"
#include "io.h"
#include "limits.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "verify.h"

#define MAX_PARAMS	64
#define MAX_REQUESTS	8
#define READ_CHUNK	5
#define MAX_BODY	1024
#define CATALOG_MTIME	1735689600	/* 2025-01-01T00:00:00Z */
#define SEPARATOR	"\n%%\n"
#define USER		"osbroker"
#define PASSWORD	"itest-password"
#define GOOD_AUTH	"Basic b3Nicm9rZXI6aXRlc3QtcGFzc3dvcmQ="
#define VERSION		"2.17"

/* No hooks and no "async": nothing in this catalog runs a program. */
static const char catalog_text[] =
    "services:\n"
    "- id: svc-1\n"
    "  name: fuzz-svc\n"
    "  description: a service\n"
    "  bindable: true\n"
    "  instances_retrievable: true\n"
    "  bindings_retrievable: true\n"
    "  allow_context_updates: true\n"
    "  plan_updateable: true\n"
    "  plans:\n"
    "  - id: plan-1\n"
    "    name: small\n"
    "    description: rotatable bindings with templated credentials\n"
    "    binding_rotatable: true\n"
    "    maintenance_info: {version: 1.0.0}\n"
    "    osbroker:\n"
    "      binding_ttl: 3600\n"
    "      binding_renew_before: 600\n"
    "      settings: {host: db.example.org, port: 5432}\n"
    "      secrets: {password: 8}\n"
    "      credentials:\n"
    "        username: \"u_${binding_id}\"\n"
    "        password: \"${secret.password}\"\n"
    "        port: \"${settings.port}\"\n"
    "        size: \"${param.size:-1}\"\n"
    "      endpoints:\n"
    "      - host: \"${settings.host}\"\n"
    "        ports: [\"${settings.port}\"]\n"
    "  - id: plan-2\n"
    "    name: large\n"
    "    description: bindings need an app and a role\n"
    "    osbroker:\n"
    "      requires_app: true\n"
    "      credentials: {role: \"${param.role}\", plan: \"${plan_name}\"}\n"
    "  - id: plan-3\n"
    "    name: nobind\n"
    "    description: not bindable\n"
    "    bindable: false\n"
    "- id: svc-2\n"
    "  name: fuzz-fixed\n"
    "  description: plans cannot be changed\n"
    "  bindable: true\n"
    "  plan_updateable: false\n"
    "  plans:\n"
    "  - id: plan-4\n"
    "    name: fixed-a\n"
    "    description: fixed plan A\n"
    "  - id: plan-5\n"
    "    name: fixed-b\n"
    "    description: fixed plan B\n";

/* The store every input starts from, as op.c and the handlers write it. */
static const struct {
	enum store_table	 tb;
	const char		*key, *json;
} records[] = {
	{ T_INSTANCES, "inst-1", "{\"service_id\":\"svc-1\",\"plan_id\":"
	  "\"plan-1\",\"organization_guid\":\"org-1\",\"space_guid\":"
	  "\"space-1\",\"context\":{\"platform\":\"cloudfoundry\"},"
	  "\"parameters\":{\"size\":1},\"maintenance_info\":{\"version\":"
	  "\"1.0.0\"},\"metadata\":{\"labels\":{\"osbroker.service\":"
	  "\"fuzz-svc\",\"osbroker.plan\":\"small\"},\"attributes\":{}},"
	  "\"created_at\":\"2025-01-01T00:00:00.0Z\",\"updated_at\":"
	  "\"2025-01-01T00:00:00.0Z\",\"last_operation\":{\"type\":"
	  "\"provision\",\"at\":\"2025-01-01T00:00:05.0Z\",\"id\":"
	  "\"provision-0123456789abcdef\",\"async\":true,\"started\":"
	  "1735689600,\"deadline\":1735689660,\"state\":\"succeeded\","
	  "\"description\":\"provisioned\"}}" },
	{ T_INSTANCES, "inst-f", "{\"service_id\":\"svc-1\",\"plan_id\":"
	  "\"plan-1\",\"last_operation\":{\"type\":\"provision\",\"id\":"
	  "\"provision-fedcba9876543210\",\"state\":\"failed\","
	  "\"description\":\"provision failed: the hook said no\","
	  "\"instance_usable\":false}}" },
	{ T_BINDINGS, "inst-1/bind-1", "{\"service_id\":\"svc-1\",\"plan_id\":"
	  "\"plan-1\",\"app_guid\":\"app-1\",\"bind_resource\":{\"app_guid\":"
	  "\"app-1\"},\"parameters\":{\"role\":\"reader\"},\"credentials\":"
	  "{\"username\":\"u_0a1b2c\",\"password\":\"0123456789abcdef\"},"
	  "\"created_at\":\"2025-01-01T00:00:00.0Z\",\"last_operation\":"
	  "{\"type\":\"bind\",\"at\":\"2025-01-01T00:00:00.0Z\",\"state\":"
	  "\"succeeded\",\"description\":\"bound\"}}" },
};

static struct server	 srv;
static char		 state_dir[4096];
static FILE		*devnull;
static int		 capture;	/* the log line is caught in capfd */
static int		 capfd = -1, outfd = -1;
static int		 show;

/* ---- the fake struct io -------------------------------------------------- */

struct fake {
	char		*name[MAX_PARAMS];
	char		*value[MAX_PARAMS];	/* NULL: listed as absent */
	int		 n;
	const uint8_t	*body;
	size_t		 bodylen, pos;
	char		 cl[32];
	char		*out;			/* the reply as written */
	size_t		 outlen;
};

static const char *
fake_param(struct io *io, const char *name)
{
	struct fake	*f = io->ctx;
	int		 i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	if (strcmp(name, "CONTENT_LENGTH") == 0 && f->bodylen > 0)
		return f->cl;
	if (strcmp(name, "HTTP_AUTHORIZATION") == 0)
		return GOOD_AUTH;
	if (strcmp(name, "HTTP_X_BROKER_API_VERSION") == 0)
		return VERSION;
	return NULL;
}

static ssize_t
fake_read(struct io *io, char *buf, size_t n)
{
	struct fake	*f = io->ctx;
	size_t		 k = f->bodylen - f->pos;

	if (k > n)
		k = n;
	if (k > READ_CHUNK)
		k = READ_CHUNK;
	memcpy(buf, f->body + f->pos, k);
	f->pos += k;
	return (ssize_t)k;
}

static int
fake_write(struct io *io, const char *buf, size_t n)
{
	struct fake	*f = io->ctx;
	char		*p;

	if ((p = realloc(f->out, f->outlen + n + 1)) == NULL)
		abort();
	memcpy(p + f->outlen, buf, n);
	f->outlen += n;
	p[f->outlen] = '\0';
	f->out = p;
	return 0;
}

/* One request's parameters and body (see the top of the file). */
static void
fake_parse(struct fake *f, const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *end = data + size, *nl, *eq;

	memset(f, 0, sizeof(*f));
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p) {		/* the empty line */
			p++;
			break;
		}
		eq = memchr(p, '=', (size_t)(nl - p));
		if (f->n < MAX_PARAMS) {
			f->name[f->n] = fuzz_copy(p, (size_t)((eq != NULL ?
			    eq : nl) - p));
			f->value[f->n] = eq == NULL ? NULL : fuzz_copy(eq + 1,
			    (size_t)(nl - eq - 1));
			f->n++;
		}
		p = nl < end ? nl + 1 : end;
	}
	f->body = p;
	f->bodylen = (size_t)(end - p);
	snprintf(f->cl, sizeof(f->cl), "%zu", f->bodylen);
}

static void
fake_free(struct fake *f)
{
	int i;

	for (i = 0; i < f->n; i++) {
		free(f->name[i]);
		free(f->value[i]);
	}
	free(f->out);
}

/* ---- the request, as request_read() takes it ----------------------------- */

/* RFC 3986 unreserved, 1..OSB_MAX_ID_LEN: written again here rather than
 * trusting util.c's util_id_valid(). */
static int
is_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > OSB_MAX_ID_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-._~", s[i]) == NULL)
			return 0;
	return 1;
}

static void
check_printable(const char *what, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f, "%s keeps byte 0x%02x",
		    what, (unsigned char)*s);
}

/* Whole query parameters only, whether the request was refused or not
 * (finding 3 of docs/fuzzing.md). */
static void
check_query(const struct request *r)
{
	int k;

	FUZZ_CHECK(r->nquery >= 0 && r->nquery <= OSB_MAX_QUERY_PARAMS,
	    "nquery %d", r->nquery);
	for (k = 0; k < r->nquery; k++) {
		FUZZ_CHECK(r->query[k].key != NULL && r->query[k].val != NULL,
		    "query parameter %d is NULL", k);
		FUZZ_CHECK(request_query(r, r->query[k].key) != NULL,
		    "request_query misses its own key");
	}
}

static void
check_request(const struct request *r, const struct fake *f)
{
	const char	*hdr[] = { r->authorization, r->api_version,
			    r->originating_identity, r->request_identity,
			    r->if_none_match, r->if_modified_since };
	size_t		 i;
	int		 k;

	FUZZ_CHECK(r->path != NULL, "accepted request without a path");
	FUZZ_CHECK(r->nseg >= 0 && r->nseg <= REQUEST_MAX_SEGMENTS,
	    "nseg %d", r->nseg);
	for (k = 0; k < r->nseg; k++)
		FUZZ_CHECK(r->seg[k] != NULL, "segment %d is NULL", k);
	for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
		FUZZ_CHECK(hdr[i] == NULL || strlen(hdr[i]) <= OSB_MAX_HEADER_LEN,
		    "header %zu longer than the limit", i);
	if (r->body != NULL) {
		FUZZ_CHECK(r->body_len <= srv.cfg.max_body, "body of %zu "
		    "bytes accepted over the limit", r->body_len);
		FUZZ_CHECK(r->body_len <= f->bodylen &&
		    memcmp(r->body, f->body, r->body_len) == 0,
		    "the body is not what was sent");
		FUZZ_CHECK(r->body[r->body_len] == '\0', "body not terminated");
	} else
		FUZZ_CHECK(r->body_len == 0, "body_len without a body");
	/* Logged and echoed: printable ASCII only (log.h). */
	check_printable("request identity", r->request_identity);
	check_printable("method name", r->method_name);
	check_printable("REMOTE_ADDR", r->remote);
}

/* ---- the reply ------------------------------------------------------------ */

static int
header_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-", s[i]) == NULL || s[i] == '\0')
			return 0;
	return 1;
}

/* The CGI-style reply server_handle() wrote: a status line, well-formed
 * header lines (no CR or LF inside one: a header value must not split the
 * response), a blank line, and a body of Content-Length bytes that is one
 * UTF-8 JSON object with a description for errors; none for 304.  Returns
 * the status. */
static int
check_reply(const struct fake *f, const char *rid)
{
	const char	*out = f->out, *p, *eol, *colon, *body;
	size_t		 blen, cl = (size_t)-1;
	int		 status, saw_rid = 0;
	char		 line[64];
	const cJSON	*d;
	cJSON		*doc;

	FUZZ_CHECK(out != NULL && f->outlen == strlen(out), "no reply, or "
	    "a NUL in it");
	FUZZ_CHECK(sscanf(out, "Status: %3d ", &status) == 1 &&
	    status >= 200 && status <= 599, "status line: %.40s", out);
	snprintf(line, sizeof(line), "Status: %d %s\r\n", status,
	    response_reason(status));
	FUZZ_CHECK(strncmp(out, line, strlen(line)) == 0, "status line: %.60s",
	    out);
	for (p = out + strlen(line);; p = eol + 2) {
		eol = strstr(p, "\r\n");
		FUZZ_CHECK(eol != NULL, "headers do not end");
		if (eol == p)
			break;
		FUZZ_CHECK(memchr(p, '\n', (size_t)(eol - p)) == NULL &&
		    memchr(p, '\r', (size_t)(eol - p)) == NULL,
		    "a header line holds CR or LF: %.*s", (int)(eol - p), p);
		colon = memchr(p, ':', (size_t)(eol - p));
		FUZZ_CHECK(colon != NULL && header_name_ok(p,
		    (size_t)(colon - p)) && colon[1] == ' ',
		    "malformed header line: %.*s", (int)(eol - p), p);
		if (strncmp(p, "Content-Length: ", 16) == 0)
			cl = strtoul(p + 16, NULL, 10);
		if (strncmp(p, "X-Broker-API-Request-Identity: ", 31) == 0) {
			saw_rid = 1;
			FUZZ_CHECK(rid != NULL && strlen(rid) ==
			    (size_t)(eol - p - 31) && strncmp(p + 31, rid,
			    strlen(rid)) == 0, "request identity not echoed "
			    "as sent");
		}
	}
	body = p + 2;
	blen = f->outlen - (size_t)(body - out);
	FUZZ_CHECK(saw_rid == (rid != NULL), "request identity %s",
	    saw_rid ? "echoed though none was sent" : "not echoed");
	if (status == 304) {
		FUZZ_CHECK(blen == 0, "a body in a 304 reply");
		return status;
	}
	FUZZ_CHECK(cl == blen, "Content-Length %zu for %zu bytes", cl, blen);
	FUZZ_CHECK(util_utf8_valid(body, blen), "the body is not UTF-8: %.*s",
	    (int)blen, body);
	doc = cJSON_ParseWithLength(body, blen);
	FUZZ_CHECK(cJSON_IsObject(doc), "the body is not a JSON object: %.*s",
	    (int)blen, body);
	if (status >= 400) {
		d = cJSON_GetObjectItemCaseSensitive(doc, "description");
		FUZZ_CHECK(cJSON_IsString(d) && d->valuestring[0] != '\0',
		    "error %d without a description", status);
	}
	cJSON_Delete(doc);
	return status;
}

/* The log line of one request: one line, printable ASCII. */
static void
check_log(void)
{
	char	 buf[4096];
	ssize_t	 n;

	n = pread(capfd, buf, sizeof(buf) - 1, 0);
	FUZZ_CHECK(n > 0, "no log line");
	buf[n] = '\0';
	if (show)
		fprintf(stderr, "  log: %s", buf);
	FUZZ_CHECK(buf[n - 1] == '\n' && strchr(buf, '\n') == buf + n - 1,
	    "not one log line: %s", buf);
	buf[n - 1] = '\0';
	check_printable("the log line", buf);
}

/* ---- the store -------------------------------------------------------------- */

/* Everything in the store, as one comparable text. */
struct snap {
	char	*s;
	size_t	 len, cap;
};

static void
snap_add(struct snap *sn, const char *p, size_t n)
{
	if (sn->len + n + 1 > sn->cap) {
		sn->cap = (sn->len + n + 1) * 2;
		if ((sn->s = realloc(sn->s, sn->cap)) == NULL)
			abort();
	}
	memcpy(sn->s + sn->len, p, n);
	sn->len += n;
	sn->s[sn->len] = '\0';
}

static int
snap_record(const char *key, const char *val, size_t len, void *arg)
{
	char	 n[32];

	snap_add(arg, key, strlen(key) + 1);
	snprintf(n, sizeof(n), "%zu:", len);
	snap_add(arg, n, strlen(n));
	snap_add(arg, val, len);
	return 0;
}

static void
snapshot(struct snap *sn)
{
	struct store_txn	*t;
	int			 tb;

	sn->len = 0;
	snap_add(sn, "", 0);
	FUZZ_CHECK(store_begin(srv.store, 0, NULL, &t) == STORE_OK, "store_begin: "
	    "%s", store_strerror(srv.store));
	for (tb = 0; tb < T__COUNT; tb++) {
		snap_add(sn, "\n#", 2);
		FUZZ_CHECK(store_scan(t, tb, "", snap_record, sn) == STORE_OK,
		    "store_scan: %s", store_strerror(srv.store));
	}
	store_abort(t);
}

static int
snap_same(const struct snap *a, const struct snap *b)
{
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

static int
found_one(const char *key, const char *val, size_t len, void *arg)
{
	(void)key;
	(void)val;
	(void)len;
	*(int *)arg = 1;
	return 1;
}

/* 1 when table tb holds key (prefix: a key starting with it). */
static int
stored(enum store_table tb, const char *key, int prefix)
{
	struct store_txn	*t;
	char			*v = NULL;
	size_t			 n;
	enum store_rc		 rc;
	int			 found = 0;

	FUZZ_CHECK(store_begin(srv.store, 0, NULL, &t) == STORE_OK, "store_begin");
	if (prefix) {
		rc = store_scan(t, tb, key, found_one, &found);
		if (rc == STORE_OK && !found)
			rc = STORE_NOTFOUND;
	} else
		rc = store_get(t, tb, key, &v, &n);
	store_abort(t);
	free(v);
	FUZZ_CHECK(rc == STORE_OK || rc == STORE_NOTFOUND, "store: %s",
	    store_strerror(srv.store));
	return rc == STORE_OK;
}

/* Every instance and binding names a service and plan of the catalog. */
static int
plan_known(const char *key, const char *val, size_t len, void *arg)
{
	struct catalog_plan	 p;
	cJSON			*doc = cJSON_ParseWithLength(val, len);
	const char		*sid, *pid;

	(void)arg;
	sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc,
	    "service_id"));
	pid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc,
	    "plan_id"));
	FUZZ_CHECK(sid != NULL && pid != NULL && catalog_lookup(srv.catalog,
	    sid, pid, &p) == CATALOG_FOUND, "%s stored with service %s, plan "
	    "%s", key, sid ? sid : "-", pid ? pid : "-");
	cJSON_Delete(doc);
	return 0;
}

static void
check_consistent(void)
{
	struct store_txn	*t;

	if (verify_store(srv.store, srv.catalog, devnull) != 0) {
		verify_store(srv.store, srv.catalog, stderr);
		FUZZ_CHECK(0, "verify_store found problems");
	}
	FUZZ_CHECK(store_begin(srv.store, 0, NULL, &t) == STORE_OK, "store_begin");
	FUZZ_CHECK(store_scan(t, T_INSTANCES, "", plan_known, NULL) ==
	    STORE_OK && store_scan(t, T_BINDINGS, "", plan_known, NULL) ==
	    STORE_OK, "store_scan");
	store_abort(t);
}

/* A routed instance or binding: /v2/service_instances/ID[/service_bindings/ID]. */
static int
routed(const struct request *r)
{
	if (r->nseg != 3 && r->nseg != 5)
		return 0;
	if (strcmp(r->seg[0], "v2") != 0 ||
	    strcmp(r->seg[1], "service_instances") != 0)
		return 0;
	return r->nseg == 3 || strcmp(r->seg[3], "service_bindings") == 0;
}

/* The store key of a routed request's record. */
static void
record_key(const struct request *r, char *key, size_t len)
{
	snprintf(key, len, "%s%s%s", r->seg[2], r->nseg == 5 ? "/" : "",
	    r->nseg == 5 ? r->seg[4] : "");
}

/* What one request did to the store, by its answer. */
static void
check_store(const struct request *r, int is_routed, int status,
    const struct snap *before, const struct snap *after, int existed)
{
	enum store_table	 tb;
	char			 key[2 * OSB_MAX_ID_LEN + 2];
	int			 binding, now;

	FUZZ_CHECK(status != 202, "202: nothing here is asynchronous");
	FUZZ_CHECK(status < 500, "%d", status);
	if (status >= 400 || r->method == M_GET)
		FUZZ_CHECK(snap_same(before, after), "a %d to %s changed the "
		    "store", status, r->method_name);
	if (!snap_same(before, after))
		check_consistent();
	if (!is_routed || status >= 300)
		return;
	binding = r->nseg == 5;
	tb = binding ? T_BINDINGS : T_INSTANCES;
	record_key(r, key, sizeof(key));
	now = stored(tb, key, 0);
	if (r->method == M_PUT || r->method == M_PATCH)
		FUZZ_CHECK(now, "%d to %s %s without a record", status,
		    r->method_name, key);
	if (status == 201)
		FUZZ_CHECK(!existed, "201 for %s, which existed", key);
	if (r->method == M_DELETE) {
		FUZZ_CHECK(!now, "%d to DELETE %s left it", status, key);
		if (!binding) {
			snprintf(key, sizeof(key), "%s/", r->seg[2]);
			FUZZ_CHECK(!stored(T_BINDINGS, key, 1), "DELETE %s "
			    "left bindings", r->seg[2]);
		}
	}
}

/* Put the store back as every input starts (records[]). */
static void
store_reset(void)
{
	struct store_txn	*t;
	size_t			 i;
	int			 tb;

	FUZZ_CHECK(store_begin(srv.store, 1, NULL, &t) == STORE_OK, "store_begin: "
	    "%s", store_strerror(srv.store));
	for (tb = 0; tb < T__COUNT; tb++)
		if (tb != T_META)
			FUZZ_CHECK(store_del_prefix(t, tb, "", NULL) ==
			    STORE_OK, "store_del_prefix");
	for (i = 0; i < sizeof(records) / sizeof(records[0]); i++)
		FUZZ_CHECK(store_put(t, records[i].tb, records[i].key,
		    records[i].json, strlen(records[i].json)) == STORE_OK,
		    "store_put: %s", store_strerror(srv.store));
	FUZZ_CHECK(store_commit(t) == STORE_OK, "store_commit: %s",
	    store_strerror(srv.store));
}

/* ---- one request ------------------------------------------------------------ */

static void
one_request(const uint8_t *data, size_t size, struct snap *before,
    struct snap *after)
{
	struct fake	 f;
	struct io	 io = { fake_param, fake_read, fake_write, &f };
	struct request	 req;
	struct response	 resp;
	char		 key[2 * OSB_MAX_ID_LEN + 2];
	int		 ok, status, r, valid, existed = 0;

	fake_parse(&f, data, size);
	/* The request on its own, for its properties and its route. */
	response_init(&resp);
	ok = request_read(&req, &io, &srv.cfg, &resp) == 0;
	response_free(&resp);
	check_query(&req);
	if (ok)
		check_request(&req, &f);
	/* Only ids the server could accept name a record (longer keys
	 * cannot even be looked up). */
	r = ok && routed(&req);
	valid = r && is_id(req.seg[2]) && (req.nseg == 3 || is_id(req.seg[4]));
	if (valid) {
		record_key(&req, key, sizeof(key));
		existed = stored(req.nseg == 5 ? T_BINDINGS : T_INSTANCES, key,
		    0);
	}
	f.pos = 0;

	snapshot(before);
	if (capture) {
		if (ftruncate(capfd, 0) == -1 || lseek(capfd, 0, SEEK_SET) ==
		    -1 || dup2(capfd, 2) == -1)
			fuzz_die("capture: %s", strerror(errno));
	}
	server_handle(&io, &srv);
	if (capture && dup2(outfd, 2) == -1)
		fuzz_die("dup2: %s", strerror(errno));
	status = check_reply(&f, req.request_identity);
	if (show)
		fprintf(stderr, "fuzz_request: %.*s\n", (int)strcspn(f.out,
		    "\r"), f.out);
	if (capture)
		check_log();
	snapshot(after);
	check_store(&req, valid, status, before, after, existed);
	/* Authentication, once the request is read: the default value
	 * passes, none fails. */
	if (!ok)
		;
	else if (fake_param(&io, "HTTP_AUTHORIZATION") == NULL)
		FUZZ_CHECK(status == 401, "%d without Authorization", status);
	else if (strcmp(fake_param(&io, "HTTP_AUTHORIZATION"), GOOD_AUTH) == 0)
		FUZZ_CHECK(status != 401, "401 with the right password");
	if (status >= 200 && status < 300 && r)
		FUZZ_CHECK(valid, "%d for an invalid id", status);
	request_free(&req);
	fake_free(&f);
}

/* ---- set-up ------------------------------------------------------------------ */

static void
setenv_or_die(const char *name, const char *value)
{
	if (setenv(name, value, 1) == -1)
		fuzz_die("setenv %s", name);
}

/* The environment server_open() reads: ours alone. */
static void
environment(void)
{
	extern char	**environ;
	struct timespec	  ts[2] = { { CATALOG_MTIME, 0 }, { CATALOG_MTIME, 0 } };
	const char	 *catalog, *hash;
	char		 *name, *line;
	size_t		  i;

	for (i = 0; environ[i] != NULL;) {
		if (strncmp(environ[i], "OSBROKER_", 9) != 0) {
			i++;
			continue;
		}
		name = strndup(environ[i], strcspn(environ[i], "="));
		if (name == NULL || unsetenv(name) == -1)
			fuzz_die("unsetenv");
		free(name);
	}
	if (strstr(catalog_text, "hooks") != NULL ||
	    strstr(catalog_text, "async") != NULL)
		fuzz_die("the catalog must not run programs");
	/* A file with a fixed date, so If-Modified-Since is deterministic. */
	catalog = fuzz_tmp_make("catalog.yml", catalog_text, 0644);
	if (utimensat(AT_FDCWD, catalog, ts, 0) == -1)
		fuzz_die("utimensat %s: %s", catalog, strerror(errno));
	/* md5crypt with a fixed salt: cheap, and auth.c takes any $id$. */
	if ((hash = crypt(PASSWORD, "$1$fuzzreq$")) == NULL || hash[0] != '$')
		fuzz_die("crypt");
	if (asprintf(&line, "%s:%s\n", USER, hash) == -1)
		abort();
	setenv_or_die("OSBROKER_CREDENTIALS", fuzz_tmp_make("credentials",
	    line, 0600));
	free(line);
	snprintf(state_dir, sizeof(state_dir), "%s",
	    fuzz_tmp_make("state", NULL, 0700));
	setenv_or_die("OSBROKER_STATE_DIR", state_dir);
	setenv_or_die("OSBROKER_CATALOG", catalog);
	setenv_or_die("OSBROKER_MAX_BODY", "1024");
	setenv_or_die("OSBROKER_MAP_SIZE", "8388608");
	/* No budget of failed authentications: it would carry one input's
	 * wrong passwords into the next (a 429 where the input alone would
	 * get 401); tests/unit/test_throttle.c and test_throttle.py test it. */
	setenv_or_die("OSBROKER_AUTH_FAILURES", "0");
}

/* The state directory's files (the store, the compiled catalog, the shared
 * password cache) are the server's: remove whatever is there. */
static void
state_cleanup(void)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[8192];

	server_close(&srv);
	if ((d = opendir(state_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", state_dir,
			    e->d_name);
			unlink(path);
		}
	closedir(d);
}

/* libFuzzer closes fd 2 (-close_fd_mask=2) unless told otherwise: the
 * server logs a line per request there.  Its own output and the
 * sanitizers' reports go to a copy of fd 2, and so do this file's
 * messages (stderr is replaced by a copy of fd 2 here). */
static void
quiet_log(int *argc, char ***argv)
{
	static char	 flag[] = "-close_fd_mask=2";
	static char	**args;
	const char	*given = NULL;
	int		 i, fd;
	FILE		*err = NULL;

	for (i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], "-close_fd_mask=", 15) == 0)
			given = (*argv)[i] + 15;
	if (given == NULL) {
		if ((args = calloc((size_t)*argc + 2, sizeof(*args))) == NULL)
			abort();
		args[0] = (*argv)[0];
		args[1] = flag;
		for (i = 1; i < *argc; i++)
			args[i + 1] = (*argv)[i];
		(*argc)++;
		*argv = args;
	} else if ((atoi(given) & 2) == 0)
		return;
	if ((fd = dup(2)) == -1 || (err = fdopen(fd, "w")) == NULL)
		fuzz_die("dup: %s", strerror(errno));
	setvbuf(err, NULL, _IONBF, 0);
	stderr = err;
	if ((capfd = memfd_create("fuzz_request-log", 0)) == -1)
		fuzz_die("memfd_create: %s", strerror(errno));
	capture = 1;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[1024];

	quiet_log(argc, argv);
	show = getenv("FUZZ_SHOW") != NULL && strcmp(getenv("FUZZ_SHOW"),
	    "1") == 0;
	log_init("fuzz_request");
	environment();
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		fuzz_die("/dev/null: %s", strerror(errno));
	if (server_open(&srv, err, sizeof(err)) == -1)
		fuzz_die("server_open: %s", err);
	/* One process for every input, as a CGI one for one request: the
	 * store it opens for the first that needs it, opened now. */
	if (server_open_store(&srv, err, sizeof(err)) == -1)
		fuzz_die("server_open_store: %s", err);
	atexit(state_cleanup);
	if (srv.cfg.max_body != MAX_BODY)
		fuzz_die("OSBROKER_MAX_BODY not taken");
	store_reset();
	check_consistent();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snap	 base, before, after;
	const uint8_t		*p = data, *end = data + size, *sep;
	size_t			 n;
	int			 i;

	if (base.s == NULL)
		snapshot(&base);
	/* fd 2 as libFuzzer left it, for after each capture. */
	if (capture && outfd == -1 && (outfd = dup(2)) == -1)
		fuzz_die("dup: %s", strerror(errno));
	for (i = 0; i < MAX_REQUESTS && p <= end; i++) {
		sep = memmem(p, (size_t)(end - p), SEPARATOR,
		    sizeof(SEPARATOR) - 1);
		n = (size_t)((sep != NULL ? sep : end) - p);
		one_request(p, n, &before, &after);
		if (sep == NULL)
			break;
		p = sep + sizeof(SEPARATOR) - 1;
	}
	snapshot(&after);
	if (!snap_same(&after, &base)) {
		store_reset();
		snapshot(&after);
		FUZZ_CHECK(snap_same(&after, &base), "the store was not reset");
	}
	return 0;
}
