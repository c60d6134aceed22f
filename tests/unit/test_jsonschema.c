/* SPDX-License-Identifier: ISC */
/*
 * test_jsonschema.c: what a violation says (exact lines for the main
 * keywords, with their JSON pointers), what compiling refuses and why,
 * the bounds, and the report's truncation.  Whether the keywords behave
 * as the drafts say is the official suite's job (tests/jsonschema/suite.c);
 * this file ends with the cost of one validation, as a TAP comment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonschema.h"
#include "limits.h"
#include "tap.h"

static struct jschema *
compile(const char *text, int draft)
{
	struct jschema_opts	 o = { .draft = draft };
	struct jschema		*s = NULL;
	cJSON			*doc = cJSON_Parse(text);
	char			 err[256];

	if (doc == NULL || jschema_compile(doc, &o, &s, err, sizeof(err))
	    == -1)
		printf("# cannot compile %s: %s\n", text, doc ? err : "JSON");
	cJSON_Delete(doc);
	return s;
}

/* The report of instance against schema, lines joined by "|". */
static const char *
report(const char *schema, const char *instance, const char *root, int *rc)
{
	static char		 out[JSCHEMA_REPORT_MAX * JSCHEMA_LINE_MAX];
	struct jschema		*s = compile(schema, 0);
	struct jschema_report	 r;
	cJSON			*inst = cJSON_Parse(instance);
	size_t			 i;

	out[0] = '\0';
	*rc = -2;
	if (s != NULL && inst != NULL) {
		*rc = jschema_validate(s, inst, root, &r);
		for (i = 0; i < r.kept; i++) {
			strcat(out, i ? "|" : "");
			strcat(out, r.line[i]);
		}
	}
	cJSON_Delete(inst);
	jschema_free(s);
	return out;
}

static void
says(const char *schema, const char *instance, const char *want)
{
	int		 rc;
	const char	*got = report(schema, instance, "parameters", &rc);

	CHECK_STR(got, want, "%s against %s says: %s", instance, schema, want);
	CHECK(rc == (want[0] != '\0'), "%s against %s: validate returns %d",
	    instance, schema, want[0] != '\0');
}

static void
refused(const char *schema, int draft, const char *want)
{
	struct jschema_opts	 o = { .draft = draft };
	struct jschema		*s = NULL;
	cJSON			*doc = cJSON_Parse(schema);
	char			 err[256] = "";
	int			 rc;

	rc = doc != NULL ? jschema_compile(doc, &o, &s, err, sizeof(err)) : 0;
	CHECK(rc == -1 && s == NULL && strcmp(err, want) == 0,
	    "refused: %.60s: %s", schema, want);
	if (rc != -1 || strcmp(err, want) != 0)
		printf("#   got: %s\n", rc == -1 ? err : "(compiled)");
	jschema_free(s);
	cJSON_Delete(doc);
}

/* depth levels of [ ... ] around 1, as text. */
static char *
nested(int depth)
{
	char	*s = malloc((size_t)depth * 2 + 2);
	int	 i;

	if (s == NULL)
		abort();
	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth + 1 + i] = ']';
	}
	s[depth] = '1';
	s[2 * depth + 1] = '\0';
	return s;
}

