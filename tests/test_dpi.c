/* test_dpi.c: UDP flow classification, nDPI and the RTP/RTCP heuristic (RFC 3550 §5.1, §6.4). */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../sensor/dpi.h"
#include "builders.h"

#define S_NS 1000000000ull
#define MS_NS 1000000ull
#define TS0 (1709296260ull * S_NS) /* 2024-03-01T12:31:00Z */

static struct stats st;
static struct dpi *D;

static void setup(void)
{
    memset(&st, 0, sizeof st);
    D = NULL;
}

static void teardown(void)
{
    dpi_destroy(D);
}

TestSuite(dpi, .init = setup, .fini = teardown);

static struct dpi *make(uint32_t max_flows, uint32_t max_states, uint32_t idle_s, uint32_t giveup)
{
    struct dpi_config c;
    dpi_config_default(&c);
    if (max_flows)
        c.max_flows = max_flows;
    if (max_states)
        c.max_states = max_states;
    if (idle_s)
        c.idle_timeout_s = idle_s;
    if (giveup)
        c.giveup_packets = giveup;
    D = dpi_create(&c, &st);
    cr_assert_not_null(D);
    return D;
}

/* A UDP packet as decode_frame would describe it, payload by view. */
static struct pkt_info udp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                           const void *payload, size_t len, uint64_t ts)
{
    struct pkt_info p = {.ts_ns = ts, .l4 = PKT_L4_UDP, .ip_proto = 17};
    cr_assert(addr_parse(sv_make(src, strlen(src)), &p.src.ip), "bad address %s", src);
    cr_assert(addr_parse(sv_make(dst, strlen(dst)), &p.dst.ip), "bad address %s", dst);
    p.src.port = sport;
    p.dst.port = dport;
    p.payload = payload;
    p.payload_len = len;
    return p;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/*
 * An RTP packet (RFC 3550 §5.1): first byte b0 (0x80: V=2, no padding,
 * extension or CSRC), payload type pt, then seq, timestamp, SSRC, and `body`
 * bytes of payload (0xd5, A-law silence). Returns the length.
 */
static size_t rtp(uint8_t *buf, uint8_t b0, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                  size_t body)
{
    buf[0] = b0;
    buf[1] = pt;
    put16(buf + 2, seq);
    put32(buf + 4, ts);
    put32(buf + 8, ssrc);
    memset(buf + 12, 0xd5, body);
    return 12 + body;
}

/* Feed n RTP packets of one SSRC, 20 ms apart; returns the verdict after each in v[]. */
static void rtp_stream(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t b0,
                       uint8_t pt, uint32_t ssrc, int n, enum dpi_verdict *v)
{
    uint8_t b[256];
    for (int i = 0; i < n; i++) {
        size_t len = rtp(b, b0, pt, (uint16_t)(4000 + i), 160u * (uint32_t)i, ssrc, 160);
        struct pkt_info p = udp(src, sport, dst, dport, b, len, TS0 + (uint64_t)i * 20 * MS_NS);
        v[i] = dpi_classify(D, &p);
    }
}

/* Index of the first verdict that is not pending, n if none. */
static int first_decided(const enum dpi_verdict *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i] != DPI_PENDING)
            return i;
    return n;
}

Test(dpi, rtp_on_odd_ports_after_two_packets)
{
    make(0, 0, 0, 0);
    enum dpi_verdict v[6];
    rtp_stream("10.0.0.1", 40001, "10.0.0.2", 40003, 0x80, 8, 0x11223344, 6, v);
    /* nDPI names RTP on the first packet; the heuristic agrees on the second (run 2). */
    cr_assert_eq(v[0], DPI_PENDING);
    cr_assert_eq(v[1], DPI_RTP, "second packet: %s", dpi_verdict_name(v[1]));
    for (int i = 2; i < 6; i++)
        cr_assert_eq(v[i], DPI_RTP);
    cr_assert_eq(st.v[STAT_DPI_RTP], 1);
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 0);
    cr_assert_eq(st.v[STAT_DPI_NDPI_PACKETS], 1, "nDPI decided on the first packet");
    cr_assert_eq(dpi_states_in_use(D), 0, "a decided flow keeps no nDPI state");
    struct pkt_info p = udp("10.0.0.2", 40003, "10.0.0.1", 40001, NULL, 0, TS0);
    cr_assert_str_eq(dpi_protocol_name(D, &p), "RTP");
}

Test(dpi, rtp_over_ipv6)
{
    make(0, 0, 0, 0);
    enum dpi_verdict v[4];
    rtp_stream("2001:db8::1", 50000, "2001:db8::2", 50002, 0x80, 0, 0xcafe, 4, v);
    cr_assert_eq(v[3], DPI_RTP);
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 0, "nDPI itself saw RTP in the IPv6 packet");
}

