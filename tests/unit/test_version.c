/* SPDX-License-Identifier: ISC */
/*
 * test_version.c: the X-Broker-API-Version header — 400 when missing, 412
 * for anything but "2.<minor>", and the per-endpoint minimum minor.
 */
#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "response.h"
#include "version.h"
#include "resp_desc.h"
#include "tap.h"

/* The header as printable text for the TAP line. */
static const char *
show(const char *h)
{
	static char	 buf[128];
	size_t		 n = 0;

	if (h == NULL)
		return "(missing)";
	for (; *h != '\0' && n + 5 < sizeof(buf); h++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    *h >= 0x20 && *h < 0x7f ? "%c" : "\\x%02x",
		    (unsigned char)*h);
	buf[n] = '\0';
	return buf;
}

static void
accepts(const char *h, int min_minor, int want)
{
	struct response	 err;
	int		 rc, minor = -1;

	response_init(&err);
	rc = version_check(h, min_minor, &minor, &err);
	CHECK(rc == 0 && minor == want, "\"%s\" (min 2.%d) accepted as 2.%d",
	    show(h), min_minor, want);
	if (rc != 0)
		printf("#   status %d: %s\n", err.status, desc(&err));
	response_free(&err);
}

static void
refuses(const char *h, int min_minor, int status)
{
	struct response	 err;
	int		 rc, minor = -1;

	response_init(&err);
	rc = version_check(h, min_minor, &minor, &err);
	CHECK(rc == -1 && err.status == status && desc(&err)[0] != '\0' &&
	    cJSON_GetObjectItemCaseSensitive(err.body, "error") == NULL,
	    "\"%s\" (min 2.%d) -> %d", show(h), min_minor, status);
	if (rc != -1 || err.status != status)
		printf("#   rc %d status %d minor %d\n", rc, err.status, minor);
	response_free(&err);
}

int
main(void)
{
	static const char *bad[] = {
		"", "3.0", "1.9", "1.17", "0.17", "2", "2.", ".1", ".", "2.x",
		"x.17", "2.17 ", " 2.17", "2.17.1", "2,17", "2 .17", "2. 17",
		"+2.17", "-2.17", "2.-1", "2.+1", "v2.17", "2.17\n", "2.1e1",
		"2.99999999999", "99999999999.17", "twelve",
	};
	size_t i;

	refuses(NULL, 0, 400);
	refuses(NULL, OSB_API_MINOR_FETCH, 400);

	accepts("2.17", 0, 17);
	accepts("2.0", 0, 0);
	accepts("2.1", 0, 1);
	accepts("2.13", 0, 13);
	accepts("2.99", 0, 99);
	accepts("2.100", 0, 100);
	/* Leading zeros: version.c reads both numbers as plain decimals, so
	 * "02.17" is 2.17.  Harmless (the value is unambiguous), kept. */
	accepts("02.17", 0, 17);
	accepts("2.017", 0, 17);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(bad[i], 0, 412);

	/* The 2.14 endpoints. */
	accepts("2.14", OSB_API_MINOR_FETCH, 14);
	accepts("2.17", OSB_API_MINOR_FETCH, 17);
	accepts("2.15", OSB_API_MINOR_FETCH, 15);
	refuses("2.13", OSB_API_MINOR_FETCH, 412);
	refuses("2.0", OSB_API_MINOR_FETCH, 412);
	refuses("3.14", OSB_API_MINOR_FETCH, 412);
	accepts("2.17", OSB_API_MINOR, 17);
	refuses("2.16", OSB_API_MINOR, 412);
	return tap_done();
}
