/* test_rtpstream.c: RTP stream figures vs hand-worked values and tshark 4.0.17 (RFC 3550). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../decoders/rtpstream.h"

/*
 * Each scenario is a list of packets (sequence number, RTP timestamp,
 * payload type, marker, arrival in ms). The expected Wireshark figures are
 * worked out by hand in the comments; every scenario was also written to a
 * pcap and run through `tshark -d udp.port==40000,rtp -q -z rtp,streams`
 * (tshark 4.0.17, Debian 12), whose printed figures are quoted as "tshark:".
 * G.711 at 20 ms: 160 timestamp units per packet, clock 8000.
 */

#define SSRC 0x11223344u
#define T0_NS 1700000000000000000ull
#define EPS 1e-9

static const uint8_t filler[160];

static struct rtp_hdr hdr(uint16_t seq, uint32_t ts, uint8_t pt, bool marker)
{
    struct rtp_hdr h;
    memset(&h, 0, sizeof h);
    h.version = 2;
    h.seq = seq;
    h.ts = ts;
    h.pt = pt;
    h.marker = marker;
    h.ssrc = SSRC;
    h.header_len = 12;
    h.payload = filler;
    h.payload_len = sizeof filler;
    return h;
}

static uint64_t at(double ms)
{
    return T0_NS + (uint64_t)llround(ms * 1e6);
}

static unsigned feed(struct rtpstream *s, uint16_t seq, uint32_t ts, uint8_t pt, bool m, double ms)
{
    struct rtp_hdr h = hdr(seq, ts, pt, m);
    return rtpstream_update(s, &h, at(ms), RTPSTREAM_NO_EVENT_PT);
}

/* RFC 4733 §2.3 payload: event, E|R|volume, duration. */
static unsigned feed_event(struct rtpstream *s, uint16_t seq, uint32_t ts, bool m, uint8_t event,
                           bool end, uint16_t duration, double ms, uint32_t event_pt)
{
    uint8_t p[4] = {event, (uint8_t)((end ? 0x80 : 0) | 10), (uint8_t)(duration >> 8),
                    (uint8_t)duration};
    struct rtp_hdr h = hdr(seq, ts, (uint8_t)event_pt, m);
    h.payload = p;
    h.payload_len = sizeof p;
    return rtpstream_update(s, &h, at(ms), event_pt);
}

static struct rtpstream_figures figures(const struct rtpstream *s)
{
    struct rtpstream_figures f;
    rtpstream_figures(s, &f);
    return f;
}

Test(rtpstream, record_fits_the_budget)
{
    cr_assert_leq(sizeof(struct rtpstream), RTPSTREAM_RECORD_MAX);
}

Test(rtpstream, empty_stream)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.packets, 0);
    cr_assert_eq(f.expected, 0);
    cr_assert_eq(f.lost, 0);
    cr_assert_eq(f.min_jitter_ms, -1);
    cr_assert(!f.jitter_valid);
    cr_assert(!f.window_valid);
}

/* 50 packets exactly 20 ms and 160 units apart: nothing to see. */
Test(rtpstream, clean_stream_has_no_jitter)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(
            feed(&s, (uint16_t)(1000 + i), 5000u + 160u * (uint32_t)i, 0, i == 0, 20.0 * i),
            RTPSTREAM_EV_NONE);
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.packets, 50);
    cr_assert_eq(f.expected, 50);
    cr_assert_eq(f.lost, 0);
    cr_assert_float_eq(f.lost_pct, 0, EPS);
    cr_assert_eq(f.seq_errors, 0);
    cr_assert(!f.problem);
    cr_assert_float_eq(f.min_delta_ms, 20, EPS);
    cr_assert_float_eq(f.mean_delta_ms, 20, EPS);
    cr_assert_float_eq(f.max_delta_ms, 20, EPS);
    cr_assert(f.jitter_valid);
    cr_assert_float_eq(f.min_jitter_ms, 0, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, 0, EPS);
    cr_assert_float_eq(f.max_jitter_ms, 0, EPS);
    cr_assert_eq(f.clock_rate, 8000);
    cr_assert_eq(f.first_ns, at(0));
    cr_assert_eq(f.last_ns, at(980));
    cr_assert_eq(f.expected_unique, 50);
    cr_assert_eq(f.lost_unique, 0);
    cr_assert_eq(f.duplicates, 0);
    cr_assert_eq(f.out_of_order, 0);
    cr_assert_float_eq(f.burst_ratio, 0, EPS);
    cr_assert_eq(f.rfc3550_jitter, 0);
    cr_assert(f.window_valid);
    cr_assert_eq(f.window_start_ns, at(0));
    cr_assert_float_eq(f.window_loss_pct, 0, EPS);
}

/*
 * Arrival offsets 0, +5, 0, +5 ... ms: every transit difference |D| is 5 ms,
 * so after k differences J_k = 5 * (1 - (15/16)^k). 11 packets give k = 10:
 * J_10 = 2.377698, the maximum (J only grows); the minimum is J_1 = 5/16.
 * All packets are regular, so the mean is the plain mean of J_1..J_10:
 * (50 - 5 * sum (15/16)^k) / 10 = 5 - 7.5 * (1 - (15/16)^10) = 1.433454.
 * Deltas alternate 25 and 15 ms (mean 20). RFC 3550 A.8 in integers: D is
 * 40 units each time, J16 += 40 - ((J16 + 8) >> 4) ten times gives 303,
 * reported 303 >> 4 = 18.
 */
