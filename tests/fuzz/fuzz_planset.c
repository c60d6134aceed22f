/* SPDX-License-Identifier: ISC */
/*
 * fuzz_planset: a credentials line's third field (src/planset.c) through
 * planset_syntax(), then planset_resolve() strict and lenient against a
 * catalog loaded once (LLVMFuzzerInitialize).
 *
 * The input is the field, a C string (it ends at the first NUL).  The
 * syntax must agree with an independent reading of it: "plans=", then one
 * or more comma-separated entries of one or two '/'-separated parts, each
 * part one or more printable ASCII characters other than ',', '/', ':' and
 * space.  A field of that syntax always resolves leniently; strictly only
 * when the lenient pass named nothing unknown, and then to the same set.
 * The set's document is JSON whose every plan planset_lookup() finds, and
 * whose plans a lookup outside it does not; its ETag is the catalog's ETag
 * function of that document.
 */
#include <cjson/cJSON.h>

#include "catalog.h"
#include "fuzz.h"
#include "planset.h"

#include "../unit/two_offerings.h"

static struct catalog *cat;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct catalog_error ce;

	(void)argc;
	(void)argv;
	if (catalog_load_buffer("fuzz.yml", catalog_yml, strlen(catalog_yml),
	    &cat, &ce) == -1) {
		fprintf(stderr, "fuzz_planset: %s\n", ce.message);
		abort();
	}
	return 0;
}

static int
part_char(char ch)
{
	return ch > ' ' && ch <= '~' && ch != ',' && ch != '/' && ch != ':';
}

/* The syntax, read apart from planset.c's reading. */
static int
syntax_ok(const char *f)
{
	size_t	 i, part = 0, parts = 0;

	if (strncmp(f, "plans=", 6) != 0)
		return 0;
	for (i = 6;; i++) {
		if (part_char(f[i])) {
			part++;
			continue;
		}
		if (part == 0)
			return 0;
		part = 0;
		if (f[i] == '/') {
			if (++parts > 1)
				return 0;
			continue;
		}
		parts = 0;
		if (f[i] == ',')
			continue;
		return f[i] == '\0';
	}
}

/* Every plan of a set's document is in the set; *n counts them. */
static void
check_document(const struct planset *ps, size_t *n)
{
	const cJSON	*s, *p;
	cJSON		*doc;
	struct catalog_plan cp;
	char		 etag[CATALOG_ETAG_LEN];
	size_t		 len;
	const char	*json = planset_json(ps, &len);

	FUZZ_CHECK(strlen(json) == len, "the document's length");
	catalog_etag_of(json, len, etag);
	FUZZ_CHECK(strcmp(etag, planset_etag(ps)) == 0, "the ETag");
	doc = cJSON_Parse(json);
	FUZZ_CHECK(doc != NULL, "the document is JSON: %s", json);
	*n = 0;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "services")) {
		FUZZ_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(s, "plans")) >
		    0, "an offering without plans: %s", json);
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "plans")) {
			FUZZ_CHECK(planset_lookup(ps, cat, cJSON_GetStringValue(
			    cJSON_GetObjectItem(s, "id")), cJSON_GetStringValue(
			    cJSON_GetObjectItem(p, "id")), &cp) == CATALOG_FOUND,
			    "a plan of the document is not in the set");
			(*n)++;
		}
	}
	cJSON_Delete(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ids[][2] = { { "svc-a-id", "a-small-id" },
	    { "svc-a-id", "a-large-id" }, { "svc-b-id", "b-small-id" } };
	struct planset	*lenient = NULL, *strict = NULL;
	struct catalog_plan cp;
	char		*f, err[512], serr[512];
	size_t		 i, n = 0, found = 0;
	int		 ok, rl, rs;

	if ((f = malloc(size + 1)) == NULL)
		return 0;
	memcpy(f, data, size);
	f[size] = '\0';
	err[0] = '\0';
	ok = planset_syntax(f, err, sizeof(err)) == 0;
	FUZZ_CHECK(ok == syntax_ok(f), "syntax: planset says %d for \"%s\"",
	    ok, f);
	FUZZ_CHECK(ok || err[0] != '\0', "a refusal without a reason");
	rl = planset_resolve(cat, f, 0, &lenient, err, sizeof(err));
	rs = planset_resolve(cat, f, 1, &strict, serr, sizeof(serr));
	FUZZ_CHECK((rl == 0) == ok && (lenient != NULL) == ok,
	    "lenient resolve of a field of %s syntax: %d", ok ? "good" : "bad",
	    rl);
	if (ok) {
		FUZZ_CHECK((rs == 0) == (err[0] == '\0') &&
		    (strict != NULL) == (rs == 0), "strict %d, lenient said "
		    "\"%s\"", rs, err);
		FUZZ_CHECK(rs == 0 || serr[0] != '\0', "strict: no reason");
		check_document(lenient, &n);
		FUZZ_CHECK(n == planset_count(lenient), "%zu plans in the "
		    "document, %zu in the set", n, planset_count(lenient));
		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			found += planset_lookup(lenient, cat, ids[i][0],
			    ids[i][1], &cp) == CATALOG_FOUND;
		FUZZ_CHECK(found == n, "lookups find %zu plans, the document "
		    "has %zu", found, n);
		if (strict != NULL)
			FUZZ_CHECK(strcmp(planset_json(strict, NULL),
			    planset_json(lenient, NULL)) == 0, "strict and "
			    "lenient sets differ");
	} else
		FUZZ_CHECK(rs == -1 && strict == NULL, "strict accepted bad "
		    "syntax");
	planset_free(strict);
	planset_free(lenient);
	free(f);
	return 0;
}
