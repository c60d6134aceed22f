/* SPDX-License-Identifier: ISC */
/*
 * test_jsonin.c: what request bodies are accepted (one JSON object, valid
 * UTF-8, no NUL, depth <= OSB_MAX_JSON_DEPTH, no duplicate keys, nothing
 * after it) and the typed field accessors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonin.h"
#include "limits.h"
#include "response.h"
#include "resp_desc.h"
#include "tap.h"
#include "util.h"

static void
accepts_len(const char *body, size_t len, const char *what)
{
	struct response	 err;
	cJSON		*o;

	response_init(&err);
	o = jsonin_parse(body, len, &err);
	CHECK(o != NULL && cJSON_IsObject(o), "accepts %s", what);
	if (o == NULL)
		printf("#   %d: %s\n", err.status, desc(&err));
	cJSON_Delete(o);
	response_free(&err);
}

static void
rejects_len(const char *body, size_t len, const char *what)
{
	struct response	 err;
	cJSON		*o;

	response_init(&err);
	o = jsonin_parse(body, len, &err);
	CHECK(o == NULL && err.status == 400 && desc(&err)[0] != '\0',
	    "rejects %s with 400 and a description", what);
	cJSON_Delete(o);
	response_free(&err);
}

static void
accepts(const char *body, const char *what)
{
	accepts_len(body, strlen(body), what);
}

static void
rejects(const char *body, const char *what)
{
	rejects_len(body, strlen(body), what);
}

/* depth levels of {"a": ... {} ... } (or [ ] when arr), in a new string. */
static char *
nested(int depth, int arr)
{
	char	*s, *p;
	int	 i;

	if ((p = s = malloc((size_t)depth * 6 + 8)) == NULL)
		abort();
	*p++ = '{';
	for (i = 1; i < depth; i++) {
		if (arr) {
			if (i == 1) {
				memcpy(p, "\"a\":", 4);
				p += 4;
			}
			*p++ = '[';
		} else {
			memcpy(p, "\"a\":{", 5);
			p += 5;
		}
	}
	for (i = 1; i < depth; i++)
		*p++ = arr ? ']' : '}';
	*p++ = '}';
	*p = '\0';
	return s;
}

