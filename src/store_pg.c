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
 *     scope, the store-wide lock exclusive.  Every decision about one
 *     instance is thereby serialised across all workers of all hosts, as
 *     LMDB's single writer does on one host, and each statement after the
 *     lock sees everything the previous holder committed.  The locks are
 *     always taken in that order, so they cannot deadlock, and nothing
 *     needs a retry loop: a statement that still fails for a transient
 *     reason (lock_timeout, a serialization failure, a failover) ends in
 *     STORE_UNAVAILABLE, which the platform sees as 503 with Retry-After.
 *   - a read transaction is REPEATABLE READ, READ ONLY: one snapshot, as
 *     an LMDB read transaction.
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
 * Statements are prepared on first use on each connection.
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

#define OSB_PG_LIBPQ		"libpq.so.5"	/* Debian's libpq5 */

#define PQ_FUNCS(X)							\
	X(PQconnectdbParams) X(PQconninfoParse) X(PQconninfoFree)	\
	X(PQfreemem) X(PQstatus) X(PQreset) X(PQfinish) X(PQerrorMessage) \
	X(PQhost) X(PQport) X(PQdb) X(PQuser) X(PQexec) X(PQprepare)	\
	X(PQexecPrepared) X(PQresultStatus) X(PQresultErrorField)	\
	X(PQclear) X(PQntuples) X(PQgetvalue) X(PQgetlength)		\
	X(PQcmdTuples) X(PQcmdStatus) X(PQtransactionStatus)		\
	X(PQsetNoticeReceiver) X(PQsendQuery) X(PQisBusy) X(PQsocket)	\
	X(PQconsumeInput) X(PQgetResult) X(PQgetCancel) X(PQcancel)	\
	X(PQfreeCancel)

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
#define PQsetNoticeReceiver	(*pq_PQsetNoticeReceiver)
#define PQsendQuery		(*pq_PQsendQuery)
#define PQisBusy		(*pq_PQisBusy)
#define PQsocket		(*pq_PQsocket)
#define PQconsumeInput		(*pq_PQconsumeInput)
#define PQgetResult		(*pq_PQgetResult)
#define PQgetCancel		(*pq_PQgetCancel)
#define PQcancel		(*pq_PQcancel)
#define PQfreeCancel		(*pq_PQfreeCancel)

#define OSB_PG_SCHEMA		1	/* the schema this file writes */
#define OSB_PG_LOCK_CLASS	0x6f736272	/* "osbr": advisory lock keys */
#define OSB_PG_LOCK_STORE	1	/* the store-wide lock */
#define OSB_PG_LOCK_SCHEMA	2	/* creating the schema */

enum stmt { S_GET, S_PUT, S_DEL, S_SCAN_ALL, S_SCAN_RANGE, S_SCAN_FROM,
	S_DEL_RANGE, S_DEL_FROM, S__COUNT };

static const struct {
	const char	*name;
	const char	*sql;
	int		 nparams;
} stmts[S__COUNT] = {
	[S_GET] = { "osb_get", "SELECT value FROM osbroker_records "
	    "WHERE tbl = $1 AND key = $2", 2 },
	[S_PUT] = { "osb_put", "INSERT INTO osbroker_records (tbl, key, value) "
	    "VALUES ($1, $2, $3) ON CONFLICT (tbl, key) DO UPDATE "
	    "SET value = EXCLUDED.value", 3 },
	[S_DEL] = { "osb_del", "DELETE FROM osbroker_records "
	    "WHERE tbl = $1 AND key = $2", 2 },
	[S_SCAN_ALL] = { "osb_scan_all", "SELECT key, value FROM "
	    "osbroker_records WHERE tbl = $1 ORDER BY key", 1 },
	[S_SCAN_RANGE] = { "osb_scan_range", "SELECT key, value FROM "
	    "osbroker_records WHERE tbl = $1 AND key >= $2 AND key < $3 "
	    "ORDER BY key", 3 },
	[S_SCAN_FROM] = { "osb_scan_from", "SELECT key, value FROM "
	    "osbroker_records WHERE tbl = $1 AND key >= $2 AND "
	    "starts_with(key, $2) ORDER BY key", 2 },
	[S_DEL_RANGE] = { "osb_del_range", "DELETE FROM osbroker_records "
	    "WHERE tbl = $1 AND key >= $2 AND key < $3", 3 },
	[S_DEL_FROM] = { "osb_del_from", "DELETE FROM osbroker_records "
	    "WHERE tbl = $1 AND key >= $2 AND starts_with(key, $2)", 2 },
};

