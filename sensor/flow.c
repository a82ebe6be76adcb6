/* flow.c: bounded 5-tuple flow table (RFC 768): hashed pool records, LRU list, idle expiry. */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#include "../decoders/hashkey.h"

/*
 * Layout: every flow is one pool record (struct flow, then the caller area).
 * Buckets hold the index of the first record of a chain, records link the
 * chain through hash_next; each record also sits on one LRU list, ordered by
 * the arrival of its last packet (head: least recently used). Lookup is one
 * hash and one chain walk; eviction takes the LRU head; expiry walks from the
 * head while flows are idle. Every loop is bounded by the number of records.
 */
struct flow_table {
    struct pool *pool;
    uint32_t *buckets;
    uint32_t mask; /* bucket count - 1 (a power of two) */
    uint32_t max_flows;
    uint64_t idle_ns;
    uint64_t seed;
    size_t user_size;
    struct pool_list lru;
    struct stats *st;
    struct stats own_stats; /* counters when the caller gave none */
    flow_release_fn on_release;
    void *ctx;
};

#define FLOW_NS_PER_S 1000000000ull
#define FLOW_MIN_BUCKETS 16u

static struct flow *rec(const struct flow_table *t, uint32_t idx)
{
    return pool_at(t->pool, idx);
}

/* Canonical order: family, then the address bytes the family uses, then the port. */
static int endpoint_cmp(const struct endpoint *a, const struct endpoint *b)
{
    if (a->ip.family != b->ip.family)
        return a->ip.family < b->ip.family ? -1 : 1;
    size_t n = a->ip.family == 4 ? 4 : a->ip.family == 6 ? 16 : 0;
    int c = n ? memcmp(a->ip.b, b->ip.b, n) : 0;
    if (c)
        return c;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    return 0;
}

static void key_make(const struct endpoint *src, const struct endpoint *dst, uint8_t proto,
                     struct flow_key *k)
{
    bool swap = endpoint_cmp(src, dst) > 0;
    k->lo = swap ? *dst : *src;
    k->hi = swap ? *src : *dst;
    k->proto = proto;
}

static bool key_eq(const struct flow_key *a, const struct flow_key *b)
{
    return a->proto == b->proto && endpoint_eq(&a->lo, &b->lo) && endpoint_eq(&a->hi, &b->hi);
}

/* The 64-bit finaliser of MurmurHash3: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t load32(const uint8_t *p)
{
    return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
}

/*
 * Hash of a canonical key: ports, protocol and family in one word, then the
 * address bytes the family uses, 4 bytes of each end per round, each step
 * through mix64: two rounds for IPv4, five for IPv6. The seed keeps bucket
 * positions unpredictable to a sender who does not know it.
 */
static uint64_t key_hash(const struct flow_table *t, const struct flow_key *k)
{
    uint64_t h = mix64(t->seed ^ ((uint64_t)k->lo.port << 48 | (uint64_t)k->hi.port << 32 |
                                  (uint64_t)k->proto << 8 | k->lo.ip.family));
    size_t words = k->lo.ip.family == 4 ? 1 : k->lo.ip.family == 6 ? 4 : 0;
    for (size_t i = 0; i < words; i++) {
        uint64_t a = load32(k->lo.ip.b + 4 * i), b = load32(k->hi.ip.b + 4 * i);
        h = mix64(h ^ (a << 32 | b));
    }
    return h;
}

struct flow_table *flow_create(const struct flow_config *cfg, struct stats *st,
                               flow_release_fn on_release, void *ctx)
{
    struct flow_config c = cfg ? *cfg : (struct flow_config){0};
    if (!c.max_flows)
        c.max_flows = FLOW_DEFAULT_MAX;
    if (!c.idle_timeout_s)
        c.idle_timeout_s = FLOW_DEFAULT_IDLE_S;
    if (!c.hash_seed)
        c.hash_seed = hash_start(0); /* the process's key (hashkey.h) */
    if (c.max_flows > FLOW_MAX_FLOWS || c.idle_timeout_s > FLOW_MAX_IDLE_S ||
        c.user_size > FLOW_MAX_USER)
        return NULL;

    struct flow_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    uint32_t nb = FLOW_MIN_BUCKETS;
    while (nb < c.max_flows)
        nb <<= 1;
    t->pool = pool_create(FLOW_USER_OFFSET + c.user_size, c.max_flows);
    t->buckets = malloc(sizeof *t->buckets * nb);
    if (!t->pool || !t->buckets) {
        pool_destroy(t->pool);
        free(t->buckets);
        free(t);
        return NULL;
    }
    for (uint32_t i = 0; i < nb; i++)
        t->buckets[i] = POOL_NONE;
    t->mask = nb - 1;
    t->max_flows = c.max_flows;
    t->idle_ns = (uint64_t)c.idle_timeout_s * FLOW_NS_PER_S;
    t->seed = c.hash_seed;
    t->user_size = c.user_size;
    t->lru = POOL_LIST_INIT;
    t->st = st ? st : &t->own_stats;
    t->on_release = on_release;
    t->ctx = ctx;
    return t;
}

