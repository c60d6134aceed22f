/* SPDX-License-Identifier: ISC */
/*
 * test_credfile: a user's line set in place or appended, removed, listed;
 * comments, blank lines and other users kept; names that cannot be users.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credfile.h"
#include "limits.h"
#include "tap.h"

static void
collect(const char *name, const char *plans, void *arg)
{
	strcat(arg, name);
	if (plans != NULL) {
		strcat(arg, "[");
		strcat(arg, plans);
		strcat(arg, "]");
	}
	strcat(arg, ",");
}

/* The third field, plans=...: kept by a new password, set, dropped,
 * listed. */
static void
plans_field(void)
{
	const char	*text = "alice:$y$old:plans=svc-a/small,svc-b\r\n"
			    "bob:$y$b\nalicex:$y$x:plans=svc-c\n";
	char		*out, names[256] = "";
	int		 r;

	out = credfile_set(text, "alice", "$y$new", NULL, &r);
	CHECK_STR(out, "alice:$y$new:plans=svc-a/small,svc-b\n"
	    "bob:$y$b\nalicex:$y$x:plans=svc-c\n", "plans: a new password "
	    "keeps the user's plans");
	free(out);
	out = credfile_set(text, "bob", "$y$new", NULL, &r);
	CHECK_STR(out, "alice:$y$old:plans=svc-a/small,svc-b\r\n"
	    "bob:$y$new\nalicex:$y$x:plans=svc-c\n", "plans: and none stays "
	    "none");
	free(out);
	out = credfile_set(text, "bob", "$y$new", "plans=svc-d", &r);
	CHECK_STR(out, "alice:$y$old:plans=svc-a/small,svc-b\r\n"
	    "bob:$y$new:plans=svc-d\nalicex:$y$x:plans=svc-c\n",
	    "plans: set with the password");
	free(out);
	out = credfile_set(text, "alice", "$y$new", "", &r);
	CHECK_STR(out, "alice:$y$new\nbob:$y$b\nalicex:$y$x:plans=svc-c\n",
	    "plans: \"\" drops them");
	free(out);
	out = credfile_set(text, "carol", "$y$c", NULL, &r);
	CHECK(r == 0 && strstr(out, "\ncarol:$y$c\n") != NULL,
	    "plans: a new user without plans= has none");
	free(out);
	CHECK(credfile_users(text, collect, names) == 3, "plans: three users");
	CHECK_STR(names, "alice[plans=svc-a/small,svc-b],bob,alicex[plans="
	    "svc-c],", "plans: listed with each user");
}

int
main(void)
{
	const char	*text = "# broker users\nalice:$y$old\n\nbob:$y$b\n"
			    "alicex:$y$x";
	char		*out, *out2, names[256] = "", longname[OSB_MAX_USER_NAME + 2];
	int		 r;

	out = credfile_set(text, "alice", "$y$new", NULL, &r);
	CHECK_STR(out, "# broker users\nalice:$y$new\n\nbob:$y$b\n"
	    "alicex:$y$x\n", "set: the user's line replaced in place, the "
	    "rest kept (a final newline added)");
	CHECK(r == 1, "set: says it replaced");
	free(out);
	out = credfile_set(text, "carol", "$y$c", NULL, &r);
	CHECK_STR(out, "# broker users\nalice:$y$old\n\nbob:$y$b\n"
	    "alicex:$y$x\ncarol:$y$c\n", "set: a new user appended");
	CHECK(r == 0, "set: says it added");
	free(out);
	out = credfile_set("", "dave", "$y$d", NULL, &r);
	CHECK_STR(out, "dave:$y$d\n", "set: into an empty file");
	free(out);
	out = credfile_set("#alice:commented\n", "alice", "$y$a", NULL,
	    &r);
	CHECK_STR(out, "#alice:commented\nalice:$y$a\n",
	    "set: a comment that looks like the user is not the user");
	free(out);

	out = credfile_remove(text, "alice", &r);
	CHECK_STR(out, "# broker users\n\nbob:$y$b\nalicex:$y$x\n",
	    "remove: only that user's line goes (not alicex)");
	CHECK(r == 1, "remove: one removed");
	out2 = credfile_remove(out, "alice", &r);
	CHECK(r == 0 && strcmp(out, out2) == 0, "remove: an absent user");
	free(out);
	free(out2);
	out = credfile_remove("a:$1\nb:$2\na:$3\n", "a", &r);
	CHECK_STR(out, "b:$2\n", "remove: every line of a user named twice");
	CHECK(r == 2, "remove: counts both");
	free(out);

	CHECK(credfile_users(text, collect, names) == 3, "users: three");
	CHECK_STR(names, "alice,bob,alicex,", "users: in file order");

	plans_field();
	CHECK(credfile_user_valid("broker-1.ops@example"), "a plain name");
	CHECK(!credfile_user_valid("") && !credfile_user_valid("a:b") &&
	    !credfile_user_valid("a b") && !credfile_user_valid("#a") &&
	    !credfile_user_valid("a\n") && !credfile_user_valid("caf\xc3\xa9"),
	    "empty, ':', space, '#' first, control and non-ASCII are refused");
	memset(longname, 'u', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!credfile_user_valid(longname), "a name over the bound");
	longname[OSB_MAX_USER_NAME] = '\0';
	CHECK(credfile_user_valid(longname), "a name of the bound");
	return tap_done();
}
