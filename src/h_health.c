/* SPDX-License-Identifier: ISC */
/*
 * h_health: GET /healthz, the load balancer's and the monitor's question
 * "may this host get requests?", answered without credentials.
 *
 * 200 when the catalog is loaded and the store answers a read (a read
 * transaction and one get, which a missing key answers too); 503
 * otherwise.  The body is a fixed word: nothing about why, where or which
 * version, which would help an attacker more than the operator (the
 * reason is in the log, from the store's own message).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "log.h"

static void
answer(struct response *resp, int status, const char *word)
{
	size_t	 n = strlen(word);
	char	*b;

	if ((b = malloc(n + 1)) == NULL) {
		response_error(resp, OSB_ERR_INTERNAL, "out of memory");
		return;
	}
	memcpy(b, word, n + 1);
	response_text(resp, status, "text/plain; charset=utf-8", b, n);
	response_header(resp, "Cache-Control", "no-store");
}

void
h_health_get(struct ctx *c, struct response *resp)
{
	struct store_txn	*t;
	enum store_rc		 rc;
	char			*v = NULL;

	if (c->catalog == NULL) {
		answer(resp, 503, "unavailable\n");
		snprintf(resp->log_note, sizeof(resp->log_note),
		    "no catalog loaded");
		return;
	}
	if ((rc = store_begin(c->store, STORE_READ, NULL, &t)) == STORE_OK) {
		rc = store_get(t, T_META, "health", &v, NULL);
		store_abort(t);
		free(v);
	}
	if (rc != STORE_OK && rc != STORE_NOTFOUND) {
		answer(resp, 503, "unavailable\n");
		snprintf(resp->log_note, sizeof(resp->log_note),
		    "store: %.140s", store_strerror(c->store));
		return;
	}
	answer(resp, 200, "ok\n");
}
