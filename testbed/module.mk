# testbed/ — the CLI.  Everything but main.c goes into libtestbed.a so that
# unit tests and fuzz targets link the same code.
testbed_SRCS := $(filter-out testbed/main.c,$(wildcard testbed/*.c))
$(eval $(call archive,testbed,$(testbed_SRCS)))
$(eval $(call program,testbed,testbed/main.c,testbed tb,$(NL_LIBS) -lm))
