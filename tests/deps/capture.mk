TEST_DEPS_capture := sensor/capture.c sensor/gzfile.c
