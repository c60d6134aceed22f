/* SPDX-License-Identifier: ISC */
/*
 * catload.c: catalog_load_buffer(), catalog.yml's YAML read and checked
 * against the catalog rules of the spec (spec.md "Catalog Management" and
 * the objects it defines).  The only file that sees libyaml: it hands the
 * served cJSON tree and the records of offerings and plans to
 * catalog_assemble() (catalog.c), every refusal already made with its
 * file:line:col.
 *
 * libyaml reads the bytes twice.  The first pass walks the event stream to
 * refuse, at their exact place, the things the node tree can no longer show:
 * aliases (a shared node, and the "billion laughs" expansion), explicit tags
 * (a tagged "!!str 12" is indistinguishable from a plain 12 once loaded), a
 * second document, and nesting deeper than OSB_MAX_CATALOG_DEPTH (which also
 * bounds every recursion below).  The second pass uses the document API so
 * every node keeps its start_mark for messages.
 *
 * One walk over the nodes validates and builds the cJSON tree together: each
 * spec object (offering, plan, maintenance_info, ...) has a table of its
 * fields, their camelCase spellings and their types.  Keys not in a table are
 * vendor extensions and are copied as they are.  Uniqueness of ids and names
 * is checked afterwards over the collected records.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "catalog_int.h"
#include "jsonschema.h"
#include "util.h"

#define CATALOG_MAX_FIELDS	16	/* longest field table below */
#define CATALOG_LABEL		160	/* "plan \"x\": schemas: ..." */

struct loader {
	struct catalog_parts	 p;
	const char		*data;
	size_t			 len;
	yaml_document_t		 doc;
	int			 have_doc;
	struct catalog_error	*warn;		/* platform_checks(): kept */
	size_t			 nwarn;
	size_t			 allwarn;	/* found */
};

enum stype { ST_STRING, ST_NULL, ST_BOOL, ST_INT, ST_FLOAT, ST_BADNUM };

enum ftype {
	FT_ID,		/* non-empty string, at most OSB_MAX_CATALOG_ID_LEN */
	FT_NAME,	/* FT_ID and CLI-friendly */
	FT_TEXT,	/* non-empty string */
	FT_STRING,	/* any string */
	FT_BOOL,
	FT_STRINGS,	/* sequence of strings */
	FT_REQUIRES,	/* sequence of the permissions the spec names */
	FT_MAPPING,	/* any mapping, copied as it is */
	FT_POSINT,
	FT_SEMVER,
	FT_OBJECT,	/* a spec object with its own table */
	FT_SERVICES,
	FT_PLANS,
	FT_SCHEMA,	/* a JSON Schema */
	FT_BROKER,	/* "osbroker": kept apart, never served */
	FT_REFUSED
};

struct objspec;

struct field {
	const char		*name;	/* the spec's spelling, served */
	const char		*camel;	/* early brokers' spelling, or NULL */
	enum ftype		 type;
	int			 required;
	const struct objspec	*sub;	/* FT_OBJECT only */
};

struct objspec {
	const struct field	*fields;
	size_t			 nfields;
};

#define SPEC(t)	{ (t), sizeof(t) / sizeof((t)[0]) }

/* spec.md "Input Parameters Schema Object" */
static const struct field params_fields[] = {
	{ "parameters", NULL, FT_SCHEMA, 0, NULL },
};
static const struct objspec params_spec = SPEC(params_fields);

/* spec.md "Service Instance Schema Object" */
static const struct field si_fields[] = {
	{ "create", NULL, FT_OBJECT, 0, &params_spec },
	{ "update", NULL, FT_OBJECT, 0, &params_spec },
};
static const struct objspec si_spec = SPEC(si_fields);

/* spec.md "Service Binding Schema Object" */
static const struct field sb_fields[] = {
	{ "create", NULL, FT_OBJECT, 0, &params_spec },
};
static const struct objspec sb_spec = SPEC(sb_fields);

/* spec.md "Schemas Object" */
static const struct field schemas_fields[] = {
	{ "service_instance", "serviceInstance", FT_OBJECT, 0, &si_spec },
	{ "service_binding", "serviceBinding", FT_OBJECT, 0, &sb_spec },
};
static const struct objspec schemas_spec = SPEC(schemas_fields);

/* spec.md "Maintenance Info Object" */
static const struct field maint_fields[] = {
	{ "version", NULL, FT_SEMVER, 1, NULL },
	{ "description", NULL, FT_STRING, 0, NULL },
};
static const struct objspec maint_spec = SPEC(maint_fields);

/* profile.md "Dashboard Client Object": id and secret are required there. */
static const struct field dash_fields[] = {
	{ "id", NULL, FT_TEXT, 1, NULL },
	{ "secret", NULL, FT_TEXT, 1, NULL },
	{ "redirect_uri", "redirectUri", FT_STRING, 0, NULL },
};
static const struct objspec dash_spec = SPEC(dash_fields);

/* spec.md "Service Plan Object".  id and name must stay first (F_ID, F_NAME). */
static const struct field plan_fields[] = {
	{ "id", NULL, FT_ID, 1, NULL },
	{ "name", NULL, FT_NAME, 1, NULL },
	{ "description", NULL, FT_TEXT, 1, NULL },
	{ "metadata", NULL, FT_MAPPING, 0, NULL },
	{ "free", NULL, FT_BOOL, 0, NULL },
	{ "bindable", NULL, FT_BOOL, 0, NULL },
	{ "binding_rotatable", "bindingRotatable", FT_BOOL, 0, NULL },
	{ "plan_updateable", "planUpdateable", FT_BOOL, 0, NULL },
	{ "schemas", NULL, FT_OBJECT, 0, &schemas_spec },
	{ "maximum_polling_duration", "maximumPollingDuration", FT_POSINT, 0,
	    NULL },
	{ "maintenance_info", "maintenanceInfo", FT_OBJECT, 0, &maint_spec },
	{ "osbroker", NULL, FT_BROKER, 0, NULL },
};
static const struct objspec plan_spec = SPEC(plan_fields);

/* spec.md "Service Offering Object".  id and name first, as for plans. */
static const struct field service_fields[] = {
	{ "id", NULL, FT_ID, 1, NULL },
	{ "name", NULL, FT_NAME, 1, NULL },
	{ "description", NULL, FT_TEXT, 1, NULL },
	{ "bindable", NULL, FT_BOOL, 1, NULL },
	{ "tags", NULL, FT_STRINGS, 0, NULL },
	{ "requires", NULL, FT_REQUIRES, 0, NULL },
	{ "instances_retrievable", "instancesRetrievable", FT_BOOL, 0, NULL },
	{ "bindings_retrievable", "bindingsRetrievable", FT_BOOL, 0, NULL },
	{ "allow_context_updates", "allowContextUpdates", FT_BOOL, 0, NULL },
	{ "plan_updateable", "planUpdateable", FT_BOOL, 0, NULL },
	{ "metadata", NULL, FT_MAPPING, 0, NULL },
	{ "dashboard_client", "dashboardClient", FT_OBJECT, 0, &dash_spec },
	{ "plans", NULL, FT_PLANS, 1, NULL },
	{ "osbroker", NULL, FT_BROKER, 0, NULL },
};
static const struct objspec service_spec = SPEC(service_fields);

_Static_assert(sizeof(service_fields) / sizeof(service_fields[0]) <=
    CATALOG_MAX_FIELDS, "CATALOG_MAX_FIELDS too small");
