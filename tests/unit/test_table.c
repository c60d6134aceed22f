/* SPDX-License-Identifier: ISC */
/*
 * test_table: aligned columns (by characters, not bytes), "-" for empty
 * cells, control bytes cleaned, long cells cut at a character boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "table.h"
#include "tap.h"

static char *
printed(const struct table *t)
{
	char	*buf;
	size_t	 len;
	FILE	*f = open_memstream(&buf, &len);

	table_print(t, f);
	fclose(f);
	return buf;
}

int
main(void)
{
	static const char *const head[] = { "ID", "NAME", "STATE" };
	const char	*r1[] = { "a", "caf\xc3\xa9", "ok" };
	const char	*r2[] = { "long-id", "", NULL };
	const char	*r3[] = { "x\ty\n", "z", "\x1b[31m" };
	const char	*bad[1] = { "q" };
	char		 big[OSB_MAX_TABLE_CELL + 50], *out;
	struct table	*t = table_new(3, head), *t1;

	CHECK(t != NULL && table_rows(t) == 0, "a new table has no rows");
	CHECK(table_new(0, head) == NULL && table_new(17, head) == NULL,
	    "0 or more than 16 columns are refused");
	CHECK(table_add(t, r1) == 0 && table_add(t, r2) == 0 &&
	    table_add(t, r3) == 0 && table_rows(t) == 3, "rows are added");
	out = printed(t);
	CHECK_STR(out,
	    "ID       NAME  STATE\n"
	    "a        caf\xc3\xa9  ok\n"
	    "long-id  -     -\n"
	    "x?y?     z     ?[31m\n",
	    "columns aligned by characters; empty and NULL cells are \"-\"; "
	    "control bytes are '?'; the last column is not padded");
	free(out);
	table_free(t);

	/* a cell longer than the bound, ending in a two-byte character that
	 * the cut would split */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[OSB_MAX_TABLE_CELL - 4] = '\xc3';
	big[OSB_MAX_TABLE_CELL - 3] = '\xa9';
	bad[0] = big;
	t1 = table_new(1, (const char *const[]){ "H" });
	CHECK(table_add(t1, bad) == 0, "a long cell is added");
	out = printed(t1);
	CHECK(strlen(out) == 2 + OSB_MAX_TABLE_CELL - 4 + 3 + 1 &&
	    strcmp(out + strlen(out) - 5, "a...\n") == 0,
	    "a long cell is cut before a character it would split, and "
	    "ends in \"...\"");
	free(out);
	table_free(t1);
	table_free(NULL);
	return tap_done();
}
