/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jsonschema: a JSON Schema and an instance through jschema_compile()
 * and jschema_validate() (src/jsonschema.c, with jsregex.c and jsformat.c
 * behind them).
 *
 * The input is the schema, a NUL byte, then the instance (both JSON text;
 * without a NUL the instance is the schema itself, which exercises the
 * keywords on a document of the same shape).  The schema is compiled as
 * the catalog would (meta-schema check on), with no remote documents.
 * Properties: a refusal is one line of text (UTF-8, no control bytes); a
 * compiled schema compiles again as trusted (the check passed once) and
 * both give the same verdict; a verdict is 0 or 1 (never "out of memory"
 * here), 0 with an empty report, 1 with at least one line, the lines kept
 * being min(count, JSCHEMA_REPORT_MAX), each of them non-empty UTF-8
 * without control bytes.  Time and memory stay bounded whatever the
 * input (libFuzzer's -timeout and -rss_limit_mb say when they do not):
 * depth, size, steps and pattern size are bounded by src/limits.h.
 */
#include <cjson/cJSON.h>

#include "fuzz.h"
#include "jsonschema.h"
#include "util.h"

static void
check_text(const char *s, const char *what)
{
	const char *p;

	FUZZ_CHECK(s[0] != '\0', "%s: empty", what);
	FUZZ_CHECK(util_utf8_valid(s, strlen(s)), "%s is not UTF-8: %s", what,
	    s);
	for (p = s; *p != '\0'; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
		    "%s has a control byte: %s", what, s);
}

static int
verdict(const struct jschema *s, const cJSON *inst)
{
	struct jschema_report	r;
	size_t			i;
	int			rc;

	rc = jschema_validate(s, inst, "parameters", &r);
	FUZZ_CHECK(rc == 0 || rc == 1, "jschema_validate returned %d", rc);
	FUZZ_CHECK(rc == 1 ? r.count > 0 : r.count == 0,
	    "verdict %d with %zu violations", rc, r.count);
	FUZZ_CHECK(r.kept == (r.count < JSCHEMA_REPORT_MAX ? r.count :
	    JSCHEMA_REPORT_MAX), "%zu lines kept of %zu", r.kept, r.count);
	for (i = 0; i < r.kept; i++) {
		FUZZ_CHECK(memchr(r.line[i], '\0', JSCHEMA_LINE_MAX) != NULL,
		    "line %zu is not terminated", i);
		check_text(r.line[i], "a violation");
		FUZZ_CHECK(strncmp(r.line[i], "parameters", 10) == 0,
		    "a line without its root: %s", r.line[i]);
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jschema_opts	 trusted = { .trusted = 1 };
	struct jschema		*s = NULL, *again = NULL;
	cJSON			*schema, *inst = NULL;
	const uint8_t		*nul = memchr(data, '\0', size);
	size_t			 slen = nul != NULL ? (size_t)(nul - data) : size;
	char			*text, err[256];
	int			 rc;

	text = fuzz_copy(data, slen);	/* exact size: ASan sees overreads */
	schema = cJSON_ParseWithLength(text, slen);
	free(text);
	if (schema == NULL)
		return 0;
	if (nul != NULL) {
		text = fuzz_copy(nul + 1, size - slen - 1);
		inst = cJSON_ParseWithLength(text, size - slen - 1);
		free(text);
	}
	err[0] = '\0';
	rc = jschema_compile(schema, NULL, &s, err, sizeof(err));
	if (rc == -1) {
		FUZZ_CHECK(s == NULL, "refused, yet a schema");
		check_text(err, "a refusal");
		goto out;
	}
	FUZZ_CHECK(rc == 0 && s != NULL, "compiled, yet no schema");
	FUZZ_CHECK(jschema_compile(schema, &trusted, &again, err,
	    sizeof(err)) == 0, "compiles, but not as trusted: %s", err);
	FUZZ_CHECK(verdict(s, inst != NULL ? inst : schema) ==
	    verdict(again, inst != NULL ? inst : schema),
	    "trusted or not, another verdict");
out:
	jschema_free(s);
	jschema_free(again);
	cJSON_Delete(schema);
	cJSON_Delete(inst);
	return 0;
}
