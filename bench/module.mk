# bench/ — the emulator benchmark: tbgen (traffic generator and sink) and
# the scene script run by `make bench-emu` (docs/benchmarks.md).
$(eval $(call archive,tbbench,bench/rxstats.c))
$(eval $(call program,tbgen,bench/tbgen.c,tbbench tb,$(VDE_LIBS) -lm))
$(eval $(call program,tbsockdeep,bench/tbsockdeep.c,testbed tb,$(VDE_LIBS)))
$(eval $(call unittest,test_rxstats,tests/unit/test_rxstats.c,tbbench tb))

# The benchmark needs tbgen and testbed-emu (once emulator/ has a module.mk;
# until then it measures wirefilter alone and says so); `make deps` brings
# wirefilter, vde_switch, vde_plug2tap and iperf3.
.PHONY: bench-emu
BENCH_TARGETS += bench-emu
bench-emu: deps $(BUILD)/bin/tbgen $(BUILD)/bin/tbsockdeep $(BUILD)/lib/testbed-switchbuf.so $(BUILD)/lib/libvdeplug_tbshm.so $(if $(wildcard emulator/module.mk),$(BUILD)/bin/testbed-emu)
	TB_BUILD=$(BUILD) bench/emu.sh

# make bench-up: the boot storm (bench/up.sh, docs/boot-storm.md; issue 5):
# N hosts per kind at once, time until all READY, boot times, peak memory.
# BENCH_UP_KINDS, BENCH_UP_MAX, BENCH_UP_JOBS (-j), BENCH_UP_CAP: see the script.
.PHONY: bench-up
BENCH_TARGETS += bench-up
bench-up: deps programs images
	TB_BUILD=$(BUILD) BENCH_UP_DOCS=1 bench/up.sh

# make bench-experiment: paper 004's table 5 (16 hosts x 200 appliances,
# uml and qemu) with testbed run, and failure rate against host count with
# testbed sweep (bench/experiment.sh; docs/benchmarks.md; issue 6).
.PHONY: bench-experiment
BENCH_TARGETS += bench-experiment
bench-experiment: deps programs images
	TB_BUILD=$(BUILD) BENCH_EXP_DOCS=1 bench/experiment.sh
