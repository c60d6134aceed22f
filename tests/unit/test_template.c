/* SPDX-License-Identifier: ISC */
/*
 * test_template.c: credential templates — each placeholder kind, $$, type
 * preservation of a lone placeholder, nested trees, parameters (binding over
 * instance, defaults, missing or non-scalar ones), the load-time check, the
 * generated secrets and the bound on one expanded value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "tap.h"

static cJSON *
parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	if (j == NULL) {
		printf("# cannot parse test JSON: %s\n", text);
		abort();
	}
	return j;
}

static const cJSON *
get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* The variables most cases use; params and instance_params set per case. */
static cJSON *g_secrets, *g_settings;

static struct tvars
vars(const cJSON *params, const cJSON *instance_params)
{
	struct tvars v = {
		.instance_id = "inst-1", .binding_id = "bind-1",
		.service_id = "svc-1", .plan_id = "plan-1",
		.service_name = "pg", .plan_name = "small",
		.secrets = g_secrets, .settings = g_settings,
		.params = params, .instance_params = instance_params,
	};
	return v;
}

/* Expand the one-string template text (a JSON string literal, quotes
 * included) with v; returns the expanded node (caller deletes) and the
 * error in err. */
static cJSON *
expand1(const char *json_string, const struct tvars *v, char *err,
    size_t errlen)
{
	cJSON *t = parse(json_string), *r;

	r = template_expand(t, v, err, errlen);
	cJSON_Delete(t);
	return r;
}

/* Expands a string template and compares with the expected string. */
static void
expands_to(const char *json_string, const struct tvars *v, const char *want,
    const char *what)
{
	char	 err[256];
	cJSON	*r = expand1(json_string, v, err, sizeof(err));

	CHECK_STR(cJSON_GetStringValue(r), want, "expand: %s", what);
	if (r == NULL)
		printf("#   error: %s\n", err);
	cJSON_Delete(r);
}

/* A string template that must fail with a message containing needle. */
static void
expand_fails(const char *json_string, const struct tvars *v,
    const char *needle, const char *what)
{
	char	 err[256];
	cJSON	*r = expand1(json_string, v, err, sizeof(err));
	int	 ok = r == NULL && strstr(err, needle) != NULL;

	CHECK(ok, "expand refuses: %s", what);
	if (!ok)
		printf("#   got %s, err \"%s\", want \"%s\"\n",
		    r != NULL ? "a tree" : "NULL", err, needle);
	cJSON_Delete(r);
}

static void
test_plain_vars(void)
{
	struct tvars	 v = vars(NULL, NULL), empty;

	expands_to("\"${instance_id}\"", &v, "inst-1", "${instance_id}");
	expands_to("\"${binding_id}\"", &v, "bind-1", "${binding_id}");
	expands_to("\"${service_id}\"", &v, "svc-1", "${service_id}");
	expands_to("\"${plan_id}\"", &v, "plan-1", "${plan_id}");
	expands_to("\"${service_name}\"", &v, "pg", "${service_name}");
	expands_to("\"${plan_name}\"", &v, "small", "${plan_name}");
	expands_to("\"db_${instance_id}_${binding_id}.x\"", &v,
	    "db_inst-1_bind-1.x", "several placeholders with text around");
	expands_to("\"no placeholders\"", &v, "no placeholders", "plain text");
	expands_to("\"\"", &v, "", "empty string");

	memset(&empty, 0, sizeof(empty));
	expands_to("\"[${binding_id}]\"", &empty, "[]",
	    "a NULL variable expands to nothing");
}