/* Unlink idx from its bucket chain and the LRU list, tell the owner, free the record. */
static void drop(struct flow_table *t, uint32_t idx, enum flow_end why)
{
    struct flow *f = rec(t, idx);
    uint32_t *link = &t->buckets[f->hash & t->mask];
    for (uint32_t n = 0; *link != POOL_NONE && n < t->max_flows; n++) {
        if (*link == idx) {
            *link = f->hash_next;
            break;
        }
        link = &rec(t, *link)->hash_next;
    }
    pool_list_remove(t->pool, &t->lru, idx, offsetof(struct flow, lru));
    if (t->on_release)
        t->on_release(t->ctx, f, why);
    pool_put(t->pool, idx);
}

void flow_destroy(struct flow_table *t)
{
    if (!t)
        return;
    for (uint32_t n = 0; t->lru.head != POOL_NONE && n < t->max_flows; n++)
        drop(t, t->lru.head, FLOW_END_DESTROY);
    pool_destroy(t->pool);
    free(t->buckets);
    free(t);
}

static uint32_t lookup(const struct flow_table *t, const struct flow_key *k, uint64_t h)
{
    uint32_t i = t->buckets[h & t->mask];
    for (uint32_t n = 0; i != POOL_NONE && n < t->max_flows; n++) {
        const struct flow *f = rec(t, i);
        if (f->hash == h && key_eq(&f->key, k))
            return i;
        i = f->hash_next;
    }
    return POOL_NONE;
}

struct flow *flow_get(struct flow_table *t, const struct endpoint *src, const struct endpoint *dst,
                      uint8_t proto, uint64_t ts_ns, bool *created)
{
    struct flow_key k;
    key_make(src, dst, proto, &k);
    uint64_t h = key_hash(t, &k);
    uint32_t idx = lookup(t, &k, h);
    bool fresh = idx == POOL_NONE;
    if (fresh) {
        idx = pool_get(t->pool);
        if (idx == POOL_NONE) {
            /* Full: the least recently used flow makes room. */
            drop(t, t->lru.head, FLOW_END_EVICTED);
            stats_inc(t->st, STAT_FLOW_EVICTED);
            idx = pool_get(t->pool);
        }
        struct flow *f = rec(t, idx);
        f->key = k;
        f->first_src = *src;
        f->first_ns = ts_ns;
        f->last_ns = ts_ns;
        f->hash = h;
        f->hash_next = t->buckets[h & t->mask];
        t->buckets[h & t->mask] = idx;
        pool_list_push_tail(t->pool, &t->lru, idx, offsetof(struct flow, lru));
        stats_inc(t->st, STAT_FLOWS);
    } else if (idx != t->lru.tail) {
        pool_list_remove(t->pool, &t->lru, idx, offsetof(struct flow, lru));
        pool_list_push_tail(t->pool, &t->lru, idx, offsetof(struct flow, lru));
    }
    struct flow *f = rec(t, idx);
    if (ts_ns > f->last_ns)
        f->last_ns = ts_ns;
    f->packets++;
    if (created)
        *created = fresh;
    return f;
}

struct flow *flow_find(const struct flow_table *t, const struct endpoint *src,
                       const struct endpoint *dst, uint8_t proto)
{
    struct flow_key k;
    key_make(src, dst, proto, &k);
    uint32_t idx = lookup(t, &k, key_hash(t, &k));
    return idx == POOL_NONE ? NULL : rec(t, idx);
}

bool flow_is_reverse(const struct flow *f, const struct endpoint *src)
{
    return !endpoint_eq(&f->first_src, src);
}

void flow_remove(struct flow_table *t, struct flow *f)
{
    drop(t, pool_index(t->pool, f), FLOW_END_REMOVED);
}

uint32_t flow_expire(struct flow_table *t, uint64_t now_ns)
{
    uint32_t n = 0;
    while (t->lru.head != POOL_NONE && n < t->max_flows) {
        const struct flow *f = rec(t, t->lru.head);
        if (now_ns < f->last_ns || now_ns - f->last_ns < t->idle_ns)
            break;
        drop(t, t->lru.head, FLOW_END_IDLE);
        stats_inc(t->st, STAT_FLOW_EXPIRED);
        n++;
    }
    return n;
}

uint32_t flow_count(const struct flow_table *t)
{
    return pool_in_use(t->pool);
}

uint32_t flow_capacity(const struct flow_table *t)
{
    return t->max_flows;
}

size_t flow_bytes(const struct flow_table *t)
{
    return sizeof *t + pool_bytes(t->pool) + sizeof *t->buckets * ((size_t)t->mask + 1);
}
