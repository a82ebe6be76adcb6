/* rtpstream.c: per-SSRC RTP receive statistics (RFC 3550 §6.4.1, A.1, A.8; RFC 4733 §2.3). */
#include "rtpstream.h"

#include <math.h>
#include <string.h>

#include "cursor.h"

/*
 * Wireshark agreement. The first set of figures reproduces what
 * `tshark -q -z rtp,streams` of tshark 4.0.17 (Debian 12) prints, and the
 * seq_err of sharkd's rtp-analyse tap, rule for rule (ui/tap-rtp-analysis.c,
 * rtppacket_analyse, and ui/tap-rtp-common.c of the 4.0 branch). Several of
 * those rules are not what RFC 3550 says. They are reproduced ON PURPOSE, so
 * that our numbers and Wireshark's can be put side by side; the honest
 * figures (lost_unique and the rest) are computed separately below. Do not
 * "fix" any of these without changing the Wireshark release we claim to match:
 *
 * tshark 4.0.17 quirks reproduced here:
 *  Q1  "In time" is judged against the stream's FIRST timestamp only: a
 *      packet is late (wrong timestamp) when its timestamp is before the first
 *      one (modulo 2^32, within 2^31). A packet reordered after the first is
 *      in time: it becomes the jitter reference (the previous packet in
 *      arrival order), counts as a regular packet, and its delta can be
 *      shorter than the packet interval. (Wireshark 4.2+ uses the last
 *      in-time packet instead; only captures with reordering differ.)
 *  Q2  A wrong-timestamp packet counts in packets and lost, but updates no
 *      delta, no jitter, no reference time, and is not regular.
 *  Q3  Jitter (RFC 3550 §6.4.1 form J += (|D| - J)/16, in ms) is computed at
 *      every in-time packet whose payload type has a clock rate, marker and
 *      comfort noise included; max, min and mean only look at regular
 *      packets: not the first, marker bit clear, not CN (PT 13 or 19), not
 *      right after a CN packet, not a wrong timestamp. A talk spurt after
 *      silence (marker set) therefore moves J but never the maximum.
 *  Q4  The mean jitter and mean delta are running means m = (m*(n-1) + x)/n
 *      where n counts every packet before this one, regular or not; they
 *      equal the plain mean over packets 2..N only when all are regular.
 *  Q5  The expected arrival is the last in-time arrival plus the timestamp
 *      difference to the last packet that HAD a clock rate. Packets without
 *      one (telephone-event, unknown dynamic types) move the reference time
 *      but not the reference timestamp, so the first audio packet after an
 *      RFC 4733 event inside the audio stream shows a jitter jump.
 *  Q6  Timestamp units become ms by dividing by clock_rate/1000 in integer
 *      arithmetic: 44100 Hz divides by 44, 11025 by 11, 22050 by 22.
 *  Q7  Static payload types (< 96) take their clock from Wireshark's own
 *      table, whatever the SDP says: 8000 for 0..9, 12, 13, 15, 18, 19 (and
 *      reserved 1, 2), 16000 for 6, 44100 for 10, 11, 11025 for 16, 22050 for
 *      17, 90000 for 14, 25, 26, 28, 31..34; none for 20..24, 27, 29, 30 and
 *      35..95 even when an rtpmap names one. A dynamic type (>= 96) takes the
 *      rtpmap clock, except telephone-event, which gets none.
 *  Q8  Expected = sequence number of the LAST packet in arrival order (not
 *      the highest) + 65536 * cycles - first sequence number + 1, in unsigned
 *      32-bit arithmetic: a stream ending on a late packet whose number is
 *      below the first gives a lost like -53 (-0.0%).
 *  Q9  A cycle is counted when an in-time packet's sequence number is below
 *      the FIRST one while a flag is clear; the flag clears again at the
 *      next in-time number above the first. A sender that restarts lower
 *      gains 65536 expected packets, and a stray late number above the first
 *      after a wrap re-arms the flag (a second cycle). Number 0 after 65535
 *      also counts a cycle (the case of a stream that started at 0).
 *  Q10 lost = expected - packets, so duplicates make it negative; lost % is
 *      (lost * 100) / expected with the product in 32-bit signed arithmetic
 *      (it wraps beyond 21474836 lost; we wrap the same way without UB).
 *  Q11 Sequence errors ("wrong sequence", sharkd seq_err): an in-time packet
 *      one above the last accepted number (or 0 after 65535) is accepted
 *      silently; an in-time forward jump, or a number more than 0xFF00 below
 *      the last accepted, is accepted and counted; any packet not above the
 *      last accepted (late or duplicate) is counted and not accepted. So one
 *      reordered packet costs two errors (the gap, then the late one), and a
 *      wrong-timestamp packet with a higher number is neither.
 *  Q12 Min delta and min jitter start at -1 and stay there when no regular
 *      packet (with a clock, for jitter) was seen: tshark prints -1.000.
 *  Q13 Deltas are measured from the last in-time packet, duplicates
 *      included: a repeated RFC 4733 end packet gives a delta of microseconds.
 *  Q14 (callers) The key includes the SSRC, so RFC 4733 events sent with
 *      their own SSRC are a stream of their own (no jitter: telephone-event).
 *      Only version-2 packets count, and a packet with M set and payload
 *      type 64..95 is RTCP (rtp_is_rtcp). A packet whose padding count is
 *      bogus is still counted (rtp_parse says STATUS_MALFORMED but fills in
 *      the header). A packet cut in its CSRC list or extension is not.
 *
 * Not reproduced: a clock rate below 1000 Hz makes tshark divide by zero
 * (jitter inf/nan); we treat such a clock as unknown. Arrival times are
 * taken relative to the stream's first packet, not the capture's, which
 * changes results by far less than the 0.001 ms tshark prints.
 */

