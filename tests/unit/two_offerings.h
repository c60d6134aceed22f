/* SPDX-License-Identifier: ISC */
/*
 * two_offerings.h: a catalog of two offerings with plans of the same name
 * (svc-a: small, large; svc-b: small), for the tests of plan sets
 * (test_planset.c, tests/fuzz/fuzz_planset.c).
 */
#ifndef OSB_TEST_TWO_OFFERINGS_H
#define OSB_TEST_TWO_OFFERINGS_H

static const char catalog_yml[] =
	"services:\n"
	"- id: svc-a-id\n"
	"  name: svc-a\n"
	"  description: d\n"
	"  bindable: true\n"
	"  plans:\n"
	"  - id: a-small-id\n"
	"    name: small\n"
	"    description: d\n"
	"  - id: a-large-id\n"
	"    name: large\n"
	"    description: d\n"
	"- id: svc-b-id\n"
	"  name: svc-b\n"
	"  description: d\n"
	"  bindable: true\n"
	"  plans:\n"
	"  - id: b-small-id\n"
	"    name: small\n"
	"    description: d\n";

#endif
