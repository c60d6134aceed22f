/* SPDX-License-Identifier: ISC */
/*
 * jsregex: ECMA-262 patterns translated to POSIX extended expressions
 * (jsregex.h says what and why).
 */
#include <locale.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsregex.h"
#include "limits.h"
#include "util.h"

#define CP_MAX		0x10ffff
#define MAX_GROUPS	64		/* nesting of ( ) in one pattern */
#define OPEN_END	((unsigned long)-1)	/* the m of {n,} */

/* The translation under way. */
struct tr {
	const char	*p;		/* next byte of the pattern */
	char		*out;
	size_t		 len, cap;
	int		 oom;
	char		*err;
	size_t		 errlen;
	/* Size after the expansion of counted repetitions ("a{3}" is three
	 * nodes in glibc's compiled form), per open group. */
	unsigned long	 sum[MAX_GROUPS + 1];
	unsigned long	 last;		/* size of the atom just closed; 0:
					   none, so a quantifier is an error */
	int		 depth;
};

/* A class ([...], \d, \s...) as code point ranges. */
#define CLASS_MAX	128
struct cls {
	unsigned long	 lo[CLASS_MAX], hi[CLASS_MAX];
	int		 n;
};

static int
fail(struct tr *t, const char *fmt, ...)
{
	va_list	ap;

	if (t->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(t->err, t->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
put(struct tr *t, const char *s, size_t n)
{
	char	*o;
	size_t	 cap;

	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		cap = t->cap ? t->cap * 2 : 64;
		while (cap < t->len + n + 1)
			cap *= 2;
		if ((o = realloc(t->out, cap)) == NULL) {
			t->oom = 1;
			return;
		}
		t->out = o;
		t->cap = cap;
	}
	memcpy(t->out + t->len, s, n);
	t->len += n;
	t->out[t->len] = '\0';
}

static void
puts_(struct tr *t, const char *s)
{
	put(t, s, strlen(s));
}

/* The UTF-8 bytes of code point c. */
static size_t
utf8_enc(unsigned long c, char *b)
{
	if (c < 0x80) {
		b[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char)(0xc0 | (c >> 6));
		b[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		b[0] = (char)(0xe0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | (c >> 18));
	b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	b[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* One code point outside a bracket, escaped when POSIX gives it a meaning. */
static void
put_cp(struct tr *t, unsigned long c)
{
	char	b[5];

	if (c < 0x80 && strchr(".[]()*+?{}|^$\\", (int)c) != NULL)
		put(t, "\\", 1);
	put(t, b, utf8_enc(c, b));
}

static int
add_range(struct tr *t, struct cls *k, unsigned long lo, unsigned long hi)
{
	if (k->n == CLASS_MAX)
		return fail(t, "a character class has more than %d items",
		    CLASS_MAX);
	k->lo[k->n] = lo;
	k->hi[k->n++] = hi;
	return 0;
}

/* \d \w \s as ECMA-262 defines them (\s: WhiteSpace and LineTerminator). */
static int
add_shorthand(struct tr *t, struct cls *k, int c)
{
	static const unsigned long space[][2] = {
		{ 0x09, 0x0d }, { 0x20, 0x20 }, { 0xa0, 0xa0 },
		{ 0x1680, 0x1680 }, { 0x2000, 0x200a }, { 0x2028, 0x2029 },
		{ 0x202f, 0x202f }, { 0x205f, 0x205f }, { 0x3000, 0x3000 },
		{ 0xfeff, 0xfeff }
	};
	size_t	i;

	switch (c) {
	case 'd':
		return add_range(t, k, '0', '9');
	case 'w':
		if (add_range(t, k, 'a', 'z') == -1 ||
		    add_range(t, k, 'A', 'Z') == -1 ||
		    add_range(t, k, '0', '9') == -1)
			return -1;
		return add_range(t, k, '_', '_');
	default:
		for (i = 0; i < sizeof(space) / sizeof(space[0]); i++)
			if (add_range(t, k, space[i][0], space[i][1]) == -1)
				return -1;
		return 0;
	}
}

static int
hexn(const char *s, int n, unsigned long *v)
{
	int	i, h;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((h = util_hex_value((unsigned char)s[i])) < 0)
			return -1;
		*v = *v * 16 + (unsigned long)h;
	}
	return 0;
}

/*
 * The escape at t->p (just after the backslash) that stands for one code
 * point: \t \n \v \f \r \cX \xHH \uHHHH (a surrogate pair combined), \0,
 * or an escaped non-letter.  Returns 0 with *c, or -1.  Letters and digits
 * with no meaning are refused rather than taken literally: with the u
 * flag ECMA-262 refuses them too, and "\Z" is a mistake, not a "Z".
 */
static int
escape_cp(struct tr *t, unsigned long *c)
{
	unsigned long	 lo;
	const char	*p = t->p;

	switch (*p) {
	case 't': *c = '\t'; break;
	case 'n': *c = '\n'; break;
	case 'v': *c = '\v'; break;
	case 'f': *c = '\f'; break;
	case 'r': *c = '\r'; break;
	case 'c':
		if (!((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z')))
			return fail(t, "\\c without a letter");
		*c = (unsigned long)p[1] % 32;
		p++;
		break;
	case 'x':
		if (hexn(p + 1, 2, c) == -1)
			return fail(t, "\\x without two hex digits");
		p += 2;
		break;
	case 'u':
		if (p[1] == '{')
			return fail(t, "\\u{...} needs the u flag (not supported)");
		if (hexn(p + 1, 4, c) == -1)
			return fail(t, "\\u without four hex digits");
		p += 4;
		if (*c >= 0xd800 && *c <= 0xdbff && p[1] == '\\' &&
		    p[2] == 'u' && hexn(p + 3, 4, &lo) == 0 &&
		    lo >= 0xdc00 && lo <= 0xdfff) {
			*c = 0x10000 + ((*c - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		} else if (*c >= 0xd800 && *c <= 0xdfff)
			return fail(t, "a lone surrogate \\u%04lX", *c);
		break;
	case '0':
		return fail(t, "\\0 (a NUL) cannot be matched");
	case '\0':
		return fail(t, "a pattern cannot end with \\");
	default:
		if ((*p >= '1' && *p <= '9'))
			return fail(t, "backreferences (\\%c) are not supported",
			    *p);
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			return fail(t, "unknown escape \\%c", *p);
		*c = util_utf8_next(&p);
		t->p = p;
		return 0;
	}
	t->p = p + 1;
	if (*c == 0)
		return fail(t, "\\0 (a NUL) cannot be matched");
	return 0;
}

/* Whether a bracket item would mean something else where it stands. */
static int
bracket_special(unsigned long c)
{
	return c == ']' || c == '-' || c == '^' || c == '[';
}

/* The code points of lo..hi listed one by one in a bracket: glibc refuses
 * ranges between multibyte characters ("Invalid collation character"). */
static int
put_listed(struct tr *t, unsigned long lo, unsigned long hi)
{
	char		b[5];
	unsigned long	c;

	if (hi - lo >= OSB_JSCHEMA_REGEX_LISTED)
		return fail(t, "a range of non-ASCII characters wider than %d",
		    OSB_JSCHEMA_REGEX_LISTED);
	for (c = lo; c <= hi; c++)
		if (c < 0xd800 || c > 0xdfff)
			put(t, b, utf8_enc(c, b));
	return 0;
}

/*
 * A class as a POSIX bracket.  "]" must come first, "-" last, "^" not
 * first, "[" not before ".", ":" or "=": so those four go as single
 * characters at those places, and ranges are cut around them.
 */
static int
put_bracket(struct tr *t, struct cls *k, int negate)
{
	int		 special[128] = { 0 }, i, any = 0;
	unsigned long	 lo, hi;
	char		 b[5];
	struct tr	 body = { .err = t->err, .errlen = t->errlen };

	for (i = 0; i < k->n; i++) {
		lo = k->lo[i];
		hi = k->hi[i];
		while (lo <= hi && lo < 128 && bracket_special(lo))
			special[lo++] = 1;
		while (hi >= lo && hi < 128 && bracket_special(hi))
			special[hi--] = 1;
		if (lo > hi)
			continue;
		any = 1;
		if (hi < 0x80) {
			put(&body, b, utf8_enc(lo, b));
			if (hi > lo) {
				put(&body, "-", 1);
				put(&body, b, utf8_enc(hi, b));
			}
			continue;
		}
		if (lo < 0x80) {
			put(&body, b, utf8_enc(lo, b));
			put(&body, "-\x7f", 2);
			lo = 0x80;
		}
		if (put_listed(&body, lo, hi) == -1) {
			free(body.out);
			return -1;
		}
	}
	if (body.oom)
		t->oom = 1;
	if (!negate && !any && !special[']'] && !special['['] &&
	    !special['-']) {
		/* Only "^" (or nothing: "[]" matches nothing in ECMA-262). */
		free(body.out);
		if (!special['^'])
			return fail(t, "an empty class [] never matches");
		puts_(t, "\\^");
		return 0;
	}
	puts_(t, negate ? "[^" : "[");
	if (special[']'])
		put(t, "]", 1);
	else if (!any && special['^'] && special['-']) {
		put(t, "-", 1);		/* "^" may not come first */
		special['-'] = 0;
	} else if (!any && special['^'] && special['[']) {
		put(t, "[", 1);
		special['['] = 0;
	}
	if (body.out != NULL)
		puts_(t, body.out);
	free(body.out);
	if (special['^'])
		put(t, "^", 1);
	if (special['['])
		put(t, "[", 1);
	if (special['-'])
		put(t, "-", 1);
	put(t, "]", 1);
	return 0;
}

/* One class item at t->p: a code point, or a shorthand (*c = 0). */
static int
class_item(struct tr *t, struct cls *k, unsigned long *c)
{
	int	e;

	if (*t->p != '\\') {
		*c = util_utf8_next(&t->p);
		return 0;
	}
	t->p++;
	e = (unsigned char)*t->p;
	if (e == 'd' || e == 'w' || e == 's') {
		t->p++;
		*c = 0;
		return add_shorthand(t, k, e);
	}
	if (e == 'D' || e == 'W' || e == 'S')
		return fail(t, "\\%c inside a character class is not supported",
		    e);
	if (e == 'b') {			/* a backspace inside a class */
		t->p++;
		*c = '\b';
		return 0;
	}
	return escape_cp(t, c);
}

/* [...] at t->p (just after "["). */
static int
class(struct tr *t)
{
	struct cls	 k = { .n = 0 };
	unsigned long	 lo, hi;
	int		 negate = 0;

	if (*t->p == '^') {
		negate = 1;
		t->p++;
	}
	if (*t->p == ']') {		/* [] or [^] */
		t->p++;
		if (!negate)
			return fail(t, "an empty class [] never matches");
		put(t, ".", 1);		/* POSIX "." is any character */
		return 0;
	}
	while (*t->p != ']') {
		if (*t->p == '\0')
			return fail(t, "a character class without its ]");
		if (class_item(t, &k, &lo) == -1)
			return -1;
		if (lo == 0)		/* a shorthand */
			continue;
		hi = lo;
		if (t->p[0] == '-' && t->p[1] != ']' && t->p[1] != '\0') {
			t->p++;
			if (class_item(t, &k, &hi) == -1)
				return -1;
			if (hi == 0)
				return fail(t, "a range ending in a class "
				    "shorthand");
			if (hi < lo)
				return fail(t, "a range out of order in a "
				    "character class");
		}
		if (add_range(t, &k, lo, hi) == -1)
			return -1;
	}
	t->p++;
	return put_bracket(t, &k, negate);
}

/* A shorthand outside a class: \d \D \w \W \s \S. */
static int
shorthand(struct tr *t, int c)
{
	struct cls	k = { .n = 0 };

	if (add_shorthand(t, &k, c | 0x20) == -1)
		return -1;
	return put_bracket(t, &k, c >= 'A' && c <= 'Z');
}

/* {n}, {n,} or {n,m} at t->p: 1 with the bounds, 0 when "{" is a literal
 * (ECMA-262 Annex B). */
static int
counted(const char *p, unsigned long *n, unsigned long *m, const char **end)
{
	char	*e;

	if (p[1] < '0' || p[1] > '9')
		return 0;
	*n = strtoul(p + 1, &e, 10);
	*m = *n;
	if (*e == ',') {
		if (e[1] == '}') {
			*m = OPEN_END;
			e++;
		} else if (e[1] >= '0' && e[1] <= '9')
			*m = strtoul(e + 1, &e, 10);
		else
			return 0;
	}
	if (*e != '}')
		return 0;
	*end = e + 1;
	return 1;
}

static int
grow(struct tr *t, unsigned long add)
{
	t->sum[t->depth] += add;
	if (t->sum[t->depth] > OSB_JSCHEMA_REGEX_SIZE)
		return fail(t, "the pattern is too big once its counted "
		    "repetitions are expanded (the most is %d)",
		    OSB_JSCHEMA_REGEX_SIZE);
	return 0;
}

/* A quantifier at t->p. */
static int
quantifier(struct tr *t)
{
	unsigned long	 n, m, times;
	const char	*end;
	char		 b[64];

	if (*t->p == '{' && !counted(t->p, &n, &m, &end)) {
		t->p++;
		put(t, "\\{", 2);
		t->last = 1;
		return grow(t, 1);
	}
	if (t->last == 0)
		return fail(t, "a quantifier with nothing to repeat");
	if (*t->p == '{') {
		if (m < n)
			return fail(t, "a quantifier {%lu,%lu} out of order",
			    n, m);
		if (n > RE_DUP_MAX || (m != OPEN_END && m > RE_DUP_MAX))
			return fail(t, "a repetition count above %d",
			    RE_DUP_MAX);
		times = m == OPEN_END ? n + 1 : m;
		if (times > 0 && t->last > OSB_JSCHEMA_REGEX_SIZE / times)
			return fail(t, "the pattern is too big once its "
			    "counted repetitions are expanded (the most is %d)",
			    OSB_JSCHEMA_REGEX_SIZE);
		if (times > 1 && grow(t, t->last * (times - 1)) == -1)
			return -1;
		if (m == OPEN_END)
			snprintf(b, sizeof(b), "{%lu,}", n);
		else
			snprintf(b, sizeof(b), "{%lu,%lu}", n, m);
		puts_(t, b);
		t->p = end;
	} else
		put(t, t->p++, 1);
	if (*t->p == '?')		/* lazy: the same strings match */
		t->p++;
	t->last = 0;			/* "a**" is an error in ECMA-262 */
	return 0;
}

static int
group_open(struct tr *t)
{
	const char	*p = t->p + 1;

	if (*p == '?') {
		if (p[1] == ':')
			p += 2;
		else if (p[1] == '<' && p[2] != '=' && p[2] != '!') {
			p = strchr(p, '>');	/* a named group */
			if (p == NULL)
				return fail(t, "a group name without its >");
			p++;
		} else if (p[1] == '=' || p[1] == '!' || p[1] == '<')
			return fail(t, "lookahead and lookbehind (?%c are not "
			    "supported", p[1]);
		else
			return fail(t, "a group (? that ECMA-262 does not know");
	}
	if (t->depth == MAX_GROUPS)
		return fail(t, "groups nested more than %d deep", MAX_GROUPS);
	t->sum[++t->depth] = 0;
	t->last = 0;
	t->p = p;
	put(t, "(", 1);
	return 0;
}

static int
group_close(struct tr *t)
{
	unsigned long	s;

	if (t->depth == 0)
		return fail(t, "a ) without its (");
	s = t->sum[t->depth--];
	t->p++;
	put(t, ")", 1);
	t->last = s ? s : 1;
	return grow(t, t->last);
}

static int
translate(struct tr *t)
{
	unsigned long	c;
	int		rc;

	while (*t->p != '\0') {
		switch (*t->p) {
		case '(':
			rc = group_open(t);
			break;
		case ')':
			rc = group_close(t);
			break;
		case '|':
		case '^':
		case '$':
			put(t, t->p++, 1);
			t->last = 0;
			rc = 0;
			break;
		case '*':
		case '+':
		case '?':
		case '{':
			rc = quantifier(t);
			break;
		case '.':	/* any but ECMA-262's LineTerminators */
			t->p++;
			puts_(t, "[^\n\r\xe2\x80\xa8\xe2\x80\xa9]");
			t->last = 1;
			rc = grow(t, 1);
			break;
		case '[':
			t->p++;
			rc = class(t);
			t->last = 1;
			if (rc == 0)
				rc = grow(t, 1);
			break;
		case '\\':
			t->p++;
			c = (unsigned char)*t->p;
			if (c == 'b' || c == 'B')
				return fail(t, "word boundaries (\\%c) are not "
				    "supported", (int)c);
			if (c == 'k')
				return fail(t, "backreferences (\\k) are not "
				    "supported");
			if (c == 'p' || c == 'P')
				return fail(t, "Unicode property escapes (\\%c) "
				    "are not supported", (int)c);
			if (strchr("dDwWsS", (int)c) != NULL && c != '\0') {
				t->p++;
				rc = shorthand(t, (int)c);
			} else if ((rc = escape_cp(t, &c)) == 0)
				put_cp(t, c);
			t->last = 1;
			if (rc == 0)
				rc = grow(t, 1);
			break;
		default:
			put_cp(t, util_utf8_next(&t->p));
			t->last = 1;
			rc = grow(t, 1);
			break;
		}
		if (rc == -1)
			return -1;
	}
	if (t->depth != 0)
		return fail(t, "a ( without its )");
	return 0;
}

/* The locale compiling and matching run under; (locale_t)0 when the C
 * library has no C.UTF-8 (then bytes are characters). */
static locale_t	utf8_locale;
static int	utf8_tried;

static locale_t
utf8(void)
{
	if (!utf8_tried) {
		utf8_tried = 1;
		utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return utf8_locale;
}

int
jsregex_compile(const char *pattern, regex_t *out, char *err, size_t errlen)
{
	struct tr	 t = { .p = pattern, .err = err, .errlen = errlen };
	locale_t	 old = (locale_t)0;
	char		 msg[128];
	int		 rc;

	err[0] = '\0';
	if (!util_utf8_valid(pattern, strlen(pattern))) {
		snprintf(err, errlen, "the pattern is not valid UTF-8");
		return -1;
	}
	puts_(&t, "^(.*)(");
	if (translate(&t) == -1) {
		free(t.out);
		return -1;
	}
	put(&t, ")", 1);
	if (t.oom) {
		free(t.out);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (utf8() != (locale_t)0)
		old = uselocale(utf8());
	rc = regcomp(out, t.out, REG_EXTENDED | REG_NOSUB);
	if (old != (locale_t)0)
		uselocale(old);
	free(t.out);
	if (rc != 0) {
		regerror(rc, out, msg, sizeof(msg));
		snprintf(err, errlen, "POSIX regex refuses it: %s", msg);
		return -1;
	}
	return 0;
}

int
jsregex_search(const regex_t *re, const char *s)
{
	locale_t	old = (locale_t)0;
	int		rc;

	if (utf8() != (locale_t)0)
		old = uselocale(utf8());
	rc = regexec(re, s, 0, NULL, 0);
	if (old != (locale_t)0)
		uselocale(old);
	return rc == 0;
}

void
jsregex_free(regex_t *re)
{
	regfree(re);
}

void
jsregex_cleanup(void)
{
	if (utf8_locale != (locale_t)0)
		freelocale(utf8_locale);
	utf8_locale = (locale_t)0;
	utf8_tried = 0;
}
