/* SPDX-License-Identifier: ISC */
/*
 * counters: the host's request, hook and authentication counters, in one
 * small file of the state directory that every worker, CGI process and
 * runner of the host maps and adds to (GET /metrics reads them).
 *
 * Why a file and not the store: a counter bumped on every request must not
 * cost a write transaction (LMDB serialises writers; the catalog's
 * throughput would halve), and the counts are the host's, not the
 * platform's state.  Why not per process: a FastCGI worker or a CGI process
 * comes and goes; the host's totals must outlive it.
 *
 * The file (OSB_COUNTERS_FILE in the state directory, 0600, owned by the
 * broker's user) is a header (magic, version, slot count) and
 * COUNTERS_NSLOTS unsigned 64-bit slots.  Every update is an atomic add
 * (__atomic builtins, relaxed: the counts need no ordering between them),
 * so processes never lock each other.  A file that is too short, of
 * another format or version, not a regular file or not ours is replaced
 * (a fresh file renamed over it: a process still mapping the old one keeps
 * a valid mapping and loses only its later counts).  The counts start
 * again from zero then, as Prometheus expects of a counter after a reset.
 *
 * One mapping per process, a module variable, as log.c's stderr: hook.c
 * and server.c count without a handle passed through every layer.  Before
 * counters_open(), or after it failed, counting does nothing and reading
 * gives 0.  A forked child shares the parent's mapping (MAP_SHARED), which
 * is right: it is the same host.
 */
#ifndef OSB_COUNTERS_H
#define OSB_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#define OSB_COUNTERS_FILE	"metrics.counters"
#define COUNTERS_MAGIC		"OSBCNTR\n"
#define COUNTERS_VERSION	1

/* Requests are counted by endpoint (the caller's index, below
 * COUNTERS_ENDPOINTS) and status (counters_statuses[], the last entry
 * "any other"); durations in the fixed buckets counters_bucket_us[]. */
#define COUNTERS_ENDPOINTS	16
#define COUNTERS_STATUSES	17
#define COUNTERS_BUCKETS	13	/* and +Inf */

/* Single counters. */
enum counters_slot {
	C_HOOK_RUNS,
	C_HOOK_FAILURES,	/* a run whose outcome was not success */
	C_AUTH_FAILURES,	/* 401s */
	C_AUTH_THROTTLED,	/* 429s: over the failed-authentication
				   budget (throttle.h) */
	C__SINGLE = 16		/* room to grow within version 1 */
};

#define COUNTERS_REQ_BASE	C__SINGLE
#define COUNTERS_HIST_BASE	(COUNTERS_REQ_BASE + \
				 COUNTERS_ENDPOINTS * COUNTERS_STATUSES)
/* Per endpoint: COUNTERS_BUCKETS + 1 bucket counts (not cumulative), the
 * sum of durations in microseconds, the count. */
#define COUNTERS_HIST_WIDTH	(COUNTERS_BUCKETS + 3)
#define COUNTERS_NSLOTS		(COUNTERS_HIST_BASE + \
				 COUNTERS_ENDPOINTS * COUNTERS_HIST_WIDTH)

extern const int	counters_statuses[COUNTERS_STATUSES];	/* 0: other */
extern const uint32_t	counters_bucket_us[COUNTERS_BUCKETS];

/* Map dir/OSB_COUNTERS_FILE, creating or replacing it as above.  0, or -1
 * with a one-line reason in err (counting then does nothing). */
int      counters_open(const char *dir, char *err, size_t errlen);
void     counters_close(void);
/* 1 when a file is mapped. */
int      counters_ready(void);

void     counters_add(unsigned slot, uint64_t n);
uint64_t counters_get(unsigned slot);

/* One request: its endpoint's count for status, and its duration. */
void     counters_request(unsigned endpoint, int status, uint64_t usec);

/* Slots of the request counts and the histogram, for the reader. */
unsigned counters_req_slot(unsigned endpoint, unsigned status_index);
unsigned counters_hist_slot(unsigned endpoint, unsigned i);

#endif
