# bench/ — the emulator benchmark: tbgen (traffic generator and sink) and
# the scene script run by `make bench-emu` (docs/benchmarks.md).
$(eval $(call archive,tbbench,bench/rxstats.c))
$(eval $(call program,tbgen,bench/tbgen.c,tbbench tb,$(VDE_LIBS) -lm))
$(eval $(call unittest,test_rxstats,tests/unit/test_rxstats.c,tbbench tb))

# The benchmark needs tbgen, the emulator (if it builds) and the peer tools.
.PHONY: bench-emu
BENCH_TARGETS += bench-emu
bench-emu: $(BUILD)/bin/tbgen $(wildcard $(BUILD)/bin/testbed-emu)
	TB_BUILD=$(BUILD) bench/emu.sh