static void
test_parse(void)
{
	char	*s, buf[256];
	int	 i;

	accepts("{}", "an empty object");
	accepts("{\"a\":1,\"b\":{\"c\":[1,2,{\"d\":\"e\"}]},\"f\":null}",
	    "a nested object");
	accepts(" \r\n\t{\"a\":true} \r\n\t", "whitespace around the object");
	accepts("{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", "UTF-8 text");
	accepts("{\"s\":\"\\u00e9\\ud83d\\ude00\"}", "\\u escapes");
	accepts_len("{}garbage", 2, "only len bytes");

	rejects_len(NULL, 0, "a NULL body");
	rejects_len("", 0, "an empty body");
	rejects_len("{}", 0, "len 0");
	rejects("   ", "whitespace only");
	rejects("{", "an unclosed object");
	rejects("{\"a\":}", "a missing value");
	rejects("{'a':1}", "single quotes");
	rejects("{a:1}", "an unquoted key");
	rejects("{\"a\":1,}", "a trailing comma");
	/* RFC 8259 grammar that cJSON alone tolerates. */
	rejects("{\"a\":01}", "a leading zero");
	rejects("{\"a\":1.}", "a number ending in '.'");
	rejects("{\"a\":\"x\ty\"}", "a raw tab inside a string");
	rejects("{\"a\":\"x\001y\"}", "a raw control byte inside a string");
	rejects("{\"a\":\"\\x\"}", "a bad escape");
	rejects("{\"a\":\"\\ud800\"}", "a lone surrogate escape");
	rejects("{}x", "trailing garbage");
	rejects("{} {}", "two objects");
	rejects("{}}", "an extra '}'");
	rejects("{}\n,", "garbage after a newline");
	rejects("[]", "an array root");
	rejects("[{}]", "an array of objects");
	rejects("\"s\"", "a string root");
	rejects("1", "a number root");
	rejects("true", "a boolean root");
	rejects("null", "a null root");
	rejects("{\"a\":\"\xc0\xaf\"}", "overlong UTF-8");
	rejects("{\"a\":\"\xed\xa0\x80\"}", "a raw surrogate");
	rejects("{\"a\":\"\xff\"}", "byte FF");
	rejects("{\"a\":\"\xc3\"}", "truncated UTF-8");
	rejects("\xef\xbb\xbf{}x", "BOM and trailing garbage");
	rejects_len("{\"a\":\"x\0y\"}", 11, "an embedded NUL in a string");
	rejects_len("{}\0", 3, "a NUL after the object");
	rejects_len("\0{}", 3, "a NUL before the object");

	s = nested(OSB_MAX_JSON_DEPTH, 0);
	accepts(s, "objects nested 32 deep");
	free(s);
	s = nested(OSB_MAX_JSON_DEPTH + 1, 0);
	rejects(s, "objects nested 33 deep");
	free(s);
	s = nested(OSB_MAX_JSON_DEPTH, 1);
	accepts(s, "arrays nested 32 deep (object root)");
	free(s);
	s = nested(OSB_MAX_JSON_DEPTH + 1, 1);
	rejects(s, "arrays nested 33 deep");
	free(s);
	s = nested(10000, 0);
	rejects(s, "objects nested 10000 deep");
	free(s);

	/* Brackets inside strings are text, not nesting. */
	strcpy(buf, "{\"a\":\"");
	for (i = 0; i < 40; i++)
		strcat(buf, "[{");
	strcat(buf, "\"}");
	accepts(buf, "80 brackets inside a string");
	strcpy(buf, "{\"k\\\\\":\"");
	for (i = 0; i < 40; i++)
		strcat(buf, "[");
	strcat(buf, "\",\"q\":\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}");
	accepts(buf, "brackets after escaped backslash and escaped quote");

	rejects("{\"a\":1,\"a\":2}", "a duplicate top-level key");
	rejects("{\"a\":1,\"b\":2,\"a\":1}", "a duplicate key, not adjacent");
	rejects("{\"x\":{\"b\":1,\"b\":2}}", "a duplicate nested key");
	rejects("{\"x\":[1,{\"b\":1,\"b\":{}}]}", "a duplicate key in an array");
	rejects("{\"a\":1,\"\\u0061\":2}", "a duplicate key spelled with \\u");
	accepts("{\"a\":{\"a\":{\"a\":1}}}", "the same key at different levels");
	accepts("{\"a\":1,\"A\":2}", "keys differing in case");
	accepts("{\"x\":[{\"b\":1},{\"b\":2}]}", "the same key in two objects");
	accepts("{\"a\":[1,1,1]}", "repeated array values");
}

/* tests/fuzz/regressions/fuzz_jsonin/duplicate-key-cut-utf8: the message
 * quotes a repeated key to 64 bytes, and must not cut a character in two
 * (the description would not be UTF-8, the response not valid JSON). */
static void
test_quoted_key(void)
{
	static const char k63[] = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "kkkkkkkkkkkkkkkkkkk";
	struct response	 err;
	char		 body[256], want[128];
	const char	*d;
	cJSON		*o;

	snprintf(body, sizeof(body), "{\"%s\u00e9\": 1, \"%s\u00e9\": 2}", k63,
	    k63);
	response_init(&err);
	o = jsonin_parse(body, strlen(body), &err);
	d = desc(&err);
	snprintf(want, sizeof(want), "repeats the key \"%s\"", k63);
	CHECK(o == NULL && err.status == 400 && strstr(d, want) != NULL &&
	    util_utf8_valid(d, strlen(d)), "a quoted key is cut before a 2-byte "
	    "character, not inside it");
	if (strstr(d, want) == NULL)
		printf("#   %s\n", d);
	response_free(&err);
	snprintf(body, sizeof(body), "{\"x\u00e9\": 1, \"x\u00e9\": 2}");
	response_init(&err);
	o = jsonin_parse(body, strlen(body), &err);
	CHECK(o == NULL && strstr(desc(&err), "\"x\xc3\xa9\"") != NULL,
	    "a short key is quoted whole");
	response_free(&err);
}

