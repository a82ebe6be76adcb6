TEST_DEPS_capture := sensor/capture.c sensor/gzfile.c
# Until the Makefile's test rule links TEST_DEPS (the % in its patsubst is taken as the stem):
$(BUILD)/tests/test_capture: $(patsubst %.c,$(BUILD)/%.o,$(TEST_DEPS_capture))
