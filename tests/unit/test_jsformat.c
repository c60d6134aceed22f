/* SPDX-License-Identifier: ISC */
/*
 * test_jsformat.c: which draft knows which format, and the checks beyond
 * the official suite's cases (which tests/jsonschema/suite.c runs).
 */
#include <stdio.h>
#include <string.h>

#include "jsformat.h"
#include "jsregex.h"
#include "tap.h"

static void
valid(const char *format, const char *s, int want)
{
	enum jsformat f = jsformat_lookup(7, format);

	CHECK(f != JSF_UNKNOWN && jsformat_valid(f, s) == want,
	    "%s: \"%s\" is %s", format, s, want ? "valid" : "invalid");
}

static const struct {
	int		 draft;
	const char	*name;
	enum jsformat	 want;
} known[] = {
	{ 4, "date-time", JSF_DATE_TIME },
	{ 4, "uri-reference", JSF_UNKNOWN },
	{ 6, "uri-reference", JSF_URI_REFERENCE },
	{ 6, "date", JSF_UNKNOWN },
	{ 7, "idn-hostname", JSF_IDN_HOSTNAME },
	{ 4, "regex", JSF_REGEX },
	{ 7, "color", JSF_UNKNOWN },
};

int
main(void)
{
	size_t	i;

	/* the drafts' lists (regex from draft-04: its meta-schema uses it) */
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		CHECK(jsformat_lookup(known[i].draft, known[i].name) ==
		    known[i].want, "draft-0%d %s %s", known[i].draft,
		    known[i].want == JSF_UNKNOWN ? "does not know" : "knows",
		    known[i].name);
	CHECK_STR(jsformat_name(JSF_IPV6), "ipv6", "the name of ipv6");

	/* RFC 3339 */
	valid("date-time", "2024-02-29T23:59:60Z", 1);
	valid("date-time", "2023-02-29T00:00:00Z", 0);	/* not a leap year */
	valid("date-time", "1900-02-29T00:00:00Z", 0);
	valid("date-time", "2000-02-29T00:00:00+23:59", 1);
	valid("date-time", "2000-01-01T24:00:00Z", 0);
	valid("date-time", "2000-01-01T00:00:00", 0);	/* no offset */
	valid("date-time", "2000-01-01T00:00:00.Z", 0);
	valid("date", "2000-12-31", 1);
	valid("date", "2000-13-01", 0);
	valid("time", "23:59:59.5+01:00", 1);
	valid("time", "23:60:00Z", 0);

	/* names and addresses */
	valid("hostname", "example.com.", 1);
	valid("hostname", "a..b", 0);
	valid("hostname", "a-.b", 0);
	valid("hostname", "", 0);
	valid("hostname", "h\xc3\xa9.example", 0);
	valid("idn-hostname", "h\xc3\xa9.example", 1);
	valid("idn-hostname", "\xcc\x81" "a.example", 0);	/* a mark first */
	valid("email", "a.b+c@example.com", 1);
	valid("email", "\"a b\"@example.com", 1);
	valid("email", "a..b@example.com", 0);
	valid("email", ".a@example.com", 0);
	valid("email", "a@[192.0.2.1]", 1);
	valid("email", "a@[IPv6:2001:db8::1]", 1);
	valid("email", "a@", 0);
	valid("idn-email", "\xc3\xa9@example.com", 1);
	valid("ipv4", "192.0.2.1", 1);
	valid("ipv4", "192.0.2.01", 0);
	valid("ipv6", "2001:db8::1", 1);
	valid("ipv6", "2001:db8::1%eth0", 0);

	/* RFC 3986, RFC 3987, RFC 6570 */
	valid("uri", "https://user@example.com:8443/p?q=1#f", 1);
	valid("uri", "https://example.com:80a/", 0);
	valid("uri", "https://[v1.x]/", 1);
	valid("uri", "https://exa mple.com/", 0);
	valid("uri", "https://example.com/%zz", 0);
	valid("uri-reference", "../a/b?c", 1);
	valid("uri-reference", "a:b:c", 1);		/* a scheme "a" */
	valid("uri-reference", "1a:b", 0);		/* a colon in segment 1 */
	valid("iri", "https://\xc3\xa9.example/\xc3\xa9", 1);
	valid("uri", "https://\xc3\xa9.example/", 0);
	valid("uri-template", "/a{/b*}{?c,d:3}", 1);
	valid("uri-template", "/a{b:0}", 0);
	valid("uri-template", "/a{}", 0);
	valid("uri-template", "/a}", 0);

	/* pointers and patterns */
	valid("json-pointer", "/a~0b~1c", 1);
	valid("json-pointer", "/a~", 0);
	valid("relative-json-pointer", "0", 1);
	valid("relative-json-pointer", "01/a", 0);
	valid("relative-json-pointer", "2#", 1);
	valid("regex", "^[a-z]+\\d*$", 1);
	valid("regex", "(?=a)", 0);
	jsregex_cleanup();
	return tap_done();
}
