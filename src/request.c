/* SPDX-License-Identifier: ISC */
/*
 * request: gather and bound one request.  See request.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "io.h"
#include "log.h"
#include "limits.h"
#include "request.h"
#include "util.h"

static const struct {
	const char	*name;
	enum method	 m;
} methods[] = {
	{ "GET", M_GET }, { "HEAD", M_HEAD }, { "PUT", M_PUT },
	{ "PATCH", M_PATCH }, { "DELETE", M_DELETE }, { "POST", M_POST },
};

/* Copy a header value, or fail when it is longer than any sane value. */
static int
copy_header(struct io *io, const char *name, char **dst)
{
	const char *v = io->param(io, name);

	*dst = NULL;
	if (v == NULL)
		return 0;
	if (strlen(v) > OSB_MAX_HEADER_LEN)
		return -1;
	return (*dst = strdup(v)) == NULL ? -1 : 0;
}

/* The path we route on.  nginx and Apache pass the raw REQUEST_URI; a CGI
 * called by its own URL (/cgi-bin/osbroker.cgi/v2/...) has SCRIPT_NAME as a
 * prefix, which is not part of the broker's path. */
static int
split_path(struct request *r, const char *uri, const char *script)
{
	const char	*p, *end, *q;
	size_t		 len, slen;

	if ((q = strchr(uri, '?')) != NULL)
		len = (size_t)(q - uri);
	else
		len = strlen(uri);
	if (script != NULL && (slen = strlen(script)) > 0 && slen < len &&
	    strncmp(uri, script, slen) == 0 && uri[slen] == '/') {
		uri += slen;
		len -= slen;
	}
	if ((r->path = strndup(uri, len)) == NULL)
		return -1;
	p = r->path;
	if (*p != '/') {
		r->bad_path = 1;
		return 0;
	}
	while (*p == '/' && p[1] != '\0') {
		p++;
		end = strchr(p, '/');
		if (end == NULL)
			end = p + strlen(p);
		if (r->nseg == REQUEST_MAX_SEGMENTS) {
			r->path_too_deep = 1;
			return 0;
		}
		r->seg[r->nseg] = util_pct_decode(p, (size_t)(end - p), 0, NULL);
		if (r->seg[r->nseg] == NULL) {
			r->bad_path = 1;
			return 0;
		}
		r->nseg++;
		p = end;
	}
	/* A trailing slash leaves an empty last segment: no route has one. */
	if (*p == '/' && r->nseg > 0)
		r->path_too_deep = 1;
	return 0;
}

/* A parameter is kept only whole, key and value decoded, so that the
 * struct stays consistent (request_query() usable) after a refusal too. */
static int
parse_query(struct request *r, const char *qs)
{
	const char	*p = qs, *amp, *eq;
	char		*key, *val;

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		if (amp > p) {
			if (r->nquery == OSB_MAX_QUERY_PARAMS)
				return -1;
			eq = memchr(p, '=', (size_t)(amp - p));
			if (eq == NULL)
				eq = amp;
			key = util_pct_decode(p, (size_t)(eq - p), 1, NULL);
			val = eq < amp ? util_pct_decode(eq + 1,
			    (size_t)(amp - eq - 1), 1, NULL) : strdup("");
			if (key == NULL || val == NULL) {
				free(key);
				free(val);
				return -1;
			}
			r->query[r->nquery].key = key;
			r->query[r->nquery].val = val;
			r->nquery++;
		}
		p = *amp ? amp + 1 : amp;
	}
	return 0;
}

static void
discard(struct io *io, unsigned long long n)
{
	char	 buf[16384];
	ssize_t	 k;

	while (n > 0) {
		k = io->read(io, buf, n < sizeof(buf) ? (size_t)n : sizeof(buf));
		if (k <= 0)
			return;
		n -= (unsigned long long)k;
	}
}

static int
read_body(struct request *r, struct io *io, const struct config *cfg,
    struct response *err)
{
	const char	*cl = io->param(io, "CONTENT_LENGTH");
	char		*end;
	unsigned long long n;
	size_t		 got = 0;
	ssize_t		 k;

