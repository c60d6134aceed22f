/* SPDX-License-Identifier: ISC */
/*
 * action: the OSBAPI state changes a platform asks of a broker
 * (provision, update, deprovision, bind, unbind) and their names; upgrade
 * is the update that moves an instance to its plan's current
 * maintenance_info.version (docs/hooks.md "Upgrades"), an action of its own
 * so a plan can give it a hook and an async setting of its own.
 *
 * Why a module: the verb indexes plan settings (plancfg.h: which action
 * runs a hook, which is asynchronous), names operations in records (op.h)
 * and appears in descriptions; it belongs to none of those alone.
 */
#ifndef OSB_ACTION_H
#define OSB_ACTION_H

enum action {
	ACT_PROVISION,
	ACT_UPDATE,
	ACT_DEPROVISION,
	ACT_BIND,
	ACT_UNBIND,
	ACT_UPGRADE,
	ACT__COUNT
};

/* "provision", ...; "?" for a value out of range.  Static strings. */
const char  *action_name(enum action);

/* The action named s, or ACT__COUNT when s names none. */
enum action  action_parse(const char *s);

#endif
