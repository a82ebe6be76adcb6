/* test_rtcp.c: RTCP compound walker and helpers (RFC 3550 §6.4-6.7, RFC 3611 §4.7, RFC 5761 §4),
 * checked against real captures. */
#include <criterion/criterion.h>
#include <string.h>

#include "../decoders/rtcp.h"

/*
 * The real datagrams below are UDP payloads copied from captures in
 * ../shared with `tshark -r FILE -Y rtcp -T fields -e udp.payload`; the
 * expected values come from the capture's ground truth
 * (edge-captures/rtp-loss.pcap.expected.json) or from `tshark -O rtcp`.
 * They are written as hex text, annotated field by field, and turned into
 * bytes by hex() so the test needs nothing from ../shared.
 */

#define BUF_MAX 2048

/* Hex digits to bytes into out[0..cap); spaces are ignored. Returns the byte count. */
#define hex(s, out) hex_to((s), (out), sizeof(out))
static size_t hex_to(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            cr_assert_lt(n, cap, "hex text longer than its buffer");
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    cr_assert_eq(hi, -1, "odd number of hex digits");
    return n;
}

static bool sv_is(struct sv v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

/* Byte writers for the datagrams built in code. */
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* An RTCP header: V=2, P, count, PT, length in words minus one for `bytes` total. */
static void header(uint8_t *p, bool pad, uint8_t count, uint8_t pt, size_t bytes)
{
    p[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | (count & 0x1F));
    p[1] = pt;
    put16(p + 2, (uint16_t)(bytes / 4 - 1));
}

/* ---- edge-captures/rtp-loss.pcap: every SR and RR of the ground truth ---- */

/*
 * Frame 499, 2024-03-01T13:00:06.513Z, caller 192.0.2.10 -> callee: SR + SDES.
 *   80 c8 0006           V=2 RC=0 PT=200 length 6 (28 bytes)
 *   1a2b003c             sender SSRC
 *   e98c4fd6 8353f7ce    NTP 2024-03-01 13:00:06.513
 *   0003f718             RTP timestamp 259864
 *   000000fa 00009c40    250 packets, 40000 octets
 *   81 ca 0006           V=2 SC=1 PT=202 length 6 (28 bytes)
 *   1a2b003c 01 10 "alice@192.0.2.10" 00 00   chunk: CNAME, END, pad
 */
static const char loss_sr_5s[] = "80c80006 1a2b003c e98c4fd6 8353f7ce 0003f718 000000fa 00009c40"
                                 "81ca0006 1a2b003c 0110 616c696365403139322e302e322e3130 0000";
/*
 * Frame 504, 13:00:06.563Z, callee -> caller: RR about the caller's stream.
 *   81 c9 0007           V=2 RC=1 PT=201 length 7 (32 bytes)
 *   2b3c003c             reporter SSRC
 *   1a2b003c             about SSRC
 *   07 000007            fraction 7/256, cumulative 7
 *   0000051f             extended highest sequence 1311
 *   00000000             jitter 0
 *   4fd68353             LSR: middle of the SR's NTP above
 *   00000ccc             DLSR 3276/65536 s (49.99 ms)
 */
static const char loss_rr_5s[] =
    "81c90007 2b3c003c 1a2b003c 07000007 0000051f 00000000 4fd68353 00000ccc";
/* Frame 1000, 13:00:11.513Z: SR + SDES; NTP e98c4fdb 8353f7ce, RTP 299864, 500 packets, 80000
 * octets. */
static const char loss_sr_10s[] = "80c80006 1a2b003c e98c4fdb 8353f7ce 00049358 000001f4 00013880"
                                  "81ca0006 1a2b003c 0110 616c696365403139322e302e322e3130 0000";
/* Frame 1003, 13:00:11.563Z: RR, fraction 1, cumulative 8, ext seq 1559 (0x617), LSR 4fdb8353. */
static const char loss_rr_10s[] =
    "81c90007 2b3c003c 1a2b003c 01000008 00000617 00000000 4fdb8353 00000ccc";

/* Packet times of frames 504 and 1003, Unix ns. */
#define LOSS_RR_5S_NS 1709298006563000000ULL
#define LOSS_RR_10S_NS 1709298011563000000ULL

static void assert_loss_sr(const char *text, uint64_t ntp, uint32_t rtp_ts, uint32_t packets,
                           uint32_t octets)
{
    uint8_t b[BUF_MAX];
    size_t n = hex(text, b);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.wire_len, n);
    cr_assert_eq(r.packet_count, 2);
    cr_assert_eq(r.anomalies, 0);
    const struct rtcp_packet *sr = &r.packets[0];
    cr_assert_eq(sr->type, RTCP_SR);
    cr_assert_eq(sr->count, 0);
    cr_assert_eq(sr->len, 28);
    cr_assert_eq(sr->ssrc, 0x1A2B003C);
    cr_assert_eq(sr->sr_ntp, ntp);
    cr_assert_eq(sr->sr_rtp_ts, rtp_ts);
    cr_assert_eq(sr->sr_packet_count, packets);
    cr_assert_eq(sr->sr_octet_count, octets);
    cr_assert_eq(sr->block_count, 0);
    cr_assert_eq(r.block_count, 0);
    const struct rtcp_packet *sd = &r.packets[1];
    cr_assert_eq(sd->type, RTCP_SDES);
    cr_assert_eq(sd->ssrc, 0x1A2B003C);
    cr_assert_eq(sd->chunk_count, 1);
    cr_assert_eq(r.chunk_count, 1);
    cr_assert_eq(r.chunks[0].ssrc, 0x1A2B003C);
    cr_assert(sv_is(r.chunks[0].cname, "alice@192.0.2.10"));
    cr_assert_eq(r.chunks[0].items, 1);
    cr_assert(sv_empty(r.chunks[0].tool));
}