struct pg {
	struct store	 base;		/* first: store.c sees this */
	PGconn		*conn;
	int		 ready;		/* session set up, schema checked */
	int		 unconfirmed;	/* a WARNING came during COMMIT */
	int		 broken;	/* reset before the next use */
	int		 prepared[S__COUNT];
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
 * synchronous standby was cancelled (commit_bounded()) returns success
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

/* Connected and set up, reconnecting if the connection was lost. */
static enum store_rc
connected(struct pg *st)
{
	if (st->ready && !st->broken && PQstatus(st->conn) == CONNECTION_OK)
		return STORE_OK;
	st->ready = 0;
	if (st->broken || PQstatus(st->conn) != CONNECTION_OK)
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
	struct pg *st = PG(s);

	if (st->conn != NULL)
		PQfinish(st->conn);
	explicit_bzero(st->secret, sizeof(st->secret));
	free(st);
}

/* 64-bit FNV-1a of the scope's instance id (up to a '/': store.h): its
 * advisory lock key.  Two scopes with the
 * same hash only wait for each other. */
static long long
scope_key(const char *scope)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *scope != '\0' && *scope != '/'; scope++) {
		h ^= (unsigned char)*scope;
		h *= 1099511628211ULL;
	}
	return (long long)h;
}

static enum store_rc
pg_begin(struct store *s, int write, const char *scope,
    struct store_txn **out)
{
	struct pg	*st = PG(s);
	struct pg_txn	*t;
	char		 sql[256];
	enum store_rc	 rc;

	*out = NULL;
	if ((rc = connected(st)) != STORE_OK)
		return rc;
	/* Nothing of an earlier transaction may leak into this one (one
	 * whose ROLLBACK was lost, say). */
	rollback_if_open(st);
	if (!write)
		snprintf(sql, sizeof(sql), "BEGIN ISOLATION LEVEL REPEATABLE "
		    "READ, READ ONLY");
	else if (scope == NULL)
		snprintf(sql, sizeof(sql), "BEGIN; SELECT "
		    "pg_advisory_xact_lock(%d, %d)", OSB_PG_LOCK_CLASS,
		    OSB_PG_LOCK_STORE);
	else
		snprintf(sql, sizeof(sql), "BEGIN; SELECT "
		    "pg_advisory_xact_lock_shared(%d, %d); SELECT "
		    "pg_advisory_xact_lock(%lld)", OSB_PG_LOCK_CLASS,
		    OSB_PG_LOCK_STORE, scope_key(scope));
	if ((rc = run(st, sql, "begin")) != STORE_OK) {
		rollback_if_open(st);
		return rc;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		rollback_if_open(st);
		return STORE_ERROR;
	}
	t->base.st = s;
	t->write = write;
	*out = &t->base;
	return STORE_OK;
}

/* COMMIT, its wait bounded: the server waits for a synchronous standby
 * for as long as it takes (statement_timeout does not apply to that wait),
 * so after OSB_PG_COMMIT_WAIT seconds the COMMIT is cancelled, which ends
 * the wait (the transaction stays committed on this server, with a WARNING:
 * notice()).  A server that does not answer the cancel either is given up
 * (the connection is reset before its next use).  The last result, or
 * NULL. */
static PGresult *
commit_bounded(struct pg *st)
{
	struct pollfd	 pf;
	PGresult	*r, *last = NULL;
	PGcancel	*c;
	time_t		 until = time(NULL) + OSB_PG_COMMIT_WAIT;
	char		 err[256];
	int		 cancelled = 0;

	if (!PQsendQuery(st->conn, "COMMIT"))
		return NULL;
	while (PQisBusy(st->conn)) {
		pf.fd = PQsocket(st->conn);
		pf.events = POLLIN;
		if (poll(&pf, 1, 250) == 0 && time(NULL) >= until) {
			if (cancelled) {
				st->broken = 1;
				return NULL;
			}
			cancelled = 1;
			until = time(NULL) + OSB_PG_COMMIT_WAIT;
			if ((c = PQgetCancel(st->conn)) != NULL) {
				(void)PQcancel(c, err, sizeof(err));
				PQfreeCancel(c);
			}
		}
		if (!PQconsumeInput(st->conn))
			break;
	}
	while ((r = PQgetResult(st->conn)) != NULL) {
		PQclear(last);
		last = r;
	}
	return last;
}

