/* test_history.c: the frame history ring and a call's SIP, RTP and RTCP saved as a pcap
 * (pcap-savefile(5)). */
#include <criterion/criterion.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../sensor/history.h"
#include "builders.h"

#define S 1000000000ull
#define MS 1000000ull
static const uint64_t T0 = 1700000000ull * S; /* 2023-11-14T22:13:20Z */

#define TEST_FRAMES 256     /* frames one test builds at most */
#define TEST_FRAME_MAX 2048 /* bytes of one built frame */
#define TEST_MSG_MAX 512

/* Every frame a test put into the history, to compare what comes back. */
struct test_frame {
    uint64_t ts;
    size_t len;
    uint8_t b[TEST_FRAME_MAX];
};

static struct test_frame frames[TEST_FRAMES];
static unsigned nframes;
static char tmp_dir[64];
static char out_path[256];

static void setup(void)
{
    nframes = 0;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/sipscope-history-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_dir));
    snprintf(out_path, sizeof out_path, "%s/call.pcap", tmp_dir);
}

static void teardown(void)
{
    unlink(out_path);
    rmdir(tmp_dir);
}

TestSuite(history, .init = setup, .fini = teardown);

/* Hand the frame last built (frames[nframes]) to the history; returns its index. */
static unsigned push(struct history *h, uint64_t ts, size_t len)
{
    cr_assert_gt(len, 0, "builder failed");
    cr_assert_lt(nframes, TEST_FRAMES);
    struct test_frame *t = &frames[nframes];
    t->ts = ts;
    t->len = len;
    struct frame f = {.ts_ns = ts,
                      .caplen = (uint32_t)len,
                      .wirelen = (uint32_t)len,
                      .linktype = 1, /* Ethernet */
                      .data = t->b};
    history_add(h, &f);
    return nframes++;
}

static unsigned udp(struct history *h, uint64_t ts, const char *src, uint16_t sport,
                    const char *dst, uint16_t dport, const void *payload, size_t len)
{
    struct test_frame *t = &frames[nframes];
    return push(h, ts, builders_udp4(t->b, sizeof t->b, src, sport, dst, dport, payload, len));
}

static unsigned sip(struct history *h, uint64_t ts, const char *src, const char *dst,
                    const char *text)
{
    return udp(h, ts, src, 5060, dst, 5060, text, strlen(text));
}

static unsigned tcp(struct history *h, uint64_t ts, const char *src, uint16_t sport,
                    const char *dst, uint16_t dport, uint32_t seq, uint8_t flags, const char *text)
{
    struct test_frame *t = &frames[nframes];
    if (!text)
        text = "";
    return push(h, ts,
                builders_tcp4(t->b, sizeof t->b, src, sport, dst, dport, seq, 1, flags, text,
                              strlen(text)));
}

/* A 12-byte RTP header (V=2, PT 0 PCMU, the given sequence number, SSRC 0x11223344) + 20 bytes. */
static unsigned rtp(struct history *h, uint64_t ts, const char *src, uint16_t sport,
                    const char *dst, uint16_t dport, uint16_t seq)
{
    uint8_t p[32] = {0x80, 0x00, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 160, 0x11, 0x22,
                     0x33, 0x44};
    return udp(h, ts, src, sport, dst, dport, p, sizeof p);
}