static void assert_loss_rr(const char *text, uint8_t fraction, double pct, int32_t cumulative,
                           uint32_t ext_seq, uint32_t lsr)
{
    uint8_t b[BUF_MAX];
    size_t n = hex(text, b);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.wire_len, 32);
    cr_assert_eq(r.packet_count, 1);
    cr_assert_eq(r.anomalies, 0);
    const struct rtcp_packet *rr = &r.packets[0];
    cr_assert_eq(rr->type, RTCP_RR);
    cr_assert_eq(rr->count, 1);
    cr_assert_eq(rr->ssrc, 0x2B3C003C);
    cr_assert_eq(rr->first_block, 0);
    cr_assert_eq(rr->block_count, 1);
    const struct rtcp_report *b0 = &r.blocks[0];
    cr_assert_eq(b0->reporter, 0x2B3C003C);
    cr_assert_eq(b0->ssrc, 0x1A2B003C);
    cr_assert_eq(b0->fraction_lost, fraction);
    cr_assert_eq(rtcp_fraction_lost_pct(b0->fraction_lost), pct);
    cr_assert_eq(b0->cumulative_lost, cumulative);
    cr_assert_eq(b0->ext_highest_seq, ext_seq);
    cr_assert_eq(b0->jitter, 0);
    cr_assert_eq(b0->lsr, lsr);
    cr_assert_eq(b0->dlsr, 3276);
}

Test(rtcp, rtp_loss_sr_at_5s_with_sdes)
{
    /* expected.json: packet_count 250, octet_count 40000, rtp_ts 259864 */
    assert_loss_sr(loss_sr_5s, 0xE98C4FD68353F7CEULL, 259864, 250, 40000);
}

Test(rtcp, rtp_loss_rr_at_5s)
{
    /* expected.json: fraction_lost 7 (2.734375 %), cumulative 7, ext seq 1311, lsr 1339458387 */
    assert_loss_rr(loss_rr_5s, 7, 2.734375, 7, 1311, 1339458387);
}

Test(rtcp, rtp_loss_sr_at_10s_with_sdes)
{
    assert_loss_sr(loss_sr_10s, 0xE98C4FDB8353F7CEULL, 299864, 500, 80000);
}

Test(rtcp, rtp_loss_rr_at_10s)
{
    /* expected.json: fraction_lost 1 (0.390625 %), cumulative 8, ext seq 1559, lsr 1339786067 */
    assert_loss_rr(loss_rr_10s, 1, 0.390625, 8, 1559, 1339786067);
}

/* The LSR of each RR is the middle 32 bits of the NTP time of the SR before it. */
Test(rtcp, lsr_is_middle_of_sr_ntp)
{
    cr_assert_eq(rtcp_ntp_middle(0xE98C4FD68353F7CEULL), 1339458387u); /* 0x4fd68353 */
    cr_assert_eq(rtcp_ntp_middle(0xE98C4FDB8353F7CEULL), 1339786067u); /* 0x4fdb8353 */
    /* The SR was sent at 13:00:06.513 and its NTP time says so: the packet time gives the same. */
    cr_assert_eq(rtcp_ntp_middle_from_ns(1709298006513000000ULL), 0x4FD68353u);
}

/*
 * RTT of the RR at 13:00:06.563 about the SR of 13:00:06.513, held 3276/65536 s:
 *   A    = middle NTP of 06.563 = 0x4fd6 << 16 | floor(0.563 * 65536) = 0x4fd6 9020 (36896)
 *   LSR  = 0x4fd6 8353 (33619)
 *   A - LSR - DLSR = 36896 - 33619 - 3276 = 1 unit = 1000/65536 ms = 0.0152587890625 ms
 * The capture's endpoints sit in one host: the round trip is the 1/65536 s rounding.
 */
Test(rtcp, rtp_loss_round_trip)
{
    double rtt = -1;
    cr_assert(rtcp_rtt_ms(1339458387u, 3276, LOSS_RR_5S_NS, &rtt));
    cr_assert_eq(rtt, 1000.0 / 65536.0);
    cr_assert(rtcp_rtt_ms(1339786067u, 3276, LOSS_RR_10S_NS, &rtt));
    cr_assert_eq(rtt, 1000.0 / 65536.0);
}

/* ---- captures/o_baresip_call_rtcp_netns.pcap (baresip 1.0.0, G.711 A-law) ---- */

/*
 * Frame 3: APP alone, as baresip sends it before any report.
 *   80 cc 0003           V=2 subtype 0 PT=204 length 3 (16 bytes)
 *   2c48fe7f "PING" "PONG"
 */
static const char baresip_app[] = "80cc0003 2c48fe7f 50494e47 504f4e47";

Test(rtcp, baresip_app_ping)
{
    uint8_t b[BUF_MAX];
    size_t n = hex(baresip_app, b);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 1);
    const struct rtcp_packet *p = &r.packets[0];
    cr_assert_eq(p->type, RTCP_APP);
    cr_assert_eq(p->count, 0); /* subtype */
    cr_assert_eq(p->ssrc, 0x2C48FE7F);
    cr_assert(sv_is(p->app_name, "PING"));
    cr_assert(sv_is(p->app_data, "PONG"));
    /* RFC 3550 §6.1 wants SR/RR first; RFC 5506 allows otherwise: noted, not refused. */
    cr_assert_eq(r.anomalies, RTCP_ANOM_FIRST_NOT_REPORT);
}

/*
 * Frame 503 (5.009 s, bob -> alice): SR + SDES.
 *   81 c8 000c           RC=1 SR, 52 bytes; sender 2c48fe7f
 *   eeaba71f 15d9d345    NTP (its middle, a71f15d9, comes back as LSR in frame 507)
 *   00010bf6 000000fa 00009c40   RTP 68598, 250 packets, 40000 octets
 *   e4fe08c2 00 000000 00007dac 00000040 00000000 00000000   block about alice
 *   81 ca 0007 2c48fe7f 01 15 "sip:bob@198.51.100.20" 00   SDES, 32 bytes
 * Frame 507 (5.033 s, alice -> bob): SR + SDES, block about bob with LSR/DLSR.
 *   81 c8 000c e4fe08c2 eeaba71f 1bff0457 0001625d 000000f8 00009b00
 *   2c48fe7f 00 000000 00003716 0000004c a71f15d9 00000624
 *   81 ca 0008 e4fe08c2 01 17 "sip:alice@198.51.100.10" 00 0000   SDES, 36 bytes
 */
static const char baresip_sr_bob[] =
    "81c8000c 2c48fe7f eeaba71f 15d9d345 00010bf6 000000fa 00009c40"
    "e4fe08c2 00000000 00007dac 00000040 00000000 00000000"
    "81ca0007 2c48fe7f 0115 7369703a626f62403139382e35312e3130302e3230 00";
