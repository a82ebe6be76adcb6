/* test_media.c: SDP-announced endpoints bind RTP/RTCP to calls; latching; streams end with calls */
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

/* Replace setup's table by one of these sizes. */
static void table_of(uint32_t endpoints, uint32_t streams)
{
    media_destroy(m);
    struct media_config cfg;
    media_config_default(&cfg);
    cfg.max_endpoints = endpoints;
    cfg.max_streams = streams;
    m = media_create(&cfg, &st, on_end, NULL);
    cr_assert_not_null(m);
}

static struct endpoint ep(const char *ip, uint16_t port)
{
    struct endpoint e = {.port = port};
    cr_assert(addr_parse(sv_make(ip, strlen(ip)), &e.ip));
    return e;
}

#define MS 1000000ULL
static const uint64_t T0 = 1700000000ULL * 1000000000ULL;

/* A call whose newest SIP message is at T0, where the tests' RTP starts. */
static void call_init(struct call *c, uint64_t seq, const char *id)
{
    memset(c, 0, sizeof *c);
    call_str_init(c);
    c->seq = seq;
    c->stream_head = c->stream_tail = POOL_NONE;
    c->media_ep_head = POOL_NONE;
    c->call_id = id;
    c->last_ns = T0;
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

/* Call 1: the caller receives at 192.0.2.1:16384, the callee at 192.0.2.2:20000. */
static void two_party_call(struct call *c, const char *id)
{
    call_init(c, 1, id);
    announce(c, CALL_PARTY_CALLER, "192.0.2.1", 16384);
    announce(c, CALL_PARTY_CALLEE, "192.0.2.2", 20000);
}

static struct rtp_hdr rtp(uint32_t ssrc, uint16_t seq, uint32_t ts)
{
    return (struct rtp_hdr){.version = 2, .pt = 8, .seq = seq, .ts = ts, .ssrc = ssrc};
}

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
    two_party_call(&c, "call-a");
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

Test(media, latching_weighs_only_the_newest_sixty_four_announcements_of_a_port)
{
    /* 70 calls' callers all announce port 4000 (each its own private address): RTP from a NAT's
     * public address keeps the port. Only the newest 64 announcements of 4000 are weighed, so a
     * packet that matches nothing exactly does not walk every phone using that port. */
    table_of(512, 16);
    static struct call c[70];
    char ip[32];
    for (int k = 0; k < 70; k++) {
        call_init(&c[k], (uint64_t)k + 1, "call-l");
        snprintf(ip, sizeof ip, "10.0.%d.5", k);
        announce(&c[k], CALL_PARTY_CALLER, ip, 4000);
        snprintf(ip, sizeof ip, "198.51.100.%d", k + 1);
        announce(&c[k], CALL_PARTY_CALLEE, ip, 30000);
    }
    bool rtcp;
    struct endpoint pub = ep("203.0.113.9", 4000);
    struct endpoint to_6 = ep("198.51.100.7", 31000), to_5 = ep("198.51.100.6", 31000);
    cr_assert(media_is_announced(m, &pub, &to_6, &rtcp), "call 7: the oldest of the newest 64");
    cr_assert_not(media_is_announced(m, &pub, &to_5, &rtcp), "call 6: 65th newest on port 4000");
    send_stream(pub, to_6, 0x4006, 3, MEDIA_RTP_ANNOUNCED);
    const struct media_stream *s = media_first_stream(m, &c[6]);
    cr_assert_not_null(s);
    cr_assert_eq(s->origin, MEDIA_ORIGIN_LATCHED);
    cr_assert_eq(c[5].stream_count, 0);
    for (int k = 0; k < 70; k++)
        media_call_end(m, &c[k]);
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

/* An RR from the callee at 192.0.2.2:20001 to 192.0.2.1:16385 about SSRC 0x1A2B: 7/256 lost,
 * cumulative 7, jitter 80 timestamp units. */
static void report_about_1a2b(void)
{
    static const uint8_t rr[] = {
        0x81, 201,  0x00, 0x07, 0x2B, 0x3C, 0x00, 0x3C, /* V=2 RC=1 RR len 7, sender SSRC */
        0x00, 0x00, 0x1A, 0x2B, 0x07, 0x00, 0x00, 0x07, /* about SSRC, fraction 7, cum 7 */
        0x00, 0x00, 0x05, 0x1F, 0x00, 0x00, 0x00, 0x50, /* ext highest seq 1311, jitter 80 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* LSR 0, DLSR 0 */
    };
    struct rtcp_compound r;
    cr_assert_eq(rtcp_parse(rr, sizeof rr, &r), STATUS_OK);
    struct endpoint b1 = ep("192.0.2.2", 20001), a1 = ep("192.0.2.1", 16385);
    media_rtcp(m, &b1, &a1, &r, T0 + 5000 * MS);
}

Test(media, receiver_report_lands_on_the_stream_it_describes)
{
    struct call c;
    two_party_call(&c, "call-rr");
    struct endpoint a = ep("192.0.2.1", 16384), b = ep("192.0.2.2", 20000);
    send_stream(a, b, 0x1A2B, 20, MEDIA_RTP_ANNOUNCED);
    report_about_1a2b();
    const struct media_stream *s = media_first_stream(m, &c);
    cr_assert_eq(s->rtcp->reports, 1);
    cr_assert_eq(s->rtcp->fraction_lost, 7);
    cr_assert_eq(s->rtcp->cumulative_lost, 7);
    cr_assert_float_eq(s->rtcp->jitter_ms, 10.0, 1e-9, "80 units at 8 kHz");
    cr_assert(s->rtcp->rtt_ms < 0, "LSR 0: no round trip");
}

/* A table big enough for the per-call cap to be what binds (setup's holds 4 streams). */
static void bigger_table(void)
{
    table_of(64, 256);
}

static const struct media_stream *stream_of(const struct call *c, uint32_t ssrc)
{
    for (const struct media_stream *s = media_first_stream(m, c); s; s = media_next_stream(m, s))
        if (s->ssrc == ssrc)
            return s;
    return NULL;
}

/* The flood tests' symptom (tests/flood): RTP injected towards a call's announced port from ever
 * new sources and SSRCs became new streams of the call without bound, so its CDR outgrew the
 * output line (16 KiB) and was skipped: the call was lost. A call now keeps
 * MEDIA_MAX_STREAMS_PER_CALL streams, and its own (both ends announced) are kept first. */
Test(media, rtp_injected_at_a_calls_port_cannot_grow_it_or_push_out_its_own_streams)
{
    bigger_table();
    struct call c;
    two_party_call(&c, "call-i");
    struct endpoint a = ep("192.0.2.1", 16384), b = ep("192.0.2.2", 20000);
    for (uint32_t i = 0; i < 50; i++) {
        uint64_t t = T0 + i * 20 * MS;
        struct rtp_hdr h = rtp(0x1111, (uint16_t)(100 + i), 160 * i);
        cr_assert(media_rtp(m, &a, &b, &h, t, MEDIA_RTP_ANNOUNCED));
        h = rtp(0x2222, (uint16_t)(500 + i), 160 * i);
        cr_assert(media_rtp(m, &b, &a, &h, t + 1 * MS, MEDIA_RTP_ANNOUNCED));
        for (uint32_t j = 0; j < 10; j++) { /* ten injected packets between two of the call's */
            char ip[32];
            snprintf(ip, sizeof ip, "198.51.100.%u", 1 + j);
            struct endpoint x = ep(ip, (uint16_t)(4000 + 10 * i + j));
            h = rtp(0x90000 + 10 * i + j, 1, 0);
            cr_assert(media_rtp(m, &x, &a, &h, t + (2 + j) * MS, MEDIA_RTP_ANNOUNCED));
        }
    }
    cr_assert_eq(c.stream_count, MEDIA_MAX_STREAMS_PER_CALL);
    cr_assert_eq(st.v[STAT_STREAMS_EVICTED], 500 - (MEDIA_MAX_STREAMS_PER_CALL - 2),
                 "each injected stream past the cap pushed out an older injected one");
    struct rtpstream_figures f;
    const struct media_stream *s = stream_of(&c, 0x1111);
    cr_assert_not_null(s, "the call's own stream survived");
    rtpstream_figures(&s->stats, &f);
    cr_assert_eq(f.packets, 50, "whole");
    s = stream_of(&c, 0x2222);
    cr_assert_not_null(s);
    rtpstream_figures(&s->stats, &f);
    cr_assert_eq(f.packets, 50);
}

Test(media, a_call_full_of_its_own_streams_refuses_an_injected_one)
{
    bigger_table();
    struct call c;
    two_party_call(&c, "call-f");
    struct endpoint a = ep("192.0.2.1", 16384), b = ep("192.0.2.2", 20000);
    for (uint32_t k = 0; k < MEDIA_MAX_STREAMS_PER_CALL; k++) /* SSRC changes: k + 2 packets each */
        send_stream(a, b, 0x100 + k, (int)k + 2, MEDIA_RTP_ANNOUNCED);
    cr_assert_eq(c.stream_count, MEDIA_MAX_STREAMS_PER_CALL);
    struct endpoint x = ep("198.51.100.9", 5000);
    struct rtp_hdr h = rtp(0xBAD, 1, 0);
    cr_assert(media_rtp(m, &x, &a, &h, T0 + 1000 * MS, MEDIA_RTP_ANNOUNCED), "followed...");
    cr_assert_eq(c.stream_count, MEDIA_MAX_STREAMS_PER_CALL, "...but not as the call's");
    cr_assert_null(stream_of(&c, 0xBAD));
    cr_assert_eq(st.v[STAT_STREAMS_EVICTED], 0);
    /* one more of the call's own: the one with the fewest packets (0x100, 2) makes room */
    h = rtp(0x777, 1, 0);
    cr_assert(media_rtp(m, &a, &b, &h, T0 + 1001 * MS, MEDIA_RTP_ANNOUNCED));
    cr_assert_eq(c.stream_count, MEDIA_MAX_STREAMS_PER_CALL);
    cr_assert_eq(st.v[STAT_STREAMS_EVICTED], 1);
    cr_assert_null(stream_of(&c, 0x100));
    cr_assert_not_null(stream_of(&c, 0x777));
    cr_assert_eq(nended, 1, "the stream pushed out is still reported");
    cr_assert_eq(ended[0].ssrc, 0x100);
}

/* Stream keys hash whole words: IPv6 ends differing in one byte (first or last) are two streams. */
Test(media, ipv6_streams_differing_in_one_address_byte_are_two)
{
    struct endpoint a = ep("2001:db8::1", 16384), b = ep("2001:db8::2", 20000);
    struct endpoint a_last = ep("2001:db8::101", 16384), a_first = ep("3001:db8::1", 16384);
    send_stream(a, b, 0x5555, 3, MEDIA_RTP_CLASSIFIED);
    send_stream(a_last, b, 0x5555, 4, MEDIA_RTP_CLASSIFIED);
    send_stream(a_first, b, 0x5555, 5, MEDIA_RTP_CLASSIFIED);
    cr_assert_eq(media_active_streams(m), 3);
    struct rtp_hdr h = rtp(0x5555, 200, 0);
    cr_assert(media_rtp(m, &a_last, &b, &h, T0 + 1000 * MS, MEDIA_RTP_EXISTING), "found again");
    media_flush(m);
    cr_assert_eq(nended, 3);
    uint32_t packets[3] = {0};
    for (int i = 0; i < 3; i++) {
        struct rtpstream_figures f;
        rtpstream_figures(&ended[i].stats, &f);
        packets[i] = f.packets;
    }
    cr_assert_eq(packets[0] + packets[1] + packets[2], 13);
    cr_assert(packets[0] == 3 || packets[1] == 3 || packets[2] == 3);
    cr_assert(packets[0] == 5 || packets[1] == 5 || packets[2] == 5, "the first-byte variant");
}

/*
 * The stream index starts with few buckets and doubles as streams come
 * (stream_index_grow): thousands of streams, each created, found again after
 * every doubling, some finished between doublings, then all flushed.
 */
Test(media, stream_index_grows_and_finds_every_stream)
{
    struct media_config cfg;
    media_config_default(&cfg);
    cfg.max_endpoints = 64;
    cfg.max_streams = 8192;
    struct stats st2 = {0};
    struct media *big = media_create(&cfg, &st2, on_end, NULL);
    cr_assert_not_null(big);
    struct endpoint dst = ep("192.0.2.9", 9000);
    enum { N = 6000 };
    for (uint32_t i = 0; i < N; i++) {
        struct endpoint src = ep(i & 1 ? "192.0.2.10" : "2001:db8::10", (uint16_t)(1024 + i));
        struct rtp_hdr h = rtp(i, 1, 0);
        cr_assert(media_rtp(big, &src, &dst, &h, T0 + i * MS, MEDIA_RTP_CLASSIFIED));
        if (i % 1000 == 999) {
            for (uint32_t k = 0; k <= i; k++) {
                struct endpoint s2 =
                    ep(k & 1 ? "192.0.2.10" : "2001:db8::10", (uint16_t)(1024 + k));
                struct rtp_hdr h2 = rtp(k, 2, 160);
                cr_assert(media_rtp(big, &s2, &dst, &h2, T0 + i * MS, MEDIA_RTP_EXISTING),
                          "stream %u lost after %u created", k, i + 1);
            }
        }
    }
    cr_assert_eq(media_active_streams(big), N);
    nended = 0;
    media_tick(big, T0 + (N + 61000) * MS); /* idle past the 60 s timeout: all finish */
    cr_assert_eq(nended, N);
    cr_assert_eq(media_active_streams(big), 0);
    struct endpoint src = ep("192.0.2.10", 1025);
    struct rtp_hdr h = rtp(1, 3, 320);
    cr_assert_not(media_rtp(big, &src, &dst, &h, T0, MEDIA_RTP_EXISTING), "finished: unlinked");
    media_destroy(big);
}

/* Calls 1 and 2 both announce the caller at 192.0.2.1:caller_port, the callee at
 * 192.0.2.2:callee_port. */
static void calls_sharing_ports(struct call *c1, struct call *c2, uint16_t caller_port,
                                uint16_t callee_port)
{
    call_init(c1, 1, "call-1");
    call_init(c2, 2, "call-2");
    struct call *calls[2] = {c1, c2};
    for (int k = 0; k < 2; k++) {
        announce(calls[k], CALL_PARTY_CALLER, "192.0.2.1", caller_port);
        announce(calls[k], CALL_PARTY_CALLEE, "192.0.2.2", callee_port);
    }
}

/*
 * sipp gives every call the same RTP addresses (tests/soak): calls set up
 * close together announce the same two endpoints before the first of them
 * sends any media. A new stream goes to the oldest live call still waiting
 * for one in its direction, so each call gets its own two, in the order the
 * calls were set up. Once every call has its streams, a new SSRC goes to the
 * newest announcement, as for port reuse.
 */
Test(media, calls_announcing_the_same_ports_get_new_streams_in_set_up_order)
{
    bigger_table();
    struct call c1, c2;
    calls_sharing_ports(&c1, &c2, 6000, 16000);
    struct endpoint a = ep("192.0.2.1", 6000), b = ep("192.0.2.2", 16000);
    send_stream(a, b, 0x1001, 5, MEDIA_RTP_ANNOUNCED); /* call 1's media starts first */
    send_stream(b, a, 0x2001, 5, MEDIA_RTP_ANNOUNCED);
    send_stream(a, b, 0x1002, 5, MEDIA_RTP_ANNOUNCED);
    send_stream(b, a, 0x2002, 5, MEDIA_RTP_ANNOUNCED);
    cr_assert_eq(c1.stream_count, 2);
    cr_assert_eq(c2.stream_count, 2);
    cr_assert_not_null(stream_of(&c1, 0x1001));
    cr_assert_not_null(stream_of(&c1, 0x2001));
    cr_assert_not_null(stream_of(&c2, 0x1002));
    cr_assert_not_null(stream_of(&c2, 0x2002));
    cr_assert_eq(stream_of(&c1, 0x2001)->party, CALL_PARTY_CALLEE);
    send_stream(a, b, 0x1003, 5, MEDIA_RTP_ANNOUNCED);
    cr_assert_not_null(stream_of(&c2, 0x1003), "no call waits: the newest announcement");
    cr_assert_eq(c1.stream_count, 2);
    media_call_end(m, &c1);
    cr_assert_eq(c2.stream_count, 3, "ending one call leaves the other's streams");
    media_call_end(m, &c2);
    cr_assert_eq(nended, 5);
}

/* Port reuse: a call that ended (lingering for retransmissions) waits for no media. */
Test(media, a_reused_port_binds_new_streams_to_the_live_call_not_the_ended_one)
{
    bigger_table();
    struct call c1, c2;
    call_init(&c1, 1, "call-old");
    call_init(&c2, 2, "call-new");
    announce(&c1, CALL_PARTY_CALLEE, "192.0.2.2", 16000);
    c1.ended = true;
    announce(&c2, CALL_PARTY_CALLEE, "192.0.2.2", 16000);
    struct endpoint a = ep("192.0.2.1", 6000), b = ep("192.0.2.2", 16000);
    send_stream(a, b, 0x3001, 5, MEDIA_RTP_ANNOUNCED);
    cr_assert_eq(c1.stream_count, 0);
    cr_assert_not_null(stream_of(&c2, 0x3001));
}

/*
 * A call whose BYE the mirror lost never ends by SIP. Had it no media at a
 * port (one-way audio) that a new call now reuses, it would look like the
 * call waiting for the new stream. A call silent for over 30 s is not
 * waiting: the stream goes to the new call. A quiet 20 s still waits.
 */
Test(media, a_call_silent_for_long_does_not_take_a_new_stream_on_a_reused_port)
{
    bigger_table();
    struct call c1, c2, c3, c4;
    call_init(&c1, 1, "call-lost-bye");
    call_init(&c2, 2, "call-new");
    c1.last_ns = T0 - 31000 * MS;
    announce(&c1, CALL_PARTY_CALLEE, "192.0.2.2", 16000);
    announce(&c2, CALL_PARTY_CALLEE, "192.0.2.2", 16000);
    struct endpoint a = ep("192.0.2.1", 6000), b = ep("192.0.2.2", 16000);
    send_stream(a, b, 0x5001, 5, MEDIA_RTP_ANNOUNCED);
    cr_assert_eq(c1.stream_count, 0);
    cr_assert_not_null(stream_of(&c2, 0x5001));

    call_init(&c3, 3, "call-quiet");
    call_init(&c4, 4, "call-next");
    c3.last_ns = T0 - 20000 * MS;
    struct endpoint c = ep("192.0.2.3", 6000), d = ep("192.0.2.4", 16000);
    announce(&c3, CALL_PARTY_CALLEE, "192.0.2.4", 16000);
    announce(&c4, CALL_PARTY_CALLEE, "192.0.2.4", 16000);
    send_stream(c, d, 0x5002, 5, MEDIA_RTP_ANNOUNCED);
    cr_assert_not_null(stream_of(&c3, 0x5002), "20 s without SIP: still waiting");
    media_call_end(m, &c1);
    media_call_end(m, &c2);
    media_call_end(m, &c3);
    media_call_end(m, &c4);
}

/*
 * Port reuse while the older call still streams: its stream is evicted when
 * the table is full. It must leave its own call's chain (found by the call's
 * number, not by which call announced the port last); a chain that kept it
 * would point at a freed record, soon another stream's.
 */
Test(media, evicting_a_stream_of_an_older_call_on_a_reused_port_unlinks_it_from_that_call)
{
    struct call c1, c2;
    call_init(&c1, 1, "call-1");
    call_init(&c2, 2, "call-2");
    announce(&c1, CALL_PARTY_CALLEE, "192.0.2.2", 16000);
    struct endpoint a = ep("192.0.2.1", 6000), b = ep("192.0.2.2", 16000);
    send_stream(a, b, 0x4001, 1, MEDIA_RTP_ANNOUNCED); /* call 1's: one packet, the idlest */
    announce(&c2, CALL_PARTY_CALLEE, "192.0.2.2", 16000);
    send_stream(a, b, 0x4002, 5, MEDIA_RTP_ANNOUNCED);
    cr_assert_eq(c1.stream_count, 1);
    cr_assert_eq(c2.stream_count, 1);
    for (uint32_t i = 0; i < 3; i++) { /* the table (4) fills, then the idlest goes */
        struct rtp_hdr h = rtp(0x5000 + i, 1, 0);
        cr_assert(media_rtp(m, &a, &b, &h, T0 + (200 + i) * MS, MEDIA_RTP_ANNOUNCED));
    }
    cr_assert_eq(st.v[STAT_STREAMS_EVICTED], 1);
    cr_assert_eq(nended, 1);
    cr_assert_eq(ended[0].ssrc, 0x4001);
    cr_assert_null(stream_of(&c1, 0x4001), "gone from its call");
    const struct call *calls[2] = {&c1, &c2};
    for (int k = 0; k < 2; k++) {
        uint32_t n = 0;
        for (const struct media_stream *s = media_first_stream(m, calls[k]); s;
             s = media_next_stream(m, s), n++)
            cr_assert_eq(s->call_seq, calls[k]->seq, "call %d holds only its own streams", k + 1);
        cr_assert_eq(n, calls[k]->stream_count);
    }
    media_call_end(m, &c1);
    media_call_end(m, &c2);
    cr_assert_eq(nended, 5, "the evicted one and the four left, each once");
}

/* RTCP to ports two live calls announced lands on the stream it names, whichever call has it. */
Test(media, a_report_on_shared_ports_lands_on_the_older_calls_stream)
{
    bigger_table();
    struct call c1, c2;
    calls_sharing_ports(&c1, &c2, 16384, 20000);
    struct endpoint a = ep("192.0.2.1", 16384), b = ep("192.0.2.2", 20000);
    send_stream(a, b, 0x1A2B, 20, MEDIA_RTP_ANNOUNCED); /* call 1's */
    send_stream(a, b, 0x3C4D, 20, MEDIA_RTP_ANNOUNCED); /* call 2's */
    cr_assert_not_null(stream_of(&c1, 0x1A2B));
    report_about_1a2b();
    cr_assert_eq(stream_of(&c1, 0x1A2B)->rtcp->reports, 1);
    cr_assert_eq(stream_of(&c1, 0x1A2B)->rtcp->cumulative_lost, 7);
    cr_assert_eq(stream_of(&c2, 0x3C4D)->rtcp->reports, 0);
}

/*
 * A stream that starts with comfort noise and then carries a dynamic payload
 * type takes that type's clock from its own call's rtpmap, even when a newer
 * call announced the same port with another rate for it.
 */
Test(media, a_dynamic_payload_type_met_later_takes_the_clock_of_its_own_calls_rtpmap)
{
    bigger_table();
    struct call c1, c2;
    call_init(&c1, 1, "call-1");
    call_init(&c2, 2, "call-2");
    static struct sdp_session s;
    static const char *bodies[2] = {
        "v=0\r\no=- 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"
        "m=audio 20000 RTP/AVP 96 13\r\na=rtpmap:96 opus/48000/2\r\n",
        "v=0\r\no=- 2 2 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"
        "m=audio 20000 RTP/AVP 96 13\r\na=rtpmap:96 AMR-WB/16000\r\n",
    };
    struct call *calls[2] = {&c1, &c2};
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(sdp_parse((const uint8_t *)bodies[k], strlen(bodies[k]), &s), STATUS_OK);
        media_announce(m, calls[k], CALL_PARTY_CALLEE, &s);
    }
    struct endpoint a = ep("192.0.2.1", 16384), b = ep("192.0.2.2", 20000);
    struct rtp_hdr h = rtp(0x77, 1, 0);
    h.pt = 13;
    cr_assert(media_rtp(m, &a, &b, &h, T0, MEDIA_RTP_ANNOUNCED));
    const struct media_stream *st1 = stream_of(&c1, 0x77);
    cr_assert_not_null(st1, "call 1 waited for it");
    h = rtp(0x77, 2, 160);
    h.pt = 96;
    cr_assert(media_rtp(m, &a, &b, &h, T0 + 20 * MS, MEDIA_RTP_ANNOUNCED));
    cr_assert_eq(st1->stats.pt, 96);
    cr_assert_eq(st1->stats.clock_rate, 48000, "call 1's rtpmap, not call 2's 16000");
}

/* INVITEs that all announce one address: a new stream weighs only the newest 16 of them, so its
 * first packet does not walk every call (the oldest waiting of those 16 takes it). */
Test(media, a_new_stream_weighs_only_the_newest_sixteen_announcements_of_its_port)
{
    bigger_table();
    static struct call c[20];
    for (uint64_t k = 0; k < 20; k++) {
        call_init(&c[k], k + 1, "call-n");
        announce(&c[k], CALL_PARTY_CALLEE, "192.0.2.2", 16000);
    }
    struct endpoint a = ep("192.0.2.1", 6000), b = ep("192.0.2.2", 16000);
    send_stream(a, b, 0x6001, 2, MEDIA_RTP_ANNOUNCED);
    cr_assert_eq(c[0].stream_count, 0);
    cr_assert_not_null(stream_of(&c[4], 0x6001), "call 5: the oldest of the newest 16");
    for (int k = 0; k < 20; k++)
        media_call_end(m, &c[k]);
}