Test(dpi, cached_verdict_does_not_call_ndpi_again)
{
    make(0, 0, 0, 0);
    enum dpi_verdict v[3];
    rtp_stream("10.0.0.1", 40001, "10.0.0.2", 40003, 0x80, 8, 0x11223344, 3, v);
    cr_assert_eq(v[2], DPI_RTP);
    uint64_t calls = st.v[STAT_DPI_NDPI_PACKETS];
    uint64_t cached = st.v[STAT_DPI_CACHED];
    uint8_t b[64];
    for (int i = 0; i < 100; i++) {
        /* garbage on a decided flow changes nothing */
        memset(b, i, sizeof b);
        struct pkt_info p = udp("10.0.0.2", 40003, "10.0.0.1", 40001, b, sizeof b, TS0 + S_NS);
        cr_assert_eq(dpi_classify(D, &p), DPI_RTP);
    }
    cr_assert_eq(st.v[STAT_DPI_NDPI_PACKETS], calls);
    cr_assert_eq(st.v[STAT_DPI_CACHED], cached + 100);
    cr_assert_eq(st.v[STAT_DPI_RTP], 1, "one flow, counted once");
}

Test(dpi, both_directions_share_the_flow)
{
    /* Whole frames through decode_frame, as the worker will do. */
    make(0, 0, 0, 0);
    struct decode *dec = decode_create(NULL, &st);
    cr_assert_not_null(dec);
    uint8_t r[256], f[512];
    struct pkt_info p;
    enum dpi_verdict v = DPI_PENDING;
    for (int i = 0; i < 4; i++) {
        bool back = i & 1;
        size_t n = rtp(r, 0x80, 0, (uint16_t)(100 + i / 2), 160u * (uint32_t)i,
                       back ? 0xbbbb0002 : 0xaaaa0001, 160);
        size_t fl =
            back ? builders_udp4(f, sizeof f, "203.0.113.9", 31000, "192.0.2.5", 17000, r, n)
                 : builders_udp4(f, sizeof f, "192.0.2.5", 17000, "203.0.113.9", 31000, r, n);
        cr_assert_gt(fl, 0);
        cr_assert_eq(decode_frame(dec, 1, f, fl, TS0 + (uint64_t)i * 10 * MS_NS, &p), STATUS_OK);
        v = dpi_classify(D, &p);
        cr_assert_eq(dpi_active_flows(D), 1, "packet %d made a second flow", i);
    }
    /* Each SSRC has only two packets, but they are one flow: run 2 per SSRC, nDPI said RTP. */
    cr_assert_eq(v, DPI_RTP);
    cr_assert_eq(dpi_verdict_of(D, &p), DPI_RTP);
    cr_assert_eq(st.v[STAT_FLOWS], 1);
    decode_destroy(dec);
}

/*
 * RTCP compound (RFC 3550 §6.4.1, §6.5): an SR with one report block
 * (7 + 6 words), then an SDES with one CNAME chunk "a@b" (1 + 3 words: SSRC,
 * type, length, text, the null item, padding to the word).
 */
static size_t rtcp_sr_sdes(uint8_t *b)
{
    memset(b, 0, 80);
    b[0] = 0x81;               /* V=2, RC=1 */
    b[1] = 200;                /* SR */
    put16(b + 2, 12);          /* 13 words = 52 bytes */
    put32(b + 4, 0x11223344);  /* sender SSRC */
    put32(b + 8, 0xe9b5a000);  /* NTP seconds */
    put32(b + 20, 1600);       /* sender packet count */
    put32(b + 24, 256000);     /* sender octet count */
    put32(b + 28, 0x55667788); /* report block: SSRC of source */
    uint8_t *s = b + 52;
    s[0] = 0x81;              /* V=2, SC=1 */
    s[1] = 202;               /* SDES */
    put16(s + 2, 3);          /* 4 words = 16 bytes */
    put32(s + 4, 0x11223344); /* chunk SSRC */
    s[8] = 1;                 /* CNAME */
    s[9] = 3;
    memcpy(s + 10, "a@b", 3);
    /* s[13] = 0: end of items; s[14..15] pad the chunk to a word */
    return 52 + 16;
}

/*
 * RR with `blocks` report blocks (0 or 1: 2 or 8 words; the block is zeros
 * but its SSRC), then an SDES with a CNAME "x@yz" (4 words).
 */
static size_t rtcp_rr_sdes(uint8_t *b, int blocks)
{
    memset(b, 0, 64);
    b[0] = (uint8_t)(0x80 | blocks); /* V=2, RC */
    b[1] = 201;                      /* RR */
    put16(b + 2, blocks ? 7 : 1);
    put32(b + 4, 0x55667788);
    size_t rr = blocks ? 32 : 8;
    if (blocks)
        put32(b + 8, 0x11223344); /* SSRC of the source reported on */
    uint8_t *s = b + rr;
    s[0] = 0x81;
    s[1] = 202;
    put16(s + 2, 3);
    put32(s + 4, 0x55667788);
    s[8] = 1;
    s[9] = 4;
    memcpy(s + 10, "x@yz", 4);
    return rr + 16;
}

Test(dpi, rtcp_sr_compound)
{
    make(0, 0, 0, 0);
    uint8_t b[128];
    size_t n = rtcp_sr_sdes(b);
    struct pkt_info p = udp("10.0.0.1", 40002, "10.0.0.2", 40004, b, n, TS0);
    cr_assert_eq(dpi_classify(D, &p), DPI_RTCP, "nDPI and the heuristic agree on the first");
    cr_assert_eq(st.v[STAT_DPI_RTCP], 1);
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 0);
}

