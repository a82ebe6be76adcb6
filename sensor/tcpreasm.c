/* tcpreasm.c: per-direction TCP byte-stream reassembly for SIP (RFC 9293 §3.4; RFC 3261 §18.3). */
#include "tcpreasm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../decoders/pool.h"

/*
 * Model. A stream is one direction of a TCP connection, keyed by (src, dst).
 * It knows next_seq, the sequence number of the first byte it has not yet
 * received in order. Bytes it holds live in a buffer taken from a shared pool
 * only while something is pending:
 *
 *   buf[0 .. head_len)            in-order bytes the consumer left (a partial
 *                                 message); buf[0] has sequence
 *                                 base = next_seq - head_len
 *   ranges[i] = [off, off + len)  out-of-order bytes, offsets from base,
 *                                 sorted, disjoint, not touching, all past
 *                                 head_len, all below buffer_bytes
 *
 * Guarantees: every byte is offered to the consumer at most once in order
 * (retransmissions and overlaps are trimmed against next_seq); nothing is
 * copied when a segment arrives in order with nothing pending (except the
 * first data of a stream picked up without its SYN, below); a stream never
 * holds more than buffer_bytes, and a hole is skipped (counted) rather than
 * waited for when waiting would need more, or when the stream ends.
 *
 * A stream picked up without its SYN starts at the first data seen, but that
 * need not be its first byte: the segment before it may come next, reordered
 * on the wire or in the capture (an INVITE in two segments, the second seen
 * first). So that first data is held, not offered, until the next segment
 * handed in (of any stream, even a pure ACK: at most one stream holds, so
 * holding costs at most one buffer and delays by one segment), or until the
 * stream ends. While the consumer has taken nothing from the stream, a
 * segment from before its start moves the start back (re-base): the bytes
 * held so far become an out-of-order range behind it, and a held stream keeps
 * waiting. Data from before the start that comes once something was consumed
 * or skipped cannot be used: it is dropped and counted
 * (STAT_TCP_BEFORE_START), never taken for a retransmission. Held data is
 * offered with the stream's own endpoints and the time of the last segment
 * held (a synthetic record), so the consumer sees the packet time of the
 * bytes, not of the segment that released them.
 */

#define REASM_NS_PER_S 1000000000ULL
#define REASM_SEQ_HALF 0x80000000u /* sequence distances at or above this are "behind" */

enum reasm_flag {
    REASM_SYN_SEEN = 1u << 0,  /* isn is valid */
    REASM_TRUNCATED = 1u << 1, /* a segment was cut by the snaplen: the next hole never fills */
    REASM_UNSYNCED = 1u << 2,  /* started without SYN: isn + 1 is the first data seen */
    REASM_HOLD = 1u << 3,      /* the first data waits for the next segment: tcpreasm.held */
};

struct reasm_range {
    uint32_t off;
    uint32_t len;
};

/* Descriptor of one pooled buffer; the bytes live in the slab at the same index. */
struct reasm_buf {
    uint32_t head_len;
    uint32_t nranges;
    struct reasm_range ranges[TCPREASM_MAX_RANGES];
    uint32_t owner;       /* index of the stream holding it */
    struct pool_link lru; /* on tcpreasm.buf_lru */
};

struct reasm_stream {
    struct endpoint src;
    struct endpoint dst;
    uint64_t last_ns;     /* packet time of the last segment seen */
    uint32_t hnext;       /* hash chain */
    struct pool_link lru; /* on tcpreasm.lru, most recently used at the tail */
    uint32_t buf;         /* buffer index or POOL_NONE */
    uint32_t isn;         /* sequence number before the first byte (the SYN's) */
    uint32_t next_seq;
    uint8_t flags;
};

struct tcpreasm {
    struct pool *streams;
    struct pool *bufs; /* struct reasm_buf records */
    uint8_t *slab;     /* max_buffers * buffer_bytes */
    uint32_t *buckets; /* hash heads, nbuckets = mask + 1 */
    uint32_t mask;
    struct pool_list lru; /* every stream; head: least recently used */
    size_t cap;           /* buffer_bytes */
    uint64_t idle_ns;
    struct stats *st;
    struct stats own_stats;   /* when the caller gave none */
    uint32_t held;            /* the one stream with REASM_HOLD, or POOL_NONE */
    struct pool_list buf_lru; /* buffers in use; head: held by the stream idle longest */
};

/* ---- keys and the hash table ---- */