static void
messages(void)
{
	says("{\"type\": \"integer\"}", "\"9\"",
	    "parameters: \"9\" is not of type integer");
	says("{\"type\": [\"string\", \"null\", \"array\"]}", "1",
	    "parameters: 1 is not of type null, array or string");
	says("{\"properties\": {\"size\": {\"maximum\": 10}}}",
	    "{\"size\": 99}",
	    "parameters/size: 99 is greater than the maximum 10");
	says("{\"maximum\": 10, \"minimum\": 10}", "10", "");	/* inclusive */
	says("{\"properties\": {\"size\": {\"minimum\": 1}}}", "{\"size\": 0.5}",
	    "parameters/size: 0.5 is less than the minimum 1");
	says("{\"maximum\": 10, \"exclusiveMaximum\": true}", "10",
	    "parameters: 10 is not less than the exclusive maximum 10");
	says("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", "
	    "\"exclusiveMinimum\": 0}", "0",
	    "parameters: 0 is not greater than the exclusive minimum 0");
	says("{\"multipleOf\": 0.5}", "1.25",
	    "parameters: 1.25 is not a multiple of 0.5");
	says("{\"multipleOf\": 0.0001}", "0.0075", "");
	says("{\"maxLength\": 2}", "\"h\xc3\xa9\"", "");	/* code points */
	says("{\"maxLength\": 1}", "\"ab\"",
	    "parameters: \"ab\" is longer than 1 character");
	says("{\"minLength\": 3}", "\"ab\"",
	    "parameters: \"ab\" is shorter than 3 characters");
	says("{\"pattern\": \"^[a-z]+$\"}", "\"A\\u0001\"",
	    "parameters: \"A\\u0001\" does not match the pattern \"^[a-z]+$\"");
	says("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", "
	    "\"format\": \"date\"}", "\"2023-02-30\"",
	    "parameters: \"2023-02-30\" is not a valid date");
	says("{\"format\": \"date\"}", "\"2023-02-30\"", "");  /* not in 04 */
	says("{\"enum\": [\"small\", \"large\", 3]}", "\"huge\"",
	    "parameters: \"huge\" is not one of \"small\", \"large\", 3");
	says("{\"enum\": [\"a-long-value-0\", \"a-long-value-1\", "
	    "\"a-long-value-2\", \"a-long-value-3\", \"a-long-value-4\", "
	    "\"a-long-value-5\", \"a-long-value-6\"]}", "\"x\"",
	    "parameters: \"x\" is not one of \"a-long-value-0\", "
	    "\"a-long-value-1\", \"a-long-value-2\", \"a-long-value-3\", "
	    "\"a-long-value-4\", \"a-long-value-5\", ...");
	says("{\"enum\": [1]}", "1.0", "");			/* JSON equality */
	says("{\"$schema\": \"http://json-schema.org/draft-06/schema#\", "
	    "\"const\": {\"a\": [1]}}", "{\"a\": [2]}",
	    "parameters: an object is not the required value an object");
	says("{\"required\": [\"name\", \"size\"]}", "{\"size\": 1}",
	    "parameters: the required property \"name\" is missing");
	says("{\"properties\": {\"size\": {}}, \"additionalProperties\": false}",
	    "{\"size\": 1, \"bogus\": 1, \"x\\ny\": 2}",
	    "parameters: unknown property \"bogus\" is not allowed|"
	    "parameters: unknown property \"x\\u000ay\" is not allowed");
	says("{\"patternProperties\": {\"^x-\": {\"type\": \"string\"}}}",
	    "{\"x-a\": 1, \"a/b~c\": {}}",
	    "parameters/x-a: 1 is not of type string");
	says("{\"additionalProperties\": {\"type\": \"string\"}}",
	    "{\"a/b~c\": 1}", "parameters/a~1b~0c: 1 is not of type string");
	says("{\"dependencies\": {\"a\": [\"b\"]}}", "{\"a\": 1}",
	    "parameters: the property \"a\" requires the property \"b\"");
	says("{\"maxProperties\": 1}", "{\"a\": 1, \"b\": 2}",
	    "parameters: has 2 properties, more than the maximum 1");
	says("{\"items\": {\"type\": \"string\"}}", "[\"a\", 2]",
	    "parameters/1: 2 is not of type string");
	says("{\"items\": [{}], \"additionalItems\": false}", "[1, 2, 3]",
	    "parameters: has 3 items; no more than 1 are allowed");
	says("{\"minItems\": 2}", "[1]",
	    "parameters: has 1 item, fewer than the minimum 2");
	says("{\"uniqueItems\": true}", "[{\"a\": 1, \"b\": 2}, 3, "
	    "{\"b\": 2.0, \"a\": 1}]",
	    "parameters: items 0 and 2 are equal; they must be unique");
	says("{\"$schema\": \"http://json-schema.org/draft-06/schema#\", "
	    "\"contains\": {\"const\": 1}}", "[2]",
	    "parameters: has no item that is valid against \"contains\"");
	says("{\"anyOf\": [{\"type\": \"string\"}, {\"minimum\": 5}]}", "1",
	    "parameters: is not valid against any of the schemas of \"anyOf\"");
	says("{\"oneOf\": [{\"minimum\": 0}, {\"maximum\": 5}]}", "1",
	    "parameters: is valid against more than one schema of \"oneOf\" "
	    "(0 and 1)");
	says("{\"not\": {\"type\": \"null\"}}", "null",
	    "parameters: is valid against the schema of \"not\", and must not "
	    "be");
	says("{\"allOf\": [{\"type\": \"integer\"}, {\"maximum\": 1}]}", "2.5",
	    "parameters: 2.5 is not of type integer|"
	    "parameters: 2.5 is greater than the maximum 1");
	says("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", "
	    "\"if\": {\"minimum\": 10}, \"then\": {\"multipleOf\": 10}}", "15",
	    "parameters: 15 is not a multiple of 10");
	says("{\"$schema\": \"http://json-schema.org/draft-06/schema#\", "
	    "\"properties\": {\"a\": false}}", "{\"a\": 1}",
	    "parameters/a: no value is allowed here");
	says("{\"definitions\": {\"n\": {\"type\": \"integer\"}}, "
	    "\"properties\": {\"a\": {\"$ref\": \"#/definitions/n\", "
	    "\"maximum\": 0}}}", "{\"a\": 3}", "");	/* siblings ignored */
	says("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", "
	    "\"definitions\": {\"x\": {\"$id\": \"#name\", \"type\": \"string\"}},"
	    " \"items\": {\"$ref\": \"#name\"}}", "[\"a\", 1]",
	    "parameters/1: 1 is not of type string");
	says("{\"$ref\": \"http://json-schema.org/draft-07/schema#\"}",
	    "{\"minLength\": -1}",
	    "parameters/minLength: -1 is less than the minimum 0");
}

