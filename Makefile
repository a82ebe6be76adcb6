# sipscope: one hand-written Makefile (house style rule 22).
#   make            build ./sipscope
#   make run        install missing Debian packages, build, analyse a sample
#   make test       install missing Debian packages, then every check below, plain and under ASan+UBSan
#   make bench      throughput and memory on generated captures (needs ../shared/tools)
# Variables: BUILD=dir (objects), SANITIZE=1 (ASan+UBSan), T=name (unit-one).

CC      ?= cc
BUILD   ?= build/release
PREFIX  ?= /usr/local
SANITIZE ?=

PKGS      := libpcap libndpi rdkafka zlib ncursesw
TEST_PKGS := criterion
# pkg-config prints -I; dependency headers come in with -isystem (STYLE.md, dependency facts).
pc_cflags = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(1) 2>/dev/null))
pc_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)

CFLAGS_ORIGIN := $(origin CFLAGS)
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Werror
ifeq ($(SANITIZE),1)
CFLAGS  ?= -O2 -g
else
# Release: -O3 and link-time optimisation. Across files the linker inlines pool_at, the sv
# helpers and the JSON writer into their callers: 8 % fewer instructions on the SIP-heavy bench
# capture than -O2. Fat objects: test binaries link the same objects without LTO, quickly.
# Where the compiler takes it (GCC on x86), memset and memcpy of a fixed size that it does not
# turn into a few moves go to glibc, whose functions are picked for the CPU at load time, instead
# of rep stos/movs: their start-up cost tens of cycles on each clear of a parsed SIP message, a
# URI, an SDP media line. That was 4 % of the SIP-heavy bench capture's samples, and the run took
# 3 % less time with the calls (median of 15 interleaved runs); the RTP paths did not change.
STRINGOP := $(shell $(CC) -mstringop-strategy=libcall -Werror -x c -c /dev/null -o /dev/null \
                2>/dev/null && echo -mstringop-strategy=libcall)
RELEASE_OPT := -O3 -g -flto=auto $(STRINGOP)
CFLAGS  ?= $(RELEASE_OPT) -ffat-lto-objects
endif
# The program's link runs the link-time optimiser when the objects were built for it.
LTO_LDFLAGS = $(if $(findstring -flto,$(CFLAGS)),$(filter -O%,$(CFLAGS)) -flto=auto)
# Profile-guided optimisation of the release build with GCC (PGO=0 turns it off; CFLAGS given
# on the command line or in the environment, or another BUILD, leave it off): see $(PGO_STAMP).
PGO_GCC := $(shell $(CC) --version 2>/dev/null | grep -q 'Free Software Foundation' && echo 1)
ifeq ($(CFLAGS_ORIGIN)|$(SANITIZE)|$(BUILD)|$(PGO_GCC),undefined||build/release|1)
PGO ?= 1
endif
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE $(WARN) -MMD -MP $(call pc_cflags,$(PKGS))
LDLIBS  += $(call pc_libs,$(PKGS)) -lpthread -lm
ifeq ($(SANITIZE),1)
# SIP_CHECK_FAST: the SIP parser checks its fast paths against its general code on every message.
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
           -DSIP_CHECK_FAST
LDFLAGS += -fsanitize=address,undefined
endif