/* Zero the address bytes the family does not use, so hash and compare agree. */
static void reasm_norm(struct endpoint *e)
{
    size_t used = e->ip.family == 4 ? 4 : e->ip.family == 6 ? 16 : 0;
    memset(e->ip.b + used, 0, sizeof e->ip.b - used);
}

static uint32_t reasm_bucket(const struct tcpreasm *r, const struct endpoint *src,
                             const struct endpoint *dst)
{
    /* keyed (hashkey.h): the sender picks the addresses and ports, not the bucket */
    return (uint32_t)endpoint_hash(dst, endpoint_hash(src, 0)) & r->mask;
}

static struct reasm_stream *reasm_at(const struct tcpreasm *r, uint32_t idx)
{
    return pool_at(r->streams, idx);
}

/* Walks one hash chain only: at most the streams sharing a bucket. */
static uint32_t reasm_find(const struct tcpreasm *r, const struct endpoint *src,
                           const struct endpoint *dst)
{
    uint32_t i = r->buckets[reasm_bucket(r, src, dst)];
    while (i != POOL_NONE) {
        const struct reasm_stream *s = reasm_at(r, i);
        if (endpoint_eq(&s->src, src) && endpoint_eq(&s->dst, dst))
            return i;
        i = s->hnext;
    }
    return POOL_NONE;
}

#define REASM_LRU offsetof(struct reasm_stream, lru)
#define REASM_BUF_LRU offsetof(struct reasm_buf, lru)

/* Mark a stream used: it (and its buffer, if it holds one) moves to the most recent end. */
static void reasm_touch(struct tcpreasm *r, uint32_t idx)
{
    pool_list_remove(r->streams, &r->lru, idx, REASM_LRU);
    pool_list_push_tail(r->streams, &r->lru, idx, REASM_LRU);
    uint32_t b = reasm_at(r, idx)->buf;
    if (b != POOL_NONE) {
        pool_list_remove(r->bufs, &r->buf_lru, b, REASM_BUF_LRU);
        pool_list_push_tail(r->bufs, &r->buf_lru, b, REASM_BUF_LRU);
    }
}

/* ---- buffers ---- */

static struct reasm_buf *reasm_buf(const struct tcpreasm *r, const struct reasm_stream *s)
{
    return pool_at(r->bufs, s->buf);
}

static uint8_t *reasm_bytes(const struct tcpreasm *r, const struct reasm_stream *s)
{
    return r->slab + (size_t)s->buf * r->cap;
}

static void reasm_free(struct tcpreasm *r, uint32_t idx);

/*
 * No buffer is free: take back the one held by the stream idle longest (the
 * head of buf_lru) by ending that stream, counted STAT_TCP_EVICTED, and its
 * unfinished bytes STAT_TCP_PARTIAL (they are dropped, not delivered: this
 * runs in the middle of another stream's segment). So connections that each
 * leave a partial message and go quiet (a flood, or slowloris) cost their own
 * oldest members, never the next split message of a live SIP connection.
 */
static void reasm_buf_reclaim(struct tcpreasm *r)
{
    const struct reasm_buf *b = pool_at(r->bufs, r->buf_lru.head);
    stats_inc(r->st, STAT_TCP_EVICTED);
    if (b->head_len > 0)
        stats_inc(r->st, STAT_TCP_PARTIAL);
    if (b->nranges > 0)
        stats_inc(r->st, STAT_TCP_GAPS);
    reasm_free(r, b->owner);
}

/* Take a buffer for s, reclaiming the idlest one when none is free; false only if none exists. */
static bool reasm_buf_take(struct tcpreasm *r, struct reasm_stream *s)
{
    if (s->buf != POOL_NONE)
        return true;
    s->buf = pool_get(r->bufs); /* zeroes only the small descriptor, not the bytes */
    if (s->buf == POOL_NONE && r->buf_lru.head != POOL_NONE) {
        reasm_buf_reclaim(r);
        s->buf = pool_get(r->bufs);
    }
    if (s->buf == POOL_NONE)
        return false;
    reasm_buf(r, s)->owner = pool_index(r->streams, s);
    pool_list_push_tail(r->bufs, &r->buf_lru, s->buf, REASM_BUF_LRU);
    return true;
}

static void reasm_buf_release(struct tcpreasm *r, struct reasm_stream *s)
{
    pool_list_remove(r->bufs, &r->buf_lru, s->buf, REASM_BUF_LRU);
    pool_put(r->bufs, s->buf);
    s->buf = POOL_NONE;
}

