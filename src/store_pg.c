/* SPDX-License-Identifier: ISC */
/*
 * store_pg: the PostgreSQL backend (store.h, store_int.h), through libpq.
 *
 * Two tables in the connection's current schema (the first of its
 * search_path), created on first use:
 *
 *   osbroker_schema  (name text PRIMARY KEY, value text)
 *                    the row schema_version: this file's OSB_PG_SCHEMA
 *   osbroker_records (tbl text, key text COLLATE "C", value bytea,
 *                    PRIMARY KEY (tbl, key))
 *                    every table of store.h, tbl naming it; "C" keeps
 *                    LMDB's byte order for scans
 *
 * Transactions (docs/high-availability.md has the reasoning):
 *   - a write transaction runs in READ COMMITTED and first takes
 *     transaction-scoped advisory locks: the store-wide lock shared and its
 *     scope's lock (a hash of the instance id) exclusive, or, without a
 *     scope, the store-wide lock exclusive; STORE_WRITE_KEY takes the
 *     instance's lock shared and the key's (a hash of the whole scope)
 *     exclusive.  Every decision about one
 *     instance is thereby serialised across all workers of all hosts, as
 *     LMDB's single writer does on one host, and each statement after the
 *     lock sees everything the previous holder committed.  The locks are
 *     always taken in that order, so they cannot deadlock, and nothing
 *     needs a retry loop: a statement that still fails for a transient
 *     reason (lock_timeout, a serialization failure, a failover) ends in
 *     STORE_UNAVAILABLE, which the platform sees as 503 with Retry-After.
 *   - a read transaction is REPEATABLE READ, READ ONLY: one snapshot, as
 *     an LMDB read transaction.  store_fetch() (one record and nothing
 *     else) is a single SELECT, a snapshot of its own, with no
 *     transaction block to begin or end.
 *   - a write transaction whose caller waits for nothing before its
 *     commit (STORE_ONE_TRIP: a provision's create, a bind decided on a
 *     remembered instance) sends neither BEGIN nor COMMIT: its locks and
 *     its writes, up to the Sync that ends them, are the protocol's
 *     implicit transaction, which the server commits at that Sync, or
 *     rolls back when a statement failed, exactly as COMMIT would; the
 *     locks are held until then as in a block.  Two statements fewer, in
 *     the same one round trip.
 *   - COMMIT is durable when it returns: synchronous_commit is raised to
 *     "on" for the session when the server says "off" or "local".  A
 *     connection lost during COMMIT is STORE_UNAVAILABLE: the outcome is
 *     unknown, the request gets 503, and the platform's retry finds the
 *     truth (the idempotency rules answer it).  So is a COMMIT still
 *     waiting for a synchronous standby after OSB_PG_COMMIT_WAIT seconds:
 *     it is cancelled, and holds on the primary only.
 *
 * Connections: one per process, opened by store_open(), reopened by
 * store_begin() after it was lost (a failover: a multi-host connection
 * string with target_session_attrs=read-write finds the new primary).
 * Statements are prepared on first use on each connection, and a
 * transaction's statements go out in libpq's pipeline mode, so that only
 * what the caller waits for costs a round trip: a bind is two (BEGIN, the
 * locks and the gets; the writes and COMMIT), a provision of a new id one
 * (store_create() goes with the COMMIT), a new binding of a remembered
 * instance one (store_create_if() with the COMMIT; "Recalled instance
 * records" below), a fetch one ("Pipeline mode" below).
 *
 * The connection string may hold a password: no message of this file
 * quotes it (scrub()), and store_where() names host, port, database and
 * user only.
 *
 * libpq is loaded with dlopen() when a PostgreSQL store is opened, not
 * linked: it brings some twenty shared libraries (TLS, Kerberos, LDAP)
 * whose loading every CGI process would pay, LMDB users included.  The
 * PQ* names below are this file's pointers to libpq's functions
 * (PQ_FUNCS), resolved once per process by pq_load(); a function used
 * here must be listed there.
 */
#include <dlfcn.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "limits.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

#define OSB_PG_LIBPQ		"libpq.so.5"	/* Debian's libpq5 */

#define PQ_FUNCS(X)							\
	X(PQconnectdbParams) X(PQconninfoParse) X(PQconninfoFree)	\
	X(PQfreemem) X(PQstatus) X(PQreset) X(PQfinish) X(PQerrorMessage) \
	X(PQhost) X(PQport) X(PQdb) X(PQuser) X(PQexec) X(PQprepare)	\
	X(PQexecPrepared) X(PQresultStatus) X(PQresultErrorField)	\
	X(PQclear) X(PQntuples) X(PQgetvalue) X(PQgetlength)		\
	X(PQcmdTuples) X(PQcmdStatus) X(PQtransactionStatus)		\
	X(PQenterPipelineMode) X(PQexitPipelineMode) X(PQpipelineStatus) \
	X(PQpipelineSync) X(PQsendPrepare) X(PQsendQueryPrepared)	\
	X(PQgetResult) X(PQsetNoticeReceiver) X(PQisBusy) X(PQsocket)	\
	X(PQconsumeInput) X(PQgetCancel) X(PQcancel) X(PQfreeCancel)

#define PQ_POINTER(f)	static __typeof__(f) *pq_##f;
PQ_FUNCS(PQ_POINTER)

/* Load libpq and resolve every function of PQ_FUNCS: 0, or -1 with a
 * message in err.  Once per process; a failure is tried again next time. */
