/* test_tcpreasm.c: Criterion suite for TCP stream reassembly (RFC 9293 §3.4 sequence space). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../decoders/stats.h"
#include "../sensor/decode.h"
#include "../sensor/tcpreasm.h"

/* ---- a recording consumer with two tiny framing rules ---- */

#define SINK_MAX_MSGS 64
#define SINK_MSG_MAX 2048
#define SINK_MAX_CALLS 256

enum sink_mode {
    SINK_LF2,    /* a message ends with "\n\n"; one message per call */
    SINK_CL,     /* SIP framing: headers end with CRLFCRLF, then Content-Length bytes */
    SINK_NEVER,  /* consumes nothing, ever (garbage or a message larger than the cap) */
    SINK_ALL,    /* consumes everything it is given */
    SINK_GREEDY, /* returns more than it was given */
    SINK_WORKER, /* like sensor/worker.c: SIP_CL framing, but bytes that do not start a SIP
                    message are consumed whole as junk (counted), never kept */
};

struct sink {
    enum sink_mode mode;
    int calls;
    const uint8_t *call_data[SINK_MAX_CALLS];
    size_t call_len[SINK_MAX_CALLS];
    uint64_t call_ts[SINK_MAX_CALLS];
    uint16_t call_sport[SINK_MAX_CALLS];
    int nmsg;
    char msg[SINK_MAX_MSGS][SINK_MSG_MAX];
    size_t msg_len[SINK_MAX_MSGS];
    uint64_t msg_ts[SINK_MAX_MSGS];
    uint16_t msg_sport[SINK_MAX_MSGS];
    size_t consumed;
    int junk; /* SINK_WORKER: offers thrown away as not SIP */
};

static size_t find(const uint8_t *d, size_t len, const char *pat)
{
    size_t pl = strlen(pat);
    for (size_t i = 0; i + pl <= len; i++)
        if (memcmp(d + i, pat, pl) == 0)
            return i;
    return SIZE_MAX;
}

/* Length of the SIP message at d (Content-Length framing), 0 when incomplete. */
static size_t sip_frame(const uint8_t *d, size_t len)
{
    size_t h = find(d, len, "\r\n\r\n");
    if (h == SIZE_MAX)
        return 0;
    size_t cl = 0;
    size_t k = find(d, h, "Content-Length: ");
    if (k != SIZE_MAX)
        for (size_t i = k + 16; i < h && d[i] >= '0' && d[i] <= '9'; i++)
            cl = cl * 10 + (size_t)(d[i] - '0');
    size_t total = h + 4 + cl;
    return total <= len ? total : 0;
}

static void sink_record(struct sink *s, const struct pkt_info *pkt, const uint8_t *d, size_t n)
{
    if (s->nmsg >= SINK_MAX_MSGS) { /* counted, not kept */
        s->nmsg++;
        return;
    }
    size_t keep = n < SINK_MSG_MAX ? n : SINK_MSG_MAX;
    memcpy(s->msg[s->nmsg], d, keep);
    s->msg_len[s->nmsg] = n;
    s->msg_ts[s->nmsg] = pkt->ts_ns;
    s->msg_sport[s->nmsg] = pkt->src.port;
    s->nmsg++;
}

static size_t sink_fn(void *ctx, const struct pkt_info *pkt, const uint8_t *data, size_t len)
{
    struct sink *s = ctx;
    cr_assert_gt(len, 0, "the consumer is never offered nothing");
    cr_assert_not_null(data);
    if (s->calls < SINK_MAX_CALLS) {
        s->call_data[s->calls] = data;
        s->call_len[s->calls] = len;
        s->call_ts[s->calls] = pkt->ts_ns;
        s->call_sport[s->calls] = pkt->src.port;
    }
    s->calls++;
    size_t n = 0;
    switch (s->mode) {
    case SINK_LF2: {
        size_t i = find(data, len, "\n\n");
        n = i == SIZE_MAX ? 0 : i + 2;
        break;
    }
    case SINK_CL:
        n = sip_frame(data, len);
        break;
    case SINK_NEVER:
        return 0;
    case SINK_ALL:
        n = len;
        break;
    case SINK_GREEDY:
        s->consumed += len;
        sink_record(s, pkt, data, len);
        return len + 1000;
    case SINK_WORKER: {
        /* a start line: "METHOD uri SIP/2.0" or "SIP/2.0 code" before the first CRLF */
        size_t eol = find(data, len, "\r\n");
        size_t sip = find(data, eol == SIZE_MAX ? len : eol, "SIP/2.0");
        if (sip == SIZE_MAX && eol == SIZE_MAX && len < 64)
            return 0; /* too short to tell yet */
        if (sip == SIZE_MAX || data[0] < 'A' || data[0] > 'Z') {
            s->junk++;
            s->consumed += len;
            return len;
        }
        n = sip_frame(data, len);
        break;
    }
    }
    if (n > 0) {
        sink_record(s, pkt, data, n);
        s->consumed += n;
    }
    return n;
}

static void assert_msg(const struct sink *s, int i, const char *text)
{
    cr_assert_lt(i, s->nmsg, "message %d not delivered (%d seen)", i, s->nmsg);
    cr_assert_lt(i, SINK_MAX_MSGS);
    cr_assert_eq(s->msg_len[i], strlen(text), "message %d: length %zu, expected %zu", i,
                 s->msg_len[i], strlen(text));
    cr_assert(memcmp(s->msg[i], text, strlen(text)) == 0, "message %d: %.*s", i, (int)s->msg_len[i],
              s->msg[i]);
}

/* ---- segments built by hand ---- */

#define CLIENT_PORT 50640
#define SERVER_PORT 5060
#define MS (1000000ULL)

static struct endpoint ep4(uint8_t last, uint16_t port)
{
    struct endpoint e;
    memset(&e, 0, sizeof e);
    e.ip.family = 4;
    e.ip.b[0] = 192;
    e.ip.b[1] = 0;
    e.ip.b[2] = 2;
    e.ip.b[3] = last;
    e.port = port;
    return e;
}

/* client 192.0.2.40:sport -> server 192.0.2.41:dport (or back, with rev). */
static struct pkt_info seg_dir(bool rev, uint16_t sport, uint32_t seq, uint8_t flags,
                               const void *data, size_t len, uint64_t ts)
{
    struct pkt_info p;
    memset(&p, 0, sizeof p);
    p.ts_ns = ts;
    p.src = rev ? ep4(41, SERVER_PORT) : ep4(40, sport);
    p.dst = rev ? ep4(40, sport) : ep4(41, SERVER_PORT);
    p.l4 = PKT_L4_TCP;
    p.ip_proto = 6;
    p.tcp_seq = seq;
    p.tcp_flags = flags;
    p.payload = data;
    p.payload_len = len;
    return p;
}

static struct pkt_info seg(uint32_t seq, uint8_t flags, const char *text, uint64_t ts)
{
    return seg_dir(false, CLIENT_PORT, seq, flags, text, text ? strlen(text) : 0, ts);
}

static struct stats st;
static struct sink sk;

static struct tcpreasm *mk(uint32_t streams, size_t buffer, uint32_t buffers)
{
    memset(&st, 0, sizeof st);
    memset(&sk, 0, sizeof sk);
    struct tcpreasm_config cfg = {.max_streams = streams,
                                  .buffer_bytes = buffer,
                                  .idle_timeout_s = 60,
                                  .max_buffers = buffers};
    struct tcpreasm *r = tcpreasm_create(&cfg, &st);
    cr_assert_not_null(r);
    return r;
}

static void feed(struct tcpreasm *r, struct pkt_info p)
{
    tcpreasm_segment(r, &p, sink_fn, &sk);
}

