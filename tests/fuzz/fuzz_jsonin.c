/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jsonin: request bodies through jsonin_parse() (src/jsonin.c), then
 * the typed getters on every key of the result and on the names the
 * handlers ask for.
 *
 * The input is the body, every byte of it (NUL included: jsonin gets a
 * length, not a C string).  Properties: an accepted body is a JSON object
 * without duplicate keys, nesting at most OSB_MAX_JSON_DEPTH, whose
 * strings are UTF-8; printed again (as records_save() stores it) it is
 * accepted again; a refused one is a 400 with a description that is
 * UTF-8 (it may quote the body).  With tighter limits
 * (jsonin_parse_limits(): depth 4, 16 members) less is accepted, never
 * more, and what is has at most that depth and that many members.
 */
#include <cjson/cJSON.h>

#include "fuzz.h"
#include "jsonin.h"
#include "limits.h"
#include "response.h"
#include "util.h"

static const char *const names[] = {
	"service_id", "plan_id", "organization_guid", "space_guid", "context",
	"parameters", "previous_values", "maintenance_info", "version",
	"bind_resource", "app_guid", "predecessor_binding_id", "", NULL
};

static void
check_error(const struct response *err, const char *what)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(err->body,
	    "description");

	FUZZ_CHECK(err->status == 400, "%s: status %d", what, err->status);
	FUZZ_CHECK(cJSON_IsString(d) && d->valuestring[0] != '\0',
	    "%s: no description", what);
	FUZZ_CHECK(util_utf8_valid(d->valuestring, strlen(d->valuestring)),
	    "%s: the description is not UTF-8: %s", what, d->valuestring);
}

/* Every getter on one name; their results must agree with the node. */
static void
getters(const cJSON *obj, const char *name)
{
	const cJSON	*node = cJSON_GetObjectItemCaseSensitive(obj, name);
	const cJSON	*o;
	const char	*s;
	struct response	 err;
	int		 req, rc;

	for (req = 0; req < 2; req++) {
		response_init(&err);
		rc = jsonin_string(obj, name, req, &s, &err);
		if (rc == 0) {
			FUZZ_CHECK(s == NULL ? node == NULL ||
			    (!req && cJSON_IsNull(node)) :
			    cJSON_IsString(node) && s == node->valuestring &&
			    *s != '\0', "jsonin_string(%s, %d)", name, req);
		} else {
			FUZZ_CHECK(rc == -1 && s == NULL, "jsonin_string rc %d",
			    rc);
			check_error(&err, "jsonin_string");
			FUZZ_CHECK(!(cJSON_IsString(node) &&
			    node->valuestring[0] != '\0'),
			    "jsonin_string(%s) refused a string", name);
		}
		response_free(&err);

		response_init(&err);
		rc = jsonin_object(obj, name, req, &o, &err);
		if (rc == 0) {
			FUZZ_CHECK(o == NULL ? node == NULL ||
			    (!req && cJSON_IsNull(node)) :
			    o == node && cJSON_IsObject(o),
			    "jsonin_object(%s, %d)", name, req);
		} else {
			FUZZ_CHECK(rc == -1 && o == NULL, "jsonin_object rc %d",
			    rc);
			check_error(&err, "jsonin_object");
			FUZZ_CHECK(!cJSON_IsObject(node),
			    "jsonin_object(%s) refused an object", name);
		}
		response_free(&err);
	}
}

#define TIGHT_DEPTH	4
#define TIGHT_KEYS	16

/* The shape jsonin promises, checked on the tree (depth counts objects
 * and arrays, the root being 1); *members counts object members. */
static void
walk(const cJSON *n, int depth, int max_depth, size_t *members)
{
	const cJSON *a, *b;

	FUZZ_CHECK(depth <= max_depth, "depth %d accepted", depth);
	if (cJSON_IsString(n))
		FUZZ_CHECK(util_utf8_valid(n->valuestring, strlen(n->valuestring)),
		    "a string that is not UTF-8");
	for (a = n->child; a != NULL; a = a->next) {
		if (cJSON_IsObject(n)) {
			(*members)++;
			FUZZ_CHECK(a->string != NULL && util_utf8_valid(a->string,
			    strlen(a->string)), "a key that is not UTF-8");
			for (b = a->next; b != NULL; b = b->next)
				FUZZ_CHECK(strcmp(a->string, b->string) != 0,
				    "duplicate key \"%s\" accepted", a->string);
		}
		walk(a, depth + (cJSON_IsArray(a) || cJSON_IsObject(a)),
		    max_depth, members);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct response	 err, terr;
	cJSON		*root, *again, *tight;
	const cJSON	*kv;
	char		*body, *text;
	size_t		 members = 0;
	int		 i;

	/* An exact-size copy: a read past size is an ASan report. */
	body = malloc(size > 0 ? size : 1);
	if (body == NULL)
		abort();
	if (size > 0)
		memcpy(body, data, size);
	response_init(&err);
	response_init(&terr);
	root = jsonin_parse(body, size, &err);
	tight = jsonin_parse_limits(body, size, TIGHT_DEPTH, TIGHT_KEYS, &terr);
	if (tight == NULL)
		check_error(&terr, "jsonin_parse_limits");
	else {
		FUZZ_CHECK(root != NULL, "accepted with tight limits only");
		walk(tight, 1, TIGHT_DEPTH, &members);
		FUZZ_CHECK(members <= TIGHT_KEYS, "%zu members accepted",
		    members);
		cJSON_Delete(tight);
	}
	response_free(&terr);
	if (root == NULL) {
		check_error(&err, "jsonin_parse");
		goto out;
	}
	FUZZ_CHECK(cJSON_IsObject(root), "a non-object accepted");
	members = 0;
	walk(root, 1, OSB_MAX_JSON_DEPTH, &members);
	FUZZ_CHECK(members <= OSB_MAX_JSON_KEYS, "%zu members accepted",
	    members);
	for (i = 0; names[i] != NULL; i++)
		getters(root, names[i]);
	cJSON_ArrayForEach(kv, root)
		getters(root, kv->string);

	/* What is stored is the tree printed: jsonin must accept it too. */
	text = cJSON_PrintUnformatted(root);
	FUZZ_CHECK(text != NULL, "cannot print an accepted body");
	response_free(&err);
	response_init(&err);
	again = jsonin_parse(text, strlen(text), &err);
	FUZZ_CHECK(again != NULL, "printed, an accepted body is refused: %s",
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(err.body,
	    "description")));
	cJSON_Delete(again);
	free(text);
	cJSON_Delete(root);
out:
	response_free(&err);
	free(body);
	return 0;
}