static int
pq_load(char *err, size_t errlen)
{
	static int	 loaded;
	void		*h;

	if (loaded)
		return 0;
	if ((h = dlopen(OSB_PG_LIBPQ, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "the PostgreSQL store needs libpq "
		    "(%s, Debian package libpq5): %s", OSB_PG_LIBPQ, dlerror());
		return -1;
	}
#define PQ_RESOLVE(f)							\
	if ((*(void **)&pq_##f = dlsym(h, #f)) == NULL) {		\
		snprintf(err, errlen, "%s has no %s: too old", OSB_PG_LIBPQ, \
		    #f);						\
		dlclose(h);						\
		return -1;						\
	}
	PQ_FUNCS(PQ_RESOLVE)
#undef PQ_RESOLVE
	loaded = 1;
	return 0;
}

/* From here on, PQfoo() calls through pq_PQfoo. */
#define PQconnectdbParams	(*pq_PQconnectdbParams)
#define PQconninfoParse		(*pq_PQconninfoParse)
#define PQconninfoFree		(*pq_PQconninfoFree)
#define PQfreemem		(*pq_PQfreemem)
#define PQstatus		(*pq_PQstatus)
#define PQreset			(*pq_PQreset)
#define PQfinish		(*pq_PQfinish)
#define PQerrorMessage		(*pq_PQerrorMessage)
#define PQhost			(*pq_PQhost)
#define PQport			(*pq_PQport)
#define PQdb			(*pq_PQdb)
#define PQuser			(*pq_PQuser)
#define PQexec			(*pq_PQexec)
#define PQprepare		(*pq_PQprepare)
#define PQexecPrepared		(*pq_PQexecPrepared)
#define PQresultStatus		(*pq_PQresultStatus)
#define PQresultErrorField	(*pq_PQresultErrorField)
#define PQclear			(*pq_PQclear)
#define PQntuples		(*pq_PQntuples)
#define PQgetvalue		(*pq_PQgetvalue)
#define PQgetlength		(*pq_PQgetlength)
#define PQcmdTuples		(*pq_PQcmdTuples)
#define PQcmdStatus		(*pq_PQcmdStatus)
#define PQtransactionStatus	(*pq_PQtransactionStatus)
#define PQenterPipelineMode	(*pq_PQenterPipelineMode)
#define PQexitPipelineMode	(*pq_PQexitPipelineMode)
#define PQpipelineStatus	(*pq_PQpipelineStatus)
#define PQpipelineSync		(*pq_PQpipelineSync)
#define PQsendPrepare		(*pq_PQsendPrepare)
#define PQsendQueryPrepared	(*pq_PQsendQueryPrepared)
#define PQgetResult		(*pq_PQgetResult)
#define PQsetNoticeReceiver	(*pq_PQsetNoticeReceiver)
#define PQisBusy		(*pq_PQisBusy)
#define PQsocket		(*pq_PQsocket)
#define PQconsumeInput		(*pq_PQconsumeInput)
#define PQgetCancel		(*pq_PQgetCancel)
#define PQcancel		(*pq_PQcancel)
#define PQfreeCancel		(*pq_PQfreeCancel)

#define OSB_PG_SCHEMA		1	/* the schema this file writes */
#define OSB_PG_LOCK_CLASS	0x6f736272	/* "osbr": advisory lock keys */
#define OSB_PG_LOCK_STORE	1	/* the store-wide lock */
#define OSB_PG_LOCK_SCHEMA	2	/* creating the schema */

enum stmt { S_GET, S_PUT, S_CREATE, S_CREATE_IF, S_DEL, S_SCAN_ALL, S_SCAN_RANGE, S_SCAN_FROM,
	S_SCAN_PAGE, S_SIZE, S_SCAN_BACK,
	S_DEL_RANGE, S_DEL_FROM, S_BEGIN_READ, S_BEGIN, S_LOCK_ALL,
	S_LOCK_SCOPE, S_LOCK_KEY, S_COMMIT, S_ROLLBACK, S__COUNT };

/* What S_CREATE and S_CREATE_IF do once their INSERT ("new") made its row,
 * and their answer: a row (of no columns) when it did, none when the key
 * was there.  Nothing else: a DELETE of the key's tombstone, which
 * almost never exists, cost the server 37,000 of a bind's 243,000
 * instructions (BENCHMARKS.md), which is why a create leaves it alone
 * (store.h). */
#define CREATE_TAIL \
	"also AS (INSERT INTO osbroker_records (tbl, key, value) " \
	"SELECT $4, $5, $6 FROM new WHERE $4 <> '') " \
	"SELECT FROM new"

/* Every statement, transaction control and locks included, is prepared
 * on its first use on a connection and sent in pipeline mode (below);
 * what names it in messages. */
static const struct {
	const char	*name;
	const char	*sql;
	int		 nparams;
	const char	*what;
} stmts[S__COUNT] = {
	[S_GET] = { "osb_get", "SELECT value FROM osbroker_records "
	    "WHERE tbl = $1 AND key = $2", 2, "get" },
	[S_PUT] = { "osb_put", "INSERT INTO osbroker_records (tbl, key, value) "
	    "VALUES ($1, $2, $3) ON CONFLICT (tbl, key) DO UPDATE "
	    "SET value = EXCLUDED.value", 3, "put" },
	/* One statement, so that it can go with the COMMIT: the INSERT
	 * unless the key is there, and only if it inserted the INSERT of
	 * record $5 of table $4 (unless $4 is ""): CREATE_TAIL, whose rows
	 * say which. */
	[S_CREATE] = { "osb_create", "WITH new AS (INSERT INTO "
	    "osbroker_records (tbl, key, value) VALUES ($1, $2, $3) "
	    "ON CONFLICT (tbl, key) DO NOTHING RETURNING key), "
	    CREATE_TAIL, 6, "create" },
	/* S_CREATE, made only if the record of table $7, key $8 is stored
	 * as $9, byte for byte (store_create_if()): the condition, the
	 * INSERT and its companions see one snapshot, taken after the
	 * transaction's locks, which keep that record still until COMMIT. */
	[S_CREATE_IF] = { "osb_create_if", "WITH cond AS (SELECT FROM "
	    "osbroker_records WHERE tbl = $7 AND key = $8 AND value = $9), "
	    "new AS (INSERT INTO osbroker_records (tbl, key, value) "
	    "SELECT $1, $2, $3 FROM cond "
	    "ON CONFLICT (tbl, key) DO NOTHING RETURNING key), "
	    CREATE_TAIL, 9, "create" },
	[S_DEL] = { "osb_del", "DELETE FROM osbroker_records "
	    "WHERE tbl = $1 AND key = $2", 2, "del" },
	[S_SCAN_ALL] = { "osb_scan_all", "SELECT key, value FROM "
	    "osbroker_records WHERE tbl = $1 ORDER BY key", 1, "scan" },
	[S_SCAN_RANGE] = { "osb_scan_range", "SELECT key, value FROM "
	    "osbroker_records WHERE tbl = $1 AND key >= $2 AND key < $3 "
	    "ORDER BY key", 3, "scan" },
	[S_SCAN_FROM] = { "osb_scan_from", "SELECT key, value FROM "
	    "osbroker_records WHERE tbl = $1 AND key >= $2 AND "
	    "starts_with(key, $2) ORDER BY key", 2, "scan" },
	[S_SCAN_PAGE] = { "osb_scan_page", "SELECT key, value FROM "
	    "osbroker_records WHERE tbl = $1 AND key >= $2 ORDER BY key "
	    "LIMIT $3", 3, "scan" },
	/* $2 "": from the last key. */
	[S_SCAN_BACK] = { "osb_scan_back", "SELECT key, value FROM "
	    "osbroker_records WHERE tbl = $1 AND ($2 = '' OR key < $2) "
	    "ORDER BY key DESC LIMIT $3", 3, "scan" },
	/* The catalog's figure, no scan: what GET /metrics can afford. */
	[S_SIZE] = { "osb_size", "SELECT "
	    "pg_total_relation_size('osbroker_records')", 0, "size" },
	[S_DEL_RANGE] = { "osb_del_range", "DELETE FROM osbroker_records "
	    "WHERE tbl = $1 AND key >= $2 AND key < $3", 3, "delete" },
	[S_DEL_FROM] = { "osb_del_from", "DELETE FROM osbroker_records "
	    "WHERE tbl = $1 AND key >= $2 AND starts_with(key, $2)", 2,
	    "delete" },
	[S_BEGIN_READ] = { "osb_begin_read", "BEGIN ISOLATION LEVEL "
	    "REPEATABLE READ, READ ONLY", 0, "begin" },
	[S_BEGIN] = { "osb_begin", "BEGIN", 0, "begin" },
	/* $1, $2: OSB_PG_LOCK_CLASS, OSB_PG_LOCK_STORE; $3: the scope's
	 * key.  A select list is evaluated in its order: the store-wide
	 * lock first, always. */
	[S_LOCK_ALL] = { "osb_lock_all", "SELECT pg_advisory_xact_lock("
	    "$1::int4, $2::int4)", 2, "lock" },
	[S_LOCK_SCOPE] = { "osb_lock_scope", "SELECT "
	    "pg_advisory_xact_lock_shared($1::int4, $2::int4), "
	    "pg_advisory_xact_lock($3::int8)", 3, "lock" },
	/* $3: the instance's key, shared; $4: the binding key's. */
	[S_LOCK_KEY] = { "osb_lock_key", "SELECT "
	    "pg_advisory_xact_lock_shared($1::int4, $2::int4), "
	    "pg_advisory_xact_lock_shared($3::int8), "
	    "pg_advisory_xact_lock($4::int8)", 4, "lock" },
	[S_COMMIT] = { "osb_commit", "COMMIT", 0, "commit" },
	[S_ROLLBACK] = { "osb_rollback", "ROLLBACK", 0, "rollback" },
};

struct pg {
	struct store	 base;		/* first: store.c sees this */
	PGconn		*conn;
	int		 ready;		/* session set up, schema checked */
	int		 unconfirmed;	/* a WARNING came during COMMIT */
	int		 broken;	/* reset before the next use */
	int		 prepared[S__COUNT];
	struct {
		unsigned char	 s;	/* enum stmt */
		unsigned char	 prepare; /* its preparation, not its run */
		unsigned char	 prefetch; /* the get of pre */
	}		 sent[OSB_PG_PIPELINE];	/* results not read yet */
	int		 exists;	/* a create found its key */
	int		 implicit;	/* STORE_ONE_TRIP: no BEGIN, no COMMIT */
	int		 wrote;		/* a write was sent */
	int		 nsent;
	int		 synced;	/* a Sync follows them */
	struct {			/* store_prefetch() */
		enum { PRE_NONE, PRE_SENT, PRE_READ } state;
		enum store_table tb;
		char		 key[OSB_MAX_STORE_KEY + 1];
		PGresult	*r;	/* PRE_READ: the SELECT's rows */
	}		 pre;
	struct {			/* store_recall() */
		char		 key[OSB_MAX_ID_LEN + 1]; /* "": unused */
		char		*val;
		size_t		 len;
		unsigned long	 used;	/* st->clock at its last use */
	}		 recall[OSB_PG_RECALL];
	unsigned long	 clock;
	char		 secret[2][256];	/* scrubbed from messages */
	char		 where[300];
	char		 err[512];
};

struct pg_txn {
	struct store_txn base;		/* first */
	int		 write;
};

#define PG(s)	((struct pg *)(void *)(s))
#define PGC(s)	((const struct pg *)(const void *)(s))

static const struct store_ops pg_ops;

/* Replace every occurrence of the connection string's password in msg. */
static void
scrub(const struct pg *st, char *msg)
{
	char	*p;
	size_t	 i, n;

	for (i = 0; i < 2; i++) {
		if ((n = strlen(st->secret[i])) == 0)
			continue;
		while ((p = strstr(msg, st->secret[i])) != NULL) {
			memset(p, '*', 3);
			memmove(p + 3, p + n, strlen(p + n) + 1);
		}
	}
}

/* The password as written in spec (a URI's user:password@, or a
 * password= parameter, raw as given) and as libpq decodes it, kept so
 * that scrub() can remove both from libpq's messages, which quote a
 * malformed connection string whole. */
static void
find_secrets(struct pg *st, const char *spec)
{
	PQconninfoOption	*opts, *o;
	const char		*p, *q, *at;
	size_t			 n;

	if ((p = strstr(spec, "://")) != NULL) {
		p += 3;
		at = strchr(p, '@');
		q = strchr(p, ':');
		if (at != NULL && q != NULL && q < at && (strchr(p, '/') ==
		    NULL || strchr(p, '/') > at) && (n = (size_t)(at - q - 1)) >
		    0 && n < sizeof(st->secret[0]))
			snprintf(st->secret[0], n + 1, "%s", q + 1);
	} else if ((p = strstr(spec, "password")) != NULL &&
	    (p = strchr(p, '=')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\'')
			p++;
		n = strcspn(p, " '&");
		if (n > 0 && n < sizeof(st->secret[0]))
			snprintf(st->secret[0], n + 1, "%s", p);
	}
	if ((opts = PQconninfoParse(spec, NULL)) == NULL)
		return;
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    *o->val != '\0' && strlen(o->val) < sizeof(st->secret[1]))
			snprintf(st->secret[1], sizeof(st->secret[1]), "%s",
			    o->val);
	PQconninfoFree(opts);
}

/* st->err = "what: message", the message's first line only, scrubbed. */
static void
set_err(struct pg *st, const char *what, const char *msg)
{
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	n = strcspn(msg, "\n");
	snprintf(st->err, sizeof(st->err), "%s: %.*s", what, (int)n, msg);
	scrub(st, st->err);
}

static const char *
pg_strerror(const struct store *s)
{
	return PGC(s)->err;
}

static const char *
pg_where(const struct store *s)
{
	return PGC(s)->where;
}

static int
pg_readonly(const struct store *s)
{
	(void)s;
	return 0;
}

static void
pg_release(struct store *s)
{
	(void)s;
}

static void
set_where(struct pg *st)
{
	const char *h = PQhost(st->conn), *p = PQport(st->conn),
	    *d = PQdb(st->conn), *u = PQuser(st->conn);

	snprintf(st->where, sizeof(st->where), "PostgreSQL at %s port %s, "
	    "database %s, user %s", h != NULL && *h != '\0' ? h :
	    "(default host)", p != NULL && *p != '\0' ? p : "5432",
	    d != NULL ? d : "?", u != NULL ? u : "?");
	scrub(st, st->where);
}

/* SQLSTATEs that say "try again": connection exceptions (08), a server
 * shutting down or gone (57P0x), a read-only server (25006: reached a
 * standby), too many connections (53300), lock_timeout (55P03),
 * statement_timeout (57014), serialization failure and deadlock (40). */
static enum store_rc
classify(const char *state)
{
	if (state == NULL)
		return STORE_UNAVAILABLE;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0 ||
	    strcmp(state, "25006") == 0 || strcmp(state, "53300") == 0 ||
	    strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0 ||
	    strncmp(state, "40", 2) == 0)
		return STORE_UNAVAILABLE;
	if (strcmp(state, "53100") == 0 || strcmp(state, "53200") == 0)
		return STORE_FULL;	/* disk full, out of memory */
	return STORE_ERROR;
}

/* The outcome of one statement; r is cleared.  A lost connection or no
 * result at all is STORE_UNAVAILABLE. */
static enum store_rc
result(struct pg *st, PGresult *r, const char *what)
{
	ExecStatusType	 s = r != NULL ? PQresultStatus(r) :
	    PGRES_FATAL_ERROR;
	enum store_rc	 rc;
	char		 msg[400];

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		PQclear(r);
		return STORE_OK;
	}
	if (r == NULL || PQstatus(st->conn) != CONNECTION_OK) {
		set_err(st, what, PQerrorMessage(st->conn));
		PQclear(r);
		st->ready = 0;
		return STORE_UNAVAILABLE;
	}
	/* The primary message and the SQLSTATE: never the detail, which may
	 * quote a key or a value. */
	snprintf(msg, sizeof(msg), "%s (SQLSTATE %s)",
	    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) != NULL ?
	    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : "error",
	    PQresultErrorField(r, PG_DIAG_SQLSTATE) != NULL ?
	    PQresultErrorField(r, PG_DIAG_SQLSTATE) : "?");
	rc = classify(PQresultErrorField(r, PG_DIAG_SQLSTATE));
	set_err(st, what, msg);
	PQclear(r);
	return rc;
}

