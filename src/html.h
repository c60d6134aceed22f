/* SPDX-License-Identifier: ISC */
/*
 * html: an HTML page built in memory, for GET /status.
 *
 * The one place that escapes: every text that comes from outside (the
 * store, the catalog, the request) goes through html_text(), which turns
 * & < > " ' into character references, so that it can stand in element
 * content and in a double- or single-quoted attribute value alike and never
 * end either early, open a tag or start an attribute; control bytes become
 * U+FFFD and a string that is not valid UTF-8 has its bytes above 0x7f
 * replaced by '?', so the page stays valid UTF-8 whatever the store holds.
 * html_qval() does the same for a query parameter's value inside an href
 * (percent-encoding first).  html_raw() is for the caller's own literal
 * markup only, never for data.
 *
 * Ownership: the page is a malloc'ed buffer growing up to the bound given
 * to html_init(); html_take() hands it over (the caller frees),
 * html_free() drops it.  An allocation failure or the bound marks the page
 * failed and later calls do nothing: check html_take()'s NULL.
 */
#ifndef OSB_HTML_H
#define OSB_HTML_H

#include <stddef.h>

#define HTML_CONTENT_TYPE	"text/html; charset=utf-8"

struct html {
	char	*buf;
	size_t	 len, cap, max;
	int	 failed;
};

void  html_init(struct html *, size_t max);
void  html_free(struct html *);

/* The caller's own markup, as it is. */
void  html_raw(struct html *, const char *markup);

/* The caller's own markup with printf's conversions (numbers; never a %s
 * of data). */
void  html_rawf(struct html *, const char *fmt, ...)
          __attribute__((format(printf, 2, 3)));

/* Text from outside, escaped (above); NULL writes nothing. */
void  html_text(struct html *, const char *text);

/* The same, at most max bytes of it (cut at a character boundary, "..."
 * appended when cut). */
void  html_text_max(struct html *, const char *text, size_t max);

/* A query parameter's value, percent-encoded (all but A-Z a-z 0-9 - . _ ~)
 * and then escaped, for an href. */
void  html_qval(struct html *, const char *value);

/* The page (NUL-terminated, *len bytes), or NULL when it failed. */
char *html_take(struct html *, size_t *len);

#endif