#define ISN 1000u
#define D (ISN + 1) /* first data byte */
#define PSH (PKT_TCP_PSH | PKT_TCP_ACK)

/* ---- the basics ---- */

Test(tcpreasm, in_order_single_segment_is_zero_copy)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    static const char msg[] = "OPTIONS sip:a SIP/2.0\nX: 1\n\n";
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    struct pkt_info p = seg(D, PSH, msg, 5 * MS);
    tcpreasm_segment(r, &p, sink_fn, &sk);
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, msg);
    cr_assert_eq(sk.calls, 1);
    cr_assert_eq(sk.call_data[0], p.payload, "delivered straight from the packet");
    cr_assert_eq(sk.msg_ts[0], 5 * MS);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    cr_assert_eq(tcpreasm_active(r), 1);
    cr_assert_eq(st.v[STAT_TCP_STREAMS], 1);
    tcpreasm_destroy(r);
}

Test(tcpreasm, message_split_in_two_segments)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "INVITE sip:b SIP/2.0\nVia: x", 1 * MS));
    cr_assert_eq(sk.nmsg, 0);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1, "the remainder holds a buffer");
    feed(r, seg(D + 27, PSH, "\n\n", 2 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "INVITE sip:b SIP/2.0\nVia: x\n\n");
    cr_assert_eq(sk.msg_ts[0], 2 * MS, "time of the segment that completed it");
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0, "drained: the buffer is back in the pool");
    tcpreasm_destroy(r);
}

Test(tcpreasm, message_split_in_three_segments)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "BYE sip:b SIP/2.0\n", 1 * MS));
    feed(r, seg(D + 18, PSH, "CSeq: 2 BYE\n", 2 * MS));
    cr_assert_eq(sk.nmsg, 0);
    feed(r, seg(D + 30, PSH, "\n", 3 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "BYE sip:b SIP/2.0\nCSeq: 2 BYE\n\n");
    cr_assert_eq(sk.msg_ts[0], 3 * MS);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, two_messages_in_one_segment)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    static const char two[] = "A\n\nB\n\n";
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    struct pkt_info p = seg(D, PSH, two, 7 * MS);
    tcpreasm_segment(r, &p, sink_fn, &sk);
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 0, "A\n\n");
    assert_msg(&sk, 1, "B\n\n");
    cr_assert_eq(sk.call_data[0], p.payload);
    cr_assert_eq(sk.call_data[1], p.payload + 3, "the rest, still from the packet");
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, two_messages_then_partial_third_keeps_only_the_remainder)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "A\n\nB\n\nC-part", 1 * MS));
    cr_assert_eq(sk.nmsg, 2);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    feed(r, seg(D + 12, PSH, "\n\nD\n", 2 * MS));
    cr_assert_eq(sk.nmsg, 3);
    assert_msg(&sk, 2, "C-part\n\n");
    feed(r, seg(D + 16, PSH, "\n", 3 * MS));
    cr_assert_eq(sk.nmsg, 4);
    assert_msg(&sk, 3, "D\n\n");
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

/* ---- the edge capture sip-tcp-segments.pcap, replayed as hand-made segments ---- */

/* The INVITE of sip-tcp-segments.pcap: 683 bytes, cut at 214 ("Call-") and 560 ("m=au"). */
static const char edge_invite[] =
    "INVITE sip:bob40@example.net SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 192.0.2.40:50640;branch=z9hG4bK-40-inv;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice Caller\" <sip:alice40@example.com>;tag=ft40-a81\r\n"
    "To: <sip:bob40@example.net>\r\n"
    "Call-ID: edge-40-5f3a9c@192.0.2.40\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice40@192.0.2.40:50640;transport=tcp>\r\n"
    "User-Agent: edge-ua/1.0\r\n"
    "Subject: edge case 40\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
    "Supported: replaces\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 202\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 1040 1040 IN IP4 192.0.2.40\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.40\r\n"
    "t=0 0\r\n"
    "m=audio 20080 RTP/AVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

/* 100 Trying and 180 Ringing, both in one 561-byte segment. */
static const char edge_100_180[] =
    "SIP/2.0 100 Trying\r\n"
    "Via: SIP/2.0/TCP 192.0.2.40:50640;branch=z9hG4bK-40-inv;rport\r\n"
    "From: \"Alice Caller\" <sip:alice40@example.com>;tag=ft40-a81\r\n"
    "To: <sip:bob40@example.net>\r\n"
    "Call-ID: edge-40-5f3a9c@192.0.2.40\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n"
    "\r\n"
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/TCP 192.0.2.40:50640;branch=z9hG4bK-40-inv;rport\r\n"
    "From: \"Alice Caller\" <sip:alice40@example.com>;tag=ft40-a81\r\n"
    "To: <sip:bob40@example.net>;tag=tt40-c27\r\n"
    "Call-ID: edge-40-5f3a9c@192.0.2.40\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:bob40@198.51.100.40:5060;transport=tcp>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

/* 200 OK to the INVITE, cut between the two CRLFs that end its headers (341 + 208 bytes). */
static const char edge_200[] = "SIP/2.0 200 OK\r\n"
                               "Via: SIP/2.0/TCP 192.0.2.40:50640;branch=z9hG4bK-40-inv;rport\r\n"
                               "From: \"Alice Caller\" <sip:alice40@example.com>;tag=ft40-a81\r\n"
                               "To: <sip:bob40@example.net>;tag=tt40-c27\r\n"
                               "Call-ID: edge-40-5f3a9c@192.0.2.40\r\n"
                               "CSeq: 1 INVITE\r\n"
                               "Contact: <sip:bob40@198.51.100.40:5060;transport=tcp>\r\n"
                               "Content-Type: application/sdp\r\n"
                               "Content-Length: 206\r\n"
                               "\r\n"
                               "v=0\r\n"
                               "o=bob 2040 2040 IN IP4 198.51.100.40\r\n"
                               "s=-\r\n"
                               "c=IN IP4 198.51.100.40\r\n"
                               "t=0 0\r\n"
                               "m=audio 30080 RTP/AVP 0 101\r\n"
                               "a=rtpmap:0 PCMU/8000\r\n"
                               "a=rtpmap:101 telephone-event/8000\r\n"
                               "a=fmtp:101 0-15\r\n"
                               "a=ptime:20\r\n"
                               "a=sendrecv\r\n";

/* Packet times of the capture: 2024-03-01T12:39:59Z + offsets. */
#define EDGE_T0 1709296799000000000ULL

