/* SPDX-License-Identifier: ISC */
/*
 * test_identity.c: X-Broker-API-Originating-Identity decoding —
 * "<platform> <base64 of a JSON object>" or a 400.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "response.h"
#include "resp_desc.h"
#include "tap.h"

/* base64 of {"user_id":"x"} */
#define USER_X "eyJ1c2VyX2lkIjoieCJ9"

/* Decodes header; its unformatted JSON must be want. */
static void
decodes(const char *header, const char *want, const char *what)
{
	struct response	 err;
	cJSON		*out = (cJSON *)&err;
	char		*got = NULL;
	int		 rc;

	response_init(&err);
	rc = identity_decode(header, &out, &err);
	if (rc == 0 && out != NULL)
		got = cJSON_PrintUnformatted(out);
	CHECK(rc == 0 && got != NULL && strcmp(got, want) == 0, "decodes %s",
	    what);
	if (got == NULL || strcmp(got, want) != 0)
		printf("#   rc %d got %s\n#  want %s\n", rc, got ? got : "(null)",
		    want);
	free(got);
	cJSON_Delete(rc == 0 ? out : NULL);
	response_free(&err);
}

static void
refuses(const char *header, const char *what)
{
	struct response	 err;
	cJSON		*out = (cJSON *)&err;
	int		 rc;

	response_init(&err);
	rc = identity_decode(header, &out, &err);
	CHECK(rc == -1 && out == NULL && err.status == 400 &&
	    desc(&err)[0] != '\0', "refuses %s with 400", what);
	if (rc == 0)
		cJSON_Delete(out);
	response_free(&err);
}

int
main(void)
{
	struct response	 err;
	cJSON		*out = (cJSON *)&err;
	int		 rc;

	response_init(&err);
	rc = identity_decode(NULL, &out, &err);
	CHECK(rc == 0 && out == NULL, "absent header: 0 and NULL");
	CHECK(err.body == NULL && err.status == 500,
	    "absent header: response untouched");
	response_free(&err);

	decodes("cloudfoundry " USER_X,
	    "{\"platform\":\"cloudfoundry\",\"value\":{\"user_id\":\"x\"}}",
	    "the spec's example shape");
	decodes("kubernetes e30=", "{\"platform\":\"kubernetes\",\"value\":{}}",
	    "an empty object");
	decodes("kubernetes e30", "{\"platform\":\"kubernetes\",\"value\":{}}",
	    "unpadded base64");
	decodes("cloudfoundry eyJ1c2VyX2lkIjoiNjgzZWE3NDgtMzA5Mi00ZmY0LWI2NTYtM"
	    "zljYWNjNGQ1MzYwIiwiZXh0cmEiOnsiayI6WzEsMl19fQ==",
	    "{\"platform\":\"cloudfoundry\",\"value\":{\"user_id\":"
	    "\"683ea748-3092-4ff4-b656-39cacc4d5360\",\"extra\":{\"k\":[1,2]}}}",
	    "nested values kept");
	decodes("my-platform_1.0 " USER_X,
	    "{\"platform\":\"my-platform_1.0\",\"value\":{\"user_id\":\"x\"}}",
	    "any printable platform name");

	refuses("", "an empty header");
	refuses("cloudfoundry", "no space");
	refuses("cloudfoundry" USER_X, "no space, value appended");
	refuses(" " USER_X, "an empty platform");
	refuses("cloudfoundry  " USER_X, "two spaces");
	refuses("cloud foundry " USER_X, "a space in the platform");
	refuses("cloudfoundry " USER_X " ", "a trailing space");
	refuses("cloudfoundry ", "an empty value");
	refuses("cloud\tfoundry " USER_X, "a tab in the platform");
	refuses("cloud\xc3\xa9 " USER_X, "a non-ASCII platform");
	refuses("cloudfoundry " USER_X "*", "bad base64 (a '*')");
	refuses("cloudfoundry eyJ1c2VyX2lkIjoieCJ", "bad base64 (length)");
	refuses("cloudfoundry {\"user_id\":\"x\"}", "JSON that is not base64");
	refuses("cloudfoundry bm90IGpzb24=", "base64 of non-JSON");
	refuses("cloudfoundry WzEsMl0=", "base64 of a JSON array");
	refuses("cloudfoundry InMi", "base64 of a JSON string");
	refuses("cloudfoundry eyJhIjoxLCJhIjoyfQ==",
	    "base64 of an object with a duplicate key");
	refuses("cloudfoundry eyJ1c2VyX2lkIjoieCJ9eA==",
	    "base64 of an object with trailing bytes");
	refuses("cloudfoundry AA==", "base64 of a NUL byte");
	return tap_done();
}
