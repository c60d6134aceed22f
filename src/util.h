/* SPDX-License-Identifier: ISC */
/*
 * util: small, dependency-free helpers for bytes that come from outside:
 * percent-decoding, base64, UTF-8 validation, id checks, randomness, time.
 *
 * Every function takes explicit lengths and never reads past them.  Functions
 * that allocate say so; the caller frees with free(3).
 */
#ifndef OSB_UTIL_H
#define OSB_UTIL_H

#include <stddef.h>
#include <time.h>

/* Decode %XX escapes (and '+' as space when plus_is_space) of src[0..len) into a
 * new NUL-terminated string.  Returns NULL on a malformed escape, an encoded
 * NUL byte, or allocation failure.  *outlen (optional) gets the decoded length. */
char  *util_pct_decode(const char *src, size_t len, int plus_is_space, size_t *outlen);

/* Standard base64 (RFC 4648 §4); padding optional, no whitespace.  Returns a
 * new buffer (NUL-terminated for convenience) or NULL when malformed. */
char  *util_b64_decode(const char *src, size_t len, size_t *outlen);

/* The value of hexadecimal digit c (either case), or -1. */
int    util_hex_value(int c);

/* 1 when buf[0..len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF), else 0. */
int    util_utf8_valid(const char *buf, size_t len);

/* The code point that starts at *p, which must be valid UTF-8 (checked with
 * util_utf8_valid() before); *p moves past it. */
unsigned long util_utf8_next(const char **p);

/* 1 when s is a usable resource id: 1..OSB_MAX_ID_LEN bytes, all from the RFC
 * 3986 "unreserved" set (ALPHA / DIGIT / "-" / "." / "_" / "~"). */
int    util_id_valid(const char *s);

/* Compare two byte strings in time that depends only on their lengths. */
int    util_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

/* Fill buf with n bytes from the kernel's CSPRNG (getrandom(2)); 0 or -1. */
int    util_random_bytes(void *buf, size_t n);

/* Lower-case hex of n random bytes into out (2n+1 bytes); 0 or -1. */
int    util_random_hex(char *out, size_t n);

/* The n strings of parts one after the other into buf (len bytes), as
 * snprintf(buf, len, "%s%s...") writes them: cut to len - 1 bytes and
 * NUL-terminated (nothing written when len is 0).  Returns the length
 * of the whole, cut or not. */
size_t util_concat(char *buf, size_t len, const char *const *parts,
    size_t n);

/* v in decimal into out, as snprintf(out, n, "%lld", v) (and "%llu" for
 * util_fmt_udecimal()) writes it when n is UTIL_DECIMAL_LEN or more: its
 * length, without the NUL it ends with. */
#define UTIL_DECIMAL_LEN	21
size_t util_fmt_decimal(char *out, long long v);
size_t util_fmt_udecimal(char *out, unsigned long long v);

/* How many of the first len bytes of s are plain inside a JSON string:
 * none of them a control character (below 0x20), '"' or '\\'.  Read 8
 * bytes at a time: request bodies and records are mostly such runs. */
size_t util_json_plain(const char *s, size_t len);

/* gmtime_r() without a time zone: glibc's reads /etc/localtime (or $TZ's
 * file) at its first call, system calls a CGI process would pay on every
 * request for a time in UTC.  Proleptic Gregorian calendar; returns tm. */
struct tm *util_gmtime(time_t t, struct tm *tm);

/* strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", tm), the digits written by
 * hand for the years 1000 to 9999 (strftime() for others): its length,
 * or 0 when it did not fit. */
size_t util_fmt_datetime(const struct tm *tm, char *out, size_t outlen);

/* "2026-11-25T06:15:35.0Z": the spec's binding-metadata pattern, UTC. */
void   util_fmt_iso8601(time_t t, char *out, size_t outlen);

/* RFC 7231 IMF-fixdate, e.g. "Wed, 25 Nov 2026 06:15:35 GMT". */
void   util_fmt_http_date(time_t t, char *out, size_t outlen);

/* Parse an IMF-fixdate; returns (time_t)-1 when it is not one. */
time_t util_parse_http_date(const char *s);

/* Parse a decimal size with optional k/K, m/M, g/G suffix; -1 on error. */
long long util_parse_size(const char *s);

#endif
