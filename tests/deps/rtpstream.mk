# rtpstream decodes RFC 4733 payloads itself and only uses rtp.h for struct rtp_hdr.
TEST_DEPS_rtpstream := decoders/rtpstream.c
