TEST_DEPS_tcpreasm := sensor/tcpreasm.c