Test(rtpstream, alternating_5ms_offsets)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 0; i < 11; i++)
        feed(&s, (uint16_t)(1 + i), 160u * (uint32_t)i, 0, false, 20.0 * i + (i % 2 ? 5 : 0));
    struct rtpstream_figures f = figures(&s);
    double q10 = pow(15.0 / 16.0, 10);
    cr_assert_float_eq(f.last_jitter_ms, 5 * (1 - q10), EPS);
    cr_assert_float_eq(f.max_jitter_ms, 5 * (1 - q10), EPS);
    cr_assert_float_eq(f.min_jitter_ms, 5.0 / 16, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, 5 - 7.5 * (1 - q10), EPS);
    cr_assert_float_eq(f.max_delta_ms, 25, EPS);
    cr_assert_float_eq(f.min_delta_ms, 15, EPS);
    cr_assert_float_eq(f.mean_delta_ms, 20, EPS);
    cr_assert_eq(f.lost, 0);
    cr_assert_eq(f.rfc3550_jitter, 18);
}

/* 65526..65535 then 0..9: 20 packets across the wrap, nothing lost. */
Test(rtpstream, sequence_wrap_without_loss)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 8, 8000);
    for (int i = 0; i < 20; i++)
        feed(&s, (uint16_t)(65526 + i), 160u * (uint32_t)i, 8, false, 20.0 * i);
    struct rtpstream_figures f = figures(&s);
    /* expected = 9 + 65536 * 1 - 65526 + 1 = 20 */
    cr_assert_eq(f.expected, 20);
    cr_assert_eq(f.lost, 0);
    cr_assert_eq(f.seq_errors, 0);
    cr_assert_eq(f.expected_unique, 20);
    cr_assert_eq(f.lost_unique, 0);
    cr_assert_float_eq(f.max_jitter_ms, 0, EPS);
}

/*
 * 65530..65535, (0 lost), 1..13: 19 packets. expected = 13 + 65536 - 65530 + 1
 * = 20, lost 1 (5.0 %), one sequence error (the jump 65535 -> 1), max delta
 * 40 ms; mean delta = (17 * 20 + 40) / 18 = 21.111. tshark: 19, 1 (5.0%),
 * 20.000 / 21.111 / 40.000, jitter 0.
 */
Test(rtpstream, sequence_wrap_with_zero_lost)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 0; i < 20; i++) {
        uint16_t seq = (uint16_t)(65530 + i);
        if (seq != 0)
            feed(&s, seq, 160u * (uint32_t)i, 0, false, 20.0 * i);
    }
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.packets, 19);
    cr_assert_eq(f.expected, 20);
    cr_assert_eq(f.lost, 1);
    cr_assert_float_eq(f.lost_pct, 5.0, EPS);
    cr_assert_eq(f.seq_errors, 1);
    cr_assert_float_eq(f.max_delta_ms, 40, EPS);
    cr_assert_float_eq(f.mean_delta_ms, 380.0 / 18, EPS);
    cr_assert_eq(f.expected_unique, 20);
    cr_assert_eq(f.lost_unique, 1);
    cr_assert_eq(f.loss_bursts[0], 1);
    cr_assert_eq(f.loss_bursts[1], 0);
}

/*
 * Seq i sent at 20 (i - 1) ms, seq 4 delayed to 90 ms (after 5, at 80).
 * Arrival: 1@0 2@20 3@40 5@80 4@90 6@100 ... 10@180.
 * tshark 4.0.17 (quirk Q1) takes 4 as in time: 5: expected 40 + 40 = 80, D 0;
 * 4: expected 80 + (60 - 80) = 60, D 30, J = 30/16 = 1.875, delta 10;
 * 6: expected 90 + (100 - 60) = 130, D 30, J = (15 * 1.875 + 30)/16 = 3.6328125
 * (the maximum), delta 10; then D 0 and J decays. Max delta 40 (5 after 3).
 * Sequence errors: the jump to 5, then the late 4: 2. Lost 0.
 * tshark: 10, 0 (0.0%), 10.000 / 20.000 / 40.000, 0.000 / 1.990 / 3.633, X.
 * Honest figures: 4 fills the gap 5 opened: out of order 1, nothing lost,
 * no burst left.
 */
Test(rtpstream, one_late_packet)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    static const int order[] = {1, 2, 3, 5, 4, 6, 7, 8, 9, 10};
    for (size_t k = 0; k < 10; k++) {
        int i = order[k];
        double t = i == 4 ? 90 : 20.0 * (i - 1);
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, t);
    }
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.packets, 10);
    cr_assert_eq(f.lost, 0);
    cr_assert_eq(f.seq_errors, 2);
    cr_assert(f.problem);
    cr_assert_float_eq(f.max_jitter_ms, 3.6328125, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, 1.990, 0.0005);
    cr_assert_float_eq(f.max_delta_ms, 40, EPS);
    cr_assert_float_eq(f.min_delta_ms, 10, EPS);
    cr_assert_eq(f.out_of_order, 1);
    cr_assert_eq(f.lost_unique, 0);
    cr_assert_eq(f.duplicates, 0);
    cr_assert_eq(f.loss_bursts[0] + f.loss_bursts[1], 0);
}

