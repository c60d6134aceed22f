/* SPDX-License-Identifier: ISC */
/*
 * test_request.c: request_read() over a fake struct io — path splitting and
 * decoding, SCRIPT_NAME stripping, the query string, CONTENT_LENGTH and the
 * header limits.  Routing of the results is in test_route.c.
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
#include "resp_desc.h"
#include "tap.h"

/* A request as the web server would hand it over: parameters from a
 * NULL-terminated name/value table, the body from a buffer (handed out at
 * most `chunk` bytes per read, to exercise the read loop). */
struct fake {
	const char	**params;
	const char	 *body;
	size_t		  bodylen;
	size_t		  pos;
	size_t		  chunk;
	int		  nreads;
	int		  fail_read;
	char		  out[4096];
	size_t		  outlen;
};

static const char *
fake_param(struct io *io, const char *name)
{
	struct fake	*f = io->ctx;
	int		 i;

	for (i = 0; f->params[i] != NULL; i += 2)
		if (strcmp(f->params[i], name) == 0)
			return f->params[i + 1];
	return NULL;
}

static ssize_t
fake_read(struct io *io, char *buf, size_t n)
{
	struct fake	*f = io->ctx;
	size_t		 k = f->bodylen - f->pos;

	f->nreads++;
	if (f->fail_read)
		return -1;
	if (k > n)
		k = n;
	if (f->chunk > 0 && k > f->chunk)
		k = f->chunk;
	memcpy(buf, f->body + f->pos, k);
	f->pos += k;
	return (ssize_t)k;
}

static int
fake_write(struct io *io, const char *buf, size_t n)
{
	struct fake *f = io->ctx;

	if (n > sizeof(f->out) - f->outlen)
		return -1;
	memcpy(f->out + f->outlen, buf, n);
	f->outlen += n;
	return 0;
}

static struct config cfg;

/* Run request_read over params and body; returns its result. */
static int
run(const char **params, const char *body, struct fake *f, struct request *r,
    struct response *err)
{
	struct io io = { fake_param, fake_read, fake_write, f };

	memset(f, 0, sizeof(*f));
	f->params = params;
	f->body = body != NULL ? body : "";
	f->bodylen = body != NULL ? strlen(body) : 0;
	f->chunk = 3;
	response_init(err);
	return request_read(r, &io, &cfg, err);
}

/* The request must fail with status; checks a non-empty description. */
static void
fails(const char **params, const char *body, int status, const char *what)
{
	struct fake	 f;
	struct request	 r;
	struct response	 err;
	int		 rc;

	rc = run(params, body, &f, &r, &err);
	CHECK(rc == -1 && err.status == status && desc(&err)[0] != '\0',
	    "%s -> %d", what, status);
	if (rc != -1 || err.status != status)
		printf("#   rc %d, status %d\n", rc, err.status);
	request_free(&r);
	response_free(&err);
}

static void
test_method(void)
{
	static const char *get[] = { "REQUEST_METHOD", "GET",
	    "REQUEST_URI", "/v2/catalog", "REMOTE_ADDR", "127.0.0.1", NULL };
	static const char *lower[] = { "REQUEST_METHOD", "get", NULL };
	static const char *none[] = { NULL };
	static const char *names[] = { "HEAD", "PUT", "PATCH", "DELETE",
	    "POST", "OPTIONS" };
	static const enum method ms[] = { M_HEAD, M_PUT, M_PATCH, M_DELETE,
	    M_POST, M_OTHER };
	const char	*p[3] = { "REQUEST_METHOD", NULL, NULL };
	struct fake	 f;
	struct request	 r;
	struct response	 err;
	size_t		 i;
	int		 rc;

	rc = run(get, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.method == M_GET, "GET");
	CHECK_STR(r.method_name, "GET", "method name kept");
	CHECK_STR(r.remote, "127.0.0.1", "REMOTE_ADDR kept");
	CHECK(r.body == NULL && r.body_len == 0 && f.nreads == 0,
	    "no CONTENT_LENGTH: no body, nothing read");
	CHECK(r.authorization == NULL && r.api_version == NULL &&
	    r.originating_identity == NULL && r.request_identity == NULL &&
	    r.if_none_match == NULL && r.if_modified_since == NULL,
	    "absent headers are NULL");
	request_free(&r);
	response_free(&err);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p[1] = names[i];
		rc = run(p, NULL, &f, &r, &err);
		CHECK(rc == 0 && r.method == ms[i] &&
		    strcmp(r.method_name, names[i]) == 0, "method %s", names[i]);
		request_free(&r);
		response_free(&err);
	}
	rc = run(lower, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.method == M_OTHER, "methods are case-sensitive");
	request_free(&r);
	response_free(&err);
	/* tests/fuzz/regressions/fuzz_request/method-name-control-bytes:
	 * the name is logged as it is, so it must not carry control bytes
	 * (a forged log line) or cut UTF-8; it never matches a method. */
	p[1] = "GET\n127.0.0.1 PUT /v2/x 201\x01\xfe";
	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.method == M_OTHER, "method with control bytes is "
	    "no method");
	CHECK_STR(r.method_name, "GET?127.0.0.1 P", "method name: printable "
	    "ASCII, bounded");
	request_free(&r);
	response_free(&err);
	rc = run(none, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.method == M_OTHER &&
	    strcmp(r.method_name, "-") == 0, "no REQUEST_METHOD");
	CHECK_STR(r.path, "/", "no REQUEST_URI: path /");
	CHECK(r.nseg == 0 && !r.bad_path && !r.path_too_deep, "/: no segments");
	request_free(&r);
	response_free(&err);
}

