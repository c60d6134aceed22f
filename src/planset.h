/* SPDX-License-Identifier: ISC */
/*
 * planset: the services and plans one broker user may see, for a broker
 * that serves several platforms which must not see each other's plans
 * (osbroker(8), "CREDENTIALS").
 *
 * A line of the credentials file may end in a third field,
 *
 *     user:$y$...:plans=SERVICE/PLAN,SERVICE,...
 *
 * where SERVICE is a service offering's id or name and PLAN one of its
 * plans' id or name; SERVICE alone stands for all its plans.  A user
 * without the field sees the whole catalog, as before.  The field is
 * checked twice: its syntax where the file is read (auth.c), what it names
 * against the catalog here (planset_resolve()), since the two are loaded
 * and reloaded apart.
 *
 * A resolved set is a subset of one loaded catalog: its own catalog
 * document and ETag (rendered once, services in the catalog's order,
 * keeping only the plans of the set and the services that keep a plan),
 * and lookups that answer as if the other plans did not exist.
 *
 * Ownership: planset_resolve() returns a set the caller frees with
 * planset_free(); it borrows the catalog, which must outlive it.
 */
#ifndef OSB_PLANSET_H
#define OSB_PLANSET_H

#include <stddef.h>

#include "catalog.h"

#define PLANSET_PREFIX	"plans="

struct planset;

/* 0 when field is "plans=" and a comma list of one or more SERVICE or
 * SERVICE/PLAN entries, each part 1 or more printable ASCII characters
 * other than ',', '/', ':' and space; else -1 with the reason in err. */
int  planset_syntax(const char *field, char *err, size_t errlen);

/* The set field names in cat.  strict: an entry that names no service,
 * or no plan of the services it names, is an error (-1, err says which).
 * Not strict: such an entry grants nothing, and err names the first of
 * them (err[0] is '\0' when every entry named something).  -1 also for a
 * field planset_syntax() refuses, or out of memory. */
int  planset_resolve(const struct catalog *cat, const char *field,
         int strict, struct planset **out, char *err, size_t errlen);
void planset_free(struct planset *);

/* planset_resolve() strict, for its verdict alone: no set is kept (a
 * check of every user at start costs no rendering). */
int  planset_check(const struct catalog *cat, const char *field, char *err,
         size_t errlen);

/* catalog_lookup() in the set: a plan outside it is CATALOG_NO_PLAN, and
 * a service none of whose plans are in it CATALOG_NO_SERVICE.  A NULL set
 * is the whole catalog. */
enum catalog_lookup_result planset_lookup(const struct planset *,
         const struct catalog *cat, const char *service_id,
         const char *plan_id, struct catalog_plan *out);

/* The set's catalog document {"services":[...]} (unformatted) and its
 * strong ETag, with quotes: the catalog's own when the set is the whole
 * catalog. */
const char *planset_json(const struct planset *, size_t *len);
const char *planset_etag(const struct planset *);

/* How many plans the set holds. */
size_t planset_count(const struct planset *);

#endif
