/* test_rtp.c: RTP header decoding, the RTP heuristic, RTP/RTCP demux (RFC 3550 §5.1, RFC 5761). */
#include <criterion/criterion.h>
#include <string.h>

#include "../decoders/rtp.h"

/*
 * A G.711 u-law packet: V=2, no P/X/CC, M clear, PT 0, seq 0x1234,
 * timestamp 0x00000A00, SSRC 0xDEADBEEF, then 4 payload bytes.
 */
static const uint8_t rtp_pcmu[] = {
    0x80, 0x00, 0x12, 0x34, /* V=2, PT 0, seq 4660 */
    0x00, 0x00, 0x0A, 0x00, /* timestamp 2560 */
    0xDE, 0xAD, 0xBE, 0xEF, /* SSRC */
    0xD5, 0xD5, 0xD5, 0xD5, /* payload */
};

/*
 * Everything at once: V=2 P=1 X=1 CC=2, M set, PT 8; two CSRCs; an RFC 8285
 * one-byte extension of 1 word; 3 payload bytes; 4 padding bytes ending in 4.
 */
static const uint8_t rtp_full[] = {
    0xB2, 0x88, 0xFF, 0xFF, /* V=2 P X CC=2, M, PT 8, seq 65535 */
    0xFF, 0xFF, 0xFF, 0xF0, /* timestamp */
    0x01, 0x02, 0x03, 0x04, /* SSRC 0x01020304 */
    0x11, 0x11, 0x11, 0x11, /* CSRC 1 */
    0x22, 0x22, 0x22, 0x22, /* CSRC 2 */
    0xBE, 0xDE, 0x00, 0x01, /* extension profile 0xBEDE, 1 word */
    0x10, 0xAA, 0x00, 0x00, /* the word */
    0x61, 0x62, 0x63,       /* payload "abc" */
    0x00, 0x00, 0x00, 0x04, /* padding, count 4 */
};

Test(rtp, fixed_header_fields)
{
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(rtp_pcmu, sizeof rtp_pcmu, &h), STATUS_OK);
    cr_assert_eq(h.version, 2);
    cr_assert(!h.padding && !h.extension && !h.marker);
    cr_assert_eq(h.csrc_count, 0);
    cr_assert_eq(h.pt, 0);
    cr_assert_eq(h.seq, 0x1234);
    cr_assert_eq(h.ts, 0x0A00);
    cr_assert_eq(h.ssrc, 0xDEADBEEFu);
    cr_assert_eq(h.header_len, 12);
    cr_assert_eq(h.payload, rtp_pcmu + 12);
    cr_assert_eq(h.payload_len, 4);
    cr_assert_eq(h.anomalies, 0);
}

/* The look-ahead's SSRC is rtp_parse's whenever it answers; short, other versions and RTCP: no. */
Test(rtp, peeked_ssrc_is_the_parsed_one)
{
    const uint8_t *pkts[] = {rtp_pcmu, rtp_full};
    size_t lens[] = {sizeof rtp_pcmu, sizeof rtp_full};
    for (size_t i = 0; i < 2; i++) {
        for (size_t len = 0; len <= lens[i]; len++) {
            uint32_t ssrc = 0;
            struct rtp_hdr h;
            bool peeked = rtp_peek_ssrc(pkts[i], len, &ssrc);
            cr_assert_eq(peeked, len >= 12, "packet %zu, %zu bytes", i, len);
            if (peeked) {
                (void)rtp_parse(pkts[i], len, &h);
                cr_assert_eq(ssrc, h.ssrc);
            }
        }
    }
    uint8_t p[sizeof rtp_pcmu];
    memcpy(p, rtp_pcmu, sizeof p);
    uint32_t ssrc;
    p[0] = 0x40; /* version 1 */
    cr_assert(!rtp_peek_ssrc(p, sizeof p, &ssrc));
    p[0] = 0x80;
    p[1] = 200; /* an RTCP sender report */
    cr_assert(!rtp_peek_ssrc(p, sizeof p, &ssrc));
}