Test(tcpreasm, edge_capture_invite_segments_1_3_2_then_retransmitted_1)
{
    struct tcpreasm *r = mk(16, TCPREASM_DEFAULT_BUFFER, 2);
    sk.mode = SINK_CL;
    const uint8_t *inv = (const uint8_t *)edge_invite;
    cr_assert_eq(strlen(edge_invite), 683);
    cr_assert(memcmp(edge_invite + 209, "Call-", 5) == 0);
    cr_assert(memcmp(edge_invite + 556, "m=au", 4) == 0);
    /* frames 1, 4, 5, 6, 7 of the capture: SYN seq 999999, data at 1000000 */
    feed(r, seg_dir(false, CLIENT_PORT, 999999, PKT_TCP_SYN, NULL, 0, EDGE_T0));
    feed(r, seg_dir(false, CLIENT_PORT, 1000000, PSH, inv, 214, EDGE_T0 + 600 * MS));
    cr_assert_eq(sk.nmsg, 0);
    feed(r, seg_dir(false, CLIENT_PORT, 1000560, PSH, inv + 560, 123, EDGE_T0 + 800 * MS));
    cr_assert_eq(sk.nmsg, 0, "segment 3 waits for segment 2");
    feed(r, seg_dir(false, CLIENT_PORT, 1000214, PSH, inv + 214, 346, EDGE_T0 + 1000 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, edge_invite);
    /* start_ts 2024-03-01T12:40:00.000000Z: the segment that filled the gap */
    cr_assert_eq(sk.msg_ts[0], EDGE_T0 + 1000 * MS);
    feed(r, seg_dir(false, CLIENT_PORT, 1000000, PSH, inv, 214, EDGE_T0 + 1002 * MS));
    cr_assert_eq(sk.nmsg, 1, "the retransmitted segment 1 is not delivered again");
    cr_assert_eq(st.v[STAT_TCP_GAPS], 0);
    cr_assert_eq(st.v[STAT_TCP_OVERFLOW], 0);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, edge_capture_responses_coalesced_and_split_between_crlfs)
{
    struct tcpreasm *r = mk(16, TCPREASM_DEFAULT_BUFFER, 2);
    sk.mode = SINK_CL;
    cr_assert_eq(strlen(edge_100_180), 561);
    cr_assert_eq(strlen(edge_200), 341 + 208);
    cr_assert(memcmp(edge_200 + 339, "\r\n\r\n", 4) == 0);
    /* frames 2, 9, 10, 11: SYN-ACK seq 6999999, server data at 7000000 */
    feed(r,
         seg_dir(true, CLIENT_PORT, 6999999, PKT_TCP_SYN | PKT_TCP_ACK, NULL, 0, EDGE_T0 + 1 * MS));
    struct pkt_info p =
        seg_dir(true, CLIENT_PORT, 7000000, PSH, edge_100_180, 561, EDGE_T0 + 1150 * MS);
    tcpreasm_segment(r, &p, sink_fn, &sk);
    cr_assert_eq(sk.nmsg, 2, "100 and 180 from one segment");
    cr_assert_eq(sk.msg_len[0], 246);
    cr_assert(memcmp(sk.msg[0], "SIP/2.0 100 Trying\r\n", 20) == 0);
    cr_assert(memcmp(sk.msg[1], "SIP/2.0 180 Ringing\r\n", 21) == 0);
    cr_assert_eq(sk.msg_ts[1], EDGE_T0 + 1150 * MS); /* ringing_ts 12:40:00.150000 */
    cr_assert_eq(sk.call_data[0], p.payload, "zero copy");
    feed(r, seg_dir(true, CLIENT_PORT, 7000561, PSH, edge_200, 341, EDGE_T0 + 2200 * MS));
    cr_assert_eq(sk.nmsg, 2);
    feed(r, seg_dir(true, CLIENT_PORT, 7000902, PSH, edge_200 + 341, 208, EDGE_T0 + 2500 * MS));
    cr_assert_eq(sk.nmsg, 3);
    assert_msg(&sk, 2, edge_200);
    cr_assert_eq(sk.msg_ts[2], EDGE_T0 + 2500 * MS); /* answer_ts 12:40:01.500000 */
    cr_assert_eq(sk.msg_sport[2], SERVER_PORT);
    tcpreasm_destroy(r);
}

/* ---- retransmissions and overlaps ---- */

Test(tcpreasm, overlapping_retransmission_is_trimmed)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "REGISTER x\nTo", 1 * MS)); /* bytes 0..13 */
    feed(r, seg(D + 9, PSH, "x\nTo: y\n", 2 * MS)); /* 9..17: 4 old, 4 new */
    feed(r, seg(D + 16, PSH, "\n\n", 3 * MS));      /* 16..18: 1 old, 1 new */
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "REGISTER x\nTo: y\n\n");
    feed(r, seg(D, PSH, "REGISTER x\nTo: y\n\n", 4 * MS)); /* all old */
    cr_assert_eq(sk.nmsg, 1);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, overlapping_out_of_order_ranges_merge)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    static const char text[] = "0123456789abcdefghijklmnopqrstuv\n\n"; /* 34 bytes */
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg_dir(false, CLIENT_PORT, D + 20, PSH, text + 20, 14, 1 * MS));
    feed(r, seg_dir(false, CLIENT_PORT, D + 10, PSH, text + 10, 8, 2 * MS));
    feed(r, seg_dir(false, CLIENT_PORT, D + 12, PSH, text + 12, 12, 3 * MS)); /* bridges both */
    feed(r, seg_dir(false, CLIENT_PORT, D + 25, PSH, text + 25, 3, 4 * MS));  /* inside */
    cr_assert_eq(sk.nmsg, 0);
    feed(r, seg_dir(false, CLIENT_PORT, D, PSH, text, 11, 5 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, text);
    cr_assert_eq(sk.calls, 1, "one contiguous run");
    cr_assert_eq(sk.msg_ts[0], 5 * MS);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 0);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, out_of_order_after_a_pending_remainder)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "M1\n\nM2-", 1 * MS)); /* M1 delivered, "M2-" pending */
    cr_assert_eq(sk.nmsg, 1);
    feed(r, seg(D + 10, PSH, "\n\nM3\n\n", 2 * MS)); /* after a hole of 3 */
    cr_assert_eq(sk.nmsg, 1);
    feed(r, seg(D + 7, PSH, "end", 3 * MS));
    cr_assert_eq(sk.nmsg, 3);
    assert_msg(&sk, 1, "M2-end\n\n");
    assert_msg(&sk, 2, "M3\n\n");
    cr_assert_eq(sk.msg_ts[2], 3 * MS);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

/* ---- sequence space ---- */

Test(tcpreasm, sequence_wraps_around_2_pow_32)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(0xFFFFFFF0u, PKT_TCP_SYN, NULL, 0));
    /* data starts at 0xFFFFFFF1; 20 bytes run past 2^32 */
    feed(r, seg(0xFFFFFFF1u, PSH, "0123456789", 1 * MS));
    feed(r, seg(0xFFFFFFFBu, PSH, "abcdefghij", 2 * MS)); /* 0xFFFFFFFB..0x00000004 */
    feed(r, seg(0x00000005u, PSH, "\n\n", 3 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "0123456789abcdefghij\n\n");
    feed(r, seg(0xFFFFFFFBu, PSH, "abcdefghij", 4 * MS)); /* a retransmission across the wrap */
    feed(r, seg(0x00000007u, PSH, "Z\n\n", 5 * MS));
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 1, "Z\n\n");
    tcpreasm_destroy(r);
}

Test(tcpreasm, out_of_order_across_the_wrap)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(0xFFFFFFFAu, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(0x00000002u, PSH, "world\n\n", 1 * MS)); /* ahead by 7, past the wrap */
    cr_assert_eq(sk.nmsg, 0);
    feed(r, seg(0xFFFFFFFBu, PSH, "hello, ", 2 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "hello, world\n\n");
    tcpreasm_destroy(r);
}

Test(tcpreasm, sequence_jumping_back_by_2_pow_31_is_old_data)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "A\n\n", 1 * MS));
    feed(r, seg(D + 3 - 0x80000000u, PSH, "junk\n\n", 2 * MS));
    feed(r, seg(D + 3 - 0x7FFFFFFFu, PSH, "junk\n\n", 3 * MS));
    cr_assert_eq(sk.nmsg, 1, "2^31 behind is the past");
    feed(r, seg(D + 3, PSH, "B\n\n", 4 * MS));
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 1, "B\n\n");
    cr_assert_eq(st.v[STAT_TCP_GAPS], 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, sequence_jumping_ahead_by_2_pow_31_minus_1_skips_the_hole)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "A\n\n", 1 * MS));
    uint32_t far = D + 3 + 0x7FFFFFFFu;
    feed(r, seg(far, PSH, "C\n\n", 2 * MS));
    cr_assert_eq(st.v[STAT_TCP_GAPS], 1);
    cr_assert_eq(sk.nmsg, 2, "continues from the next available data");
    assert_msg(&sk, 1, "C\n\n");
    feed(r, seg(far + 3, PSH, "D\n\n", 3 * MS));
    cr_assert_eq(sk.nmsg, 3);
    tcpreasm_destroy(r);
}

