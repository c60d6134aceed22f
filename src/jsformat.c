/* SPDX-License-Identifier: ISC */
/*
 * jsformat: the formats of JSON Schema drafts 04, 06 and 07 (jsformat.h).
 */
#include <arpa/inet.h>
#include <string.h>

#include "jsformat.h"
#include "jsregex.h"
#include "util.h"

static const struct {
	const char	*name;
	int		 since;		/* the first draft that names it */
} formats[] = {
	[JSF_DATE_TIME]			= { "date-time", 4 },
	[JSF_DATE]			= { "date", 7 },
	[JSF_TIME]			= { "time", 7 },
	[JSF_EMAIL]			= { "email", 4 },
	[JSF_IDN_EMAIL]			= { "idn-email", 7 },
	[JSF_HOSTNAME]			= { "hostname", 4 },
	[JSF_IDN_HOSTNAME]		= { "idn-hostname", 7 },
	[JSF_IPV4]			= { "ipv4", 4 },
	[JSF_IPV6]			= { "ipv6", 4 },
	[JSF_URI]			= { "uri", 4 },
	[JSF_URI_REFERENCE]		= { "uri-reference", 6 },
	[JSF_IRI]			= { "iri", 7 },
	[JSF_IRI_REFERENCE]		= { "iri-reference", 7 },
	[JSF_URI_TEMPLATE]		= { "uri-template", 6 },
	[JSF_JSON_POINTER]		= { "json-pointer", 6 },
	[JSF_RELATIVE_JSON_POINTER]	= { "relative-json-pointer", 7 },
	[JSF_REGEX]			= { "regex", 4 },	/* the drafts 04 and 06 meta-schemas use it */
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

enum jsformat
jsformat_lookup(int draft, const char *name)
{
	size_t	i;

	for (i = 1; i < NFORMATS; i++)
		if (strcmp(formats[i].name, name) == 0)
			return formats[i].since <= draft ? (enum jsformat)i :
			    JSF_UNKNOWN;
	return JSF_UNKNOWN;
}

const char *
jsformat_name(enum jsformat f)
{
	return (size_t)f < NFORMATS && f != JSF_UNKNOWN ? formats[f].name : "";
}

/* ---- small scanners: each advances *p past what it accepts ----------- */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* n digits as a number, or -1. */
static int
digits(const char **p, int n)
{
	int	v = 0;

	while (n-- > 0) {
		if (!is_digit(**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

/* ---- RFC 3339 ------------------------------------------------------------ */

static int
full_date(const char **p)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	y, m, d;

	if ((y = digits(p, 4)) < 0 || *(*p)++ != '-' ||
	    (m = digits(p, 2)) < 1 || m > 12 || *(*p)++ != '-' ||
	    (d = digits(p, 2)) < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 0;
	return 1;
}

/* partial-time time-offset; a leap second (60) is accepted at any
 * minute: whether one happened is a table, not a syntax. */
static int
full_time(const char **p)
{
	int	h, m, s;

	if ((h = digits(p, 2)) < 0 || h > 23 || *(*p)++ != ':' ||
	    (m = digits(p, 2)) < 0 || m > 59 || *(*p)++ != ':' ||
	    (s = digits(p, 2)) < 0 || s > 60)
		return 0;
	if (**p == '.') {
		(*p)++;
		if (!is_digit(**p))
			return 0;
		while (is_digit(**p))
			(*p)++;
	}
	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		return 1;
	}
	if (**p != '+' && **p != '-')
		return 0;
	(*p)++;
	return (h = digits(p, 2)) >= 0 && h <= 23 && *(*p)++ == ':' &&
	    (m = digits(p, 2)) >= 0 && m <= 59;
}

/* ---- host names ------------------------------------------------------- */

/* The length of label (n code points) in Punycode (RFC 3492), as its
 * "xn--" form would be; the bound is on that form. */
static size_t
punycode_len(const unsigned long *cp, size_t n)
{
	unsigned long	 m, delta = 0, bias = 72, q, k, t, big, next;
	size_t		 out = 0, h, b = 0, i;

	for (i = 0; i < n; i++)
		b += cp[i] < 0x80;
	out = b + (b > 0);
	h = b;
	for (m = 0x80; h < n; m = next + 1) {
		for (next = (unsigned long)-1, i = 0; i < n; i++)
			if (cp[i] >= m && cp[i] < next)
				next = cp[i];
		delta += (next - m) * (h + 1);
		for (i = 0; i < n; i++) {
			if (cp[i] < next)
				delta++;
			if (cp[i] != next)
				continue;
			for (q = delta, k = 36;; k += 36) {
				t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
				out++;
				if (q < t)
					break;
				q = (q - t) / (36 - t);
			}
			/* adapt the bias (RFC 3492 6.1) */
			big = h == b ? delta / 700 : delta / 2;
			big += big / (h + 1);
			for (bias = 0; big > 455; bias += 36)
				big /= 35;
			bias += 36 * big / (big + 38);
			delta = 0;
			h++;
		}
		delta++;
		m = next;
	}
	return out + 4;			/* "xn--" */
}

/* Code points IDNA 2008 refuses that the suite and real input meet:
 * combining marks cannot start a label, U+302E and U+302F (Hangul tone
 * marks) are disallowed, and no control, space or symbol of Latin-1. */
static int
idn_bad(unsigned long c, int first)
{
	if (c < 0x80)
		return !(is_alpha((int)c) || is_digit((int)c) || c == '-');
	if (c < 0xa0 || (c >= 0xa0 && c <= 0xbf && c != 0xb7) ||
	    c == 0xd7 || c == 0xf7 || c == 0x302e || c == 0x302f ||
	    (c >= 0x2000 && c <= 0x206f) || c == 0x3000 || c == 0xfeff)
		return 1;
	return first && ((c >= 0x300 && c <= 0x36f) ||
	    (c >= 0x1ab0 && c <= 0x1aff) || (c >= 0x1dc0 && c <= 0x1dff) ||
	    (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe20 && c <= 0xfe2f) ||
	    (c >= 0x302a && c <= 0x302f) || c == 0x3099 || c == 0x309a);
}

static int
separator(unsigned long c, int idn)
{
	return c == '.' || (idn && (c == 0x3002 || c == 0xff0e || c == 0xff61));
}

/* RFC 1123 host names (idn: also IDNA 2008 U-labels, approximately: the
 * length bounds apply to the Punycode form); s ends at end (exclusive). */
static int
hostname(const char *s, const char *end, int idn)
{
	unsigned long	 label[64], c;
	size_t		 n = 0, len, total = 0;
	const char	*p = s;
	int		 ascii = 1;

	if (end - s > 1 && end[-1] == '.')
		end--;			/* the root: "example.com." */
	if (s == end || (idn && !util_utf8_valid(s, (size_t)(end - s))))
		return 0;
	while (p <= end) {
		if (p == end) {
			c = '.';
			p++;
		} else if (!idn && (unsigned char)*p >= 0x80)
			return 0;
		else
			c = util_utf8_next(&p);
		if (!separator(c, idn)) {
			if (n == 64 || idn_bad(c, n == 0))
				return 0;
			ascii &= c < 0x80;
			label[n++] = c;
			continue;
		}
		if (n == 0 || label[0] == '-' || label[n - 1] == '-')
			return 0;
		len = ascii ? n : punycode_len(label, n);
		if (len > 63)
			return 0;
		total += len + 1;
		n = 0;
		ascii = 1;
	}
	return total - 1 <= 253;
}

/* RFC 5322 addr-spec without comments or folding: a dot-atom or quoted
 * local part, a host name or an address literal (RFC 5321 4.1.3). */
static int
email(const char *s, int idn)
{
	const char	*at = strrchr(s, '@'), *p;
	char		 lit[64];
	unsigned char	 addr[16];
	size_t		 n;

	if (at == NULL || at == s)
		return 0;
	if (s[0] == '"') {
		for (p = s + 1; p < at - 1; p++) {
			if (*p == '\\')
				p++;
			else if (*p == '"' || (unsigned char)*p < 0x20)
				return 0;
		}
		if (p != at - 1 || *p != '"')
			return 0;
	} else {
		for (p = s; p < at; p++) {
			if (*p == '.' ? p == s || p[1] == '.' || p + 1 == at :
			    !(is_alpha(*p) || is_digit(*p) ||
			    strchr("!#$%&'*+/=?^_`{|}~-", *p) != NULL ||
			    (idn && (unsigned char)*p >= 0x80)))
				return 0;
		}
		if (idn && !util_utf8_valid(s, (size_t)(at - s)))
			return 0;
	}
	p = at + 1;
	n = strlen(p);
	if (p[0] == '[' && n > 2 && p[n - 1] == ']' && n - 2 < sizeof(lit)) {
		memcpy(lit, p + 1, n - 2);
		lit[n - 2] = '\0';
		if (strncmp(lit, "IPv6:", 5) == 0)
			return inet_pton(AF_INET6, lit + 5, addr) == 1;
		return inet_pton(AF_INET, lit, addr) == 1;
	}
	return hostname(p, p + n, idn);
}

/* ---- RFC 3986 URIs and RFC 3987 IRIs -------------------------------- */

#define SUB_DELIMS	"!$&'()*+,;="

/* One character of a class: unreserved, sub-delims, the extra ones, a
 * %HH, or (iri) any non-ASCII code point. */
static int
uchar(const char **p, const char *extra, int iri)
{
	const unsigned char c = (unsigned char)**p;

	if (c == '%') {
		if (util_hex_value((unsigned char)(*p)[1]) < 0 ||
		    util_hex_value((unsigned char)(*p)[2]) < 0)
			return 0;
		*p += 3;
		return 1;
	}
	if (c >= 0x80) {
		if (!iri)
			return 0;
		util_utf8_next(p);
		return 1;
	}
	if (c != '\0' && (is_alpha(c) || is_digit(c) ||
	    strchr("-._~" SUB_DELIMS, c) != NULL ||
	    strchr(extra, c) != NULL)) {
		(*p)++;
		return 1;
	}
	return 0;
}

static void
chars(const char **p, const char *extra, int iri)
{
	while (uchar(p, extra, iri))
		;
}

/* authority = [ userinfo "@" ] host [ ":" port ] */
static int
authority(const char **p, int iri)
{
	const char	*q = *p, *end;
	char		 lit[64];
	unsigned char	 addr[16];

	chars(&q, ":", iri);
	if (*q == '@')
		*p = q + 1;
	if (**p == '[') {
		if ((end = strchr(*p, ']')) == NULL ||
		    (size_t)(end - *p) >= sizeof(lit))
			return 0;
		memcpy(lit, *p + 1, (size_t)(end - *p - 1));
		lit[end - *p - 1] = '\0';
		if (lit[0] == 'v' || lit[0] == 'V') {
			q = lit + 1;
			if (util_hex_value((unsigned char)*q) < 0)
				return 0;
			while (util_hex_value((unsigned char)*q) >= 0)
				q++;
			if (*q++ != '.' || *q == '\0')
				return 0;
			chars(&q, ":", 0);
			if (*q != '\0')
				return 0;
		} else if (inet_pton(AF_INET6, lit, addr) != 1)
			return 0;
		*p = end + 1;
	} else
		chars(p, "", iri);
	if (**p == ':') {
		(*p)++;
		while (is_digit(**p))
			(*p)++;
	}
	return **p == '\0' || **p == '/' || **p == '?' || **p == '#';
}

/* A URI (absolute: a scheme is required) or a URI-reference. */
static int
uri(const char *s, int reference, int iri)
{
	const char	*p = s;

	if (is_alpha(*p)) {
		while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-' ||
		    *p == '.')
			p++;
	}
	if (p > s && *p == ':')
		p++;			/* a scheme */
	else if (!reference)
		return 0;
	else {
		p = s;			/* path-noscheme: no ":" in segment 1 */
		chars(&p, "@", iri);
		if (*p == ':')
			return 0;
		p = s;
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		if (!authority(&p, iri))
			return 0;
	}
	chars(&p, ":@/", iri);
	if (*p == '?') {
		p++;
		chars(&p, ":@/?", iri);
	}
	if (*p == '#') {
		p++;
		chars(&p, ":@/?", iri);
	}
	return *p == '\0';
}

/* RFC 6570 URI Template, levels 1 to 4. */
static int
uri_template(const char *s)
{
	const char	*p = s;
	int		 n;

	while (*p != '\0') {
		if (*p == '%') {
			if (!uchar(&p, "", 0))
				return 0;
			continue;
		}
		if (*p != '{') {
			if ((unsigned char)*p <= 0x20 ||
			    strchr("\"'<>\\^`|}", *p) != NULL)
				return 0;
			p++;
			continue;
		}
		p++;
		if (*p != '\0' && strchr("+#./;?&=,!@|", *p) != NULL)
			p++;
		for (;;) {		/* varspec *( "," varspec ) */
			if (!(is_alpha(*p) || is_digit(*p) || *p == '_' ||
			    *p == '%'))
				return 0;
			while (is_alpha(*p) || is_digit(*p) || *p == '_' ||
			    *p == '%' || (*p == '.' && p[1] != '.' &&
			    p[1] != '}' && p[1] != ',')) {
				if (*p == '%' && !uchar(&p, "", 0))
					return 0;
				else if (*p != '%')
					p++;
			}
			if (*p == ':') {
				p++;
				for (n = 0; is_digit(*p); n++, p++)
					if (n == 0 && *p == '0')
						return 0;
				if (n < 1 || n > 4)
					return 0;
			} else if (*p == '*')
				p++;
			if (*p != ',')
				break;
			p++;
		}
		if (*p++ != '}')
			return 0;
	}
	return 1;
}

/* ---- JSON pointers (RFC 6901, draft-handrews-relative-json-pointer) -- */

static int
json_pointer(const char *p)
{
	if (*p != '\0' && *p != '/')
		return 0;
	for (; *p != '\0'; p++)
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return 0;
	return 1;
}

static int
relative_json_pointer(const char *p)
{
	if (!is_digit(*p) || (p[0] == '0' && is_digit(p[1])))
		return 0;
	while (is_digit(*p))
		p++;
	return strcmp(p, "#") == 0 || json_pointer(p);
}

int
jsformat_valid(enum jsformat f, const char *s)
{
	const char	*p = s;
	unsigned char	 addr[16];
	regex_t		 re;
	char		 err[128];

	switch (f) {
	case JSF_DATE_TIME:
		return full_date(&p) && (*p == 'T' || *p == 't') &&
		    (p++, full_time(&p)) && *p == '\0';
	case JSF_DATE:
		return full_date(&p) && *p == '\0';
	case JSF_TIME:
		return full_time(&p) && *p == '\0';
	case JSF_EMAIL:
	case JSF_IDN_EMAIL:
		return email(s, f == JSF_IDN_EMAIL);
	case JSF_HOSTNAME:
	case JSF_IDN_HOSTNAME:
		return hostname(s, s + strlen(s), f == JSF_IDN_HOSTNAME);
	case JSF_IPV4:
		return inet_pton(AF_INET, s, addr) == 1;
	case JSF_IPV6:
		return inet_pton(AF_INET6, s, addr) == 1;
	case JSF_URI:
	case JSF_URI_REFERENCE:
		return uri(s, f == JSF_URI_REFERENCE, 0);
	case JSF_IRI:
	case JSF_IRI_REFERENCE:
		return util_utf8_valid(s, strlen(s)) &&
		    uri(s, f == JSF_IRI_REFERENCE, 1);
	case JSF_URI_TEMPLATE:
		return uri_template(s);
	case JSF_JSON_POINTER:
		return json_pointer(s);
	case JSF_RELATIVE_JSON_POINTER:
		return relative_json_pointer(s);
	case JSF_REGEX:
		if (jsregex_compile(s, &re, err, sizeof(err)) == -1)
			return 0;
		jsregex_free(&re);
		return 1;
	default:
		return 1;
	}
}