Test(rtp, csrc_extension_padding_skipped)
{
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(rtp_full, sizeof rtp_full, &h), STATUS_OK);
    cr_assert(h.padding && h.extension && h.marker);
    cr_assert_eq(h.csrc_count, 2);
    cr_assert_eq(h.pt, 8);
    cr_assert_eq(h.seq, 65535);
    cr_assert_eq(h.ts, 0xFFFFFFF0u);
    cr_assert_eq(h.ssrc, 0x01020304u);
    cr_assert_eq(h.ext_profile, 0xBEDE);
    cr_assert_eq(h.ext_words, 1);
    /* 12 fixed + 8 CSRC + 4 extension header + 4 extension word */
    cr_assert_eq(h.header_len, 28);
    cr_assert_eq(h.padding_len, 4);
    cr_assert_eq(h.payload_len, 3);
    cr_assert_eq(memcmp(h.payload, "abc", 3), 0);
    cr_assert(h.anomalies & RTP_ANOM_CSRC);
    cr_assert(!(h.anomalies & RTP_ANOM_BAD_PADDING));
}

/* Cut rtp_full at every length: the header needs 28 bytes, the padding byte is the last. */
Test(rtp, truncated_at_every_length)
{
    struct rtp_hdr h;
    for (size_t len = 0; len < 28; len++)
        cr_assert_eq(rtp_parse(rtp_full, len, &h), STATUS_TRUNCATED, "len %zu", len);
    /* From 28 on the header is whole; P is set and the last byte is the count. */
    for (size_t len = 28; len < sizeof rtp_full; len++) {
        enum status st = rtp_parse(rtp_full, len, &h);
        uint8_t count = len > 28 ? rtp_full[len - 1] : 0;
        if (count == 0 || count > len - 28)
            cr_assert_eq(st, STATUS_MALFORMED, "len %zu", len);
        else
            cr_assert_eq(st, STATUS_OK, "len %zu", len);
        cr_assert_leq(h.payload_len, len - 28);
    }
}

Test(rtp, truncated_without_padding_keeps_what_is_there)
{
    struct rtp_hdr h;
    for (size_t len = 12; len <= sizeof rtp_pcmu; len++) {
        cr_assert_eq(rtp_parse(rtp_pcmu, len, &h), STATUS_OK);
        cr_assert_eq(h.payload_len, len - 12);
    }
}

Test(rtp, version_other_than_2_is_malformed)
{
    uint8_t p[sizeof rtp_pcmu];
    struct rtp_hdr h;
    for (unsigned v = 0; v < 4; v++) {
        memcpy(p, rtp_pcmu, sizeof p);
        p[0] = (uint8_t)((v << 6) | (p[0] & 0x3F));
        enum status st = rtp_parse(p, sizeof p, &h);
        cr_assert_eq(h.version, v);
        cr_assert_eq(st, v == 2 ? STATUS_OK : STATUS_MALFORMED, "version %u", v);
    }
}

Test(rtp, padding_larger_than_payload_is_malformed_but_header_kept)
{
    /* P set, 2 payload bytes, last byte claims 200 bytes of padding. */
    uint8_t p[] = {0xA0, 0x00, 0x00, 0x07, 0, 0, 0, 160, 0, 0, 0, 9, 0xD5, 200};
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(p, sizeof p, &h), STATUS_MALFORMED);
    cr_assert(h.anomalies & RTP_ANOM_BAD_PADDING);
    cr_assert_eq(h.seq, 7);
    cr_assert_eq(h.ts, 160);
    cr_assert_eq(h.ssrc, 9);
    cr_assert_eq(h.payload_len, 0);
}

Test(rtp, padding_count_zero_is_malformed)
{
    uint8_t p[] = {0xA0, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0xD5, 0x00};
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(p, sizeof p, &h), STATUS_MALFORMED);
    cr_assert(h.anomalies & RTP_ANOM_BAD_PADDING);
}

Test(rtp, padding_bit_with_no_payload_is_malformed)
{
    uint8_t p[] = {0xA0, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1};
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(p, sizeof p, &h), STATUS_MALFORMED);
    cr_assert_eq(h.payload_len, 0);
}

Test(rtp, padding_that_is_the_whole_payload)
{
    /* 3 bytes after the header, all padding (count 3): valid, empty payload. */
    uint8_t p[] = {0xA0, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 3};
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(p, sizeof p, &h), STATUS_OK);
    cr_assert_eq(h.payload_len, 0);
    cr_assert_eq(h.padding_len, 3);
}