/* Run sql (one or more statements, no parameters, no rows wanted). */
static enum store_rc
run(struct pg *st, const char *sql, const char *what)
{
	return result(st, PQexec(st->conn, sql), what);
}

/* Undo an open transaction left by a failed multi-statement run(). */
static void
rollback_if_open(struct pg *st)
{
	if (PQtransactionStatus(st->conn) != PQTRANS_IDLE &&
	    PQstatus(st->conn) == CONNECTION_OK)
		PQclear(PQexec(st->conn, "ROLLBACK"));
}

static enum store_rc
create_schema(struct pg *st)
{
	char		sql[1024];
	enum store_rc	rc;

	snprintf(sql, sizeof(sql), "BEGIN; "
	    "SELECT pg_advisory_xact_lock(%d, %d); "
	    "CREATE TABLE IF NOT EXISTS osbroker_schema (name text PRIMARY KEY, "
	    "value text NOT NULL); "
	    "CREATE TABLE IF NOT EXISTS osbroker_records (tbl text NOT NULL, "
	    "key text COLLATE \"C\" NOT NULL, value bytea NOT NULL, "
	    "PRIMARY KEY (tbl, key)); "
	    "INSERT INTO osbroker_schema VALUES ('schema_version', '%d') "
	    "ON CONFLICT (name) DO NOTHING; COMMIT",
	    OSB_PG_LOCK_CLASS, OSB_PG_LOCK_SCHEMA, OSB_PG_SCHEMA);
	rc = run(st, sql, "creating the schema");
	rollback_if_open(st);
	if (rc == STORE_ERROR && strstr(st->err, "SQLSTATE 42501") != NULL)
		snprintf(st->err, sizeof(st->err), "the database user may not "
		    "create the broker's tables (osbroker_schema, "
		    "osbroker_records) in the first schema of its search_path: "
		    "GRANT CREATE ON SCHEMA <schema> TO <user>, or create them as "
		    "their owner (docs/high-availability.md)");
	else if (rc == STORE_ERROR && strstr(st->err, "SQLSTATE 3F000") !=
	    NULL)
		snprintf(st->err, sizeof(st->err), "the database user's "
		    "search_path names no existing schema to create the "
		    "broker's tables in");
	return rc;
}

