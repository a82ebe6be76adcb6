TEST_DEPS_json := exporters/json.c
