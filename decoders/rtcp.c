/* rtcp.c: RTCP compound packet walker: SR, RR, SDES, BYE, APP, XR VoIP metrics (RFC 3550 §6.4-6.7,
 * RFC 3611 §4.7, RFC 5761 §4). */
#include "rtcp.h"

#include <string.h>

#include "cursor.h"

/*
 * The walk. A datagram is a sequence of RTCP packets, each announcing its
 * own size in its header. The outer loop reads one 4-byte header, checks that
 * (length + 1) * 4 bytes are present, then hands exactly those bytes (minus
 * padding) to the decoder of that type through a cursor bounded to them.
 * A decoder therefore cannot read into the next packet whatever its counts
 * say (the AST-2017-012 crash was a report count trusted past the length),
 * and every iteration consumes at least 4 bytes, so the loop ends after at
 * most len / 4 steps even before RTCP_MAX_PACKETS stops it.
 */

#define RTCP_NTP_UNIX_OFFSET 2208988800ULL /* seconds from 1900-01-01 to 1970-01-01 */

/* 24-bit two's complement (cumulative number of packets lost, RFC 3550 §6.4.1). */
static int32_t rtcp_s24(uint32_t v)
{
    v &= 0xFFFFFFu;
    return (v & 0x800000u) ? (int32_t)v - 0x1000000 : (int32_t)v;
}

/* RC report blocks of an SR or RR; the cursor holds what follows the sender info. */
static enum status rtcp_blocks(struct cursor *c, uint8_t rc, uint32_t reporter,
                               struct rtcp_packet *p, struct rtcp_compound *out)
{
    if ((size_t)rc * RTCP_REPORT_LEN > cur_left(c))
        return STATUS_MALFORMED; /* the count promises more blocks than the length holds */
    p->first_block = out->block_count;
    for (uint8_t i = 0; i < rc; i++) {
        struct rtcp_report b;
        b.reporter = reporter;
        b.ssrc = cur_be32(c);
        uint32_t lost = cur_be32(c);
        b.fraction_lost = (uint8_t)(lost >> 24);
        b.cumulative_lost = rtcp_s24(lost);
        b.ext_highest_seq = cur_be32(c);
        b.jitter = cur_be32(c);
        b.lsr = cur_be32(c);
        b.dlsr = cur_be32(c);
        if (out->block_count >= RTCP_MAX_BLOCKS) {
            out->dropped++;
            out->anomalies |= RTCP_ANOM_TOO_MANY;
            continue;
        }
        out->blocks[out->block_count++] = b;
        p->block_count++;
    }
    /* Anything left is a profile-specific extension (RFC 3550 §6.4.1): skipped. */
    return c->bad ? STATUS_MALFORMED : STATUS_OK;
}

/*
 *  SR: |V=2|P|  RC  | PT=200 | length | SSRC of sender | NTP ts (64) | RTP ts |
 *      | sender's packet count | sender's octet count | report blocks... |
 */
static enum status rtcp_sr(struct cursor *c, struct rtcp_packet *p, struct rtcp_compound *out)
{
    if (cur_left(c) < 4 + RTCP_SR_INFO_LEN)
        return STATUS_MALFORMED;
    p->ssrc = cur_be32(c);
    uint64_t hi = cur_be32(c);
    p->sr_ntp = hi << 32 | cur_be32(c);
    p->sr_rtp_ts = cur_be32(c);
    p->sr_packet_count = cur_be32(c);
    p->sr_octet_count = cur_be32(c);
    return rtcp_blocks(c, p->count, p->ssrc, p, out);
}

/*  RR: |V=2|P|  RC  | PT=201 | length | SSRC of packet sender | report blocks... | */
static enum status rtcp_rr(struct cursor *c, struct rtcp_packet *p, struct rtcp_compound *out)
{
    if (cur_left(c) < 4)
        return STATUS_MALFORMED;
    p->ssrc = cur_be32(c);
    return rtcp_blocks(c, p->count, p->ssrc, p, out);
}

/*
 * SDES (RFC 3550 §6.5): SC chunks, each an SSRC/CSRC followed by items
 * (type, length, text) ended by one or more null octets up to the next
 * 32-bit boundary. Chunks start on 32-bit boundaries of the packet.
 */
