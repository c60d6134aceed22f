/* SPDX-License-Identifier: ISC */
/*
 * test_h_tally: the per-plan counts of GET /metrics and GET /status
 * (h_tally.h): instances and bindings by service and plan, operations by
 * table and state, records that do not parse or lack their ids read but
 * not counted, and h_tally_find() of a pair counted and of one not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_tally.h"
#include "op.h"
#include "tap.h"
#include "tmpdir.h"

int
main(void)
{
	struct store		*st;
	struct store_txn	*t;
	struct h_tally		 ty;
	const struct h_tally_series *s;
	char			 dir[64];

	tmp_make(dir, sizeof(dir), "h_tally");
	st = tmp_store(dir);
	tmp_put(st, T_INSTANCES, "i1", "{\"service_id\":\"s\",\"plan_id\":\"p\","
	    "\"last_operation\":{\"state\":\"in progress\"}}");
	tmp_put(st, T_INSTANCES, "i2", "{\"service_id\":\"s\",\"plan_id\":\"p\","
	    "\"last_operation\":{\"state\":\"failed\"}}");
	tmp_put(st, T_INSTANCES, "i3", "{\"service_id\":\"s\",\"plan_id\":\"q\"}");
	tmp_put(st, T_INSTANCES, "i4", "not json");
	tmp_put(st, T_INSTANCES, "i5", "{\"plan_id\":\"q\"}");
	tmp_put(st, T_BINDINGS, "i1/b1", "{\"service_id\":\"s\",\"plan_id\":"
	    "\"p\",\"last_operation\":{\"state\":\"succeeded\"}}");

	memset(&ty, 0, sizeof(ty));
	if (store_begin(st, STORE_READ, NULL, &t) != STORE_OK) {
		printf("Bail out! a read transaction\n");
		return 2;
	}
	CHECK(h_tally_scan(t, &ty, 1) == STORE_OK, "scan");
	CHECK(ty.read[0] == 5 && ty.read[1] == 1, "read 5 instances and 1 "
	    "binding (%zu, %zu)", ty.read[0], ty.read[1]);
	s = h_tally_find(&ty, "s", "p");
	CHECK(s != NULL && s->n[0] == 2 && s->n[1] == 1,
	    "plan p: 2 instances, 1 binding");
	s = h_tally_find(&ty, "s", "q");
	CHECK(s != NULL && s->n[0] == 1 && s->n[1] == 0,
	    "plan q: 1 instance (a record without service_id is not counted)");
	CHECK(h_tally_find(&ty, "t", "p") == NULL && ty.ns == 2,
	    "two pairs counted, no other");
	CHECK(ty.ops[0][OPS_IN_PROGRESS] == 1 && ty.ops[0][OPS_FAILED] == 1 &&
	    ty.ops[1][OPS_SUCCEEDED] == 1, "operations by table and state");
	h_tally_free(&ty);
	memset(&ty, 0, sizeof(ty));
	CHECK(h_tally_scan(t, &ty, 0) == STORE_OK && ty.read[1] == 0 &&
	    h_tally_find(&ty, "s", "p")->n[0] == 2 &&
	    h_tally_find(&ty, "s", "p")->n[1] == 0,
	    "instances only: no binding read");
	h_tally_free(&ty);
	store_abort(t);
	store_close(st);
	tmp_remove(dir);
	return tap_done();
}