/* Give the buffer back when nothing is pending any more. */
static void reasm_buf_maybe_release(struct tcpreasm *r, struct reasm_stream *s)
{
    if (s->buf == POOL_NONE)
        return;
    const struct reasm_buf *b = reasm_buf(r, s);
    if (b->head_len == 0 && b->nranges == 0)
        reasm_buf_release(r, s);
}

/* End of the highest byte held, as an offset from base. */
static size_t reasm_extent(const struct reasm_buf *b)
{
    if (b->nranges == 0)
        return b->head_len;
    const struct reasm_range *last = &b->ranges[b->nranges - 1];
    return (size_t)last->off + last->len;
}

/* Drop the first n bytes of the buffer (n <= extent): everything moves down. */
static void reasm_buf_shift(struct tcpreasm *r, struct reasm_stream *s, size_t n)
{
    struct reasm_buf *b = reasm_buf(r, s);
    uint8_t *bytes = reasm_bytes(r, s);
    size_t ext = reasm_extent(b);
    if (n == 0)
        return;
    memmove(bytes, bytes + n, ext - n);
    b->head_len = n >= b->head_len ? 0 : b->head_len - (uint32_t)n;
    for (uint32_t i = 0; i < b->nranges; i++)
        b->ranges[i].off -= (uint32_t)n; /* every range starts past head_len >= n */
}

/* Fold the ranges that now touch the head into it; next_seq follows. */
static void reasm_merge_head(struct tcpreasm *r, struct reasm_stream *s)
{
    struct reasm_buf *b = reasm_buf(r, s);
    uint32_t drop = 0;
    while (drop < b->nranges && b->ranges[drop].off <= b->head_len) {
        uint32_t end = b->ranges[drop].off + b->ranges[drop].len;
        if (end > b->head_len) {
            s->next_seq += end - b->head_len;
            b->head_len = end;
        }
        drop++;
    }
    if (drop > 0) {
        memmove(b->ranges, b->ranges + drop, sizeof b->ranges[0] * (b->nranges - drop));
        b->nranges -= drop;
    }
}

/* ---- delivery ---- */

static size_t reasm_discard_fn(void *ctx, const struct pkt_info *pkt, const uint8_t *data,
                               size_t len)
{
    (void)ctx;
    (void)pkt;
    (void)data;
    return len;
}

/*
 * Offer data to the consumer until it takes nothing more or nothing is left.
 * Bound: every call but the last consumes at least one byte, so at most
 * len + 1 calls.
 */
static size_t reasm_offer(tcpreasm_deliver_fn fn, void *ctx, const struct pkt_info *pkt,
                          const uint8_t *data, size_t len)
{
    size_t done = 0;
    while (done < len) {
        size_t c = fn(ctx, pkt, data + done, len - done);
        if (c == 0)
            break;
        done += c > len - done ? len - done : c;
    }
    return done;
}

/*
 * Offer the buffered head. A consumer that takes nothing from a head filling
 * the whole buffer never will (message larger than the cap, or garbage): the
 * head is discarded (STAT_TCP_OVERFLOW) and the stream resumes after it.
 */
static void reasm_deliver_head(struct tcpreasm *r, struct reasm_stream *s,
                               const struct pkt_info *pkt, tcpreasm_deliver_fn fn, void *ctx)
{
    struct reasm_buf *b = reasm_buf(r, s);
    if (b->head_len == 0 || (s->flags & REASM_HOLD))
        return;
    size_t c = reasm_offer(fn, ctx, pkt, reasm_bytes(r, s), b->head_len);
    if (c == 0 && b->head_len >= r->cap) {
        stats_inc(r->st, STAT_TCP_OVERFLOW);
        c = b->head_len;
    }
    reasm_buf_shift(r, s, c);
    reasm_buf_maybe_release(r, s);
}

/*
 * Skip the first hole: the pending head (an incomplete message whose
 * continuation is missing) is dropped and the stream continues at the first
 * out-of-order range, which is then delivered. Counted in STAT_TCP_GAPS.
 * Requires a buffer with at least one range.
 */
static void reasm_skip_to_range(struct tcpreasm *r, struct reasm_stream *s,
                                const struct pkt_info *pkt, tcpreasm_deliver_fn fn, void *ctx)
{
    struct reasm_buf *b = reasm_buf(r, s);
    uint32_t off = b->ranges[0].off;
    uint32_t old_head = b->head_len;
    stats_inc(r->st, STAT_TCP_GAPS);
    /* base moves by off; the new head is the first range, whose end is the new next_seq */
    s->next_seq += off - old_head;
    reasm_buf_shift(r, s, off);
    b->head_len = 0;
    reasm_merge_head(r, s);
    reasm_deliver_head(r, s, pkt, fn, ctx);
}

