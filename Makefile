# corral: a process supervisor.  See README.
#
# Debian's libev ships no .pc file, so -lev is the fallback; inih and Check
# come from pkg-config.  Every target that compiles first runs `deps`, which
# installs missing packages when run as root and otherwise says what to run;
# the targets that need more tools (lint, coverage, fuzz, bench-peers) do
# the same for theirs.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
BUILD	?= build
PKG_CONFIG ?= pkg-config
WERROR	?= -Werror
# Size over speed: corral's time goes to system calls, and every resident
# page of the binary counts in full against its Pss, since no other process
# maps it.  -Os and no .eh_frame (C needs none; -g keeps .debug_frame for
# debuggers) take the resident binary from 124 to 96 KiB (make bench W1).
CFLAGS	?= -Os -g -fno-asynchronous-unwind-tables
# Symbols bound at load (-z now, with full RELRO) and called through the
# GOT (-fno-plt): once trim.c has given back start-up's pages, a call into
# libc touches neither the PLT's page nor the dynamic linker's.  Apart
# from CFLAGS and LDFLAGS, so that every build has them (sanitize, the
# package's).
BIND_CFLAGS  = -fno-plt
BIND_LDFLAGS = -Wl,-z,relro,-z,now
WARN	 = -std=gnu11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wpointer-arith -Wcast-qual \
	   -Wwrite-strings -Wno-format-nonliteral $(WERROR)
CPPFLAGS += -D_GNU_SOURCE -MMD -MP
DEP_CFLAGS = $(shell $(PKG_CONFIG) --cflags inih)
DEP_LIBS   = $(shell $(PKG_CONFIG) --libs inih) \
	     $(shell $(PKG_CONFIG) --libs libev 2>/dev/null || echo -lev)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check)

DEB_PACKAGES = libev-dev libinih-dev check pkg-config

CORRAL_SRCS = src/values.c src/expand.c src/envfile.c src/sink.c src/logfmt.c src/log.c \
	      src/config.c src/confdiag.c src/confdata.c src/confkeys.c \
	      src/confread.c src/confapply.c src/confusers.c src/confdiff.c \
	      src/confvalue.c src/conffiles.c src/confcompose.c src/confcond.c \
	      src/confenv.c \
	      src/service.c src/plan.c \
	      src/spawn.c src/pidmap.c src/filesink.c src/journal.c src/output.c src/notify.c \
	      src/strbuf.c src/logbuf.c src/afile.c src/status.c src/metrics.c src/ctlpath.c src/trustdir.c src/control.c \
	      src/verbs.c src/svcnotify.c \
	      src/ratelimit.c \
	      src/children.c src/onstate.c src/health.c src/reaper.c src/lifecycle.c src/shutdown.c \
	      src/report.c src/supervisor.c src/requests.c src/signals.c \
	      src/creds.c src/sysdb.c src/sockets.c src/watch.c src/probe.c src/trim.c src/main.c
CORRAL_OBJS = $(CORRAL_SRCS:src/%.c=$(BUILD)/obj/%.o)
LIB_SRCS    = $(filter-out src/main.c,$(CORRAL_SRCS))
LIB_OBJS    = $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)

