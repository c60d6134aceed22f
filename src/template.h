/* SPDX-License-Identifier: ISC */
/*
 * template: the built-in credentials of a plan, written in catalog.yml as a
 * JSON-like tree whose strings may hold placeholders:
 *
 *   ${instance_id} ${binding_id} ${service_id} ${plan_id} ${service_name}
 *   ${plan_name} ${secret.NAME} ${settings.NAME} ${param.NAME}
 *   ${param.NAME:-default}       $$ is a literal $
 *
 * ${param.NAME} is the binding's parameter NAME, else the instance's.  A
 * string that is exactly one placeholder takes the value's type (a numeric
 * port stays a number).  Templates are checked when the catalog loads
 * (unknown placeholders, undeclared secrets or settings), so expansion can
 * only fail on a request's missing or non-scalar parameter: a 400.
 *
 * Ownership: template_expand() returns a new tree (cJSON_Delete).
 */
#ifndef OSB_TEMPLATE_H
#define OSB_TEMPLATE_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct tvars {
	const char	*instance_id, *binding_id, *service_id, *plan_id;
	const char	*service_name, *plan_name;
	const cJSON	*secrets;		/* name -> generated string */
	const cJSON	*settings;		/* plan settings */
	const cJSON	*params;		/* the binding's parameters */
	const cJSON	*instance_params;	/* the instance's parameters */
};

/* 0, or -1 with what is wrong (where: a label such as "credentials"). */
int    template_check(const cJSON *tmpl, const cJSON *secrets,
           const cJSON *settings, const char *where, char *err,
           size_t errlen);

/* The expanded tree, or NULL with a request-level reason in err. */
cJSON *template_expand(const cJSON *tmpl, const struct tvars *,
           char *err, size_t errlen);

/* Generate the secrets a plan declares (name -> byte count) as lowercase
 * hex from the kernel's CSPRNG; NULL when that fails. */
cJSON *template_secrets(const cJSON *spec);

#endif
