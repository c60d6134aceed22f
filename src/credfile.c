/* SPDX-License-Identifier: ISC */
/*
 * credfile: see credfile.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credfile.h"
#include "limits.h"

int
credfile_user_valid(const char *name)
{
	size_t n;

	if (name[0] == '#')
		return 0;
	for (n = 0; name[n] != '\0'; n++)
		if (n >= OSB_MAX_USER_NAME || name[n] <= ' ' ||
		    name[n] > '~' || name[n] == ':')
			return 0;
	return n > 0;
}

/* 1 when the line at p (up to its newline) is user's: "user:...". */
static int
line_of(const char *p, size_t len, const char *user)
{
	size_t ulen = strlen(user);

	return len > ulen && p[0] != '#' && memcmp(p, user, ulen) == 0 &&
	    p[ulen] == ':';
}

/* The text with user's lines replaced by repl (NULL: dropped; only the
 * first is replaced, later ones dropped); *found how many there were. */
static char *
edit(const char *text, const char *user, const char *repl, int *found)
{
	const char	*p = text, *nl;
	char		*out, *o;
	size_t		 len, rlen = repl != NULL ? strlen(repl) : 0;

	*found = 0;
	/* At most: the text, the new line and a newline before it. */
	if ((out = malloc(strlen(text) + rlen + 3)) == NULL)
		return NULL;
	o = out;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (line_of(p, len, user)) {
			if (repl != NULL && *found == 0) {
				memcpy(o, repl, rlen);
				o += rlen;
				*o++ = '\n';
			}
			(*found)++;
		} else {
			memcpy(o, p, len);
			o += len;
			*o++ = '\n';
		}
		p += len + (nl != NULL);
	}
	if (repl != NULL && *found == 0) {
		memcpy(o, repl, rlen);
		o += rlen;
		*o++ = '\n';
	}
	*o = '\0';
	return out;
}

/* The third field of a line of len bytes at p (after the second ':',
 * without a final '\r') into out; "" when it has none. */
static void
third_field(const char *p, size_t len, char *out, size_t outlen)
{
	const char	*c1, *c2;
	size_t		 n;

	out[0] = '\0';
	if ((c1 = memchr(p, ':', len)) == NULL ||
	    (c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p))) == NULL)
		return;
	n = len - (size_t)(c2 + 1 - p);
	if (n > 0 && c2[n] == '\r')
		n--;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, c2 + 1, n);
	out[n] = '\0';
}

char *
credfile_set(const char *text, const char *user, const char *hash,
    const char *plans, int *replaced)
{
	char		*line, *out, kept[OSB_MAX_CREDENTIAL_LINE];
	const char	*p, *nl;
	size_t		 len, n;
	int		 found;

	kept[0] = '\0';
	for (p = text; plans == NULL && *p != '\0'; p += n + (nl != NULL)) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (line_of(p, n, user)) {
			third_field(p, n, kept, sizeof(kept));
			break;
		}
	}
	if (plans == NULL)
		plans = kept;
	len = strlen(user) + strlen(hash) + strlen(plans) + 3;
	if ((line = malloc(len)) == NULL)
		return NULL;
	snprintf(line, len, "%s:%s%s%s", user, hash, *plans ? ":" : "",
	    plans);
	out = edit(text, user, line, &found);
	explicit_bzero(line, len);
	free(line);
	*replaced = found > 0;
	return out;
}

char *
credfile_remove(const char *text, const char *user, int *removed)
{
	return edit(text, user, NULL, removed);
}

int
credfile_users(const char *text, void (*fn)(const char *, const char *,
    void *), void *arg)
{
	const char	*p = text, *nl, *colon;
	char		 name[OSB_MAX_CREDENTIAL_LINE];
	char		 plans[OSB_MAX_CREDENTIAL_LINE];
	size_t		 len;
	int		 n = 0;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		colon = memchr(p, ':', len);
		if (p[0] != '#' && colon != NULL && colon > p &&
		    (size_t)(colon - p) < sizeof(name)) {
			memcpy(name, p, (size_t)(colon - p));
			name[colon - p] = '\0';
			third_field(p, len, plans, sizeof(plans));
			fn(name, plans[0] != '\0' ? plans : NULL, arg);
			n++;
		}
		p += len + (nl != NULL);
	}
	return n;
}
