/* SPDX-License-Identifier: ISC */
/*
 * util: byte-level helpers for hostile input.  See util.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "limits.h"
#include "util.h"

int
util_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
util_pct_decode(const char *src, size_t len, int plus_is_space, size_t *outlen)
{
	char	*out, *p;
	size_t	 i;
	int	 hi, lo;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < len; i++) {
		if (src[i] == '%') {
			if (len - i < 3)
				goto fail;
			hi = util_hex_value((unsigned char)src[i + 1]);
			lo = util_hex_value((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto fail;
			*p++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (src[i] == '+' && plus_is_space) {
			*p++ = ' ';
		} else if (src[i] == '\0') {
			goto fail;
		} else {
			*p++ = src[i];
		}
	}
	*p = '\0';
	if (outlen != NULL)
		*outlen = (size_t)(p - out);
	return out;
fail:
	free(out);
	return NULL;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *
util_b64_decode(const char *src, size_t len, size_t *outlen)
{
	char		*out;
	size_t		 i, n = 0, pad = 0;
	uint32_t	 acc = 0;
	int		 v, bits = 0;

	/* Padding may only be the last one or two characters. */
	while (len > 0 && src[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (pad > 0 && (len + pad) % 4 != 0)
		return NULL;
	if (len % 4 == 1)
		return NULL;
	if ((out = malloc(len / 4 * 3 + 3 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if ((v = b64val((unsigned char)src[i])) < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* Leftover bits must be zero (canonical encoding). */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	if (outlen != NULL)
		*outlen = n;
	return out;
}

unsigned long
util_utf8_next(const char **p)
{
	const unsigned char	*s = (const unsigned char *)*p;
	unsigned long		 c;
	int			 n, i;

	if (s[0] < 0x80)
		n = 0, c = s[0];
	else if (s[0] < 0xe0)
		n = 1, c = s[0] & 0x1f;
	else if (s[0] < 0xf0)
		n = 2, c = s[0] & 0x0f;
	else
		n = 3, c = s[0] & 0x07;
	for (i = 1; i <= n; i++)
		c = (c << 6) | (s[i] & 0x3f);
	*p += n + 1;
	return c;
}

int
util_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t	 i = 0, need, k;
	uint32_t cp, min;
	uint64_t x;

	while (i < len) {
		if (s[i] < 0x80) {
			/* ASCII, 8 bytes at a time while it lasts. */
			for (i++; len - i >= 8; i += 8) {
				memcpy(&x, s + i, 8);
				if ((x & 0x8080808080808080ULL) != 0)
					break;
			}
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1; cp = s[i] & 0x1f; min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2; cp = s[i] & 0x0f; min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3; cp = s[i] & 0x07; min = 0x10000;
		} else
			return 0;
		if (len - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

size_t
util_concat(char *buf, size_t len, const char *const *parts, size_t n)
{
	size_t	 i, k, total = 0;

	for (i = 0; i < n; i++) {
		k = strlen(parts[i]);
		if (len > 0 && total < len - 1)
			memcpy(buf + total, parts[i], k < len - 1 - total ? k :
			    len - 1 - total);
		total += k;
	}
	if (len > 0)
		buf[total < len - 1 ? total : len - 1] = '\0';
	return total;
}

size_t
util_fmt_udecimal(char *out, unsigned long long v)
{
	char	 d[UTIL_DECIMAL_LEN];
	size_t	 i = sizeof(d), n;

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	n = sizeof(d) - i;
	memcpy(out, d + i, n);
	out[n] = '\0';
	return n;
}

size_t
util_fmt_decimal(char *out, long long v)
{
	if (v >= 0)
		return util_fmt_udecimal(out, (unsigned long long)v);
	out[0] = '-';
	return 1 + util_fmt_udecimal(out + 1, 0ULL - (unsigned long long)v);
}

/* Whether one of the 8 bytes of x is below 0x20, '"' or '\\': each test
 * is exact for the word as a whole (the "has less than" and "has zero
 * byte" of S. E. Anderson's Bit Twiddling Hacks). */
static int
word_json_special(uint64_t x)
{
	const uint64_t	ones = 0x0101010101010101ULL;
	const uint64_t	high = 0x8080808080808080ULL;
	uint64_t	q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
	    ((b - ones) & ~b)) & high) != 0;
}

/* The bytes word_json_special() looks for, one at a time. */
static const unsigned char json_special[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1
};

size_t
util_json_plain(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0;
	uint64_t		 x;

	for (; len - i >= 8; i += 8) {
		memcpy(&x, p + i, 8);
		if (word_json_special(x))
			goto bytes;
	}
	/* The last bytes in a word that overlaps the one before. */
	if (i < len && len >= 8) {
		memcpy(&x, p + len - 8, 8);
		if (!word_json_special(x))
			return len;
	}
bytes:
	while (i < len && !json_special[p[i]])
		i++;
	return i;
}

int
util_id_valid(const char *s)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];
		if (n >= OSB_MAX_ID_LEN)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~'))
			return 0;
	}
	return n > 0;
}

int
util_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	volatile unsigned char diff = 0;
	size_t	 i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

int
util_random_bytes(void *buf, size_t n)
{
	unsigned char	*p = buf;
	ssize_t		 r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
util_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 buf[64];
	size_t		 i;

	if (n > sizeof(buf) || util_random_bytes(buf, n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 0xf];
	}
	out[2 * n] = '\0';
	return 0;
}

struct tm *
util_gmtime(time_t t, struct tm *tm)
{
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212,
	    243, 273, 304, 334 };
	long long	days = t / 86400, secs = t % 86400;
	long long	z, era, doe, yoe, y, doy, mp, d, m;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	memset(tm, 0, sizeof(*tm));
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)((days % 7 + 11) % 7);	/* 1970-01-01: Thursday */
	/* Days to a date counted from 0000-03-01, in 400-year eras of
	 * 146097 days (H. Hinnant, "chrono-Compatible Low-Level Date
	 * Algorithms", civil_from_days). */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)(m - 1);
	tm->tm_mday = (int)d;
	tm->tm_yday = before[m - 1] + (int)d - 1 + (m > 2 && y % 4 == 0 &&
	    (y % 100 != 0 || y % 400 == 0));
	tm->tm_zone = "GMT";
	return tm;
}

