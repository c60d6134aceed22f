/* SPDX-License-Identifier: ISC */
/*
 * io: FastCGI and CGI transports.  See io.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "io.h"
#include "log.h"

/* ---- FastCGI ------------------------------------------------------- */

/* A request's parameters, indexed once per request by their names'
 * lengths: a request looks up a dozen names, and FCGX_GetParam() compares
 * each with every parameter nginx sent.  More parameters than fit are
 * looked up by FCGX_GetParam(). */
#define FCGI_INDEXED	64

struct fcgi {
	FCGX_Request	 req;
	struct {
		const char	*name;		/* "NAME=value" */
		size_t		 len;		/* of NAME */
	}		 p[FCGI_INDEXED];
	size_t		 n;
	int		 more;			/* some not indexed */
};

static void
fcgi_index(struct fcgi *f)
{
	char		**e;
	const char	 *eq;

	f->n = 0;
	f->more = 0;
	for (e = f->req.envp; e != NULL && *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL)
			continue;
		if (f->n == FCGI_INDEXED) {
			f->more = 1;
			break;
		}
		f->p[f->n].name = *e;
		f->p[f->n].len = (size_t)(eq - *e);
		f->n++;
	}
}

static const char *
fcgi_param(struct io *io, const char *name)
{
	struct fcgi	*f = io->ctx;
	size_t		 i, len = strlen(name);

	for (i = 0; i < f->n; i++)
		if (f->p[i].len == len && memcmp(f->p[i].name, name, len) == 0)
			return f->p[i].name + len + 1;
	return f->more ? FCGX_GetParam(name, f->req.envp) : NULL;
}

static ssize_t
fcgi_read(struct io *io, char *buf, size_t n)
{
	FCGX_Request	*r = &((struct fcgi *)io->ctx)->req;
	int		 got;

	if (n > (size_t)0x7fffffff)
		n = 0x7fffffff;
	got = FCGX_GetStr(buf, (int)n, r->in);
	if (got == 0 && FCGX_GetError(r->in) != 0)
		return -1;
	return got;
}

static int
fcgi_write(struct io *io, const char *buf, size_t n)
{
	FCGX_Request *r = &((struct fcgi *)io->ctx)->req;

	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;
		if (FCGX_PutStr(buf, chunk, r->out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/* ---- CGI ------------------------------------------------------------- */

static const char *
cgi_param(struct io *io, const char *name)
{
	(void)io;
	return getenv(name);
}

static ssize_t
cgi_read(struct io *io, char *buf, size_t n)
{
	ssize_t got;

	(void)io;
	do
		got = read(STDIN_FILENO, buf, n);
	while (got < 0 && errno == EINTR);
	return got;
}

static int
cgi_write(struct io *io, const char *buf, size_t n)
{
	ssize_t w;

	(void)io;
	while (n > 0) {
		w = write(STDOUT_FILENO, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int
io_is_fastcgi(void)
{
	return !FCGX_IsCGI();
}

int
io_serve(void (*handle)(struct io *, void *), void *arg)
{
	struct fcgi	 f;	/* the request being served */
	struct io	 io;

	if (!io_is_fastcgi()) {
		io.param = cgi_param;
		io.read = cgi_read;
		io.write = cgi_write;
		io.ctx = NULL;
		handle(&io, arg);
		return 0;
	}
	/* nginx may close a connection before we answer; that must cost
	 * the write, not the worker. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&f.req, 0, 0) != 0) {
		log_msg("cannot initialise libfcgi");
		return 1;
	}
	io.param = fcgi_param;
	io.read = fcgi_read;
	io.write = fcgi_write;
	io.ctx = &f;
	while (FCGX_Accept_r(&f.req) >= 0) {
		fcgi_index(&f);
		handle(&io, arg);
		FCGX_Finish_r(&f.req);
	}
	FCGX_Free(&f.req, 1);
	return 0;
}