static void
test_secrets_and_settings(void)
{
	struct tvars	 v = vars(NULL, NULL);
	char		 err[256];
	cJSON		*r;

	expands_to("\"${secret.password}\"", &v, "s3cr3t", "${secret.NAME}");
	expands_to("\"u:${secret.password}@h\"", &v, "u:s3cr3t@h",
	    "${secret.NAME} embedded");
	expands_to("\"[${secret.absent}]\"", &v, "[]",
	    "a secret not generated expands to nothing");
	expands_to("\"${settings.host}\"", &v, "db.example.org",
	    "${settings.NAME} string");
	expands_to("\"${settings.host}:${settings.port}\"", &v,
	    "db.example.org:5432", "a number setting embedded becomes text");
	expands_to("\"r=${settings.ratio}\"", &v, "r=1.5",
	    "a fractional number embedded");
	expands_to("\"tls=${settings.tls}\"", &v, "tls=true",
	    "a boolean setting embedded becomes text");

	r = expand1("\"${settings.port}\"", &v, err, sizeof(err));
	CHECK(cJSON_IsNumber(r) && r->valuedouble == 5432,
	    "a lone number placeholder stays a number");
	cJSON_Delete(r);
	r = expand1("\"${settings.tls}\"", &v, err, sizeof(err));
	CHECK(cJSON_IsTrue(r), "a lone boolean placeholder stays a boolean");
	cJSON_Delete(r);
	r = expand1("\"${settings.host}\"", &v, err, sizeof(err));
	CHECK(cJSON_IsString(r), "a lone string placeholder stays a string");
	cJSON_Delete(r);
	r = expand1("\" ${settings.port}\"", &v, err, sizeof(err));
	CHECK(cJSON_IsString(r) && strcmp(r->valuestring, " 5432") == 0,
	    "a number placeholder with a space before is text");
	cJSON_Delete(r);
	r = expand1("\"${settings.port}${settings.port}\"", &v, err,
	    sizeof(err));
	CHECK(cJSON_IsString(r) && strcmp(r->valuestring, "54325432") == 0,
	    "two number placeholders make text");
	cJSON_Delete(r);

	expand_fails("\"${settings.nope}\"", &v, "settings.nope",
	    "a setting the plan does not have");
}

static void
test_dollars(void)
{
	struct tvars v = vars(NULL, NULL);

	expands_to("\"a$$b\"", &v, "a$b", "$$ is one $");
	expands_to("\"$$$$\"", &v, "$$", "$$$$ is two");
	expands_to("\"$${instance_id}\"", &v, "${instance_id}",
	    "$${...} is a literal ${...}");
	expands_to("\"$$${instance_id}\"", &v, "$inst-1",
	    "$$ then a placeholder");
	expands_to("\"cost $5\"", &v, "cost $5", "a $ not before { or $ kept");
	expands_to("\"end$\"", &v, "end$", "a trailing $ kept");
	expands_to("\"a}b{c\"", &v, "a}b{c", "braces without $ kept");
}

static void
test_nested(void)
{
	struct tvars	 v = vars(NULL, NULL);
	char		 err[256];
	cJSON		*t, *r, *want;
	const cJSON	*a;

	t = parse("{\"uri\":\"pg://${secret.password}@${settings.host}/"
	    "${instance_id}\",\"port\":\"${settings.port}\","
	    "\"inner\":{\"id\":\"${binding_id}\",\"list\":[\"${plan_name}\","
	    "7,true,null,{\"deep\":\"${service_id}\"},[\"$$\"]]},"
	    "\"n\":42,\"f\":false,\"z\":null,\"empty\":{},\"none\":[]}");
	r = template_expand(t, &v, err, sizeof(err));
	want = parse("{\"uri\":\"pg://s3cr3t@db.example.org/inst-1\","
	    "\"port\":5432,\"inner\":{\"id\":\"bind-1\",\"list\":[\"small\","
	    "7,true,null,{\"deep\":\"svc-1\"},[\"$\"]]},"
	    "\"n\":42,\"f\":false,\"z\":null,\"empty\":{},\"none\":[]}");
	CHECK(r != NULL && cJSON_Compare(r, want, 1),
	    "nested objects and arrays expand, other values are copied");
	if (r == NULL)
		printf("#   error: %s\n", err);
	a = get(get(r, "inner"), "list");
	CHECK(cJSON_GetArraySize(a) == 6 &&
	    cJSON_IsNumber(cJSON_GetArrayItem(a, 1)),
	    "array order and types kept");
	CHECK(r != t && get(r, "inner") != get(t, "inner"),
	    "the result is a new tree");
	cJSON_Delete(want);
	cJSON_Delete(r);
	cJSON_Delete(t);

	/* An error deep inside frees what was built and reports it. */
	t = parse("{\"a\":\"x\",\"b\":[1,{\"c\":\"${param.missing}\"}]}");
	r = template_expand(t, &v, err, sizeof(err));
	CHECK(r == NULL && strstr(err, "missing") != NULL,
	    "an error deep in the tree fails the whole expansion");
	cJSON_Delete(r);
	cJSON_Delete(t);

	/* Scalars at the root. */
	t = parse("17");
	r = template_expand(t, &v, err, sizeof(err));
	CHECK(cJSON_IsNumber(r) && r->valuedouble == 17, "a number root");
	cJSON_Delete(r);
	cJSON_Delete(t);
}

