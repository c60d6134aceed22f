/* SPDX-License-Identifier: ISC */
/*
 * osbrokerctl: the operator's tool beside the broker, on the same store
 * API (ctl.h) and the same configuration (the OSBROKER_* environment).
 * Safe to run while the broker serves.  See osbrokerctl(8).
 *
 *   osbrokerctl instances [--service S] [--plan P] [--state STATE]
 *       [--outdated] [--json]
 *   osbrokerctl show INSTANCE [--show-credentials] [--json]
 *   osbrokerctl bindings INSTANCE [--json]
 *   osbrokerctl operations [--json]
 *   osbrokerctl purge INSTANCE [--yes]
 *   osbrokerctl backup FILE | restore [--force] FILE
 *   osbrokerctl export FILE | import FILE | verify
 *   osbrokerctl passwd USER [--plans LIST | --all-plans]
 *   osbrokerctl users [--json] | users --remove USER
 *
 * This file is the command line and the terminal: arguments, questions,
 * passwords read with echo off; the work is ctl.c's (the store) and
 * credfile.c's (the credentials file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "config.h"
#include "credfile.h"
#include "ctl.h"
#include "limits.h"
#include "op.h"
#include "pfile.h"
#include "planset.h"
#include "table.h"
#include "version.h"

static int
usage(void)
{
	fprintf(stderr, "usage: osbrokerctl instances [--service S] [--plan P] "
	    "[--state in-progress|failed|succeeded] [--outdated] [--json]\n"
	    "       osbrokerctl show INSTANCE [--show-credentials] [--json]\n"
	    "       osbrokerctl bindings INSTANCE [--json]\n"
	    "       osbrokerctl operations [--json]\n"
	    "       osbrokerctl purge INSTANCE [--yes]\n"
	    "       osbrokerctl backup FILE\n"
	    "       osbrokerctl restore [--force] FILE\n"
	    "       osbrokerctl export FILE | import FILE | verify\n"
	    "       osbrokerctl passwd USER [--plans LIST | --all-plans]\n"
	    "       osbrokerctl users [--json] | users --remove USER\n");
	return CTL_USAGE;
}

/* The options of a subcommand: argv[1..] after the subcommand's name. */
struct opts {
	const char	*arg;		/* the one operand, or NULL */
	const char	*service, *plan, *state, *remove, *instance, *since;
	const char	*plans;
	int		 json, creds, yes, force, outdated, all_plans,
			 operands;
};

/* 0, or -1 after a usage line for an unknown option or a missing value.
 * allowed: the options this subcommand takes, as "--json --yes ...". */
static int
parse(int argc, char **argv, const char *allowed, struct opts *o)
{
	static const char *const valued[] = { "--service", "--plan", "--state",
	    "--remove", "--instance", "--since", "--plans" };
	const char	**slot[7];
	int		  i, k;

	memset(o, 0, sizeof(*o));
	slot[0] = &o->service;
	slot[1] = &o->plan;
	slot[2] = &o->state;
	slot[3] = &o->remove;
	slot[4] = &o->instance;
	slot[5] = &o->since;
	slot[6] = &o->plans;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0 || strcmp(argv[i], "--") == 0) {
			if (strcmp(argv[i], "--") == 0 && ++i >= argc)
				break;
			o->arg = argv[i];
			o->operands++;
			continue;
		}
		if (strstr(allowed, argv[i]) == NULL ||
		    strchr(argv[i], ' ') != NULL) {
			fprintf(stderr, "osbrokerctl: unknown option %s\n",
			    argv[i]);
			return -1;
		}
		for (k = 0; k < 7; k++)
			if (strcmp(argv[i], valued[k]) == 0)
				break;
		if (k < 7) {
			if (++i >= argc) {
				fprintf(stderr, "osbrokerctl: %s needs a value\n",
				    argv[i - 1]);
				return -1;
			}
			*slot[k] = argv[i];
		} else if (strcmp(argv[i], "--json") == 0)
			o->json = 1;
		else if (strcmp(argv[i], "--show-credentials") == 0)
			o->creds = 1;
		else if (strcmp(argv[i], "--yes") == 0)
			o->yes = 1;
		else if (strcmp(argv[i], "--force") == 0)
			o->force = 1;
		else if (strcmp(argv[i], "--outdated") == 0)
			o->outdated = 1;
		else if (strcmp(argv[i], "--all-plans") == 0)
			o->all_plans = 1;
		else {
			fprintf(stderr, "osbrokerctl: unknown option %s\n",
			    argv[i]);
			return -1;
		}
	}
	return 0;
}

