# Valor IVX — top-level build.
#
#   make            build every binary and test (debug)
#   make up / down  private dev stack + all services + gateway on :5002
#   make test       install deps, build, run unit, integration, e2e, k8s and compose tests
#   make asan       the same tests under AddressSanitizer + UBSan
#   make bench      release build, benchmarks side by side, table in bench/results.md
#   make fuzz       libFuzzer targets for FUZZ_SECONDS each
#   make lint / fmt-check / fmt / clean
#
# MODE selects the flavour: debug (default), release, asan, tsan. Output goes to
# build/$(MODE)/. Targets that need packages run scripts/install-deps.sh first
# and then build in a sub-make, so pkg-config is read after the install.

MODE ?= debug
B := build/$(MODE)
CC ?= cc

PKGS := libulfius liborcania libyder jansson libjwt hiredis libnats libpq libcurl gnutls libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null | sed 's/-I/-isystem /g')
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wvla -Wundef
CFLAGS_debug := -O1 -g
CFLAGS_release := -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
CFLAGS_asan := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_asan := -fsanitize=address,undefined
CFLAGS_tsan := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS_tsan := -fsanitize=thread

CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) -pthread $(CFLAGS_$(MODE)) -Icommon/include $(PKG_CFLAGS)
LDFLAGS := -pthread $(LDFLAGS_$(MODE))
LDLIBS := $(PKG_LIBS) -lm

