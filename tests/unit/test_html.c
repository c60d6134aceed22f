/* SPDX-License-Identifier: ISC */
/*
 * test_html: the status page's builder (html.h): markup passes as it is,
 * text is escaped so that it cannot leave element content or a quoted
 * attribute (& < > " '), control bytes become U+FFFD, invalid UTF-8 loses
 * its high bytes, a cut never splits a character, query values are
 * percent-encoded, and a page past its bound fails as a whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "tap.h"

static void
same_page(struct html *h, const char *want, const char *what)
{
	size_t	 len = 0;
	char	*s = html_take(h, &len);

	CHECK_STR(s, want, "%s", what);
	if (s != NULL)
		CHECK(strlen(s) == len, "%s: length", what);
	free(s);
}

int
main(void)
{
	struct html	 h;
	size_t		 len;
	char		*s;

	html_init(&h, 1024);
	same_page(&h, "", "an empty page is an empty string");

	html_init(&h, 1024);
	html_raw(&h, "<td class=\"x\">");
	html_rawf(&h, "%d rows", 42);
	same_page(&h, "<td class=\"x\">42 rows", "markup as it is");

	html_init(&h, 1024);
	html_text(&h, "<script>alert(1)</script>");
	same_page(&h, "&lt;script&gt;alert(1)&lt;/script&gt;",
	    "a script element becomes text");

	html_init(&h, 1024);
	html_text(&h, "x\" onerror=\"alert(1)' a=&amp;");
	same_page(&h, "x&quot; onerror=&quot;alert(1)&#39; a=&amp;amp;",
	    "quotes and ampersands cannot end an attribute");

	html_init(&h, 1024);
	html_text(&h, "a\x01" "b\x7f" "c\td\ne");
	same_page(&h, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\td\ne",
	    "control bytes become U+FFFD, tab and newline stay");

	html_init(&h, 1024);
	html_text(&h, "caf\xc3\xa9 \xe2\x9c\x93");
	same_page(&h, "caf\xc3\xa9 \xe2\x9c\x93", "valid UTF-8 stays");

	html_init(&h, 1024);
	html_text(&h, "bad \xc3( \xff<");
	same_page(&h, "bad ?( ?&lt;", "invalid UTF-8 loses its high bytes");

	html_init(&h, 1024);
	html_text(&h, NULL);
	same_page(&h, "", "NULL text writes nothing");

	html_init(&h, 1024);
	html_text_max(&h, "ab\xc3\xa9" "cd", 3);
	same_page(&h, "ab...", "a cut never splits a character");

	html_init(&h, 1024);
	html_text_max(&h, "<<<<", 2);
	same_page(&h, "&lt;&lt;...", "a cut counts the text's bytes, not "
	    "the escapes'");

	html_init(&h, 1024);
	html_text_max(&h, "abc", 3);
	same_page(&h, "abc", "a text of the bound is not cut");

	html_init(&h, 1024);
	html_qval(&h, "2026-12-06T10:00:00.1Z-ab/c d&\"<");
	same_page(&h, "2026-12-06T10%3A00%3A00.1Z-ab%2Fc%20d%26%22%3C",
	    "query values are percent-encoded");

	html_init(&h, 16);
	html_raw(&h, "0123456789");
	html_text(&h, "<<");
	same_page(&h, NULL, "a page past its bound fails");

	html_init(&h, 16);
	html_raw(&h, "0123456789abcdef");
	html_raw(&h, "x");
	s = html_take(&h, &len);
	CHECK(s == NULL, "a failed page stays failed");
	free(s);

	return tap_done();
}
