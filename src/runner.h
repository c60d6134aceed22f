/* SPDX-License-Identifier: ISC */
/*
 * runner: the process that runs an asynchronous operation, detached from
 * the request that started it.
 *
 * It is this same program, started as `osbroker --run-operation TABLE KEY
 * OP` in a session of its own, its parent gone (a double fork, so no worker
 * is left with a zombie), with no descriptor of the request (so a CGI's web
 * server does not wait for it) and with an environment of the broker's
 * OSBROKER_* settings only.  exec(2) gives it a store and catalog of its own:
 * an LMDB environment must not be used across fork(2).  It checks in as the
 * operation's runner (op.h), runs the work (work.h) and exits.
 *
 * On a shared store (PostgreSQL) it also starts a heartbeat: a child
 * process with a connection of its own that renews the runner's lease
 * every OP_LEASE_RENEW seconds (op_renew()) until the operation is no
 * longer the runner's, and that dies with the runner (PR_SET_PDEATHSIG),
 * so that other hosts see the lease run out within OP_LEASE seconds of the
 * runner's death (op.h "Hosts").  While the database cannot be reached (a
 * failover), the check-in is tried again for up to OP_START_GRACE seconds
 * and the outcome until the operation's deadline (work.h).
 *
 * Under plain CGI its log goes to operations.log in the state directory.
 */
#ifndef OSB_RUNNER_H
#define OSB_RUNNER_H

#include "config.h"
#include "store.h"

/* Start the runner of operation opid of record key in table tb.  0, or -1
 * (logged; the operation is then reaped as never started). */
int runner_spawn(const struct config *, enum store_table tb, const char *key,
        const char *opid);

/* The runner's main: `osbroker --run-operation TABLE KEY OPID`. */
int runner_main(const char *table, const char *key, const char *opid);

#endif
