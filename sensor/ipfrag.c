/* ipfrag.c: IPv4/IPv6 fragment reassembly (RFC 791 §3.2, RFC 815, RFC 8200 §4.5, RFC 5722). */
#include "ipfrag.h"

#include <stdlib.h>
#include <string.h>

#include "../decoders/hashkey.h"
#include "../decoders/pool.h"

#define IPFRAG_BLOCK 8u /* fragment unit, bytes */
#define IPFRAG_BLOCKS ((IPFRAG_MAX_DATAGRAM + IPFRAG_BLOCK - 1) / IPFRAG_BLOCK) /* 8192 */
#define IPFRAG_WORDS (IPFRAG_BLOCKS / 64)
#define NS_PER_S 1000000000ull

/* One fragment set: a pool record; its buffer is bufs[index]. */
struct ipfrag_set {
    struct ipfrag_key key;
    uint64_t first_ns; /* packet time of the first fragment seen: the timeout runs from here */
    uint32_t hnext;    /* hash chain */
    uint32_t older;    /* age list, oldest at f->oldest */
    uint32_t newer;
    uint32_t total;    /* datagram length, known once the final fragment arrived */
    uint32_t received; /* bytes held; no overlaps are kept, so this is exact */
    uint32_t end_max;  /* highest byte end held */
    bool have_last;
    uint64_t bits[IPFRAG_WORDS]; /* 8-byte blocks held */
};

struct ipfrag {
    struct pool *sets;
    uint8_t *bufs;     /* capacity * IPFRAG_MAX_DATAGRAM bytes */
    uint32_t *buckets; /* hash heads, POOL_NONE when empty */
    uint32_t nbuckets; /* power of two */
    uint32_t oldest;   /* age list ends */
    uint32_t newest;
    uint32_t pinned[IPFRAG_MAX_PINNED];
    uint32_t npinned;
    uint64_t timeout_ns;
    struct stats *st;
};

struct ipfrag *ipfrag_create(uint32_t max_sets, uint32_t timeout_s, struct stats *st)
{
    if (max_sets == 0)
        max_sets = IPFRAG_DEFAULT_SETS;
    if (max_sets > IPFRAG_MAX_SETS)
        max_sets = IPFRAG_MAX_SETS;
    if (timeout_s == 0)
        timeout_s = IPFRAG_DEFAULT_TIMEOUT_S;
    uint32_t nb = 16;
    while (nb < 2 * max_sets)
        nb *= 2;
    struct ipfrag *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->sets = pool_create(sizeof(struct ipfrag_set), max_sets);
    /* untouched buffer pages are never written, so the OS backs only what fragments use */
    f->bufs = malloc((size_t)max_sets * IPFRAG_MAX_DATAGRAM);
    f->buckets = malloc((size_t)nb * sizeof *f->buckets);
    if (!f->sets || !f->bufs || !f->buckets) {
        ipfrag_destroy(f);
        return NULL;
    }
    for (uint32_t i = 0; i < nb; i++)
        f->buckets[i] = POOL_NONE;
    f->nbuckets = nb;
    f->oldest = f->newest = POOL_NONE;
    f->timeout_ns = (uint64_t)timeout_s * NS_PER_S;
    f->st = st;
    return f;
}

void ipfrag_destroy(struct ipfrag *f)
{
    if (!f)
        return;
    pool_destroy(f->sets);
    free(f->bufs);
    free(f->buckets);
    free(f);
}

static struct ipfrag_set *set_at(const struct ipfrag *f, uint32_t idx)
{
    return pool_at(f->sets, idx);
}

static uint8_t *buf_at(const struct ipfrag *f, uint32_t idx)
{
    return f->bufs + (size_t)idx * IPFRAG_MAX_DATAGRAM;
}

