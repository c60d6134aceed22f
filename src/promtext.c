/* SPDX-License-Identifier: ISC */
/*
 * promtext: see promtext.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "promtext.h"

void
promtext_init(struct promtext *p)
{
	memset(p, 0, sizeof(*p));
}

void
promtext_free(struct promtext *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static void
put(struct promtext *p, const char *s, size_t n)
{
	size_t	 cap;
	char	*nb;

	if (p->failed)
		return;
	if (n > OSB_METRICS_MAX_BYTES - p->len) {
		p->failed = 1;
		return;
	}
	if (p->len + n + 1 > p->cap) {
		cap = p->cap ? p->cap : 4096;
		while (cap < p->len + n + 1)
			cap *= 2;
		if ((nb = realloc(p->buf, cap)) == NULL) {
			p->failed = 1;
			return;
		}
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void
puts_(struct promtext *p, const char *s)
{
	put(p, s, strlen(s));
}

/* quote: also escape '"' (a label value; a help text leaves it). */
static void
escaped(struct promtext *p, const char *s, int quote)
{
	const char *run;

	for (run = s; *s != '\0'; s++) {
		if (*s != '\\' && *s != '\n' && !(quote && *s == '"'))
			continue;
		put(p, run, (size_t)(s - run));
		puts_(p, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\\"");
		run = s + 1;
	}
	put(p, run, (size_t)(s - run));
}

void
promtext_family(struct promtext *p, const char *name, const char *type,
    const char *help)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	escaped(p, help, 0);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

static void
series(struct promtext *p, const char *name, const char *const *labels)
{
	size_t i;

	puts_(p, name);
	if (labels == NULL || labels[0] == NULL)
		return;
	puts_(p, "{");
	for (i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
		if (i > 0)
			puts_(p, ",");
		puts_(p, labels[i]);
		puts_(p, "=\"");
		escaped(p, labels[i + 1], 1);
		puts_(p, "\"");
	}
	puts_(p, "}");
}

void
promtext_u64(struct promtext *p, const char *name, const char *const *labels,
    uint64_t v)
{
	char num[32];

	series(p, name, labels);
	snprintf(num, sizeof(num), " %" PRIu64 "\n", v);
	puts_(p, num);
}

void
promtext_double(struct promtext *p, const char *name,
    const char *const *labels, double v)
{
	char num[48];

	series(p, name, labels);
	if (isnan(v))
		snprintf(num, sizeof(num), " NaN\n");
	else if (isinf(v))
		snprintf(num, sizeof(num), " %sInf\n", v > 0 ? "+" : "-");
	else
		snprintf(num, sizeof(num), " %.17g\n", v);
	puts_(p, num);
}

char *
promtext_take(struct promtext *p, size_t *len)
{
	char *b;

	if (p->failed || p->buf == NULL) {
		promtext_free(p);
		return NULL;
	}
	b = p->buf;
	*len = p->len;
	memset(p, 0, sizeof(*p));
	return b;
}
