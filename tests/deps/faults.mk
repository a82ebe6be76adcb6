TEST_DEPS_faults := decoders/faults.c decoders/mos.c decoders/codec.c decoders/rtpstream.c decoders/rtp.c decoders/sdp.c decoders/lines.c decoders/call.c
