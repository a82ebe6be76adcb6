TEST_DEPS_media := decoders/media.c decoders/call.c decoders/rtp.c decoders/rtpstream.c decoders/rtcp.c decoders/sdp.c decoders/lines.c decoders/codec.c