Test(dpi, rtcp_rr_compound)
{
    make(0, 0, 0, 0);
    uint8_t b[128];
    size_t n = rtcp_rr_sdes(b, 1);
    struct pkt_info p = udp("10.0.0.2", 40004, "10.0.0.1", 40002, b, n, TS0);
    cr_assert_eq(dpi_classify(D, &p), DPI_RTCP);
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 0);
}

Test(dpi, short_rtcp_gives_up_early)
{
    /* RR without report blocks + SDES: 24 bytes, too short for nDPI 4.2. After two, RTCP. */
    make(0, 0, 0, 0);
    uint8_t b[128];
    size_t n = rtcp_rr_sdes(b, 0);
    struct pkt_info p = udp("10.0.0.2", 40004, "10.0.0.1", 40002, b, n, TS0);
    cr_assert_eq(dpi_classify(D, &p), DPI_PENDING);
    p.ts_ns += 5 * S_NS;
    cr_assert_eq(dpi_classify(D, &p), DPI_RTCP);
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 1);
}

Test(dpi, rtcp_with_bad_lengths_is_not_rtcp)
{
    /* Heuristic alone (no nDPI state): length fields that do not add up are not RTCP. */
    make(4, 1, 0, 4);
    struct pkt_info hog = udp("10.9.9.9", 1, "10.9.9.8", 2, "x", 1, TS0);
    cr_assert_eq(dpi_classify(D, &hog), DPI_PENDING); /* holds the only nDPI state */
    uint8_t b[128];
    enum dpi_verdict v = DPI_PENDING;
    for (int i = 0; i < 4; i++) {
        size_t n = rtcp_rr_sdes(b, 0);
        put16(b + 2, 2); /* RR claims 3 words: the SDES no longer lines up */
        struct pkt_info p = udp("10.0.0.2", 40004, "10.0.0.1", 40002, b, n, TS0);
        v = dpi_classify(D, &p);
    }
    cr_assert_eq(v, DPI_OTHER);
    /* The same compound, correct, twice: RTCP by the heuristic alone. */
    for (int i = 0; i < 2; i++) {
        size_t n = rtcp_rr_sdes(b, 0);
        struct pkt_info p = udp("10.0.0.2", 40006, "10.0.0.1", 40008, b, n, TS0);
        v = dpi_classify(D, &p);
        cr_assert_eq(v, i == 0 ? DPI_PENDING : DPI_RTCP);
    }
}

/*
 * A DNS query (RFC 1035 §4.1) for example.com A, and its answer 93.184.216.34.
 */
static const uint8_t dns_query[] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* id, RD, 1 question */
    7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',  0, /* example.com */
    0x00, 0x01, 0x00, 0x01,                                                    /* A, IN */
};
static const uint8_t dns_answer[] = {
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* QR RD RA, 1 answer */
    7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',  3,    'c',  'o',  'm',  0,    0x00,
    0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, /* name at 12, A,
                                                                                     IN, TTL 300 */
    0x00, 0x04, 93,   184,  216,  34,
};

Test(dpi, dns_is_other)
{
    make(0, 0, 0, 0);
    struct pkt_info q =
        udp("192.168.1.10", 53111, "192.168.1.1", 53, dns_query, sizeof dns_query, TS0);
    struct pkt_info a =
        udp("192.168.1.1", 53, "192.168.1.10", 53111, dns_answer, sizeof dns_answer, TS0 + MS_NS);
    /* nDPI starts with the first flow that needs it, and has named nothing before */
    cr_assert_not(dpi_ndpi_started(D));
    cr_assert_str_eq(dpi_protocol_name(D, &q), "Unknown");
    enum dpi_verdict v1 = dpi_classify(D, &q);
    enum dpi_verdict v2 = dpi_classify(D, &a);
    cr_assert(v1 == DPI_OTHER || (v1 == DPI_PENDING && v2 == DPI_OTHER), "query %s, answer %s",
              dpi_verdict_name(v1), dpi_verdict_name(v2));
    cr_assert_eq(v2, DPI_OTHER);
    cr_assert(dpi_ndpi_started(D));
    cr_assert_str_eq(dpi_protocol_name(D, &q), "DNS");
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 0);
}

/* xorshift32: reproducible noise. */
static uint32_t noise(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

Test(dpi, random_bytes_are_other_after_giveup)
{
    make(0, 0, 0, 0);
    uint32_t seed = 0x2545f491;
    uint8_t b[172];
    for (int i = 0; i < DPI_DEFAULT_GIVEUP; i++) {
        for (size_t k = 0; k < sizeof b; k++)
            b[k] = (uint8_t)noise(&seed);
        struct pkt_info p =
            udp("10.0.0.1", 33333, "10.0.0.2", 44444, b, sizeof b, TS0 + (uint64_t)i * 20 * MS_NS);
        enum dpi_verdict v = dpi_classify(D, &p);
        cr_assert_eq(v, i + 1 < DPI_DEFAULT_GIVEUP ? DPI_PENDING : DPI_OTHER, "packet %d: %s", i,
                     dpi_verdict_name(v));
    }
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 1);
    cr_assert_eq(st.v[STAT_DPI_OTHER], 1);
    cr_assert_eq(st.v[STAT_DPI_NDPI_PACKETS], DPI_DEFAULT_GIVEUP);
    cr_assert_eq(dpi_states_in_use(D), 0);
}