_Static_assert(sizeof(plan_fields) / sizeof(plan_fields[0]) <=
    CATALOG_MAX_FIELDS, "CATALOG_MAX_FIELDS too small");

/*
 * The document.  "osbroker" is refused here rather than copied: an operator
 * who puts broker settings at the top expects them to be private, and a
 * served copy would leak them.
 */
static const struct field top_fields[] = {
	{ "services", NULL, FT_SERVICES, 1, NULL },
	{ "osbroker", NULL, FT_REFUSED, 0, NULL },
};
static const struct objspec top_spec = SPEC(top_fields);

#define F_ID	0
#define F_NAME	1

static int	 to_json(struct loader *, const yaml_node_t *, int, cJSON **);
static int	 convert_object(struct loader *, const yaml_node_t *,
		    const struct objspec *, const char *, int, cJSON **,
		    const yaml_node_t **, cJSON **);

static int
fail(struct loader *c, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct catalog_mark
mark_of(const yaml_mark_t *m)
{
	struct catalog_mark at;

	at.line = m->line;
	at.column = m->column;
	return at;
}

static int
fail(struct loader *c, const yaml_mark_t *m, const char *fmt, ...)
{
	struct catalog_mark at;
	va_list ap;

	if (m != NULL)
		at = mark_of(m);
	va_start(ap, fmt);
	catalog_vfail(c->p.err, m != NULL ? &at : NULL, fmt, ap);
	va_end(ap);
	return -1;
}

static int
oom(struct loader *c)
{
	return fail(c, NULL, "out of memory");
}

/*
 * Add item to an object (key) or an array (key NULL).  cJSON copies the key
 * and, when that copy fails, neither adds nor frees the item.
 */
static int
add_item(struct loader *c, cJSON *to, const char *key, cJSON *item)
{
	cJSON_bool ok;

	ok = key != NULL ? cJSON_AddItemToObject(to, key, item) :
	    cJSON_AddItemToArray(to, item);
	if (ok)
		return 0;
	cJSON_Delete(item);
	return oom(c);
}

static const yaml_node_t *
node_at(struct loader *c, int i)
{
	return yaml_document_get_node(&c->doc, i);
}

static const char *
sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int
is_alnum(int ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z');
}

static int
is_one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* YAML 1.2 core schema "int": [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ */
static int
core_int(const char *s, size_t len, double *d)
{
	size_t i = 0;
	int base = 10, dv;
	double v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
		base = s[1] == 'o' ? 8 : 16;
		i = 2;
	} else if (len > 0 && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (i == len)
		return 0;
	for (; i < len; i++) {
		dv = util_hex_value((unsigned char)s[i]);
		if (dv < 0 || dv >= base)
			return 0;
		v = v * base + dv;
	}
	/* strtod rounds decimal digits correctly; 0o and 0x it cannot read. */
	*d = base == 10 ? strtod(s, NULL) : v;
	return 1;
}

/* core "float": [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
core_float(const char *s, size_t len)
{
	size_t i = 0, digits = 0, exp = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < len && is_digit((unsigned char)s[i]); i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && is_digit((unsigned char)s[i]); i++)
			digits++;
	if (digits == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < len && is_digit((unsigned char)s[i]); i++)
			exp++;
		if (exp == 0)
			return 0;
	}
	return i == len;
}

/*
 * Resolve a scalar as the YAML 1.2 core schema does.  Only plain scalars
 * are resolved; quoted and block scalars are always strings, which is how
 * an operator writes "12345" as an id.  YAML 1.1's yes/no/on/off stay
 * strings.  Infinities, NaN and overflowing numbers have no JSON form.
 */
static enum stype
scalar_type(const yaml_node_t *n, double *num)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL",
	    NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	static const char *const inf[] = { ".inf", ".Inf", ".INF", "+.inf",
	    "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN",
	    ".NAN", NULL };
	const char *s = sval(n);
	size_t len = n->data.scalar.length;
	enum stype t;
	double d = 0;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    memchr(s, '\0', len) != NULL)
		return ST_STRING;
	if (is_one_of(s, nulls))
		return ST_NULL;
	if (is_one_of(s, trues) || is_one_of(s, falses)) {
		if (num != NULL)
			*num = is_one_of(s, trues);
		return ST_BOOL;
	}
	if (is_one_of(s, inf))
		return ST_BADNUM;
	if (core_int(s, len, &d))
		t = ST_INT;
	else if (core_float(s, len)) {
		d = strtod(s, NULL);
		t = ST_FLOAT;
	} else
		return ST_STRING;
	if (!isfinite(d))
		return ST_BADNUM;
	if (num != NULL)
		*num = d;
	return t;
}

static const char *
stype_name(enum stype t)
{
	switch (t) {
	case ST_NULL:
		return "null";
	case ST_BOOL:
		return "a boolean";
	case ST_STRING:
		return "a string";
	default:
		return "a number";
	}
}

static int
is_string(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && scalar_type(n, NULL) == ST_STRING;
}

/* The value of key in a mapping node, or NULL. */
static const yaml_node_t *
map_get(struct loader *c, const yaml_node_t *map, const char *key)
{
	const yaml_node_pair_t *p;
	const yaml_node_t *k;
	size_t len = strlen(key);

	if (map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = node_at(c, p->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.length == len && memcmp(sval(k), key, len) == 0)
			return node_at(c, p->value);
	}
	return NULL;
}

/* "plan \"tiny\"" when the name is readable, else "plan #2". */
static void
make_label(struct loader *c, const yaml_node_t *n, const char *kind, size_t i,
    char *buf, size_t size)
{
	const yaml_node_t *name = map_get(c, n, "name");

	if (name != NULL && is_string(name) && name->data.scalar.length > 0 &&
	    memchr(sval(name), '\0', name->data.scalar.length) == NULL)
		snprintf(buf, size, "%s \"%.64s\"", kind, sval(name));
	else
		snprintf(buf, size, "%s #%zu", kind, i + 1);
}

/* ---- First pass: the event stream. ---- */

/* libyaml's reader errors carry a byte offset, not a mark. */
static int
reader_fail(struct loader *c, const yaml_parser_t *p)
{
	yaml_mark_t m;
	size_t i, end = p->problem_offset;

	memset(&m, 0, sizeof(m));
	if (end > c->len)
		end = c->len;
	for (i = 0; i < end; i++) {
		if (c->data[i] == '\n') {
			m.line++;
			m.column = 0;
		} else
			m.column++;
	}
	return fail(c, &m, "%s", p->problem != NULL ? p->problem :
	    "cannot read input");
}

static int
parser_fail(struct loader *c, const yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR)
		return oom(c);
	if (p->error == YAML_READER_ERROR)
		return reader_fail(c, p);
	if (p->context != NULL)
		return fail(c, &p->problem_mark, "%s (%s at line %zu)",
		    p->problem != NULL ? p->problem : "syntax error",
		    p->context, p->context_mark.line + 1);
	return fail(c, &p->problem_mark, "%s",
	    p->problem != NULL ? p->problem : "syntax error");
}

