/* SPDX-License-Identifier: ISC */
/*
 * template: see template.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "template.h"
#include "util.h"

struct walk {
	const struct tvars	*v;	/* NULL: check only */
	const cJSON		*secrets, *settings;	/* check mode */
	char			*err;
	size_t			 errlen;
	const char		*where;
};

static const char *const plain_vars[] = {
	"instance_id", "binding_id", "service_id", "plan_id", "service_name",
	"plan_name", NULL
};

static const char *
plain_value(const struct tvars *v, int i)
{
	const char *vals[] = { v->instance_id, v->binding_id, v->service_id,
	    v->plan_id, v->service_name, v->plan_name };

	return vals[i] != NULL ? vals[i] : "";
}

/* Resolve one placeholder body (between "${" and "}").  Returns the value:
 * *num set for numbers and booleans kept as such; *str for strings.  In check
 * mode returns a dummy.  -1 with err on failure. */
static int
resolve(struct walk *w, const char *name, const cJSON **node, const char **str)
{
	const char	*dflt = NULL, *sep;
	char		 key[OSB_MAX_TEMPLATE_NAME];
	const cJSON	*n = NULL;
	size_t		 klen;
	int		 i;

	*node = NULL;
	*str = NULL;
	for (i = 0; plain_vars[i] != NULL; i++)
		if (strcmp(name, plain_vars[i]) == 0) {
			*str = w->v != NULL ? plain_value(w->v, i) : "";
			return 0;
		}
	if (strncmp(name, "secret.", 7) == 0 && name[7] != '\0') {
		if (w->v == NULL) {
			if (cJSON_GetObjectItemCaseSensitive(w->secrets,
			    name + 7) == NULL)
				goto undeclared;
			return 0;
		}
		*str = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		    w->v->secrets, name + 7));
		if (*str == NULL)
			*str = "";
		return 0;
	}
	if (strncmp(name, "settings.", 9) == 0 && name[9] != '\0') {
		n = cJSON_GetObjectItemCaseSensitive(w->v != NULL ?
		    w->v->settings : w->settings, name + 9);
		if (n == NULL)
			goto undeclared;
		*node = n;
		return 0;
	}
	if (strncmp(name, "param.", 6) == 0 && name[6] != '\0') {
		name += 6;
		if ((sep = strstr(name, ":-")) != NULL)
			dflt = sep + 2;
		klen = sep != NULL ? (size_t)(sep - name) : strlen(name);
		if (klen == 0 || klen >= sizeof(key))
			goto unknown;
		memcpy(key, name, klen);
		key[klen] = '\0';
		if (w->v == NULL)
			return 0;
		n = cJSON_GetObjectItemCaseSensitive(w->v->params, key);
		if (n == NULL)
			n = cJSON_GetObjectItemCaseSensitive(
			    w->v->instance_params, key);
		if (n == NULL || cJSON_IsNull(n)) {
			if (dflt == NULL) {
				snprintf(w->err, w->errlen, "the plan's "
				    "credentials need the parameter \"%.64s\"",
				    key);
				return -1;
			}
			*str = dflt;
			return 0;
		}
		if (!cJSON_IsString(n) && !cJSON_IsNumber(n) && !cJSON_IsBool(n)) {
			snprintf(w->err, w->errlen, "parameter \"%.64s\" must be "
			    "a string, number or boolean", key);
			return -1;
		}
		*node = n;
		return 0;
	}
unknown:
	snprintf(w->err, w->errlen, "%s: unknown placeholder ${%.64s}",
	    w->where, name);
	return -1;
undeclared:
	snprintf(w->err, w->errlen, "%s: ${%.64s} names no declared %s",
	    w->where, name, name[1] == 'e' && name[2] == 'c' ? "secret" :
	    "setting");
	return -1;
}

/* A scalar node as text into buf. */
static const char *
scalar_text(const cJSON *n, char *buf, size_t len)
{
	if (cJSON_IsString(n))
		return n->valuestring;
	if (cJSON_IsBool(n))
		return cJSON_IsTrue(n) ? "true" : "false";
	if (cJSON_IsNumber(n)) {
		if (n->valuedouble > -9e15 && n->valuedouble < 9e15 &&
		    n->valuedouble == (double)(long long)n->valuedouble)
			snprintf(buf, len, "%lld", (long long)n->valuedouble);
		else
			snprintf(buf, len, "%.17g", n->valuedouble);
		return buf;
	}
	return "";
}