/* Split uri (with optional SCRIPT_NAME) and compare the segments with want
 * (NULL-terminated), the raw path with wantpath. */
static void
splits(const char *uri, const char *script, const char *wantpath,
    const char **want, const char *what)
{
	const char	*p[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", uri,
			    script != NULL ? "SCRIPT_NAME" : NULL, script, NULL };
	struct fake	 f;
	struct request	 r;
	struct response	 err;
	int		 rc, i, ok;

	rc = run(p, NULL, &f, &r, &err);
	ok = rc == 0 && !r.bad_path && !r.path_too_deep && r.path != NULL &&
	    strcmp(r.path, wantpath) == 0;
	for (i = 0; ok && want[i] != NULL; i++)
		ok = i < r.nseg && strcmp(r.seg[i], want[i]) == 0;
	ok = ok && i == r.nseg;
	CHECK(ok, "path %s: %s", uri, what);
	if (!ok) {
		printf("#   rc %d bad %d deep %d path %s nseg %d:", rc,
		    r.bad_path, r.path_too_deep, r.path ? r.path : "(null)",
		    r.nseg);
		for (i = 0; i < r.nseg; i++)
			printf(" [%s]", r.seg[i]);
		putchar('\n');
	}
	request_free(&r);
	response_free(&err);
}

/* The path must be flagged (bad_path or path_too_deep). */
static void
flags(const char *uri, int bad, int deep, const char *what)
{
	const char	*p[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", uri,
			    NULL };
	struct fake	 f;
	struct request	 r;
	struct response	 err;
	int		 rc;

	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.bad_path == bad && r.path_too_deep == deep,
	    "path %s: %s", uri, what);
	request_free(&r);
	response_free(&err);
}