/* Keyed (hashkey.h): the sender picks addresses and IDs, and must not pick a bucket. */
static uint32_t key_hash(const struct ipfrag_key *k)
{
    uint64_t h =
        hash_step(hash_start(0), (uint64_t)k->id << 16 | (uint64_t)k->proto << 8 | k->src.family);
    if (k->src.family == 6) {
        for (int i = 0; i < 16; i += 8) {
            uint64_t s, d;
            memcpy(&s, k->src.b + i, 8);
            memcpy(&d, k->dst.b + i, 8);
            h = hash_step(hash_step(h, s), d);
        }
    } else {
        uint32_t s, d;
        memcpy(&s, k->src.b, 4);
        memcpy(&d, k->dst.b, 4);
        h = hash_step(h, (uint64_t)s << 32 | d);
    }
    return (uint32_t)(h ^ (h >> 32));
}

static bool key_eq(const struct ipfrag_key *a, const struct ipfrag_key *b)
{
    return a->id == b->id && a->proto == b->proto && addr_eq(&a->src, &b->src) &&
           addr_eq(&a->dst, &b->dst);
}

static uint32_t lookup(const struct ipfrag *f, const struct ipfrag_key *k, uint32_t bucket)
{
    /* a chain holds at most every set once: capacity bounds the walk */
    uint32_t idx = f->buckets[bucket];
    for (uint32_t n = 0; idx != POOL_NONE && n < pool_capacity(f->sets); n++) {
        const struct ipfrag_set *s = set_at(f, idx);
        if (key_eq(&s->key, k))
            return idx;
        idx = s->hnext;
    }
    return POOL_NONE;
}

/* Take a set off its hash chain and the age list; it stays allocated. */
static void unlink_set(struct ipfrag *f, uint32_t idx)
{
    struct ipfrag_set *s = set_at(f, idx);
    uint32_t *pp = &f->buckets[key_hash(&s->key) & (f->nbuckets - 1)];
    for (uint32_t n = 0; *pp != POOL_NONE && n < pool_capacity(f->sets); n++) {
        if (*pp == idx) {
            *pp = s->hnext;
            break;
        }
        pp = &set_at(f, *pp)->hnext;
    }
    if (s->older != POOL_NONE)
        set_at(f, s->older)->newer = s->newer;
    else
        f->oldest = s->newer;
    if (s->newer != POOL_NONE)
        set_at(f, s->newer)->older = s->older;
    else
        f->newest = s->older;
    s->hnext = s->older = s->newer = POOL_NONE;
}

static void drop_set(struct ipfrag *f, uint32_t idx)
{
    unlink_set(f, idx);
    pool_put(f->sets, idx);
}

static void evict_oldest(struct ipfrag *f)
{
    if (f->oldest == POOL_NONE)
        return;
    drop_set(f, f->oldest);
    stats_inc(f->st, STAT_FRAG_EVICTED);
}

void ipfrag_expire(struct ipfrag *f, uint64_t now_ns)
{
    /* the age list is in arrival order: stop at the first set still in time */
    for (uint32_t n = pool_capacity(f->sets); f->oldest != POOL_NONE && n > 0; n--) {
        const struct ipfrag_set *s = set_at(f, f->oldest);
        if (now_ns <= s->first_ns || now_ns - s->first_ns <= f->timeout_ns)
            break;
        evict_oldest(f);
    }
}

void ipfrag_release(struct ipfrag *f)
{
    for (uint32_t i = 0; i < f->npinned; i++)
        pool_put(f->sets, f->pinned[i]);
    f->npinned = 0;
}

uint32_t ipfrag_in_use(const struct ipfrag *f)
{
    return pool_in_use(f->sets);
}

uint32_t ipfrag_capacity(const struct ipfrag *f)
{
    return pool_capacity(f->sets);
}

static uint32_t new_set(struct ipfrag *f, const struct ipfrag_frag *frag, uint32_t bucket)
{
    uint32_t idx = pool_get(f->sets);
    if (idx == POOL_NONE) {
        /* full: the declared policy is to evict the oldest incomplete set */
        evict_oldest(f);
        idx = pool_get(f->sets);
        if (idx == POOL_NONE)
            return POOL_NONE;
    }
    struct ipfrag_set *s = set_at(f, idx);
    s->key = frag->key;
    s->first_ns = frag->ts_ns;
    s->hnext = f->buckets[bucket];
    f->buckets[bucket] = idx;
    s->newer = POOL_NONE;
    s->older = f->newest;
    if (f->newest != POOL_NONE)
        set_at(f, f->newest)->newer = idx;
    else
        f->oldest = idx;
    f->newest = idx;
    return idx;
}