static void
locations(void)
{
	int		 rc;
	char		 big[600], schema[700];
	const char	*got;

	got = report("{\"properties\": {\"a\": {\"type\": \"string\"}}}",
	    "{\"a\": 1}", "", &rc);
	CHECK_STR(got, "/a: 1 is not of type string",
	    "root \"\": the pointer starts with /");
	got = report("{\"type\": \"string\"}", "1", "", &rc);
	CHECK_STR(got, "(root): 1 is not of type string",
	    "root \"\": the instance itself is (root)");
	got = report("{\"maxLength\": 1}", "\"abcdefghijklmnopqrstuvwxyz"
	    "abcdefghijklmnopqrstuvwxyz\"", "p", &rc);
	CHECK_STR(got, "p: \"abcdefghijklmnopqrstuvwxyzabcdefghijklm...\" is "
	    "longer than 1 character", "a long value is cut");
	got = report("{\"maxLength\": 1}", "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\"", "p", &rc);
	CHECK(strstr(got, "\xc3\xa9...\"") != NULL,
	    "a long value is cut between characters");
	/* a schema's strings need not be UTF-8 (cJSON does not check) */
	{
		struct jschema		*s = NULL;
		struct jschema_report	 r;
		cJSON			*doc = cJSON_Parse("{\"enum\": []}");
		cJSON			*inst = cJSON_CreateString("x");
		char			 err[256];

		cJSON_AddItemToArray(cJSON_GetObjectItem(doc, "enum"),
		    cJSON_CreateString("f\xffo"));
		rc = jschema_compile(doc, NULL, &s, err, sizeof(err));
		CHECK(rc == 0 && jschema_validate(s, inst, "p", &r) == 1 &&
		    strcmp(r.line[0], "p: \"x\" is not one of \"f\\xffo\"") == 0,
		    "an enum value that is not UTF-8 is quoted with \\xNN");
		jschema_free(s);
		cJSON_Delete(inst);
		cJSON_AddItemToObject(doc, "$ref", cJSON_CreateString(
		    "http://example.com/\xff"));
		rc = jschema_compile(doc, NULL, &s, err, sizeof(err));
		CHECK(rc == -1 && strcmp(err, "(root): $ref \"http://example.com/"
		    "\\xff\" is a remote reference: only references within the "
		    "schema are allowed") == 0,
		    "a $ref that is not UTF-8 is quoted with \\xNN");
		cJSON_Delete(doc);
	}
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(schema, sizeof(schema), "{\"additionalProperties\": "
	    "{\"type\": \"string\"}}");
	{
		char inst[700];

		snprintf(inst, sizeof(inst), "{\"%s\": 1}", big);
		got = report(schema, inst, "p", &rc);
		CHECK_STR(got, "p/...: 1 is not of type string",
		    "a pointer too long for a line ends in /...");
	}
}