UNIT_SRCS   = $(wildcard tests/unit/*.c)
UNIT_OBJS   = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%.o)
INTEG_SRCS  = $(wildcard tests/integration/*.c)
INTEG_OBJS  = $(INTEG_SRCS:tests/integration/%.c=$(BUILD)/integ/%.o)
SVC_SRCS    = $(wildcard tests/integration/svc/*.c)
SVC_BINS    = $(SVC_SRCS:tests/integration/svc/%.c=$(BUILD)/svc/%)

all: $(BUILD)/corral $(BUILD)/corralctl

# $(call need,PACKAGES,IF-MISSING): installs the Debian packages that are
# missing, with apt-get as root; anyone else is told the command, and then
# IF-MISSING runs (exit 1 to stop, true to go on without them).
need = missing=""; \
	for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
		    missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			    apt-get install -y -qq $$missing >/dev/null || exit 1; \
		else \
			echo "missing packages:$$missing; run: sudo apt-get install -y$$missing"; \
			$(2); \
		fi; \
	fi

$(BUILD)/.deps-ok:
	@$(call need,$(DEB_PACKAGES),exit 1)
	@mkdir -p $(@D) && touch $@

deps: $(BUILD)/.deps-ok

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(DEP_CFLAGS) $(CFLAGS) $(BIND_CFLAGS) -c -o $@ $<

$(BUILD)/corral: $(LIB_OBJS) $(BUILD)/obj/main.o
	$(CC) $(CFLAGS) $(LDFLAGS) $(BIND_LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(BUILD)/corralctl: $(BUILD)/obj/ctl.o $(BUILD)/obj/ctlpath.o $(BUILD)/obj/verbs.o
	$(CC) $(CFLAGS) $(LDFLAGS) $(BIND_LDFLAGS) -o $@ $^

# The static pair (SPEC §17): one file to COPY into any image, scratch
# included.  Built apart, with SYSDB_FILES (sysdb.h: /etc/passwd, /etc/group
# and /etc/hosts read directly, since a static binary cannot load NSS
# modules), linked with Debian's libev.a and libinih.a and stripped.
STATIC_PACKAGES = libev-dev libinih-dev libc6-dev
STATIC_LIBS = -l:libinih.a -l:libev.a -lm
STATIC_CORRAL_OBJS = $(CORRAL_SRCS:src/%.c=$(BUILD)/static/%.o)

static: $(BUILD)/corral-static $(BUILD)/corralctl-static

$(BUILD)/.static-ok: | $(BUILD)/.deps-ok
	@$(call need,$(STATIC_PACKAGES),exit 1)
	@for a in libev.a libinih.a libc.a; do \
		$(CC) -print-file-name=$$a | grep -q / || \
		    { echo "$$a not found: install $(STATIC_PACKAGES)"; exit 1; }; \
	done
	@touch $@

$(BUILD)/static/%.o: src/%.c | $(BUILD)/.static-ok
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DSYSDB_FILES $(WARN) $(DEP_CFLAGS) $(CFLAGS) -c -o $@ $<

# --fatal-warnings: glibc warns when a static binary would need NSS.
$(BUILD)/corral-static: $(STATIC_CORRAL_OBJS)
	$(CC) -static -s -Wl,--fatal-warnings $(CFLAGS) $(LDFLAGS) -o $@ $^ \
	    $(STATIC_LIBS)

$(BUILD)/corralctl-static: $(BUILD)/static/ctl.o $(BUILD)/static/ctlpath.o \
    $(BUILD)/static/verbs.o
	$(CC) -static -s -Wl,--fatal-warnings $(CFLAGS) $(LDFLAGS) -o $@ $^

$(BUILD)/unit/%.o: tests/unit/%.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Isrc $(WARN) -Wno-missing-prototypes $(CHECK_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/integ/%.o: tests/integration/%.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Isrc $(WARN) -Wno-missing-prototypes $(CHECK_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/svc/%: tests/integration/svc/%.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) -Wno-missing-prototypes $(CFLAGS) -o $@ $<

$(BUILD)/check_unit: $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) $(CHECK_LIBS)

$(BUILD)/check_integration: $(INTEG_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

check: check-unit check-integration

check-unit: $(BUILD)/check_unit
	$(BUILD)/check_unit

check-integration: $(BUILD)/check_integration $(BUILD)/corral $(BUILD)/corralctl $(SVC_BINS)
	CORRAL_BIN=$(abspath $(BUILD)/corral) CORRAL_CTL=$(abspath $(BUILD)/corralctl) \
	CORRAL_SVC=$(abspath $(BUILD)/svc) CORRAL_SRC=$(CURDIR) $(BUILD)/check_integration

# A separate tree, so sanitized objects never mix with normal ones.
sanitize:
	$(MAKE) BUILD=build-san \
	    CFLAGS='-O1 -g -DCORRAL_DEBUG -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	    LDFLAGS='-fsanitize=address,undefined' check

# Beside the linters, the code map's two rules (tests/tools/): no function
# over 80 lines, no cycle of calls between files; both report before it fails.
lint: $(BUILD)/.deps-ok $(CORRAL_OBJS)
	@$(call need,mandoc cppcheck,exit 1)
	mandoc -Tlint -Wwarning man/*.[0-9]
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	    --std=c11 -D_GNU_SOURCE --inline-suppr src/
	@rc=0; tests/tools/funclen --max 80 || rc=1; \
	    tests/tools/filecalls --cycles $(CORRAL_OBJS) || rc=1; \
	    if grep -n -E -- '->state *=[^=]' src/*.c | grep -v '^src/service.c:'; then \
		echo "lint: only service.c assigns a state (service_step)"; rc=1; fi; \
	    exit $$rc

# The code map (tests/tools/): the longest functions, the calls between
# corral's files, and the cycles among them.
map: $(CORRAL_OBJS)
	@echo "longest functions:"; tests/tools/funclen --top 10
	@echo "calls between files:"; tests/tools/filecalls $(CORRAL_OBJS)
	@echo "cycles between files:"; tests/tools/filecalls --cycles $(CORRAL_OBJS) || true

run: $(BUILD)/corral
	$(BUILD)/corral -c conf/demo.conf

install: $(BUILD)/corral $(BUILD)/corralctl
	install -D -m 0755 $(BUILD)/corral $(DESTDIR)$(SBINDIR)/corral
	install -D -m 0755 $(BUILD)/corralctl $(DESTDIR)$(BINDIR)/corralctl
	install -D -m 0644 man/corral.8 $(DESTDIR)$(MANDIR)/man8/corral.8
	install -D -m 0644 man/corral.conf.5 $(DESTDIR)$(MANDIR)/man5/corral.conf.5
	install -D -m 0644 man/corralctl.1 $(DESTDIR)$(MANDIR)/man1/corralctl.1

# The Debian package (SPEC §17), from the templates in conf/debian/: the
# debian/ tree is made in $(BUILD)/deb, never at the top level.  The unit is
# conf/corral.service with the package's paths.
VERSION = $(shell sed -n 's/^\#define CORRAL_VERSION[^"]*"\(.*\)"/\1/p' src/main.c)
DEB_TOOLS = dpkg-dev debhelper lintian
DEB_TREE = $(BUILD)/deb/corral-$(VERSION)

deb:
	@$(call need,$(DEB_TOOLS) $(DEB_PACKAGES) $(STATIC_PACKAGES),exit 1)
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_TREE)
	cp -R Makefile README COPYING src man conf tests $(DEB_TREE)/
	cp -R conf/debian $(DEB_TREE)/debian
	sed -e 's/@VERSION@/$(VERSION)/' -e "s/@DATE@/$$(date -R)/" \
	    conf/debian/changelog.in >$(DEB_TREE)/debian/changelog
	rm $(DEB_TREE)/debian/changelog.in
	sed -e 's|/usr/local/sbin/|/usr/sbin/|g' -e 's|/usr/local/bin/|/usr/bin/|g' \
	    -e 's|/etc/corral.conf|/etc/corral/corral.conf|g' \
	    -e 's|^# corral under systemd.*|# corral under systemd, from the corral package.|' \
	    conf/corral.service >$(DEB_TREE)/debian/corral.service
	cd $(DEB_TREE) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning --info $(BUILD)/deb/corral_$(VERSION)_*.changes
	@ls -l $(BUILD)/deb/*.deb

# Line and branch coverage of src/ by the whole test suite (gcovr).
coverage:
	@$(call need,gcovr,exit 1)
	rm -rf build-cov
	$(MAKE) BUILD=build-cov CFLAGS='-O0 -g --coverage' LDFLAGS='--coverage' check
	gcovr --root . --filter src/ --object-directory build-cov/obj \
	    --print-summary --txt build-cov/coverage.txt build-cov/obj
	@tail -n 20 build-cov/coverage.txt

# The integration tests with corral under valgrind; any error fails them.
# valgrind makes corral some 10 times slower: every wait's bound, and
# Check's per-test timeout, stretch by as much.
valgrind: $(BUILD)/check_integration $(BUILD)/corral $(BUILD)/corralctl $(SVC_BINS)
	@$(call need,valgrind,exit 1)
	CORRAL_BIN=$(abspath tests/valgrind-corral) VALGRIND_TARGET=$(abspath $(BUILD)/corral) \
	CORRAL_CTL=$(abspath $(BUILD)/corralctl) CORRAL_SVC=$(abspath $(BUILD)/svc) \
	CORRAL_SRC=$(CURDIR) CORRAL_TEST_SLOWDOWN=10 CK_TIMEOUT_MULTIPLIER=10 \
	$(BUILD)/check_integration

# Stress and soak runs (not tests: minutes long, printing figures).
stress: $(BUILD)/corral $(BUILD)/corralctl
	python3 tests/stress/run.py $(STRESS_ARGS)

# Fuzzing with libFuzzer: one target per parser of outside input.  The
# library objects are built with clang in their own tree; FUZZ_SECONDS per
# target.  New inputs go to build-fuzz/corpus/, seeds stay in tests/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = config values control notify output expand envfile probe logfmt
FUZZ_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=all

fuzz:
	@$(call need,clang libclang-rt-dev,exit 1)
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS='$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link' \
	    $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus/$$t; \
		echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
		dict=; [ $$t = config ] && dict=-dict=tests/fuzz/config.dict; \
		build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		    -artifact_prefix=build-fuzz/crash-$$t- $$dict \
		    build-fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>build-fuzz/fuzz_$$t.log || \
		    { tail -40 build-fuzz/fuzz_$$t.log; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|peak_rss)|cov:' build-fuzz/fuzz_$$t.log | tail -3; \
	done

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJS)
	$(CC) $(CPPFLAGS) -Isrc $(WARN) -Wno-missing-prototypes $(FUZZ_FLAGS) -fsanitize=fuzzer \
	    -o $@ $^ $(DEP_LIBS)

clean:
	rm -rf build build-san build-cov build-fuzz

# Benchmarks (tests/bench/run.py, issue 8); never part of `make check`.
# `make bench BENCH_ARGS=--quick` is the short run.  bench-peers runs
# ../shared/bench/peers.py: the same workloads on tini, dumb-init, catatonit,
# supervisord, s6, runit and corral (PEERS_ARGS, e.g. '--quick --adapters
# tini,s6,corral').  CORRAL is absolute: peers.py starts it from a temp dir.
BENCH_SRCS  = $(wildcard tests/bench/*.c)
BENCH_BINS  = $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)
PEER_PACKAGES = tini dumb-init catatonit supervisor s6 runit
PEERS_ARGS ?= --all

$(BUILD)/bench/%: tests/bench/%.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $<

bench: all $(BENCH_BINS) $(BUILD)/svc/listener
	python3 tests/bench/run.py --build $(BUILD) $(BENCH_ARGS)

bench-peers: all
	@$(call need,$(PEER_PACKAGES),true)
	CORRAL=$(abspath $(BUILD)/corral) python3 ../shared/bench/peers.py $(PEERS_ARGS)

.PHONY: all deps check check-unit check-integration sanitize lint map run install clean \
	fuzz coverage valgrind stress bench bench-peers static deb
.DELETE_ON_ERROR:

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/unit/*.d $(BUILD)/integ/*.d \
    $(BUILD)/static/*.d)

# End-to-end proof of the shipped files where users put them (tests/e2e/):
# conf/corral.service under a real systemd booted with systemd-nspawn,
# conf/Dockerfile and conf/Dockerfile.scratch under podman, and the package
# of `make deb` on a clean Debian root.  Root, apt-get and Debian's archive needed;
# each part prints `SKIP: reason` when it cannot run here.  Roots and images
# are cached in /var/tmp/corral-e2e.  Never part of `make check`.
e2e: all
	@rc=0; bash tests/e2e/systemd.sh || rc=1; bash tests/e2e/podman.sh || rc=1; \
	    bash tests/e2e/package.sh || rc=1; exit $$rc

.PHONY: e2e
