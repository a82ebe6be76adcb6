/* test_media.c: SDP-announced endpoints bind RTP/RTCP to calls; latching; streams end with calls. */
#include <criterion/criterion.h>
#include <string.h>

#include "../decoders/media.h"

static struct stats st;
static struct media *m;
static struct media_stream ended[16];
static int nended;

static void on_end(void *ctx, const struct media_stream *s)
{
    (void)ctx;
    if (nended < 16)
        ended[nended] = *s;
    nended++;
}

static void setup(void)
{
    struct media_config cfg;
    media_config_default(&cfg);
    cfg.max_endpoints = 64;
    cfg.max_streams = 4;
    memset(&st, 0, sizeof st);
    nended = 0;
    m = media_create(&cfg, &st, on_end, NULL);
    cr_assert_not_null(m);
}

static void teardown(void)
{
    media_destroy(m);
}

TestSuite(media, .init = setup, .fini = teardown);

static struct endpoint ep(const char *ip, uint16_t port)
{
    struct endpoint e = { .port = port };
    cr_assert(addr_parse(sv_make(ip, strlen(ip)), &e.ip));
    return e;
}

static void call_init(struct call *c, uint64_t seq, const char *id)
{
    memset(c, 0, sizeof *c);
    c->seq = seq;
    c->stream_head = c->stream_tail = POOL_NONE;
    strcpy(c->call_id, id);
}

/* Announce that `party` receives audio at ip:port (PCMA, telephone-event 101). */
static void announce(struct call *c, enum call_party party, const char *ip, uint16_t port)
{
    static struct sdp_session s;
    char body[512];
    int n = snprintf(body, sizeof body,
                     "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                     "m=audio %u RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
                     "a=rtpmap:101 telephone-event/8000\r\n",
                     ip, ip, port);
    cr_assert_eq(sdp_parse((const uint8_t *)body, (size_t)n, &s), STATUS_OK);
    media_announce(m, c, party, &s);
}

static struct rtp_hdr rtp(uint32_t ssrc, uint16_t seq, uint32_t ts)
{
    return (struct rtp_hdr){ .version = 2, .pt = 8, .seq = seq, .ts = ts, .ssrc = ssrc };
}

#define MS 1000000ULL
static const uint64_t T0 = 1700000000ULL * 1000000000ULL;

static void send_stream(struct endpoint src, struct endpoint dst, uint32_t ssrc, int n,
                        enum media_rtp_mode mode)
{
    for (int i = 0; i < n; i++) {
        struct rtp_hdr h = rtp(ssrc, (uint16_t)(100 + i), 160u * (uint32_t)i);
        cr_assert(media_rtp(m, &src, &dst, &h, T0 + (uint64_t)i * 20 * MS, mode));
    }
}

Test(media, announced_destination_binds_the_stream_to_its_call)
{
    struct call c;
    call_init(&c, 1, "call-a");
    announce(&c, CALL_PARTY_CALLER, "192.0.2.1", 16384);
    announce(&c, CALL_PARTY_CALLEE, "192.0.2.2", 20000);
    bool rtcp;
    struct endpoint a = ep("192.0.2.1", 16384), b = ep("192.0.2.2", 20000);
    cr_assert(media_is_announced(m, &a, &b, &rtcp));
    cr_assert_not(rtcp);
    send_stream(a, b, 0x1111, 50, MEDIA_RTP_ANNOUNCED);
    send_stream(b, a, 0x2222, 50, MEDIA_RTP_ANNOUNCED);
    cr_assert_eq(c.stream_count, 2);
    const struct media_stream *s = media_first_stream(m, &c);
    cr_assert_str_eq(s->call_id, "call-a");
    cr_assert_eq(s->party, CALL_PARTY_CALLER, "sent to the callee's announced port");
    cr_assert_str_eq(s->codec, "PCMA");
    cr_assert_eq(s->clock_rate, 8000);
    cr_assert_eq(s->origin, MEDIA_ORIGIN_SDP);
    cr_assert_eq(media_next_stream(m, s)->party, CALL_PARTY_CALLEE);
    struct rtpstream_figures f;
    rtpstream_figures(&s->stats, &f);
    cr_assert_eq(f.packets, 50);
    media_call_end(m, &c);
    cr_assert_eq(nended, 2, "a call's streams end with it");
    cr_assert_eq(media_active_streams(m), 0);
    cr_assert_not(media_is_announced(m, &a, &b, &rtcp), "its endpoints are forgotten");
}

Test(media, rtcp_port_plus_one_is_announced_too)
{
    struct call c;
    call_init(&c, 1, "call-r");
    announce(&c, CALL_PARTY_CALLEE, "192.0.2.2", 20000);
    bool rtcp = false;
    struct endpoint a = ep("192.0.2.1", 16385), b = ep("192.0.2.2", 20001);
    cr_assert(media_is_announced(m, &a, &b, &rtcp));
    cr_assert(rtcp);
}