static void
test_fields(void)
{
	struct response	 err;
	static const char doc[] = "{\"s\":\"x\",\"e\":\"\",\"n\":1,"
	    "\"o\":{\"k\":1},\"z\":null,\"a\":[],\"t\":true}";
	const cJSON	*o;
	const char	*s;
	cJSON		*obj;
	int		 rc;

	response_init(&err);
	obj = jsonin_parse(doc, strlen(doc), &err);
	CHECK(obj != NULL, "fields document parses");
	if (obj == NULL) {
		printf("#   %s\n", desc(&err));
		response_free(&err);
		return;
	}
#define STR(name, req, wantrc, want, what) do {				\
	response_free(&err);						\
	response_init(&err);						\
	s = "unset";							\
	rc = jsonin_string(obj, name, req, &s, &err);			\
	CHECK(rc == (wantrc) && (want == NULL ? s == NULL :		\
	    s != NULL && strcmp(s, want ? want : "") == 0) &&		\
	    (rc == 0 || (err.status == 400 && desc(&err)[0] != '\0')),	\
	    "jsonin_string %s: %s", name, what);			\
} while (0)
	STR("s", 1, 0, "x", "required string");
	STR("s", 0, 0, "x", "optional string");
	STR("missing", 0, 0, NULL, "absent, optional -> NULL");
	STR("missing", 1, -1, NULL, "absent, required -> 400");
	STR("S", 0, 0, NULL, "names are case-sensitive");
	STR("e", 0, -1, NULL, "empty string -> 400");
	STR("e", 1, -1, NULL, "empty string, required -> 400");
	STR("n", 0, -1, NULL, "number -> 400");
	STR("o", 0, -1, NULL, "object -> 400");
	STR("a", 0, -1, NULL, "array -> 400");
	STR("t", 0, -1, NULL, "boolean -> 400");
	STR("z", 0, 0, NULL, "null, optional -> absent");
	STR("z", 1, -1, NULL, "null, required -> 400");
#undef STR

#define OBJ(name, req, wantrc, wantset, what) do {			\
	response_free(&err);						\
	response_init(&err);						\
	o = (const cJSON *)&err;					\
	rc = jsonin_object(obj, name, req, &o, &err);			\
	CHECK(rc == (wantrc) && ((wantset) ? cJSON_IsObject(o) :	\
	    o == NULL) && (rc == 0 ||					\
	    (err.status == 400 && desc(&err)[0] != '\0')),		\
	    "jsonin_object %s: %s", name, what);			\
} while (0)
	OBJ("o", 1, 0, 1, "required object");
	OBJ("o", 0, 0, 1, "optional object");
	OBJ("missing", 0, 0, 0, "absent, optional -> NULL");
	OBJ("missing", 1, -1, 0, "absent, required -> 400");
	OBJ("s", 0, -1, 0, "string -> 400");
	OBJ("a", 0, -1, 0, "array -> 400");
	OBJ("n", 0, -1, 0, "number -> 400");
	OBJ("z", 0, 0, 0, "null, optional -> absent");
	OBJ("z", 1, -1, 0, "null, required -> 400");
#undef OBJ
	rc = jsonin_object(obj, "o", 1, &o, &err);
	CHECK(rc == 0 && o != NULL &&
	    cJSON_GetObjectItemCaseSensitive(o, "k") != NULL,
	    "jsonin_object returns the member itself");
	cJSON_Delete(obj);
	response_free(&err);
}

/* OSBROKER_MAX_JSON_DEPTH and OSBROKER_MAX_JSON_KEYS reach jsonin through
 * jsonin_parse_limits(). */
