# decoders/hashkey.c is in the decoders base every unit test links; naming it keeps the suite
# off the whole library.
TEST_DEPS_hashkey := decoders/hashkey.c
