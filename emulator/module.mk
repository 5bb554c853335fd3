# emulator/ — testbed-emu, the link emulator daemon.  Everything but main.c
# goes into libemu.a so unit tests and fuzz targets link the same code.
emu_SRCS := $(filter-out emulator/main.c,$(wildcard emulator/*.c))
$(eval $(call archive,emu,$(emu_SRCS)))
$(eval $(call program,testbed-emu,emulator/main.c,emu tb,$(PCAP_LIBS) $(VDE_LIBS) -lpthread -lm))
$(eval $(call unittest,test_emu_rng,tests/unit/test_emu_rng.c,emu tb,-lm))
$(eval $(call unittest,test_emu_lane,tests/unit/test_emu_lane.c,emu tb,-lm))
$(eval $(call unittest,test_emu_rule,tests/unit/test_emu_rule.c,emu tb,))
$(eval $(call unittest,test_emu_ctl,tests/unit/test_emu_ctl.c,emu tb,))
$(eval $(call fuzzer,fuzz_emu_ctl,tests/fuzz/fuzz_emu_ctl.c,emu tb,,tests/fuzz/seeds/fuzz_emu_ctl))
$(eval $(call fuzzer,fuzz_emu_rule,tests/fuzz/fuzz_emu_rule.c,emu tb,,tests/fuzz/seeds/fuzz_emu_rule))
