/* pipeline.c: two threads joined by the SPSC frame ring (house style rules 15-16). */
#include "pipeline.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "ring.h"

struct capture_thread {
    struct capture *cap;
    struct ring *ring;
    size_t max_frame;             /* larger frames can never fit the ring */
    struct stats st;              /* touched only by the capture thread until joined */
    enum capture_result result;
    char err[512];
};

/* The running capture, for pipeline_stop() from a signal handler. */
static _Atomic(struct capture *) running_capture;

void pipeline_stop(void)
{
    struct capture *c = atomic_load(&running_capture);
    if (c)
        capture_stop(c);
}

static void *capture_main(void *arg)
{
    struct capture_thread *t = arg;
    bool live = capture_is_live(t->cap);
    for (;;) {
        struct frame f;
        enum capture_result r = capture_next(t->cap, &f, t->err, sizeof t->err);
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
                break;
            }
            if (!ring_wait_space(t->ring))
                break;
        }
    }
    ring_close(t->ring);
    return NULL;
}

enum pipeline_result pipeline_run(const struct pipeline_config *cfg, struct stats *st,
                                  correlate_call_fn on_call, correlate_reg_fn on_reg, void *ctx,
                                  char *err, size_t errlen)
{
    struct capture_thread t = { 0 };
    if (capture_open(&cfg->capture, &t.cap, err, errlen) != STATUS_OK)
        return PIPELINE_OPEN_FAILED;
    size_t ring_bytes = cfg->ring_bytes ? cfg->ring_bytes : RING_DEFAULT_BYTES;
    t.max_frame = ring_bytes / 4 - 64;
    t.ring = ring_create(ring_bytes);
    struct worker *w = worker_create(&cfg->worker, st, on_call, on_reg, ctx);
    if (!t.ring || !w) {
        snprintf(err, errlen, "not enough memory for the tables (lower the --max-* sizes)");
        ring_destroy(t.ring);
        worker_destroy(w);
        capture_close(t.cap);
        return PIPELINE_NO_MEMORY;
    }
    atomic_store(&running_capture, t.cap);
    pthread_t th;
    if (pthread_create(&th, NULL, capture_main, &t) != 0) {
        snprintf(err, errlen, "cannot start the capture thread");
        atomic_store(&running_capture, NULL);
        ring_destroy(t.ring);
        worker_destroy(w);
        capture_close(t.cap);
        return PIPELINE_NO_MEMORY;
    }
    for (;;) {
        struct frame f;
        bool closed = false;
        if (ring_peek(t.ring, &f, 100, &closed)) {
            worker_frame(w, &f);
            ring_release(t.ring);
        } else if (closed) {
            break;
        }
    }
    pthread_join(th, NULL);
    atomic_store(&running_capture, NULL);
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
