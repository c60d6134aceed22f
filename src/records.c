/* SPDX-License-Identifier: ISC */
/*
 * records: see records.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonin.h"
#include "jsonout.h"
#include "records.h"
#include "util.h"

/* The record in val (freed), or STORE_ERROR when it does not parse. */
static enum store_rc
parse(char *val, size_t len, cJSON **out)
{
	*out = cJSON_ParseWithLength(val, len);
	free(val);
	return *out != NULL ? STORE_OK : STORE_ERROR;
}

enum store_rc
records_load(struct store_txn *t, enum store_table tb, const char *key,
    cJSON **out)
{
	char		*val;
	size_t		 len;
	enum store_rc	 rc;

	*out = NULL;
	if ((rc = store_get(t, tb, key, &val, &len)) != STORE_OK)
		return rc;
	return parse(val, len, out);
}

enum store_rc
records_fetch(struct store *st, enum store_table tb, const char *key,
    cJSON **out)
{
	char		*val;
	size_t		 len;
	enum store_rc	 rc;

	*out = NULL;
	if ((rc = store_fetch(st, tb, key, &val, &len)) != STORE_OK)
		return rc;
	return parse(val, len, out);
}

const cJSON *
records_memo_parse(struct records_memo *m, const char *val, size_t len)
{
	if (m->tree != NULL && m->len == len && memcmp(m->text, val, len) == 0)
		return m->tree;
	records_memo_free(m);
	if ((m->text = malloc(len > 0 ? len : 1)) == NULL)
		return NULL;
	memcpy(m->text, val, len);
	m->len = len;
	if ((m->tree = cJSON_ParseWithLength(val, len)) == NULL) {
		records_memo_free(m);
		return NULL;
	}
	return m->tree;
}

void
records_memo_free(struct records_memo *m)
{
	cJSON_Delete(m->tree);
	free(m->text);
	m->tree = NULL;
	m->text = NULL;
	m->len = 0;
}

/* Serialise rec and put it or create it (on condition cond, unless
 * NULL). */
static enum store_rc
write_record(struct store_txn *t, enum store_table tb, const char *key,
    const cJSON *rec, int create, const struct store_rec *with,
    const struct store_rec *cond)
{
	char		*val;
	size_t		 len;
	enum store_rc	 rc;

	if ((val = jsonout_print(rec, &len)) == NULL)
		return STORE_ERROR;
	if (!create)
		rc = store_put(t, tb, key, val, len);
	else if (cond != NULL)
		rc = store_create_if(t, tb, key, val, len, with, cond);
	else
		rc = store_create(t, tb, key, val, len, with);
	free(val);
	return rc;
}

enum store_rc
records_create_if(struct store_txn *t, enum store_table tb, const char *key,
    const cJSON *rec, const struct store_rec *with,
    const struct store_rec *cond)
{
	return write_record(t, tb, key, rec, 1, with, cond);
}

enum store_rc
records_save(struct store_txn *t, enum store_table tb, const char *key,
    const cJSON *rec)
{
	return write_record(t, tb, key, rec, 0, NULL, NULL);
}

cJSON *
records_add_str(cJSON *o, const char *name, const char *v)
{
	cJSON *s = cJSON_CreateString(v);

	if (s == NULL || !cJSON_AddItemToObjectCS(o, name, s)) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

void
records_copy(cJSON *dst, const cJSON *src, const char *name)
{
	const cJSON *v = jsonin_member(src, name);

	if (v != NULL && !cJSON_IsNull(v))
		cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, 1));
}

char *
records_print_fields(const cJSON *rec, const char *const *names,
    size_t *len)
{
	struct jsonout	 o;
	const cJSON	*v;
	int		 first = 1;

	jsonout_begin(&o);
	jsonout_raw(&o, "{", 1);
	for (; *names != NULL; names++) {
		v = jsonin_member(rec, *names);
		if (v == NULL || cJSON_IsNull(v))
			continue;
		if (!first)
			jsonout_raw(&o, ",", 1);
		first = 0;
		jsonout_string(&o, *names);
		jsonout_raw(&o, ":", 1);
		jsonout_value(&o, v);
	}
	jsonout_raw(&o, "}", 1);
	return jsonout_end(&o, len);
}

void
records_move(cJSON *dst, cJSON *src, const char *name)
{
	cJSON *v = jsonin_member(src, name);

	if (v != NULL && !cJSON_IsNull(v)) {
		cJSON_DetachItemViaPointer(src, v);
		cJSON_AddItemToObjectCS(dst, name, v);
	}
}

int
records_same(const cJSON *a, const cJSON *b, const char *name)
{
	const cJSON *x = jsonin_member(a, name);
	const cJSON *y = jsonin_member(b, name);

	if (x != NULL && cJSON_IsNull(x))
		x = NULL;
	if (y != NULL && cJSON_IsNull(y))
		y = NULL;
	if (x == NULL || y == NULL)
		return x == y;
	return cJSON_Compare(x, y, 1);
}

int
records_same_all(const cJSON *a, const cJSON *b, const char *const *names)
{
	for (; *names != NULL; names++)
		if (!records_same(a, b, *names))
			return 0;
	return 1;
}

void
records_binding_key(char *buf, size_t len, const char *iid, const char *bid)
{
	const char *parts[] = { iid, "/", bid };

	util_concat(buf, len, parts, 3);	/* "%s/%s", without printf */
}

const char *
records_str(const cJSON *rec, const char *name)
{
	const cJSON *v = jsonin_member(rec, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

double
records_num(const cJSON *rec, const char *name)
{
	const cJSON *v = jsonin_member(rec, name);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}
