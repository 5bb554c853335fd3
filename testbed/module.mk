# testbed/ — the CLI.  Everything but main.c goes into libtestbed.a so that
# unit tests and fuzz targets link the same code.
testbed_SRCS := $(filter-out testbed/main.c testbed/monitor_main.c testbed/switch_plugin.c,$(wildcard testbed/*.c))
$(eval $(call archive,testbed,$(testbed_SRCS)))
$(eval $(call program,testbed,testbed/main.c,testbed tb,$(NL_LIBS) $(PCAP_LIBS) $(VDE_LIBS) -lpthread -lm))
# a host's monitor, spawned by up (guest.c): its own small program, so that
# each exec loads libvdeplug and libc, not libpcap's dozen libraries
$(eval $(call program,testbed-monitor,testbed/monitor_main.c,testbed tb,$(VDE_LIBS)))
# deep send buffers inside each segment's vde_switch (switch_plugin.c): a
# plugin that vde_switch loads, so built without the sanitizers of asan
# builds (vde_switch has no sanitizer runtime)
programs: $(BUILD)/lib/testbed-switchbuf.so
$(BUILD)/lib/testbed-switchbuf.so: testbed/switch_plugin.c lib/sockdeep.c lib/sockdeep.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -O2 -fPIC -shared -o $@ testbed/switch_plugin.c lib/sockdeep.c

# The topology parser and planner (h1): unit tests, fuzz target, benchmark.
$(eval $(call unittest,test_topo,tests/unit/test_topo.c,testbed tb,$(NL_LIBS)))
$(eval $(call unittest,test_plan,tests/unit/test_plan.c,testbed tb,$(NL_LIBS)))
$(eval $(call fuzzer,fuzz_topo,tests/fuzz/fuzz_topo.c,testbed tb,$(NL_LIBS),topologies tests/broken))

# make bench-parse: parse+plan time of generated topologies of 1000 to
# 100000 hosts (one range line, and one line per host).
.PHONY: bench-parse
BENCH_TARGETS += bench-parse
bench-parse: $(BUILD)/bin/testbed
	@testbed/bench_parse.sh $(BUILD)/bin/testbed

# testbed run / sweep: the Wilson interval, sweep combinations, ${data}
$(eval $(call unittest,test_sweep,tests/unit/test_sweep.c,testbed tb,$(NL_LIBS) $(PCAP_LIBS) $(VDE_LIBS) -lpthread -lm))

# the QEMU kind's fall-back from KVM to TCG
$(eval $(call unittest,test_guest_qemu,tests/unit/test_guest_qemu.c,testbed tb,$(NL_LIBS) $(PCAP_LIBS) $(VDE_LIBS) -lpthread -lm))
