/* SPDX-License-Identifier: ISC */
/*
 * auth: see auth.h.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "limits.h"
#include "log.h"
#include "pfile.h"
#include "planset.h"
#include "util.h"

#define AUTH_CACHE 8
#define SHARED_NAME	"auth-cache"
/* libxcrypt's sha1crypt (iterated HMAC-SHA1, salted) at about 100 rounds
 * (gensalt varies the count a little): ~0.08 ms a check, where the cheapest
 * SHA-512-crypt (1000 rounds) costs 0.35 ms, the bulk of a CGI request. */
#define SHARED_PREFIX	"$sha1$"
#define SHARED_ROUNDS	100

struct user {
	char	*name;
	char	*hash;
	char	*plans;		/* "plans=..." (planset.h), or NULL */
	int	 lineno;
};

struct auth {
	struct user	 users[OSB_MAX_CREDENTIAL_USERS];
	int		 nusers;
	struct stat	 st;		/* of the file when loaded */
	/* Authorization values verified since load (round robin). */
	char		*cache[AUTH_CACHE];
	int		 cache_user[AUTH_CACHE];
	int		 cache_next;
	char		 shared[OSB_MAX_PATH];	/* the shared cache's directory,
						   or "" */
};

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
auth_free(struct auth *a)
{
	int i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nusers; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
		free(a->users[i].plans);
	}
	for (i = 0; i < AUTH_CACHE; i++)
		wipe_free(a->cache[i]);
	free(a);
}

