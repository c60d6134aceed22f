/* SPDX-License-Identifier: ISC */
/*
 * config: see config.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "limits.h"
#include "util.h"

static int
copy_path(char *dst, size_t dstlen, const char *var, const char *def,
    char *err, size_t errlen)
{
	const char *v = getenv(var);

	if (v == NULL || *v == '\0')
		v = def;
	if (strlen(v) >= dstlen) {
		snprintf(err, errlen, "%s is too long", var);
		return -1;
	}
	strcpy(dst, v);
	return 0;
}

static int
size_var(size_t *dst, const char *var, long long def, long long min,
    char *err, size_t errlen)
{
	const char	*v = getenv(var);
	long long	 n;

	if (v == NULL || *v == '\0') {
		*dst = (size_t)def;
		return 0;
	}
	if ((n = util_parse_size(v)) < min) {
		snprintf(err, errlen, "%s: \"%s\" is not a size of at least %lld "
		    "bytes (e.g. 1048576, 512k, 1m)", var, v, min);
		return -1;
	}
	*dst = (size_t)n;
	return 0;
}

/* A count within [min, max], or def when unset. */
static int
count_var(long long *dst, const char *var, long long def, long long min,
    long long max, char *err, size_t errlen)
{
	const char	*v = getenv(var);
	long long	 n;

	if (v == NULL || *v == '\0') {
		*dst = def;
		return 0;
	}
	if ((n = util_parse_size(v)) < min || n > max) {
		snprintf(err, errlen, "%s: \"%s\" is not a number from %lld to "
		    "%lld", var, v, min, max);
		return -1;
	}
	*dst = n;
	return 0;
}

int
config_load(struct config *c, char *err, size_t errlen)
{
	char		def[OSB_MAX_PATH + OSB_MAX_NAME];
	long long	n;

	memset(c, 0, sizeof(*c));
	if (copy_path(c->state_dir, sizeof(c->state_dir), "OSBROKER_STATE_DIR",
	    "state", err, errlen) == -1 ||
	    copy_path(c->catalog_path, sizeof(c->catalog_path),
	    "OSBROKER_CATALOG", "catalog.yml", err, errlen) == -1)
		return -1;
	if (copy_path(c->store, sizeof(c->store), "OSBROKER_STORE", "", err,
	    errlen) == -1 ||
	    copy_path(c->host_id, sizeof(c->host_id), "OSBROKER_HOST_ID", "",
	    err, errlen) == -1)
		return -1;
	if (!util_id_valid(c->host_id) && c->host_id[0] != '\0') {
		snprintf(err, errlen, "OSBROKER_HOST_ID: \"%s\" is not an id "
		    "(letters, digits, '-', '.', '_', '~')", c->host_id);
		return -1;
	}
	snprintf(def, sizeof(def), "%s/credentials", c->state_dir);
	if (copy_path(c->credentials_path, sizeof(c->credentials_path),
	    "OSBROKER_CREDENTIALS", def, err, errlen) == -1)
		return -1;
	if (size_var(&c->max_body, "OSBROKER_MAX_BODY", OSB_DEFAULT_MAX_BODY,
	    OSB_MIN_MAX_BODY, err, errlen) == -1 ||
	    size_var(&c->map_size, "OSBROKER_MAP_SIZE", OSB_DEFAULT_MAP_SIZE,
	    OSB_MIN_MAP_SIZE, err, errlen) == -1 ||
	    size_var(&c->max_hook_output, "OSBROKER_MAX_HOOK_OUTPUT",
	    OSB_MAX_HOOK_STDOUT, OSB_MIN_HOOK_STDOUT, err, errlen) == -1)
		return -1;
	if (count_var(&n, "OSBROKER_MAX_ID_LEN", OSB_MAX_ID_LEN, 1,
	    OSB_MAX_ID_LEN, err, errlen) == -1)
		return -1;
	c->max_id_len = (size_t)n;
	if (count_var(&n, "OSBROKER_MAX_JSON_DEPTH", OSB_MAX_JSON_DEPTH, 1,
	    OSB_MAX_JSON_DEPTH_CAP, err, errlen) == -1)
		return -1;
	c->max_json_depth = (int)n;
	if (count_var(&n, "OSBROKER_MAX_JSON_KEYS", OSB_MAX_JSON_KEYS, 1,
	    OSB_MAX_JSON_KEYS_CAP, err, errlen) == -1)
		return -1;
	c->max_json_keys = (size_t)n;
	if (count_var(&n, "OSBROKER_REQUEST_TIMEOUT",
	    OSB_DEFAULT_REQUEST_TIMEOUT, OSB_REQUEST_TIMEOUT_MARGIN + 1,
	    OSB_MAX_REQUEST_TIMEOUT,
	    err, errlen) == -1)
		return -1;
	c->request_timeout = (long)n;
	if (count_var(&n, "OSBROKER_AUDIT_DAYS", OSB_DEFAULT_AUDIT_DAYS, 0,
	    OSB_MAX_AUDIT_DAYS, err, errlen) == -1)
		return -1;
	c->audit_days = (long)n;
	if (count_var(&n, "OSBROKER_AUTH_FAILURES", OSB_DEFAULT_AUTH_FAILURES,
	    0, OSB_MAX_AUTH_FAILURES, err, errlen) == -1)
		return -1;
	c->auth_failures = (unsigned)n;
	if (count_var(&n, "OSBROKER_AUTH_WINDOW", OSB_DEFAULT_AUTH_WINDOW, 1,
	    OSB_MAX_AUTH_WINDOW, err, errlen) == -1)
		return -1;
	c->auth_window = (unsigned)n;
	return 0;
}
