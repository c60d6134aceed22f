/* SPDX-License-Identifier: ISC */
/*
 * limit-pg: one PostgreSQL statement per request on a kept connection, for
 * `make bench`.
 *
 * Usage: limit-pg insert VALUE_BYTES | limit-pg select KEY.  A FastCGI
 * responder (spawn-fcgi + multiwatch, same nginx as osbroker) that connects
 * once at start to the connection string in LIMIT_PG_CONNINFO (the one the
 * broker gets as OSBROKER_STORE) and prepares one statement on the table
 * bench_limit, which bench/run creates with the columns and key of the
 * broker's osbroker_records (tbl, key, value):
 *
 *   insert  reads the request body, then INSERTs one new row (key
 *           pid-counter, unique across workers) with a VALUE_BYTES value;
 *           PostgreSQL commits the statement on its own (autocommit) and
 *           answers once the commit is durable (synchronous_commit on):
 *           one round trip, one durable commit.  Answers 201 "{}".
 *   select  SELECTs the row KEY by primary key (autocommit: one snapshot,
 *           one round trip) and answers its value as application/json, 200.
 *
 * This is the best a provision or bind (insert) or an instance GET
 * (select) could do with PostgreSQL as its store.  Any failure answers 500
 * and, when the connection is lost, ends the worker (multiwatch starts
 * another).
 */
#include <fcgi_stdio.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INSERT_SQL	"INSERT INTO bench_limit (tbl, key, value) " \
			"VALUES ('instances', $1, $2)"
#define SELECT_SQL	"SELECT value FROM bench_limit " \
			"WHERE tbl = 'instances' AND key = $1"

static void
answer_error(PGconn *conn, PGresult *r)
{
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		fprintf(stderr, "limit-pg: no such row\n");
	else
		fprintf(stderr, "limit-pg: %s", r != NULL ?
		    PQresultErrorMessage(r) : PQerrorMessage(conn));
	PQclear(r);
	printf("Status: 500 Internal Server Error\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
	if (PQstatus(conn) != CONNECTION_OK)
		exit(1);
}

int
main(int argc, char **argv)
{
	const char	*info = getenv("LIMIT_PG_CONNINFO"), *p[2];
	PGconn		*conn;
	PGresult	*r;
	char		 key[64], buf[4096], *value = NULL;
	int		 insert, lens[2] = { 0, 0 }, fmts[2] = { 0, 1 };
	unsigned long	 n = 0;
	size_t		 vlen = 0;

	if (argc != 3 || info == NULL || (!(insert = strcmp(argv[1],
	    "insert") == 0) && strcmp(argv[1], "select") != 0)) {
		fprintf(stderr, "usage: LIMIT_PG_CONNINFO=... limit-pg "
		    "insert VALUE_BYTES | select KEY\n");
		return 1;
	}
	if (insert && ((vlen = strtoul(argv[2], NULL, 10)) == 0 ||
	    vlen > 1 << 20 || (value = malloc(vlen)) == NULL)) {
		fprintf(stderr, "limit-pg: bad VALUE_BYTES %s\n", argv[2]);
		return 1;
	}
	if (insert)
		memset(value, 'v', vlen);
	conn = PQconnectdb(info);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "limit-pg: cannot connect: %s",
		    PQerrorMessage(conn));
		return 1;
	}
	r = PQprepare(conn, "s", insert ? INSERT_SQL : SELECT_SQL,
	    insert ? 2 : 1, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "limit-pg: prepare: %s",
		    PQresultErrorMessage(r));
		return 1;
	}
	PQclear(r);
	while (FCGI_Accept() >= 0) {
		while (fread(buf, 1, sizeof buf, stdin) > 0)
			;	/* the body, like a broker reads it */
		if (insert) {
			snprintf(key, sizeof key, "%ld-%lu", (long)getpid(),
			    ++n);
			p[0] = key;
			p[1] = value;
			lens[1] = (int)vlen;
			r = PQexecPrepared(conn, "s", 2, p, lens, fmts, 1);
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				answer_error(conn, r);
				continue;
			}
			PQclear(r);
			printf("Status: 201 Created\r\nContent-Type: "
			    "application/json\r\nContent-Length: 2\r\n\r\n{}");
			continue;
		}
		p[0] = argv[2];
		r = PQexecPrepared(conn, "s", 1, p, NULL, NULL, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			answer_error(conn, r);
			continue;
		}
		printf("Status: 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %d\r\n\r\n", PQgetlength(r, 0, 0));
		fwrite(PQgetvalue(r, 0, 0), 1, (size_t)PQgetlength(r, 0, 0),
		    stdout);
		PQclear(r);
	}
	PQfinish(conn);
	return 0;
}
