/* pipeline.c: two threads joined by the SPSC frame ring (house style rules 15-16). */
#include "pipeline.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ring.h"

#define PIPELINE_PEEK_MS CAPTURE_STOP_MS    /* the analysing thread's longest wait for a frame */
#define PIPELINE_FILE_RING_BYTES (4u << 20) /* ring for -r when --ring-mb is not given */

struct capture_thread {
    struct capture *cap;
    struct ring *ring;
    size_t max_frame; /* larger frames can never fit the ring */
    struct stats st;  /* touched only by the capture thread until joined */
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

/* Set by pipeline_print_counters() (SIGUSR1); the analysing thread prints and clears it. */
static atomic_bool pipeline_print_asked;

void pipeline_print_counters(void)
{
    atomic_store(&pipeline_print_asked, true);
}

/* The counters so far, as at exit with --stats: this thread's plus the capture thread's drops. */
static void pipeline_print_now(const struct stats *st, struct capture_thread *t)
{
    struct stats snap = *st;
    stats_add(&snap, STAT_DROP_RING, atomic_load_explicit(&t->drops_ring, memory_order_relaxed));
    stats_add(&snap, STAT_DROP_KERNEL,
              atomic_load_explicit(&t->drops_kernel, memory_order_relaxed));
    fputs("sipscope-stats ", stderr);
    stats_print_json(stderr, &snap);
    fflush(stderr);
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

/* on_tick's state: when it is next due, and frames analysed since the clock was last read. */
struct pipeline_ticker {
    const struct pipeline_config *cfg;
    struct capture_thread *t;
    struct worker *w;
    struct stats *st;
    struct history *hist;
    uint64_t period_ns;
    uint64_t next_ns;
    uint64_t packet_s; /* the packet-time second of the last tick */
    uint32_t frames;
};

static uint64_t pipeline_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Call on_tick if it is due: the worker's counters plus the capture thread's drops so far. */
static void pipeline_tick(struct pipeline_ticker *k)
{
    k->frames = 0;
    uint64_t now = pipeline_mono_ns();
    /* Also once per second of packet time, so a fast replay still gets per-second series. */
    uint64_t packet_s = worker_clock(k->w) / 1000000000u;
    bool new_second = k->packet_s && packet_s != k->packet_s;
    if (!k->packet_s)
        k->packet_s = packet_s; /* the first packet starts the count; it is no new second */
    if (now < k->next_ns && !new_second)
        return;
    k->packet_s = packet_s;
    k->next_ns = now + k->period_ns;
    struct stats snap = *k->st;
    stats_add(&snap, STAT_DROP_RING, atomic_load_explicit(&k->t->drops_ring, memory_order_relaxed));
    stats_add(&snap, STAT_DROP_KERNEL,
              atomic_load_explicit(&k->t->drops_kernel, memory_order_relaxed));
    k->cfg->on_tick(k->cfg->on_tick_ctx, worker_correlate(k->w), &snap, k->hist, false);
}

/*
 * The next frame for the analysing thread, waiting up to PIPELINE_PEEK_MS.
 * With on_tick, an empty ring is the moment to look at the clock (the
 * thread has nothing else to do), and so is every PIPELINE_TICK_CHECK_FRAMES
 * frames of a busy one; without it, no clock is read.
 */
static bool pipeline_peek(struct pipeline_ticker *k, struct ring *ring, struct frame *f,
                          bool *closed)
{
    if (!k->cfg->on_tick)
        return ring_peek(ring, f, PIPELINE_PEEK_MS, closed);
    if (++k->frames >= PIPELINE_TICK_CHECK_FRAMES)
        pipeline_tick(k);
    if (ring_peek(ring, f, 0, closed))
        return true;
    if (*closed)
        return false;
    pipeline_tick(k);
    return ring_peek(ring, f, PIPELINE_PEEK_MS, closed);
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

/* The run's result from the capture's, and everything freed. */
static enum pipeline_result pipeline_end(struct capture_thread *t, struct worker *w,
                                         struct history *hist, char *err, size_t errlen)
{
    enum pipeline_result res = PIPELINE_OK;
    if (t->result == CAPTURE_ERROR) {
        snprintf(err, errlen, "%s", t->err);
        res = PIPELINE_DAMAGED;
    }
    history_destroy(hist);
    worker_destroy(w);
    ring_destroy(t->ring);
    capture_close(t->cap);
    return res;
}

/*
 * The inline read takes frames in batches (worker_frames looks at each ahead
 * of its turn). Frames from the ring are taken one at a time: batches from it
 * were slower (CPU +20 % at 200 calls up), because a record's header, just
 * written by the capture thread on the other core, says where the next one
 * starts, so reading ahead waits for one transfer after another instead of
 * overlapping them with the analysis.
 */
#define PIPELINE_BATCH WORKER_BATCH_MAX

/*
 * A regular file read as fast as it goes (no pacing, no on_tick): one thread reads
 * and analyses. Each frame is analysed straight from the reader's buffer, so its
 * bytes are never copied into the ring and never cross to another core; the
 * file's reader cannot drop, so the ring's decoupling buys nothing here.
 */
static void pipeline_inline(struct capture_thread *t, struct worker *w, struct history *hist,
                            struct stats *st)
{
    for (;;) {
        if (atomic_load_explicit(&pipeline_print_asked, memory_order_relaxed)) {
            atomic_store(&pipeline_print_asked, false);
            pipeline_print_now(st, t);
        }
        struct frame f[PIPELINE_BATCH];
        size_t n;
        enum capture_result r =
            capture_next_batch(t->cap, f, PIPELINE_BATCH, &n, t->err, sizeof t->err);
        if (r == CAPTURE_TIMEOUT)
            continue;
        if (r != CAPTURE_FRAME) {
            t->result = r;
            return;
        }
        for (size_t i = 0; hist && i < n; i++)
            history_add(hist, &f[i]);
        worker_frames(w, f, n);
    }
}

enum pipeline_result pipeline_run(const struct pipeline_config *cfg, struct stats *st,
                                  correlate_call_fn on_call, correlate_reg_fn on_reg,
                                  media_stream_fn on_stream, void *ctx, char *err, size_t errlen)
{
    struct capture_thread t = {0};
    struct capture_config cc = cfg->capture;
    cc.stop = &pipeline_stopping;
    if (capture_open(&cc, &t.cap, err, errlen) != STATUS_OK)
        return PIPELINE_OPEN_FAILED;
    /*
     * Live input needs the large ring to ride out bursts. A file never drops
     * (its reader waits for room), so it gets a ring small enough to stay in
     * the cache: frames then go from the capture thread to the worker
     * without a round trip through memory.
     */
    size_t ring_bytes = cfg->ring_bytes          ? cfg->ring_bytes
                        : capture_is_live(t.cap) ? RING_DEFAULT_BYTES
                                                 : PIPELINE_FILE_RING_BYTES;
    /* --ring-mb (cfg->ring_bytes) keeps the ring for a file too. */
    /* A pipe or FIFO may stall: then the analysing thread must stay free to answer SIGUSR1. */
    bool inline_read =
        capture_is_regular_file(t.cap) && !(cc.speed > 0) && !cfg->on_tick && !cfg->ring_bytes;
    t.max_frame = ring_bytes / 4 - 64;
    t.ring = inline_read ? NULL : ring_create(ring_bytes);
    struct worker *w = worker_create(&cfg->worker, st, on_call, on_reg, on_stream, ctx);
    struct history *hist = cfg->history_bytes ? history_create(cfg->history_bytes) : NULL;
    if ((!inline_read && !t.ring) || !w || (cfg->history_bytes && !hist)) {
        snprintf(err, errlen, "not enough memory for the tables (lower the --max-* sizes)");
        history_destroy(hist);
        ring_destroy(t.ring);
        worker_destroy(w);
        capture_close(t.cap);
        return PIPELINE_NO_MEMORY;
    }
    if (cfg->on_open && !cfg->on_open(cfg->on_open_ctx, inline_read, err, errlen)) {
        history_destroy(hist);
        ring_destroy(t.ring);
        worker_destroy(w);
        capture_close(t.cap);
        return PIPELINE_OPEN_FAILED;
    }
    if (inline_read) {
        pipeline_inline(&t, w, hist, st);
        stats_merge(st, &t.st);
        worker_finish(w);
        return pipeline_end(&t, w, hist, err, errlen);
    }
    pthread_t th;
    if (pipeline_start_capture(&th, &t) != 0) {
        snprintf(err, errlen, "cannot start the capture thread");
        history_destroy(hist);
        ring_destroy(t.ring);
        worker_destroy(w);
        capture_close(t.cap);
        return PIPELINE_NO_MEMORY;
    }
    struct pipeline_ticker k = {
        .cfg = cfg,
        .t = &t,
        .w = w,
        .st = st,
        .hist = hist,
        .period_ns = (uint64_t)(cfg->tick_ms ? cfg->tick_ms : PIPELINE_DEFAULT_TICK_MS) * 1000000u,
    };
    bool stop_sent = false;
    uint64_t told_kernel = 0, told_ring = 0; /* drops last passed to the worker (it starts at 0) */
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
        if (atomic_load_explicit(&pipeline_print_asked, memory_order_relaxed)) {
            atomic_store(&pipeline_print_asked, false);
            pipeline_print_now(st, &t);
        }
        struct frame f;
        bool closed = false;
        if (pipeline_peek(&k, t.ring, &f, &closed)) {
            /* the worker hears of drops when the counts move, not at every frame */
            uint64_t dk = atomic_load_explicit(&t.drops_kernel, memory_order_relaxed);
            uint64_t dr = atomic_load_explicit(&t.drops_ring, memory_order_relaxed);
            if (dk != told_kernel || dr != told_ring) {
                worker_set_drops(w, dk, dr);
                told_kernel = dk;
                told_ring = dr;
            }
            if (hist)
                history_add(hist, &f);
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
    if (cfg->on_tick)
        cfg->on_tick(cfg->on_tick_ctx, worker_correlate(w), st, hist, true);
    /* The dashboard after a replay: the screen stays, and a save still needs the history. */
    while (cfg->on_tick && cfg->tick_after_end &&
           !atomic_load_explicit(&pipeline_stopping, memory_order_relaxed)) {
        struct timespec nap = {0, (long)(cfg->tick_ms ? cfg->tick_ms : PIPELINE_DEFAULT_TICK_MS) *
                                      1000000L};
        nanosleep(&nap, NULL);
        cfg->on_tick(cfg->on_tick_ctx, worker_correlate(w), st, hist, true);
    }
    return pipeline_end(&t, w, hist, err, errlen);
}