/* An RTCP receiver report with no report blocks (RFC 3550 §6.4.2: V=2, PT 201, length 1). */
static unsigned rtcp(struct history *h, uint64_t ts, const char *src, uint16_t sport,
                     const char *dst, uint16_t dport)
{
    static const uint8_t rr[8] = {0x80, 201, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
    return udp(h, ts, src, sport, dst, dport, rr, sizeof rr);
}

/* Read the saved pcap back: the frames must be exactly want[0..n) of frames[], in order. */
static void expect_file(const unsigned *want, unsigned n)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p =
        pcap_open_offline_with_tstamp_precision(out_path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    cr_assert_not_null(p, "%s", errbuf);
    cr_assert_eq(pcap_datalink(p), DLT_EN10MB);
    cr_assert_eq(pcap_get_tstamp_precision(p), PCAP_TSTAMP_PRECISION_NANO);
    struct pcap_pkthdr *ph;
    const u_char *data;
    unsigned got = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &ph, &data)) == 1) {
        cr_assert_lt(got, n, "more frames than expected (frame %u at %llu ns)", got,
                     (unsigned long long)((uint64_t)ph->ts.tv_sec * S + (uint64_t)ph->ts.tv_usec));
        const struct test_frame *t = &frames[want[got]];
        uint64_t ts = (uint64_t)ph->ts.tv_sec * S + (uint64_t)ph->ts.tv_usec;
        cr_assert_eq(ts, t->ts, "frame %u: time %llu, expected frame %u at %llu", got,
                     (unsigned long long)ts, want[got], (unsigned long long)t->ts);
        cr_assert_eq(ph->caplen, t->len, "frame %u", got);
        cr_assert_eq(ph->len, t->len, "frame %u", got);
        cr_assert(memcmp(data, t->b, t->len) == 0, "frame %u: bytes differ", got);
        got++;
    }
    cr_assert_eq(rc, PCAP_ERROR_BREAK, "%s", pcap_geterr(p));
    cr_assert_eq(got, n, "got %u frames, expected %u", got, n);
    pcap_close(p);
}

static const char *invite_a =
    "INVITE sip:bob@10.0.0.2 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-a1\r\n"
    "From: <sip:alice@10.0.0.1>;tag=fa\r\nTo: <sip:bob@10.0.0.2>\r\n"
    "Call-ID: call-a@10.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
static const char *ok_a =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-a1\r\n"
    "From: <sip:alice@10.0.0.1>;tag=fa\r\nTo: <sip:bob@10.0.0.2>;tag=ta\r\n"
    "i: call-a@10.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"; /* compact form */
static const char *bye_a =
    "BYE sip:bob@10.0.0.2 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-a2\r\n"
    "From: <sip:alice@10.0.0.1>;tag=fa\r\nTo: <sip:bob@10.0.0.2>;tag=ta\r\n"
    "call-id:   call-a@10.0.0.1  \r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
static const char *invite_b =
    "INVITE sip:carol@10.0.0.2 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-b1\r\n"
    "From: <sip:alice@10.0.0.1>;tag=fb\r\nTo: <sip:carol@10.0.0.2>\r\n"
    "Call-ID: call-b@10.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
/* Call-ID that starts like call A's but is longer: must not match. */
static const char *invite_a_longer =
    "INVITE sip:dave@10.0.0.2 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-x1\r\n"
    "From: <sip:alice@10.0.0.1>;tag=fx\r\nTo: <sip:dave@10.0.0.2>\r\n"
    "Call-ID: call-a@10.0.0.1x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

static const char call_a[][CALL_ID_MAX] = {"call-a@10.0.0.1"};

/* Call A's RTP runs 10.0.0.1:4000 <-> 10.0.0.2:6000 (RTCP on 4001/6001). */
static struct endpoint ep(const char *ip, uint16_t port)
{
    struct endpoint e = {.port = port};
    cr_assert(addr_parse(sv_make(ip, strlen(ip)), &e.ip));
    return e;
}