static void
test_path(void)
{
	static const char *cat[] = { "v2", "catalog", NULL };
	static const char *inst[] = { "v2", "service_instances", "abc-x",
	    NULL };
	static const char *bind[] = { "v2", "service_instances", "i 1",
	    "service_bindings", "b+1", "last_operation", NULL };
	static const char *slash[] = { "v2", "service_instances", "a/b", NULL };
	static const char *empty0[] = { "", "v2", "catalog", NULL };
	static const char *none[] = { NULL };
	const char *p[] = { "REQUEST_METHOD", "GET", "PATH_INFO", "/v2/catalog",
	    NULL };
	struct fake	 f;
	struct request	 r;
	struct response	 err;
	char		*longuri;
	int		 rc;

	splits("/v2/catalog", NULL, "/v2/catalog", cat, "two segments");
	splits("/v2/catalog?a=b", NULL, "/v2/catalog", cat, "query cut off");
	splits("/v2/service_instances/abc%2Dx", NULL,
	    "/v2/service_instances/abc%2Dx", inst,
	    "segments decoded, raw path kept");
	splits("/v2/service_instances/i%201/service_bindings/b+1/"
	    "last_operation", NULL, "/v2/service_instances/i%201/"
	    "service_bindings/b+1/last_operation", bind,
	    "'+' is literal in a path");
	splits("/v2/service_instances/a%2Fb", NULL,
	    "/v2/service_instances/a%2Fb", slash,
	    "%2F decoded inside one segment");
	splits("//v2/catalog", NULL, "//v2/catalog", empty0,
	    "leading empty segment kept");
	splits("/", NULL, "/", none, "root");

	/* SCRIPT_NAME: stripped only as a whole leading path component. */
	splits("/cgi-bin/osbroker.cgi/v2/catalog", "/cgi-bin/osbroker.cgi",
	    "/v2/catalog", cat, "SCRIPT_NAME prefix stripped");
	splits("/cgi-bin/osbroker.cgi/v2/catalog?x=1", "/cgi-bin/osbroker.cgi",
	    "/v2/catalog", cat, "SCRIPT_NAME stripped, query cut");
	splits("/v2/catalog", "/v2/catalog", "/v2/catalog", cat,
	    "SCRIPT_NAME equal to the path (nginx fastcgi_params) kept");
	splits("/v2/catalog", "", "/v2/catalog", cat, "empty SCRIPT_NAME");
	splits("/v2/catalog", "/cgi-bin/osbroker.cgi", "/v2/catalog", cat,
	    "SCRIPT_NAME that is not a prefix");
	{
		static const char *c2[] = { "cgi-bin", "osbroker.cgix", "v2",
		    NULL };
		splits("/cgi-bin/osbroker.cgix/v2", "/cgi-bin/osbroker.cgi",
		    "/cgi-bin/osbroker.cgix/v2", c2,
		    "SCRIPT_NAME must end at a '/'");
	}

	flags("/v2/service_instances/%zz", 1, 0, "bad escape -> bad_path");
	flags("/v2/service_instances/a%00", 1, 0, "%00 -> bad_path");
	flags("/v2/service_instances/a%", 1, 0, "lone % -> bad_path");
	flags("v2/catalog", 1, 0, "no leading slash -> bad_path");
	flags("/v2/catalog/", 0, 1, "trailing slash -> path_too_deep");
	flags("/1/2/3/4/5/6/7/8", 0, 0, "8 segments fit");
	flags("/1/2/3/4/5/6/7/8/9", 0, 1, "9 segments -> path_too_deep");

	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.nseg == 2 && strcmp(r.path, "/v2/catalog") == 0,
	    "PATH_INFO used without REQUEST_URI");
	request_free(&r);
	response_free(&err);

	if ((longuri = malloc(OSB_MAX_URI_LEN + 2)) == NULL)
		abort();
	memset(longuri, 'a', OSB_MAX_URI_LEN + 1);
	longuri[0] = '/';
	longuri[OSB_MAX_URI_LEN + 1] = '\0';
	p[2] = "REQUEST_URI";
	p[3] = longuri;
	fails(p, NULL, 400, "URI longer than OSB_MAX_URI_LEN");
	longuri[OSB_MAX_URI_LEN] = '\0';
	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0, "URI of exactly OSB_MAX_URI_LEN");
	request_free(&r);
	response_free(&err);
	free(longuri);
}

static void
test_query(void)
{
	const char *p[] = { "REQUEST_METHOD", "GET", "REQUEST_URI",
	    "/v2/catalog", "QUERY_STRING", NULL, NULL };
	struct fake	 f;
	struct request	 r;
	struct response	 err;
	char		 qs[512];
	int		 rc, i;

	p[5] = "a=1&b=x+y&a=2&&c&d=&e=%41%2b&k%20x=v%3D1&f=a=b";
	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.nquery == 8, "query: eight parameters (got %d)",
	    r.nquery);
	CHECK_STR(request_query(&r, "a"), "1", "repeated key: first wins");
	CHECK(r.nquery > 2 && strcmp(r.query[2].key, "a") == 0 &&
	    strcmp(r.query[2].val, "2") == 0, "repeated key: second kept");
	CHECK_STR(request_query(&r, "b"), "x y", "'+' is a space");
	CHECK_STR(request_query(&r, "c"), "", "key without '=' has \"\"");
	CHECK_STR(request_query(&r, "d"), "", "key with empty value");
	CHECK_STR(request_query(&r, "e"), "A+", "escapes decoded");
	CHECK_STR(request_query(&r, "k x"), "v=1", "key decoded too");
	CHECK_STR(request_query(&r, "f"), "a=b", "value keeps later '='");
	CHECK(request_query(&r, "z") == NULL, "missing key -> NULL");
	CHECK(request_query(&r, "A") == NULL, "keys are case-sensitive");
	request_free(&r);
	response_free(&err);

	p[5] = "";
	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.nquery == 0, "empty query string");
	request_free(&r);
	response_free(&err);
	p[4] = NULL;
	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.nquery == 0 && request_query(&r, "a") == NULL,
	    "no QUERY_STRING");
	request_free(&r);
	response_free(&err);
	p[4] = "QUERY_STRING";

	p[5] = "accepts_incomplete=%zz";
	fails(p, NULL, 400, "query: bad escape in a value");
	p[5] = "a%zz=true";
	fails(p, NULL, 400, "query: bad escape in a key");
	p[5] = "a=%4";
	fails(p, NULL, 400, "query: truncated escape");
	p[5] = "a=x%00";
	fails(p, NULL, 400, "query: %00");
	/* tests/fuzz/regressions/fuzz_request/query-refused-half-kept: a
	 * refused query string leaves only whole parameters behind. */
	p[5] = "plan_id=x&p%lan_id=y";
	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == -1 && err.status == 400 && r.nquery == 1 &&
	    request_query(&r, "plan_id") != NULL &&
	    request_query(&r, "p") == NULL, "query: refused, nothing half "
	    "kept (%d parameters)", r.nquery);
	request_free(&r);
	response_free(&err);

	qs[0] = '\0';
	for (i = 0; i < OSB_MAX_QUERY_PARAMS; i++)
		snprintf(qs + strlen(qs), sizeof(qs) - strlen(qs), "%sk%d=%d",
		    i ? "&" : "", i, i);
	p[5] = qs;
	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0 && r.nquery == OSB_MAX_QUERY_PARAMS,
	    "query: exactly %d parameters", OSB_MAX_QUERY_PARAMS);
	CHECK_STR(request_query(&r, "k31"), "31", "query: the last one");
	request_free(&r);
	response_free(&err);
	strcat(qs, "&one=more");
	fails(p, NULL, 400, "query: more than OSB_MAX_QUERY_PARAMS");
}

