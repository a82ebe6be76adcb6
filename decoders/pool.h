/* pool.h: fixed-size record pool over one array allocated at start-up (no malloc afterwards). */
#ifndef SIPSCOPE_DECODERS_POOL_H
#define SIPSCOPE_DECODERS_POOL_H

#include <stddef.h>
#include <stdint.h>

/*
 * A pool hands out records by 32-bit index; POOL_NONE is "no record". Indices
 * stay valid until the record is put back, so tables link records by index
 * rather than by pointer (records are 8-byte aligned: their size is rounded up
 * to a multiple of 8). Records come back zeroed from pool_get(); a record
 * put back is not kept (its first bytes link the free list): read it before.
 */
#define POOL_NONE UINT32_MAX

struct pool;

/* Allocate `count` records of `size` bytes (count < POOL_NONE). NULL when out of memory. */
struct pool *pool_create(size_t size, uint32_t count);
void pool_destroy(struct pool *p);
/*
 * The same with records exactly `size` apart: for records that are one
 * struct (sizeof is a multiple of its alignment, so each stays aligned), when
 * rounding to 8 would pad it (a 28-byte struct of 32-bit fields).
 */
struct pool *pool_packed_create(size_t size, uint32_t count);

/* Take a zeroed record; POOL_NONE when every record is in use (caller counts it). */
uint32_t pool_get(struct pool *p);
/* Return a record; putting POOL_NONE is a no-op. */
void pool_put(struct pool *p, uint32_t idx);
/* The record at idx (idx < capacity); no check that it is in use. */
void *pool_at(const struct pool *p, uint32_t idx);
uint32_t pool_index(const struct pool *p, const void *rec);

uint32_t pool_capacity(const struct pool *p);
uint32_t pool_in_use(const struct pool *p);
uint32_t pool_high_water(const struct pool *p);
/* Bytes the pool holds (records plus bookkeeping), for the memory report. */
size_t pool_bytes(const struct pool *p);

/*
 * Intrusive doubly linked lists of pool records, by index: a record embeds a
 * struct pool_link at byte offset `off` (offsetof) and can sit on one list per
 * link it embeds. Tables use them as LRU/expiry queues: push at the tail on
 * activity, expire from the head. O(1) each.
 */
struct pool_link {
    uint32_t prev;
    uint32_t next;
};

struct pool_list {
    uint32_t head;
    uint32_t tail;
    uint32_t count;
};

#define POOL_LIST_INIT ((struct pool_list){POOL_NONE, POOL_NONE, 0})

void pool_list_push_tail(struct pool *p, struct pool_list *l, uint32_t idx, size_t off);
void pool_list_remove(struct pool *p, struct pool_list *l, uint32_t idx, size_t off);

/*
 * Chained hash indexes over a pool: an array of bucket heads (record indices,
 * POOL_NONE when empty) and a uint32_t "next" field in each record at byte
 * offset next_off. pool_buckets_create returns at least n heads, a power of
 * two (mask = count - 1), all empty; free it with free(). NULL when out of memory.
 */
uint32_t *pool_buckets_create(uint32_t n, uint32_t *mask);
/* Take record idx out of the chain that starts at *head (a no-op if it is not there). */
void pool_chain_unlink(const struct pool *p, uint32_t *head, uint32_t idx, size_t next_off);

/* The unit pool_prefetch loads. */
#define POOL_CACHE_LINE 64

/* Ask for the cache line at p ahead of a write to it: a hint, it changes no result. */
static inline void pool_prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p, 1);
#else
    (void)p;
#endif
}

/* The same for every line of the n bytes at p (a whole record). */
static inline void pool_prefetch_bytes(const void *p, size_t n)
{
    for (size_t off = 0; off < n; off += POOL_CACHE_LINE)
        pool_prefetch((const char *)p + off);
}

#endif