Test(tcpreasm, stream_without_syn_starts_at_first_data)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(123456789u, PKT_TCP_ACK, NULL, 1 * MS)); /* a pure ACK creates nothing */
    cr_assert_eq(tcpreasm_active(r), 0);
    struct pkt_info p = seg(987654321u, PSH, "NOTIFY x\n\n", 2 * MS);
    tcpreasm_segment(r, &p, sink_fn, &sk);
    cr_assert_eq(tcpreasm_active(r), 1);
    cr_assert_eq(sk.nmsg, 0, "the first data is held: an earlier segment may come next");
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    struct pkt_info p2 = seg(987654331u, PSH, "ACK y\n\n", 3 * MS);
    tcpreasm_segment(r, &p2, sink_fn, &sk);
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 0, "NOTIFY x\n\n");
    cr_assert_eq(sk.msg_ts[0], 2 * MS, "held data keeps the time of its own segment");
    cr_assert_eq(sk.msg_sport[0], CLIENT_PORT);
    assert_msg(&sk, 1, "ACK y\n\n");
    cr_assert_eq(sk.call_data[1], p2.payload, "after the first, zero copy as usual");
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

/* ---- streams picked up without their SYN: the first segment seen need not be the first ---- */

/* The INVITE of the edge capture in two segments: sip-tcp-segments.pcap without its handshake. */
#define SPLIT 214u /* inside the Call-ID header name */

Test(tcpreasm, segment_before_the_start_seen_second_rebases_the_stream)
{
    /* The reviewer's repro: no SYN, the INVITE's second segment seen first, then its first. */
    struct tcpreasm *r = mk(16, TCPREASM_DEFAULT_BUFFER, 2);
    sk.mode = SINK_WORKER;
    const uint8_t *inv = (const uint8_t *)edge_invite;
    size_t len = strlen(edge_invite);
    feed(r, seg_dir(false, CLIENT_PORT, 1000000, PKT_TCP_ACK, NULL, 0, EDGE_T0)); /* no stream */
    feed(r, seg_dir(false, CLIENT_PORT, 1000000 + SPLIT, PSH, inv + SPLIT, len - SPLIT,
                    EDGE_T0 + 800 * MS));
    cr_assert_eq(sk.calls, 0, "held: the tail was not thrown away as junk");
    feed(r, seg_dir(false, CLIENT_PORT, 1000000, PSH, inv, SPLIT, EDGE_T0 + 1000 * MS));
    cr_assert_eq(sk.calls, 0, "still held after the re-base, for one more segment");
    feed(r, seg_dir(true, CLIENT_PORT, 7000000, PKT_TCP_ACK, NULL, 0, EDGE_T0 + 1003 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, edge_invite);
    cr_assert_eq(sk.msg_ts[0], EDGE_T0 + 1000 * MS, "the time of the segment that completed it");
    cr_assert_eq(sk.msg_sport[0], CLIENT_PORT);
    cr_assert_eq(sk.junk, 0);
    cr_assert_eq(st.v[STAT_TCP_BEFORE_START], 0);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 0);
    cr_assert_eq(st.v[STAT_TCP_OVERFLOW], 0);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    /* the stream goes on from the INVITE's end */
    static const char ack[] = "ACK sip:bob40@example.net SIP/2.0\r\nContent-Length: 0\r\n\r\n";
    feed(r, seg_dir(false, CLIENT_PORT, 1000000 + (uint32_t)len, PSH, ack, strlen(ack),
                    EDGE_T0 + 2000 * MS));
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 1, ack);
    tcpreasm_destroy(r);
}

Test(tcpreasm, three_segments_seen_3_2_1_without_syn)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    sk.mode = SINK_LF2;
    feed(r, seg(5008, PSH, "ghij\n\n", 3 * MS));
    feed(r, seg(5004, PSH, "cdef", 2 * MS));
    feed(r, seg(5000, PSH, "OPab", 1 * MS));
    cr_assert_eq(sk.calls, 0);
    tcpreasm_flush_all(r, sink_fn, &sk); /* the end of input releases it too */
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "OPabcdefghij\n\n");
    cr_assert_eq(sk.msg_ts[0], 1 * MS);
    cr_assert_eq(st.v[STAT_TCP_BEFORE_START], 0);
    cr_assert_eq(st.v[STAT_TCP_PARTIAL], 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, rebase_with_a_gap_keeps_the_later_data_out_of_order)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    sk.mode = SINK_LF2;
    feed(r, seg(5008, PSH, "ghij\n\n", 3 * MS));
    feed(r, seg(5000, PSH, "OPab", 1 * MS)); /* 5004..5007 still missing */
    feed(r, seg(5004, PSH, "cdef", 4 * MS)); /* not before the start: releases, then fills */
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "OPabcdefghij\n\n");
    cr_assert_eq(sk.msg_ts[0], 4 * MS);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 0);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, rebase_after_release_while_the_consumer_took_nothing)
{
    /* the held tail was offered (another stream's segment released it) but not consumed */
    struct tcpreasm *r = mk(16, TCPREASM_DEFAULT_BUFFER, 2);
    sk.mode = SINK_CL; /* keeps what it cannot frame */
    const uint8_t *inv = (const uint8_t *)edge_invite;
    size_t len = strlen(edge_invite);
    uint32_t cut = 560; /* inside the SDP: the tail holds no CRLFCRLF */
    feed(r, seg_dir(false, CLIENT_PORT, 1000000 + cut, PSH, inv + cut, len - cut, 1 * MS));
    feed(r, seg_dir(false, 1234, 1, PSH, "OPTIONS x\r\n\r\n", 13, 2 * MS)); /* another stream */
    cr_assert_eq(sk.calls, 1, "the tail was offered once");
    cr_assert_eq(sk.nmsg, 0);
    feed(r, seg_dir(false, CLIENT_PORT, 1000000, PSH, inv, cut, 3 * MS));
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 0, "OPTIONS x\r\n\r\n"); /* held in turn, released by this segment */
    assert_msg(&sk, 1, edge_invite);
    cr_assert_eq(sk.msg_ts[1], 3 * MS);
    cr_assert_eq(st.v[STAT_TCP_BEFORE_START], 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, data_before_the_start_after_delivery_is_counted_not_delivered)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    sk.mode = SINK_LF2;
    feed(r, seg(5000, PSH, "NOTIFY a\n\n", 1 * MS));
    feed(r, seg(5010, PSH, "NOTIFY b\n\n", 2 * MS)); /* releases and consumes the first */
    cr_assert_eq(sk.nmsg, 2);
    feed(r, seg(4990, PSH, "OLD TAIL\n\n", 3 * MS)); /* entirely before 5000 */
    cr_assert_eq(sk.nmsg, 2);
    cr_assert_eq(st.v[STAT_TCP_BEFORE_START], 1);
    /* straddling the start: the bytes before are counted, the rest is a retransmission */
    feed(r, seg(4995, PSH, "xx\n\nNOTIFY a\n\n", 4 * MS));
    cr_assert_eq(sk.nmsg, 2);
    cr_assert_eq(st.v[STAT_TCP_BEFORE_START], 2);
    feed(r, seg(5020, PSH, "NOTIFY c\n\n", 5 * MS));
    cr_assert_eq(sk.nmsg, 3);
    assert_msg(&sk, 2, "NOTIFY c\n\n");
    cr_assert_eq(st.v[STAT_TCP_GAPS], 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, rebase_that_would_overflow_the_buffer_is_counted)
{
    struct tcpreasm *r = mk(16, 64, 2); /* 64-byte buffers */
    sk.mode = SINK_LF2;
    feed(r, seg(5060, PSH, "TAIL\n\n", 1 * MS));
    feed(r, seg(4990, PSH, "HEAD", 2 * MS)); /* 70 bytes before the start: 76 > 64 */
    cr_assert_eq(st.v[STAT_TCP_BEFORE_START], 1);
    cr_assert_eq(sk.nmsg, 1, "a segment that cannot re-base releases the held data");
    assert_msg(&sk, 0, "TAIL\n\n");
    cr_assert_eq(sk.msg_ts[0], 1 * MS);
    tcpreasm_destroy(r);
}

