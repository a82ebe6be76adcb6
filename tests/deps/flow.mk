TEST_DEPS_flow := sensor/flow.c