static bool bit_get(const uint64_t *bits, uint32_t b)
{
    return bits[b / 64] >> (b % 64) & 1u;
}

/* Blocks of [b0, b1) already held. */
static uint32_t held_blocks(const struct ipfrag_set *s, uint32_t b0, uint32_t b1)
{
    uint32_t n = 0;
    for (uint32_t b = b0; b < b1; b++)
        n += bit_get(s->bits, b);
    return n;
}

static enum status bad(struct ipfrag *f, uint32_t idx)
{
    if (idx != POOL_NONE)
        drop_set(f, idx);
    stats_inc(f->st, STAT_FRAG_BAD);
    return STATUS_MALFORMED;
}

enum status ipfrag_add(struct ipfrag *f, const struct ipfrag_frag *frag, const uint8_t **out,
                       size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    stats_inc(f->st, STAT_FRAG_IN);
    if (f->npinned >= IPFRAG_MAX_PINNED) {
        /* this frame already completed as many datagrams as can be held for it */
        stats_inc(f->st, STAT_FRAG_EVICTED);
        return STATUS_FULL;
    }
    uint32_t bucket = key_hash(&frag->key) & (f->nbuckets - 1);
    uint32_t idx = lookup(f, &frag->key, bucket);

    /* checks on the fragment alone (RFC 791: every fragment but the last is 8-byte aligned) */
    if (frag->offset % IPFRAG_BLOCK || frag->len > IPFRAG_MAX_DATAGRAM ||
        frag->offset > IPFRAG_MAX_DATAGRAM - frag->len ||
        (frag->more && (frag->len == 0 || frag->len % IPFRAG_BLOCK)) || (frag->len && !frag->data))
        return bad(f, idx);
    uint32_t off = frag->offset;
    uint32_t end = off + (uint32_t)frag->len;

    if (idx == POOL_NONE) {
        idx = new_set(f, frag, bucket);
        if (idx == POOL_NONE) {
            stats_inc(f->st, STAT_FRAG_EVICTED);
            return STATUS_FULL;
        }
    }
    struct ipfrag_set *s = set_at(f, idx);
    uint8_t *buf = buf_at(f, idx);

    /* consistency with what the set already knows about its length */
    if (!frag->more) {
        if ((s->have_last && s->total != end) || s->end_max > end)
            return bad(f, idx);
    } else if (s->have_last && end > s->total) {
        return bad(f, idx);
    }

    uint32_t b0 = off / IPFRAG_BLOCK;
    uint32_t b1 = (end + IPFRAG_BLOCK - 1) / IPFRAG_BLOCK;
    uint32_t held = held_blocks(s, b0, b1);
    if (held) {
        /* a repeat of bytes already held is harmless; any other overlap is not (RFC 5722) */
        if (held == b1 - b0 && memcmp(buf + off, frag->data, frag->len) == 0)
            return STATUS_NEED_MORE;
        return bad(f, idx);
    }
    if (frag->len)
        memcpy(buf + off, frag->data, frag->len);
    for (uint32_t b = b0; b < b1; b++)
        s->bits[b / 64] |= (uint64_t)1 << (b % 64);
    s->received += (uint32_t)frag->len;
    if (end > s->end_max)
        s->end_max = end;
    if (!frag->more) {
        s->have_last = true;
        s->total = end;
    }
    if (!s->have_last || s->received != s->total)
        return STATUS_NEED_MORE;

    /* complete: hold the buffer until the frame is done with it */
    unlink_set(f, idx);
    f->pinned[f->npinned++] = idx;
    stats_inc(f->st, STAT_FRAG_REASSEMBLED);
    *out = buf;
    *out_len = s->total;
    return STATUS_OK;
}
