/* ring.c: lock-free SPSC frame ring over one byte arena (C11 7.17 atomics, acquire/release). */
#include "ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Layout. The arena holds variable-size records back to back, each 8-byte
 * aligned and never split across the end of the arena:
 *
 *   offset 0      4        8             16       20         24
 *         +------+--------+-------------+--------+----------+------------------+---------+
 *         | len  | caplen | ts_ns       | wirelen| linktype | frame bytes      | pad to 8|
 *         +------+--------+-------------+--------+----------+------------------+---------+
 *          len = RING_HDR_BYTES + caplen rounded up to 8 (the whole record)
 *
 * When the record does not fit between the write offset and the end, the
 * producer writes len = RING_WRAP there (at least 8 bytes remain, since every
 * offset is a multiple of 8) and the record goes to offset 0; the skipped tail
 * counts as used space until the consumer passes it.
 *
 * Positions. head (bytes ever written, wrap padding included) and tail (bytes
 * ever released) are 64-bit counters that never wrap in practice; used space
 * is head - tail <= size. Each side also keeps its arena offset (position
 * mod size) incrementally, so no division is needed. Because a record is at
 * most size/4, a wrap needs at most size/4 + size/4 of free space, so a push
 * into an empty ring always succeeds.
 *
 * Ordering. The producer writes the record bytes, then stores head with
 * release; the consumer loads head with acquire before reading them. The
 * consumer stores tail with release after it has finished with a record; the
 * producer loads tail with acquire before it overwrites that space. Each side
 * caches the other side's counter and reloads it only when the cached value
 * says empty (consumer) or full (producer), so the shared cache lines move
 * only when needed. The producer's and the consumer's fields live on separate
 * 64-byte cache lines to avoid false sharing.
 *
 * Waiting. ring_peek with a timeout and ring_wait_space sleep with nanosleep
 * in short steps (RING_SLEEP_MIN_NS doubling to RING_SLEEP_MAX_NS) rather than
 * use a futex or a condition variable: the fast path stays free of any lock
 * or system call, and the cost is at most RING_SLEEP_MAX_NS of extra latency
 * when the ring was idle, which the arena (megabytes) absorbs many times over.
 */

#define RING_ALIGN 8u
#define RING_HDR_BYTES 24u
#define RING_WRAP UINT32_MAX /* len value of a wrap marker */
#define RING_MIN_BYTES 4096u /* smallest arena ring_create accepts */
#define RING_CACHE_LINE 64
#define RING_SLEEP_MIN_NS 50000L  /* first sleep step: 50 us */
#define RING_SLEEP_MAX_NS 200000L /* longest sleep step: 200 us */
#define RING_WAIT_SPACE_NS                                                                         \
    10000000L                /* ring_wait_space gives up after 10 ms so callers can check stop */
#define RING_WAIT_FREE_DIV 4 /* ring_wait_space returns once a quarter of the arena is free */

struct ring {
    /* Read-only after ring_create. */
    uint8_t *arena;
    size_t size;    /* a multiple of 8 */
    size_t max_rec; /* size / 4: larger records are refused */

    /* Producer's line: the published head and the producer's private state. */
    alignas(RING_CACHE_LINE) _Atomic uint64_t head;
    uint64_t p_head;       /* == head, without the atomic load */
    uint64_t p_tail_cache; /* last tail seen */
    uint64_t p_want;       /* bytes the last refused ring_push needed (ring_wait_space) */
    size_t p_off;          /* p_head mod size */

    /* Consumer's line. */
    alignas(RING_CACHE_LINE) _Atomic uint64_t tail;
    uint64_t c_pos;        /* start of the record being read (wrap padding skipped) */
    uint64_t c_head_cache; /* last head seen */
    size_t c_off;          /* c_pos mod size */
    uint32_t c_len;        /* len of the peeked record, 0 when none */

    alignas(RING_CACHE_LINE) atomic_bool closed;
};