static enum status rtcp_sdes(struct cursor *c, struct rtcp_packet *p, struct rtcp_compound *out)
{
    const uint8_t *start = c->p - RTCP_HEADER_LEN;
    p->first_chunk = out->chunk_count;
    for (uint8_t k = 0; k < p->count; k++) {
        if (cur_left(c) < 4)
            return STATUS_MALFORMED; /* SC promises a chunk the length does not hold */
        struct rtcp_sdes ch;
        memset(&ch, 0, sizeof ch);
        ch.ssrc = cur_be32(c);
        if (k == 0)
            p->ssrc = ch.ssrc;
        bool ended = false, capped = false;
        for (unsigned n = 0; n <= RTCP_MAX_SDES_ITEMS; n++) {
            if (cur_left(c) == 0)
                break;
            uint8_t type = cur_u8(c);
            if (type == RTCP_SDES_END) {
                ended = true;
                break;
            }
            if (n == RTCP_MAX_SDES_ITEMS) {
                /* Too many items: the rest of the packet is not walked. */
                out->anomalies |= RTCP_ANOM_TOO_MANY;
                out->dropped++;
                cur_skip(c, cur_left(c));
                capped = true;
                break;
            }
            uint8_t ilen = cur_u8(c);
            const uint8_t *text = cur_bytes(c, ilen);
            if (c->bad)
                return STATUS_MALFORMED; /* an item runs past its packet */
            struct sv v = sv_make(text, ilen);
            if (type == RTCP_SDES_CNAME)
                ch.cname = v;
            else if (type == RTCP_SDES_NAME)
                ch.name = v;
            else if (type == RTCP_SDES_TOOL)
                ch.tool = v;
            ch.items++;
        }
        if (ended) {
            /* Null octets up to the next 32-bit boundary of the packet. */
            size_t off = (size_t)(c->p - start);
            size_t pad = (4 - off % 4) % 4;
            if (pad > cur_left(c))
                pad = cur_left(c);
            cur_skip(c, pad);
        } else if (!capped) {
            out->anomalies |= RTCP_ANOM_SDES_NO_END;
        }
        if (out->chunk_count >= RTCP_MAX_CHUNKS) {
            out->dropped++;
            out->anomalies |= RTCP_ANOM_TOO_MANY;
        } else {
            out->chunks[out->chunk_count++] = ch;
            p->chunk_count++;
        }
        if (capped)
            break; /* the rest of the packet was skipped: no chunk boundary to resume at */
    }
    if (cur_left(c) > 0)
        out->anomalies |= RTCP_ANOM_EXTRA_BYTES;
    return STATUS_OK;
}

/* BYE (RFC 3550 §6.6): SC SSRC/CSRCs, then optionally a length octet and a reason. */
static enum status rtcp_bye(struct cursor *c, struct rtcp_packet *p, struct rtcp_compound *out)
{
    if ((size_t)p->count * 4 > cur_left(c))
        return STATUS_MALFORMED; /* SC promises more SSRCs than the length holds */
    for (uint8_t k = 0; k < p->count; k++)
        p->bye_ssrc[p->bye_count++] = cur_be32(c);
    p->ssrc = p->bye_count ? p->bye_ssrc[0] : 0;
    if (cur_left(c) > 0) {
        uint8_t rlen = cur_u8(c);
        const uint8_t *reason = cur_bytes(c, rlen);
        if (c->bad)
            return STATUS_MALFORMED; /* the reason runs past the packet */
        p->bye_reason = sv_make(reason, rlen);
        /* What may remain is the null padding up to the next 32-bit boundary. */
        if (cur_left(c) >= 4)
            out->anomalies |= RTCP_ANOM_EXTRA_BYTES;
    }
    return STATUS_OK;
}

/*  APP (RFC 3550 §6.7): |V=2|P| subtype | PT=204 | length | SSRC/CSRC | name (4 ASCII) | data | */
static enum status rtcp_app(struct cursor *c, struct rtcp_packet *p)
{
    if (cur_left(c) < 8)
        return STATUS_MALFORMED;
    p->ssrc = cur_be32(c);
    p->app_name = sv_make(cur_bytes(c, 4), 4);
    size_t n = cur_left(c);
    p->app_data = sv_make(cur_bytes(c, n), n);
    return STATUS_OK;
}

