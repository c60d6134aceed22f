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
	if (r->bad_path || r->path_too_deep)
		goto notfound;
	if (r->nseg == 1 && seg_is(r, 0, "metrics")) {
		rt->id = R_METRICS;
		allow = "GET";
	} else if (r->nseg == 1 && seg_is(r, 0, "healthz")) {
		rt->id = R_HEALTHZ;
		allow = "GET";
	} else if (r->nseg == 1 && seg_is(r, 0, "status")) {
		rt->id = R_STATUS;
		allow = "GET";
	} else if (!seg_is(r, 0, "v2"))
		goto notfound;
	else if (r->nseg == 2 && seg_is(r, 1, "catalog")) {
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

int
route_public(const struct request *r)
{
	return !r->bad_path && !r->path_too_deep && r->nseg == 1 &&
	    seg_is(r, 0, "healthz");
}

enum route_endpoint
route_endpoint(const struct request *r)
{
	struct route	 rt;
	struct response	 scratch;
	enum route_endpoint ep = EP_OTHER;

	response_init(&scratch);
	if (route_match(r, &rt, &scratch) == 0)
		switch (rt.id) {
		case R_CATALOG:
			ep = EP_CATALOG;
			break;
		case R_INSTANCE:
			ep = r->method == M_PUT ? EP_PROVISION :
			    r->method == M_PATCH ? EP_UPDATE :
			    r->method == M_DELETE ? EP_DEPROVISION :
			    EP_INSTANCE_FETCH;
			break;
		case R_INSTANCE_LASTOP:
			ep = EP_INSTANCE_LASTOP;
			break;
		case R_BINDING:
			ep = r->method == M_PUT ? EP_BIND :
			    r->method == M_DELETE ? EP_UNBIND :
			    EP_BINDING_FETCH;
			break;
		case R_BINDING_LASTOP:
			ep = EP_BINDING_LASTOP;
			break;
		case R_METRICS:
			ep = EP_METRICS;
			break;
		case R_HEALTHZ:
			ep = EP_HEALTHZ;
			break;
		case R_STATUS:
			ep = EP_STATUS;
			break;
		}
	response_free(&scratch);
	return ep;
}

const char *
route_endpoint_name(enum route_endpoint ep)
{
	static const char *const names[EP__COUNT] = {
		[EP_CATALOG] = "catalog", [EP_PROVISION] = "provision",
		[EP_UPDATE] = "update", [EP_DEPROVISION] = "deprovision",
		[EP_INSTANCE_FETCH] = "instance_fetch",
		[EP_INSTANCE_LASTOP] = "instance_last_operation",
		[EP_BIND] = "bind", [EP_UNBIND] = "unbind",
		[EP_BINDING_FETCH] = "binding_fetch",
		[EP_BINDING_LASTOP] = "binding_last_operation",
		[EP_METRICS] = "metrics", [EP_HEALTHZ] = "healthz",
		[EP_OTHER] = "other", [EP_STATUS] = "status",
	};

	return (unsigned)ep < EP__COUNT ? names[ep] : "other";
}
