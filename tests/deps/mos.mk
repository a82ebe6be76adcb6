TEST_DEPS_mos := decoders/mos.c decoders/codec.c