/* Record header fields, written and read with memcpy at 8-aligned offsets. */
struct ring_hdr {
    uint32_t len;
    uint32_t caplen;
    uint64_t ts_ns;
    uint32_t wirelen;
    int32_t linktype;
};

_Static_assert(sizeof(struct ring_hdr) == RING_HDR_BYTES, "ring header is 24 bytes");

struct ring *ring_create(size_t bytes)
{
    bytes &= ~(size_t)(RING_ALIGN - 1);
    if (bytes < RING_MIN_BYTES || bytes > ((size_t)RING_WRAP & ~(size_t)(RING_ALIGN - 1)) * 4)
        return NULL;
    size_t self = (sizeof(struct ring) + RING_CACHE_LINE - 1) & ~(size_t)(RING_CACHE_LINE - 1);
    struct ring *r = aligned_alloc(RING_CACHE_LINE, self); /* the atomics sit on their own lines */
    if (!r)
        return NULL;
    memset(r, 0, self);
    r->arena = aligned_alloc(RING_CACHE_LINE,
                             (bytes + RING_CACHE_LINE - 1) & ~(size_t)(RING_CACHE_LINE - 1));
    if (!r->arena) {
        free(r);
        return NULL;
    }
    r->size = bytes;
    r->max_rec = bytes / 4;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->closed, false);
    return r;
}

void ring_destroy(struct ring *r)
{
    if (!r)
        return;
    free(r->arena);
    free(r);
}

