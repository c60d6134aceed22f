/* SPDX-License-Identifier: ISC */
/*
 * scale-load: fill a state directory with many instances and bindings through
 * the store API (src/store.h), for `make bench-scale` (bench/scale).
 *
 *   scale-load TEMPLATE_INSTANCE TEMPLATE_BINDING INSTANCES PER_INSTANCE
 *
 * The directory and the map size are the broker's own settings
 * (OSBROKER_STATE_DIR, OSBROKER_MAP_SIZE), read by config_load().  The
 * records are byte-for-byte copies of an instance and one of its bindings
 * that the benchmark provisioned and bound through HTTP first (TEMPLATE_*
 * are their ids), so they have the size and shape the broker writes.
 *
 * Instance i gets the id scale_id(i): the same formula as bench/scale.lua,
 * spread over the key space as platform UUIDs are, so the B-tree fills as it
 * would in service.  Instance i gets PER_INSTANCE bindings, "<id>/b<k>".
 * Records are written 10,000 instances to a (durable) transaction; the
 * count of each table is printed at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "store.h"

#define BATCH 10000

/* "xxxxxxxx-0000-4000-8000-nnnnnnnnnnnn": the first group is Knuth's
 * multiplicative hash of i, which scatters consecutive ids. */
static void
scale_id(unsigned long i, char *out, size_t outlen)
{
	unsigned long long h = ((unsigned long long)i * 2654435761ULL) %
	    4294967296ULL;

	snprintf(out, outlen, "%08llx-0000-4000-8000-%012lu", h, i);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
get_template(struct store *st, enum store_table tb, const char *key,
    char **val, size_t *len)
{
	struct store_txn *t;
	enum store_rc rc;

	if ((rc = store_begin(st, 0, NULL, &t)) != STORE_OK)
		return -1;
	rc = store_get(t, tb, key, val, len);
	store_abort(t);
	if (rc != STORE_OK)
		fprintf(stderr, "scale-load: template %s: %s\n", key,
		    rc == STORE_NOTFOUND ? "not found" : store_strerror(st));
	return rc == STORE_OK ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	struct config	 cfg;
	struct store	*st = NULL;
	struct store_txn *t = NULL;
	char		 err[512], tkey[600], id[64], key[160], *inst = NULL;
	char		*bind = NULL;
	size_t		 ilen, blen;
	unsigned long	 n, per, i, k;
	enum store_rc	 rc = STORE_OK;
	double		 t0;
	int		 status = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: scale-load TEMPLATE_INSTANCE "
		    "TEMPLATE_BINDING INSTANCES PER_INSTANCE\n");
		return 2;
	}
	n = strtoul(argv[3], NULL, 10);
	per = strtoul(argv[4], NULL, 10);
	if (config_load(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "scale-load: %s\n", err);
		return 1;
	}
	if (store_open(NULL, cfg.state_dir, cfg.map_size, &st) != STORE_OK) {
		fprintf(stderr, "scale-load: %s: %s\n", cfg.state_dir,
		    st != NULL ? store_strerror(st) : "out of memory");
		goto out;
	}
	snprintf(tkey, sizeof(tkey), "%s/%s", argv[1], argv[2]);
	if (get_template(st, T_INSTANCES, argv[1], &inst, &ilen) == -1 ||
	    get_template(st, T_BINDINGS, tkey, &bind, &blen) == -1)
		goto out;
	t0 = now();
	for (i = 0; i < n && rc == STORE_OK; i++) {
		if (t == NULL && (rc = store_begin(st, 1, NULL, &t)) != STORE_OK)
			break;
		scale_id(i, id, sizeof(id));
		rc = store_put(t, T_INSTANCES, id, inst, ilen);
		for (k = 0; k < per && rc == STORE_OK; k++) {
			snprintf(key, sizeof(key), "%s/b%lu", id, k);
			rc = store_put(t, T_BINDINGS, key, bind, blen);
		}
		if (rc == STORE_OK && ((i + 1) % BATCH == 0 || i + 1 == n)) {
			rc = store_commit(t);
			t = NULL;
		}
	}
	if (rc != STORE_OK) {
		fprintf(stderr, "scale-load: after %lu instances: %s\n", i,
		    store_strerror(st));
		if (t != NULL)
			store_abort(t);
		goto out;
	}
	printf("{\"instances\": %lu, \"bindings\": %lu, \"seconds\": %.1f}\n",
	    n, n * per, now() - t0);
	status = 0;
out:
	free(inst);
	free(bind);
	store_close(st);
	return status;
}
