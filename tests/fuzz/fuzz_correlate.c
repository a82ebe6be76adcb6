/* fuzz_correlate.c: libFuzzer target: SIP messages and RTP/RTCP -> correlation, media, fault rules,
 * every output (RFC 3261 §12, §17). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../decoders/correlate.h"
#include "../../decoders/rtcp.h"
#include "../../decoders/rtp.h"
#include "../../decoders/sip.h"
#include "fuzzout.h"

/*
 * Build and run: tests/fuzz/run.sh 60 correlate. Seeds: tests/fuzz/seeds.py
 * correlate turns each sample's SIP (and its first RTP/RTCP packets) into
 * one input; tests/fuzz/sip.dict helps the mutator with SIP and SDP words.
 *
 * The path a capture takes after decoding, without the capture: the input
 * is a sequence of chunks separated by FUZZ_SEP, each
 *   [meta][dt][body...]
 * dt advances packet time by ((dt & 15) + 1) << (2 * (dt >> 4)) us (1 us to
 * about 5 h, so transaction, linger, setup and idle timeouts all happen); the
 * correlator is ticked every second of packet time, as the worker does.
 *   meta bit 7 clear: body is SIP text, parsed as the worker does (UDP: one
 *     datagram, several messages framed by Content-Length; bit 2: TCP, stream
 *     framing, a partial message is dropped). bits 0-1 pick the sender and
 *     receiver among three parties (caller, callee, proxy), bit 3 their IPv6
 *     addresses;
 *   meta bit 7 set: body is [src addr][src port][dst addr][dst port] then an
 *     RTP or RTCP datagram (addresses 4 bytes, or 16 with bit 0); bits 1-2
 *     how RTP is taken: 0 as the worker does (a followed stream, else an
 *     announced endpoint), 1 announced, 2 classified, 3 existing only.
 * Calls, registrations and streams go to every output sink (fuzzout.h).
 * The correlator and its media tables are created per input with small
 * tables so that every pool fills and evicts.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SEP "\xfe\xed\xfa\xce"
#define FUZZ_SEP_LEN 4
#define FUZZ_MAX_CHUNKS 4096
#define FUZZ_MAX_SIP_PER_CHUNK 64 /* WORKER_MAX_SIP_PER_DATAGRAM */
#define FUZZ_NS_PER_S 1000000000ull

static struct endpoint fuzz_party(int i, bool v6)
{
    struct endpoint e;
    memset(&e, 0, sizeof e);
    static const uint8_t v4[3][4] = {{192, 0, 2, 1}, {198, 51, 100, 2}, {203, 0, 113, 3}};
    if (v6) {
        e.ip.family = 6;
        static const uint8_t pfx[] = {0x20, 0x01, 0x0d, 0xb8};
        memcpy(e.ip.b, pfx, sizeof pfx);
        e.ip.b[15] = (uint8_t)(i + 1);
    } else {
        e.ip.family = 4;
        memcpy(e.ip.b, v4[i], 4);
    }
    e.port = 5060;
    return e;
}

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

static void fuzz_sip(struct correlate *co, uint8_t meta, const uint8_t *b, size_t len, uint64_t now)
{
    static const int pairs[4][2] = {{0, 1}, {1, 0}, {0, 2}, {2, 1}};
    bool v6 = meta & 8;
    bool tcp = meta & 4;
    struct sip_meta sm = {
        .ts_ns = now,
        .src = fuzz_party(pairs[meta & 3][0], v6),
        .dst = fuzz_party(pairs[meta & 3][1], v6),
        .transport = tcp ? CALL_TRANSPORT_TCP : CALL_TRANSPORT_UDP,
    };
    size_t off = 0;
    for (int n = 0; n < FUZZ_MAX_SIP_PER_CHUNK && off < len; n++) {
        struct sip_msg m;
        enum status s = sip_parse(b + off, len - off, tcp, &m);
        if (s == STATUS_NEED_MORE)
            break;
        if (m.wire_len > len - off)
            abort();
        if (s == STATUS_OK)
            correlate_sip(co, &m, &sm);
        else if (!tcp)
            break; /* the worker drops the rest of a datagram */
        off += m.wire_len ? m.wire_len : len - off;
    }
}