/*
 * 1..10 every 20 ms, and seq 5 again 5 ms after the original (85 ms).
 * 11 packets for 10 numbers: lost -1 (-10.0 %), one sequence error.
 * Duplicate: expected 80 + 0, D 5, J 0.3125; 6@100: expected 85 + 20, D 5,
 * J = (15 * 0.3125 + 5)/16 = 0.60546875 (max). Delta 5 after the copy.
 * tshark: 11, -1 (-10.0%), 5.000 / 18.000 / 20.000, 0.000 / 0.298 / 0.605, X.
 */
Test(rtpstream, duplicate_packet)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 10; i++) {
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, 20.0 * (i - 1));
        if (i == 5)
            feed(&s, 5, 640, 0, false, 85);
    }
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.packets, 11);
    cr_assert_eq(f.expected, 10);
    cr_assert_eq(f.lost, -1);
    cr_assert_float_eq(f.lost_pct, -10.0, EPS);
    cr_assert_eq(f.seq_errors, 1);
    cr_assert_float_eq(f.min_delta_ms, 5, EPS);
    cr_assert_float_eq(f.mean_delta_ms, 18, EPS);
    cr_assert_float_eq(f.max_jitter_ms, 0.60546875, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, 0.298, 0.0005);
    cr_assert_eq(f.lost_unique, 0);
    cr_assert_eq(f.duplicates, 1);
    cr_assert_eq(f.out_of_order, 0);
}

/*
 * 1..8, 10, then 9 last (175 ms). Quirk Q8: expected uses the LAST number in
 * arrival order, 9: 9 - 1 + 1 = 9 for 10 packets, lost -1 (-11.1 %).
 * 10@160: expected 140 + 40 = 180, D 20, J 1.25; 9@175: expected
 * 160 + (160 - 180) = 140, D 35, J = (15 * 1.25 + 35)/16 = 3.359375.
 * tshark: 10, -1 (-11.1%), 15.000 / 19.444 / 20.000, 0.000 / 0.512 / 3.359, X.
 */
Test(rtpstream, late_last_packet)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 8; i++)
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, 20.0 * (i - 1));
    feed(&s, 10, 1440, 0, false, 160);
    feed(&s, 9, 1280, 0, false, 175);
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.expected, 9);
    cr_assert_eq(f.lost, -1);
    cr_assert_float_eq(f.lost_pct, -100.0 / 9, EPS);
    cr_assert_float_eq(f.max_jitter_ms, 3.359375, EPS);
    cr_assert_float_eq(f.mean_delta_ms, 19.444, 0.0005);
    cr_assert_eq(f.expected_unique, 10);
    cr_assert_eq(f.lost_unique, 0);
    cr_assert_eq(f.out_of_order, 1);
}

/* A new SSRC on the same 5-tuple is a second record (tshark lists two streams). */
Test(rtpstream, ssrc_change_is_a_second_record)
{
    struct rtpstream a, b;
    rtpstream_init(&a, 0x1A2B0040, 0, 8000);
    rtpstream_init(&b, 0x5C5C0040, 0, 8000);
    for (int i = 0; i < 5; i++)
        feed(&a, (uint16_t)(100 + i), 160u * (uint32_t)i, 0, i == 0, 20.0 * i);
    /* new random base sequence and timestamp, marker set, as rtp-ssrc-change.pcap does */
    for (int i = 0; i < 5; i++)
        feed(&b, (uint16_t)(40000 + i), 9000000u + 160u * (uint32_t)i, 0, i == 0, 100 + 20.0 * i);
    struct rtpstream_figures fa = figures(&a), fb = figures(&b);
    cr_assert_eq(fa.ssrc, 0x1A2B0040);
    cr_assert_eq(fb.ssrc, 0x5C5C0040);
    cr_assert_eq(fa.packets, 5);
    cr_assert_eq(fb.packets, 5);
    cr_assert_eq(fa.lost, 0);
    cr_assert_eq(fb.lost, 0);
    cr_assert_float_eq(fb.max_jitter_ms, 0, EPS);
    cr_assert_float_eq(fb.max_delta_ms, 20, EPS);
}

/*
 * DTX: 10 packets, a 2 s pause during which the timestamp also advances 2 s,
 * then a talk spurt with the marker set: D = 0, no jitter at all, and the
 * 2020 ms gap is on a marker packet, so it is not in max delta.
 * tshark: 13, 0, 20.000 / 20.000 / 20.000, jitter 0.000 / 0.000 / 0.000.
 */
Test(rtpstream, marker_after_silence_no_spike)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 10; i++)
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, 20.0 * (i - 1));
    for (int k = 0; k < 3; k++)
        feed(&s, (uint16_t)(11 + k), 1440u + 16000u + 160u * (uint32_t)k, 0, k == 0,
             2180 + 20.0 * k);
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.packets, 13);
    cr_assert_eq(f.lost, 0);
    cr_assert_float_eq(f.max_delta_ms, 20, EPS);
    cr_assert_float_eq(f.max_jitter_ms, 0, EPS);
    cr_assert_float_eq(f.last_jitter_ms, 0, EPS);
}

