/* SPDX-License-Identifier: ISC */
/*
 * test_auth.c: the credentials file (crypt(3) hashes only), HTTP Basic
 * checks, the cache of verified headers, the cache shared by CGI processes
 * (auth_share_cache()) and reloading on change.
 *
 * Everything happens in a mkdtemp(3) directory removed at the end.  Hashes
 * are yescrypt and cost milliseconds each (much more under valgrind), so the
 * test makes three.
 */
#include <crypt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "tap.h"

static char dir[64];
static char path[128];
static time_t stamp;

/* Write text to name (in dir) and give it a new, later mtime, so that a
 * rewrite is always noticed however coarse the file system's clock is. */
static void
write_file(const char *name, const char *text)
{
	struct timespec	 ts[2];
	char		 p[192], tmp[200];
	FILE		*f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	if ((f = fopen(tmp, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0 || chmod(tmp, 0600) == -1) {
		perror(tmp);
		exit(2);
	}
	stamp += 10;
	ts[0].tv_sec = ts[1].tv_sec = stamp;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, tmp, ts, 0) == -1 || rename(tmp, p) == -1) {
		perror(p);
		exit(2);
	}
}

/* "Basic " + base64 of s. */
static char *
basic(const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static char	 out[512];
	const unsigned char *u = (const unsigned char *)s;
	size_t		 n = strlen(s), i, o = 6;
	unsigned long	 v;

	memcpy(out, "Basic ", 6);
	for (i = 0; i < n; i += 3) {
		v = (unsigned long)u[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)u[i + 1] << 8;
		if (i + 2 < n)
			v |= u[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static void
checks(struct auth *a, const char *header, int want, const char *wantuser,
    const char *what)
{
	const char	*user = NULL;
	int		 rc;

	rc = auth_check(a, header, &user);
	CHECK(rc == want && (want == 0 || (user != NULL &&
	    strcmp(user, wantuser) == 0)), "auth_check %s: %s", what,
	    want ? "granted" : "refused");
}

/* auth_load of text must fail with a message containing the file's path
 * and needle. */
static void
load_fails(const char *text, const char *needle, const char *what)
{
	struct auth	*a;
	char		 err[512] = "";

	write_file("bad", text);
	snprintf(path, sizeof(path), "%s/bad", dir);
	a = auth_load(path, err, sizeof(err));
	CHECK(a == NULL && strstr(err, path) != NULL &&
	    strstr(err, needle) != NULL, "auth_load refuses %s", what);
	if (a != NULL || strstr(err, needle) == NULL)
		printf("#   err: %s\n#   want: %s\n", err, needle);
	auth_free(a);
}

/* The shared cache file of dir with bob's entry replaced by a hash of
 * password (what a forger who could write the file would do). */
static void
forge_entry(const char *file, const char *password)
{
	struct crypt_data cd;
	char	 buf[4096], head[512];
	FILE	*f;
	size_t	 n;

	memset(&cd, 0, sizeof(cd));
	if ((f = fopen(file, "r")) == NULL || fgets(head, sizeof(head), f) ==
	    NULL) {
		perror(file);
		exit(2);
	}
	fclose(f);
	n = (size_t)snprintf(buf, sizeof(buf), "%sbob:%s\n", head,
	    crypt_r(password, "$sha1$90$forgedsaltforged$", &cd));
	if ((f = fopen(file, "w")) == NULL || fwrite(buf, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(file);
		exit(2);
	}
}

static int
file_has(const char *file, const char *needle)
{
	char	 buf[4096];
	size_t	 n;
	FILE	*f;

	if ((f = fopen(file, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* Processes that share verified passwords through dir/auth-cache: each
 * struct auth here stands for one CGI process. */
static void
shared_cache(const char *cred, const char *sdir)
{
	struct auth	*p1, *p2, *p3;
	struct stat	 st;
	char		 err[512], file[256];

	snprintf(file, sizeof(file), "%s/auth-cache", sdir);
	p1 = auth_load(cred, err, sizeof(err));
	p2 = auth_load(cred, err, sizeof(err));
	if (p1 == NULL || p2 == NULL) {
		CHECK(0, "auth_load for the shared cache: %s", err);
		return;
	}
	auth_share_cache(p1, sdir);
	auth_share_cache(p2, sdir);
	checks(p1, basic("bob:wrong"), 0, NULL, "shared: wrong password");
	CHECK(stat(file, &st) == -1, "shared: a wrong password is not kept");
	checks(p1, basic("bob:pw-bob"), 1, "bob", "shared: bob verified");
	CHECK(stat(file, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "shared: cache written, mode 0600");
	CHECK(file_has(file, "\nbob:$sha1$") && !file_has(file, "pw-bob"),
	    "shared: a sha1crypt hash, not the password");
	checks(p2, basic("bob:pw-bob"), 1, "bob", "shared: another process");
	checks(p2, basic("bob:pw-bobx"), 0, NULL, "shared: another process, "
	    "wrong password");

	/* An entry grants access: a forged one shows the file is used, and
	 * why it must be the broker's own. */
	forge_entry(file, "forged");
	p3 = auth_load(cred, err, sizeof(err));
	auth_share_cache(p3, sdir);
	checks(p3, basic("bob:forged"), 1, "bob", "shared: the entry is what "
	    "is checked");
	auth_free(p3);
	chmod(file, 0620);
	p3 = auth_load(cred, err, sizeof(err));
	auth_share_cache(p3, sdir);
	checks(p3, basic("bob:forged"), 0, NULL, "shared: a group-writable "
	    "cache is not believed");
	auth_free(p3);
	chmod(file, 0600);
	/* Any change of the credentials file voids the entries. */
	write_file("credentials", "# rewritten, same users\n"
	    "bob:$y$j9T$nothing$nothingnothingnothingnothingnothing\n");
	p3 = auth_load(cred, err, sizeof(err));
	if (p3 != NULL) {
		auth_share_cache(p3, sdir);
		checks(p3, basic("bob:forged"), 0, NULL, "shared: entries of "
		    "an older credentials file are void");
	} else
		CHECK(0, "auth_load after the rewrite: %s", err);
	auth_free(p3);
	auth_free(p1);
	auth_free(p2);
	unlink(file);
}

/* A third field, plans=...: kept per user with its line; its syntax
 * checked at load; two-field lines as before. */
static void
plans_field(const char *ha, const char *hb)
{
	struct auth	*a;
	char		 text[1024], err[512] = "";
	const char	*plans = "x", *name;
	int		 lineno = 0;

	snprintf(text, sizeof(text), "# two platforms\nalice:%s:plans="
	    "svc-a/small,svc-b\nbob:%s\r\n", ha, hb);
	write_file("plans", text);
	snprintf(path, sizeof(path), "%s/plans", dir);
	a = auth_load(path, err, sizeof(err));
	CHECK(a != NULL, "plans=: a line with a third field loads");
	if (a == NULL) {
		printf("#   %s\n", err);
		return;
	}
	checks(a, basic("alice:pw-alice"), 1, "alice", "a user with plans=");
	checks(a, basic("bob:pw-bob"), 1, "bob", "a user without plans=");
	CHECK(auth_nusers(a) == 2, "plans=: two users");
	name = auth_user(a, 0, &plans, &lineno);
	CHECK(strcmp(name, "alice") == 0 && plans != NULL &&
	    strcmp(plans, "plans=svc-a/small,svc-b") == 0 && lineno == 2,
	    "plans=: the field and its line are kept");
	name = auth_user(a, 1, &plans, &lineno);
	CHECK(strcmp(name, "bob") == 0 && plans == NULL && lineno == 3,
	    "plans=: none for a two-field line");
	CHECK(auth_plans(a, "alice") != NULL && auth_plans(a, "bob") == NULL &&
	    auth_plans(a, "carol") == NULL && auth_plans(a, NULL) == NULL,
	    "auth_plans: by user name");
	auth_free(a);

	snprintf(text, sizeof(text), "alice:%s\nbob:%s:plans=\n", ha, hb);
	load_fails(text, ":2:", "an empty plans= field");
	snprintf(text, sizeof(text), "alice:%s:services=svc-a\n", ha);
	load_fails(text, ":1: user \"alice\"", "a third field that is not "
	    "plans=");
	snprintf(text, sizeof(text), "alice:%s:plans=svc-a/small/x\n", ha);
	load_fails(text, "entry 1", "a plans= entry with two slashes");
	snprintf(text, sizeof(text), "alice:%s:plans=a:b\n", ha);
	load_fails(text, ":1:", "a fourth field");
}

int
main(void)
{
	struct auth	*a;
	char		*ha, *hb, *hc, text[1024], err[512], cred[128];
	const char	*user;

	stamp = time(NULL);
	snprintf(dir, sizeof(dir), "/tmp/osb-test-auth.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(cred, sizeof(cred), "%s/credentials", dir);

	ha = auth_hash_password("pw-alice");
	hb = auth_hash_password("pw-bob");
	hc = auth_hash_password("pw-alice");
	CHECK(ha != NULL && hb != NULL && hc != NULL, "auth_hash_password");
	if (ha == NULL || hb == NULL || hc == NULL)
		goto out;
	CHECK(strncmp(ha, "$y$", 3) == 0, "hash is yescrypt ($y$)");
	CHECK(strcmp(ha, hc) != 0, "same password, fresh salt, other hash");
	CHECK(strstr(ha, "pw-alice") == NULL, "hash does not hold the password");

	snprintf(text, sizeof(text), "# broker users\n\nalice:%s\r\n"
	    "bob:%s\n", ha, hb);
	write_file("credentials", text);
	a = auth_load(cred, err, sizeof(err));
	CHECK(a != NULL, "auth_load: two users, comment, blank, CRLF");
	if (a == NULL) {
		printf("#   %s\n", err);
		goto out;
	}

	checks(a, basic("alice:pw-alice"), 1, "alice", "alice");
	checks(a, basic("bob:pw-bob"), 1, "bob", "bob");
	checks(a, basic("alice:pw-alice"), 1, "alice", "alice again (cached)");
	checks(a, basic("bob:pw-bob"), 1, "bob", "bob again (cached)");
	CHECK(auth_check(a, basic("alice:pw-alice"), NULL) == 1,
	    "auth_check: user is optional");
	checks(a, basic("alice:pw-bob"), 0, NULL, "alice with bob's password");
	checks(a, basic("alice:pw-alicE"), 0, NULL, "wrong case in password");
	checks(a, basic("alice:pw-alice "), 0, NULL, "password plus a space");
	checks(a, basic("alice:"), 0, NULL, "empty password");
	checks(a, basic("carol:pw-alice"), 0, NULL, "unknown user");
	checks(a, basic("Alice:pw-alice"), 0, NULL, "user names are exact");
	checks(a, basic(":pw-alice"), 0, NULL, "empty user");
	checks(a, basic("alicepw-alice"), 0, NULL, "no colon");
	checks(a, NULL, 0, NULL, "missing header");
	checks(a, "", 0, NULL, "empty header");
	checks(a, "Basic", 0, NULL, "\"Basic\" alone");
	checks(a, "Basic ", 0, NULL, "\"Basic \" alone");
	checks(a, "Bearer YWxpY2U6cHctYWxpY2U=", 0, NULL, "Bearer scheme");
	checks(a, "YWxpY2U6cHctYWxpY2U=", 0, NULL, "no scheme");
	checks(a, "Basic YWxpY2U6cHctYWxpY2U=!", 0, NULL, "malformed base64");
	checks(a, "Basic YWxpY2U6cHctYWxpY2", 0, NULL, "truncated base64");
	checks(a, "Basic YWxpY2UAOnB3LWFsaWNl", 0, NULL,
	    "NUL byte in the credentials");
	checks(a, "basic YWxpY2U6cHctYWxpY2U=", 1, "alice",
	    "scheme is case-insensitive");
	checks(a, "Basic   YWxpY2U6cHctYWxpY2U=", 1, "alice",
	    "spaces after the scheme");
	checks(a, basic("bob:pw-bob"), 1, "bob", "bob after failures");

	/* Bad files: the message names the file and the line. */
	load_fails("# users\nuser:secret\n", ":2:", "a plaintext entry");
	load_fails("user:$1$\n", ":1:", "a truncated hash");
	load_fails("user:abJnggxhB/yWI\n", ":1:", "a DES hash");
	load_fails("no colon here\n", ":1:", "a line without a colon");
	load_fails("", "no users", "an empty file");
	load_fails("# only\n\n# comments\n", "no users", "comments only");
	plans_field(ha, hb);
	snprintf(path, sizeof(path), "%s/missing", dir);
	err[0] = '\0';
	CHECK(auth_load(path, err, sizeof(err)) == NULL &&
	    strstr(err, path) != NULL, "auth_load refuses a missing file");
	{
		/* Modes: readable by all, writable by the group: refused;
		 * readable by the group: accepted. */
		static const struct { mode_t mode; int ok; const char *what; }
		    m[] = { { 0604, 0, "world-readable" },
		    { 0620, 0, "group-writable" }, { 0602, 0, "world-writable" },
		    { 0640, 1, "group-readable" }, { 0600, 1, "private" } };
		char	 good[512];
		size_t	 i;
		struct auth *b;

		snprintf(good, sizeof(good), "alice:%s\n", ha);
		for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
			write_file("modes", good);
			snprintf(path, sizeof(path), "%s/modes", dir);
			chmod(path, m[i].mode);
			err[0] = '\0';
			b = auth_load(path, err, sizeof(err));
			CHECK((b != NULL) == m[i].ok && (m[i].ok ||
			    strstr(err, "chmod 0600") != NULL),
			    "credentials file mode %04o (%s): %s",
			    (unsigned)m[i].mode, m[i].what, m[i].ok ?
			    "accepted" : "refused");
			auth_free(b);
		}
	}

	/* Reload: unchanged file keeps the struct. */
	{
		struct auth *before = a;

		auth_reload_if_changed(&a, cred);
		CHECK(a == before, "unchanged file: nothing reloaded");
	}

	/* New users: carol in, bob out (and bob's cached header with him). */
	snprintf(text, sizeof(text), "alice:%s\ncarol:%s\n", ha, hc);
	write_file("credentials", text);
	auth_reload_if_changed(&a, cred);
	checks(a, basic("carol:pw-alice"), 1, "carol", "carol after reload");
	checks(a, basic("alice:pw-alice"), 1, "alice", "alice after reload");
	checks(a, basic("bob:pw-bob"), 0, NULL,
	    "bob (removed, was cached) after reload");

	/* A broken edit keeps the previous users. */
	write_file("credentials", "alice:plaintext\n");
	auth_reload_if_changed(&a, cred);
	checks(a, basic("carol:pw-alice"), 1, "carol",
	    "carol kept after a broken edit");
	checks(a, basic("alice:pw-alice"), 1, "alice",
	    "alice kept after a broken edit");
	auth_reload_if_changed(&a, cred);
	checks(a, basic("carol:pw-alice"), 1, "carol",
	    "still kept on the next request");
	write_file("credentials", "");
	auth_reload_if_changed(&a, cred);
	checks(a, basic("carol:pw-alice"), 1, "carol",
	    "kept after the file was emptied");
	unlink(cred);
	auth_reload_if_changed(&a, cred);
	checks(a, basic("carol:pw-alice"), 1, "carol",
	    "kept after the file was removed");

	/* Fixed again: picked up. */
	snprintf(text, sizeof(text), "bob:%s\n", hb);
	write_file("credentials", text);
	auth_reload_if_changed(&a, cred);
	checks(a, basic("bob:pw-bob"), 1, "bob", "bob after the fix");
	checks(a, basic("carol:pw-alice"), 0, NULL, "carol gone after the fix");
	user = NULL;
	CHECK(auth_check(a, basic("bob:pw-bob"), &user) == 1 && user != NULL &&
	    strcmp(user, "bob") == 0, "cached user name after reload");
	auth_free(a);
	shared_cache(cred, dir);
out:
	free(ha);
	free(hb);
	free(hc);
	snprintf(path, sizeof(path), "%s/bad", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/modes", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/plans", dir);
	unlink(path);
	unlink(cred);
	if (rmdir(dir) == -1)
		perror(dir);
	return tap_done();
}
