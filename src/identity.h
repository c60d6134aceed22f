/* SPDX-License-Identifier: ISC */
/*
 * identity: X-Broker-API-Originating-Identity (spec.md "Originating
 * Identity"): "<platform> <base64 of a JSON object>".
 *
 * Decoded once at the edge; the result is stored with the state change the
 * request caused, for auditing.  A malformed header is a 400, never a crash.
 */
#ifndef OSB_IDENTITY_H
#define OSB_IDENTITY_H

#include <cjson/cJSON.h>
#include "response.h"

/* Returns 0 with *out = {"platform": "...", "value": {...}} (caller frees with
 * cJSON_Delete), or *out = NULL when the header is absent; -1 with a 400. */
int identity_decode(const char *header, cJSON **out, struct response *err);

#endif
