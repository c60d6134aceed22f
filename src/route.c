/* SPDX-License-Identifier: ISC */
/*
 * route: see route.h.
 */
#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "route.h"
#include "util.h"

static int
seg_is(const struct request *r, int i, const char *s)
{
	return i < r->nseg && strcmp(r->seg[i], s) == 0;
}

static int
allowed(const struct request *r, const char *allow, struct response *err)
{
	char		 buf[64];
	const char	*p;
	size_t		 n = strlen(r->method_name);

	/* HEAD is not offered: OSBAPI defines none.  An empty method names
	 * none of them (and strstr would find it everywhere, forever). */
	for (p = allow; n > 0 && (p = strstr(p, r->method_name)) != NULL;
	    p += n)
		if ((p == allow || p[-1] == ' ') &&
		    (p[n] == ',' || p[n] == '\0'))
			return 1;
	snprintf(buf, sizeof(buf), "%s", allow);
	response_error(err, OSB_ERR_METHOD, "method %s is not allowed here; "
	    "allowed: %s", r->method_name, buf);
	response_header(err, "Allow", "%s", buf);
	return 0;
}

static int
check_id(const char *id, const char *what, struct response *err)
{
	if (util_id_valid(id))
		return 1;
	response_error(err, OSB_ERR_BAD_REQUEST, "%s must be 1 to %d characters "
	    "from A-Z a-z 0-9 - . _ ~ (RFC 3986 unreserved)", what,
	    OSB_MAX_ID_LEN);
	return 0;
}

int
route_match(const struct request *r, struct route *rt, struct response *err)
{
	const char *allow;

	memset(rt, 0, sizeof(*rt));
	if (r->bad_path || r->path_too_deep || !seg_is(r, 0, "v2"))
		goto notfound;
	if (r->nseg == 2 && seg_is(r, 1, "catalog")) {
		rt->id = R_CATALOG;
		allow = "GET";
	} else if (r->nseg >= 3 && seg_is(r, 1, "service_instances")) {
		rt->instance_id = r->seg[2];
		if (r->nseg == 3) {
			rt->id = R_INSTANCE;
			allow = "GET, PUT, PATCH, DELETE";
		} else if (r->nseg == 4 && seg_is(r, 3, "last_operation")) {
			rt->id = R_INSTANCE_LASTOP;
			allow = "GET";
		} else if (r->nseg >= 5 && seg_is(r, 3, "service_bindings")) {
			rt->binding_id = r->seg[4];
			if (r->nseg == 5) {
				rt->id = R_BINDING;
				allow = "GET, PUT, DELETE";
			} else if (r->nseg == 6 &&
			    seg_is(r, 5, "last_operation")) {
				rt->id = R_BINDING_LASTOP;
				allow = "GET";
			} else
				goto notfound;
		} else
			goto notfound;
	} else
		goto notfound;

	if (!allowed(r, allow, err))
		return -1;
	/* spec.md: fetching instances and bindings and polling bindings came
	 * with 2.14. */
	if ((rt->id == R_INSTANCE && r->method == M_GET) ||
	    (rt->id == R_BINDING && r->method == M_GET) ||
	    rt->id == R_BINDING_LASTOP)
		rt->min_minor = OSB_API_MINOR_FETCH;
	if (rt->instance_id != NULL &&
	    !check_id(rt->instance_id, "instance_id", err))
		return -1;
	if (rt->binding_id != NULL &&
	    !check_id(rt->binding_id, "binding_id", err))
		return -1;
	return 0;
notfound:
	/* Quoted only when it keeps the description valid UTF-8. */
	response_error(err, OSB_ERR_NOT_FOUND, "no such endpoint: %s",
	    r->path != NULL && strlen(r->path) < 200 &&
	    util_utf8_valid(r->path, strlen(r->path)) ? r->path :
	    "(path not shown)");
	return -1;
}
