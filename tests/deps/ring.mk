TEST_DEPS_ring := sensor/ring.c
