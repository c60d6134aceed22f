/* SPDX-License-Identifier: ISC */
/*
 * test_hook.c: hook_run against small /bin/sh scripts written into a
 * mkdtemp(3) directory — output parsing, input on stdin, the minimal
 * environment, exit statuses, signals, output limits, timeouts (SIGTERM, then
 * SIGKILL after the grace), a program that cannot start, stderr redaction
 * and a large input the program does not read.
 *
 * Time bounds are generous (valgrind makes fork and exec slow); the whole
 * suite takes about 8 s, most of it the SIGKILL grace.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"
#include "limits.h"
#include "tap.h"

static char dir[64];
static char *env_min[] = { "PATH=/usr/bin:/bin", NULL };

#define MAX_SCRIPTS 40
static char *scripts[MAX_SCRIPTS];
static int nscripts;

/* Write dir/name with a #!/bin/sh line and mode 0755. */
static void
script(const char *name, const char *body)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fprintf(f, "#!/bin/sh\n%s\n",
	    body) < 0 || fclose(f) != 0 || chmod(path, 0755) == -1 ||
	    nscripts == MAX_SCRIPTS || (scripts[nscripts++] = strdup(path)) ==
	    NULL) {
		perror(path);
		exit(1);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run dir/name; returns the seconds it took. */
static double
run_env(const char *name, const char *input, long timeout, char *const *env,
    const char *const *redact, struct hook_result *r)
{
	struct hook_run	 h = { 0 };
	char		 path[256];
	double		 t0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	h.path = path;
	h.env = env;
	h.input = input;
	h.timeout = timeout;
	h.log_prefix = name;
	h.redact = redact;
	t0 = now();
	hook_run(&h, r);
	return now() - t0;
}

static double
run(const char *name, const char *input, long timeout, struct hook_result *r)
{
	return run_env(name, input, timeout, env_min, NULL, r);
}

static const cJSON *
get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static double
num(const cJSON *o, const char *key)
{
	const cJSON *n = get(o, key);

	return cJSON_IsNumber(n) ? n->valuedouble : -1;
}

static void
say(const struct hook_result *r)
{
	char *s = r->out != NULL ? cJSON_PrintUnformatted(r->out) : NULL;

	printf("#   status %d, code %d, why \"%s\", out %s\n", r->status,
	    r->code, r->why, s != NULL ? s : "NULL");
	free(s);
}

static void
test_output(void)
{
	struct hook_result r;

	script("ok", "echo '{\"a\":1}'");
	run("ok", "{}", 10, &r);
	CHECK(r.status == HOOK_OK && r.code == 0 && num(r.out, "a") == 1,
	    "echo {\"a\":1}: HOOK_OK with out.a == 1");
	if (r.status != HOOK_OK)
		say(&r);
	cJSON_Delete(r.out);

	script("empty", "exit 0");
	run("empty", "{}", 10, &r);
	CHECK(r.status == HOOK_OK && cJSON_IsObject(r.out) &&
	    r.out->child == NULL, "empty stdout: HOOK_OK with {}");
	cJSON_Delete(r.out);

	script("spaced", "printf '\\n  {\"a\": [1, 2]}  \\n\\n'");
	run("spaced", "{}", 10, &r);
	CHECK(r.status == HOOK_OK && cJSON_GetArraySize(get(r.out, "a")) == 2,
	    "whitespace around the object is fine");
	cJSON_Delete(r.out);

	script("garbage", "printf 'garbage\\n'");
	run("garbage", "{}", 10, &r);
	CHECK(r.status == HOOK_BAD_OUTPUT && r.out == NULL && r.why[0] != '\0',
	    "printf garbage: HOOK_BAD_OUTPUT");
	cJSON_Delete(r.out);

	script("array", "echo '[1,2]'");
	run("array", "{}", 10, &r);
	CHECK(r.status == HOOK_BAD_OUTPUT && r.out == NULL,
	    "a JSON array: HOOK_BAD_OUTPUT");
	cJSON_Delete(r.out);

	script("two", "echo '{\"a\":1}'; echo '{\"b\":2}'");
	run("two", "{}", 10, &r);
	CHECK(r.status == HOOK_BAD_OUTPUT && r.out == NULL,
	    "two objects: HOOK_BAD_OUTPUT");
	cJSON_Delete(r.out);

	script("cut", "printf '{\"a\":'");
	run("cut", "{}", 10, &r);
	CHECK(r.status == HOOK_BAD_OUTPUT, "a truncated object: HOOK_BAD_OUTPUT");
	cJSON_Delete(r.out);
}

static void
test_input(void)
{
	struct hook_result	 r;
	const char		*in = "{\"action\":\"bind\",\"instance_id\":"
	    "\"inst-1\",\"parameters\":{\"n\":[1,2.5,true,null]},"
	    "\"s\":\"caf\xc3\xa9 \\\"q\\\" \\\\ \\n\"}";
	cJSON			*want = cJSON_Parse(in);

	script("cat", "exec cat");
	run("cat", in, 10, &r);
	CHECK(r.status == HOOK_OK && cJSON_Compare(r.out, want, 1),
	    "cat: the input comes back on stdout");
	if (r.status != HOOK_OK)
		say(&r);
	cJSON_Delete(r.out);
	cJSON_Delete(want);

	run("cat", "", 10, &r);
	CHECK(r.status == HOOK_OK && cJSON_IsObject(r.out) &&
	    r.out->child == NULL, "empty input: stdin at EOF at once");
	cJSON_Delete(r.out);
}

static void
test_environment(void)
{
	struct hook_result	 r;
	char			*env[] = { "PATH=/usr/bin:/bin", "FOO=bar baz",
				    "EMPTY=", NULL };
	char			 real[4096];
	const char		*s;

	script("env", "if [ \"${HOME+set}\" = set ]; then h=true; "
	    "else h=false; fi\n"
	    "names=$(env | sed 's/=.*//' | grep -v '^PWD$' | sort | "
	    "tr '\\n' ' ')\n"
	    "printf '{\"foo\":\"%s\",\"home_set\":%s,\"names\":\"%s\","
	    "\"leak\":\"%s\"}\\n' \"$FOO\" \"$h\" \"$names\" "
	    "\"${OSB_TEST_LEAK-}\"");
	setenv("OSB_TEST_LEAK", "from-the-test", 1);
	run_env("env", "{}", 10, env, NULL, &r);
	CHECK(r.status == HOOK_OK, "env script runs");
	if (r.status != HOOK_OK)
		say(&r);
	CHECK_STR(cJSON_GetStringValue(get(r.out, "foo")), "bar baz",
	    "a given variable reaches the hook");
	CHECK(cJSON_IsFalse(get(r.out, "home_set")),
	    "HOME unset when not given");
	CHECK_STR(cJSON_GetStringValue(get(r.out, "leak")), "",
	    "the test's own environment does not leak");
	CHECK_STR(cJSON_GetStringValue(get(r.out, "names")), "EMPTY FOO PATH ",
	    "exactly the given variables (besides the shell's PWD)");
	cJSON_Delete(r.out);
	unsetenv("OSB_TEST_LEAK");

	/* The working directory is the program's directory. */
	script("cwd", "printf '{\"cwd\":\"%s\"}' \"$(pwd -P)\"");
	run("cwd", "{}", 10, &r);
	s = cJSON_GetStringValue(get(r.out, "cwd"));
	CHECK(r.status == HOOK_OK && realpath(dir, real) != NULL && s != NULL &&
	    strcmp(s, real) == 0, "the working directory is the hook's own");
	cJSON_Delete(r.out);

	/* A process group of its own: pgrp (field 5 of stat) is its pid. */
	script("pgrp", "read -r pid comm state ppid pgrp rest < /proc/$$/stat\n"
	    "printf '{\"pid\":%d,\"pgrp\":%d}' $$ \"$pgrp\"");
	run("pgrp", "{}", 10, &r);
	CHECK(r.status == HOOK_OK && num(r.out, "pid") > 0 &&
	    num(r.out, "pid") == num(r.out, "pgrp") &&
	    num(r.out, "pgrp") != (double)getpgrp(),
	    "the hook leads a process group of its own");
	cJSON_Delete(r.out);
}

static void
test_status(void)
{
	struct hook_result r;

	script("reject", "echo '{\"description\":\"bad size\"}'; exit 64");
	run("reject", "{}", 10, &r);
	CHECK(r.status == HOOK_REJECTED && r.code == HOOK_EXIT_REJECTED &&
	    r.code == 64, "exit 64: HOOK_REJECTED");
	CHECK_STR(cJSON_GetStringValue(get(r.out, "description")), "bad size",
	    "exit 64: its output parsed");
	cJSON_Delete(r.out);

	script("fail", "echo '{\"description\":\"disk full\"}'; exit 3");
	run("fail", "{}", 10, &r);
	CHECK(r.status == HOOK_FAILED && r.code == 3 &&
	    strstr(r.why, "3") != NULL, "exit 3: HOOK_FAILED code 3");
	CHECK_STR(cJSON_GetStringValue(get(r.out, "description")), "disk full",
	    "exit 3: its output parsed");
	cJSON_Delete(r.out);

	script("failjunk", "echo 'Traceback: oops'; exit 3");
	run("failjunk", "{}", 10, &r);
	CHECK(r.status == HOOK_FAILED && r.code == 3 && r.out == NULL,
	    "exit 3 with garbage: HOOK_FAILED, no out");
	cJSON_Delete(r.out);

	script("fail1", "exit 1");
	run("fail1", "{}", 10, &r);
	CHECK(r.status == HOOK_FAILED && r.code == 1, "exit 1: HOOK_FAILED");
	cJSON_Delete(r.out);

	script("fail255", "exit 255");
	run("fail255", "{}", 10, &r);
	CHECK(r.status == HOOK_FAILED && r.code == 255, "exit 255: HOOK_FAILED");
	cJSON_Delete(r.out);

	script("segv", "echo '{\"a\":1}'; kill -SEGV $$; sleep 5");
	run("segv", "{}", 10, &r);
	CHECK(r.status == HOOK_CRASHED && r.code == SIGSEGV && r.code == 11 &&
	    strstr(r.why, "SIGSEGV") != NULL, "kill -SEGV $$: HOOK_CRASHED 11");
	if (r.status != HOOK_CRASHED)
		say(&r);
	cJSON_Delete(r.out);

	script("killed", "kill -KILL $$");
	run("killed", "{}", 10, &r);
	CHECK(r.status == HOOK_CRASHED && r.code == SIGKILL,
	    "kill -KILL $$: HOOK_CRASHED 9");
	cJSON_Delete(r.out);
}

static void
test_output_limit(void)
{
	struct hook_result	 r;
	double			 t;
	char			 body[256];

	script("big", "head -c 70000 /dev/zero | tr '\\0' a");
	run("big", "{}", 10, &r);
	CHECK(r.status == HOOK_BAD_OUTPUT && r.out == NULL &&
	    strstr(r.why, "65536") != NULL,
	    "70000 bytes on stdout: HOOK_BAD_OUTPUT");
	if (r.status != HOOK_BAD_OUTPUT)
		say(&r);
	cJSON_Delete(r.out);

	/* {"a":"xxx...x"} of exactly n bytes: 8 of them are not x. */
	snprintf(body, sizeof(body), "printf '{\"a\":\"'; head -c %d "
	    "/dev/zero | tr '\\0' x; printf '\"}'", OSB_MAX_HOOK_STDOUT - 8);
	script("max", body);
	run("max", "{}", 10, &r);
	CHECK(r.status == HOOK_OK && cJSON_GetStringValue(get(r.out, "a")) !=
	    NULL && strlen(cJSON_GetStringValue(get(r.out, "a"))) ==
	    OSB_MAX_HOOK_STDOUT - 8, "an object of exactly 65536 bytes");
	if (r.status != HOOK_OK)
		say(&r);
	cJSON_Delete(r.out);
	snprintf(body, sizeof(body), "printf '{\"a\":\"'; head -c %d "
	    "/dev/zero | tr '\\0' x; printf '\"}'", OSB_MAX_HOOK_STDOUT - 7);
	script("max1", body);
	run("max1", "{}", 10, &r);
	CHECK(r.status == HOOK_BAD_OUTPUT, "an object of 65537 bytes");
	cJSON_Delete(r.out);

	/* A program that never stops writing is stopped by the limit. */
	script("yes", "exec yes");
	t = run("yes", "{}", 30, &r);
	CHECK(r.status == HOOK_BAD_OUTPUT && t < 10,
	    "an endless writer is killed at the limit (%.2f s)", t);
	cJSON_Delete(r.out);
}

static void
test_timeouts(void)
{
	struct hook_result	 r;
	double			 t;
	int			 pgid;

	script("sleep", "sleep 30");
	t = run("sleep", "{}", 1, &r);
	CHECK(r.status == HOOK_TIMEOUT && t >= 0.9 && t < 10,
	    "sleep 30 with timeout 1: HOOK_TIMEOUT (%.2f s)", t);
	CHECK(strstr(r.why, "1 seconds") != NULL, "why names the timeout (%s)",
	    r.why);
	cJSON_Delete(r.out);

	/* SIGTERM ignored (by sleep too, which inherits it): SIGKILL after
	 * the 5 s grace. */
	script("stubborn", "trap '' TERM\necho '{\"a\":1}'\nsleep 30");
	t = run("stubborn", "{}", 1, &r);
	CHECK(r.status == HOOK_TIMEOUT && t >= 5.5 && t < 15,
	    "SIGTERM ignored: HOOK_TIMEOUT after the SIGKILL grace (%.2f s)",
	    t);
	if (r.status != HOOK_TIMEOUT)
		say(&r);
	cJSON_Delete(r.out);

	/* Regression: past its timeout with stdout and stderr closed, it is
	 * still a timeout (it used to be reported as killed by SIGTERM). */
	script("quiet", "exec >/dev/null 2>&1\nsleep 30");
	t = run("quiet", "{}", 1, &r);
	CHECK(r.status == HOOK_TIMEOUT && t < 10,
	    "outputs closed, then a hang: HOOK_TIMEOUT (%.2f s)", t);
	cJSON_Delete(r.out);

	/* A program that exits leaving a child holding its pipes does not
	 * make the broker wait for that child. */
	script("orphan", "sleep 20 &\nprintf '{\"pgid\":%d}' $$");
	t = run("orphan", "{}", 30, &r);
	CHECK(r.status == HOOK_OK && t < 10,
	    "exit with a child holding stdout: answered at once (%.2f s)", t);
	if (r.status != HOOK_OK)
		say(&r);
	pgid = (int)num(r.out, "pgid");
	if (pgid > 1)	/* the background sleep started above */
		(void)kill(-pgid, SIGKILL);
	cJSON_Delete(r.out);
}

static void
test_not_started(void)
{
	struct hook_result	 r;
	char			 path[256];

	run("does-not-exist", "{}", 10, &r);
	CHECK(r.status != HOOK_OK, "a nonexistent path is not HOOK_OK");
	CHECK(r.status == HOOK_FAILED && r.code == 127,
	    "a nonexistent path: exit 127, HOOK_FAILED");
	cJSON_Delete(r.out);

	snprintf(path, sizeof(path), "%s/noexec", dir);
	script("noexec", "exit 0");
	chmod(path, 0644);
	run("noexec", "{}", 10, &r);
	CHECK(r.status == HOOK_FAILED && r.code == 127,
	    "a file that is not executable: exit 127, HOOK_FAILED");
	cJSON_Delete(r.out);

	run("../no-such-dir/hook", "{}", 10, &r);
	CHECK(r.status == HOOK_FAILED && r.code == 127,
	    "a path in a missing directory: exit 127");
	cJSON_Delete(r.out);
}

/* Run name with fd 2 sent to a temporary file; returns its contents. */
static char *
run_capturing(const char *name, const char *const *redact,
    struct hook_result *r)
{
	char	 tmpl[128], *buf;
	int	 fd, saved;
	off_t	 len;

	snprintf(tmpl, sizeof(tmpl), "%s/stderr-XXXXXX", dir);
	if ((fd = mkstemp(tmpl)) == -1 || (saved = dup(2)) == -1)
		abort();
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 2);
	run_env(name, "{}", 10, env_min, redact, r);
	dup2(saved, 2);
	close(saved);
	len = lseek(fd, 0, SEEK_END);
	if (len < 0 || (buf = calloc(1, (size_t)len + 1)) == NULL ||
	    pread(fd, buf, (size_t)len, 0) != len)
		abort();
	close(fd);
	unlink(tmpl);
	return buf;
}

