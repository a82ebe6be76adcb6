TEST_DEPS_sip := decoders/sip.c decoders/sip_uri.c decoders/lines.c
