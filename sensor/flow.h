/* flow.h: bounded 5-tuple flow table (RFC 768), both directions one flow, idle and LRU eviction. */
#ifndef SIPSCOPE_SENSOR_FLOW_H
#define SIPSCOPE_SENSOR_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decoders/addr.h"
#include "../decoders/pool.h"
#include "../decoders/stats.h"

#define FLOW_DEFAULT_MAX 65536
#define FLOW_DEFAULT_IDLE_S 60
#define FLOW_MAX_FLOWS (1u << 24) /* largest max_flows accepted */
#define FLOW_MAX_IDLE_S (86400u)  /* largest idle_timeout_s accepted (one day) */
#define FLOW_MAX_USER 4096        /* largest per-flow caller area accepted, bytes */

/*
 * A flow is a 5-tuple without a direction: the two endpoints are stored in a
 * canonical order (the smaller one first: address family, then address bytes,
 * then port), so A->B and B->A find the same record. `first_src` remembers who
 * sent the first packet, so a caller can tell the directions apart
 * (flow_is_reverse).
 *
 * The record is transparent for reading; the fields under "table links" belong
 * to the table. Behind each record lies a caller area of cfg.user_size bytes
 * (flow_user), zeroed when the flow is created, for the caller's per-flow
 * state (the DPI verdict, for one).
 */
struct flow_key {
    struct endpoint lo; /* the smaller endpoint */
    struct endpoint hi;
    uint8_t proto; /* IP protocol number (17 for UDP) */
};

struct flow {
    struct flow_key key;
    struct endpoint first_src; /* source of the packet that created the flow */
    uint64_t first_ns;         /* packet time of that packet */
    uint64_t last_ns;          /* newest packet time seen on the flow (never goes back) */
    uint64_t packets;          /* packets seen, both directions */
    /* table links */
    uint64_t hash;
    uint32_t hash_next;
    struct pool_link lru;
};

/* Byte offset of the caller area inside a record: a multiple of 16, so the area has the
 * record's own alignment (8: pool.h). */
#define FLOW_USER_OFFSET ((sizeof(struct flow) + 15) & ~(size_t)15)

/* The caller area of a flow (cfg.user_size bytes, 8-byte aligned). */
static inline void *flow_user(struct flow *f)
{
    return (unsigned char *)f + FLOW_USER_OFFSET;
}

/* Why a flow leaves the table, as told to the release callback. */
enum flow_end {
    FLOW_END_IDLE = 0, /* no packet for idle_timeout_s of packet time (STAT_FLOW_EXPIRED) */
    FLOW_END_EVICTED,  /* least recently used, made room for a new flow (STAT_FLOW_EVICTED) */
    FLOW_END_REMOVED,  /* flow_remove() */
    FLOW_END_DESTROY,  /* flow_destroy() */
};

/*
 * Called just before a flow's record goes back to the pool, so the caller can
 * release what its area holds (another pool's record, for one). It must not
 * call back into the table.
 */
typedef void (*flow_release_fn)(void *ctx, struct flow *f, enum flow_end why);

/*
 * Zero in a field means its default. Memory, reserved by flow_create (a
 * record's pages are touched when it is first used): max_flows records of
 * FLOW_USER_OFFSET + user_size rounded to 8 bytes (the pool's free list lives
 * in its free records), and 4 bytes per hash bucket, pow2(max_flows) buckets.
 * On x86-64 FLOW_USER_OFFSET is 112.
 */
struct flow_config {
    uint32_t max_flows;      /* flows held at once; 0: FLOW_DEFAULT_MAX */
    uint32_t idle_timeout_s; /* packet-time idle limit; 0: FLOW_DEFAULT_IDLE_S */
    size_t user_size;        /* caller bytes per flow (<= FLOW_MAX_USER); may be 0 */
    uint64_t hash_seed;      /* seed of the bucket hash; 0: from the process's key (hashkey.h) */
};

struct flow_table;

/*
 * Create a table. cfg may be NULL (every default); st receives FLOWS,
 * FLOW_EVICTED and FLOW_EXPIRED (may be NULL: then nothing is counted);
 * on_release may be NULL. NULL when out of memory or when a field is above
 * its cap.
 */
struct flow_table *flow_create(const struct flow_config *cfg, struct stats *st,
                               flow_release_fn on_release, void *ctx);
/* Release every flow (FLOW_END_DESTROY) and free the table. NULL is a no-op. */
void flow_destroy(struct flow_table *t);

/*
 * The flow of the packet src -> dst over `proto`, created when absent. A new
 * flow in a full table takes the record of the least recently used flow,
 * which is released first (FLOW_END_EVICTED, counted STAT_FLOW_EVICTED).
 * Counts the packet, moves last_ns forward to ts_ns (never back) and makes
 * the flow the most recently used. *created (may be NULL) tells whether the
 * flow is new (its caller area is then zeroed). Never NULL. O(1) expected:
 * one hash, one bucket chain.
 */
struct flow *flow_get(struct flow_table *t, const struct endpoint *src, const struct endpoint *dst,
                      uint8_t proto, uint64_t ts_ns, bool *created);

/* The flow of src -> dst (either direction), or NULL; changes nothing. */
struct flow *flow_find(const struct flow_table *t, const struct endpoint *src,
                       const struct endpoint *dst, uint8_t proto);

/* True when src is not the endpoint that sent the flow's first packet. */
bool flow_is_reverse(const struct flow *f, const struct endpoint *src);

/* Take a flow out of the table (FLOW_END_REMOVED, not counted). */
void flow_remove(struct flow_table *t, struct flow *f);

/*
 * Release every flow idle for at least idle_timeout_s at packet time now_ns
 * (FLOW_END_IDLE, counted STAT_FLOW_EXPIRED), oldest activity first; returns
 * how many. The walk stops at the first flow still active, so the cost is
 * the number expired plus one. Flows are kept in order of their last packet
 * as it arrived; a capture whose clock steps back expires a little late,
 * never early.
 */
uint32_t flow_expire(struct flow_table *t, uint64_t now_ns);

/* Flows in the table. */
uint32_t flow_count(const struct flow_table *t);
/* max_flows as configured (after defaults). */
uint32_t flow_capacity(const struct flow_table *t);
/* Bytes the table holds (records, buckets, bookkeeping), for the memory report. */
size_t flow_bytes(const struct flow_table *t);

#endif