/*
 * Quirk Q3: a marker packet after a 1 s pause whose timestamp advanced only
 * one packet: D = 1000 - 20 = 980, J = 980/16 = 61.25 on the marker packet
 * (not regular: not in max), then the next packet, regular, carries
 * J = 15 * 61.25 / 16 = 57.421875 into the maximum.
 * tshark: 13, 0, 20.000 / 20.000 / 20.000, 0.000 / 9.271 / 57.422.
 */
Test(rtpstream, marker_moves_jitter_but_not_the_max)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 10; i++)
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, 20.0 * (i - 1));
    feed(&s, 11, 1600, 0, true, 1180);
    cr_assert_float_eq(figures(&s).last_jitter_ms, 61.25, EPS);
    cr_assert_float_eq(figures(&s).max_jitter_ms, 0, EPS);
    feed(&s, 12, 1760, 0, false, 1200);
    feed(&s, 13, 1920, 0, false, 1220);
    struct rtpstream_figures f = figures(&s);
    cr_assert_float_eq(f.max_jitter_ms, 57.421875, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, 9.271, 0.0005);
    cr_assert_float_eq(f.max_delta_ms, 20, EPS);
}

/*
 * The timestamp jumps 80000 units (10 s) at packet 6 with no pause and no
 * marker: D = |20 - 10020| = 10000 ms, J = 10000/16 = 625 (max).
 * tshark: 10, 0, 20.000 / 20.000 / 20.000, 0.000 / 306.448 / 625.000.
 */
Test(rtpstream, timestamp_jump_without_marker)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 10; i++)
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1) + (i >= 6 ? 80000u : 0), 0, false,
             20.0 * (i - 1));
    struct rtpstream_figures f = figures(&s);
    cr_assert_float_eq(f.max_jitter_ms, 625, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, 306.448, 0.0005);
    cr_assert_float_eq(f.max_delta_ms, 20, EPS);
    cr_assert_eq(f.lost, 0);
}

/*
 * Packet 6 is comfort noise (PT 13) arriving 5 ms late: J = 5/16 = 0.3125
 * there (CN: not regular), packet 7 follows CN (not regular) with D 5:
 * J = 0.60546875; packet 8, regular, J = 15 * 0.60546875 / 16 = 0.567627.
 * tshark: 10, 0, 20.000 / 20.000 / 20.000, 0.000 / 0.178 / 0.568.
 */
Test(rtpstream, comfort_noise_and_its_follower_are_not_regular)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 10; i++)
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), i == 6 ? 13 : 0, false,
             20.0 * (i - 1) + (i == 6 ? 5 : 0));
    struct rtpstream_figures f = figures(&s);
    cr_assert_float_eq(f.max_jitter_ms, 15 * 0.60546875 / 16, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, 0.178, 0.0005);
    cr_assert_float_eq(f.max_delta_ms, 20, EPS);
    cr_assert_float_eq(f.min_delta_ms, 20, EPS);
    cr_assert_eq(f.seq_errors, 0);
}

/*
 * RFC 4733 events with their own SSRC (as in m_dtmf_rfc2833.pcap): digits
 * 1, 5, # (events 1, 5, 11). Each: 4 packets 20 ms apart (the first with M),
 * then the end packet sent 3 times with the same sequence number and
 * timestamp, 5 us apart; events 460 ms apart. 21 packets for 15 numbers:
 * lost -6; telephone-event has no clock for Wireshark: min jitter -1.000,
 * mean and max 0; 6 sequence errors (the repeated end packets).
 */
Test(rtpstream, rfc4733_events_with_own_ssrc)
{
    struct rtpstream s;
    rtpstream_init(&s, 0x0E05384E, 101, 8000);
    static const uint8_t events[3] = {1, 5, 11};
    uint16_t seq = 7984;
    unsigned begins = 0, ends = 0;
    char digits[4] = "";
    double t = 3512.416;
    for (int e = 0; e < 3; e++) {
        uint32_t ts = 13280u + 4800u * (uint32_t)e;
        double start = t;
        for (int k = 0; k < 4; k++) {
            unsigned ev =
                feed_event(&s, seq++, ts, k == 0, events[e], false, (uint16_t)(320 * k), t, 101);
            if (ev & RTPSTREAM_EV_DTMF_BEGIN) {
                digits[begins++ % 4] = s.dtmf_last.digit;
                cr_assert_eq(s.dtmf_last.start_ns, at(start));
                cr_assert_eq(s.dtmf_last.digit, "15#"[e]);
            }
            t += 20;
        }
        for (int r = 0; r < 3; r++) {
            unsigned ev = feed_event(&s, seq, ts, false, events[e], true, 1280, t + 0.005 * r, 101);
            if (ev & RTPSTREAM_EV_DTMF_END)
                ends++;
            cr_assert(!(ev & RTPSTREAM_EV_DTMF_BEGIN));
        }
        seq++;
        t += 460;
    }
    cr_assert_eq(begins, 3);
    cr_assert_eq(ends, 3);
    cr_assert_str_eq(digits, "15#");
    cr_assert(s.dtmf_last.ended);
    cr_assert_eq(s.dtmf_last.duration, 1280);
    cr_assert_eq(s.dtmf_last.volume, 10);
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.packets, 21);
    cr_assert_eq(f.expected, 15);
    cr_assert_eq(f.lost, -6);
    cr_assert_eq(f.seq_errors, 6);
    cr_assert(!f.jitter_valid);
    cr_assert_eq(f.min_jitter_ms, -1);
    cr_assert_float_eq(f.max_jitter_ms, 0, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, 0, EPS);
    cr_assert_float_eq(f.min_delta_ms, 0.005, 1e-6);
    cr_assert_float_eq(f.max_delta_ms, 20, 1e-6);
    cr_assert_eq(f.duplicates, 6);
    cr_assert_eq(f.lost_unique, 0);
}

