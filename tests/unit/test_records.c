/* SPDX-License-Identifier: ISC */
/*
 * test_records: the record codec (records.h) — records_save() and
 * records_load() through a real store (LMDB in a mkdtemp(3) directory):
 * a round trip seen from a new transaction, an absent key, a stored value
 * that is not JSON; and the field helpers on cJSON trees: records_copy(),
 * records_same() (JSON null counts as absent), records_same_all(),
 * records_binding_key(), records_str() and records_num() on present,
 * absent and wrong-typed fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonout.h"
#include "records.h"
#include "store.h"
#include "tap.h"
#include "tmpdir.h"

static char dir[64];

static enum store_rc
load(struct store *st, enum store_table tb, const char *key, cJSON **out)
{
	struct store_txn	*t;
	enum store_rc		 rc;

	*out = (cJSON *)&dir;	/* not NULL: records_load must clear it */
	if (store_begin(st, 0, NULL, &t) != STORE_OK)
		return STORE_ERROR;
	rc = records_load(t, tb, key, out);
	store_abort(t);
	return rc;
}

static void
test_store(void)
{
	static const char text[] = "{\"service_id\":\"s-1\",\"n\":3,"
	    "\"parameters\":{\"a\":[1,\"x\",null,true]},\"dashboard_url\":"
	    "\"https://d.example/\\u00e9\"}";
	struct store		*st = tmp_store(dir);
	struct store_txn	*t;
	cJSON			*rec = cJSON_Parse(text), *got;
	enum store_rc		 rc;

	if (store_begin(st, 1, NULL, &t) != STORE_OK)
		exit(2);
	CHECK(records_save(t, T_INSTANCES, "inst-1", rec) == STORE_OK,
	    "records_save: STORE_OK");
	if (store_commit(t) != STORE_OK)
		exit(2);
	rc = load(st, T_INSTANCES, "inst-1", &got);
	CHECK(rc == STORE_OK && cJSON_Compare(got, rec, 1),
	    "records_load from a new transaction: the same document");
	cJSON_Delete(got);

	rc = load(st, T_BINDINGS, "inst-1", &got);
	CHECK(rc == STORE_NOTFOUND && got == NULL,
	    "the same key in another table: STORE_NOTFOUND, *out NULL");
	rc = load(st, T_INSTANCES, "inst-2", &got);
	CHECK(rc == STORE_NOTFOUND && got == NULL,
	    "an absent key: STORE_NOTFOUND, *out NULL");

	tmp_put(st, T_INSTANCES, "bad", "{\"service_id\": \"s-1\",");
	rc = load(st, T_INSTANCES, "bad", &got);
	CHECK(rc == STORE_ERROR && got == NULL,
	    "a stored value that is not JSON: STORE_ERROR, *out NULL");

	/* Saved again: the new document replaces the old one. */
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "n");
	if (store_begin(st, 1, NULL, &t) != STORE_OK ||
	    records_save(t, T_INSTANCES, "inst-1", rec) != STORE_OK ||
	    store_commit(t) != STORE_OK)
		exit(2);
	rc = load(st, T_INSTANCES, "inst-1", &got);
	CHECK(rc == STORE_OK && cJSON_Compare(got, rec, 1) &&
	    cJSON_GetObjectItemCaseSensitive(got, "n") == NULL,
	    "records_save over a record replaces it");
	cJSON_Delete(got);
	cJSON_Delete(rec);
	store_close(st);
}

static void
test_copy(void)
{
	cJSON	*src = cJSON_Parse("{\"p\":{\"a\":1},\"z\":null,\"s\":\"v\"}");
	cJSON	*dst = cJSON_CreateObject(), *p;

	records_copy(dst, src, "p");
	p = cJSON_GetObjectItemCaseSensitive(dst, "p");
	CHECK(p != NULL && cJSON_Compare(p,
	    cJSON_GetObjectItemCaseSensitive(src, "p"), 1),
	    "records_copy: a present field is copied");
	cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(src, "p"),
	    "b", 2);
	CHECK(cJSON_GetObjectItemCaseSensitive(p, "b") == NULL,
	    "... as a copy of its own, not shared with the source");
	records_copy(dst, src, "absent");
	CHECK(cJSON_GetArraySize(dst) == 1, "an absent field: nothing copied");
	records_copy(dst, src, "z");
	CHECK(cJSON_GetObjectItemCaseSensitive(dst, "z") == NULL,
	    "a JSON null: not copied");
	records_copy(dst, NULL, "s");
	CHECK(cJSON_GetArraySize(dst) == 1, "from no record: nothing copied");
	cJSON_Delete(dst);
	cJSON_Delete(src);
}

