/* rtpstream.h: per-SSRC RTP statistics: Wireshark's, RFC 3550 A.1/A.8, RFC 4733 digits. */
#ifndef SIPSCOPE_DECODERS_RTPSTREAM_H
#define SIPSCOPE_DECODERS_RTPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

/*
 * One record per (source ip:port, destination ip:port, SSRC), the key
 * Wireshark's `rtp,streams` uses. The record is plain data with no pointer
 * into any packet: the caller keeps it in a pool, calls rtpstream_init()
 * when it takes one (zeroing is not enough), and hands it every RTP packet
 * of that key in arrival order. A new SSRC on the same 5-tuple is a new record
 * (Wireshark shows it as a second stream).
 *
 * Two sets of figures come out of the same packets:
 *
 * 1. Wireshark's, identical to `tshark -q -z rtp,streams` of tshark 4.0.17
 *    (Debian 12), quirks included (the list is at the top of rtpstream.c):
 *    packets, expected, lost (negative with duplicates), lost %, min/mean/
 *    max delta, min/mean/max jitter, and the "wrong sequence" count sharkd's
 *    rtp-analyse tap reports as seq_err.
 *
 * 2. Honest ones for scoring (MOS): RFC 3550 A.1 extended sequence numbers
 *    with a 128-packet receive bitmap, giving loss that never goes negative
 *    (lost_unique), duplicates, out-of-order packets, loss bursts by length,
 *    the burst ratio, and the worst 10-second window by loss; plus the
 *    RFC 3550 A.8 integer jitter an RTCP receiver report would carry.
 *
 * rtpstream_update() is O(1) (bounded by the bitmap width), allocates
 * nothing and never fails.
 */

#define RTPSTREAM_NO_EVENT_PT 0xFFFFFFFFu  /* event_pt when no telephone-event was announced */
#define RTPSTREAM_BITMAP_BITS 128          /* sequence numbers remembered behind the highest */
#define RTPSTREAM_MAX_DROPOUT 3000         /* RFC 3550 A.1: longer jumps need 2 packets */
#define RTPSTREAM_MAX_MISORDER 100         /* RFC 3550 A.1: further back is a jump, not late */
#define RTPSTREAM_BURST_LONG 10            /* loss bursts of this many packets or more are "long" */
#define RTPSTREAM_WINDOW_NS 10000000000ull /* 10 s windows for the worst-window figures */
#define RTPSTREAM_WINDOW_MIN_NS 5000000000ull /* a trailing partial window counts from 5 s on */

/* What rtpstream_update() noticed in this packet (bits). */
enum rtpstream_event {
    RTPSTREAM_EV_NONE = 0,
    RTPSTREAM_EV_DTMF_BEGIN = 1u << 0, /* a new RFC 4733 event began: s->dtmf_last holds it */
    RTPSTREAM_EV_DTMF_END = 1u << 1,   /* the current event's first end packet (E bit) arrived */
};

/*
 * The RFC 4733 §2.3 event being played (or the last one). start_ns is the
 * arrival of the first packet seen with the event's RTP timestamp, which is
 * the time to report for the digit.
 */
struct rtpstream_dtmf {
    uint64_t start_ns;
    uint32_t rtp_ts;   /* the event's RTP timestamp (its identity) */
    uint16_t duration; /* latest duration field, in timestamp units */
    uint8_t event;     /* event code; 0..15 are the DTMF digits */
    uint8_t volume;    /* 0..63, in -dBm0 */
    bool ended;        /* an end packet (E bit) was seen */
    char digit;        /* "0123456789*#ABCD"[event], or 0 for codes above 15 */
};

/* A 10-second window of arrival time: what rtpstream keeps of it. */
struct rtpstream_window {
    uint32_t index;    /* which: it starts at first_ns + index * RTPSTREAM_WINDOW_NS */
    uint32_t expected; /* sequence numbers the window's packets advanced over */
    uint32_t lost;     /* of those, missing at the end of the window (late arrivals refilled) */
    uint32_t bursts;   /* runs of consecutive missing sequence numbers */
};

