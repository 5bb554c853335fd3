# lib/ — modules shared by two or more programs.
$(eval $(call archive,tb,$(wildcard lib/*.c)))