# report/: libvalor-report, the PDF (cairo + pango) and HTML renderers. Only the services
# that serve reports link it and its libraries.
REPORT_PKGS := pangocairo fontconfig
REPORT_CFLAGS := $(shell pkg-config --cflags $(REPORT_PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
REPORT_LIBS := $(shell pkg-config --libs $(REPORT_PKGS) 2>/dev/null)
REPORT_SRC := $(wildcard report/src/*.c)
REPORT_OBJ := $(REPORT_SRC:%.c=$(B)/%.o)
REPORT_LIB := $(B)/libvalor-report.a
REPORT_USERS := svc-runs svc-deals
$(foreach s,$(REPORT_USERS),$(eval $(s)_LINK := $(REPORT_LIB))$(eval $(s)_LDLIBS := $(REPORT_LIBS)))

SERVICES := svc-auth svc-runs svc-financial svc-deals
COMPONENTS := gateway $(SERVICES)

COMMON_SRC := $(wildcard common/src/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
COMMON_LIB := $(B)/libvalor-common.a
TESTUTIL_OBJ := $(B)/common/tests/testutil.o

BINS := $(COMPONENTS:%=$(B)/bin/%)
TESTS :=
BENCHES :=

.PHONY: all build deps up down test asan tsan bench fuzz lint fmt fmt-check clean tests compose-test \
        k8s-check

all: build

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(COMMON_LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/report/%.o: CFLAGS += -Ireport/include -Ireport/src $(REPORT_CFLAGS)
$(REPORT_LIB): $(REPORT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# component(name, has_migrations)
define component
$(1)_SRC := $$(filter-out $(1)/src/main.c,$$(wildcard $(1)/src/*.c))
$(1)_OBJ := $$($(1)_SRC:%.c=$(B)/%.o)
$(1)_CFLAGS_EXTRA := -I$(1)/src
ifeq ($(2),yes)
$(1)_OBJ += $(B)/$(1)/migrations.o
$(B)/$(1)/migrations.c: $$(wildcard common/migrations/*.sql $(1)/migrations/*.sql) scripts/embed-sql.sh
	@mkdir -p $$(dir $$@)
	scripts/embed-sql.sh $$@ common/migrations $(1)/migrations
$(B)/$(1)/migrations.o: $(B)/$(1)/migrations.c
	$$(CC) $$(CFLAGS) -c $$< -o $$@
endif
$(B)/$(1)/%.o: CFLAGS += -I$(1)/src
$(B)/lib$(1).a: $$($(1)_OBJ)
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(B)/bin/$(1): $(B)/$(1)/src/main.o $(B)/lib$(1).a $$($(1)_LINK) $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$($(1)_LDLIBS)
$(1)_TESTS := $$(patsubst $(1)/tests/%.c,$(B)/tests/$(1)-%,$$(wildcard $(1)/tests/test_*.c))
$(B)/tests/$(1)-%: $(B)/$(1)/tests/%.o $(B)/lib$(1).a $$($(1)_LINK) $(TESTUTIL_OBJ) $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$($(1)_LDLIBS) $$(CHECK_LIBS)
$(B)/$(1)/tests/%.o: CFLAGS += -I$(1)/src -Icommon/tests $$(CHECK_CFLAGS)
TESTS += $$($(1)_TESTS)
$(1)_BENCHES := $$(patsubst $(1)/bench/%.c,$(B)/bench/$(1)-%,$$(wildcard $(1)/bench/bench_*.c))
$(B)/bench/$(1)-%: $(B)/$(1)/bench/%.o $(B)/lib$(1).a $$($(1)_LINK) $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$($(1)_LDLIBS)
$(B)/$(1)/bench/%.o: CFLAGS += -I$(1)/src
BENCHES += $$($(1)_BENCHES)
endef

$(eval $(call component,gateway,no))
$(foreach s,$(SERVICES),$(eval $(call component,$(s),yes)))

$(foreach s,$(REPORT_USERS),$(eval $(B)/$(s)/%.o: CFLAGS += -Ireport/include))

REPORT_TESTS := $(patsubst report/tests/%.c,$(B)/tests/report-%,$(wildcard report/tests/test_*.c))
TESTS += $(REPORT_TESTS)
$(B)/report/tests/%.o: CFLAGS += -Icommon/tests $(CHECK_CFLAGS)
$(B)/tests/report-%: $(B)/report/tests/%.o $(REPORT_LIB) $(TESTUTIL_OBJ) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(REPORT_LIBS) $(CHECK_LIBS)

COMMON_TESTS := $(patsubst common/tests/%.c,$(B)/tests/common-%,$(wildcard common/tests/test_*.c))
TESTS += $(COMMON_TESTS)
$(B)/common/tests/%.o: CFLAGS += -Icommon/tests $(CHECK_CFLAGS)
$(B)/tests/common-%: $(B)/common/tests/%.o $(TESTUTIL_OBJ) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

tests: $(TESTS)

# After the component templates: they fill TESTS and BENCHES.
build: $(BINS) tests $(BENCHES)

deps:
	@scripts/install-deps.sh

up: deps
	@$(MAKE) --no-print-directory build
	@scripts/dev.sh up

down:
	@scripts/dev.sh down

test: deps
	@$(MAKE) --no-print-directory fmt-check lint build
	@scripts/test.sh $(B)

asan: deps
	@$(MAKE) --no-print-directory MODE=asan build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0 \
		SKIP_COMPOSE_TEST=1 scripts/test.sh build/asan

# make tsan: the gateway's test programs under
# ThreadSanitizer (its worker, limiter and feed threads), against a private stack.
tsan: deps
	@$(MAKE) --no-print-directory MODE=tsan build
	@TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1 CK_TIMEOUT_MULTIPLIER=8 UNIT_ONLY=1 \
		TEST_PROGRAMS=gateway- scripts/test.sh build/tsan

# make fuzz: every libFuzzer target for FUZZ_SECONDS (default 60); see docs/fuzzing.md.
# (make test runs each target once over its seed corpus and regression inputs.)
fuzz: deps
	@scripts/fuzz.sh

# Also part of make test (scripts/test.sh); here to run alone.
compose-test:
	@scripts/compose-test.sh

k8s-check:
	@scripts/k8s-check.sh
	@tests/k8s/run.sh

LINT_SRC = $(wildcard common/src/*.c gateway/src/*.c $(SERVICES:%=%/src/*.c) \
           $(COMPONENTS:%=%/bench/*.c) report/src/*.c)
FMT_SRC = $(wildcard common/include/valor/*.h common/src/*.[ch] common/tests/*.[ch] \
          report/include/valor/*.h report/src/*.[ch] report/tests/*.[ch] \
          $(COMPONENTS:%=%/src/*.[ch]) $(COMPONENTS:%=%/tests/*.[ch]) $(COMPONENTS:%=%/bench/*.[ch]) \
          tests/fuzz/*.[ch])

bench: deps
	@$(MAKE) --no-print-directory MODE=release build
	@scripts/bench.sh build/release

lint: deps
	@scripts/lint.sh "$(PKG_CFLAGS) $(REPORT_CFLAGS)" $(LINT_SRC)

fmt-check:
	@clang-format --dry-run -Werror $(FMT_SRC) && echo "fmt-check: clean"

fmt:
	clang-format -i $(FMT_SRC)

clean:
	rm -rf build

# Keep objects of test programs (make treats them as intermediate otherwise).
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
