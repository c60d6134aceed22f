/* SPDX-License-Identifier: ISC */
/*
 * osbroker: an Open Service Broker API v2 responder.
 *
 *   osbroker                    FastCGI responder (under spawn-fcgi) or, when
 *                               started by a web server as CGI, one request
 *   osbroker --check-catalog [--strict] F
 *                               validate a catalog file and exit; warn of
 *                               what the platforms would refuse (--strict:
 *                               refuse it too)
 *   osbroker --check-json [--draft 4|6|7] SCHEMA INSTANCE
 *                               validate a JSON document against a JSON
 *                               Schema ("-": standard input): exit 0
 *                               valid, 1 invalid, 2 unusable
 *   osbroker --hash-password    read a password on stdin, print its hash
 *   osbroker --verify           check the state store (OSBROKER_STATE_DIR)
 *   osbroker --export FILE      write the whole store to FILE ("-": standard
 *                               output) as JSON lines (docs/export.md)
 *   osbroker --import FILE      load such a file into an empty store
 *   osbroker --run-operation T K OP
 *                               (internal) the detached runner of an
 *                               asynchronous operation; see runner.h
 *
 * See osbroker(8).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "catalog.h"
#include "io.h"
#include "jsonschema.h"
#include "limits.h"
#include "log.h"
#include "runner.h"
#include "verify.h"
#include "version.h"
#include "server.h"
#include "util.h"
#include "xport.h"

/*
 * Errors as file:line:col: message; warnings (what the platforms would
 * refuse at registration, catalog.h) as file:line:col: warning: message.
 * Exit 0 when the broker would serve the catalog (warnings too, unless
 * strict), else 1.
 */
static int
check_catalog(const char *path, int strict)
{
	const struct catalog_error *w;
	struct catalog		*c;
	struct catalog_error	 ce;
	cJSON			*doc, *s;
	size_t			 len, i, nw, total;
	int			 nserv = 0, nplan = 0;

	if (catalog_load(path, &c, &ce) == -1) {
		if (ce.line > 0)
			fprintf(stderr, "%s:%d:%d: %s\n", ce.file, ce.line,
			    ce.column, ce.message);
		else
			fprintf(stderr, "%s: %s\n", ce.file, ce.message);
		return 1;
	}
	w = catalog_warnings(c, &nw, &total);
	for (i = 0; i < nw; i++)
		fprintf(stderr, "%s:%d:%d: warning: %s\n", w[i].file,
		    w[i].line, w[i].column, w[i].message);
	if (total > nw)
		fprintf(stderr, "%s: warning: %zu more not shown\n", path,
		    total - nw);
	doc = cJSON_Parse(catalog_json(c, &len));
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "services")) {
		nserv++;
		nplan += cJSON_GetArraySize(cJSON_GetObjectItem(s, "plans"));
	}
	cJSON_Delete(doc);
	catalog_free(c);
	if (strict && total > 0) {
		fprintf(stderr, "%s: refused (--strict): %zu warning%s\n", path,
		    total, total == 1 ? "" : "s");
		return 1;
	}
	if (total > 0)
		printf("%s: ok (%d services, %d plans; %zu warning%s)\n", path,
		    nserv, nplan, total, total == 1 ? "" : "s");
	else
		printf("%s: ok (%d services, %d plans)\n", path, nserv, nplan);
	return 0;
}

/* The JSON document in path ("-": standard input), at most
 * OSB_DEFAULT_MAX_BODY bytes of UTF-8; NULL after a line on stderr. */
