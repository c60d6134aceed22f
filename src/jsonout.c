/* SPDX-License-Identifier: ISC */
/*
 * jsonout: compact JSON text of a cJSON tree (jsonout.h).
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "util.h"

/* room() when the buffer must grow. */
static int
grow(struct jsonout *o, size_t n)
{
	char	*np;
	size_t	 cap;

	if (n > ((size_t)-1) / 2 - o->len)
		return -1;
	cap = o->cap != 0 ? o->cap : 1024;
	while (n >= cap - o->len)
		cap *= 2;
	if ((np = realloc(o->p, cap)) == NULL)
		return -1;
	o->p = np;
	o->cap = cap;
	return 0;
}

/* Room for n more bytes and a NUL; -1 out of memory. */
static inline int
room(struct jsonout *o, size_t n)
{
	return n < o->cap - o->len ? 0 : grow(o, n);
}

static inline int
put(struct jsonout *o, const char *s, size_t n)
{
	if (room(o, n) == -1)
		return -1;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	return 0;
}

/* cJSON's escapes: the two-character ones, \u00xx (lower-case hex) for
 * the other bytes below 32, every other byte as it is. */
static int
put_string(struct jsonout *o, const char *str)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)str, *q;
	size_t			 extra = 0, n;
	char			*w;

	if (s == NULL)
		return put(o, "\"\"", 2);
	n = strlen(str);
	if (util_json_plain(str, n) < n)
		for (q = s; *q != '\0'; q++)
			if (*q < 32 || *q == '"' || *q == '\\')
				extra += (*q == '"' || *q == '\\' ||
				    *q == '\b' || *q == '\f' || *q == '\n' ||
				    *q == '\r' || *q == '\t') ? 1 : 5;
	if (room(o, n + extra + 2) == -1)
		return -1;
	w = o->p + o->len;
	*w++ = '"';
	if (extra == 0) {
		memcpy(w, s, n);
		w += n;
	} else
		for (q = s; *q != '\0'; q++) {
			if (*q >= 32 && *q != '"' && *q != '\\') {
				*w++ = (char)*q;
				continue;
			}
			*w++ = '\\';
			switch (*q) {
			case '"':  *w++ = '"'; break;
			case '\\': *w++ = '\\'; break;
			case '\b': *w++ = 'b'; break;
			case '\f': *w++ = 'f'; break;
			case '\n': *w++ = 'n'; break;
			case '\r': *w++ = 'r'; break;
			case '\t': *w++ = 't'; break;
			default:
				*w++ = 'u';
				*w++ = '0';
				*w++ = '0';
				*w++ = hex[*q >> 4];
				*w++ = hex[*q & 15];
				break;
			}
		}
	*w++ = '"';
	o->len = (size_t)(w - o->p);
	return 0;
}

/* cJSON's way for a number that is not a whole number below 10^15:
 * "%1.15g", or "%1.17g" when that does not read back as d, the locale's
 * decimal point written as '.'. */
static int
put_number_slow(struct jsonout *o, double d)
{
	char		 buf[26];
	double		 test = 0.0, big;
	unsigned char	 dp;
	int		 n, i;

	n = snprintf(buf, sizeof(buf), "%1.15g", d);
	if (sscanf(buf, "%lg", &test) == 1) {
		big = fabs(test) > fabs(d) ? fabs(test) : fabs(d);
		if (!(fabs(test - d) <= big * DBL_EPSILON))
			n = snprintf(buf, sizeof(buf), "%1.17g", d);
	} else
		n = snprintf(buf, sizeof(buf), "%1.17g", d);
	if (n < 0 || n > (int)sizeof(buf) - 1)
		return -1;
	dp = (unsigned char)localeconv()->decimal_point[0];
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] == dp)
			buf[i] = '.';
	return put(o, buf, (size_t)n);
}

static int
put_number(struct jsonout *o, double d)
{
	char		 buf[24];
	size_t		 i = sizeof(buf);
	unsigned long long v;

	if (isnan(d) || isinf(d))
		return put(o, "null", 4);
	/* A whole number below 10^15: "%1.15g" prints its digits (an
	 * exponent only from 10^15 on), "-0" for negative zero. */
	if (!(fabs(d) < 1e15) || (double)(long long)d != d ||
	    (d == 0 && signbit(d)))
		return put_number_slow(o, d);
	v = (unsigned long long)fabs(d);
	do
		buf[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (d < 0)
		buf[--i] = '-';
	return put(o, buf + i, sizeof(buf) - i);
}

static int
put_value(struct jsonout *o, const cJSON *item)
{
	const cJSON	*c;

	switch (item->type & 0xFF) {
	case cJSON_NULL:
		return put(o, "null", 4);
	case cJSON_False:
		return put(o, "false", 5);
	case cJSON_True:
		return put(o, "true", 4);
	case cJSON_Number:
		return put_number(o, item->valuedouble);
	case cJSON_Raw:
		if (item->valuestring == NULL)
			return -1;
		return put(o, item->valuestring, strlen(item->valuestring));
	case cJSON_String:
		return put_string(o, item->valuestring);
	case cJSON_Array:
		if (put(o, "[", 1) == -1)
			return -1;
		for (c = item->child; c != NULL; c = c->next)
			if (put_value(o, c) == -1 ||
			    (c->next != NULL && put(o, ",", 1) == -1))
				return -1;
		return put(o, "]", 1);
	case cJSON_Object:
		if (put(o, "{", 1) == -1)
			return -1;
		for (c = item->child; c != NULL; c = c->next)
			if (put_string(o, c->string) == -1 ||
			    put(o, ":", 1) == -1 || put_value(o, c) == -1 ||
			    (c->next != NULL && put(o, ",", 1) == -1))
				return -1;
		return put(o, "}", 1);
	default:
		return -1;
	}
}

void
jsonout_begin(struct jsonout *o)
{
	o->p = NULL;
	o->len = o->cap = 0;
	o->failed = 0;
}

void
jsonout_raw(struct jsonout *o, const char *s, size_t n)
{
	if (!o->failed && put(o, s, n) == -1)
		o->failed = 1;
}

void
jsonout_string(struct jsonout *o, const char *s)
{
	if (!o->failed && put_string(o, s) == -1)
		o->failed = 1;
}

void
jsonout_value(struct jsonout *o, const cJSON *item)
{
	if (!o->failed && (item == NULL || put_value(o, item) == -1))
		o->failed = 1;
}

char *
jsonout_end(struct jsonout *o, size_t *len)
{
	char *p = o->p;

	if (!o->failed && p == NULL && room(o, 0) == -1)
		o->failed = 1;
	p = o->p;
	o->p = NULL;
	if (o->failed) {
		free(p);
		return NULL;
	}
	p[o->len] = '\0';
	if (len != NULL)
		*len = o->len;
	return p;
}

char *
jsonout_print(const cJSON *item, size_t *len)
{
	struct jsonout	o;

	if (item == NULL)
		return NULL;
	jsonout_begin(&o);
	jsonout_value(&o, item);
	return jsonout_end(&o, len);
}
