TEST_DEPS_table := exporters/table.c exporters/cdr.c exporters/json.c decoders/call.c
