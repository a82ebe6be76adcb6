TEST_DEPS_lines := decoders/lines.c
