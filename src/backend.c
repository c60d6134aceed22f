/*
 * backend: built-in credentials.  See backend.h.
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "util.h"

static const cJSON *
setting(const struct catalog_plan *p, const char *name)
{
	const cJSON *v = NULL;

	if (p->plan_broker != NULL)
		v = cJSON_GetObjectItemCaseSensitive(p->plan_broker, name);
	if (v == NULL && p->service_broker != NULL)
		v = cJSON_GetObjectItemCaseSensitive(p->service_broker, name);
	return v;
}

long
backend_setting_long(const struct catalog_plan *p, const char *name, long def)
{
	const cJSON *v = setting(p, name);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble < 1e12 ? (long)v->valuedouble : def;
}

int
backend_setting_bool(const struct catalog_plan *p, const char *name, int def)
{
	const cJSON *v = setting(p, name);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

cJSON *
backend_credentials(const struct catalog_plan *p, const char *iid,
    const char *bid)
{
	cJSON	*cr;
	char	 user[2 + 16 + 1], pass[2 * 16 + 1], uri[1024];

	(void)bid;
	/* 64 bits make a user name unique in practice; 128 bits of password. */
	user[0] = 'u';
	user[1] = '-';
	if (random_hex(user + 2, 8) == -1 || random_hex(pass, 16) == -1)
		return NULL;
	if ((cr = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(cr, "username", user);
	cJSON_AddStringToObject(cr, "password", pass);
	snprintf(uri, sizeof(uri), "%s://%s:%s@localhost/%s", p->service_name,
	    user, pass, iid);
	cJSON_AddStringToObject(cr, "uri", uri);
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(uri, sizeof(uri));
	return cr;
}

cJSON *
backend_binding_metadata(const struct catalog_plan *p, time_t now)
{
	long	 ttl = backend_setting_long(p, "binding_ttl", 0);
	long	 renew = backend_setting_long(p, "binding_renew_before", 0);
	cJSON	*md;
	char	 buf[32];

	if (ttl <= 0)
		return NULL;
	if ((md = cJSON_CreateObject()) == NULL)
		return NULL;
	fmt_iso8601(now + ttl, buf, sizeof(buf));
	cJSON_AddStringToObject(md, "expires_at", buf);
	/* spec.md "Binding Metadata Object": renew_before <= expires_at. */
	if (renew > ttl)
		renew = ttl;
	fmt_iso8601(now + ttl - renew, buf, sizeof(buf));
	cJSON_AddStringToObject(md, "renew_before", buf);
	return md;
}
