/* SPDX-License-Identifier: ISC */
/*
 * fuzz_request: the request front, as src/server.c's server_handle() runs
 * it before a handler touches the store: request_read() over a fake
 * struct io (method, path, query string, the X-Broker-API-* headers,
 * Authorization, conditional headers, body), route_match(),
 * version_check(), identity_decode(), then what the handlers do first with
 * the request (the body through jsonin and its typed getters, the
 * required query parameters of deletes, accepts_incomplete), and
 * response_render() of whatever response resulted.  The read-only
 * endpoints run their real handlers: GET /v2/catalog (h_catalog:
 * If-None-Match, If-Modified-Since) and the GETs of instances, bindings and
 * their last_operation, against a store in the temporary directory that
 * holds three finished records (inst-1, its binding bind-1, inst-f whose
 * provision failed) and is never written after start-up, so every input
 * sees the same state.  Other requests get a 200 echoing what was read.
 * Basic auth has a target of its own (fuzz_auth).
 *
 * Input framing, text so that seeds stay readable:
 *
 *   NAME=value\n     one CGI/FastCGI parameter (REQUEST_METHOD=PUT,
 *   ...              HTTP_AUTHORIZATION=Basic ...); a name not listed is
 *                    absent, "NAME=" is present and empty; a value ends
 *                    at a NUL byte as a C string would
 *   \n               an empty line ends the parameters
 *   body             every byte after it
 *
 * Without a CONTENT_LENGTH line a non-empty body gets its length as
 * CONTENT_LENGTH, as a web server sends it.  The body is handed out a few
 * bytes per read.  The configuration is config_load()'s defaults (the
 * environment's OSBROKER_* variables are ignored) but for a body limit of
 * 1024 bytes, so that 413 is reachable.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "config.h"
#include "fuzz.h"
#include "h_common.h"
#include "handlers.h"
#include "identity.h"
#include "io.h"
#include "jsonin.h"
#include "limits.h"
#include "log.h"
#include "records.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "store.h"
#include "util.h"
#include "version.h"

#define MAX_PARAMS	64
#define READ_CHUNK	5
#define MAX_BODY	1024
#define CATALOG_MTIME	1735689600	/* 2025-01-01T00:00:00Z */

static const char catalog_text[] =
    "services:\n"
    "- id: svc-1\n"
    "  name: fuzz-svc\n"
    "  description: a service\n"
    "  bindable: true\n"
    "  instances_retrievable: true\n"
    "  bindings_retrievable: true\n"
    "  plans:\n"
    "  - id: plan-1\n"
    "    name: small\n"
    "    description: a plan\n"
    "    maintenance_info: {version: 1.0.0}\n";

/* The store's records, as op.c and the handlers write them. */
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

static struct config	 cfg;
static struct catalog	*catalog;
static struct store	*store;

struct fake {
	char		*name[MAX_PARAMS];
	char		*value[MAX_PARAMS];
	int		 n;
	const uint8_t	*body;
	size_t		 bodylen, pos;
	char		 cl[32];
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
	(void)io;
	(void)buf;
	(void)n;
	return 0;
}

/* Split the input into parameters and body (see the top of the file). */
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
		if (eq != NULL && f->n < MAX_PARAMS) {
			f->name[f->n] = fuzz_copy(p, (size_t)(eq - p));
			f->value[f->n] = fuzz_copy(eq + 1, (size_t)(nl - eq - 1));
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
}

/* ---- properties ---------------------------------------------------------- */