static void
test_depth(void)
{
	struct tvars	 v = vars(NULL, NULL);
	char		 text[128], err[256];
	cJSON		*t, *r;
	int		 i;

	/* The root is depth 0; 17 nested arrays reach depth 16. */
	text[0] = '\0';
	for (i = 0; i < 17; i++)
		strcat(text, "[");
	for (i = 0; i < 17; i++)
		strcat(text, "]");
	t = parse(text);
	r = template_expand(t, &v, err, sizeof(err));
	CHECK(r != NULL, "17 levels of nesting expand");
	cJSON_Delete(r);
	cJSON_Delete(t);

	text[0] = '\0';
	for (i = 0; i < 18; i++)
		strcat(text, "[");
	for (i = 0; i < 18; i++)
		strcat(text, "]");
	t = parse(text);
	r = template_expand(t, &v, err, sizeof(err));
	CHECK(r == NULL && strstr(err, "nested too deeply") != NULL,
	    "18 levels refused");
	cJSON_Delete(r);
	CHECK(template_check(t, NULL, NULL, "credentials", err,
	    sizeof(err)) == -1 && strstr(err, "nested too deeply") != NULL,
	    "18 levels refused by template_check");
	cJSON_Delete(t);
}

static void
test_params(void)
{
	cJSON		*bp, *ip;
	struct tvars	 v, none;
	char		 err[256];
	cJSON		*r;

	bp = parse("{\"user\":\"alice\",\"port\":6543,\"ssl\":false,"
	    "\"both\":\"from-binding\",\"obj\":{\"a\":1},\"arr\":[1],"
	    "\"nul\":null,\"frac\":0.25,\"neg\":-3}");
	ip = parse("{\"both\":\"from-instance\",\"region\":\"eu\","
	    "\"iobj\":{}}");
	v = vars(bp, ip);
	none = vars(NULL, NULL);

	expands_to("\"${param.user}\"", &v, "alice", "${param.NAME}");
	expands_to("\"${param.both}\"", &v, "from-binding",
	    "a binding parameter wins over the instance's");
	expands_to("\"${param.region}\"", &v, "eu",
	    "an instance parameter when the binding has none");
	expands_to("\"p${param.port}\"", &v, "p6543",
	    "a number parameter embedded is text");
	expands_to("\"${param.frac}/${param.neg}\"", &v, "0.25/-3",
	    "fractional and negative numbers as text");
	expands_to("\"ssl=${param.ssl}\"", &v, "ssl=false",
	    "a boolean parameter embedded is text");
	r = expand1("\"${param.port}\"", &v, err, sizeof(err));
	CHECK(cJSON_IsNumber(r) && r->valuedouble == 6543,
	    "a lone number parameter stays a number");
	cJSON_Delete(r);
	r = expand1("\"${param.ssl}\"", &v, err, sizeof(err));
	CHECK(cJSON_IsFalse(r), "a lone boolean parameter stays a boolean");
	cJSON_Delete(r);

	/* Defaults. */
	expands_to("\"${param.missing:-fallback}\"", &v, "fallback",
	    "a default for a missing parameter");
	expands_to("\"${param.user:-fallback}\"", &v, "alice",
	    "a default is not used when the parameter is there");
	expands_to("\"${param.region:-x}\"", &v, "eu",
	    "a default is not used when the instance has the parameter");
	expands_to("\"[${param.missing:-}]\"", &v, "[]", "an empty default");
	expands_to("\"${param.missing:-a b:-c}\"", &v, "a b:-c",
	    "a default runs to the closing brace");
	expands_to("\"h=${param.nul:-none}\"", &v, "h=none",
	    "a null parameter takes the default");
	expands_to("\"${param.missing:-d}\"", &none, "d",
	    "a default without any parameters");

	/* Missing or non-scalar parameters: a request-level error. */
	expand_fails("\"${param.missing}\"", &v, "\"missing\"",
	    "a missing parameter is named");
	expand_fails("\"x-${param.absent}\"", &none, "\"absent\"",
	    "a missing parameter without any parameters");
	expand_fails("\"${param.nul}\"", &v, "\"nul\"",
	    "a null parameter without a default");
	expand_fails("\"${param.obj}\"", &v, "must be a string, number or "
	    "boolean", "an object parameter");
	expand_fails("\"${param.obj:-d}\"", &v, "\"obj\"",
	    "an object parameter, even with a default");
	expand_fails("\"${param.arr}\"", &v, "\"arr\"", "an array parameter");
	expand_fails("\"${param.iobj}\"", &v, "\"iobj\"",
	    "an object instance parameter");

	cJSON_Delete(bp);
	cJSON_Delete(ip);
}

