/* pool.c: fixed-size record pool with an index free list; all memory taken at create time. */
#include "pool.h"

#include <stdlib.h>
#include <string.h>

struct pool {
    unsigned char *recs;
    uint32_t fresh; /* records from here on were never handed out (and are not linked) */
    size_t size;
    uint32_t count;
    uint32_t free_head;
    uint32_t in_use;
    uint32_t high_water;
};

struct pool *pool_create(size_t size, uint32_t count)
{
    /* every record 8-byte aligned: the widest field a record may hold (u64, double, pointer) */
    return pool_packed_create((size + 7) & ~(size_t)7, count);
}

struct pool *pool_packed_create(size_t size, uint32_t count)
{
    if (size == 0 || count == 0 || count == POOL_NONE)
        return NULL;
    if (size < sizeof(uint32_t))
        size = sizeof(uint32_t); /* room for the free-list link (copied with memcpy) */
    struct pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    /*
     * calloc, and no free list built here: records come from `fresh` until
     * some are put back, so a page of records becomes resident only when its
     * records are first used. A free record holds the index of the next free
     * one in its first bytes (records are 16 bytes at least): no array beside.
     */
    p->recs = calloc(count, size);
    if (!p->recs) {
        pool_destroy(p);
        return NULL;
    }
    p->size = size;
    p->count = count;
    p->free_head = POOL_NONE;
    return p;
}

void pool_destroy(struct pool *p)
{
    if (!p)
        return;
    free(p->recs);
    free(p);
}

uint32_t pool_get(struct pool *p)
{
    /* the put-back records first (last put, first out), then never-used ones in index order:
     * the same order as one free list built 0, 1, 2... */
    uint32_t i = p->free_head;
    if (i != POOL_NONE) {
        memcpy(&p->free_head, p->recs + (size_t)i * p->size, sizeof p->free_head);
    } else if (p->fresh < p->count) {
        i = p->fresh++;
    } else {
        return POOL_NONE;
    }
    memset(p->recs + (size_t)i * p->size, 0, p->size);
    if (++p->in_use > p->high_water)
        p->high_water = p->in_use;
    return i;
}

void pool_put(struct pool *p, uint32_t idx)
{
    if (idx == POOL_NONE || idx >= p->count)
        return;
    memcpy(p->recs + (size_t)idx * p->size, &p->free_head, sizeof p->free_head);
    p->free_head = idx;
    p->in_use--;
}

void *pool_at(const struct pool *p, uint32_t idx)
{
    return p->recs + (size_t)idx * p->size;
}

uint32_t pool_index(const struct pool *p, const void *rec)
{
    return (uint32_t)(((const unsigned char *)rec - p->recs) / p->size);
}

uint32_t pool_capacity(const struct pool *p)
{
    return p->count;
}

uint32_t pool_in_use(const struct pool *p)
{
    return p->in_use;
}

uint32_t pool_high_water(const struct pool *p)
{
    return p->high_water;
}

size_t pool_bytes(const struct pool *p)
{
    return sizeof *p + (size_t)p->count * p->size;
}

static struct pool_link *link_at(struct pool *p, uint32_t idx, size_t off)
{
    return (struct pool_link *)(void *)((unsigned char *)pool_at(p, idx) + off);
}

void pool_list_push_tail(struct pool *p, struct pool_list *l, uint32_t idx, size_t off)
{
    struct pool_link *k = link_at(p, idx, off);
    k->prev = l->tail;
    k->next = POOL_NONE;
    if (l->tail != POOL_NONE)
        link_at(p, l->tail, off)->next = idx;
    else
        l->head = idx;
    l->tail = idx;
    l->count++;
}

void pool_list_remove(struct pool *p, struct pool_list *l, uint32_t idx, size_t off)
{
    struct pool_link *k = link_at(p, idx, off);
    if (k->prev != POOL_NONE)
        link_at(p, k->prev, off)->next = k->next;
    else
        l->head = k->next;
    if (k->next != POOL_NONE)
        link_at(p, k->next, off)->prev = k->prev;
    else
        l->tail = k->prev;
    k->prev = k->next = POOL_NONE;
    l->count--;
}

uint32_t *pool_buckets_create(uint32_t n, uint32_t *mask)
{
    uint32_t count = 16;
    while (count < n && count < (1u << 30))
        count <<= 1;
    uint32_t *b = malloc(sizeof *b * count);
    if (!b)
        return NULL;
    for (uint32_t i = 0; i < count; i++)
        b[i] = POOL_NONE;
    *mask = count - 1;
    return b;
}

static uint32_t *chain_next(const struct pool *p, uint32_t idx, size_t next_off)
{
    return (uint32_t *)(void *)((unsigned char *)pool_at(p, idx) + next_off);
}

void pool_chain_unlink(const struct pool *p, uint32_t *head, uint32_t idx, size_t next_off)
{
    uint32_t *pp = head;
    while (*pp != POOL_NONE && *pp != idx)
        pp = chain_next(p, *pp, next_off);
    if (*pp == idx)
        *pp = *chain_next(p, idx, next_off);
}
