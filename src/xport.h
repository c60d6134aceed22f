/* SPDX-License-Identifier: ISC */
/*
 * xport: `osbroker --export` and `osbroker --import`, the whole store as
 * JSON lines (docs/export.md): moving a store between LMDB and PostgreSQL,
 * and the backup format of LMDB users.
 *
 * The format, version XPORT_FORMAT: a header line, one line per record in
 * table order (instances, bindings, gone, meta), then key order (bytes),
 * and a trailer line with the counts, so that a truncated file is noticed:
 *
 *   {"format":"osbroker-export","format_version":1,"osbroker_version":...,
 *    "source":"lmdb","exported_at":"..."}
 *   {"table":"instances","key":"<id>","value":"<the stored document>"}
 *   {"end":"osbroker-export","records":N,"counts":{"instances":N,...}}
 *
 * A value is the stored JSON document's exact bytes as a JSON string, not
 * the document re-printed: an import stores exactly what was exported,
 * whatever cJSON version prints it (docs/export.md says why).
 *
 * Export reads in one read transaction (one consistent snapshot, safe while
 * the broker serves).  Import writes in one write transaction over the
 * whole store (scope NULL), into an empty store only, and commits only
 * after the last line, the trailer, has been checked: any error leaves the
 * store as it was.  Both apply the same rules to a record (a key valid for
 * its table, a value that is a JSON object), so every export imports.
 *
 * Errors are values: -1 with one line in err (an import's names the line
 * number and ends "nothing was stored", unless the connection was lost
 * during COMMIT), never quoting a value or a key read from a file or the
 * store (values hold binding credentials).  Ownership: the caller opens
 * and closes the store and, for xport_export() and xport_import(), the
 * stream.
 */
#ifndef OSB_XPORT_H
#define OSB_XPORT_H

#include <stdio.h>

#include "store.h"

#define XPORT_FORMAT		2	/* the version this file writes (2: the
					   audit table) */
#define XPORT_FORMAT_NAME	"osbroker-export"

struct xport_counts {
	long	table[T__COUNT];	/* records per enum store_table */
	long	total;
};

/* Write the format to out from one read transaction of st. */
int xport_export(struct store *st, FILE *out, struct xport_counts *n,
    char *err, size_t errlen);

/* The same into path: "-" is standard output, anything else a new file
 * created 0600 (it holds binding credentials), refused when it exists,
 * synced when done and removed again when the export fails. */
int xport_export_file(struct store *st, const char *path,
    struct xport_counts *n, char *err, size_t errlen);

/* xport_import()'s and xport_copy()'s flags. */
#define XPORT_REPLACE	1	/* a store that is not empty: its records go
				   first, in the same transaction (nothing
				   is deleted when the load fails) */

/* Read the format from in into st, which must be empty (unless
 * XPORT_REPLACE); lines longer than max_line bytes are refused
 * (OSB_MAX_EXPORT_LINE; less in tests). */
int xport_import(struct store *st, FILE *in, size_t max_line, int flags,
    struct xport_counts *n, char *err, size_t errlen);

/* The same from path, "-" being standard input. */
int xport_import_file(struct store *st, const char *path, int flags,
    struct xport_counts *n, char *err, size_t errlen);

/* Every record of from (one read transaction) into to (one write
 * transaction over the whole store), under the rules of an import: to
 * must be empty (unless XPORT_REPLACE), each record is checked as an
 * import checks it, and nothing is stored unless all are.  For restoring
 * a copy of a store (store_open_copy()).  Errors as xport_import()'s
 * (without line numbers). */
int xport_copy(struct store *from, struct store *to, int flags,
    struct xport_counts *n, char *err, size_t errlen);

/* "5 instances, 3 bindings, 1 tombstones, 0 meta" into buf. */
void xport_summary(const struct xport_counts *n, char *buf, size_t len);

#endif
