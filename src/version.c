/* SPDX-License-Identifier: ISC */
/*
 * version: see version.h.
 */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "version.h"

#define SUPPORTED "this broker supports 2.x (2.0 through 2.17), e.g. " \
	"\"X-Broker-API-Version: 2.17\""

static int
parse_num(const char **p, int *out)
{
	long v = 0;
	int  digits = 0;

	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		if (v > 1000000)
			return -1;
		(*p)++;
		digits++;
	}
	*out = (int)v;
	return digits > 0 ? 0 : -1;
}

int
version_check(const char *header, int min_minor, int *minor,
    struct response *err)
{
	const char	*p = header;
	int		 major, min;

	if (header == NULL) {
		response_error(err, OSB_ERR_BAD_REQUEST,
		    "the X-Broker-API-Version header is required; " SUPPORTED);
		return -1;
	}
	if (parse_num(&p, &major) == -1 || *p++ != '.' ||
	    parse_num(&p, &min) == -1 || *p != '\0') {
		response_error(err, OSB_ERR_VERSION, "X-Broker-API-Version "
		    "must be MAJOR.MINOR; " SUPPORTED);
		return -1;
	}
	if (major != OSB_API_MAJOR) {
		response_error(err, OSB_ERR_VERSION, "X-Broker-API-Version %d.%d "
		    "is not supported; " SUPPORTED, major, min);
		return -1;
	}
	if (min < min_minor) {
		response_error(err, OSB_ERR_VERSION, "this endpoint was added in "
		    "API version 2.%d, the request declares 2.%d; " SUPPORTED,
		    min_minor, min);
		return -1;
	}
	*minor = min;
	return 0;
}