static cJSON *
read_json(const char *path)
{
	FILE		*f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	const char	*name = f == stdin ? "standard input" : path, *end;
	char		*buf = NULL;
	size_t		 len = 0;
	cJSON		*doc = NULL;

	if (f == NULL) {
		fprintf(stderr, "osbroker: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(OSB_DEFAULT_MAX_BODY + 1)) == NULL) {
		fprintf(stderr, "osbroker: out of memory\n");
		goto out;
	}
	len = fread(buf, 1, OSB_DEFAULT_MAX_BODY + 1, f);
	/* cJSON stops at len; what follows it is looked at up to a NUL. */
	buf[len <= OSB_DEFAULT_MAX_BODY ? len : OSB_DEFAULT_MAX_BODY] = '\0';
	if (ferror(f))
		fprintf(stderr, "osbroker: %s: %s\n", name, strerror(errno));
	else if (len > OSB_DEFAULT_MAX_BODY)
		fprintf(stderr, "osbroker: %s: longer than %d bytes\n", name,
		    OSB_DEFAULT_MAX_BODY);
	else if (!util_utf8_valid(buf, len) || memchr(buf, '\0', len) != NULL)
		fprintf(stderr, "osbroker: %s: not UTF-8 text\n", name);
	else if ((doc = cJSON_ParseWithLengthOpts(buf, len, &end, 0)) == NULL ||
	    end[strspn(end, " \t\r\n")] != '\0') {
		fprintf(stderr, "osbroker: %s: not one JSON document (at byte "
		    "%zu)\n", name, (size_t)((doc ? end : cJSON_GetErrorPtr()) -
		    buf));
		cJSON_Delete(doc);
		doc = NULL;
	}
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return doc;
}

/* --check-json: 0 valid, 1 invalid (one violation a line on stderr), 2
 * when the schema or the instance cannot be used. */
static int
check_json(int draft, const char *schema_path, const char *instance_path)
{
	struct jschema_opts	 opts = { .draft = draft };
	struct jschema_report	 r;
	struct jschema		*js = NULL;
	cJSON			*schema = NULL, *inst = NULL;
	char			 err[512];
	size_t			 i;
	int			 rc = 2;

	if (strcmp(schema_path, "-") == 0 && strcmp(instance_path, "-") == 0) {
		fprintf(stderr, "osbroker: --check-json: the schema and the "
		    "instance cannot both be standard input\n");
		return 2;
	}
	if ((schema = read_json(schema_path)) == NULL)
		goto out;
	if (jschema_compile(schema, &opts, &js, err, sizeof(err)) == -1) {
		fprintf(stderr, "osbroker: %s: unusable schema: %s\n",
		    schema_path, err);
		goto out;
	}
	if ((inst = read_json(instance_path)) == NULL)
		goto out;
	rc = jschema_validate(js, inst, "", &r);
	if (rc == -1) {
		fprintf(stderr, "osbroker: out of memory\n");
		rc = 2;
	} else if (rc == 0)
		printf("ok: %s is valid (draft-%02d)\n", instance_path,
		    jschema_draft(js));
	for (i = 0; rc == 1 && i < r.kept; i++)
		fprintf(stderr, "%s\n", r.line[i]);
	if (rc == 1 && r.count > r.kept)
		fprintf(stderr, "(%zu more violations not shown)\n",
		    r.count - r.kept);
out:
	jschema_free(js);
	cJSON_Delete(schema);
	cJSON_Delete(inst);
	jschema_cleanup();
	return rc;
}

static int
hash_password(void)
{
	char	 line[1024], *h;
	size_t	 n;

	if (fgets(line, sizeof(line), stdin) == NULL) {
		fprintf(stderr, "osbroker: no password on standard input\n");
		return 1;
	}
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "osbroker: empty password\n");
		return 1;
	}
	h = auth_hash_password(line);
	explicit_bzero(line, sizeof(line));
	if (h == NULL) {
		fprintf(stderr, "osbroker: crypt(3) failed\n");
		return 1;
	}
	printf("%s\n", h);
	free(h);
	return 0;
}

/* The configuration and the store it names, for the command-line modes:
 * 0, or -1 after one line on stderr (never the connection string's
 * password: store.h). */