#define RTPSTREAM_PT_CN 13
#define RTPSTREAM_PT_CN_OLD 19
#define RTPSTREAM_PT_DYNAMIC 96

_Static_assert(sizeof(struct rtpstream) <= RTPSTREAM_RECORD_MAX, "struct rtpstream too large");

/* Q7: Wireshark's clock_map (tap-rtp-analysis.c), by payload type 0..34; 0 = none. */
static const uint32_t rtpstream_static_clock[35] = {
    [0] = 8000,   [1] = 8000,   [2] = 8000,   [3] = 8000,   [4] = 8000,   [5] = 8000,
    [6] = 16000,  [7] = 8000,   [8] = 8000,   [9] = 8000,   [10] = 44100, [11] = 44100,
    [12] = 8000,  [13] = 8000,  [14] = 90000, [15] = 8000,  [16] = 11025, [17] = 22050,
    [18] = 8000,  [19] = 8000,  [25] = 90000, [26] = 90000, [28] = 90000, [31] = 90000,
    [32] = 90000, [33] = 90000, [34] = 90000,
};

char rtpstream_dtmf_digit(uint8_t event)
{
    static const char digits[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                    '8', '9', '*', '#', 'A', 'B', 'C', 'D'};
    return event < 16 ? digits[event] : 0;
}

void rtpstream_init(struct rtpstream *s, uint32_t ssrc, uint8_t pt, uint32_t clock_rate)
{
    memset(s, 0, sizeof *s);
    s->ssrc = ssrc;
    s->pt = (uint8_t)(pt & 0x7F);
    s->clock_rate = clock_rate;
    s->a1_bad_seq = RTPSTREAM_NO_BAD_SEQ;
}

void rtpstream_set_clock(struct rtpstream *s, uint8_t pt, uint32_t clock_rate)
{
    s->pt = (uint8_t)(pt & 0x7F);
    s->clock_rate = clock_rate;
}

/* Q7: the clock rate Wireshark 4.0 would use for one packet's payload type. */
static uint32_t rtpstream_clock(const struct rtpstream *s, uint8_t pt, uint32_t event_pt)
{
    if (pt < RTPSTREAM_PT_DYNAMIC)
        return pt < sizeof rtpstream_static_clock / sizeof rtpstream_static_clock[0]
                   ? rtpstream_static_clock[pt]
                   : 0;
    if (pt == event_pt)
        return 0; /* telephone-event: the timestamp stays put during an event (RFC 4733 §2.5.1.2) */
    return pt == s->pt ? s->clock_rate : 0;
}

/* ---- Wireshark's figures ---------------------------------------------------------------- */

