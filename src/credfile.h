/* SPDX-License-Identifier: ISC */
/*
 * credfile: edits of the broker's credentials file (auth.h reads it), for
 * `osbrokerctl passwd` and `osbrokerctl users`.
 *
 * The file is "username:hash" lines, '#' comments and blank lines; a line
 * may end in a third field, ":plans=..." (the user's services and plans,
 * planset.h), which is kept as text here.  An
 * edit changes the one line of its user and keeps every other line as it
 * was (comments, order, other users); a new user is appended.  The text
 * is edited in memory and written with pfile_replace() by the caller, so
 * a reader (a worker reloading the file) sees the old file or the new
 * one, never half of one.
 *
 * Ownership: credfile_set() and credfile_remove() return a malloc'ed text
 * the caller frees; credfile_users() calls back with borrowed names.
 */
#ifndef OSB_CREDFILE_H
#define OSB_CREDFILE_H

#include <stddef.h>

/* 1 when name may be a user of the file: 1..OSB_MAX_USER_NAME printable
 * ASCII characters, no ':' (it ends the name), no space, not starting
 * with '#' (a comment). */
int  credfile_user_valid(const char *name);

/* text (NUL-terminated, may be "") with user's line set to user:hash
 * and the third field plans: replaced where it was (*replaced 1), else
 * appended (*replaced 0).  plans NULL keeps the field the line had (a
 * new password keeps the user's plans), "" drops it, anything else is
 * the new field.  NULL when out of memory. */
char *credfile_set(const char *text, const char *user, const char *hash,
         const char *plans, int *replaced);

/* text without user's line(s); *removed how many there were.  NULL when
 * out of memory. */
char *credfile_remove(const char *text, const char *user, int *removed);

/* Call fn(name, plans, arg) for each user line of text, in file order,
 * plans its third field or NULL; the number of users. */
int  credfile_users(const char *text, void (*fn)(const char *name,
         const char *plans, void *arg), void *arg);

#endif
