# Hotspot AAA — build, run and test.
#
#   make            build everything (installs Debian packages first if missing)
#   make run        local PostgreSQL + FreeRADIUS with rlm_hotspot + hotspotd, demo tenant
#   make test       lint, unit tests (ASan/UBSan), integration suites; "N passed, N failed"
#   make test SUITE=name   one suite (its file name without extension)
#   make lint       clang-format check + cppcheck
#   make install    hotspotd, rlm_hotspot.so, dictionary, migrations (PREFIX, DESTDIR),
#                   and the FreeRADIUS configuration (RADDB, RADDB_ENABLE=1, RADIUS_ENV)
#   make sim        the RouterOS simulator on 127.0.0.1 (routeros/README.md)
#
# Each folder adds its targets through its own fragment (*.mk), included below.

SHELL      := /bin/bash
ROOT       := $(CURDIR)
BUILD      := $(ROOT)/build
CC         ?= gcc
VERSION    := $(shell cat $(ROOT)/VERSION 2>/dev/null || echo 0.0.0)

WARN       := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wformat=2
CFLAGS_BASE := -std=gnu11 -g -O2 $(WARN) -D_GNU_SOURCE -fPIC -I$(ROOT) \
               -DHS_VERSION='"$(VERSION)"'
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all

# FreeRADIUS: installed headers plus the ones Debian's package lacks
# (fetched from the matching source package into build/fr-include).
FR_INCLUDE := $(BUILD)/fr-include
FR_STAMP   := $(FR_INCLUDE)/.stamp
FR_CFLAGS  := -I$(FR_INCLUDE) -DNDEBUG
FR_LIBDIR  := /usr/lib/freeradius

DEPS_STAMP := $(BUILD)/.deps-ok

# Filled by the fragments.
ALL_TARGETS :=
TEST_SUITES :=
LINT_SOURCES :=

.PHONY: all deps run test lint sim fuzz clean distclean install bench
all: deps

include scripts/scripts.mk
include common/common.mk
include routeros/routeros.mk
include radiusd-module/module.mk
include api/api.mk
include tests/tests.mk

all: $(ALL_TARGETS)

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(BUILD)
	bash scripts/deps.sh
	@touch $@

$(FR_STAMP): scripts/fr-headers.sh $(DEPS_STAMP)
	bash scripts/fr-headers.sh $(FR_INCLUDE)
	@touch $@

run: all
	bash scripts/run.sh

# rlm_hotspot against the stock set-up and the floor, one run (bench/README.md).
# BENCH_ARGS=--full for the anchor's full load. Then the API under wrk.
bench: $(RLM_HOTSPOT) $(HOTSPOTD)
	bash bench/bench.sh $(BENCH_ARGS)
	bash bench/api_bench.sh $(API_BENCH_ARGS)

test: all
	bash tests/run.sh $(if $(SUITE),--only $(SUITE)) $(TEST_SUITES)

lint: $(DEPS_STAMP)
	bash scripts/lint.sh $(sort $(LINT_SOURCES))

PREFIX ?= /usr/local
# The FreeRADIUS configuration goes into an existing raddb (docs/freeradius.md):
# RADDB_ENABLE=1 also links it into mods-enabled/ and sites-enabled/;
# RADIUS_ENV names a KEY=VALUE file with the database settings.
RADDB ?= /etc/freeradius/3.0
RADDB_ENABLE ?= 0
install: all
	install -D -m 0755 $(BUILD)/hotspotd $(DESTDIR)$(PREFIX)/bin/hotspotd
	install -D -m 0644 $(BUILD)/rlm_hotspot.so $(DESTDIR)$(FR_LIBDIR)/rlm_hotspot.so
	install -D -m 0644 dictionary/dictionary.hotspot $(DESTDIR)$(PREFIX)/share/hotspot-aaa/dictionary.hotspot
	install -d $(DESTDIR)$(PREFIX)/share/hotspot-aaa/migrations
	install -m 0644 sql/migrations/*.sql $(DESTDIR)$(PREFIX)/share/hotspot-aaa/migrations/
	DESTDIR='$(DESTDIR)' RADDB='$(RADDB)' RADDB_ENABLE='$(RADDB_ENABLE)' \
		RADIUS_ENV='$(RADIUS_ENV)' HS_MODULE_DIR='$(BUILD)' bash scripts/install-raddb.sh

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf var