static void rtpstream_ws_first(struct rtpstream *s, const struct rtp_hdr *h)
{
    s->start_seq = s->stop_seq = s->seq_num = h->seq;
    s->first_ts = h->ts;
    s->time_ms = 0;
    s->lastnominal_ms = 0;
    s->last_pt = h->pt;
    s->max_delta_ms = 0;
    s->min_delta_ms = -1; /* Q12 */
    s->mean_delta_ms = 0;
    s->jitter_ms = 0;
    s->min_jitter_ms = -1; /* Q12 */
    s->max_jitter_ms = 0;
    s->mean_jitter_ms = 0;
}

/* clock: rtpstream_clock() of this packet's payload type. */
static void rtpstream_ws_update(struct rtpstream *s, const struct rtp_hdr *h, double t_ms,
                                uint32_t clock)
{
    /* Q1: in time relative to the first timestamp, across a 2^32 wrap, within 2^31. */
    bool in_time;
    if (s->first_ts <= h->ts)
        in_time = (int64_t)h->ts - (int64_t)s->first_ts < 0x80000000LL;
    else
        in_time = ((int64_t)0xFFFFFFFFLL - (int64_t)s->first_ts) + (int64_t)h->ts < 0x80000000LL;
    bool wrong_ts = !in_time;

    /* Q9: sequence cycles. */
    if (h->seq < s->start_seq && in_time && !s->under) {
        s->seq_cycles++;
        s->under = true;
    } else if (h->seq == 0 && s->stop_seq == 65535 && in_time && !s->under) {
        s->seq_cycles++;
        s->under = true;
    } else if (h->seq > s->start_seq && in_time && s->under) {
        s->under = false;
    }

    /* Q11: wrong sequence (int arithmetic, as the C promotions of the original give). */
    int last = s->seq_num;
    int seq = h->seq;
    if (in_time && last + 1 == seq) {
        s->seq_num = h->seq;
    } else if (in_time && last == 65535 && seq == 0) {
        s->seq_num = h->seq;
    } else if (in_time && (last + 1 < seq || last - seq > 0xFF00)) {
        s->seq_num = h->seq;
        s->seq_errors++;
        s->problem = true;
    } else if (last + 1 > seq) {
        s->seq_errors++;
        s->problem = true;
    }
    if (wrong_ts)
        s->problem = true;

    /* Q3: comfort noise, and the packet right after it, are not regular. */
    bool cn = h->pt == RTPSTREAM_PT_CN || h->pt == RTPSTREAM_PT_CN_OLD;
    bool follow_cn = s->last_pt == RTPSTREAM_PT_CN || s->last_pt == RTPSTREAM_PT_CN_OLD;
    s->last_pt = h->pt;

    uint32_t per_ms = clock / 1000; /* Q6: integer division, as in Wireshark */
    if (per_ms == 0)
        clock = 0; /* not reproduced: below 1000 Hz Wireshark divides by zero */

    double cur_jitter = 0;
    double delta_ms = 0; /* read below only for in-time packets, which always set it */
    if (in_time) {
        if (clock != 0) {
            s->last_clock = clock;
            /* Q5, Q6: nominal time of this packet since the first, in ms. */
            double nominal = (double)(uint32_t)(h->ts - s->first_ts) / (double)per_ms;
            double expected = s->time_ms + (nominal - s->lastnominal_ms);
            double diff = fabs(t_ms - expected);
            cur_jitter = (15 * s->jitter_ms + diff) / 16;
            delta_ms = t_ms - s->time_ms;
            s->jitter_ms = cur_jitter;
            s->lastnominal_ms = nominal;
        } else {
            delta_ms = t_ms - s->time_ms;
        }
    }

    /* Q3, Q4: regular packets feed max/min/mean; n = packets before this one. */
    if (!h->marker && !cn && !wrong_ts && !follow_cn) {
        double n = (double)s->total_nr;
        if (delta_ms > s->max_delta_ms)
            s->max_delta_ms = delta_ms;
        if (s->min_delta_ms == -1 || delta_ms < s->min_delta_ms)
            s->min_delta_ms = delta_ms;
        s->mean_delta_ms = (s->mean_delta_ms * (n - 1) + delta_ms) / n;
        if (clock != 0) {
            if (s->jitter_ms > s->max_jitter_ms)
                s->max_jitter_ms = s->jitter_ms;
            s->mean_jitter_ms = (s->mean_jitter_ms * (n - 1) + cur_jitter) / n;
            if (s->min_jitter_ms == -1 || s->jitter_ms < s->min_jitter_ms)
                s->min_jitter_ms = s->jitter_ms;
        }
    }

    /* Q1, Q2: only in-time packets move the reference time. */
    if (in_time)
        s->time_ms = t_ms;
    s->stop_seq = h->seq; /* Q8 */
}

