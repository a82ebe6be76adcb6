/* test_ring.c: SPSC frame ring: FIFO order, wrap-around, full and oversize, two-thread stress. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../sensor/ring.h"

#define TEST_RING_SMALL 4096u     /* arena of most tests: largest record 1024 bytes */
#define TEST_REC_HDR 24u          /* record header bytes, see ring.c */
#define TEST_STRESS_FRAMES 300000 /* frames through the two-thread test */
#define TEST_STRESS_RING (64u << 10)
#define TEST_MAX_LEN 1500u

/* Payload byte i of frame `seq`: a pattern that differs per frame and per position. */
static uint8_t pattern(uint64_t seq, size_t i)
{
    return (uint8_t)(seq * 131u + i * 7u + (i >> 8));
}

/* Length of frame `seq` in the varying-size tests: 8..TEST_MAX_LEN, changing every frame. */
static uint32_t len_of(uint64_t seq)
{
    return 8u + (uint32_t)((seq * 2654435761u) % (TEST_MAX_LEN - 7u));
}

/* Frame `seq`: bytes 0..7 carry seq (big-endian), the rest the pattern. */
static void fill(uint8_t *buf, uint64_t seq, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        buf[i] = pattern(seq, i);
    for (uint32_t i = 0; i < 8 && i < len; i++)
        buf[i] = (uint8_t)(seq >> (56 - 8 * i));
}

static bool frame_ok(const struct frame *f, uint64_t seq, uint32_t len)
{
    if (f->caplen != len || f->wirelen != len + 100 || f->ts_ns != seq * 1000 + 7 ||
        f->linktype != (int)(seq % 300))
        return false;
    uint64_t got = 0;
    for (uint32_t i = 0; i < 8 && i < len; i++)
        got = got << 8 | f->data[i];
    if (len >= 8 && got != seq)
        return false;
    for (uint32_t i = 8; i < len; i++)
        if (f->data[i] != pattern(seq, i))
            return false;
    return true;
}

static struct frame make(uint8_t *buf, uint64_t seq, uint32_t len)
{
    fill(buf, seq, len);
    return (struct frame){.ts_ns = seq * 1000 + 7,
                          .caplen = len,
                          .wirelen = len + 100,
                          .linktype = (int)(seq % 300),
                          .data = buf};
}

Test(ring, create_rejects_tiny_arena)
{
    cr_assert_null(ring_create(0));
    cr_assert_null(ring_create(100));
    struct ring *r = ring_create(TEST_RING_SMALL);
    cr_assert_not_null(r);
    ring_destroy(r);
    ring_destroy(NULL);
}

Test(ring, fifo_order_and_contents)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    uint8_t buf[TEST_MAX_LEN];
    static const uint32_t lens[] = {60, 1, 0, 17, 300, 8, 9, 1000};
    for (uint64_t s = 0; s < 8; s++) {
        struct frame f = make(buf, s, lens[s]);
        cr_assert(ring_push(r, &f), "push %llu", (unsigned long long)s);
    }
    for (uint64_t s = 0; s < 8; s++) {
        struct frame f;
        bool closed = true;
        cr_assert(ring_peek(r, &f, 0, &closed));
        cr_assert_not(closed);
        cr_assert(frame_ok(&f, s, lens[s]), "frame %llu", (unsigned long long)s);
        ring_release(r);
    }
    struct frame f;
    bool closed = true;
    cr_assert_not(ring_peek(r, &f, 0, &closed), "empty");
    cr_assert_not(closed, "empty but not closed");
    ring_destroy(r);
}

Test(ring, frame_bytes_are_copied_at_push)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    uint8_t buf[64];
    struct frame in = make(buf, 5, sizeof buf);
    cr_assert(ring_push(r, &in));
    memset(buf, 0xee, sizeof buf); /* libpcap reuses its buffer at the next read */
    struct frame out;
    cr_assert(ring_peek(r, &out, 0, NULL));
    cr_assert(out.data != buf);
    cr_assert(frame_ok(&out, 5, sizeof buf));
    cr_assert_eq((uintptr_t)(out.data - TEST_REC_HDR) % 8, 0, "records are 8-byte aligned");
    ring_release(r);
    ring_destroy(r);
}

Test(ring, peek_twice_without_release_is_the_same_frame)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    uint8_t buf[100];
    struct frame a = make(buf, 1, 100);
    cr_assert(ring_push(r, &a));
    struct frame b = make(buf, 2, 50);
    cr_assert(ring_push(r, &b));
    struct frame f1, f2;
    cr_assert(ring_peek(r, &f1, 0, NULL));
    cr_assert(ring_peek(r, &f2, 0, NULL));
    cr_assert_eq(f1.data, f2.data);
    cr_assert(frame_ok(&f2, 1, 100));
    ring_release(r);
    ring_release(r); /* nothing peeked: no-op, frame 2 stays */
    cr_assert(ring_peek(r, &f1, 0, NULL));
    cr_assert(frame_ok(&f1, 2, 50));
    ring_release(r);
    cr_assert_not(ring_peek(r, &f1, 0, NULL));
    ring_destroy(r);
}

