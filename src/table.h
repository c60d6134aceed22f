/* SPDX-License-Identifier: ISC */
/*
 * table: rows of text printed as an aligned table, for osbrokerctl's
 * human output (its --json output does not come here).
 *
 * Cells come from the store (ids, descriptions a hook wrote), so each is
 * cleaned as it is added: a control byte becomes '?', a cell longer than
 * OSB_MAX_TABLE_CELL bytes is cut (at a character boundary) and ends in
 * "...", an empty or NULL cell prints as "-".  Columns are as wide as their
 * widest cell in characters (UTF-8 code points), two spaces apart; the
 * last column is not padded.
 *
 * Ownership: table_new() returns a table the caller frees with
 * table_free(); cells are copied.
 */
#ifndef OSB_TABLE_H
#define OSB_TABLE_H

#include <stdio.h>

struct table;

/* A table of ncols columns (1..16) with these headers (copied); NULL on
 * failure (out of memory, a bad ncols). */
struct table *table_new(int ncols, const char *const *headers);
void          table_free(struct table *);

/* Append a row of ncols cells: 0, or -1 (out of memory). */
int           table_add(struct table *, const char *const *cells);

/* The number of rows added. */
size_t        table_rows(const struct table *);

/* The header line and every row, each ending in a newline. */
void          table_print(const struct table *, FILE *);

#endif
