/* SPDX-License-Identifier: ISC */
/*
 * test_jsregex.c: ECMA-262 patterns on POSIX regex: what each translation
 * matches, what is refused and why, UTF-8, and that nasty patterns stay
 * fast (the "^(.*)(...)" form).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsregex.h"
#include "tap.h"

/* s with control bytes as \xNN, for a one-line test name. */
static const char *
shown(const char *s)
{
	static char	buf[2][256];
	static int	k;
	char		*o = buf[k ^= 1];
	size_t		 n = 0;

	for (; *s != '\0' && n + 5 < sizeof(buf[0]); s++)
		n += (size_t)snprintf(o + n, sizeof(buf[0]) - n,
		    (unsigned char)*s < 0x20 ? "\\x%02x" : "%c",
		    (unsigned char)*s);
	o[n] = '\0';
	return o;
}

static void
match(const char *pattern, const char *s, int want)
{
	regex_t	re;
	char	err[256];

	if (jsregex_compile(pattern, &re, err, sizeof(err)) == -1) {
		CHECK(0, "/%s/ compiles (%s)", shown(pattern), err);
		return;
	}
	CHECK(jsregex_search(&re, s) == want, "/%s/ %s \"%s\"",
	    shown(pattern), want ? "matches" : "does not match", shown(s));
	jsregex_free(&re);
}

static void
refused(const char *pattern, const char *why)
{
	regex_t	re;
	char	err[256];
	int	rc = jsregex_compile(pattern, &re, err, sizeof(err));

	if (rc == 0)
		jsregex_free(&re);
	CHECK(rc == -1 && strstr(err, why) != NULL,
	    "/%s/ is refused: %s", shown(pattern), why);
	if (rc == -1 && strstr(err, why) == NULL)
		printf("#   got: %s\n", err);
}

static double
seconds(void)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(void)
{
	char	*long_a;
	regex_t	 re;
	char	 err[256];
	double	 t0;

	/* a search, not anchored, unless the pattern says so */
	match("b", "abc", 1);
	match("^b", "abc", 0);
	match("b$", "abc", 0);
	match("^abc$", "abc", 1);
	match("a|^z", "za", 1);

	/* shorthands, ECMA-262's definitions (ASCII words, Unicode spaces) */
	match("^\\d+$", "0129", 1);
	match("\\d", "\xd9\xa3", 0);		/* ARABIC-INDIC DIGIT THREE */
	match("^\\w+$", "a_Z9", 1);
	match("^\\w+$", "h\xc3\xa9", 0);	/* é is no \w in ECMA-262 */
	match("^\\W$", "\xc3\xa9", 1);
	match("^\\s$", "\xc2\xa0", 1);		/* NO-BREAK SPACE */
	match("^\\s$", "\xe3\x80\x80", 1);	/* IDEOGRAPHIC SPACE */
	match("^\\S+$", "a\tb", 0);
	match("^[\\d\\s]+$", "1 2", 1);
	match("^\\D$", "x", 1);

	/* "." is one code point, and no line terminator */
	match("^.$", "\xc3\xa1", 1);
	match("^.$", "\xf0\x9f\x98\x80", 1);	/* a 4-byte character */
	match("^a.c$", "a\nc", 0);
	match("^a.c$", "a\xe2\x80\xa8" "c", 0);	/* LINE SEPARATOR */
	match("^[^x]$", "\n", 1);		/* a class does take them */

	/* escapes */
	match("^a\\.b$", "a.b", 1);
	match("^a\\.b$", "axb", 0);
	match("^\\/\\-\\:$", "/-:", 1);
	match("^\\u00e9$", "\xc3\xa9", 1);
	match("^\\x41$", "A", 1);
	match("^\\ud83d\\ude00$", "\xf0\x9f\x98\x80", 1);
	match("^\\t$", "\t", 1);
	match("^\\cJ$", "\n", 1);
	match("^[\\]\\-\\^\\\\]+$", "]-^\\", 1);

	/* classes: the characters POSIX places specially */
	match("^[\\^]$", "^", 1);
	match("^[\\^-]+$", "-^", 1);
	match("^[a\\]]+$", "]a", 1);
	match("^[^\\]]$", "]", 0);
	match("^[\\[.]+$", "[.", 1);
	match("^[^]$", "x", 1);
	match("^[\xc3\xa0-\xc3\xbf]$", "\xc3\xa9", 1);	/* listed one by one */
	match("^[\xc3\xa0-\xc3\xbf]$", "z", 0);
	match("^[a-\xc3\xbf]+$", "z\xc3\xa9", 1);

	/* groups and quantifiers */
	match("^(?:ab)+$", "abab", 1);
	match("^(?<word>ab)$", "ab", 1);
	match("^a{2,3}?$", "aaa", 1);		/* lazy: the same strings */
	match("^a+?b$", "aab", 1);
	match("^a{2}$", "aaa", 0);
	match("^a{2,}$", "aaaa", 1);
	match("^x{$", "x{", 1);			/* a literal brace */
	match("^{foo}$", "{foo}", 1);
	match("^a{,3}$", "a{,3}", 1);		/* not a quantifier in ECMA */

	/* refused, with the reason */
	refused("(?=a)", "lookahead");
	refused("(?<!a)b", "lookahead and lookbehind");
	refused("(a)\\1", "backreferences");
	refused("(?<n>a)\\k<n>", "backreferences");
	refused("\\bword\\b", "word boundaries");
	refused("\\p{L}", "Unicode property");
	refused("^\\S(|(.|\\n)*\\S)\\Z", "unknown escape \\Z");
	refused("[]", "empty class");
	refused("a**", "nothing to repeat");
	refused("*a", "nothing to repeat");
	refused("(a", "without its )");
	refused("a)", "without its (");
	refused("[a", "without its ]");
	refused("[z-a]", "out of order");
	refused("[\\S]", "inside a character class");
	refused("a{3,2}", "out of order");
	refused("\\0", "NUL");
	refused("\\", "cannot end with");
	refused("\xff", "not valid UTF-8");
	refused("((a{255}){255}){255}", "too big");
	refused("[\xe4\xb8\x80-\xe9\xbf\xbf]", "wider than");

	/* time: glibc searches "(a|aa)*c" quadratically (0.27 s at 16,000
	 * bytes, 11 s at 100,000); in the form compiled it is linear */
	long_a = malloc(100001);
	if (long_a == NULL)
		abort();
	memset(long_a, 'a', 100000);
	long_a[100000] = '\0';
	if (jsregex_compile("(a|aa)*c", &re, err, sizeof(err)) == 0) {
		t0 = seconds();
		CHECK(!jsregex_search(&re, long_a) && seconds() - t0 < 0.5,
		    "(a|aa)*c on 100,000 bytes: no match, quickly");
		jsregex_free(&re);
	}
	if (jsregex_compile("([a-z]+)+!", &re, err, sizeof(err)) == 0) {
		t0 = seconds();
		CHECK(!jsregex_search(&re, long_a) && seconds() - t0 < 0.5,
		    "([a-z]+)+! on 100,000 bytes: no match, quickly");
		jsregex_free(&re);
	}
	free(long_a);
	jsregex_cleanup();
	return tap_done();
}