/* ---- the store's subcommands ---------------------------------------------- */

static int
state_arg(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "in-progress") == 0)
		return OPS_IN_PROGRESS;
	if (strcmp(s, "failed") == 0)
		return OPS_FAILED;
	if (strcmp(s, "succeeded") == 0)
		return OPS_SUCCEEDED;
	return -2;
}

/* "y" or "yes" from the terminal. */
static int
confirm(const char *question)
{
	char line[64];

	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "y") == 0 || strcmp(line, "yes") == 0;
}

static int
purge(struct ctl *c, const struct opts *o)
{
	enum ctl_rc rc;

	if (!o->yes && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "osbrokerctl: refused: purge asks on a terminal, "
		    "and standard input is not one; pass --yes\n");
		return CTL_FAIL;
	}
	if ((rc = ctl_purge_look(c, o->arg)) != CTL_OK)
		return rc;
	fflush(c->out);
	if (!o->yes && !confirm("purge these records? The platform will not "
	    "know them any more.")) {
		fprintf(stderr, "osbrokerctl: nothing purged\n");
		return CTL_FAIL;
	}
	return ctl_purge(c, o->arg);
}

/* A subcommand on the store: its flags for ctl_open(), and whether it
 * takes an operand. */
static int
on_store(const char *cmd, const struct opts *o)
{
	struct ctl		 c;
	struct ctl_filter	 f = { o->service, o->plan, state_arg(o->state),
				    o->outdated };
	int			 flags = 0, rc;

	if (f.state == -2) {
		fprintf(stderr, "osbrokerctl: --state: in-progress, failed or "
		    "succeeded\n");
		return CTL_USAGE;
	}
	if (strcmp(cmd, "instances") == 0 || strcmp(cmd, "show") == 0 ||
	    strcmp(cmd, "bindings") == 0 || strcmp(cmd, "verify") == 0)
		flags |= CTL_CATALOG;
	if (strcmp(cmd, "restore") == 0 || strcmp(cmd, "import") == 0)
		flags |= CTL_CREATE;
	if (ctl_open(&c, flags) != CTL_OK)
		return CTL_FAIL;
	c.json = o->json;
	if (strcmp(cmd, "instances") == 0)
		rc = ctl_instances(&c, &f);
	else if (strcmp(cmd, "show") == 0)
		rc = ctl_show(&c, o->arg, o->creds);
	else if (strcmp(cmd, "bindings") == 0)
		rc = ctl_bindings(&c, o->arg);
	else if (strcmp(cmd, "operations") == 0)
		rc = ctl_operations(&c);
	else if (strcmp(cmd, "purge") == 0)
		rc = purge(&c, o);
	else if (strcmp(cmd, "audit") == 0)
		rc = ctl_audit(&c, o->instance, o->since);
	else if (strcmp(cmd, "backup") == 0)
		rc = ctl_backup(&c, o->arg);
	else if (strcmp(cmd, "restore") == 0)
		rc = ctl_restore(&c, o->arg, o->force);
	else if (strcmp(cmd, "export") == 0)
		rc = ctl_export(&c, o->arg);
	else if (strcmp(cmd, "import") == 0)
		rc = ctl_import(&c, o->arg);
	else
		rc = ctl_verify(&c);
	ctl_close(&c);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "osbrokerctl: writing to standard output: %s\n",
		    strerror(errno));
		rc = CTL_FAIL;
	}
	return rc;
}

