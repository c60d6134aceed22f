/* SPDX-License-Identifier: ISC */
/*
 * jsonschema: compile a JSON Schema into nodes, then validate instances
 * with one walk over them (jsonschema.h).
 *
 * Compiling: every document a schema uses (itself, a meta-schema it
 * names, a document of jschema_opts.docs) is copied and becomes a
 * resource; a first walk over it records where each id/$id puts a base
 * URI or a plain-name anchor; then every subschema becomes one struct
 * node, found again by its cJSON address, so that a $ref resolves to the
 * very node (recursion is a pointer, not a copy).  Last, the nodes that
 * apply to the same instance ($ref, allOf, anyOf, oneOf, not, if, then,
 * else, dependencies) must form no cycle: such a cycle would never end.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsformat.h"
#include "jsonschema.h"
#include "jsregex.h"
#include "limits.h"
#include "util.h"

#include <jsmeta.h>	/* generated from src/metaschema/ (Makefile) */

enum {
	TY_NULL = 1, TY_BOOLEAN = 2, TY_OBJECT = 4, TY_ARRAY = 8,
	TY_NUMBER = 16, TY_STRING = 32, TY_INTEGER = 64
};
static const char *const type_names[] = {
	"null", "boolean", "object", "array", "number", "string", "integer"
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

/* Numeric bounds: which are set, and whether they exclude their value. */
enum {
	NUM_MAX = 1, NUM_MAX_EXCL = 2, NUM_MIN = 4, NUM_MIN_EXCL = 8,
	NUM_XMAX = 16, NUM_XMIN = 32, NUM_MULTIPLE = 64
};

struct node;

struct nodes {
	struct node	**v;
	size_t		  n;
};

struct prop {
	const char	*name;
	struct node	*schema;
};

struct patprop {
	const char	*pattern;
	regex_t		 re;
	struct node	*schema;
};

struct dep {
	const char	*name;
	struct node	*schema;	/* a schema dependency, or */
	const cJSON	*names;		/* an array of property names */
};

/* One subschema.  Counts of -1 are absent keywords. */
struct node {
	int		 index;		/* in jschema.nodes */
	int		 always;	/* a boolean schema: 1 true, 0 false;
					   -1 an object */
	const char	*ref_uri;	/* $ref, resolved against the base */
	const char	*ref_text;	/* ... as written, and its place, */
	const char	*where;		/* for messages */
	struct node	*ref;		/* ... and its node: nothing else is
					   checked (drafts 04-07) */
	unsigned	 types;
	const cJSON	*enumv, *constv;
	unsigned	 num;
	double		 maximum, minimum, xmaximum, xminimum, multiple;
	long		 max_length, min_length;
	const char	*pattern_src;
	regex_t		*pattern;
	enum jsformat	 format;
	struct node	*items;		/* one schema for every item, or */
	struct nodes	 tuple;		/* one per position */
	struct node	*additional_items;
	long		 max_items, min_items;
	int		 unique;
	struct node	*contains;
	long		 max_props, min_props;
	const cJSON	*required;
	struct prop	*props;
	size_t		 nprops;
	struct patprop	*patprops;
	size_t		 npatprops;
	struct node	*additional_props;
	struct dep	*deps;
	size_t		 ndeps;
	struct node	*property_names;
	struct node	*if_, *then_, *else_;
	struct nodes	 all_of, any_of, one_of;
	struct node	*not_;
};

/* Allocation that lives as long as the compiled schema. */
struct chunk {
	struct chunk	*next;
	size_t		 used, cap;
	_Alignas(16) unsigned char data[];
};

struct jschema {
	int		 draft;
	int		 formats;	/* 0: "format" is an annotation only
					   (the meta-schemas: draft-04's
					   requires "id" to be an absolute
					   URI, its own suite does not) */
	struct node	*root;
	struct node	**nodes;	/* every node, for free and checks */
	size_t		 nnodes, capnodes;
	cJSON		**docs;		/* the copies the nodes point into */
	size_t		 ndocs;
	struct chunk	*arena;
};

/* ---- a JSON pointer being built (compile errors, violations) --------- */

struct path {
	char	buf[OSB_JSCHEMA_MAX_PATH];
	size_t	len;
	int	cut;			/* a token did not fit */
};

/* Append "/token" (~ and / escaped, control bytes as %XX, and bytes
 * above 0x7f too when token is not UTF-8); returns the
 * length to give path_pop(). */
static size_t
path_push(struct path *p, const char *token)
{
	size_t		 old = p->len, need = 1;
	const char	*t;
	char		*o;
	int		 utf8 = util_utf8_valid(token, strlen(token));

#define RAW(c) ((unsigned char)(c) >= 0x20 && (c) != 0x7f && \
	    (utf8 || (unsigned char)(c) < 0x80))
	for (t = token; *t != '\0'; t++)
		need += *t == '~' || *t == '/' ? 2 : RAW(*t) ? 1 : 3;
	if (p->len + need >= sizeof(p->buf)) {
		p->cut++;
		return old;
	}
	o = p->buf + p->len;
	*o++ = '/';
	for (t = token; *t != '\0'; t++) {
		if (*t == '~' || *t == '/') {
			*o++ = '~';
			*o++ = *t == '~' ? '0' : '1';
		} else if (!RAW(*t))
			o += sprintf(o, "%%%02X", (unsigned char)*t);
		else
			*o++ = *t;
	}
#undef RAW
	*o = '\0';
	p->len = (size_t)(o - p->buf);
	return old;
}

static size_t
path_push_index(struct path *p, size_t i)
{
	char	b[24];

	snprintf(b, sizeof(b), "%zu", i);
	return path_push(p, b);
}

static void
path_pop(struct path *p, size_t old)
{
	if (p->len == old && p->cut > 0)
		p->cut--;
	p->len = old;
	p->buf[old] = '\0';
}

static void
path_set(struct path *p, const char *s)
{
	size_t	n = strlen(s);

	if (n >= sizeof(p->buf))
		n = sizeof(p->buf) - 1;
	memcpy(p->buf, s, n);
	p->buf[n] = '\0';
	p->len = n;
	p->cut = 0;
}

/* ---- values quoted in messages --------------------------------------- */

/* The length of the longest prefix of s[0..n) that ends at a character. */
static size_t
whole_chars(const char *s, size_t n)
{
	size_t	i = n, need;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || (unsigned char)s[i - 1] < 0x80)
		return n;
	need = (unsigned char)s[i - 1] >= 0xf0 ? 4 :
	    (unsigned char)s[i - 1] >= 0xe0 ? 3 : 2;
	return n - (i - 1) < need ? i - 1 : n;
}

/* s as a JSON string of at most about OSB_JSCHEMA_QUOTE bytes: quotes,
 * backslashes and control bytes escaped (and every byte above 0x7f when s
 * is not UTF-8), cut at a character with "..." when longer. */
static void
quote_string(const char *s, char *out, size_t outlen)
{
	size_t	n = 1, w, max = outlen < OSB_JSCHEMA_QUOTE + 8 ? outlen - 8 :
		    OSB_JSCHEMA_QUOTE;
	int	utf8 = util_utf8_valid(s, strlen(s));
	char	b[8];

	out[0] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			w = (size_t)snprintf(b, sizeof(b), "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			w = (size_t)snprintf(b, sizeof(b), "\\u%04x",
			    (unsigned char)*s);
		else if ((unsigned char)*s >= 0x80 && !utf8)
			w = (size_t)snprintf(b, sizeof(b), "\\x%02x",
			    (unsigned char)*s);
		else
			w = (size_t)snprintf(b, sizeof(b), "%c", *s);
		if (n + w > max) {
			n = whole_chars(out, n);
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(out + n, b, w);
		n += w;
	}
	out[n++] = '"';
	out[n] = '\0';
}

static void
quote_number(double v, char *out, size_t outlen)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(out, outlen, "%.0f", v);
	else {
		snprintf(out, outlen, "%.15g", v);
		if (strtod(out, NULL) != v)
			snprintf(out, outlen, "%.17g", v);
	}
}

static void
quote(const cJSON *v, char *out, size_t outlen)
{
	if (cJSON_IsString(v))
		quote_string(v->valuestring, out, outlen);
	else if (cJSON_IsNumber(v))
		quote_number(v->valuedouble, out, outlen);
	else if (cJSON_IsBool(v))
		snprintf(out, outlen, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNull(v))
		snprintf(out, outlen, "null");
	else if (cJSON_IsArray(v))
		snprintf(out, outlen, "an array");
	else
		snprintf(out, outlen, "an object");
}