static int
append(struct walk *w, char *out, size_t *o, const char *s, size_t n)
{
	if (*o + n >= OSB_MAX_TEMPLATE_OUT) {
		snprintf(w->err, w->errlen, "%s: an expanded value is longer "
		    "than %d bytes", w->where, OSB_MAX_TEMPLATE_OUT - 1);
		return -1;
	}
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

static cJSON *
expand_string(struct walk *w, const char *s)
{
	char		*out, name[OSB_MAX_TEMPLATE_NAME + 8], num[64];
	const char	*end, *str;
	const cJSON	*node;
	size_t		 o = 0, len = strlen(s), nlen;
	cJSON		*r = NULL;

	if ((out = malloc(OSB_MAX_TEMPLATE_OUT)) == NULL)
		return NULL;
	out[0] = '\0';
	while (*s != '\0') {
		if (s[0] == '$' && s[1] == '$') {
			if (append(w, out, &o, "$", 1) == -1)
				goto done;
			s += 2;
			continue;
		}
		if (s[0] != '$' || s[1] != '{') {
			if (append(w, out, &o, s, 1) == -1)
				goto done;
			s++;
			continue;
		}
		if ((end = strchr(s + 2, '}')) == NULL ||
		    (nlen = (size_t)(end - s - 2)) >= sizeof(name)) {
			snprintf(w->err, w->errlen, "%s: unterminated or too "
			    "long placeholder in \"%.64s\"", w->where, s);
			goto done;
		}
		memcpy(name, s + 2, nlen);
		name[nlen] = '\0';
		if (resolve(w, name, &node, &str) == -1)
			goto done;
		/* A lone placeholder keeps the type of a number or boolean. */
		if (node != NULL && !cJSON_IsString(node) &&
		    (size_t)(end + 1 - s) == len && o == 0) {
			r = cJSON_Duplicate(node, 0);
			goto done;
		}
		if (node != NULL)
			str = scalar_text(node, num, sizeof(num));
		else if (str == NULL)	/* check mode */
			str = "";
		if (append(w, out, &o, str, strlen(str)) == -1)
			goto done;
		s = end + 1;
	}
	r = cJSON_CreateString(out);
done:
	explicit_bzero(out, OSB_MAX_TEMPLATE_OUT);
	free(out);
	return r;
}

static cJSON *
walk(struct walk *w, const cJSON *t, int depth)
{
	const cJSON	*c;
	cJSON		*r, *x;

	if (depth > OSB_MAX_TEMPLATE_DEPTH) {
		snprintf(w->err, w->errlen, "%s: nested too deeply", w->where);
		return NULL;
	}
	if (cJSON_IsString(t))
		return expand_string(w, t->valuestring);
	if (!cJSON_IsArray(t) && !cJSON_IsObject(t))
		return cJSON_Duplicate(t, 0);
	r = cJSON_IsArray(t) ? cJSON_CreateArray() : cJSON_CreateObject();
	if (r == NULL)
		return NULL;
	for (c = t->child; c != NULL; c = c->next) {
		if ((x = walk(w, c, depth + 1)) == NULL) {
			cJSON_Delete(r);
			return NULL;
		}
		if (cJSON_IsArray(t))
			cJSON_AddItemToArray(r, x);
		else
			cJSON_AddItemToObject(r, c->string, x);
	}
	return r;
}

int
template_check(const cJSON *tmpl, const cJSON *secrets, const cJSON *settings,
    const char *where, char *err, size_t errlen)
{
	struct walk	 w = { NULL, secrets, settings, err, errlen, where };
	cJSON		*r;

	err[0] = '\0';
	if ((r = walk(&w, tmpl, 0)) == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: out of memory", where);
		return -1;
	}
	cJSON_Delete(r);
	return 0;
}

cJSON *
template_expand(const cJSON *tmpl, const struct tvars *v, char *err,
    size_t errlen)
{
	struct walk w = { v, NULL, NULL, err, errlen, "credentials" };
	cJSON *r;

	err[0] = '\0';
	if ((r = walk(&w, tmpl, 0)) == NULL && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	return r;
}

cJSON *
template_secrets(const cJSON *spec)
{
	const cJSON	*s;
	cJSON		*out;
	char		 hex[2 * 64 + 1];

	if ((out = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_ArrayForEach(s, spec) {
		if (util_random_hex(hex, (size_t)s->valuedouble) == -1 ||
		    cJSON_AddStringToObject(out, s->string, hex) == NULL) {
			cJSON_Delete(out);
			out = NULL;
			break;
		}
	}
	explicit_bzero(hex, sizeof(hex));
	return out;
}
