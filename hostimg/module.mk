# hostimg/ — guest images (docs/guests.md).
#
# tbinit is linked statically (it is PID 1 of UML and QEMU guests, whose
# root has no C library) and only in the release variant: sanitizers do not
# link statically.  `make images` builds $(BUILD)/images/ with mkimages.sh from tbinit and
# whatever agents are in $(BUILD)/bin at that time (build them first).
TBINIT_SRCS := hostimg/tbinit.c lib/frame.c lib/hostcfg.c lib/nl.c lib/units.c lib/xalloc.c

ifeq ($(VARIANT),release)
programs: $(BUILD)/bin/tbinit
$(BUILD)/bin/tbinit: $(TBINIT_SRCS) lib/frame.h lib/hostcfg.h lib/nl.h lib/units.h lib/xalloc.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -Ilib \
		$(shell pkg-config --cflags libnl-3.0) -static -o $@ $(TBINIT_SRCS) \
		-lnl-route-3 -lnl-3 -lpthread -lm
endif

.PHONY: images uml-kernel
images: $(BUILD)/bin/tbinit uml-kernel
	@hostimg/mkimages.sh $(BUILD)

# testbed's own UML guest kernel (about 8 minutes the first time on a machine;
# kept in TB_CACHE, default /var/cache/testbed, after that)
uml-kernel:
	@hostimg/mkumlkernel.sh $(BUILD)

# unit tests of the modules the guest layer shares with tbinit
$(eval $(call unittest,test_hostcfg,tests/unit/test_hostcfg.c,tb,))

# make bench-guests: PSS per idle guest of each kind, how many UML guests boot
.PHONY: bench-guests
BENCH_TARGETS += bench-guests
bench-guests: images
	@hostimg/bench_guests.sh $(BUILD)
$(eval $(call fuzzer,fuzz_hostcfg,tests/fuzz/fuzz_hostcfg.c,tb,,tests/fuzz/seeds/fuzz_hostcfg))
$(eval $(call unittest,test_spawn,tests/unit/test_spawn.c,tb,))

# make bench-appliances-uml: appliances per UML guest (issue 6), one round each
.PHONY: bench-appliances-uml
BENCH_TARGETS += bench-appliances-uml
bench-appliances-uml: images
	@hostimg/bench_appliances_uml.sh $(BUILD)