/* records_print_fields(rec, names) is what printing the records_copy()
 * of each name into an empty object gives, byte for byte. */
static int
print_as_copy(const cJSON *rec, const char *const *names)
{
	cJSON		*out = cJSON_CreateObject();
	char		*want, *got;
	size_t		 wlen, glen;
	int		 ok;

	for (size_t i = 0; names[i] != NULL; i++)
		records_copy(out, rec, names[i]);
	want = jsonout_print(out, &wlen);
	got = records_print_fields(rec, names, &glen);
	ok = want != NULL && got != NULL && wlen == glen &&
	    strcmp(want, got) == 0 && strlen(got) == glen;
	if (!ok)
		printf("# want %s\n# got  %s\n", want ? want : "(null)",
		    got ? got : "(null)");
	free(want);
	free(got);
	cJSON_Delete(out);
	return ok;
}

static void
test_print_fields(void)
{
	cJSON	*rec = cJSON_Parse("{\"a\":{\"x\":[1,2.5,\"s\\\"q\\n\"],"
		    "\"y\":{}},\"n\":null,\"s\":\"v\\u0001\",\"t\":true,"
		    "\"e\\\"k\":-3,\"a\":\"second\",\"z\":[]}");
	static const char *const all[] = { "s", "a", "n", "missing", "t",
	    "e\"k", "z", NULL };
	static const char *const first_null[] = { "n", "s", NULL };
	static const char *const only_absent[] = { "n", "missing", NULL };
	static const char *const none[] = { NULL };
	char	*got;
	size_t	 len;

	CHECK(print_as_copy(rec, all), "records_print_fields: members in "
	    "the order of names, nulls and absent ones left out, names "
	    "escaped, the first of a repeated name");
	CHECK(print_as_copy(rec, first_null), "... a null first: no comma "
	    "before the next");
	CHECK(print_as_copy(rec, only_absent), "... none present: {}");
	CHECK(print_as_copy(rec, none), "... no names: {}");
	got = records_print_fields(NULL, all, &len);
	CHECK(got != NULL && strcmp(got, "{}") == 0 && len == 2,
	    "... of no record: {}");
	free(got);
	cJSON_Delete(rec);
}

