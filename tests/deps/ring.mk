TEST_DEPS_ring := sensor/ring.c
# Until the Makefile's test rule links TEST_DEPS (the % in its patsubst is taken as the stem):
$(BUILD)/tests/test_ring: $(patsubst %.c,$(BUILD)/%.o,$(TEST_DEPS_ring))
