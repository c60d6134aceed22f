/* SPDX-License-Identifier: ISC */
/*
 * io: the two ways a request reaches osbroker, behind one small interface.
 *
 * FastCGI (libfcgi's FCGX_* calls, one accept loop per worker process) and
 * plain CGI (environment + stdin + stdout, one request per process) differ only
 * in where parameters, body bytes and the reply go.  Everything above this
 * module is the same code for both.
 */
#ifndef OSB_IO_H
#define OSB_IO_H

#include <stddef.h>
#include <sys/types.h>

struct io {
	/* A CGI/FastCGI parameter ("REQUEST_METHOD", "HTTP_AUTHORIZATION"). */
	const char	*(*param)(struct io *, const char *name);
	/* Read up to n body bytes; returns the count, 0 at end, -1 on error. */
	ssize_t		 (*read)(struct io *, char *buf, size_t n);
	/* Write all n bytes; 0 or -1. */
	int		 (*write)(struct io *, const char *buf, size_t n);
	void		*ctx;
};

/* 1 when this process was started by a FastCGI spawner, 0 for plain CGI. */
int  io_is_fastcgi(void);

/* Serve requests until the spawner closes the socket (FastCGI), or the
 * single request (CGI).  handle() is called once per request.  Returns the
 * process exit status. */
int  io_serve(void (*handle)(struct io *, void *), void *arg);

#endif
