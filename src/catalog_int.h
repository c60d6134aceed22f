/* SPDX-License-Identifier: ISC */
/*
 * catalog_int: what the catalog's three files share, and nobody else.
 *
 * catalog.c owns struct catalog: it assembles one from the parts below,
 * renders and hashes the served JSON, and answers the lookups.  Two
 * producers fill the parts: catload.c walks catalog.yml with libyaml and
 * checks every catalog rule, catcache.c reads back the compiled form that
 * already passed them.  Neither sees inside struct catalog; catcache.c reads
 * a catalog back through catalog_doc() and catalog_plans().
 *
 * Ownership: struct catalog_parts owns its record arrays and brokers until
 * catalog_assemble() takes the brokers; catalog_parts_free() frees what is
 * left.  The cJSON objects the records point to belong to the tree being
 * assembled.
 */
#ifndef OSB_CATALOG_INT_H
#define OSB_CATALOG_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "catalog.h"
#include "limits.h"

/* A place in catalog.yml, 0-based as libyaml counts. */
struct catalog_mark {
	size_t		 line;
	size_t		 column;
};

/* An offering or a plan, as the producers hand it over. */
struct catalog_rec {
	cJSON		*json;		/* its object in the served tree */
	const cJSON	*broker;	/* its "osbroker" object or NULL */
	struct catalog_mark idmark;	/* where its id and name are (zero */
	struct catalog_mark namemark;	/* in the compiled form) */
	size_t		 svc;		/* plans: index of their offering */
	size_t		 first;		/* offerings: their plans in plans[] */
	size_t		 nplans;
};

struct catalog_recs {
	struct catalog_rec *v;
	size_t		 n;
	size_t		 cap;
};

/* A catalog being loaded: where errors go, the records in file order, and
 * the array that owns their "osbroker" objects. */
struct catalog_parts {
	struct catalog_error *err;
	char		 base_dir[OSB_MAX_PATH];	/* for relative hooks */
	cJSON		*brokers;
	struct catalog_recs svcs;
	struct catalog_recs plans;
};

/* Fill err at mark (NULL: no place) and return -1. */
int	catalog_fail(struct catalog_error *, const struct catalog_mark *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
int	catalog_vfail(struct catalog_error *, const struct catalog_mark *,
	    const char *, va_list) __attribute__((format(printf, 3, 0)));

/* Start loading the catalog called name (for messages and relative hook
 * paths): no *out yet, errors into err (or scratch), an empty brokers
 * array.  0, or -1 when out of memory. */
int	catalog_parts_begin(struct catalog_parts *, const char *name,
	    struct catalog **out, struct catalog_error *err,
	    struct catalog_error *scratch);
int	catalog_parts_push(struct catalog_parts *, struct catalog_recs *,
	    const struct catalog_rec *);
/* Record broker (NULL for none) in r, owned by the parts from now on. */
int	catalog_keep_broker(struct catalog_parts *, cJSON *broker,
	    struct catalog_rec *r);
/* Build *out from the served tree *root and the records: the plan index,
 * each plan's checked broker settings, the JSON text and its ETag.  Takes
 * *root (NULL after), on failure too; the brokers go into *out. */
int	catalog_assemble(struct catalog_parts *, cJSON **root,
	    struct catalog **out);
void	catalog_parts_free(struct catalog_parts *);

/* The served tree (its plans: catalog_plans(), catalog.h). */
const cJSON *catalog_doc(const struct catalog *);
void	catalog_set_mtime(struct catalog *, time_t mtime);
/* Hand the catalog the n warnings kept (malloc'd; it frees them) of the
 * total found. */
void	catalog_set_warnings(struct catalog *, struct catalog_error *, size_t n,
	    size_t total);

#endif
