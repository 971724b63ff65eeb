# fdbroker — see README.md.  `make`, `make unit`, `make test`, `make demo`, `make asan`,
# `make fuzz`, `make bench`, `make install`, `make clean`.

CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib/fdbroker
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
EXAMPLEDIR ?= $(PREFIX)/share/doc/fdbroker/examples
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
BUILD   ?= build
SAN     ?=
# The version is the newest entry of debian/changelog: "fdbroker (0.1.0-1) ..."
# (sed, not dpkg-parsechangelog, so a plain `make` needs no dpkg tools).
VERSION := ${shell sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog}

WARN = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
       -Wpointer-arith -Wcast-align -Wformat=2 \
       -Werror=implicit-function-declaration -Werror=format-security
HARDEN = -fstack-protector-strong -D_FORTIFY_SOURCE=2
BASE_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Icommon $(WARN) $(HARDEN) $(CFLAGS) $(SAN)

COMMON_SRC = common/wire.c common/statx.c common/fdpass.c common/fdname.c common/filter.c \
             common/syscalls.c common/elfinfo.c common/handover.c
# helper/: one folder per part (README, Layout).  HELPER_LIB is what the unit
# tests link; the commands (cli/) come on top of it in fdbroker.
POLICY_SRC = $(wildcard helper/policy/*.c)
HELPER_LIB = $(POLICY_SRC) $(wildcard helper/conf/*.c helper/sys/*.c helper/audit/*.c \
             helper/learn/*.c helper/request/*.c helper/grant/*.c helper/core/*.c helper/front/*.c)
HELPER_SRC = $(HELPER_LIB) $(wildcard helper/cli/*.c)
SHIM_SRC   = shim/init.c shim/channel.c shim/open.c shim/reopen.c shim/stdio.c shim/socket.c shim/bind.c shim/accept.c shim/object.c shim/stat.c shim/access.c shim/exec.c

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
pic = $(patsubst %.c,$(BUILD)/pic/%.o,$(1))

FDBROKER = $(BUILD)/fdbroker
SHIM     = $(BUILD)/libfdshim.so
UNIT     = $(BUILD)/tests/unit-tests
INTEG    = $(BUILD)/tests/integration-tests
# Test programs: tests/bin/NAME.c -> $(BUILD)/tests/NAME, run under the shim;
# they may use the wire codec (common/) to speak the protocol themselves.
PROGS    = $(patsubst tests/bin/%.c,$(BUILD)/tests/%,$(wildcard tests/bin/*.c))
# Programs the shim cannot enter, for the seccomp front end's tests: each
# tests/seccomp/NAME.c built static ($(BUILD)/tests/static/NAME) and with
# musl-gcc, dynamic ($(BUILD)/tests/musl/NAME: the musl loader), and with
# glibc, dynamic ($(BUILD)/tests/glibc/NAME: the same program under the
# shim, for tests that run one program both ways).  Never
# with $(SAN): the sanitizers have no static or musl runtime.  (The Go
# programs, tests/go/, are built by the tests themselves.)
SC_NAMES = $(patsubst tests/seccomp/%.c,%,$(wildcard tests/seccomp/*.c))
SC_PROGS = $(patsubst %,$(BUILD)/tests/static/%,$(SC_NAMES)) \
           $(patsubst %,$(BUILD)/tests/musl/%,$(SC_NAMES)) \
           $(patsubst %,$(BUILD)/tests/glibc/%,$(SC_NAMES))
MUSL_CC ?= musl-gcc
SC_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS)
# Benchmark programs (make bench): plain C, one file each, run by scripts/bench.sh.
# opener-static is opener.c linked -static: the program the shim cannot enter
# (B8, B9, under the seccomp front end).
# channel_alternatives.c is a standalone study, built by hand (see its comment).
BENCHES  = floor_server opener opener-static bindloop tcpbench launch seccomp_floor
BENCH    = $(patsubst %,$(BUILD)/bench/%,$(BENCHES))

.PHONY: all unit test demo asan fuzz bench install clean deps FORCE
all: $(FDBROKER) $(SHIM) $(BUILD)/lib/layers.ok

# The layering, enforced: each folder of helper/ (and common/) is also built
# as an archive $(BUILD)/lib/LAYER.a, and scripts/layers.sh (which holds the
# table of who may use whom) fails the build when an archive's undefined
# symbol is defined by a layer it may not use, when policy does I/O, or when
# a file includes a header of such a layer; scripts/cycles.sh fails it when
# headers include each other, or objects call each other, in a cycle.
# fdbroker itself still links the objects.  A folder not there yet is skipped.
AR ?= ar
LAYERS := $(shell scripts/layers.sh --layers)
# a folder of helper/ the table does not know would go unchecked
UNLAYERED = $(filter-out $(LAYERS),$(patsubst helper/%/,%,$(wildcard helper/*/)))
layer_src = $(if $(filter common,$(1)),$(COMMON_SRC),$(wildcard helper/$(1)/*.c))
LAYER_LIBS = $(foreach l,$(LAYERS),$(if $(call layer_src,$(l)),$(BUILD)/lib/$(l).a))
# Known violations, let through while a re-laying is under way: LAYER:SYMBOL
# or LAYER:INCLUDE each (the check names an entry no longer needed).  None.
LAYER_EXCEPTIONS =

define layer_archive
$(BUILD)/lib/$(1).a: $(call obj,$(call layer_src,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && $(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(if $(call layer_src,$(l)),$(eval $(call layer_archive,$(l)))))

$(BUILD)/lib/layers.ok: $(LAYER_LIBS) scripts/layers.sh scripts/cycles.sh Makefile
	@test -z "$(UNLAYERED)" || { echo "layers: no layer for helper/$(UNLAYERED) in scripts/layers.sh" >&2; exit 1; }
	scripts/layers.sh $(BUILD)/lib $(LAYER_EXCEPTIONS)
	scripts/cycles.sh $(BUILD)
	@touch $@

# Install paths reach the code through $(GEN)/paths.h ("gen/paths.h"), not -D
# flags: make tracks a header (-MMD), so `make PREFIX=/opt/x && make install
# PREFIX=/usr` rebuilds what uses the paths.  The header is written on every
# make but replaced only when its content changes, or everything would
# rebuild every time.  Order-only: it must exist before the first compile;
# the .d files then make exactly its includers depend on it.
# The tests' FDB_BUILD_DIR stays a flag: it names the directory the object
# itself is built in, so it cannot go stale.
GEN = $(BUILD)/gen
BUILD_DIR_FLAG = -DFDB_BUILD_DIR='"$(abspath $(BUILD))"'
$(GEN)/paths.h: FORCE
	@mkdir -p $(dir $@)
	@{ echo '/* Generated by make from PREFIX, LIBDIR, SYSCONFDIR: do not edit. */'; \
	  echo '#define FDB_SHIM_PATH "$(LIBDIR)/libfdshim.so"'; \
	  echo '#define FDB_SYSCONFDIR "$(SYSCONFDIR)"'; } >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
FORCE:

$(BUILD)/%.o: %.c | $(GEN)/paths.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Ihelper -I$(BUILD) -Itests/integration $(if $(filter tests/%,$<),$(BUILD_DIR_FLAG)) \
	  $(if $(filter helper/cli/main.c,$<),-DFDB_VERSION_STRING='"$(VERSION)"') -MMD -MP -c -o $@ $<

# a new changelog entry is a new version
$(BUILD)/helper/cli/main.o: debian/changelog

# The shim: position independent, nothing exported but the interposed calls.
# open.c defines open() itself, which fortify's inline wrappers would shadow.
# A section per function, and the link drops those nothing calls (the parts
# of common/ only the broker uses): a page less of every client's memory.
# shim/libfdshim.ld keeps the code most programs never run (the files of
# exec, bind, accept and socket, and the exec hand-over's ELF and filter
# code) and the unwind table in mappings of their own, which a program that
# never calls them never maps.
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -fPIC -fvisibility=hidden -ffunction-sections -fdata-sections \
	  $(if $(filter shim/open.c,$<),-U_FORTIFY_SOURCE) -MMD -MP -c -o $@ $<

# relro + now as for the shim: the GOT is read-only once the broker runs.
$(FDBROKER): $(call obj,$(COMMON_SRC) $(HELPER_SRC))
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -Wl,-z,relro -Wl,-z,now -o $@ $^

$(SHIM): $(call pic,$(COMMON_SRC) $(SHIM_SRC)) shim/libfdshim.map shim/libfdshim.ld
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -shared -Wl,--version-script=shim/libfdshim.map \
	  -Wl,-z,now -Wl,-z,relro -Wl,--gc-sections -Wl,-T,shim/libfdshim.ld \
	  -o $@ $(filter %.o,$^) -ldl -lpthread

$(UNIT): $(call obj,$(wildcard tests/unit/*.c) $(COMMON_SRC) $(HELPER_LIB))
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ -lcriterion

# the programs it runs under the seccomp front end come with it (order-only:
# they are not linked in)
$(INTEG): $(call obj,$(wildcard tests/integration/*.c) $(COMMON_SRC)) | $(SC_PROGS)
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ -lcriterion

$(BUILD)/tests/static/%: tests/seccomp/%.c tests/seccomp/sc.h
	@mkdir -p $(dir $@)
	$(CC) -static $(SC_CFLAGS) $(HARDEN) -o $@ $< -pthread

$(BUILD)/tests/musl/%: tests/seccomp/%.c tests/seccomp/sc.h
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(SC_CFLAGS) -o $@ $< -pthread

$(BUILD)/tests/glibc/%: tests/seccomp/%.c tests/seccomp/sc.h
	@mkdir -p $(dir $@)
	$(CC) $(SC_CFLAGS) $(HARDEN) -o $@ $< -pthread

$(BUILD)/tests/%: $(BUILD)/tests/bin/%.o $(call obj,$(COMMON_SRC))
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ -lpthread

# scripts/deps.sh SET: the packages one target needs (all of them: make deps)
deps:
	@scripts/deps.sh all

# The unit suite alone: no root, no apt (a missing package is named, not
# installed), any BUILD= the user can write.
unit:
	@scripts/deps.sh --check build libcriterion-dev
	$(MAKE) $(UNIT)
	scripts/run-tests.sh --unit $(BUILD)

test:
	@scripts/deps.sh test
	$(MAKE) all $(UNIT) $(INTEG) $(PROGS)
	scripts/run-tests.sh $(BUILD)

# only what the demo runs: no test framework, servers or fuzzer
demo:
	@scripts/deps.sh demo
	$(MAKE) all
	scripts/demo.sh $(BUILD)

$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench.h tests/bench/floor.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/opener-static: tests/bench/opener.c tests/bench/bench.h tests/bench/floor.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LDFLAGS) -static -o $@ $< -lpthread

# B1-B9 of ../shared/BENCH.md against their floors and authbind (root; it
# installs authbind if missing); the table goes to stdout and $(BUILD)/bench.md,
# its picture to $(BUILD)/bench.svg.
bench:
	@scripts/deps.sh build passwd
	$(MAKE) all $(BENCH)
	scripts/bench.sh $(BUILD)

# The whole suite again, everything built with ASan + UBSan.
asan:
	@scripts/deps.sh test
	$(MAKE) BUILD=build-asan SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
	  CFLAGS='-O1 -g' all build-asan/tests/unit-tests build-asan/tests/integration-tests \
	  $(patsubst $(BUILD)/%,build-asan/%,$(PROGS))
	FDB_SANITIZER=1 scripts/run-tests.sh build-asan

# libFuzzer targets for the decoder, the policy parser and the address
# parsers, each run for FUZZ_SECONDS on a copy of its seed corpus (so new
# inputs land in build-fuzz/, never in tests/fuzz/corpus/).  A crash fails
# the make and leaves its input as build-fuzz/NAME-crash-*.  UBSan must not
# recover, or undefined behaviour would only be printed, never counted.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	       -std=gnu11 -D_GNU_SOURCE -Icommon -Ihelper $(WARN)
FUZZERS = wire policy addr

build-fuzz/fuzz_wire: tests/fuzz/fuzz_wire.c common/wire.c common/wire.h helper/policy/addr.c helper/policy/addr.h \
                      helper/policy/str.c helper/policy/str.h
build-fuzz/fuzz_policy: tests/fuzz/fuzz_policy.c $(POLICY_SRC) $(wildcard helper/policy/*.h)
build-fuzz/fuzz_addr: tests/fuzz/fuzz_addr.c helper/policy/addr.c helper/policy/addr.h \
                      helper/policy/str.c helper/policy/str.h
build-fuzz/fuzz_%:
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

fuzz:
	@scripts/deps.sh build fuzz
	$(MAKE) $(patsubst %,build-fuzz/fuzz_%,$(FUZZERS))
	set -e; for t in $(FUZZERS); do \
	  rm -rf build-fuzz/corpus/$$t; mkdir -p build-fuzz/corpus; \
	  cp -R tests/fuzz/corpus/$$t build-fuzz/corpus/$$t; \
	  build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build-fuzz/$$t- \
	    build-fuzz/corpus/$$t; \
	done

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(SYSCONFDIR)/fdbroker/policy.d
	install -m 0755 $(FDBROKER) $(DESTDIR)$(BINDIR)/fdbroker
	install -m 0644 $(SHIM) $(DESTDIR)$(LIBDIR)/libfdshim.so
	install -m 0644 man/fdbroker.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/fdbroker-policy.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/libfdshim.7 $(DESTDIR)$(MANDIR)/man7/
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/fdbroker.service.in >$(DESTDIR)$(UNITDIR)/fdbroker.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/fdbroker.service
	install -m 0644 systemd/fdbroker.socket $(DESTDIR)$(UNITDIR)/
	install -m 0644 examples/*.policy examples/*.service examples/README.md $(DESTDIR)$(EXAMPLEDIR)/
	install -m 0755 examples/icmp-probe.py $(DESTDIR)$(EXAMPLEDIR)/
	install -m 0644 completion/fdbroker $(DESTDIR)$(COMPLETIONDIR)/fdbroker
	test -e $(DESTDIR)$(SYSCONFDIR)/fdbroker/policy || \
	  install -m 0644 examples/fdbroker.policy $(DESTDIR)$(SYSCONFDIR)/fdbroker/policy

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