static const char baresip_sr_alice[] =
    "81c8000c e4fe08c2 eeaba71f 1bff0457 0001625d 000000f8 00009b00"
    "2c48fe7f 00000000 00003716 0000004c a71f15d9 00000624"
    "81ca0008 e4fe08c2 0117 7369703a616c696365403139382e35312e3130302e3130 000000";
#define BARESIP_507_NS 1795238047109392000ULL

Test(rtcp, baresip_sender_reports)
{
    uint8_t b[BUF_MAX];
    struct rtcp_compound r;
    size_t n = hex(baresip_sr_bob, b);
    cr_assert_eq(n, 84);
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 2);
    cr_assert_eq(r.anomalies, 0);
    uint64_t bob_ntp = r.packets[0].sr_ntp;
    cr_assert_eq(r.packets[0].sr_rtp_ts, 68598);
    cr_assert_eq(r.blocks[0].ssrc, 0xE4FE08C2);
    cr_assert_eq(r.blocks[0].ext_highest_seq, 32172);
    cr_assert_eq(r.blocks[0].jitter, 64);
    cr_assert_eq(r.blocks[0].lsr, 0); /* bob had no SR from alice yet */
    cr_assert(sv_is(r.chunks[0].cname, "sip:bob@198.51.100.20"));

    n = hex(baresip_sr_alice, b);
    cr_assert_eq(n, 88);
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.wire_len, 88);
    cr_assert_eq(r.packet_count, 2);
    const struct rtcp_packet *sr = &r.packets[0];
    cr_assert_eq(sr->ssrc, 0xE4FE08C2);
    cr_assert_eq(sr->sr_rtp_ts, 90717);
    cr_assert_eq(sr->sr_packet_count, 248);
    cr_assert_eq(sr->sr_octet_count, 39680);
    cr_assert_eq(sr->block_count, 1);
    const struct rtcp_report *blk = &r.blocks[0];
    cr_assert_eq(blk->reporter, 0xE4FE08C2);
    cr_assert_eq(blk->ssrc, 0x2C48FE7F);
    cr_assert_eq(blk->fraction_lost, 0);
    cr_assert_eq(blk->cumulative_lost, 0);
    cr_assert_eq(blk->ext_highest_seq, 14102);
    cr_assert_eq(blk->jitter, 76);
    cr_assert_eq(rtcp_jitter_ms(blk->jitter, 8000), 9.5); /* 76 / 8000 s */
    cr_assert_eq(blk->lsr, rtcp_ntp_middle(bob_ntp));
    cr_assert_eq(blk->lsr, 0xA71F15D9);
    cr_assert_eq(blk->dlsr, 1572); /* tshark: 23 milliseconds */
    cr_assert(sv_is(r.chunks[0].cname, "sip:alice@198.51.100.10"));

    /*
     * The report reaches bob (the capture point) at 1795238047.109392 s:
     *   A = (1795238047 + 2208988800) & 0xffff = 0xa71f, floor(0.109392 * 65536) = 7169 (0x1c01)
     *   A - LSR - DLSR = 0xa71f1c01 - 0xa71f15d9 - 1572 = 1576 - 1572 = 4 units
     *   RTT = 4 * 1000 / 65536 = 0.06103515625 ms (two namespaces on one host)
     */
    double rtt = -1;
    cr_assert(rtcp_rtt_ms(blk->lsr, blk->dlsr, BARESIP_507_NS, &rtt));
    cr_assert_eq(rtt, 4000.0 / 65536.0);
}

/*
 * Frame 909: BYE + SDES.
 *   81 cb 0003 e4fe08c2 04 "Adjo" 000000    BYE SC=1 with a 4-byte reason and pad
 *   81 ca 0008 e4fe08c2 01 17 "sip:alice@198.51.100.10" 000000
 */
static const char baresip_bye[] =
    "81cb0003 e4fe08c2 04 41646a6f 000000"
    "81ca0008 e4fe08c2 0117 7369703a616c696365403139382e35312e3130302e3130 000000";

Test(rtcp, baresip_bye_with_reason)
{
    uint8_t b[BUF_MAX];
    size_t n = hex(baresip_bye, b);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 2);
    const struct rtcp_packet *p = &r.packets[0];
    cr_assert_eq(p->type, RTCP_BYE);
    cr_assert_eq(p->bye_count, 1);
    cr_assert_eq(p->bye_ssrc[0], 0xE4FE08C2);
    cr_assert_eq(p->ssrc, 0xE4FE08C2);
    cr_assert(sv_is(p->bye_reason, "Adjo"));
    cr_assert(sv_is(r.chunks[0].cname, "sip:alice@198.51.100.10"));
    cr_assert_eq(r.anomalies, RTCP_ANOM_FIRST_NOT_REPORT);
}

/* ---- public-captures/asterisk-crash-27382.pcap (AST-2017-012 test input) ---- */

/*
 * Frame 122: SR (RC=1) + RR (RC=1) + SDES from one SSRC, both report packets
 * carrying the same block: two report packets in one compound.
 *   81 c8 000c 6a1b26d7 59f70ad0 cd05fc6e 00004e18 00000079 00004ba0
 *     197f4b44 00 000000 000077e6 00000000 10217a58 00027851
 *   81 c9 0007 6a1b26d7 197f4b44 00000000 000077e6 00000000 10217a58 00027851
 *   81 ca 0003 6a1b26d7 01 02 "nr" 00000000
 */
static const char asterisk_122[] =
    "81c8000c 6a1b26d7 59f70ad0 cd05fc6e 00004e18 00000079 00004ba0"
    "197f4b44 00000000 000077e6 00000000 10217a58 00027851"
    "81c90007 6a1b26d7 197f4b44 00000000 000077e6 00000000 10217a58 00027851"
    "81ca0003 6a1b26d7 0102 6e72 00000000";
/* Frame 276: SR (RC=1), then an RR with RC=0 and length 1 (just its SSRC), then SDES. */
static const char asterisk_276[] = "81c8000c 6a1b26d7 59f70ad5 cd4c398e 0000ea60 00000112 0000ab40"
                                   "197f4b44 00000000 000077e6 00000000 10217a58 00077893"
                                   "80c90001 6a1b26d7"
                                   "81ca0003 6a1b26d7 0102 6e72 00000000";