/* The schema version in the database: -1 with st->err when it cannot be
 * read, 0 when the tables do not exist yet. */
static int
schema_version(struct pg *st, enum store_rc *rc)
{
	PGresult	*r;
	const char	*state;
	int		 v;

	r = PQexec(st->conn, "SELECT value FROM osbroker_schema "
	    "WHERE name = 'schema_version'");
	if (r != NULL && PQresultStatus(r) == PGRES_FATAL_ERROR &&
	    (state = PQresultErrorField(r, PG_DIAG_SQLSTATE)) != NULL &&
	    strcmp(state, "42P01") == 0) {
		PQclear(r);
		return 0;		/* undefined_table */
	}
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		*rc = result(st, r, "reading the schema version");
		return -1;
	}
	v = PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	if (v <= 0) {
		*rc = STORE_ERROR;
		set_err(st, "osbroker_schema", "no valid schema_version row");
		return -1;
	}
	return v;
}

/* A new connection: the session's settings, then the schema (created when
 * missing, refused when newer than this broker). */
static enum store_rc
setup(struct pg *st)
{
	enum store_rc	rc = STORE_OK;
	int		v;

	memset(st->prepared, 0, sizeof(st->prepared));
	set_where(st);
	/* Durable commits; and never wait forever on a lock or a statement
	 * (an operator's own setting, from the connection string's
	 * options or the role, is kept). */
	if ((rc = run(st, "SELECT set_config('synchronous_commit', 'on', "
	    "false) WHERE current_setting('synchronous_commit') IN ('off', "
	    "'local'); SELECT set_config('lock_timeout', '10s', false) WHERE "
	    "current_setting('lock_timeout') = '0'; SELECT "
	    "set_config('statement_timeout', '30s', false) WHERE "
	    "current_setting('statement_timeout') = '0'", "session settings"))
	    != STORE_OK)
		return rc;
	if ((v = schema_version(st, &rc)) == -1)
		return rc;
	if (v == 0) {
		if ((rc = create_schema(st)) != STORE_OK)
			return rc;
		if ((v = schema_version(st, &rc)) == -1)
			return rc;
	}
	/* Unavailable, not an error: a worker that meets it (another host's
	 * newer osbroker upgraded the schema) answers 503 and stays up
	 * rather than exit into multiwatch's restarts; --check-store still
	 * refuses to start. */
	if (v > OSB_PG_SCHEMA) {
		snprintf(st->err, sizeof(st->err), "the broker's tables are "
		    "schema version %d, newer than this osbroker's (%d): they "
		    "were written by a newer osbroker; refusing to use them "
		    "(nothing was changed)", v, OSB_PG_SCHEMA);
		return STORE_UNAVAILABLE;
	}
	st->ready = 1;
	return STORE_OK;
}

/* The server's notices and warnings: never printed (libpq's default
 * writes them raw to stderr).  One matters: a COMMIT whose wait for the
 * synchronous standby was cancelled (bounded_wait()) returns success
 * with a WARNING (SQLSTATE 01000): committed on this server only, and lost
 * if it fails over now; pg_commit() answers that as an unknown outcome. */
static void
notice(void *arg, const PGresult *r)
{
	struct pg	*st = arg;
	const char	*sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char	*state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (sev != NULL && strcmp(sev, "WARNING") == 0 && state != NULL &&
	    strcmp(state, "01000") == 0)
		st->unconfirmed = 1;
}

/* Connected and set up, reconnecting if the connection was lost (or left
 * in pipeline mode by a failure: settle()). */
static enum store_rc
connected(struct pg *st)
{
	if (st->ready && !st->broken && PQstatus(st->conn) == CONNECTION_OK &&
	    PQpipelineStatus(st->conn) == PQ_PIPELINE_OFF)
		return STORE_OK;
	st->ready = 0;
	st->nsent = st->synced = 0;
	if (st->broken || PQstatus(st->conn) != CONNECTION_OK ||
	    PQpipelineStatus(st->conn) != PQ_PIPELINE_OFF)
		PQreset(st->conn);
	st->broken = 0;
	if (PQstatus(st->conn) != CONNECTION_OK) {
		set_where(st);
		set_err(st, "cannot connect", PQerrorMessage(st->conn));
		return STORE_UNAVAILABLE;
	}
	return setup(st);
}

enum store_rc
store_pg_open(const char *spec, const char *dir, struct store **out)
{
	/* Defaults first: the connection string's own settings win. */
	static const char *const kw[] = { "connect_timeout",
	    "application_name", "dbname", NULL };
	const char	*val[4];
	struct pg	*st;
	PQconninfoOption *opts;
	char		*perr = NULL;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return STORE_ERROR;
	st->base.ops = &pg_ops;
	*out = &st->base;
	snprintf(st->where, sizeof(st->where), "PostgreSQL");
	if (pq_load(st->err, sizeof(st->err)) == -1)
		return STORE_ERROR;
	find_secrets(st, spec);
	/* The catalog cache and the credentials still live there. */
	if (store_check_dir(dir, st->err, sizeof(st->err)) == -1)
		return STORE_ERROR;
	/* A malformed string is the configuration's fault: say so now
	 * rather than as "unavailable" on every request. */
	if ((opts = PQconninfoParse(spec, &perr)) == NULL) {
		set_err(st, "OSBROKER_STORE is not a valid PostgreSQL "
		    "connection string", perr != NULL ? perr : "out of memory");
		PQfreemem(perr);
		return STORE_ERROR;
	}
	PQconninfoFree(opts);
	val[0] = "5";
	val[1] = "osbroker";
	val[2] = spec;
	val[3] = NULL;
	if ((st->conn = PQconnectdbParams(kw, val, 1)) == NULL) {
		snprintf(st->err, sizeof(st->err), "out of memory");
		return STORE_ERROR;
	}
	/* Kept by PQreset(): set once. */
	PQsetNoticeReceiver(st->conn, notice, st);
	return connected(st);
}

static void
pg_close(struct store *s)
{
	struct pg	*st = PG(s);
	size_t		 i;

	if (st->conn != NULL)
		PQfinish(st->conn);
	for (i = 0; i < OSB_PG_RECALL; i++)
		free(st->recall[i].val);
	explicit_bzero(st->secret, sizeof(st->secret));
	free(st);
}

