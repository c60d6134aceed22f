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

struct config {
	char		 state_dir[4096];	/* OSBROKER_STATE_DIR, "state" */
	char		 catalog_path[4096];	/* OSBROKER_CATALOG, "catalog.yml" */
	char		 credentials_path[4096];/* OSBROKER_CREDENTIALS */
	size_t		 max_body;		/* OSBROKER_MAX_BODY */
	size_t		 map_size;		/* OSBROKER_MAP_SIZE */
	int		 fastcgi;		/* set by main: not plain CGI */
};

/* Fill *c from the environment.  Returns 0, or -1 with a message in err. */
int config_load(struct config *c, char *err, size_t errlen);

#endif
