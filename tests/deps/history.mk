TEST_DEPS_history := sensor/history.c sensor/decode.c sensor/ipfrag.c decoders/sip.c decoders/sip_uri.c decoders/lines.c
