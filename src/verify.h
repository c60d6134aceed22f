/* SPDX-License-Identifier: ISC */
/*
 * verify: `osbroker --verify`, the broker's own consistency check of its
 * state, for operators and for the tests that kill workers mid-request.
 *
 * In one read transaction (so it is safe while the broker serves, and sees
 * one committed state): every instance, binding and tombstone record parses
 * as a JSON object; instances name a service and a plan; binding keys are
 * "<instance id>/<binding id>" of valid ids with an existing instance; every
 * last_operation has a known type and state, and one in progress has a
 * deadline.  Plans no longer in the catalog are reported as notes, not
 * problems (instances may outlive a plan).
 */
#ifndef OSB_VERIFY_H
#define OSB_VERIFY_H

#include <stdio.h>

#include "catalog.h"
#include "store.h"

/* Print problems (and a summary line "ok: ..." when there are none) to out.
 * cat may be NULL.  Returns the number of problems, or -1 when the store
 * could not be read. */
int verify_store(struct store *, const struct catalog *cat, FILE *out);

#endif