/* The record a flush without a segment in hand passes to the consumer. */
static void reasm_synth_pkt(const struct reasm_stream *s, struct pkt_info *pkt)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->ts_ns = s->last_ns;
    pkt->src = s->src;
    pkt->dst = s->dst;
    pkt->l4 = PKT_L4_TCP;
    pkt->ip_proto = 6;
    pkt->tcp_seq = s->next_seq;
}

/* ---- streams picked up without their SYN ---- */

/* Sequence number of buf[0]: the first byte not yet consumed. */
static uint32_t reasm_base(const struct tcpreasm *r, const struct reasm_stream *s)
{
    return s->next_seq - (s->buf != POOL_NONE ? reasm_buf(r, s)->head_len : 0);
}

/* The hold is over (released, flushed or freed); idempotent. */
static void reasm_hold_end(struct tcpreasm *r, struct reasm_stream *s)
{
    if (s->flags & REASM_HOLD) {
        s->flags &= (uint8_t)~REASM_HOLD;
        r->held = POOL_NONE;
    }
}

/*
 * Once the consumer took something, or a hole was skipped, the start can no
 * longer move: base left isn + 1. Checked after every segment, so the base
 * cannot come back to the start by wrapping around unnoticed.
 */
static void reasm_check_synced(struct tcpreasm *r, struct reasm_stream *s)
{
    if ((s->flags & REASM_UNSYNCED) && reasm_base(r, s) != s->isn + 1)
        s->flags &= (uint8_t)~REASM_UNSYNCED;
}

/*
 * Can n bytes at seq re-base s? They must start before the stream's start
 * (by less than 2^31), nothing may have been consumed or skipped yet, and
 * the new start plus everything held must fit the buffer and the range list.
 */
static bool reasm_can_rebase(const struct tcpreasm *r, const struct reasm_stream *s, uint32_t seq,
                             size_t n)
{
    uint32_t start = s->isn + 1;
    uint32_t shift = start - seq;
    if (!(s->flags & REASM_UNSYNCED) || shift == 0 || shift >= REASM_SEQ_HALF || n > r->cap ||
        reasm_base(r, s) != start)
        return false;
    if (s->buf == POOL_NONE)
        return shift <= r->cap && pool_in_use(r->bufs) < pool_capacity(r->bufs);
    const struct reasm_buf *b = reasm_buf(r, s);
    return (size_t)shift + reasm_extent(b) <= r->cap &&
           b->nranges + (b->head_len > 0) <= TCPREASM_MAX_RANGES;
}

/*
 * Move the start of s back to seq (reasm_can_rebase said yes): the held
 * bytes slide up by the distance and the head among them becomes the first
 * out-of-order range; next_seq = seq, so the caller then places the new
 * bytes in order. Cost: one memmove of at most buffer_bytes.
 */
static void reasm_rebase(struct tcpreasm *r, struct reasm_stream *s, uint32_t seq)
{
    uint32_t shift = s->isn + 1 - seq;
    if (reasm_buf_take(r, s)) {
        struct reasm_buf *b = reasm_buf(r, s);
        uint8_t *bytes = reasm_bytes(r, s);
        uint32_t extra = b->head_len > 0 ? 1u : 0u;
        memmove(bytes + shift, bytes, reasm_extent(b));
        memmove(b->ranges + extra, b->ranges, sizeof b->ranges[0] * b->nranges);
        for (uint32_t i = extra; i < b->nranges + extra; i++)
            b->ranges[i].off += shift;
        if (extra)
            b->ranges[0] = (struct reasm_range){shift, b->head_len};
        b->nranges += extra;
        b->head_len = 0;
    }
    s->next_seq = seq;
    s->isn = seq - 1;
}

/*
 * The next segment came: offer what was held, with a synthetic record
 * carrying the time of the last held segment. Call before s->last_ns takes
 * the new segment's time.
 */
static void reasm_release(struct tcpreasm *r, struct reasm_stream *s, tcpreasm_deliver_fn fn,
                          void *ctx)
{
    if (!(s->flags & REASM_HOLD))
        return;
    reasm_hold_end(r, s);
    if (s->buf != POOL_NONE) {
        struct pkt_info held;
        reasm_synth_pkt(s, &held);
        reasm_deliver_head(r, s, &held, fn, ctx);
    }
    reasm_check_synced(r, s);
}