/*
 * Quirk Q5: an RFC 4733 event inside the audio stream (same SSRC). Audio
 * 1..5 (ts 160 (i-1), every 20 ms), events 6, 7, 8 (ts 800) at 100, 120,
 * 140 ms, audio 9 at 160 ms (ts 1280), 10 at 180 (ts 1440). The events
 * have no clock: they move the reference time to 140 but not the reference
 * timestamp (still packet 5's, nominal 80 ms). Audio 9: expected
 * 140 + (160 - 80) = 220, D 60, J = 60/16 = 3.75 (regular: the max).
 * tshark: 10, 0, 20.000 / 20.000 / 20.000, 0.000 / 0.807 / 3.750.
 */
Test(rtpstream, event_inside_audio_stream)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 5; i++)
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, 20.0 * (i - 1));
    cr_assert_eq(feed_event(&s, 6, 800, true, 1, false, 10, 100, 101), RTPSTREAM_EV_DTMF_BEGIN);
    cr_assert_eq(feed_event(&s, 7, 800, false, 1, false, 320, 120, 101), RTPSTREAM_EV_NONE);
    cr_assert_eq(feed_event(&s, 8, 800, false, 1, true, 480, 140, 101), RTPSTREAM_EV_DTMF_END);
    feed(&s, 9, 1280, 0, false, 160);
    feed(&s, 10, 1440, 0, false, 180);
    struct rtpstream_figures f = figures(&s);
    cr_assert_float_eq(f.max_jitter_ms, 3.75, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, 0.807, 0.0005);
    cr_assert_eq(f.lost, 0);
    cr_assert_eq(s.dtmf_last.digit, '1');
    cr_assert_eq(s.dtmf_last.start_ns, at(100));
}

Test(rtpstream, dtmf_digit_table_and_cap)
{
    cr_assert_eq(rtpstream_dtmf_digit(0), '0');
    cr_assert_eq(rtpstream_dtmf_digit(9), '9');
    cr_assert_eq(rtpstream_dtmf_digit(10), '*');
    cr_assert_eq(rtpstream_dtmf_digit(11), '#');
    cr_assert_eq(rtpstream_dtmf_digit(12), 'A');
    cr_assert_eq(rtpstream_dtmf_digit(15), 'D');
    cr_assert_eq(rtpstream_dtmf_digit(16), 0); /* flash: an event, not a digit */
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 101, 8000);
    /* 20 events: every one begins with its digit (the caller keeps as many as it wants) */
    char digits[21] = "";
    for (int e = 0; e < 20; e++) {
        unsigned ev = feed_event(&s, (uint16_t)e, 1000u * (uint32_t)e, true, (uint8_t)(e % 16),
                                 true, 800, 100.0 * e, 101);
        cr_assert(ev & RTPSTREAM_EV_DTMF_BEGIN, "event %d", e);
        digits[e] = s.dtmf_last.digit;
    }
    cr_assert_str_eq(digits, "0123456789*#ABCD0123");
    /* a short (truncated) event payload is ignored, not read past */
    struct rtp_hdr h = hdr(100, 99999, 101, false);
    h.payload_len = 2;
    cr_assert_eq(rtpstream_update(&s, &h, at(5000), 101), RTPSTREAM_EV_NONE);
}

/*
 * Numbers 1..100 with 10 lost (a burst of 1), 30..32 lost (3) and 50..61
 * lost (12): 84 packets, 16 lost. Bursts: 1..9: 2, 10+: 1. Burst ratio:
 * mean burst 16/3, random loss at p = 0.16 would give 1/(1 - p), so
 * BurstR = (16/3) * (1 - 0.16) = 4.48. Wireshark agrees on lost (16) and
 * counts 3 sequence errors (the three jumps).
 */