static void
test_limits(void)
{
	struct response	 err;
	cJSON		*o;
	const char	*three = "{\"a\":{\"b\":{}}}", *four = "{\"a\":{\"b\":"
			    "{\"c\":[]}}}";

	response_init(&err);
	o = jsonin_parse_limits(three, strlen(three), 3, 10, &err);
	CHECK(o != NULL, "depth 3 within a limit of 3");
	cJSON_Delete(o);
	response_free(&err);
	response_init(&err);
	o = jsonin_parse_limits(four, strlen(four), 3, 10, &err);
	CHECK(o == NULL && err.status == 400 && strstr(desc(&err),
	    "nested too deeply") != NULL, "depth 4 over a limit of 3");
	response_free(&err);
	response_init(&err);
	o = jsonin_parse_limits(four, strlen(four), 4, 3, &err);
	CHECK(o != NULL, "3 members within a limit of 3");
	cJSON_Delete(o);
	response_free(&err);
	response_init(&err);
	o = jsonin_parse_limits(four, strlen(four), 4, 2, &err);
	CHECK(o == NULL && strstr(desc(&err), "too many members") != NULL &&
	    strstr(desc(&err), "2 members") != NULL,
	    "3 members over a limit of 2, the limit named");
	response_free(&err);
	response_init(&err);
	o = jsonin_parse_limits("{\"a:b\":\"c:d\"}", 13, 4, 1, &err);
	CHECK(o != NULL, "colons inside strings are not members");
	cJSON_Delete(o);
	response_free(&err);
}

/* jsonin_member() finds what cJSON_GetObjectItemCaseSensitive() finds. */
static void
test_member(void)
{
	cJSON	*o = cJSON_Parse("{\"service_id\":1,\"space_guid\":2,"
		    "\"s\":3,\"\":4,\"plan_id\":5,\"plan_id\":6,\"Plan_id\":7,"
		    "\"p\\u00e9\":8,\"arr\":[1,{\"a\":1}],\"x\":{\"y\":null}}");
	cJSON	*arr = cJSON_GetObjectItemCaseSensitive(o, "arr");
	static const char *const names[] = { "service_id", "space_guid",
	    "s", "", "plan_id", "Plan_id", "plan", "plan_idx", "p\xc3\xa9",
	    "arr", "x", "y", "missing", "sp", "service_i", NULL };
	const char *const *n;
	int	 same = 1;

	for (n = names; *n != NULL; n++)
		if (jsonin_member(o, *n) !=
		    cJSON_GetObjectItemCaseSensitive(o, *n)) {
			printf("# differs at \"%s\"\n", *n);
			same = 0;
		}
	CHECK(same, "jsonin_member: the member cJSON finds, for names "
	    "present, absent, repeated (the first), empty, of a shared "
	    "first byte or a prefix");
	CHECK(jsonin_member(arr, "a") == NULL &&
	    cJSON_GetObjectItemCaseSensitive(arr, "a") == NULL,
	    "... none in an array (its members have no names)");
	CHECK(jsonin_member(NULL, "s") == NULL && jsonin_member(o, NULL) ==
	    NULL, "... none of no object or no name");
	CHECK(jsonin_member(jsonin_member(o, "x"), "y") != NULL &&
	    cJSON_IsNull(jsonin_member(jsonin_member(o, "x"), "y")),
	    "... a null member is a member");
	cJSON_Delete(o);

	o = cJSON_Parse("{\"a\":1,\"b\":2,\"b\":3,\"c\":4}");
	{
		cJSON	*d = jsonin_detach(o, "b");
		char	*t = cJSON_PrintUnformatted(o);

		CHECK(cJSON_IsNumber(d) && d->valueint == 2 && t != NULL &&
		    strcmp(t, "{\"a\":1,\"b\":3,\"c\":4}") == 0,
		    "jsonin_detach: the first member of the name taken out");
		CHECK(jsonin_detach(o, "x") == NULL && jsonin_detach(NULL,
		    "a") == NULL, "... none when there is none");
		cJSON_Delete(d);
		free(t);
	}
	cJSON_Delete(o);
}

int
main(void)
{
	test_parse();
	test_limits();
	test_quoted_key();
	test_fields();
	test_member();
	return tap_done();
}