/*
 * Stream end (FIN, RST, eviction, expiry, end of input): deliver what is
 * contiguous, skip every remaining hole (each counted) so that the data past
 * it is delivered too, then drop whatever the consumer left. At most
 * TCPREASM_MAX_RANGES skips.
 */
static void reasm_flush(struct tcpreasm *r, struct reasm_stream *s, const struct pkt_info *pkt,
                        tcpreasm_deliver_fn fn, void *ctx)
{
    bool held = s->flags & REASM_HOLD;
    reasm_hold_end(r, s);
    if (s->buf == POOL_NONE)
        return;
    if (held && fn)
        reasm_deliver_head(r, s, pkt, fn, ctx); /* never offered yet */
    if (!fn) {
        if (reasm_buf(r, s)->nranges > 0)
            stats_inc(r->st, STAT_TCP_GAPS);
        reasm_buf_release(r, s);
        return;
    }
    for (uint32_t i = 0; i <= TCPREASM_MAX_RANGES && s->buf != POOL_NONE; i++) {
        if (reasm_buf(r, s)->nranges == 0)
            break;
        reasm_skip_to_range(r, s, pkt, fn, ctx);
    }
    if (s->buf != POOL_NONE) {
        /* The consumer left an unfinished message that can never complete. */
        stats_inc(r->st, STAT_TCP_PARTIAL);
        reasm_buf_release(r, s);
    }
}

/* ---- stream life ---- */

static void reasm_free(struct tcpreasm *r, uint32_t idx)
{
    struct reasm_stream *s = reasm_at(r, idx);
    reasm_hold_end(r, s);
    if (s->buf != POOL_NONE)
        reasm_buf_release(r, s);
    uint32_t *link = &r->buckets[reasm_bucket(r, &s->src, &s->dst)];
    while (*link != POOL_NONE && *link != idx) /* one hash chain */
        link = &reasm_at(r, *link)->hnext;
    if (*link == idx)
        *link = s->hnext;
    pool_list_remove(r->streams, &r->lru, idx, REASM_LRU);
    pool_put(r->streams, idx);
}

/* Flush with a synthetic record (fn may be NULL), then free. */
static void reasm_end(struct tcpreasm *r, uint32_t idx, tcpreasm_deliver_fn fn, void *ctx)
{
    struct reasm_stream *s = reasm_at(r, idx);
    if (s->buf != POOL_NONE) {
        struct pkt_info pkt;
        reasm_synth_pkt(s, &pkt);
        reasm_flush(r, s, &pkt, fn, ctx);
    }
    reasm_free(r, idx);
}

static uint32_t reasm_new(struct tcpreasm *r, const struct endpoint *src,
                          const struct endpoint *dst, tcpreasm_deliver_fn fn, void *ctx)
{
    uint32_t idx = pool_get(r->streams);
    if (idx == POOL_NONE) {
        if (r->lru.head == POOL_NONE)
            return POOL_NONE;
        stats_inc(r->st, STAT_TCP_EVICTED);
        reasm_end(r, r->lru.head, fn, ctx);
        idx = pool_get(r->streams);
        if (idx == POOL_NONE)
            return POOL_NONE;
    }
    struct reasm_stream *s = reasm_at(r, idx);
    s->src = *src;
    s->dst = *dst;
    s->buf = POOL_NONE;
    uint32_t *head = &r->buckets[reasm_bucket(r, src, dst)];
    s->hnext = *head;
    *head = idx;
    pool_list_push_tail(r->streams, &r->lru, idx, REASM_LRU);
    stats_inc(r->st, STAT_TCP_STREAMS);
    return idx;
}

/* ---- data placement ---- */

/*
 * Keep an out-of-order piece at offset off from base. Returns false when the
 * range list would overflow (caller skips a hole and retries); true when the
 * bytes are kept or dropped for want of a buffer (counted).
 */
