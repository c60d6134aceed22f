/* SPDX-License-Identifier: ISC */
/*
 * test_audit: the audit trail (audit.h) through a real store (LMDB in a
 * mkdtemp(3) directory): an entry's fields (parameter names, never their
 * values; "-" for the broker itself), keys in time order, audit_scan()
 * over several pages with its instance filter, start time and limit,
 * audit_outcome() from a record, and audit_prune() in batches that keep
 * what is recent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "limits.h"
#include "store.h"
#include "tap.h"
#include "tmpdir.h"

static char dir[64];

struct seen {
	size_t	 n;
	char	 first[OSB_AUDIT_KEY], last[OSB_AUDIT_KEY];
	int	 ordered;
	cJSON	*copy;		/* the first entry */
};

static int
see(const char *key, const cJSON *e, void *arg)
{
	struct seen *s = arg;

	if (s->n == 0) {
		snprintf(s->first, sizeof(s->first), "%s", key);
		s->copy = cJSON_Duplicate(e, 1);
	} else if (strcmp(key, s->last) <= 0)
		s->ordered = 0;
	snprintf(s->last, sizeof(s->last), "%s", key);
	s->n++;
	return 0;
}

static struct seen
scan(struct store *st, const char *since, const char *iid, size_t limit)
{
	struct store_txn	*t;
	struct seen		 s = { .ordered = 1 };

	if (store_begin(st, STORE_READ, NULL, &t) != STORE_OK)
		exit(2);
	if (audit_scan(t, since, iid, limit, see, &s) != STORE_OK)
		s.n = (size_t)-1;
	store_abort(t);
	return s;
}

