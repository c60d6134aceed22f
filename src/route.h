/* SPDX-License-Identifier: ISC */
/*
 * route: method + path -> which endpoint, with its ids validated.
 *
 * Routes (spec.md): GET /v2/catalog; PUT|GET|PATCH|DELETE
 * /v2/service_instances/:iid; GET .../:iid/last_operation; PUT|GET|DELETE
 * .../:iid/service_bindings/:bid; GET .../:bid/last_operation.  And the
 * operator's, outside /v2: GET /metrics and GET /healthz (README
 * "Metrics and health"), GET /status (README "Status page"); /healthz is
 * the one path served without credentials (route_public()).
 */
#ifndef OSB_ROUTE_H
#define OSB_ROUTE_H

#include "request.h"
#include "response.h"

enum route_id {
	R_CATALOG,
	R_INSTANCE,
	R_INSTANCE_LASTOP,
	R_BINDING,
	R_BINDING_LASTOP,
	R_METRICS,
	R_HEALTHZ,
	R_STATUS
};

/* What GET /metrics counts requests by: the route and the method as the
 * operation they make (provision, bind, ...). */
enum route_endpoint {
	EP_CATALOG, EP_PROVISION, EP_UPDATE, EP_DEPROVISION, EP_INSTANCE_FETCH,
	EP_INSTANCE_LASTOP, EP_BIND, EP_UNBIND, EP_BINDING_FETCH,
	EP_BINDING_LASTOP, EP_METRICS, EP_HEALTHZ,
	EP_OTHER,		/* no route, or a method it does not have */
	EP_STATUS,		/* after EP_OTHER: the counters file's
				   slots of the others stay where they were */
	EP__COUNT
};

struct route {
	enum route_id	 id;
	const char	*instance_id;	/* borrowed from the request */
	const char	*binding_id;
	int		 min_minor;	/* oldest API minor that has it */
};

/* Returns 0 with *rt filled, or -1 with the error response: 404 unknown path,
 * 405 (with Allow) wrong method, 400 invalid id. */
int route_match(const struct request *, struct route *rt, struct response *err);

/* 1 when the request's path is one answered without credentials
 * (/healthz, with any method: route_match() then refuses all but GET). */
int route_public(const struct request *);

/* The endpoint a request counts under, routed or not (a 401 counts under
 * the endpoint it asked for); and its name, as the metrics label says. */
enum route_endpoint route_endpoint(const struct request *);
const char *route_endpoint_name(enum route_endpoint);

#endif