static enum store_rc
pg_commit(struct store_txn *bt)
{
	struct pg	*st = PG(bt->st);
	PGresult	*r;
	enum store_rc	 rc;
	char		 msg[200];

	free(bt);
	st->unconfirmed = 0;
	r = commit_bounded(st);
	if (r == NULL || st->broken || PQstatus(st->conn) != CONNECTION_OK) {
		set_err(st, "connection lost during COMMIT (its outcome is "
		    "unknown)", st->broken ? "the server answered neither the "
		    "COMMIT nor its cancel" : PQerrorMessage(st->conn));
		PQclear(r);
		st->ready = 0;
		return STORE_UNAVAILABLE;
	}
	/* A transaction that had failed "commits" as ROLLBACK. */
	if (PQresultStatus(r) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		PQclear(r);
		set_err(st, "commit", "the transaction had failed and was "
		    "rolled back");
		return STORE_ERROR;
	}
	if (PQresultStatus(r) == PGRES_COMMAND_OK && st->unconfirmed) {
		PQclear(r);
		snprintf(msg, sizeof(msg), "committed on the primary, but no "
		    "synchronous standby confirmed it within %d s, so its wait "
		    "was cancelled: the change may not survive a failover "
		    "(outcome unknown)", OSB_PG_COMMIT_WAIT);
		set_err(st, "commit", msg);
		return STORE_UNAVAILABLE;
	}
	rc = result(st, r, "commit");
	rollback_if_open(st);
	return rc;
}

static void
pg_abort(struct store_txn *bt)
{
	struct pg *st = PG(bt->st);

	free(bt);
	if (PQstatus(st->conn) == CONNECTION_OK)
		PQclear(PQexec(st->conn, "ROLLBACK"));
}

/* Execute statement s (prepared on this connection at its first use) with
 * parameters vals (text, or binary where fmts[i] is 1, of lens[i] bytes);
 * rows come back binary (raw bytes).  Returns the result, or NULL with *rc
 * set. */
static PGresult *
exec(struct pg *st, enum stmt s, const char *const *vals, const int *lens,
    const int *fmts, enum store_rc *rc, const char *what)
{
	PGresult	*r;
	ExecStatusType	 es;

	if (!st->prepared[s]) {
		r = PQprepare(st->conn, stmts[s].name, stmts[s].sql,
		    stmts[s].nparams, NULL);
		if ((*rc = result(st, r, what)) != STORE_OK)
			return NULL;
		st->prepared[s] = 1;
	}
	r = PQexecPrepared(st->conn, stmts[s].name, stmts[s].nparams, vals,
	    lens, fmts, 1);
	es = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK) {
		*rc = result(st, r, what);
		return NULL;
	}
	*rc = STORE_OK;
	return r;
}

static enum store_rc
pg_get(struct store_txn *bt, enum store_table tb, const char *key,
    char **val, size_t *len)
{
	struct pg	*st = PG(bt->st);
	const char	*p[2] = { store_table_names[tb], key };
	PGresult	*r;
	enum store_rc	 rc;
	int		 n;

	*val = NULL;
	if ((r = exec(st, S_GET, p, NULL, NULL, &rc, "get")) == NULL)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	n = PQgetlength(r, 0, 0);
	if ((*val = malloc((size_t)n + 1)) == NULL) {
		PQclear(r);
		return STORE_ERROR;
	}
	memcpy(*val, PQgetvalue(r, 0, 0), (size_t)n);
	(*val)[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
pg_put(struct store_txn *bt, enum store_table tb, const char *key,
    const char *val, size_t len)
{
	struct pg	*st = PG(bt->st);
	const char	*p[3] = { store_table_names[tb], key, val };
	int		 lens[3] = { 0, 0, (int)len }, fmts[3] = { 0, 0, 1 };
	PGresult	*r;
	enum store_rc	 rc;

	if (len > OSB_PG_MAX_VALUE) {
		set_err(st, "put", "record too large");
		return STORE_FULL;
	}
	if ((r = exec(st, S_PUT, p, lens, fmts, &rc, "put")) != NULL)
		PQclear(r);
	return rc;
}

static enum store_rc
pg_del(struct store_txn *bt, enum store_table tb, const char *key)
{
	struct pg	*st = PG(bt->st);
	const char	*p[2] = { store_table_names[tb], key };
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = exec(st, S_DEL, p, NULL, NULL, &rc, "del")) == NULL)
		return rc;
	rc = strcmp(PQcmdTuples(r), "0") == 0 ? STORE_NOTFOUND : STORE_OK;
	PQclear(r);
	return rc;
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
	int		 i, n;

	s = prefix_stmt(tb, prefix, hi, sizeof(hi), p, S_SCAN_RANGE,
	    S_SCAN_FROM, S_SCAN_ALL);
	if ((r = exec(st, s, p, NULL, NULL, &rc, "scan")) == NULL)
		return rc;
	/* libpq terminates every value with a NUL, binary ones too. */
	n = PQntuples(r);
	for (i = 0; i < n; i++)
		if (fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		    (size_t)PQgetlength(r, i, 1), arg) != 0)
			break;
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
	.kind = "postgresql", .shared = 1,
	.close = pg_close, .readonly = pg_readonly,
	.release = pg_release, .where = pg_where,
	.strerror = pg_strerror, .begin = pg_begin,
	.commit = pg_commit, .abort = pg_abort, .get = pg_get,
	.put = pg_put, .del = pg_del, .scan = pg_scan,
	.del_prefix = pg_del_prefix,
};
