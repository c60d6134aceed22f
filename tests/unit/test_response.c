/* SPDX-License-Identifier: ISC */
/*
 * test_response.c: the error table (status and OSBAPI error code per enum
 * value) and CGI-style rendering of responses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"
#include "tap.h"

static const char *
field(const struct response *r, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->body, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
test_errors(void)
{
	static const struct {
		enum osb_err	 e;
		int		 status;
		const char	*code;
	} tab[] = {
		{ OSB_ERR_BAD_REQUEST, 400, NULL },
		{ OSB_ERR_UNAUTHORIZED, 401, NULL },
		{ OSB_ERR_NOT_FOUND, 404, NULL },
		{ OSB_ERR_METHOD, 405, NULL },
		{ OSB_ERR_CONFLICT, 409, NULL },
		{ OSB_ERR_GONE, 410, NULL },
		{ OSB_ERR_VERSION, 412, NULL },
		{ OSB_ERR_TOO_LARGE, 413, NULL },
		{ OSB_ERR_UNPROCESSABLE, 422, NULL },
		{ OSB_ERR_ASYNC_REQUIRED, 422, "AsyncRequired" },
		{ OSB_ERR_CONCURRENCY, 422, "ConcurrencyError" },
		{ OSB_ERR_REQUIRES_APP, 422, "RequiresApp" },
		{ OSB_ERR_MAINTENANCE_INFO, 422, "MaintenanceInfoConflict" },
		{ OSB_ERR_INTERNAL, 500, NULL },
		{ OSB_ERR_UNAVAILABLE, 503, NULL },
		{ OSB_ERR_TOO_MANY, 429, NULL },
	};
	struct response	 r;
	char		 longfmt[3000];
	size_t		 i;
	int		 ok;

	CHECK(sizeof(tab) / sizeof(tab[0]) == OSB_ERR__COUNT,
	    "every enum osb_err value is tested");
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		response_init(&r);
		response_error(&r, tab[i].e, "reason %d", (int)i);
		ok = r.status == tab[i].status && cJSON_IsObject(r.body) &&
		    field(&r, "description") != NULL;
		CHECK(ok, "error %d -> %d with a description", (int)tab[i].e,
		    tab[i].status);
		if (ok) {
			char want[32];

			snprintf(want, sizeof(want), "reason %d", (int)i);
			CHECK_STR(field(&r, "description"), want,
			    "error %d: description is the formatted text",
			    (int)tab[i].e);
		}
		CHECK_STR(field(&r, "error"), tab[i].code,
		    "error %d: \"error\" is %s", (int)tab[i].e,
		    tab[i].code ? tab[i].code : "absent");
		CHECK(cJSON_GetArraySize(r.body) == (tab[i].code ? 2 : 1),
		    "error %d: no other fields", (int)tab[i].e);
		CHECK(r.raw == NULL && !r.no_body && r.nheaders == 0,
		    "error %d: JSON body, no headers", (int)tab[i].e);
		response_free(&r);
	}

	response_init(&r);
	CHECK(r.status == 500 && r.body == NULL && r.nheaders == 0,
	    "response_init: 500, no body");
	response_error(&r, OSB_ERR_CONFLICT, "%s", "");
	CHECK_STR(field(&r, "description"), "Conflict",
	    "an empty description becomes the reason phrase");
	CHECK(strstr(r.log_note, "Conflict") != NULL, "log_note set");
	/* A second error replaces the first (no leak, last one wins). */
	response_error(&r, OSB_ERR_GONE, "gone");
	CHECK(r.status == 410 && strcmp(field(&r, "description"), "gone") == 0,
	    "a second response_error replaces the first");
	memset(longfmt, 'd', sizeof(longfmt) - 1);
	longfmt[sizeof(longfmt) - 1] = '\0';
	response_error(&r, OSB_ERR_BAD_REQUEST, "%s", longfmt);
	CHECK(r.status == 400 && field(&r, "description") != NULL &&
	    strlen(field(&r, "description")) > 0 &&
	    strlen(field(&r, "description")) < sizeof(longfmt) - 1 &&
	    strlen(r.log_note) < sizeof(r.log_note),
	    "a long description is truncated, log_note bounded");
	response_free(&r);
	CHECK(r.body == NULL, "response_free clears the body");

	response_init(&r);
	response_json(&r, 201, NULL);
	CHECK(r.status == 201 && cJSON_IsObject(r.body) &&
	    cJSON_GetArraySize(r.body) == 0, "response_json NULL body is {}");
	response_free(&r);

	CHECK_STR(response_reason(200), "OK", "reason 200");
	CHECK_STR(response_reason(201), "Created", "reason 201");
	CHECK_STR(response_reason(202), "Accepted", "reason 202");
	CHECK_STR(response_reason(304), "Not Modified", "reason 304");
	CHECK_STR(response_reason(412), "Precondition Failed", "reason 412");
	CHECK_STR(response_reason(422), "Unprocessable Entity", "reason 422");
	CHECK_STR(response_reason(429), "Too Many Requests", "reason 429");
	CHECK(response_reason(299) != NULL && response_reason(299)[0] != '\0',
	    "an unknown status still has a reason");
}

static void
test_headers(void)
{
	struct response	 r;
	char		 longval[400];
	int		 i;

	response_init(&r);
	for (i = 0; i < RESPONSE_MAX_HEADERS + 2; i++)
		response_header(&r, "X-N", "%d", i);
	CHECK(r.nheaders == RESPONSE_MAX_HEADERS, "at most %d headers",
	    RESPONSE_MAX_HEADERS);
	CHECK_STR(r.headers[RESPONSE_MAX_HEADERS - 1].value, "7",
	    "the first ones are kept");
	response_free(&r);

	response_init(&r);
	memset(longval, 'v', sizeof(longval) - 1);
	longval[sizeof(longval) - 1] = '\0';
	response_header(&r, "Location", "%s", longval);
	CHECK(r.nheaders == 1 &&
	    strlen(r.headers[0].value) == sizeof(r.headers[0].value) - 1,
	    "a long header value is truncated, NUL-terminated");
	response_free(&r);
}

