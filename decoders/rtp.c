/* rtp.c: RTP fixed header, CSRCs, extension, padding (RFC 3550 §5.1, §5.3.1; RFC 5761 §4). */
#include "rtp.h"

#include <string.h>

#include "cursor.h"

enum status rtp_parse(const uint8_t *p, size_t len, struct rtp_hdr *out)
{
    memset(out, 0, sizeof *out);
    struct cursor c = cur_make(p, len);
    uint8_t b0 = cur_u8(&c);
    uint8_t b1 = cur_u8(&c);
    if (c.bad)
        return STATUS_TRUNCATED;
    out->version = (uint8_t)(b0 >> 6);
    if (out->version != RTP_VERSION)
        return STATUS_MALFORMED;
    out->padding = (b0 & 0x20) != 0;
    out->extension = (b0 & 0x10) != 0;
    out->csrc_count = (uint8_t)(b0 & 0x0F);
    out->marker = (b1 & 0x80) != 0;
    out->pt = (uint8_t)(b1 & 0x7F);
    out->seq = cur_be16(&c);
    out->ts = cur_be32(&c);
    out->ssrc = cur_be32(&c);
    if (c.bad)
        return STATUS_TRUNCATED;

    /* CSRCs are skipped: a mixer's contributors do not change the stream's figures. */
    if (out->csrc_count)
        out->anomalies |= RTP_ANOM_CSRC;
    cur_skip(&c, (size_t)out->csrc_count * 4);
    if (c.bad)
        return STATUS_TRUNCATED;

    /* RFC 3550 §5.3.1: 16-bit profile field, 16-bit length in words, then the words. */
    if (out->extension) {
        out->ext_profile = cur_be16(&c);
        out->ext_words = cur_be16(&c);
        cur_skip(&c, (size_t)out->ext_words * 4);
        if (c.bad)
            return STATUS_TRUNCATED;
    }

    out->header_len = len - cur_left(&c);
    out->payload = c.p;
    out->payload_len = cur_left(&c);

    /*
     * RFC 3550 §5.1: the last byte counts the padding, itself included. A
     * count of 0, or one that reaches back into the header, is malformed; the
     * fixed fields stay valid and the payload is cut to nothing, the way
     * Wireshark clips it.
     */
    if (out->padding) {
        uint8_t count = out->payload_len ? out->payload[out->payload_len - 1] : 0;
        if (count == 0 || count > out->payload_len) {
            out->anomalies |= RTP_ANOM_BAD_PADDING;
            out->payload_len = 0;
            return STATUS_MALFORMED;
        }
        out->padding_len = count;
        out->payload_len -= count;
    }
    return STATUS_OK;
}

/*
 * RFC 3551 §6, Tables 4 and 5: payload types in use (static assignments and
 * 96..127 dynamic). Reserved (1, 2, 19, 72..76) and unassigned (20..24, 27,
 * 29, 30, 35..71, 77..95) types are not RTP for the heuristic. One bit per
 * type, bit n of word n / 32.
 */
static const uint32_t rtp_pt_in_use[4] = {
    /* 0, 3..18, 25, 26, 28, 31 */
    0x00000001u | 0x0007FFF8u | (1u << 25) | (1u << 26) | (1u << 28) | (1u << 31),
    /* 32, 33, 34 */
    0x00000007u,
    /* 64..95: none */
    0x00000000u,
    /* 96..127: dynamic */
    0xFFFFFFFFu,
};

bool rtp_looks_like(const uint8_t *p, size_t len)
{
    struct rtp_hdr h;
    if (rtp_parse(p, len, &h) != STATUS_OK)
        return false;
    if (!(rtp_pt_in_use[h.pt >> 5] & (1u << (h.pt & 31))))
        return false;
    return h.payload_len > 0;
}

bool rtp_peek_ssrc(const uint8_t *p, size_t len, uint32_t *ssrc)
{
    if (len < 12 || (p[0] >> 6) != RTP_VERSION || rtp_is_rtcp(p, len))
        return false;
    *ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
    return true;
}

bool rtp_is_rtcp(const uint8_t *p, size_t len)
{
    struct cursor c = cur_make(p, len);
    uint8_t b0 = cur_u8(&c);
    uint8_t b1 = cur_u8(&c);
    if (c.bad)
        return false;
    return (b0 >> 6) == RTP_VERSION && b1 >= RTP_RTCP_MUX_FIRST && b1 <= RTP_RTCP_MUX_LAST;
}
