/* fuzz_ipfrag.c: libFuzzer target for IP fragment reassembly (RFC 791 §3.2, RFC 815, RFC 8200 §4.5,
 * RFC 5722). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../decoders/stats.h"
#include "../../sensor/ipfrag.h"

/*
 * Build and run: tests/fuzz/run.sh 60 ipfrag. fuzz_decode reaches the
 * table through real IP headers; this target drives it directly, so that
 * fragment sets complete, overlap, clash, expire and evict often.
 *
 * Input: one config byte (bits 0-1: sets - 1, bits 2-3: timeout - 1 s),
 * then 6-byte fragment descriptors:
 *   [0] bits 0-1 set key (4 keys), bit 2 MF, bit 3 IPv6 key, bit 4 corrupt
 *       bytes, bit 5 expire first, bit 6 a new frame first (ipfrag_release),
 *       bit 7 take the bytes from a datagram completed in this frame (the
 *       decoder does so for a tunnel inside a reassembled packet)
 *   [1..2] offset in 8-byte blocks (13 bits); the top 3 bits of [1], when
 *       all set, add 3 bytes (an offset no IP header can carry)
 *   [3] length; [4] bits 0-3 length multiplier, bits 4-7 time step (x 50 ms)
 *   [5] fill byte (corrupt) or start offset inside the completed datagram
 * Datagram byte o of key k is fuzz_byte(k, o) unless corrupt, so each
 * completed datagram is checked byte by byte until a key sees corruption
 * or borrowed bytes. Each fragment's bytes are a fresh heap copy freed right
 * after the call (the table must copy them).
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_DESC 6
#define FUZZ_KEYS 4

static uint8_t fuzz_byte(unsigned k, uint32_t o)
{
    return (uint8_t)(o * 7u + k * 13u + (o >> 8));
}

/*
 * fuzz_byte of every offset, per key: a datagram is checked with one memcmp
 * and a fragment's bytes are filled with one memcpy, not with a loop that
 * sanitizer-coverage traces on every byte (that loop was half the run time).
 * Long enough for the furthest fragment end: offset (13 bits x 8, + 3) plus
 * length (255 x 16).
 */
#define FUZZ_MAX_OFFSET (0x1fffu * 8u + 3u)
#define FUZZ_MAX_LEN (255u * 16u)
#define FUZZ_PATTERN_LEN (FUZZ_MAX_OFFSET + FUZZ_MAX_LEN)
_Static_assert(FUZZ_PATTERN_LEN >= IPFRAG_MAX_DATAGRAM, "a completed datagram fits the pattern");
static uint8_t fuzz_expect[FUZZ_KEYS][FUZZ_PATTERN_LEN];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (fuzz_expect[1][0] == 0)
        for (unsigned k = 0; k < FUZZ_KEYS; k++)
            for (uint32_t o = 0; o < FUZZ_PATTERN_LEN; o++)
                fuzz_expect[k][o] = fuzz_byte(k, o);
    struct stats st;
    memset(&st, 0, sizeof st);
    uint32_t sets = 1u + (data[0] & 3);
    struct ipfrag *f = ipfrag_create(sets, 1u + ((data[0] >> 2) & 3), &st);
    if (!f)
        abort();
    if (ipfrag_capacity(f) != sets)
        abort();
    bool dirty[2][FUZZ_KEYS] = {{false}};
    const uint8_t *done = NULL; /* a datagram completed in this frame */
    size_t done_len = 0;
    uint64_t now = 1000000000ull;
    for (size_t pos = 1; pos + FUZZ_DESC <= size; pos += FUZZ_DESC) {
        const uint8_t *d = data + pos;
        unsigned k = d[0] & 3;
        bool v6 = d[0] & 8;
        now += (uint64_t)(d[4] >> 4) * 50000000ull;
        if (d[0] & 0x40) {
            ipfrag_release(f);
            done = NULL;
            done_len = 0;
        }
        if (d[0] & 0x20)
            ipfrag_expire(f, now);

        struct ipfrag_frag fr;
        memset(&fr, 0, sizeof fr);
        fr.key.src.family = fr.key.dst.family = v6 ? 6 : 4;
        fr.key.src.b[0] = 10;
        fr.key.dst.b[0] = 10;
        fr.key.dst.b[3] = 1;
        fr.key.id = 1000u + k;
        fr.key.proto = 17;
        fr.offset = (((uint32_t)d[1] << 8 | d[2]) & 0x1fff) * 8u + ((d[1] >> 5) == 7 ? 3u : 0u);
        fr.more = d[0] & 4;
        fr.ts_ns = now;
        size_t len = (size_t)d[3] * (1u + (d[4] & 15));
        uint8_t *copy = NULL;
        if (d[0] & 0x80 && done) {
            size_t start = d[5] < done_len ? d[5] : 0;
            if (len > done_len - start)
                len = done_len - start;
            fr.data = done + start;
            dirty[v6][k] = true;
        } else {
            copy = malloc(len ? len : 1);
            if (!copy)
                abort();
            if (fr.offset + len > FUZZ_PATTERN_LEN)
                abort(); /* the pattern covers every fragment a descriptor can make */
            if (d[0] & 0x10) {
                memset(copy, d[5], len);
                dirty[v6][k] = true;
            } else {
                memcpy(copy, fuzz_expect[k] + fr.offset, len);
            }
            fr.data = copy;
        }
        fr.len = len;
        const uint8_t *out = NULL;
        size_t out_len = 0;
        enum status s = ipfrag_add(f, &fr, &out, &out_len);
        free(copy);
        if (s == STATUS_OK) {
            /* (an empty datagram is complete at once: offset 0, no MF, no bytes) */
            if ((!out && out_len) || out_len > IPFRAG_MAX_DATAGRAM)
                abort();
            /* memcmp reads every byte: ASan checks the view's bounds as it does */
            if (memcmp(out, fuzz_expect[k], out_len) != 0 && !dirty[v6][k])
                abort();
            done = out;
            done_len = out_len;
        } else if (s != STATUS_NEED_MORE && s != STATUS_MALFORMED && s != STATUS_FULL) {
            abort();
        }
        if (ipfrag_in_use(f) > ipfrag_capacity(f))
            abort();
        if (st.v[STAT_FRAG_IN] != (pos - 1) / FUZZ_DESC + 1)
            abort();
    }
    ipfrag_release(f);
    ipfrag_expire(f, now + 3600ull * 1000000000ull);
    if (ipfrag_in_use(f) != 0)
        abort();
    ipfrag_destroy(f);
    return 0;
}