static int
open_store(struct config *cfg, struct store **st)
{
	char err[512];

	*st = NULL;
	if (config_load(cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "osbroker: %s\n", err);
		return -1;
	}
	if (store_open(cfg->store, cfg->state_dir, cfg->map_size, st) !=
	    STORE_OK) {
		fprintf(stderr, "osbroker: state store: %s\n", *st != NULL ?
		    store_strerror(*st) : "out of memory");
		store_close(*st);
		*st = NULL;
		return -1;
	}
	return 0;
}

/* The start-time check of `make run` and the systemd unit: the store can
 * be opened (and its schema is created or current).  A worker itself
 * does not exit when the database is down (server.c). */
static int
check_store(void)
{
	struct config	 cfg;
	struct store	*st;

	if (open_store(&cfg, &st) == -1)
		return 1;
	printf("ok: %s store, %s\n", store_kind(st), store_where(st));
	store_close(st);
	return 0;
}

/* Read-only: safe while the broker serves. */
static int
verify(void)
{
	struct config		 cfg;
	struct catalog		*cat = NULL;
	struct catalog_error	 ce;
	struct store		*st = NULL;
	int			 n;

	if (open_store(&cfg, &st) == -1)
		return 1;
	if (catalog_load(cfg.catalog_path, &cat, &ce) == -1)
		fprintf(stderr, "osbroker: catalog %s not loaded (%s); plans "
		    "are not checked\n", cfg.catalog_path, ce.message);
	n = verify_store(st, cat, stdout);
	if (n == -1)
		fprintf(stderr, "osbroker: cannot read the state: %s\n",
		    store_strerror(st));
	catalog_free(cat);
	store_close(st);
	return n == 0 ? 0 : 1;
}

/* Read-only, one snapshot: safe while the broker serves.  The summary
 * goes to stderr: stdout may be the export itself. */
static int
export_store(const char *path)
{
	struct config		 cfg;
	struct store		*st;
	struct xport_counts	 n;
	char			 err[512], sum[256];
	int			 rc;

	if (open_store(&cfg, &st) == -1)
		return 1;
	rc = xport_export_file(st, path, &n, err, sizeof(err));
	if (rc == -1)
		fprintf(stderr, "osbroker: export: %s\n", err);
	else {
		xport_summary(&n, sum, sizeof(sum));
		fprintf(stderr, "osbroker: exported %ld records (%s) from the "
		    "%s store, %s, to %s\n", n.total, sum, store_kind(st),
		    store_where(st), strcmp(path, "-") == 0 ?
		    "standard output" : path);
	}
	store_close(st);
	return rc == 0 ? 0 : 1;
}

static int
import_store(const char *path)
{
	struct config		 cfg;
	struct store		*st;
	struct xport_counts	 n;
	char			 err[512], sum[256];
	int			 rc;

	if (open_store(&cfg, &st) == -1)
		return 1;
	rc = xport_import_file(st, path, 0, &n, err, sizeof(err));
	if (rc == -1)
		fprintf(stderr, "osbroker: import from %s: %s\n",
		    strcmp(path, "-") == 0 ? "standard input" : path, err);
	else {
		xport_summary(&n, sum, sizeof(sum));
		printf("ok: imported %ld records (%s) into the %s store, %s\n",
		    n.total, sum, store_kind(st), store_where(st));
	}
	store_close(st);
	return rc == 0 ? 0 : 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: osbroker [--check-catalog [--strict] FILE | "
	    "--check-json [--draft 4|6|7] SCHEMA INSTANCE | "
	    "--hash-password | --verify | --check-store | --export FILE | "
	    "--import FILE | --version]\n");
}

/*
 * A FastCGI worker allocates and frees a few hundred small blocks per
 * request (cJSON's nodes and strings).  glibc keeps at most 7 freed blocks
 * of a size in its per-thread cache (tcache) and sends the rest through
 * its slower bins; with a cache of OSB_TCACHE_COUNT a GET of an instance
 * took about 20 % fewer instructions and its worker 12 % less CPU time
 * (BENCHMARKS.md).  glibc takes that setting only from GLIBC_TUNABLES, and
 * only when a program starts, so a worker started without it executes
 * itself again, once, with it added.  An operator's own
 * glibc.malloc.tcache_count is left alone; when the new start fails, the
 * worker goes on as it is.  Not under valgrind (its preload library in
 * LD_PRELOAD), which replaces malloc anyway and whose /proc/self/exe is
 * valgrind itself.  The program is started again by its own path, read
 * from /proc/self/exe: started as /proc/self/exe it would be named "exe"
 * in ps, top and pidof; /proc/self/exe itself only when that path is gone
 * (the file was replaced since).
 */
