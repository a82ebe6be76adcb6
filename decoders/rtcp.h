/* rtcp.h: RTCP compound packet walker: SR, RR, SDES, BYE, APP, XR VoIP metrics (RFC 3550 §6.4-6.7,
 * RFC 3611 §4.7, RFC 5761 §4). */
#ifndef SIPSCOPE_DECODERS_RTCP_H
#define SIPSCOPE_DECODERS_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "sv.h"

/*
 * Bounds. Every loop of the walker stops at one of these or at the end of
 * the datagram, whichever comes first; nothing is allocated.
 */
#define RTCP_MAX_PACKETS 16    /* RTCP packets decoded per compound (real ones carry 2-4) */
#define RTCP_MAX_RC 31         /* report blocks / sources per packet: the 5-bit count field */
#define RTCP_MAX_BLOCKS 64     /* report blocks kept per compound, all SR/RR together */
#define RTCP_MAX_CHUNKS 31     /* SDES chunks kept per compound */
#define RTCP_MAX_SDES_ITEMS 64 /* items walked per SDES chunk */
#define RTCP_MAX_BYE_SSRC RTCP_MAX_RC /* SSRCs per BYE */
#define RTCP_MAX_XR_BLOCKS 32         /* report blocks walked per XR packet */
#define RTCP_RTT_MAX_MS 10000.0       /* a round trip above this is not believed (rtcp_rtt_ms) */

#define RTCP_HEADER_LEN 4       /* V P count | PT | length */
#define RTCP_REPORT_LEN 24      /* one report block (RFC 3550 §6.4.1) */
#define RTCP_SR_INFO_LEN 20     /* NTP(8) RTP ts(4) packets(4) octets(4) */
#define RTCP_XR_VOIP_LEN 36     /* VoIP metrics block, header included (RFC 3611 §4.7) */
#define RTCP_XR_UNAVAILABLE 127 /* the "unavailable" value of the 8-bit XR metrics */

/* Packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611 §2). */
enum rtcp_type {
    RTCP_SR = 200,
    RTCP_RR = 201,
    RTCP_SDES = 202,
    RTCP_BYE = 203,
    RTCP_APP = 204,
    RTCP_RTPFB = 205,
    RTCP_PSFB = 206,
    RTCP_XR = 207,
};

/* SDES item types (RFC 3550 §6.5). */
enum rtcp_sdes_item {
    RTCP_SDES_END = 0,
    RTCP_SDES_CNAME = 1,
    RTCP_SDES_NAME = 2,
    RTCP_SDES_EMAIL = 3,
    RTCP_SDES_PHONE = 4,
    RTCP_SDES_LOC = 5,
    RTCP_SDES_TOOL = 6,
    RTCP_SDES_NOTE = 7,
    RTCP_SDES_PRIV = 8,
};

/* XR block types used here (RFC 3611 §4). */
#define RTCP_XR_BT_VOIP_METRICS 7

/* Things the walker tolerated but noted (struct rtcp_compound.anomalies). */
enum rtcp_anomaly {
    RTCP_ANOM_FIRST_NOT_REPORT = 1u << 0, /* first packet is not SR/RR (allowed by RFC 5506) */
    RTCP_ANOM_PADDING_NOT_LAST = 1u << 1, /* P bit on a packet other than the last (A.2) */
    RTCP_ANOM_TOO_MANY = 1u << 2,         /* a cap above was hit; the excess is counted, not kept */
    RTCP_ANOM_SDES_NO_END = 1u << 3,      /* a chunk ran to the end of its packet without END */
    RTCP_ANOM_EXTRA_BYTES = 1u << 4,      /* bytes after the last chunk or BYE reason */
    RTCP_ANOM_XR_BAD_VOIP = 1u << 5,      /* a BT=7 block whose length is not 8: skipped */
    RTCP_ANOM_UNKNOWN_TYPE = 1u << 6,     /* a packet type outside 200-207: skipped by length */
};

/*
 * Report block (RFC 3550 §6.4.1), 24 bytes:
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 SSRC_n (SSRC of the source)                   |
 *  | fraction lost |       cumulative number of packets lost       |
 *  |           extended highest sequence number received           |
 *  |                      interarrival jitter                      |
 *  |                         last SR (LSR)                         |
 *  |                   delay since last SR (DLSR)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
struct rtcp_report {
    uint32_t reporter;        /* SSRC of the SR/RR sender (who measured) */
    uint32_t ssrc;            /* the source this block is about */
    uint8_t fraction_lost;    /* lost / expected since the last report, x256 */
    int32_t cumulative_lost;  /* 24-bit two's complement: negative when duplicates arrived */
    uint32_t ext_highest_seq; /* cycles << 16 | highest sequence number */
    uint32_t jitter;          /* interarrival jitter, RTP timestamp units (A.8) */
    uint32_t lsr;             /* middle 32 bits of the NTP time of the last SR, 0 = none */
    uint32_t dlsr;            /* delay since that SR, 1/65536 s */
};

