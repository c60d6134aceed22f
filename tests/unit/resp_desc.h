/* SPDX-License-Identifier: ISC */
/*
 * resp_desc.h: the "description" of an error response, for unit tests of
 * modules that answer with one ("" when there is none).
 */
#ifndef OSB_RESP_DESC_H
#define OSB_RESP_DESC_H

#include <cjson/cJSON.h>
#include "response.h"

static inline const char *
desc(const struct response *resp)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(resp->body,
	    "description");

	return cJSON_IsString(d) ? d->valuestring : "";
}

#endif