static void
test_stderr(void)
{
	const char *const	 redact[] = { "topsecret123", "pa55w0rd-xyz", NULL };
	struct hook_result	 r;
	char			*log;

	script("noisy", "echo 'secret=topsecret123' >&2\n"
	    "echo 'both: pa55w0rd-xyz and topsecret123, twice topsecret123' >&2\n"
	    "printf 'bell\\007tab\\tend\\n' >&2\n"
	    "echo '{\"ok\":true}'");
	log = run_capturing("noisy", redact, &r);
	CHECK(r.status == HOOK_OK, "a hook writing stderr still succeeds");
	CHECK(strstr(log, "[redacted]") != NULL, "stderr logged with [redacted]");
	CHECK(strstr(log, "topsecret123") == NULL &&
	    strstr(log, "pa55w0rd-xyz") == NULL, "no secret in the log");
	CHECK(strstr(log, "hook noisy: secret=[redacted]\n") != NULL,
	    "the line is prefixed and redacted");
	CHECK(strstr(log, "both: [redacted] and [redacted], twice "
	    "[redacted]\n") != NULL, "every occurrence of every secret");
	CHECK(strstr(log, "bell?tab?end") != NULL,
	    "non-printable bytes become '?'");
	CHECK(strstr(log, "{\"ok\"") == NULL, "stdout is not logged");
	if (strstr(log, "topsecret123") != NULL ||
	    strstr(log, "[redacted]") == NULL)
		printf("# log: %s\n", log);
	cJSON_Delete(r.out);
	free(log);

	/* A long line is cut; a secret well inside it is still redacted. */
	script("longline", "x=$(head -c 1500 /dev/zero | tr '\\0' x)\n"
	    "echo \"topsecret123 $x\" >&2");
	log = run_capturing("longline", redact, &r);
	CHECK(strstr(log, "hook longline: [redacted] xxx") != NULL &&
	    strstr(log, " [line cut]\n") != NULL &&
	    strstr(log, "topsecret123") == NULL,
	    "a long line: redacted and cut");
	cJSON_Delete(r.out);
	free(log);

	/* Regressions: a secret that occurs in "[redacted]" itself, or a
	 * short one repeated along a long line, used to make the redaction
	 * grow past its buffer; a secret across byte 1000 of a line was
	 * logged in part. */
	{
		const char *const inner[] = { "acted", NULL };
		const char *const shorts[] = { "abcd", NULL };

		script("inner", "echo 'user=acted and acted' >&2");
		log = run_capturing("inner", inner, &r);
		CHECK(strstr(log, "hook inner: user=[redacted] and "
		    "[redacted]\n") != NULL, "a secret inside the mark");
		cJSON_Delete(r.out);
		free(log);
		script("shorts", "i=0; s=; while [ $i -lt 250 ]; do s=${s}abcd; "
		    "i=$((i + 1)); done; echo \"$s\" >&2");
		log = run_capturing("shorts", shorts, &r);
		CHECK(strstr(log, "abcd") == NULL && strstr(log, "[line cut]") !=
		    NULL, "a short secret 250 times on one line");
		cJSON_Delete(r.out);
		free(log);
		script("across", "x=$(head -c 994 /dev/zero | tr '\\0' x)\n"
		    "echo \"${x}topsecret123\" >&2");
		log = run_capturing("across", redact, &r);
		CHECK(strstr(log, "topsec") == NULL, "a secret across the "
		    "line cut is not logged in part");
		cJSON_Delete(r.out);
		free(log);
	}

	/* More than OSB_MAX_HOOK_STDERR bytes: the rest is counted. */
	script("flood", "i=0; while [ $i -lt 400 ]; do "
	    "echo 'line of fifty bytes ..............................' >&2; "
	    "i=$((i + 1)); done");
	log = run_capturing("flood", redact, &r);
	CHECK(r.status == HOOK_OK && strstr(log, "standard error was cut at "
	    "16384 bytes") != NULL, "stderr beyond 16384 bytes is not logged");
	cJSON_Delete(r.out);
	free(log);
}

