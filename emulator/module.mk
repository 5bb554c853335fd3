# emulator/ — testbed-emu, the link emulator daemon.  Everything but main.c
# goes into libemu.a so unit tests and fuzz targets link the same code.
emu_SRCS := $(filter-out emulator/main.c,$(wildcard emulator/*.c))
$(eval $(call archive,emu,$(emu_SRCS)))
$(eval $(call program,testbed-emu,emulator/main.c,emu tb,$(PCAP_LIBS) $(VDE_LIBS) -lpthread -lm))