static void ring_nap(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

static long ring_next_nap(long ns)
{
    return ns * 2 > RING_SLEEP_MAX_NS ? RING_SLEEP_MAX_NS : ns * 2;
}

static int64_t ring_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool ring_push(struct ring *r, const struct frame *f)
{
    size_t need = ((size_t)RING_HDR_BYTES + f->caplen + RING_ALIGN - 1) & ~(size_t)(RING_ALIGN - 1);
    if (need > r->max_rec)
        return false;
    size_t contiguous = r->size - r->p_off; /* >= 8: offsets are multiples of 8 below size */
    size_t skip = need <= contiguous ? 0 : contiguous;
    uint64_t want = skip + need;
    if (r->size - (r->p_head - r->p_tail_cache) < want) {
        r->p_tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (r->size - (r->p_head - r->p_tail_cache) < want) {
            r->p_want = want;
            return false;
        }
    }
    if (skip) {
        uint32_t wrap = RING_WRAP;
        memcpy(r->arena + r->p_off, &wrap, sizeof wrap);
        r->p_off = 0;
    }
    /*
     * The header goes in field by field: building it on the stack and copying
     * it as one block made the CPU load 16 bytes that were just stored in
     * smaller pieces, a store-forwarding stall at every frame.
     */
    uint8_t *dst = r->arena + r->p_off;
    uint32_t len = (uint32_t)need;
    int32_t linktype = f->linktype;
    memcpy(dst + offsetof(struct ring_hdr, len), &len, sizeof len);
    memcpy(dst + offsetof(struct ring_hdr, caplen), &f->caplen, sizeof f->caplen);
    memcpy(dst + offsetof(struct ring_hdr, ts_ns), &f->ts_ns, sizeof f->ts_ns);
    memcpy(dst + offsetof(struct ring_hdr, wirelen), &f->wirelen, sizeof f->wirelen);
    memcpy(dst + offsetof(struct ring_hdr, linktype), &linktype, sizeof linktype);
    if (f->caplen)
        memcpy(dst + RING_HDR_BYTES, f->data, f->caplen);
    r->p_off += need;
    if (r->p_off == r->size)
        r->p_off = 0;
    r->p_head += want;
    atomic_store_explicit(&r->head, r->p_head, memory_order_release);
    return true;
}

bool ring_wait_space(struct ring *r)
{
    /*
     * Wait for a good share of the arena to come free, not for the first
     * released frame: a producer that is faster than the consumer (any file)
     * then sleeps and wakes once per RING_WAIT_FREE_DIV-th of the arena
     * instead of once per nap with a handful of frames each time. That is
     * hundreds of frames of work for the consumer, so the naps are the
     * longest step from the start (only files wait: live input drops).
     */
    uint64_t enough = r->size / RING_WAIT_FREE_DIV;
    if (enough < r->p_want)
        enough = r->p_want; /* at most size / 2: a record and a wrap */
    long nap = RING_SLEEP_MAX_NS;
    int64_t deadline = ring_mono_ns() + RING_WAIT_SPACE_NS;
    while (!atomic_load_explicit(&r->closed, memory_order_acquire)) {
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        if (r->size - (r->p_head - tail) >= enough)
            return true; /* ring_push reloads tail with acquire */
        if (ring_mono_ns() >= deadline)
            return true;
        ring_nap(nap);
        nap = ring_next_nap(nap);
    }
    return false;
}

void ring_close(struct ring *r)
{
    atomic_store_explicit(&r->closed, true, memory_order_release);
}

/* Fill *f from the record at the consumer's offset, stepping over a wrap marker. */
static void ring_read_record(struct ring *r, struct frame *f)
{
    uint32_t len;
    memcpy(&len, r->arena + r->c_off, sizeof len);
    if (len == RING_WRAP) {
        r->c_pos += r->size - r->c_off;
        r->c_off = 0;
        memcpy(&len, r->arena, sizeof len);
    }
    const uint8_t *src = r->arena + r->c_off;
    int32_t linktype;
    r->c_len = len;
    memcpy(&f->ts_ns, src + offsetof(struct ring_hdr, ts_ns), sizeof f->ts_ns);
    memcpy(&f->caplen, src + offsetof(struct ring_hdr, caplen), sizeof f->caplen);
    memcpy(&f->wirelen, src + offsetof(struct ring_hdr, wirelen), sizeof f->wirelen);
    memcpy(&linktype, src + offsetof(struct ring_hdr, linktype), sizeof linktype);
    f->linktype = linktype;
    f->data = src + RING_HDR_BYTES;
}

/*
 * Empty means c_pos caught up with head. After seeing "empty" and "closed",
 * head is loaded once more: the producer may have pushed its last frames
 * between the two loads, and they must still be delivered.
 */
static bool ring_has_frame(struct ring *r, bool *closed)
{
    if (r->c_pos != r->c_head_cache)
        return true;
    r->c_head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
    if (r->c_pos != r->c_head_cache)
        return true;
    if (atomic_load_explicit(&r->closed, memory_order_acquire)) {
        r->c_head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (r->c_pos != r->c_head_cache)
            return true;
        *closed = true;
    }
    return false;
}

bool ring_peek(struct ring *r, struct frame *f, int timeout_ms, bool *closed)
{
    bool dummy;
    if (!closed)
        closed = &dummy;
    *closed = false;
    if (r->c_len) { /* peeked and not released: the same frame again */
        ring_read_record(r, f);
        return true;
    }
    if (ring_has_frame(r, closed)) {
        ring_read_record(r, f);
        return true;
    }
    if (timeout_ms == 0 || *closed)
        return false;
    int64_t deadline = timeout_ms > 0 ? ring_mono_ns() + (int64_t)timeout_ms * 1000000 : 0;
    long nap = RING_SLEEP_MIN_NS;
    for (;;) {
        ring_nap(nap);
        nap = ring_next_nap(nap);
        if (ring_has_frame(r, closed)) {
            ring_read_record(r, f);
            return true;
        }
        if (*closed || (timeout_ms > 0 && ring_mono_ns() >= deadline))
            return false;
    }
}

void ring_release(struct ring *r)
{
    if (!r->c_len)
        return;
    r->c_pos += r->c_len;
    r->c_off += r->c_len;
    if (r->c_off == r->size)
        r->c_off = 0;
    r->c_len = 0;
    atomic_store_explicit(&r->tail, r->c_pos, memory_order_release);
}
