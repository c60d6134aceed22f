/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz/ share.
 *
 * Each target is one file, linked with the broker's own objects built by
 * clang with the same sanitizers (make fuzz-build, docs/fuzzing.md).  A
 * target feeds one input to one edge of the broker and then checks what
 * came out against properties that must hold whatever the input was; a
 * violated property aborts, which libFuzzer reports like a crash and keeps
 * as an artifact.
 *
 * Targets are deterministic (the same input takes the same path whatever
 * ran before it) and write nothing outside the one temporary directory of
 * fuzz_tmpdir(), which is removed at exit.
 */
#ifndef OSB_FUZZ_H
#define OSB_FUZZ_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

/* A property of the output that must hold: abort (a libFuzzer crash) with
 * a message when it does not. */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "\nfuzz: property violated at %s:%d: %s\n"\
		    "fuzz: ", __FILE__, __LINE__, #cond);		\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/*
 * Open findings: bugs fuzzing found in modules this harness does not own,
 * reported to their owners (docs/fuzzing.md, "Open findings") and not
 * fixed yet.  A target steps around each one, narrowly and saying so, so
 * that fuzzing goes on past it; with FUZZ_OPEN_FINDINGS=1 in the
 * environment it does not (tests/fuzz/run --open replays the inputs of
 * tests/fuzz/open/ that way, to see whether a fix landed).
 */
static inline int
fuzz_open_findings(void)
{
	static int v = -1;

	if (v == -1)
		v = getenv("FUZZ_OPEN_FINDINGS") != NULL &&
		    strcmp(getenv("FUZZ_OPEN_FINDINGS"), "1") == 0;
	return v;
}

/* Set-up that cannot fail in a sane environment. */
static inline void
fuzz_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* An exact-size heap copy with a NUL after it: ASan sees a read past
 * len, and string functions stop at an embedded NUL as they would on a
 * C string from the web server. */
static inline char *
fuzz_copy(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	if (len > 0)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/* ---- the temporary directory ------------------------------------------ */

#define FUZZ_MAX_TMP 16

static char	 fuzz_tmp[4096];
static struct {
	char	*path;
	int	 dir;
}		 fuzz_tmp_made[FUZZ_MAX_TMP];	/* in the order made */
static int	 fuzz_tmp_n;

static inline void
fuzz_tmp_cleanup(void)
{
	while (fuzz_tmp_n > 0) {
		fuzz_tmp_n--;
		if (fuzz_tmp_made[fuzz_tmp_n].dir)
			rmdir(fuzz_tmp_made[fuzz_tmp_n].path);
		else
			unlink(fuzz_tmp_made[fuzz_tmp_n].path);
		free(fuzz_tmp_made[fuzz_tmp_n].path);
	}
	if (fuzz_tmp[0] != '\0')
		rmdir(fuzz_tmp);
}

/* One directory per process under $TMPDIR (else /tmp). */
static inline const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (fuzz_tmp[0] != '\0')
		return fuzz_tmp;
	snprintf(fuzz_tmp, sizeof(fuzz_tmp), "%s/osbroker-fuzz.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(fuzz_tmp) == NULL)
		fuzz_die("mkdtemp %s: %s", fuzz_tmp, strerror(errno));
	atexit(fuzz_tmp_cleanup);
	return fuzz_tmp;
}

/* Create rel (a file with text, or a directory when text is NULL) under
 * the temporary directory with mode; returns its path (kept until exit). */
static inline const char *
fuzz_tmp_make(const char *rel, const char *text, mode_t mode)
{
	char	*path;
	FILE	*f;

	if (fuzz_tmp_n == FUZZ_MAX_TMP)
		fuzz_die("too many temporary files");
	if (asprintf(&path, "%s/%s", fuzz_tmpdir(), rel) == -1)
		abort();
	if (text == NULL) {
		if (mkdir(path, mode) == -1)
			fuzz_die("mkdir %s: %s", path, strerror(errno));
	} else {
		if ((f = fopen(path, "w")) == NULL ||
		    fputs(text, f) == EOF || fclose(f) == EOF)
			fuzz_die("write %s: %s", path, strerror(errno));
		if (chmod(path, mode) == -1)
			fuzz_die("chmod %s: %s", path, strerror(errno));
	}
	fuzz_tmp_made[fuzz_tmp_n].path = path;
	fuzz_tmp_made[fuzz_tmp_n].dir = text == NULL;
	return fuzz_tmp_made[fuzz_tmp_n++].path;
}

/* Remove rel (a file something else made in the directory) at exit,
 * before what was made before it. */
static inline void
fuzz_tmp_track(const char *rel)
{
	if (fuzz_tmp_n == FUZZ_MAX_TMP)
		fuzz_die("too many temporary files");
	if (asprintf(&fuzz_tmp_made[fuzz_tmp_n].path, "%s/%s", fuzz_tmpdir(),
	    rel) == -1)
		abort();
	fuzz_tmp_made[fuzz_tmp_n++].dir = 0;
}

#endif
