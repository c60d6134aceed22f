/* SPDX-License-Identifier: ISC */
/*
 * limit-lmdb: one durable LMDB write per request, for `make bench`.
 *
 * Usage: limit-lmdb DIR VALUE_BYTES.  A FastCGI responder (spawn-fcgi +
 * multiwatch, same nginx as osbroker) that reads the request body, then puts
 * one new key (pid-counter, unique across workers) with a VALUE_BYTES value
 * in one write transaction and commits it, and answers 201 "{}".  The
 * environment is opened with default flags, so every commit is synced to
 * disk as osbroker's are: this is the best a provision or bind could do with
 * one synced LMDB commit per request.
 */
#include <fcgi_stdio.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
put_one(MDB_env *env, MDB_dbi dbi, const char *key, char *value, size_t vlen)
{
	MDB_txn	*txn;
	MDB_val	 k = { strlen(key), (void *)key }, v = { vlen, value };

	if (mdb_txn_begin(env, NULL, 0, &txn) != 0)
		return -1;
	if (mdb_put(txn, dbi, &k, &v, 0) != 0) {
		mdb_txn_abort(txn);
		return -1;
	}
	return mdb_txn_commit(txn) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	char		 key[64], buf[4096], *value;
	unsigned long	 n = 0;
	size_t		 vlen;

	if (argc != 3 || (vlen = strtoul(argv[2], NULL, 10)) == 0 ||
	    (value = malloc(vlen)) == NULL) {
		fprintf(stderr, "usage: limit-lmdb DIR VALUE_BYTES\n");
		return 1;
	}
	memset(value, 'v', vlen);
	if (mdb_env_create(&env) != 0 ||
	    mdb_env_set_mapsize(env, (size_t)1 << 30) != 0 ||
	    mdb_env_open(env, argv[1], 0, 0600) != 0 ||
	    mdb_txn_begin(env, NULL, 0, &txn) != 0 ||
	    mdb_dbi_open(txn, NULL, 0, &dbi) != 0 || mdb_txn_commit(txn) != 0) {
		fprintf(stderr, "limit-lmdb: cannot open the LMDB environment %s\n", argv[1]);
		return 1;
	}
	while (FCGI_Accept() >= 0) {
		while (fread(buf, 1, sizeof buf, stdin) > 0)
			;	/* the body, like a broker reads it */
		snprintf(key, sizeof key, "%ld-%lu", (long)getpid(), ++n);
		if (put_one(env, dbi, key, value, vlen) == 0)
			printf("Status: 201 Created\r\nContent-Type: application/json\r\n"
			    "Content-Length: 2\r\n\r\n{}");
		else
			printf("Status: 500 Internal Server Error\r\n"
			    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
	}
	return 0;
}