Test(rtpstream, loss_bursts_and_burst_ratio)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 100; i++) {
        if (i == 10 || (i >= 30 && i <= 32) || (i >= 50 && i <= 61))
            continue;
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, 20.0 * (i - 1));
    }
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.packets, 84);
    cr_assert_eq(f.lost, 16);
    cr_assert_eq(f.seq_errors, 3);
    cr_assert_eq(f.expected_unique, 100);
    cr_assert_eq(f.lost_unique, 16);
    cr_assert_float_eq(f.lost_unique_pct, 16, EPS);
    cr_assert_eq(f.loss_bursts[0], 2);
    cr_assert_eq(f.loss_bursts[1], 1);
    cr_assert_float_eq(f.burst_ratio, 4.48, EPS);
    cr_assert_float_eq(rtpstream_burst_ratio(100, 16, 3), 4.48, EPS);
    cr_assert_float_eq(rtpstream_burst_ratio(100, 0, 0), 0, EPS);
    /* 10 random single losses in 1000: (10/10) * (1 - 0.01) = 0.99, about 1. */
    cr_assert_float_eq(rtpstream_burst_ratio(1000, 10, 10), 0.99, EPS);
}

/*
 * 20..24 lost (one burst of 5), then 22 arrives late: two bursts of 2.
 * Later 40 is lost alone and arrives late: that burst disappears.
 * And 60..71 lost (12, long), 66 arrives late: 60..65 and 67..71, 6 and 5.
 */
Test(rtpstream, late_packets_split_and_remove_bursts)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    double t = 0;
    for (int i = 1; i <= 100; i++) {
        t += 20;
        if ((i >= 20 && i <= 24) || i == 40 || (i >= 60 && i <= 71))
            continue;
        feed(&s, (uint16_t)i, 160u * (uint32_t)i, 0, false, t);
        if (i == 26)
            feed(&s, 22, 160u * 22, 0, false, t + 1);
        if (i == 41)
            feed(&s, 40, 160u * 40, 0, false, t + 1);
        if (i == 75)
            feed(&s, 66, 160u * 66, 0, false, t + 1);
    }
    struct rtpstream_figures f = figures(&s);
    /* lost: 5 - 1 + 1 - 1 + 12 - 1 = 15 */
    cr_assert_eq(f.lost_unique, 15);
    cr_assert_eq(f.out_of_order, 3);
    cr_assert_eq(f.loss_bursts[0], 4); /* 2, 2, 6, 5 */
    cr_assert_eq(f.loss_bursts[1], 0);
    cr_assert_eq(f.lost, 15); /* Wireshark: 100 expected, 85 packets */
}

/*
 * 30 s of packets (1500 at 20 ms) in three 10 s windows:
 * window 1 (numbers 1..500) loses 5 single packets: 1 %;
 * window 2 (501..1000) loses 5 bursts of 10: 50 of 500 = 10 %,
 *   burst ratio (50/5) * (1 - 0.1) = 9;
 * window 3 (1001..1500) loses 10 single packets: 2 %.
 * The worst is window 2, starting 10 s after the first packet. A trailing
 * 2 s window losing half its packets is too short to compete (< 5 s).
 */
Test(rtpstream, worst_ten_second_window)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 1600; i++) {
        bool lost = false;
        if (i <= 500)
            lost = i % 100 == 0; /* 100, 200, 300, 400, 500 */
        else if (i <= 1000)
            lost =
                (i >= 600 && i <= 849) && ((i - 600) % 50) < 10; /* 600-609, 650-659 ... 800-809 */
        else if (i <= 1500)
            lost = i % 50 == 0; /* 1050, 1100, ... 1500 */
        else
            lost = i % 2 == 1; /* 1501, 1503 ... 1599: 50 */
        if (i == 500 || i == 1500)
            lost = false; /* keep the window edges received */
        if (i == 450 || i == 1025)
            lost = true;
        if (!lost)
            feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, 20.0 * (i - 1));
    }
    struct rtpstream_figures f = figures(&s);
    cr_assert(f.window_valid);
    cr_assert_eq(f.window_start_ns, at(10000));
    cr_assert_eq(f.window_expected, 500);
    cr_assert_eq(f.window_lost, 50);
    cr_assert_float_eq(f.window_loss_pct, 10, EPS);
    cr_assert_float_eq(f.window_burst_ratio, 9, EPS);
    /* overall: 5 + 50 + 10 + 50 = 115 lost of 1600 (the 1600th arrives) */
    cr_assert_eq(f.expected_unique, 1600);
    cr_assert_eq(f.lost_unique, 115);
    cr_assert_eq(f.loss_bursts[0], 5 + 10 + 50);
    cr_assert_eq(f.loss_bursts[1], 5);
}

/* A stream shorter than one window: its only window is the worst, whatever its length. */
Test(rtpstream, short_stream_single_window)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 100; i++)
        if (i % 10 != 5)
            feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, 20.0 * (i - 1));
    struct rtpstream_figures f = figures(&s);
    cr_assert(f.window_valid);
    cr_assert_eq(f.window_start_ns, at(0));
    cr_assert_eq(f.window_expected, 100);
    cr_assert_eq(f.window_lost, 10);
    cr_assert_float_eq(f.window_loss_pct, 10, EPS);
    /* (10/10) * (1 - 0.1) = 0.9 */
    cr_assert_float_eq(f.window_burst_ratio, 0.9, EPS);
}

