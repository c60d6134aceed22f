/* SPDX-License-Identifier: ISC */
/*
 * response: what a handler produces, and the one place that turns errors into
 * HTTP statuses and OSBAPI error bodies (spec.md "Service Broker Errors").
 *
 * Data flows one way: handlers fill a struct response; io writes it.  A
 * response owns its cJSON body (freed by response_free) but only borrows a raw
 * body (the pre-rendered catalog, which outlives the request).
 */
#ifndef OSB_RESPONSE_H
#define OSB_RESPONSE_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Errors are values.  Each maps to a status and, where the spec names one, an
 * error code string; see the table in response.c. */
enum osb_err {
	OSB_ERR_BAD_REQUEST,		/* 400 */
	OSB_ERR_UNAUTHORIZED,		/* 401 */
	OSB_ERR_NOT_FOUND,		/* 404 */
	OSB_ERR_METHOD,			/* 405 */
	OSB_ERR_CONFLICT,		/* 409 */
	OSB_ERR_GONE,			/* 410 */
	OSB_ERR_VERSION,		/* 412 */
	OSB_ERR_TOO_LARGE,		/* 413 */
	OSB_ERR_UNPROCESSABLE,		/* 422, no code */
	OSB_ERR_ASYNC_REQUIRED,		/* 422 AsyncRequired */
	OSB_ERR_CONCURRENCY,		/* 422 ConcurrencyError */
	OSB_ERR_REQUIRES_APP,		/* 422 RequiresApp */
	OSB_ERR_MAINTENANCE_INFO,	/* 422 MaintenanceInfoConflict */
	OSB_ERR_INTERNAL,		/* 500 */
	OSB_ERR_UNAVAILABLE,		/* 503: storage full or unwritable */
	OSB_ERR_TOO_MANY,		/* 429: an address over its budget of
					   failed authentications */
	OSB_ERR__COUNT
};

/* The descriptions the spec gives these two errors (2.13, "Service Broker
 * Errors"), which client libraries compare (h_common.c). */
#define OSB_ASYNC_REQUIRED_TEXT	"This service plan requires client support " \
	"for asynchronous service operations."
#define OSB_CONCURRENCY_TEXT	"The Service Broker does not support " \
	"concurrent requests that mutate the same resource."
/* The 503 of a broker that cannot start or open its store: the reason is
 * for the operator's log only. */
#define OSB_NOT_CONFIGURED_TEXT	"the broker is not configured correctly; " \
	"its operator can find the reason in the web server's error log"

#define RESPONSE_MAX_HEADERS 8

struct response_hdr {
	char	 name[48];
	char	 value[256];
};

struct response {
	int		 status;
	cJSON		*body;		/* owned; NULL with raw or no body */
	const char	*raw;		/* borrowed pre-rendered JSON, or NULL */
	size_t		 rawlen;
	char		*owned;		/* response_text()'s body, owned */
	const char	*content_type;	/* NULL: application/json */
	int		 no_body;	/* 304: headers only */
	int		 nheaders;
	struct response_hdr headers[RESPONSE_MAX_HEADERS];
	char		 log_note[160];	/* short reason for the log line */
};

void response_init(struct response *);
void response_free(struct response *);

/* Status with a JSON body (takes ownership of body; NULL means "{}"). */
void response_json(struct response *, int status, cJSON *body);

/* Status with a body that is not JSON (GET /metrics, GET /healthz): takes
 * ownership of body (malloc'ed, len bytes); content_type is a constant. */
void response_text(struct response *, int status, const char *content_type,
    char *body, size_t len);

/* Status with a JSON body already written (takes ownership of text, a
 * malloc'ed document of len bytes). */
void response_json_text(struct response *, int status, char *text,
    size_t len);

/* An error response built from the table: {"error"?: ..., "description": ...}. */
void response_error(struct response *, enum osb_err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void response_header(struct response *, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reason phrase for a status ("Created"). */
const char *response_reason(int status);

/* Render status line, headers and body into a malloc'ed buffer, CGI style
 * ("Status: 201 Created\r\n...").  Returns NULL on allocation failure. */
char *response_render(const struct response *, const char *request_identity,
    size_t *len);

#endif
