/* SPDX-License-Identifier: ISC */
/*
 * catalog: the service catalog, loaded from catalog.yml.
 *
 * Why a module: the catalog is the broker's only configuration that the platform
 * sees.  It is parsed with libyaml, validated against the OSBAPI rules (spec.md,
 * "Catalog Management"), normalised (camelCase keys of early example brokers such
 * as planUpdateable become the spec's plan_updateable), stripped of broker-only
 * settings, and rendered to JSON exactly once per load.  Handlers only ever look
 * plans up through catalog_lookup(); they never walk YAML.
 *
 * Broker-only settings live under the key "osbroker" of a service or a plan.
 * They are checked (plancfg.h), kept (catalog_plan.cfg) but never served.
 * Relative hook paths in them resolve against the catalog file's directory.
 *
 * Ownership: catalog_load*() returns a catalog the caller frees with
 * catalog_free().  Every pointer handed out by the accessors (strings, cJSON
 * nodes, struct catalog_plan fields) is owned by the catalog and lives until
 * catalog_free().
 */
#ifndef OSB_CATALOG_H
#define OSB_CATALOG_H

#include <stddef.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "limits.h"

struct catalog;
struct plancfg;
struct jschema;

/* The schemas a plan may declare (spec.md "Schema Object"). */
enum catalog_schema {
	CS_CREATE,		/* service_instance.create.parameters */
	CS_UPDATE,		/* service_instance.update.parameters */
	CS_BIND,		/* service_binding.create.parameters */
	CS__COUNT
};

/* Where and why a catalog was refused.  line/column are 1-based; 0 when the
 * problem is not tied to a place (e.g. the file cannot be opened). */
struct catalog_error {
	char file[OSB_MAX_MESSAGE_LEN];
	int  line;
	int  column;
	char message[OSB_MAX_MESSAGE_LEN];
};

/* The effective view of one plan: plan-level fields override service-level. */
struct catalog_plan {
	const char  *service_id;
	const char  *service_name;
	const char  *plan_id;
	const char  *plan_name;
	int          bindable;               /* plan.bindable, else service.bindable */
	int          plan_updateable;        /* plan overrides service; default 0 */
	int          instances_retrievable;  /* service; default 0 */
	int          bindings_retrievable;   /* service; default 0 */
	int          allow_context_updates;  /* service; default 0 */
	int          binding_rotatable;      /* plan; default 0 */
	const char  *maintenance_version;    /* plan.maintenance_info.version or NULL */
	long         maximum_polling_duration; /* seconds; 0 when not set */
	const cJSON *service;                /* the served service object */
	const cJSON *plan;                   /* the served plan object */
	const cJSON *service_broker;         /* service "osbroker" object or NULL */
	const cJSON *plan_broker;            /* plan "osbroker" object or NULL */
	const struct plancfg *cfg;           /* the checked broker settings */
	struct jschema **schemas;            /* CS__COUNT slots: catalog_schema() */
};

enum catalog_lookup_result {
	CATALOG_FOUND = 0,
	CATALOG_NO_SERVICE,       /* no service with that id */
	CATALOG_NO_PLAN           /* the service has no plan with that id */
};

/* Load and validate a file.  Returns 0 and sets *out, or -1 and fills *err
 * (err->file is the path given).  Records the file's mtime for Last-Modified. */
int  catalog_load(const char *path, struct catalog **out, struct catalog_error *err);

/* Same, from memory; name is used in error messages.  mtime is 0. */
int  catalog_load_buffer(const char *name, const char *data, size_t len,
         struct catalog **out, struct catalog_error *err);

void catalog_free(struct catalog *);

/* What Cloud Foundry's Cloud Controller or the Kubernetes service catalog
 * would refuse when the broker is registered, though the spec allows it
 * (osbroker-catalog(5), "Platform checks"): each with its place, as
 * errors are.  *n are kept (at most OSB_MAX_CATALOG_WARNINGS), *total were
 * found (total may be NULL).  None for a catalog read back from its
 * compiled form (catcache.h): the check ran when it was compiled. */
const struct catalog_error *catalog_warnings(const struct catalog *,
         size_t *n, size_t *total);

/* The served document {"services":[...]}, rendered once at load (unformatted). */
const char *catalog_json(const struct catalog *, size_t *len);

/* A strong ETag for catalog_json(), with its quotes, e.g. "\"3f2a...\"". */
const char *catalog_etag(const struct catalog *);

/* The plans in the served order (grouped by offering), *n of them. */
const struct catalog_plan *catalog_plans(const struct catalog *, size_t *n);

/* The strong ETag catalog_etag() gives a served document of len bytes,
 * into out (at least CATALOG_ETAG_LEN bytes). */
#define CATALOG_ETAG_LEN 20
void catalog_etag_of(const char *json, size_t len, char *out);

/* The catalog file's modification time (0 for buffers). */
time_t catalog_mtime(const struct catalog *);

enum catalog_lookup_result catalog_lookup(const struct catalog *,
         const char *service_id, const char *plan_id, struct catalog_plan *out);

/* Look up a plan by id alone (plan ids are unique across the catalog). */
enum catalog_lookup_result catalog_lookup_plan(const struct catalog *,
         const char *plan_id, struct catalog_plan *out);

/* The plan's schema which, compiled: 0 with *out (NULL when the plan
 * declares none), or -1 with err (a schema the catalog's checks passed
 * does not fail; out of memory).  Compiled at its first use in this
 * process, without its meta-schema check, which the load did (a catalog
 * read from the compiled cache, catcache.h, compiles only what its
 * requests need), and kept by the catalog: catalog_free() frees it. */
int catalog_schema(const struct catalog_plan *, enum catalog_schema which,
         const struct jschema **out, char *err, size_t errlen);

/* The schema which in the served plan object, or NULL. */
const cJSON *catalog_schema_json(const cJSON *plan, enum catalog_schema which);

#endif