/* The values of list, quoted, as many as fit. */
static void
quote_list(const cJSON *list, char *out, size_t outlen)
{
	const cJSON	*e;
	char		 q[64];
	size_t		 n = 0, w;

	out[0] = '\0';
	cJSON_ArrayForEach(e, list) {
		quote(e, q, sizeof(q));
		w = strlen(q) + (n ? 2 : 0);
		if (n + w + sizeof(", ...") > outlen) {
			snprintf(out + n, outlen - n, "%s...", n ? ", " : "");
			return;
		}
		snprintf(out + n, outlen - n, "%s%s", n ? ", " : "", q);
		n += w;
	}
}

/* ---- JSON equality and hashing (enum, const, uniqueItems) -------------- */

static int
equal(const cJSON *a, const cJSON *b)
{
	const cJSON	*x, *y;

	if (cJSON_IsNumber(a) || cJSON_IsNumber(b))
		return cJSON_IsNumber(a) && cJSON_IsNumber(b) &&
		    a->valuedouble == b->valuedouble;
	if ((a->type & 0xff) != (b->type & 0xff))
		return 0;
	if (cJSON_IsString(a))
		return strcmp(a->valuestring, b->valuestring) == 0;
	if (cJSON_IsArray(a)) {
		for (x = a->child, y = b->child; x != NULL && y != NULL;
		    x = x->next, y = y->next)
			if (!equal(x, y))
				return 0;
		return x == NULL && y == NULL;
	}
	if (cJSON_IsObject(a)) {
		if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
			return 0;
		cJSON_ArrayForEach(x, a) {
			y = cJSON_GetObjectItemCaseSensitive(b, x->string);
			if (y == NULL || !equal(x, y))
				return 0;
		}
	}
	return 1;			/* true, false, null */
}

static uint64_t
fnv(const char *s, uint64_t h)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Equal values hash the same: object members are summed, in any order. */
static uint64_t
hash(const cJSON *v)
{
	uint64_t	 h = 0xcbf29ce484222325ULL + (unsigned)(v->type & 0xff);
	const cJSON	*c;
	double		 d;

	if (cJSON_IsNumber(v)) {
		d = v->valuedouble == 0 ? 0 : v->valuedouble;	/* -0 */
		memcpy(&h, &d, sizeof(h));
		return h * 0x9e3779b97f4a7c15ULL;
	}
	if (cJSON_IsString(v))
		return fnv(v->valuestring, h);
	if (cJSON_IsArray(v))
		cJSON_ArrayForEach(c, v)
			h = (h ^ hash(c)) * 0x100000001b3ULL;
	else if (cJSON_IsObject(v))
		cJSON_ArrayForEach(c, v)
			h += fnv(c->string, 7) * 31 + hash(c);
	return h;
}

/* ---- the arena -------------------------------------------------------- */

static void *
arena_alloc(struct jschema *s, size_t n)
{
	struct chunk	*c = s->arena;
	size_t		 cap;
	void		*p;

	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > 16384 ? n : 16384;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->next = s->arena;
		c->used = 0;
		c->cap = cap;
		s->arena = c;
	}
	p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static char *
arena_strdup(struct jschema *s, const char *str)
{
	size_t	 n = strlen(str) + 1;
	char	*p = arena_alloc(s, n);

	if (p != NULL)
		memcpy(p, str, n);
	return p;
}

/* ---- URIs (RFC 3986 section 5: resolving a reference) ------------------ */

struct uparts {
	const char	*p[5];		/* scheme, authority, path, query,
					   fragment; NULL when absent */
	size_t		 n[5];
};
enum { U_SCHEME, U_AUTH, U_PATH, U_QUERY, U_FRAG };

static void
uri_split(const char *u, struct uparts *r)
{
	const char	*p = u, *e;

	memset(r, 0, sizeof(*r));
	for (e = p; (*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
	    (e > p && ((*e >= '0' && *e <= '9') || *e == '+' || *e == '-' ||
	    *e == '.')); e++)
		;
	if (e > p && *e == ':') {
		r->p[U_SCHEME] = p;
		r->n[U_SCHEME] = (size_t)(e - p);
		p = e + 1;
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		r->p[U_AUTH] = p;
		r->n[U_AUTH] = strcspn(p, "/?#");
		p += r->n[U_AUTH];
	}
	r->p[U_PATH] = p;
	r->n[U_PATH] = strcspn(p, "?#");
	p += r->n[U_PATH];
	if (*p == '?') {
		r->p[U_QUERY] = ++p;
		r->n[U_QUERY] = strcspn(p, "#");
		p += r->n[U_QUERY];
	}
	if (*p == '#') {
		r->p[U_FRAG] = ++p;
		r->n[U_FRAG] = strlen(p);
	}
}

/* RFC 3986 5.2.4, in place on a NUL-terminated path. */
static void
remove_dots(char *path)
{
	char	*in = path, *out = path, *s;

	while (*in != '\0') {
		if (strncmp(in, "../", 3) == 0)
			in += 3;
		else if (strncmp(in, "./", 2) == 0)
			in += 2;
		else if (strncmp(in, "/./", 3) == 0)
			in += 2;
		else if (strcmp(in, "/.") == 0)
			in[1] = '\0';
		else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
			in += 3;
			if (*in == '\0')
				*--in = '/';
			else
				in[0] = '/';
			for (s = out; s > path && *--s != '/';)
				;
			out = s;
		} else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0)
			break;
		else {
			do
				*out++ = *in++;
			while (*in != '\0' && *in != '/');
		}
	}
	*out = '\0';
}

/* The target of ref against base, without an empty fragment; -1 when it
 * does not fit in out. */
static int
uri_resolve(const char *base, const char *ref, char *out, size_t outlen)
{
	struct uparts	 b, r, t;
	char		 path[OSB_JSCHEMA_MAX_URI];
	const char	*slash;
	size_t		 n = 0;
	int		 i, w;

	uri_split(base, &b);
	uri_split(ref, &r);
	t = r;
	path[0] = '\0';
	if (r.p[U_SCHEME] == NULL) {
		t.p[U_SCHEME] = b.p[U_SCHEME];
		t.n[U_SCHEME] = b.n[U_SCHEME];
		if (r.p[U_AUTH] == NULL) {
			t.p[U_AUTH] = b.p[U_AUTH];
			t.n[U_AUTH] = b.n[U_AUTH];
			if (r.n[U_PATH] == 0) {
				t.p[U_PATH] = b.p[U_PATH];
				t.n[U_PATH] = b.n[U_PATH];
				if (r.p[U_QUERY] == NULL) {
					t.p[U_QUERY] = b.p[U_QUERY];
					t.n[U_QUERY] = b.n[U_QUERY];
				}
			} else if (r.p[U_PATH][0] != '/') {
				/* merge (5.2.3) */
				slash = NULL;
				if (b.p[U_AUTH] != NULL && b.n[U_PATH] == 0)
					n = (size_t)snprintf(path, sizeof(path),
					    "/");
				else if (b.n[U_PATH] > 0 && (slash = memrchr(
				    b.p[U_PATH], '/', b.n[U_PATH])) != NULL)
					n = (size_t)snprintf(path, sizeof(path),
					    "%.*s", (int)(slash - b.p[U_PATH] +
					    1), b.p[U_PATH]);
				if (n + r.n[U_PATH] >= sizeof(path))
					return -1;
				memcpy(path + n, r.p[U_PATH], r.n[U_PATH]);
				path[n + r.n[U_PATH]] = '\0';
			}
		}
	}
	if (path[0] == '\0' && t.n[U_PATH] > 0) {
		if (t.n[U_PATH] >= sizeof(path))
			return -1;
		memcpy(path, t.p[U_PATH], t.n[U_PATH]);
		path[t.n[U_PATH]] = '\0';
	}
	if (t.p[U_SCHEME] != NULL || t.p[U_AUTH] != NULL || path[0] == '/')
		remove_dots(path);
	n = 0;
	for (i = U_SCHEME; i <= U_FRAG; i++) {
		if (i == U_PATH) {
			w = snprintf(out + n, outlen - n, "%s", path);
		} else if (t.p[i] == NULL || (i == U_FRAG && t.n[i] == 0))
			continue;
		else
			w = snprintf(out + n, outlen - n, "%s%.*s%s",
			    i == U_AUTH ? "//" : i == U_QUERY ? "?" :
			    i == U_FRAG ? "#" : "", (int)t.n[i], t.p[i],
			    i == U_SCHEME ? ":" : "");
		if (w < 0 || (size_t)w >= outlen - n)
			return -1;
		n += (size_t)w;
	}
	return 0;
}

/* ---- compiling ---------------------------------------------------------- */

/* Where an id/$id names a base URI or an anchor, in some resource. */
struct idloc {
	char		*uri;		/* absolute, "#name" for anchors */
	const cJSON	*at;
	int		 draft;
};

