/* SPDX-License-Identifier: ISC */
/*
 * server: see server.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "catcache.h"
#include "counters.h"
#include "fwatch.h"
#include "handlers.h"
#include "identity.h"
#include "io.h"
#include "limits.h"
#include "log.h"
#include "op.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "server.h"
#include "util.h"
#include "version.h"

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void
format_catalog_error(const struct catalog_error *ce, char *err, size_t errlen)
{
	if (ce->line > 0)
		snprintf(err, errlen, "%s:%d:%d: %s", ce->file, ce->line,
		    ce->column, ce->message);
	else
		snprintf(err, errlen, "%s: %s", ce->file, ce->message);
}

/*
 * What the platforms would refuse at registration (catalog.h): logged when
 * catalog.yml itself was read, so once per edit, not again by the processes
 * that then read the compiled copy.
 */
static void
log_catalog_warnings(const struct catalog *cat)
{
	const struct catalog_error *w;
	size_t i, n, total;

	w = catalog_warnings(cat, &n, &total);
	for (i = 0; i < n; i++)
		log_msg("catalog %s:%d:%d: warning: %s", w[i].file, w[i].line,
		    w[i].column, w[i].message);
	if (total > n)
		log_msg("catalog: %zu more warnings not shown", total - n);
}

/*
 * A credentials line's plans= field must name services and plans of the
 * catalog: a broker that would serve a platform less than its operator
 * meant refuses to start, naming the line (osbroker(8), "CREDENTIALS").
 */
static int
check_plansets(const struct server *b, char *err, size_t errlen)
{
	const char	*plans, *name;
	char		 why[400];
	int		 i, lineno;

	for (i = 0; i < auth_nusers(b->auth); i++) {
		name = auth_user(b->auth, i, &plans, &lineno);
		if (plans == NULL)
			continue;
		if (planset_check(b->catalog, plans, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%d: user \"%s\": %s",
			    b->cfg.credentials_path, lineno, name, why);
			return -1;
		}
	}
	return 0;
}

static void
plansets_clear(struct server *b)
{
	int i;

	for (i = 0; i < SERVER_PLANSETS; i++) {
		free(b->plansets[i].field);
		planset_free(b->plansets[i].ps);
		b->plansets[i].field = NULL;
		b->plansets[i].ps = NULL;
	}
}

/*
 * The set of the request's user in the current catalog, *out NULL for a
 * user who sees it all.  Resolved once per worker and catalog.  After an
 * edit of either file a running worker does not stop: an entry that names
 * nothing grants nothing, and is logged when the set is resolved.  -1 when
 * out of memory.
 */
static int
user_planset(struct server *b, const char *user, const struct planset **out)
{
	const char		*field = auth_plans(b->auth, user);
	struct server_planset	*e;
	char			 why[400];
	int			 i;

	*out = NULL;
	if (field == NULL)
		return 0;
	for (i = 0; i < SERVER_PLANSETS; i++)
		if (b->plansets[i].field != NULL &&
		    strcmp(b->plansets[i].field, field) == 0) {
			*out = b->plansets[i].ps;
			return 0;
		}
	e = &b->plansets[b->plansets_next++ % SERVER_PLANSETS];
	free(e->field);
	planset_free(e->ps);
	e->ps = NULL;
	if ((e->field = strdup(field)) == NULL ||
	    planset_resolve(b->catalog, field, 0, &e->ps, why,
	    sizeof(why)) == -1) {
		free(e->field);
		e->field = NULL;
		return -1;
	}
	if (why[0] != '\0')
		log_msg("credentials: user \"%s\": %s; that entry grants "
		    "nothing", user, why);
	*out = e->ps;
	return 0;
}

/* The catalog through its cache (catcache.h), with the warnings of a
 * catalog.yml just read. */
static int
load_catalog(struct server *b, char *err, size_t errlen)
{
	struct catalog_error ce;

	if (catcache_load(b->cfg.catalog_path, b->cfg.state_dir, &b->catalog,
	    &ce) == -1) {
		format_catalog_error(&ce, err, errlen);
		return -1;
	}
	log_catalog_warnings(b->catalog);
	return 0;
}

/* 1 when a credentials line restricts its user to some plans. */
static int
any_restricted(const struct auth *a)
{
	const char	*plans;
	int		 i;

	for (i = 0; i < auth_nusers(a); i++)
		if (auth_user(a, i, &plans, NULL) != NULL && plans != NULL)
			return 1;
	return 0;
}

/* A database that cannot be reached now may be back for the next request:
 * serve 503 until then rather than exit (multiwatch would restart the
 * worker into the same failure until it gives up); `osbroker
 * --check-store` is the start-time check. */