/*
 * The stream record. Treat the members as private: read the figures with
 * rtpstream_figures(). Only dtmf_last is meant to be read directly (after
 * RTPSTREAM_EV_DTMF_BEGIN: a caller that wants the digits keeps them then). Size: see
 * RTPSTREAM_RECORD_MAX. What every packet reads or writes comes first, together (208 bytes): with
 * thousands of streams every packet finds its stream's lines out of the
 * cache, so the fewer lines a packet touches the better.
 */
struct rtpstream {
    /* Wireshark's state (tap-rtp-analysis.c of 4.0) */
    uint32_t total_nr;
    uint32_t clock_rate; /* for the stream's own dynamic payload type (from the SDP rtpmap) */
    uint8_t pt;          /* the dynamic payload type clock_rate belongs to (init or set_clock) */
    uint8_t last_pt;     /* payload type of the previous packet */
    bool under;          /* Wireshark's sequence-cycle flag */
    bool problem;        /* Wireshark's "Problems?" column (wrong sequence or timestamp seen) */
    uint32_t seq_cycles;
    uint16_t start_seq;
    uint16_t stop_seq;
    uint16_t seq_num; /* last accepted sequence number */
    uint32_t first_ts;
    uint32_t last_clock; /* last non-zero clock rate used */
    uint64_t first_ns;
    uint64_t last_ns;
    double time_ms; /* arrival of the last in-time packet, ms after first_ns */
    double lastnominal_ms;
    double jitter_ms;
    double min_delta_ms, mean_delta_ms, max_delta_ms;
    double min_jitter_ms, mean_jitter_ms, max_jitter_ms;

    /* RFC 3550 A.1 and the receive bitmap; A.8 */
    uint32_t a1_max;     /* extended highest sequence number */
    uint32_t a1_bad_seq; /* A.1 bad_seq, RTPSTREAM_NO_BAD_SEQ when none */
    uint64_t recv[2];    /* bit i = sequence a1_max - i arrived (bits before the start read 1) */
    int32_t a8_transit;  /* RFC 3550 A.8, in timestamp units */
    uint32_t a8_jitter;  /* scaled by 16 */
    bool a8_started;
    bool dtmf_any; /* dtmf_last is valid (RFC 4733; here it fills what would be padding) */

    /* the open 10-second window */
    struct rtpstream_window win;

    /* what only some packets touch (errors, gaps, late packets, window ends, events) */
    uint32_t ssrc;
    uint32_t seq_errors;
    uint32_t a1_base;           /* extended first sequence number */
    uint32_t a1_expected_prior; /* expected counted before a resync */
    uint32_t lost_unique;
    uint32_t duplicates;
    uint32_t out_of_order;
    uint32_t loss_bursts[2];       /* runs of 1..9 and of RTPSTREAM_BURST_LONG or more */
    struct rtpstream_window worst; /* the worst closed window (expected 0: none yet) */

    /* RFC 4733: the current (or last) event; its digits are the caller's to keep (media.c) */
    struct rtpstream_dtmf dtmf_last;
};

#define RTPSTREAM_RECORD_MAX 256 /* bytes a record may take (checked at compile time) */
#define RTPSTREAM_NO_BAD_SEQ 0x10000u

/* Everything rtpstream_figures() reports. Times in ms; "not measured" is said by the flags. */
struct rtpstream_figures {
    uint32_t ssrc;
    uint8_t pt;
    uint32_t clock_rate; /* last clock rate jitter was computed with; 0: none */