static int
check_event(struct loader *c, const yaml_event_t *ev, int *depth, int *docs)
{
	const yaml_char_t *tag = NULL;
	int nest = 0;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		/* A second document is refused, not ignored: half a file
		 * silently unused is worse than an error. */
		if (++*docs > 1)
			return fail(c, &ev->start_mark, "more than one YAML "
			    "document; a catalog is a single document");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail(c, &ev->start_mark, "aliases are not supported");
	case YAML_SCALAR_EVENT:
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		tag = ev->data.sequence_start.tag;
		nest = 1;
		break;
	case YAML_MAPPING_START_EVENT:
		tag = ev->data.mapping_start.tag;
		nest = 1;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		--*depth;
		return 0;
	default:
		return 0;
	}
	if (tag != NULL)
		return fail(c, &ev->start_mark, "YAML tags (%.64s) are not "
		    "supported; quote a value to make it a string",
		    (const char *)tag);
	if (nest && ++*depth > OSB_MAX_CATALOG_DEPTH)
		return fail(c, &ev->start_mark, "nested deeper than %d levels",
		    OSB_MAX_CATALOG_DEPTH);
	return 0;
}

static int
scan_events(struct loader *c)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, docs = 0, rc = 0, end = 0;

	if (!yaml_parser_initialize(&p))
		return oom(c);
	yaml_parser_set_input_string(&p, (const unsigned char *)c->data,
	    c->len);
	while (rc == 0 && !end) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parser_fail(c, &p);
			break;
		}
		rc = check_event(c, &ev, &depth, &docs);
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

static int
load_document(struct loader *c)
{
	yaml_parser_t p;
	int rc = 0;

	if (!yaml_parser_initialize(&p))
		return oom(c);
	yaml_parser_set_input_string(&p, (const unsigned char *)c->data,
	    c->len);
	/* On failure libyaml has already freed the partial document. */
	if (yaml_parser_load(&p, &c->doc))
		c->have_doc = 1;
	else
		rc = parser_fail(c, &p);
	yaml_parser_delete(&p);
	return rc;
}

/* ---- Generic conversion: any node to cJSON. ---- */

/*
 * A use of a string that must be unique: a key in a mapping, an id or a
 * name.  group is compared first (names of plans are unique per offering),
 * seq is the order in the file.
 */
struct dupref {
	size_t			 group;
	const char		*s;
	struct catalog_mark	 mark;
	size_t			 seq;
};