Test(rtcp, asterisk_two_report_packets_in_one_compound)
{
    uint8_t b[BUF_MAX];
    size_t n = hex(asterisk_122, b);
    cr_assert_eq(n, 100);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 3);
    cr_assert_eq(r.block_count, 2);
    cr_assert_eq(r.packets[0].first_block, 0);
    cr_assert_eq(r.packets[0].block_count, 1);
    cr_assert_eq(r.packets[1].type, RTCP_RR);
    cr_assert_eq(r.packets[1].first_block, 1);
    cr_assert_eq(r.packets[1].block_count, 1);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(r.blocks[i].reporter, 0x6A1B26D7);
        cr_assert_eq(r.blocks[i].ssrc, 0x197F4B44);
        cr_assert_eq(r.blocks[i].ext_highest_seq, 30694);
        cr_assert_eq(r.blocks[i].lsr, 0x10217A58);
        cr_assert_eq(r.blocks[i].dlsr, 0x00027851);
    }
    cr_assert_eq(r.packets[0].sr_packet_count, 121);
    cr_assert_eq(r.packets[0].sr_octet_count, 19360);
    cr_assert(sv_is(r.chunks[0].cname, "nr"));
    cr_assert_eq(r.anomalies, 0);
}

Test(rtcp, asterisk_empty_receiver_report)
{
    uint8_t b[BUF_MAX];
    size_t n = hex(asterisk_276, b);
    cr_assert_eq(n, 76);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 3);
    cr_assert_eq(r.packets[1].type, RTCP_RR);
    cr_assert_eq(r.packets[1].count, 0);
    cr_assert_eq(r.packets[1].len, 8);
    cr_assert_eq(r.packets[1].ssrc, 0x6A1B26D7);
    cr_assert_eq(r.packets[1].block_count, 0);
    cr_assert_eq(r.block_count, 1);
    cr_assert_eq(r.packets[0].sr_packet_count, 274);
}

/* ---- public-captures/ndpi-rtcp_multiple_pkts_in_the_same_datagram.pcap (FreeSWITCH) ---- */

/*
 * Frame 4: RR + SDES whose chunk carries CNAME and NOTE.
 *   81 c9 0007 01932db4 5d931534 00 000001 0000bf8b 00000006 c1704d61 0004051c
 *   81 ca 000e 01932db4 01 07 "1932db4" 07 25 "FreeSWITCH.org -- Come to ClueCon.com" 00000000
 */
static const char ndpi_rr[] =
    "81c90007 01932db4 5d931534 00000001 0000bf8b 00000006 c1704d61 0004051c"
    "81ca000e 01932db4 0107 31393332646234"
    "0725 467265655357495443482e6f7267202d2d20436f6d6520746f20436c7565436f6e2e636f6d 00000000";

Test(rtcp, freeswitch_rr_and_sdes_note)
{
    uint8_t b[BUF_MAX];
    size_t n = hex(ndpi_rr, b);
    cr_assert_eq(n, 92);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 2);
    const struct rtcp_report *blk = &r.blocks[0];
    cr_assert_eq(blk->ssrc, 0x5D931534);
    cr_assert_eq(blk->cumulative_lost, 1);
    cr_assert_eq(blk->ext_highest_seq, 49035);
    cr_assert_eq(blk->jitter, 6);
    cr_assert_eq(blk->lsr, 0xC1704D61);
    cr_assert_eq(blk->dlsr, 0x0004051C);
    cr_assert(sv_is(r.chunks[0].cname, "1932db4"));
    cr_assert_eq(r.chunks[0].items, 2);
    cr_assert_eq(r.anomalies, 0);
}

/* ---- hostile input ---- */

/* AST-2017-012's shape: a report count that promises more than the length holds. */
Test(rtcp, report_count_larger_than_length)
{
    uint8_t b[64] = {0};
    header(b, false, 31, RTCP_RR, 32); /* RC=31 would need 8 + 31*24 bytes; length says 32 */
    put32(b + 4, 0x11111111);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, 32, &r), STATUS_MALFORMED);
    cr_assert_eq(r.packet_count, 0);
    cr_assert_eq(r.block_count, 0);
    cr_assert_eq(r.wire_len, 0);

    /* The same after a good SR + SDES: those stay, nothing of the bad packet does. */
    uint8_t c[BUF_MAX];
    size_t n = hex(loss_sr_5s, c);
    header(c + n, false, 2, RTCP_SR, 28 + 24); /* RC=2 in room for one block */
    memset(c + n + 4, 0xAB, 48);
    cr_assert_eq(rtcp_parse(c, n + 52, &r), STATUS_MALFORMED);
    cr_assert_eq(r.packet_count, 2);
    cr_assert_eq(r.wire_len, n);
    cr_assert_eq(r.block_count, 0);
    cr_assert(sv_is(r.chunks[0].cname, "alice@192.0.2.10"));
}

Test(rtcp, length_past_the_end)
{
    uint8_t b[BUF_MAX];
    size_t n = hex(loss_rr_5s, b);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n - 1, &r), STATUS_TRUNCATED); /* one byte short */
    cr_assert_eq(r.packet_count, 0);
    put16(b + 2, 0xFFFF); /* 262144 bytes announced in 32 */
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_TRUNCATED);
    /* A good SR + SDES followed by a cut header: the good part is kept. */
    n = hex(loss_sr_5s, b);
    b[n] = 0x81;
    b[n + 1] = RTCP_RR;
    cr_assert_eq(rtcp_parse(b, n + 2, &r), STATUS_TRUNCATED);
    cr_assert_eq(r.packet_count, 2);
    cr_assert_eq(r.wire_len, n);
}

