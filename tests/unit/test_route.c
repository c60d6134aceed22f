/* SPDX-License-Identifier: ISC */
/*
 * test_route.c: route_match() on requests gathered by request_read() — every
 * route and method, 404 for unknown paths, 405 with Allow, 400 for bad ids,
 * and the minimum API minor of the 2.14 endpoints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "config.h"
#include "io.h"
#include "limits.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "resp_desc.h"
#include "tap.h"

struct fake {
	const char	*method;
	const char	*uri;
};

static const char *
fake_param(struct io *io, const char *name)
{
	struct fake *f = io->ctx;

	if (strcmp(name, "REQUEST_METHOD") == 0)
		return f->method;
	if (strcmp(name, "REQUEST_URI") == 0)
		return f->uri;
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

static struct config cfg;

/* Route method + uri.  Returns route_match()'s result; *r must be freed. */
static int
route(const char *method, const char *uri, struct request *r,
    struct route *rt, struct response *err)
{
	struct fake	 f = { method, uri };
	struct io	 io = { fake_param, fake_read, fake_write, &f };

	response_init(err);
	if (request_read(r, &io, &cfg, err) == -1) {
		printf("#   request_read failed for %s %s\n", method, uri);
		return -2;
	}
	return route_match(r, rt, err);
}

static void
matches(const char *method, const char *uri, enum route_id id,
    const char *iid, const char *bid, int min_minor)
{
	struct request	 r;
	struct route	 rt;
	struct response	 err;
	int		 rc, ok;

	rc = route(method, uri, &r, &rt, &err);
	ok = rc == 0 && rt.id == id && rt.min_minor == min_minor &&
	    ((iid == NULL && rt.instance_id == NULL) || (iid != NULL &&
	    rt.instance_id != NULL && strcmp(iid, rt.instance_id) == 0)) &&
	    ((bid == NULL && rt.binding_id == NULL) || (bid != NULL &&
	    rt.binding_id != NULL && strcmp(bid, rt.binding_id) == 0));
	CHECK(ok, "%s %s -> route %d, min_minor %d", method, uri, (int)id,
	    min_minor);
	if (!ok)
		printf("#   rc %d id %d min %d iid %s bid %s status %d\n", rc,
		    (int)rt.id, rt.min_minor,
		    rt.instance_id ? rt.instance_id : "(null)",
		    rt.binding_id ? rt.binding_id : "(null)", err.status);
	request_free(&r);
	response_free(&err);
}

/* Must fail with status; for 405 the Allow header must be allow. */
static void
refuses(const char *method, const char *uri, int status, const char *allow)
{
	struct request	 r;
	struct route	 rt;
	struct response	 err;
	const char	*got = NULL;
	int		 rc, i, nallow = 0;

	rc = route(method, uri, &r, &rt, &err);
	for (i = 0; i < err.nheaders; i++)
		if (strcasecmp(err.headers[i].name, "Allow") == 0) {
			got = err.headers[i].value;
			nallow++;
		}
	CHECK(rc == -1 && err.status == status && desc(&err)[0] != '\0',
	    "%s %.60s%s -> %d", method, uri, strlen(uri) > 60 ? "..." : "",
	    status);
	if (rc != -1 || err.status != status)
		printf("#   rc %d status %d\n", rc, err.status);
	if (allow != NULL) {
		CHECK(nallow == 1 && got != NULL && strcmp(got, allow) == 0,
		    "%s %s: Allow: %s", method, uri, allow);
		if (got != NULL && strcmp(got, allow) != 0)
			printf("#   got Allow: %s\n", got);
	} else if (status != 405) {
		CHECK(nallow == 0, "%s %s: no Allow header on %d", method, uri,
		    status);
	}
	request_free(&r);
	response_free(&err);
}

#define I "/v2/service_instances/i1"
#define B I "/service_bindings/b1"

