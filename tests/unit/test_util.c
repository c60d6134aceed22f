/* SPDX-License-Identifier: ISC */
/*
 * test_util.c: the byte-level helpers that see hostile input first
 * (percent-decoding, base64, UTF-8, ids) and the small time/size helpers.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limits.h"
#include "util.h"
#include "tap.h"

/* util_pct_decode of a C string; checks the result (NULL = must be rejected). */
static void
pct(const char *in, int plus, const char *want, size_t wantlen,
    const char *what)
{
	char	*got;
	size_t	 len = 12345;

	got = util_pct_decode(in, strlen(in), plus, &len);
	if (want == NULL) {
		CHECK(got == NULL, "util_pct_decode rejects %s", what);
	} else {
		CHECK(got != NULL && len == wantlen &&
		    memcmp(got, want, wantlen + 1) == 0,
		    "util_pct_decode %s", what);
	}
	free(got);
}

static void
test_pct_decode(void)
{
	char	*got;
	size_t	 len;

	pct("abc", 0, "abc", 3, "plain text");
	pct("", 0, "", 0, "empty string");
	pct("a%20b", 0, "a b", 3, "%20");
	pct("%41%4a%4A", 0, "AJJ", 3, "upper and lower hex");
	pct("a%2Fb", 0, "a/b", 3, "%2F becomes a slash");
	pct("%ff", 0, "\xff", 1, "high byte kept (UTF-8 is checked elsewhere)");
	pct("a+b", 1, "a b", 3, "'+' is a space in a query");
	pct("a+b", 0, "a+b", 3, "'+' is literal in a path");
	pct("%2B", 1, "+", 1, "%2B is a literal '+' even in a query");
	pct("%", 0, NULL, 0, "a lone %");
	pct("%4", 0, NULL, 0, "%4 (one hex digit)");
	pct("abc%4", 0, NULL, 0, "a truncated escape at the end");
	pct("%zz", 0, NULL, 0, "%zz");
	pct("%4g", 0, NULL, 0, "%4g");
	pct("%g4", 0, NULL, 0, "%g4");
	pct("%00", 0, NULL, 0, "%00 (encoded NUL)");
	pct("a%00b", 1, NULL, 0, "%00 in the middle");

	/* Explicit length: never reads past it. */
	got = util_pct_decode("ab%41", 2, 0, &len);
	CHECK(got != NULL && len == 2 && strcmp(got, "ab") == 0,
	    "util_pct_decode stops at len");
	free(got);
	got = util_pct_decode("ab%41", 4, 0, NULL);
	CHECK(got == NULL, "pct_decode: escape cut by len is rejected");
	free(got);
	got = util_pct_decode("a\0b", 3, 0, NULL);
	CHECK(got == NULL, "util_pct_decode rejects a raw NUL byte");
	free(got);
	got = util_pct_decode("x", 1, 0, NULL);
	CHECK(got != NULL && strcmp(got, "x") == 0, "outlen is optional");
	free(got);
}

static void
b64(const char *in, const char *want, size_t wantlen, const char *what)
{
	char	*got;
	size_t	 len = 12345;

	got = util_b64_decode(in, strlen(in), &len);
	if (want == NULL) {
		CHECK(got == NULL, "util_b64_decode rejects %s", what);
	} else {
		CHECK(got != NULL && len == wantlen &&
		    memcmp(got, want, wantlen) == 0 && got[wantlen] == '\0',
		    "util_b64_decode %s", what);
	}
	free(got);
}

static void
test_b64_decode(void)
{
	b64("", "", 0, "empty input");
	b64("aGVsbG8h", "hello!", 6, "no padding needed");
	b64("aGVsbG8=", "hello", 5, "one '='");
	b64("aGVsbA==", "hell", 4, "two '='");
	b64("aGVsbG8", "hello", 5, "one '=' omitted");
	b64("aGVsbA", "hell", 4, "two '=' omitted");
	b64("QQ==", "A", 1, "one byte");
	b64("AA==", "\0", 1, "a NUL byte (length reported)");
	b64("+/+/", "\xfb\xff\xbf", 3, "'+' and '/'");
	b64("-_-_", NULL, 0, "URL-safe alphabet");
	b64("aGV*bG8=", NULL, 0, "'*'");
	b64("aGVs bG8=", NULL, 0, "a space");
	b64("aGVsbG8=\n", NULL, 0, "a trailing newline");
	b64("aG=sbG8=", NULL, 0, "'=' in the middle");
	b64("aGVsbG8===", NULL, 0, "three '='");
	b64("aGVsbG8==", NULL, 0, "too much padding for the length");
	b64("aGVsbA=", NULL, 0, "too little padding for the length");
	b64("aGVsb", NULL, 0, "length 5 (4n+1)");
	b64("a", NULL, 0, "length 1");
	b64("=", NULL, 0, "only '='");
	b64("==", NULL, 0, "only '=='");
	b64("QR==", NULL, 0, "non-canonical trailing bits (QR==)");
	b64("aGVsbG9=", NULL, 0, "non-canonical trailing bits (aGVsbG9=)");
	b64("aGVsbG9", NULL, 0, "non-canonical trailing bits, no padding");
}

