/* SPDX-License-Identifier: ISC */
/*
 * runner: see runner.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catcache.h"
#include "counters.h"
#include "limits.h"
#include "log.h"
#include "op.h"
#include "records.h"
#include "runner.h"
#include "work.h"

extern char **environ;

static const char *const table_arg[T__COUNT] = {
	[T_INSTANCES] = "instances", [T_BINDINGS] = "bindings",
	[T_META] = "meta", [T_GONE] = "gone", [T_AUDIT] = "audit"
};

/* The runner's environment: the broker's own settings, nothing of the
 * request (under CGI the environment holds its headers). */
static char **
runner_env(void)
{
	static const char *const keep[] = { "PATH=", "HOME=", "TMPDIR=",
	    "LANG=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=",
	    /* libpq's own settings (PGPASSFILE, PGSSLMODE, ...) for the
	     * PostgreSQL store */
	    "PG", NULL };
	char	**env, **e;
	size_t	 n = 0, i;

	for (e = environ; *e != NULL; e++)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	n = 0;
	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, "OSBROKER_PASSWORD=", 18) == 0)
			continue;
		for (i = 0; keep[i] != NULL; i++)
			if (strncmp(*e, keep[i], strlen(keep[i])) == 0)
				break;
		if (keep[i] != NULL || strncmp(*e, "OSBROKER_", 9) == 0)
			env[n++] = *e;
	}
	return env;
}

int
runner_spawn(const struct config *cfg, enum store_table tb, const char *key,
    const char *opid)
{
	char	*argv[6], logpath[OSB_MAX_PATH + OSB_MAX_NAME], **env;
	pid_t	 pid, gc;
	int	 status, fd;

	if ((env = runner_env()) == NULL)
		return -1;
	argv[0] = "osbroker";
	argv[1] = "--run-operation";
	argv[2] = (char *)table_arg[tb];
	argv[3] = (char *)key;
	argv[4] = (char *)opid;
	argv[5] = NULL;
	snprintf(logpath, sizeof(logpath), "%s/operations.log", cfg->state_dir);
	if ((pid = fork()) == -1) {
		log_msg("cannot start the runner of operation %s: fork: %s",
		    opid, strerror(errno));
		free(env);
		return -1;
	}
	if (pid == 0) {
		/* Detach: a session of its own, and a second fork so the
		 * runner is nobody's child here (no zombie in a worker). */
		setsid();
		if ((gc = fork()) != 0)
			_exit(gc == -1 ? 1 : 0);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			if (fd > 2)
				close(fd);
		}
		/* Under CGI the web server waits for every holder of the
		 * CGI's stderr to close it: log to a file instead. */
		if (!cfg->fastcgi && (fd = open(logpath, O_WRONLY | O_APPEND |
		    O_CREAT | O_CLOEXEC, 0600)) != -1) {
			dup2(fd, 2);
			close(fd);
		}
		closefrom(3);
		execve("/proc/self/exe", argv, env);
		log_msg("cannot start the runner: %s", strerror(errno));
		_exit(127);
	}
	free(env);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_msg("cannot start the runner of operation %s", opid);
		return -1;
	}
	return 0;
}

/* Check in as the runner of opid: STORE_OK with *rec when the operation
 * is ours to run, STORE_NOTFOUND when it is not (ended, deleted, another
 * operation), or the store's failure. */
static enum store_rc
check_in_once(struct store *st, enum store_table tb, const char *key,
    const char *opid, cJSON **rec)
{
	struct store_txn	*t;
	enum store_rc		 rc;

	*rec = NULL;
	if ((rc = store_begin(st, 1, key, &t)) != STORE_OK)
		return rc;
	rc = records_load(t, tb, key, rec);
	if (rc == STORE_OK && (op_state(*rec) != OPS_IN_PROGRESS ||
	    strcmp(op_id(*rec), opid) != 0))
		rc = STORE_NOTFOUND;
	if (rc == STORE_OK) {
		op_set_runner(*rec);
		rc = records_save(t, tb, key, *rec);
	}
	if (rc == STORE_OK)
		rc = store_commit(t);
	else
		store_abort(t);
	if (rc != STORE_OK) {
		cJSON_Delete(*rec);
		*rec = NULL;
	}
	return rc;
}