/* A dynamic payload type without a known clock: tshark prints -1.000 / 0.000 / 0.000. */
Test(rtpstream, unknown_clock_rate_has_no_jitter)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 111, 0);
    for (int i = 0; i < 10; i++)
        feed(&s, (uint16_t)i, 960u * (uint32_t)i, 111, false, 20.0 * i + (i % 2 ? 3 : 0));
    struct rtpstream_figures f = figures(&s);
    cr_assert(!f.jitter_valid);
    cr_assert_eq(f.min_jitter_ms, -1);
    cr_assert_float_eq(f.mean_jitter_ms, 0, EPS);
    cr_assert_float_eq(f.max_jitter_ms, 0, EPS);
    cr_assert_float_eq(f.max_delta_ms, 23, EPS);
    cr_assert_float_eq(f.min_delta_ms, 17, EPS);
    cr_assert_eq(f.clock_rate, 0);
    cr_assert_eq(f.rfc3550_jitter, 0);
}

/* The same with the rtpmap clock (opus/48000: 960 units per 20 ms) given. */
Test(rtpstream, dynamic_clock_from_rtpmap)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 111, 48000);
    for (int i = 0; i < 10; i++)
        feed(&s, (uint16_t)i, 960u * (uint32_t)i, 111, false, 20.0 * i);
    struct rtpstream_figures f = figures(&s);
    cr_assert(f.jitter_valid);
    cr_assert_eq(f.clock_rate, 48000);
    cr_assert_float_eq(f.max_jitter_ms, 0, EPS);
    /* another dynamic type on the same record has no clock (Wireshark would look up its rtpmap) */
    feed(&s, 10, 960u * 10, 112, false, 205);
    cr_assert_float_eq(figures(&s).last_jitter_ms, 0, EPS);
}

/*
 * Quirk Q7: a static type's clock comes from Wireshark's table, not from the
 * caller: PT 0 given 16000 still runs at 8000. Quirk Q6: PT 10 (L16 stereo,
 * 44100 Hz) divides by 44: 882 units per 20 ms read as 20.045454 ms, so
 * J_1 = 0.045454/16 = 0.002841, J_2 = (15 J_1 + 0.045454)/16 = 0.005504.
 * tshark: 3, 0, jitter 0.003 / 0.004 / 0.006.
 */
Test(rtpstream, static_clock_table_and_integer_khz)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 16000);
    for (int i = 0; i < 5; i++)
        feed(&s, (uint16_t)i, 160u * (uint32_t)i, 0, false, 20.0 * i);
    cr_assert_float_eq(figures(&s).max_jitter_ms, 0, EPS);

    struct rtpstream l16;
    rtpstream_init(&l16, SSRC, 10, 44100);
    for (int i = 0; i < 3; i++)
        feed(&l16, (uint16_t)i, 882u * (uint32_t)i, 10, false, 20.0 * i);
    struct rtpstream_figures f = figures(&l16);
    double d = 882.0 / 44 - 20;
    double j1 = d / 16, j2 = (15 * j1 + d) / 16;
    cr_assert_float_eq(f.min_jitter_ms, j1, EPS);
    cr_assert_float_eq(f.max_jitter_ms, j2, EPS);
    cr_assert_float_eq(f.mean_jitter_ms, (j1 + j2) / 2, EPS);
    /* types 35..95 have no clock for Wireshark, rtpmap or not */
    struct rtpstream u;
    rtpstream_init(&u, SSRC, 50, 8000);
    feed(&u, 1, 0, 50, false, 0);
    feed(&u, 2, 160, 50, false, 25);
    cr_assert(!figures(&u).jitter_valid);
}

/*
 * Quirk Q2: a packet whose timestamp is before the first one (500 < 1000)
 * changes no delta, no jitter and not the reference time: packet 4 is
 * 60 - 20 = 40 ms after packet 2. Mean delta: 20 (n=1), then
 * (20 * 2 + 40)/3 = 26.667 (n=3), then (26.667 * 3 + 20)/4 = 25 (n=4).
 * Packet 3 is neither accepted nor counted as a sequence error (it is one
 * above 2 but not in time), so 4 is a jump: 1 error.
 * tshark: 5, 0, 20.000 / 25.000 / 40.000, jitter 0, X.
 */
Test(rtpstream, timestamp_before_the_first_is_wrong)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    feed(&s, 1, 1000, 0, false, 0);
    feed(&s, 2, 1160, 0, false, 20);
    feed(&s, 3, 500, 0, false, 45);
    feed(&s, 4, 1480, 0, false, 60);
    feed(&s, 5, 1640, 0, false, 80);
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.lost, 0);
    cr_assert(f.problem);
    cr_assert_eq(f.seq_errors, 1);
    cr_assert_float_eq(f.max_delta_ms, 40, EPS);
    cr_assert_float_eq(f.mean_delta_ms, 25, EPS);
    cr_assert_float_eq(f.max_jitter_ms, 0, EPS);
}

/*
 * Quirk Q9: a sender that restarts at a lower number. 100, 101, 102, then
 * 50, 51 (timestamps still increasing): 50 is below the first number, so
 * Wireshark counts a cycle: expected = 51 + 65536 - 100 + 1 = 65488,
 * lost 65483 (100.0 %). tshark prints exactly that.
 */
