/* SPDX-License-Identifier: ISC */
/*
 * jsonout: a cJSON tree to compact JSON text, byte for byte what cJSON
 * 1.7.15's cJSON_PrintUnformatted() writes, at a fraction of its cost.
 *
 * Why: every write request prints three documents or more (the record,
 * its audit entry, the answer), and cJSON prints a number with
 * sprintf("%1.15g") and reads it back with sscanf() to check, measures
 * what it wrote with strlen() after each value and grows its buffer by
 * copying.  Here one buffer grows by doubling, strings are copied in one
 * pass, and a number that is a whole number below 10^15 in magnitude
 * (every number osbroker writes itself) is written in decimal digits,
 * which is what "%1.15g" prints for it; any other number takes cJSON's
 * own steps (including its locale's decimal point turned into '.').
 * NaN and the infinities print as null, a string node without a string
 * as "", a raw node as its text; an invalid node type or a raw node
 * without text fails, as in cJSON.
 *
 * The same text can be written a piece at a time (jsonout_begin() ...
 * jsonout_end()): a document of fixed shape without a cJSON tree built
 * for it (an audit entry).
 *
 * Ownership: jsonout_print() and jsonout_end() return malloc'ed text the
 * caller frees; until jsonout_end() the writer owns its buffer.
 */
#ifndef OSB_JSONOUT_H
#define OSB_JSONOUT_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* The compact text of item, NUL-terminated, its length in *len (when
 * len is not NULL); NULL when item is NULL, cannot be printed, or out of
 * memory. */
char *jsonout_print(const cJSON *item, size_t *len);

/* A writer: the text so far (not NUL-terminated) and its room; a failure
 * (out of memory, a node jsonout_print() would refuse) sticks, and the
 * calls after it do nothing. */
struct jsonout {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

/* An empty text; nothing is allocated yet. */
void  jsonout_begin(struct jsonout *);
/* n bytes of s as they are ("{", ",", a key already quoted). */
void  jsonout_raw(struct jsonout *, const char *s, size_t n);
/* s as a JSON string, escaped as cJSON escapes it (NULL: ""). */
void  jsonout_string(struct jsonout *, const char *s);
/* item's text, as jsonout_print() writes it (NULL fails). */
void  jsonout_value(struct jsonout *, const cJSON *item);
/* The text, NUL-terminated, and its length in *len (when len is not
 * NULL); NULL when a call failed.  The writer is left empty. */
char *jsonout_end(struct jsonout *, size_t *len);

#endif
