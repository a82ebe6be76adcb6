/* pipeline.h: capture thread -> frame ring -> worker; start, drain and flush at end of input. */
#ifndef SIPSCOPE_SENSOR_PIPELINE_H
#define SIPSCOPE_SENSOR_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "../decoders/correlate.h"
#include "../decoders/stats.h"
#include "capture.h"
#include "worker.h"

struct pipeline_config {
    struct capture_config capture; /* its .stop is pipeline_run's own flag (pipeline_stop) */
    struct worker_config worker;
    size_t ring_bytes;
    /*
     * Called once, after the input opened and the tables were allocated, just
     * before the first frame is read and before any record is handed on (NULL:
     * no call). main truncates -o FILE here, so an input that cannot be opened
     * leaves an existing file as it was. Returning false (with one sentence in
     * err) abandons the run: pipeline_run returns PIPELINE_OPEN_FAILED.
     */
    bool (*on_open)(void *ctx, char *err, size_t errlen);
    void *on_open_ctx;
};

enum pipeline_result {
    PIPELINE_OK = 0,       /* input read to its end (or stopped by a signal) */
    PIPELINE_DAMAGED,      /* the file was damaged part-way; what came before was analysed */
    PIPELINE_OPEN_FAILED,  /* nothing could be read (missing file, not a capture, no rights),
                              or on_open refused */
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
                                  correlate_call_fn on_call, correlate_reg_fn on_reg,
                                  media_stream_fn on_stream, void *ctx, char *err, size_t errlen);

/*
 * Ask the pipeline to stop reading and flush: async-signal-safe (it only sets
 * a lock-free atomic flag, and never touches the capture, which another thread
 * may be closing). The capture thread sees it between frames and within
 * CAPTURE_STOP_MS on an idle pipe or FIFO; a live read waiting for a packet is
 * woken by pipeline_run's own thread within CAPTURE_STOP_MS. pipeline_run
 * then flushes every open call and returns PIPELINE_OK. A stop
 * asked before pipeline_run started stops it at once; the flag is never
 * cleared (one run per process).
 */
void pipeline_stop(void);

#endif
