TEST_DEPS_stream := exporters/stream.c exporters/table.c exporters/json.c decoders/mos.c decoders/codec.c decoders/rtpstream.c decoders/call.c