static int
parse_line(struct auth *a, char *line, int lineno, const char *path,
    char *err, size_t errlen)
{
	char	*colon, *hash, *plans, why[200];
	size_t	 len = strcspn(line, "\r\n");

	line[len] = '\0';
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	if ((colon = strchr(line, ':')) == NULL || colon == line) {
		snprintf(err, errlen, "%s:%d: expected \"username:hash\"",
		    path, lineno);
		return -1;
	}
	*colon = '\0';
	hash = colon + 1;
	/* An optional third field: the user's services and plans. */
	if ((plans = strchr(hash, ':')) != NULL) {
		*plans++ = '\0';
		if (planset_syntax(plans, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%d: user \"%s\": %s", path,
			    lineno, line, why);
			return -1;
		}
	}
	/* crypt(3) hashes start with "$id$"; anything else is plaintext or a
	 * DES hash, and both are refused. */
	if (hash[0] != '$' || strchr(hash + 1, '$') == NULL ||
	    strlen(hash) < 20) {
		snprintf(err, errlen, "%s:%d: the entry for \"%s\" is not a "
		    "crypt(3) hash (plaintext passwords are refused; create one "
		    "with: osbroker --hash-password)", path, lineno, line);
		return -1;
	}
	if (a->nusers == OSB_MAX_CREDENTIAL_USERS) {
		snprintf(err, errlen, "%s: more than %d users", path,
		    OSB_MAX_CREDENTIAL_USERS);
		return -1;
	}
	a->users[a->nusers].name = strdup(line);
	a->users[a->nusers].hash = strdup(hash);
	a->users[a->nusers].plans = plans != NULL ? strdup(plans) : NULL;
	a->users[a->nusers].lineno = lineno;
	a->nusers++;
	if (a->users[a->nusers - 1].name == NULL ||
	    a->users[a->nusers - 1].hash == NULL ||
	    (plans != NULL && a->users[a->nusers - 1].plans == NULL)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

struct auth *
auth_load(const char *path, char *err, size_t errlen)
{
	struct auth	*a;
	FILE		*f;
	char		 line[OSB_MAX_CREDENTIAL_LINE];
	int		 lineno = 0;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(a);
		return NULL;
	}
	if (fstat(fileno(f), &a->st) == -1)
		memset(&a->st, 0, sizeof(a->st));
	/* Hashes can be attacked offline: the file is for the broker's user
	 * (and at most its group, to read) only. */
	if (a->st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
		snprintf(err, errlen, "%s: mode %04o lets other users %s it; "
		    "chmod 0600 (or 0640) it", path,
		    (unsigned)(a->st.st_mode & 07777),
		    a->st.st_mode & S_IROTH ? "read" : "change");
		goto fail;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (parse_line(a, line, lineno, path, err, errlen) == -1)
			goto fail;
	}
	fclose(f);
	f = NULL;
	if (a->nusers == 0) {
		snprintf(err, errlen, "%s: no users", path);
		goto fail;
	}
	return a;
fail:
	if (f != NULL)
		fclose(f);
	auth_free(a);
	return NULL;
}

void
auth_reload_if_changed(struct auth **ap, const char *path)
{
	struct stat	 st;
	struct auth	*n;
	char		 err[512];

	if (stat(path, &st) == -1)
		return;
	if (st.st_ino == (*ap)->st.st_ino && st.st_size == (*ap)->st.st_size &&
	    st.st_mtim.tv_sec == (*ap)->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == (*ap)->st.st_mtim.tv_nsec)
		return;
	if ((n = auth_load(path, err, sizeof(err))) == NULL) {
		log_msg("credentials file changed but cannot be used, keeping "
		    "the previous users: %s", err);
		(*ap)->st = st;	/* do not retry until it changes again */
		return;
	}
	memcpy(n->shared, (*ap)->shared, sizeof(n->shared));
	auth_free(*ap);
	*ap = n;
	log_msg("credentials reloaded from %s (%d users)", path, n->nusers);
}

static int
verify(const char *password, const char *hash)
{
	struct crypt_data	*cd;
	const char		*out;
	int			 ok;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return 0;
	out = crypt_r(password, hash, cd);
	ok = out != NULL && out[0] == '$' &&
	    util_ct_equal(out, strlen(out), hash, strlen(hash));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* ---- The cache shared by processes (auth_share_cache()). ---- */

/* Its first line: the credentials file the entries were verified against. */
static void
shared_head(const struct auth *a, char *out, size_t outlen)
{
	char id[200];

	pfile_identity(&a->st, id, sizeof(id));
	snprintf(out, outlen, "osbroker-auth-cache 1 %s\n", id);
}

/* The entries after a matching first line, NUL-terminated and malloc'ed;
 * NULL when there is no usable cache.  The file is believed only as
 * pfile.h says: an entry grants access. */
static char *
shared_read(const struct auth *a, const char *file)
{
	char	 head[256], *buf, *body = NULL;
	size_t	 n, hl;

	if ((buf = pfile_read(file, OSB_MAX_AUTH_CACHE, &n)) == NULL)
		return NULL;
	shared_head(a, head, sizeof(head));
	hl = strlen(head);
	if (n >= hl && memcmp(buf, head, hl) == 0 && strlen(buf) == n)
		body = strdup(buf + hl);
	explicit_bzero(buf, n);
	free(buf);
	return body;
}

/* The hash remembered for user in the entries, or NULL.  Points into body
 * (the line's newline is replaced by a NUL). */
static char *
shared_find(char *body, const char *user)
{
	char	*line, *next, *colon;
	size_t	 ul = strlen(user);

	for (line = body; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (colon != NULL && (size_t)(colon - line) == ul &&
		    memcmp(line, user, ul) == 0 &&
		    strncmp(colon + 1, SHARED_PREFIX,
		    strlen(SHARED_PREFIX)) == 0)
			return colon + 1;
	}
	return NULL;
}

static int
shared_lookup(const struct auth *a, const char *file, const char *user,
    const char *password)
{
	char	*body, *hash;
	int	 ok = 0;

	if ((body = shared_read(a, file)) == NULL)
		return 0;
	if ((hash = shared_find(body, user)) != NULL)
		ok = verify(password, hash);
	explicit_bzero(body, strlen(body));
	free(body);
	return ok;
}

/* Remember user's verified password: the other users' entries are kept
 * while they belong to the same credentials file.  The file is replaced
 * atomically, so a reader sees the old entries or the new ones. */
static void
shared_store(const struct auth *a, const char *file, const char *user,
    const char *password)
{
	struct crypt_data *cd = NULL;
	char		 head[256], *setting = NULL, *old, *line, *next, *out = NULL;
	const char	*h;
	size_t		 ul = strlen(user), cap, n;

	if ((old = shared_read(a, file)) == NULL && (old = strdup("")) == NULL)
		return;
	if ((setting = crypt_gensalt_ra(SHARED_PREFIX, SHARED_ROUNDS, NULL,
	    0)) == NULL || (cd = calloc(1, sizeof(*cd))) == NULL ||
	    (h = crypt_r(password, setting, cd)) == NULL || h[0] != '$')
		goto out;
	shared_head(a, head, sizeof(head));
	cap = strlen(head) + strlen(old) + ul + strlen(h) + 4;
	if ((out = malloc(cap)) == NULL)
		goto out;
	n = (size_t)snprintf(out, cap, "%s", head);
	for (line = old; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (strncmp(line, user, ul) != 0 || line[ul] != ':')
			n += (size_t)snprintf(out + n, cap - n, "%s\n", line);
	}
	n += (size_t)snprintf(out + n, cap - n, "%s:%s\n", user, h);
	(void)pfile_replace(file, out, n);
out:
	if (cd != NULL) {
		explicit_bzero(cd, sizeof(*cd));
		free(cd);
	}
	if (out != NULL) {
		explicit_bzero(out, strlen(out));
		free(out);
	}
	free(setting);
	explicit_bzero(old, strlen(old));
	free(old);
}

void
auth_share_cache(struct auth *a, const char *dir)
{
	if (dir == NULL || (size_t)snprintf(a->shared, sizeof(a->shared),
	    "%s/%s", dir, SHARED_NAME) >= sizeof(a->shared))
		a->shared[0] = '\0';
}

int
auth_check(struct auth *a, const char *authorization, const char **user)
{
	const char *orig = authorization;
	char	*dec = NULL, *colon;
	size_t	 declen, hlen;
	int	 i, found = -1, ok = 0;

#ifdef OSB_BENCH_NO_AUTH
	/* Only in the binary `make bench` builds to measure what this check
	 * costs (bench/README.md); never in a broker that serves anyone. */
	(void)orig;
	if (user != NULL)
		*user = "bench-no-auth";
	return 1;
#endif
	if (authorization == NULL || strncasecmp(authorization, "Basic ", 6))
		return 0;
	hlen = strlen(authorization);
	for (i = 0; i < AUTH_CACHE; i++) {
		if (a->cache[i] != NULL &&
		    util_ct_equal(a->cache[i], strlen(a->cache[i]), authorization,
		    hlen)) {
			if (user != NULL)
				*user = a->users[a->cache_user[i]].name;
			return 1;
		}
	}
	authorization += 6;
	while (*authorization == ' ')
		authorization++;
	dec = util_b64_decode(authorization, strlen(authorization), &declen);
	if (dec == NULL || strlen(dec) != declen ||
	    (colon = strchr(dec, ':')) == NULL)
		goto done;
	*colon = '\0';
	for (i = 0; i < a->nusers; i++)
		if (util_ct_equal(dec, strlen(dec), a->users[i].name,
		    strlen(a->users[i].name)))
			found = i;
	if (found >= 0 && a->shared[0] != '\0' &&
	    shared_lookup(a, a->shared, a->users[found].name, colon + 1))
		ok = 1;
	else {
		/* Same work whether or not the user exists: an unknown user
		 * is checked against the first user's hash and refused
		 * regardless. */
		ok = verify(colon + 1, a->users[found >= 0 ? found : 0].hash)
		    && found >= 0;
		if (ok && a->shared[0] != '\0')
			shared_store(a, a->shared, a->users[found].name,
			    colon + 1);
	}
	if (ok) {
		i = a->cache_next;
		a->cache_next = (a->cache_next + 1) % AUTH_CACHE;
		wipe_free(a->cache[i]);
		/* The full header value, "Basic " included. */
		a->cache[i] = strdup(orig);
		a->cache_user[i] = found;
		if (user != NULL)
			*user = a->users[found].name;
	}
done:
	if (dec != NULL) {
		explicit_bzero(dec, declen);
		free(dec);
	}
	return ok;
}

int
auth_nusers(const struct auth *a)
{
	return a->nusers;
}

const char *
auth_user(const struct auth *a, int i, const char **plans, int *lineno)
{
	if (plans != NULL)
		*plans = a->users[i].plans;
	if (lineno != NULL)
		*lineno = a->users[i].lineno;
	return a->users[i].name;
}

const char *
auth_plans(const struct auth *a, const char *user)
{
	int i;

	for (i = 0; user != NULL && i < a->nusers; i++)
		if (strcmp(a->users[i].name, user) == 0)
			return a->users[i].plans;
	return NULL;
}

char *
auth_hash_password(const char *password)
{
	char		*setting, *out = NULL;
	struct crypt_data *cd;
	const char	*h;

	if ((setting = crypt_gensalt_ra("$y$", 0, NULL, 0)) == NULL)
		return NULL;
	if ((cd = calloc(1, sizeof(*cd))) != NULL) {
		h = crypt_r(password, setting, cd);
		if (h != NULL && h[0] == '$')
			out = strdup(h);
		explicit_bzero(cd, sizeof(*cd));
		free(cd);
	}
	free(setting);
	return out;
}
