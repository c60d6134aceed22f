/* SPDX-License-Identifier: ISC */
/*
 * pfile: the broker's own small files beside the store (state/catalog.cache,
 * state/auth-cache): what other processes may believe, and how they are
 * replaced without a reader ever seeing half of one.
 *
 * A file is believed only when it is a regular file (not followed through a
 * symbolic link) owned by this user that nobody else may write: its content
 * decides what the broker runs or whom it lets in.  Ownership: pfile_read()
 * returns a malloc'ed buffer the caller frees.
 */
#ifndef OSB_PFILE_H
#define OSB_PFILE_H

#include <stddef.h>
#include <sys/stat.h>

/* path's bytes, NUL-terminated (*len of them before the NUL), when it is
 * such a file of 1..max bytes; else NULL. */
char *pfile_read(const char *path, size_t max, size_t *len);

/* Replace path with len bytes of data: written to a temporary file beside
 * it (0600), then renamed over it.  0, or -1 (nothing changed). */
int   pfile_replace(const char *path, const char *data, size_t len);

/* What a file was made from, as one line of text for the first line of
 * such a file: device, inode, size, and modification and change times to
 * the nanosecond ("2049 1234 880 1796172163.042375047 1796172163.0463...").
 * Any edit changes it (an edit that restores the mtime still moves the
 * ctime).  out gets at most outlen bytes, NUL-terminated. */
void  pfile_identity(const struct stat *, char *out, size_t outlen);

#endif