Test(rtp, extension_length_beyond_packet)
{
    /* X set, extension claims 0xFFFF words: must stop at the end, not read past it. */
    uint8_t p[] = {0x90, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0xFF, 0xFF, 1, 2};
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(p, sizeof p, &h), STATUS_TRUNCATED);
    cr_assert_eq(h.ext_words, 0xFFFF);
}

Test(rtp, csrc_count_15_needs_72_bytes)
{
    uint8_t p[72 + 1];
    memset(p, 0, sizeof p);
    p[0] = 0x8F; /* V=2, CC=15 */
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(p, 71, &h), STATUS_TRUNCATED);
    cr_assert_eq(rtp_parse(p, 72, &h), STATUS_OK);
    cr_assert_eq(h.header_len, 72);
    cr_assert_eq(h.payload_len, 0);
    cr_assert_eq(rtp_parse(p, 73, &h), STATUS_OK);
    cr_assert_eq(h.payload_len, 1);
}

Test(rtp, null_bytes_and_empty_input)
{
    struct rtp_hdr h;
    cr_assert_eq(rtp_parse(NULL, 0, &h), STATUS_TRUNCATED);
    uint8_t zeros[64] = {0};
    cr_assert_eq(rtp_parse(zeros, sizeof zeros, &h), STATUS_MALFORMED); /* version 0 */
    cr_assert(!rtp_looks_like(zeros, sizeof zeros));
    cr_assert(!rtp_looks_like(NULL, 0));
    cr_assert(!rtp_is_rtcp(NULL, 0));
}

/* ---- the heuristic ---- */

Test(rtp, looks_like_accepts_audio_and_dynamic)
{
    cr_assert(rtp_looks_like(rtp_pcmu, sizeof rtp_pcmu));
    cr_assert(rtp_looks_like(rtp_full, sizeof rtp_full));
    uint8_t p[sizeof rtp_pcmu];
    memcpy(p, rtp_pcmu, sizeof p);
    p[1] = 96; /* dynamic */
    cr_assert(rtp_looks_like(p, sizeof p));
    p[1] = 0x80 | 101; /* marker + telephone-event style dynamic type */
    cr_assert(rtp_looks_like(p, sizeof p));
}

Test(rtp, looks_like_rejects_unassigned_and_rtcp_payload_types)
{
    uint8_t p[sizeof rtp_pcmu];
    static const uint8_t bad[] = {1, 2, 19, 20, 24, 27, 29, 30, 35, 64, 71, 72, 76, 77, 95};
    for (size_t i = 0; i < sizeof bad; i++) {
        memcpy(p, rtp_pcmu, sizeof p);
        p[1] = bad[i];
        cr_assert(!rtp_looks_like(p, sizeof p), "pt %u", bad[i]);
        p[1] = (uint8_t)(0x80 | bad[i]);
        cr_assert(!rtp_looks_like(p, sizeof p), "pt %u with M", bad[i]);
    }
}

Test(rtp, looks_like_rejects_header_only_and_bad_padding)
{
    cr_assert(!rtp_looks_like(rtp_pcmu, 12));                  /* no payload */
    cr_assert(!rtp_looks_like(rtp_full, sizeof rtp_full - 1)); /* padding count now 0 */
}

/* An RTCP compound packet: SR (PT 200) with no report blocks, then SDES (PT 202). */
static const uint8_t rtcp_sr[] = {
    0x80, 0xC8, 0x00, 0x06,                         /* V=2, RC=0, PT=200 SR, length 6 words */
    0xDE, 0xAD, 0xBE, 0xEF,                         /* SSRC */
    0xE8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* NTP timestamp */
    0x00, 0x00, 0x0A, 0x00,                         /* RTP timestamp */
    0x00, 0x00, 0x00, 0x10,                         /* packet count */
    0x00, 0x00, 0x0A, 0x00,                         /* octet count */
    0x81, 0xCA, 0x00, 0x02,                         /* SDES, 1 chunk, length 2 */
    0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00, 0x00, 0x00,
};

