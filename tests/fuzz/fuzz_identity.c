/* SPDX-License-Identifier: ISC */
/*
 * fuzz_identity: X-Broker-API-Originating-Identity through
 * identity_decode() (src/identity.c): "<platform> <base64 of a JSON
 * object>".
 *
 * The input is the header value as the web server hands it over, a C
 * string (it ends at the first NUL).  Properties: accepted, the result is
 * {"platform": the bytes before the one space, "value": an object}, and
 * the platform is printable ASCII without spaces; refused, it is a 400
 * with a description; printed (as it is stored with the record) the
 * result parses again.
 */
#include <cjson/cJSON.h>

#include "fuzz.h"
#include "identity.h"
#include "response.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct response	 err;
	cJSON		*id = (cJSON *)1, *again;
	const cJSON	*platform, *value, *d;
	const char	*sp, *p;
	char		*header, *text;

	header = fuzz_copy(data, size);
	response_init(&err);
	if (identity_decode(header, &id, &err) == -1) {
		d = cJSON_GetObjectItemCaseSensitive(err.body, "description");
		FUZZ_CHECK(id == NULL && err.status == 400 &&
		    cJSON_IsString(d) && d->valuestring[0] != '\0',
		    "refused with status %d", err.status);
		goto out;
	}
	FUZZ_CHECK(id != NULL, "no identity for a header");
	sp = strchr(header, ' ');
	FUZZ_CHECK(sp != NULL && sp > header && strchr(sp + 1, ' ') == NULL,
	    "accepted without exactly one space: \"%s\"", header);
	for (p = header; p < sp; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f, "platform byte 0x%02x",
		    (unsigned char)*p);
	platform = cJSON_GetObjectItemCaseSensitive(id, "platform");
	value = cJSON_GetObjectItemCaseSensitive(id, "value");
	FUZZ_CHECK(cJSON_IsString(platform) &&
	    strlen(platform->valuestring) == (size_t)(sp - header) &&
	    memcmp(platform->valuestring, header, (size_t)(sp - header)) == 0,
	    "platform is not the header's first word");
	FUZZ_CHECK(cJSON_IsObject(value), "value is not an object");
	FUZZ_CHECK(cJSON_GetArraySize(id) == 2, "extra fields");
	text = cJSON_PrintUnformatted(id);
	FUZZ_CHECK(text != NULL, "cannot print the identity");
	again = cJSON_Parse(text);
	FUZZ_CHECK(again != NULL, "the printed identity does not parse");
	cJSON_Delete(again);
	free(text);
	cJSON_Delete(id);
out:
	response_free(&err);
	free(header);
	return 0;
}
