/* SPDX-License-Identifier: ISC */
/*
 * ctl: osbrokerctl's subcommands over an open store (osbrokerctl(8)): the
 * operator's look at instances, bindings and operations, purging what the
 * platform has forgotten, backup and restore, and the configuration and
 * store they need opened as the broker opens them.
 *
 * Safe while the broker serves: every look is one read transaction (one
 * snapshot; an operation that can no longer finish is shown failed, as
 * op_reap() judges it, without being saved: the broker saves that at its
 * next read); purge is one write transaction scoped to the instance, as a
 * handler's; a backup is one read transaction; a restore or an import one
 * write transaction over the whole store.
 *
 * Output: an aligned table (table.h) or, with json, one JSON array with
 * one object per line (the fields osbrokerctl(8) lists).  Errors: one
 * line on stderr, "osbrokerctl: ...", and the exit status of enum ctl_rc.
 * Binding credentials are printed only by ctl_show() with
 * show_credentials; elsewhere each of their values is "********".
 *
 * Ownership: struct ctl is the caller's; ctl_open() fills it and
 * ctl_close() frees what it holds.
 */
#ifndef OSB_CTL_H
#define OSB_CTL_H

#include <stdio.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "catalog.h"
#include "config.h"
#include "store.h"

/* Exit statuses (osbrokerctl(8) "EXIT STATUS"). */
enum ctl_rc {
	CTL_OK = 0,
	CTL_FAIL = 1,		/* a failure or a refusal */
	CTL_USAGE = 2,		/* a bad command line */
	CTL_NOTFOUND = 3	/* no such instance */
};

struct ctl {
	struct config	 cfg;
	struct store	*st;
	struct catalog	*cat;		/* NULL when it cannot be loaded */
	FILE		*out;
	int		 json;
	time_t		 now;
};

/* ctl_open()'s flags. */
#define CTL_CATALOG	1	/* load the catalog too (names of services
				   and plans); a catalog that cannot be
				   loaded is said once on stderr, and ids
				   are shown */
#define CTL_CREATE	2	/* the store may be new (restore, import):
				   an LMDB state directory that does not
				   exist is made; without it, a state
				   directory without a data file is
				   refused */

/* Load the configuration, open the store (and the catalog): CTL_OK, or
 * CTL_FAIL after one line on stderr.  c is ctl_close()d either way. */
enum ctl_rc ctl_open(struct ctl *c, int flags);
void        ctl_close(struct ctl *c);

/* What ctl_instances() shows: NULL or -1 for no filter.  service and
 * plan match an id or, with a catalog, a name. */
struct ctl_filter {
	const char	*service;
	const char	*plan;
	int		 state;		/* enum op_state; a record without an
					   operation counts as succeeded */
	int		 outdated;	/* 1: only instances behind their
					   plan's maintenance_info.version
					   (ctl_outdated(); needs the
					   catalog) */
};

/* 1 when instance rec is not on its plan's current maintenance_info.version
 * (cat's plan has one; the instance has another or none), with the plan's
 * version in *plan_version (else NULL).  0 without a catalog or when the
 * plan is not in it. */
int  ctl_outdated(const struct catalog *cat, const cJSON *rec,
         const char **plan_version);

/* 1 when the instance record rec passes f (cat may be NULL). */
int  ctl_match(const struct catalog *cat, const cJSON *rec,
         const struct ctl_filter *f);

/* A duration for people: "42s", "5m", "3h", "2d" (rounded down); "-"
 * when negative. */
void ctl_age(long seconds, char *out, size_t outlen);

/* The subcommands.  iid is checked (util_id_valid()) here. */
enum ctl_rc ctl_instances(struct ctl *c, const struct ctl_filter *f);
enum ctl_rc ctl_show(struct ctl *c, const char *iid, int show_credentials);
enum ctl_rc ctl_bindings(struct ctl *c, const char *iid);
enum ctl_rc ctl_operations(struct ctl *c);
/* The audit trail (audit.h), oldest first: of instance iid only (or
 * NULL), from time since on (a UTC time or its start, or NULL). */
enum ctl_rc ctl_audit(struct ctl *c, const char *iid, const char *since);

/* purge, in two steps: ctl_purge_look() (a read transaction) says what
 * there is to purge, on stdout, and refuses an instance whose operation,
 * or one of its bindings', runs; the caller asks the operator, then
 * ctl_purge() decides again in one write transaction scoped to the
 * instance and deletes the instance, its bindings and their tombstones. */
enum ctl_rc ctl_purge_look(struct ctl *c, const char *iid);
enum ctl_rc ctl_purge(struct ctl *c, const char *iid);

/* backup FILE: a new file (0600, refused when it exists): LMDB's
 * compacting copy (store_copy()) or, where the store has none, the export
 * format (xport.h).  restore FILE: either kind, told by its first byte,
 * into an empty store (force: one that is not, whose records it
 * replaces). */
enum ctl_rc ctl_backup(struct ctl *c, const char *path);
enum ctl_rc ctl_restore(struct ctl *c, const char *path, int force);

/* export, import (docs/export.md) and verify, as osbroker's --export,
 * --import and --verify. */
enum ctl_rc ctl_export(struct ctl *c, const char *path);
enum ctl_rc ctl_import(struct ctl *c, const char *path);
enum ctl_rc ctl_verify(struct ctl *c);

#endif