/* RFC 3986 unreserved, 1..OSB_MAX_ID_LEN: written again here rather than
 * trusting util.c's util_id_valid(), which is what is being checked. */
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
check_request(const struct request *r, const struct fake *f)
{
	const char	*hdr[] = { r->authorization, r->api_version,
			    r->originating_identity, r->request_identity,
			    r->if_none_match, r->if_modified_since };
	const char	*s;
	size_t		 i;
	int		 k;

	FUZZ_CHECK(r->path != NULL, "accepted request without a path");
	FUZZ_CHECK(r->nseg >= 0 && r->nseg <= REQUEST_MAX_SEGMENTS,
	    "nseg %d", r->nseg);
	for (k = 0; k < r->nseg; k++)
		FUZZ_CHECK(r->seg[k] != NULL, "segment %d is NULL", k);
	FUZZ_CHECK(r->nquery >= 0 && r->nquery <= OSB_MAX_QUERY_PARAMS,
	    "nquery %d", r->nquery);
	for (k = 0; k < r->nquery; k++) {
		FUZZ_CHECK(r->query[k].key != NULL && r->query[k].val != NULL,
		    "query parameter %d is NULL", k);
		s = request_query(r, r->query[k].key);
		FUZZ_CHECK(s != NULL, "request_query misses its own key");
	}
	for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
		FUZZ_CHECK(hdr[i] == NULL || strlen(hdr[i]) <= OSB_MAX_HEADER_LEN,
		    "header %zu longer than the limit", i);
	/* Echoed in a response header and logged: printable ASCII only. */
	for (s = r->request_identity; s != NULL && *s != '\0'; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f,
		    "request identity keeps byte 0x%02x", (unsigned char)*s);
	if (r->body != NULL) {
		FUZZ_CHECK(r->body_len <= cfg.max_body, "body of %zu bytes "
		    "accepted over the limit", r->body_len);
		FUZZ_CHECK(r->body_len <= f->bodylen &&
		    memcmp(r->body, f->body, r->body_len) == 0,
		    "the body is not what was sent");
		FUZZ_CHECK(r->body[r->body_len] == '\0', "body not terminated");
	} else
		FUZZ_CHECK(r->body_len == 0, "body_len without a body");
	/* Logged as it is and echoed in 405 descriptions: printable ASCII
	 * only, like every other logged value from outside (log.h). */
	for (s = r->method_name; *s != '\0'; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f, "method name keeps byte "
		    "0x%02x", (unsigned char)*s);
	for (s = r->remote; *s != '\0'; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f, "REMOTE_ADDR keeps 0x%02x",
		    (unsigned char)*s);
}

static void
check_route(const struct request *r, const struct route *rt)
{
	static const int nseg[] = { [R_CATALOG] = 2, [R_INSTANCE] = 3,
	    [R_INSTANCE_LASTOP] = 4, [R_BINDING] = 5, [R_BINDING_LASTOP] = 6 };
	int ok;

	FUZZ_CHECK(rt->id >= R_CATALOG && rt->id <= R_BINDING_LASTOP,
	    "route %d", (int)rt->id);
	FUZZ_CHECK(r->nseg == nseg[rt->id], "route %d with %d segments",
	    (int)rt->id, r->nseg);
	FUZZ_CHECK(!r->bad_path && !r->path_too_deep, "flagged path routed");
	FUZZ_CHECK(strcmp(r->seg[0], "v2") == 0, "routed without /v2");
	if (rt->id != R_CATALOG)
		FUZZ_CHECK(rt->instance_id != NULL && is_id(rt->instance_id),
		    "instance id \"%s\" accepted", rt->instance_id);
	else
		FUZZ_CHECK(rt->instance_id == NULL, "catalog with an id");
	if (rt->id == R_BINDING || rt->id == R_BINDING_LASTOP)
		FUZZ_CHECK(rt->binding_id != NULL && is_id(rt->binding_id),
		    "binding id \"%s\" accepted", rt->binding_id);
	else
		FUZZ_CHECK(rt->binding_id == NULL, "binding id off a binding");
	switch (rt->id) {
	case R_INSTANCE:
		ok = r->method == M_GET || r->method == M_PUT ||
		    r->method == M_PATCH || r->method == M_DELETE;
		break;
	case R_BINDING:
		ok = r->method == M_GET || r->method == M_PUT ||
		    r->method == M_DELETE;
		break;
	default:
		ok = r->method == M_GET;
		break;
	}
	FUZZ_CHECK(ok, "method %s allowed on route %d", r->method_name,
	    (int)rt->id);
}

/* X-Broker-API-Version: MAJOR.MINOR, both decimal (leading zeros are
 * decimal too: "02.017" is 2.17), parsed independently. */
static long
decimal(const char **p)
{
	long	 v = 0;
	int	 digits = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++, digits++)
		if (v < 10000000)
			v = v * 10 + (**p - '0');
	return digits > 0 ? v : -1;
}

static void
check_version(const char *h, int min_minor, int minor)
{
	const char	*p = h;
	long		 major, v;

	FUZZ_CHECK(h != NULL, "no version header accepted");
	major = decimal(&p);
	FUZZ_CHECK(major == 2 && *p++ == '.', "version \"%s\" accepted", h);
	v = decimal(&p);
	FUZZ_CHECK(v >= 0 && *p == '\0', "version \"%s\" accepted", h);
	FUZZ_CHECK(v == minor && minor >= min_minor,
	    "version \"%s\" gave minor %d (route needs %d)", h, minor,
	    min_minor);
}

