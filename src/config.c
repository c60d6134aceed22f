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
	if ((n = parse_size(v)) < min) {
		snprintf(err, errlen, "%s: \"%s\" is not a size of at least %lld "
		    "bytes (e.g. 1048576, 512k, 1m)", var, v, min);
		return -1;
	}
	*dst = (size_t)n;
	return 0;
}

int
config_load(struct config *c, char *err, size_t errlen)
{
	char def[4096 + 16];

	memset(c, 0, sizeof(*c));
	if (copy_path(c->state_dir, sizeof(c->state_dir), "OSBROKER_STATE_DIR",
	    "state", err, errlen) == -1 ||
	    copy_path(c->catalog_path, sizeof(c->catalog_path),
	    "OSBROKER_CATALOG", "catalog.yml", err, errlen) == -1)
		return -1;
	snprintf(def, sizeof(def), "%s/credentials", c->state_dir);
	if (copy_path(c->credentials_path, sizeof(c->credentials_path),
	    "OSBROKER_CREDENTIALS", def, err, errlen) == -1)
		return -1;
	if (size_var(&c->max_body, "OSBROKER_MAX_BODY", OSB_DEFAULT_MAX_BODY,
	    64, err, errlen) == -1 ||
	    size_var(&c->map_size, "OSBROKER_MAP_SIZE", OSB_DEFAULT_MAP_SIZE,
	    1024 * 1024, err, errlen) == -1)
		return -1;
	return 0;
}
