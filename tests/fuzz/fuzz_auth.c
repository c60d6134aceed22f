/* SPDX-License-Identifier: ISC */
/*
 * fuzz_auth: the Authorization header through auth_check() (src/auth.c),
 * against a struct auth loaded once from a temporary credentials file.
 *
 * The input is the header value, a C string (it ends at the first NUL).
 * What is fuzzed is the parsing ("Basic", spaces, base64, the colon, the
 * user lookup), not the hash function, so the two users' hashes are
 * md5crypt ("$1$", about 0.1 ms a check: the broker's yescrypt costs
 * milliseconds); auth.c accepts any "$id$..." crypt(3) hash.  Salts are
 * fixed, so the file is the same on every run.
 *
 * auth_check() remembers the header values it has verified (per worker,
 * AUTH_CACHE of them, round robin).  So that the path an input takes does
 * not depend on the inputs before it, every input is checked twice: the
 * first call may or may not find it in the cache (only a header that
 * verified can be there, and the first time it was seen it took the
 * uncached path), the second one finds it there if it verified.  Both must
 * agree with an independent decision: "Basic" in any case, a space,
 * optional spaces, canonical base64 (padding optional) of
 * "user:password" without NUL, for one of the two users.
 */
#include <crypt.h>
#include <strings.h>

#include "auth.h"
#include "fuzz.h"
#include "util.h"

static const struct {
	const char	*user, *password, *salt;
} users[] = {
	{ "fuzz", "fuzz-password", "$1$fuzzsalt$" },
	{ "admin", "correct horse battery staple", "$1$adminslt$" },
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

static struct auth *auth;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct crypt_data	 cd;
	char			 text[1024], err[512];
	const char		*h, *path;
	size_t			 i, o;

	(void)argc;
	(void)argv;
	o = (size_t)snprintf(text, sizeof(text), "# fuzz_auth users\n\n");
	for (i = 0; i < NUSERS; i++) {
		memset(&cd, 0, sizeof(cd));
		if ((h = crypt_r(users[i].password, users[i].salt, &cd)) ==
		    NULL || h[0] != '$')
			fuzz_die("crypt_r(%s) failed", users[i].salt);
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s:%s\n",
		    users[i].user, h);
	}
	/* auth_load() refuses a file others may read. */
	path = fuzz_tmp_make("credentials", text, 0600);
	if ((auth = auth_load(path, err, sizeof(err))) == NULL)
		fuzz_die("auth_load: %s", err);
	return 0;
}

static int
b64v(int c)
{
	const char	*abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789+/";
	const char	*p = c != '\0' ? strchr(abc, c) : NULL;

	return p != NULL ? (int)(p - abc) : -1;
}

/* The independent decision: the index of the user granted, or -1. */
static int
expected(const char *h)
{
	char		 dec[8192];
	size_t		 len, pad = 0, i, n = 0;
	unsigned	 acc = 0;
	int		 bits = 0, v;
	const char	*colon;

	if (strncasecmp(h, "Basic ", 6) != 0)
		return -1;
	for (h += 6; *h == ' '; h++)
		;
	len = strlen(h);
	while (len > 0 && h[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if ((pad > 0 && (len + pad) % 4 != 0) || len % 4 == 1 ||
	    len / 4 * 3 + 3 > sizeof(dec))
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64v((unsigned char)h[i])) < 0)
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			dec[n++] = (char)(acc >> bits & 0xff);
		}
	}
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	if (memchr(dec, '\0', n) != NULL ||
	    (colon = memchr(dec, ':', n)) == NULL)
		return -1;
	for (i = 0; i < NUSERS; i++)
		if (strlen(users[i].user) == (size_t)(colon - dec) &&
		    memcmp(users[i].user, dec, (size_t)(colon - dec)) == 0 &&
		    strlen(users[i].password) == n - (size_t)(colon - dec) - 1 &&
		    memcmp(users[i].password, colon + 1,
		    n - (size_t)(colon - dec) - 1) == 0)
			return (int)i;
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*h = fuzz_copy(data, size);
	const char	*user;
	int		 want = expected(h), call, ok;

	for (call = 0; call < 2; call++) {
		user = NULL;
		ok = auth_check(auth, h, &user);
		FUZZ_CHECK(ok == (want >= 0), "call %d: auth_check says %d for "
		    "\"%s\", want %d", call + 1, ok, h, want >= 0);
		FUZZ_CHECK(ok ? user != NULL &&
		    strcmp(user, users[want].user) == 0 : user == NULL,
		    "call %d: user %s", call + 1, user ? user : "(none)");
	}
	/* A NULL header (none sent) never grants. */
	FUZZ_CHECK(auth_check(auth, NULL, &user) == 0, "no header granted");
	free(h);
	return 0;
}