Test(rtp, rtcp_is_not_rtp)
{
    cr_assert(!rtp_looks_like(rtcp_sr, sizeof rtcp_sr));
    cr_assert(rtp_is_rtcp(rtcp_sr, sizeof rtcp_sr));
    /* RR (201), SDES (202), BYE (203), APP (204) and XR (207) too. */
    static const uint8_t types[] = {201, 202, 203, 204, 207};
    uint8_t p[sizeof rtcp_sr];
    for (size_t i = 0; i < sizeof types; i++) {
        memcpy(p, rtcp_sr, sizeof p);
        p[1] = types[i];
        cr_assert(rtp_is_rtcp(p, sizeof p), "type %u", types[i]);
        cr_assert(!rtp_looks_like(p, sizeof p), "type %u", types[i]);
    }
}

Test(rtp, rtcp_mux_boundaries)
{
    uint8_t p[] = {0x80, 0, 0, 0};
    p[1] = 191;
    cr_assert(!rtp_is_rtcp(p, sizeof p)); /* M set, PT 63: RTP */
    p[1] = 192;
    cr_assert(rtp_is_rtcp(p, sizeof p));
    p[1] = 223;
    cr_assert(rtp_is_rtcp(p, sizeof p));
    p[1] = 224;
    cr_assert(!rtp_is_rtcp(p, sizeof p)); /* M set, PT 96: RTP */
    p[1] = 72;
    cr_assert(!rtp_is_rtcp(p, sizeof p)); /* M clear: RTP by RFC 5761's rule */
    p[0] = 0x40;
    p[1] = 200;
    cr_assert(!rtp_is_rtcp(p, sizeof p)); /* version 1 */
    cr_assert(!rtp_is_rtcp(p, 1));
}

Test(rtp, sip_text_is_not_rtp)
{
    static const char sip[] =
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n";
    cr_assert(!rtp_looks_like((const uint8_t *)sip, sizeof sip - 1));
    cr_assert(!rtp_is_rtcp((const uint8_t *)sip, sizeof sip - 1));
    static const char resp[] = "SIP/2.0 200 OK\r\n\r\n";
    cr_assert(!rtp_looks_like((const uint8_t *)resp, sizeof resp - 1));
}

Test(rtp, dns_is_not_rtp)
{
    /* A DNS query for example.com A: ID 0x1234 (version bits 0). */
    static const uint8_t dns[] = {
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 7,    'e',  'x',
        'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',  0,    0x00, 0x01, 0x00, 0x01,
    };
    cr_assert(!rtp_looks_like(dns, sizeof dns));
    /* The same with ID 0x8A21: version bits 2, but CC=10 wants 40 header bytes of 29. */
    uint8_t d2[sizeof dns];
    memcpy(d2, dns, sizeof d2);
    d2[0] = 0x8A;
    d2[1] = 0x21;
    cr_assert(!rtp_looks_like(d2, sizeof d2));
    /* ID 0x9001: version 2 with X set, and payload type 1 (reserved). */
    d2[0] = 0x90;
    d2[1] = 0x01;
    cr_assert(!rtp_looks_like(d2, sizeof d2));
}

/* A fixed LCG (Numerical Recipes constants) so that the test is the same on every run. */
static uint32_t lcg_next(uint32_t *x)
{
    *x = *x * 1664525u + 1013904223u;
    return *x >> 8;
}

Test(rtp, random_bytes_rarely_pass)
{
    uint32_t x = 12345;
    uint8_t p[172];
    int pass = 0;
    for (int n = 0; n < 4096; n++) {
        for (size_t i = 0; i < sizeof p; i++)
            p[i] = (uint8_t)lcg_next(&x);
        struct rtp_hdr h;
        if (rtp_looks_like(p, sizeof p)) {
            pass++;
            /* Whatever passes must at least parse into a sane header. */
            cr_assert_eq(rtp_parse(p, sizeof p, &h), STATUS_OK);
            cr_assert_eq(h.version, 2);
            cr_assert_gt(h.payload_len, 0);
        }
    }
    /* Version 2 (1/4) x assigned type (62/128) x no extension overrun: 165 of 4096 here. */
    cr_assert_lt(pass, 4096 / 10, "%d of 4096 random buffers passed", pass);
}

Test(rtp, stun_is_not_rtp)
{
    /* STUN binding request (RFC 5389): first two bits 0, magic cookie 0x2112A442. */
    static const uint8_t stun[] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 1,  2,
                                   3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
    cr_assert(!rtp_looks_like(stun, sizeof stun));
    cr_assert(!rtp_is_rtcp(stun, sizeof stun));
}
