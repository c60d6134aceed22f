/* SPDX-License-Identifier: ISC */
/*
 * jsregex: JSON Schema patterns (ECMA-262 regular expressions) run by
 * libc's POSIX regex.
 *
 * A pattern is translated to a POSIX extended expression that matches
 * exactly the strings the ECMA-262 one matches (\d \w \s and their
 * negations, ECMA's ".", escapes, non-capturing and named groups, lazy
 * quantifiers, a literal "{"), or refused with the reason when POSIX has
 * no exact equivalent (lookaround, backreferences, \b, Unicode property
 * escapes...).  docs/json-schema.md lists every difference.
 *
 * Matching is a search, as in ECMA-262 (a pattern is not anchored); it is
 * compiled as "^(.*)(translated)", because glibc then matches in time
 * linear in the subject where its unanchored search is quadratic.  Both
 * compiling and matching run under a C.UTF-8 locale of their own
 * (uselocale(), the process's locale is untouched), so "." and classes
 * take one code point, not one byte.
 *
 * Ownership: jsregex_compile() fills a regex_t the caller releases with
 * jsregex_free().  jsregex_cleanup() frees the locale (at exit, for
 * valgrind; the next call makes it again).
 */
#ifndef OSB_JSREGEX_H
#define OSB_JSREGEX_H

#include <regex.h>
#include <stddef.h>

/* 0 with *out compiled, or -1 with a one-line reason in err. */
int  jsregex_compile(const char *pattern, regex_t *out, char *err,
    size_t errlen);
/* 1 when s (NUL-terminated UTF-8) contains a match, 0 when not. */
int  jsregex_search(const regex_t *re, const char *s);
void jsregex_free(regex_t *re);
void jsregex_cleanup(void);

#endif
