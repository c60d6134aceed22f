/* SPDX-License-Identifier: ISC */
/*
 * tap.h: the smallest test harness that does the job.  Each CHECK prints a TAP
 * line ("ok N - what" / "not ok N - what"); tap_done() prints the plan and
 * returns the exit status.  tests/run counts each CHECK's message as a case
 * (tests/count-cases), so messages are distinct within a program.
 * A CHECK is an assertion within one program, not a named case that could run
 * on its own: OSB_CASES (which selects integration tests) does not apply here;
 * tests/run's SUITES selects whole programs.
 */
#ifndef OSB_TAP_H
#define OSB_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define CHECK(cond, ...) do {                                           \
	int ok_ = !!(cond);	/* evaluated once */                    \
	tap_n++;                                                        \
	if (ok_) {                                                      \
		printf("ok %d - ", tap_n);                              \
	} else {                                                        \
		tap_failed++;                                           \
		printf("not ok %d - ", tap_n);                          \
	}                                                               \
	printf(__VA_ARGS__);                                            \
	if (!ok_)                                                       \
		printf("  (%s:%d: %s)", __FILE__, __LINE__, #cond);     \
	putchar('\n');                                                  \
} while (0)

#define CHECK_STR(got, want, ...) do {                                  \
	const char *g_ = (got), *w_ = (want);                           \
	int same_ = (g_ == NULL && w_ == NULL) ||                       \
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);          \
	CHECK(same_, __VA_ARGS__);                                      \
	if (!same_)                                                     \
		printf("#   got: %s\n#  want: %s\n", g_ ? g_ : "(null)",  \
		    w_ ? w_ : "(null)");                                \
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