static const char sip_options[] =
    "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5070;branch=z9hG4bKhjhs8ass877\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:carol@chicago.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com:5070>\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n\r\n";

Test(dpi, sip_on_port_5070)
{
    make(0, 0, 0, 0);
    struct pkt_info p =
        udp("192.0.2.4", 5070, "192.0.2.9", 5070, sip_options, sizeof sip_options - 1, TS0);
    cr_assert_eq(dpi_classify(D, &p), DPI_SIP);
    cr_assert_eq(st.v[STAT_DPI_SIP], 1);
}

/*
 * STUN Binding Request (RFC 5389 §6, §15.5): type 0x0001, length 8, the
 * magic cookie, a 96-bit transaction ID, then a FINGERPRINT attribute; and
 * the Binding Success Response with an XOR-MAPPED-ADDRESS (§15.2) of
 * 192.0.2.1:32853.
 */
static const uint8_t stun_request[] = {
    0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42,                         /* type, len, cookie */
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, /* transaction ID */
    0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf, /* FINGERPRINT (value not checked) */
};
static const uint8_t stun_response[] = {
    0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7,
    0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x00, 0x20,
    0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, /* XOR-MAPPED-ADDRESS */
};

Test(dpi, stun_binding_request)
{
    /* nDPI 4.2 names STUN at the third message of the flow: request, response, request. */
    make(0, 0, 0, 0);
    struct pkt_info req =
        udp("10.0.0.7", 51000, "198.51.100.3", 3478, stun_request, sizeof stun_request, TS0);
    struct pkt_info rsp = udp("198.51.100.3", 3478, "10.0.0.7", 51000, stun_response,
                              sizeof stun_response, TS0 + 30 * MS_NS);
    cr_assert_eq(dpi_classify(D, &req), DPI_PENDING);
    cr_assert_eq(dpi_classify(D, &rsp), DPI_PENDING);
    req.ts_ns += 500 * MS_NS;
    enum dpi_verdict v = dpi_classify(D, &req);
    cr_assert_eq(v, DPI_STUN, "verdict %s (%s)", dpi_verdict_name(v), dpi_protocol_name(D, &req));
    cr_assert_eq(st.v[STAT_DPI_STUN], 1);
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 0);
}

Test(dpi, table_full_evicts_least_recently_used)
{
    make(2, 2, 0, 0);
    /* one byte nobody recognises: every flow stays undecided and holds an nDPI state */
    struct pkt_info a = udp("10.0.0.1", 2000, "10.0.0.2", 2002, "?", 1, TS0);
    struct pkt_info c = udp("10.0.0.1", 2004, "10.0.0.2", 2006, "?", 1, TS0 + 1);
    struct pkt_info e = udp("10.0.0.1", 2008, "10.0.0.2", 2010, "?", 1, TS0 + 2);
    dpi_classify(D, &a);
    dpi_classify(D, &c);
    dpi_classify(D, &a); /* a used again: c is the least recently used */
    dpi_classify(D, &e);
    cr_assert_eq(dpi_active_flows(D), 2);
    cr_assert_eq(st.v[STAT_FLOW_EVICTED], 1);
    cr_assert_eq(dpi_states_in_use(D), 2, "c's nDPI state went back to the pool for e");
    /* c comes back as a new flow (and evicts a, now the oldest) */
    uint64_t flows = st.v[STAT_FLOWS];
    dpi_classify(D, &c);
    cr_assert_eq(st.v[STAT_FLOWS], flows + 1);
    cr_assert_eq(st.v[STAT_FLOW_EVICTED], 2);
}

Test(dpi, idle_expiry_on_packet_time)
{
    make(0, 0, 10, 0);
    uint8_t b[64];
    size_t n = rtp(b, 0x80, 0, 1, 0, 1, 20);
    struct pkt_info p = udp("10.0.0.1", 2000, "10.0.0.2", 2002, b, n, TS0);
    dpi_classify(D, &p);
    cr_assert_eq(dpi_states_in_use(D), 0, "nDPI named RTP: state released already");
    struct pkt_info q = udp("10.0.0.3", 9, "10.0.0.4", 9, "?", 1, TS0 + 5 * S_NS);
    dpi_classify(D, &q);
    cr_assert_eq(dpi_states_in_use(D), 1);
    dpi_expire(D, TS0 + 10 * S_NS - 1);
    cr_assert_eq(dpi_active_flows(D), 2);
    dpi_expire(D, TS0 + 10 * S_NS);
    cr_assert_eq(dpi_active_flows(D), 1);
    dpi_expire(D, TS0 + 15 * S_NS);
    cr_assert_eq(dpi_active_flows(D), 0);
    cr_assert_eq(dpi_states_in_use(D), 0, "expiry gives the nDPI state back");
    cr_assert_eq(st.v[STAT_FLOW_EXPIRED], 2);
}