/* How many scan() sees. */
static size_t
count(struct store *st, const char *iid)
{
	struct seen s = scan(st, NULL, iid, 0);

	cJSON_Delete(s.copy);
	return s.n;
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static void
test_entry(struct store *st)
{
	struct store_txn	*t;
	cJSON			*params = cJSON_Parse("{\"size\":3,"
				    "\"password\":\"hunter2-secret\"}");
	cJSON			*who = cJSON_Parse("{\"platform\":"
				    "\"cloudfoundry\",\"value\":{\"user_id\":"
				    "\"u-1\"}}");
	struct seen		 s;
	char			*text;

	if (store_begin(st, STORE_WRITE, "i-1", &t) != STORE_OK)
		exit(2);
	CHECK(audit_record(t, &(struct audit_event){ .action = "provision",
	    .outcome = "succeeded", .instance_id = "i-1", .service_id = "s",
	    .plan_id = "p", .user = "admin", .request_identity = "r-1",
	    .originating_identity = who, .parameters = params }) == STORE_OK &&
	    store_commit(t) == STORE_OK, "audit_record in a transaction");
	s = scan(st, NULL, NULL, 0);
	CHECK(s.n == 1 && strcmp(str(s.copy, "action"), "provision") == 0 &&
	    strcmp(str(s.copy, "outcome"), "succeeded") == 0 &&
	    strcmp(str(s.copy, "instance_id"), "i-1") == 0 &&
	    strcmp(str(s.copy, "user"), "admin") == 0 &&
	    strcmp(str(s.copy, "request_identity"), "r-1") == 0 &&
	    cJSON_Compare(cJSON_GetObjectItem(s.copy, "originating_identity"),
	    who, 1), "the entry's fields");
	CHECK(strncmp(s.first, str(s.copy, "at"), strlen(str(s.copy,
	    "at"))) == 0 && strlen(s.first) == strlen(str(s.copy, "at")) + 9,
	    "its key: its time, then a random suffix (%s)", s.first);
	text = cJSON_PrintUnformatted(s.copy);
	CHECK(text != NULL && strstr(text, "\"parameters\":[\"size\","
	    "\"password\"]") != NULL && strstr(text, "hunter2") == NULL &&
	    strstr(text, "\"binding_id\"") == NULL, "parameter names only, "
	    "never values; absent fields left out (%s)", text);
	free(text);
	cJSON_Delete(s.copy);
	cJSON_Delete(params);
	cJSON_Delete(who);
}

static void
test_outcome(struct store *st)
{
	struct store_txn	*t;
	cJSON			*rec = cJSON_Parse("{\"service_id\":\"s\","
				    "\"plan_id\":\"p\",\"credentials\":{\"pw\":"
				    "\"cred-secret\"},\"last_operation\":{"
				    "\"request_identity\":\"r-9\"}}");
	struct seen		 s;
	char			*text;

	if (store_begin(st, STORE_WRITE, "i-2", &t) != STORE_OK)
		exit(2);
	CHECK(audit_outcome(t, "i-2/b-1", rec, "bind", "bind-00ff", "failed",
	    "the hook failed") == STORE_OK && store_commit(t) == STORE_OK,
	    "audit_outcome");
	s = scan(st, NULL, "i-2", 0);
	text = s.copy != NULL ? cJSON_PrintUnformatted(s.copy) : NULL;
	CHECK(s.n == 1 && text != NULL &&
	    strcmp(str(s.copy, "binding_id"), "b-1") == 0 &&
	    strcmp(str(s.copy, "instance_id"), "i-2") == 0 &&
	    strcmp(str(s.copy, "user"), "-") == 0 &&
	    strcmp(str(s.copy, "operation"), "bind-00ff") == 0 &&
	    strcmp(str(s.copy, "request_identity"), "r-9") == 0 &&
	    strcmp(str(s.copy, "description"), "the hook failed") == 0 &&
	    strstr(text, "cred-secret") == NULL, "an outcome from its record: "
	    "ids from the key, the broker as user, no credentials (%s)",
	    text != NULL ? text : "");
	free(text);
	cJSON_Delete(s.copy);
	cJSON_Delete(rec);
}

/* n entries of instance iid, or old ones (keys of 2020) when old. */
static void
fill(struct store *st, const char *iid, int n, int old)
{
	struct store_txn	*t;
	char			 key[OSB_AUDIT_KEY];
	int			 i;

	if (store_begin(st, STORE_WRITE, iid, &t) != STORE_OK)
		exit(2);
	for (i = 0; i < n; i++) {
		if (old) {
			snprintf(key, sizeof(key), "2020-01-01T00:00:%02d."
			    "%06dZ-0000abcd", i % 60, i);
			if (store_put(t, T_AUDIT, key, "{\"instance_id\":"
			    "\"old\"}", 20) != STORE_OK)
				exit(2);
		} else if (audit_record(t, &(struct audit_event){ .action =
		    "bind", .outcome = "succeeded", .instance_id = iid }) !=
		    STORE_OK)
			exit(2);
	}
	if (store_commit(t) != STORE_OK)
		exit(2);
}

static void
test_scan(struct store *st)
{
	struct seen	s;
	size_t		before = count(st, NULL);
	char		since[32];
	time_t		now = time(NULL);
	struct tm	tm;

	fill(st, "many", OSB_AUDIT_PAGE + 40, 0);
	fill(st, "other", 3, 0);
	s = scan(st, NULL, NULL, 0);
	CHECK(s.n == before + OSB_AUDIT_PAGE + 43 && s.ordered,
	    "every entry over several pages, in key order (%zu)", s.n);
	cJSON_Delete(s.copy);
	s = scan(st, NULL, "many", 0);
	CHECK(s.n == OSB_AUDIT_PAGE + 40, "of one instance (%zu)", s.n);
	cJSON_Delete(s.copy);
	s = scan(st, NULL, "other", 2);
	CHECK(s.n == 2, "at most limit (%zu)", s.n);
	cJSON_Delete(s.copy);
	gmtime_r(&now, &tm);
	strftime(since, sizeof(since), "%Y", &tm);
	s = scan(st, "2999", NULL, 0);
	CHECK(s.n == 0, "from a time to come: none");
	cJSON_Delete(s.copy);
	s = scan(st, since, "other", 0);
	CHECK(s.n == 3, "from this year: the instance's three (%zu)", s.n);
	cJSON_Delete(s.copy);
}

static void
test_prune(struct store *st)
{
	size_t	n, all = count(st, NULL);
	int	more;

	fill(st, "old", OSB_AUDIT_PRUNE_BATCH + 36, 1);
	CHECK(audit_prune(st, time(NULL) - 86400, &n, &more) == STORE_OK &&
	    n == OSB_AUDIT_PRUNE_BATCH && more == 1, "prune: one batch of the "
	    "oldest, more to come (%zu)", n);
	CHECK(audit_prune(st, time(NULL) - 86400, &n, &more) == STORE_OK &&
	    n == 36 && more == 0, "prune: the rest (%zu)", n);
	CHECK(count(st, NULL) == all, "the recent entries stay");
	CHECK(count(st, "old") == 0, "no old entry is left");
	CHECK(audit_prune(st, time(NULL) - 86400, &n, &more) == STORE_OK &&
	    n == 0 && more == 0, "prune with nothing old: nothing");
}

/* An entry as a cJSON tree printed by cJSON, the way audit_entry()
 * once made it: its text must not have changed. */
static void
tree_add(cJSON *o, const char *name, const char *v)
{
	if (v != NULL && *v != '\0')
		cJSON_AddStringToObject(o, name, v);
}

static char *
entry_by_tree(const struct audit_event *e, const char *at)
{
	cJSON		*o = cJSON_CreateObject(), *names;
	const cJSON	*p;
	char		*s;

	tree_add(o, "at", at);
	tree_add(o, "action", e->action);
	tree_add(o, "outcome", e->outcome);
	tree_add(o, "instance_id", e->instance_id);
	tree_add(o, "binding_id", e->binding_id);
	tree_add(o, "service_id", e->service_id);
	tree_add(o, "plan_id", e->plan_id);
	tree_add(o, "operation", e->operation);
	tree_add(o, "user", e->user != NULL ? e->user : "-");
	tree_add(o, "request_identity", e->request_identity);
	if (e->originating_identity != NULL)
		cJSON_AddItemToObject(o, "originating_identity",
		    cJSON_Duplicate(e->originating_identity, 1));
	if (cJSON_IsObject(e->parameters)) {
		names = cJSON_AddArrayToObject(o, "parameters");
		cJSON_ArrayForEach(p, e->parameters)
			cJSON_AddItemToArray(names,
			    cJSON_CreateString(p->string));
	}
	tree_add(o, "description", e->description);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void
test_text(void)
{
	cJSON	*oi = cJSON_Parse("{\"platform\":\"cloudfoundry\","
		    "\"value\":{\"user_id\":\"u\\\"1\",\"n\":1.5,\"ok\":true}}");
	cJSON	*params = cJSON_Parse("{\"size\":2,\"na\\\"me\\n\":{},"
		    "\"\":null}");
	cJSON	*empty = cJSON_CreateObject(), *got;
	struct audit_event ev[] = {
	    { .action = "provision", .outcome = "succeeded",
	      .instance_id = "i-1", .service_id = "s", .plan_id = "p",
	      .user = "itest", .parameters = params },
	    { .action = "bind", .outcome = "in progress", .instance_id = "i",
	      .binding_id = "b", .service_id = "s", .plan_id = "p",
	      .operation = "op-1", .user = "u\"ser",
	      .request_identity = "rid\t1", .originating_identity = oi,
	      .parameters = empty, .description = "line\nbreak \"q\" \x01" },
	    { .action = "purge", .outcome = "succeeded", .instance_id = "i",
	      .service_id = "", .plan_id = NULL, .description = "" },
	    { .action = NULL, .outcome = NULL, .instance_id = NULL },
	};
	char	 key[OSB_AUDIT_KEY], *val, *want;
	size_t	 i;

	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		if (audit_entry(&ev[i], key, sizeof(key), &val) == -1 ||
		    (got = cJSON_Parse(val)) == NULL) {
			CHECK(0, "entry %zu made", i);
			continue;
		}
		want = entry_by_tree(&ev[i], cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(got, "at")));
		CHECK_STR(val, want, "entry %zu: the text cJSON would print", i);
		CHECK(strncmp(key, val + 7, 27) == 0 && key[27] == '-' &&
		    strlen(key) == 36, "entry %zu: its key is its time and a "
		    "suffix (%s)", i, key);
		free(want);
		free(val);
		cJSON_Delete(got);
	}
	cJSON_Delete(oi);
	cJSON_Delete(params);
	cJSON_Delete(empty);
}

int
main(void)
{
	struct store *st;

	tmp_make(dir, sizeof(dir), "audit");
	st = tmp_store(dir);
	test_entry(st);
	test_text();
	test_outcome(st);
	test_scan(st);
	test_prune(st);
	store_close(st);
	tmp_remove(dir);
	return tap_done();
}