Test(history, saves_one_calls_sip_rtp_and_rtcp_and_nothing_else)
{
    struct history *h = history_create(1u << 20);
    cr_assert_not_null(h);
    unsigned want[TEST_FRAMES], n = 0;
    want[n++] = sip(h, T0, "10.0.0.1", "10.0.0.2", invite_a);
    sip(h, T0 + 1 * MS, "10.0.0.1", "10.0.0.2", invite_b);        /* another call */
    sip(h, T0 + 2 * MS, "10.0.0.1", "10.0.0.2", invite_a_longer); /* a longer Call-ID */
    want[n++] = sip(h, T0 + 10 * MS, "10.0.0.2", "10.0.0.1", ok_a);
    for (uint16_t i = 0; i < 5; i++) {
        want[n++] = rtp(h, T0 + (20 + 20 * i) * MS, "10.0.0.1", 4000, "10.0.0.2", 6000, i);
        want[n++] = rtp(h, T0 + (21 + 20 * i) * MS, "10.0.0.2", 6000, "10.0.0.1", 4000, i);
        rtp(h, T0 + (22 + 20 * i) * MS, "10.0.0.1", 4002, "10.0.0.2", 6002, i); /* call B */
    }
    want[n++] = rtcp(h, T0 + 150 * MS, "10.0.0.1", 4001, "10.0.0.2", 6001);
    want[n++] = rtcp(h, T0 + 151 * MS, "10.0.0.2", 6001, "10.0.0.1", 4001);
    rtp(h, T0 + 152 * MS, "10.0.0.1", 4000, "10.0.0.3", 6000, 9); /* one endpoint only */
    rtp(h, T0 + 153 * MS, "10.0.0.9", 4000, "10.0.0.2", 6000, 9); /* other source address */
    rtcp(h, T0 + 154 * MS, "10.0.0.1", 4001, "10.0.0.2", 6000);   /* port + 1 on one side only */
    udp(h, T0 + 155 * MS, "10.0.0.1", 53000, "10.0.0.53", 53, "\x12\x34\x01\x00", 4); /* DNS */
    want[n++] = sip(h, T0 + 200 * MS, "10.0.0.1", "10.0.0.2", bye_a);

    struct endpoint src = ep("10.0.0.1", 4000), dst = ep("10.0.0.2", 6000);
    struct history_match m = {.call_ids = call_a,
                              .call_count = 1,
                              .pair_src = &src,
                              .pair_dst = &dst,
                              .pair_count = 1,
                              .from_ns = T0,
                              .to_ns = T0 + 200 * MS};
    char msg[TEST_MSG_MAX] = "";
    long r = history_save(h, &m, out_path, msg, sizeof msg);
    cr_assert_eq(r, 15, "%s", msg);
    char expect[TEST_MSG_MAX];
    snprintf(expect, sizeof expect, "saved 15 packets (3 SIP, 12 RTP/RTCP) to %s", out_path);
    cr_assert_str_eq(msg, expect);
    expect_file(want, n);
    history_destroy(h);
}

Test(history, time_window_is_one_second_before_to_five_after)
{
    struct history *h = history_create(1u << 20);
    unsigned want[8], n = 0;
    uint64_t from = T0 + 10 * S, to = T0 + 20 * S;
    rtp(h, from - 1 * S - 1, "10.0.0.1", 4000, "10.0.0.2", 6000, 1); /* 1 ns too early */
    want[n++] = rtp(h, from - 1 * S, "10.0.0.1", 4000, "10.0.0.2", 6000, 2);
    want[n++] = sip(h, from, "10.0.0.1", "10.0.0.2", invite_a);
    want[n++] = sip(h, to, "10.0.0.1", "10.0.0.2", bye_a);
    want[n++] = rtp(h, to + 5 * S, "10.0.0.1", 4000, "10.0.0.2", 6000, 3);
    rtp(h, to + 5 * S + 1, "10.0.0.1", 4000, "10.0.0.2", 6000, 4); /* 1 ns too late */
    sip(h, to + 60 * S, "10.0.0.1", "10.0.0.2", bye_a);            /* a late retransmission */
    struct endpoint src = ep("10.0.0.1", 4000), dst = ep("10.0.0.2", 6000);
    struct history_match m = {.call_ids = call_a,
                              .call_count = 1,
                              .pair_src = &src,
                              .pair_dst = &dst,
                              .pair_count = 1,
                              .from_ns = from,
                              .to_ns = to};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 4, "%s", msg);
    expect_file(want, n);

    /* to_ns 0: up to the newest frame. */
    m.to_ns = 0;
    want[n++] = 5; /* to + 5 s + 1 ns */
    want[n++] = 6; /* to + 60 s */
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 6, "%s", msg);
    expect_file(want, n);
    history_destroy(h);
}