	if (cl == NULL || *cl == '\0')
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (*cl < '0' || *cl > '9' || *end != '\0' || errno != 0) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "Content-Length is not a number");
		return -1;
	}
	if (n > cfg->max_body) {
		/* Read (and drop) what the web server is sending before we
		 * answer: fcgiwrap and Apache write the whole body to a CGI
		 * first and discard its answer if it stopped reading. */
		discard(io, n > OSB_MAX_DISCARD ? OSB_MAX_DISCARD : n);
		response_error(err, OSB_ERR_TOO_LARGE,
		    "request body of %llu bytes exceeds the limit of %zu bytes",
		    n, cfg->max_body);
		return -1;
	}
	if ((r->body = malloc((size_t)n + 1)) == NULL) {
		response_error(err, OSB_ERR_INTERNAL, "out of memory");
		return -1;
	}
	/* Exactly CONTENT_LENGTH bytes: under CGI, stdin need not end there. */
	while (got < n) {
		k = io->read(io, r->body + got, (size_t)n - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	if (got != n) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "request body ended after %zu of %llu bytes", got, n);
		return -1;
	}
	r->body[n] = '\0';
	r->body_len = (size_t)n;
	return 0;
}

int
request_read(struct request *r, struct io *io, const struct config *cfg,
    struct response *err)
{
	const char	*m, *uri, *v;
	size_t		 i;

	memset(r, 0, sizeof(*r));
	m = io->param(io, "REQUEST_METHOD");
	/* Logged as it is and quoted in 405 descriptions: printable ASCII
	 * only, like every value from outside that is logged (log.h).  The
	 * method is matched on m itself, so a cleaned name is never taken
	 * for a known one. */
	log_clean(r->method_name, sizeof(r->method_name), m ? m : "-");
	for (i = 0; m != NULL && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(m, methods[i].name) == 0)
			r->method = methods[i].m;
	if ((v = io->param(io, "REMOTE_ADDR")) != NULL)
		log_clean(r->remote, sizeof(r->remote), v);

	if (copy_header(io, "HTTP_X_BROKER_API_REQUEST_IDENTITY",
	    &r->request_identity) == -1)
		goto toolong;
	if (r->request_identity != NULL) {
		/* Echoed in a header and logged: printable ASCII only. */
		char *clean = malloc(strlen(r->request_identity) + 1);
		if (clean == NULL)
			goto nomem;
		log_clean(clean, strlen(r->request_identity) + 1,
		    r->request_identity);
		free(r->request_identity);
		r->request_identity = clean;
	}
	if (copy_header(io, "HTTP_AUTHORIZATION", &r->authorization) == -1 ||
	    copy_header(io, "HTTP_X_BROKER_API_VERSION", &r->api_version) == -1 ||
	    copy_header(io, "HTTP_X_BROKER_API_ORIGINATING_IDENTITY",
	    &r->originating_identity) == -1 ||
	    copy_header(io, "HTTP_IF_NONE_MATCH", &r->if_none_match) == -1 ||
	    copy_header(io, "HTTP_IF_MODIFIED_SINCE", &r->if_modified_since) == -1)
		goto toolong;

	uri = io->param(io, "REQUEST_URI");
	if (uri == NULL || *uri == '\0')
		uri = io->param(io, "PATH_INFO");
	if (uri == NULL || *uri == '\0')
		uri = "/";
	if (strlen(uri) > OSB_MAX_URI_LEN) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "request URI longer than %d bytes", OSB_MAX_URI_LEN);
		return -1;
	}
	if (split_path(r, uri, io->param(io, "SCRIPT_NAME")) == -1)
		goto nomem;
	if (parse_query(r, io->param(io, "QUERY_STRING")) == -1) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "malformed query string (bad escape or more than %d "
		    "parameters)", OSB_MAX_QUERY_PARAMS);
		return -1;
	}
	return read_body(r, io, cfg, err);
toolong:
	response_error(err, OSB_ERR_BAD_REQUEST,
	    "a request header is longer than %d bytes", OSB_MAX_HEADER_LEN);
	return -1;
nomem:
	response_error(err, OSB_ERR_INTERNAL, "out of memory");
	return -1;
}

void
request_free(struct request *r)
{
	int i;

	free(r->path);
	for (i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	for (i = 0; i < r->nquery; i++) {
		free(r->query[i].key);
		free(r->query[i].val);
	}
	free(r->authorization);
	free(r->api_version);
	free(r->originating_identity);
	free(r->request_identity);
	free(r->if_none_match);
	free(r->if_modified_since);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

const char *
request_query(const struct request *r, const char *key)
{
	int i;

	for (i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, key) == 0)
			return r->query[i].val;
	return NULL;
}