static void
refusals(void)
{
	char	*deep, *text;
	size_t	 n;
	int	 i;

	refused("{\"properties\": {\"a\": {\"$ref\": "
	    "\"http://example.com/s.json\"}}}", 0,
	    "properties/a: $ref \"http://example.com/s.json\" is a remote "
	    "reference: only references within the schema are allowed");
	refused("{\"$ref\": \"#\"}", 0,
	    "(root): $ref \"#\" closes a cycle of subschemas that consumes no "
	    "input (it would never end)");
	refused("{\"definitions\": {\"a\": {\"allOf\": [{\"$ref\": "
	    "\"#/definitions/b\"}]}, \"b\": {\"not\": {\"$ref\": "
	    "\"#/definitions/a\"}}}}", 0,
	    "definitions/b/not: $ref \"#/definitions/a\" closes a cycle of "
	    "subschemas that consumes no input (it would never end)");
	refused("{\"$ref\": \"#/definitions/none\"}", 0,
	    "(root): $ref \"#/definitions/none\" points to nothing");
	refused("{\"patternProperties\": {\"^(?!x)\": {}}}", 0,
	    "patternProperties/^(?!x): the pattern cannot be used: lookahead "
	    "and lookbehind (?! are not supported");
	refused("{\"properties\": {\"size\": {\"maximum\": \"ten\"}}}", 0,
	    "properties/size/maximum: \"ten\" is not of type number (not a "
	    "valid draft-04 schema)");
	refused("{\"type\": \"integr\"}", 0,
	    "type: is not valid against any of the schemas of \"anyOf\" (not a "
	    "valid draft-04 schema)");
	refused("{\"$schema\": \"http://json-schema.org/draft-03/schema#\"}",
	    0, "$schema: not a draft this validator knows (04, 06 or 07)");
	refused("true", 4, "(root): draft-04 has no boolean schemas");
	refused("[]", 0, "(root): a schema is an object");

	/* too deep: 65 levels of "not" */
	n = 65 * 8 + 8;
	if ((deep = malloc(n)) == NULL)
		abort();
	deep[0] = '\0';
	for (i = 0; i < 65; i++)
		strcat(deep, "{\"not\":");
	strcat(deep, "{}");
	for (i = 0; i < 65; i++)
		strcat(deep, "}");
	refused(deep, 0, "(root): nested deeper than 64 levels");
	free(deep);

	/* too big: an enum of 70,000 bytes */
	n = OSB_JSCHEMA_MAX_BYTES + 1000;
	if ((text = malloc(n + 32)) == NULL)
		abort();
	strcpy(text, "{\"enum\": [\"");
	memset(text + 11, 'x', n);
	strcpy(text + 11 + n, "\"]}");
	refused(text, 0, "(root): the schema is bigger than 65536 bytes");
	free(text);
}