/* 64-bit FNV-1a of the scope's instance id (up to a '/': store.h), or of
 * the whole scope when whole: its advisory lock key.  Two scopes with the
 * same hash only wait for each other (an instance's and a binding key's
 * too: a wait, or a deadlock the server ends with 40P01, a 503). */
static long long
scope_key(const char *scope, int whole)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *scope != '\0' && (whole || *scope != '/'); scope++) {
		h ^= (unsigned char)*scope;
		h *= 1099511628211ULL;
	}
	return (long long)h;
}

/*
 * Pipeline mode.  A transaction's statements are sent in libpq's pipeline
 * mode, so that what needs no answer yet costs no round trip of its own:
 * store_begin() sends BEGIN and the locks without waiting; the first
 * statement that returns something (get, del, scan) sends them together
 * with itself and a Sync, and reads every result in order; a put is sent
 * and its result read with the next statement or the COMMIT, whichever
 * comes first; store_abort() sends ROLLBACK and a Sync without waiting,
 * and the next store_begin() reads its result; store_prefetch() sends a
 * get ahead, whose rows answer the store_get() of that key.  The server
 * runs the commands in the order sent, and skips every command after a
 * failed one up to the next Sync, so a COMMIT sent after a failed put is
 * never run: store_commit() returns STORE_OK only when every result, the
 * COMMIT's included, was read and good.
 */

/* Drop what store_prefetch() fetched or is fetching (a prefetch still in
 * the pipeline is read and cleared by collect()). */
static void
forget(struct pg *st)
{
	PQclear(st->pre.r);
	st->pre.r = NULL;
	st->pre.state = PRE_NONE;
}

/* The connection failed under a pipeline: STORE_UNAVAILABLE; the next
 * store_begin() reconnects. */
static enum store_rc
lost(struct pg *st, const char *what)
{
	set_err(st, what, PQerrorMessage(st->conn));
	st->ready = 0;
	st->nsent = st->synced = 0;
	forget(st);
	return STORE_UNAVAILABLE;
}

/* How long collect_bounded() waits.  The server waits for a synchronous
 * standby to confirm a COMMIT for as long as it takes (statement_timeout
 * does not end that wait), so after OSB_PG_COMMIT_WAIT seconds the COMMIT
 * is cancelled, which ends the wait (the transaction stays committed on
 * this server, with a WARNING: notice()).  A server that does not answer
 * the cancel either is given up: the connection is reset before its next
 * use (st->broken). */
struct bound {
	time_t	until;
	int	cancelled;
};

/* Until a result can be read without blocking, within b: 0, or -1 when
 * given up. */
static int
bounded_wait(struct pg *st, struct bound *b)
{
	struct pollfd	 pf;
	PGcancel	*c;
	char		 err[256];

	while (PQisBusy(st->conn)) {
		pf.fd = PQsocket(st->conn);
		pf.events = POLLIN;
		if (poll(&pf, 1, 250) == 0 && time(NULL) >= b->until) {
			if (b->cancelled) {
				st->broken = 1;
				return -1;
			}
			b->cancelled = 1;
			b->until = time(NULL) + OSB_PG_COMMIT_WAIT;
			if ((c = PQgetCancel(st->conn)) != NULL) {
				(void)PQcancel(c, err, sizeof(err));
				PQfreeCancel(c);
			}
		}
		if (!PQconsumeInput(st->conn))
			break;
	}
	return 0;
}

/* Send a Sync (unless one was) and read the result of every command sent
 * since the last one, in order, each wait bounded by b when not NULL:
 * STORE_OK, or the first failure's rc, with st->err naming the command.
 * *last, when not NULL, gets the last command's result when every command
 * succeeded (the caller clears it).  A statement whose preparation failed
 * or was skipped is prepared again at its next use. */
static enum store_rc
collect_within(struct pg *st, PGresult **last, const char *what,
    struct bound *b)
{
	enum store_rc	 rc = STORE_OK;
	PGresult	*r, *more;
	ExecStatusType	 es;
	int		 i, n = st->nsent;

	if (last != NULL)
		*last = NULL;
	if (st->implicit && b == NULL) {
		/* A Sync now would commit a STORE_ONE_TRIP transaction
		 * before its caller's commit: refused, and rolled back
		 * (pg_abort()). */
		set_err(st, what, "a one-trip transaction would wait before "
		    "its commit");
		st->broken = 1;
		return STORE_ERROR;
	}
	if (!st->synced && PQpipelineSync(st->conn) != 1)
		return lost(st, what);
	st->nsent = st->synced = 0;
	for (i = 0; i < n; i++) {
		/* Each command's results end with a NULL. */
		if ((b != NULL && bounded_wait(st, b) == -1) ||
		    (r = PQgetResult(st->conn)) == NULL)
			return lost(st, what);
		while ((more = PQgetResult(st->conn)) != NULL)
			PQclear(more);
		es = PQresultStatus(r);
		if (st->sent[i].prefetch && st->pre.state == PRE_SENT) {
			/* Kept for pg_get(); a failure is reported now. */
			st->pre.state = es == PGRES_TUPLES_OK ? PRE_READ :
			    PRE_NONE;
			if (es == PGRES_TUPLES_OK) {
				st->pre.r = r;
				continue;
			}
		}
		if (es == PGRES_TUPLES_OK && (st->sent[i].s == S_CREATE ||
		    st->sent[i].s == S_CREATE_IF) &&
		    !st->sent[i].prepare && PQntuples(r) == 0)
			st->exists = 1;	/* no row: not inserted */
		if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK) {
			if (i == n - 1 && last != NULL && rc == STORE_OK)
				*last = r;
			else
				PQclear(r);
			continue;
		}
		if (st->sent[i].prepare)
			st->prepared[st->sent[i].s] = 0;
		if (rc != STORE_OK || es == PGRES_PIPELINE_ABORTED) {
			PQclear(r);	/* skipped after the failure */
			continue;
		}
		if ((rc = result(st, r, stmts[st->sent[i].s].what)) ==
		    STORE_UNAVAILABLE && !st->ready)
			return lost(st, what);
	}
	r = b == NULL || bounded_wait(st, b) == 0 ? PQgetResult(st->conn) :
	    NULL;
	if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PQclear(r);
		if (last != NULL) {
			PQclear(*last);
			*last = NULL;
		}
		return lost(st, what);
	}
	PQclear(r);
	return rc;
}

static enum store_rc
collect(struct pg *st, PGresult **last, const char *what)
{
	return collect_within(st, last, what, NULL);
}

/* collect() for a COMMIT: struct bound. */
static enum store_rc
collect_bounded(struct pg *st, PGresult **last, const char *what)
{
	struct bound b = { time(NULL) + OSB_PG_COMMIT_WAIT, 0 };

	return collect_within(st, last, what, &b);
}

/* Send statement s with parameters vals (text, or binary where fmts[i] is
 * 1, of lens[i] bytes; rows come back binary), preparing it first on this
 * connection when it is not; its result is read by collect().  0, or -1
 * with *rc set. */
static int
send_stmt(struct pg *st, enum stmt s, const char *const *vals,
    const int *lens, const int *fmts, enum store_rc *rc)
{
	if (st->nsent + 2 > OSB_PG_PIPELINE &&
	    (*rc = collect(st, NULL, stmts[s].what)) != STORE_OK)
		return -1;
	if (!st->prepared[s]) {
		if (PQsendPrepare(st->conn, stmts[s].name, stmts[s].sql,
		    stmts[s].nparams, NULL) != 1) {
			*rc = lost(st, stmts[s].what);
			return -1;
		}
		st->prepared[s] = 1;	/* undone by collect() on failure */
		st->sent[st->nsent].s = (unsigned char)s;
		st->sent[st->nsent].prefetch = 0;
		st->sent[st->nsent++].prepare = 1;
	}
	if (PQsendQueryPrepared(st->conn, stmts[s].name, stmts[s].nparams,
	    vals, lens, fmts, 1) != 1) {
		*rc = lost(st, stmts[s].what);
		return -1;
	}
	st->sent[st->nsent].s = (unsigned char)s;
	st->sent[st->nsent].prefetch = 0;
	st->sent[st->nsent++].prepare = 0;
	return 0;
}

