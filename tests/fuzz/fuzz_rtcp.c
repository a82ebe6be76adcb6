/* fuzz_rtcp.c: libFuzzer entry point for the RTCP compound walker and the MOS model fed from it
 * (RFC 3550 §6.4-6.7, RFC 3611, G.107). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decoders/mos.h"
#include "decoders/rtcp.h"

/*
 * Build and run: make fuzz FUZZ_TARGETS=rtcp FUZZ_SECONDS=60
 * Seeds: tests/fuzz/seeds/rtcp/ (the datagrams of tests/test_rtcp.c).
 *
 * Beyond "no crash": the status is one of the three documented, every count
 * respects its cap, the packets walked add up to wire_len, every block and
 * chunk range of a packet lies inside the compound's arrays, every view lies
 * inside the input (each byte is read so ASan sees a stray pointer), the
 * helpers return values in their documented ranges, and the MOS computed
 * from a report's loss and round trip stays in 1..4.5.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned fuzz_sink;

static void fuzz_view(const uint8_t *buf, size_t len, struct sv v)
{
    if (v.len == 0)
        return;
    const char *b = (const char *)buf;
    if (v.p < b || v.p > b + len || v.len > (size_t)(b + len - v.p))
        abort();
    unsigned s = 0;
    for (size_t i = 0; i < v.len; i++)
        s += (unsigned char)v.p[i];
    fuzz_sink += s;
}

static void fuzz_mos(const struct rtcp_report *b, uint64_t now_ns)
{
    static const char *const codecs[] = {"PCMA", "G729", "G723", "GSM-EFR", "opus"};
    double rtt = -1;
    if (rtcp_rtt_ms(b->lsr, b->dlsr, now_ns, &rtt) && !(rtt >= 0 && rtt <= RTCP_RTT_MAX_MS))
        abort();
    double pct = rtcp_fraction_lost_pct(b->fraction_lost);
    if (!(pct >= 0 && pct < 100))
        abort();
    double jit = rtcp_jitter_ms(b->jitter, 8000);
    if (!(jit >= 0))
        abort();
    const char *codec = codecs[b->ssrc % 5];
    struct mos_input in = {sv_make(codec, strlen(codec)), pct, (b->jitter & 0xFF) / 16.0, rtt};
    struct mos_result r = mos_compute(&in);
    if (r.valid) {
        if (!(r.mos >= 1 && r.mos <= 4.5) || !(r.r_factor >= 0 && r.r_factor <= 100) ||
            strlen(r.model) >= MOS_MODEL_MAX)
            abort();
    } else if (r.mos != 0 || r.model[0] != '\0') {
        abort();
    }
}

static struct rtcp_compound fuzz_r;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtcp_compound *r = &fuzz_r;
    enum status st = rtcp_parse(data, size, r);
    if (st != STATUS_OK && st != STATUS_TRUNCATED && st != STATUS_MALFORMED)
        abort();
    if (r->packet_count > RTCP_MAX_PACKETS || r->block_count > RTCP_MAX_BLOCKS ||
        r->chunk_count > RTCP_MAX_CHUNKS || r->wire_len > size)
        abort();
    if (st == STATUS_OK && r->wire_len != size && !(r->anomalies & RTCP_ANOM_TOO_MANY))
        abort();
    if (r->packet_count > 0 && size >= 8 && !rtcp_is_rtcp(data, size))
        abort();
    size_t walked = 0;
    unsigned blocks = 0, chunks = 0;
    for (size_t i = 0; i < r->packet_count; i++) {
        const struct rtcp_packet *p = &r->packets[i];
        if (p->len < 4 || p->len % 4 || p->type < 192 || p->type > 223 || p->count > 31)
            abort();
        walked += p->len;
        if (p->block_count > RTCP_MAX_RC || p->first_block + p->block_count > r->block_count)
            abort();
        if (p->block_count) {
            if (p->first_block != blocks)
                abort();
            blocks += p->block_count;
        }
        if (p->chunk_count > RTCP_MAX_RC || p->first_chunk + p->chunk_count > r->chunk_count)
            abort();
        if (p->chunk_count) {
            if (p->first_chunk != chunks)
                abort();
            chunks += p->chunk_count;
        }
        if (p->bye_count > RTCP_MAX_BYE_SSRC || p->xr_blocks > RTCP_MAX_XR_BLOCKS)
            abort();
        if (p->type != RTCP_SR && p->type != RTCP_RR && p->block_count)
            abort();
        fuzz_view(data, size, p->bye_reason);
        fuzz_view(data, size, p->app_name);
        fuzz_view(data, size, p->app_data);
        if (p->app_name.len != 0 && p->app_name.len != 4)
            abort();
        if (p->has_voip_metrics) {
            double m = rtcp_xr_mos(p->voip.mos_lq);
            if (m != -1 && !(m >= 1 && m <= 5))
                abort();
        }
        fuzz_sink += (unsigned)rtcp_type_name(p->type)[0] + (unsigned)(p->sr_ntp >> 16);
        fuzz_sink += rtcp_ntp_middle(p->sr_ntp);
    }
    if (walked != r->wire_len || blocks != r->block_count || chunks != r->chunk_count)
        abort();
    for (size_t i = 0; i < r->chunk_count; i++) {
        fuzz_view(data, size, r->chunks[i].cname);
        fuzz_view(data, size, r->chunks[i].name);
        fuzz_view(data, size, r->chunks[i].tool);
    }
    /* A packet time derived from the input, so the round trip takes every path. */
    uint64_t now = 0;
    for (size_t i = 0; i < size && i < 8; i++)
        now = now << 8 | data[i];
    for (size_t i = 0; i < r->block_count; i++) {
        const struct rtcp_report *b = &r->blocks[i];
        if (b->cumulative_lost < -0x800000 || b->cumulative_lost > 0x7FFFFF)
            abort();
        fuzz_mos(b, now);
    }
    return 0;
}
