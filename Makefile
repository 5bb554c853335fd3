# testbed — top Makefile.
#
# Every directory that builds something has a module.mk fragment that declares
# its archives, programs, unit tests and fuzz targets with the macros of
# mk/rules.mk; this file only includes them.  Everything is built out of tree
# into $(BUILD) (build/ by default; build/asan and build/fuzz for the
# sanitizer and fuzzer variants).

BUILD   ?= build
VARIANT ?= release
CC      ?= cc

PKGS       := libnl-3.0 libnl-route-3.0 libpcap libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# link flags for module.mk files to name in their LDLIBS
NL_LIBS    := $(shell pkg-config --libs libnl-3.0 libnl-route-3.0 2>/dev/null)
PCAP_LIBS  := $(shell pkg-config --libs libpcap 2>/dev/null)
CRYPTO_LIBS:= $(shell pkg-config --libs libcrypto 2>/dev/null)
VDE_LIBS   := -lvdeplug

CFLAGS_COMMON := -std=gnu11 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
                 -Wno-unused-parameter -D_GNU_SOURCE -I. -Ilib $(PKG_CFLAGS) -MMD -MP
ifeq ($(VARIANT),release)
  OPT_CFLAGS := -O2
  SAN_FLAGS  :=
else ifeq ($(VARIANT),asan)
  OPT_CFLAGS := -O1 -fno-omit-frame-pointer
  SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined
else ifeq ($(VARIANT),fuzz)
  CC         := clang
  OPT_CFLAGS := -O1 -fno-omit-frame-pointer -DFUZZING
  SAN_FLAGS  := -fsanitize=fuzzer-no-link,address,undefined
endif
CFLAGS  ?=
CFLAGS  += $(CFLAGS_COMMON) $(OPT_CFLAGS) $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)

.DEFAULT_GOAL := all
include mk/rules.mk
include $(sort $(wildcard */module.mk))

.PHONY: all programs unit-tests fuzzers asan deps test demo bench fuzz clean
all: programs unit-tests

deps:
	@mk/deps.sh

asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan VARIANT=asan all

fuzzers:
ifeq ($(VARIANT),fuzz)
fuzzers: $(FUZZERS_BUILT)
else
fuzzers:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz VARIANT=fuzz fuzzers
endif

# make test: install what is needed, build both variants, run every test.
NPROC := $(shell nproc 2>/dev/null || echo 2)
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@$(MAKE) --no-print-directory -j$(NPROC) asan
	@$(MAKE) --no-print-directory -j$(NPROC) fuzzers
	@$(MAKE) --no-print-directory images
	@TB_BUILD=$(BUILD) tests/run

# make fuzz: run every fuzz target for FUZZ_SECONDS each (not part of make test).
FUZZ_SECONDS ?= 120
fuzz: deps fuzzers
	@TB_BUILD=$(BUILD) tests/fuzz/run $(FUZZ_SECONDS)

demo: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@$(MAKE) --no-print-directory images
	@BUILD=$(BUILD) mk/demo.sh

bench: deps all $(BENCH_TARGETS)

clean:
	rm -rf build

-include $(DEPFILES)