/* Before a transaction: read what the last one left unread (its
 * ROLLBACK) and leave pipeline mode, so that connected() may use PQexec().
 * A connection in doubt stays in pipeline mode, and connected() resets
 * it. */
static void
settle(struct pg *st)
{
	if (!st->ready || PQpipelineStatus(st->conn) == PQ_PIPELINE_OFF)
		return;
	if (st->nsent > 0 && collect(st, NULL, "rollback") != STORE_OK &&
	    !st->ready)
		return;
	if (PQexitPipelineMode(st->conn) != 1)
		st->ready = 0;
}

/* Ready for a transaction's (or store_fetch()'s) first command: the
 * last one's results read, connected, in pipeline mode. */
static enum store_rc
start(struct pg *st)
{
	enum store_rc rc;

	forget(st);
	st->implicit = 0;
	settle(st);
	if ((rc = connected(st)) != STORE_OK)
		return rc;
	/* Nothing of an earlier transaction may leak into this one (one
	 * whose ROLLBACK was lost, say). */
	rollback_if_open(st);
	if (PQenterPipelineMode(st->conn) != 1)
		return lost(st, "begin");
	return STORE_OK;
}

static enum store_rc
pg_begin(struct store *s, int write, const char *scope,
    struct store_txn **out)
{
	struct pg	*st = PG(s);
	struct pg_txn	*t;
	char		 cls[UTIL_DECIMAL_LEN], lock[UTIL_DECIMAL_LEN],
			 key[UTIL_DECIMAL_LEN], bkey[UTIL_DECIMAL_LEN];
	const char	*p[4] = { cls, lock, key, bkey };
	enum stmt	 ls = S_LOCK_ALL;
	enum store_rc	 rc;
	int		 one = (write & STORE_ONE_TRIP) != 0;

	*out = NULL;
	write &= ~STORE_ONE_TRIP;
	if ((rc = start(st)) != STORE_OK)
		return rc;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return STORE_ERROR;
	(void)util_fmt_decimal(cls, OSB_PG_LOCK_CLASS);
	(void)util_fmt_decimal(lock, OSB_PG_LOCK_STORE);
	if (scope != NULL) {
		ls = write == STORE_WRITE_KEY ? S_LOCK_KEY : S_LOCK_SCOPE;
		(void)util_fmt_decimal(key, scope_key(scope, 0));
		(void)util_fmt_decimal(bkey, scope_key(scope, 1));
	}
	/* Sent, not waited for: the transaction's first statement reads
	 * their results (a failure to lock is that statement's). */
	/* STORE_ONE_TRIP: the statements up to the commit's Sync are the
	 * protocol's implicit transaction, without BEGIN. */
	if ((!(one && write) && send_stmt(st, write ? S_BEGIN : S_BEGIN_READ,
	    NULL, NULL, NULL, &rc) == -1) || (write && send_stmt(st, ls, p,
	    NULL, NULL, &rc) == -1)) {
		free(t);
		return rc;
	}
	st->implicit = one && write;
	st->wrote = 0;
	st->exists = 0;
	t->base.st = s;
	t->write = write;
	*out = &t->base;
	return STORE_OK;
}

/* The ROLLBACK of a transaction that is over for its caller, sent with a
 * Sync; its result is read by the next store_begin() (settle()). */
static void
rollback_later(struct pg *st)
{
	enum store_rc rc;

	forget(st);
	if (st->ready && send_stmt(st, S_ROLLBACK, NULL, NULL, NULL,
	    &rc) == 0) {
		if (PQpipelineSync(st->conn) == 1)
			st->synced = 1;
		else
			(void)lost(st, "rollback");
	}
}

static enum store_rc
pg_commit(struct store_txn *bt)
{
	struct pg	*st = PG(bt->st);
	PGresult	*r;
	enum store_rc	 rc;
	char		 msg[200];
	int		 implicit = st->implicit;

	free(bt);
	forget(st);
	st->unconfirmed = 0;
	st->implicit = 0;
	/* STORE_ONE_TRIP: the Sync commits. */
	if ((!implicit && send_stmt(st, S_COMMIT, NULL, NULL, NULL,
	    &rc) == -1) || (rc = collect_bounded(st, &r, "commit")) !=
	    STORE_OK) {
		if (!st->ready) {
			set_err(st, "connection lost during COMMIT (its "
			    "outcome is unknown)", st->broken ? "the server "
			    "answered neither the COMMIT nor its cancel" :
			    PQerrorMessage(st->conn));
			return STORE_UNAVAILABLE;
		}
		/* A statement failed: the server skipped the COMMIT. */
		rollback_later(st);
		return rc;
	}
	/* A transaction that had failed "commits" as ROLLBACK (an implicit
	 * one is rolled back at the Sync, and a statement's error said so). */
	if (!implicit && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		PQclear(r);
		set_err(st, "commit", "the transaction had failed and was "
		    "rolled back");
		return STORE_ERROR;
	}
	PQclear(r);
	if (st->exists)		/* committed, having changed nothing */
		return STORE_EXISTS;
	if (st->unconfirmed) {
		snprintf(msg, sizeof(msg), "committed on the primary, but no "
		    "synchronous standby confirmed it within %d s, so its wait "
		    "was cancelled: the change may not survive a failover "
		    "(outcome unknown)", OSB_PG_COMMIT_WAIT);
		set_err(st, "commit", msg);
		return STORE_UNAVAILABLE;
	}
	return STORE_OK;
}

static void
pg_abort(struct store_txn *bt)
{
	struct pg *st = PG(bt->st);

	free(bt);
	if (st->implicit) {
		/* A Sync would commit what was sent: after a write (or a
		 * refused wait), close the connection instead, which rolls
		 * the transaction back and frees its locks now; else the
		 * Sync ends a transaction that holds nothing but them. */
		st->implicit = 0;
		forget(st);
		if (st->wrote || st->broken || !st->ready) {
			PQreset(st->conn);
			st->ready = 0;
			st->broken = 0;
			st->nsent = st->synced = 0;
		} else if (PQpipelineSync(st->conn) != 1)
			(void)lost(st, "rollback");
		else
			st->synced = 1;
		return;
	}
	rollback_later(st);
}

/* Send statement s (send_stmt()) and read its result and those of every
 * command sent before it: the result, or NULL with *rc set. */
static PGresult *
exec(struct pg *st, enum stmt s, const char *const *vals, const int *lens,
    const int *fmts, enum store_rc *rc, const char *what)
{
	PGresult *r;

	if (send_stmt(st, s, vals, lens, fmts, rc) == -1 ||
	    (*rc = collect(st, &r, what)) != STORE_OK)
		return NULL;
	return r;
}

/*
 * Recalled instance records (store_recall()).  A bind decides on the
 * instance's record; a worker that read that record recently (a bind, a
 * fetch, any transaction) remembers it, so that its next bind of the same
 * instance can decide at once and send its write with BEGIN, the locks and
 * the COMMIT, in one round trip, made conditional on the record being
 * stored exactly as remembered (S_CREATE_IF): a record changed or deleted
 * meanwhile, by any worker of any host, makes the write do nothing, and the
 * bind is decided again on what it reads (h_binding.c).  So a remembered
 * record is never trusted, only confirmed; none is kept past
 * OSB_PG_RECALL_VALUE bytes, the OSB_PG_RECALL most recently used are
 * kept, and one this process writes is forgotten at once (it may be
 * rolled back).
 */

