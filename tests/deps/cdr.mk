TEST_DEPS_cdr := exporters/cdr.c exporters/json.c decoders/call.c