Test(history, several_messages_in_one_datagram)
{
    struct history *h = history_create(1u << 20);
    /* An OPTIONS of no call first, then call A's INVITE, in one datagram (RFC 3261 §18.3). */
    char both[2048];
    snprintf(both, sizeof both,
             "OPTIONS sip:x@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-o\r\n"
             "From: <sip:x@a>;tag=1\r\nTo: <sip:x@b>\r\nCall-ID: opt-1\r\nCSeq: 1 OPTIONS\r\n"
             "Content-Length: 0\r\n\r\n%s",
             invite_a);
    unsigned want[1];
    want[0] = sip(h, T0, "10.0.0.1", "10.0.0.2", both);
    sip(h, T0 + MS, "10.0.0.1", "10.0.0.2", invite_b);
    struct history_match m = {.call_ids = call_a, .call_count = 1, .from_ns = T0, .to_ns = T0};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 1, "%s", msg);
    char expect[TEST_MSG_MAX];
    snprintf(expect, sizeof expect, "saved 1 packet (1 SIP, 0 RTP/RTCP) to %s", out_path);
    cr_assert_str_eq(msg, expect);
    expect_file(want, 1);
    history_destroy(h);
}

Test(history, several_calls_and_pairs_at_once)
{
    struct history *h = history_create(1u << 20);
    unsigned want[8], n = 0;
    want[n++] = sip(h, T0, "10.0.0.1", "10.0.0.2", invite_a);
    want[n++] = sip(h, T0 + MS, "10.0.0.1", "10.0.0.2", invite_b);
    sip(h, T0 + 2 * MS, "10.0.0.1", "10.0.0.2", invite_a_longer);
    want[n++] = rtp(h, T0 + 3 * MS, "10.0.0.2", 6000, "10.0.0.1", 4000, 1);
    want[n++] = rtp(h, T0 + 4 * MS, "10.0.0.1", 4002, "10.0.0.2", 6002, 1);
    rtp(h, T0 + 5 * MS, "10.0.0.1", 4004, "10.0.0.2", 6004, 1);
    static const char ids[][CALL_ID_MAX] = {"call-a@10.0.0.1", "call-b@10.0.0.1"};
    struct endpoint src[2] = {ep("10.0.0.1", 4000), ep("10.0.0.1", 4002)};
    struct endpoint dst[2] = {ep("10.0.0.2", 6000), ep("10.0.0.2", 6002)};
    struct history_match m = {.call_ids = ids,
                              .call_count = 2,
                              .pair_src = src,
                              .pair_dst = dst,
                              .pair_count = 2,
                              .from_ns = T0,
                              .to_ns = T0};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 4, "%s", msg);
    expect_file(want, n);
    history_destroy(h);
}

Test(history, ipv6_and_vlan_tagged_frames_are_decoded)
{
    struct history *h = history_create(1u << 20);
    unsigned want[4], n = 0;
    struct test_frame *t = &frames[nframes];
    want[n++] = push(h, T0,
                     builders_udp6(t->b, sizeof t->b, "2001:db8::1", 5060, "2001:db8::2", 5060,
                                   invite_a, strlen(invite_a)));
    /* 802.1Q VID 100 around IPv4/UDP RTP of the pair */
    uint8_t l4[64], l3[128];
    uint8_t rtp_bytes[12] = {0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 1, 2, 3, 4};
    size_t k = builders_udp(l4, sizeof l4, 6000, 4000, rtp_bytes, sizeof rtp_bytes);
    k = builders_ipv4(l3, sizeof l3, "10.0.0.2", "10.0.0.1", BUILDERS_PROTO_UDP, l4, k);
    static const uint16_t tpid[1] = {BUILDERS_TPID_8021Q}, vid[1] = {100};
    t = &frames[nframes];
    want[n++] = push(h, T0 + MS,
                     builders_eth_vlan(t->b, sizeof t->b, tpid, vid, 1, BUILDERS_ETH_IPV4, l3, k));
    struct endpoint src = ep("10.0.0.1", 4000), dst = ep("10.0.0.2", 6000);
    struct history_match m = {.call_ids = call_a,
                              .call_count = 1,
                              .pair_src = &src,
                              .pair_dst = &dst,
                              .pair_count = 1,
                              .from_ns = T0,
                              .to_ns = T0};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 2, "%s", msg);
    expect_file(want, n);
    history_destroy(h);
}

