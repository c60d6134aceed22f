/* SPDX-License-Identifier: ISC */
/*
 * config: the broker's settings, read once at start from the environment.
 *
 * Environment is the one configuration channel that works the same under
 * spawn-fcgi (inherited), fcgiwrap (nginx fastcgi_param) and Apache mod_cgi
 * (SetEnv), so there is no config file.  Paths are kept as given; relative ones
 * resolve against the working directory the web server or spawner gives us.
 */
#ifndef OSB_CONFIG_H
#define OSB_CONFIG_H

#include <stddef.h>

#include "limits.h"

struct config {
	/* OSBROKER_STATE_DIR ("state"), OSBROKER_CATALOG ("catalog.yml"),
	 * OSBROKER_CREDENTIALS */
	char		 state_dir[OSB_MAX_PATH];
	char		 catalog_path[OSB_MAX_PATH];
	char		 credentials_path[OSB_MAX_PATH];
	/* OSBROKER_STORE: "" (LMDB in state_dir) or a libpq connection
	 * string (store.h).  May hold a password: never logged. */
	char		 store[OSB_MAX_STORE_SPEC];
	/* OSBROKER_HOST_ID, "" when unset (then the machine id): this
	 * host's identity, for the runners of operations on a shared store
	 * (op.h "Hosts") */
	char		 host_id[OSB_MAX_HOST_ID];
	size_t		 max_body;		/* OSBROKER_MAX_BODY */
	size_t		 map_size;		/* OSBROKER_MAP_SIZE */
	size_t		 max_id_len;		/* OSBROKER_MAX_ID_LEN, 1..255 */
	int		 max_json_depth;	/* OSBROKER_MAX_JSON_DEPTH, 1..64 */
	size_t		 max_json_keys;		/* OSBROKER_MAX_JSON_KEYS */
	size_t		 max_hook_output;	/* OSBROKER_MAX_HOOK_OUTPUT, bytes */
	long		 request_timeout;	/* OSBROKER_REQUEST_TIMEOUT, s */
	long		 audit_days;		/* OSBROKER_AUDIT_DAYS: audit
						   entries kept; 0: forever */
	unsigned	 auth_failures;		/* OSBROKER_AUTH_FAILURES: failed
						   authentications an address
						   may make at once; 0: none
						   counted (throttle.h) */
	unsigned	 auth_window;		/* OSBROKER_AUTH_WINDOW, s: in
						   which they all come back */
	int		 fastcgi;		/* set by main: not plain CGI */
};

/* Fill *c from the environment.  Returns 0, or -1 with a message in err. */
int config_load(struct config *c, char *err, size_t errlen);

#endif
