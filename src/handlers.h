/* SPDX-License-Identifier: ISC */
/*
 * handlers: one function per endpoint.  Each gets the validated request and
 * route plus the loaded configuration, and fills a response; none writes to
 * the client, none calls LMDB directly (store.h), none prints a secret.
 */
#ifndef OSB_HANDLERS_H
#define OSB_HANDLERS_H

#include <cjson/cJSON.h>

#include "catalog.h"
#include "catcache.h"
#include "config.h"
#include "planset.h"
#include "records.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "store.h"

/* What a handler may use.  Everything is borrowed for one request. */
struct ctx {
	const struct config	*cfg;
	const struct catalog	*catalog;	/* NULL: only GET /v2/catalog
						   to a user who sees it all,
						   from doc (server.c) */
	const struct catcache_served *doc;
	struct store		*store;
	const struct request	*req;
	const struct route	*rt;
	const cJSON		*identity;	/* decoded Originating-Identity */
	const char		*user;		/* the broker user (auth.h) */
	const struct planset	*plans;		/* the services and plans it may
						   see, NULL: all (planset.h);
						   such a user sees only the
						   instances it created */
	int			 minor;		/* API minor of the request */
	struct records_memo	*memo;		/* the last instance record a
						   bind parsed (records.h), the
						   worker's; NULL: none kept */
};

void h_catalog(struct ctx *, struct response *);
void h_instance_put(struct ctx *, struct response *);
void h_instance_get(struct ctx *, struct response *);
void h_instance_patch(struct ctx *, struct response *);
void h_instance_delete(struct ctx *, struct response *);
void h_instance_lastop(struct ctx *, struct response *);
void h_binding_put(struct ctx *, struct response *);
void h_binding_get(struct ctx *, struct response *);
void h_binding_delete(struct ctx *, struct response *);
void h_binding_lastop(struct ctx *, struct response *);
void h_metrics_get(struct ctx *, struct response *);
void h_health_get(struct ctx *, struct response *);
void h_status_get(struct ctx *, struct response *);

#endif