static void
bounds(void)
{
	struct jschema		*s;
	struct jschema_report	 r;
	cJSON			*inst, *arr;
	char			*text;
	int			 i, rc;

	/* an instance nested deeper than the bound */
	s = compile("{}", 0);
	text = nested(OSB_JSCHEMA_MAX_DEPTH + 1);
	inst = cJSON_Parse(text);
	rc = jschema_validate(s, inst, "p", &r);
	CHECK(rc == 1 && r.kept == 1 && strcmp(r.line[0], "p: nested deeper "
	    "than 64 levels") == 0, "an instance 65 levels deep is refused");
	cJSON_Delete(inst);
	free(text);
	text = nested(OSB_JSCHEMA_MAX_DEPTH - 1);
	inst = cJSON_Parse(text);
	CHECK(jschema_validate(s, inst, "p", &r) == 0,
	    "an instance 64 levels deep is validated");
	cJSON_Delete(inst);
	free(text);
	jschema_free(s);

	/* anyOf in anyOf through $ref, 30 levels: 2^30 without the bound */
	{
		char	schema[8192];
		size_t	n;

		n = (size_t)snprintf(schema, sizeof(schema), "{\"definitions\": {");
		for (i = 0; i < 30; i++)
			n += (size_t)snprintf(schema + n, sizeof(schema) - n,
			    "\"d%d\": {\"anyOf\": [{\"$ref\": \"#/definitions/d%d\"}, "
			    "{\"$ref\": \"#/definitions/d%d\"}]},", i, i + 1,
			    i + 1);
		snprintf(schema + n, sizeof(schema) - n, "\"d30\": {\"type\": "
		    "\"string\"}}, \"$ref\": \"#/definitions/d0\"}");
		s = compile(schema, 0);
		inst = cJSON_CreateNumber(1);
		rc = s != NULL ? jschema_validate(s, inst, "p", &r) : -2;
		CHECK(rc == 1 && r.count == 1 && strcmp(r.line[0], "p: "
		    "validating needs more than 1000000 steps or levels; "
		    "refused") == 0,
		    "an exponential anyOf stops at the step bound");
		cJSON_Delete(inst);
		jschema_free(s);
	}

	/* uniqueItems on 50,000 distinct items, then one repeated */
	s = compile("{\"uniqueItems\": true}", 0);
	arr = cJSON_CreateArray();
	for (i = 0; i < 50000; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber(i));
	CHECK(jschema_validate(s, arr, "p", &r) == 0,
	    "uniqueItems: 50,000 distinct items are unique");
	cJSON_AddItemToArray(arr, cJSON_CreateNumber(49999));
	rc = jschema_validate(s, arr, "p", &r);
	CHECK(rc == 1 && strcmp(r.line[0], "p: items 49999 and 50000 are "
	    "equal; they must be unique") == 0,
	    "uniqueItems: the repeated one is found");
	cJSON_Delete(arr);
	jschema_free(s);

	/* the report keeps JSCHEMA_REPORT_MAX lines and counts them all */
	s = compile("{\"items\": {\"type\": \"string\"}}", 0);
	inst = cJSON_Parse("[1,2,3,4,5,6,7,8,9,10,11,12]");
	rc = jschema_validate(s, inst, "p", &r);
	CHECK(rc == 1 && r.count == 12 && r.kept == JSCHEMA_REPORT_MAX &&
	    strcmp(r.line[JSCHEMA_REPORT_MAX - 1], "p/7: 8 is not of type "
	    "string") == 0, "a report keeps %d lines and counts 12",
	    JSCHEMA_REPORT_MAX);
	cJSON_Delete(inst);
	jschema_free(s);
}

/* The cost of one validation of a realistic small schema. */
static void
cost(void)
{
	struct jschema		*s;
	struct jschema_report	 r;
	struct timespec		 t0, t1;
	cJSON			*inst;
	int			 i, bad = 0, n = 200000;
	double			 us;

	s = compile("{\"type\": \"object\", \"properties\": {"
	    "\"size\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 10},"
	    "\"name\": {\"type\": \"string\", \"pattern\": \"^[a-z][a-z0-9-]*$\","
	    " \"maxLength\": 63},"
	    "\"tier\": {\"enum\": [\"small\", \"medium\", \"large\"]},"
	    "\"backup\": {\"type\": \"boolean\"},"
	    "\"ratio\": {\"type\": \"number\", \"exclusiveMinimum\": 0, "
	    "\"maximum\": 1}}, \"required\": [\"size\"], "
	    "\"additionalProperties\": false, "
	    "\"$schema\": \"http://json-schema.org/draft-07/schema#\"}", 0);
	inst = cJSON_Parse("{\"size\": 3, \"name\": \"orders-db\", \"tier\": "
	    "\"medium\", \"backup\": true, \"ratio\": 0.5}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		bad |= jschema_validate(s, inst, "parameters", &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / n;
	CHECK(s != NULL && bad == 0, "the realistic schema accepts its instance");
	printf("# one validation of 5 typed properties (enum, pattern, "
	    "bounds): %.2f us\n", us);
	cJSON_Delete(inst);
	jschema_free(s);
}

int
main(void)
{
	messages();
	locations();
	refusals();
	bounds();
	cost();
	jschema_cleanup();
	return tap_done();
}