static bool reasm_store_ooo(struct tcpreasm *r, struct reasm_stream *s, size_t off,
                            const uint8_t *p, size_t n)
{
    if (!reasm_buf_take(r, s)) {
        stats_inc(r->st, STAT_TCP_OVERFLOW);
        return true;
    }
    struct reasm_buf *b = reasm_buf(r, s);
    struct reasm_range all[TCPREASM_MAX_RANGES + 1];
    struct reasm_range add = {(uint32_t)off, (uint32_t)n};
    uint32_t k = 0;
    uint32_t m = 0;
    /* insert in order of offset, then coalesce overlapping or touching ranges */
    while (k < b->nranges && b->ranges[k].off < add.off) {
        all[k] = b->ranges[k];
        k++;
    }
    all[k] = add;
    for (uint32_t i = k; i < b->nranges; i++)
        all[i + 1] = b->ranges[i];
    for (uint32_t i = 0; i <= b->nranges; i++) {
        if (m > 0 && all[i].off <= all[m - 1].off + all[m - 1].len) {
            uint32_t end = all[i].off + all[i].len;
            if (end > all[m - 1].off + all[m - 1].len)
                all[m - 1].len = end - all[m - 1].off;
        } else {
            all[m++] = all[i]; /* m <= i: never overwrites an entry not yet read */
        }
    }
    if (m > TCPREASM_MAX_RANGES) {
        reasm_buf_maybe_release(r, s);
        return false;
    }
    memcpy(reasm_bytes(r, s) + off, p, n);
    memcpy(b->ranges, all, sizeof all[0] * m);
    b->nranges = m;
    return true;
}

/*
 * Feed the bytes of one segment starting at sequence seq. Bound: every pass
 * either ends, consumes or trims at least one byte of n, discards the head,
 * or skips one hole; so at most about 2n + TCPREASM_MAX_RANGES passes.
 */
static void reasm_data(struct tcpreasm *r, struct reasm_stream *s, const struct pkt_info *pkt,
                       uint32_t seq, const uint8_t *p, size_t n, tcpreasm_deliver_fn fn, void *ctx)
{
    while (n > 0) {
        uint32_t d = seq - s->next_seq;
        if (d >= REASM_SEQ_HALF) {
            uint32_t early = s->isn + 1 - seq; /* in (0, 2^31): starts before the stream */
            if (!(s->flags & REASM_SYN_SEEN) && early > 0 && early < REASM_SEQ_HALF) {
                if (reasm_can_rebase(r, s, seq, n)) {
                    reasm_rebase(r, s, seq);
                    continue; /* now in order */
                }
                /* the stream was delivered from a later point: these bytes come too late */
                stats_inc(r->st, STAT_TCP_BEFORE_START);
                if (n <= early)
                    return;
                p += early;
                n -= early;
                seq += early;
                continue;
            }
            /* behind next_seq: a retransmission, possibly with new bytes at its end */
            uint32_t behind = (uint32_t)(0u - d);
            if (n <= behind)
                return;
            p += behind;
            n -= behind;
            seq += behind;
            continue;
        }
        if (d == 0 && s->buf == POOL_NONE) {
            /* in order with nothing pending: straight from the packet */
            size_t c = reasm_offer(fn, ctx, pkt, p, n);
            s->next_seq += (uint32_t)n;
            if (c == n)
                return;
            if (n - c > r->cap || !reasm_buf_take(r, s)) {
                stats_inc(r->st, STAT_TCP_OVERFLOW);
                return;
            }
            memcpy(reasm_bytes(r, s), p + c, n - c);
            reasm_buf(r, s)->head_len = (uint32_t)(n - c);
            return;
        }
        if (s->buf == POOL_NONE) {
            /* out of order with nothing pending: keep it if the buffer can hold it */
            if (!(s->flags & REASM_TRUNCATED) && (size_t)d + n <= r->cap) {
                reasm_store_ooo(r, s, d, p, n); /* one range: the list cannot overflow */
                return;
            }
            stats_inc(r->st, STAT_TCP_GAPS); /* wider than the buffer, or never filled: jump */
            s->flags &= (uint8_t)~REASM_TRUNCATED;
            s->next_seq = seq;
            continue;
        }
        struct reasm_buf *b = reasm_buf(r, s);
        if (d == 0) {
            /* in order behind pending bytes: append as much as fits, deliver the run */
            size_t room = r->cap - b->head_len;
            size_t k = n < room ? n : room;
            memcpy(reasm_bytes(r, s) + b->head_len, p, k);
            b->head_len += (uint32_t)k;
            s->next_seq += (uint32_t)k;
            seq += (uint32_t)k;
            p += k;
            n -= k;
            reasm_merge_head(r, s);
            reasm_deliver_head(r, s, pkt, fn, ctx);
            continue;
        }
        /* out of order: keep it at its place if the buffer can hold it */
        size_t off = (size_t)b->head_len + d;
        if (b->nranges == 0 && b->head_len == 0) {
            reasm_buf_release(r, s); /* held with nothing pending: never left so, but be sure */
            continue;
        }
        if (!(s->flags & REASM_TRUNCATED) && off + n <= r->cap && reasm_store_ooo(r, s, off, p, n))
            return;
        s->flags &= (uint8_t)~REASM_TRUNCATED;
        if (s->buf != POOL_NONE && reasm_buf(r, s)->nranges > 0) {
            reasm_skip_to_range(r, s, pkt, fn, ctx);
        } else {
            /* nothing between: jump over the hole to this segment */
            stats_inc(r->st, STAT_TCP_GAPS);
            if (s->buf != POOL_NONE)
                reasm_buf_release(r, s);
            s->next_seq = seq;
        }
    }
}

