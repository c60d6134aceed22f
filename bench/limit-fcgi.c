/* SPDX-License-Identifier: ISC */
/*
 * limit-fcgi: the fastest FastCGI responder this setup allows, for `make bench`.
 *
 * Reads one file (argv[1], the catalog exactly as osbroker renders it) once at
 * start and answers every request with those bytes as application/json.  Run
 * under spawn-fcgi + multiwatch behind the same nginx configuration as
 * osbroker, it is what a catalog GET could cost at best: nginx, the FastCGI
 * socket and libfcgi, and nothing of the broker (limit (b)).  Behind a lean
 * nginx (no access log, nginx's defaults), it is limit (b0): the same without
 * the cost of the shipped configuration.
 */
#include <fcgi_stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	FILE	*f;
	char	*body;
	long	 len;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (body = malloc((size_t)len + 1)) == NULL ||
	    fread(body, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "usage: limit-fcgi FILE (readable)\n");
		return 1;
	}
	fclose(f);
	while (FCGI_Accept() >= 0) {
		printf("Status: 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %ld\r\n\r\n", len);
		fwrite(body, 1, (size_t)len, stdout);
	}
	return 0;
}