static void
check_identity(const char *h, const cJSON *id)
{
	const cJSON	*platform, *value;
	const char	*sp;

	if (h == NULL) {
		FUZZ_CHECK(id == NULL, "identity without a header");
		return;
	}
	FUZZ_CHECK(id != NULL, "no identity for \"%s\"", h);
	platform = cJSON_GetObjectItemCaseSensitive(id, "platform");
	value = cJSON_GetObjectItemCaseSensitive(id, "value");
	sp = strchr(h, ' ');
	FUZZ_CHECK(sp != NULL && cJSON_IsString(platform) &&
	    strlen(platform->valuestring) == (size_t)(sp - h) &&
	    strncmp(platform->valuestring, h, (size_t)(sp - h)) == 0,
	    "platform of \"%s\"", h);
	FUZZ_CHECK(cJSON_IsObject(value), "identity value is not an object");
}

static void
check_error(const struct response *resp)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(resp->body,
	    "description");

	FUZZ_CHECK(resp->status >= 400 && resp->status <= 599,
	    "error status %d", resp->status);
	FUZZ_CHECK(cJSON_IsString(d) && d->valuestring[0] != '\0',
	    "error %d without a description", resp->status);
}

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


/* The CGI-style reply: a status line, well-formed header lines (no CR or
 * LF inside one: a header value must not split the response), a blank
 * line, a body of Content-Length bytes that is one UTF-8 JSON object. */