/* A subschema's node, by its address (open addressing). */
struct seen {
	const cJSON	*at;
	struct node	*n;
};

struct cc {
	struct jschema		 *s;
	char			  quote[64];	/* quoted() */
	const struct jschema_opts *opts;
	struct idloc		 *ids;
	size_t			  nids, capids;
	struct seen		 *seen;
	size_t			  capseen;
	struct path		  path;	/* of the subschema being compiled */
	char			 *err;
	size_t			  errlen;
	int			  failed;
};

/* A schema's string, quoted for a message (one at a time). */
static const char *
quoted(struct cc *c, const char *s)
{
	quote_string(s, c->quote, sizeof(c->quote));
	return c->quote;
}

static int
cc_fail(struct cc *c, const char *fmt, ...)
{
	va_list	ap;
	char	msg[JSCHEMA_LINE_MAX];

	if (c->failed++)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s%s: %s", c->path.len > 1 ?
	    c->path.buf + 1 : "(root)", c->path.cut ? "/..." : "", msg);
	c->err[whole_chars(c->err, strlen(c->err))] = '\0';	/* when cut */
	return -1;
}

static int
cc_oom(struct cc *c)
{
	return cc_fail(c, "out of memory");
}

static int draft_of(const cJSON *schema, int fallback);
static const cJSON *meta_doc(int draft);

static const char *
id_keyword(int draft)
{
	return draft == 4 ? "id" : "$id";
}

/* The id of an object schema, when it has one that counts: beside a $ref
 * nothing counts. */
static const char *
schema_id(const cJSON *o, int draft)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, id_keyword(draft));

	if (!cJSON_IsString(id) || cJSON_HasObjectItem(o, "$ref"))
		return NULL;
	return id->valuestring;
}

static int
add_id(struct cc *c, const char *uri, const cJSON *at, int draft)
{
	struct idloc	*v;

	if (c->nids == c->capids) {
		c->capids = c->capids ? c->capids * 2 : 16;
		if ((v = realloc(c->ids, c->capids * sizeof(*v))) == NULL)
			return cc_oom(c);
		c->ids = v;
	}
	if ((c->ids[c->nids].uri = strdup(uri)) == NULL)
		return cc_oom(c);
	c->ids[c->nids].at = at;
	c->ids[c->nids++].draft = draft;
	return 0;
}

static const struct idloc *
find_id(const struct cc *c, const char *uri)
{
	size_t	i;

	for (i = 0; i < c->nids; i++)
		if (strcmp(c->ids[i].uri, uri) == 0)
			return &c->ids[i];
	return NULL;
}

/* The base URI inside object o, whose parent's base is base. */
static int
base_in(struct cc *c, const cJSON *o, int draft, const char *base, char *out)
{
	const char	*id = cJSON_IsObject(o) ? schema_id(o, draft) : NULL;
	char		*hash;

	if (id == NULL) {
		snprintf(out, OSB_JSCHEMA_MAX_URI, "%s", base);
		return 0;
	}
	if (uri_resolve(base, id, out, OSB_JSCHEMA_MAX_URI) == -1)
		return cc_fail(c, "the id %s is too long", quoted(c, id));
	if ((hash = strchr(out, '#')) != NULL)
		*hash = '\0';
	return 0;
}

/* Record the ids of a document (every object, but the values of enum,
 * const, default and examples: data, not schemas). */
static int
scan_ids(struct cc *c, const cJSON *v, const char *base, int draft, int depth)
{
	char		 here[OSB_JSCHEMA_MAX_URI], full[OSB_JSCHEMA_MAX_URI];
	const char	*id;
	const cJSON	*m;

	if (depth > OSB_JSCHEMA_MAX_DEPTH)
		return cc_fail(c, "nested deeper than %d levels",
		    OSB_JSCHEMA_MAX_DEPTH);
	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return 0;
	if (base_in(c, v, draft, base, here) == -1)
		return -1;
	if (cJSON_IsObject(v) && (id = schema_id(v, draft)) != NULL) {
		if (uri_resolve(base, id, full, sizeof(full)) == -1)
			return cc_fail(c, "the id %s is too long", quoted(c, id));
		if (add_id(c, full, v, draft) == -1)
			return -1;
	}
	cJSON_ArrayForEach(m, v) {
		if (cJSON_IsObject(v) && (strcmp(m->string, "enum") == 0 ||
		    strcmp(m->string, "const") == 0 ||
		    strcmp(m->string, "default") == 0 ||
		    strcmp(m->string, "examples") == 0))
			continue;
		if (scan_ids(c, m, here, draft, depth + 1) == -1)
			return -1;
	}
	return 0;
}

/* A copy of doc becomes a resource of the schema, known by uri. */
static cJSON *
add_resource(struct cc *c, const cJSON *doc, const char *uri, int draft)
{
	cJSON	**v, *copy;

	if ((v = realloc(c->s->docs, (c->s->ndocs + 1) * sizeof(*v))) == NULL) {
		cc_oom(c);
		return NULL;
	}
	c->s->docs = v;
	if ((copy = cJSON_Duplicate(doc, 1)) == NULL) {
		cc_oom(c);
		return NULL;
	}
	v[c->s->ndocs++] = copy;
	if (add_id(c, uri, copy, draft) == -1 ||
	    scan_ids(c, copy, uri, draft, 0) == -1)
		return NULL;
	return copy;
}

static struct node *compile(struct cc *, const cJSON *, const char *, int);

/* The subschema at member key of o (NULL when absent or not a schema). */
static int
sub(struct cc *c, const cJSON *v, const char *key, const char *base,
    int draft, struct node **out)
{
	size_t	old = path_push(&c->path, key);

	*out = NULL;
	if (cJSON_IsObject(v) || cJSON_IsBool(v))
		*out = compile(c, v, base, draft);
	path_pop(&c->path, old);
	return c->failed ? -1 : 0;
}

/* An array of subschemas (allOf, anyOf, oneOf, items). */
static int
sub_array(struct cc *c, const cJSON *v, const char *key, const char *base,
    int draft, struct nodes *out)
{
	const cJSON	*m;
	size_t		 old = path_push(&c->path, key), old2, i = 0;

	out->n = (size_t)cJSON_GetArraySize(v);
	if ((out->v = arena_alloc(c->s, out->n * sizeof(*out->v) + 1)) == NULL)
		return cc_oom(c);
	cJSON_ArrayForEach(m, v) {
		old2 = path_push_index(&c->path, i);
		if (cJSON_IsObject(m) || cJSON_IsBool(m))
			out->v[i] = compile(c, m, base, draft);
		else
			out->v[i] = NULL;
		path_pop(&c->path, old2);
		i++;
	}
	path_pop(&c->path, old);
	return c->failed ? -1 : 0;
}

static int
compile_pattern(struct cc *c, const char *key, const char *src, regex_t *re)
{
	char	why[JSCHEMA_LINE_MAX];
	size_t	old = path_push(&c->path, key);

	if (jsregex_compile(src, re, why, sizeof(why)) == -1) {
		cc_fail(c, "the pattern cannot be used: %s", why);
		path_pop(&c->path, old);
		return -1;
	}
	path_pop(&c->path, old);
	return 0;
}

static long
count_of(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 1e15 || v->valuedouble != floor(v->valuedouble))
		return -1;
	return (long)v->valuedouble;
}

static unsigned
type_bits(const cJSON *v)
{
	const cJSON	*m;
	unsigned	 bits = 0;
	size_t		 i;

	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(m, v)
			bits |= type_bits(m);
		return bits;
	}
	if (!cJSON_IsString(v))
		return 0;
	for (i = 0; i < NTYPES; i++)
		if (strcmp(v->valuestring, type_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* A numeric keyword: its flag in n->num and its value, when a number. */
static void
bound(struct node *n, const cJSON *o, const char *key, unsigned flag,
    double *value)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsNumber(v)) {
		n->num |= flag;
		*value = v->valuedouble;
	}
}

