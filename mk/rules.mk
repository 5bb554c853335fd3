# Build macros used by every module.mk.
#
#   $(eval $(call archive,NAME,SOURCES))
#       compiles SOURCES into $(BUILD)/lib/libNAME.a
#   $(eval $(call program,NAME,SOURCES,ARCHIVES,LDLIBS))
#       links $(BUILD)/bin/NAME from SOURCES plus the named archives
#   $(eval $(call unittest,NAME,SOURCES,ARCHIVES,LDLIBS))
#       links $(BUILD)/tests/NAME; tests/run runs every file there
#   $(eval $(call fuzzer,NAME,SOURCES,ARCHIVES,LDLIBS,CORPUS_DIRS))
#       links $(BUILD)/fuzz/NAME with libFuzzer (only in VARIANT=fuzz);
#       CORPUS_DIRS seed it, tests/fuzz/regress/NAME replays in make test
#
# ARCHIVES are listed most dependent first ("testbed tb").

OBJ := $(BUILD)/obj
DEPFILES :=
FUZZERS_BUILT :=

obj_of = $(patsubst %.c,$(OBJ)/%.o,$(1))
arch_of = $(foreach a,$(1),$(BUILD)/lib/lib$(a).a)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

define archive
DEPFILES += $(patsubst %.o,%.d,$(call obj_of,$(2)))
$(BUILD)/lib/lib$(1).a: $(call obj_of,$(2))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef

define program
DEPFILES += $(patsubst %.o,%.d,$(call obj_of,$(2)))
programs: $(BUILD)/bin/$(1)
$(BUILD)/bin/$(1): $(call obj_of,$(2)) $(call arch_of,$(3))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $(4)
endef

define unittest
DEPFILES += $(patsubst %.o,%.d,$(call obj_of,$(2)))
unit-tests: $(BUILD)/tests/$(1)
$(BUILD)/tests/$(1): $(call obj_of,$(2)) $(call arch_of,$(3))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $(4) -lm
endef

ifeq ($(VARIANT),fuzz)
define fuzzer
DEPFILES += $(patsubst %.o,%.d,$(call obj_of,$(2)))
FUZZERS_BUILT += $(BUILD)/fuzz/$(1)
$(BUILD)/fuzz/$(1): $(call obj_of,$(2)) $(call arch_of,$(3))
	@mkdir -p $$(dir $$@) $(BUILD)/fuzz/$(1).seeds
	$$(CC) $$(LDFLAGS) -fsanitize=fuzzer -o $$@ $$^ $(4) -lm
	@echo "$(5)" > $$@.corpus-dirs
endef
else
fuzzer =
endif