/* Order by group, then string (ASCII case folded when fold), then seq. */
static int
dupref_order(const struct dupref *x, const struct dupref *y, int fold)
{
	int d;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if ((d = fold ? strcasecmp(x->s, y->s) : strcmp(x->s, y->s)) != 0)
		return d;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
dupref_cmp(const void *a, const void *b)
{
	return dupref_order(a, b, 0);
}

/* Plan names: they are ASCII (cli_friendly()), so this folding is exact. */
static int
dupref_fold_cmp(const void *a, const void *b)
{
	return dupref_order(a, b, 1);
}

static int
dupref_same(const struct dupref *x, const struct dupref *y, int fold)
{
	return x->group == y->group &&
	    (fold ? strcasecmp(x->s, y->s) : strcmp(x->s, y->s)) == 0;
}

/*
 * Sort r and return the second use that comes first in the file (its
 * first use is just before it), or NULL.  Sorting keeps this O(n log n):
 * a hostile file may hold 100k keys.
 */
static const struct dupref *
find_duplicate(struct dupref *r, size_t n, int fold)
{
	const struct dupref *dup = NULL;
	size_t i;

	qsort(r, n, sizeof(*r), fold ? dupref_fold_cmp : dupref_cmp);
	for (i = 1; i < n; i++)
		if (dupref_same(&r[i - 1], &r[i], fold) &&
		    (i < 2 || !dupref_same(&r[i - 2], &r[i], fold)) &&
		    (dup == NULL || r[i].seq < dup->seq))
			dup = &r[i];
	return dup;
}

/* Report the second use that comes first in the file.  Frees r. */
static int
report_duplicate(struct loader *c, struct dupref *r, size_t n,
    const char *what)
{
	const struct dupref *dup = find_duplicate(r, n, 0);
	int rc = 0;

	if (dup != NULL)
		rc = catalog_fail(c->p.err, &dup->mark, "duplicate %s \"%.64s\" "
		    "(first at line %zu)", what, dup->s, dup[-1].mark.line + 1);
	free(r);
	return rc;
}

/* Keys must be strings (JSON has no other kind) and unique. */
static int
check_keys(struct loader *c, const yaml_node_t *map)
{
	const yaml_node_pair_t *p, *start = map->data.mapping.pairs.start;
	size_t n = map->data.mapping.pairs.top - start;
	const yaml_node_t *k;
	struct dupref *r;
	enum stype t;

	for (p = start; p < map->data.mapping.pairs.top; p++) {
		k = node_at(c, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return fail(c, &k->start_mark,
			    "mapping keys must be strings");
		if (memchr(sval(k), '\0', k->data.scalar.length) != NULL)
			return fail(c, &k->start_mark,
			    "mapping keys must not contain NUL");
		if ((t = scalar_type(k, NULL)) != ST_STRING)
			return fail(c, &k->start_mark, "key \"%.64s\" is %s, "
			    "not a string; quote it", sval(k), stype_name(t));
	}
	if (n < 2)
		return 0;
	if ((r = calloc(n, sizeof(*r))) == NULL)
		return oom(c);
	for (p = start; p < map->data.mapping.pairs.top; p++) {
		k = node_at(c, p->key);
		r[p - start].s = sval(k);
		r[p - start].mark = mark_of(&k->start_mark);
		r[p - start].seq = p - start;
	}
	return report_duplicate(c, r, n, "key");
}

static int
scalar_json(struct loader *c, const yaml_node_t *n, cJSON **out)
{
	double d = 0;

	switch (scalar_type(n, &d)) {
	case ST_NULL:
		*out = cJSON_CreateNull();
		break;
	case ST_BOOL:
		*out = cJSON_CreateBool(d != 0);
		break;
	case ST_INT:
	case ST_FLOAT:
		*out = cJSON_CreateNumber(d);
		break;
	case ST_BADNUM:
		return fail(c, &n->start_mark, "%.64s cannot be represented "
		    "in JSON; quote it to make it a string", sval(n));
	case ST_STRING:
		if (memchr(sval(n), '\0', n->data.scalar.length) != NULL)
			return fail(c, &n->start_mark,
			    "strings must not contain NUL");
		*out = cJSON_CreateString(sval(n));
		break;
	}
	return *out == NULL ? oom(c) : 0;
}

static int
seq_json(struct loader *c, const yaml_node_t *n, int depth, cJSON **out)
{
	const yaml_node_item_t *i;
	cJSON *arr, *item;

	if ((arr = cJSON_CreateArray()) == NULL)
		return oom(c);
	for (i = n->data.sequence.items.start;
	    i < n->data.sequence.items.top; i++) {
		if (to_json(c, node_at(c, *i), depth + 1, &item) == -1 ||
		    add_item(c, arr, NULL, item) == -1)
			goto fail;
	}
	*out = arr;
	return 0;
fail:
	cJSON_Delete(arr);
	return -1;
}

static int
map_json(struct loader *c, const yaml_node_t *n, int depth, cJSON **out)
{
	const yaml_node_pair_t *p;
	cJSON *obj, *item;

	if (check_keys(c, n) == -1)
		return -1;
	if ((obj = cJSON_CreateObject()) == NULL)
		return oom(c);
	for (p = n->data.mapping.pairs.start;
	    p < n->data.mapping.pairs.top; p++) {
		if (to_json(c, node_at(c, p->value), depth + 1, &item) == -1 ||
		    add_item(c, obj, sval(node_at(c, p->key)), item) == -1)
			goto fail;
	}
	*out = obj;
	return 0;
fail:
	cJSON_Delete(obj);
	return -1;
}

static int
to_json(struct loader *c, const yaml_node_t *n, int depth, cJSON **out)
{
	/* The event pass already bounds depth; this keeps the bound local. */
	if (depth > OSB_MAX_CATALOG_DEPTH + 1)
		return fail(c, &n->start_mark, "nested deeper than %d levels",
		    OSB_MAX_CATALOG_DEPTH);
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return scalar_json(c, n, out);
	case YAML_SEQUENCE_NODE:
		return seq_json(c, n, depth, out);
	case YAML_MAPPING_NODE:
		return map_json(c, n, depth, out);
	default:
		return fail(c, &n->start_mark, "empty node");
	}
}

/* ---- Typed fields. ---- */

static int
want_string(struct loader *c, const yaml_node_t *v, const char *label,
    const char *key)
{
	enum stype t;

	if (v->type != YAML_SCALAR_NODE)
		return fail(c, &v->start_mark, "%s: \"%s\" must be a string",
		    label, key);
	if ((t = scalar_type(v, NULL)) != ST_STRING)
		return fail(c, &v->start_mark, "%s: \"%s\" must be a string, "
		    "not %s%s", label, key, stype_name(t),
		    t == ST_NULL ? "" : "; quote it");
	if (memchr(sval(v), '\0', v->data.scalar.length) != NULL)
		return fail(c, &v->start_mark, "%s: \"%s\" must not contain "
		    "NUL", label, key);
	return 0;
}

/*
 * spec.md "Catalog Management", Body: a CLI-friendly name uses only
 * alphanumerics, periods and hyphens; '_' is accepted too, as early
 * brokers used it and CLIs handle it.
 */
static int
cli_friendly(const char *s)
{
	for (; *s != '\0'; s++)
		if (!is_alnum((unsigned char)*s) && *s != '.' && *s != '-' &&
		    *s != '_')
			return 0;
	return 1;
}

static int
conv_string(struct loader *c, const struct field *f, const char *key,
    const yaml_node_t *v, const char *label, cJSON **out)
{
	size_t len;

	if (want_string(c, v, label, key) == -1)
		return -1;
	len = v->data.scalar.length;
	if (len == 0 && f->type != FT_STRING)
		return fail(c, &v->start_mark, "%s: \"%s\" must not be empty",
		    label, key);
	if ((f->type == FT_ID || f->type == FT_NAME) && len > OSB_MAX_CATALOG_ID_LEN)
		return fail(c, &v->start_mark, "%s: \"%s\" is longer than %d "
		    "bytes", label, key, OSB_MAX_CATALOG_ID_LEN);
	if (f->type == FT_NAME && !cli_friendly(sval(v)))
		return fail(c, &v->start_mark, "%s: \"%s\" may contain only "
		    "letters, digits, '.', '_' and '-'", label, key);
	if ((*out = cJSON_CreateString(sval(v))) == NULL)
		return oom(c);
	return 0;
}

static int
conv_bool(struct loader *c, const char *key, const yaml_node_t *v,
    const char *label, cJSON **out)
{
	double d = 0;

	if (v->type != YAML_SCALAR_NODE || scalar_type(v, &d) != ST_BOOL)
		return fail(c, &v->start_mark, "%s: \"%s\" must be true or "
		    "false", label, key);
	if ((*out = cJSON_CreateBool(d != 0)) == NULL)
		return oom(c);
	return 0;
}

/* spec.md "Service Offering Object", requires: only these three. */
static int
conv_strings(struct loader *c, const struct field *f, const char *key,
    const yaml_node_t *v, const char *label, cJSON **out)
{
	static const char *const perms[] = { "syslog_drain",
	    "route_forwarding", "volume_mount", NULL };
	const yaml_node_item_t *i;
	const yaml_node_t *item;
	cJSON *arr, *s;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail(c, &v->start_mark, "%s: \"%s\" must be a sequence "
		    "of strings", label, key);
	if ((arr = cJSON_CreateArray()) == NULL)
		return oom(c);
	for (i = v->data.sequence.items.start;
	    i < v->data.sequence.items.top; i++) {
		item = node_at(c, *i);
		if (!is_string(item) ||
		    memchr(sval(item), '\0', item->data.scalar.length)) {
			fail(c, &item->start_mark, "%s: every item of \"%s\" "
			    "must be a string", label, key);
			goto fail;
		}
		if (f->type == FT_REQUIRES && !is_one_of(sval(item), perms)) {
			fail(c, &item->start_mark, "%s: \"%s\": unknown "
			    "permission \"%.64s\" (syslog_drain, "
			    "route_forwarding or volume_mount)", label, key,
			    sval(item));
			goto fail;
		}
		if ((s = cJSON_CreateString(sval(item))) == NULL) {
			oom(c);
			goto fail;
		}
		if (add_item(c, arr, NULL, s) == -1)
			goto fail;
	}
	*out = arr;
	return 0;
fail:
	cJSON_Delete(arr);
	return -1;
}

/* spec.md "Service Plan Object": maximum_polling_duration, in seconds. */
static int
conv_posint(struct loader *c, const char *key, const yaml_node_t *v,
    const char *label, cJSON **out)
{
	double d = 0;

	if (v->type != YAML_SCALAR_NODE || scalar_type(v, &d) != ST_INT ||
	    d < 1 || d > INT32_MAX)
		return fail(c, &v->start_mark, "%s: \"%s\" must be a whole "
		    "number from 1 to %" PRId32, label, key, INT32_MAX);
	if ((*out = cJSON_CreateNumber(d)) == NULL)
		return oom(c);
	return 0;
}

/* One dot-separated part of a version; returns identifiers, or -1. */
static int
semver_part(const char *s, size_t len, int numeric_only, int no_zeros)
{
	size_t i, j, start = 0;
	int n = 0, digits;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (i == start)
			return -1;
		for (j = start, digits = 1; j < i; j++) {
			if (is_digit((unsigned char)s[j]))
				continue;
			if (numeric_only || (!is_alnum((unsigned char)s[j]) &&
			    s[j] != '-'))
				return -1;
			digits = 0;
		}
		if (no_zeros && digits && i - start > 1 && s[start] == '0')
			return -1;
		n++;
		start = i + 1;
	}
	return n;
}

/* Semantic Versioning 2.0.0: MAJOR.MINOR.PATCH[-pre.release][+build]. */
static int
semver_valid(const char *s, size_t len)
{
	size_t core = strcspn(s, "-+");
	const char *plus = memchr(s, '+', len);
	size_t pre_end = plus != NULL ? (size_t)(plus - s) : len;

	if (semver_part(s, core, 1, 1) != 3)
		return 0;
	if (core < pre_end &&
	    semver_part(s + core + 1, pre_end - core - 1, 0, 1) < 1)
		return 0;
	if (plus != NULL && semver_part(plus + 1, len - pre_end - 1, 0, 0) < 1)
		return 0;
	return 1;
}

/* spec.md "Maintenance Info Object": version MUST be semver 2.0. */
static int
conv_semver(struct loader *c, const char *key, const yaml_node_t *v,
    const char *label, cJSON **out)
{
	if (v->type != YAML_SCALAR_NODE || scalar_type(v, NULL) != ST_STRING ||
	    !semver_valid(sval(v), v->data.scalar.length))
		return fail(c, &v->start_mark, "%s: \"%s\" must be a Semantic "
		    "Versioning 2.0 string such as 1.0.0", label, key);
	if ((*out = cJSON_CreateString(sval(v))) == NULL)
		return oom(c);
	return 0;
}

