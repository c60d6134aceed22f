/* SPDX-License-Identifier: ISC */
/*
 * response: see response.h.  The error table below is the only mapping from
 * our errors to HTTP statuses and OSBAPI error codes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"

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
	memset(r, 0, sizeof(*r));
	r->status = 500;
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

void
response_header(struct response *r, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (r->nheaders >= RESPONSE_MAX_HEADERS)
		return;
	snprintf(r->headers[r->nheaders].name,
	    sizeof(r->headers[r->nheaders].name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(r->headers[r->nheaders].value,
	    sizeof(r->headers[r->nheaders].value), fmt, ap);
	va_end(ap);
	r->nheaders++;
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

char *
response_render(const struct response *r, const char *request_identity,
    size_t *len)
{
	char		*body = NULL, *out = NULL, *head;
	const char	*b = "";
	size_t		 blen = 0, hlen, hcap;
	int		 i, n;

	/* Room for the status line, RESPONSE_MAX_HEADERS bounded headers and
	 * the echoed request identity (bounded by OSB_MAX_HEADER_LEN). */
	hcap = 4096 + (request_identity != NULL ? strlen(request_identity) : 0);
	if ((head = malloc(hcap)) == NULL)
		return NULL;

	if (!r->no_body) {
		if (r->raw != NULL) {
			b = r->raw;
			blen = r->rawlen;
		} else {
			if ((body = cJSON_PrintUnformatted(r->body)) == NULL) {
				free(head);
				return NULL;
			}
			b = body;
			blen = strlen(body);
		}
	}
	/* libfcgi's printf cannot format %zu (the reply is cut and nginx
	 * answers 502): every length is formatted here with snprintf. */
	n = snprintf(head, hcap, "Status: %d %s\r\n"
	    "Content-Type: %s\r\n", r->status, response_reason(r->status),
	    r->content_type != NULL ? r->content_type : "application/json");
	if (!r->no_body)
		n += snprintf(head + n, hcap - (size_t)n,
		    "Content-Length: %zu\r\n", blen);
	for (i = 0; i < r->nheaders && (size_t)n < hcap; i++)
		n += snprintf(head + n, hcap - (size_t)n, "%s: %s\r\n",
		    r->headers[i].name, r->headers[i].value);
	if (request_identity != NULL && (size_t)n < hcap)
		n += snprintf(head + n, hcap - (size_t)n,
		    "X-Broker-API-Request-Identity: %s\r\n", request_identity);
	if ((size_t)n + 3 > hcap)
		goto done;
	n += snprintf(head + n, hcap - (size_t)n, "\r\n");
	hlen = (size_t)n;
	if ((out = malloc(hlen + blen + 1)) == NULL)
		goto done;
	memcpy(out, head, hlen);
	memcpy(out + hlen, b, blen);
	out[hlen + blen] = '\0';
	*len = hlen + blen;
done:
	free(head);
	free(body);
	return out;
}
