TEST_DEPS_spool := exporters/spool.c