Test(ring, full_then_space_after_release)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    uint8_t buf[104];
    /* 24-byte header + 104 bytes = 128: exactly 32 records fill 4096 bytes */
    unsigned pushed = 0;
    for (uint64_t s = 0; s < 100; s++) {
        struct frame f = make(buf, s, sizeof buf);
        if (!ring_push(r, &f))
            break;
        pushed++;
    }
    cr_assert_eq(pushed, TEST_RING_SMALL / (TEST_REC_HDR + sizeof buf));
    struct frame f = make(buf, 32, sizeof buf);
    cr_assert_not(ring_push(r, &f), "still full");
    struct frame out;
    cr_assert(ring_peek(r, &out, 0, NULL));
    cr_assert_not(ring_push(r, &f), "a peeked frame still holds its space");
    ring_release(r);
    cr_assert(ring_push(r, &f), "one release makes room for one");
    for (uint64_t s = 1; s <= 32; s++) {
        cr_assert(ring_peek(r, &out, 0, NULL));
        cr_assert(frame_ok(&out, s, sizeof buf), "frame %llu", (unsigned long long)s);
        ring_release(r);
    }
    ring_destroy(r);
}

Test(ring, oversize_frame_refused_even_when_empty)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    static uint8_t big[TEST_RING_SMALL];
    struct frame f = {.ts_ns = 1, .caplen = TEST_RING_SMALL / 4 - TEST_REC_HDR, .data = big};
    cr_assert(ring_push(r, &f), "a quarter of the arena fits");
    f.caplen++;
    cr_assert_not(ring_push(r, &f), "one byte more does not");
    f.caplen = UINT32_MAX; /* hostile length: no overflow, no copy */
    cr_assert_not(ring_push(r, &f));
    struct frame out;
    cr_assert(ring_peek(r, &out, 0, NULL));
    cr_assert_eq(out.caplen, TEST_RING_SMALL / 4 - TEST_REC_HDR);
    ring_release(r);
    cr_assert_not(ring_peek(r, &out, 0, NULL));
    ring_destroy(r);
}

Test(ring, empty_frame_without_data)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    struct frame f = {.ts_ns = 42, .caplen = 0, .wirelen = 60, .linktype = 1, .data = NULL};
    cr_assert(ring_push(r, &f));
    struct frame out;
    cr_assert(ring_peek(r, &out, 0, NULL));
    cr_assert_eq(out.ts_ns, 42);
    cr_assert_eq(out.caplen, 0);
    cr_assert_eq(out.wirelen, 60);
    cr_assert_eq(out.linktype, 1);
    ring_release(r);
    ring_destroy(r);
}

/*
 * Single thread, many laps: keep the ring between a third and full with
 * frames of changing size, so records land at every offset and the wrap
 * marker path runs often. ASan would catch a record split across the end.
 */
Test(ring, wraps_many_times_with_varying_sizes)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    uint8_t buf[TEST_MAX_LEN];
    uint64_t next_in = 0, next_out = 0;
    uint64_t bytes = 0;
    for (unsigned round = 0; round < 20000; round++) {
        for (;;) { /* fill until full */
            uint32_t len = len_of(next_in) % 900;
            struct frame f = make(buf, next_in, len);
            if (!ring_push(r, &f))
                break;
            next_in++;
            bytes += len;
        }
        unsigned take = 1 + round % 5;
        for (unsigned i = 0; i < take && next_out < next_in; i++) {
            struct frame f;
            cr_assert(ring_peek(r, &f, 0, NULL));
            if (!frame_ok(&f, next_out, len_of(next_out) % 900))
                cr_assert_fail("frame %llu damaged", (unsigned long long)next_out);
            ring_release(r);
            next_out++;
        }
    }
    while (next_out < next_in) {
        struct frame f;
        cr_assert(ring_peek(r, &f, 0, NULL));
        cr_assert(frame_ok(&f, next_out, len_of(next_out) % 900));
        ring_release(r);
        next_out++;
    }
    cr_assert_gt(bytes, 100 * TEST_RING_SMALL, "many laps: %llu bytes", (unsigned long long)bytes);
    struct frame f;
    cr_assert_not(ring_peek(r, &f, 0, NULL));
    ring_destroy(r);
}

Test(ring, close_is_seen_after_draining)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    uint8_t buf[10];
    struct frame f = make(buf, 3, sizeof buf);
    cr_assert(ring_push(r, &f));
    cr_assert(ring_push(r, &f));
    ring_close(r);
    bool closed = true;
    struct frame out;
    cr_assert(ring_peek(r, &out, 100, &closed), "frames pushed before close still come");
    cr_assert_not(closed);
    ring_release(r);
    cr_assert(ring_peek(r, &out, 0, &closed));
    cr_assert_not(closed);
    ring_release(r);
    cr_assert_not(ring_peek(r, &out, 1000, &closed), "closed and empty: no wait");
    cr_assert(closed);
    cr_assert_not(ring_wait_space(r), "producer learns of the close");
    ring_destroy(r);
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