Test(history, sip_over_tcp_takes_the_whole_connection)
{
    struct history *h = history_create(1u << 20);
    unsigned want[16], n = 0;
    /* Call A's INVITE split so that the Call-ID line is in the second segment. */
    const char *cut = strstr(invite_a, "Call-ID");
    char first[512];
    snprintf(first, sizeof first, "%.*s", (int)(cut - invite_a), invite_a);
    uint32_t seq = 1000;
    want[n++] = tcp(h, T0, "10.0.0.1", 40000, "10.0.0.2", 5060, seq - 1, 0x02, NULL); /* SYN */
    want[n++] = tcp(h, T0 + 1 * MS, "10.0.0.2", 5060, "10.0.0.1", 40000, 7, 0x12, NULL);
    want[n++] = tcp(h, T0 + 2 * MS, "10.0.0.1", 40000, "10.0.0.2", 5060, seq, 0x18, first);
    want[n++] = tcp(h, T0 + 3 * MS, "10.0.0.1", 40000, "10.0.0.2", 5060,
                    seq + (uint32_t)strlen(first), 0x18, cut);
    want[n++] = tcp(h, T0 + 4 * MS, "10.0.0.2", 5060, "10.0.0.1", 40000, 8, 0x10, NULL); /* ACK */
    /* Call B on its own connection: left out. */
    tcp(h, T0 + 5 * MS, "10.0.0.1", 40001, "10.0.0.2", 5060, 1, 0x18, invite_b);
    /* Call A's 200 OK back on the first connection, coalesced with a 200 of call B. */
    char two[2048];
    snprintf(two, sizeof two, "%s%s", ok_a, invite_b);
    want[n++] = tcp(h, T0 + 6 * MS, "10.0.0.2", 5060, "10.0.0.1", 40000, 8, 0x18, two);
    /* The same ports on other addresses: another connection. */
    tcp(h, T0 + 7 * MS, "10.0.0.3", 40000, "10.0.0.2", 5060, 1, 0x10, NULL);
    struct history_match m = {.call_ids = call_a, .call_count = 1, .from_ns = T0, .to_ns = T0};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), (long)n, "%s", msg);
    char expect[TEST_MSG_MAX];
    snprintf(expect, sizeof expect, "saved 6 packets (6 SIP, 0 RTP/RTCP) to %s", out_path);
    cr_assert_str_eq(msg, expect);
    expect_file(want, n);
    history_destroy(h);
}