Test(dpi, state_pool_exhausted_falls_back_to_heuristic)
{
    make(0, 1, 0, 0);
    /* The first flow holds the only nDPI state while undecided. */
    struct pkt_info hog = udp("10.9.9.9", 1111, "10.9.9.8", 2222, "zz", 2, TS0);
    cr_assert_eq(dpi_classify(D, &hog), DPI_PENDING);
    cr_assert_eq(dpi_states_in_use(D), 1);
    uint64_t calls = st.v[STAT_DPI_NDPI_PACKETS];
    enum dpi_verdict v[4];
    rtp_stream("10.0.0.1", 40001, "10.0.0.2", 40003, 0x80, 0, 0x77, 4, v);
    /* heuristic alone: RTP at the third packet of the SSRC (run 3) */
    cr_assert_eq(v[0], DPI_PENDING);
    cr_assert_eq(v[1], DPI_PENDING);
    cr_assert_eq(v[2], DPI_RTP);
    cr_assert_eq(st.v[STAT_DPI_NO_STATE], 1, "counted once per flow");
    cr_assert_eq(st.v[STAT_DPI_NDPI_PACKETS], calls, "nDPI never saw the second flow");
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 0);
}

Test(dpi, extension_header_found_by_heuristic_at_giveup)
{
    /* nDPI 4.2 only knows first bytes 0x80/0xA0: with X set (0x90) the heuristic decides. */
    make(0, 0, 0, 0);
    uint8_t b[256];
    enum dpi_verdict v = DPI_PENDING;
    int decided_at = -1;
    for (int i = 0; i < DPI_DEFAULT_GIVEUP && decided_at < 0; i++) {
        size_t n = rtp(b, 0x90, 111, (uint16_t)(65533 + i), 960u * (uint32_t)i, 0xdecafbad, 60);
        /* one-byte header extension (RFC 8285): 0xBEDE, 1 word */
        memmove(b + 16, b + 12, 60);
        put16(b + 12, 0xbede);
        put16(b + 14, 1);
        memset(b + 16, 0x10, 4);
        struct pkt_info p =
            udp("10.0.0.1", 55402, "10.0.0.2", 6008, b, n + 4, TS0 + (uint64_t)i * 20 * MS_NS);
        v = dpi_classify(D, &p);
        if (v != DPI_PENDING)
            decided_at = i;
    }
    /* sequence numbers wrap (65533, 65534, 65535, 0...): still one run */
    cr_assert_eq(v, DPI_RTP, "verdict %s", dpi_verdict_name(v));
    cr_assert_eq(decided_at, DPI_DEFAULT_GIVEUP - 1);
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 1);
}

Test(dpi, rtp_to_low_port_found_at_giveup)
{
    /* nDPI 4.2 skips RTP to ports below 1024; the heuristic does not care about ports. */
    make(0, 0, 0, 0);
    enum dpi_verdict v[DPI_DEFAULT_GIVEUP];
    rtp_stream("10.0.0.1", 40000, "10.0.0.2", 999, 0x80, 0, 0x1234, DPI_DEFAULT_GIVEUP, v);
    cr_assert_eq(first_decided(v, DPI_DEFAULT_GIVEUP), DPI_DEFAULT_GIVEUP - 1);
    cr_assert_eq(v[DPI_DEFAULT_GIVEUP - 1], DPI_RTP);
}

Test(dpi, interleaved_ssrcs_audio_and_events)
{
    /* Audio PT 8 and RFC 4733 events PT 101 with their own SSRC on one 5-tuple. */
    make(0, 1, 0, 0);
    struct pkt_info hog = udp("10.9.9.9", 1, "10.9.9.8", 2, "?", 1, TS0);
    dpi_classify(D, &hog); /* heuristic alone for the flow below */
    uint8_t b[256];
    enum dpi_verdict v = DPI_PENDING;
    for (int i = 0; i < 6 && v == DPI_PENDING; i++) {
        bool ev = i & 1;
        size_t n =
            ev ? rtp(b, 0x80, 101, (uint16_t)(900 + i / 2), 8000, 0xe0e0e0e0, 4)
               : rtp(b, 0x80, 8, (uint16_t)(300 + i / 2), 160u * (uint32_t)i, 0xa0a0a0a0, 160);
        struct pkt_info p = udp("10.0.0.1", 30000, "10.0.0.2", 30002, b, n, TS0);
        v = dpi_classify(D, &p);
        if (i < 4)
            cr_assert_eq(v, DPI_PENDING, "packet %d decided too early", i);
    }
    cr_assert_eq(v, DPI_RTP);
}