/* ---- the credentials file --------------------------------------------------- */

/* One line of at most OSB_MAX_PASSWORD bytes into buf: from the terminal
 * with echo off (prompt on stderr), else from standard input.  0, or -1
 * after a message. */
static int
read_password(const char *prompt, char *buf, size_t size)
{
	struct termios	 old, quiet;
	int		 tty = isatty(STDIN_FILENO), ok;
	size_t		 n;

	if (tty) {
		if (tcgetattr(STDIN_FILENO, &old) == -1)
			tty = 0;
		else {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			quiet.c_lflag |= ECHONL;
			fprintf(stderr, "%s", prompt);
			fflush(stderr);
			(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
	}
	ok = fgets(buf, (int)size, stdin) != NULL;
	if (tty)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (!ok) {
		fprintf(stderr, "osbrokerctl: no password on standard input\n");
		return -1;
	}
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n + 1 >= size) {
		fprintf(stderr, "osbrokerctl: the password is longer than %d "
		    "bytes\n", OSB_MAX_PASSWORD);
		return -1;
	}
	buf[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "osbrokerctl: empty password\n");
		return -1;
	}
	return 0;
}

/* The credentials file's text ("" when it does not exist): NULL after a
 * message.  A file of another user is refused: the broker could not read
 * the file written in its place. */
