/* SPDX-License-Identifier: ISC */
/*
 * response: see response.h.  The error table below is the only mapping from
 * our errors to HTTP statuses and OSBAPI error codes.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "response.h"
#include "util.h"

static const struct {
	int		 status;
	const char	*code;		/* OSBAPI "error" field, or NULL */
} errtab[OSB_ERR__COUNT] = {
	[OSB_ERR_BAD_REQUEST]		= { 400, NULL },
	[OSB_ERR_UNAUTHORIZED]		= { 401, NULL },
	[OSB_ERR_NOT_FOUND]		= { 404, NULL },
	[OSB_ERR_METHOD]		= { 405, NULL },
	[OSB_ERR_CONFLICT]		= { 409, NULL },
	[OSB_ERR_GONE]			= { 410, NULL },
	[OSB_ERR_VERSION]		= { 412, NULL },
	[OSB_ERR_TOO_LARGE]		= { 413, NULL },
	[OSB_ERR_UNPROCESSABLE]		= { 422, NULL },
	/* spec.md "Error Codes": these exact strings. */
	[OSB_ERR_ASYNC_REQUIRED]	= { 422, "AsyncRequired" },
	[OSB_ERR_CONCURRENCY]		= { 422, "ConcurrencyError" },
	[OSB_ERR_REQUIRES_APP]		= { 422, "RequiresApp" },
	[OSB_ERR_MAINTENANCE_INFO]	= { 422, "MaintenanceInfoConflict" },
	[OSB_ERR_INTERNAL]		= { 500, NULL },
	[OSB_ERR_UNAVAILABLE]		= { 503, NULL },
	[OSB_ERR_TOO_MANY]		= { 429, NULL },
};

void
response_init(struct response *r)
{
	/* Field by field: the headers' room (2.4 KB) is read only below
	 * nheaders and log_note as a string, so neither is cleared whole
	 * (twice a bind). */
	r->status = 500;
	r->body = NULL;
	r->raw = NULL;
	r->rawlen = 0;
	r->owned = NULL;
	r->content_type = NULL;
	r->no_body = 0;
	r->nheaders = 0;
	r->log_note[0] = '\0';
}

void
response_free(struct response *r)
{
	cJSON_Delete(r->body);
	r->body = NULL;
	free(r->owned);
	r->owned = NULL;
}

void
response_text(struct response *r, int status, const char *content_type,
    char *body, size_t len)
{
	response_free(r);
	r->status = status;
	r->owned = body;
	r->raw = body;
	r->rawlen = len;
	r->content_type = content_type;
}

void
response_json(struct response *r, int status, cJSON *body)
{
	cJSON_Delete(r->body);
	r->status = status;
	r->body = body != NULL ? body : cJSON_CreateObject();
	free(r->owned);
	r->owned = NULL;
	r->raw = NULL;
	r->content_type = NULL;
}

void
response_json_text(struct response *r, int status, char *text, size_t len)
{
	response_text(r, status, NULL, text, len);
}

void
response_error(struct response *r, enum osb_err e, const char *fmt, ...)
{
	char	 desc[1024];
	va_list	 ap;
	cJSON	*body;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (desc[0] == '\0')	/* spec: if present, MUST be non-empty */
		snprintf(desc, sizeof(desc), "%s", response_reason(errtab[e].status));
	body = cJSON_CreateObject();
	if (body != NULL) {
		if (errtab[e].code != NULL)
			cJSON_AddStringToObject(body, "error", errtab[e].code);
		cJSON_AddStringToObject(body, "description", desc);
	}
	response_json(r, errtab[e].status, body);
	snprintf(r->log_note, sizeof(r->log_note), "%.150s", desc);
}

/* Copy src into dst (size n > 0), cut to fit, NUL-terminated. */
static void
copy_cut(char *dst, size_t n, const char *src)
{
	size_t len = strnlen(src, n - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

void
response_header(struct response *r, const char *name, const char *fmt, ...)
{
	struct response_hdr	*h;
	va_list			 ap;

	if (r->nheaders >= RESPONSE_MAX_HEADERS)
		return;
	h = &r->headers[r->nheaders++];
	copy_cut(h->name, sizeof(h->name), name);
	va_start(ap, fmt);
	/* A header is written for most answers: a value that is a plain
	 * string, or exactly one, is copied without printf. */
	if (strchr(fmt, '%') == NULL)
		copy_cut(h->value, sizeof(h->value), fmt);
	else if (strcmp(fmt, "%s") == 0)
		copy_cut(h->value, sizeof(h->value), va_arg(ap, const char *));
	else
		vsnprintf(h->value, sizeof(h->value), fmt, ap);
	va_end(ap);
}

const char *
response_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

/* The head of an answer, appended to a buffer of known room: put()
 * copies what fits and counts what did not (*over), so the caller checks
 * once at the end. */
struct head {
	char	*p;
	size_t	 len, cap;
	int	 over;
};

static void
put(struct head *h, const char *s, size_t n)
{
	if (h->over || n > h->cap - h->len) {
		h->over = 1;
		return;
	}
	memcpy(h->p + h->len, s, n);
	h->len += n;
}

static void
puts_(struct head *h, const char *s)
{
	put(h, s, strlen(s));
}

static void
put_num(struct head *h, unsigned long long v)
{
	char	 d[UTIL_DECIMAL_LEN];

	put(h, d, util_fmt_udecimal(d, v));
}

static void
put_header(struct head *h, const char *name, const char *value)
{
	puts_(h, name);
	put(h, ": ", 2);
	puts_(h, value);
	put(h, "\r\n", 2);
}

char *
response_render(const struct response *r, const char *request_identity,
    size_t *len)
{
	char		*body = NULL, *out = NULL;
	const char	*b = "";
	size_t		 blen = 0;
	struct head	 h;
	int		 i;

	if (!r->no_body) {
		if (r->raw != NULL) {
			b = r->raw;
			blen = r->rawlen;
		} else {
			if ((body = jsonout_print(r->body, &blen)) == NULL)
				return NULL;
			b = body;
		}
	}
	/* Room for the status line, RESPONSE_MAX_HEADERS bounded headers and
	 * the echoed request identity (bounded by OSB_MAX_HEADER_LEN), then
	 * the body.  (libfcgi's printf cannot format %zu: every length is
	 * formatted here.) */
	memset(&h, 0, sizeof(h));
	h.cap = 4096 + (request_identity != NULL ? strlen(request_identity) : 0);
	if (blen > SIZE_MAX - h.cap - 1 ||
	    (out = malloc(h.cap + blen + 1)) == NULL)
		goto done;
	h.p = out;
	put(&h, "Status: ", 8);
	put_num(&h, (unsigned)r->status);
	put(&h, " ", 1);
	puts_(&h, response_reason(r->status));
	put(&h, "\r\n", 2);
	put_header(&h, "Content-Type", r->content_type != NULL ?
	    r->content_type : "application/json");
	if (!r->no_body) {
		put(&h, "Content-Length: ", 16);
		put_num(&h, blen);
		put(&h, "\r\n", 2);
	}
	for (i = 0; i < r->nheaders; i++)
		put_header(&h, r->headers[i].name, r->headers[i].value);
	if (request_identity != NULL)
		put_header(&h, "X-Broker-API-Request-Identity",
		    request_identity);
	put(&h, "\r\n", 2);
	if (h.over) {
		free(out);
		out = NULL;
		goto done;
	}
	memcpy(out + h.len, b, blen);
	out[h.len + blen] = '\0';
	*len = h.len + blen;
done:
	free(body);
	return out;
}
