/* hashkey.h: the process's secret key for table hashes: a sender cannot aim keys at one bucket. */
#ifndef SIPSCOPE_DECODERS_HASHKEY_H
#define SIPSCOPE_DECODERS_HASHKEY_H

#include <stdint.h>

/*
 * Call-IDs, tags, branches, addresses and ports all come from the wire and
 * pick hash buckets. With a fixed hash, whoever can send SIP can compute
 * keys that share one bucket (with multiply-xorshift, whole 64-bit
 * collisions take two edits per 16 bytes), and then every message of the
 * flood walks every call before it. So each step mixes in a key drawn at
 * start (hash_key_init) through a 64x64->128 multiply whose both factors
 * hold secret bits: a flipped input bit changes the product by a multiple
 * of an unknown value. Nothing in any output depends on bucket positions.
 * Until hash_key_init runs (unit tests, fuzzers) the key is a fixed one.
 */
extern uint64_t hash_key[3];

/* Draw a new key (getrandom; else clock, pid and addresses). Before any table exists. */
void hash_key_init(void);

/* Both halves of a * b folded into one word. */
static inline uint64_t hash_mum(uint64_t a, uint64_t b)
{
    __extension__ typedef unsigned __int128 hash_u128;
    hash_u128 p = (hash_u128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/* One word into a running hash h. */
static inline uint64_t hash_step(uint64_t h, uint64_t w)
{
    return hash_mum(w ^ hash_key[0], h ^ hash_key[1]);
}

/* The first state of a hash: the key and the caller's seed (0, or an earlier hash to chain). */
static inline uint64_t hash_start(uint64_t seed)
{
    return seed ^ hash_key[2];
}

#endif