Test(tcpreasm, a_stream_with_syn_never_rebases)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    sk.mode = SINK_LF2;
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D + 4, PSH, "ghij\n\n", 1 * MS));        /* out of order behind the SYN */
    feed(r, seg(D - 10, PSH, "0123456789OPab", 2 * MS)); /* 10 bytes before ISN + 1 */
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "OPabghij\n\n");
    cr_assert_eq(st.v[STAT_TCP_BEFORE_START], 0, "old bytes of a SYN stream are trimmed, as ever");
    tcpreasm_destroy(r);
}

Test(tcpreasm, only_one_stream_holds_at_a_time)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    sk.mode = SINK_LF2;
    feed(r, seg_dir(false, 1001, 100, PSH, "a\n\n", 3, 1 * MS));
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    feed(r, seg_dir(false, 1002, 200, PSH, "b\n\n", 3, 2 * MS)); /* releases a, holds b */
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "a\n\n");
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    tcpreasm_expire_flush(r, 100 * 1000 * MS, sink_fn, &sk); /* idle expiry releases b */
    cr_assert_eq(sk.nmsg, 2);
    cr_assert_eq(tcpreasm_active(r), 0);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    /* a held stream ended by its own FIN delivers at once */
    feed(r, seg_dir(false, 1003, 300, PSH | PKT_TCP_FIN, "c\n\n", 3, 200 * 1000 * MS));
    cr_assert_eq(sk.nmsg, 3);
    cr_assert_eq(tcpreasm_active(r), 0);
    /* no free buffer: no hold, delivered at once from the packet */
    feed(r, seg_dir(false, 1004, 400, PSH, "partial", 7, 201 * 1000 * MS));
    feed(r, seg_dir(false, 1005, 500, PSH, "partial", 7, 202 * 1000 * MS));
    cr_assert_eq(tcpreasm_buffers_in_use(r), 2);
    struct pkt_info p = seg_dir(false, 1006, 600, PSH, "d\n\n", 3, 203 * 1000 * MS);
    tcpreasm_segment(r, &p, sink_fn, &sk);
    cr_assert_eq(sk.nmsg, 4);
    cr_assert_eq(sk.call_data[sk.calls - 1], p.payload);
    tcpreasm_destroy(r);
}

Test(tcpreasm, syn_with_data)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, "FAST\n\n", 1 * MS)); /* TFO-like: data after the ISN */
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "FAST\n\n");
    feed(r, seg(D + 6, PSH, "NEXT\n\n", 2 * MS));
    cr_assert_eq(sk.nmsg, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, "FAST\n\n", 3 * MS)); /* retransmitted SYN: nothing new */
    cr_assert_eq(sk.nmsg, 2);
    tcpreasm_destroy(r);
}

Test(tcpreasm, syn_with_new_isn_restarts_the_stream)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "old-partial", 1 * MS));
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    feed(r, seg(5000, PKT_TCP_SYN, NULL, 2 * MS)); /* the same ports reused */
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    feed(r, seg(5001, PSH, "NEW\n\n", 3 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "NEW\n\n");
    cr_assert_eq(tcpreasm_active(r), 1);
    tcpreasm_destroy(r);
}

Test(tcpreasm, zero_length_segments_deliver_nothing)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "", 1 * MS));
    feed(r, seg(D + 500, PKT_TCP_ACK, "", 2 * MS));
    struct pkt_info p = seg(D, PSH, NULL, 3 * MS);
    p.payload_len = 40; /* length without bytes: ignored */
    tcpreasm_segment(r, &p, sink_fn, &sk);
    cr_assert_eq(sk.calls, 0);
    feed(r, seg(D, PSH, "X\n\n", 4 * MS));
    cr_assert_eq(sk.nmsg, 1);
    tcpreasm_destroy(r);
}

/* ---- stream end ---- */

Test(tcpreasm, fin_flushes_pending_data_and_frees_the_direction)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "A\n\nB-par", 1 * MS));      /* B incomplete: its tail was lost */
    feed(r, seg(D + 12, PSH, "C\n\nD\n\n", 2 * MS)); /* after a hole of 4 */
    cr_assert_eq(sk.nmsg, 1);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    feed(r, seg(D + 18, PKT_TCP_FIN | PKT_TCP_ACK, "E\n\n", 3 * MS));
    cr_assert_eq(sk.nmsg, 4, "everything after the hole is delivered at FIN");
    assert_msg(&sk, 1, "C\n\n");
    assert_msg(&sk, 2, "D\n\n");
    assert_msg(&sk, 3, "E\n\n");
    cr_assert_eq(sk.msg_ts[3], 3 * MS);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 1);
    cr_assert_eq(tcpreasm_active(r), 0);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, fin_without_payload)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "A\n\n", 1 * MS));
    feed(r, seg(D + 3, PKT_TCP_FIN | PKT_TCP_ACK, NULL, 2 * MS));
    cr_assert_eq(tcpreasm_active(r), 0);
    cr_assert_eq(sk.nmsg, 1);
    feed(r, seg(77, PKT_TCP_FIN, NULL, 3 * MS)); /* FIN of a stream never seen */
    cr_assert_eq(tcpreasm_active(r), 0);
    cr_assert_eq(st.v[STAT_TCP_STREAMS], 1);
    tcpreasm_destroy(r);
}

Test(tcpreasm, rst_ends_one_direction_only)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg_dir(true, CLIENT_PORT, 9000, PKT_TCP_SYN | PKT_TCP_ACK, NULL, 0, 0));
    feed(r, seg(D, PSH, "partial", 1 * MS));
    cr_assert_eq(tcpreasm_active(r), 2);
    feed(r, seg(D + 7, PKT_TCP_RST, NULL, 2 * MS));
    cr_assert_eq(tcpreasm_active(r), 1);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0, "the incomplete remainder is dropped");
    cr_assert_eq(sk.nmsg, 0);
    feed(r, seg_dir(true, CLIENT_PORT, 9001, PSH, "R\n\n", 3, 3 * MS));
    cr_assert_eq(sk.nmsg, 1);
    tcpreasm_destroy(r);
}

/* ---- holes, overflow and buffer shortage ---- */

Test(tcpreasm, gap_that_never_fills_is_skipped_when_the_buffer_would_overflow)
{
    struct tcpreasm *r = mk(16, 64, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "A\n\n", 1 * MS));
    /* bytes D+3..D+9 never arrive */
    feed(r, seg(D + 10, PSH, "B\n\n", 2 * MS));
    feed(r, seg(D + 13, PSH, "C\n\n", 3 * MS));
    cr_assert_eq(sk.nmsg, 1);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 0, "still waiting");
    /* this one would end past the 64-byte buffer: give up on the hole */
    feed(r, seg(D + 100, PSH, "Z\n\n", 4 * MS));
    cr_assert_eq(st.v[STAT_TCP_GAPS], 2, "the hole before B and the one before Z");
    cr_assert_eq(sk.nmsg, 4);
    assert_msg(&sk, 1, "B\n\n");
    assert_msg(&sk, 2, "C\n\n");
    assert_msg(&sk, 3, "Z\n\n");
    cr_assert_eq(sk.msg_ts[1], 4 * MS);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    feed(r, seg(D + 5, PSH, "late\n\n", 5 * MS)); /* the missing bytes, too late: old */
    cr_assert_eq(sk.nmsg, 4);
    tcpreasm_destroy(r);
}

