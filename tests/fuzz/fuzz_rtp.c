/* fuzz_rtp.c: libFuzzer entry for the RTP decoder and stream statistics (RFC 3550, RFC 4733). */
#include <stdint.h>
#include <stdlib.h>

#include "decoders/rtp.h"
#include "decoders/rtpstream.h"

/*
 * Build and run: make fuzz FUZZ_TARGETS=rtp FUZZ_SECONDS=60
 * (tests/fuzz/run.sh compiles it with clang -fsanitize=fuzzer,address,undefined).
 *
 * The input is read twice:
 *  1. whole, as one datagram: rtp_parse, rtp_looks_like and rtp_is_rtcp;
 *  2. as a packet sequence for one stream: byte 0 picks the telephone-event
 *     payload type (or none) and the clock rate, then records of
 *     [length][arrival step in ms, bit 7 = backwards][length bytes], each parsed and, when
 *     Wireshark would count it, handed to rtpstream_update.
 *
 * Beyond "no crash": the payload view lies inside the input and after the
 * header; the heuristic implies a clean parse; the figures stay coherent
 * (loss bursts never exceed the packets lost, counters never wrap below 0,
 * the DTMF digit count respects its cap).
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned fuzz_sink;
static struct rtpstream fuzz_stream;

static void fuzz_check_hdr(const uint8_t *p, size_t len, const struct rtp_hdr *h)
{
    if (h->payload_len == 0)
        return;
    if (h->payload < p || h->payload > p + len || h->payload_len > (size_t)(p + len - h->payload))
        abort();
    if (h->header_len != (size_t)(h->payload - p))
        abort();
    unsigned s = 0;
    for (size_t i = 0; i < h->payload_len; i++)
        s += h->payload[i];
    fuzz_sink += s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtp_hdr h;
    enum status st = rtp_parse(data, size, &h);
    if (st != STATUS_OK && st != STATUS_TRUNCATED && st != STATUS_MALFORMED)
        abort();
    if (st == STATUS_OK) {
        fuzz_check_hdr(data, size, &h);
        if (h.version != 2 || h.header_len + h.payload_len + h.padding_len != size)
            abort();
    }
    if (rtp_looks_like(data, size) && (st != STATUS_OK || h.payload_len == 0))
        abort();
    fuzz_sink += (unsigned)rtp_is_rtcp(data, size);

    if (size < 1)
        return 0;
    uint32_t event_pt = (data[0] & 0x80) ? 96u + (data[0] & 31) : RTPSTREAM_NO_EVENT_PT;
    static const uint32_t clocks[4] = {0, 8000, 48000, 500};
    struct rtpstream *s = &fuzz_stream;
    rtpstream_init(s, 0, 96, clocks[(data[0] >> 5) & 3]);
    uint64_t t = 1000000000000ull;
    size_t i = 1;
    while (i + 2 <= size) {
        size_t len = data[i];
        /* a step back (bit 7) is a capture whose clock went backwards */
        if (data[i + 1] & 0x80)
            t -= (uint64_t)(data[i + 1] & 0x7F) * 1000000u;
        else
            t += (uint64_t)data[i + 1] * 1000000u;
        i += 2;
        if (len > size - i)
            len = size - i;
        const uint8_t *p = data + i;
        i += len;
        st = rtp_parse(p, len, &h);
        if (!(st == STATUS_OK || (st == STATUS_MALFORMED && (h.anomalies & RTP_ANOM_BAD_PADDING))))
            continue;
        fuzz_check_hdr(p, len, &h);
        unsigned ev = rtpstream_update(s, &h, t, event_pt);
        if (ev & ~(unsigned)(RTPSTREAM_EV_DTMF_BEGIN | RTPSTREAM_EV_DTMF_END))
            abort();
    }
    struct rtpstream_figures f;
    rtpstream_figures(s, &f);
    if (f.loss_bursts[0] + (uint64_t)f.loss_bursts[1] > f.lost_unique)
        abort();
    if (f.lost_unique > 0x7FFFFFFFu || f.duplicates > f.packets || f.out_of_order > f.packets)
        abort();
    if (f.lost_unique && f.expected_unique < f.lost_unique)
        abort();
    if (f.window_valid && f.window_lost > f.window_expected)
        abort();
    if (s->dtmf_any && s->dtmf_last.digit &&
        s->dtmf_last.digit != rtpstream_dtmf_digit(s->dtmf_last.event))
        abort();
    if (f.packets && (f.min_jitter_ms < -1 || f.max_jitter_ms < 0 || f.max_delta_ms < 0))
        abort();
    fuzz_sink += f.packets + (unsigned)f.lost + f.seq_errors + (unsigned)(f.burst_ratio > 1);
    return 0;
}
