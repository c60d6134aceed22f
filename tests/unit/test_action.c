/* SPDX-License-Identifier: ISC */
/*
 * test_action: the names of the five OSBAPI actions (action.h) both ways —
 * action_name() of each action and of values out of range, action_parse()
 * of each name (a round trip), of an unknown name, of a name in another
 * case and of "".
 */
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "tap.h"

int
main(void)
{
	static const struct {
		enum action	 a;
		const char	*name;
	} names[] = {
		{ ACT_PROVISION, "provision" }, { ACT_UPDATE, "update" },
		{ ACT_DEPROVISION, "deprovision" }, { ACT_BIND, "bind" },
		{ ACT_UNBIND, "unbind" }, { ACT_UPGRADE, "upgrade" },
	};
	size_t i;

	_Static_assert(sizeof(names) / sizeof(names[0]) == ACT__COUNT,
	    "every action is named here");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_STR(action_name(names[i].a), names[i].name,
		    "action_name(%d) is \"%s\"", (int)names[i].a,
		    names[i].name);
		CHECK(action_parse(names[i].name) == names[i].a,
		    "action_parse(\"%s\") is %d", names[i].name,
		    (int)names[i].a);
	}
	CHECK_STR(action_name(ACT__COUNT), "?", "action_name(ACT__COUNT): ?");
	CHECK_STR(action_name((enum action)-1), "?", "action_name(-1): ?");
	CHECK_STR(action_name((enum action)99), "?", "action_name(99): ?");
	CHECK(action_parse("create") == ACT__COUNT,
	    "action_parse(\"create\"): ACT__COUNT");
	CHECK(action_parse("Bind") == ACT__COUNT,
	    "action_parse(\"Bind\"): names are case-sensitive");
	CHECK(action_parse("bin") == ACT__COUNT,
	    "action_parse(\"bin\"): a prefix names nothing");
	CHECK(action_parse("") == ACT__COUNT, "action_parse(\"\"): ACT__COUNT");
	return tap_done();
}