/*
 * spec.md "Input Parameters Schema Object": schemas MUST NOT contain
 * external references.  A "$ref" with a string value not starting with '#'
 * points outside the schema.
 */
static int
check_refs(struct loader *c, const yaml_node_t *n)
{
	const yaml_node_pair_t *p;
	const yaml_node_item_t *i;
	const yaml_node_t *k, *v;

	if (n->type == YAML_SEQUENCE_NODE)
		for (i = n->data.sequence.items.start;
		    i < n->data.sequence.items.top; i++)
			if (check_refs(c, node_at(c, *i)) == -1)
				return -1;
	if (n->type != YAML_MAPPING_NODE)
		return 0;
	for (p = n->data.mapping.pairs.start;
	    p < n->data.mapping.pairs.top; p++) {
		k = node_at(c, p->key);
		v = node_at(c, p->value);
		if (strcmp(sval(k), "$ref") == 0 && is_string(v) &&
		    sval(v)[0] != '#')
			return fail(c, &v->start_mark, "external \"$ref\" "
			    "%.64s is not allowed; schemas must be "
			    "self-contained", sval(v));
		if (check_refs(c, v) == -1)
			return -1;
	}
	return 0;
}

static int
conv_schema(struct loader *c, const char *key, const yaml_node_t *v,
    const char *label, int depth, cJSON **out)
{
	const yaml_node_t *s;
	struct jschema *js;
	char *text, msg[OSB_MAX_MESSAGE_LEN];
	size_t len;

	if (v->type != YAML_MAPPING_NODE)
		return fail(c, &v->start_mark, "%s: \"%s\" must be a mapping "
		    "(a JSON Schema)", label, key);
	if (to_json(c, v, depth, out) == -1)
		return -1;
	if ((s = map_get(c, v, "$schema")) != NULL && !is_string(s)) {
		fail(c, &s->start_mark, "%s: \"$schema\" must be a string",
		    label);
		goto fail;
	}
	if (check_refs(c, v) == -1)
		goto fail;
	if ((text = cJSON_PrintUnformatted(*out)) == NULL) {
		oom(c);
		goto fail;
	}
	len = strlen(text);
	cJSON_free(text);
	if (len > OSB_MAX_SCHEMA_LEN) {
		fail(c, &v->start_mark, "%s: \"%s\" is %zu bytes as JSON; at "
		    "most %d are allowed", label, key, len, OSB_MAX_SCHEMA_LEN);
		goto fail;
	}
	/* Valid for its draft (its meta-schema), and usable: compiled once
	 * here and dropped; requests compile it again (catalog_schema()). */
	if (jschema_compile(*out, NULL, &js, msg, sizeof(msg)) == -1) {
		fail(c, &v->start_mark, "%s: \"%s\" is not a usable JSON "
		    "Schema: %s", label, key, msg);
		goto fail;
	}
	jschema_free(js);
	return 0;
fail:
	cJSON_Delete(*out);
	*out = NULL;
	return -1;
}

static int
conv_mapping(struct loader *c, const char *key, const yaml_node_t *v,
    const char *label, int depth, cJSON **out)
{
	if (v->type != YAML_MAPPING_NODE)
		return fail(c, &v->start_mark, "%s: \"%s\" must be a mapping",
		    label, key);
	return to_json(c, v, depth, out);
}

/*
 * The two sequences of spec objects: "services" at the top, "plans" in each
 * offering.  Each item is converted with its table and recorded for the
 * final checks; a plan records its offering (the one being converted, which
 * is recorded after its plans), an offering its plans.
 */
struct seqspec {
	const char		*kind;		/* for labels: "plan #2" */
	const struct objspec	*spec;
	size_t			 min;		/* fewest items */
	int			 labelled;	/* messages name the parent */
	const char		*want;		/* what it must be */
	int			 plans;		/* records go to plans[] */
};

/* spec.md "Catalog Management", Body: services MAY be empty. */
static const struct seqspec services_seq = { "service", &service_spec, 0, 0,
    "a sequence of service offerings", 0 };
static const struct seqspec plans_seq = { "plan", &plan_spec, 1, 1,
    "a sequence of at least one plan", 1 };

static int
conv_seq(struct loader *c, const struct seqspec *ss, const char *key,
    const yaml_node_t *v, const char *label, int depth, cJSON **out)
{
	const yaml_node_t *found[CATALOG_MAX_FIELDS] = { 0 }, *item;
	const yaml_node_item_t *i;
	char sub[CATALOG_LABEL];
	cJSON *arr, *obj = NULL, *broker;
	struct catalog_rec r;

	if (v->type != YAML_SEQUENCE_NODE || (size_t)(v->data.sequence.items.
	    top - v->data.sequence.items.start) < ss->min)
		return fail(c, &v->start_mark, "%s%s\"%s\" must be %s",
		    ss->labelled ? label : "", ss->labelled ? ": " : "", key,
		    ss->want);
	if ((arr = cJSON_CreateArray()) == NULL)
		return oom(c);
	for (i = v->data.sequence.items.start;
	    i < v->data.sequence.items.top; i++) {
		item = node_at(c, *i);
		make_label(c, item, ss->kind, i - v->data.sequence.items.start,
		    sub, sizeof(sub));
		memset(&r, 0, sizeof(r));
		r.svc = c->p.svcs.n;
		r.first = c->p.plans.n;
		broker = NULL;
		if (convert_object(c, item, ss->spec, sub, depth + 1, &obj,
		    found, &broker) == -1)
			goto fail;
		r.json = obj;
		if (add_item(c, arr, NULL, obj) == -1) {
			cJSON_Delete(broker);
			goto fail;
		}
		if (catalog_keep_broker(&c->p, broker, &r) == -1)
			goto fail;
		r.idmark = mark_of(&found[F_ID]->start_mark);
		r.namemark = mark_of(&found[F_NAME]->start_mark);
		r.nplans = c->p.plans.n - r.first;
		if (catalog_parts_push(&c->p, ss->plans ? &c->p.plans :
		    &c->p.svcs, &r) == -1)
			goto fail;
	}
	*out = arr;
	return 0;
fail:
	cJSON_Delete(arr);
	return -1;
}
static int
convert_field(struct loader *c, const struct field *f, const char *key,
    const yaml_node_t *v, const char *label, int depth, cJSON **out)
{
	char sub[CATALOG_LABEL];

	switch (f->type) {
	case FT_ID:
	case FT_NAME:
	case FT_TEXT:
	case FT_STRING:
		return conv_string(c, f, key, v, label, out);
	case FT_BOOL:
		return conv_bool(c, key, v, label, out);
	case FT_STRINGS:
	case FT_REQUIRES:
		return conv_strings(c, f, key, v, label, out);
	case FT_MAPPING:
	case FT_BROKER:
		return conv_mapping(c, key, v, label, depth, out);
	case FT_POSINT:
		return conv_posint(c, key, v, label, out);
	case FT_SEMVER:
		return conv_semver(c, key, v, label, out);
	case FT_SCHEMA:
		return conv_schema(c, key, v, label, depth, out);
	case FT_OBJECT:
		snprintf(sub, sizeof(sub), "%s: %s", label, f->name);
		return convert_object(c, v, f->sub, sub, depth, out, NULL,
		    NULL);
	case FT_PLANS:
		return conv_seq(c, &plans_seq, key, v, label, depth, out);
	case FT_SERVICES:
		return conv_seq(c, &services_seq, key, v, label, depth, out);
	case FT_REFUSED:
		break;
	}
	return fail(c, &v->start_mark, "%s: \"%s\" is allowed only in a "
	    "service or a plan", label, key);
}

