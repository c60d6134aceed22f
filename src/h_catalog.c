/* SPDX-License-Identifier: ISC */
/*
 * h_catalog: GET /v2/catalog (spec.md "Catalog Management").
 *
 * The document was rendered once when catalog.yml was loaded; here we only
 * add validators.  Since v2.16 a broker may send ETag and honour
 * If-None-Match / If-Modified-Since with 304.
 *
 * A user restricted to some services and plans (planset.h) gets the
 * document of its set, with the set's ETag, and no Last-Modified: its
 * document also changes with the credentials file, whose time the
 * catalog's does not tell, so only the ETag validates it.
 */
#include <string.h>

#include "handlers.h"
#include "util.h"

/* 1 when an If-None-Match list names our tag (or is "*"). */
static int
etag_listed(const char *list, const char *etag)
{
	size_t		 n = strlen(etag);
	const char	*p = list;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)	/* weak comparison (RFC 9110) */
			p += 2;
		if (strncmp(p, etag, n) == 0 &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return 0;
}

void
h_catalog(struct ctx *c, struct response *resp)
{
	const char	*etag, *raw;
	time_t		 mtime, since;
	char		 date[64];
	size_t		 len;
	int		 fresh = 0;

	if (c->plans != NULL) {
		etag = planset_etag(c->plans);
		mtime = 0;
		raw = planset_json(c->plans, &len);
	} else if (c->catalog != NULL) {
		etag = catalog_etag(c->catalog);
		mtime = catalog_mtime(c->catalog);
		raw = catalog_json(c->catalog, &len);
	} else {	/* a CGI process that read the served bytes only */
		etag = c->doc->etag;
		mtime = c->doc->mtime;
		raw = c->doc->json;
		len = c->doc->len;
	}
	if (c->req->if_none_match != NULL)
		fresh = etag_listed(c->req->if_none_match, etag);
	else if (c->req->if_modified_since != NULL && mtime > 0 &&
	    (since = util_parse_http_date(c->req->if_modified_since)) != (time_t)-1)
		fresh = mtime <= since;

	resp->status = fresh ? 304 : 200;
	resp->no_body = fresh;
	resp->raw = raw;
	resp->rawlen = len;
	response_header(resp, "ETag", "%s", etag);
	if (mtime > 0) {
		util_fmt_http_date(mtime, date, sizeof(date));
		response_header(resp, "Last-Modified", "%s", date);
	}
	response_header(resp, "Cache-Control", "no-cache");
}