/* check_in_once(), tried again while the database cannot be reached (a
 * failover), for as long as the operation waits for its runner
 * (OP_START_GRACE).  Its result; a failure is logged. */
static enum store_rc
check_in(struct store *st, enum store_table tb, const char *key,
    const char *opid, cJSON **rec)
{
	time_t		until = time(NULL) + OP_START_GRACE;
	enum store_rc	rc;

	while ((rc = check_in_once(st, tb, key, opid, rec)) ==
	    STORE_UNAVAILABLE && time(NULL) < until) {
		log_msg("runner: %s %s: cannot check in yet: %s; trying again",
		    opid, key, store_strerror(st));
		sleep(1);
	}
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		log_msg("runner: %s %s: cannot check in: %s", opid, key,
		    store_strerror(st));
	return rc;
}

/* The heartbeat of an operation on a shared store (op.h "Hosts"): a child
 * process that renews the lease every OP_LEASE_RENEW seconds, with a
 * connection of its own, until the operation is no longer the runner's,
 * and that dies with the runner (PR_SET_PDEATHSIG), so that the lease
 * says what a pid says on the runner's own host: the runner lives.  A
 * process rather than a tick in the hook's wait loop: the runner may wait
 * on a hook, a lock or the database, and none of that must let the lease
 * run out.  Its pid, or -1 (logged: other hosts then fail the operation
 * after OP_LEASE seconds). */
static pid_t
heartbeat_start(const struct config *cfg, enum store_table tb,
    const char *key, const char *opid)
{
	struct store	*st = NULL;
	pid_t		 parent = getpid(), pid;
	enum store_rc	 rc;
	int		 ours = 1, failing = 0;

	if ((pid = fork()) != 0) {
		if (pid == -1)
			log_msg("runner: %s %s: cannot start its heartbeat: "
			    "fork: %s; other hosts will fail it after %d s",
			    opid, key, strerror(errno), OP_LEASE);
		return pid;
	}
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	/* Nothing of the runner's: its store connection is its own. */
	closefrom(3);
	rc = store_open(cfg->store, cfg->state_dir, cfg->map_size, &st);
	if (rc != STORE_OK && rc != STORE_UNAVAILABLE) {
		log_msg("runner: %s %s: heartbeat: %s", opid, key, st != NULL ?
		    store_strerror(st) : "out of memory");
		_exit(1);
	}
	while (ours) {
		sleep(failing ? OP_LEASE_RETRY : OP_LEASE_RENEW);
		if (getppid() != parent)
			break;
		if ((rc = op_renew(st, tb, key, opid, &ours)) == STORE_OK)
			failing = 0;
		else if (!failing++)
			log_msg("runner: %s %s: cannot renew its lease: %s; "
			    "trying again every %d s", opid, key,
			    store_strerror(st), OP_LEASE_RETRY);
	}
	/* _exit: no atexit handler of the runner runs twice. */
	_exit(0);
}

static void
heartbeat_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