static void
u8(const char *s, size_t len, int want, const char *what)
{
	CHECK(util_utf8_valid(s, len) == want, "util_utf8_valid %s: %s",
	    want ? "accepts" : "rejects", what);
}

#define U8(lit, want, what) u8(lit, sizeof(lit) - 1, want, what)

static void
test_utf8_next(void)
{
	const char	*s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", *p = s;
	unsigned long	 got[4];
	int		 i;

	for (i = 0; i < 4; i++)
		got[i] = util_utf8_next(&p);
	CHECK(got[0] == 'a' && got[1] == 0xe9 && got[2] == 0x20ac &&
	    got[3] == 0x1f600 && p == s + 10,
	    "util_utf8_next decodes 1- to 4-byte characters and moves past them");
}

/* util_json_plain() against a byte-by-byte count, for each byte at each
 * place of strings of 0 to 19 bytes over ASCII and UTF-8 fill. */
static void
test_json_plain(void)
{
	char	 buf[20];
	size_t	 len, pos, want, bad = 0;
	int	 c, fill;

	for (len = 0; len < sizeof(buf); len++)
		for (pos = 0; pos < len; pos++)
			for (c = 0; c < 256; c++)
				for (fill = 0; fill < 2; fill++) {
					memset(buf, fill ? 0xc3 : 'a', len);
					buf[pos] = (char)c;
					want = (c < 0x20 || c == '"' ||
					    c == '\\') ? pos : len;
					bad += util_json_plain(buf, len) != want;
				}
	CHECK(bad == 0, "util_json_plain stops at the first control "
	    "character, quote or backslash (%zu wrong)", bad);
	CHECK(util_json_plain("", 0) == 0, "util_json_plain of nothing");
}

/* util_concat() writes what snprintf("%s%s%s") writes, for every room
 * from 0 to past the whole. */
static void
test_concat(void)
{
	const char	*parts[] = { "inst-1", "/", "", "bind-22" };
	char		 a[32], b[32];
	size_t		 len, bad = 0;
	int		 n;

	for (len = 0; len < 20; len++) {
		memset(a, '#', sizeof(a));
		memset(b, '#', sizeof(b));
		n = snprintf(b, len, "%s%s%s%s", parts[0], parts[1], parts[2],
		    parts[3]);
		bad += util_concat(a, len, parts, 4) != (size_t)n ||
		    memcmp(a, b, sizeof(a)) != 0;
	}
	CHECK(bad == 0, "util_concat writes and counts as snprintf does, "
	    "cut or not (%zu differ)", bad);
}

static void
test_utf8_valid(void)
{
	U8("", 1, "empty");
	U8("hello, world ~", 1, "ASCII");
	U8("a\0b", 1, "NUL is well-formed UTF-8 (jsonin rejects it)");
	U8("\xc3\xa9", 1, "2-byte U+00E9");
	U8("\xc2\x80", 1, "smallest 2-byte U+0080");
	U8("\xe2\x82\xac", 1, "3-byte U+20AC");
	U8("\xe0\xa0\x80", 1, "smallest 3-byte U+0800");
	U8("\xed\x9f\xbf", 1, "U+D7FF just below the surrogates");
	U8("\xee\x80\x80", 1, "U+E000 just above the surrogates");
	U8("\xef\xbf\xbf", 1, "U+FFFF");
	U8("\xf0\x9f\x98\x80", 1, "4-byte U+1F600");
	U8("\xf4\x8f\xbf\xbf", 1, "U+10FFFF");
	U8("a\xc3\xa9z\xe2\x82\xac", 1, "mixed");
	U8("\xc0\xaf", 0, "overlong '/' (C0 AF)");
	U8("\xc1\xbf", 0, "overlong C1 BF");
	U8("\xe0\x80\xaf", 0, "overlong 3-byte");
	U8("\xf0\x80\x80\xaf", 0, "overlong 4-byte");
	U8("\xed\xa0\x80", 0, "surrogate U+D800");
	U8("\xed\xbf\xbf", 0, "surrogate U+DFFF");
	U8("\xf4\x90\x80\x80", 0, "U+110000");
	U8("\xf5\x80\x80\x80", 0, "lead byte F5");
	U8("\xf8\x88\x80\x80\x80", 0, "5-byte form");
	U8("\xff", 0, "byte FF");
	U8("\x80", 0, "lone continuation byte");
	U8("\xc3", 0, "truncated 2-byte");
	U8("\xe2\x82", 0, "truncated 3-byte");
	U8("\xf0\x9f\x98", 0, "truncated 4-byte");
	U8("abc\xe2", 0, "truncated at the end");
	U8("\xc3\x28", 0, "bad continuation byte");
	U8("\xe2\x28\xac", 0, "bad second byte of 3");
	/* Explicit length: a sequence cut by len is truncated. */
	u8("\xc3\xa9", 1, 0, "sequence cut by len");
}

