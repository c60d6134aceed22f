/* SPDX-License-Identifier: ISC */
/*
 * test_verify: verify_store() on a store in a mkdtemp(3) directory, clean
 * and then with each kind of damage it must report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "verify.h"

static char dir[] = "/tmp/osb-test-verify.XXXXXX";

static void
put(struct store *st, enum store_table tb, const char *key, const char *val)
{
	struct store_txn *t;

	if (store_begin(st, 1, NULL, &t) != STORE_OK ||
	    store_put(t, tb, key, val, strlen(val)) != STORE_OK ||
	    store_commit(t) != STORE_OK) {
		fprintf(stderr, "put %s failed\n", key);
		exit(2);
	}
}

/* verify_store's result, its output in *text (caller frees). */
static int
run(struct store *st, char **text)
{
	size_t	 len;
	FILE	*f = open_memstream(text, &len);
	int	 n;

	n = verify_store(st, NULL, f);
	fclose(f);
	return n;
}

int
main(void)
{
	struct store	*st = NULL;
	char		*out, p[128];
	int		 n;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	if (store_open(NULL, dir, 1024 * 1024, &st) != STORE_OK) {
		fprintf(stderr, "store_open: %s\n", store_strerror(st));
		return 2;
	}
	put(st, T_INSTANCES, "i-1", "{\"service_id\":\"s\",\"plan_id\":\"p\","
	    "\"last_operation\":{\"type\":\"provision\",\"state\":"
	    "\"succeeded\"}}");
	put(st, T_INSTANCES, "i-2", "{\"service_id\":\"s\",\"plan_id\":\"p\","
	    "\"last_operation\":{\"type\":\"update\",\"state\":\"in progress\","
	    "\"deadline\":1e10}}");
	put(st, T_BINDINGS, "i-1/b-1", "{\"service_id\":\"s\",\"plan_id\":"
	    "\"p\"}");
	put(st, T_GONE, "i-9", "{\"operation\":\"deprovision-1\",\"at\":1}");
	n = run(st, &out);
	CHECK(n == 0 && strncmp(out, "ok: 2 instances, 1 bindings, 1 "
	    "operations in progress, 1 tombstones", 62) == 0,
	    "a sound store: ok (%s)", strtok(out, "\n"));
	free(out);

	put(st, T_BINDINGS, "i-7/b-1", "{\"service_id\":\"s\",\"plan_id\":"
	    "\"p\"}");
	put(st, T_BINDINGS, "nokey", "{}");
	put(st, T_INSTANCES, "i-3", "{not json");
	put(st, T_INSTANCES, "i-4", "{\"plan_id\":\"p\"}");
	put(st, T_INSTANCES, "i-5", "{\"service_id\":\"s\",\"plan_id\":\"p\","
	    "\"last_operation\":{\"type\":\"provision\",\"state\":"
	    "\"in progress\"}}");
	put(st, T_INSTANCES, "i-6", "{\"service_id\":\"s\",\"plan_id\":\"p\","
	    "\"last_operation\":{\"type\":\"dance\",\"state\":\"done\"}}");
	put(st, T_GONE, "i-8", "{}");
	n = run(st, &out);
	CHECK(n == 7, "seven problems found (%d)", n);
	CHECK(strstr(out, "binding i-7/b-1: its instance does not exist") !=
	    NULL, "a binding without its instance");
	CHECK(strstr(out, "binding nokey: key is not") != NULL,
	    "a malformed binding key");
	CHECK(strstr(out, "instance i-3: record is not a JSON object") != NULL,
	    "an unparseable record");
	CHECK(strstr(out, "instance i-4: no service_id") != NULL,
	    "a record without its service");
	CHECK(strstr(out, "instance i-5: operation in progress without a "
	    "deadline") != NULL, "an operation that could never end");
	CHECK(strstr(out, "instance i-6: last_operation has an unknown") !=
	    NULL, "an unknown operation");
	CHECK(strstr(out, "tombstone i-8: no operation") != NULL,
	    "a broken tombstone");
	CHECK(strstr(out, "7 problems in 6 instances, 3 bindings, 2 "
	    "tombstones") != NULL, "the summary counts them");
	free(out);

	store_close(st);
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
	return tap_done();
}
