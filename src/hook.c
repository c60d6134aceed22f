/* SPDX-License-Identifier: ISC */
/*
 * hook: see hook.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "hook.h"
#include "jsonin.h"
#include "limits.h"
#include "log.h"
#include "response.h"

#define HOOK_KILL_GRACE	5	/* seconds between SIGTERM and SIGKILL */

struct buf {
	char	*p;
	size_t	 len, cap, dropped;
	int	 fd;
};

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The child: never returns. */
static void
child(const struct hook_run *h, int in, int out, int err, pid_t parent)
{
	char		 dir[OSB_MAX_PATH], *slash;
	char		*argv[2];
	sigset_t	 all;
	int		 sig;

	setpgid(0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(127);
	closefrom(3);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	snprintf(dir, sizeof(dir), "%s", h->path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (chdir(dir[0] != '\0' ? dir : "/") == -1)
			_exit(127);
	}
	argv[0] = (char *)h->path;
	argv[1] = NULL;
	execve(h->path, argv, h->env);
	dprintf(2, "cannot execute %s: %s\n", h->path, strerror(errno));
	_exit(127);
}

/* Read what is there; 1 at EOF. */
static int
drain(struct buf *b, size_t max)
{
	char	 tmp[OSB_MAX_PATH];
	ssize_t	 n;
	size_t	 keep;

	for (;;) {
		n = read(b->fd, tmp, sizeof(tmp));
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		keep = (size_t)n;
		if (b->len + keep > max)
			keep = max > b->len ? max - b->len : 0;
		if (keep > 0) {
			if (b->len + keep + 1 > b->cap) {
				size_t ncap = b->cap ? b->cap * 2 : 8192;
				char *np;
				while (ncap < b->len + keep + 1)
					ncap *= 2;
				if ((np = realloc(b->p, ncap)) == NULL)
					return 1;
				b->p = np;
				b->cap = ncap;
			}
			memcpy(b->p + b->len, tmp, keep);
			b->len += keep;
			b->p[b->len] = '\0';
		}
		b->dropped += (size_t)n - keep;
	}
}

/* A copy of text[0..len) with every secret (of 4 bytes or more) replaced by
 * "[redacted]"; scanning goes on after each replacement, so a secret that
 * occurs in the mark itself cannot make it grow.  NULL when out of memory. */
static char *
redact(const char *text, size_t len, const char *const *secrets)
{
	static const char mark[] = "[redacted]";
	const char *const *s;
	char	*out, *np;
	size_t	 i = 0, o = 0, cap = len + 1, sl = 0, ml = sizeof(mark) - 1;

	if ((out = malloc(cap)) == NULL)
		return NULL;
	while (i < len) {
		for (s = secrets; s != NULL && *s != NULL; s++)
			if ((sl = strlen(*s)) >= 4 && sl <= len - i &&
			    memcmp(text + i, *s, sl) == 0)
				break;
		if (s == NULL || *s == NULL) {
			out[o++] = text[i++];
			continue;
		}
		if (o + ml + (len - i) + 1 > cap) {
			cap = o + ml + (len - i) + 1 + 256;
			if ((np = realloc(out, cap)) == NULL) {
				explicit_bzero(out, o);
				free(out);
				return NULL;
			}
			out = np;
		}
		memcpy(out + o, mark, ml);
		o += ml;
		i += sl;
	}
	out[o] = '\0';
	return out;
}

static void
log_stderr(const struct hook_run *h, const struct buf *b)
{
	char		 line[OSB_MAX_HOOK_LOG_LINE + 1];
	char		 clean[OSB_MAX_HOOK_LOG_LINE + 1], *text, *end;
	const char	*p, *nl;
	size_t		 n;

	if (b->len == 0)
		goto dropped;
	/* Redact the whole text before anything is cut, so no part of a
	 * secret is logged.  When the text was cut at the size limit, its
	 * last, unfinished line is not logged either: it may end in part of
	 * a secret. */
	if ((text = redact(b->p, b->len, h->redact)) == NULL) {
		log_msg("hook %s: standard error not logged (out of memory)",
		    h->log_prefix);
		return;
	}
	if (b->dropped > 0 && (end = strrchr(text, '\n')) != NULL)
		end[1] = '\0';
	else if (b->dropped > 0)
		text[0] = '\0';
	for (p = text; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(n <
		    OSB_MAX_HOOK_LOG_LINE ? n : OSB_MAX_HOOK_LOG_LINE), p);
		log_clean(clean, sizeof(clean), line);
		log_msg("hook %s: %s%s", h->log_prefix, clean,
		    n > OSB_MAX_HOOK_LOG_LINE ? " [line cut]" : "");
	}
	explicit_bzero(text, strlen(text));
	free(text);
dropped:
	if (b->dropped > 0)
		log_msg("hook %s: standard error was cut at %d bytes (%zu more "
		    "not logged)", h->log_prefix, OSB_MAX_HOOK_STDERR, b->dropped);
}