/* Split a rendered response into head (up to and including the blank line)
 * and body.  Returns the body or NULL when there is no blank line. */
static const char *
body_of(const char *out)
{
	const char *p = strstr(out, "\r\n\r\n");

	return p != NULL ? p + 4 : NULL;
}

/* Content-Length value in the head, or -1 when absent. */
static long
content_length(const char *out)
{
	const char	*p = strstr(out, "\r\nContent-Length: ");
	const char	*b = body_of(out);

	if (p == NULL || (b != NULL && p > b))
		return -1;
	return strtol(p + 18, NULL, 10);
}

static void
test_render(void)
{
	static const char raw[] = "{\"services\":[]}";
	struct response	 r;
	char		*out, *rid;
	const char	*b;
	size_t		 len;

	response_init(&r);
	response_json(&r, 201, cJSON_CreateObject());
	cJSON_AddStringToObject(r.body, "dashboard_url", "http://x/\"y\"");
	response_header(&r, "Location", "/v2/x");
	len = 0;
	out = response_render(&r, "rid-1", &len);
	CHECK(out != NULL, "render 201");
	if (out != NULL) {
		b = body_of(out);
		CHECK(len == strlen(out), "length returned");
		CHECK(strncmp(out, "Status: 201 Created\r\n", 21) == 0,
		    "starts with the CGI Status line");
		CHECK(strstr(out, "\r\nContent-Type: application/json\r\n") !=
		    NULL, "Content-Type: application/json");
		CHECK(b != NULL && content_length(out) == (long)strlen(b),
		    "Content-Length equals the body length");
		CHECK_STR(b, "{\"dashboard_url\":\"http://x/\\\"y\\\"\"}",
		    "body is the compact JSON");
		CHECK(strstr(out, "\r\nLocation: /v2/x\r\n") != NULL,
		    "extra header rendered");
		CHECK(strstr(out, "\r\nX-Broker-API-Request-Identity: rid-1\r\n")
		    != NULL, "request identity echoed");
		CHECK(b != NULL && strstr(b - 4, "Status:") == NULL &&
		    strstr(out + 1, "Status:") == NULL, "one Status line");
	}
	free(out);
	out = response_render(&r, NULL, &len);
	CHECK(out != NULL && strstr(out, "Request-Identity") == NULL,
	    "no request identity, no echo");
	free(out);
	response_free(&r);

	/* A borrowed pre-rendered body (the catalog). */
	response_init(&r);
	r.status = 200;
	r.raw = raw;
	r.rawlen = sizeof(raw) - 1;
	out = response_render(&r, NULL, &len);
	CHECK(out != NULL, "render raw 200");
	if (out != NULL) {
		CHECK(strncmp(out, "Status: 200 OK\r\n", 16) == 0, "200 OK");
		CHECK_STR(body_of(out), raw, "raw body copied");
		CHECK(content_length(out) == (long)sizeof(raw) - 1,
		    "Content-Length of the raw body");
	}
	free(out);
	response_free(&r);

	/* 304: headers only. */
	response_init(&r);
	r.status = 304;
	r.no_body = 1;
	response_header(&r, "ETag", "\"abc\"");
	out = response_render(&r, "rid-2", &len);
	CHECK(out != NULL, "render 304");
	if (out != NULL) {
		CHECK(strncmp(out, "Status: 304 Not Modified\r\n", 26) == 0,
		    "304 Not Modified");
		CHECK(strstr(out, "Content-Length") == NULL,
		    "304: no Content-Length");
		CHECK(body_of(out) != NULL && body_of(out)[0] == '\0' &&
		    len == strlen(out), "304: nothing after the blank line");
		CHECK(strstr(out, "\r\nETag: \"abc\"\r\n") != NULL,
		    "304: ETag kept");
		CHECK(strstr(out, "X-Broker-API-Request-Identity: rid-2\r\n") !=
		    NULL, "304: request identity echoed");
	}
	free(out);
	response_free(&r);

	/* An error response renders too. */
	response_init(&r);
	response_error(&r, OSB_ERR_CONCURRENCY, "another operation is running");
	out = response_render(&r, NULL, &len);
	CHECK(out != NULL && strncmp(out, "Status: 422 Unprocessable Entity\r\n",
	    34) == 0 && strstr(out, "\"error\":\"ConcurrencyError\"") != NULL &&
	    content_length(out) == (long)strlen(body_of(out)),
	    "422 ConcurrencyError renders");
	free(out);
	response_free(&r);

	/* request.c accepts a request identity of up to OSB_MAX_HEADER_LEN
	 * bytes; rendering must not fail on it (NULL means "out of memory" to
	 * the caller, which then answers 500 after the work was done). */
	response_init(&r);
	response_json(&r, 201, NULL);
	if ((rid = malloc(8193)) == NULL)
		abort();
	memset(rid, 'r', 8192);
	rid[8192] = '\0';
	out = response_render(&r, rid, &len);
	CHECK(out != NULL, "render with an 8192-byte request identity");
	if (out != NULL) {
		CHECK(strncmp(out, "Status: 201 Created\r\n", 21) == 0 &&
		    body_of(out) != NULL && strcmp(body_of(out), "{}") == 0 &&
		    len == strlen(out), "  ... and the response is whole");
	}
	free(out);
	free(rid);
	response_free(&r);
}

int
main(void)
{
	test_errors();
	test_headers();
	test_render();
	return tap_done();
}
