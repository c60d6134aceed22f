/* SPDX-License-Identifier: ISC */
/*
 * plancfg: a plan's broker-only settings (the "osbroker" keys of catalog.yml),
 * checked once when the catalog is loaded and kept in typed form.
 *
 * Why a module: these settings decide what the broker does for a plan (which
 * hook programs run, which actions are asynchronous, how credentials are
 * made), so a typo must be refused at load time with a message naming the
 * key, never discovered by the first request.  A plan's key overrides the
 * same key of its service.  Keys are documented in osbroker-catalog(5).
 *
 * Ownership: plancfg_build() returns a struct the caller frees with
 * plancfg_free().  The cJSON pointers inside are borrowed from the catalog's
 * "osbroker" objects and live as long as the catalog.
 */
#ifndef OSB_PLANCFG_H
#define OSB_PLANCFG_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "action.h"


#define PLANCFG_DEFAULT_HOOK_TIMEOUT	30	/* seconds: below nginx's 60 s read timeout */
#define PLANCFG_MAX_HOOK_TIMEOUT	86400
#define PLANCFG_DEFAULT_POLL_INTERVAL	5	/* Retry-After, seconds */
#define PLANCFG_MAX_SECRET_BYTES	64

struct plancfg {
	char		*hook[ACT__COUNT];	/* program path, or NULL */
	int		 async[ACT__COUNT];	/* 202 + runner for this action */
	long		 hook_timeout;		/* seconds per run */
	long		 poll_interval;		/* seconds, Retry-After */
	long		 binding_ttl;		/* seconds; 0: no expiry */
	long		 binding_renew_before;	/* seconds before expiry */
	int		 requires_app;
	int		 validate_parameters;	/* default 1: check requests'
						   parameters against the
						   plan's schemas */
	const cJSON	*settings;		/* object or NULL */
	const cJSON	*secrets;		/* object name -> bytes, or NULL */
	const cJSON	*credentials;		/* template object, or NULL */
	const cJSON	*endpoints;		/* template array, or NULL */
	const cJSON	*hook_env;		/* object name -> string, or NULL */
};

/* Check and merge the service's and the plan's settings (either may be NULL).
 * Relative hook paths resolve against base_dir.  Returns 0 with *out, or -1
 * with a message naming the key in err. */
int  plancfg_build(const cJSON *service, const cJSON *plan,
         const char *base_dir, struct plancfg **out, char *err, size_t errlen);
void plancfg_free(struct plancfg *);

#endif