static const struct field *
find_field(const struct objspec *spec, const char *key, size_t *idx)
{
	size_t i;

	for (i = 0; i < spec->nfields; i++) {
		if (strcmp(key, spec->fields[i].name) == 0 ||
		    (spec->fields[i].camel != NULL &&
		    strcmp(key, spec->fields[i].camel) == 0)) {
			*idx = i;
			return &spec->fields[i];
		}
	}
	return NULL;
}

static int
check_required(struct loader *c, const yaml_node_t *n, const struct objspec *spec,
    const char *label, const yaml_node_t **found)
{
	size_t i;

	for (i = 0; i < spec->nfields; i++)
		if (spec->fields[i].required && found[i] == NULL)
			return fail(c, &n->start_mark, "%s: missing required "
			    "field \"%s\"", label, spec->fields[i].name);
	return 0;
}

/*
 * Convert one key/value of a spec object.  Known keys are served under the
 * spec's spelling; both spellings in one mapping is an error because one of
 * them would silently lose.  Unknown keys are vendor extensions, copied.
 */
static int
convert_pair(struct loader *c, const yaml_node_pair_t *p,
    const struct objspec *spec, const char *label, int depth,
    const yaml_node_t **keys, const yaml_node_t **found, cJSON *obj,
    cJSON **broker)
{
	const yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
	const struct field *f;
	const char *key = sval(k);
	cJSON *val;
	size_t i;

	if ((f = find_field(spec, key, &i)) == NULL) {
		if (to_json(c, v, depth + 1, &val) == -1)
			return -1;
		return add_item(c, obj, key, val);
	}
	if (keys[i] != NULL)
		return fail(c, &k->start_mark, "%s: both \"%s\" and \"%s\" "
		    "given; use \"%s\"", label, sval(keys[i]), key, f->name);
	keys[i] = k;
	found[i] = v;
	if (convert_field(c, f, key, v, label, depth + 1, &val) == -1)
		return -1;
	if (f->type != FT_BROKER)
		return add_item(c, obj, f->name, val);
	*broker = val;
	return 0;
}

/*
 * Validate and convert a spec object.  found[] (if given) receives the value
 * node of each field of spec, by table index; *broker the "osbroker"
 * mapping, which the caller then owns.
 */
static int
convert_object(struct loader *c, const yaml_node_t *n, const struct objspec *spec,
    const char *label, int depth, cJSON **out, const yaml_node_t **found,
    cJSON **broker)
{
	const yaml_node_t *keys[CATALOG_MAX_FIELDS] = { 0 };
	const yaml_node_t *vals[CATALOG_MAX_FIELDS] = { 0 };
	const yaml_node_pair_t *p;
	cJSON *obj, *brk = NULL;

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, &n->start_mark, "%s must be a mapping", label);
	if (check_keys(c, n) == -1)
		return -1;
	if ((obj = cJSON_CreateObject()) == NULL)
		return oom(c);
	for (p = n->data.mapping.pairs.start;
	    p < n->data.mapping.pairs.top; p++)
		if (convert_pair(c, p, spec, label, depth, keys, vals, obj,
		    &brk) == -1)
			goto fail;
	if (check_required(c, n, spec, label, vals) == -1)
		goto fail;
	if (found != NULL)
		memcpy(found, vals, sizeof(vals));
	if (broker != NULL)
		*broker = brk;
	else
		cJSON_Delete(brk);
	*out = obj;
	return 0;
fail:
	cJSON_Delete(brk);
	cJSON_Delete(obj);
	return -1;
}

static int
convert_root(struct loader *c, cJSON **out)
{
	const yaml_node_t *root = yaml_document_get_root_node(&c->doc);

	if (root == NULL)
		return fail(c, NULL, "the catalog is empty; expected a mapping "
		    "with \"services\"");
	if (root->type != YAML_MAPPING_NODE)
		return fail(c, &root->start_mark, "the top level must be a "
		    "mapping with \"services\"");
	return convert_object(c, root, &top_spec, "catalog", 0, out, NULL,
	    NULL);
}

/* ---- Uniqueness (spec.md "Service Offering/Plan Object": id, name). ---- */

static const struct unique {
	const char	*what;
	int		 plans;		/* among plans, else offerings */
	int		 name;		/* the name, else the id */
	int		 per_offering;	/* plans: within their offering */
} uniques[] = {
	{ "service id", 0, 0, 0 },
	{ "service name", 0, 1, 0 },
	{ "plan id", 1, 0, 0 },
	{ "plan name in this service", 1, 1, 1 },
};

static int
check_unique(struct loader *c, const struct unique *u)
{
	const struct catalog_recs *recs = u->plans ? &c->p.plans : &c->p.svcs;
	const struct catalog_rec *r;
	struct dupref *d;
	size_t i;

	if (recs->n < 2)
		return 0;
	if ((d = calloc(recs->n, sizeof(*d))) == NULL)
		return oom(c);
	for (i = 0; i < recs->n; i++) {
		r = &recs->v[i];
		d[i].group = u->per_offering ? r->svc : 0;
		d[i].s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		    r->json, u->name ? "name" : "id"));
		d[i].mark = u->name ? r->namemark : r->idmark;
		d[i].seq = i;
	}
	return report_duplicate(c, d, recs->n, u->what);
}

static int
check_unique_all(struct loader *c)
{
	size_t i;

	for (i = 0; i < sizeof(uniques) / sizeof(uniques[0]); i++)
		if (check_unique(c, &uniques[i]) == -1)
			return -1;
	return 0;
}

/*
 * ---- What the platforms refuse at registration: warnings. ----
 *
 * Cloud Foundry's Cloud Controller (cloudfoundry/cloud_controller_ng) and
 * the Kubernetes service catalog (kubernetes-sigs/service-catalog) refuse
 * some catalogs the spec allows.  These checks warn about them, each with
 * its place; `osbroker --check-catalog --strict` makes them errors.  Each
 * rule names the file of the platform that has it; osbroker-catalog(5),
 * "PLATFORM CHECKS", lists them.  What the spec demands too (unique ids and
 * names, non-empty strings, booleans, semver, no external $ref, 64 kB per
 * schema) is an error above and not repeated here.  They run on a catalog
 * that passed every check above, so the nodes have the types the tables say.
 */

/* service-catalog pkg/apis/servicecatalog/validation/serviceclass.go and
 * serviceplan.go: guidMaxLength, commonServiceClassNameMaxLength and
 * commonServicePlanNameMaxLength; Go's len(), so bytes. */
#define K8S_MAX_NAME		63
/* cloud_controller_ng lib/services/service_brokers/v2/
 * catalog_validation_helper.rb: validate_description!, validate_tags! (the
 * tags joined) and, from catalog_plan.rb, validate_length_as_json! of
 * maintenance_info; Ruby's String#length, so characters. */
#define CF_MAX_DESCRIPTION	10000
#define CF_MAX_TAGS		2048
#define CF_MAX_MAINT_JSON	2000
/* cloud_controller_ng config/cloud_controller.yml:
 * broker_client_default_async_poll_interval_seconds. */
#define CF_POLL_INTERVAL	60