int
runner_main(const char *table, const char *key, const char *opid)
{
	struct config		 cfg;
	struct catalog		*cat = NULL;
	struct catalog_error	 ce;
	struct catalog_plan	 p;
	struct store		*st = NULL;
	struct store_txn	*t;
	struct hook_result	 hr;
	enum store_table	 tb;
	const cJSON		*pending;
	cJSON			*rec = NULL, *inst = NULL, *final = NULL;
	char			 err[512], iid[OSB_MAX_ID_LEN + 1];
	const char		*slash, *bid = NULL, *pid;
	enum action		 a;
	double			 deadline;
	enum store_rc		 erc;
	pid_t			 hb = -1;
	int			 ours = 0, rc = 1;

	memset(&hr, 0, sizeof(hr));
	if (strcmp(table, "instances") == 0)
		tb = T_INSTANCES;
	else if (strcmp(table, "bindings") == 0)
		tb = T_BINDINGS;
	else {
		log_msg("runner: unknown table %s", table);
		return 2;
	}
	if (config_load(&cfg, err, sizeof(err)) == -1) {
		log_msg("runner: %s", err);
		return 1;
	}
	/* A database that cannot be reached now: check_in() tries again. */
	if ((erc = store_open(cfg.store, cfg.state_dir, cfg.map_size, &st)) !=
	    STORE_OK && erc != STORE_UNAVAILABLE) {
		log_msg("runner: state store: %s", st != NULL ?
		    store_strerror(st) : "out of memory");
		goto out;
	}
	(void)op_set_host(cfg.host_id, OP_MACHINE_ID, store_shared(st),
	    cfg.request_timeout);
	/* The hook's run counts on this host (GET /metrics). */
	if (counters_open(cfg.state_dir, err, sizeof(err)) == -1)
		log_msg("runner: counters: %s", err);
	if ((erc = check_in(st, tb, key, opid, &rec)) == STORE_NOTFOUND) {
		log_msg("runner: operation %s of %s is no longer in progress",
		    opid, key);
		rc = 0;
	}
	if (erc != STORE_OK)
		goto out;
	if (store_shared(st))
		hb = heartbeat_start(&cfg, tb, key, opid);
	a = op_action(rec);
	deadline = records_num(op_last(rec), "deadline");
	snprintf(iid, sizeof(iid), "%.*s", (int)((slash = strchr(key, '/')) ?
	    (size_t)(slash - key) : strlen(key)), key);
	if (slash != NULL)
		bid = slash + 1;
	pending = op_pending(rec);
	pid = records_str(pending != NULL ? pending : rec, "plan_id");
	if (catcache_load(cfg.catalog_path, cfg.state_dir, &cat, &ce) == -1) {
		hr.status = HOOK_NOT_RUN;
		snprintf(hr.why, sizeof(hr.why), "could not run: the catalog is "
		    "invalid");
		log_msg("runner: catalog %s: %d:%d: %s", ce.file, ce.line,
		    ce.column, ce.message);
	} else if (catalog_lookup(cat, records_str(rec, "service_id"), pid,
	    &p) != CATALOG_FOUND) {
		hr.status = HOOK_NOT_RUN;
		snprintf(hr.why, sizeof(hr.why), "could not run: plan %.64s is "
		    "no longer in the catalog", pid);
	}
	if (hr.status == HOOK_NOT_RUN) {
		log_msg("runner: %s %s: %s", opid, key, hr.why);
		if (work_record_until(st, tb, key, opid, a, &hr, &final, &ours,
		    deadline) == STORE_OK)
			rc = 0;
		goto out;
	}
	if (bid != NULL && store_begin(st, 0, NULL, &t) == STORE_OK) {
		(void)records_load(t, T_INSTANCES, iid, &inst);
		store_abort(t);
	}
	if ((erc = work_execute(st, &cfg, cat, &p, tb, key, iid, bid, inst,
	    rec, &hr, &final, &ours)) != STORE_OK)
		log_msg("runner: %s %s: cannot record the outcome: %s", opid,
		    key, store_strerror(st));
	else {
		rc = 0;
		if (!ours)
			log_msg("runner: %s %s ended meanwhile (deadline or "
			    "deleted); its outcome is discarded", opid, key);
		else
			log_msg("runner: %s %s %s", opid, key,
			    hr.status == HOOK_OK ? "succeeded" : "failed");
	}
out:
	heartbeat_stop(hb);
	counters_close();
	cJSON_Delete(hr.out);
	cJSON_Delete(final);
	cJSON_Delete(inst);
	cJSON_Delete(rec);
	catalog_free(cat);
	store_close(st);
	return rc;
}
