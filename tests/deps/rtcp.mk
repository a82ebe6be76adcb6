TEST_DEPS_rtcp := decoders/rtcp.c
