/* fuzz_tcpreasm.c: libFuzzer target for TCP stream reassembly (RFC 9293 §3.4). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../decoders/stats.h"
#include "../../sensor/decode.h"
#include "../../sensor/tcpreasm.h"

/*
 * Input: one config byte, then 7-byte segment descriptors:
 *   [0] bit0 direction, bit1-2 connection (4), bit3 SYN, bit4 FIN, bit5 RST,
 *       bit6 call expiry before the segment, bit7 big sequence jump
 *   [1..2] sequence offset from the connection's base (<< 16 with bit7)
 *   [3] length; [4] bit0-3 length multiplier, bit4 NULL payload, bit5 corrupt bytes,
 *       bit6 IPv6 addresses, bit7 junk past the IPv4 address
 *   [5] consumer mode and amount for this segment
 *   [6] time step (ms; bit7 x20), bit6 also marks the segment cut by the snaplen
 * The byte at sequence s is (s & 0xff) unless corrupt, so every run delivered
 * must count up by one: the consumer checks that bytes are never reordered,
 * duplicated inside a run or taken from the wrong place. Each payload is a
 * fresh heap copy freed right after the call, so ASan catches any pointer
 * into a packet kept past its segment.
 */

#define FUZZ_DESC 7
#define FUZZ_MAX_LEN (255 * 16)

static uint8_t pattern[256 + FUZZ_MAX_LEN];

struct fuzz_ctx {
    uint8_t mode;
    bool corrupt;
    size_t cap;
    const uint8_t *pkt_lo;
    const uint8_t *pkt_hi;
    uint64_t bytes;
};

/*
 * The consumer and its checks are built without coverage instrumentation
 * (ASan still checks every byte they read): the reassembler calls it once
 * per run it delivers, often thousands of times per input, and the tracing
 * of its comparisons cost more than the checks. Its branches follow the
 * descriptor's mode byte; what they make the reassembler do is covered there.
 */