/* The slot of key, or NULL. */
static size_t
recall_find(const struct pg *st, const char *key)
{
	size_t i;

	for (i = 0; i < OSB_PG_RECALL; i++)
		if (st->recall[i].val != NULL &&
		    strcmp(st->recall[i].key, key) == 0)
			return i;
	return OSB_PG_RECALL;
}

/* Forget key of tb (T__COUNT: every key). */
static void
recall_drop(struct pg *st, enum store_table tb, const char *key)
{
	size_t i;

	if (tb != T_INSTANCES && tb != T__COUNT)
		return;
	for (i = 0; i < OSB_PG_RECALL; i++)
		if (st->recall[i].val != NULL && (tb == T__COUNT ||
		    strcmp(st->recall[i].key, key) == 0)) {
			free(st->recall[i].val);
			st->recall[i].val = NULL;
			st->recall[i].key[0] = '\0';
		}
}

/* Remember val (len bytes) as key's of tb, when tb is the instances. */
static void
recall_keep(struct pg *st, enum store_table tb, const char *key,
    const char *val, size_t len)
{
	size_t	 i, pick = 0;
	char	*copy;

	if (tb != T_INSTANCES)
		return;
	if (len > OSB_PG_RECALL_VALUE || strlen(key) >= sizeof(st->recall[0].key)
	    || (copy = malloc(len + 1)) == NULL) {
		recall_drop(st, tb, key);
		return;
	}
	memcpy(copy, val, len);
	copy[len] = '\0';
	if ((i = recall_find(st, key)) == OSB_PG_RECALL)
		/* A free slot, else the least recently used. */
		for (i = 0; i < OSB_PG_RECALL; i++) {
			if (st->recall[i].val == NULL) {
				pick = i;
				break;
			}
			if (st->recall[i].used < st->recall[pick].used)
				pick = i;
		}
	else
		pick = i;
	free(st->recall[pick].val);
	snprintf(st->recall[pick].key, sizeof(st->recall[pick].key), "%s",
	    key);
	st->recall[pick].val = copy;
	st->recall[pick].len = len;
	st->recall[pick].used = ++st->clock;
}

static enum store_rc
pg_recall(struct store *s, enum store_table tb, const char *key, char **val,
    size_t *len)
{
	struct pg	*st = PG(s);
	size_t		 i;

	*val = NULL;
	if (tb != T_INSTANCES || (i = recall_find(st, key)) == OSB_PG_RECALL)
		return STORE_NOTFOUND;
	if ((*val = malloc(st->recall[i].len + 1)) == NULL)
		return STORE_ERROR;
	memcpy(*val, st->recall[i].val, st->recall[i].len + 1);
	if (len != NULL)
		*len = st->recall[i].len;
	st->recall[i].used = ++st->clock;
	return STORE_OK;
}

/* Get key of tb in the open transaction, or as one statement. */
static enum store_rc
get(struct pg *st, enum store_table tb, const char *key, char **val,
    size_t *len)
{
	const char	*p[2] = { store_table_names[tb], key };
	PGresult	*r;
	enum store_rc	 rc;
	int		 n;

	*val = NULL;
	if (st->pre.state != PRE_NONE && st->pre.tb == tb &&
	    strcmp(st->pre.key, key) == 0) {
		/* store_prefetch()ed: its result, read now if it is not. */
		if (st->pre.state == PRE_SENT &&
		    (rc = collect(st, NULL, "get")) != STORE_OK)
			return rc;
		r = st->pre.r;
		st->pre.r = NULL;
		st->pre.state = PRE_NONE;
		if (r == NULL)	/* cannot be: PRE_READ has the result */
			return STORE_ERROR;
	} else if ((r = exec(st, S_GET, p, NULL, NULL, &rc, "get")) == NULL)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		recall_drop(st, tb, key);
		return STORE_NOTFOUND;
	}
	n = PQgetlength(r, 0, 0);
	if ((*val = malloc((size_t)n + 1)) == NULL) {
		PQclear(r);
		return STORE_ERROR;
	}
	memcpy(*val, PQgetvalue(r, 0, 0), (size_t)n);
	(*val)[n] = '\0';
	recall_keep(st, tb, key, *val, (size_t)n);
	if (len != NULL)
		*len = (size_t)n;
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
pg_get(struct store_txn *bt, enum store_table tb, const char *key,
    char **val, size_t *len)
{
	return get(PG(bt->st), tb, key, val, len);
}

/* The SELECT of a get to come, sent now with the next statement: under
 * the transaction's locks nobody else changes the record meanwhile, and
 * this transaction's own writes drop it (forget()). */
static void
pg_prefetch(struct store_txn *bt, enum store_table tb, const char *key)
{
	struct pg	*st = PG(bt->st);
	const char	*p[2] = { store_table_names[tb], key };
	enum store_rc	 rc;

	if (st->pre.state != PRE_NONE || strlen(key) >= sizeof(st->pre.key)
	    || send_stmt(st, S_GET, p, NULL, NULL, &rc) == -1)
		return;		/* a lost connection fails the next call */
	st->sent[st->nsent - 1].prefetch = 1;
	st->pre.state = PRE_SENT;
	st->pre.tb = tb;
	snprintf(st->pre.key, sizeof(st->pre.key), "%s", key);
}

/* One SELECT outside a transaction block: a snapshot of its own, and
 * nothing to end afterwards. */
static enum store_rc
pg_fetch(struct store *s, enum store_table tb, const char *key, char **val,
    size_t *len)
{
	struct pg	*st = PG(s);
	enum store_rc	 rc;

	*val = NULL;
	if ((rc = start(st)) != STORE_OK)
		return rc;
	return get(st, tb, key, val, len);
}

/* A put (S_PUT) or a create (S_CREATE, with its companion record;
 * S_CREATE_IF, the same on condition cond),
 * sent without waiting: a failure is the result of the transaction's next
 * statement or of its commit, and so is whether a create found its key
 * (st->exists, pg_commit()). */
static enum store_rc
send_write(struct store_txn *bt, enum stmt s, enum store_table tb,
    const char *key, const char *val, size_t len,
    const struct store_rec *with, const struct store_rec *cond)
{
	struct pg	*st = PG(bt->st);
	const char	*p[9] = { store_table_names[tb], key, val,
	    with != NULL ? store_table_names[with->tb] : "",
	    with != NULL ? with->key : "", with != NULL ? with->val : "",
	    cond != NULL ? store_table_names[cond->tb] : "",
	    cond != NULL ? cond->key : "", cond != NULL ? cond->val : "" };
	int		 lens[9] = { 0, 0, (int)len, 0, 0,
			    with != NULL ? (int)with->len : 0, 0, 0,
			    cond != NULL ? (int)cond->len : 0 },
			 fmts[9] = { 0, 0, 1, 0, 0, 1, 0, 0, 1 };
	enum store_rc	 rc;

	forget(st);	/* a prefetched record may change */
	recall_drop(st, tb, key);	/* and so may a remembered one */
	st->wrote = 1;
	if (with != NULL)
		recall_drop(st, with->tb, with->key);
	if (len > OSB_PG_MAX_VALUE ||
	    (with != NULL && with->len > OSB_PG_MAX_VALUE) ||
	    (cond != NULL && cond->len > OSB_PG_MAX_VALUE)) {
		set_err(st, stmts[s].what, "record too large");
		return STORE_FULL;
	}
	if (send_stmt(st, s, p, lens, fmts, &rc) == -1)
		return rc;
	return STORE_OK;
}