Test(tcpreasm, range_list_full_skips_the_first_hole)
{
    struct tcpreasm *r = mk(16, 4096, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    /* 17 disjoint pieces "k\n\n" every 10 bytes after a missing first 10 */
    static const char piece[] = "k\n\n";
    for (uint32_t i = 0; i < TCPREASM_MAX_RANGES; i++)
        feed(r, seg(D + 10 + 10 * i, PSH, piece, (i + 1) * MS));
    cr_assert_eq(sk.nmsg, 0);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 0);
    feed(r, seg(D + 10 + 10 * TCPREASM_MAX_RANGES, PSH, piece, 100 * MS));
    cr_assert_eq(st.v[STAT_TCP_GAPS], 1);
    cr_assert_eq(sk.nmsg, 1, "the first kept piece is delivered");
    feed(r, seg(D + 13, PSH, "\n\n\n\nx\n\n", 101 * MS)); /* 13..19, touches the piece at 20 */
    cr_assert_eq(sk.nmsg, 5);
    tcpreasm_destroy(r);
}

Test(tcpreasm, consumer_that_never_consumes_overflows_and_resumes)
{
    struct tcpreasm *r = mk(16, 32, 2);
    sk.mode = SINK_NEVER;
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "0123456789012345678901234", 1 * MS)); /* 25: kept */
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    cr_assert_eq(st.v[STAT_TCP_OVERFLOW], 0);
    feed(r, seg(D + 25, PSH, "abcdefghij", 2 * MS)); /* 35 > 32 */
    cr_assert_eq(st.v[STAT_TCP_OVERFLOW], 1);
    cr_assert_leq(tcpreasm_buffers_in_use(r), 1);
    for (uint32_t i = 0; i < 100; i++) /* garbage forever: bounded, counted */
        feed(r, seg(D + 35 + 10 * i, PSH, "garbage..!", (3 + i) * MS));
    cr_assert_geq(st.v[STAT_TCP_OVERFLOW], 25);
    for (int i = 0; i < sk.calls && i < SINK_MAX_CALLS; i++)
        cr_assert_leq(sk.call_len[i], 32, "never more than the cap in one run");
    /* a consumer that recovers gets what follows */
    sk.mode = SINK_LF2;
    feed(r, seg(D + 1035, PSH, "\n\nOK\n\n", 200 * MS));
    cr_assert_geq(sk.nmsg, 1);
    assert_msg(&sk, sk.nmsg - 1, "OK\n\n");
    tcpreasm_destroy(r);
}

Test(tcpreasm, in_order_segment_larger_than_the_buffer)
{
    struct tcpreasm *r = mk(16, 16, 2);
    static const char big[] = "0123456789abcdefghijklmnopqrstuvwxyz\n\nTAIL";
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, big, 1 * MS));
    cr_assert_eq(sk.nmsg, 1, "zero copy needs no buffer, whatever the size");
    cr_assert_eq(sk.msg_len[0], 38);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1, "TAIL kept");
    feed(r, seg(D + 42, PSH, "0123456789abcdefghij", 2 * MS)); /* TAIL + 20 > 16, refused */
    cr_assert_eq(st.v[STAT_TCP_OVERFLOW], 1);
    tcpreasm_destroy(r);
}

/* No buffer free: the stream idle longest gives its buffer back (it ends, counted), so the
 * newest partial message is kept; buffers are never malloc'd. (This was "the newest is dropped"
 * until the flood tests showed that connections leaving partial messages then blocked every
 * split message of live SIP connections until their idle timeout.) */
Test(tcpreasm, no_free_buffer_takes_back_the_idlest_streams_buffer)
{
    struct tcpreasm *r = mk(16, 256, 1);
    feed(r, seg_dir(false, 1111, 1, PSH, "first-partial", 13, 1 * MS));
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    feed(r, seg_dir(false, 2222, 1, PSH, "second-partial", 14, 2 * MS));
    cr_assert_eq(st.v[STAT_TCP_OVERFLOW], 0, "kept, not dropped, and not malloc'd");
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 1, "1111, idle longest, ended");
    cr_assert_eq(st.v[STAT_TCP_PARTIAL], 1, "its unfinished message is dropped, counted");
    cr_assert_eq(tcpreasm_active(r), 1);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    feed(r, seg_dir(false, 2222, 15, PSH, "x\n\n", 3, 3 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "second-partialx\n\n");
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, out_of_order_without_a_free_buffer_takes_back_the_idlest)
{
    struct tcpreasm *r = mk(16, 256, 1);
    feed(r, seg_dir(false, 1111, 1, PSH, "held", 4, 1 * MS));
    feed(r, seg_dir(false, 2222, 1, PSH, "A\n\n", 3, 2 * MS));
    feed(r, seg_dir(false, 2222, 10, PSH, "B\n\n", 3, 3 * MS)); /* ahead: kept out of order */
    cr_assert_eq(st.v[STAT_TCP_OVERFLOW], 0);
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 1, "1111 gave its buffer back");
    cr_assert_eq(sk.nmsg, 1);
    feed(r, seg_dir(false, 2222, 4, PSH, "Cxxx\n\n", 6, 4 * MS)); /* fills the hole */
    cr_assert_eq(sk.nmsg, 3);
    assert_msg(&sk, 1, "Cxxx\n\n");
    assert_msg(&sk, 2, "B\n\n");
    tcpreasm_destroy(r);
}

/* ---- the table: LRU, expiry, many streams ---- */

Test(tcpreasm, lru_eviction_with_two_streams)
{
    struct tcpreasm *r = mk(2, 256, 2);
    feed(r, seg_dir(false, 1001, 100, PSH, "a\n\n", 3, 1 * MS));
    feed(r, seg_dir(false, 1002, 200, PSH, "b\n\n", 3, 2 * MS));
    feed(r, seg_dir(false, 1001, 103, PKT_TCP_ACK, NULL, 0, 3 * MS)); /* 1001 used again */
    feed(r, seg_dir(false, 1003, 300, PSH, "c\n\n", 3, 4 * MS));
    cr_assert_eq(tcpreasm_active(r), 2);
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 1);
    cr_assert_eq(st.v[STAT_TCP_STREAMS], 3);
    /* 1002 was evicted: it comes back as a new stream at whatever seq it shows */
    feed(r, seg_dir(false, 1001, 103, PSH, "d\n\n", 3, 5 * MS));
    cr_assert_eq(st.v[STAT_TCP_STREAMS], 3, "1001 survived");
    feed(r, seg_dir(false, 1002, 9999, PSH, "e\n\n", 3, 6 * MS));
    cr_assert_eq(st.v[STAT_TCP_STREAMS], 4);
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 2, "1003 was least recently used");
    cr_assert_eq(sk.nmsg, 4, "e, the first data of a stream without SYN, waits for one segment");
    feed(r, seg_dir(true, 1002, 5000, PKT_TCP_ACK, NULL, 0, 7 * MS)); /* the peer's ACK */
    cr_assert_eq(sk.nmsg, 5);
    assert_msg(&sk, 4, "e\n\n");
    tcpreasm_destroy(r);
}

