/* SPDX-License-Identifier: ISC */
/*
 * request: everything osbroker reads from one HTTP request, gathered and
 * bounded in one place (kcgi's lesson: validate at the edge).
 *
 * request_read() copies the CGI/FastCGI parameters it needs, splits and
 * percent-decodes the path, parses the query string and reads the body, all
 * with limits from limits.h and config.h.  Handlers see only this struct.
 * Body JSON is parsed later by jsonin.c, because only some routes need it.
 *
 * Ownership: everything hangs off the struct; request_free() releases it.
 */
#ifndef OSB_REQUEST_H
#define OSB_REQUEST_H

#include <stddef.h>
#include "limits.h"
#include "response.h"

struct io;
struct config;

enum method {
	M_OTHER, M_GET, M_HEAD, M_PUT, M_PATCH, M_DELETE, M_POST
};

#define REQUEST_MAX_SEGMENTS 8

struct request {
	enum method	 method;
	char		 method_name[16];
	char		*path;			/* raw path, without query */
	char		*seg[REQUEST_MAX_SEGMENTS]; /* percent-decoded segments */
	int		 nseg;
	int		 path_too_deep;		/* more segments than any route */
	int		 bad_path;		/* malformed escape or NUL */
	struct {
		char	*key;
		char	*val;
	}		 query[OSB_MAX_QUERY_PARAMS];
	int		 nquery;
	/* Header values (copies); NULL when absent. */
	char		*authorization;
	char		*api_version;
	char		*originating_identity;
	char		*request_identity;	/* printable ASCII only, bounded */
	char		*if_none_match;
	char		*if_modified_since;
	char		*body;			/* NUL-terminated copy */
	size_t		 body_len;
	char		 remote[64];
};

/* Read one request.  Returns 0, or -1 after filling *err with the response
 * for input that cannot even be gathered (413, 400). */
int  request_read(struct request *, struct io *, const struct config *,
         struct response *err);
void request_free(struct request *);

/* Query parameter by name (first occurrence), or NULL. */
const char *request_query(const struct request *, const char *key);

#endif