static char *
read_credentials(const char *path, int *exists)
{
	struct stat	 sb;
	char		*text;
	size_t		 len;

	*exists = 0;
	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return strdup("");
		fprintf(stderr, "osbrokerctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	*exists = 1;
	if (S_ISREG(sb.st_mode) && sb.st_uid != geteuid()) {
		fprintf(stderr, "osbrokerctl: %s belongs to uid %u: run "
		    "osbrokerctl as that user (the broker's)\n", path,
		    (unsigned)sb.st_uid);
		return NULL;
	}
	if (S_ISREG(sb.st_mode) && sb.st_size == 0)
		return strdup("");
	if ((text = pfile_read(path, OSB_MAX_CREDENTIAL_FILE, &len)) == NULL)
		fprintf(stderr, "osbrokerctl: %s: cannot be used (a regular "
		    "file of this user that no one else may write, at most %d "
		    "bytes)\n", path, OSB_MAX_CREDENTIAL_FILE);
	return text;
}

static int
write_credentials(const char *path, const char *text)
{
	if (strlen(text) > OSB_MAX_CREDENTIAL_FILE) {
		fprintf(stderr, "osbrokerctl: %s would be longer than %d "
		    "bytes\n", path, OSB_MAX_CREDENTIAL_FILE);
		return -1;
	}
	if (pfile_replace(path, text, strlen(text)) == -1) {
		fprintf(stderr, "osbrokerctl: %s: cannot replace it: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
count_user(const char *name, const char *plans, void *arg)
{
	(void)name;
	(void)plans;
	(*(int *)arg)++;
}

/* passwd --plans LIST: the field "plans=LIST", its syntax checked and
 * what it names found in the catalog (the broker would refuse to start
 * otherwise).  0, or -1 after a message. */
static int
plans_field(const struct config *cfg, const char *list, char *field,
    size_t fieldlen)
{
	struct catalog		*cat = NULL;
	struct catalog_error	 ce;
	char			 why[400];

	if ((size_t)snprintf(field, fieldlen, "%s%s", strncmp(list,
	    PLANSET_PREFIX, strlen(PLANSET_PREFIX)) == 0 ? "" :
	    PLANSET_PREFIX, list) >= fieldlen ||
	    planset_syntax(field, why, sizeof(why)) == -1) {
		fprintf(stderr, "osbrokerctl: --plans: %s\n", strlen(field) + 1 >=
		    fieldlen ? "too long" : why);
		return -1;
	}
	if (catalog_load(cfg->catalog_path, &cat, &ce) == -1) {
		fprintf(stderr, "osbrokerctl: --plans: cannot check them: "
		    "%s:%d: %s\n", ce.file, ce.line, ce.message);
		return -1;
	}
	if (planset_check(cat, field, why, sizeof(why)) == -1) {
		fprintf(stderr, "osbrokerctl: --plans: %s (%s)\n", why,
		    cfg->catalog_path);
		catalog_free(cat);
		return -1;
	}
	catalog_free(cat);
	return 0;
}

static int
passwd(const struct config *cfg, const struct opts *o)
{
	const char *path = cfg->credentials_path, *user = o->arg;
	char	 pw[OSB_MAX_PASSWORD + 2], again[OSB_MAX_PASSWORD + 2];
	char	*text = NULL, *next = NULL, *hash = NULL;
	char	 field[OSB_MAX_CREDENTIAL_LINE];
	const char *plans = NULL;
	int	 rc = CTL_FAIL, exists, replaced, n = 0;

	if (!credfile_user_valid(user)) {
		fprintf(stderr, "osbrokerctl: a user name is 1 to %d printable "
		    "characters without ':' or space, not starting with "
		    "'#'\n", OSB_MAX_USER_NAME);
		return CTL_USAGE;
	}
	if (o->plans != NULL && o->all_plans) {
		fprintf(stderr, "osbrokerctl: --plans or --all-plans, not "
		    "both\n");
		return CTL_USAGE;
	}
	if (o->plans != NULL) {
		if (plans_field(cfg, o->plans, field, sizeof(field)) == -1)
			return CTL_USAGE;
		plans = field;
	} else if (o->all_plans)
		plans = "";
	if ((text = read_credentials(path, &exists)) == NULL)
		return CTL_FAIL;
	if (credfile_users(text, count_user, &n) >= OSB_MAX_CREDENTIAL_USERS) {
		fprintf(stderr, "osbrokerctl: %s has %d users, the most the "
		    "broker reads\n", path, n);
		goto out;
	}
	if (read_password("New password: ", pw, sizeof(pw)) == -1)
		goto out;
	if (isatty(STDIN_FILENO)) {
		if (read_password("Again: ", again, sizeof(again)) == -1)
			goto out;
		if (strcmp(pw, again) != 0) {
			fprintf(stderr, "osbrokerctl: the passwords differ; "
			    "nothing changed\n");
			goto out;
		}
	}
	if ((hash = auth_hash_password(pw)) == NULL) {
		fprintf(stderr, "osbrokerctl: crypt(3) failed\n");
		goto out;
	}
	if ((next = credfile_set(text, user, hash, plans, &replaced)) ==
	    NULL) {
		fprintf(stderr, "osbrokerctl: out of memory\n");
		goto out;
	}
	if (write_credentials(path, next) == 0) {
		printf("ok: %s %s in %s%s%s\n", replaced ? "new password for" :
		    "added user", user, path, plans == NULL ? "" : *plans ?
		    ", restricted to " : ", all plans", plans != NULL &&
		    *plans ? plans + strlen(PLANSET_PREFIX) : "");
		rc = CTL_OK;
	}
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	free(hash);
	free(text);
	free(next);
	return rc;
}

struct listed {
	struct table	*t;
	cJSON		*j;
};

static void
list_user(const char *name, const char *plans, void *arg)
{
	struct listed	*l = arg;
	const char	*row[2] = { name, plans == NULL ? "(all)" :
			    strncmp(plans, PLANSET_PREFIX,
			    strlen(PLANSET_PREFIX)) == 0 ? plans +
			    strlen(PLANSET_PREFIX) : plans };

	if (l->j != NULL)
		cJSON_AddItemToArray(l->j, cJSON_CreateString(name));
	else
		(void)table_add(l->t, row);
}

static int
users(const char *path, const struct opts *o)
{
	static const char *const head[] = { "USER", "PLANS" };
	struct listed	 l = { NULL, NULL };
	char		*text, *next, *s;
	int		 exists, removed, n = 0, rc = CTL_OK;

	if ((text = read_credentials(path, &exists)) == NULL)
		return CTL_FAIL;
	if (o->remove != NULL) {
		n = credfile_users(text, count_user, &n);
		if ((next = credfile_remove(text, o->remove, &removed)) ==
		    NULL) {
			fprintf(stderr, "osbrokerctl: out of memory\n");
			rc = CTL_FAIL;
		} else if (removed == 0) {
			fprintf(stderr, "osbrokerctl: no user %s in %s\n",
			    credfile_user_valid(o->remove) ? o->remove :
			    "by that name", path);
			rc = CTL_NOTFOUND;
		} else if (removed >= n) {
			fprintf(stderr, "osbrokerctl: refused: %s is the only "
			    "user, and the broker needs one (add another "
			    "first)\n", o->remove);
			rc = CTL_FAIL;
		} else if (write_credentials(path, next) == -1)
			rc = CTL_FAIL;
		else
			printf("ok: removed user %s from %s\n", o->remove, path);
		free(next);
		free(text);
		return rc;
	}
	if (o->json)
		l.j = cJSON_CreateArray();
	else
		l.t = table_new(2, head);
	if (l.j == NULL && l.t == NULL) {
		free(text);
		return CTL_FAIL;
	}
	(void)credfile_users(text, list_user, &l);
	if (l.j != NULL) {
		if ((s = cJSON_PrintUnformatted(l.j)) != NULL)
			printf("%s\n", s);
		free(s);
		cJSON_Delete(l.j);
	} else {
		table_print(l.t, stdout);
		table_free(l.t);
	}
	free(text);
	return rc;
}

static int
on_credentials(const char *cmd, const struct opts *o)
{
	struct config	 cfg;
	char		 err[512];

	if (config_load(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "osbrokerctl: %s\n", err);
		return CTL_FAIL;
	}
	if (strcmp(cmd, "passwd") == 0)
		return passwd(&cfg, o);
	return users(cfg.credentials_path, o);
}

/* ---- main --------------------------------------------------------------------- */

static const struct {
	const char	*name;
	const char	*options;
	int		 operand;	/* 1: exactly one, 0: none */
} cmds[] = {
	{ "instances",	"--service --plan --state --outdated --json", 0 },
	{ "show",	"--show-credentials --json", 1 },
	{ "bindings",	"--json", 1 },
	{ "operations",	"--json", 0 },
	{ "audit",	"--instance --since --json", 0 },
	{ "purge",	"--yes", 1 },
	{ "backup",	"", 1 },
	{ "restore",	"--force", 1 },
	{ "export",	"", 1 },
	{ "import",	"", 1 },
	{ "verify",	"", 0 },
	{ "passwd",	"--plans --all-plans", 1 },
	{ "users",	"--remove --json", 0 },
};

int
main(int argc, char *argv[])
{
	struct opts	 o;
	size_t		 i;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("osbrokerctl %s\n", OSB_VERSION);
		return CTL_OK;
	}
	if (argc < 2)
		return usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "osbrokerctl: unknown subcommand %s\n", argv[1]);
		return usage();
	}
	if (parse(argc - 2, argv + 2, cmds[i].options, &o) == -1)
		return usage();
	if (o.operands != cmds[i].operand) {
		fprintf(stderr, "osbrokerctl: %s takes %s\n", cmds[i].name,
		    cmds[i].operand ? "one operand" : "no operand");
		return usage();
	}
	if (strcmp(argv[1], "passwd") == 0 || strcmp(argv[1], "users") == 0)
		return on_credentials(argv[1], &o);
	return on_store(argv[1], &o);
}
