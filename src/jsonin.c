/* SPDX-License-Identifier: ISC */
/*
 * jsonin: see jsonin.h.
 */
#include <string.h>

#include "jsonin.h"
#include "limits.h"
#include "util.h"

/* Skip one number at s[*i] if it follows RFC 8259 section 6:
 * -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * cJSON also takes "01" and "1.", which no JSON producer sends. */
static int
number_ok(const char *s, size_t len, size_t *i)
{
	size_t p = *i, d;

	if (p < len && s[p] == '-')
		p++;
	if (p < len && s[p] == '0')
		p++;
	else if (p < len && s[p] >= '1' && s[p] <= '9')
		while (p < len && s[p] >= '0' && s[p] <= '9')
			p++;
	else
		return 0;
	if (p < len && s[p] == '.') {
		for (d = ++p; p < len && s[p] >= '0' && s[p] <= '9'; p++)
			;
		if (p == d)
			return 0;
	}
	if (p < len && (s[p] == 'e' || s[p] == 'E')) {
		p++;
		if (p < len && (s[p] == '+' || s[p] == '-'))
			p++;
		for (d = p; p < len && s[p] >= '0' && s[p] <= '9'; p++)
			;
		if (p == d)
			return 0;
	}
	if (p < len && s[p] >= '0' && s[p] <= '9')
		return 0;	/* "01": a second number glued on */
	*i = p - 1;
	return 1;
}

/* What cJSON does not check for us, in one pass before it parses: nesting
 * depth (counting brackets outside strings), the number of object members
 * (each has one ':' outside strings), raw control characters inside
 * strings, and the number grammar.  Returns NULL or what is wrong. */
static const char *
lex_check(const char *s, size_t len, int max_depth, size_t max_keys)
{
	size_t	 i, keys = 0;
	int	 depth = 0, in_str = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			/* To the string's next byte that matters. */
			i += util_json_plain(s + i, len - i);
			if (i == len)
				break;
			c = s[i];
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			else if ((unsigned char)c < 0x20)
				return "has a raw control character in a string";
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max_depth)
				return "is nested too deeply";
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ':') {
			if (++keys > max_keys)
				return "has too many members";
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			if (!number_ok(s, len, &i))
				return "has a malformed number";
		}
	}
	return NULL;
}

/* How much of s (valid UTF-8) a message may quote: at most max bytes,
 * never ending inside a character, so the description stays UTF-8 ("%.64s"
 * alone can cut one in two). */
static int
quote_len(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return (int)n;
	for (n = max; n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
		;
	return (int)n;
}

/* First duplicated key anywhere in the tree, or NULL. */
static const char *
duplicate_key(const cJSON *node)
{
	const cJSON	*a, *b;
	const char	*d;

	for (a = node->child; a != NULL; a = a->next) {
		if (cJSON_IsObject(node))
			for (b = a->next; b != NULL; b = b->next)
				if (strcmp(a->string, b->string) == 0)
					return a->string;
		if ((d = duplicate_key(a)) != NULL)
			return d;
	}
	return NULL;
}

cJSON *
jsonin_parse(const char *body, size_t len, struct response *err)
{
	return jsonin_parse_limits(body, len, OSB_MAX_JSON_DEPTH,
	    OSB_MAX_JSON_KEYS, err);
}

cJSON *
jsonin_parse_limits(const char *body, size_t len, int max_depth,
    size_t max_keys, struct response *err)
{
	cJSON		*root;
	const char	*end = NULL, *dup, *why;

	if (body == NULL || len == 0) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "a JSON object is required in the request body");
		return NULL;
	}
	if (memchr(body, '\0', len) != NULL || !util_utf8_valid(body, len)) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "the request body is not valid UTF-8 text");
		return NULL;
	}
	if ((why = lex_check(body, len, max_depth, max_keys)) != NULL) {
		response_error(err, OSB_ERR_BAD_REQUEST, "the request body %s "
		    "(at most %d levels of nesting and %zu members are "
		    "accepted)", why, max_depth, max_keys);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL) {
		response_error(err, OSB_ERR_BAD_REQUEST, "the request body is "
		    "not valid JSON (error near byte %ld)",
		    end != NULL ? (long)(end - body) : 0L);
		return NULL;
	}
	while (end != NULL && (size_t)(end - body) < len &&
	    strchr(" \t\r\n", *end) != NULL)
		end++;
	if (end == NULL || (size_t)(end - body) != len) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "the request body has data after its JSON value");
		goto fail;
	}
	if (!cJSON_IsObject(root)) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "the request body must be a JSON object");
		goto fail;
	}
	if ((dup = duplicate_key(root)) != NULL) {
		response_error(err, OSB_ERR_BAD_REQUEST, "the request body "
		    "repeats the key \"%.*s\"", quote_len(dup, 64), dup);
		goto fail;
	}
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

cJSON *
jsonin_member(const cJSON *obj, const char *name)
{
	cJSON	*c;

	if (obj == NULL || name == NULL)
		return NULL;
	for (c = obj->child; c != NULL && c->string != NULL; c = c->next)
		if (c->string[0] == name[0] && strcmp(c->string, name) == 0)
			return c;
	return NULL;
}

cJSON *
jsonin_detach(cJSON *obj, const char *name)
{
	return cJSON_DetachItemViaPointer(obj, jsonin_member(obj, name));
}

int
jsonin_string(const cJSON *obj, const char *name, int required,
    const char **out, struct response *err)
{
	const cJSON *v = jsonin_member(obj, name);

	*out = NULL;
	if (v == NULL || (cJSON_IsNull(v) && !required)) {
		if (!required)
			return 0;
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "\"%s\" is required", name);
		return -1;
	}
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "\"%s\" must be a non-empty string", name);
		return -1;
	}
	*out = v->valuestring;
	return 0;
}

int
jsonin_object(const cJSON *obj, const char *name, int required,
    const cJSON **out, struct response *err)
{
	const cJSON *v = jsonin_member(obj, name);

	*out = NULL;
	if (v == NULL || (cJSON_IsNull(v) && !required)) {
		if (!required)
			return 0;
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "\"%s\" is required", name);
		return -1;
	}
	if (!cJSON_IsObject(v)) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "\"%s\" must be a JSON object", name);
		return -1;
	}
	*out = v;
	return 0;
}