/* One SDES chunk: the source and the items we keep (views into the datagram). */
struct rtcp_sdes {
    uint32_t ssrc;
    struct sv cname; /* RTCP_SDES_CNAME, empty when absent */
    struct sv name;  /* RTCP_SDES_NAME */
    struct sv tool;  /* RTCP_SDES_TOOL */
    uint8_t items;   /* items walked in this chunk, END excluded */
};

/*
 * XR VoIP Metrics report block (RFC 3611 §4.7), 36 bytes:
 *
 *  |     BT=7      |   reserved    |       block length = 8        |
 *  |                        SSRC of source                         |
 *  |   loss rate   | discard rate  | burst density |  gap density  |
 *  |       burst duration          |         gap duration          |
 *  |     round trip delay          |       end system delay        |
 *  | signal level  |  noise level  |     RERL      |     Gmin      |
 *  |   R factor    | ext. R factor |    MOS-LQ     |    MOS-CQ     |
 *  |   RX config   |   reserved    |          JB nominal           |
 *  |          JB maximum           |          JB abs max           |
 *
 * The 8-bit metrics use 127 (RTCP_XR_UNAVAILABLE) for "not available";
 * rtcp_xr_mos() turns MOS-LQ/CQ into a MOS or -1.
 */
struct rtcp_xr_voip {
    uint32_t ssrc;                /* the source the metrics are about */
    uint8_t loss_rate;            /* fraction lost since the start, x256 */
    uint8_t discard_rate;         /* fraction discarded (late/early), x256 */
    uint8_t burst_density;        /* fraction lost or discarded within bursts, x256 */
    uint8_t gap_density;          /* the same within gaps, x256 */
    uint16_t burst_duration_ms;   /* mean burst length */
    uint16_t gap_duration_ms;     /* mean gap length */
    uint16_t round_trip_delay_ms; /* the reporter's recent RTT, 0 = unknown */
    uint16_t end_system_delay_ms; /* internal round trip of the reporter, 0 = unknown */
    int8_t signal_level_dbm;      /* dBm0, 127 = unavailable */
    int8_t noise_level_dbm;       /* dBm0, 127 = unavailable */
    uint8_t rerl_db;              /* residual echo return loss, 127 = unavailable */
    uint8_t gmin;                 /* gap threshold in packets (16 recommended) */
    uint8_t r_factor;             /* 0-100, 127 = unavailable */
    uint8_t ext_r_factor;         /* 0-100+, 127 = unavailable */
    uint8_t mos_lq;               /* MOS-LQ x10 (10-50), 127 = unavailable */
    uint8_t mos_cq;               /* MOS-CQ x10 (10-50), 127 = unavailable */
    uint8_t rx_config;            /* PLC(2) JBA(2) JB rate(4) */
    uint16_t jb_nominal_ms;
    uint16_t jb_maximum_ms;
    uint16_t jb_abs_max_ms;
};

/*
 * One RTCP packet of a compound. Common header (RFC 3550 §6.4.1):
 *
 *  |V=2|P|   count   |      PT       |             length            |
 *
 * count is RC (SR/RR), SC (SDES/BYE) or the subtype/FMT (APP, RTPFB,
 * PSFB); length is in 32-bit words minus one, header and padding
 * included. Fields that do not apply to the type stay zero.
 */
struct rtcp_packet {
    uint8_t type;  /* enum rtcp_type, or another value in 192-223 */
    uint8_t count; /* the 5-bit count / subtype field */
    bool padding;  /* P bit */
    uint32_t len;  /* bytes, header and padding included: (length + 1) * 4 */
    uint32_t ssrc; /* sender (SR, RR, APP, XR, RTPFB, PSFB), first chunk (SDES),
                      first SSRC (BYE); 0 when the packet has none */
    /* SR: sender info */
    uint64_t sr_ntp; /* 64-bit NTP timestamp (seconds since 1900 << 32 | fraction) */
    uint32_t sr_rtp_ts;
    uint32_t sr_packet_count;
    uint32_t sr_octet_count;
    /* SR/RR: report blocks r->blocks[first_block .. first_block + block_count) */
    uint8_t first_block;
    uint8_t block_count; /* blocks kept (count minus those past RTCP_MAX_BLOCKS) */
    /* SDES: chunks r->chunks[first_chunk .. first_chunk + chunk_count) */
    uint8_t first_chunk;
    uint8_t chunk_count;
    /* BYE */
    uint32_t bye_ssrc[RTCP_MAX_BYE_SSRC];
    uint8_t bye_count;
    struct sv bye_reason; /* optional "reason for leaving", empty when absent */
    /* APP */
    struct sv app_name; /* 4 ASCII characters */
    struct sv app_data; /* application-dependent data, padding excluded */
    /* XR */
    uint8_t xr_blocks;     /* report blocks walked */
    bool has_voip_metrics; /* voip holds the first BT=7 block */
    struct rtcp_xr_voip voip;
};