/* ---- RFC 3550 A.1 with a receive bitmap ----------------------------------------------- */

static unsigned rtpstream_burst_class(uint32_t len)
{
    return len >= RTPSTREAM_BURST_LONG ? 1 : 0;
}

static bool rtpstream_bit(const struct rtpstream *s, uint32_t back)
{
    return (s->recv[back >> 6] >> (back & 63)) & 1;
}

/* Shift the bitmap so that bit 0 is k numbers further on (k >= 1), then mark bit 0. */
static void rtpstream_shift(struct rtpstream *s, uint32_t k)
{
    if (k >= 128) {
        s->recv[0] = s->recv[1] = 0;
    } else if (k >= 64) {
        s->recv[1] = s->recv[0] << (k - 64);
        s->recv[0] = 0;
    } else {
        s->recv[1] = (s->recv[1] << k) | (s->recv[0] >> (64 - k));
        s->recv[0] <<= k;
    }
    s->recv[0] |= 1;
}

/* Missing numbers in a row from bit `from` walking by `step`, at most RTPSTREAM_BURST_LONG. */
static uint32_t rtpstream_run(const struct rtpstream *s, uint32_t from, int step)
{
    uint32_t n = 0;
    int64_t b = from;
    while (n < RTPSTREAM_BURST_LONG && b >= 0 && b < RTPSTREAM_BITMAP_BITS &&
           !rtpstream_bit(s, (uint32_t)b)) {
        n++;
        b += step;
    }
    return n;
}

/* Restart the sequence space at this packet (first packet, or an A.1 resync). */
static void rtpstream_a1_start(struct rtpstream *s, uint16_t seq)
{
    s->a1_base = s->a1_max = seq;
    s->a1_bad_seq = RTPSTREAM_NO_BAD_SEQ;
    s->recv[0] = s->recv[1] = ~(uint64_t)0; /* numbers before the start read as received */
    s->win.expected++;
}

static void rtpstream_a1_update(struct rtpstream *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - (uint16_t)s->a1_max);
    if (udelta == 0) {
        s->duplicates++;
    } else if (udelta < RTPSTREAM_MAX_DROPOUT) {
        /* In order, perhaps with a gap; a wrap just carries into the upper half. */
        uint32_t gap = (uint32_t)udelta - 1;
        s->a1_max += udelta;
        s->a1_bad_seq = RTPSTREAM_NO_BAD_SEQ;
        rtpstream_shift(s, udelta);
        s->win.expected += udelta;
        if (gap) {
            s->lost_unique += gap;
            s->loss_bursts[rtpstream_burst_class(gap)]++;
            s->win.lost += gap;
            s->win.bursts++;
        }
    } else if (udelta <= 65536 - RTPSTREAM_MAX_MISORDER) {
        /* A very large jump: believe it only when the next packet follows it (A.1). */
        if (seq == s->a1_bad_seq) {
            s->a1_expected_prior += s->a1_max - s->a1_base + 1;
            rtpstream_a1_start(s, seq);
        } else {
            s->a1_bad_seq = (uint16_t)(seq + 1);
        }
    } else {
        /* Behind the highest number by back = 1..99: duplicate, or late. */
        uint32_t back = 65536u - udelta;
        if (back > s->a1_max - s->a1_base) {
            s->out_of_order++; /* before the first packet: outside what we expect */
        } else if (rtpstream_bit(s, back)) {
            s->duplicates++;
        } else {
            /* A late packet fills a gap: its run of losses shortens or splits. */
            uint32_t older = rtpstream_run(s, back + 1, 1);
            uint32_t newer = rtpstream_run(s, back - 1, -1);
            s->recv[back >> 6] |= (uint64_t)1 << (back & 63);
            s->out_of_order++;
            s->lost_unique--;
            s->loss_bursts[rtpstream_burst_class(older + 1 + newer)]--;
            if (older)
                s->loss_bursts[rtpstream_burst_class(older)]++;
            if (newer)
                s->loss_bursts[rtpstream_burst_class(newer)]++;
            /* The open window takes the correction, even if the gap was seen in the one before. */
            if (s->win.lost)
                s->win.lost--;
            if (!older && !newer && s->win.bursts)
                s->win.bursts--;
            else if (older && newer)
                s->win.bursts++;
        }
    }
}