/* template_check on a template text: 0 or -1 with needle in err. */
static void
check_ok(const char *text, const cJSON *secrets, const cJSON *settings,
    const char *what)
{
	char	 err[256] = "untouched";
	cJSON	*t = parse(text);
	int	 rc = template_check(t, secrets, settings, "credentials", err,
		    sizeof(err));

	CHECK(rc == 0 && err[0] == '\0', "template_check accepts %s", what);
	if (rc != 0)
		printf("#   %s\n", err);
	cJSON_Delete(t);
}

static void
check_bad(const char *text, const cJSON *secrets, const cJSON *settings,
    const char *needle, const char *what)
{
	char	 err[256];
	cJSON	*t = parse(text);
	int	 rc = template_check(t, secrets, settings, "osbroker: endpoints",
		    err, sizeof(err));
	int	 ok = rc == -1 && strstr(err, needle) != NULL &&
		    strncmp(err, "osbroker: endpoints", 19) == 0;

	CHECK(ok, "template_check refuses %s", what);
	if (!ok)
		printf("#   rc %d, err \"%s\", want \"%s\"\n", rc, err, needle);
	cJSON_Delete(t);
}

static void
test_check(void)
{
	cJSON *spec = parse("{\"password\":16,\"key\":8}");

	check_ok("{\"a\":\"${instance_id}${binding_id}${service_id}${plan_id}"
	    "${service_name}${plan_name}\"}", NULL, NULL, "plain variables");
	check_ok("{\"a\":\"${secret.password}\",\"b\":[\"${secret.key}\"]}",
	    spec, NULL, "declared secrets");
	check_ok("{\"h\":\"${settings.host}\",\"p\":\"${settings.port}\"}",
	    NULL, g_settings, "declared settings");
	check_ok("{\"u\":\"${param.user}\",\"d\":\"${param.db:-postgres}\","
	    "\"e\":\"${param.x:-}\"}", NULL, NULL,
	    "parameters (checked at request time)");
	check_ok("{\"a\":\"$$ $${x} $5\",\"n\":1,\"t\":true,\"z\":null}", NULL,
	    NULL, "dollars and non-strings");

	check_bad("{\"a\":\"${foo}\"}", NULL, NULL,
	    "unknown placeholder ${foo}", "an unknown placeholder");
	check_bad("{\"a\":\"${}\"}", NULL, NULL, "unknown placeholder",
	    "an empty placeholder");
	check_bad("{\"a\":\"${Instance_id}\"}", NULL, NULL,
	    "unknown placeholder", "names are case-sensitive");
	check_bad("{\"a\":\"${ instance_id}\"}", NULL, NULL,
	    "unknown placeholder", "a space inside");
	check_bad("{\"a\":\"${secret.}\"}", spec, NULL, "unknown placeholder",
	    "${secret.} without a name");
	check_bad("{\"a\":\"${settings.}\"}", NULL, g_settings,
	    "unknown placeholder", "${settings.} without a name");
	check_bad("{\"a\":\"${param.}\"}", NULL, NULL, "unknown placeholder",
	    "${param.} without a name");
	check_bad("{\"a\":\"${param.:-x}\"}", NULL, NULL,
	    "unknown placeholder", "${param.:-x} without a name");
	check_bad("{\"a\":\"${secret.nope}\"}", spec, NULL,
	    "${secret.nope} names no declared secret", "an undeclared secret");
	check_bad("{\"a\":\"${secret.password}\"}", NULL, NULL,
	    "no declared secret", "a secret when none are declared");
	check_bad("{\"a\":\"${settings.nope}\"}", NULL, g_settings,
	    "${settings.nope} names no declared setting",
	    "an undeclared setting");
	check_bad("{\"a\":\"${settings.host}\"}", NULL, NULL,
	    "no declared setting", "a setting when none are declared");
	check_bad("{\"a\":\"${instance_id\"}", NULL, NULL, "unterminated",
	    "an unterminated ${");
	check_bad("{\"a\":\"ok ${\"}", NULL, NULL, "unterminated",
	    "${ at the end");
	check_bad("{\"a\":[1,{\"b\":\"x${binding_id}y${nope}\"}]}", NULL,
	    NULL, "${nope}", "an unknown placeholder deep in the tree");
	cJSON_Delete(spec);
}