__attribute__((no_sanitize("coverage"))) static size_t
fuzz_deliver(void *vctx, const struct pkt_info *pkt, const uint8_t *data, size_t len)
{
    struct fuzz_ctx *c = vctx;
    if (!pkt || !data || len == 0)
        abort();
    bool in_packet = data >= c->pkt_lo && data + len <= c->pkt_hi;
    if (!in_packet && len > c->cap)
        abort(); /* a buffered run never exceeds the per-stream cap */
    /*
     * Counting up by one is data[i] == (data[0] + i) & 0xff: compared 256
     * bytes at a time against the pattern with memcmp (which reads every
     * byte, so ASan checks the run's bounds), not in a loop that
     * sanitizer-coverage traces on every byte (that loop was most of the
     * run time).
     */
    if (!c->corrupt)
        for (size_t off = 0; off < len; off += 256)
            if (memcmp(data + off, pattern + ((data[0] + off) & 0xff),
                       len - off < 256 ? len - off : 256) != 0)
                abort();
    volatile uint8_t sink = data[0] ^ data[len - 1]; /* touch both ends */
    (void)sink;
    c->bytes += len;
    switch (c->mode & 7) {
    case 0:
        return 0;
    case 1:
        return len;
    case 2:
        return len / 2;
    case 3:
        return len + 1 + (c->mode >> 3);
    case 4:
        return (c->mode >> 3) < len ? (c->mode >> 3) : 0;
    case 5: {
        /* a tiny framing rule: a "message" ends at a byte that is 0 mod 32 */
        if (!c->corrupt) { /* the bytes count up from data[0] (checked above) */
            size_t i = (size_t)(-data[0] & 31);
            return i < len ? i + 1 : 0;
        }
        for (size_t i = 0; i < len; i++)
            if ((data[i] & 31) == 0)
                return i + 1;
        return 0;
    }
    case 6:
        return 1;
    default:
        return len > 3 ? len - 3 : 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (pattern[1] == 0)
        for (size_t i = 0; i < sizeof pattern; i++)
            pattern[i] = (uint8_t)i;

    static const size_t caps[4] = {8, 64, 300, 4096};
    uint8_t c0 = data[0];
    struct tcpreasm_config cfg = {
        .max_streams = 1u + (c0 & 7),
        .buffer_bytes = caps[(c0 >> 3) & 3],
        .idle_timeout_s = 1u + ((c0 >> 5) & 1),
    };
    cfg.max_buffers = 1u + ((c0 >> 6) % cfg.max_streams);
    struct stats st;
    memset(&st, 0, sizeof st);
    struct tcpreasm *r = tcpreasm_create(&cfg, (c0 & 0x80) ? &st : NULL);
    if (!r)
        abort();

    struct fuzz_ctx ctx = {.cap = cfg.buffer_bytes};
    /* per connection and direction: a base sequence near the wrap for some */
    static const uint32_t bases[8] = {0,           0xFFFFFF00u, 0x7FFFFFF0u, 1000,
                                      0x80000000u, 0xFFFFFFFFu, 12345678u,   0xFFFF0000u};
    uint64_t now = 1000000000ULL;
    for (size_t pos = 1; pos + FUZZ_DESC <= size; pos += FUZZ_DESC) {
        const uint8_t *d = data + pos;
        bool rev = d[0] & 1;
        uint32_t conn = (d[0] >> 1) & 3;
        uint32_t base = bases[(conn * 2 + (rev ? 1 : 0)) & 7];
        uint32_t off = (uint32_t)d[1] << 8 | d[2];
        if (d[0] & 0x80)
            off <<= 16;
        uint32_t seq = base + off;
        size_t len = (size_t)d[3] * (1u + (d[4] & 15));
        if (len > FUZZ_MAX_LEN)
            len = FUZZ_MAX_LEN;
        now += (uint64_t)d[6] * 1000000ULL * ((d[6] & 0x80) ? 20 : 1);

        if (d[0] & 0x40) {
            if (d[5] & 1)
                tcpreasm_expire(r, now);
            else
                tcpreasm_expire_flush(r, now, fuzz_deliver, &ctx);
        }

        struct pkt_info p;
        memset(&p, 0, sizeof p);
        p.ts_ns = now;
        p.l4 = PKT_L4_TCP;
        p.ip_proto = 6;
        struct endpoint a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        a.ip.family = b.ip.family = (d[4] & 0x40) ? 6 : 4;
        a.ip.b[0] = 10;
        b.ip.b[0] = 10;
        b.ip.b[3] = 1;
        if (d[4] & 0x80 && a.ip.family == 4)
            memset(a.ip.b + 4, d[5], 12); /* junk the key must ignore */
        a.port = (uint16_t)(40000 + conn);
        b.port = 5060;
        p.src = rev ? b : a;
        p.dst = rev ? a : b;
        p.tcp_seq = seq;
        p.tcp_flags =
            (uint8_t)(PKT_TCP_ACK | ((d[0] & 0x08) ? PKT_TCP_SYN : 0) |
                      ((d[0] & 0x10) ? PKT_TCP_FIN : 0) | ((d[0] & 0x20) ? PKT_TCP_RST : 0));
        /* the data of a SYN starts one after its sequence number */
        uint32_t first = seq + ((d[0] & 0x08) ? 1u : 0u);
        uint8_t *copy = NULL;
        if (len > 0) {
            copy = malloc(len);
            if (!copy)
                abort();
            if (d[4] & 0x20) {
                ctx.corrupt = true; /* conflicting retransmission: no more order check */
                memset(copy, d[5], len);
            } else {
                memcpy(copy, pattern + (first & 0xff), len);
            }
        }
        p.payload = (d[4] & 0x10) ? NULL : copy;
        p.payload_len = len;
        p.truncated = (d[6] & 0x40) != 0;
        ctx.mode = d[5];
        ctx.pkt_lo = copy;
        ctx.pkt_hi = copy ? copy + len : NULL;
        tcpreasm_segment(r, &p, fuzz_deliver, &ctx);
        free(copy);
        ctx.pkt_lo = ctx.pkt_hi = NULL;

        if (tcpreasm_active(r) > cfg.max_streams || tcpreasm_buffers_in_use(r) > cfg.max_buffers)
            abort();
    }
    tcpreasm_flush_all(r, fuzz_deliver, &ctx);
    if (tcpreasm_active(r) != 0 || tcpreasm_buffers_in_use(r) != 0)
        abort();
    tcpreasm_destroy(r);
    return 0;
}