/* The keywords of object schema o, compiled into n. */
static int
compile_keywords(struct cc *c, struct node *n, const cJSON *o, const char *base,
    int draft)
{
	const cJSON	*v, *m;
	size_t		 i;

	if ((v = cJSON_GetObjectItemCaseSensitive(o, "type")) != NULL)
		n->types = type_bits(v);
	n->enumv = cJSON_GetObjectItemCaseSensitive(o, "enum");
	if (!cJSON_IsArray(n->enumv))
		n->enumv = NULL;
	if (draft >= 6)
		n->constv = cJSON_GetObjectItemCaseSensitive(o, "const");

	/* numbers */
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o, "multipleOf"))
	    && v->valuedouble > 0) {
		n->num |= NUM_MULTIPLE;
		n->multiple = v->valuedouble;
	}
	bound(n, o, "maximum", NUM_MAX, &n->maximum);
	bound(n, o, "minimum", NUM_MIN, &n->minimum);
	/* draft-04: a boolean on maximum/minimum; 06+: a bound of its own */
	if (draft == 4) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		    "exclusiveMaximum")))
			n->num |= NUM_MAX_EXCL;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		    "exclusiveMinimum")))
			n->num |= NUM_MIN_EXCL;
	} else {
		bound(n, o, "exclusiveMaximum", NUM_XMAX, &n->xmaximum);
		bound(n, o, "exclusiveMinimum", NUM_XMIN, &n->xminimum);
	}

	/* strings */
	n->max_length = count_of(cJSON_GetObjectItemCaseSensitive(o, "maxLength"));
	n->min_length = count_of(cJSON_GetObjectItemCaseSensitive(o, "minLength"));
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o, "pattern"))) {
		n->pattern_src = v->valuestring;
		if ((n->pattern = arena_alloc(c->s, sizeof(regex_t))) == NULL)
			return cc_oom(c);
		if (compile_pattern(c, "pattern", v->valuestring, n->pattern)
		    == -1) {
			n->pattern = NULL;
			return -1;
		}
	}
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o, "format")))
		n->format = jsformat_lookup(draft, v->valuestring);

	/* arrays */
	v = cJSON_GetObjectItemCaseSensitive(o, "items");
	if (cJSON_IsArray(v)) {
		if (sub_array(c, v, "items", base, draft, &n->tuple) == -1)
			return -1;
		if (sub(c, cJSON_GetObjectItemCaseSensitive(o,
		    "additionalItems"), "additionalItems", base, draft,
		    &n->additional_items) == -1)
			return -1;
		if (n->tuple.n == 0 && n->additional_items == NULL)
			n->tuple.v = NULL;
	} else if (sub(c, v, "items", base, draft, &n->items) == -1)
		return -1;
	n->max_items = count_of(cJSON_GetObjectItemCaseSensitive(o, "maxItems"));
	n->min_items = count_of(cJSON_GetObjectItemCaseSensitive(o, "minItems"));
	n->unique = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
	    "uniqueItems"));
	if (draft >= 6 && sub(c, cJSON_GetObjectItemCaseSensitive(o,
	    "contains"), "contains", base, draft, &n->contains) == -1)
		return -1;

	/* objects */
	n->max_props = count_of(cJSON_GetObjectItemCaseSensitive(o,
	    "maxProperties"));
	n->min_props = count_of(cJSON_GetObjectItemCaseSensitive(o,
	    "minProperties"));
	if (cJSON_IsArray(v = cJSON_GetObjectItemCaseSensitive(o, "required")))
		n->required = v;
	if (cJSON_IsObject(v = cJSON_GetObjectItemCaseSensitive(o,
	    "properties"))) {
		size_t old = path_push(&c->path, "properties");

		n->nprops = (size_t)cJSON_GetArraySize(v);
		if ((n->props = arena_alloc(c->s, n->nprops *
		    sizeof(*n->props) + 1)) == NULL)
			return cc_oom(c);
		i = 0;
		cJSON_ArrayForEach(m, v) {
			n->props[i].name = m->string;
			if (sub(c, m, m->string, base, draft,
			    &n->props[i++].schema) == -1)
				return -1;
		}
		path_pop(&c->path, old);
	}
	if (cJSON_IsObject(v = cJSON_GetObjectItemCaseSensitive(o,
	    "patternProperties"))) {
		size_t old = path_push(&c->path, "patternProperties");

		if ((n->patprops = arena_alloc(c->s, (size_t)
		    cJSON_GetArraySize(v) * sizeof(*n->patprops) + 1)) == NULL)
			return cc_oom(c);
		cJSON_ArrayForEach(m, v) {
			i = n->npatprops;
			n->patprops[i].pattern = m->string;
			if (compile_pattern(c, m->string, m->string,
			    &n->patprops[i].re) == -1)
				return -1;
			n->npatprops++;
			if (sub(c, m, m->string, base, draft,
			    &n->patprops[i].schema) == -1)
				return -1;
		}
		path_pop(&c->path, old);
	}
	if (sub(c, cJSON_GetObjectItemCaseSensitive(o, "additionalProperties"),
	    "additionalProperties", base, draft, &n->additional_props) == -1)
		return -1;
	if (cJSON_IsObject(v = cJSON_GetObjectItemCaseSensitive(o,
	    "dependencies"))) {
		size_t old = path_push(&c->path, "dependencies");

		n->ndeps = (size_t)cJSON_GetArraySize(v);
		if ((n->deps = arena_alloc(c->s, n->ndeps * sizeof(*n->deps) +
		    1)) == NULL)
			return cc_oom(c);
		i = 0;
		cJSON_ArrayForEach(m, v) {
			n->deps[i].name = m->string;
			if (cJSON_IsArray(m))
				n->deps[i].names = m;
			else if (sub(c, m, m->string, base, draft,
			    &n->deps[i].schema) == -1)
				return -1;
			i++;
		}
		path_pop(&c->path, old);
	}
	if (draft >= 6 && sub(c, cJSON_GetObjectItemCaseSensitive(o,
	    "propertyNames"), "propertyNames", base, draft,
	    &n->property_names) == -1)
		return -1;

	/* subschemas on the same instance */
	if (draft >= 7 && (sub(c, cJSON_GetObjectItemCaseSensitive(o, "if"),
	    "if", base, draft, &n->if_) == -1 ||
	    sub(c, cJSON_GetObjectItemCaseSensitive(o, "then"), "then", base,
	    draft, &n->then_) == -1 ||
	    sub(c, cJSON_GetObjectItemCaseSensitive(o, "else"), "else", base,
	    draft, &n->else_) == -1))
		return -1;
	if ((cJSON_IsArray(v = cJSON_GetObjectItemCaseSensitive(o, "allOf")) &&
	    sub_array(c, v, "allOf", base, draft, &n->all_of) == -1) ||
	    (cJSON_IsArray(v = cJSON_GetObjectItemCaseSensitive(o, "anyOf")) &&
	    sub_array(c, v, "anyOf", base, draft, &n->any_of) == -1) ||
	    (cJSON_IsArray(v = cJSON_GetObjectItemCaseSensitive(o, "oneOf")) &&
	    sub_array(c, v, "oneOf", base, draft, &n->one_of) == -1))
		return -1;
	if (sub(c, cJSON_GetObjectItemCaseSensitive(o, "not"), "not", base,
	    draft, &n->not_) == -1)
		return -1;

	/* definitions: compiled so that their mistakes show, found by $ref */
	if (cJSON_IsObject(v = cJSON_GetObjectItemCaseSensitive(o,
	    "definitions"))) {
		size_t old = path_push(&c->path, "definitions");
		struct node *unused;

		cJSON_ArrayForEach(m, v)
			if (sub(c, m, m->string, base, draft, &unused) == -1)
				return -1;
		path_pop(&c->path, old);
	}
	return 0;
}

static size_t
seen_slot(const struct cc *c, const cJSON *at)
{
	size_t	i = ((uintptr_t)at >> 4) * 0x9e3779b97f4a7c15ULL;

	for (i &= c->capseen - 1; c->seen[i].at != NULL && c->seen[i].at != at;
	    i = (i + 1) & (c->capseen - 1))
		;
	return i;
}

/* Remember n as the node of at; the table stays at most half full. */
static int
seen_add(struct cc *c, const cJSON *at, struct node *n)
{
	struct seen	*old = c->seen;
	size_t		 oldcap = c->capseen, i;

	if ((c->s->nnodes + 1) * 2 > c->capseen) {
		c->capseen = c->capseen ? c->capseen * 2 : 64;
		if ((c->seen = calloc(c->capseen, sizeof(*c->seen))) == NULL) {
			c->seen = old;
			c->capseen = oldcap;
			return cc_oom(c);
		}
		for (i = 0; i < oldcap; i++)
			if (old[i].at != NULL)
				c->seen[seen_slot(c, old[i].at)] = old[i];
		free(old);
	}
	i = seen_slot(c, at);
	c->seen[i].at = at;
	c->seen[i].n = n;
	return 0;
}

static int
add_node(struct cc *c, struct node *n)
{
	struct jschema	*s = c->s;
	struct node	**v;

	if (s->nnodes == s->capnodes) {
		s->capnodes = s->capnodes ? s->capnodes * 2 : 32;
		if ((v = realloc(s->nodes, s->capnodes * sizeof(*v))) == NULL)
			return cc_oom(c);
		s->nodes = v;
	}
	n->index = (int)s->nnodes;
	s->nodes[s->nnodes++] = n;
	return 0;
}

