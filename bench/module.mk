# bench/ — the emulator benchmark: tbgen (traffic generator and sink) and
# the scene script run by `make bench-emu` (docs/benchmarks.md).
$(eval $(call archive,tbbench,bench/rxstats.c))
$(eval $(call program,tbgen,bench/tbgen.c,tbbench tb,$(VDE_LIBS) -lm))
$(eval $(call unittest,test_rxstats,tests/unit/test_rxstats.c,tbbench tb))

# The benchmark needs tbgen and testbed-emu (once emulator/ has a module.mk;
# until then it measures wirefilter alone and says so); `make deps` brings
# wirefilter, vde_switch, vde_plug2tap and iperf3.
.PHONY: bench-emu
BENCH_TARGETS += bench-emu
bench-emu: deps $(BUILD)/bin/tbgen $(if $(wildcard emulator/module.mk),$(BUILD)/bin/testbed-emu)
	TB_BUILD=$(BUILD) bench/emu.sh
