/* SPDX-License-Identifier: ISC */
/*
 * test_promtext: the Prometheus text exposition (promtext.h): a family's
 * HELP and TYPE lines, samples with and without labels, integer and
 * floating values (+Inf, NaN), and the escaping that keeps a hostile label
 * value or help text on its one line: backslash, double quote and newline
 * in a label value; backslash and newline in a help text (where a quote
 * stays as it is).  A page past OSB_METRICS_MAX_BYTES fails as a whole.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "promtext.h"
#include "tap.h"

static char *
page(struct promtext *p)
{
	size_t	 len = 0;
	char	*s = promtext_take(p, &len);

	if (s != NULL && strlen(s) != len)
		printf("# length %zu but strlen %zu\n", len, strlen(s));
	return s;
}

/* Take the page, compare it with want, free it. */
static void
same_page(struct promtext *p, const char *want, const char *what)
{
	char *s = page(p);

	CHECK_STR(s, want, "%s", what);
	free(s);
}

int
main(void)
{
	struct promtext	 p;
	char		*s;
	const char	*lb[] = { "a", "x", "b", "y", NULL };
	const char	*evil[] = { "v", "back\\slash \"quoted\"\nnext line",
			    NULL };
	static char	 big[65536];
	size_t		 i;

	promtext_init(&p);
	promtext_family(&p, "osb_x_total", "counter", "Things.");
	promtext_u64(&p, "osb_x_total", NULL, 18446744073709551615ULL);
	promtext_u64(&p, "osb_x_total", lb, 0);
	same_page(&p, "# HELP osb_x_total Things.\n# TYPE osb_x_total counter\n"
	    "osb_x_total 18446744073709551615\n"
	    "osb_x_total{a=\"x\",b=\"y\"} 0\n",
	    "a family, a sample without labels, one with two");

	promtext_init(&p);
	promtext_u64(&p, "m", evil, 1);
	same_page(&p, "m{v=\"back\\\\slash \\\"quoted\\\"\\nnext line\"} 1\n",
	    "a label value's backslash, quote and newline are escaped");

	promtext_init(&p);
	promtext_family(&p, "m", "gauge", "a \"quote\", a \\ and\na newline");
	same_page(&p, "# HELP m a \"quote\", a \\\\ and\\na newline\n"
	    "# TYPE m gauge\n",
	    "a help text escapes backslash and newline, not the quote");

	promtext_init(&p);
	promtext_double(&p, "d", NULL, 0.25);
	promtext_double(&p, "d", NULL, INFINITY);
	promtext_double(&p, "d", NULL, -INFINITY);
	promtext_double(&p, "d", NULL, NAN);
	promtext_double(&p, "d", NULL, 1e6);
	same_page(&p, "d 0.25\nd +Inf\nd -Inf\nd NaN\nd 1000000\n",
	    "floating values, infinities and NaN as the format spells them");

	promtext_init(&p);
	promtext_u64(&p, "e", (const char *[]){ "k", "", NULL }, 2);
	same_page(&p, "e{k=\"\"} 2\n", "an empty label value stays quoted");

	/* Past the bound: the whole page fails, nothing half-written. */
	memset(big, 'a', sizeof(big) - 1);
	promtext_init(&p);
	for (i = 0; i < OSB_METRICS_MAX_BYTES / (sizeof(big) - 1) + 2; i++)
		promtext_u64(&p, "m", (const char *[]){ "k", big, NULL }, i);
	s = page(&p);
	CHECK(s == NULL, "a page over OSB_METRICS_MAX_BYTES fails");
	free(s);
	promtext_init(&p);
	promtext_free(&p);
	CHECK(page(&p) == NULL, "an empty page is no page");
	return tap_done();
}
