/* SPDX-License-Identifier: ISC */
/*
 * backend: what a binding is made of when the broker makes it itself.
 *
 * Built-in credentials are generated per binding: a plan's `secrets` from
 * the kernel's CSPRNG, expanded into its `credentials` and `endpoints`
 * templates (template.h); without a template, a username, a password and a
 * uri.  They are stored with the binding, so a repeated or fetched bind
 * returns the same values, and handed to a bind hook, if any, which may add
 * to them (op.h).  Settings: osbroker-catalog(5).
 *
 * Ownership: backend_* functions return new cJSON trees the caller frees.
 */
#ifndef OSB_BACKEND_H
#define OSB_BACKEND_H

#include <stddef.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "catalog.h"

/* Credentials (and, when the plan has an endpoints template, *endpoints)
 * for binding bid of instance iid.  NULL with a reason in err: a parameter
 * the template needs is missing or not a scalar (a 400), or *internal set
 * when randomness or memory failed. */
cJSON *backend_credentials(const struct catalog_plan *, const char *iid,
    const char *bid, const cJSON *params, const cJSON *instance_params,
    cJSON **endpoints, int *internal, char *err, size_t errlen);

/* Binding metadata {expires_at, renew_before} per the plan, or NULL when the
 * plan sets no lifetime. */
cJSON *backend_binding_metadata(const struct catalog_plan *, time_t now);

#endif