int
server_open_store(struct server *b, char *err, size_t errlen)
{
	enum store_rc	 rc;
	const char	*host;

	if (b->store != NULL)
		return 0;
	rc = store_open(b->cfg.store, b->cfg.state_dir, b->cfg.map_size,
	    &b->store);
	if (rc == STORE_UNAVAILABLE)
		log_msg("state store: %s; answering 503 until it can be "
		    "reached", store_strerror(b->store));
	else if (rc != STORE_OK) {
		/* The store's message names the directory or the server. */
		snprintf(err, errlen, "state store: %s", b->store != NULL ?
		    store_strerror(b->store) : "out of memory");
		store_close(b->store);
		b->store = NULL;
		return -1;
	}
	/* Runners are judged by pid on their own host only (op.h). */
	host = op_set_host(b->cfg.host_id, OP_MACHINE_ID,
	    store_shared(b->store), b->cfg.request_timeout);
	if (store_readonly(b->store))
		log_msg("state directory %s is not writable: serving reads only, "
		    "changes get 503 until it is writable and the broker is "
		    "restarted", b->cfg.state_dir);
	if (b->cfg.fastcgi && store_shared(b->store) && *host == '\0')
		log_msg("this host has no identity (neither OSBROKER_HOST_ID "
		    "nor %s): every asynchronous operation, this host's too, "
		    "is judged by its lease (up to %d s to notice a dead "
		    "runner)", OP_MACHINE_ID, OP_LEASE);
	return 0;
}

int
server_open(struct server *b, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	b->unpruned = OSB_AUDIT_PRUNE_EVERY - 1;	/* at the first request */
	if (config_load(&b->cfg, err, errlen) == -1)
		return -1;
	b->cfg.fastcgi = io_is_fastcgi();
	/* Before the files are read: an edit made while they are is seen. */
	if (b->cfg.fastcgi) {
		const char *files[] = { b->cfg.catalog_path,
		    b->cfg.credentials_path };

		if ((b->watch = fwatch_open(files, 2)) == NULL)
			log_msg("inotify cannot watch the catalog and the "
			    "credentials file (%s): both are checked at every "
			    "request", strerror(errno));
	}
	/* A CGI process serves one request: when that is the catalog, it
	 * needs no store, and opening one (LMDB's lock file and map, or a
	 * connection to PostgreSQL) would be most of its cost.  It checks
	 * the state directory, which the compiled catalog is read from, and
	 * opens the store when a request needs it (server_handle()). */
	if (b->cfg.fastcgi) {
		if (server_open_store(b, err, errlen) == -1)
			return -1;
	} else if (store_check_dir(b->cfg.state_dir, err, errlen) == -1)
		return -1;
	/* After the state directory has been checked: the compiled catalog
	 * is only read from one that has been (catcache.h). */
	if (stat(b->cfg.catalog_path, &b->catalog_st) == -1)
		memset(&b->catalog_st, 0, sizeof(b->catalog_st));
	/* A CGI process that answers the catalog needs the served bytes
	 * alone (catcache_served()), which spares it parsing the compiled
	 * catalog and looking at its hooks: it loads the catalog when the
	 * request needs more (server_handle()), or below when a user is
	 * restricted to some plans, which are checked at every start. */
	if ((b->cfg.fastcgi || catcache_served(b->cfg.catalog_path,
	    b->cfg.state_dir, &b->doc) == -1) &&
	    load_catalog(b, err, errlen) == -1)
		return -1;
	/* The host's counters (GET /metrics); without them the broker
	 * serves, uncounted. */
	if (counters_open(b->cfg.state_dir, err, errlen) == -1)
		log_msg("counters: %s; requests are not counted", err);
	/* The budget of failed authentications per address; without its
	 * file the broker serves, every wrong password checked in full. */
	if (b->cfg.auth_failures > 0 && (b->throttle = throttle_open(
	    b->cfg.state_dir, b->cfg.auth_failures, b->cfg.auth_window, err,
	    errlen)) == NULL)
		log_msg("authentication budget: %s; failed authentications "
		    "are not limited", err);
	if ((b->auth = auth_load(b->cfg.credentials_path, err, errlen)) == NULL)
		return -1;
	if (b->catalog == NULL && any_restricted(b->auth) &&
	    load_catalog(b, err, errlen) == -1)
		return -1;
	if (check_plansets(b, err, errlen) == -1)
		return -1;
#ifdef OSB_BENCH_NO_AUTH
	log_msg("built with OSB_BENCH_NO_AUTH: requests are not "
	    "authenticated; a benchmark build, never to be deployed");
#endif
	/* A FastCGI worker remembers verified passwords itself; a CGI
	 * process lives for one request and needs the shared cache. */
	if (!b->cfg.fastcgi)
		auth_share_cache(b->auth, b->cfg.state_dir);
	return 0;
}