/* A parsed compound packet. A plain record: on the stack or in a pool. */
struct rtcp_compound {
    struct rtcp_packet packets[RTCP_MAX_PACKETS];
    uint8_t packet_count;
    struct rtcp_report blocks[RTCP_MAX_BLOCKS];
    uint8_t block_count;
    struct rtcp_sdes chunks[RTCP_MAX_CHUNKS];
    uint8_t chunk_count;
    uint16_t dropped;   /* blocks, chunks or packets beyond the caps, not kept */
    uint32_t anomalies; /* enum rtcp_anomaly bits */
    size_t wire_len;    /* bytes of whole packets walked; < len after an error or a cap */
};

/*
 * Walk the RTCP packets of one datagram (a compound packet, RFC 3550 §6.1)
 * into out. Each packet is checked against its own length before anything
 * in it is read; a count (RC, SC) that does not fit the length is an error,
 * never a reason to read further.
 *
 * Returns:
 *   STATUS_OK         every packet walked (or RTCP_MAX_PACKETS reached:
 *                     RTCP_ANOM_TOO_MANY, wire_len tells how far);
 *   STATUS_TRUNCATED  len is 0, or a header or a packet's length runs past len;
 *   STATUS_MALFORMED  version is not 2, a packet type is outside 192-223
 *                     (RFC 5761 §4), or a packet contradicts itself (count
 *                     past its length, bad padding, an SDES item or XR
 *                     block past the end, an SR shorter than its sender
 *                     info).
 * On an error, out holds the packets before the bad one, each fully checked,
 * and wire_len is the offset of the bad one. Views point into buf. No
 * allocation, no globals; O(len) work.
 */
enum status rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_compound *out);

/*
 * RTP/RTCP demultiplexing on one port (RFC 5761 §4): true when buf starts
 * like RTCP, version 2 and a second octet (packet type) in 192-223, the
 * range RTP payload types 64-95 with the marker bit would fall in and which
 * RFC 5761 forbids for RTP. At least 8 bytes (header and SSRC) are needed.
 */
bool rtcp_is_rtcp(const uint8_t *buf, size_t len);

/* Fraction lost (8-bit, x256) as a percentage: 7 -> 2.734375. */
double rtcp_fraction_lost_pct(uint8_t fraction_lost);

/*
 * Interarrival jitter from RTP timestamp units to milliseconds for a clock
 * rate; -1 when the clock rate is unknown (0).
 */
double rtcp_jitter_ms(uint32_t jitter_ts_units, uint32_t clock_rate);

/* The middle 32 bits of a 64-bit NTP timestamp: what a later LSR carries (RFC 3550 §6.4.1). */
uint32_t rtcp_ntp_middle(uint64_t ntp);

/* Unix-epoch nanoseconds to the middle 32 bits of the NTP time (epoch 1900, +2208988800 s). */
uint32_t rtcp_ntp_middle_from_ns(uint64_t unix_ns);

/*
 * Round-trip time from a report block (RFC 3550 §6.4.1): A - LSR - DLSR,
 * with A the arrival time of the report (Unix ns, packet time) as the middle
 * 32 bits of NTP, computed modulo 2^32 in 1/65536 s. False when LSR is 0
 * (no SR received yet), or the result is negative or above RTCP_RTT_MAX_MS
 * (clocks of different hosts, a stale or forged LSR). Only meaningful when
 * arrival_ns is measured where the SR's sender receives the report, which a
 * passive sensor near that sender approximates.
 */
bool rtcp_rtt_ms(uint32_t lsr, uint32_t dlsr, uint64_t arrival_ns, double *rtt_ms);

/* XR MOS-LQ or MOS-CQ (x10) as a MOS: 41 -> 4.1; -1 for 127 or outside 10-50. */
double rtcp_xr_mos(uint8_t mos_x10);

/* Name of a packet type ("SR", "RR", "SDES", "BYE", "APP", "RTPFB", "PSFB", "XR", "?"). */
const char *rtcp_type_name(uint8_t type);

#endif