static void
test_body(void)
{
	const char *p[] = { "REQUEST_METHOD", "PUT", "REQUEST_URI",
	    "/v2/service_instances/i", "CONTENT_LENGTH", NULL, NULL };
	struct fake	 f;
	struct request	 r;
	struct response	 err;
	struct io	 io = { fake_param, fake_read, fake_write, &f };
	int		 rc;

	p[5] = "11";
	rc = run(p, "{\"a\":\"bc\"}XXXX", &f, &r, &err);
	CHECK(rc == 0 && r.body_len == 11 && r.body != NULL &&
	    memcmp(r.body, "{\"a\":\"bc\"}X", 11) == 0 && r.body[11] == '\0',
	    "body: exactly CONTENT_LENGTH bytes, NUL-terminated");
	CHECK(f.pos == 11, "body: nothing read past CONTENT_LENGTH (read %zu)",
	    f.pos);
	CHECK(f.nreads >= 4, "body: short reads are retried");
	request_free(&r);
	response_free(&err);

	p[5] = "0";
	rc = run(p, "xyz", &f, &r, &err);
	CHECK(rc == 0 && r.body_len == 0 && f.pos == 0,
	    "CONTENT_LENGTH 0: empty body, nothing read");
	request_free(&r);
	response_free(&err);

	p[5] = "";
	rc = run(p, "xyz", &f, &r, &err);
	CHECK(rc == 0 && r.body == NULL && f.pos == 0,
	    "empty CONTENT_LENGTH: no body");
	request_free(&r);
	response_free(&err);

	p[5] = "10";
	fails(p, "hello", 400, "short body");
	p[5] = "5";
	memset(&f, 0, sizeof(f));
	f.params = p;
	f.fail_read = 1;
	response_init(&err);
	rc = request_read(&r, &io, &cfg, &err);
	CHECK(rc == -1 && err.status == 400, "read error -> 400");
	request_free(&r);
	response_free(&err);

	p[5] = "abc";
	fails(p, "abc", 400, "non-numeric CONTENT_LENGTH");
	p[5] = "5x";
	fails(p, "hello", 400, "CONTENT_LENGTH with trailing garbage");
	p[5] = "-1";
	fails(p, "hello", 400, "negative CONTENT_LENGTH");
	p[5] = "+5";
	fails(p, "hello", 400, "CONTENT_LENGTH with '+'");
	p[5] = " 5";
	fails(p, "hello", 400, "CONTENT_LENGTH with a space");
	p[5] = "0x5";
	fails(p, "hello", 400, "hex CONTENT_LENGTH");

	/* Over the limit: refused, and the body is drained but not kept
	 * (a CGI must read its stdin or fcgiwrap/Apache drop the answer). */
	cfg.max_body = 100;
	p[5] = "101";
	{
		static char big[101];
		memset(big, 'x', sizeof(big));
		big[100] = '\0';
		rc = run(p, big, &f, &r, &err);
	}
	CHECK(rc == -1 && err.status == 413 && desc(&err)[0] != '\0',
	    "CONTENT_LENGTH over max_body -> 413");
	CHECK(f.pos == 100 && r.body == NULL,
	    "413: the body is drained, not kept");
	request_free(&r);
	response_free(&err);
	p[5] = "99999999999999999999999";
	rc = run(p, "x", &f, &r, &err);
	CHECK(rc == -1 && (err.status == 413 || err.status == 400) &&
	    f.nreads == 0, "CONTENT_LENGTH beyond 64 bits -> 4xx, not read");
	request_free(&r);
	response_free(&err);
	{
		char body[101];

		memset(body, 'a', 100);
		body[100] = '\0';
		p[5] = "100";
		rc = run(p, body, &f, &r, &err);
		CHECK(rc == 0 && r.body_len == 100,
		    "CONTENT_LENGTH equal to max_body accepted");
		request_free(&r);
		response_free(&err);
	}
	cfg.max_body = OSB_DEFAULT_MAX_BODY;
}