void
server_close(struct server *b)
{
	plansets_clear(b);
	catalog_free(b->catalog);
	catcache_served_free(&b->doc);
	auth_free(b->auth);
	store_close(b->store);
	throttle_close(b->throttle);
	fwatch_close(b->watch);
	records_memo_free(&b->memo);
	counters_close();
	memset(b, 0, sizeof(*b));
}

/* Serve an edited catalog.yml without a restart; keep the last good one when
 * the edit is broken, and say so once per edit. */
static void
catalog_refresh(struct server *b)
{
	struct stat		 st;
	struct catalog		*n;
	struct catalog_error	 ce;
	char			 msg[600];

	if (stat(b->cfg.catalog_path, &st) == -1 || same_file(&st,
	    &b->catalog_st))
		return;
	b->catalog_st = st;
	if (catcache_load(b->cfg.catalog_path, b->cfg.state_dir, &n, &ce) ==
	    -1) {
		format_catalog_error(&ce, msg, sizeof(msg));
		log_msg("catalog changed but is invalid, still serving the last "
		    "good one: %s", msg);
		return;
	}
	plansets_clear(b);
	catalog_free(b->catalog);
	b->catalog = n;
	log_msg("catalog reloaded from %s", b->cfg.catalog_path);
	log_catalog_warnings(n);
}

/* OSBROKER_MAX_ID_LEN: route_match() allows the most ids can be. */
static int
id_lengths(const struct config *cfg, const struct route *rt,
    struct response *resp)
{
	const char *ids[2] = { rt->instance_id, rt->binding_id };
	int i;

	for (i = 0; i < 2; i++)
		if (ids[i] != NULL && strlen(ids[i]) > cfg->max_id_len) {
			response_error(resp, OSB_ERR_BAD_REQUEST, "%s ids are at "
			    "most %zu characters long here", i == 0 ?
			    "instance" : "binding", cfg->max_id_len);
			return -1;
		}
	return 0;
}

static void
dispatch(struct ctx *c, struct response *resp)
{
	static void (*const table[][7])(struct ctx *, struct response *) = {
		/*                 OTHER GET HEAD PUT PATCH DELETE POST */
		[R_CATALOG]	   = { 0, h_catalog },
		[R_INSTANCE]	   = { 0, h_instance_get, 0, h_instance_put,
				       h_instance_patch, h_instance_delete },
		[R_INSTANCE_LASTOP] = { 0, h_instance_lastop },
		[R_BINDING]	   = { 0, h_binding_get, 0, h_binding_put, 0,
				       h_binding_delete },
		[R_BINDING_LASTOP] = { 0, h_binding_lastop },
		[R_METRICS]	   = { 0, h_metrics_get },
		[R_HEALTHZ]	   = { 0, h_health_get },
		[R_STATUS]	   = { 0, h_status_get },
	};
	void (*h)(struct ctx *, struct response *);

	h = table[c->rt->id][c->req->method];
	if (h == NULL)	/* route_match() already refused other methods */
		response_error(resp, OSB_ERR_INTERNAL, "no handler");
	else
		h(c, resp);
}

/* Who asked, for the audit trail: the platform and its user record as the
 * platform sent them (ids, never secrets), bounded. */
static void
identity_note(const cJSON *identity, char *out, size_t outlen)
{
	char *v;

	out[0] = '\0';
	if (identity == NULL)
		return;
	if ((v = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(
	    identity, "value"))) == NULL)
		return;
	snprintf(out, outlen, " origin=%s:%s", cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(identity, "platform")), v);
	free(v);
}

/* A request's log line, appended to a buffer that keeps what fits
 * (log_text() cuts it shorter still). */
struct line {
	char	 p[2048];
	size_t	 len;
};

static void
line_put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->p) - l->len)
		n = sizeof(l->p) - l->len;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void