static void
test_id_valid(void)
{
	char	 id[OSB_MAX_ID_LEN + 2];

	CHECK(util_id_valid("abc-DEF.123_~"), "id_valid: unreserved characters");
	CHECK(util_id_valid("3abe3f39-ecb5-4647-b0e3-ee10d64e1ca2"), "id_valid: uuid");
	CHECK(util_id_valid("x"), "id_valid: one character");
	CHECK(!util_id_valid(""), "util_id_valid rejects empty");
	CHECK(!util_id_valid("a/b"), "util_id_valid rejects '/'");
	CHECK(!util_id_valid("a%2Fb"), "util_id_valid rejects '%%'");
	CHECK(!util_id_valid("a b"), "util_id_valid rejects a space");
	CHECK(!util_id_valid("a:b"), "util_id_valid rejects ':'");
	CHECK(!util_id_valid("a+b"), "util_id_valid rejects '+'");
	CHECK(!util_id_valid("a?b"), "util_id_valid rejects '?'");
	CHECK(!util_id_valid("a\tb"), "util_id_valid rejects a tab");
	CHECK(!util_id_valid("\xc3\xa9"), "util_id_valid rejects non-ASCII");
	memset(id, 'a', OSB_MAX_ID_LEN);
	id[OSB_MAX_ID_LEN] = '\0';
	CHECK(util_id_valid(id), "id_valid: %d characters", OSB_MAX_ID_LEN);
	id[OSB_MAX_ID_LEN] = 'a';
	id[OSB_MAX_ID_LEN + 1] = '\0';
	CHECK(!util_id_valid(id), "util_id_valid rejects %d characters",
	    OSB_MAX_ID_LEN + 1);
}

static void
test_ct_equal(void)
{
	CHECK(util_ct_equal("secret", 6, "secret", 6), "ct_equal: same");
	CHECK(!util_ct_equal("secret", 6, "secreT", 6), "ct_equal: last differs");
	CHECK(!util_ct_equal("secret", 6, "Secret", 6), "ct_equal: first differs");
	CHECK(!util_ct_equal("secret", 6, "secre", 5), "ct_equal: prefix");
	CHECK(!util_ct_equal("secre", 5, "secret", 6), "ct_equal: longer");
	CHECK(util_ct_equal("", 0, "", 0), "ct_equal: both empty");
	CHECK(!util_ct_equal("a\0b", 3, "a\0c", 3), "ct_equal: bytes after NUL");
	CHECK(util_ct_equal("a\0b", 3, "a\0b", 3), "ct_equal: NUL compared as byte");
}

