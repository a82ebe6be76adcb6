TEST_DEPS_sdp := decoders/sdp.c decoders/codec.c