/* ---- public ---- */

struct tcpreasm *tcpreasm_create(const struct tcpreasm_config *cfg, struct stats *st)
{
    struct tcpreasm_config c = {0};
    if (cfg)
        c = *cfg;
    if (c.max_streams == 0)
        c.max_streams = TCPREASM_DEFAULT_STREAMS;
    if (c.buffer_bytes == 0)
        c.buffer_bytes = TCPREASM_DEFAULT_BUFFER;
    if (c.idle_timeout_s == 0)
        c.idle_timeout_s = TCPREASM_DEFAULT_IDLE_S;
    if (c.max_buffers == 0)
        c.max_buffers =
            c.max_streams / TCPREASM_BUFFER_DIVISOR ? c.max_streams / TCPREASM_BUFFER_DIVISOR : 1;
    if (c.max_streams > TCPREASM_MAX_STREAMS || c.buffer_bytes > TCPREASM_MAX_BUFFER ||
        c.max_buffers > c.max_streams)
        return NULL;

    struct tcpreasm *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    uint32_t nb = 2;
    while (nb < 2 * c.max_streams) /* at most 25 doublings: max_streams <= 2^24 */
        nb *= 2;
    r->mask = nb - 1;
    r->cap = c.buffer_bytes;
    r->idle_ns = (uint64_t)c.idle_timeout_s * REASM_NS_PER_S;
    r->st = st ? st : &r->own_stats;
    r->lru = POOL_LIST_INIT;
    r->buf_lru = POOL_LIST_INIT;
    r->held = POOL_NONE;
    r->streams = pool_create(sizeof(struct reasm_stream), c.max_streams);
    r->bufs = pool_create(sizeof(struct reasm_buf), c.max_buffers);
    r->slab = malloc((size_t)c.max_buffers * c.buffer_bytes);
    r->buckets = malloc(sizeof *r->buckets * nb);
    if (!r->streams || !r->bufs || !r->slab || !r->buckets) {
        tcpreasm_destroy(r);
        return NULL;
    }
    for (uint32_t i = 0; i < nb; i++)
        r->buckets[i] = POOL_NONE;
    return r;
}

void tcpreasm_destroy(struct tcpreasm *r)
{
    if (!r)
        return;
    pool_destroy(r->streams);
    pool_destroy(r->bufs);
    free(r->slab);
    free(r->buckets);
    free(r);
}