static bool fuzz_endpoint(const uint8_t **p, const uint8_t *end, bool v6, struct endpoint *e)
{
    size_t n = v6 ? 16 : 4;
    if ((size_t)(end - *p) < n + 2)
        return false;
    memset(e, 0, sizeof *e);
    e->ip.family = v6 ? 6 : 4;
    memcpy(e->ip.b, *p, n);
    e->port = (uint16_t)((*p)[n] << 8 | (*p)[n + 1]);
    *p += n + 2;
    return true;
}

static void fuzz_media(struct correlate *co, uint8_t meta, const uint8_t *b, size_t len,
                       uint64_t now)
{
    static struct rtcp_compound rtcp;
    const uint8_t *p = b;
    const uint8_t *end = b + len;
    struct endpoint src, dst;
    if (!fuzz_endpoint(&p, end, meta & 1, &src) || !fuzz_endpoint(&p, end, meta & 1, &dst))
        return;
    struct media *md = correlate_media(co);
    size_t n = (size_t)(end - p);
    bool rtcp_ep = false;
    if (rtp_is_rtcp(p, n)) {
        rtcp_parse(p, n, &rtcp);
        media_rtcp(md, &src, &dst, &rtcp, now);
        return;
    }
    struct rtp_hdr h;
    enum status rs = rtp_parse(p, n, &h);
    if (rs != STATUS_OK && !(rs == STATUS_MALFORMED && (h.anomalies & RTP_ANOM_BAD_PADDING)))
        return;
    switch ((meta >> 1) & 3) {
    case 0:
        if (!media_rtp(md, &src, &dst, &h, now, MEDIA_RTP_EXISTING) &&
            media_is_announced(md, &src, &dst, &rtcp_ep))
            media_rtp(md, &src, &dst, &h, now, MEDIA_RTP_ANNOUNCED);
        break;
    case 1:
        media_rtp(md, &src, &dst, &h, now, MEDIA_RTP_ANNOUNCED);
        break;
    case 2:
        media_rtp(md, &src, &dst, &h, now, MEDIA_RTP_CLASSIFIED);
        break;
    default:
        media_rtp(md, &src, &dst, &h, now, MEDIA_RTP_EXISTING);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct correlate_config cfg;
    correlate_config_default(&cfg);
    cfg.max_calls = 8;
    cfg.max_msgs = 128;
    cfg.msgs_per_call = 32;
    cfg.max_txns = 32;
    cfg.max_regs = 4;
    cfg.text_bytes = 16u << 10;
    cfg.media.max_endpoints = 32;
    cfg.media.max_streams = 16;
    struct stats st;
    memset(&st, 0, sizeof st);
    fuzzout_begin();
    struct correlate *co =
        correlate_create(&cfg, &st, fuzzout_call, fuzzout_reg, fuzzout_stream, NULL);
    if (!co)
        abort();

    uint64_t now = 1700000000ull * FUZZ_NS_PER_S, next_tick = 0;
    const uint8_t *p = data;
    const uint8_t *end = data + size;
    for (int i = 0; i < FUZZ_MAX_CHUNKS && p < end; i++) {
        const uint8_t *q = fuzz_find(p, end);
        if (q - p >= 2) {
            uint8_t meta = p[0], dt = p[1];
            now += (((uint64_t)(dt & 15) + 1) * 1000u) << (2 * (dt >> 4));
            if (now >= next_tick) {
                correlate_tick(co, now);
                next_tick = now + FUZZ_NS_PER_S;
            }
            if (meta & 0x80)
                fuzz_media(co, meta, p + 2, (size_t)(q - p - 2), now);
            else
                fuzz_sip(co, meta, p + 2, (size_t)(q - p - 2), now);
            if (correlate_active_calls(co) > cfg.max_calls ||
                media_active_streams(correlate_media(co)) > cfg.media.max_streams)
                abort();
        }
        p = q + (q < end ? FUZZ_SEP_LEN : 0);
    }
    correlate_tick(co, now);
    correlate_flush(co, now);
    if (correlate_active_calls(co) != 0)
        abort();
    fuzzout_end(&st);
    correlate_destroy(co);
    return 0;
}