static void
warn(struct loader *c, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keep the first OSB_MAX_CATALOG_WARNINGS, count them all (also when the
 * memory for them cannot be had: --strict still refuses). */
static void
warn(struct loader *c, const yaml_mark_t *m, const char *fmt, ...)
{
	struct catalog_error *w;
	struct catalog_mark at = mark_of(m);
	va_list ap;

	c->allwarn++;
	if (c->nwarn == OSB_MAX_CATALOG_WARNINGS || (c->warn == NULL &&
	    (c->warn = calloc(OSB_MAX_CATALOG_WARNINGS,
	    sizeof(*c->warn))) == NULL))
		return;
	w = &c->warn[c->nwarn++];
	memcpy(w->file, c->p.err->file, sizeof(w->file));
	va_start(ap, fmt);
	catalog_vfail(w, &at, fmt, ap);
	va_end(ap);
}

/* The value of a field of spec in map, under either spelling, or NULL. */
static const yaml_node_t *
field_node(struct loader *c, const yaml_node_t *map,
    const struct objspec *spec, const char *name)
{
	const yaml_node_pair_t *p;
	const struct field *f;
	size_t i;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++)
		if ((f = find_field(spec, sval(node_at(c, p->key)), &i)) !=
		    NULL && strcmp(f->name, name) == 0)
			return node_at(c, p->value);
	return NULL;
}

/* Characters of valid UTF-8 (libyaml checked it): lead bytes. */
static size_t
utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* cloud_controller_ng catalog_validation_helper.rb is_blank_str?: no
 * character outside [[:space:]].  ASCII white space is checked here. */
static int
is_blank(const yaml_node_t *n)
{
	const char *s = sval(n);

	return s[strspn(s, " \t\n\v\f\r")] == '\0';
}

/* id, name and description, which every offering and plan has. */
static void
warn_strings(struct loader *c, const yaml_node_t *obj,
    const struct objspec *spec, const char *label)
{
	static const char *const lim[] = { "id", "name", NULL };
	static const char *const req[] = { "id", "description", NULL };
	const yaml_node_t *v;
	size_t i;

	/* service-catalog validation/serviceclass.go validateExternalID and
	 * validateCommonServiceClassName, serviceplan.go
	 * validateCommonServicePlanName. */
	for (i = 0; lim[i] != NULL; i++)
		if ((v = field_node(c, obj, spec, lim[i])) != NULL &&
		    v->data.scalar.length > K8S_MAX_NAME)
			warn(c, &v->start_mark, "%s: \"%s\" is %zu bytes; the "
			    "Kubernetes service catalog refuses more than %d",
			    label, lim[i], v->data.scalar.length, K8S_MAX_NAME);
	/* catalog_service.rb, catalog_plan.rb: validate_string!(required)
	 * of id and description.  (A name cannot be blank: cli_friendly.) */
	for (i = 0; req[i] != NULL; i++)
		if ((v = field_node(c, obj, spec, req[i])) != NULL &&
		    is_blank(v))
			warn(c, &v->start_mark, "%s: \"%s\" is only white space; "
			    "Cloud Foundry refuses it as missing", label,
			    req[i]);
	/* catalog_validation_helper.rb validate_description! */
	if ((v = field_node(c, obj, spec, "description")) != NULL &&
	    utf8_chars(sval(v), v->data.scalar.length) > CF_MAX_DESCRIPTION)
		warn(c, &v->start_mark, "%s: \"description\" is longer than "
		    "%d characters; Cloud Foundry refuses it", label,
		    CF_MAX_DESCRIPTION);
}

/* catalog_service.rb validate_dashboard_client_attributes!: id, secret
 * and redirect_uri, all three required (the spec: redirect_uri optional). */
static void
warn_dashboard(struct loader *c, const yaml_node_t *d, const char *label)
{
	static const char *const req[] = { "id", "secret", "redirect_uri",
	    NULL };
	const yaml_node_t *v;
	size_t i;

	for (i = 0; req[i] != NULL; i++) {
		v = field_node(c, d, &dash_spec, req[i]);
		if (v == NULL)
			warn(c, &d->start_mark, "%s: dashboard_client has no "
			    "\"%s\"; Cloud Foundry requires it", label, req[i]);
		else if (is_blank(v))
			warn(c, &v->start_mark, "%s: dashboard_client \"%s\" "
			    "is blank; Cloud Foundry refuses it as missing",
			    label, req[i]);
	}
}

static void
warn_service(struct loader *c, const yaml_node_t *svc, const char *label)
{
	const yaml_node_item_t *i;
	const yaml_node_t *v, *item;
	size_t n = 0;

	warn_strings(c, svc, &service_spec, label);
	/* catalog_validation_helper.rb validate_tags!: tags.join.length */
	if ((v = field_node(c, svc, &service_spec, "tags")) != NULL) {
		for (i = v->data.sequence.items.start;
		    i < v->data.sequence.items.top; i++) {
			item = node_at(c, *i);
			n += utf8_chars(sval(item), item->data.scalar.length);
		}
		if (n > CF_MAX_TAGS)
			warn(c, &v->start_mark, "%s: \"tags\" are %zu "
			    "characters together; Cloud Foundry refuses more "
			    "than %d", label, n, CF_MAX_TAGS);
	}
	/* catalog_service.rb validate_metadata!: metadata.shareable */
	if ((v = field_node(c, svc, &service_spec, "metadata")) != NULL)
		v = map_get(c, v, "shareable");
	if (v != NULL && (v->type != YAML_SCALAR_NODE ||
	    scalar_type(v, NULL) != ST_BOOL))
		warn(c, &v->start_mark, "%s: metadata \"shareable\" is not "
		    "true or false; Cloud Foundry refuses it", label);
	if ((v = field_node(c, svc, &service_spec, "dashboard_client")) !=
	    NULL)
		warn_dashboard(c, v, label);
}

/* catalog_plan.rb validate_maintenance_info!: only version and
 * description, and at most 2000 characters as JSON. */
static void
warn_maintenance(struct loader *c, const yaml_node_t *mi, const cJSON *json,
    const char *label)
{
	const yaml_node_pair_t *p;
	const yaml_node_t *k;
	char *text;

	for (p = mi->data.mapping.pairs.start;
	    p < mi->data.mapping.pairs.top; p++) {
		k = node_at(c, p->key);
		if (strcmp(sval(k), "version") != 0 &&
		    strcmp(sval(k), "description") != 0)
			warn(c, &k->start_mark, "%s: maintenance_info key "
			    "\"%.64s\": Cloud Foundry allows only version and "
			    "description", label, sval(k));
	}
	if ((text = cJSON_PrintUnformatted(json)) == NULL)
		return;
	if (utf8_chars(text, strlen(text)) > CF_MAX_MAINT_JSON)
		warn(c, &mi->start_mark, "%s: maintenance_info is longer than "
		    "%d characters as JSON; Cloud Foundry refuses it", label,
		    CF_MAX_MAINT_JSON);
	cJSON_free(text);
}

/* lib/services/service_brokers/v2/schema.rb validate_metaschema_provided:
 * "Schema must have $schema key". */
static void
warn_schemas(struct loader *c, const yaml_node_t *schemas, const char *label)
{
	static const struct {
		const char		*group, *action;
		const struct objspec	*spec;
	} where[] = {
		{ "service_instance", "create", &si_spec },
		{ "service_instance", "update", &si_spec },
		{ "service_binding", "create", &sb_spec },
	};
	const yaml_node_t *v;
	size_t i;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		v = field_node(c, field_node(c, field_node(c, schemas,
		    &schemas_spec, where[i].group), where[i].spec,
		    where[i].action), &params_spec, "parameters");
		if (v != NULL && map_get(c, v, "$schema") == NULL)
			warn(c, &v->start_mark, "%s: schema %s.%s.parameters "
			    "has no \"$schema\"; Cloud Foundry refuses it",
			    label, where[i].group, where[i].action);
	}
}

