TEST_DEPS_dpi := sensor/dpi.c sensor/flow.c decoders/rtp.c sensor/decode.c sensor/ipfrag.c
