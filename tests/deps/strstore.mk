TEST_DEPS_strstore := decoders/strstore.c
