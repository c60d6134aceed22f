/* SPDX-License-Identifier: ISC */
/*
 * promtext: the Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): a page
 * of metric families, each "# HELP" and "# TYPE" then its samples.
 *
 * The one place that escapes: label values (backslash, double quote and
 * newline) and help texts (backslash and newline), so that a service or
 * plan id, or an ETag, can never end a label early or start a line.
 * Metric and label names are the caller's constants.
 *
 * Ownership: the page is a malloc'ed buffer growing up to
 * OSB_METRICS_MAX_BYTES; promtext_take() hands it over (the caller frees),
 * promtext_free() drops it.  An allocation failure or the bound marks the
 * page failed and later calls do nothing: check promtext_take()'s NULL.
 */
#ifndef OSB_PROMTEXT_H
#define OSB_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#define PROMTEXT_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct promtext {
	char	*buf;
	size_t	 len, cap;
	int	 failed;
};

void  promtext_init(struct promtext *);
void  promtext_free(struct promtext *);

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void  promtext_family(struct promtext *, const char *name, const char *type,
          const char *help);

/* One sample: name{k1="v1",...} value.  labels is NULL or a NULL-terminated
 * list of name, value, name, value... */
void  promtext_u64(struct promtext *, const char *name,
          const char *const *labels, uint64_t v);
void  promtext_double(struct promtext *, const char *name,
          const char *const *labels, double v);

/* The page (NUL-terminated, *len bytes before the NUL), or NULL when it
 * failed.  The struct is empty afterwards. */
char *promtext_take(struct promtext *, size_t *len);

#endif
