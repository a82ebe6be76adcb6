/* pipeline.h: capture thread -> frame ring -> worker; start, drain and flush at end of input. */
#ifndef SIPSCOPE_SENSOR_PIPELINE_H
#define SIPSCOPE_SENSOR_PIPELINE_H

#include <stddef.h>

#include "../decoders/correlate.h"
#include "../decoders/stats.h"
#include "capture.h"
#include "worker.h"

struct pipeline_config {
    struct capture_config capture;
    struct worker_config worker;
    size_t ring_bytes;
};

enum pipeline_result {
    PIPELINE_OK = 0,       /* input read to its end (or stopped by a signal) */
    PIPELINE_DAMAGED,      /* the file was damaged part-way; what came before was analysed */
    PIPELINE_OPEN_FAILED,  /* nothing could be read (missing file, not a capture, no rights) */
    PIPELINE_NO_MEMORY,
};

/*
 * Run the whole pipeline to the end of input. The capture thread copies each
 * frame once into the ring (a file waits when the ring is full, live traffic
 * counts a drop); this thread analyses. Ended calls go to on_call as they
 * end, the rest at the end. Counters of both threads are summed into *st.
 * err gets one sentence when the result is not PIPELINE_OK.
 */
enum pipeline_result pipeline_run(const struct pipeline_config *cfg, struct stats *st,
                                  correlate_call_fn on_call, correlate_reg_fn on_reg, void *ctx,
                                  char *err, size_t errlen);

/* Ask a running pipeline to stop reading and flush (async-signal-safe). */
void pipeline_stop(void);

#endif
