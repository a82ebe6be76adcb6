/* pipeline.c: two threads joined by the SPSC frame ring (house style rules 15-16). */
#include "pipeline.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "ring.h"

#define PIPELINE_PEEK_MS CAPTURE_STOP_MS /* the analysing thread's longest wait for a frame */

struct capture_thread {
    struct capture *cap;
    struct ring *ring;
    size_t max_frame;             /* larger frames can never fit the ring */
    struct stats st;              /* touched only by the capture thread until joined */
    enum capture_result result;
    char err[512];
    /* Drops so far, published for the analysing thread (per-call capture loss). */
    _Atomic uint64_t drops_ring;
    _Atomic uint64_t drops_kernel;
};

/*
 * Set by pipeline_stop(), typically from a signal handler. Read by the
 * capture (capture_config.stop: between frames and while a pipe is idle) and
 * by the analysing thread, which then calls capture_stop to wake a live read.
 * Only this flag is shared with a handler, so no handler can ever use a
 * capture that is being closed.
 */
static atomic_bool pipeline_stopping;
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2, "pipeline_stop must be async-signal-safe");

void pipeline_stop(void)
{
    atomic_store(&pipeline_stopping, true);
}

static void *capture_main(void *arg)
{
    struct capture_thread *t = arg;
    bool live = capture_is_live(t->cap);
    uint32_t polls = 0;
    for (;;) {
        struct frame f;
        enum capture_result r = capture_next(t->cap, &f, t->err, sizeof t->err);
        if (live && (r == CAPTURE_TIMEOUT || (++polls & 1023) == 0))
            atomic_store_explicit(&t->drops_kernel, capture_kernel_drops(t->cap),
                                  memory_order_relaxed);
        if (r == CAPTURE_TIMEOUT)
            continue;
        if (r != CAPTURE_FRAME) {
            t->result = r;
            break;
        }
        while (!ring_push(t->ring, &f)) {
            if (live || f.caplen > t->max_frame) {
                /* Live traffic never waits: a full ring is a counted drop. */
                stats_inc(&t->st, STAT_DROP_RING);
                atomic_fetch_add_explicit(&t->drops_ring, 1, memory_order_relaxed);
                break;
            }
            if (!ring_wait_space(t->ring))
                break;
        }
    }
    ring_close(t->ring);
    return NULL;
}

/*
 * Start the capture thread with SIGINT and SIGTERM blocked in it (it inherits
 * the mask in force at pthread_create), so those signals are handled by the
 * analysing thread and never interrupt the capture's own reads.
 */
static int pipeline_start_capture(pthread_t *th, struct capture_thread *t)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(th, NULL, capture_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

enum pipeline_result pipeline_run(const struct pipeline_config *cfg, struct stats *st,
                                  correlate_call_fn on_call, correlate_reg_fn on_reg,
                                  media_stream_fn on_stream, void *ctx, char *err, size_t errlen)
{
    struct capture_thread t = { 0 };
    struct capture_config cc = cfg->capture;
    cc.stop = &pipeline_stopping;
    if (capture_open(&cc, &t.cap, err, errlen) != STATUS_OK)
        return PIPELINE_OPEN_FAILED;
    size_t ring_bytes = cfg->ring_bytes ? cfg->ring_bytes : RING_DEFAULT_BYTES;
    t.max_frame = ring_bytes / 4 - 64;
    t.ring = ring_create(ring_bytes);
    struct worker *w = worker_create(&cfg->worker, st, on_call, on_reg, on_stream, ctx);
    if (!t.ring || !w) {
        snprintf(err, errlen, "not enough memory for the tables (lower the --max-* sizes)");
        ring_destroy(t.ring);
        worker_destroy(w);
        capture_close(t.cap);
        return PIPELINE_NO_MEMORY;
    }
    if (cfg->on_open && !cfg->on_open(cfg->on_open_ctx, err, errlen)) {
        ring_destroy(t.ring);
        worker_destroy(w);
        capture_close(t.cap);
        return PIPELINE_OPEN_FAILED;
    }
    pthread_t th;
    if (pipeline_start_capture(&th, &t) != 0) {
        snprintf(err, errlen, "cannot start the capture thread");
        ring_destroy(t.ring);
        worker_destroy(w);
        capture_close(t.cap);
        return PIPELINE_NO_MEMORY;
    }
    bool stop_sent = false;
    for (;;) {
        /*
         * A stop asked by a signal is passed on from here, in thread context:
         * libpcap's live read polls until a packet comes or pcap_breakloop
         * writes its wake-up descriptor, and only this thread, which closes
         * the capture after the join, may touch it (never the handler).
         */
        if (!stop_sent && atomic_load_explicit(&pipeline_stopping, memory_order_relaxed)) {
            capture_stop(t.cap);
            stop_sent = true;
        }
        struct frame f;
        bool closed = false;
        if (ring_peek(t.ring, &f, PIPELINE_PEEK_MS, &closed)) {
            worker_set_drops(w, atomic_load_explicit(&t.drops_kernel, memory_order_relaxed),
                             atomic_load_explicit(&t.drops_ring, memory_order_relaxed));
            worker_frame(w, &f);
            ring_release(t.ring);
        } else if (closed) {
            break;
        }
    }
    pthread_join(th, NULL);
    stats_add(&t.st, STAT_DROP_KERNEL, capture_kernel_drops(t.cap));
    stats_merge(st, &t.st);
    worker_finish(w);
    enum pipeline_result res = PIPELINE_OK;
    if (t.result == CAPTURE_ERROR) {
        snprintf(err, errlen, "%s", t.err);
        res = PIPELINE_DAMAGED;
    }
    worker_destroy(w);
    ring_destroy(t.ring);
    capture_close(t.cap);
    return res;
}
