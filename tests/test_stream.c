/* test_stream.c: a stream's quality figures (exporters/stream.c): the whole stream's and the worst
 * window's MOS. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../exporters/stream.h"

#define SSRC 0x11223344u
#define T0_NS 1700000000000000000ull
#define EPS 1e-9

static const uint8_t filler[160];

/* G.711 at 20 ms: packet seq (from 1) sent at 20 ms * (seq - 1), arriving on time. */
static void feed(struct rtpstream *s, int seq)
{
    struct rtp_hdr h;
    memset(&h, 0, sizeof h);
    h.version = 2;
    h.seq = (uint16_t)seq;
    h.ts = 160u * (uint32_t)(seq - 1);
    h.ssrc = SSRC;
    h.header_len = 12;
    h.payload = filler;
    h.payload_len = sizeof filler;
    rtpstream_update(s, &h, T0_NS + 20000000ull * (uint64_t)(seq - 1), RTPSTREAM_NO_EVENT_PT);
}

/* Nothing reported by RTCP (media.c's media_no_rtcp, which this test does not link). */
static const struct media_rtcp no_rtcp = {.jitter_ms = -1, .rtt_ms = -1, .xr_mos_lq = -1};

/* A stream record around s, as media.c would hand it to stream_quality: PCMU, no RTCP. */
static struct stream_quality quality_of(const struct rtpstream *s)
{
    static struct media_stream m;
    memset(&m, 0, sizeof m);
    m.stats = *s;
    m.rtcp = &no_rtcp;
    m.codec = "PCMU";
    m.clock_rate = 8000;
    struct stream_quality q;
    stream_quality(&m, &q);
    return q;
}

/*
 * mos_min is the E-model of the worst 10-second window: when that window is the whole stream
 * (a stream shorter than a window) it is the stream's own MOS, taken over rather than computed
 * twice; with the loss gathered in one window of several, it is that window's, computed from
 * the window's loss and burst ratio.
 */
Test(stream, worst_window_mos)
{
    struct rtpstream s;
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 100; i++)
        if (i % 10 != 5)
            feed(&s, i);
    struct stream_quality q = quality_of(&s);
    cr_assert(q.mos.valid && q.mos_min.valid);
    cr_assert_lt(q.mos.mos, 4.41, "10%% loss costs something");
    cr_assert_eq(q.mos_min.mos, q.mos.mos);
    cr_assert_eq(q.mos_min.r_factor, q.mos.r_factor);
    cr_assert_str_eq(q.mos_min.model, q.mos.model);

    /* 30 s: 5 of the 1500 packets lost in the first window, 50 lost in the second, none after */
    rtpstream_init(&s, SSRC, 0, 8000);
    for (int i = 1; i <= 1500; i++) {
        bool lost = (i <= 500 && i % 100 == 50) || (i > 500 && i <= 1000 && i % 10 == 5);
        if (!lost)
            feed(&s, i);
    }
    q = quality_of(&s);
    cr_assert(q.f.window_valid);
    cr_assert_float_eq(q.f.window_loss_pct, 10, EPS);
    cr_assert_lt(q.f.lost_unique_pct, q.f.window_loss_pct);
    struct mos_input in = {.codec = sv_make("PCMU", 4),
                           .loss_pct = q.f.window_loss_pct,
                           .burst_r = q.f.window_burst_ratio,
                           .rtt_ms = -1};
    struct mos_result want = mos_compute(&in);
    cr_assert(q.mos_min.valid);
    cr_assert_eq(q.mos_min.mos, want.mos);
    cr_assert_str_eq(q.mos_min.model, want.model);
    cr_assert_lt(q.mos_min.mos, q.mos.mos, "the worst window sounds worse than the whole stream");
}
