/* SPDX-License-Identifier: ISC */
/*
 * jsonschema: JSON Schema drafts 04, 06 and 07 on cJSON.
 *
 * Plans declare the parameters they take as JSON Schemas (OSBAPI "Schema
 * Object"); the broker checks requests against them.  A schema is compiled
 * once (at catalog load) into one node per subschema: keywords typed,
 * patterns compiled (jsregex.h), formats looked up (jsformat.h), every
 * $ref resolved to its node.  A validation is one walk of those nodes over
 * the instance, with nothing parsed or allocated (except uniqueItems'
 * sort).  docs/json-schema.md says what is supported and how it was
 * measured on the official test suite.
 *
 * The draft is the schema's "$schema" (draft-04 when absent), or
 * jschema_opts.draft.  Compiling checks the schema against its draft's
 * meta-schema (the drafts' own documents, src/metaschema/), refuses remote
 * references, $ref cycles that consume no input, patterns POSIX regex
 * cannot run, and schemas over the bounds of limits.h.  A validation is
 * bounded too (instance depth, OSB_JSCHEMA_MAX_STEPS subschemas applied).
 *
 * Locations in messages are JSON pointers: in the schema for compile
 * errors, without the leading "/" ("properties/size/maximum: ..."); in the
 * instance for violations, after the caller's root ("parameters/size: ..."
 * with root "parameters", "/size: ..." with root "").  An empty location
 * is written "(root)".
 *
 * Ownership: a compiled schema owns copies of everything it uses; the
 * caller's cJSON may be freed after jschema_compile().  It is immutable
 * after compiling, so validations may share it.  The meta-schemas are
 * compiled once per process at first use and stay reachable;
 * jschema_cleanup() frees them (for leak checkers; they are made again
 * when needed).  Not thread-safe: the broker is one thread per process.
 */
#ifndef OSB_JSONSCHEMA_H
#define OSB_JSONSCHEMA_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define JSCHEMA_REPORT_MAX	8	/* violations kept in a report */
#define JSCHEMA_LINE_MAX	200	/* bytes of one, with its NUL */

struct jschema;

/* A document a remote $ref may name (tests: the suite's remotes). */
struct jschema_doc {
	const char	*uri;
	const cJSON	*doc;
};

struct jschema_opts {
	int			 draft;	/* 0: by $schema (draft-04 when
					   absent), or 4, 6, 7 */
	int			 trusted; /* 1: skip the meta-schema check
					   (checked once already) */
	const struct jschema_doc *docs;	/* what remote refs may resolve to */
	size_t			 ndocs;
};

/* 0 with *out set (free with jschema_free), or -1 with a one-line reason
 * in err.  opts may be NULL (all defaults). */
int  jschema_compile(const cJSON *schema, const struct jschema_opts *opts,
    struct jschema **out, char *err, size_t errlen);
void jschema_free(struct jschema *);

/* The draft a compiled schema follows (4, 6 or 7). */
int  jschema_draft(const struct jschema *);

struct jschema_report {
	size_t	count;			/* violations found */
	size_t	kept;			/* lines filled: min(count, MAX) */
	char	line[JSCHEMA_REPORT_MAX][JSCHEMA_LINE_MAX];
};

/* 0 valid, 1 invalid (report says why), -1 out of memory.  root prefixes
 * every location ("" for none).  Values quoted in the lines are cut to a
 * few dozen bytes and hold no control bytes. */
int  jschema_validate(const struct jschema *, const cJSON *instance,
    const char *root, struct jschema_report *report);

/* Free the meta-schemas compiled so far (and jsregex's locale). */
void jschema_cleanup(void);

#endif