Test(tcpreasm, eviction_flushes_pending_data_with_the_evicted_endpoints)
{
    struct tcpreasm *r = mk(1, 256, 1);
    feed(r, seg_dir(false, 1001, 100, PSH, "x", 1, 1 * MS));
    feed(r, seg_dir(false, 1001, 105, PSH, "W\n\n", 3, 2 * MS)); /* held after a hole */
    cr_assert_eq(sk.nmsg, 0);
    feed(r, seg_dir(false, 1002, 1, PSH, "N\n\n", 3, 9 * MS));
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 1);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 1);
    cr_assert_eq(sk.nmsg, 1, "N, first data of a stream without SYN, waits for one segment");
    feed(r, seg_dir(true, 1002, 77, PKT_TCP_ACK, NULL, 0, 10 * MS)); /* the peer's ACK */
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 0, "W\n\n");
    cr_assert_eq(sk.msg_sport[0], 1001);
    cr_assert_eq(sk.msg_ts[0], 2 * MS, "time of the evicted stream's last segment");
    assert_msg(&sk, 1, "N\n\n");
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, idle_expiry_on_packet_time)
{
    struct tcpreasm *r = mk(16, 256, 4); /* idle timeout 60 s */
    uint64_t s = 1000000000ULL;
    feed(r, seg_dir(false, 1001, 1, PSH, "p", 1, 10 * s));
    feed(r, seg_dir(false, 1002, 1, PSH, "q\n\n", 3, 20 * s));
    feed(r, seg_dir(false, 1003, 1, PSH, "r", 1, 30 * s));
    cr_assert_eq(tcpreasm_buffers_in_use(r), 2);
    tcpreasm_expire(r, 70 * s); /* exactly 60 s idle: kept */
    cr_assert_eq(tcpreasm_active(r), 3);
    tcpreasm_expire(r, 70 * s + 1);
    cr_assert_eq(tcpreasm_active(r), 2);
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 1);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 1);
    feed(r, seg_dir(false, 1002, 4, PKT_TCP_ACK, NULL, 0, 85 * s)); /* keeps 1002 alive */
    tcpreasm_expire(r, 100 * s);
    cr_assert_eq(tcpreasm_active(r), 1);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_expire(r, 146 * s);
    cr_assert_eq(tcpreasm_active(r), 0);
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 3);
    tcpreasm_destroy(r);
}

Test(tcpreasm, expire_flush_delivers_what_waited_behind_a_hole)
{
    struct tcpreasm *r = mk(16, 256, 4);
    feed(r, seg_dir(false, 1001, 1, PSH, "A\n\n", 3, 1 * MS));
    feed(r, seg_dir(false, 1001, 10, PSH, "B\n\n", 3, 2 * MS));
    cr_assert_eq(sk.nmsg, 1);
    tcpreasm_expire_flush(r, 60001 * MS, sink_fn, &sk);
    cr_assert_eq(tcpreasm_active(r), 1, "not idle long enough");
    tcpreasm_expire_flush(r, 62003 * MS, sink_fn, &sk);
    cr_assert_eq(tcpreasm_active(r), 0);
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 1, "B\n\n");
    cr_assert_eq(st.v[STAT_TCP_GAPS], 1);
    tcpreasm_destroy(r);
}

Test(tcpreasm, expiry_without_consumer_counts_the_unfilled_hole)
{
    struct tcpreasm *r = mk(16, 256, 4);
    feed(r, seg_dir(false, 1001, 1, PSH, "A\n\n", 3, 1 * MS));
    feed(r, seg_dir(false, 1001, 10, PSH, "B\n\n", 3, 2 * MS));
    tcpreasm_expire(r, 1000000 * MS);
    cr_assert_eq(sk.nmsg, 1);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 1);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, both_directions_are_independent)
{
    struct tcpreasm *r = mk(16, 256, 4);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg_dir(true, CLIENT_PORT, 5000, PKT_TCP_SYN | PKT_TCP_ACK, NULL, 0, 0));
    feed(r, seg(D, PSH, "INVITE-", 1 * MS));
    feed(r, seg_dir(true, CLIENT_PORT, 5001, PSH, "SIP/2.0 ", 8, 2 * MS));
    feed(r, seg(D + 7, PSH, "part2\n\n", 3 * MS));
    feed(r, seg_dir(true, CLIENT_PORT, 5009, PSH, "200\n\n", 5, 4 * MS));
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 0, "INVITE-part2\n\n");
    cr_assert_eq(sk.msg_sport[0], CLIENT_PORT);
    assert_msg(&sk, 1, "SIP/2.0 200\n\n");
    cr_assert_eq(sk.msg_sport[1], SERVER_PORT);
    cr_assert_eq(tcpreasm_active(r), 2);
    cr_assert_eq(st.v[STAT_TCP_STREAMS], 2);
    tcpreasm_destroy(r);
}

Test(tcpreasm, many_streams_created_and_expired_without_leak)
{
    struct tcpreasm *r = mk(8192, 512, 1024);
    uint64_t s = 1000000000ULL;
    for (uint32_t round = 0; round < 3; round++) {
        uint64_t t = (uint64_t)round * 1000 * s;
        for (uint32_t i = 0; i < 5000; i++) {
            struct pkt_info p = seg_dir(false, (uint16_t)(1024 + i), i * 7919u, PSH,
                                        i % 5 == 0 ? "partial" : "whole\n\n", 7, t + i);
            p.src.ip.b[2] = (uint8_t)round;
            tcpreasm_segment(r, &p, sink_fn, &sk);
        }
        /* any next segment, here an ACK of a stream not followed, releases the last one's data */
        struct pkt_info ack = seg_dir(true, 1, 1, PKT_TCP_ACK, NULL, 0, t + 5000);
        tcpreasm_segment(r, &ack, sink_fn, &sk);
        cr_assert_eq(tcpreasm_active(r), 5000);
        cr_assert_eq(tcpreasm_buffers_in_use(r), 1000);
        tcpreasm_expire(r, t + 100 * s);
        cr_assert_eq(tcpreasm_active(r), 0);
        cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    }
    cr_assert_eq(st.v[STAT_TCP_STREAMS], 15000);
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 15000);
    cr_assert_eq(st.v[STAT_TCP_OVERFLOW], 0);
    cr_assert_eq(sk.nmsg, 3 * 4000, "every whole message delivered");
    tcpreasm_destroy(r);
}

Test(tcpreasm, flush_all_at_end_of_input)
{
    struct tcpreasm *r = mk(16, 256, 4);
    feed(r, seg_dir(false, 1001, 1, PSH, "A\n\n", 3, 1 * MS));
    feed(r, seg_dir(false, 1001, 9, PSH, "B\n\n", 3, 2 * MS));
    feed(r, seg_dir(false, 1002, 1, PSH, "C", 1, 3 * MS));
    tcpreasm_flush_all(r, sink_fn, &sk);
    cr_assert_eq(tcpreasm_active(r), 0);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    cr_assert_eq(sk.nmsg, 2);
    assert_msg(&sk, 1, "B\n\n");
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 0, "end of input is not an eviction");
    tcpreasm_destroy(r);
}

/* ---- hostile and odd inputs ---- */

Test(tcpreasm, ipv4_key_ignores_bytes_past_the_address)
{
    struct tcpreasm *r = mk(16, 256, 4);
    struct pkt_info a = seg(ISN, PKT_TCP_SYN, NULL, 0);
    struct pkt_info b = seg(D, PSH, "half", 1 * MS);
    memset(b.src.ip.b + 4, 0xAB, 12); /* junk beyond the IPv4 address */
    struct pkt_info c = seg(D + 4, PSH, "\n\n", 2 * MS);
    memset(c.dst.ip.b + 4, 0x5A, 12);
    tcpreasm_segment(r, &a, sink_fn, &sk);
    tcpreasm_segment(r, &b, sink_fn, &sk);
    tcpreasm_segment(r, &c, sink_fn, &sk);
    cr_assert_eq(tcpreasm_active(r), 1);
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "half\n\n");
    tcpreasm_destroy(r);
}

