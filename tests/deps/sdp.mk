TEST_DEPS_sdp := decoders/sdp.c decoders/lines.c decoders/codec.c