Test(history, broken_sip_still_names_its_call)
{
    struct history *h = history_create(1u << 20);
    unsigned want[2], n = 0;
    /* Content-Length larger than the datagram: malformed, but its Call-ID was read. */
    want[n++] = sip(h, T0, "10.0.0.1", "10.0.0.2",
                    "INVITE sip:bob@b SIP/2.0\r\nCall-ID: call-a@10.0.0.1\r\nCSeq: 1 INVITE\r\n"
                    "Content-Length: 900\r\n\r\nv=0\r\n");
    /* A NUL inside the Call-ID: the correlator keys it up to the NUL, so do we. */
    static const char nul_id[] = "BYE sip:bob@b SIP/2.0\r\nCall-ID: call-a@10.0.0.1\0tail\r\n"
                                 "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
    want[n++] = udp(h, T0 + MS, "10.0.0.1", 5060, "10.0.0.2", 5060, nul_id, sizeof nul_id - 1);
    /* Garbage, a keepalive, a header line without a start line, and an empty datagram. */
    sip(h, T0 + 2 * MS, "10.0.0.1", "10.0.0.2", "Call-ID: call-a@10.0.0.1\r\n\r\n");
    sip(h, T0 + 3 * MS, "10.0.0.1", "10.0.0.2", "\r\n\r\n");
    sip(h, T0 + 4 * MS, "10.0.0.1", "10.0.0.2", "ZZZZ\xff\xfe garbage");
    udp(h, T0 + 5 * MS, "10.0.0.1", 5060, "10.0.0.2", 5060, "", 0);
    /* A frame cut short by the snaplen inside the IP header, and a 1-byte frame. */
    struct test_frame *t = &frames[nframes];
    size_t full = builders_udp4(t->b, sizeof t->b, "10.0.0.1", 5060, "10.0.0.2", 5060, invite_a,
                                strlen(invite_a));
    cr_assert_gt(full, 20);
    push(h, T0 + 6 * MS, 20);
    push(h, T0 + 7 * MS, 1);
    struct history_match m = {.call_ids = call_a, .call_count = 1, .from_ns = T0, .to_ns = T0};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 2, "%s", msg);
    expect_file(want, n);
    history_destroy(h);
}

Test(history, fragments_are_not_matched)
{
    struct history *h = history_create(1u << 20);
    /* Call A's INVITE in two IPv4 fragments (documented: neither is saved). */
    uint8_t l4[1024], l3[1024];
    size_t k = builders_udp(l4, sizeof l4, 5060, 5060, invite_a, strlen(invite_a));
    size_t half = 128;
    size_t n3 = builders_ipv4_frag(l3, sizeof l3, "10.0.0.1", "10.0.0.2", BUILDERS_PROTO_UDP, 7, 0,
                                   true, l4, half);
    struct test_frame *t = &frames[nframes];
    push(h, T0, builders_eth(t->b, sizeof t->b, BUILDERS_ETH_IPV4, l3, n3));
    n3 = builders_ipv4_frag(l3, sizeof l3, "10.0.0.1", "10.0.0.2", BUILDERS_PROTO_UDP, 7, half,
                            false, l4 + half, k - half);
    t = &frames[nframes];
    push(h, T0 + MS, builders_eth(t->b, sizeof t->b, BUILDERS_ETH_IPV4, l3, n3));
    struct history_match m = {.call_ids = call_a, .call_count = 1, .from_ns = T0, .to_ns = T0};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 0, "%s", msg);
    history_destroy(h);
}

/* ---- the ring ---- */

#define TEST_HELD 38 /* RTP frames a 4 KiB ring holds in the test below */