Test(rtcp, zero_lengths)
{
    uint8_t b[16] = {0};
    struct rtcp_compound r;
    /* An RR of length 0 is its header alone: no room for the SSRC. */
    header(b, false, 0, RTCP_RR, 4);
    cr_assert_eq(rtcp_parse(b, 4, &r), STATUS_MALFORMED);
    header(b, false, 0, RTCP_SR, 4);
    cr_assert_eq(rtcp_parse(b, 4, &r), STATUS_MALFORMED);
    header(b, false, 0, RTCP_APP, 4);
    cr_assert_eq(rtcp_parse(b, 4, &r), STATUS_MALFORMED);
    header(b, false, 0, RTCP_XR, 4);
    cr_assert_eq(rtcp_parse(b, 4, &r), STATUS_MALFORMED);
    /* An empty SDES (SC=0) and an empty BYE (SC=0) are legal. */
    header(b, false, 0, RTCP_SDES, 4);
    header(b + 4, false, 0, RTCP_BYE, 4);
    cr_assert_eq(rtcp_parse(b, 8, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 2);
    cr_assert_eq(r.packets[0].chunk_count, 0);
    cr_assert_eq(r.packets[1].bye_count, 0);
    /* Nothing at all, or less than a header. */
    cr_assert_eq(rtcp_parse(b, 0, &r), STATUS_TRUNCATED);
    cr_assert_eq(rtcp_parse(NULL, 10, &r), STATUS_TRUNCATED);
    cr_assert_eq(rtcp_parse(b, 3, &r), STATUS_TRUNCATED);
    cr_assert_eq(r.packet_count, 0);
}

Test(rtcp, not_rtcp_is_malformed)
{
    uint8_t b[64];
    struct rtcp_compound r;
    memset(b, 0, sizeof b); /* NUL bytes: version 0 */
    cr_assert_eq(rtcp_parse(b, sizeof b, &r), STATUS_MALFORMED);
    memset(b, 0xFF, sizeof b); /* version 3 */
    cr_assert_eq(rtcp_parse(b, sizeof b, &r), STATUS_MALFORMED);
    /* An RTP header (V=2, PT 0): second octet outside 192-223. */
    uint8_t rtp[12] = {0x80, 0x00, 0x12, 0x34};
    cr_assert_eq(rtcp_parse(rtp, sizeof rtp, &r), STATUS_MALFORMED);
    /* Version 1 on the second packet after a good RR. */
    size_t n = hex(loss_rr_5s, b);
    header(b + n, false, 0, RTCP_RR, 8);
    b[n] = 0x40;
    cr_assert_eq(rtcp_parse(b, n + 8, &r), STATUS_MALFORMED);
    cr_assert_eq(r.packet_count, 1);
    cr_assert_eq(r.block_count, 1);
    cr_assert_eq(r.wire_len, n);
}

/* 24-bit signed cumulative loss (RFC 3550 §6.4.1): duplicates make it negative. */
Test(rtcp, cumulative_lost_is_signed_24_bit)
{
    static const struct {
        uint32_t field; /* fraction << 24 | cumulative */
        uint8_t fraction;
        int32_t lost;
    } cases[] = {
        {0x00FFFFFF, 0, -1}, {0xFF800000, 255, -8388608}, {0x807FFFFF, 128, 8388607},
        {0x00000000, 0, 0},  {0x01FFFFFE, 1, -2},         {0x00000001, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[32] = {0};
        header(b, false, 1, RTCP_RR, 32);
        put32(b + 12, cases[i].field);
        struct rtcp_compound r;
        cr_assert_eq(rtcp_parse(b, 32, &r), STATUS_OK);
        cr_assert_eq(r.blocks[0].fraction_lost, cases[i].fraction, "case %zu", i);
        cr_assert_eq(r.blocks[0].cumulative_lost, cases[i].lost, "case %zu: %d", i,
                     r.blocks[0].cumulative_lost);
    }
}

Test(rtcp, padding_on_last_packet)
{
    /* RR with one block, then 4 padding octets: 0 0 0 4 (the count includes itself). */
    uint8_t b[BUF_MAX];
    size_t n = hex(loss_rr_5s, b);
    header(b, true, 1, RTCP_RR, n + 4);
    memcpy(b + n, "\0\0\0\4", 4);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n + 4, &r), STATUS_OK);
    cr_assert(r.packets[0].padding);
    cr_assert_eq(r.packets[0].len, 36);
    cr_assert_eq(r.blocks[0].dlsr, 3276);
    cr_assert_eq(r.anomalies, 0);
    /* Padding count 0 and padding longer than the packet body are refused. */
    b[n + 3] = 0;
    cr_assert_eq(rtcp_parse(b, n + 4, &r), STATUS_MALFORMED);
    b[n + 3] = 33; /* the body is 32 bytes */
    cr_assert_eq(rtcp_parse(b, n + 4, &r), STATUS_MALFORMED);
    /* Padding that eats into the report block makes RC=1 not fit. */
    b[n + 3] = 8;
    cr_assert_eq(rtcp_parse(b, n + 4, &r), STATUS_MALFORMED);
}

Test(rtcp, padding_not_on_last_packet_is_noted)
{
    uint8_t b[32] = {0};
    header(b, true, 0, RTCP_RR, 12); /* SSRC + 4 bytes of padding */
    put32(b + 4, 0x01020304);
    b[11] = 4;
    header(b + 12, false, 0, RTCP_RR, 8);
    put32(b + 16, 0x05060708);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, 20, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 2);
    cr_assert_eq(r.packets[0].ssrc, 0x01020304);
    cr_assert_eq(r.packets[1].ssrc, 0x05060708);
    cr_assert_eq(r.anomalies, RTCP_ANOM_PADDING_NOT_LAST);
}

Test(rtcp, sdes_items_past_their_packet)
{
    uint8_t b[32] = {0};
    struct rtcp_compound r;
    /* CNAME of length 200 in a 16-byte packet. */
    header(b, false, 1, RTCP_SDES, 16);
    put32(b + 4, 0xAABBCCDD);
    b[8] = RTCP_SDES_CNAME;
    b[9] = 200;
    cr_assert_eq(rtcp_parse(b, 16, &r), STATUS_MALFORMED);
    cr_assert_eq(r.chunk_count, 0);
    /* SC=2 but only one chunk fits. */
    header(b, false, 2, RTCP_SDES, 16);
    b[9] = 4;
    memcpy(b + 10, "abcd", 4);
    b[14] = 0;
    cr_assert_eq(rtcp_parse(b, 16, &r), STATUS_MALFORMED);
    cr_assert_eq(r.chunk_count, 0);
    /* SC=1: fine, CNAME "abcd". */
    header(b, false, 1, RTCP_SDES, 16);
    cr_assert_eq(rtcp_parse(b, 16, &r), STATUS_OK);
    cr_assert(sv_is(r.chunks[0].cname, "abcd"));
    cr_assert_eq(r.anomalies, RTCP_ANOM_FIRST_NOT_REPORT);
    /* An item type with no length octet left. */
    header(b, false, 1, RTCP_SDES, 12);
    b[8] = RTCP_SDES_NOTE;
    b[9] = 1;
    b[10] = 'x';
    b[11] = RTCP_SDES_TOOL;
    cr_assert_eq(rtcp_parse(b, 12, &r), STATUS_MALFORMED);
}