static void
test_headers(void)
{
	static const char *hdrs[] = {
	    "HTTP_AUTHORIZATION", "HTTP_X_BROKER_API_VERSION",
	    "HTTP_X_BROKER_API_ORIGINATING_IDENTITY",
	    "HTTP_X_BROKER_API_REQUEST_IDENTITY", "HTTP_IF_NONE_MATCH",
	    "HTTP_IF_MODIFIED_SINCE" };
	const char *all[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/",
	    "HTTP_AUTHORIZATION", "Basic dXNlcjpwdw==",
	    "HTTP_X_BROKER_API_VERSION", "2.17",
	    "HTTP_X_BROKER_API_ORIGINATING_IDENTITY", "cloudfoundry e30=",
	    "HTTP_X_BROKER_API_REQUEST_IDENTITY", "id-1",
	    "HTTP_IF_NONE_MATCH", "\"abc\"",
	    "HTTP_IF_MODIFIED_SINCE", "Sun, 06 Nov 1994 08:49:37 GMT",
	    NULL };
	const char *p[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/",
	    NULL, NULL, NULL };
	struct fake	 f;
	struct request	 r;
	struct response	 err;
	char		*big, what[96];
	size_t		 i;
	int		 rc;

	rc = run(all, NULL, &f, &r, &err);
	CHECK(rc == 0, "all headers read");
	CHECK_STR(r.authorization, "Basic dXNlcjpwdw==", "Authorization");
	CHECK_STR(r.api_version, "2.17", "X-Broker-API-Version");
	CHECK_STR(r.originating_identity, "cloudfoundry e30=",
	    "X-Broker-API-Originating-Identity");
	CHECK_STR(r.request_identity, "id-1", "X-Broker-API-Request-Identity");
	CHECK_STR(r.if_none_match, "\"abc\"", "If-None-Match");
	CHECK_STR(r.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT",
	    "If-Modified-Since");
	request_free(&r);
	response_free(&err);

	if ((big = malloc(OSB_MAX_HEADER_LEN + 2)) == NULL)
		abort();
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		memset(big, 'a', OSB_MAX_HEADER_LEN + 1);
		big[OSB_MAX_HEADER_LEN + 1] = '\0';
		p[4] = hdrs[i];
		p[5] = big;
		snprintf(what, sizeof(what), "%s longer than %d", hdrs[i],
		    OSB_MAX_HEADER_LEN);
		fails(p, NULL, 400, what);
		big[OSB_MAX_HEADER_LEN] = '\0';
		rc = run(p, NULL, &f, &r, &err);
		CHECK(rc == 0, "%s of exactly %d bytes accepted", hdrs[i],
		    OSB_MAX_HEADER_LEN);
		request_free(&r);
		response_free(&err);
	}
	free(big);

	/* The request identity is echoed and logged: no control bytes. */
	p[4] = "HTTP_X_BROKER_API_REQUEST_IDENTITY";
	p[5] = "abc\r\nX-Evil: 1\x01\x7f\xc3\xa9\tz";
	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0, "request identity with control characters accepted");
	CHECK_STR(r.request_identity, "abc??X-Evil: 1?????z",
	    "request identity cleaned to printable ASCII");
	request_free(&r);
	response_free(&err);

	p[4] = "REMOTE_ADDR";
	p[5] = "::1\n";
	rc = run(p, NULL, &f, &r, &err);
	CHECK(rc == 0 && strcmp(r.remote, "::1?") == 0, "REMOTE_ADDR cleaned");
	request_free(&r);
	response_free(&err);
}

int
main(void)
{
	cfg.max_body = OSB_DEFAULT_MAX_BODY;
	cfg.map_size = 1024 * 1024;
	test_method();
	test_path();
	test_query();
	test_body();
	test_headers();
	return tap_done();
}