void tcpreasm_segment(struct tcpreasm *r, const struct pkt_info *pkt, tcpreasm_deliver_fn fn,
                      void *ctx)
{
    if (!r || !pkt || pkt->l4 != PKT_L4_TCP)
        return;
    if (!fn)
        fn = reasm_discard_fn;
    size_t n = pkt->payload ? pkt->payload_len : 0;
    if (n > TCPREASM_MAX_SEGMENT)
        return;
    uint8_t flags = pkt->tcp_flags;
    bool syn = flags & PKT_TCP_SYN;
    bool end = flags & (PKT_TCP_FIN | PKT_TCP_RST);

    struct endpoint src = pkt->src;
    struct endpoint dst = pkt->dst;
    reasm_norm(&src);
    reasm_norm(&dst);
    if (r->held != POOL_NONE) {
        /* any segment, even a pure ACK, ends the hold, unless it re-bases the held stream */
        struct reasm_stream *h = reasm_at(r, r->held);
        bool same = endpoint_eq(&h->src, &src) && endpoint_eq(&h->dst, &dst);
        if (!(same && n > 0 && !syn && reasm_can_rebase(r, h, pkt->tcp_seq, n)))
            reasm_release(r, h, fn, ctx);
    }
    uint32_t idx = reasm_find(r, &src, &dst);
    if (idx == POOL_NONE) {
        if (!syn && n == 0)
            return; /* a pure ACK, or FIN/RST of a stream we do not follow */
        idx = reasm_new(r, &src, &dst, fn, ctx);
        if (idx == POOL_NONE)
            return;
        struct reasm_stream *s = reasm_at(r, idx);
        if (syn) {
            s->flags |= REASM_SYN_SEEN;
            s->isn = pkt->tcp_seq;
            s->next_seq = pkt->tcp_seq + 1;
        } else {
            /* sensor started mid-connection: hold the first data for one more packet */
            s->next_seq = pkt->tcp_seq;
            s->isn = pkt->tcp_seq - 1;
            s->flags |= REASM_UNSYNCED;
            /* (a free buffer only: a hold never takes one back from a stream with pending bytes) */
            if (n <= r->cap && r->held == POOL_NONE &&
                pool_in_use(r->bufs) < pool_capacity(r->bufs) && reasm_buf_take(r, s)) {
                s->flags |= REASM_HOLD;
                r->held = idx;
            }
        }
    } else {
        reasm_touch(r, idx);
        struct reasm_stream *s = reasm_at(r, idx);
        if (syn && !((s->flags & REASM_SYN_SEEN) && s->isn == pkt->tcp_seq)) {
            /* a new ISN on the same ports: a new connection; finish the old one */
            reasm_flush(r, s, pkt, fn, ctx);
            s->flags &= (uint8_t)~REASM_UNSYNCED;
            s->flags |= REASM_SYN_SEEN;
            s->isn = pkt->tcp_seq;
            s->next_seq = pkt->tcp_seq + 1;
        }
    }
    struct reasm_stream *s = reasm_at(r, idx);
    s->last_ns = pkt->ts_ns;

    uint32_t seq = pkt->tcp_seq + (syn ? 1u : 0u); /* SYN occupies one sequence number */
    if (n > 0) {
        bool frontier = seq == s->next_seq;
        reasm_data(r, s, pkt, seq, pkt->payload, n, fn, ctx);
        /* bytes the snaplen cut from an in-order segment will never come: do not wait for them */
        if (frontier && pkt->truncated)
            s->flags |= REASM_TRUNCATED;
        else if (frontier)
            s->flags &= (uint8_t)~REASM_TRUNCATED;
        reasm_check_synced(r, s);
    }
    if (end) {
        reasm_flush(r, s, pkt, fn, ctx);
        reasm_free(r, idx);
    }
}

void tcpreasm_expire_flush(struct tcpreasm *r, uint64_t now_ns, tcpreasm_deliver_fn fn, void *ctx)
{
    if (!r)
        return;
    /* from the idle end; stops at the first stream still alive: at most every stream once */
    while (r->lru.head != POOL_NONE) {
        const struct reasm_stream *s = reasm_at(r, r->lru.head);
        if (now_ns <= s->last_ns || now_ns - s->last_ns <= r->idle_ns)
            break;
        stats_inc(r->st, STAT_TCP_EVICTED);
        reasm_end(r, r->lru.head, fn, ctx);
    }
}

void tcpreasm_expire(struct tcpreasm *r, uint64_t now_ns)
{
    tcpreasm_expire_flush(r, now_ns, NULL, NULL);
}

void tcpreasm_flush_all(struct tcpreasm *r, tcpreasm_deliver_fn fn, void *ctx)
{
    if (!r)
        return;
    while (r->lru.head != POOL_NONE) /* every stream once */
        reasm_end(r, r->lru.head, fn, ctx);
}

bool tcpreasm_follows(const struct tcpreasm *r, const struct pkt_info *pkt)
{
    struct endpoint src = pkt->src, dst = pkt->dst;
    reasm_norm(&src);
    reasm_norm(&dst);
    return reasm_find(r, &src, &dst) != POOL_NONE || reasm_find(r, &dst, &src) != POOL_NONE;
}

uint32_t tcpreasm_active(const struct tcpreasm *r)
{
    return r ? pool_in_use(r->streams) : 0;
}

uint32_t tcpreasm_buffers_in_use(const struct tcpreasm *r)
{
    return r ? pool_in_use(r->bufs) : 0;
}

size_t tcpreasm_bytes(const struct tcpreasm *r)
{
    if (!r)
        return 0;
    return sizeof *r + pool_bytes(r->streams) + pool_bytes(r->bufs) +
           (size_t)pool_capacity(r->bufs) * r->cap + sizeof *r->buckets * ((size_t)r->mask + 1);
}