static int
all_hex(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static void
test_random(void)
{
	char	 a[2 * 64 + 1], b[2 * 64 + 1], big[2 * 65 + 1];
	unsigned char raw[32], zero[32];
	int	 ra, rb;

	ra = util_random_hex(a, 16);
	rb = util_random_hex(b, 16);
	CHECK(ra == 0 && rb == 0, "util_random_hex returns 0");
	CHECK(strlen(a) == 32 && strlen(b) == 32, "random_hex: 2n characters");
	CHECK(all_hex(a) && all_hex(b), "random_hex: lower-case hex only");
	CHECK(strcmp(a, b) != 0, "util_random_hex differs between calls");
	CHECK(util_random_hex(a, 0) == 0 && a[0] == '\0', "util_random_hex(0) is empty");
	CHECK(util_random_hex(a, 64) == 0 && strlen(a) == 128, "util_random_hex(64)");
	CHECK(util_random_hex(big, 65) == -1, "util_random_hex refuses more than 64");
	memset(raw, 0, sizeof(raw));
	memset(zero, 0, sizeof(zero));
	CHECK(util_random_bytes(raw, sizeof(raw)) == 0 &&
	    memcmp(raw, zero, sizeof(raw)) != 0, "util_random_bytes fills");
}

/* util_gmtime() against glibc's gmtime_r(): every day from 1600 to 2400
 * (leap centuries, both sides of 1970), at a time of day that changes from
 * one day to the next, and the ends of a day. */
static void
test_gmtime(void)
{
	struct tm	a, b;
	long long	d, bad = 0;
	time_t		t;
	int		i;

	for (d = -135140; d <= 157054 && bad < 5; d++)
		for (i = 0; i < 3; i++) {
			t = (time_t)(d * 86400 + (i == 0 ? 0 : i == 1 ?
			    86399 : (d * 7919) % 86400 + (d < 0 ? 86400 : 0)));
			if (gmtime_r(&t, &b) == NULL)
				abort();
			util_gmtime(t, &a);
			if (a.tm_year != b.tm_year || a.tm_mon != b.tm_mon ||
			    a.tm_mday != b.tm_mday || a.tm_hour != b.tm_hour ||
			    a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
			    a.tm_wday != b.tm_wday || a.tm_yday != b.tm_yday ||
			    a.tm_isdst != b.tm_isdst) {
				printf("#   %lld: %d-%d-%d %d:%d:%d wday %d yday "
				    "%d, gmtime_r %d-%d-%d %d:%d:%d wday %d "
				    "yday %d\n", (long long)t, a.tm_year,
				    a.tm_mon, a.tm_mday, a.tm_hour, a.tm_min,
				    a.tm_sec, a.tm_wday, a.tm_yday, b.tm_year,
				    b.tm_mon, b.tm_mday, b.tm_hour, b.tm_min,
				    b.tm_sec, b.tm_wday, b.tm_yday);
				bad++;
			}
		}
	CHECK(bad == 0, "util_gmtime equals gmtime_r from 1600 to 2400");
}

/* util_fmt_datetime() and util_fmt_iso8601() write what strftime()
 * writes: every day from 1600 to 2400 at three times of day, years of
 * other lengths (the strftime() path), and buffers too small. */
static void
test_fmt_datetime(void)
{
	struct tm	tm;
	char		a[64], b[64];
	long long	d, bad = 0;
	size_t		n, m;
	time_t		t;
	int		i;
	static const int years[] = { -1905, -1, 0, 9, 99, 999, 1000, 9999,
	    10000, 123456 };

	for (d = -135140; d <= 157054 && bad < 5; d++)
		for (i = 0; i < 3; i++) {
			t = (time_t)(d * 86400 + (i == 0 ? 0 : i == 1 ?
			    86399 : (d * 7919) % 86400 + (d < 0 ? 86400 : 0)));
			util_gmtime(t, &tm);
			n = util_fmt_datetime(&tm, a, sizeof(a));
			m = strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
			if (n != m || strcmp(a, b) != 0) {
				printf("#   %lld: %s, strftime %s\n",
				    (long long)t, a, b);
				bad++;
			}
			util_fmt_iso8601(t, a, sizeof(a));
			strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S.0Z", &tm);
			if (strcmp(a, b) != 0) {
				printf("#   %lld: %s, strftime %s\n",
				    (long long)t, a, b);
				bad++;
			}
		}
	CHECK(bad == 0, "util_fmt_datetime and util_fmt_iso8601 equal "
	    "strftime from 1600 to 2400");
	util_gmtime(1795587335, &tm);
	for (i = 0; i < (int)(sizeof(years) / sizeof(years[0])); i++) {
		tm.tm_year = years[i] - 1900;
		n = util_fmt_datetime(&tm, a, sizeof(a));
		m = strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
		CHECK(n == m && strcmp(a, b) == 0,
		    "util_fmt_datetime: year %d as strftime (%s)", years[i], a);
	}
	util_gmtime(1795587335, &tm);
	CHECK(util_fmt_datetime(&tm, a, 19) == 0,
	    "util_fmt_datetime: 19 bytes of room is too few");
	CHECK(util_fmt_datetime(&tm, a, 20) == 19,
	    "util_fmt_datetime: 20 bytes of room is enough");
	util_fmt_iso8601(1795587335, a, 23);
	CHECK_STR(a, "2026-11-25T06:15:35.0Z", "util_fmt_iso8601 in 23 bytes");
}

static void
test_time(void)
{
	char		 buf[64];
	regex_t		 re;
	time_t		 t, samples[] = { 0, 784111777, 951782400,
			     1795587335, 4102444799 };
	size_t		 i;
	int		 ok;

	util_fmt_iso8601(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01T00:00:00.0Z", "util_fmt_iso8601(0)");
	util_fmt_iso8601(1795587335, buf, sizeof(buf));
	CHECK_STR(buf, "2026-11-25T06:15:35.0Z", "fmt_iso8601: header example");
	util_fmt_iso8601(time(NULL), buf, sizeof(buf));
	if (regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	    "[0-9]{2}\\.0Z$", REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	CHECK(regexec(&re, buf, 0, NULL, 0) == 0,
	    "util_fmt_iso8601(now) matches yyyy-mm-ddThh:mm:ss.0Z (%s)", buf);
	regfree(&re);

	util_fmt_http_date(784111777, buf, sizeof(buf));
	CHECK_STR(buf, "Sun, 06 Nov 1994 08:49:37 GMT",
	    "fmt_http_date: RFC 7231 example");
	CHECK(util_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777,
	    "parse_http_date: RFC 7231 example");
	ok = 1;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		util_fmt_http_date(samples[i], buf, sizeof(buf));
		if (util_parse_http_date(buf) != samples[i]) {
			ok = 0;
			printf("#   %lld -> %s -> %lld\n", (long long)samples[i],
			    buf, (long long)util_parse_http_date(buf));
		}
	}
	CHECK(ok, "util_fmt_http_date / util_parse_http_date round trip");
	t = time(NULL);
	util_fmt_http_date(t, buf, sizeof(buf));
	CHECK(util_parse_http_date(buf) == t, "round trip of now (%s)", buf);

	CHECK(util_parse_http_date("") == (time_t)-1, "parse_http_date: empty");
	CHECK(util_parse_http_date("yesterday") == (time_t)-1,
	    "parse_http_date: garbage");
	CHECK(util_parse_http_date("Sun, 06 Nov 1994 08:49:37") == (time_t)-1,
	    "parse_http_date: no GMT");
	CHECK(util_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT x") == (time_t)-1,
	    "parse_http_date: trailing bytes");
	CHECK(util_parse_http_date("Sun, 06 Nov 1994") == (time_t)-1,
	    "parse_http_date: date only");
	CHECK(util_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT") == (time_t)-1,
	    "parse_http_date: bad month");
	CHECK(util_parse_http_date("Sun, 32 Nov 1994 08:49:37 GMT") == (time_t)-1,
	    "parse_http_date: day 32");
	CHECK(util_parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT") == (time_t)-1,
	    "parse_http_date: hour 25");
	CHECK(util_parse_http_date("1994-11-06T08:49:37Z") == (time_t)-1,
	    "parse_http_date: ISO 8601 is not an IMF-fixdate");
}

static void
test_parse_size(void)
{
	CHECK(util_parse_size("0") == 0, "util_parse_size 0");
	CHECK(util_parse_size("123") == 123, "util_parse_size 123");
	CHECK(util_parse_size("1k") == 1024, "util_parse_size 1k");
	CHECK(util_parse_size("64K") == 65536, "util_parse_size 64K");
	CHECK(util_parse_size("2m") == 2097152, "util_parse_size 2m");
	CHECK(util_parse_size("1M") == 1048576, "util_parse_size 1M");
	CHECK(util_parse_size("1g") == 1073741824LL, "util_parse_size 1g");
	CHECK(util_parse_size("3G") == 3LL * 1073741824, "util_parse_size 3G");
	CHECK(util_parse_size("1099511627776") == 1099511627776LL,
	    "util_parse_size 2^40 (the largest plain number)");
	CHECK(util_parse_size(NULL) == -1, "util_parse_size NULL");
	CHECK(util_parse_size("") == -1, "util_parse_size empty");
	CHECK(util_parse_size("k") == -1, "util_parse_size 'k' alone");
	CHECK(util_parse_size("-1") == -1, "util_parse_size negative");
	CHECK(util_parse_size("+1") == -1, "util_parse_size '+1'");
	CHECK(util_parse_size(" 1") == -1, "util_parse_size leading space");
	CHECK(util_parse_size("1 ") == -1, "util_parse_size trailing space");
	CHECK(util_parse_size("1 k") == -1, "util_parse_size space before suffix");
	CHECK(util_parse_size("1kb") == -1, "util_parse_size '1kb'");
	CHECK(util_parse_size("1kk") == -1, "util_parse_size '1kk'");
	CHECK(util_parse_size("1.5m") == -1, "util_parse_size '1.5m'");
	CHECK(util_parse_size("1t") == -1, "util_parse_size unknown suffix");
	CHECK(util_parse_size("0x10") == -1, "util_parse_size hex");
	CHECK(util_parse_size("abc") == -1, "util_parse_size garbage");
	CHECK(util_parse_size("1099511627777") == -1, "util_parse_size above 2^40");
	CHECK(util_parse_size("99999999999999999999") == -1, "util_parse_size ERANGE");
	CHECK(util_parse_size("1073741824k") == 1099511627776LL,
	    "util_parse_size 2^30 k = 2^40, the limit");
	CHECK(util_parse_size("1024g") == 1099511627776LL, "util_parse_size 1024g = 2^40");
	CHECK(util_parse_size("1073741825k") == -1, "util_parse_size just above 2^40 (k)");
	CHECK(util_parse_size("1025g") == -1, "util_parse_size 1025g above 2^40");
}

/* Last: with -fno-sanitize-recover an overflow here aborts the program. */
static void
test_parse_size_overflow(void)
{
	/* 2^34+1 g = 2^64 + 2^30 wraps to 1 GiB if the multiplication is
	 * not checked. */
	CHECK(util_parse_size("17179869185g") == -1,
	    "util_parse_size rejects a suffix that overflows (17179869185g)");
	CHECK(util_parse_size("1099511627776g") == -1,
	    "util_parse_size rejects 2^40 g (2^70)");
}

/* util_fmt_decimal() and util_fmt_udecimal() write what snprintf("%lld")
 * and "%llu" write: the ends of the range, each power of ten and its
 * neighbours, of both signs, and 200,000 values of every magnitude from a
 * fixed generator (each also as unsigned). */
static void
test_fmt_decimal(void)
{
	char			 got[UTIL_DECIMAL_LEN], want[32];
	long long		 v, p;
	unsigned long long	 x = 0x9e3779b97f4a7c15ULL;
	size_t			 n;
	int			 i, j, bad = 0, ubad = 0;

	for (i = 0; i < 200000 + 64 * 6; i++) {
		if (i < 2) {
			v = (long long)(~0ULL >> 1);	/* LLONG_MAX */
			if (i == 0)
				v = -v - 1;		/* LLONG_MIN */
		} else if (i < 2 + 19 * 6) {
			j = (i - 2) / 6;
			for (p = 1; j > 0; j--)
				p *= 10;
			v = (i - 2) % 3 == 0 ? p - 1 : (i - 2) % 3 == 1 ? p : p + 1;
			if ((i - 2) % 6 >= 3)
				v = -v;
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v = (long long)(x >> (x % 64));
			if (x & 1)
				v = -v;
		}
		n = util_fmt_decimal(got, v);
		snprintf(want, sizeof(want), "%lld", v);
		if (n != strlen(want) || strcmp(got, want) != 0) {
			if (bad++ < 5)
				printf("#   %s: got %s (%zu)\n", want, got, n);
		}
		/* The same bits unsigned: above LLONG_MAX for the negatives. */
		n = util_fmt_udecimal(got, (unsigned long long)v);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		if (n != strlen(want) || strcmp(got, want) != 0) {
			if (ubad++ < 5)
				printf("#   %s: got %s (%zu)\n", want, got, n);
		}
	}
	CHECK(bad == 0, "util_fmt_decimal writes snprintf(\"%%lld\")'s digits "
	    "and length (%d of %d differ)", bad, i);
	CHECK(ubad == 0, "util_fmt_udecimal writes snprintf(\"%%llu\")'s digits "
	    "and length (%d of %d differ)", ubad, i);
}

int
main(void)
{
	test_pct_decode();
	test_b64_decode();
	test_utf8_valid();
	test_json_plain();
	test_concat();
	test_utf8_next();
	test_id_valid();
	test_ct_equal();
	test_random();
	test_gmtime();
	test_fmt_datetime();
	test_fmt_decimal();
	test_time();
	test_parse_size();
	test_parse_size_overflow();
	return tap_done();
}
