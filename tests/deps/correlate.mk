TEST_DEPS_correlate := decoders/correlate.c decoders/call.c decoders/sip.c decoders/sip_uri.c decoders/lines.c decoders/sdp.c decoders/codec.c