Test(tcpreasm, ipv6_and_ipv4_with_same_bytes_are_different_streams)
{
    struct tcpreasm *r = mk(16, 256, 4);
    struct pkt_info a = seg(D, PSH, "v4", 1 * MS);
    struct pkt_info b = seg(D, PSH, "v6", 2 * MS);
    b.src.ip.family = 6;
    b.dst.ip.family = 6;
    tcpreasm_segment(r, &a, sink_fn, &sk);
    tcpreasm_segment(r, &b, sink_fn, &sk);
    cr_assert_eq(tcpreasm_active(r), 2);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 2);
    tcpreasm_destroy(r);
}

Test(tcpreasm, nul_bytes_pass_through_intact)
{
    struct tcpreasm *r = mk(16, 256, 4);
    static const uint8_t bin[] = {'A', 0, 'B', 0, 0, '\n'}; /* text with embedded NULs */
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg_dir(false, CLIENT_PORT, D, PSH, bin, sizeof bin, 1 * MS));
    feed(r, seg(D + 6, PSH, "\n", 2 * MS));
    cr_assert_eq(sk.nmsg, 1);
    cr_assert_eq(sk.msg_len[0], 7);
    cr_assert(memcmp(sk.msg[0], "A\0B\0\0\n\n", 7) == 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, consumer_returning_more_than_given_is_clamped)
{
    struct tcpreasm *r = mk(16, 256, 4);
    sk.mode = SINK_GREEDY;
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    feed(r, seg(D, PSH, "abc", 1 * MS));
    feed(r, seg(D + 3, PSH, "def", 2 * MS));
    cr_assert_eq(sk.calls, 2);
    cr_assert_eq(sk.consumed, 6);
    cr_assert_eq(tcpreasm_buffers_in_use(r), 0);
    tcpreasm_destroy(r);
}

Test(tcpreasm, non_tcp_and_null_inputs_are_ignored)
{
    struct tcpreasm *r = mk(16, 256, 4);
    struct pkt_info p = seg(D, PSH, "UDP\n\n", 1 * MS);
    p.l4 = PKT_L4_UDP;
    tcpreasm_segment(r, &p, sink_fn, &sk);
    tcpreasm_segment(r, NULL, sink_fn, &sk);
    tcpreasm_segment(NULL, &p, sink_fn, &sk);
    cr_assert_eq(tcpreasm_active(r), 0);
    p.l4 = PKT_L4_TCP;
    tcpreasm_segment(r, &p, NULL, NULL); /* no consumer: bytes are dropped, no crash */
    cr_assert_eq(tcpreasm_active(r), 1);
    cr_assert_eq(sk.calls, 0);
    tcpreasm_expire(NULL, 0);
    tcpreasm_flush_all(NULL, NULL, NULL);
    cr_assert_eq(tcpreasm_active(NULL), 0);
    tcpreasm_destroy(NULL);
    tcpreasm_destroy(r);
}

Test(tcpreasm, out_of_order_segment_larger_than_the_buffer_skips_to_it)
{
    struct tcpreasm *r = mk(16, 8, 4);
    static const char big[] = "0123456789ABCDEF\n\n"; /* 18 > 8 */
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    struct pkt_info p = seg(D + 3, PSH, big, 1 * MS);
    tcpreasm_segment(r, &p, sink_fn, &sk);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 1);
    cr_assert_eq(sk.nmsg, 1);
    cr_assert_eq(sk.call_data[0], p.payload, "after the skip it is in order: zero copy");
    tcpreasm_destroy(r);
}

Test(tcpreasm, config_defaults_and_caps)
{
    struct tcpreasm *r = tcpreasm_create(NULL, NULL);
    cr_assert_not_null(r);
    cr_assert_eq(tcpreasm_active(r), 0);
    cr_assert_geq(tcpreasm_bytes(r), (size_t)512 * TCPREASM_DEFAULT_BUFFER);
    cr_assert_lt(tcpreasm_bytes(r), (size_t)66 * 1024 * 1024, "the documented bound");
    tcpreasm_destroy(r);
    struct tcpreasm_config big = {.max_streams = TCPREASM_MAX_STREAMS + 1};
    cr_assert_null(tcpreasm_create(&big, NULL));
    struct tcpreasm_config huge = {.buffer_bytes = (size_t)TCPREASM_MAX_BUFFER + 1};
    cr_assert_null(tcpreasm_create(&huge, NULL));
    struct tcpreasm_config bufs = {.max_streams = 4, .max_buffers = 5};
    cr_assert_null(tcpreasm_create(&bufs, NULL));
}

Test(tcpreasm, snaplen_cut_segment_skips_its_hole_at_once)
{
    struct tcpreasm *r = mk(16, 1024, 2);
    feed(r, seg(ISN, PKT_TCP_SYN, NULL, 0));
    struct pkt_info p = seg(D, PSH, "INVITE sip:x SIP/2.0\nVia", 1 * MS);
    p.truncated = true; /* 24 of 1400 bytes captured */
    tcpreasm_segment(r, &p, sink_fn, &sk);
    cr_assert_eq(sk.nmsg, 0);
    feed(r, seg(D + 1400, PSH, "BYE\n\n", 2 * MS));
    cr_assert_eq(st.v[STAT_TCP_GAPS], 1, "no waiting for bytes the capture never had");
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "BYE\n\n");
    feed(r, seg(D + 1410, PSH, "ACK\n\n", 3 * MS)); /* a later, ordinary hole waits again */
    cr_assert_eq(sk.nmsg, 1);
    feed(r, seg(D + 1405, PSH, "X\n\n\n\n", 4 * MS));
    cr_assert_eq(sk.nmsg, 4);
    cr_assert_eq(st.v[STAT_TCP_GAPS], 1);
    tcpreasm_destroy(r);
}

/* The flood tests' symptom (tests/flood): connections that each leave an unfinished message and
 * go quiet took every buffer, and the next message of a live SIP connection that came split over
 * two segments was lost (counted tcp_overflow) until they timed out, 300 s later. Now the stream
 * holding a buffer idle longest gives it back. */
Test(tcpreasm, partial_message_flood_does_not_block_a_live_split_message)
{
    struct tcpreasm *r = mk(64, 256, 4);
    for (uint16_t i = 0; i < 10; i++) {
        feed(r, seg_dir(false, (uint16_t)(2000 + i), ISN, PKT_TCP_SYN, NULL, 0, (1 + i) * MS));
        feed(r, seg_dir(false, (uint16_t)(2000 + i), D, PSH, "INVITE sip:x", 12, (1 + i) * MS));
    }
    cr_assert_eq(tcpreasm_buffers_in_use(r), 4);
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 6, "the 6 oldest partial holders gave their buffer back");
    feed(r, seg_dir(false, CLIENT_PORT, ISN, PKT_TCP_SYN, NULL, 0, 20 * MS));
    feed(r, seg_dir(false, CLIENT_PORT, D, PSH, "OPTIONS sip:", 12, 21 * MS));
    feed(r, seg_dir(false, CLIENT_PORT, D + 12, PSH, "y\n\n", 3, 22 * MS));
    cr_assert_eq(sk.nmsg, 1);
    assert_msg(&sk, 0, "OPTIONS sip:y\n\n");
    cr_assert_eq(st.v[STAT_TCP_OVERFLOW], 0);
    cr_assert_eq(st.v[STAT_TCP_EVICTED], 7);
    cr_assert_eq(st.v[STAT_TCP_PARTIAL], 7, "every unfinished message dropped is counted");
    cr_assert_eq(tcpreasm_active(r), 4, "the live stream and the flood's 3 newest");
    tcpreasm_destroy(r);
}
