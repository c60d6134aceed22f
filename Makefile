# osbroker — an Open Service Broker API responder for nginx (FastCGI) and CGI.
#
#   make          build build/osbroker and cgi-bin/osbroker.cgi
#   make run      install what is missing (apt), build, serve on 127.0.0.1:8080
#   make check    install what is missing, build, run every test suite
#   make install  PREFIX=/usr/local DESTDIR=

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
# FastCGI spawner and answers exactly one request.
cgi-bin/osbroker.cgi: $(B)/osbroker
	cp $< $@

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

.PHONY: all unit deps run check install clean