/* ---- 10-second windows ---------------------------------------------------------------- */

/* a is worse than b when its loss fraction is higher (ties keep b, the earlier one). */
static bool rtpstream_window_worse(const struct rtpstream_window *a,
                                   const struct rtpstream_window *b)
{
    if (a->expected == 0)
        return false;
    if (b->expected == 0)
        return true;
    return (uint64_t)a->lost * b->expected > (uint64_t)b->lost * a->expected;
}

/* Arrival-time start of a window (windows are whole RTPSTREAM_WINDOW_NS from the first packet). */
static uint64_t rtpstream_window_start(const struct rtpstream *s, const struct rtpstream_window *w)
{
    return s->first_ns + (uint64_t)w->index * RTPSTREAM_WINDOW_NS;
}

static void rtpstream_window_roll(struct rtpstream *s, uint64_t arrival_ns)
{
    uint64_t start = rtpstream_window_start(s, &s->win);
    if (arrival_ns < start + RTPSTREAM_WINDOW_NS)
        return;
    if (rtpstream_window_worse(&s->win, &s->worst))
        s->worst = s->win;
    /* Empty windows (a pause) are skipped: silence is not loss. */
    uint64_t n = (arrival_ns - start) / RTPSTREAM_WINDOW_NS;
    s->win.index += (uint32_t)n;
    s->win.expected = s->win.lost = s->win.bursts = 0;
}

/* ---- RFC 3550 A.8 ----------------------------------------------------------------------- */

static void rtpstream_a8_update(struct rtpstream *s, const struct rtp_hdr *h, uint64_t since_ns,
                                uint32_t clock)
{
    /* Arrival in timestamp units: floor(t * clock / 1e9), split to stay within 64 bits. */
    uint64_t units =
        (since_ns / 1000000000u) * clock + (since_ns % 1000000000u) * clock / 1000000000u;
    int32_t transit = (int32_t)((uint32_t)units - h->ts);
    if (s->a8_started) {
        int64_t d = (int64_t)transit - s->a8_transit;
        if (d < 0)
            d = -d;
        /* J += (|D| - J) / 16, kept scaled by 16 (A.8). */
        s->a8_jitter += (uint32_t)d - ((s->a8_jitter + 8) >> 4);
    }
    s->a8_transit = transit;
    s->a8_started = true;
}

/* ---- RFC 4733 events -------------------------------------------------------------------- */

/*
 * RFC 4733 §2.3:
 *    |     event     |E|R| volume    |          duration             |
 */
static unsigned rtpstream_dtmf_update(struct rtpstream *s, const struct rtp_hdr *h,
                                      uint64_t arrival_ns)
{
    struct cursor c = cur_make(h->payload, h->payload_len);
    uint8_t event = cur_u8(&c);
    uint8_t flags = cur_u8(&c);
    uint16_t duration = cur_be16(&c);
    if (c.bad)
        return RTPSTREAM_EV_NONE;
    bool end = (flags & 0x80) != 0;
    struct rtpstream_dtmf *d = &s->dtmf_last;
    unsigned ev = RTPSTREAM_EV_NONE;

    if (!s->dtmf_any || (int32_t)(h->ts - d->rtp_ts) > 0 ||
        (h->ts == d->rtp_ts && event != d->event)) {
        /* A new event: a timestamp after the current event's (§2.5.1.2). */
        s->dtmf_any = true;
        d->start_ns = arrival_ns;
        d->rtp_ts = h->ts;
        d->event = event;
        d->ended = false;
        d->digit = rtpstream_dtmf_digit(event);
        ev |= RTPSTREAM_EV_DTMF_BEGIN;
    } else if (h->ts != d->rtp_ts) {
        return RTPSTREAM_EV_NONE; /* a late packet of an earlier event */
    }
    d->volume = (uint8_t)(flags & 0x3F);
    if (duration > d->duration || (ev & RTPSTREAM_EV_DTMF_BEGIN))
        d->duration = duration;
    if (end && !d->ended) {
        d->ended = true; /* §2.5.1.4: the end packet is sent three times; the first counts */
        ev |= RTPSTREAM_EV_DTMF_END;
    }
    return ev;
}

/* ---- the packet ------------------------------------------------------------------------- */

