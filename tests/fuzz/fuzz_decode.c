/* fuzz_decode.c: libFuzzer target for the L2-L4 decoder and IP reassembly behind it (RFC 791, RFC
 * 8200, RFC 768, RFC 9293). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../sensor/decode.h"

/*
 * Build and run: tests/fuzz/run.sh 60 decode (seeds: tests/fuzz/seeds.py decode,
 * every frame of samples/ with its link type, and the fragment trains).
 * A fresh decoder per input (so every crash replays alone), with a small
 * fragment table and a short timeout, so fragment sets fill, complete, clash
 * and expire. The input is either one frame, decoded as a frame of every
 * link type in turn (100 ms apart), or, when it holds FUZZ_SEP, a sequence of
 * frames [link][bytes...] separated by it: link & 15 picks the link type
 * (modulo the table), link >> 4 the time step (x 250 ms), so the fragments
 * of one datagram can arrive in one input and be put back together.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int fuzz_links[] = {
    DECODE_LINK_NULL, DECODE_LINK_EN10MB,     DECODE_LINK_DLT_RAW,   DECODE_LINK_DLT_RAW_OBSD,
    DECODE_LINK_RAW,  DECODE_LINK_LOOP,       DECODE_LINK_LINUX_SLL, DECODE_LINK_IPV4,
    DECODE_LINK_IPV6, DECODE_LINK_LINUX_SLL2,
};

#define FUZZ_SEP "\xfe\xed\xfa\xce"
#define FUZZ_SEP_LEN 4
#define FUZZ_MAX_FRAMES 256

/* where the payload is copied to: memcpy reads every byte, so ASan checks the view's bounds */
static uint8_t fuzz_sink[4096];

/* The first FUZZ_SEP in [p, end), or end: memchr, not a traced byte-by-byte memcmp. */
static const uint8_t *fuzz_find(const uint8_t *p, const uint8_t *end)
{
    while (p + FUZZ_SEP_LEN <= end) {
        const uint8_t *q = memchr(p, FUZZ_SEP[0] & 0xff, (size_t)(end - p));
        if (!q || q + FUZZ_SEP_LEN > end)
            return end;
        if (memcmp(q, FUZZ_SEP, FUZZ_SEP_LEN) == 0)
            return q;
        p = q + 1;
    }
    return end;
}

static void fuzz_frame(struct decode *d, int link, const uint8_t *data, size_t size, uint64_t ts)
{
    struct pkt_info pi, ahead;
    bool peeked = decode_peek_udp(link, data, size, ts, &ahead);
    enum status s = decode_frame(d, link, data, size, ts, &pi);
    /* the look-ahead decode takes only what decode_frame decodes, exactly as it does */
    if (peeked && (s != STATUS_OK || !pkt_info_same(&ahead, &pi)))
        abort();
    if (s == STATUS_OK && pi.payload_len) {
        /* read every payload byte (a chunk at a time; not a loop traced on every byte) */
        for (size_t k = 0; k < pi.payload_len; k += sizeof fuzz_sink)
            memcpy(fuzz_sink, pi.payload + k,
                   pi.payload_len - k < sizeof fuzz_sink ? pi.payload_len - k : sizeof fuzz_sink);
    }
    if (s == STATUS_OK && pi.l4 != PKT_L4_UDP && pi.l4 != PKT_L4_TCP && pi.l4 != PKT_L4_OTHER &&
        pi.payload_len)
        abort(); /* ICMP and no-L4 packets carry no payload view */
    if (pi.ts_ns != ts || (s == STATUS_OK && pi.encap_depth > DECODE_MAX_ENCAP))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stats st;
    memset(&st, 0, sizeof st);
    struct decode_config cfg = {4, 2};
    struct decode *d = decode_create(&cfg, &st);
    if (!d)
        abort();
    uint64_t ts = 1000000000ull;
    const uint8_t *end = data + size;
    if (fuzz_find(data, end) == end) {
        for (size_t i = 0; i < sizeof fuzz_links / sizeof fuzz_links[0]; i++) {
            ts += 100000000ull;
            fuzz_frame(d, fuzz_links[i], data, size, ts);
        }
    } else {
        const uint8_t *p = data;
        for (int n = 0; n < FUZZ_MAX_FRAMES && p < end; n++) {
            const uint8_t *q = fuzz_find(p, end);
            if (q > p) {
                size_t li = (size_t)(p[0] & 15) % (sizeof fuzz_links / sizeof fuzz_links[0]);
                ts += (uint64_t)(p[0] >> 4) * 250000000ull;
                /* the frame on the heap, exactly its size: ASan sees a read past it */
                size_t n_bytes = (size_t)(q - p - 1);
                uint8_t *copy = malloc(n_bytes ? n_bytes : 1);
                if (!copy)
                    abort();
                memcpy(copy, p + 1, n_bytes);
                fuzz_frame(d, fuzz_links[li], copy, n_bytes, ts);
                free(copy);
            }
            p = q + (q < end ? FUZZ_SEP_LEN : 0);
        }
    }
    if (decode_frag_in_use(d) > cfg.frag_max)
        abort();
    decode_destroy(d);
    return 0;
}