Test(rtcp, sdes_without_end_is_kept_and_noted)
{
    uint8_t b[16] = {0};
    header(b, false, 1, RTCP_SDES, 16);
    put32(b + 4, 7);
    b[8] = RTCP_SDES_CNAME;
    b[9] = 6;
    memcpy(b + 10, "a@b.cd", 6); /* fills the packet exactly: no END octet */
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, 16, &r), STATUS_OK);
    cr_assert(sv_is(r.chunks[0].cname, "a@b.cd"));
    cr_assert(r.anomalies & RTCP_ANOM_SDES_NO_END);
}

/* NUL bytes inside an SDES text are bytes of the view, not terminators. */
Test(rtcp, sdes_text_with_nul_bytes)
{
    uint8_t b[16] = {0};
    header(b, false, 1, RTCP_SDES, 16);
    put32(b + 4, 7);
    b[8] = RTCP_SDES_CNAME;
    b[9] = 3;
    memcpy(b + 10, "a\0b", 3);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, 16, &r), STATUS_OK);
    cr_assert_eq(r.chunks[0].cname.len, 3);
    cr_assert_eq(memcmp(r.chunks[0].cname.p, "a\0b", 3), 0);
}

Test(rtcp, sdes_items_capped)
{
    /* 100 one-byte PRIV items in one chunk: 64 are walked, the rest skipped. */
    uint8_t b[328] = {0};
    size_t n = 8;
    for (int i = 0; i < 100; i++) {
        b[n++] = RTCP_SDES_NOTE;
        b[n++] = 1;
        b[n++] = 'x';
    }
    b[n++] = 0;
    while (n % 4)
        b[n++] = 0;
    header(b, false, 1, RTCP_SDES, n);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.chunks[0].items, RTCP_MAX_SDES_ITEMS);
    cr_assert(r.anomalies & RTCP_ANOM_TOO_MANY);
    cr_assert(!(r.anomalies & RTCP_ANOM_SDES_NO_END));
    cr_assert_eq(r.wire_len, n);
    /* With SC=3 the capped chunk is kept and the walk goes on at the next packet. */
    header(b, false, 3, RTCP_SDES, n);
    header(b + n, false, 0, RTCP_RR, 8);
    cr_assert_eq(rtcp_parse(b, n + 8, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 2);
    cr_assert_eq(r.packets[0].chunk_count, 1);
    cr_assert_eq(r.packets[1].type, RTCP_RR);
}

Test(rtcp, bye_counts_and_reason)
{
    uint8_t b[32] = {0};
    struct rtcp_compound r;
    /* SC=3 in a packet with room for one SSRC. */
    header(b, false, 3, RTCP_BYE, 8);
    put32(b + 4, 1);
    cr_assert_eq(rtcp_parse(b, 8, &r), STATUS_MALFORMED);
    /* Two SSRCs, no reason. */
    header(b, false, 2, RTCP_BYE, 12);
    put32(b + 8, 2);
    cr_assert_eq(rtcp_parse(b, 12, &r), STATUS_OK);
    cr_assert_eq(r.packets[0].bye_count, 2);
    cr_assert_eq(r.packets[0].bye_ssrc[1], 2);
    cr_assert(sv_empty(r.packets[0].bye_reason));
    /* A reason whose length runs past the packet. */
    header(b, false, 1, RTCP_BYE, 12);
    b[8] = 10;
    memcpy(b + 9, "bye", 3);
    cr_assert_eq(rtcp_parse(b, 12, &r), STATUS_MALFORMED);
    b[8] = 3;
    cr_assert_eq(rtcp_parse(b, 12, &r), STATUS_OK);
    cr_assert(sv_is(r.packets[0].bye_reason, "bye"));
}

Test(rtcp, app_too_short)
{
    uint8_t b[8] = {0};
    header(b, false, 0, RTCP_APP, 8); /* SSRC but no name */
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, 8, &r), STATUS_MALFORMED);
}

/* Builds a VoIP metrics block (RFC 3611 §4.7) at p; returns 36. */
static size_t voip_block(uint8_t *p, uint32_t ssrc)
{
    p[0] = RTCP_XR_BT_VOIP_METRICS;
    p[1] = 0;
    put16(p + 2, 8);
    put32(p + 4, ssrc);
    p[8] = 13;                    /* loss rate 13/256 = 5.08 % */
    p[9] = 2;                     /* discard rate */
    p[10] = 200;                  /* burst density */
    p[11] = 3;                    /* gap density */
    put16(p + 12, 120);           /* burst duration ms */
    put16(p + 14, 4000);          /* gap duration ms */
    put16(p + 16, 150);           /* round trip delay ms */
    put16(p + 18, 40);            /* end system delay ms */
    p[20] = (uint8_t)(int8_t)-20; /* signal level -20 dBm0 */
    p[21] = (uint8_t)(int8_t)-70; /* noise level -70 dBm0 */
    p[22] = 127;                  /* RERL unavailable */
    p[23] = 16;                   /* Gmin */
    p[24] = 80;                   /* R factor */
    p[25] = 127;                  /* ext R factor unavailable */
    p[26] = 41;                   /* MOS-LQ 4.1 */
    p[27] = 39;                   /* MOS-CQ 3.9 */
    p[28] = 0xF5;                 /* RX config: PLC standard (11), JBA adaptive (11), rate 5 */
    p[29] = 0;
    put16(p + 30, 60);  /* JB nominal */
    put16(p + 32, 120); /* JB maximum */
    put16(p + 34, 200); /* JB abs max */
    return 36;
}

