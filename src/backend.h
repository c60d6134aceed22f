/*
 * backend: what a binding is made of.  Today: the built-in backend, which
 * generates credentials per binding from the kernel's CSPRNG; they are stored
 * with the binding so a repeated or fetched bind returns the same values.
 *
 * Plan settings (catalog.yml, key "osbroker" of a plan; never served):
 *   binding_ttl           seconds a binding is valid; sets metadata.expires_at
 *   binding_renew_before  seconds before expiry to renew; metadata.renew_before
 *   requires_app          true: a bind without app_guid is 422 RequiresApp
 *
 * Ownership: backend_* functions return new cJSON trees the caller frees.
 */
#ifndef OSB_BACKEND_H
#define OSB_BACKEND_H

#include <time.h>
#include <cjson/cJSON.h>
#include "catalog.h"

/* New credentials for binding bid of instance iid; NULL on failure. */
cJSON *backend_credentials(const struct catalog_plan *, const char *iid,
    const char *bid);

/* Binding metadata {expires_at, renew_before} per the plan, or NULL when the
 * plan sets no lifetime. */
cJSON *backend_binding_metadata(const struct catalog_plan *, time_t now);

/* A plan setting: integer (seconds) or boolean; def when absent. */
long   backend_setting_long(const struct catalog_plan *, const char *name,
    long def);
int    backend_setting_bool(const struct catalog_plan *, const char *name,
    int def);

#endif