static void
test_routes(void)
{
	matches("GET", "/v2/catalog", R_CATALOG, NULL, NULL, 0);
	matches("GET", "/v2/catalog?x=1", R_CATALOG, NULL, NULL, 0);
	matches("PUT", I, R_INSTANCE, "i1", NULL, 0);
	matches("GET", I, R_INSTANCE, "i1", NULL, OSB_API_MINOR_FETCH);
	matches("PATCH", I, R_INSTANCE, "i1", NULL, 0);
	matches("DELETE", I "?service_id=s&plan_id=p", R_INSTANCE, "i1", NULL,
	    0);
	matches("GET", I "/last_operation", R_INSTANCE_LASTOP, "i1", NULL, 0);
	matches("PUT", B, R_BINDING, "i1", "b1", 0);
	matches("GET", B, R_BINDING, "i1", "b1", OSB_API_MINOR_FETCH);
	matches("DELETE", B, R_BINDING, "i1", "b1", 0);
	matches("GET", B "/last_operation", R_BINDING_LASTOP, "i1", "b1",
	    OSB_API_MINOR_FETCH);
	matches("PUT", "/v2/service_instances/%61bc", R_INSTANCE, "abc", NULL,
	    0);
	matches("PUT", "/v2/service_instances/3abe3f39-ecb5-4647-b0e3-"
	    "ee10d64e1ca2", R_INSTANCE, "3abe3f39-ecb5-4647-b0e3-ee10d64e1ca2",
	    NULL, 0);
	matches("PUT", "/v2/service_instances/A.b_c~d", R_INSTANCE, "A.b_c~d",
	    NULL, 0);
}

static void
test_not_found(void)
{
	static const char *paths[] = {
		"/", "/v2", "/v2/", "/v3/catalog", "//v2/catalog",
		"/v2//catalog", "/v2/catalog/", "/v2/catalogs", "/V2/catalog",
		"/v2/Catalog", "/v2%2Fcatalog", "/v2/catalog/x",
		"/v2/service_instances", "/v2/service_instances/",
		I "/", I "/foo", I "/last_operation/", I "/last_operation/x",
		I "/service_bindings", I "/service_bindings/", B "/",
		B "/foo", B "/last_operation/", B "/last_operation/x",
		"/v2/service_bindings/b1", "/v2/service_instances/%zz",
		"/v2/service_instances/a%00b", "/1/2/3/4/5/6/7/8/9",
		"/cgi-bin/osbroker.cgi", "/v2/catalog%00",
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		refuses("GET", paths[i], 404, NULL);
	refuses("POST", "/nowhere", 404, NULL);
	refuses("DELETE", "/v2", 404, NULL);
}

static void
test_method_not_allowed(void)
{
	static const char *inst[] = { "POST", "HEAD", "OPTIONS", "get", "GE",
	    "PUTT", "T" };
	static const char *other[] = { "PUT", "PATCH", "DELETE", "POST",
	    "HEAD", "OPTIONS" };
	size_t i;

	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		refuses(other[i], "/v2/catalog", 405, "GET");
		refuses(other[i], I "/last_operation", 405, "GET");
		refuses(other[i], B "/last_operation", 405, "GET");
	}
	for (i = 0; i < sizeof(inst) / sizeof(inst[0]); i++)
		refuses(inst[i], I, 405, "GET, PUT, PATCH, DELETE");
	refuses("PATCH", B, 405, "GET, PUT, DELETE");
	refuses("POST", B, 405, "GET, PUT, DELETE");
	refuses("HEAD", B, 405, "GET, PUT, DELETE");
}

static void
test_bad_ids(void)
{
	char	 uri[1024], id[OSB_MAX_ID_LEN + 2];

	refuses("PUT", "/v2/service_instances/a%2Fb", 400, NULL);
	refuses("GET", "/v2/service_instances/a%2Fb/last_operation", 400, NULL);
	refuses("PUT", "/v2/service_instances/a%20b", 400, NULL);
	refuses("PUT", "/v2/service_instances/a:b", 400, NULL);
	refuses("PUT", "/v2/service_instances/a%25b", 400, NULL);
	refuses("PUT", "/v2/service_instances/%C3%A9", 400, NULL);
	refuses("PUT", "/v2/service_instances//service_bindings/b1", 400,
	    NULL);
	refuses("PUT", I "/service_bindings/b%2F1", 400, NULL);
	refuses("GET", I "/service_bindings/b%2F1/last_operation", 400, NULL);
	refuses("PUT", "/v2/service_instances/a%2Fb/service_bindings/b1", 400,
	    NULL);

	memset(id, 'x', OSB_MAX_ID_LEN);
	id[OSB_MAX_ID_LEN] = '\0';
	snprintf(uri, sizeof(uri), "/v2/service_instances/%s", id);
	matches("PUT", uri, R_INSTANCE, id, NULL, 0);
	snprintf(uri, sizeof(uri), I "/service_bindings/%s", id);
	matches("PUT", uri, R_BINDING, "i1", id, 0);
	id[OSB_MAX_ID_LEN] = 'x';
	id[OSB_MAX_ID_LEN + 1] = '\0';
	snprintf(uri, sizeof(uri), "/v2/service_instances/%s", id);
	refuses("PUT", uri, 400, NULL);
	snprintf(uri, sizeof(uri), I "/service_bindings/%s", id);
	refuses("PUT", uri, 400, NULL);
}