Test(rtcp, xr_voip_metrics)
{
    uint8_t b[128] = {0};
    size_t n = 8;
    /* A receiver reference time block first (BT=4, block length 2): skipped by length. */
    b[n] = 4;
    put16(b + n + 2, 2);
    n += 12;
    n += voip_block(b + n, 0xCAFEBABE);
    header(b, false, 0, RTCP_XR, n);
    put32(b + 4, 0x12345678);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    const struct rtcp_packet *p = &r.packets[0];
    cr_assert_eq(p->type, RTCP_XR);
    cr_assert_eq(p->ssrc, 0x12345678);
    cr_assert_eq(p->xr_blocks, 2);
    cr_assert(p->has_voip_metrics);
    const struct rtcp_xr_voip *v = &p->voip;
    cr_assert_eq(v->ssrc, 0xCAFEBABE);
    cr_assert_eq(v->loss_rate, 13);
    cr_assert_eq(v->discard_rate, 2);
    cr_assert_eq(v->burst_density, 200);
    cr_assert_eq(v->gap_density, 3);
    cr_assert_eq(v->burst_duration_ms, 120);
    cr_assert_eq(v->gap_duration_ms, 4000);
    cr_assert_eq(v->round_trip_delay_ms, 150);
    cr_assert_eq(v->end_system_delay_ms, 40);
    cr_assert_eq(v->signal_level_dbm, -20);
    cr_assert_eq(v->noise_level_dbm, -70);
    cr_assert_eq(v->rerl_db, RTCP_XR_UNAVAILABLE);
    cr_assert_eq(v->gmin, 16);
    cr_assert_eq(v->r_factor, 80);
    cr_assert_eq(v->ext_r_factor, RTCP_XR_UNAVAILABLE);
    cr_assert_eq(v->mos_lq, 41);
    cr_assert_eq(v->mos_cq, 39);
    cr_assert_eq(rtcp_xr_mos(v->mos_lq), 4.1);
    cr_assert_eq(rtcp_xr_mos(v->mos_cq), 3.9);
    cr_assert_eq(v->rx_config, 0xF5);
    cr_assert_eq(v->jb_nominal_ms, 60);
    cr_assert_eq(v->jb_maximum_ms, 120);
    cr_assert_eq(v->jb_abs_max_ms, 200);
    cr_assert_eq(r.anomalies, RTCP_ANOM_FIRST_NOT_REPORT);
}

Test(rtcp, xr_blocks_hostile)
{
    uint8_t b[256] = {0};
    struct rtcp_compound r;
    /* A block whose length runs past its packet. */
    header(b, false, 0, RTCP_XR, 16);
    b[8] = 4;
    put16(b + 10, 50);
    cr_assert_eq(rtcp_parse(b, 16, &r), STATUS_MALFORMED);
    /* Zero-length blocks (header only) are walked, counted, and end the walk at the length. */
    memset(b + 8, 0, 8);
    b[8] = 99;
    b[12] = 98;
    cr_assert_eq(rtcp_parse(b, 16, &r), STATUS_OK);
    cr_assert_eq(r.packets[0].xr_blocks, 2);
    cr_assert(!r.packets[0].has_voip_metrics);
    /* BT=7 with a block length that is not 8: skipped and noted. */
    b[8] = RTCP_XR_BT_VOIP_METRICS;
    cr_assert_eq(rtcp_parse(b, 16, &r), STATUS_OK);
    cr_assert(!r.packets[0].has_voip_metrics);
    cr_assert(r.anomalies & RTCP_ANOM_XR_BAD_VOIP);
    /* A block header cut by the end of the packet: 2 padding octets leave 2 bytes of block. */
    memset(b, 0, 16);
    header(b, true, 0, RTCP_XR, 12);
    b[8] = 4;
    b[11] = 2;
    cr_assert_eq(rtcp_parse(b, 12, &r), STATUS_MALFORMED);
    b[11] = 4; /* 4 octets of padding: SSRC only, no block */
    cr_assert_eq(rtcp_parse(b, 12, &r), STATUS_OK);
    cr_assert_eq(r.packets[0].xr_blocks, 0);
    /* Two VoIP blocks about two sources: the first is kept, the second counted. */
    size_t n = 8;
    n += voip_block(b + n, 1);
    n += voip_block(b + n, 2);
    header(b, false, 0, RTCP_XR, n);
    cr_assert_eq(rtcp_parse(b, n, &r), STATUS_OK);
    cr_assert_eq(r.packets[0].voip.ssrc, 1);
    cr_assert_eq(r.packets[0].xr_blocks, 2);
    cr_assert_eq(r.dropped, 1);
    /* 40 zero-length blocks: RTCP_MAX_XR_BLOCKS walked, the packet still ends at its length. */
    memset(b, 0, sizeof b);
    header(b, false, 0, RTCP_XR, 8 + 40 * 4);
    header(b + 8 + 160, false, 0, RTCP_RR, 8);
    cr_assert_eq(rtcp_parse(b, 8 + 160 + 8, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 2);
    cr_assert_eq(r.packets[0].xr_blocks, RTCP_MAX_XR_BLOCKS);
    cr_assert(r.anomalies & RTCP_ANOM_TOO_MANY);
}

Test(rtcp, packets_per_compound_capped)
{
    uint8_t b[20 * 8] = {0};
    for (int i = 0; i < 20; i++) {
        header(b + 8 * i, false, 0, RTCP_RR, 8);
        put32(b + 8 * i + 4, (uint32_t)i);
    }
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, sizeof b, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, RTCP_MAX_PACKETS);
    cr_assert_eq(r.wire_len, RTCP_MAX_PACKETS * 8);
    cr_assert_eq(r.packets[RTCP_MAX_PACKETS - 1].ssrc, RTCP_MAX_PACKETS - 1);
    cr_assert(r.anomalies & RTCP_ANOM_TOO_MANY);
}

Test(rtcp, report_blocks_per_compound_capped)
{
    /* Three RRs of 31 blocks each: 93 blocks, RTCP_MAX_BLOCKS (64) kept. */
    static uint8_t b[3 * (8 + 31 * 24)];
    size_t plen = 8 + 31 * 24;
    for (int k = 0; k < 3; k++) {
        uint8_t *p = b + k * plen;
        header(p, false, 31, RTCP_RR, plen);
        put32(p + 4, 0x100u + (uint32_t)k);
        for (int i = 0; i < 31; i++)
            put32(p + 8 + 24 * i, (uint32_t)(k * 31 + i));
    }
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, sizeof b, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 3);
    cr_assert_eq(r.block_count, RTCP_MAX_BLOCKS);
    cr_assert_eq(r.packets[0].block_count, 31);
    cr_assert_eq(r.packets[1].first_block, 31);
    cr_assert_eq(r.packets[1].block_count, 31);
    cr_assert_eq(r.packets[2].first_block, 62);
    cr_assert_eq(r.packets[2].block_count, 2);
    cr_assert_eq(r.dropped, 29);
    cr_assert_eq(r.blocks[63].ssrc, 63);
    cr_assert_eq(r.blocks[63].reporter, 0x102);
    cr_assert(r.anomalies & RTCP_ANOM_TOO_MANY);
}