unsigned rtpstream_update(struct rtpstream *s, const struct rtp_hdr *h, uint64_t arrival_ns,
                          uint32_t event_pt)
{
    uint32_t clock = rtpstream_clock(s, h->pt, event_pt);
    if (s->total_nr == 0) {
        s->first_ns = arrival_ns;
        s->win.index = 0; /* the first window starts at first_ns */
        rtpstream_ws_first(s, h);
        rtpstream_a1_start(s, h->seq);
    } else {
        /* Arrival in ms after the first packet (a capture may step back: keep the sign). */
        double t_ms = (double)(int64_t)(arrival_ns - s->first_ns) / 1e6;
        rtpstream_ws_update(s, h, t_ms, clock);
        rtpstream_window_roll(s, arrival_ns);
        rtpstream_a1_update(s, h->seq);
    }
    s->total_nr++;
    s->last_ns = arrival_ns;

    if (clock >= 1000 && arrival_ns >= s->first_ns)
        rtpstream_a8_update(s, h, arrival_ns - s->first_ns, clock);

    if (h->pt == event_pt)
        return rtpstream_dtmf_update(s, h, arrival_ns);
    return RTPSTREAM_EV_NONE;
}

/* ---- figures ---------------------------------------------------------------------------- */

double rtpstream_burst_ratio(uint32_t expected, uint32_t lost, uint32_t bursts)
{
    if (lost == 0 || expected == 0)
        return 0;
    if (bursts == 0)
        bursts = 1;
    double mean_len = (double)lost / bursts;
    return mean_len * (1.0 - (double)lost / expected);
}

void rtpstream_figures(const struct rtpstream *s, struct rtpstream_figures *f)
{
    memset(f, 0, sizeof *f);
    f->ssrc = s->ssrc;
    f->pt = s->pt;
    f->clock_rate = s->last_clock;
    f->packets = s->total_nr;
    f->seq_errors = s->seq_errors;
    f->problem = s->problem;
    f->first_ns = s->first_ns;
    f->last_ns = s->last_ns;
    if (s->total_nr == 0) {
        f->min_delta_ms = f->min_jitter_ms = -1;
        return;
    }

    /* Q8, Q10 */
    f->expected = (uint32_t)s->stop_seq + s->seq_cycles * 65536u - s->start_seq + 1;
    f->lost = (int32_t)(f->expected - s->total_nr);
    f->lost_pct = f->expected ? (double)(int32_t)((uint32_t)f->lost * 100u) / f->expected : 0;
    f->min_delta_ms = s->min_delta_ms;
    f->mean_delta_ms = s->mean_delta_ms;
    f->max_delta_ms = s->max_delta_ms;
    f->min_jitter_ms = s->min_jitter_ms;
    f->mean_jitter_ms = s->mean_jitter_ms;
    f->max_jitter_ms = s->max_jitter_ms;
    f->last_jitter_ms = s->jitter_ms;
    f->jitter_valid = s->min_jitter_ms != -1;

    f->expected_unique = s->a1_expected_prior + (s->a1_max - s->a1_base + 1);
    f->lost_unique = s->lost_unique;
    f->lost_unique_pct = f->expected_unique ? 100.0 * f->lost_unique / f->expected_unique : 0;
    f->duplicates = s->duplicates;
    f->out_of_order = s->out_of_order;
    f->loss_bursts[0] = s->loss_bursts[0];
    f->loss_bursts[1] = s->loss_bursts[1];
    f->burst_ratio = rtpstream_burst_ratio(f->expected_unique, f->lost_unique,
                                           s->loss_bursts[0] + s->loss_bursts[1]);
    f->rfc3550_jitter = s->a8_jitter >> 4;

    /* The open window competes when it is the only one or already covers half a window. */
    struct rtpstream_window w = s->worst;
    bool open_counts = s->worst.expected == 0 ||
                       s->last_ns - rtpstream_window_start(s, &s->win) >= RTPSTREAM_WINDOW_MIN_NS;
    if (open_counts && rtpstream_window_worse(&s->win, &w))
        w = s->win;
    if (w.expected) {
        f->window_valid = true;
        f->window_start_ns = rtpstream_window_start(s, &w);
        f->window_expected = w.expected;
        f->window_lost = w.lost;
        f->window_loss_pct = 100.0 * w.lost / w.expected;
        f->window_burst_ratio = rtpstream_burst_ratio(w.expected, w.lost, w.bursts);
    }
}
