/* pipeline.h: capture thread -> frame ring -> worker; start, drain and flush at end of input. */
#ifndef SIPSCOPE_SENSOR_PIPELINE_H
#define SIPSCOPE_SENSOR_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "../decoders/correlate.h"
#include "../decoders/stats.h"
#include "capture.h"
#include "history.h"
#include "worker.h"

#define PIPELINE_DEFAULT_TICK_MS 200u /* on_tick's period when tick_ms is 0 */
/* Frames analysed between two looks at the clock while frames keep coming (on_tick set). */
#define PIPELINE_TICK_CHECK_FRAMES 256u

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
     * batch: the input is a regular file read as fast as it goes, on this
     * thread, so nobody waits on each record as it is written.
     */
    bool (*on_open)(void *ctx, bool batch, char *err, size_t errlen);
    void *on_open_ctx;
    /*
     * The dashboard's hook (NULL: none, and the analysing loop reads no clock
     * at all). Called on the analysing thread (the one running pipeline_run),
     * between frames, every tick_ms of wall time (CLOCK_MONOTONIC; 0:
     * PIPELINE_DEFAULT_TICK_MS) and whenever packet time entered a new second
     * (so a fast replay still gives per-second figures): the clock is looked at every
     * PIPELINE_TICK_CHECK_FRAMES frames while frames keep coming, and each
     * time the ring is empty (an idle input ticks at least every
     * CAPTURE_STOP_MS + tick_ms). Then once more after the end of input, after
     * every open call was flushed to on_call, with done = true; not when the
     * run failed before reading (PIPELINE_OPEN_FAILED, PIPELINE_NO_MEMORY).
     * co: the correlator (its calls are only valid during the call). st: the
     * analysing thread's counters, with the capture thread's drop counters
     * (STAT_DROP_RING, STAT_DROP_KERNEL) so far filled in; a copy during the
     * run, the final sums (pipeline_run's *st) when done. h: the frame
     * history (NULL without history_bytes); on_tick may call history_save.
     */
    void (*on_tick)(void *ctx, const struct correlate *co, const struct stats *st,
                    struct history *h, bool done);
    void *on_tick_ctx;
    uint32_t tick_ms;
    /*
     * Keep calling on_tick (with done = true) every tick_ms after the end of
     * input until pipeline_stop(), with the correlator and the history still
     * there: the dashboard stays on a finished replay and can still save.
     */
    bool tick_after_end;
    /*
     * Bytes of frame history (0: none): the analysing thread copies every
     * frame into it before analysing it (history_add), for history_save.
     */
    size_t history_bytes;
};

enum pipeline_result {
    PIPELINE_OK = 0,      /* input read to its end (or stopped by a signal) */
    PIPELINE_DAMAGED,     /* the file was damaged part-way; what came before was analysed */
    PIPELINE_OPEN_FAILED, /* nothing could be read (missing file, not a capture, no rights),
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

/*
 * Ask for the counters so far on stderr, as one "sipscope-stats {json}" line
 * (SIGUSR1): async-signal-safe, like pipeline_stop. The analysing thread
 * prints them between frames, or within PIPELINE_PEEK_MS when idle.
 */
void pipeline_print_counters(void);

#endif