static void
test_large_input(void)
{
	struct hook_result	 r;
	struct sigaction	 sa;
	char			*in;
	size_t			 n = 200 * 1000;

	if ((in = malloc(n + 1)) == NULL)
		abort();
	memset(in, ' ', n);
	in[0] = '{';
	in[n - 1] = '}';
	in[n] = '\0';

	script("ignore5", "exit 5");
	run("ignore5", in, 10, &r);
	CHECK(r.status == HOOK_FAILED && r.code == 5,
	    "200 kB to a hook that does not read it: its status (exit 5)");
	cJSON_Delete(r.out);
	script("ignore0", "echo '{\"a\":1}'");
	run("ignore0", in, 10, &r);
	CHECK(r.status == HOOK_OK && num(r.out, "a") == 1,
	    "200 kB unread, exit 0: HOOK_OK");
	cJSON_Delete(r.out);
	CHECK(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL,
	    "the test survived (no SIGPIPE); SIGPIPE restored to default");

	script("count", "n=$(wc -c); printf '{\"n\":%d}' $n");
	run("count", in, 10, &r);
	CHECK(r.status == HOOK_OK && num(r.out, "n") == (double)n,
	    "200 kB read whole by a hook that reads it");
	cJSON_Delete(r.out);

	/* Regression: input is still written after the hook closed its
	 * outputs (it used to stop at the pipe's 64 KiB and time out). */
	script("closer", "exec >/dev/null 2>&1\ncat >/dev/null\nexit 0");
	run("closer", in, 10, &r);
	CHECK(r.status == HOOK_OK, "200 kB to a hook that closed its outputs "
	    "first: read whole, HOOK_OK (status %d)", (int)r.status);
	cJSON_Delete(r.out);
	free(in);
}

static void
test_no_zombies(void)
{
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "every hook was reaped");
}

static void
cleanup(void)
{
	int i;

	for (i = 0; i < nscripts; i++) {
		unlink(scripts[i]);
		free(scripts[i]);
	}
	CHECK(rmdir(dir) == 0, "temporary directory removed");
}

int
main(void)
{
	struct rlimit no_core = { 0, 0 };

	/* TAP lines whole even when hook log lines share the output. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The crash cases must not leave core files behind. */
	(void)setrlimit(RLIMIT_CORE, &no_core);
	snprintf(dir, sizeof(dir), "/tmp/osb-hook-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_output();
	test_input();
	test_environment();
	test_status();
	test_output_limit();
	test_timeouts();
	test_not_started();
	test_stderr();
	test_large_input();
	test_no_zombies();
	cleanup();
	return tap_done();
}