static void rtcp_voip(struct cursor *c, struct rtcp_xr_voip *v)
{
    v->ssrc = cur_be32(c);
    v->loss_rate = cur_u8(c);
    v->discard_rate = cur_u8(c);
    v->burst_density = cur_u8(c);
    v->gap_density = cur_u8(c);
    v->burst_duration_ms = cur_be16(c);
    v->gap_duration_ms = cur_be16(c);
    v->round_trip_delay_ms = cur_be16(c);
    v->end_system_delay_ms = cur_be16(c);
    v->signal_level_dbm = (int8_t)cur_u8(c);
    v->noise_level_dbm = (int8_t)cur_u8(c);
    v->rerl_db = cur_u8(c);
    v->gmin = cur_u8(c);
    v->r_factor = cur_u8(c);
    v->ext_r_factor = cur_u8(c);
    v->mos_lq = cur_u8(c);
    v->mos_cq = cur_u8(c);
    v->rx_config = cur_u8(c);
    cur_skip(c, 1); /* reserved */
    v->jb_nominal_ms = cur_be16(c);
    v->jb_maximum_ms = cur_be16(c);
    v->jb_abs_max_ms = cur_be16(c);
}

/*
 * XR (RFC 3611 §2): |V=2|P|reserved| PT=207 | length | SSRC | report blocks |
 * Each block: | BT | type-specific | block length | ... with block length
 * in 32-bit words minus one, its 4-byte header included (§3). BT=7 (VoIP
 * metrics) is decoded; every other block is skipped by its length.
 */
static enum status rtcp_xr(struct cursor *c, struct rtcp_packet *p, struct rtcp_compound *out)
{
    if (cur_left(c) < 4)
        return STATUS_MALFORMED;
    p->ssrc = cur_be32(c);
    for (unsigned n = 0; cur_left(c) > 0; n++) {
        if (n == RTCP_MAX_XR_BLOCKS) {
            out->anomalies |= RTCP_ANOM_TOO_MANY;
            out->dropped++;
            break;
        }
        if (cur_left(c) < 4)
            return STATUS_MALFORMED; /* a block header cut by the packet's end */
        uint8_t bt = cur_u8(c);
        cur_skip(c, 1);
        size_t blen = (size_t)cur_be16(c) * 4;
        if (blen > cur_left(c))
            return STATUS_MALFORMED; /* the block runs past its packet */
        struct cursor bc = cur_make(c->p, blen);
        cur_skip(c, blen);
        p->xr_blocks++;
        if (bt != RTCP_XR_BT_VOIP_METRICS)
            continue;
        if (blen != RTCP_XR_VOIP_LEN - 4) {
            out->anomalies |= RTCP_ANOM_XR_BAD_VOIP;
            continue;
        }
        if (p->has_voip_metrics) {
            /* One VoIP block kept per XR packet; others (other sources) are counted. */
            out->anomalies |= RTCP_ANOM_TOO_MANY;
            out->dropped++;
            continue;
        }
        rtcp_voip(&bc, &p->voip);
        p->has_voip_metrics = true;
    }
    return STATUS_OK;
}

/* RTPFB, PSFB (RFC 4585 §6.1) and types we do not decode: the sender SSRC when present. */
static enum status rtcp_other(struct cursor *c, struct rtcp_packet *p)
{
    if (cur_left(c) >= 4)
        p->ssrc = cur_be32(c);
    return STATUS_OK;
}

static enum status rtcp_packet(struct cursor *c, struct rtcp_packet *p, struct rtcp_compound *out)
{
    switch (p->type) {
    case RTCP_SR:
        return rtcp_sr(c, p, out);
    case RTCP_RR:
        return rtcp_rr(c, p, out);
    case RTCP_SDES:
        return rtcp_sdes(c, p, out);
    case RTCP_BYE:
        return rtcp_bye(c, p, out);
    case RTCP_APP:
        return rtcp_app(c, p);
    case RTCP_XR:
        return rtcp_xr(c, p, out);
    case RTCP_RTPFB:
    case RTCP_PSFB:
        return rtcp_other(c, p);
    default:
        out->anomalies |= RTCP_ANOM_UNKNOWN_TYPE;
        return rtcp_other(c, p);
    }
}