Test(history, small_ring_evicts_the_oldest_frames)
{
    struct history *h = history_create(HISTORY_MIN_BYTES);
    cr_assert_eq(history_capacity(h), HISTORY_MIN_BYTES);
    /* Call A first, then 60 RTP packets of call B: A's INVITE is long gone. */
    sip(h, T0, "10.0.0.1", "10.0.0.2", invite_a);
    for (uint16_t i = 0; i < 60; i++)
        rtp(h, T0 + (1 + i) * 20 * MS, "10.0.0.1", 4002, "10.0.0.2", 6002, i);
    /*
     * Worked by hand: each RTP record is 104 bytes (24-byte record header + 74-byte frame,
     * rounded up to 8), the INVITE's 272. Lap 1: the INVITE, RTP 1-36 at 272 + 104 (i - 1),
     * then 80 bytes of padding (RTP 37 does not fit before 4096). Lap 2: RTP 37-60 at 0..2496.
     * Making room for RTP 60 (at 2392) needs the head at 2496 or beyond in lap 1, which drops
     * the INVITE and RTP 1-22 (RTP 23 starts at 2560): 14 + 24 = 38 held, 23 evicted.
     */
    cr_assert_eq(history_frames(h), TEST_HELD);
    cr_assert_eq(history_evicted(h), 61 - TEST_HELD);
    struct history_match m = {.call_ids = call_a, .call_count = 1, .from_ns = T0, .to_ns = T0};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 0, "%s", msg);
    cr_assert_str_eq(msg, "no packets of this call are still in the history (it holds the last "
                          "4 KiB)");
    struct stat st;
    cr_assert_neq(stat(out_path, &st), 0, "no file is written when nothing matched");

    /* Call B's stream: only the last 38 packets are left, and the message says so. */
    struct endpoint src = ep("10.0.0.1", 4002), dst = ep("10.0.0.2", 6002);
    struct history_match mb = {.pair_src = &src,
                               .pair_dst = &dst,
                               .pair_count = 1,
                               .from_ns = T0 + 20 * MS,
                               .to_ns = T0 + 1200 * MS};
    cr_assert_eq(history_save(h, &mb, out_path, msg, sizeof msg), TEST_HELD, "%s", msg);
    char expect[TEST_MSG_MAX];
    snprintf(expect, sizeof expect,
             "saved 38 packets (0 SIP, 38 RTP/RTCP) to %s; older packets of this call have left "
             "the history (it holds the last 4 KiB)",
             out_path);
    cr_assert_str_eq(msg, expect);
    unsigned want[TEST_HELD];
    for (unsigned i = 0; i < TEST_HELD; i++)
        want[i] = 61 - TEST_HELD + i;
    expect_file(want, TEST_HELD);
    history_destroy(h);
}

Test(history, wraps_around_many_times_with_frames_of_every_size)
{
    struct history *h = history_create(HISTORY_MIN_BYTES + 5); /* rounded down to 8 */
    cr_assert_eq(history_capacity(h), HISTORY_MIN_BYTES);
    /* 200 RTP frames of 32..1000 payload bytes: padding at the end of the arena of every size. */
    unsigned added = 0;
    for (unsigned i = 0; i < 200; i++) {
        uint8_t p[1000] = {0x80, 0x00, (uint8_t)(i >> 8), (uint8_t)i};
        size_t len = 12 + (i * 37) % 988;
        memset(p + 12, (int)i, len - 12);
        struct test_frame *t = &frames[nframes % TEST_FRAMES];
        size_t n = builders_udp4(t->b, sizeof t->b, "10.0.0.1", 4000, "10.0.0.2", 6000, p, len);
        t->ts = T0 + i * MS;
        t->len = n;
        struct frame f = {.ts_ns = t->ts,
                          .caplen = (uint32_t)n,
                          .wirelen = (uint32_t)n + 4,
                          .linktype = 1,
                          .data = t->b};
        history_add(h, &f);
        nframes++;
        added++;
        cr_assert_eq(history_frames(h) + history_evicted(h), added);
    }
    /* Everything still held comes back intact and in order. */
    struct endpoint src = ep("10.0.0.1", 4000), dst = ep("10.0.0.2", 6000);
    struct history_match m = {.pair_src = &src, .pair_dst = &dst, .pair_count = 1};
    char msg[TEST_MSG_MAX];
    long r = history_save(h, &m, out_path, msg, sizeof msg);
    cr_assert_eq(r, (long)history_frames(h), "%s", msg);
    cr_assert_geq(r, 3);
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p =
        pcap_open_offline_with_tstamp_precision(out_path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    cr_assert_not_null(p, "%s", errbuf);
    struct pcap_pkthdr *ph;
    const u_char *data;
    for (unsigned i = 200 - (unsigned)r; i < 200; i++) {
        cr_assert_eq(pcap_next_ex(p, &ph, &data), 1);
        const struct test_frame *t = &frames[i];
        cr_assert_eq((uint64_t)ph->ts.tv_sec * S + (uint64_t)ph->ts.tv_usec, t->ts, "frame %u", i);
        cr_assert_eq(ph->caplen, t->len);
        cr_assert_eq(ph->len, t->len + 4, "the wire length is kept");
        cr_assert(memcmp(data, t->b, t->len) == 0, "frame %u", i);
    }
    cr_assert_eq(pcap_next_ex(p, &ph, &data), PCAP_ERROR_BREAK);
    pcap_close(p);
    history_destroy(h);
}

Test(history, frame_larger_than_the_ring_is_not_kept)
{
    struct history *h = history_create(0); /* taken as HISTORY_MIN_BYTES */
    cr_assert_eq(history_capacity(h), HISTORY_MIN_BYTES);
    sip(h, T0, "10.0.0.1", "10.0.0.2", invite_a);
    static uint8_t big[8192];
    struct frame f = {
        .ts_ns = T0 + MS, .caplen = sizeof big, .wirelen = sizeof big, .linktype = 1, .data = big};
    history_add(h, &f);
    cr_assert_eq(history_too_big(h), 1);
    cr_assert_eq(history_frames(h), 1, "the frames held stay");
    cr_assert_eq(history_evicted(h), 0);
    history_add(NULL, &f); /* no history: nothing happens */
    history_destroy(h);
    history_destroy(NULL);
}

/* ---- failures ---- */

static struct history *one_call(void)
{
    struct history *h = history_create(1u << 20);
    sip(h, T0, "10.0.0.1", "10.0.0.2", invite_a);
    return h;
}

static const struct history_match match_a = {
    .call_ids = call_a, .call_count = 1, .from_ns = 1700000000ull * S, .to_ns = 1700000000ull * S};

Test(history, missing_directory_is_an_error)
{
    struct history *h = one_call();
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &match_a, "/nonexistent-sipscope/x.pcap", msg, sizeof msg), -1);
    cr_assert_str_eq(msg, "cannot write '/nonexistent-sipscope/x.pcap': No such file or directory");
    history_destroy(h);
}

