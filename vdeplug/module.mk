# vdeplug/ — libvdeplug_tbshm.so, a vdeplug4 plugin: tbshm://PATH joins two
# processes through shared-memory rings (shmring.c) instead of a Unix
# datagram socket.  A plugin that wirefilter and vde_plug load too, so
# built without the sanitizers of asan builds, like the switch plugin.
$(eval $(call archive,shmring,vdeplug/shmring.c))
$(eval $(call unittest,test_shmring,tests/unit/test_shmring.c,shmring,-lpthread))
programs: $(BUILD)/lib/libvdeplug_tbshm.so
$(BUILD)/lib/libvdeplug_tbshm.so: vdeplug/tbshm.c vdeplug/shmring.c vdeplug/shmring.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -O2 -fPIC -shared -o $@ vdeplug/tbshm.c vdeplug/shmring.c
# the plugin's own code linked into a test (not dlopen()ed, so that the
# sanitizers of asan builds see it)
$(eval $(call archive,tbshm,vdeplug/tbshm.c))
$(eval $(call unittest,test_tbshm,tests/unit/test_tbshm.c,tbshm shmring,-lpthread))
