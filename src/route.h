/* SPDX-License-Identifier: ISC */
/*
 * route: method + path -> which endpoint, with its ids validated.
 *
 * Routes (spec.md): GET /v2/catalog; PUT|GET|PATCH|DELETE
 * /v2/service_instances/:iid; GET .../:iid/last_operation; PUT|GET|DELETE
 * .../:iid/service_bindings/:bid; GET .../:bid/last_operation.
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
	R_BINDING_LASTOP
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

#endif