Test(history, directory_as_path_is_an_error)
{
    struct history *h = one_call();
    char msg[TEST_MSG_MAX], expect[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &match_a, tmp_dir, msg, sizeof msg), -1);
    snprintf(expect, sizeof expect, "cannot write '%s': Is a directory", tmp_dir);
    cr_assert_str_eq(msg, expect);
    struct stat st;
    cr_assert_eq(stat(tmp_dir, &st), 0, "the directory is still there");
    history_destroy(h);
}

Test(history, full_disk_is_an_error_and_the_device_stays)
{
    if (access("/dev/full", W_OK) != 0)
        cr_skip_test("no /dev/full");
    struct history *h = one_call();
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &match_a, "/dev/full", msg, sizeof msg), -1);
    cr_assert_str_eq(msg, "cannot write '/dev/full': No space left on device");
    cr_assert_eq(access("/dev/full", F_OK), 0);
    history_destroy(h);
}

Test(history, no_path_is_an_error)
{
    struct history *h = one_call();
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &match_a, "", msg, sizeof msg), -1);
    cr_assert_str_eq(msg, "cannot save: no file name given");
    cr_assert_eq(history_save(h, &match_a, NULL, msg, sizeof msg), -1);
    history_destroy(h);
}

Test(history, nothing_asked_saves_nothing)
{
    struct history *h = one_call();
    struct history_match m = {.from_ns = T0, .to_ns = T0};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 0);
    cr_assert_str_eq(msg, "no packets of this call are still in the history (it holds the last "
                          "1 MiB)");
    history_destroy(h);
}

Test(history, empty_history_and_plural_message)
{
    struct history *h = history_create(64u << 20);
    static const char ids[][CALL_ID_MAX] = {"a", "b"};
    struct history_match m = {.call_ids = ids, .call_count = 2};
    char msg[TEST_MSG_MAX];
    cr_assert_eq(history_save(h, &m, out_path, msg, sizeof msg), 0);
    cr_assert_str_eq(msg, "no packets of these calls are still in the history (it holds the "
                          "last 64 MiB)");
    history_destroy(h);
}