static enum store_rc
pg_put(struct store_txn *bt, enum store_table tb, const char *key,
    const char *val, size_t len)
{
	return send_write(bt, S_PUT, tb, key, val, len, NULL, NULL);
}

static enum store_rc
pg_create(struct store_txn *bt, enum store_table tb, const char *key,
    const char *val, size_t len, const struct store_rec *with)
{
	return send_write(bt, S_CREATE, tb, key, val, len, with, NULL);
}

static enum store_rc
pg_create_if(struct store_txn *bt, enum store_table tb, const char *key,
    const char *val, size_t len, const struct store_rec *with,
    const struct store_rec *cond)
{
	return send_write(bt, S_CREATE_IF, tb, key, val, len, with, cond);
}

static enum store_rc
pg_del(struct store_txn *bt, enum store_table tb, const char *key)
{
	struct pg	*st = PG(bt->st);
	const char	*p[2] = { store_table_names[tb], key };
	PGresult	*r;
	enum store_rc	 rc;

	forget(st);	/* a prefetched record may change */
	recall_drop(st, tb, key);
	if ((r = exec(st, S_DEL, p, NULL, NULL, &rc, "del")) == NULL)
		return rc;
	rc = strcmp(PQcmdTuples(r), "0") == 0 ? STORE_NOTFOUND : STORE_OK;
	PQclear(r);
	return rc;
}

static enum store_rc
pg_drop(struct store_txn *bt, enum store_table tb, const char *key)
{
	struct pg	*st = PG(bt->st);
	const char	*p[2] = { store_table_names[tb], key };
	enum store_rc	 rc;

	forget(st);	/* a prefetched record may change */
	recall_drop(st, tb, key);
	st->wrote = 1;
	/* Sent, not waited for, as a put. */
	if (send_stmt(st, S_DEL, p, NULL, NULL, &rc) == -1)
		return rc;
	return STORE_OK;
}

/* The first key after every key starting with prefix, when incrementing
 * its last byte gives one that is still ASCII (ids always do: util.h);
 * 0 otherwise (starts_with() then bounds the range). */
static int
upper_bound(const char *prefix, char *out, size_t outlen)
{
	size_t n = strlen(prefix);

	if (n == 0 || n >= outlen || (unsigned char)prefix[n - 1] >= 0x7e)
		return 0;
	memcpy(out, prefix, n + 1);
	out[n - 1]++;
	return 1;
}

/* The statement for "every key starting with prefix": range, from, or
 * all; p[] filled accordingly. */
static enum stmt
prefix_stmt(enum store_table tb, const char *prefix, char *hi, size_t hilen,
    const char *p[3], enum stmt range, enum stmt from, enum stmt all)
{
	p[0] = store_table_names[tb];
	p[1] = prefix;
	p[2] = hi;
	if (*prefix == '\0')
		return all;
	return upper_bound(prefix, hi, hilen) ? range : from;
}

/* fn for each row (key, value) of r until it returns non-zero; clears r. */
static enum store_rc
rows(PGresult *r, int (*fn)(const char *, const char *, size_t, void *),
    void *arg)
{
	int i, n = PQntuples(r);

	/* libpq terminates every value with a NUL, binary ones too. */
	for (i = 0; i < n; i++)
		if (fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		    (size_t)PQgetlength(r, i, 1), arg) != 0)
			break;
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
pg_scan(struct store_txn *bt, enum store_table tb, const char *prefix,
    int (*fn)(const char *, const char *, size_t, void *), void *arg)
{
	struct pg	*st = PG(bt->st);
	const char	*p[3];
	char		 hi[OSB_MAX_PATH];
	PGresult	*r;
	enum store_rc	 rc;
	enum stmt	 s;

	s = prefix_stmt(tb, prefix, hi, sizeof(hi), p, S_SCAN_RANGE,
	    S_SCAN_FROM, S_SCAN_ALL);
	if ((r = exec(st, s, p, NULL, NULL, &rc, "scan")) == NULL)
		return rc;
	return rows(r, fn, arg);
}

static enum store_rc
pg_scan_from(struct store_txn *bt, enum store_table tb, const char *from,
    size_t limit, int (*fn)(const char *, const char *, size_t, void *),
    void *arg)
{
	struct pg	*st = PG(bt->st);
	char		 lim[24];
	const char	*p[3] = { store_table_names[tb], from, lim };
	PGresult	*r;
	enum store_rc	 rc;

	/* LIMIT ALL is NULL: no limit. */
	snprintf(lim, sizeof(lim), "%zu", limit);
	if (limit == 0)
		p[2] = NULL;
	if ((r = exec(st, S_SCAN_PAGE, p, NULL, NULL, &rc, "scan")) == NULL)
		return rc;
	return rows(r, fn, arg);
}

static enum store_rc
pg_scan_back(struct store_txn *bt, enum store_table tb, const char *before,
    size_t limit, int (*fn)(const char *, const char *, size_t, void *),
    void *arg)
{
	struct pg	*st = PG(bt->st);
	char		 lim[24];
	const char	*p[3] = { store_table_names[tb], before, lim };
	PGresult	*r;
	enum store_rc	 rc;

	snprintf(lim, sizeof(lim), "%zu", limit);
	if ((r = exec(st, S_SCAN_BACK, p, NULL, NULL, &rc, "scan")) == NULL)
		return rc;
	return rows(r, fn, arg);
}

static enum store_rc
pg_stats(struct store_txn *bt, struct store_stats *s)
{
	struct pg	*st = PG(bt->st);
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = exec(st, S_SIZE, NULL, NULL, NULL, &rc, "size")) == NULL)
		return rc;
	/* Results come in binary: an int8 is 8 bytes, most significant
	 * first. */
	if (PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 8) {
		const unsigned char *b = (const unsigned char *)PQgetvalue(r,
		    0, 0);
		unsigned long long v = 0;
		int i;

		for (i = 0; i < 8; i++)
			v = v << 8 | b[i];
		s->bytes = (long long)v;
	}
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
pg_del_prefix(struct store_txn *bt, enum store_table tb, const char *prefix,
    size_t *count)
{
	struct pg	*st = PG(bt->st);
	const char	*p[3];
	char		 hi[OSB_MAX_PATH];
	PGresult	*r;
	enum store_rc	 rc;
	enum stmt	 s;

	forget(st);	/* a prefetched record may change */
	if (tb == T_INSTANCES)
		recall_drop(st, T__COUNT, "");
	if (count != NULL)
		*count = 0;
	s = prefix_stmt(tb, prefix, hi, sizeof(hi), p, S_DEL_RANGE,
	    S_DEL_FROM, S_DEL_FROM);
	if ((r = exec(st, s, p, NULL, NULL, &rc, "delete")) == NULL)
		return rc;
	if (count != NULL)
		*count = strtoul(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return STORE_OK;
}

static const struct store_ops pg_ops = {
	.kind = "postgresql", .shared = 1, .one_trip = 1,
	.close = pg_close, .readonly = pg_readonly,
	.release = pg_release, .where = pg_where,
	.strerror = pg_strerror, .begin = pg_begin,
	.commit = pg_commit, .abort = pg_abort, .get = pg_get,
	.fetch = pg_fetch, .prefetch = pg_prefetch,
	.put = pg_put, .create = pg_create, .create_if = pg_create_if,
	.recall = pg_recall, .del = pg_del, .drop = pg_drop,
	.scan = pg_scan, .scan_from = pg_scan_from, .stats = pg_stats,
	.scan_back = pg_scan_back,
	.del_prefix = pg_del_prefix,
};
