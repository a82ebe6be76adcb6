/* test_hashkey.c: table hashes are keyed per process, so keys built to share a bucket do not. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "../decoders/addr.h"
#include "../decoders/hashkey.h"
#include "../decoders/sv.h"

/* The unkeyed multiply-xorshift sv_hash had before: what a sender could compute offline. */
static uint64_t fixed_step(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

static uint64_t fixed_hash(const char *p, size_t len)
{
    uint64_t h = fixed_step(1469598103934665603ULL, len), w;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        h = fixed_step(h, w);
    }
    if (i < len) {
        w = 0;
        for (size_t k = 0; i + k < len; k++)
            w |= (uint64_t)(uint8_t)p[i + k] << (8 * k);
        h = fixed_step(h, w);
    }
    return h;
}

/*
 * Call-ID number v of 4096, all one 64-bit hash under fixed_hash: flipping bit 63 of a word
 * changes the state after it by exactly bits 63 and 34 whatever the state was, and the next
 * word's same two bits cancel that. Twelve 16-byte blocks, each edited or not: 2^12 IDs.
 */
#define FLOOD_BLOCKS 12
#define FLOOD_LEN (16 * FLOOD_BLOCKS)
static void flood_id(unsigned v, char out[FLOOD_LEN])
{
    for (size_t i = 0; i < FLOOD_LEN; i++)
        out[i] = (char)('a' + (i * 7) % 26);
    for (unsigned b = 0; b < FLOOD_BLOCKS; b++) {
        if (!(v >> b & 1u))
            continue;
        out[16 * b + 7] ^= (char)0x80;
        out[16 * b + 12] ^= 0x04;
        out[16 * b + 15] ^= (char)0x80;
    }
}

static unsigned distinct_buckets(uint64_t (*h)(const char *, size_t), uint32_t mask)
{
    static uint8_t used[4096];
    memset(used, 0, sizeof used);
    unsigned n = 0;
    char id[FLOOD_LEN];
    for (unsigned v = 0; v < 4096; v++) {
        flood_id(v, id);
        uint32_t b = (uint32_t)(h(id, sizeof id) & mask);
        n += !used[b];
        used[b] = 1;
    }
    return n;
}

static uint64_t keyed_hash(const char *p, size_t len)
{
    return sv_hash(sv_make(p, len), 0);
}

Test(hashkey, call_ids_built_to_collide_under_a_fixed_hash_spread_over_the_buckets)
{
    cr_assert_eq(distinct_buckets(fixed_hash, 4095), 1, "the flood works on the fixed hash");
    /* 4096 keys in 4096 buckets: 2590 distinct on average, so 2300 is far below any chance. */
    cr_assert_geq(distinct_buckets(keyed_hash, 4095), 2300, "with the built-in key");
    for (int draw = 0; draw < 4; draw++) {
        hash_key_init();
        cr_assert_geq(distinct_buckets(keyed_hash, 4095), 2300, "with drawn key %d", draw);
    }
}

Test(hashkey, every_draw_gives_another_key_and_moves_every_hash)
{
    struct endpoint e = {.port = 5060};
    cr_assert(addr_parse(SV_LIT("192.0.2.1"), &e.ip));
    struct sv id = SV_LIT("a84b4c76e66710@pc33.atlanta.example.com");
    uint64_t key[3], ids = sv_hash(id, 0), eps = endpoint_hash(&e, 0);
    memcpy(key, hash_key, sizeof key);
    hash_key_init();
    cr_assert(memcmp(key, hash_key, sizeof key) != 0, "a new key");
    cr_assert_neq(sv_hash(id, 0), ids, "a Call-ID lands elsewhere");
    cr_assert_neq(endpoint_hash(&e, 0), eps, "an endpoint lands elsewhere");
    cr_assert_neq(endpoint_hash(&e, 1), endpoint_hash(&e, 2), "the seed still counts");
    memcpy(hash_key, key, sizeof key);
    cr_assert_eq(sv_hash(id, 0), ids, "the same key, the same hash");
}
