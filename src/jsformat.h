/* SPDX-License-Identifier: ISC */
/*
 * jsformat: the "format" keyword of JSON Schema drafts 04, 06 and 07: which
 * formats each draft names, and whether a string is one.
 *
 * A draft knows the formats its validation specification lists (04:
 * date-time, email, hostname, ipv4, ipv6, uri; 06 adds uri-reference,
 * uri-template, json-pointer; 07 adds date, time, idn-email,
 * idn-hostname, iri, iri-reference, relative-json-pointer), and regex in
 * all three (07 lists it; the meta-schemas of 04 and 06 use it); any other
 * name is unknown to it and the keyword is ignored, as the drafts say.  The checks follow the RFCs the drafts cite; docs/json-schema.md
 * says where they are approximate (internationalised host names).
 */
#ifndef OSB_JSFORMAT_H
#define OSB_JSFORMAT_H

enum jsformat {
	JSF_UNKNOWN = 0,
	JSF_DATE_TIME, JSF_DATE, JSF_TIME, JSF_EMAIL, JSF_IDN_EMAIL,
	JSF_HOSTNAME, JSF_IDN_HOSTNAME, JSF_IPV4, JSF_IPV6, JSF_URI,
	JSF_URI_REFERENCE, JSF_IRI, JSF_IRI_REFERENCE, JSF_URI_TEMPLATE,
	JSF_JSON_POINTER, JSF_RELATIVE_JSON_POINTER, JSF_REGEX
};

/* The format called name in draft (4, 6 or 7), or JSF_UNKNOWN. */
enum jsformat jsformat_lookup(int draft, const char *name);
/* Its name as the drafts spell it. */
const char   *jsformat_name(enum jsformat);
/* 1 when s (NUL-terminated) is a valid instance of f, else 0. */
int           jsformat_valid(enum jsformat f, const char *s);

#endif