Test(media, latching_binds_when_a_nat_rewrote_the_address)
{
    /* The caller announced 10.0.0.5:4000 (private); its RTP arrives from the NAT's public
     * address with the same port, towards the callee's announced address. */
    struct call c;
    call_init(&c, 7, "call-nat");
    announce(&c, CALL_PARTY_CALLER, "10.0.0.5", 4000);
    announce(&c, CALL_PARTY_CALLEE, "198.51.100.20", 30000);
    struct endpoint pub = ep("203.0.113.9", 4000), callee = ep("198.51.100.20", 31000);
    bool rtcp;
    cr_assert(media_is_announced(m, &pub, &callee, &rtcp));
    send_stream(pub, callee, 0x3333, 10, MEDIA_RTP_ANNOUNCED);
    const struct media_stream *s = media_first_stream(m, &c);
    cr_assert_not_null(s);
    cr_assert_eq(s->origin, MEDIA_ORIGIN_LATCHED);
    cr_assert_eq(s->party, CALL_PARTY_CALLER);
}

Test(media, unannounced_rtp_has_no_call_and_ends_when_idle)
{
    struct endpoint a = ep("192.0.2.7", 7000), b = ep("192.0.2.8", 8000);
    struct rtp_hdr h = rtp(0x4444, 1, 0);
    cr_assert_not(media_rtp(m, &a, &b, &h, T0, MEDIA_RTP_EXISTING), "not followed yet");
    send_stream(a, b, 0x4444, 5, MEDIA_RTP_CLASSIFIED);
    cr_assert_eq(media_active_streams(m), 1);
    media_tick(m, T0 + 30ULL * 1000 * MS);
    cr_assert_eq(nended, 0);
    media_tick(m, T0 + 120ULL * 1000 * MS);
    cr_assert_eq(nended, 1, "idle past the timeout");
    cr_assert_str_eq(ended[0].call_id, "");
    cr_assert_eq(ended[0].origin, MEDIA_ORIGIN_HEURISTIC);
}

Test(media, ssrc_change_starts_a_new_stream)
{
    struct call c;
    call_init(&c, 1, "call-s");
    announce(&c, CALL_PARTY_CALLEE, "192.0.2.2", 20000);
    struct endpoint a = ep("192.0.2.1", 16384), b = ep("192.0.2.2", 20000);
    send_stream(a, b, 0xAAAA, 5, MEDIA_RTP_ANNOUNCED);
    send_stream(a, b, 0xBBBB, 5, MEDIA_RTP_ANNOUNCED);
    cr_assert_eq(c.stream_count, 2);
}

Test(media, full_table_evicts_the_idlest_stream_and_counts_it)
{
    for (uint32_t i = 0; i < 6; i++) {
        struct endpoint a = ep("192.0.2.7", (uint16_t)(7000 + i)), b = ep("192.0.2.8", 8000);
        struct rtp_hdr h = rtp(i, 1, 0);
        cr_assert(media_rtp(m, &a, &b, &h, T0 + i * MS, MEDIA_RTP_CLASSIFIED));
    }
    cr_assert_eq(media_active_streams(m), 4);
    cr_assert_eq(st.v[STAT_STREAMS_EVICTED], 2);
    cr_assert_eq(nended, 2, "evicted streams are still reported");
}

Test(media, receiver_report_lands_on_the_stream_it_describes)
{
    struct call c;
    call_init(&c, 1, "call-rr");
    announce(&c, CALL_PARTY_CALLER, "192.0.2.1", 16384);
    announce(&c, CALL_PARTY_CALLEE, "192.0.2.2", 20000);
    struct endpoint a = ep("192.0.2.1", 16384), b = ep("192.0.2.2", 20000);
    send_stream(a, b, 0x1A2B, 20, MEDIA_RTP_ANNOUNCED);
    /* RR from the callee (port+1) about SSRC 0x1A2B: 7/256 lost, cumulative 7, jitter 80 ts */
    static const uint8_t rr[] = {
        0x81, 201, 0x00, 0x07, 0x2B, 0x3C, 0x00, 0x3C, /* V=2 RC=1 RR len 7, sender SSRC */
        0x00, 0x00, 0x1A, 0x2B, 0x07, 0x00, 0x00, 0x07, /* about SSRC, fraction 7, cum 7 */
        0x00, 0x00, 0x05, 0x1F, 0x00, 0x00, 0x00, 0x50, /* ext highest seq 1311, jitter 80 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* LSR 0, DLSR 0 */
    };
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(rr, sizeof rr, &r), STATUS_OK);
    struct endpoint b1 = ep("192.0.2.2", 20001), a1 = ep("192.0.2.1", 16385);
    media_rtcp(m, &b1, &a1, &r, T0 + 5000 * MS);
    const struct media_stream *s = media_first_stream(m, &c);
    cr_assert_eq(s->rtcp.reports, 1);
    cr_assert_eq(s->rtcp.fraction_lost, 7);
    cr_assert_eq(s->rtcp.cumulative_lost, 7);
    cr_assert_float_eq(s->rtcp.jitter_ms, 10.0, 1e-9, "80 units at 8 kHz");
    cr_assert(s->rtcp.rtt_ms < 0, "LSR 0: no round trip");
}