static void
test_same(void)
{
	cJSON	*a = cJSON_Parse("{\"x\":{\"k\":[1,2]},\"y\":\"1\",\"n\":null,"
		    "\"q\":1,\"w\":null}");
	cJSON	*b = cJSON_Parse("{\"x\":{\"k\":[1,2]},\"y\":1,\"m\":null,"
		    "\"q\":2,\"w\":0}");
	static const char *const same[] = { "x", "n", "m", "none", NULL };
	static const char *const first[] = { "y", "x", NULL };
	static const char *const last[] = { "x", "n", "q", NULL };
	static const char *const none[] = { NULL };

	CHECK(records_same(a, b, "x") == 1, "records_same: equal objects");
	CHECK(records_same(a, b, "y") == 0, "\"1\" and 1 differ");
	CHECK(records_same(a, b, "q") == 0, "1 and 2 differ");
	CHECK(records_same(a, b, "none") == 1, "both absent: the same");
	CHECK(records_same(a, b, "s") == 1 && records_same(a, NULL, "s") == 1,
	    "both absent, one record NULL: the same");
	CHECK(records_same(a, b, "n") == 1 && records_same(b, a, "n") == 1,
	    "null in one, absent in the other: the same (both ways)");
	CHECK(records_same(a, b, "m") == 1, "absent in one, null in the "
	    "other: the same");
	CHECK(records_same(a, b, "w") == 0 && records_same(b, a, "w") == 0,
	    "null and 0 differ (both ways)");
	CHECK(records_same(a, NULL, "x") == 0 && records_same(NULL, a, "x") ==
	    0, "present in one only: different (both ways)");
	CHECK(records_same(a, b, "Y") == 1,
	    "names are case-sensitive (\"Y\" is absent from both)");

	CHECK(records_same_all(a, b, same) == 1,
	    "records_same_all: every name the same");
	CHECK(records_same_all(a, b, first) == 0,
	    "the first name differs: different");
	CHECK(records_same_all(a, b, last) == 0,
	    "only the last name differs: different");
	CHECK(records_same_all(a, b, none) == 1, "no names: the same");
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void
test_fields(void)
{
	cJSON	*r = cJSON_Parse("{\"s\":\"text\",\"e\":\"\",\"n\":2.5,"
		    "\"ns\":\"7\",\"z\":null,\"o\":{}}");
	char	 key[16];

	records_binding_key(key, sizeof(key), "inst-1", "b-2");
	CHECK_STR(key, "inst-1/b-2", "records_binding_key: iid/bid");
	records_binding_key(key, 9, "inst-1", "b-2");
	CHECK_STR(key, "inst-1/b", "... cut to the buffer, terminated");

	CHECK_STR(records_str(r, "s"), "text", "records_str: a string");
	CHECK_STR(records_str(r, "e"), "", "an empty string: \"\"");
	CHECK_STR(records_str(r, "absent"), "", "absent: \"\"");
	CHECK_STR(records_str(r, "n"), "", "a number: \"\"");
	CHECK_STR(records_str(r, "z"), "", "null: \"\"");
	CHECK_STR(records_str(r, "o"), "", "an object: \"\"");
	CHECK_STR(records_str(NULL, "s"), "", "no record: \"\"");

	CHECK(records_num(r, "n") == 2.5, "records_num: a number");
	CHECK(records_num(r, "absent") == 0, "absent: 0");
	CHECK(records_num(r, "ns") == 0, "a string of digits: 0");
	CHECK(records_num(r, "z") == 0, "null: 0");
	CHECK(records_num(NULL, "n") == 0, "no record: 0");
	cJSON_Delete(r);
}

/* records_memo_parse(): the same text gives the same tree, parsed once;
 * other text (even of the same length) a new tree; text that does not
 * parse NULL, and the memo forgets; records_memo_free() twice is safe. */
static void
test_memo(void)
{
	struct records_memo	 m = { NULL, 0, NULL };
	const char		*a = "{\"plan_id\":\"p1\",\"n\":2}";
	const char		*b = "{\"plan_id\":\"p2\",\"n\":2}";
	char			 copy[64];
	const cJSON		*t1, *t2, *t3;

	t1 = records_memo_parse(&m, a, strlen(a));
	CHECK(t1 != NULL && strcmp(records_str(t1, "plan_id"), "p1") == 0,
	    "memo: a record parsed");
	snprintf(copy, sizeof(copy), "%s", a);
	t2 = records_memo_parse(&m, copy, strlen(copy));
	CHECK(t2 == t1, "memo: the same bytes elsewhere give the same tree");
	t3 = records_memo_parse(&m, b, strlen(b));
	CHECK(t3 != NULL && strcmp(records_str(t3, "plan_id"), "p2") == 0,
	    "memo: other bytes of the same length parsed anew");
	CHECK(records_memo_parse(&m, a, strlen(a) - 1) == NULL &&
	    m.tree == NULL && m.text == NULL,
	    "memo: a text that does not parse gives NULL, nothing kept");
	t1 = records_memo_parse(&m, a, strlen(a));
	CHECK(t1 != NULL && records_num(t1, "n") == 2,
	    "memo: parsed again after a failure");
	records_memo_free(&m);
	records_memo_free(&m);
	CHECK(m.tree == NULL && m.text == NULL && m.len == 0,
	    "memo: freed (twice)");
}

int
main(void)
{
	tmp_make(dir, sizeof(dir), "records");
	test_store();
	test_copy();
	test_print_fields();
	test_same();
	test_fields();
	test_memo();
	tmp_remove(dir);
	return tap_done();
}
