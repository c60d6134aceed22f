/* SPDX-License-Identifier: ISC */
/*
 * jsonin: request bodies, from bytes to a checked cJSON object, and typed
 * access to their fields.
 *
 * cJSON parses whatever it is given; this module decides what we accept:
 * valid UTF-8, no NUL bytes, nesting at most OSB_MAX_JSON_DEPTH (checked
 * before parsing, so hostile depth never reaches the recursive parser), a
 * single JSON object with no trailing bytes and no duplicate keys.  Unknown
 * fields are kept and ignored (spec.md "Vendor Extension Fields").
 *
 * Ownership: jsonin_parse() returns a tree the caller frees with cJSON_Delete.
 */
#ifndef OSB_JSONIN_H
#define OSB_JSONIN_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "response.h"

/* Parse a request body that must be a JSON object, nested at most
 * max_depth levels with at most max_keys object members in all.  Returns
 * the object, or NULL with a 400 in *err. */
cJSON *jsonin_parse_limits(const char *body, size_t len, int max_depth,
    size_t max_keys, struct response *err);

/* The same with the default limits (OSB_MAX_JSON_DEPTH, OSB_MAX_JSON_KEYS). */
cJSON *jsonin_parse(const char *body, size_t len, struct response *err);

/* cJSON_GetObjectItemCaseSensitive(obj, name): the first member of obj
 * named name, or NULL (also for obj or name NULL, and at a member without
 * a name, where cJSON stops too).  The same member, found without a
 * strcmp() call for the members whose name starts otherwise: records are
 * read member by member many times a request. */
cJSON *jsonin_member(const cJSON *obj, const char *name);
/* cJSON_DetachItemFromObjectCaseSensitive(obj, name) by jsonin_member():
 * that member taken out of obj, the caller's now, or NULL. */
cJSON *jsonin_detach(cJSON *obj, const char *name);

/* Typed fields.  Each returns 0 when the field is absent or well-typed
 * (*out NULL when absent) and -1 with a 400 in *err when it has the wrong type
 * or, for strings, is empty.  "required" turns absence into a 400 too. */
int jsonin_string(const cJSON *obj, const char *name, int required,
    const char **out, struct response *err);
int jsonin_object(const cJSON *obj, const char *name, int required,
    const cJSON **out, struct response *err);

#endif
