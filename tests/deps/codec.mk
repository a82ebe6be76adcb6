TEST_DEPS_codec := decoders/codec.c
