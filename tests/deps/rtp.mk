# decoders/rtp.c alone (the decoders base is always linked).
TEST_DEPS_rtp := decoders/rtp.c
