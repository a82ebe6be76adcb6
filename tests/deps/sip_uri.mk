TEST_DEPS_sip_uri := decoders/sip_uri.c