static void
parse_output(const struct buf *o, struct hook_result *r)
{
	struct response	 resp;

	if (o->len == 0) {
		r->out = cJSON_CreateObject();
		return;
	}
	response_init(&resp);
	r->out = jsonin_parse(o->p, o->len, &resp);
	response_free(&resp);
}

/* Wait for the child, bounded by the deadlines; kills the group on overrun. */
static int
reap(pid_t pid, double *deadline, int *term_sent, int *timed_out, int *status)
{
	pid_t w;

	for (;;) {
		w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w == -1 && errno != EINTR))
			return w == pid ? 0 : -1;
		if (now_mono() >= *deadline) {
			if (*term_sent > 1)
				return -1;
			*timed_out = 1;
			kill(-pid, *term_sent ? SIGKILL : SIGTERM);
			kill(pid, *term_sent ? SIGKILL : SIGTERM);
			(*term_sent)++;
			*deadline = now_mono() + HOOK_KILL_GRACE;
		}
		usleep(10000);
	}
}

void
hook_run(const struct hook_run *h, struct hook_result *r)
{
	int		 in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct buf	 o = { 0 }, e = { 0 };
	struct pollfd	 pf[3];
	struct sigaction sa, old_pipe;
	size_t		 inlen = strlen(h->input), inoff = 0;
	double		 deadline = now_mono() + (double)h->timeout;
	int		 term_sent = 0, timed_out = 0, overflow = 0, status = 0;
	int		 oeof = 0, eeof = 0, n, ms, exited = 0;
	size_t		 max = h->max_stdout > 0 ? h->max_stdout :
			    OSB_MAX_HOOK_STDOUT;
	pid_t		 pid, parent = getpid(), w;

	memset(r, 0, sizeof(*r));
	r->status = HOOK_NOT_RUN;
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(err, O_CLOEXEC) == -1) {
		snprintf(r->why, sizeof(r->why), "cannot create pipes: %s",
		    strerror(errno));
		goto close;
	}
	/* A hook that exits without reading its input must cost a write, not
	 * the broker (CGI mode does not ignore SIGPIPE otherwise). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	if ((pid = fork()) == -1) {
		snprintf(r->why, sizeof(r->why), "cannot fork: %s",
		    strerror(errno));
		sigaction(SIGPIPE, &old_pipe, NULL);
		goto close;
	}
	if (pid == 0)
		child(h, in[0], out[1], err[1], parent);
	setpgid(pid, pid);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	o.fd = out[0];
	e.fd = err[0];
	if (inlen == 0) {
		close(in[1]);
		in[1] = -1;
	}

	/* Until the program exits, or has closed its outputs and taken all
	 * of its input. */
	while (!exited && (!(oeof && eeof) || in[1] != -1)) {
		n = 0;
		if (in[1] != -1) {
			pf[n].fd = in[1];
			pf[n++].events = POLLOUT;
		}
		if (!oeof) {
			pf[n].fd = out[0];
			pf[n++].events = POLLIN;
		}
		if (!eeof) {
			pf[n].fd = err[0];
			pf[n++].events = POLLIN;
		}
		ms = (int)((deadline - now_mono()) * 1000);
		if (ms <= 0) {
			if (term_sent > 1)
				break;
			timed_out = 1;
			kill(-pid, term_sent ? SIGKILL : SIGTERM);
			kill(pid, term_sent ? SIGKILL : SIGTERM);
			term_sent++;
			deadline = now_mono() + HOOK_KILL_GRACE;
			continue;
		}
		/* Wake up now and then: a hook that exited may have left a
		 * child holding its pipes open. */
		(void)poll(pf, (nfds_t)n, ms < 200 ? ms : 200);
		if (in[1] != -1) {
			ssize_t wr = write(in[1], h->input + inoff,
			    inlen - inoff);
			if (wr > 0)
				inoff += (size_t)wr;
			if ((wr < 0 && errno != EAGAIN && errno != EINTR) ||
			    inoff == inlen) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (!oeof)
			oeof = drain(&o, max + 1);
		if (!eeof)
			eeof = drain(&e, OSB_MAX_HOOK_STDERR);
		if (o.len > max && !overflow) {
			overflow = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			exited = 1;
	}
	if (!exited && reap(pid, &deadline, &term_sent, &timed_out,
	    &status) == -1) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		timed_out = 1;
	}
	if (!oeof)
		(void)drain(&o, max + 1);
	if (!eeof)
		(void)drain(&e, OSB_MAX_HOOK_STDERR);
	sigaction(SIGPIPE, &old_pipe, NULL);
	log_stderr(h, &e);

	if (timed_out) {
		r->status = HOOK_TIMEOUT;
		snprintf(r->why, sizeof(r->why), "did not finish within %ld "
		    "seconds", h->timeout);
	} else if (overflow) {
		r->status = HOOK_BAD_OUTPUT;
		snprintf(r->why, sizeof(r->why), "wrote more than %zu bytes on "
		    "standard output", max);
	} else if (WIFSIGNALED(status)) {
		r->status = HOOK_CRASHED;
		r->code = WTERMSIG(status);
		snprintf(r->why, sizeof(r->why), "was killed by signal %d "
		    "(SIG%s)", r->code, sigabbrev_np(r->code) != NULL ?
		    sigabbrev_np(r->code) : "?");
	} else {
		r->code = WEXITSTATUS(status);
		parse_output(&o, r);
		if (r->code == 0 && r->out == NULL) {
			r->status = HOOK_BAD_OUTPUT;
			snprintf(r->why, sizeof(r->why), "wrote something other "
			    "than one JSON object on standard output");
		} else if (r->code == 0)
			r->status = HOOK_OK;
		else if (r->code == HOOK_EXIT_REJECTED) {
			r->status = HOOK_REJECTED;
			snprintf(r->why, sizeof(r->why), "refused the request "
			    "(exit status %d)", r->code);
		} else {
			r->status = HOOK_FAILED;
			snprintf(r->why, sizeof(r->why), "failed (exit status "
			    "%d)", r->code);
		}
	}
close:
	counters_add(C_HOOK_RUNS, 1);
	if (r->status != HOOK_OK)
		counters_add(C_HOOK_FAILURES, 1);
	if (o.p != NULL)
		explicit_bzero(o.p, o.cap);
	free(o.p);
	if (e.p != NULL)
		explicit_bzero(e.p, e.cap);
	free(e.p);
	for (n = 0; n < 2; n++) {
		if (in[n] != -1)
			close(in[n]);
		if (out[n] != -1)
			close(out[n]);
		if (err[n] != -1)
			close(err[n]);
	}
}
