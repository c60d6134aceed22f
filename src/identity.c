/* SPDX-License-Identifier: ISC */
/*
 * identity: see identity.h.
 */
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "jsonin.h"
#include "util.h"

int
identity_decode(const char *header, cJSON **out, struct response *err)
{
	const char	*sp, *p;
	char		*platform = NULL, *raw = NULL;
	size_t		 rawlen;
	cJSON		*value = NULL, *id = NULL;
	struct response	 inner;

	*out = NULL;
	if (header == NULL)
		return 0;
	sp = strchr(header, ' ');
	if (sp == NULL || sp == header || strchr(sp + 1, ' ') != NULL)
		goto bad;
	for (p = header; p < sp; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			goto bad;
	if ((platform = strndup(header, (size_t)(sp - header))) == NULL)
		goto bad;
	if ((raw = util_b64_decode(sp + 1, strlen(sp + 1), &rawlen)) == NULL)
		goto bad;
	response_init(&inner);
	value = jsonin_parse(raw, rawlen, &inner);
	response_free(&inner);
	if (value == NULL)
		goto bad;
	if ((id = cJSON_CreateObject()) == NULL)
		goto bad;
	cJSON_AddStringToObject(id, "platform", platform);
	cJSON_AddItemToObject(id, "value", value);
	value = NULL;
	free(platform);
	free(raw);
	*out = id;
	return 0;
bad:
	free(platform);
	free(raw);
	cJSON_Delete(value);
	response_error(err, OSB_ERR_BAD_REQUEST, "X-Broker-API-Originating-"
	    "Identity must be \"<platform> <base64 of a JSON object>\"");
	return -1;
}
