# SPDX-License-Identifier: ISC
# osbroker — an Open Service Broker API responder for nginx (FastCGI) and CGI.
#
#   make          build build/osbroker and cgi-bin/osbroker.cgi
#   make run      install what is missing (apt), build, serve on 127.0.0.1:8080
#   make check    install what is missing, build, run every test suite
#   make install  PREFIX=/usr/local DESTDIR=
#   make bench    install what is missing (+ wrk), build, measure (bench/README.md)
#   make bench-scale  the same at 1,000,000 instances and 2,000,000 bindings
#   make deps     only the installing step (DEPS=test|bench|deb); NO_DEPS=1 skips
#                 it in run, check, bench and deb
#   make fuzz     the libFuzzer targets for FUZZ_SECONDS each (docs/fuzzing.md)
#   make mutate   break src/ one line at a time, see which test notices
#                 (docs/testing.md)
#   make deb      build/osbroker_VERSION_ARCH.deb (debian/, README "Install
#                 from the package")

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS    := fcgi libcjson yaml-0.1 lmdb libxcrypt
# libpq: its header only; src/store_pg.c loads the library with dlopen()
# when OSBROKER_STORE names PostgreSQL, so that no LMDB user (and no CGI
# process) pays for loading it and the twenty libraries it needs.
PKGS_DL := libpq
CFLAGS  ?= -O2 -g
# CPPFLAGS, CFLAGS and LDFLAGS from the environment or the command line reach
# every compile and link (a distribution's hardening flags: debian/rules).
# -Werror is the developers' default; WERROR=0 drops it for a build with
# another compiler or other flags, which may warn where ours does not.
WERROR  ?= 1
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(PKGS_DL) 2>/dev/null)
# No -lm: the two libm functions the code called (nearbyint, fmax) gave way
# to libc's modf() (src/jsonschema.c), so a CGI process maps one shared
# library less, about a tenth of its cost here (BENCHMARKS.md).
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

B := build

# ---- sources, by layer (docs/architecture.md) -------------------------------
# Calls go down: a file includes headers of its own layer and of lower ones
# only.  tests/check-layers (part of `make check`) reads these lists through
# `make print-layers` and fails on an upward include.  A header without a .c
# of its own is listed in HDRS.<layer>.  A new module goes into the lowest
# layer whose headers it needs.
LAYERS := base adapter record op work mode handler front

# base: no osbroker header below them; strings, logging, files, bounds.
SRCS.base    := src/util.c src/log.c src/pfile.c src/action.c src/table.c \
                src/mapfile.c src/throttle.c \
                src/credfile.c src/counters.c src/promtext.c
HDRS.base    := src/limits.h
# the status page's HTML and its escaping
SRCS.base    += src/html.c
SRCS.base    += src/fwatch.c
# the flushes of LMDB commits shared between the processes of a host
SRCS.base    += src/syncshare.c
# adapters: one library or one outside format each (LMDB, libyaml, cJSON
# input, libfcgi/CGI, libcrypt, the environment, hooks' processes, HTTP).
SRCS.adapter := src/store.c src/store_lmdb.c src/store_pg.c src/jsonin.c src/jsonout.c src/catload.c src/catalog.c src/catcache.c \
                src/plancfg.c src/template.c src/hook.c src/auth.c src/config.c \
                src/io.c src/request.c src/response.c src/route.c src/version.c \
                src/identity.c src/jsregex.c src/jsformat.c src/jsonschema.c
HDRS.adapter := src/catalog_int.h src/store_int.h
# a user's services and plans (credentials file) over the catalog.
SRCS.adapter += src/planset.c
# record codec: the stored JSON documents.
SRCS.record  := src/records.c src/audit.c
# operation: last_operation, liveness, reaping, tombstones.
SRCS.op      := src/op.c
# work: what an operation does (hook input, run, outcome).
SRCS.work    := src/work.c
# modes: the program's other ways to run (asynchronous runner, --verify),
# and osbrokerctl's subcommands.
SRCS.mode    := src/runner.c src/verify.c src/xport.c src/ctl.c
# OSBAPI handlers, one file per resource, and what only they share.
SRCS.handler := src/backend.c src/h_common.c src/h_catalog.c src/h_instance.c \
                src/h_binding.c src/h_metrics.c src/h_health.c
HDRS.handler := src/handlers.h
SRCS.handler += src/h_tally.c src/h_status.c
# front: the request's way in and the programs' entries (osbroker's main.c,
# osbrokerctl.c).
MAINS        := src/main.c src/osbrokerctl.c
SRCS.front   := src/server.c $(MAINS)