Test(rtpstream, restart_lower_counts_a_cycle)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    feed(&s, 100, 1000, 0, false, 0);
    feed(&s, 101, 1160, 0, false, 20);
    feed(&s, 102, 1320, 0, false, 40);
    feed(&s, 50, 1480, 0, false, 60);
    feed(&s, 51, 1640, 0, false, 80);
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.expected, 65488);
    cr_assert_eq(f.lost, 65483);
    cr_assert_float_eq(f.lost_pct, 6548300.0 / 65488, EPS);
}

/*
 * Quirks Q8/Q10: a late last packet numbered below the first: expected is
 * 50 - 100 + 1 = -49 modulo 2^32, lost -49 - 4 = -53, and the percentage
 * -5300 / 4294967247 prints as -0.0. tshark: 4, -53 (-0.0%).
 */
Test(rtpstream, last_packet_below_first_wraps_expected)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    feed(&s, 100, 1000, 0, false, 0);
    feed(&s, 101, 1160, 0, false, 20);
    feed(&s, 102, 1320, 0, false, 40);
    feed(&s, 50, 900, 0, false, 60);
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.expected, 4294967247u);
    cr_assert_eq(f.lost, -53);
    cr_assert_float_eq(f.lost_pct, -5300.0 / 4294967247.0, 1e-12);
}

/*
 * Quirk Q10: 1000, then 400 times (10, 2000): each 10 is below the first
 * with the flag clear (a cycle), each 2000 above it clears the flag.
 * expected = 2000 + 400 * 65536 - 1000 + 1 = 26215401, lost 26214600;
 * lost * 100 wraps in 32 bits to -1673507296, so tshark prints -63.8 %.
 */
Test(rtpstream, lost_percentage_wraps_like_tshark)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    double t = 0;
    uint32_t ts = 0;
    feed(&s, 1000, ts, 0, false, t);
    for (int k = 0; k < 400; k++) {
        feed(&s, 10, ts += 160, 0, false, t += 20);
        feed(&s, 2000, ts += 160, 0, false, t += 20);
    }
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.packets, 801);
    cr_assert_eq(f.expected, 26215401u);
    cr_assert_eq(f.lost, 26214600);
    cr_assert_float_eq(f.lost_pct, -1673507296.0 / 26215401, 1e-9);
}

/*
 * RFC 3550 A.1: a jump of 30000 numbers is believed only when the next
 * packet follows it. 1..10, then 30000..30009: 30000 is set aside, 30001
 * restarts the count: 10 + 9 expected, nothing lost. Wireshark takes the
 * jump as loss: expected 30009, lost 29989 (99.9 %).
 */
Test(rtpstream, large_jump_resyncs_rfc3550)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 10; i++)
        feed(&s, (uint16_t)i, 160u * (uint32_t)(i - 1), 0, false, 20.0 * (i - 1));
    for (int k = 0; k < 10; k++)
        feed(&s, (uint16_t)(30000 + k), 1600u + 160u * (uint32_t)k, 0, false, 200 + 20.0 * k);
    struct rtpstream_figures f = figures(&s);
    cr_assert_eq(f.lost, 29989);
    cr_assert_eq(f.expected_unique, 19);
    cr_assert_eq(f.lost_unique, 0);
}

/* Timestamps wrap 2^32 five packets in: still in time, jitter as usual (tshark: max 0.363). */
Test(rtpstream, timestamp_wrap_is_in_time)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    uint32_t ts0 = 0xFFFFFFFFu - 160u * 5 + 1;
    for (int i = 0; i < 12; i++)
        feed(&s, (uint16_t)(100 + i), ts0 + 160u * (uint32_t)i, 0, false,
             20.0 * i + (i == 8 ? 3 : 0));
    struct rtpstream_figures f = figures(&s);
    /* packet 8 is 3 ms late: J = 3/16 = 0.1875; packet 9 is 3 ms early relative to it: J = 0.363 */
    cr_assert_float_eq(f.max_jitter_ms, (15 * 0.1875 + 3) / 16, EPS);
    cr_assert_float_eq(f.min_delta_ms, 17, EPS);
    cr_assert_float_eq(f.max_delta_ms, 23, EPS);
    cr_assert(!f.problem);
}

/*
 * A stream that opens with comfort noise, then AMR-WB (dynamic 97, 16000 Hz,
 * 320 units per 20 ms). The caller declares 97's clock when it first sees
 * it, as Wireshark looks every packet's type up in the rtpmaps. Packet 3 is
 * 4 ms late: J = 4/16 = 0.25 at packet 3 and (15 * 0.25 + 4)/16 = 0.484375
 * at packet 4 (packet 2 follows CN: not regular).
 */
Test(rtpstream, set_clock_for_a_later_dynamic_type)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 13, 8000);
    feed(&s, 1, 0, 13, false, 0);
    rtpstream_set_clock(&s, 97, 16000);
    feed(&s, 2, 320, 97, false, 20);
    feed(&s, 3, 640, 97, false, 44);
    feed(&s, 4, 960, 97, false, 60);
    struct rtpstream_figures f = figures(&s);
    cr_assert(f.jitter_valid);
    cr_assert_eq(f.clock_rate, 16000);
    cr_assert_eq(f.pt, 97);
    cr_assert_float_eq(f.min_jitter_ms, 0.25, EPS);
    cr_assert_float_eq(f.max_jitter_ms, 0.484375, EPS);
}