/* The node of schema v (an object or a boolean), compiled once. */
static struct node *
compile(struct cc *c, const cJSON *v, const char *parent_base, int draft)
{
	char		 base[OSB_JSCHEMA_MAX_URI];
	const cJSON	*ref;
	struct node	*n;
	size_t		 i;

	if (c->failed)
		return NULL;
	if (c->capseen > 0 && c->seen[i = seen_slot(c, v)].at == v)
		return c->seen[i].n;
	if ((n = arena_alloc(c->s, sizeof(*n))) == NULL ||
	    add_node(c, n) == -1 || seen_add(c, v, n) == -1) {
		cc_oom(c);
		return NULL;
	}
	n->max_length = n->min_length = n->max_items = n->min_items = -1;
	n->max_props = n->min_props = -1;
	if (cJSON_IsBool(v)) {
		n->always = cJSON_IsTrue(v);
		return n;
	}
	n->always = -1;
	ref = cJSON_GetObjectItemCaseSensitive(v, "$ref");
	if (cJSON_IsString(ref)) {
		/* drafts 04 to 07: the siblings of $ref are ignored */
		if (uri_resolve(parent_base, ref->valuestring, base,
		    sizeof(base)) == -1 ||
		    (n->ref_uri = arena_strdup(c->s, base)) == NULL ||
		    (n->where = arena_strdup(c->s, c->path.buf)) == NULL) {
			/* (ref_text is in the copy the schema owns) */
			cc_fail(c, "the $ref %s is too long",
			    quoted(c, ref->valuestring));
			return NULL;
		}
		n->ref_text = ref->valuestring;
		return n;
	}
	if (base_in(c, v, draft, parent_base, base) == -1 ||
	    compile_keywords(c, n, v, base, draft) == -1)
		return NULL;
	return n;
}

/* Follow the JSON pointer frag (percent-encoded, RFC 6901) from doc;
 * base becomes the base URI there. */
static const cJSON *
follow_pointer(struct cc *c, const cJSON *doc, const char *frag, char *base,
    int draft)
{
	char		*dec, *p, *tok, *s, *d, *end, saved;
	char		 inner[OSB_JSCHEMA_MAX_URI];
	const cJSON	*at = doc;
	unsigned long	 idx;

	if ((dec = util_pct_decode(frag, strlen(frag), 0, NULL)) == NULL) {
		cc_fail(c, "the $ref fragment %s is not a valid "
		    "pointer", quoted(c, frag));
		return NULL;
	}
	for (p = dec; at != NULL && *p == '/'; *p = saved) {
		tok = p + 1;
		p = tok + strcspn(tok, "/");
		saved = *p;
		*p = '\0';
		for (s = d = tok; *s != '\0'; s++)	/* ~1 is /, ~0 is ~ */
			if (*s == '~' && (s[1] == '0' || s[1] == '1'))
				*d++ = *++s == '1' ? '/' : '~';
			else
				*d++ = *s;
		*d = '\0';
		if (cJSON_IsArray(at)) {
			idx = strtoul(tok, &end, 10);
			at = *end == '\0' && *tok >= '0' && *tok <= '9' &&
			    (tok[0] != '0' || tok[1] == '\0') && idx < 1000000 ?
			    cJSON_GetArrayItem(at, (int)idx) : NULL;
		} else
			at = cJSON_GetObjectItemCaseSensitive(at, tok);
		if (at != NULL && base_in(c, at, draft, base, inner) == 0)
			snprintf(base, OSB_JSCHEMA_MAX_URI, "%s", inner);
	}
	free(dec);
	return at;
}

/* The document known as uri: one already a resource, one of
 * jschema_opts.docs, or a meta-schema. */
static const struct idloc *
find_document(struct cc *c, const char *uri, int draft)
{
	const struct idloc	*loc;
	const cJSON		*doc = NULL;
	char			 want[OSB_JSCHEMA_MAX_URI];
	size_t			 i;
	int			 d;

	if ((loc = find_id(c, uri)) != NULL)
		return loc;
	for (i = 0; c->opts != NULL && i < c->opts->ndocs && doc == NULL;
	    i++) {
		if (uri_resolve("", c->opts->docs[i].uri, want,
		    sizeof(want)) == 0 && strcmp(want, uri) == 0)
			doc = c->opts->docs[i].doc;
	}
	if (doc == NULL) {
		for (d = 4; d <= 7 && doc == NULL; d++) {
			snprintf(want, sizeof(want),
			    "http://json-schema.org/draft-%02d/schema", d);
			if (strcmp(want, uri) == 0 && (doc = meta_doc(d)) == NULL)
				return NULL;
		}
		if (doc == NULL)
			return NULL;
	}
	if (add_resource(c, doc, uri, draft_of(doc, draft)) == NULL)
		return NULL;
	return find_id(c, uri);
}

/* Resolve n's $ref to a node. */
static int
resolve_ref(struct cc *c, struct node *n)
{
	char			 doc_uri[OSB_JSCHEMA_MAX_URI];
	char			 base[OSB_JSCHEMA_MAX_URI];
	const struct idloc	*loc;
	const cJSON		*at;
	char			*frag;

	snprintf(doc_uri, sizeof(doc_uri), "%s", n->ref_uri);
	frag = strchr(doc_uri, '#');
	if (frag != NULL)
		*frag++ = '\0';
	path_set(&c->path, n->where);
	if ((loc = find_document(c, doc_uri, c->s->draft)) == NULL) {
		if (!c->failed)
			cc_fail(c, "$ref %s is a remote reference: "
			    "only references within the schema are allowed",
			    quoted(c, n->ref_text));
		return -1;
	}
	at = loc->at;
	snprintf(base, sizeof(base), "%s", doc_uri);
	if (frag != NULL && frag[0] == '/')
		at = follow_pointer(c, at, frag, base, loc->draft);
	else if (frag != NULL && frag[0] != '\0') {
		loc = find_id(c, n->ref_uri);
		at = loc != NULL ? loc->at : NULL;
	}
	if (at == NULL) {
		if (!c->failed)
			cc_fail(c, "$ref %s points to nothing",
			    quoted(c, n->ref_text));
		return -1;
	}
	if (!cJSON_IsObject(at) && !cJSON_IsBool(at))
		return cc_fail(c, "$ref %s points to no schema",
		    quoted(c, n->ref_text));
	path_set(&c->path, frag != NULL ? frag : "");
	n->ref = compile(c, at, base, loc->draft);
	return n->ref != NULL ? 0 : -1;
}

/* The i-th in-place edge of n: a subschema n applies to the very
 * instance it got.  0 past the last; *out may be NULL (an edge absent). */
static int
in_place(const struct node *n, size_t i, const struct node **out)
{
	const struct node	*fixed[] = { n->ref, n->not_, n->if_, n->then_,
				    n->else_ };
	const struct nodes	*lists[] = { &n->all_of, &n->any_of,
				    &n->one_of };
	size_t			 k;

	if (i < sizeof(fixed) / sizeof(fixed[0])) {
		*out = fixed[i];
		return 1;
	}
	i -= sizeof(fixed) / sizeof(fixed[0]);
	for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		if (i < lists[k]->n) {
			*out = lists[k]->v[i];
			return 1;
		}
		i -= lists[k]->n;
	}
	if (i < n->ndeps) {
		*out = n->deps[i].schema;
		return 1;
	}
	return 0;
}

/* No cycle of in-place edges: depth-first, with an explicit stack (a
 * chain of refs may be long).  color: 1 on the path, 2 done. */
static int
check_cycles(struct cc *c)
{
	struct jschema	  *s = c->s;
	unsigned char	  *color = calloc(s->nnodes + 1, 1);
	const struct node **stack = calloc(s->nnodes + 1, sizeof(*stack));
	const struct node  *to;
	size_t		  *next = calloc(s->nnodes + 1, sizeof(*next));
	size_t		   sp, start;
	int		   rc = 0;

	if (color == NULL || stack == NULL || next == NULL) {
		rc = cc_oom(c);
		goto out;
	}
	for (start = 0; start < s->nnodes && rc == 0; start++) {
		if (color[start])
			continue;
		sp = 0;
		stack[0] = s->nodes[start];
		next[0] = 0;
		color[start] = 1;
		while (rc == 0) {
			if (!in_place(stack[sp], next[sp]++, &to)) {
				color[stack[sp]->index] = 2;
				if (sp-- == 0)
					break;
			} else if (to != NULL && color[to->index] == 1) {
				path_set(&c->path, stack[sp]->where != NULL ?
				    stack[sp]->where : "");
				rc = cc_fail(c, "%s%s%sa cycle of subschemas that "
				    "consumes no input (it would never end)",
				    stack[sp]->ref_text != NULL ? "$ref " : "",
				    stack[sp]->ref_text != NULL ?
				    quoted(c, stack[sp]->ref_text) : "",
				    stack[sp]->ref_text != NULL ? " closes " : "");
			} else if (to != NULL && color[to->index] == 0) {
				color[to->index] = 1;
				stack[++sp] = to;
				next[sp] = 0;
			}
		}
	}
out:
	free(color);
	free(stack);
	free(next);
	return rc;
}

