/* SPDX-License-Identifier: ISC */
/*
 * html: see html.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "util.h"

void
html_init(struct html *h, size_t max)
{
	memset(h, 0, sizeof(*h));
	h->max = max;
}

void
html_free(struct html *h)
{
	free(h->buf);
	memset(h, 0, sizeof(*h));
}

static void
put(struct html *h, const char *s, size_t n)
{
	char	*nb;
	size_t	 ncap;

	if (h->failed)
		return;
	if (h->len + n + 1 > h->max) {
		h->failed = 1;
		return;
	}
	if (h->len + n + 1 > h->cap) {
		ncap = h->cap ? h->cap : 4096;
		while (ncap < h->len + n + 1)
			ncap *= 2;
		if ((nb = realloc(h->buf, ncap)) == NULL) {
			h->failed = 1;
			return;
		}
		h->buf = nb;
		h->cap = ncap;
	}
	memcpy(h->buf + h->len, s, n);
	h->len += n;
	h->buf[h->len] = '\0';
}

void
html_raw(struct html *h, const char *markup)
{
	put(h, markup, strlen(markup));
}

void
html_rawf(struct html *h, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		h->failed = 1;
		return;
	}
	put(h, buf, (size_t)n);
}

/* One byte of text, escaped; utf8: the text is valid UTF-8. */
static void
esc_byte(struct html *h, unsigned char c, int utf8)
{
	switch (c) {
	case '&':
		put(h, "&amp;", 5);
		return;
	case '<':
		put(h, "&lt;", 4);
		return;
	case '>':
		put(h, "&gt;", 4);
		return;
	case '"':
		put(h, "&quot;", 6);
		return;
	case '\'':
		put(h, "&#39;", 5);
		return;
	}
	if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
		put(h, "\xef\xbf\xbd", 3);	/* U+FFFD */
	else if (c >= 0x80 && !utf8)
		put(h, "?", 1);
	else
		put(h, (const char *)&c, 1);
}

void
html_text_max(struct html *h, const char *text, size_t max)
{
	size_t	 n, i;
	int	 utf8, cut = 0;

	if (text == NULL)
		return;
	n = strlen(text);
	utf8 = util_utf8_valid(text, n);
	if (n > max) {
		n = max;
		/* Not inside a character: back to its first byte. */
		while (utf8 && n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
		cut = 1;
	}
	for (i = 0; i < n; i++)
		esc_byte(h, (unsigned char)text[i], utf8);
	if (cut)
		put(h, "...", 3);
}

void
html_text(struct html *h, const char *text)
{
	html_text_max(h, text, (size_t)-1);
}

void
html_qval(struct html *h, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char	 pct[3];

	if (value == NULL)
		return;
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			put(h, (const char *)p, 1);
			continue;
		}
		pct[0] = '%';
		pct[1] = hex[*p >> 4];
		pct[2] = hex[*p & 15];
		put(h, pct, 3);
	}
}

char *
html_take(struct html *h, size_t *len)
{
	char *b;

	if (!h->failed && h->buf == NULL)
		put(h, "", 0);
	if (h->failed) {
		html_free(h);
		return NULL;
	}
	b = h->buf;
	*len = h->len;
	memset(h, 0, sizeof(*h));
	return b;
}
