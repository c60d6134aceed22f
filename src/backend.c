/* SPDX-License-Identifier: ISC */
/*
 * backend: built-in credentials.  See backend.h.
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "jsonin.h"
#include "plancfg.h"
#include "records.h"
#include "template.h"
#include "util.h"

/* Without a template: a user name unique in practice (64 bits) and 128 bits
 * of password. */
static cJSON *
default_credentials(const struct catalog_plan *p, const char *iid)
{
	cJSON		*cr;
	char		 user[2 + 16 + 1], pass[2 * 16 + 1], uri[1024];
	const char	*parts[] = { p->service_name, "://", user, ":", pass,
			    "@localhost/", iid };

	user[0] = 'u';
	user[1] = '-';
	if (util_random_hex(user + 2, 8) == -1 || util_random_hex(pass, 16) == -1)
		return NULL;
	if ((cr = cJSON_CreateObject()) == NULL)
		return NULL;
	records_add_str(cr, "username", user);
	records_add_str(cr, "password", pass);
	/* "%s://%s:%s@localhost/%s", without printf. */
	util_concat(uri, sizeof(uri), parts, 7);
	records_add_str(cr, "uri", uri);
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(uri, sizeof(uri));
	return cr;
}

static void
stringify_ports(cJSON *eps)
{
	cJSON	*ep, *ports;
	char	 buf[32];
	int	 i, n;

	cJSON_ArrayForEach(ep, eps) {
		ports = jsonin_member(ep, "ports");
		n = cJSON_GetArraySize(ports);
		for (i = 0; i < n; i++)
			if (cJSON_IsNumber(cJSON_GetArrayItem(ports, i))) {
				snprintf(buf, sizeof(buf), "%.0f",
				    cJSON_GetArrayItem(ports, i)->valuedouble);
				cJSON_ReplaceItemInArray(ports, i,
				    cJSON_CreateString(buf));
			}
	}
}

cJSON *
backend_credentials(const struct catalog_plan *p, const char *iid,
    const char *bid, const cJSON *params, const cJSON *instance_params,
    cJSON **endpoints, int *internal, char *err, size_t errlen)
{
	struct tvars	 v;
	cJSON		*secrets, *cr = NULL;

	*endpoints = NULL;
	*internal = 0;
	err[0] = '\0';
	if (p->cfg->credentials == NULL && p->cfg->endpoints == NULL) {
		if ((cr = default_credentials(p, iid)) == NULL)
			*internal = 1;
		return cr;
	}
	if ((secrets = template_secrets(p->cfg->secrets)) == NULL) {
		*internal = 1;
		return NULL;
	}
	memset(&v, 0, sizeof(v));
	v.instance_id = iid;
	v.binding_id = bid;
	v.service_id = p->service_id;
	v.plan_id = p->plan_id;
	v.service_name = p->service_name;
	v.plan_name = p->plan_name;
	v.secrets = secrets;
	v.settings = p->cfg->settings;
	v.params = params;
	v.instance_params = instance_params;
	if (p->cfg->credentials != NULL)
		cr = template_expand(p->cfg->credentials, &v, err, errlen);
	else if ((cr = default_credentials(p, iid)) == NULL)
		*internal = 1;
	if (cr != NULL && p->cfg->endpoints != NULL &&
	    (*endpoints = template_expand(p->cfg->endpoints, &v, err,
	    errlen)) == NULL) {
		cJSON_Delete(cr);
		cr = NULL;
	}
	/* spec.md "Endpoint Object": ports are strings, even where the
	 * template took a numeric setting. */
	if (*endpoints != NULL)
		stringify_ports(*endpoints);
	/* Wipe the generated secrets before they are freed. */
	{
		cJSON *s;
		cJSON_ArrayForEach(s, secrets)
			explicit_bzero(s->valuestring, strlen(s->valuestring));
	}
	cJSON_Delete(secrets);
	return cr;
}

cJSON *
backend_binding_metadata(const struct catalog_plan *p, time_t now)
{
	long	 ttl = p->cfg->binding_ttl;
	long	 renew = p->cfg->binding_renew_before;
	cJSON	*md;
	char	 buf[32];

	if (ttl <= 0)
		return NULL;
	if ((md = cJSON_CreateObject()) == NULL)
		return NULL;
	util_fmt_iso8601(now + ttl, buf, sizeof(buf));
	records_add_str(md, "expires_at", buf);
	/* spec.md "Binding Metadata Object": renew_before <= expires_at. */
	if (renew > ttl)
		renew = ttl;
	util_fmt_iso8601(now + ttl - renew, buf, sizeof(buf));
	records_add_str(md, "renew_before", buf);
	return md;
}
