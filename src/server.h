/* SPDX-License-Identifier: ISC */
/*
 * server: the broker's loaded state and the path of one request through it:
 * read -> auth -> route -> version -> identity -> handler -> response.
 *
 * struct server is the only long-lived state of a worker: configuration,
 * catalog (reloaded when catalog.yml changes; a broken edit keeps the last
 * good one), credentials (likewise) and the store handle.  Nothing about a
 * request survives it.
 */
#ifndef OSB_SERVER_H
#define OSB_SERVER_H

#include <stddef.h>
#include <sys/stat.h>

#include "auth.h"
#include "catalog.h"
#include "catcache.h"
#include "config.h"
#include "io.h"
#include "planset.h"
#include "records.h"
#include "fwatch.h"
#include "store.h"
#include "throttle.h"

/* The sets of restricted users (planset.h) a worker resolved against its
 * catalog, by their field's text; dropped when the catalog changes. */
#define SERVER_PLANSETS	8
struct server_planset {
	char		*field;
	struct planset	*ps;
};

struct server {
	struct config	 cfg;
	struct catalog	*catalog;	/* NULL in a CGI process that has
					   only read doc */
	struct catcache_served doc;	/* CGI: the catalog as served */
	struct stat	 catalog_st;	/* of the last load attempt */
	struct auth	*auth;
	struct store	*store;
	struct throttle	*throttle;	/* NULL: no budget (config.h) */
	struct fwatch	*watch;		/* catalog and credentials files;
					   NULL: stat() them every request */
	unsigned	 served;	/* requests since store_release() */
	unsigned	 unpruned;	/* requests since audit_prune() */
	struct server_planset plansets[SERVER_PLANSETS];
	unsigned	 plansets_next;
	struct records_memo memo;	/* the handlers' (handlers.h) */
};

/* Load configuration, catalog, credentials and (FastCGI) open the store.  Returns 0,
 * or -1 with a one-line reason in err (naming the file and line). */
int  server_open(struct server *, char *err, size_t errlen);
void server_close(struct server *);

/* Open the store if it is not open yet: server_open() does in a FastCGI
 * worker; a CGI process, whose one request may not need it (the catalog),
 * when a request does (server_handle()).  0, or -1 with a one-line reason
 * in err. */
int  server_open_store(struct server *, char *err, size_t errlen);

/* Serve one request (an io_serve() callback; arg is the struct server). */
void server_handle(struct io *, void *arg);

/* Answer one request with 503 when the broker could not start (CGI mode,
 * where there is no other way to tell the platform). */
void server_unavailable(struct io *, void *arg);

#endif