SRCS := $(foreach l,$(LAYERS),$(SRCS.$(l)))
LIB_SRCS := $(filter-out $(MAINS),$(SRCS))
OBJS := $(filter-out $(B)/obj/osbrokerctl.o,$(SRCS:src/%.c=$(B)/obj/%.o))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(B)/obj/%.o)

# One archive per layer.  A unit test links only the archives of its
# module's layer and those below (highest first), as kcgi's regress
# programs link the library: a module that calls upward does not link.
layer_of  = $(strip $(foreach l,$(LAYERS),$(if $(filter src/$(1).c src/$(1).h,$(SRCS.$(l)) $(HDRS.$(l))),$(l))))
layer_pos = $(words $(call _upto,$(1),$(LAYERS)))
_upto     = $(if $(filter $(1),$(firstword $(2))),$(1),$(firstword $(2)) $(call _upto,$(1),$(wordlist 2,$(words $(2)),$(2))))
libs_upto = $(foreach l,$(call _reverse,$(call _upto,$(1),$(LAYERS))),$(B)/lib/libosb-$(l).a)
_reverse  = $(if $(1),$(call _reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
LAYER_LIBS := $(foreach l,$(filter-out front,$(LAYERS)),$(B)/lib/libosb-$(l).a)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

all: $(B)/osbroker cgi-bin/osbroker.cgi $(B)/osbrokerctl

# What pkg-config cannot find, and the Debian package that has it.
PKG_MISSING := $(shell command -v pkg-config >/dev/null 2>&1 || echo pkg-config; \
                 for p in $(PKGS) $(PKGS_DL); do pkg-config --exists $$p 2>/dev/null || echo $$p; done)
DEB.pkg-config := pkg-config
DEB.fcgi       := libfcgi-dev
DEB.libcjson   := libcjson-dev
DEB.yaml-0.1   := libyaml-dev
DEB.lmdb       := liblmdb-dev
DEB.libxcrypt  := libcrypt-dev
DEB.libpq      := libpq-dev

pkg-check:
ifneq ($(PKG_MISSING),)
	@echo "osbroker: pkg-config does not find: $(PKG_MISSING)" >&2
	@echo "osbroker: install (Debian): apt-get install $(sort $(foreach p,$(PKG_MISSING),$(or $(DEB.$(p)),$(p))))" >&2
	@echo "osbroker: or run \`make deps\` as root" >&2
	@exit 1
endif

$(B)/obj/%.o: src/%.c $(wildcard src/*.h) | $(B)/obj pkg-check
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# The meta-schemas of JSON Schema drafts 04, 06 and 07 (src/metaschema/,
# docs/json-schema.md says where they come from) as C strings: one
# generated header, included by src/jsonschema.c only.
METASCHEMAS := $(wildcard src/metaschema/draft-0*.json)
$(B)/gen/jsmeta.h: $(METASCHEMAS) | $(B)/gen
	for f in $(METASCHEMAS); do \
	    n=$$(basename $$f .json | tr -d -); \
	    printf 'static const char jsmeta_%s[] =\n' "$$n"; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $$f; \
	    printf ';\n'; \
	done > $@.tmp && mv $@.tmp $@

$(B)/obj/jsonschema.o: CFLAGS += -I$(B)/gen
$(B)/obj/jsonschema.o: $(B)/gen/jsmeta.h

$(B)/lib/libosb-%.a: | $(B)/lib
	rm -f $@
	$(AR) rcs $@ $^

$(foreach l,$(LAYERS),$(eval $(B)/lib/libosb-$(l).a: $(filter-out $(MAINS:src/%.c=$(B)/obj/%.o),$(SRCS.$(l):src/%.c=$(B)/obj/%.o))))

$(B)/osbroker: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

# The operator's tool (osbrokerctl(8)): its entry and the archives of the
# modes layer and below, the same store code as the broker's.
CTL_LIBS := $(call libs_upto,mode)
$(B)/osbrokerctl: $(B)/obj/osbrokerctl.o $(CTL_LIBS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(B)/obj/osbrokerctl.o $(CTL_LIBS) \
	    $(PKG_LIBS)

# The CGI entry is the same program: it notices it was not started by a
# FastCGI spawner and answers exactly one request.  A CGI process is started
# for every request, and loading four more shared libraries was a third of
# its start (BENCHMARKS.md), so it is linked with the static archives of
# libfcgi, libyaml, liblmdb and libcrypt (Debian ships them in the -dev
# packages; libcjson has none, and glibc's libm.a cannot be linked into a
# dynamic program, so no libm is used at all).  It also runs on a host
# without those libraries.  Linking glibc statically too would save about
# a fifth more of a CGI process (BENCHMARKS.md) but needs a static libcjson
# and another way to reach libpq than dlopen(), which a static program
# cannot use safely.  The archives are prerequisites: after an upgrade of one of
# them, `make` links again.  CGI_STATIC=0 links like build/osbroker.
CGI_STATIC  ?= 1
STATIC_LIBS := -lfcgi -lyaml -llmdb -lcrypt
ifeq ($(CGI_STATIC),1)
CGI_LIBS    := -Wl,-Bstatic $(STATIC_LIBS) -Wl,-Bdynamic \
               $(filter-out $(STATIC_LIBS),$(PKG_LIBS)) -lpthread
CGI_ARCHIVES := $(wildcard $(patsubst -l%,/usr/lib/$(shell $(CC) -dumpmachine)/lib%.a,$(STATIC_LIBS)))
else
CGI_LIBS    := $(PKG_LIBS)
endif

cgi-bin/osbroker.cgi: $(OBJS) $(CGI_ARCHIVES)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(CGI_LIBS)

# tests/unit/test_<module>.c tests <module>: it links the archives of that
# module's layer and below.  (test_libs is a function, not written out in the
# prerequisites, because make puts the stem into every % there.)
test_libs = $(call libs_upto,$(call layer_of,$(patsubst test_%,%,$(1))))
.SECONDEXPANSION:
$(B)/tests/%: tests/unit/%.c tests/unit/tap.h tests/unit/resp_desc.h tests/unit/tmpdir.h \
    tests/unit/two_offerings.h \
    $$(call test_libs,$$*) | $(B)/tests
	@test -n "$(call test_libs,$*)" || { echo "$<: its module is in no \
	    layer (tests/unit/test_<module>.c tests src/<module>.c)" >&2; exit 1; }
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -Isrc -o $@ $< $(call test_libs,$*) \
	    $(PKG_LIBS)

$(B)/obj $(B)/tests $(B)/lib $(B)/gen:
	mkdir -p $@

unit: $(UNIT_BINS) $(B)/tests/jsonschema-suite

# The JSON-Schema-Test-Suite runner (tests/jsonschema/suite.c): the
# jsonschema module's layer and below, as its unit test links.
$(B)/tests/jsonschema-suite: tests/jsonschema/suite.c $$(call test_libs,jsonschema) | $(B)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -Isrc -o $@ $< $(call test_libs,jsonschema) \
	    $(PKG_LIBS)

# Print "<layer> <file>" for every source and header (tests/check-layers).
print-layers:
	@$(foreach l,$(LAYERS),$(foreach f,$(SRCS.$(l)) $(patsubst %.c,%.h,$(SRCS.$(l))) $(HDRS.$(l)),$(if $(wildcard $(f)),echo '$(l) $(f)';))) :

# ---- the two commands --------------------------------------------------------
# `make run`, `make check` and `make bench` first install what is missing
# (scripts/install-deps: apt, as root).  With everything installed, NO_DEPS=1
# skips that step; `make deps` (DEPS=test or DEPS=bench for the extra tools)
# runs it alone.
DEPS ?=
deps:
	@scripts/install-deps $(if $(DEPS),--$(DEPS))

run:
	@$(if $(NO_DEPS),:,$(MAKE) --no-print-directory deps)
	@$(MAKE) --no-print-directory all
	@scripts/osbroker-serve

# TESTS=unit,asan,... and SUITES=, OSB_CASES= narrow what runs (tests/README.md).
check:
	@$(if $(NO_DEPS),:,$(MAKE) --no-print-directory deps DEPS=test)
	@$(MAKE) --no-print-directory all unit
	@tests/run

# `make deb`: build/osbroker_VERSION_ARCH.deb (debian/, README "Install from
# the package"), built by dpkg-buildpackage in a copy of the tree under
# build/deb/ (scripts/build-deb); nothing when nothing changed.
deb:
	@$(if $(NO_DEPS),:,$(MAKE) --no-print-directory deps DEPS=deb)
	@scripts/build-deb

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(B)/osbroker $(DESTDIR)$(PREFIX)/bin/osbroker
	install -m 0755 $(B)/osbrokerctl $(DESTDIR)$(PREFIX)/bin/osbrokerctl
	install -m 0644 man/osbroker.8 man/osbrokerctl.8 \
	    $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 man/osbroker-catalog.5 $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf $(B) cgi-bin/osbroker.cgi

# ---- mutation testing (tests/mutate, docs/testing.md) -----------------------
# Each mutant of tests/mutants.txt applied to a copy of the working tree,
# built, and the suites it names run: killed or survived.  MUTANTS= picks
# some by id (globs): make mutate MUTANTS='same-*'.
mutate:
	@tests/mutate $(MUTANTS)

# ---- fuzzing (tests/fuzz/, docs/fuzzing.md) --------------------------------
# libFuzzer targets, linked with the broker's objects built again by clang
# with ASan + UBSan in build/fuzz/ (their own directory: no other build is
# touched).  The project's warning flags apply unchanged (-Werror).
#
#   make fuzz            build, then run every target FUZZ_SECONDS (600) in
#                        turn (FUZZ_JOBS=2: two at a time); FUZZ_MERGE=1
#                        merges what they found into tests/fuzz/corpus/
#   make fuzz-smoke      every target FUZZ_SECONDS (20), then replay
#                        tests/fuzz/regressions/
#   make fuzz-build      only build build/fuzz/fuzz_*
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_JOBS    ?= 1
FUZZ_MERGE   ?=
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz-build:
	@$(MAKE) --no-print-directory B=build/fuzz CC='$(FUZZ_CC)' \
	    CFLAGS='-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)' \
	    $(FUZZ_TARGETS:%=build/fuzz/%)

# Only meaningful with B=build/fuzz and clang (fuzz-build above).
$(B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/unit/two_offerings.h $(LIB_OBJS)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -Isrc -o $@ $< \
	    $(LIB_OBJS) $(PKG_LIBS)

fuzz: fuzz-build
	@tests/fuzz/run --seconds '$(FUZZ_SECONDS)' --jobs '$(FUZZ_JOBS)' \
	    $(if $(FUZZ_MERGE),--merge)

fuzz-smoke: FUZZ_SECONDS = 20
fuzz-smoke: fuzz-build
	@tests/fuzz/run --seconds '$(FUZZ_SECONDS)' --jobs '$(FUZZ_JOBS)' \
	    --replay $(if $(FUZZ_MERGE),--merge)

# ---- benchmark (bench/, bench/README.md) -----------------------------------
# `make bench` measures osbroker against the limits of its own setup (nginx
# static file, minimal FastCGI, LMDB, PostgreSQL and CGI programs), on LMDB
# and on a PostgreSQL server of its own, in about seven minutes.
# The minimal programs are built into build/bench/ with the project's
# warning flags (-Werror included, from the override above); a second broker
# with -DOSB_BENCH_NO_AUTH (auth check always passes) into build/bench-noauth/
# measures the cost of authentication.
#
#   make bench           BENCH_SECONDS=10 per measurement; knobs in bench/README.md
#   make bench-build     only build build/bench/* and build/bench-noauth/osbroker
BENCH_PROGS := build/bench/limit-fcgi build/bench/limit-lmdb build/bench/limit-cgi \
               build/bench/limit-pg
BENCH_LIBS  := $(shell pkg-config --libs fcgi lmdb 2>/dev/null)
# Only limit-pg links libpq (a CGI program like limit-cgi must not load it).
build/bench/limit-pg: BENCH_LIBS += $(shell pkg-config --libs libpq 2>/dev/null)

build/bench/%: bench/%.c | build/bench
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BENCH_LIBS)

build/bench:
	mkdir -p $@

bench-build: $(BENCH_PROGS)
	@$(MAKE) --no-print-directory B=build/bench-noauth \
	    CFLAGS='-O2 -g -DOSB_BENCH_NO_AUTH' build/bench-noauth/osbroker

bench:
	@$(if $(NO_DEPS),:,$(MAKE) --no-print-directory deps DEPS=bench)
	@$(MAKE) --no-print-directory all bench-build
	@bench/run

# `make bench-scale` (bench/scale): provision, fetch and deprovision on an
# empty store, then again after build/bench/scale-load has written 1,000,000
# instances and 2,000,000 bindings through the store API; and the bytes per
# record.  About 2 minutes and 3.5 GB of disk in a temporary directory.
build/bench/scale-load: bench/scale-load.c $(LIB_OBJS) | build/bench
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Isrc -o $@ $< $(LIB_OBJS) $(PKG_LIBS)

bench-scale:
	@$(if $(NO_DEPS),:,$(MAKE) --no-print-directory deps DEPS=bench)
	@$(MAKE) --no-print-directory all build/bench/scale-load
	@bench/scale

.PHONY: all unit deps run check deb install clean fuzz fuzz-build fuzz-smoke \
	bench bench-build bench-scale pkg-check print-layers mutate