#define OSB_TCACHE_COUNT	"128"

static void
tune_malloc(char *argv[])
{
	const char	*had = getenv("GLIBC_TUNABLES");
	const char	*pre = getenv("LD_PRELOAD");
	char		 want[1024], self[4096];
	ssize_t		 len;
	int		 n;

	if ((had != NULL && strstr(had, "glibc.malloc.tcache_count") != NULL) ||
	    (pre != NULL && strstr(pre, "vgpreload") != NULL))
		return;
	n = snprintf(want, sizeof(want), "%s%sglibc.malloc.tcache_count="
	    OSB_TCACHE_COUNT, had != NULL ? had : "",
	    had != NULL && had[0] != '\0' ? ":" : "");
	if (n < 0 || (size_t)n >= sizeof(want) ||
	    setenv("GLIBC_TUNABLES", want, 1) == -1)
		return;
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0 && self[0] == '/') {
		self[len] = '\0';
		(void)execv(self, argv);
	}
	execv("/proc/self/exe", argv);
	/* Not started again: as we were. */
	if (had != NULL)
		(void)setenv("GLIBC_TUNABLES", had, 1);
	else
		(void)unsetenv("GLIBC_TUNABLES");
}

int
main(int argc, char *argv[])
{
	struct server	 b;
	char		 err[1024];
	int		 rc;

	log_init("osbroker");
	if (argc == 3 && strcmp(argv[1], "--check-catalog") == 0)
		return check_catalog(argv[2], 0);
	if (argc == 4 && strcmp(argv[1], "--check-catalog") == 0 &&
	    strcmp(argv[2], "--strict") == 0)
		return check_catalog(argv[3], 1);
	if (argc == 4 && strcmp(argv[1], "--check-json") == 0)
		return check_json(0, argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "--check-json") == 0 &&
	    strcmp(argv[2], "--draft") == 0 && (strcmp(argv[3], "4") == 0 ||
	    strcmp(argv[3], "6") == 0 || strcmp(argv[3], "7") == 0))
		return check_json(atoi(argv[3]), argv[4], argv[5]);
	if (argc == 2 && strcmp(argv[1], "--hash-password") == 0)
		return hash_password();
	if (argc == 2 && strcmp(argv[1], "--verify") == 0)
		return verify();
	if (argc == 2 && strcmp(argv[1], "--check-store") == 0)
		return check_store();
	if (argc == 3 && strcmp(argv[1], "--export") == 0)
		return export_store(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--import") == 0)
		return import_store(argv[2]);
	if (argc == 5 && strcmp(argv[1], "--run-operation") == 0) {
		log_init("osbroker-runner");
		return runner_main(argv[2], argv[3], argv[4]);
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("osbroker %s\n", OSB_VERSION);
		return 0;
	}
	if (argc != 1) {
		usage();
		return 2;
	}
	if (io_is_fastcgi())
		tune_malloc(argv);
	if (server_open(&b, err, sizeof(err)) == -1) {
		log_msg("cannot start: %s", err);
		server_close(&b);
		/* Under CGI the platform still deserves a JSON answer. */
		if (!io_is_fastcgi())
			io_serve(server_unavailable, NULL);
		return 1;
	}
	if (b.cfg.fastcgi)
		log_msg("serving FastCGI (catalog %s, state %s, %s store: %s)",
		    b.cfg.catalog_path, b.cfg.state_dir, store_kind(b.store),
		    store_where(b.store));
	rc = io_serve(server_handle, &b);
	server_close(&b);
	return rc;
}
