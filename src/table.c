/* SPDX-License-Identifier: ISC */
/*
 * table: see table.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "table.h"

#define TABLE_MAX_COLS	16

struct table {
	int	 ncols;
	char	**cells;	/* (rows + 1) * ncols: the headers first */
	size_t	 rows, cap;	/* rows of cells, headers included */
	size_t	 width[TABLE_MAX_COLS];
};

/* Characters (UTF-8 code points) in s. */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* A cleaned copy of s (table.h). */
static char *
clean(const char *s)
{
	size_t	 len, i;
	char	*c;

	if (s == NULL || *s == '\0')
		s = "-";
	len = strlen(s);
	if (len > OSB_MAX_TABLE_CELL) {
		len = OSB_MAX_TABLE_CELL - 3;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;		/* not inside a character */
	}
	if ((c = malloc(len + 4)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		c[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	c[len] = '\0';
	if (len < strlen(s))
		memcpy(c + len, "...", 4);
	return c;
}

static int
add_row(struct table *t, const char *const *cells)
{
	char	**nc;
	size_t	  ncap, w;
	int	  i;

	if (t->rows == t->cap) {
		ncap = t->cap == 0 ? 16 : t->cap * 2;
		if ((nc = reallocarray(t->cells, ncap, (size_t)t->ncols *
		    sizeof(*nc))) == NULL)
			return -1;
		t->cells = nc;
		t->cap = ncap;
	}
	for (i = 0; i < t->ncols; i++) {
		if ((t->cells[t->rows * (size_t)t->ncols + (size_t)i] =
		    clean(cells[i])) == NULL) {
			while (i-- > 0)
				free(t->cells[t->rows * (size_t)t->ncols +
				    (size_t)i]);
			return -1;
		}
	}
	for (i = 0; i < t->ncols; i++) {
		w = chars(t->cells[t->rows * (size_t)t->ncols + (size_t)i]);
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->rows++;
	return 0;
}

struct table *
table_new(int ncols, const char *const *headers)
{
	struct table *t;

	if (ncols < 1 || ncols > TABLE_MAX_COLS ||
	    (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->ncols = ncols;
	if (add_row(t, headers) == -1) {
		table_free(t);
		return NULL;
	}
	return t;
}

void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->rows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int
table_add(struct table *t, const char *const *cells)
{
	return add_row(t, cells);
}

size_t
table_rows(const struct table *t)
{
	return t->rows - 1;
}

void
table_print(const struct table *t, FILE *out)
{
	const char	*c;
	size_t		 r;
	int		 i;

	for (r = 0; r < t->rows; r++) {
		for (i = 0; i < t->ncols; i++) {
			c = t->cells[r * (size_t)t->ncols + (size_t)i];
			fputs(c, out);
			if (i + 1 < t->ncols)
				fprintf(out, "%*s", (int)(t->width[i] -
				    chars(c) + 2), "");
		}
		fputc('\n', out);
	}
}