line_puts(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

/* v in decimal, as printf's %lld. */
static void
line_num(struct line *l, long long v)
{
	char	 d[UTIL_DECIMAL_LEN];

	line_put(l, d, util_fmt_decimal(d, v));
}

static void
log_request(const struct request *r, const struct response *resp,
    const char *user, const cJSON *identity, double ms)
{
	char		 path[256], rid[OSB_MAX_LOG_ID_LEN + 1], note[160];
	char		 origin[256], clean[256];
	long long	 tenths;
	struct line	 l;

	log_clean(path, sizeof(path), r->path != NULL ? r->path : "-");
	log_clean(rid, sizeof(rid), r->request_identity != NULL ?
	    r->request_identity : "-");
	log_clean(note, sizeof(note), resp->log_note);
	identity_note(identity, origin, sizeof(origin));
	log_clean(clean, sizeof(clean), origin);
	/* Tenths of a millisecond as two integers: printf's %.1f costs
	 * more than the rest of the line. */
	tenths = ms > 0 && ms < 1e12 ? (long long)(ms * 10 + 0.5) : 0;
	/* "%s %s %d %lld.%lldms rid=%s user=%s%s%s%s" by hand: vsnprintf()
	 * took more than the rest of the line's making. */
	l.len = 0;
	line_puts(&l, r->method_name);
	line_put(&l, " ", 1);
	line_puts(&l, path);
	line_put(&l, " ", 1);
	line_num(&l, resp->status);
	line_put(&l, " ", 1);
	line_num(&l, tenths / 10);
	line_put(&l, ".", 1);
	line_num(&l, tenths % 10);
	line_put(&l, "ms rid=", 7);
	line_puts(&l, rid);
	line_put(&l, " user=", 6);
	line_puts(&l, user != NULL ? user : "-");
	line_puts(&l, clean);
	if (note[0] != '\0') {
		line_put(&l, " -- ", 4);
		line_puts(&l, note);
	}
	log_text(l.p, l.len);
}

/*
 * An address over its budget of failed authentications (throttle.h) gets
 * 429 before its password is looked at, a right one too: else a guesser
 * over budget would still learn for free which guess is right (a verified
 * password is remembered and costs nothing to recognise).  Logged once per
 * address and minute, not per request, so a flood cannot fill the log.
 */
static int
over_budget(struct server *b, const struct request *r, struct response *resp)
{
	uint64_t	 now;
	unsigned	 wait, n;

	if (b->throttle == NULL)
		return 0;
	now = throttle_now();
	if ((wait = throttle_wait(b->throttle, r->remote, now)) == 0)
		return 0;
	response_error(resp, OSB_ERR_TOO_MANY, "too many failed "
	    "authentications from this address; try again in %u s", wait);
	response_header(resp, "Retry-After", "%u", wait);
	counters_add(C_AUTH_THROTTLED, 1);
	if (throttle_refused(b->throttle, r->remote, now, &n))
		log_msg("auth: %s is over its budget of %u failed "
		    "authentications in %u s: refused unchecked for %u s "
		    "(%u refused since the last line about it)",
		    r->remote[0] != '\0' ? r->remote : "-",
		    b->cfg.auth_failures, b->cfg.auth_window, wait, n);
	return 1;
}

static void
send_response(struct io *io, const struct request *r,
    const struct response *resp)
{
	char	*out;
	size_t	 len;

	out = response_render(resp, r->request_identity, &len);
	if (out == NULL) {
		static const char oom[] = "Status: 500 Internal Server Error\r\n"
		    "Content-Type: application/json\r\n\r\n"
		    "{\"description\":\"out of memory\"}";
		io->write(io, oom, sizeof(oom) - 1);
		return;
	}
	if (io->write(io, out, len) == -1)
		log_msg("client went away before the response was sent");
	free(out);
}

/* At a worker's first request and every OSB_AUDIT_PRUNE_EVERY after it (a
 * CGI process: with a chance of one in as many), after the answer: the
 * audit entries past OSBROKER_AUDIT_DAYS go, a few short transactions at
 * most (audit.h). */
static void
prune_audit(struct server *b)
{
	enum store_rc	 rc;
	unsigned	 r;
	int		 more = 1, i;

	if (b->cfg.audit_days == 0 || b->store == NULL)
		return;
	if (b->cfg.fastcgi) {
		if (++b->unpruned < OSB_AUDIT_PRUNE_EVERY)
			return;
		b->unpruned = 0;
	} else if (util_random_bytes(&r, sizeof(r)) == -1 ||
	    r % OSB_AUDIT_PRUNE_EVERY != 0)
		return;
	for (i = 0; more && i < 4; i++)
		if ((rc = audit_prune(b->store, time(NULL) -
		    b->cfg.audit_days * 86400, NULL, &more)) != STORE_OK) {
			log_msg("audit: pruning entries older than %ld days: "
			    "%s", b->cfg.audit_days, store_strerror(b->store));
			return;
		}
}

void
server_handle(struct io *io, void *arg)
{
	struct server	*b = arg;
	struct request	 req;
	struct response	 resp;
	struct route	 rt;
	struct ctx	 c;
	struct timespec	 t0, t1;
	cJSON		*identity = NULL;
	const char	*user = NULL;
	int		 minor = 0, got, quiet = 0;
	double		 ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	response_init(&resp);
	if ((got = request_read(&req, io, &b->cfg, &resp)) == -1)
		goto out;
	/* catalog.yml or the credentials file edited since the last request:
	 * both looked at now, whatever this request turns out to be, since
	 * the watcher says so once (a CGI process has just read them). */
	if (b->cfg.fastcgi && fwatch_changed(b->watch)) {
		auth_reload_if_changed(&b->auth, b->cfg.credentials_path);
		catalog_refresh(b);
	}
	/* GET /healthz: the load balancer's probe, without credentials. */
	if (route_public(&req)) {
		if (route_match(&req, &rt, &resp) == -1)
			goto out;
		goto handle;
	}
	if (over_budget(b, &req, &resp)) {
		quiet = 1;	/* logged once a minute, by over_budget() */
		goto out;
	}
	if (!auth_check(b->auth, req.authorization, &user)) {
		response_error(&resp, OSB_ERR_UNAUTHORIZED,
		    "valid broker credentials are required (HTTP Basic)");
		response_header(&resp, "WWW-Authenticate",
		    "Basic realm=\"osbroker\"");
		counters_add(C_AUTH_FAILURES, 1);
		throttle_failed(b->throttle, req.remote, throttle_now());
		goto out;
	}
	if (route_match(&req, &rt, &resp) == -1 ||
	    id_lengths(&b->cfg, &rt, &resp) == -1)
		goto out;
	/* The operator's endpoints are not OSBAPI's: no version header. */
	if (rt.id != R_METRICS && rt.id != R_STATUS &&
	    (version_check(req.api_version, rt.min_minor, &minor, &resp) == -1 ||
	    identity_decode(req.originating_identity, &identity, &resp) == -1))
		goto out;
handle:
	if (user_planset(b, user, &c.plans) == -1) {
		response_error(&resp, OSB_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* The operator's counters and status page are about every
	 * platform's instances: a restricted user is answered as for a path
	 * that is not there. */
	if (c.plans != NULL && (rt.id == R_METRICS || rt.id == R_STATUS)) {
		response_error(&resp, OSB_ERR_NOT_FOUND, "no such endpoint: %s",
		    req.path);
		goto out;
	}
	/* A CGI process that has read the served catalog only (server_open())
	 * loads the catalog for the requests that need more. */
	if (b->catalog == NULL && rt.id != R_CATALOG) {
		char err[1024];

		if (load_catalog(b, err, sizeof(err)) == -1) {
			log_msg("%s", err);
			response_error(&resp, OSB_ERR_UNAVAILABLE,
			    OSB_NOT_CONFIGURED_TEXT);
			goto out;
		}
	}
	/* A CGI process opens the store for the requests that need it. */
	if (b->store == NULL && rt.id != R_CATALOG) {
		char err[512];

		if (server_open_store(b, err, sizeof(err)) == -1) {
			log_msg("%s", err);
			response_error(&resp, OSB_ERR_UNAVAILABLE,
			    OSB_NOT_CONFIGURED_TEXT);
			goto out;
		}
	}
	c.cfg = &b->cfg;
	c.catalog = b->catalog;
	c.doc = &b->doc;
	c.store = b->store;
	c.req = &req;
	c.rt = &rt;
	c.identity = identity;
	c.user = user;
	c.minor = minor;
	c.memo = &b->memo;
	dispatch(&c, &resp);
out:
	send_response(io, &req, &resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	counters_request(got == -1 ? EP_OTHER : route_endpoint(&req),
	    resp.status, (uint64_t)(ms * 1e3));
	if (!quiet)
		log_request(&req, &resp, user, identity, ms);
	cJSON_Delete(identity);
	response_free(&resp);
	request_free(&req);
	if (++b->served >= OSB_RELEASE_EVERY) {
		store_release(b->store);
		b->served = 0;
	}
	prune_audit(b);
}

void
server_unavailable(struct io *io, void *arg)
{
	struct response	 resp;
	struct request	 req;

	(void)arg;
	memset(&req, 0, sizeof(req));
	response_init(&resp);
	response_error(&resp, OSB_ERR_UNAVAILABLE, OSB_NOT_CONFIGURED_TEXT);
	send_response(io, &req, &resp);
	response_free(&resp);
}