enum status rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_compound *out)
{
    out->packet_count = 0;
    out->block_count = 0;
    out->chunk_count = 0;
    out->dropped = 0;
    out->anomalies = 0;
    out->wire_len = 0;
    if (buf == NULL || len == 0)
        return STATUS_TRUNCATED; /* not even a header */
    size_t off = 0;
    while (off < len) {
        if (out->packet_count == RTCP_MAX_PACKETS) {
            out->anomalies |= RTCP_ANOM_TOO_MANY;
            out->dropped++;
            break;
        }
        /*  |V=2|P| count | PT | length |  */
        if (len - off < RTCP_HEADER_LEN)
            return STATUS_TRUNCATED;
        const uint8_t *h = buf + off;
        if (h[0] >> 6 != 2 || h[1] < 192 || h[1] > 223)
            return STATUS_MALFORMED;
        size_t plen = ((size_t)((uint16_t)(h[2] << 8 | h[3])) + 1) * 4;
        if (plen > len - off)
            return STATUS_TRUNCATED; /* the length runs past the captured bytes */
        size_t body = plen - RTCP_HEADER_LEN;
        bool padding = (h[0] & 0x20) != 0;
        if (padding) {
            /* The last octet counts the padding, itself included (RFC 3550 §6.4.1). */
            uint8_t pad = h[plen - 1];
            if (pad == 0 || pad > body)
                return STATUS_MALFORMED;
            body -= pad;
        }

        struct rtcp_packet *p = &out->packets[out->packet_count];
        memset(p, 0, sizeof *p);
        p->type = h[1];
        p->count = h[0] & 0x1F;
        p->padding = padding;
        p->len = (uint32_t)plen;

        /* Keep the counters so that a packet found bad leaves no trace. */
        uint8_t blocks = out->block_count, chunks = out->chunk_count;
        uint16_t dropped = out->dropped;
        uint32_t anomalies = out->anomalies;
        struct cursor c = cur_make(h + RTCP_HEADER_LEN, body);
        enum status st = rtcp_packet(&c, p, out);
        if (st != STATUS_OK) {
            out->block_count = blocks;
            out->chunk_count = chunks;
            out->dropped = dropped;
            out->anomalies = anomalies;
            return st;
        }
        if (out->packet_count == 0 && p->type != RTCP_SR && p->type != RTCP_RR)
            out->anomalies |= RTCP_ANOM_FIRST_NOT_REPORT;
        if (padding && off + plen < len)
            out->anomalies |= RTCP_ANOM_PADDING_NOT_LAST;
        out->packet_count++;
        off += plen;
        out->wire_len = off;
    }
    return STATUS_OK;
}

bool rtcp_is_rtcp(const uint8_t *buf, size_t len)
{
    return buf != NULL && len >= 8 && buf[0] >> 6 == 2 && buf[1] >= 192 && buf[1] <= 223;
}

double rtcp_fraction_lost_pct(uint8_t fraction_lost)
{
    return fraction_lost * 100.0 / 256.0;
}

double rtcp_jitter_ms(uint32_t jitter_ts_units, uint32_t clock_rate)
{
    if (clock_rate == 0)
        return -1;
    return jitter_ts_units * 1000.0 / clock_rate;
}

uint32_t rtcp_ntp_middle(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

uint32_t rtcp_ntp_middle_from_ns(uint64_t unix_ns)
{
    uint64_t sec = unix_ns / 1000000000u + RTCP_NTP_UNIX_OFFSET;
    uint64_t frac16 = (unix_ns % 1000000000u) * 65536u / 1000000000u;
    return (uint32_t)((sec & 0xFFFFu) << 16 | frac16);
}

bool rtcp_rtt_ms(uint32_t lsr, uint32_t dlsr, uint64_t arrival_ns, double *rtt_ms)
{
    if (lsr == 0)
        return false;
    /* Modulo 2^32 as RFC 3550 §6.4.1 computes it; the top bit set means negative. */
    uint32_t rtt = rtcp_ntp_middle_from_ns(arrival_ns) - lsr - dlsr;
    if (rtt & 0x80000000u)
        return false;
    double ms = rtt * 1000.0 / 65536.0;
    if (ms > RTCP_RTT_MAX_MS)
        return false;
    *rtt_ms = ms;
    return true;
}

double rtcp_xr_mos(uint8_t mos_x10)
{
    if (mos_x10 < 10 || mos_x10 > 50)
        return -1;
    return mos_x10 / 10.0;
}

const char *rtcp_type_name(uint8_t type)
{
    static const char *const names[] = {"SR", "RR", "SDES", "BYE", "APP", "RTPFB", "PSFB", "XR"};
    if (type >= RTCP_SR && type <= RTCP_XR)
        return names[type - RTCP_SR];
    return "?";
}