    /* Wireshark (tshark 4.0.17 `-z rtp,streams`, sharkd rtp-analyse) */
    uint32_t packets;
    uint32_t expected; /* last seq + 65536 * cycles - first seq + 1, modulo 2^32 */
    int32_t lost;      /* expected - packets (negative: duplicates) */
    double lost_pct;   /* lost * 100 / expected, 0 when expected is 0 */
    uint32_t seq_errors;
    bool problem;        /* tshark's "X" */
    double min_delta_ms; /* -1 when no regular packet (tshark prints -1.000) */
    double mean_delta_ms;
    double max_delta_ms;
    double min_jitter_ms; /* -1 when jitter was never computed (unknown clock rate) */
    double mean_jitter_ms;
    double max_jitter_ms;
    double last_jitter_ms;
    bool jitter_valid; /* false: tshark prints -1.000 / 0.000 / 0.000 */
    uint64_t first_ns; /* arrival of the first and last packets */
    uint64_t last_ns;

    /* honest figures */
    uint32_t expected_unique; /* RFC 3550 A.1: highest extended seq - first + 1 (over resyncs) */
    uint32_t lost_unique;     /* never negative; what MOS uses */
    double lost_unique_pct;
    uint32_t duplicates;
    uint32_t out_of_order;   /* late packets that filled a gap, or arrived before the first */
    uint32_t loss_bursts[2]; /* bursts of 1..9 lost packets, and of 10 or more */
    double burst_ratio;      /* 0 when nothing was lost */
    uint32_t rfc3550_jitter; /* A.8 interarrival jitter, timestamp units (0 without a clock) */

    /* the worst 10-second window by loss (lost_unique based) */
    bool window_valid;
    uint64_t window_start_ns;
    uint32_t window_expected;
    uint32_t window_lost;
    double window_loss_pct;
    double window_burst_ratio; /* 0 when the window lost nothing */
};

/*
 * Start a record for one stream. pt is the payload type it was set up with,
 * clock_rate the RTP clock of that payload type (SDP rtpmap, or the static
 * table), 0 when unknown. Wireshark takes the clock of a static payload
 * type (< 96) from its own table whatever the SDP says, and a dynamic one
 * from the rtpmap: clock_rate is therefore used only for packets whose
 * payload type is pt and pt >= 96.
 */
void rtpstream_init(struct rtpstream *s, uint32_t ssrc, uint8_t pt, uint32_t clock_rate);

/*
 * Declare (again) which dynamic payload type the known clock rate belongs
 * to: after a re-INVITE that changed the codec, or when the stream starts
 * with comfort noise or an event before its first audio packet. Wireshark
 * looks every packet's payload type up in the SDP rtpmaps; a caller that
 * knows several can call this before each packet whose type changed.
 */
void rtpstream_set_clock(struct rtpstream *s, uint8_t pt, uint32_t clock_rate);

/*
 * Account one packet of the stream (h->ssrc should be the record's),
 * arriving at arrival_ns (capture time). event_pt is the payload type
 * announced as telephone-event for this media (RFC 4733), or
 * RTPSTREAM_NO_EVENT_PT. Packets of that type are decoded as events and,
 * as Wireshark does, get no jitter (their timestamp does not advance).
 * Returns enum rtpstream_event bits. O(1), no allocation.
 */
unsigned rtpstream_update(struct rtpstream *s, const struct rtp_hdr *h, uint64_t arrival_ns,
                          uint32_t event_pt);

/* Every figure of the stream so far (may be called at any time). */
void rtpstream_figures(const struct rtpstream *s, struct rtpstream_figures *f);

/*
 * Burst ratio (ITU-T G.113 Appendix I, RFC 3611 §4.7.2 style): the observed
 * mean burst length divided by the mean burst length random loss would give
 * at the same loss rate, i.e. (lost / bursts) * (1 - lost / expected).
 * 1 for random loss, above 1 for bursty loss; 0 when lost is 0.
 */
double rtpstream_burst_ratio(uint32_t expected, uint32_t lost, uint32_t bursts);

/* The DTMF digit of an RFC 4733 event code ("0123456789*#ABCD"), 0 above 15. */
char rtpstream_dtmf_digit(uint8_t event);

#endif