/*
 * The deadline Cloud Foundry can keep.  It polls last_operation once right
 * after the 202, then waits at least its poll interval (Retry-After can
 * only lengthen it), and gives up instead of polling when the next poll
 * would come after the plan's maximum_polling_duration from the start:
 * app/jobs/reoccurring_job.rb (next_enqueue_would_exceed_maximum_duration?,
 * polling_interval_seconds= clamps to the default) and, for the v2 API,
 * app/jobs/v2/services/asynchronous_operations.rb (which also rounds the
 * duration down to whole minutes).  Under one interval no second poll is
 * ever made; two intervals let the second poll land before the deadline
 * even when the first came up to an interval late.  The Kubernetes
 * service catalog ignores the field and polls after 1 s, doubling to
 * 20 min (pkg/controller/controller.go pollingStartInterval,
 * cmd/controller-manager/app/options/options.go
 * defaultOperationPollingMaximumBackoffDuration): no bound from it.
 */
static void
warn_polling(struct loader *c, const yaml_node_t *v, const char *label)
{
	double d = 0;

	(void)scalar_type(v, &d);
	if (d < 2 * CF_POLL_INTERVAL)
		warn(c, &v->start_mark, "%s: maximum_polling_duration %.0f is "
		    "under %d: Cloud Foundry polls again only %d s after its "
		    "first poll, and never past this deadline", label, d,
		    2 * CF_POLL_INTERVAL, CF_POLL_INTERVAL);
}

static void
warn_plan(struct loader *c, const yaml_node_t *plan, const cJSON *json,
    const char *label)
{
	const yaml_node_t *v;

	warn_strings(c, plan, &plan_spec, label);
	if ((v = field_node(c, plan, &plan_spec, "maximum_polling_duration")) !=
	    NULL)
		warn_polling(c, v, label);
	if ((v = field_node(c, plan, &plan_spec, "maintenance_info")) != NULL)
		warn_maintenance(c, v, cJSON_GetObjectItemCaseSensitive(json,
		    "maintenance_info"), label);
	if ((v = field_node(c, plan, &plan_spec, "schemas")) != NULL)
		warn_schemas(c, v, label);
}

/*
 * Among the values of field in the mappings of seq (a sequence), the
 * second use that comes first, compared as fold says, or NULL.  *r holds
 * the references afterwards (the caller frees it).
 */
static const struct dupref *
dup_among(struct loader *c, const yaml_node_t *seq,
    const struct objspec *spec, const char *map, const struct objspec *sub,
    const char *field, int fold, struct dupref **r)
{
	const yaml_node_item_t *i;
	const yaml_node_t *v;
	size_t n = 0;

	*r = calloc(seq->data.sequence.items.top - seq->data.sequence.items.start
	    + 1, sizeof(**r));
	if (*r == NULL)
		return NULL;
	for (i = seq->data.sequence.items.start;
	    i < seq->data.sequence.items.top; i++) {
		v = node_at(c, *i);
		if (map != NULL)
			v = field_node(c, v, spec, map);
		if ((v = field_node(c, v, map != NULL ? sub : spec, field)) ==
		    NULL)
			continue;
		(*r)[n].s = sval(v);
		(*r)[n].mark = mark_of(&v->start_mark);
		(*r)[n].seq = n;
		n++;
	}
	return n < 2 ? NULL : find_duplicate(*r, n, fold);
}

static void
warn_plans(struct loader *c, const yaml_node_t *svc, size_t si,
    const char *label)
{
	const yaml_node_t *plans = field_node(c, svc, &service_spec, "plans");
	const struct catalog_rec *s = &c->p.svcs.v[si];
	const yaml_node_item_t *i;
	const struct dupref *dup;
	struct dupref *r;
	char sub[CATALOG_LABEL];
	size_t k;

	for (i = plans->data.sequence.items.start, k = 0;
	    i < plans->data.sequence.items.top; i++, k++) {
		make_label(c, node_at(c, *i), "plan", k, sub, sizeof(sub));
		warn_plan(c, node_at(c, *i), c->p.plans.v[s->first + k].json,
		    sub);
	}
	/* app/models/services/service_plan.rb around_save: the database's
	 * unique index svc_plan_svc_id_name_index is on a case-insensitive
	 * name (CIText), so "Small" and "small" collide. */
	if ((dup = dup_among(c, plans, &plan_spec, NULL, NULL, "name", 1,
	    &r)) != NULL) {
		yaml_mark_t m = { 0, dup->mark.line, dup->mark.column };

		warn(c, &m, "%s: plan names \"%.64s\" and \"%.64s\" (line %zu) "
		    "differ only in case; Cloud Foundry refuses them", label,
		    dup->s, dup[-1].s, dup[-1].mark.line + 1);
	}
	free(r);
}

static int
platform_checks(struct loader *c)
{
	const yaml_node_t *root = yaml_document_get_root_node(&c->doc);
	const yaml_node_t *svcs = field_node(c, root, &top_spec, "services");
	const yaml_node_item_t *i;
	const struct dupref *dup;
	struct dupref *r;
	char label[CATALOG_LABEL];
	size_t k;

	/* lib/services/service_brokers/v2/catalog.rb validate_services */
	if (svcs->data.sequence.items.top == svcs->data.sequence.items.start)
		warn(c, &svcs->start_mark, "no services; Cloud Foundry refuses "
		    "a catalog without one");
	for (i = svcs->data.sequence.items.start, k = 0;
	    i < svcs->data.sequence.items.top; i++, k++) {
		make_label(c, node_at(c, *i), "service", k, label,
		    sizeof(label));
		warn_service(c, node_at(c, *i), label);
		warn_plans(c, node_at(c, *i), k, label);
	}
	/* catalog.rb validate_all_service_dashboard_clients_are_unique */
	if ((dup = dup_among(c, svcs, &service_spec, "dashboard_client",
	    &dash_spec, "id", 0, &r)) != NULL) {
		yaml_mark_t m = { 0, dup->mark.line, dup->mark.column };

		warn(c, &m, "dashboard_client id \"%.64s\" is also the one at "
		    "line %zu; Cloud Foundry refuses it", dup->s,
		    dup[-1].mark.line + 1);
	}
	free(r);
	return 0;
}

int
catalog_load_buffer(const char *name, const char *data, size_t len,
    struct catalog **out, struct catalog_error *err)
{
	struct catalog_error scratch;
	struct loader c;
	cJSON *root = NULL;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	if (catalog_parts_begin(&c.p, name, out, err, &scratch) == -1)
		goto out;
	c.data = data;
	c.len = len;
	if (len > OSB_MAX_CATALOG_BYTES) {
		fail(&c, NULL, "the catalog is larger than %d bytes",
		    OSB_MAX_CATALOG_BYTES);
		goto out;
	}
	if (scan_events(&c) == -1 || load_document(&c) == -1)
		goto out;
	if (convert_root(&c, &root) == -1 || check_unique_all(&c) == -1 ||
	    platform_checks(&c) == -1 ||
	    catalog_assemble(&c.p, &root, out) == -1)
		goto out;
	catalog_set_warnings(*out, c.warn, c.nwarn, c.allwarn);
	c.warn = NULL;
	rc = 0;
out:
	free(c.warn);
	cJSON_Delete(root);
	if (c.have_doc)
		yaml_document_delete(&c.doc);
	catalog_parts_free(&c.p);
	return rc;
}