Test(ring, peek_timeout_waits_then_gives_up)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    struct frame out;
    bool closed = true;
    uint64_t t0 = mono_ms();
    cr_assert_not(ring_peek(r, &out, 30, &closed));
    uint64_t waited = mono_ms() - t0;
    cr_assert_not(closed);
    cr_assert_geq(waited, 30, "waited %llu ms", (unsigned long long)waited);
    cr_assert_lt(waited, 1000, "waited %llu ms", (unsigned long long)waited);
    ring_destroy(r);
}

Test(ring, wait_space_returns_while_open)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    uint64_t t0 = mono_ms();
    cr_assert(ring_wait_space(r), "open ring: true, after a short nap");
    cr_assert_lt(mono_ms() - t0, 1000);
    ring_destroy(r);
}

struct stress {
    struct ring *r;
    uint64_t frames;
    uint64_t full_waits;
};

static void *stress_producer(void *arg)
{
    struct stress *s = arg;
    static uint8_t buf[TEST_MAX_LEN];
    for (uint64_t seq = 0; seq < s->frames; seq++) {
        struct frame f = make(buf, seq, len_of(seq));
        while (!ring_push(s->r, &f)) { /* offline input never drops */
            s->full_waits++;
            if (!ring_wait_space(s->r))
                return NULL;
        }
    }
    ring_close(s->r);
    return NULL;
}

static void stress_run(size_t ring_bytes, uint64_t frames)
{
    struct stress s = {.r = ring_create(ring_bytes), .frames = frames};
    cr_assert_not_null(s.r);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, stress_producer, &s), 0);
    uint64_t seen = 0;
    uint64_t bad = 0;
    bool closed = false;
    while (!closed) {
        struct frame f;
        if (!ring_peek(s.r, &f, 1000, &closed))
            continue;
        if (!frame_ok(&f, seen, len_of(seen)))
            bad++;
        seen++;
        ring_release(s.r);
    }
    pthread_join(t, NULL);
    cr_assert_eq(bad, 0, "%llu frames out of order or damaged", (unsigned long long)bad);
    cr_assert_eq(seen, frames, "every frame once: %llu of %llu", (unsigned long long)seen,
                 (unsigned long long)frames);
    ring_destroy(s.r);
}

/* A few hundred thousand frames through a 64 KiB ring: thousands of laps and full states. */
Test(ring, two_threads_every_frame_in_order, .timeout = 120)
{
    stress_run(TEST_STRESS_RING, TEST_STRESS_FRAMES);
}

/* A ring that holds only a few frames of up to 1500 bytes: the producer waits most of the time. */
Test(ring, two_threads_tiny_ring, .timeout = 120)
{
    stress_run(2 * TEST_RING_SMALL, TEST_STRESS_FRAMES / 10);
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * A file's reader waits for a quarter of the arena, not for the first frame
 * released: with one record free it sleeps (at least one nap, 200 us); with
 * a quarter free it returns at once. A refused record larger than a quarter
 * (up to a quarter, plus the wrap it needs) is waited for whole.
 */
Test(ring, wait_space_waits_for_a_quarter_of_the_arena)
{
    struct ring *r = ring_create(TEST_RING_SMALL);
    uint8_t buf[104]; /* 128-byte records: 32 fill the arena, 8 are a quarter */
    for (uint64_t s = 0; s < 32; s++) {
        struct frame f = make(buf, s, sizeof buf);
        cr_assert(ring_push(r, &f));
    }
    struct frame f = make(buf, 32, sizeof buf), out;
    cr_assert_not(ring_push(r, &f));
    cr_assert(ring_peek(r, &out, 0, NULL));
    ring_release(r);
    uint64_t t0 = mono_us();
    cr_assert(ring_wait_space(r));
    cr_assert_geq(mono_us() - t0, 150, "one free record is not enough to wake the reader");
    for (int i = 0; i < 7; i++) {
        cr_assert(ring_peek(r, &out, 0, NULL));
        ring_release(r);
    }
    t0 = mono_us();
    cr_assert(ring_wait_space(r));
    cr_assert_lt(mono_us() - t0, 100000, "a quarter free: no wait");
    cr_assert(ring_push(r, &f));

    /* a record of 1024 bytes (the largest) after a refusal: waited for whole */
    static uint8_t big[1000];
    struct frame small = make(buf, 33, sizeof buf);
    while (ring_push(r, &small)) /* full again */
        ;
    struct frame g = make(big, 99, sizeof big);
    cr_assert_not(ring_push(r, &g));
    for (int i = 0; i < 8; i++) {
        cr_assert(ring_peek(r, &out, 0, NULL));
        ring_release(r);
    }
    cr_assert(ring_wait_space(r)); /* a quarter is free, the record needs more: the 10 ms cap */
    for (int i = 0; i < 2; i++) {
        cr_assert(ring_peek(r, &out, 0, NULL));
        ring_release(r);
    }
    t0 = mono_us();
    cr_assert(ring_wait_space(r));
    cr_assert_lt(mono_us() - t0, 100000);
    cr_assert(ring_push(r, &g), "room for the record, and for the wrap it may need");
    ring_destroy(r);
}
