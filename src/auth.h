/* SPDX-License-Identifier: ISC */
/*
 * auth: HTTP Basic authentication against a file of crypt(3) hashes.
 *
 * The credentials file has one "username:hash" line per user ('#' comments,
 * blank lines allowed); several users make password rotation possible without
 * downtime.  A line may end in a third field, ":plans=...", the services
 * and plans that user may see (planset.h); its syntax is checked here, what
 * it names by the caller, against the catalog.  Plaintext is refused: every hash must be a crypt(3) hash
 * ("$y$..." yescrypt, "$2b$..." bcrypt, ...), and so is a file that other
 * users may read, or anyone but its owner may change.  The broker never sees or stores a
 * plaintext password except transiently while checking a request.
 *
 * Checking a yescrypt hash costs milliseconds, so a worker remembers the
 * Authorization values it has already verified (in memory only, wiped when the
 * file changes).  Comparisons are constant-time and a failed check never says
 * whether the user or the password was wrong.
 *
 * Under CGI every request is a new process and that memory is gone, so
 * auth_share_cache() lets processes share what they verified: a password
 * that passed its hash is remembered in <dir>/auth-cache as a sha1crypt
 * hash of about 100 rounds with a fresh salt (under 0.1 ms to check instead
 * of yescrypt's ~20 ms), under a first line naming the credentials
 * file's device, inode, size and times, so that any change of the file
 * voids every entry.  Only passwords that were right are remembered; a wrong
 * one always costs the full check.  The file is 0600 and believed only when
 * it is a regular file of this user that nobody else may write (an entry
 * grants access), so dir must be a checked state directory.  docs/secrets.md
 * weighs what it keeps.
 *
 * Ownership: auth_load() returns a struct auth the caller frees with
 * auth_free(); auth_reload_if_changed() replaces it in place.
 */
#ifndef OSB_AUTH_H
#define OSB_AUTH_H

#include <stddef.h>

struct auth;

/* Load a credentials file.  Returns NULL and fills err on failure (unreadable
 * file, no users, plaintext or malformed entry). */
struct auth *auth_load(const char *path, char *err, size_t errlen);
void         auth_free(struct auth *);

/* Re-read the file when it changed on disk; on a bad edit keep the old users
 * and log why.  Cheap when nothing changed (one stat). */
void         auth_reload_if_changed(struct auth **, const char *path);

/* Share verified passwords with other processes through <dir>/auth-cache
 * (see above); the setting survives auth_reload_if_changed(). */
void         auth_share_cache(struct auth *, const char *dir);

/* 1 when the Authorization header value grants access, else 0.  On success
 * *user (optional) points at the user name, owned by the struct auth. */
int          auth_check(struct auth *, const char *authorization,
                 const char **user);

/* The users in file order: user i's name, its "plans=..." field (NULL
 * when it may see the whole catalog) and line number. */
int          auth_nusers(const struct auth *);
const char  *auth_user(const struct auth *, int i, const char **plans,
                 int *lineno);

/* The "plans=..." field of the user auth_check() named, or NULL. */
const char  *auth_plans(const struct auth *, const char *user);

/* Hash a password for the credentials file (yescrypt, fresh salt); returns a
 * malloc'ed string or NULL. */
char        *auth_hash_password(const char *password);

#endif
