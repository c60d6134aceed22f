/* SPDX-License-Identifier: ISC */
/*
 * plancfg: see plancfg.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits.h"
#include "plancfg.h"
#include "template.h"

static const char *const known_keys[] = {
	"binding_ttl", "binding_renew_before", "requires_app", "async",
	"validate_parameters", "hooks", "hook_timeout", "hook_env", "poll_interval", "settings",
	"secrets", "credentials", "endpoints", NULL
};

/* The plan's value of key, else the service's. */
static const cJSON *
get(const cJSON *svc, const cJSON *plan, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(plan, key);

	return v != NULL ? v : cJSON_GetObjectItemCaseSensitive(svc, key);
}

static int
unknown_keys(const cJSON *obj, const char *who, char *err, size_t errlen)
{
	const cJSON	*kv;
	int		 i;

	cJSON_ArrayForEach(kv, obj) {
		for (i = 0; known_keys[i] != NULL; i++)
			if (strcmp(kv->string, known_keys[i]) == 0)
				break;
		if (known_keys[i] == NULL) {
			snprintf(err, errlen, "%s osbroker: unknown setting "
			    "\"%.64s\" (see osbroker-catalog(5))", who,
			    kv->string);
			return -1;
		}
	}
	return 0;
}

static int
seconds(const cJSON *v, const char *key, long min, long max, long def,
    long *out, char *err, size_t errlen)
{
	if (v == NULL) {
		*out = def;
		return 0;
	}
	/* Range first: casting an out-of-range double is undefined. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)min &&
	    v->valuedouble <= (double)max) ||
	    v->valuedouble != (double)(long)v->valuedouble) {
		snprintf(err, errlen, "osbroker: %s must be an integer from "
		    "%ld to %ld (seconds)", key, min, max);
		return -1;
	}
	*out = (long)v->valuedouble;
	return 0;
}

static int
boolean(const cJSON *v, const char *key, int *out, char *err, size_t errlen)
{
	if (v == NULL)
		return 0;
	if (!cJSON_IsBool(v)) {
		snprintf(err, errlen, "osbroker: %s must be true or false", key);
		return -1;
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

static int
parse_async(struct plancfg *p, const cJSON *v, char *err, size_t errlen)
{
	const cJSON	*a;
	int		 i, k;

	if (v == NULL)
		return 0;
	if (cJSON_IsBool(v)) {
		for (i = 0; i < ACT__COUNT; i++)
			p->async[i] = cJSON_IsTrue(v);
		return 0;
	}
	if (!cJSON_IsArray(v))
		goto bad;
	cJSON_ArrayForEach(a, v) {
		if (!cJSON_IsString(a) ||
		    (k = (int)action_parse(a->valuestring)) == ACT__COUNT)
			goto bad;
		p->async[k] = 1;
	}
	return 0;
bad:
	snprintf(err, errlen, "osbroker: async must be true, false or a list "
	    "of provision, update, deprovision, bind, unbind, upgrade");
	return -1;
}

static int
parse_hooks(struct plancfg *p, const cJSON *v, const char *base_dir,
    char *err, size_t errlen)
{
	const cJSON	*h;
	const char	*path;
	struct stat	 st;
	size_t		 n;
	int		 k;

	if (v == NULL)
		return 0;
	if (!cJSON_IsObject(v)) {
		snprintf(err, errlen, "osbroker: hooks must be a mapping of "
		    "action to program");
		return -1;
	}
	cJSON_ArrayForEach(h, v) {
		if ((k = (int)action_parse(h->string)) == ACT__COUNT) {
			snprintf(err, errlen, "osbroker: hooks: \"%.64s\" is not "
			    "an action (provision, update, deprovision, bind, "
			    "unbind, upgrade)", h->string);
			return -1;
		}
		path = cJSON_GetStringValue(h);
		if (path == NULL || *path == '\0' ||
		    strlen(path) > OSB_MAX_HOOK_PATH) {
			snprintf(err, errlen, "osbroker: hooks.%s must be the "
			    "path of a program", h->string);
			return -1;
		}
		n = strlen(base_dir) + strlen(path) + 2;
		free(p->hook[k]);	/* a key given twice: the last wins */
		if ((p->hook[k] = malloc(n)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (path[0] == '/')
			snprintf(p->hook[k], n, "%s", path);
		else
			snprintf(p->hook[k], n, "%s/%s", base_dir, path);
		if (stat(p->hook[k], &st) == -1 || !S_ISREG(st.st_mode) ||
		    access(p->hook[k], X_OK) == -1) {
			snprintf(err, errlen, "osbroker: hooks.%s: %.300s is not "
			    "an executable program", h->string, p->hook[k]);
			return -1;
		}
	}
	return 0;
}

static int
env_name_ok(const char *s)
{
	size_t i;

	if (strncmp(s, "OSBROKER_", 9) == 0 || !(s[0] == '_' ||
	    (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return i <= OSB_MAX_HOOK_ENV_NAME;
}

static int
check_maps(struct plancfg *p, char *err, size_t errlen)
{
	const cJSON *kv, *ep;

	if (p->settings != NULL && !cJSON_IsObject(p->settings)) {
		snprintf(err, errlen, "osbroker: settings must be a mapping");
		return -1;
	}
	cJSON_ArrayForEach(kv, p->settings)
		if (!cJSON_IsString(kv) && !cJSON_IsNumber(kv) &&
		    !cJSON_IsBool(kv)) {
			snprintf(err, errlen, "osbroker: settings.%.64s must be "
			    "a string, number or boolean", kv->string);
			return -1;
		}
	if (p->secrets != NULL && !cJSON_IsObject(p->secrets)) {
		snprintf(err, errlen, "osbroker: secrets must be a mapping of "
		    "name to a number of random bytes");
		return -1;
	}
	cJSON_ArrayForEach(kv, p->secrets)
		if (!cJSON_IsNumber(kv) || !(kv->valuedouble >= 1 &&
		    kv->valuedouble <= PLANCFG_MAX_SECRET_BYTES) ||
		    kv->valuedouble != (double)(int)kv->valuedouble) {
			snprintf(err, errlen, "osbroker: secrets.%.64s must be a "
			    "number of random bytes from 1 to %d", kv->string,
			    PLANCFG_MAX_SECRET_BYTES);
			return -1;
		}
	if (p->hook_env != NULL && !cJSON_IsObject(p->hook_env)) {
		snprintf(err, errlen, "osbroker: hook_env must be a mapping");
		return -1;
	}
	cJSON_ArrayForEach(kv, p->hook_env)
		if (!env_name_ok(kv->string) || (!cJSON_IsString(kv) &&
		    !cJSON_IsNumber(kv))) {
			snprintf(err, errlen, "osbroker: hook_env.%.64s: names "
			    "are letters, digits and '_' (not OSBROKER_...), "
			    "values strings", kv->string);
			return -1;
		}
	if (p->credentials != NULL && !cJSON_IsObject(p->credentials)) {
		snprintf(err, errlen, "osbroker: credentials must be a mapping");
		return -1;
	}
	if (p->endpoints != NULL && !cJSON_IsArray(p->endpoints)) {
		snprintf(err, errlen, "osbroker: endpoints must be a sequence");
		return -1;
	}
	cJSON_ArrayForEach(ep, p->endpoints) {
		const cJSON *proto = cJSON_GetObjectItemCaseSensitive(ep,
		    "protocol");
		if (!cJSON_IsObject(ep) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ep,
		    "host")) ||
		    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(ep,
		    "ports")) || (proto != NULL && (!cJSON_IsString(proto) ||
		    (strcmp(proto->valuestring, "tcp") != 0 &&
		    strcmp(proto->valuestring, "udp") != 0 &&
		    strcmp(proto->valuestring, "all") != 0)))) {
			snprintf(err, errlen, "osbroker: each of endpoints needs "
			    "host (string), ports (sequence) and optionally "
			    "protocol tcp, udp or all");
			return -1;
		}
	}
	if (p->credentials != NULL && template_check(p->credentials,
	    p->secrets, p->settings, "osbroker: credentials", err,
	    errlen) == -1)
		return -1;
	if (p->endpoints != NULL && template_check(p->endpoints, p->secrets,
	    p->settings, "osbroker: endpoints", err, errlen) == -1)
		return -1;
	return 0;
}

int
plancfg_build(const cJSON *svc, const cJSON *plan, const char *base_dir,
    struct plancfg **out, char *err, size_t errlen)
{
	struct plancfg	*p;

	*out = NULL;
	if (unknown_keys(svc, "service", err, errlen) == -1 ||
	    unknown_keys(plan, "plan", err, errlen) == -1)
		return -1;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->validate_parameters = 1;
	p->settings = get(svc, plan, "settings");
	p->secrets = get(svc, plan, "secrets");
	p->credentials = get(svc, plan, "credentials");
	p->endpoints = get(svc, plan, "endpoints");
	p->hook_env = get(svc, plan, "hook_env");
	if (seconds(get(svc, plan, "hook_timeout"), "hook_timeout", 1,
	    PLANCFG_MAX_HOOK_TIMEOUT, PLANCFG_DEFAULT_HOOK_TIMEOUT,
	    &p->hook_timeout, err, errlen) == -1 ||
	    seconds(get(svc, plan, "poll_interval"), "poll_interval", 1,
	    OSB_MAX_POLL_INTERVAL, PLANCFG_DEFAULT_POLL_INTERVAL,
	    &p->poll_interval, err, errlen) == -1 ||
	    seconds(get(svc, plan, "binding_ttl"), "binding_ttl", 0,
	    OSB_MAX_BINDING_TTL, 0, &p->binding_ttl, err, errlen) == -1 ||
	    seconds(get(svc, plan, "binding_renew_before"),
	    "binding_renew_before", 0, OSB_MAX_BINDING_TTL, 0,
	    &p->binding_renew_before, err, errlen) == -1 ||
	    boolean(get(svc, plan, "requires_app"), "requires_app",
	    &p->requires_app, err, errlen) == -1 ||
	    boolean(get(svc, plan, "validate_parameters"),
	    "validate_parameters", &p->validate_parameters, err, errlen) == -1 ||
	    parse_async(p, get(svc, plan, "async"), err, errlen) == -1 ||
	    parse_hooks(p, get(svc, plan, "hooks"), base_dir, err,
	    errlen) == -1 ||
	    check_maps(p, err, errlen) == -1) {
		plancfg_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void
plancfg_free(struct plancfg *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < ACT__COUNT; i++)
		free(p->hook[i]);
	free(p);
}