SRC_DIRS := decoders sensor exporters ui
LIB_SRCS := $(filter-out sensor/main.c,$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
BASE_OBJS := $(patsubst %.c,$(BUILD)/%.o,decoders/status.c decoders/addr.c decoders/hashkey.c decoders/pool.c \
             decoders/stats.c decoders/strstore.c)
LIB      := $(BUILD)/libsipscope.a
BIN      := $(if $(filter build/release,$(BUILD)),sipscope,$(BUILD)/sipscope)

TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
# A unit test links its module's objects plus the decoders/ base: tests/deps/<name>.mk may set
# TEST_DEPS_<name> (sources); without it the test links the whole library.
-include $(wildcard tests/deps/*.mk)

.PHONY: all run test test-all test-bins unit unit-one golden shared accuracy live kafka ui soak soak-short flood badfiles fuzz-short check-layers check-headers \
        check-alloc check-symbols check-format check bench fuzz asan format deps clean install golden-update

all: $(BIN)

# V=1 shows the full commands.
Q := $(if $(V),,@)

# $(call compile,extra flags): the one compile recipe (program, PGO and test objects).
define compile
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC    $@")
	$(Q)$(CC) $(CFLAGS) $(1) -c $< -o $@
endef

$(BUILD)/%.o: %.c
	$(call compile)

# PGO: build/pgo is first compiled instrumented and that program analyses every capture in
# samples/, writing counts (.gcda) beside its objects; the objects are then compiled again with
# the counts, and the program is linked from them. (The same object paths both times: GCC
# names a static function's counts after its object.) The library and the tests keep
# build/release's objects. Any change to a source, a header or a sample makes a new profile and
# rebuilds build/pgo. On the SIP-heavy bench capture the program runs 12 % fewer instructions
# than with -O3 -flto alone.
ifeq ($(PGO),1)
PGO_USE   := build/pgo
PGO_STAMP := $(PGO_USE)/pgo.stamp
PGO_TRAIN := $(sort $(wildcard samples/*.pcap samples/*.pcapng samples/*.pcap.gz))
PGO_OBJS  := $(patsubst %.c,$(PGO_USE)/%.o,sensor/main.c $(LIB_SRCS))
$(PGO_STAMP): $(LIB_SRCS) sensor/main.c $(wildcard $(addsuffix /*.h,$(SRC_DIRS))) $(PGO_TRAIN) Makefile
	@rm -rf $(PGO_USE)
	@CFLAGS="$(RELEASE_OPT) -fprofile-generate -fprofile-update=atomic" \
	    LDFLAGS=-fprofile-generate $(MAKE) --no-print-directory BUILD=$(PGO_USE) PGO=0 $(PGO_USE)/sipscope
	@echo "  PGO   $(words $(PGO_TRAIN)) captures from samples/"
	$(Q)for f in $(PGO_TRAIN); do $(PGO_USE)/sipscope cdr -r $$f -o /dev/null >/dev/null 2>&1; done; true
	$(Q)n=$$(find $(PGO_USE) -name '*.gcda' | wc -l); \
	    if [ "$$n" -lt 10 ]; then echo "PGO: the training run wrote $$n profiles" >&2; exit 1; fi
	@find $(PGO_USE) -name '*.o' -delete && rm -f $(PGO_USE)/sipscope $(PGO_USE)/libsipscope.a
	@touch $@
$(PGO_USE)/%.o: %.c $(PGO_STAMP)
	$(call compile,-fprofile-use -fprofile-partial-training -Wno-missing-profile)
endif

$(LIB): $(LIB_OBJS)
	@rm -f $@
	@$(if $(Q),echo "  AR    $@")
	$(Q)ar rcs $@ $^

$(BIN): $(if $(PGO_OBJS),$(PGO_OBJS),$(BUILD)/sensor/main.o $(LIB))
	@$(if $(Q),echo "  LD    $@")
	$(Q)$(CC) $(LDFLAGS) $(LTO_LDFLAGS) -o $@ $^ $(LDLIBS)

TEST_CFLAGS = $(call pc_cflags,$(TEST_PKGS))
TEST_LIBS   = $(call pc_libs,$(TEST_PKGS))
$(BUILD)/tests/%.o: tests/%.c
	$(call compile,$(TEST_CFLAGS))

# Keep test objects between runs (they are intermediate files of the test_% rule).
.SECONDARY:

.SECONDEXPANSION:
# (No literal % inside the secondary expansion: make would replace it with the stem.)
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $$(if $$(TEST_DEPS_$$*),$$(addsuffix .o,$$(addprefix $(BUILD)/,$$(basename $$(TEST_DEPS_$$*)))) $(BASE_OBJS),$(LIB)) $$(if $$(wildcard tests/builders.c),$(BUILD)/tests/builders.o)
	@$(if $(Q),echo "  LD    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(TEST_LIBS) $(LDLIBS)

# Every unit suite; Criterion prints its own summary per binary, run.sh adds the total.
unit: $(TEST_BINS)
	@tests/run_unit.sh $(TEST_BINS)

# One suite while working on a module: make unit-one T=sdp BUILD=build/dev-sdp
unit-one: $(BUILD)/tests/test_$(T)
	$(BUILD)/tests/test_$(T) --verbose=0

golden: $(BIN)
	@tests/golden/run.sh $(abspath $(BIN))

# RTP figures against tshark on every capture (samples/, and ../shared when present).
accuracy: $(BIN)
	@tests/accuracy/run.sh $(abspath $(BIN))

# Kafka export against librdkafka's mock cluster, run in its own process (tests/kafka/mockbroker.c);
# records read back with kcat.
MOCKBROKER := $(BUILD)/tests/kafka/mockbroker
$(MOCKBROKER): tests/kafka/mockbroker.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD    $@")
	$(Q)$(CC) -std=c11 -D_DEFAULT_SOURCE $(WARN) -O2 -g -o $@ $< $(call pc_cflags,rdkafka) $(call pc_libs,rdkafka)

kafka: $(BIN) $(MOCKBROKER)
	@tests/kafka/run.sh $(abspath $(BIN)) $(abspath $(MOCKBROKER))

# Damaged, foreign and odd captures: one clear line, the right exit status, no crash.
badfiles: $(BIN)
	@tests/badfiles/run.sh $(abspath $(BIN))

# Every libFuzzer target briefly (seconds each, fixed seed) plus the regression inputs.
fuzz-short:
	@tests/fuzz/short.sh

# Floods and memory bounds: a few seconds; FLOOD_BIG=1 adds the 1M-Call-ID INVITE flood.
flood: $(BIN)
	@tests/flood/run.sh $(abspath $(BIN))

# Live soak on loopback with sipp (root; skipped otherwise): make soak SOAK_SECONDS=600.
SOAK_SECONDS ?= 180
soak: $(BIN)
	@tests/soak/run.sh $(abspath $(BIN)) $(SOAK_SECONDS)

soak-short: $(BIN)
	@tests/soak/run.sh $(abspath $(BIN)) 30

# The dashboard in a real terminal: tmux send-keys / capture-pane on samples/.
ui: $(BIN)
	@tests/ui/run.sh $(abspath $(BIN))

# Live capture on loopback (needs root; skipped otherwise).
live: $(BIN)
	@tests/live/run.sh $(abspath $(BIN))

golden-update: $(BIN)
	@UPDATE=1 tests/golden/run.sh $(abspath $(BIN))

# Every capture of ../shared (when present) against its ground truth and tshark.
shared: $(BIN)
	@tests/shared/run.sh $(abspath $(BIN))

check-layers:
	@! grep -nE '#include *[<"](pcap|ndpi|librdkafka/rdkafka|rdkafka|curses|ncurses)[^>"]*[>"]|#include *"\.\./sensor/' decoders/*.[ch] \
	  || { echo "check-layers: decoders/ must not include capture, nDPI, Kafka or curses headers"; exit 1; }
	@! grep -n 'sensor/capture.h' exporters/*.[ch] ui/*.[ch] 2>/dev/null \
	  || { echo "check-layers: exporters/ and ui/ must not reach into sensor/capture.h"; exit 1; }
	@echo "check-layers: ok"

check-headers:
	@set -e; for h in $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.h)); do \
	  echo "#include \"$$h\"" | $(CC) -std=c11 -D_DEFAULT_SOURCE $(WARN) $(call pc_cflags,$(PKGS)) -I. -x c -fsyntax-only - \
	  || { echo "check-headers: $$h is not self-contained"; exit 1; }; done; echo "check-headers: ok"

# malloc/calloc/realloc/strdup only inside *_create functions (house style rule 14).
check-alloc:
	@tests/check_alloc.sh $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))

check-symbols: $(LIB)
	@tests/check_symbols.sh $(LIB)

check: check-layers check-headers check-alloc check-symbols check-format

deps:
	@.ci/install-deps

# The README's test command: dependencies, then everything, plain and sanitized.
test: deps
	@$(MAKE) --no-print-directory test-all

# Builds run on every core first (the checks that follow run one at a time).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test-all:
	@rm -f build/results.txt
	@$(MAKE) --no-print-directory -j$(JOBS) all test-bins
	@$(MAKE) --no-print-directory all unit check flood fuzz-short
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/asan SANITIZE=1 all test-bins
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 unit golden shared accuracy live kafka ui soak-short badfiles
	@tests/summary.sh

test-bins: $(TEST_BINS)

run: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	./sipscope calls -r samples/basic-call.pcap
	./sipscope ladder -r samples/basic-call.pcap
	./sipscope diagnose --sip-port 5080 -r samples/one-way-audio.pcap

bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@$(MAKE) --no-print-directory $(MOCKBROKER)
	@BENCH_BUILD="$(filter -O% -flto% -mstringop%,$(CFLAGS))$(if $(PGO_OBJS), + PGO from samples/)" \
	    tests/bench/run.sh $(abspath $(BIN))
	@tests/bench/kafka.sh $(abspath $(BIN)) $(abspath $(MOCKBROKER))

# ASan+UBSan build of the program: build/asan/sipscope
asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 all

# libFuzzer targets (clang), seeded from samples/: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SRCS = $(filter-out sensor/main.c,$(wildcard decoders/*.c sensor/*.c))
fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

install: $(BIN)
	install -D -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/sipscope

# Every C file of ours, tests and their helpers included (.clang-format; STYLE.md rule 22).
# Version 14 (Debian 12's) by name: another version may lay out the same code differently.
FORMAT_SRCS = $(foreach d,$(SRC_DIRS) tests,$(wildcard $(d)/*.[ch])) $(wildcard tests/*/*.[ch])
CLANG_FORMAT ?= $(or $(shell command -v clang-format-14 2>/dev/null),clang-format)
format:
	$(CLANG_FORMAT) -i $(FORMAT_SRCS)

check-format:
	@$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRCS) 2>&1 | head -20; \
	  $(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRCS) >/dev/null 2>&1 \
	  || { echo "check-format: not formatted as .clang-format says (make format fixes it)"; exit 1; }; \
	  echo "check-format: ok"

clean:
	rm -rf build sipscope

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
