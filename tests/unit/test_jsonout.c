/* SPDX-License-Identifier: ISC */
/*
 * test_jsonout: jsonout_print() writes what cJSON_PrintUnformatted()
 * writes, byte for byte: every node type, strings with every byte that
 * cJSON escapes (and UTF-8 it does not), keys, nesting, numbers on both
 * sides of the whole-number path (negative zero, 10^15, fractions, the
 * extremes, NaN, infinities, and many pseudo-random doubles), a buffer
 * grown many times; and the length it reports.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonout.h"
#include "tap.h"

/* 1 when both printers agree on item (and the length is the text's). */
static int
same(const cJSON *item)
{
	char	*a = cJSON_PrintUnformatted(item), *b;
	size_t	 len = 0;
	int	 ok;

	b = jsonout_print(item, &len);
	ok = (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0 && len == strlen(b));
	if (!ok)
		printf("#  cJSON: %s\n# jsonout: %s\n", a ? a : "(null)",
		    b ? b : "(null)");
	free(a);
	free(b);
	return ok;
}

static int
same_number(double d)
{
	cJSON	*n = cJSON_CreateNumber(d);
	int	 ok = same(n);

	if (!ok)
		printf("# number %a\n", d);
	cJSON_Delete(n);
	return ok;
}

static void
test_numbers(void)
{
	static const double fixed[] = { 0, -0.0, 1, -1, 2, 10, 42, -42,
	    123456789, 999999999999999, -999999999999999, 1e15, -1e15,
	    1e15 + 1, 1e16, 1e17, 9007199254740992.0, 9007199254740994.0,
	    1e300, -1e300, 0.5, -0.5, 0.1, 0.2, 0.30000000000000004, 1.5,
	    3.141592653589793, 2.718281828459045, 1e-5, 1e-300, 5e-324,
	    1.7976931348623157e308, 2.2250738585072014e-308, 123.456,
	    1e14, 1e14 + 0.5, 4294967296.0, -4294967297.0, 1e21, 1e22 };
	size_t	 i;
	int	 bad = 0;
	uint64_t x = 88172645463325252ULL;
	double	 d;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		CHECK(same_number(fixed[i]), "number %.17g as cJSON prints it",
		    fixed[i]);
	CHECK(same_number(NAN), "NaN as cJSON prints it (null)");
	CHECK(same_number(INFINITY), "infinity as cJSON prints it (null)");
	CHECK(same_number(-INFINITY), "-infinity as cJSON prints it (null)");
	/* Pseudo-random bit patterns (xorshift64), and whole numbers. */
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&d, &x, sizeof(d));
		bad += !same_number(d);
		bad += !same_number((double)(int64_t)(x >> (x & 63)));
		bad += !same_number(-(double)(x % 2000000000000000ULL));
		bad += !same_number((double)(x % 100000) / 100);
	}
	CHECK(bad == 0, "80000 pseudo-random numbers as cJSON prints them "
	    "(%d differ)", bad);
}

static void
test_strings(void)
{
	char	 all[256], key[3] = { 'k', 0, 0 }, buf[20];
	cJSON	*o, *s;
	int	 i, pos, fill, bad;

	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	s = cJSON_CreateString(all);
	CHECK(same(s), "every byte 1..255 escaped as cJSON escapes it");
	cJSON_Delete(s);
	s = cJSON_CreateString("");
	CHECK(same(s), "the empty string");
	cJSON_Delete(s);
	s = cJSON_CreateString("plain ascii, nothing to escape");
	CHECK(same(s), "a string without escapes");
	cJSON_Delete(s);
	s = cJSON_CreateString("caf\xc3\xa9 \xe2\x82\xac \"q\" \\ /");
	CHECK(same(s), "UTF-8, quotes, a backslash and a solidus");
	cJSON_Delete(s);
	s = cJSON_CreateString("x");
	free(s->valuestring);
	s->valuestring = NULL;
	CHECK(same(s), "a string node without a string");
	cJSON_Delete(s);
	/* Every byte at every place of a word and of the tail, among
	 * ASCII and among UTF-8 bytes (the escape test reads 8 at a time). */
	for (i = 1, bad = 0; i < 256; i++)
		for (pos = 0; pos < 19; pos++)
			for (fill = 0; fill < 2; fill++) {
				memset(buf, fill ? 0xc3 : 'a', 19);
				buf[19] = '\0';
				buf[pos] = (char)i;
				s = cJSON_CreateString(buf);
				bad += !same(s);
				cJSON_Delete(s);
			}
	CHECK(bad == 0, "each byte at each of 19 places escaped as cJSON "
	    "escapes it (%d differ)", bad);
	o = cJSON_CreateObject();
	for (i = 1; i < 128; i += 7) {
		key[1] = (char)i;
		cJSON_AddNumberToObject(o, key, i);
	}
	cJSON_AddNullToObject(o, "quote\"key");
	CHECK(same(o), "keys with bytes that need escapes");
	cJSON_Delete(o);
}

static void
test_tree(void)
{
	cJSON	*o, *a, *in, *raw;
	char	*p;
	int	 i;

	o = cJSON_CreateObject();
	CHECK(same(o), "an empty object");
	a = cJSON_AddArrayToObject(o, "list");
	CHECK(same(o), "an object with an empty array");
	cJSON_AddItemToArray(a, cJSON_CreateNull());
	cJSON_AddItemToArray(a, cJSON_CreateTrue());
	cJSON_AddItemToArray(a, cJSON_CreateFalse());
	cJSON_AddItemToArray(a, cJSON_CreateNumber(2));
	cJSON_AddItemToArray(a, cJSON_CreateString("s"));
	cJSON_AddItemToArray(a, cJSON_CreateObject());
	cJSON_AddItemToArray(a, cJSON_CreateArray());
	in = cJSON_AddObjectToObject(o, "params");
	cJSON_AddNumberToObject(in, "size", 2);
	cJSON_AddStringToObject(in, "name", "n\n1");
	cJSON_AddItemReferenceToObject(o, "ref", in);
	raw = cJSON_CreateRaw("{\"raw\": [1, 2]}");
	cJSON_AddItemToObject(o, "raw", raw);
	CHECK(same(o), "every node type, nested, a reference, raw text");
	for (i = 0; i < 2000; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(
		    "a long string to grow the buffer many times over"));
	CHECK(same(o), "a text of about 100 KB (the buffer grown)");
	free(raw->valuestring);
	raw->valuestring = NULL;
	p = jsonout_print(o, NULL);
	CHECK(p == NULL, "a raw node without text fails, as in cJSON");
	free(p);
	cJSON_Delete(o);
	o = cJSON_CreateObject();
	o->type = 1 << 12 | 0x7f;
	p = jsonout_print(o, NULL);
	CHECK(p == NULL, "an invalid node type fails, as in cJSON");
	free(p);
	o->type = cJSON_Object;
	cJSON_Delete(o);
	CHECK(jsonout_print(NULL, NULL) == NULL, "NULL prints nothing");
}

int
main(void)
{
	test_numbers();
	test_strings();
	test_tree();
	return tap_done();
}