Test(dpi, ndpi_rtp_without_heuristic_agreement_is_other)
{
    /* Header-only "RTP" (no payload byte) with jumping sequence numbers: nDPI says RTP, we do not.
     */
    make(0, 0, 0, 0);
    uint8_t b[16];
    uint32_t seed = 7;
    enum dpi_verdict v = DPI_PENDING;
    for (int i = 0; i < DPI_DEFAULT_GIVEUP; i++) {
        size_t n = rtp(b, 0x80, 0, (uint16_t)noise(&seed), 0, 0x42, 0);
        struct pkt_info p = udp("10.0.0.1", 40000, "10.0.0.2", 40002, b, n, TS0);
        v = dpi_classify(D, &p);
    }
    cr_assert_eq(v, DPI_OTHER);
    cr_assert_eq(st.v[STAT_DPI_DISAGREE], 1);
    cr_assert_eq(st.v[STAT_DPI_GIVEUP], 1);
}

Test(dpi, sequence_jumps_are_not_a_stream)
{
    /* Valid headers, one SSRC, but sequence numbers all over the place: not RTP alone. */
    make(0, 1, 0, 0);
    struct pkt_info hog = udp("10.9.9.9", 1, "10.9.9.8", 2, "?", 1, TS0);
    dpi_classify(D, &hog);
    uint8_t b[64];
    const uint16_t seqs[] = {10, 500, 12, 9000, 11, 40000, 13, 100};
    enum dpi_verdict v = DPI_PENDING;
    for (int i = 0; i < 8; i++) {
        size_t n = rtp(b, 0x80, 0, seqs[i], 0, 0x42, 20);
        struct pkt_info p = udp("10.0.0.1", 40000, "10.0.0.2", 40002, b, n, TS0);
        v = dpi_classify(D, &p);
    }
    cr_assert_eq(v, DPI_OTHER);
}

Test(dpi, duplicates_and_late_packets_do_not_break_a_run)
{
    make(0, 1, 0, 0);
    struct pkt_info hog = udp("10.9.9.9", 1, "10.9.9.8", 2, "?", 1, TS0);
    dpi_classify(D, &hog);
    uint8_t b[64];
    const uint16_t seqs[] = {100, 100, 101, 99, 103}; /* dup, late, gap of 2 */
    enum dpi_verdict v[5];
    for (int i = 0; i < 5; i++) {
        size_t n = rtp(b, 0x80, 0, seqs[i], 0, 0x42, 20);
        struct pkt_info p = udp("10.0.0.1", 40000, "10.0.0.2", 40002, b, n, TS0);
        v[i] = dpi_classify(D, &p);
    }
    cr_assert_eq(first_decided(v, 5), 4);
    cr_assert_eq(v[4], DPI_RTP);
}

Test(dpi, rtp_header_checks)
{
    /* Each of these fails the strict header check, so three in sequence are still not RTP. */
    make(0, 1, 0, 3);
    struct pkt_info hog = udp("10.9.9.9", 1, "10.9.9.8", 2, "?", 1, TS0);
    dpi_classify(D, &hog);
    struct {
        const char *what;
        uint8_t b0, pt;
        size_t body;
        uint8_t last; /* value of the last byte (padding count) when nonzero */
    } bad[] = {
        {"version 1", 0x40, 0, 20, 0},
        {"version 3", 0xc0, 0, 20, 0},
        {"PT 72 (RTCP SR with marker)", 0x80, 0xc8, 20, 0},
        {"PT 76 (RTCP APP with marker)", 0x80, 0xcc, 20, 0},
        {"15 CSRCs in 20 bytes", 0x8f, 0, 20, 0},
        {"extension longer than the packet", 0x90, 0, 20, 0},
        {"padding 0", 0xa0, 0, 20, 0},
        {"padding eats the payload", 0xa0, 0, 20, 20},
        {"padding longer than the payload", 0xa0, 0, 20, 200},
        {"header only", 0x80, 0, 0, 0},
        {"PT 35 (unassigned, RFC 3551)", 0x80, 35, 20, 0},
        {"PT 1 (reserved)", 0x80, 1, 20, 0},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        enum dpi_verdict v = DPI_PENDING;
        for (int i = 0; i < 3; i++) {
            uint8_t b[64];
            size_t n = rtp(b, bad[k].b0, bad[k].pt, (uint16_t)(1 + i), 0, 0x42, bad[k].body);
            if (bad[k].b0 == 0x90)
                put16(b + 14, 0xffff); /* extension length in words */
            if (bad[k].b0 == 0xa0 && n > 12)
                b[n - 1] = bad[k].last;
            struct pkt_info p =
                udp("10.0.0.1", (uint16_t)(20000 + k), "10.0.0.2", 40002, b, n, TS0);
            v = dpi_classify(D, &p);
        }
        cr_assert_eq(v, DPI_OTHER, "%s: %s", bad[k].what, dpi_verdict_name(v));
    }
    /* and the good ones: padding 4 of 20, 2 CSRCs */
    enum dpi_verdict v = DPI_PENDING;
    for (int i = 0; i < 3; i++) {
        uint8_t b[64];
        size_t n = rtp(b, 0xa2, 0, (uint16_t)(1 + i), 0, 0x42, 24);
        b[n - 1] = 4;
        struct pkt_info p = udp("10.0.0.1", 19999, "10.0.0.2", 40002, b, n, TS0);
        v = dpi_classify(D, &p);
    }
    cr_assert_eq(v, DPI_RTP);
}

