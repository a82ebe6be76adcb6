TEST_DEPS_ladder := exporters/ladder.c exporters/cdr.c exporters/json.c decoders/call.c
