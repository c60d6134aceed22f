/* SPDX-License-Identifier: ISC */
/*
 * action: see action.h.
 */
#include <string.h>

#include "action.h"

static const char *const action_names[ACT__COUNT] = {
	[ACT_PROVISION]		= "provision",
	[ACT_UPDATE]		= "update",
	[ACT_DEPROVISION]	= "deprovision",
	[ACT_BIND]		= "bind",
	[ACT_UNBIND]		= "unbind",
	[ACT_UPGRADE]		= "upgrade",
};

const char *
action_name(enum action a)
{
	return a >= 0 && a < ACT__COUNT ? action_names[a] : "?";
}

enum action
action_parse(const char *s)
{
	int i;

	for (i = 0; i < ACT__COUNT; i++)
		if (strcmp(s, action_names[i]) == 0)
			return (enum action)i;
	return ACT__COUNT;
}