/* ---- drafts and meta-schemas -------------------------------------------- */

static struct {
	const char	*text;
	cJSON		*doc;
	struct jschema	*compiled;
} metas[8] = {
	[4] = { jsmeta_draft04, NULL, NULL },
	[6] = { jsmeta_draft06, NULL, NULL },
	[7] = { jsmeta_draft07, NULL, NULL },
};

static const cJSON *
meta_doc(int draft)
{
	if (metas[draft].doc == NULL)
		metas[draft].doc = cJSON_Parse(metas[draft].text);
	return metas[draft].doc;
}

/* The draft $schema names; fallback when absent; -1 when unknown. */
static int
draft_of(const cJSON *schema, int fallback)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(schema, "$schema");
	char		 want[64];
	int		 d;
	size_t		 n;

	if (!cJSON_IsString(v))
		return fallback;
	for (d = 4; d <= 7; d++) {
		n = (size_t)snprintf(want, sizeof(want),
		    "http://json-schema.org/draft-%02d/schema", d);
		if (d != 5 && strncmp(v->valuestring, want, n) == 0 &&
		    (v->valuestring[n] == '\0' ||
		    strcmp(v->valuestring + n, "#") == 0))
			return d;
	}
	return -1;
}

/* Check schema against its draft's meta-schema. */
static int
meta_check(const cJSON *schema, int draft, char *err, size_t errlen)
{
	struct jschema_opts	 o = { .draft = draft, .trusted = 1 };
	struct jschema_report	 r;
	char			 why[JSCHEMA_LINE_MAX];
	int			 rc;

	if (metas[draft].compiled == NULL) {
		if (meta_doc(draft) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (jschema_compile(metas[draft].doc, &o,
		    &metas[draft].compiled, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "the draft-%02d meta-schema: %s",
			    draft, why);
			return -1;
		}
		metas[draft].compiled->formats = 0;
	}
	rc = jschema_validate(metas[draft].compiled, schema, "", &r);
	if (rc == 0)
		return 0;
	if (rc == -1)
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "%s (not a valid draft-%02d schema)",
		    r.line[0][0] == '/' ? r.line[0] + 1 : r.line[0], draft);
	return -1;
}

/* Depth and size, before anything recurses on the schema. */
static int
bounded(const cJSON *v, int depth, size_t *bytes)
{
	const cJSON	*m;

	if (depth > OSB_JSCHEMA_MAX_DEPTH)
		return -1;
	*bytes += 8 + (v->string ? strlen(v->string) : 0) +
	    (cJSON_IsString(v) ? strlen(v->valuestring) : 0);
	cJSON_ArrayForEach(m, v)
		if (bounded(m, depth + 1, bytes) == -1)
			return -1;
	return 0;
}

void
jschema_free(struct jschema *s)
{
	struct chunk	*c;
	size_t		 i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->nnodes; i++) {
		if (s->nodes[i]->pattern != NULL)
			jsregex_free(s->nodes[i]->pattern);
		for (j = 0; j < s->nodes[i]->npatprops; j++)
			jsregex_free(&s->nodes[i]->patprops[j].re);
	}
	free(s->nodes);
	for (i = 0; i < s->ndocs; i++)
		cJSON_Delete(s->docs[i]);
	free(s->docs);
	while ((c = s->arena) != NULL) {
		s->arena = c->next;
		free(c);
	}
	free(s);
}

int
jschema_compile(const cJSON *schema, const struct jschema_opts *opts,
    struct jschema **out, char *err, size_t errlen)
{
	struct cc	 c = { .opts = opts, .err = err, .errlen = errlen };
	const cJSON	*root;
	size_t		 bytes = 0, i;
	int		 draft;