/* Types 192-223 other than 200-207 are RTCP we do not decode: skipped by length. */
Test(rtcp, unknown_and_feedback_types_skipped)
{
    uint8_t b[44] = {0};
    size_t n = hex(loss_rr_5s, b);
    header(b + n, false, 1, RTCP_PSFB, 12); /* PLI: sender SSRC, media SSRC */
    put32(b + n + 4, 0xAAAA0001);
    put32(b + n + 8, 0xBBBB0002);
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(b, n + 12, &r), STATUS_OK);
    cr_assert_eq(r.packets[1].type, RTCP_PSFB);
    cr_assert_eq(r.packets[1].ssrc, 0xAAAA0001);
    cr_assert_eq(r.anomalies, 0);
    b[n + 1] = 195; /* IJ (RFC 5450), not decoded */
    cr_assert_eq(rtcp_parse(b, n + 12, &r), STATUS_OK);
    cr_assert_eq(r.packet_count, 2);
    cr_assert_eq(r.anomalies, RTCP_ANOM_UNKNOWN_TYPE);
    b[n + 1] = 191; /* outside the RTCP range */
    cr_assert_eq(rtcp_parse(b, n + 12, &r), STATUS_MALFORMED);
    cr_assert_eq(r.packet_count, 1);
}

/* RFC 5761 §4: on a muxed port the second octet tells RTCP (192-223) from RTP. */
Test(rtcp, mux_detection)
{
    uint8_t b[BUF_MAX];
    size_t n = hex(loss_sr_5s, b);
    cr_assert(rtcp_is_rtcp(b, n));
    n = hex(baresip_app, b);
    cr_assert(rtcp_is_rtcp(b, n));
    static const uint8_t rtp_pcmu[12] = {0x80, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4};
    static const uint8_t rtp_pcma_marker[12] = {0x80, 0x88, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4};
    static const uint8_t rtp_dyn_marker[12] = {0x80, 0xE0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4};
    static const uint8_t rtp_v1[12] = {0x40, 0xC8, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4};
    cr_assert(!rtcp_is_rtcp(rtp_pcmu, 12));
    cr_assert(!rtcp_is_rtcp(rtp_pcma_marker, 12));
    cr_assert(!rtcp_is_rtcp(rtp_dyn_marker, 12)); /* PT 96 + marker = 224 */
    cr_assert(!rtcp_is_rtcp(rtp_v1, 12));
    cr_assert(!rtcp_is_rtcp(b, 7));
    cr_assert(!rtcp_is_rtcp(NULL, 100));
}

Test(rtcp, helpers)
{
    cr_assert_eq(rtcp_fraction_lost_pct(0), 0.0);
    cr_assert_eq(rtcp_fraction_lost_pct(7), 2.734375);
    cr_assert_eq(rtcp_fraction_lost_pct(128), 50.0);
    cr_assert_eq(rtcp_fraction_lost_pct(255), 99.609375);
    cr_assert_eq(rtcp_jitter_ms(80, 8000), 10.0);
    cr_assert_eq(rtcp_jitter_ms(480, 48000), 10.0);
    cr_assert_eq(rtcp_jitter_ms(0xFFFFFFFFu, 8000), 4294967295.0 / 8.0);
    cr_assert_eq(rtcp_jitter_ms(80, 0), -1);
    cr_assert_eq(rtcp_xr_mos(10), 1.0);
    cr_assert_eq(rtcp_xr_mos(50), 5.0);
    cr_assert_eq(rtcp_xr_mos(127), -1);
    cr_assert_eq(rtcp_xr_mos(9), -1);
    cr_assert_eq(rtcp_xr_mos(51), -1);
    cr_assert_str_eq(rtcp_type_name(RTCP_SR), "SR");
    cr_assert_str_eq(rtcp_type_name(RTCP_SDES), "SDES");
    cr_assert_str_eq(rtcp_type_name(RTCP_XR), "XR");
    cr_assert_str_eq(rtcp_type_name(199), "?");
    cr_assert_str_eq(rtcp_type_name(208), "?");
    /* NTP epoch: 1970-01-01 is 2208988800 s = 0x83AA7E80 after 1900; middle bits 0x7E80 << 16. */
    cr_assert_eq(rtcp_ntp_middle_from_ns(0), 0x7E800000u);
    cr_assert_eq(rtcp_ntp_middle_from_ns(500000000), 0x7E808000u); /* + 0.5 s */
}

Test(rtcp, round_trip_refusals)
{
    double rtt = 123;
    uint64_t t = LOSS_RR_5S_NS;
    uint32_t a = rtcp_ntp_middle_from_ns(t);
    /* No SR received yet (LSR 0). */
    cr_assert(!rtcp_rtt_ms(0, 0, t, &rtt));
    /* The report claims to have held the SR longer than it has existed: negative. */
    cr_assert(!rtcp_rtt_ms(a - 100, 200, t, &rtt));
    /* 11 s round trip: not believed. */
    cr_assert(!rtcp_rtt_ms(a - 11 * 65536, 0, t, &rtt));
    cr_assert_eq(rtt, 123); /* untouched on refusal */
    /* Exactly zero and exactly 10 s are accepted. */
    cr_assert(rtcp_rtt_ms(a - 100, 100, t, &rtt));
    cr_assert_eq(rtt, 0.0);
    cr_assert(rtcp_rtt_ms(a - 10 * 65536, 0, t, &rtt));
    cr_assert_eq(rtt, 10000.0);
    /* 150 ms round trip across a wrap of the 16-bit seconds (65535.95 -> 0.10). */
    uint32_t lsr = 0xFFFFu << 16 | 62259; /* 65535 s + 0.95 s */
    uint64_t arrival = (65536ULL - (2208988800ULL & 0xFFFF)) * 1000000000ULL + 100000000ULL;
    cr_assert_eq(rtcp_ntp_middle_from_ns(arrival) >> 16, 0);
    cr_assert(rtcp_rtt_ms(lsr, 0, arrival, &rtt));
    cr_assert_eq(rtt, (65536 - 62259 + 6553) * 1000.0 / 65536.0); /* 9830 units = 149.99 ms */
}