Test(dpi, hostile_payloads)
{
    make(0, 0, 0, 0);
    static uint8_t huge[65535]; /* a reassembled datagram of the largest size */
    memset(huge, 0, sizeof huge);
    huge[0] = 0x80;
    const uint8_t nul[12] = {0};
    const uint8_t one[1] = {0x80};
    struct {
        const void *p;
        size_t len;
    } in[] = {{one, 1}, {nul, sizeof nul}, {huge, sizeof huge}, {"\r\n\r\n", 4}};
    for (size_t k = 0; k < sizeof in / sizeof in[0]; k++) {
        enum dpi_verdict v = DPI_PENDING;
        for (int i = 0; i < DPI_DEFAULT_GIVEUP; i++) {
            struct pkt_info p = udp("10.0.0.1", (uint16_t)(3000 + k), "10.0.0.2", 4000, in[k].p,
                                    in[k].len, TS0 + (uint64_t)i * MS_NS);
            v = dpi_classify(D, &p);
        }
        cr_assert_neq(v, DPI_RTP, "input %zu", k);
        cr_assert_neq(v, DPI_PENDING, "input %zu undecided after the bound", k);
    }
    /*
     * Cut by the snaplen after 24 bytes (RTP header, a one-word extension, 4
     * payload bytes): the header still counts. Alternate packets have P set,
     * whose padding count was cut away: they are no evidence either way, so
     * the run of the others (sequence step 2) still makes RTP.
     */
    enum dpi_verdict v = DPI_PENDING;
    for (int i = 0; i < DPI_DEFAULT_GIVEUP; i++) {
        uint8_t b[64];
        size_t n = rtp(b, (i & 1) ? 0xb0 : 0x90, 0, (uint16_t)i, 0, 9, 40);
        put16(b + 12, 0xbede);
        put16(b + 14, 1);
        struct pkt_info p = udp("10.0.0.1", 2999, "10.0.0.2", 4000, b, n < 24 ? n : 24, TS0);
        p.truncated = true;
        v = dpi_classify(D, &p);
    }
    cr_assert_eq(v, DPI_RTP);
}

Test(dpi, empty_payload_and_non_udp)
{
    make(0, 0, 0, 0);
    struct pkt_info p = udp("10.0.0.1", 1, "10.0.0.2", 2, NULL, 0, TS0);
    for (int i = 0; i < 20; i++)
        cr_assert_eq(dpi_classify(D, &p), DPI_PENDING, "empty datagrams never decide");
    cr_assert_eq(dpi_active_flows(D), 1);
    cr_assert_eq(st.v[STAT_DPI_NDPI_PACKETS], 0);
    struct pkt_info t = udp("10.0.0.1", 1, "10.0.0.2", 5060, sip_options, 20, TS0);
    t.l4 = PKT_L4_TCP;
    t.ip_proto = 6;
    cr_assert_eq(dpi_classify(D, &t), DPI_OTHER);
    cr_assert_eq(dpi_active_flows(D), 1, "TCP leaves no flow");
    struct pkt_info none = {.l4 = PKT_L4_UDP};
    cr_assert_eq(dpi_classify(D, &none), DPI_OTHER, "no address family");
    cr_assert_eq(dpi_verdict_of(D, &t), DPI_OTHER);
}

Test(dpi, config_caps)
{
    struct dpi_config c;
    dpi_config_default(&c);
    c.max_flows = 10;
    c.max_states = 11;
    cr_assert_null(dpi_create(&c, &st), "more states than flows");
    dpi_config_default(&c);
    c.giveup_packets = DPI_MAX_GIVEUP + 1;
    cr_assert_null(dpi_create(&c, &st));
    dpi_config_default(&c);
    c.protocols = (enum dpi_protocols)7;
    cr_assert_null(dpi_create(&c, &st));
    D = dpi_create(NULL, NULL);
    cr_assert_not_null(D);
    cr_assert_gt(dpi_bytes(D), (size_t)DPI_DEFAULT_MAX_STATES * 600);
    cr_assert_str_eq(dpi_verdict_name(DPI_PENDING), "pending");
    cr_assert_str_eq(dpi_verdict_name(DPI_RTCP), "rtcp");
    cr_assert_str_eq(dpi_verdict_name((enum dpi_verdict)99), "?");
    dpi_destroy(NULL);
}

Test(dpi, every_protocol_mode_still_finds_rtp)
{
    struct dpi_config c;
    dpi_config_default(&c);
    c.protocols = DPI_PROTOCOLS_ALL;
    D = dpi_create(&c, &st);
    cr_assert_not_null(D);
    enum dpi_verdict v[3];
    rtp_stream("10.0.0.1", 40001, "10.0.0.2", 40003, 0x80, 8, 0x11223344, 3, v);
    cr_assert_eq(v[1], DPI_RTP);
    struct pkt_info q =
        udp("192.168.1.10", 53111, "192.168.1.1", 53, dns_query, sizeof dns_query, TS0);
    cr_assert_eq(dpi_classify(D, &q), DPI_OTHER);
}