	*out = NULL;
	err[0] = '\0';
	if (!cJSON_IsObject(schema) && !cJSON_IsBool(schema)) {
		snprintf(err, errlen, "(root): a schema is an object");
		return -1;
	}
	if (bounded(schema, 1, &bytes) == -1) {
		snprintf(err, errlen, "(root): nested deeper than %d levels",
		    OSB_JSCHEMA_MAX_DEPTH);
		return -1;
	}
	if (bytes > OSB_JSCHEMA_MAX_BYTES) {
		snprintf(err, errlen, "(root): the schema is bigger than %d "
		    "bytes", OSB_JSCHEMA_MAX_BYTES);
		return -1;
	}
	draft = opts != NULL && opts->draft != 0 ? opts->draft :
	    draft_of(schema, 4);
	if (draft != 4 && draft != 6 && draft != 7) {
		snprintf(err, errlen, "$schema: not a draft this validator "
		    "knows (04, 06 or 07)");
		return -1;
	}
	if (cJSON_IsBool(schema) && draft == 4) {
		snprintf(err, errlen, "(root): draft-04 has no boolean schemas");
		return -1;
	}
	if ((opts == NULL || !opts->trusted) &&
	    meta_check(schema, draft, err, errlen) == -1)
		return -1;
	if ((c.s = calloc(1, sizeof(*c.s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c.s->draft = draft;
	c.s->formats = 1;
	if ((root = add_resource(&c, schema, "", draft)) != NULL &&
	    (c.s->root = compile(&c, root, "", draft)) != NULL) {
		/* nodes made while resolving are resolved in turn */
		for (i = 0; i < c.s->nnodes && !c.failed; i++)
			if (c.s->nodes[i]->ref_uri != NULL)
				resolve_ref(&c, c.s->nodes[i]);
		if (!c.failed)
			check_cycles(&c);
	}
	for (i = 0; i < c.nids; i++)
		free(c.ids[i].uri);
	free(c.ids);
	free(c.seen);
	if (c.failed) {
		jschema_free(c.s);
		return -1;
	}
	*out = c.s;
	return 0;
}

int
jschema_draft(const struct jschema *s)
{
	return s->draft;
}

void
jschema_cleanup(void)
{
	int	d;

	for (d = 0; d < 8; d++) {
		jschema_free(metas[d].compiled);
		cJSON_Delete(metas[d].doc);
		metas[d].compiled = NULL;
		metas[d].doc = NULL;
	}
	jsregex_cleanup();
}

/* ---- validating ------------------------------------------------------------ */

struct vc {
	struct jschema_report	*r;	/* NULL: quiet (a branch of anyOf...) */
	int			 formats; /* jschema.formats */
	struct path		 path;
	unsigned long		 steps;
	int			 depth;
	int			 over;	/* a bound was passed */
	int			 oom;
};

/* One violation at the current location. */
static void
violation(struct vc *v, const char *fmt, ...)
{
	struct jschema_report	*r = v->r;
	char			*line;
	size_t			 n;
	va_list			 ap;

	if (r == NULL)
		return;
	if (r->count++ >= JSCHEMA_REPORT_MAX)
		return;
	line = r->line[r->kept++];
	n = (size_t)snprintf(line, JSCHEMA_LINE_MAX, "%s%s: ",
	    v->path.len > 0 ? v->path.buf : "(root)",
	    v->path.cut ? "/..." : "");
	if (n < JSCHEMA_LINE_MAX) {
		va_start(ap, fmt);
		vsnprintf(line + n, JSCHEMA_LINE_MAX - n, fmt, ap);
		va_end(ap);
	}
	line[whole_chars(line, strlen(line))] = '\0';	/* when cut */
}

static int validate(struct vc *, const struct node *, const cJSON *);

/* Apply n quietly: is the instance valid against it? */
static int
passes(struct vc *v, const struct node *n, const cJSON *inst)
{
	struct jschema_report	*r = v->r;
	int			 bad;

	v->r = NULL;
	bad = validate(v, n, inst);
	v->r = r;
	return !bad;
}

static unsigned
type_of(const cJSON *inst)
{
	double	d;

	if (cJSON_IsNull(inst))
		return TY_NULL;
	if (cJSON_IsBool(inst))
		return TY_BOOLEAN;
	if (cJSON_IsObject(inst))
		return TY_OBJECT;
	if (cJSON_IsArray(inst))
		return TY_ARRAY;
	if (cJSON_IsString(inst))
		return TY_STRING;
	d = inst->valuedouble;
	return TY_NUMBER | (isfinite(d) && d == floor(d) ? TY_INTEGER : 0);
}

/* In a check function: a violation when cond, reported, or when quiet
 * the end of the check (nothing more is needed to know it failed). */
#define VIOLATION_IF(cond, ...) do {					\
	if (cond) {							\
		bad = 1;						\
		if (v->r == NULL)					\
			return 1;					\
		violation(v, __VA_ARGS__);				\
	}								\
} while (0)

static int
check_type(struct vc *v, const struct node *n, const cJSON *inst)
{
	unsigned	 t = type_of(inst);
	char		 q[64], names[120];
	size_t		 i, len = 0, left = 0;

	if (n->types == 0 || (n->types & t) != 0)
		return 0;
	if (v->r == NULL)
		return 1;
	for (i = 0; i < NTYPES; i++)
		left += (n->types >> i) & 1;
	names[0] = '\0';
	for (i = 0; i < NTYPES; i++) {
		if (!((n->types >> i) & 1))
			continue;
		left--;
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
		    type_names[i], left > 1 ? ", " : left == 1 ? " or " : "");
	}
	quote(inst, q, sizeof(q));
	violation(v, "%s is not of type %s", q, names);
	return 1;
}

static int
check_values(struct vc *v, const struct node *n, const cJSON *inst)
{
	const cJSON	*e = NULL;
	char		 q[64], allowed[128];
	int		 bad = 0;

	if (n->enumv != NULL) {
		cJSON_ArrayForEach(e, n->enumv)
			if (equal(e, inst))
				break;
	}
	if (n->enumv != NULL && e == NULL) {
		if (v->r == NULL)
			return 1;
		bad = 1;
		quote_list(n->enumv, allowed, sizeof(allowed));
		quote(inst, q, sizeof(q));
		violation(v, "%s is not one of %s", q, allowed);
	}
	if (n->constv != NULL) {
		quote(inst, q, sizeof(q));
		quote(n->constv, allowed, sizeof(allowed));
		VIOLATION_IF(!equal(n->constv, inst),
		    "%s is not the required value %s", q, allowed);
	}
	return bad;
}

/* How far finite q is from the nearest integer, exactly (modf's fraction
 * and one minus it are exact).  With modf, which libc has, rather than
 * nearbyint and fmax, which are libm's: a CGI process then loads one
 * shared library less (BENCHMARKS.md). */
static double
from_integer(double q)
{
	double ip, f = fabs(modf(q, &ip));

	return f <= 0.5 ? f : 1 - f;
}

/* VIOLATION_IF() of check_number(): the instance and the bound are
 * quoted for the message only when the keyword is violated. */
#define NUM_VIOLATION_IF(cond, bound, fmt) do {				\
	if (cond) {							\
		quote_number(d, a, sizeof(a));				\
		quote_number((bound), b, sizeof(b));			\
		VIOLATION_IF(1, fmt, a, b);				\
	}								\
} while (0)

static int
check_number(struct vc *v, const struct node *n, const cJSON *inst)
{
	double	d = inst->valuedouble, q;
	char	a[40], b[40];
	int	bad = 0;

	if (n->num & NUM_MULTIPLE) {
		q = d / n->multiple;
		NUM_VIOLATION_IF(!isfinite(q) || from_integer(q) > 1e-9 *
		    (fabs(q) > 1 ? fabs(q) : 1), n->multiple,
		    "%s is not a multiple of %s");
	}
	if (n->num & NUM_MAX) {
		if (n->num & NUM_MAX_EXCL)
			NUM_VIOLATION_IF(d >= n->maximum, n->maximum, "%s is not "
			    "less than the exclusive maximum %s");
		else
			NUM_VIOLATION_IF(d > n->maximum, n->maximum, "%s is "
			    "greater than the maximum %s");
	}
	if (n->num & NUM_XMAX)
		NUM_VIOLATION_IF(d >= n->xmaximum, n->xmaximum, "%s is not less "
		    "than the exclusive maximum %s");
	if (n->num & NUM_MIN) {
		if (n->num & NUM_MIN_EXCL)
			NUM_VIOLATION_IF(d <= n->minimum, n->minimum, "%s is not "
			    "greater than the exclusive minimum %s");
		else
			NUM_VIOLATION_IF(d < n->minimum, n->minimum, "%s is less "
			    "than the minimum %s");
	}
	if (n->num & NUM_XMIN)
		NUM_VIOLATION_IF(d <= n->xminimum, n->xminimum, "%s is not "
		    "greater than the exclusive minimum %s");
	return bad;
}

static int
check_string(struct vc *v, const struct node *n, const cJSON *inst)
{
	const char	*s = inst->valuestring;
	char		 q[64], p[64], why[JSCHEMA_LINE_MAX];
	long		 len = 0;
	regex_t		 re;
	int		 bad = 0;

	if (n->max_length >= 0 || n->min_length >= 0) {
		for (const char *c = s; *c != '\0'; c++)	/* code points */
			len += ((unsigned char)*c & 0xc0) != 0x80;
		quote_string(s, q, sizeof(q));
		VIOLATION_IF(n->max_length >= 0 && len > n->max_length,
		    "%s is longer than %ld character%s", q, n->max_length,
		    n->max_length == 1 ? "" : "s");
		VIOLATION_IF(n->min_length >= 0 && len < n->min_length,
		    "%s is shorter than %ld character%s", q, n->min_length,
		    n->min_length == 1 ? "" : "s");
	}
	if (n->pattern != NULL) {
		quote_string(s, q, sizeof(q));
		quote_string(n->pattern_src, p, sizeof(p));
		VIOLATION_IF(!util_utf8_valid(s, strlen(s)) ||
		    !jsregex_search(n->pattern, s),
		    "%s does not match the pattern %s", q, p);
	}
	if (n->format != JSF_UNKNOWN && v->formats &&
	    !jsformat_valid(n->format, s)) {
		bad = 1;
		if (v->r == NULL)
			return 1;
		quote_string(s, q, sizeof(q));
		why[0] = '\0';
		if (n->format == JSF_REGEX &&
		    jsregex_compile(s, &re, why, sizeof(why)) == 0)
			jsregex_free(&re);
		violation(v, "%s is not a valid %s%s%s", q,
		    jsformat_name(n->format), why[0] ? ": " : "", why);
	}
	return bad;
}

static int
cmp_hash(const void *a, const void *b)
{
	const uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* uniqueItems: sort (hash, index) pairs; equal values are neighbours
 * among those of the same hash.  Reports the first pair found. */
static int
check_unique(struct vc *v, const cJSON *inst)
{
	size_t		 n = (size_t)cJSON_GetArraySize(inst), i, j;
	uint64_t	(*h)[2], a, b;
	const cJSON	**item, *c;
	int		 bad = 0;

	if (n < 2)
		return 0;
	if (n > OSB_JSCHEMA_UNIQUE_MAX) {
		violation(v, "has %zu items, too many to check that they are "
		    "unique (the most is %d)", n, OSB_JSCHEMA_UNIQUE_MAX);
		return 1;
	}
	h = malloc(n * sizeof(*h));
	item = malloc(n * sizeof(*item));
	if (h == NULL || item == NULL) {
		free(h);
		free(item);
		v->oom = 1;
		return 1;
	}
	i = 0;
	cJSON_ArrayForEach(c, inst) {
		item[i] = c;
		h[i][0] = hash(c);
		h[i][1] = i;
		i++;
	}
	qsort(h, n, sizeof(*h), cmp_hash);
	for (i = 0; i + 1 < n && !bad; i++)
		for (j = i + 1; j < n && h[j][0] == h[i][0] && !bad; j++)
			if (equal(item[h[i][1]], item[h[j][1]])) {
				bad = 1;
				a = h[i][1] < h[j][1] ? h[i][1] : h[j][1];
				b = h[i][1] < h[j][1] ? h[j][1] : h[i][1];
				violation(v, "items %zu and %zu are equal; they "
				    "must be unique", (size_t)a, (size_t)b);
			}
	free(h);
	free(item);
	return bad;
}

/* Apply n to item i of an array, at its location. */
static int
validate_at(struct vc *v, const struct node *n, const cJSON *inst,
    const char *key, size_t i)
{
	size_t	old = 0;
	int	bad;

	if (v->r != NULL)
		old = key != NULL ? path_push(&v->path, key) :
		    path_push_index(&v->path, i);
	bad = validate(v, n, inst);
	if (v->r != NULL)
		path_pop(&v->path, old);
	return bad;
}

/* maxItems and minItems, maxProperties and minProperties (-1: absent). */
static int
check_count(struct vc *v, size_t size, long max, long min, const char *one,
    const char *many)
{
	const char	*what = size == 1 ? one : many;
	int		 bad = 0;

	VIOLATION_IF(max >= 0 && size > (size_t)max,
	    "has %zu %s, more than the maximum %ld", size, what, max);
	VIOLATION_IF(min >= 0 && size < (size_t)min,
	    "has %zu %s, fewer than the minimum %ld", size, what, min);
	return bad;
}

static int
check_array(struct vc *v, const struct node *n, const cJSON *inst)
{
	const cJSON	*c;
	size_t		 size = (size_t)cJSON_GetArraySize(inst), i = 0;
	int		 bad = 0, found = 0;

	if ((bad = check_count(v, size, n->max_items, n->min_items, "item",
	    "items")) && v->r == NULL)
		return 1;
	cJSON_ArrayForEach(c, inst) {
		const struct node *s = n->items;

		if (n->tuple.v != NULL)
			s = i < n->tuple.n ? n->tuple.v[i] : n->additional_items;
		if (s != NULL && s->always == 0 && i >= n->tuple.n &&
		    n->tuple.v != NULL) {
			VIOLATION_IF(1, "has %zu items; no more than %zu are allowed",
			    size, n->tuple.n);
			break;
		}
		if (s != NULL && validate_at(v, s, c, NULL, i)) {
			bad = 1;
			if (v->r == NULL)
				return 1;
		}
		i++;
	}
	if (n->contains != NULL) {
		cJSON_ArrayForEach(c, inst)
			if ((found = passes(v, n->contains, c)) != 0)
				break;
		VIOLATION_IF(!found, "has no item that is valid against \"contains\"");
	}
	if (n->unique && check_unique(v, inst)) {
		bad = 1;
		if (v->r == NULL)
			return 1;
	}
	return bad;
}

/* Whether object member name is covered by properties or
 * patternProperties; applies their schemas to it. */
static int
check_member(struct vc *v, const struct node *n, const cJSON *m, int *bad)
{
	size_t	i;
	int	covered = 0;

	for (i = 0; i < n->nprops; i++)
		if (strcmp(n->props[i].name, m->string) == 0) {
			covered = 1;
			if (n->props[i].schema != NULL &&
			    validate_at(v, n->props[i].schema, m, m->string, 0))
				*bad = 1;
			break;
		}
	for (i = 0; i < n->npatprops && (!*bad || v->r != NULL); i++)
		if (jsregex_search(&n->patprops[i].re, m->string)) {
			covered = 1;
			if (n->patprops[i].schema != NULL &&
			    validate_at(v, n->patprops[i].schema, m, m->string,
			    0))
				*bad = 1;
		}
	return covered;
}

static int
check_object(struct vc *v, const struct node *n, const cJSON *inst)
{
	const cJSON	*m, *name;
	size_t		 size = (size_t)cJSON_GetArraySize(inst), i;
	char		 q[64], p[64];
	int		 bad = 0;

	if ((bad = check_count(v, size, n->max_props, n->min_props,
	    "property", "properties")) && v->r == NULL)
		return 1;
	cJSON_ArrayForEach(name, n->required) {
		if (!cJSON_IsString(name) ||
		    cJSON_HasObjectItem(inst, name->valuestring))
			continue;
		quote_string(name->valuestring, q, sizeof(q));
		VIOLATION_IF(1, "the required property %s is missing", q);
	}
	cJSON_ArrayForEach(m, inst) {
		if (!check_member(v, n, m, &bad) && n->additional_props) {
			if (n->additional_props->always == 0) {
				quote_string(m->string, q, sizeof(q));
				VIOLATION_IF(1, "unknown property %s is not allowed",
				    q);
			} else if (validate_at(v, n->additional_props, m,
			    m->string, 0))
				bad = 1;
		}
		if (bad && v->r == NULL)
			return 1;
		if (n->property_names != NULL) {
			cJSON	key = { .type = cJSON_String,
			    .valuestring = m->string };

			quote_string(m->string, q, sizeof(q));
			VIOLATION_IF(!passes(v, n->property_names, &key),
			    "the property name %s is not valid against "
			    "\"propertyNames\"", q);
		}
	}
	for (i = 0; i < n->ndeps; i++) {
		if (!cJSON_HasObjectItem(inst, n->deps[i].name))
			continue;
		if (n->deps[i].schema != NULL &&
		    validate(v, n->deps[i].schema, inst)) {
			bad = 1;
			if (v->r == NULL)
				return 1;
		}
		cJSON_ArrayForEach(name, n->deps[i].names) {
			if (!cJSON_IsString(name) ||
			    cJSON_HasObjectItem(inst, name->valuestring))
				continue;
			quote_string(n->deps[i].name, q, sizeof(q));
			quote_string(name->valuestring, p, sizeof(p));
			VIOLATION_IF(1, "the property %s requires the property %s",
			    q, p);
		}
	}
	return bad;
}

/* allOf, anyOf, oneOf, not, if/then/else. */
static int
check_combined(struct vc *v, const struct node *n, const cJSON *inst)
{
	size_t	i, matched = 0, first = 0;
	int	bad = 0;

	for (i = 0; i < n->all_of.n; i++)
		if (n->all_of.v[i] != NULL && validate(v, n->all_of.v[i], inst)) {
			bad = 1;
			if (v->r == NULL)
				return 1;
		}
	if (n->any_of.n > 0) {
		for (i = 0; i < n->any_of.n; i++)
			if (n->any_of.v[i] == NULL ||
			    passes(v, n->any_of.v[i], inst))
				break;
		VIOLATION_IF(i == n->any_of.n, "is not valid against any of the "
		    "schemas of \"anyOf\"");
	}
	if (n->one_of.n > 0) {
		for (i = 0; i < n->one_of.n && matched < 2; i++)
			if (n->one_of.v[i] == NULL ||
			    passes(v, n->one_of.v[i], inst)) {
				if (matched++ == 0)
					first = i;
			}
		VIOLATION_IF(matched == 0, "is not valid against any of the schemas "
		    "of \"oneOf\"");
		VIOLATION_IF(matched > 1, "is valid against more than one schema of "
		    "\"oneOf\" (%zu and %zu)", first, i - 1);
	}
	if (n->not_ != NULL)
		VIOLATION_IF(passes(v, n->not_, inst), "is valid against the schema "
		    "of \"not\", and must not be");
	if (n->if_ != NULL) {
		const struct node *s = passes(v, n->if_, inst) ? n->then_ :
		    n->else_;

		if (s != NULL && validate(v, s, inst))
			bad = 1;
	}
	return bad;
}

/* 0 valid, 1 invalid; v->over stops everything. */
static int
validate(struct vc *v, const struct node *n, const cJSON *inst)
{
	unsigned	t;
	int		bad = 0;

	if (v->over || v->oom)
		return 1;
	if (++v->steps > OSB_JSCHEMA_MAX_STEPS ||
	    v->depth >= OSB_JSCHEMA_MAX_DEPTH * 8) {
		v->over = 1;
		return 1;
	}
	while (n->ref != NULL)		/* its siblings are ignored */
		n = n->ref;
	if (n->always == 0)
		violation(v, "no value is allowed here");
	if (n->always >= 0)
		return !n->always;
	v->depth++;
	t = type_of(inst);
	bad |= check_type(v, n, inst);
	if (!(bad && v->r == NULL))
		bad |= check_values(v, n, inst);
	if (!(bad && v->r == NULL) && (t & TY_NUMBER))
		bad |= check_number(v, n, inst);
	if (!(bad && v->r == NULL) && t == TY_STRING)
		bad |= check_string(v, n, inst);
	if (!(bad && v->r == NULL) && t == TY_ARRAY)
		bad |= check_array(v, n, inst);
	if (!(bad && v->r == NULL) && t == TY_OBJECT)
		bad |= check_object(v, n, inst);
	if (!(bad && v->r == NULL))
		bad |= check_combined(v, n, inst);
	v->depth--;
	return bad;
}

static int
depth_of(const cJSON *v, int limit)
{
	const cJSON	*c;
	int		 d, most = 0;

	if (limit < 0)
		return 1;
	cJSON_ArrayForEach(c, v)
		if ((d = depth_of(c, limit - 1)) > most)
			most = d;
	return most + 1;
}

int
jschema_validate(const struct jschema *s, const cJSON *inst, const char *root,
    struct jschema_report *report)
{
	struct vc	v = { .r = report, .formats = s->formats };
	int		bad;

	report->count = report->kept = 0;
	path_set(&v.path, root);
	if (depth_of(inst, OSB_JSCHEMA_MAX_DEPTH) > OSB_JSCHEMA_MAX_DEPTH) {
		violation(&v, "nested deeper than %d levels",
		    OSB_JSCHEMA_MAX_DEPTH);
		return 1;
	}
	bad = validate(&v, s->root, inst);
	if (v.oom)
		return -1;
	if (v.over) {			/* what else was said is moot */
		report->count = report->kept = 0;
		path_set(&v.path, root);
		violation(&v, "validating needs more than %d steps or levels; "
		    "refused", OSB_JSCHEMA_MAX_STEPS);
	}
	return bad || v.over;
}
