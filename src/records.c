/*
 * records: see records.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "records.h"
#include "util.h"

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
	*out = cJSON_ParseWithLength(val, len);
	free(val);
	return *out != NULL ? STORE_OK : STORE_ERROR;
}

enum store_rc
records_save(struct store_txn *t, enum store_table tb, const char *key,
    const cJSON *rec)
{
	char		*val;
	enum store_rc	 rc;

	if ((val = cJSON_PrintUnformatted(rec)) == NULL)
		return STORE_ERROR;
	rc = store_put(t, tb, key, val, strlen(val));
	free(val);
	return rc;
}

void
records_fail(struct ctx *c, struct store_txn *t, enum store_rc rc,
    struct response *resp)
{
	store_abort(t);
	/* The operator's view goes to the log; the platform gets a short,
	 * non-revealing description. */
	log_msg("state store error (%s): %s", c->cfg->state_dir,
	    store_strerror(c->store));
	switch (rc) {
	case STORE_FULL:
		response_error(resp, OSB_ERR_UNAVAILABLE, "the broker's state "
		    "storage is full; nothing was changed");
		break;
	case STORE_READONLY:
		response_error(resp, OSB_ERR_UNAVAILABLE, "the broker's state "
		    "storage is not writable; nothing was changed");
		break;
	default:
		response_error(resp, OSB_ERR_INTERNAL, "the broker could not "
		    "read or write its state; nothing was changed");
		break;
	}
}

void
records_set_lastop(struct ctx *c, cJSON *rec, const char *type,
    const char *description)
{
	cJSON	*op = cJSON_CreateObject();
	char	 at[32];

	if (op == NULL)
		return;
	fmt_iso8601(time(NULL), at, sizeof(at));
	cJSON_AddStringToObject(op, "type", type);
	cJSON_AddStringToObject(op, "state", "succeeded");
	cJSON_AddStringToObject(op, "description", description);
	cJSON_AddStringToObject(op, "at", at);
	if (c->req->request_identity != NULL)
		cJSON_AddStringToObject(op, "request_identity",
		    c->req->request_identity);
	if (c->identity != NULL)
		cJSON_AddItemToObject(op, "originating_identity",
		    cJSON_Duplicate(c->identity, 1));
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "last_operation");
	cJSON_AddItemToObject(rec, "last_operation", op);
}

void
records_copy(cJSON *dst, const cJSON *src, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, name);

	if (v != NULL && !cJSON_IsNull(v))
		cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, 1));
}

int
records_same(const cJSON *a, const cJSON *b, const char *name)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, name);
	const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, name);

	if (x != NULL && cJSON_IsNull(x))
		x = NULL;
	if (y != NULL && cJSON_IsNull(y))
		y = NULL;
	if (x == NULL || y == NULL)
		return x == y;
	return cJSON_Compare(x, y, 1);
}

void
records_binding_key(char *buf, size_t len, const char *iid, const char *bid)
{
	snprintf(buf, len, "%s/%s", iid, bid);
}

const char *
records_str(const cJSON *rec, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

int
records_require_ids(struct ctx *c, struct response *resp)
{
	static const char *const names[] = { "service_id", "plan_id" };
	const char	*v;
	int		 i;

	for (i = 0; i < 2; i++) {
		v = request_query(c->req, names[i]);
		if (v == NULL || *v == '\0') {
			response_error(resp, OSB_ERR_BAD_REQUEST, "the query "
			    "parameter %s is required", names[i]);
			return -1;
		}
	}
	return 0;
}

cJSON *
records_lastop_reply(const cJSON *rec)
{
	const cJSON	*op = cJSON_GetObjectItemCaseSensitive(rec,
			    "last_operation");
	const char	*state = records_str(op, "state");
	const char	*desc = records_str(op, "description");
	cJSON		*out = cJSON_CreateObject();

	cJSON_AddStringToObject(out, "state", *state ? state : "succeeded");
	if (*desc != '\0')	/* spec: if present, non-empty */
		cJSON_AddStringToObject(out, "description", desc);
	return out;
}

enum store_rc
records_read(struct ctx *c, enum store_table tb, const char *key, cJSON **out,
    struct response *resp)
{
	struct store_txn	*t;
	enum store_rc		 rc;

	if ((rc = store_begin(c->store, 0, &t)) == STORE_OK) {
		rc = records_load(t, tb, key, out);
		store_abort(t);
	}
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		records_fail(c, NULL, rc, resp);
	return rc;
}
