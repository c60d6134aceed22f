# osbroker — an Open Service Broker API responder for nginx (FastCGI) and CGI.
#
#   make          build build/osbroker and cgi-bin/osbroker.cgi
#   make run      install what is missing (apt), build, serve on 127.0.0.1:8080
#   make check    install what is missing, build, run every test suite
#   make install  PREFIX=/usr/local DESTDIR=
#   make bench    install what is missing (+ wrk), build, measure (bench/README.md)
#   make bench-scale  the same at 1,000,000 instances and 2,000,000 bindings

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS    := fcgi libcjson yaml-0.1 lmdb libxcrypt
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

B := build
SRCS := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
OBJS := $(SRCS:src/%.c=$(B)/obj/%.o)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(B)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

all: $(B)/osbroker cgi-bin/osbroker.cgi

$(B)/obj/%.o: src/%.c $(wildcard src/*.h) | $(B)/obj
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(B)/osbroker: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

# The CGI entry is the same program: it notices it was not started by a
# FastCGI spawner and answers exactly one request.  A CGI process is started
# for every request, and loading four more shared libraries was a third of
# its start (BENCHMARKS.md), so it is linked with the static archives of
# libfcgi, libyaml, liblmdb and libcrypt (Debian ships them in the -dev
# packages; libcjson has none).  It also runs on a host without those
# libraries.  The archives are prerequisites: after an upgrade of one of
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

$(B)/tests/%: tests/unit/%.c tests/unit/tap.h tests/unit/resp_desc.h $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Isrc -o $@ $< $(LIB_OBJS) $(PKG_LIBS)

$(B)/obj $(B)/tests:
	mkdir -p $@

unit: $(UNIT_BINS)

deps:
	@scripts/install-deps

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/osbroker-serve

check:
	@scripts/install-deps --test
	@$(MAKE) --no-print-directory all unit
	@tests/run

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(B)/osbroker $(DESTDIR)$(PREFIX)/bin/osbroker
	install -m 0644 man/osbroker.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 man/osbroker-catalog.5 $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf $(B) cgi-bin/osbroker.cgi

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
$(B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIB_OBJS)
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
# static file, minimal FastCGI, LMDB and CGI programs) in about five minutes.
# The minimal programs are built into build/bench/ with the project's
# warning flags (-Werror included, from the override above); a second broker
# with -DOSB_BENCH_NO_AUTH (auth check always passes) into build/bench-noauth/
# measures the cost of authentication.
#
#   make bench           BENCH_SECONDS=8 per measurement; knobs in bench/README.md
#   make bench-build     only build build/bench/* and build/bench-noauth/osbroker
BENCH_PROGS := build/bench/limit-fcgi build/bench/limit-lmdb build/bench/limit-cgi
BENCH_LIBS  := $(shell pkg-config --libs fcgi lmdb 2>/dev/null)

build/bench/%: bench/%.c | build/bench
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BENCH_LIBS)

build/bench:
	mkdir -p $@

bench-build: $(BENCH_PROGS)
	@$(MAKE) --no-print-directory B=build/bench-noauth \
	    CFLAGS='-O2 -g -DOSB_BENCH_NO_AUTH' build/bench-noauth/osbroker

bench:
	@scripts/install-deps --bench
	@$(MAKE) --no-print-directory all bench-build
	@bench/run

# `make bench-scale` (bench/scale): provision, fetch and deprovision on an
# empty store, then again after build/bench/scale-load has written 1,000,000
# instances and 2,000,000 bindings through the store API; and the bytes per
# record.  About 2 minutes and 3.5 GB of disk in a temporary directory.
build/bench/scale-load: bench/scale-load.c $(LIB_OBJS) | build/bench
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Isrc -o $@ $< $(LIB_OBJS) $(PKG_LIBS)

bench-scale:
	@scripts/install-deps --bench
	@$(MAKE) --no-print-directory all build/bench/scale-load
	@bench/scale

.PHONY: all unit deps run check install clean fuzz fuzz-build fuzz-smoke \
	bench bench-build bench-scale