static void
check_render(const struct response *resp, const struct request *r)
{
	const char	*rid = r->request_identity;
	char		 status[64];
	char		*out;
	const char	*p, *eol, *colon, *body;
	size_t		 len, blen, cl = (size_t)-1;
	int		 saw_rid = 0, n;
	cJSON		*doc;

	out = response_render(resp, rid, &len);
	FUZZ_CHECK(out != NULL, "response_render failed (status %d)",
	    resp->status);
	n = snprintf(status, sizeof(status), "Status: %d %s\r\n", resp->status,
	    response_reason(resp->status));
	FUZZ_CHECK(len >= (size_t)n && strncmp(out, status, (size_t)n) == 0,
	    "status line of %d", resp->status);
	for (p = out + n;; p = eol + 2) {
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
	blen = len - (size_t)(body - out);
	FUZZ_CHECK(saw_rid == (rid != NULL), "request identity %s",
	    saw_rid ? "echoed though none was sent" : "not echoed");
	if (resp->no_body) {
		FUZZ_CHECK(blen == 0, "a body in a %d reply", resp->status);
	} else {
		FUZZ_CHECK(cl == blen, "Content-Length %zu for %zu bytes", cl,
		    blen);
		FUZZ_CHECK(util_utf8_valid(body, blen), "the body is not UTF-8: %.*s",
		    (int)blen, body);
		doc = cJSON_ParseWithLength(body, blen);
		FUZZ_CHECK(cJSON_IsObject(doc), "the body is not a JSON "
		    "object: %.*s", (int)blen, body);
		cJSON_Delete(doc);
	}
	free(out);
}

/* ---- what the handlers do first ---------------------------------------- */

/* A typed getter as the handlers call it, with its contract checked. */
static void
get_string(const cJSON *obj, const char *name, int required, cJSON *echo,
    int *failed, struct response *resp)
{
	const char	*v = (const char *)1;
	int		 rc;

	if (*failed)
		return;
	rc = jsonin_string(obj, name, required, &v, resp);
	if (rc == -1) {
		FUZZ_CHECK(v == NULL && resp->status == 400,
		    "jsonin_string failed with %d", resp->status);
		*failed = 1;
		return;
	}
	FUZZ_CHECK(rc == 0, "jsonin_string returned %d", rc);
	FUZZ_CHECK(v == NULL ? !required : *v != '\0',
	    "jsonin_string(%s) gave %s", name, v ? "\"\"" : "nothing");
	if (v != NULL)
		cJSON_AddStringToObject(echo, name, v);
}

static const cJSON *
get_object(const cJSON *obj, const char *name, int required, int *failed,
    struct response *resp)
{
	const cJSON	*v = (const cJSON *)1;
	int		 rc;

	if (*failed)
		return NULL;
	rc = jsonin_object(obj, name, required, &v, resp);
	if (rc == -1) {
		FUZZ_CHECK(v == NULL && resp->status == 400,
		    "jsonin_object failed with %d", resp->status);
		*failed = 1;
		return NULL;
	}
	FUZZ_CHECK(rc == 0 && (v == NULL ? !required : cJSON_IsObject(v)),
	    "jsonin_object(%s)", name);
	return v;
}

/* The fields h_instance_put/patch and h_binding_put read, in their order. */
static void
read_body(const struct ctx *c, cJSON *echo, struct response *resp)
{
	const cJSON	*body, *ctxo, *mi, *br;
	cJSON		*root;
	int		 failed = 0;

	root = h_common_body(c, resp);		/* as the handlers read it */
	if (root == NULL) {
		FUZZ_CHECK(resp->status == 400, "h_common_body: %d",
		    resp->status);
		return;
	}
	body = root;
	FUZZ_CHECK(cJSON_IsObject(body), "jsonin_parse gave a non-object");
	if (c->rt->id == R_BINDING) {
		get_string(body, "predecessor_binding_id", 0, echo, &failed,
		    resp);
		get_string(body, "service_id", 0, echo, &failed, resp);
		get_string(body, "plan_id", 0, echo, &failed, resp);
		get_string(body, "app_guid", 0, echo, &failed, resp);
		br = get_object(body, "bind_resource", 0, &failed, resp);
		(void)get_object(body, "context", 0, &failed, resp);
		(void)get_object(body, "parameters", 0, &failed, resp);
		if (br != NULL)
			get_string(br, "app_guid", 0, echo, &failed, resp);
	} else {
		get_string(body, "service_id", 1, echo, &failed, resp);
		get_string(body, "plan_id", c->req->method == M_PUT, echo,
		    &failed, resp);
		ctxo = get_object(body, "context", 0, &failed, resp);
		if (c->req->method == M_PUT) {
			get_string(body, "organization_guid", ctxo == NULL, echo,
			    &failed, resp);
			get_string(body, "space_guid", ctxo == NULL, echo,
			    &failed, resp);
		}
		(void)get_object(body, "parameters", 0, &failed, resp);
		(void)get_object(body, "previous_values", 0, &failed, resp);
		mi = get_object(body, "maintenance_info", 0, &failed, resp);
		if (mi != NULL)
			get_string(mi, "version", 1, echo, &failed, resp);
	}
	cJSON_Delete(root);
	if (!failed)
		response_json(resp, 200, cJSON_Duplicate(echo, 1));
}

static void
answer(struct ctx *c, struct response *resp)
{
	const struct request	*r = c->req;
	const char		*op = request_query(r, "operation");
	cJSON			*echo;

	if (c->rt->id == R_CATALOG) {
		h_catalog(c, resp);
		FUZZ_CHECK((resp->status == 200 && !resp->no_body) ||
		    (resp->status == 304 && resp->no_body),
		    "catalog answered %d", resp->status);
		return;
	}
	if (r->method == M_GET) {
		switch (c->rt->id) {
		case R_INSTANCE:
			h_instance_get(c, resp);
			break;
		case R_INSTANCE_LASTOP:
			h_instance_lastop(c, resp);
			break;
		case R_BINDING:
			h_binding_get(c, resp);
			break;
		default:
			h_binding_lastop(c, resp);
			break;
		}
		FUZZ_CHECK(resp->status == 200 || resp->status == 400 ||
		    resp->status == 404 || resp->status == 422,
		    "GET answered %d", resp->status);
		if (resp->status != 200)
			check_error(resp);
		return;
	}
	if ((echo = cJSON_CreateObject()) == NULL)
		abort();
	cJSON_AddBoolToObject(echo, "accepts_incomplete",
	    h_common_accepts_incomplete(c));
	/* The echo is this harness's, not the broker's: it quotes query
	 * values (percent-decoded, any bytes) only when they are UTF-8. */
	if (op != NULL && strlen(op) <= OSB_MAX_OPERATION_LEN &&
	    util_utf8_valid(op, strlen(op)))
		cJSON_AddStringToObject(echo, "operation", op);
	if (r->method == M_DELETE) {
		if (h_common_require_ids(c, resp) == -1) {
			check_error(resp);
			FUZZ_CHECK(resp->status == 400, "delete without ids: "
			    "%d", resp->status);
		} else {
			FUZZ_CHECK(request_query(r, "service_id") != NULL &&
			    *request_query(r, "service_id") != '\0' &&
			    request_query(r, "plan_id") != NULL &&
			    *request_query(r, "plan_id") != '\0',
			    "delete ids accepted without both");
			response_json(resp, 200, cJSON_Duplicate(echo, 1));
		}
	} else if (r->method == M_PUT || r->method == M_PATCH) {
		read_body(c, echo, resp);
	} else
		response_json(resp, 200, cJSON_Duplicate(echo, 1));
	cJSON_Delete(echo);
}

/* ---- the target ------------------------------------------------------------ */

/* config_load() from an environment of our own: the defaults, a small
 * body limit, paths in the temporary directory. */
static void
load_config(void)
{
	extern char	**environ;
	char		  err[512], *name;
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
	if (setenv("OSBROKER_MAX_BODY", "1024", 1) == -1 ||
	    setenv("OSBROKER_STATE_DIR", fuzz_tmpdir(), 1) == -1)
		fuzz_die("setenv");
	if (config_load(&cfg, err, sizeof(err)) == -1)
		fuzz_die("config_load: %s", err);
	if (cfg.max_body != MAX_BODY)
		fuzz_die("OSBROKER_MAX_BODY not taken");
}

static void
open_store(void)
{
	struct store_txn	*t;
	const char		*dir;
	size_t			 i;

	dir = fuzz_tmp_make("state", NULL, 0700);
	if (store_open(dir, 1024 * 1024, &store) != STORE_OK)
		fuzz_die("store_open %s: %s", dir, store != NULL ?
		    store_strerror(store) : "out of memory");
	fuzz_tmp_track("state/data.mdb");
	fuzz_tmp_track("state/lock.mdb");
	if (store_begin(store, 1, &t) != STORE_OK)
		fuzz_die("store_begin: %s", store_strerror(store));
	for (i = 0; i < sizeof(records) / sizeof(records[0]); i++)
		if (store_put(t, records[i].tb, records[i].key, records[i].json,
		    strlen(records[i].json)) != STORE_OK)
			fuzz_die("store_put: %s", store_strerror(store));
	if (store_commit(t) != STORE_OK)
		fuzz_die("store_commit: %s", store_strerror(store));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct catalog_error	 ce;
	struct timespec		 ts[2] = { { CATALOG_MTIME, 0 },
				    { CATALOG_MTIME, 0 } };
	const char		*path;

	(void)argc;
	(void)argv;
	log_init("fuzz_request");
	load_config();
	/* A file, not a buffer, so that the catalog has a Last-Modified
	 * date; a fixed one, so If-Modified-Since is deterministic. */
	path = fuzz_tmp_make("catalog.yml", catalog_text, 0644);
	if (utimensat(AT_FDCWD, path, ts, 0) == -1)
		fuzz_die("utimensat %s: %s", path, strerror(errno));
	if (catalog_load(path, &catalog, &ce) == -1)
		fuzz_die("catalog: %d: %s", ce.line, ce.message);
	open_store();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake	 f;
	struct io	 io = { fake_param, fake_read, fake_write, &f };
	struct request	 req;
	struct response	 resp;
	struct route	 rt;
	struct ctx	 c;
	cJSON		*identity = NULL;
	char		 clean[256];
	int		 minor = -1;

	fake_parse(&f, data, size);
	response_init(&resp);
	if (request_read(&req, &io, &cfg, &resp) == -1) {
		check_error(&resp);
		goto out;
	}
	check_request(&req, &f);
	if (route_match(&req, &rt, &resp) == -1) {
		check_error(&resp);
		FUZZ_CHECK(resp.status == 404 || resp.status == 405 ||
		    resp.status == 400, "route_match: %d", resp.status);
		goto out;
	}
	check_route(&req, &rt);
	/* server.c's id_lengths(), with the default OSBROKER_MAX_ID_LEN:
	 * route_match() already holds ids to it. */
	FUZZ_CHECK((rt.instance_id == NULL ||
	    strlen(rt.instance_id) <= cfg.max_id_len) && (rt.binding_id ==
	    NULL || strlen(rt.binding_id) <= cfg.max_id_len),
	    "an id longer than OSBROKER_MAX_ID_LEN routed");
	if (version_check(req.api_version, rt.min_minor, &minor, &resp) == -1) {
		check_error(&resp);
		FUZZ_CHECK(resp.status == 400 || resp.status == 412,
		    "version_check: %d", resp.status);
		goto out;
	}
	check_version(req.api_version, rt.min_minor, minor);
	if (identity_decode(req.originating_identity, &identity, &resp) == -1) {
		check_error(&resp);
		FUZZ_CHECK(resp.status == 400 && identity == NULL,
		    "identity_decode: %d", resp.status);
		goto out;
	}
	check_identity(req.originating_identity, identity);
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.catalog = catalog;
	c.store = store;
	c.req = &req;
	c.rt = &rt;
	c.identity = identity;
	c.minor = minor;
	answer(&c, &resp);
out:
	check_render(&resp, &req);
	/* What log_request() does with the same fields. */
	log_clean(clean, sizeof(clean), req.path != NULL ? req.path : "-");
	log_clean(clean, sizeof(clean), resp.log_note);
	cJSON_Delete(identity);
	response_free(&resp);
	request_free(&req);
	fake_free(&f);
	return 0;
}
