TEST_DEPS_ipfrag := sensor/ipfrag.c
