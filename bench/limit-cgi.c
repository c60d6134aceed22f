/* SPDX-License-Identifier: ISC */
/*
 * limit-cgi: the fastest CGI program this setup allows, for `make bench`.
 *
 * Started by fcgiwrap once per request, as cgi-bin/osbroker.cgi is; answers
 * the file named by OSBROKER_CATALOG (the bench points it at the catalog as
 * osbroker renders it, passed as a fastcgi_param like osbroker's own
 * settings) as application/json.  It reads the file on every request, as any
 * CGI program must: nothing survives from one request to the next.
 */
#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	const char	*path = getenv("OSBROKER_CATALOG");
	static char	 body[1 << 20];
	FILE		*f;
	size_t		 len;

	if (path == NULL || (f = fopen(path, "rb")) == NULL) {
		fputs("Status: 500 Internal Server Error\r\n"
		    "Content-Type: application/json\r\n\r\n{}", stdout);
		return 0;
	}
	len = fread(body, 1, sizeof body, f);
	fclose(f);
	printf("Status: 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n", len);
	fwrite(body, 1, len, stdout);
	return 0;
}