/* Two digits of v (0..99) at p. */
static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

size_t
util_fmt_datetime(const struct tm *tm, char *out, size_t outlen)
{
	int y = tm->tm_year + 1900;

	/* strftime() writes a year of other lengths unpadded; the fields
	 * below are util_gmtime()'s, always in range, but a tm from
	 * elsewhere may not be. */
	if (y < 1000 || y > 9999 || outlen < 20 || tm->tm_mon < 0 ||
	    tm->tm_mon > 11 || tm->tm_mday < 1 || tm->tm_mday > 31 ||
	    tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 ||
	    tm->tm_min > 59 || tm->tm_sec < 0 || tm->tm_sec > 60)
		return strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", tm);
	put2(out, y / 100);
	put2(out + 2, y % 100);
	out[4] = '-';
	put2(out + 5, tm->tm_mon + 1);
	out[7] = '-';
	put2(out + 8, tm->tm_mday);
	out[10] = 'T';
	put2(out + 11, tm->tm_hour);
	out[13] = ':';
	put2(out + 14, tm->tm_min);
	out[16] = ':';
	put2(out + 17, tm->tm_sec);
	out[19] = '\0';
	return 19;
}

void
util_fmt_iso8601(time_t t, char *out, size_t outlen)
{
	struct tm	tm;
	size_t		n;

	util_gmtime(t, &tm);
	if (outlen >= 23 && (n = util_fmt_datetime(&tm, out, outlen)) == 19)
		memcpy(out + n, ".0Z", 4);
	else
		strftime(out, outlen, "%Y-%m-%dT%H:%M:%S.0Z", &tm);
}

void
util_fmt_http_date(time_t t, char *out, size_t outlen)
{
	/* The last date formatted: a worker formats the catalog's
	 * Last-Modified for every catalog request, always the same. */
	static time_t	 last_t = (time_t)-1;
	static char	 last[40];
	struct tm	 tm;
	size_t		 n;

	if (outlen == 0)
		return;
	if (t != last_t) {
		util_gmtime(t, &tm);
		/* strftime's %a/%b follow the locale; we never call
		 * setlocale(), so they are the C locale's English names that
		 * HTTP requires. */
		if (strftime(last, sizeof(last), "%a, %d %b %Y %H:%M:%S GMT",
		    &tm) == 0)
			last[0] = '\0';
		last_t = t;
	}
	n = strnlen(last, outlen - 1);
	memcpy(out, last, n);
	out[n] = '\0';
}

time_t
util_parse_http_date(const char *s)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return (time_t)-1;
	return timegm(&tm);
}

long long
util_parse_size(const char *s)
{
	char		*end;
	long long	 v, mult = 1;
	const long long	 max = 1LL << 40;	/* 1 TiB: far above any use */

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1024;
		break;
	case 'm': case 'M':
		mult = 1024 * 1024;
		break;
	case 'g': case 'G':
		mult = 1024LL * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (mult > 1 && end[1] != '\0')
		return -1;
	if (v > max / mult)
		return -1;
	return v * mult;
}
