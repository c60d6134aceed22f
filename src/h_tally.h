/* SPDX-License-Identifier: ISC */
/*
 * h_tally: the store's records counted by service and plan and by the
 * state of their last operation, for the operator's two reports
 * (GET /metrics and GET /status).
 *
 * Bounded cost: at most OSB_METRICS_MAX_SCAN records of each table are
 * read (the first in key order), and at most OSB_METRICS_MAX_SERIES
 * service and plan pairs counted (the rest under service and plan
 * "other"); read[] says how many were read, so a report can say when the
 * counts cover only part of a table (read[k] >= OSB_METRICS_MAX_SCAN).
 *
 * Ownership: h_tally_free() frees what h_tally_scan() allocated.
 */
#ifndef OSB_H_TALLY_H
#define OSB_H_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct h_tally_series {
	char		*service_id, *plan_id;
	uint64_t	 n[2];			/* instances, bindings */
};

struct h_tally {
	struct h_tally_series *s;
	size_t		 ns;
	size_t		 read[2];		/* records read, per table */
	uint64_t	 ops[2][4];		/* [table][enum op_state] */
	int		 kind;			/* 0 instances, 1 bindings */
	int		 oom;
};

/* Count the first records of the instances table in t (a transaction),
 * and of the bindings table when bindings is 1, into *ty (zeroed by the
 * caller).  STORE_OK, or the store's failure, or STORE_ERROR out of
 * memory. */
enum store_rc h_tally_scan(struct store_txn *t, struct h_tally *ty,
    int bindings);

/* The counts of the pair, or NULL when it was not counted. */
const struct h_tally_series *h_tally_find(const struct h_tally *,
    const char *service_id, const char *plan_id);

void h_tally_free(struct h_tally *);

#endif