/* The operator's endpoints: /metrics, /healthz and /status route (GET only),
 * /healthz alone is public, and every request has the endpoint its
 * counters are kept under. */
static void
test_operator(void)
{
	static const struct {
		const char		*method, *uri;
		enum route_endpoint	 ep;
		int			 pub;
	} t[] = {
		{ "GET", "/v2/catalog", EP_CATALOG, 0 },
		{ "PUT", "/v2/service_instances/i", EP_PROVISION, 0 },
		{ "PATCH", "/v2/service_instances/i", EP_UPDATE, 0 },
		{ "DELETE", "/v2/service_instances/i", EP_DEPROVISION, 0 },
		{ "GET", "/v2/service_instances/i", EP_INSTANCE_FETCH, 0 },
		{ "GET", "/v2/service_instances/i/last_operation",
		    EP_INSTANCE_LASTOP, 0 },
		{ "PUT", "/v2/service_instances/i/service_bindings/b", EP_BIND,
		    0 },
		{ "DELETE", "/v2/service_instances/i/service_bindings/b",
		    EP_UNBIND, 0 },
		{ "GET", "/v2/service_instances/i/service_bindings/b",
		    EP_BINDING_FETCH, 0 },
		{ "GET", "/v2/service_instances/i/service_bindings/b/"
		    "last_operation", EP_BINDING_LASTOP, 0 },
		{ "GET", "/metrics", EP_METRICS, 0 },
		{ "GET", "/healthz", EP_HEALTHZ, 1 },
		{ "GET", "/status", EP_STATUS, 0 },
		{ "POST", "/status", EP_OTHER, 0 },
		{ "GET", "/status/x", EP_OTHER, 0 },
		{ "POST", "/healthz", EP_OTHER, 1 },
		{ "GET", "/healthz/x", EP_OTHER, 0 },
		{ "GET", "/v2/healthz", EP_OTHER, 0 },
		{ "POST", "/v2/catalog", EP_OTHER, 0 },
		{ "GET", "/nowhere", EP_OTHER, 0 },
	};
	struct request	 r;
	struct route	 rt;
	struct response	 err;
	size_t		 i;

	matches("GET", "/metrics", R_METRICS, NULL, NULL, 0);
	matches("GET", "/healthz", R_HEALTHZ, NULL, NULL, 0);
	matches("GET", "/status", R_STATUS, NULL, NULL, 0);
	refuses("PUT", "/metrics", 405, "GET");
	refuses("DELETE", "/status", 405, "GET");
	refuses("POST", "/healthz", 405, "GET");
	refuses("GET", "/metrics/x", 404, NULL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		(void)route(t[i].method, t[i].uri, &r, &rt, &err);
		CHECK(route_endpoint(&r) == t[i].ep && route_public(&r) ==
		    t[i].pub, "%s %s counts as %s%s", t[i].method, t[i].uri,
		    route_endpoint_name(t[i].ep), t[i].pub ? ", public" : "");
		request_free(&r);
		response_free(&err);
	}
	CHECK_STR(route_endpoint_name(EP__COUNT), "other",
	    "an endpoint out of range is named other");
}

int
main(void)
{
	cfg.max_body = OSB_DEFAULT_MAX_BODY;
	test_routes();
	test_not_found();
	test_method_not_allowed();
	test_bad_ids();
	test_operator();
	return tap_done();
}