/* ---- real captures, checked against tshark's heuristic RTP streams ---------------------- */

#define MAX_CAP_FLOWS 256

struct cap_flow {
    struct endpoint a, b;
    enum dpi_verdict last;
};

static struct cap_flow *cap_find(struct cap_flow *fl, int *n, const struct endpoint *s,
                                 const struct endpoint *d)
{
    for (int i = 0; i < *n; i++)
        if ((endpoint_eq(&fl[i].a, s) && endpoint_eq(&fl[i].b, d)) ||
            (endpoint_eq(&fl[i].a, d) && endpoint_eq(&fl[i].b, s)))
            return &fl[i];
    cr_assert_lt(*n, MAX_CAP_FLOWS);
    fl[*n] = (struct cap_flow){*s, *d, DPI_PENDING};
    return &fl[(*n)++];
}

/* The streams of "tshark -o rtp.heuristic_rtp:TRUE -z rtp,streams" in the oracle file. */
static int oracle_streams(const char *txt, struct endpoint *src, struct endpoint *dst, int max)
{
    FILE *f = fopen(txt, "r");
    cr_assert_not_null(f, "cannot open %s", txt);
    char line[512];
    int n = 0, state = 0;
    while (fgets(line, sizeof line, f) && state < 3) {
        if (state == 0 && strstr(line, "rtp.heuristic_rtp:TRUE"))
            state = 1;
        else if (state == 1 && strstr(line, "Src IP addr"))
            state = 2;
        else if (state == 2 && line[0] == '=')
            state = 3;
        else if (state == 2 && n < max) {
            char sip[64], dip[64];
            unsigned sp, dp;
            if (sscanf(line, "%*s %*s %63s %u %63s %u", sip, &sp, dip, &dp) == 4) {
                cr_assert(addr_parse(sv_make(sip, strlen(sip)), &src[n].ip));
                cr_assert(addr_parse(sv_make(dip, strlen(dip)), &dst[n].ip));
                src[n].port = (uint16_t)sp;
                dst[n].port = (uint16_t)dp;
                n++;
            }
        }
    }
    fclose(f);
    return n;
}

static void check_capture(const char *name, int expect_streams, int expect_rtp_flows)
{
    /* ../shared beside the checkout, or where the project keeps it */
    static const char *const dirs[] = {"../shared/public-captures", "/work/shared/public-captures"};
    char path[256] = "", txt[300] = "";
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && !txt[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dirs[i], name);
        snprintf(txt, sizeof txt, "%s.txt", path);
        if (access(path, R_OK) != 0 || access(txt, R_OK) != 0)
            txt[0] = 0;
    }
    if (!txt[0])
        cr_skip_test("%s not present", name);
    make(0, 0, 0, 0);
    struct decode *dec = decode_create(NULL, &st);
    cr_assert_not_null(dec);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    cr_assert_not_null(pc, "%s", err);
    int link = pcap_datalink(pc);

    static struct cap_flow fl[MAX_CAP_FLOWS];
    int nfl = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t now = 0;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        uint64_t ts = (uint64_t)h->ts.tv_sec * S_NS + (uint64_t)h->ts.tv_usec * 1000;
        struct pkt_info p;
        if (decode_frame(dec, link, data, h->caplen, ts, &p) != STATUS_OK || p.l4 != PKT_L4_UDP)
            continue;
        if (ts > now)
            now = ts;
        dpi_expire(D, now); /* as the worker will: packet time */
        cap_find(fl, &nfl, &p.src, &p.dst)->last = dpi_classify(D, &p);
    }
    pcap_close(pc);
    decode_destroy(dec);

    struct endpoint src[16], dst[16];
    int ns = oracle_streams(txt, src, dst, 16);
    cr_assert_eq(ns, expect_streams, "%s: %d streams in the oracle", name, ns);
    for (int i = 0; i < ns; i++) {
        struct cap_flow *c = cap_find(fl, &nfl, &src[i], &dst[i]);
        char a[ADDR_STR_MAX], b[ADDR_STR_MAX];
        cr_expect_eq(c->last, DPI_RTP, "%s: %s -> %s is %s", name,
                     endpoint_format(&src[i], a, sizeof a), endpoint_format(&dst[i], b, sizeof b),
                     dpi_verdict_name(c->last));
    }
    /* and nothing else in the capture is called RTP */
    int rtp_flows = 0;
    for (int i = 0; i < nfl; i++)
        rtp_flows += fl[i].last == DPI_RTP;
    cr_assert_eq(rtp_flows, expect_rtp_flows, "%s: %d flows called RTP", name, rtp_flows);
}

Test(dpi, capture_ndpi_rtp)
{
    /* 5 streams on 3 flows: 6000<->6000 (H.263), 50003<->54234 (3 SSRCs), 55402->6008 */
    check_capture("ndpi-rtp.pcapng", 5, 3);
}

Test(dpi, capture_asterisk_40ms_alaw)
{
    check_capture("asterisk-40msalaw.pcap", 1, 1);
}
