/* SPDX-License-Identifier: ISC */
/*
 * hook: run one hook program under the contract of docs/hooks.md.
 *
 * The program gets its input as JSON on stdin, a minimal environment built
 * by the caller (never the broker's own, which under CGI holds the request's
 * headers), its own process group, and SIGKILL when the process running it
 * dies.  stdout is read up to max_stdout bytes and must be empty or
 * one JSON object; stderr's first OSB_MAX_HOOK_STDERR bytes are logged line by
 * line with the given secrets replaced by "[redacted]".  A program still
 * running at its timeout gets SIGTERM, and SIGKILL 5 s later, as a group.
 *
 * Ownership: hook_result.out is the caller's (cJSON_Delete); hook_run
 * borrows everything it is given.
 */
#ifndef OSB_HOOK_H
#define OSB_HOOK_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define HOOK_EXIT_REJECTED	64	/* EX_USAGE: invalid request, nothing done */

enum hook_status {
	HOOK_OK,		/* exit 0, output valid */
	HOOK_REJECTED,		/* exit 64 */
	HOOK_FAILED,		/* other exit status */
	HOOK_CRASHED,		/* killed by a signal */
	HOOK_TIMEOUT,
	HOOK_BAD_OUTPUT,	/* not JSON, not an object, too long */
	HOOK_NOT_RUN		/* could not be started */
};

struct hook_run {
	const char	*path;
	char *const	*env;		/* NULL-terminated "NAME=value" */
	const char	*input;		/* JSON text */
	long		 timeout;	/* seconds */
	size_t		 max_stdout;	/* bytes; 0: OSB_MAX_HOOK_STDOUT */
	const char	*log_prefix;	/* e.g. "bind inst-1/b-1" */
	const char *const *redact;	/* NULL-terminated secrets, or NULL */
};

struct hook_result {
	enum hook_status status;
	int		 code;		/* exit status or signal number */
	cJSON		*out;		/* the parsed object (HOOK_OK, and for
					   failures whose output parsed) */
	char		 why[200];	/* what went wrong, for logs and as the
					   fallback description */
};

/* Run it.  Always fills *r (status HOOK_NOT_RUN when it could not start). */
void hook_run(const struct hook_run *, struct hook_result *r);

#endif
