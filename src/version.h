/* SPDX-License-Identifier: ISC */
/*
 * version: the X-Broker-API-Version header (spec.md "API Version Header").
 *
 * "MAJOR.MINOR", both decimal.  We speak major 2 and implement through 2.17;
 * newer 2.x minors are accepted because minor revisions are additive.
 */
#ifndef OSB_VERSION_H
#define OSB_VERSION_H

#include "response.h"

/* osbroker's own version (--version, and the compiled catalog cache). */
#define OSB_VERSION "0.1.0"

/* Check the header for an endpoint that needs at least 2.min_minor.  Returns 0
 * with *minor set, or -1 with the error response (400 missing, 412 other). */
int version_check(const char *header, int min_minor, int *minor,
    struct response *err);

#endif
