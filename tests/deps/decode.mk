TEST_DEPS_decode := sensor/decode.c sensor/ipfrag.c
