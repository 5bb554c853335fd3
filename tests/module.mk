# tests/unit — unit tests of lib/ (module tests live beside their module's
# module.mk, built here too).
$(eval $(call unittest,test_units,tests/unit/test_units.c,tb))
$(eval $(call unittest,test_impair,tests/unit/test_impair.c,tb))
$(eval $(call unittest,test_fsutil,tests/unit/test_fsutil.c,tb))
$(eval $(call unittest,test_sockdeep,tests/unit/test_sockdeep.c,tb))