static void
test_long_names(void)
{
	char	 text[400], err[256];
	cJSON	*t;
	int	 rc;

	/* A placeholder body longer than any name is refused as such. */
	snprintf(text, sizeof(text), "\"${param.%0200d}\"", 0);
	t = parse(text);
	rc = template_check(t, NULL, NULL, "credentials", err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "too long") != NULL,
	    "a 206-byte placeholder is refused");
	cJSON_Delete(t);
	/* A parameter name of 128 bytes or more is refused. */
	snprintf(text, sizeof(text), "\"${param.%0128d}\"", 0);
	t = parse(text);
	rc = template_check(t, NULL, NULL, "credentials", err, sizeof(err));
	CHECK(rc == -1 && strstr(err, "unknown placeholder") != NULL,
	    "a 128-byte parameter name is refused");
	cJSON_Delete(t);
	snprintf(text, sizeof(text), "\"${param.%0127d}\"", 0);
	t = parse(text);
	rc = template_check(t, NULL, NULL, "credentials", err, sizeof(err));
	CHECK(rc == 0, "a 127-byte parameter name is accepted");
	cJSON_Delete(t);
}

static int
all_hex(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static void
test_template_secrets(void)
{
	cJSON		*spec = parse("{\"password\":16,\"one\":1,\"max\":64}");
	cJSON		*a, *b, *e;
	const char	*pa, *pb;

	a = template_secrets(spec);
	b = template_secrets(spec);
	CHECK(cJSON_IsObject(a) && cJSON_GetArraySize(a) == 3,
	    "template_secrets: one value per declared secret");
	pa = cJSON_GetStringValue(get(a, "password"));
	pb = cJSON_GetStringValue(get(b, "password"));
	CHECK(pa != NULL && strlen(pa) == 32 && all_hex(pa),
	    "16 bytes: 32 lower-case hex characters");
	CHECK(cJSON_GetStringValue(get(a, "one")) != NULL &&
	    strlen(cJSON_GetStringValue(get(a, "one"))) == 2 &&
	    all_hex(cJSON_GetStringValue(get(a, "one"))),
	    "1 byte: 2 hex characters");
	CHECK(cJSON_GetStringValue(get(a, "max")) != NULL &&
	    strlen(cJSON_GetStringValue(get(a, "max"))) == 128 &&
	    all_hex(cJSON_GetStringValue(get(a, "max"))),
	    "64 bytes: 128 hex characters");
	CHECK(pa != NULL && pb != NULL && strcmp(pa, pb) != 0,
	    "values differ between calls");
	CHECK(strcmp(cJSON_GetStringValue(get(a, "max")),
	    cJSON_GetStringValue(get(b, "max"))) != 0,
	    "64-byte values differ between calls");
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(spec);

	e = template_secrets(NULL);
	CHECK(cJSON_IsObject(e) && e->child == NULL,
	    "no spec: an empty object");
	cJSON_Delete(e);
}

/* A generated secret used through a template. */
static void
test_secrets_round_trip(void)
{
	cJSON		*spec = parse("{\"pw\":8}"), *sec, *t, *r;
	struct tvars	 v = vars(NULL, NULL);
	char		 err[256];
	int		 ok;

	t = parse("{\"password\":\"${secret.pw}\"}");
	ok = template_check(t, spec, NULL, "credentials", err, sizeof(err));
	CHECK(ok == 0, "template declares its secret");
	sec = template_secrets(spec);
	v.secrets = sec;
	r = template_expand(t, &v, err, sizeof(err));
	CHECK(r != NULL && cJSON_GetStringValue(get(r, "password")) != NULL &&
	    strcmp(cJSON_GetStringValue(get(r, "password")),
	    cJSON_GetStringValue(get(sec, "pw"))) == 0 &&
	    strlen(cJSON_GetStringValue(get(r, "password"))) == 16,
	    "a generated secret reaches the credentials");
	cJSON_Delete(r);
	cJSON_Delete(sec);
	cJSON_Delete(t);
	cJSON_Delete(spec);
}

static void
test_length_limit(void)
{
	char		*big, *tmpl, err[256];
	cJSON		*params, *t, *r;
	struct tvars	 v;
	size_t		 n;

	/* 8191 bytes is the longest expanded value. */
	if ((big = malloc(8193)) == NULL || (tmpl = malloc(8300)) == NULL)
		abort();
	memset(big, 'x', 8192);
	big[8191] = '\0';
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "p", big);
	v = vars(params, NULL);
	r = expand1("\"${param.p}\"", &v, err, sizeof(err));
	CHECK(cJSON_IsString(r) && strlen(r->valuestring) == 8191,
	    "an expanded value of 8191 bytes");
	cJSON_Delete(r);
	r = expand1("\"${param.p}x\"", &v, err, sizeof(err));
	CHECK(r == NULL && strstr(err, "longer than 8191 bytes") != NULL,
	    "an expanded value of 8192 bytes is refused");
	cJSON_Delete(r);
	r = expand1("\"$$${param.p}\"", &v, err, sizeof(err));
	CHECK(r == NULL && strstr(err, "longer than 8191") != NULL,
	    "$$ counts toward the limit");
	cJSON_Delete(r);
	cJSON_Delete(params);

	/* A long parameter made of many pieces. */
	params = cJSON_CreateObject();
	big[5000] = '\0';
	cJSON_AddStringToObject(params, "p", big);
	v = vars(params, NULL);
	r = expand1("\"${param.p}${param.p}\"", &v, err, sizeof(err));
	CHECK(r == NULL && strstr(err, "longer than 8191") != NULL,
	    "two 5000-byte pieces are refused");
	cJSON_Delete(r);
	cJSON_Delete(params);

	/* Literal text alone: 8191 bytes pass, 8192 do not. */
	for (n = 8191; n <= 8192; n++) {
		tmpl[0] = '"';
		memset(tmpl + 1, 'y', n);
		tmpl[n + 1] = '"';
		tmpl[n + 2] = '\0';
		t = parse(tmpl);
		v = vars(NULL, NULL);
		r = template_expand(t, &v, err, sizeof(err));
		if (n == 8191)
			CHECK(r != NULL, "8191 bytes of literal text");
		else
			CHECK(r == NULL && strstr(err, "longer than") != NULL,
			    "8192 bytes of literal text are refused");
		cJSON_Delete(r);
		cJSON_Delete(t);
	}
	free(big);
	free(tmpl);
}

int
main(void)
{
	g_secrets = parse("{\"password\":\"s3cr3t\"}");
	g_settings = parse("{\"host\":\"db.example.org\",\"port\":5432,"
	    "\"ratio\":1.5,\"tls\":true}");
	test_plain_vars();
	test_secrets_and_settings();
	test_dollars();
	test_nested();
	test_depth();
	test_params();
	test_check();
	test_long_names();
	test_template_secrets();
	test_secrets_round_trip();
	test_length_limit();
	cJSON_Delete(g_secrets);
	cJSON_Delete(g_settings);
	return tap_done();
}
