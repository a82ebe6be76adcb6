/* dpi.h: UDP flows classified by nDPI, seconded by a strict RTP/RTCP heuristic (RFC 3550 §5.1). */
#ifndef SIPSCOPE_SENSOR_DPI_H
#define SIPSCOPE_SENSOR_DPI_H

#include <stddef.h>
#include <stdint.h>

#include "../decoders/stats.h"
#include "decode.h"

/*
 * What carries a UDP flow that nothing announced (no SDP seen, NAT rewrote the
 * address, the far end latched onto another port). This module is the only
 * user of nDPI; its types never leave dpi.c.
 *
 * Per flow (both directions are one flow, sensor/flow.h) the packets go to
 * nDPI and, in parallel, to a header heuristic, until a verdict is reached.
 * The verdict is then cached in the flow and every later packet is answered
 * from the cache: one hash lookup, no nDPI call.
 *
 * The heuristic checks each payload:
 *  - RTCP (RFC 3550 §6.1, §6.4): a compound whose packets all have version 2
 *    and a known type (195, 200..207), whose lengths add up exactly to the
 *    datagram, whose first packet is SR or RR with room for its report
 *    blocks, with padding only on the last packet;
 *  - RTP (RFC 3550 §5.1): rtp_looks_like() of decoders/rtp.h: version 2,
 *    a payload type assigned or dynamic in RFC 3551 §6 (so never 72..76,
 *    RTCP SR..APP with the marker bit set, RFC 5761 §4), the CSRC list, the
 *    header extension and the padding count fit, and at least one byte of
 *    payload remains;
 *  - a stream of RTP packets: DPI_SSRC_SLOTS SSRCs are followed per flow
 *    (audio and its RFC 4733 events interleave on one 5-tuple); a packet of a
 *    known SSRC whose sequence number is 1..DPI_RTP_MAX_SEQ_STEP above the
 *    last one extends that SSRC's run; a duplicate or a slightly late packet
 *    (0 or up to DPI_RTP_MAX_SEQ_STEP behind) leaves it as it is; any other
 *    jump starts the run again at 1 (RFC 3550 A.1 probation, simplified).
 *    `run` below is the longest run of the flow.
 *
 * Decision rule, evaluated after each payload-carrying packet of a flow:
 *  1. nDPI names SIP -> DPI_SIP; STUN -> DPI_STUN; any other protocol except
 *     RTP and RTCP -> DPI_OTHER. nDPI is trusted for what it positively
 *     recognises.
 *  2. nDPI names RTP: DPI_RTP once run >= DPI_RTP_CONFIRM_RUN (the two
 *     opinions agree); until then DPI_PENDING.
 *     nDPI names RTCP: DPI_RTCP once one payload passed the RTCP check.
 *  3. A flow without an nDPI state (the state pool was full, counted
 *     STAT_DPI_NO_STATE) uses the heuristic alone: DPI_RTP once run >=
 *     DPI_RTP_ALONE_RUN; DPI_RTCP once DPI_RTCP_ALONE payloads passed the
 *     RTCP check and none failed both checks.
 *  4. Give-up: at the giveup_packets-th payload still undecided, nDPI gets
 *     its last word (ndpi_detection_giveup, no port guessing): SIP or STUN
 *     stand; otherwise the heuristic alone decides as in 3, and what it does
 *     not call RTP or RTCP is DPI_OTHER (counted STAT_DPI_GIVEUP; a flow nDPI
 *     had called RTP/RTCP that the heuristic rejects is also counted
 *     STAT_DPI_DISAGREE).
 *     A flow whose every payload so far passed the RTCP check gives up
 *     early, at DPI_RTCP_ALONE payloads: RTCP comes every few seconds
 *     (RFC 3550 §6.2), so waiting for giveup_packets of them would lose the
 *     first half minute of reports, and nDPI 4.2 never names a compound
 *     shorter than 28 bytes (an RR without report blocks plus SDES, which is
 *     what an endpoint that receives nothing sends).
 * A flow holds an nDPI state only while nDPI is undecided: it is given back
 * as soon as nDPI names a protocol, at give-up, and when the flow leaves.
 *
 * What a caller sees: the first packet of an RTP flow nDPI knows comes back
 * DPI_PENDING and the second DPI_RTP; RTP nDPI 4.2 does not know (CSRCs or a
 * header extension, a destination port below 1024) is DPI_RTP at the
 * giveup_packets-th packet; RTCP nDPI knows is DPI_RTCP at once, short RTCP
 * at the second compound. A caller that must not lose the pending packets
 * checks them with rtp_looks_like() itself.
 *
 * A DPI_RTP flow may also carry RTCP (RFC 5761 multiplexing): tell the
 * packets apart with rtp_is_rtcp() (decoders/rtp.h). SRTP passes as RTP (its
 * header is in clear); SRTCP does not pass the RTCP check (its body is
 * encrypted).
 */

enum dpi_verdict {
    DPI_PENDING = 0, /* not decided yet: more packets of the flow are needed */
    DPI_RTP,
    DPI_RTCP,
    DPI_SIP,
    DPI_STUN,
    DPI_OTHER, /* anything else, or nothing recognisable by the give-up bound */
};
#define DPI_VERDICT_COUNT 6

/* Which nDPI dissectors run (see dpi.c for the VoIP list and the measurement that chose it). */
enum dpi_protocols {
    DPI_PROTOCOLS_VOIP = 0, /* RTP, RTCP, SIP, STUN and the common non-media UDP protocols */
    DPI_PROTOCOLS_ALL,      /* every dissector nDPI has */
};

#define DPI_DEFAULT_MAX_FLOWS 65536
#define DPI_DEFAULT_MAX_STATES 4096 /* nDPI flow states: only undecided flows hold one */
#define DPI_DEFAULT_IDLE_S 60
#define DPI_DEFAULT_GIVEUP 8      /* payload packets of a flow before the heuristic decides alone */
#define DPI_MAX_STATES (1u << 20) /* largest max_states accepted */
#define DPI_MAX_GIVEUP 255        /* largest giveup_packets accepted */

#define DPI_SSRC_SLOTS 4        /* SSRCs the heuristic follows per flow */
#define DPI_RTP_MAX_SEQ_STEP 8  /* largest sequence step that still continues a run */
#define DPI_RTP_CONFIRM_RUN 2   /* run that confirms nDPI's RTP */
#define DPI_RTP_ALONE_RUN 3     /* run that makes RTP without nDPI */
#define DPI_RTCP_ALONE 2        /* valid RTCP compounds that make RTCP without nDPI */
#define DPI_RTCP_MAX_PACKETS 16 /* packets walked in one RTCP compound */
/* Largest payload handed to nDPI: 40 bytes of IPv6 and 8 of UDP header go in front, within 65535.
 */
#define DPI_NDPI_MAX_PAYLOAD (65535u - 48u)

/*
 * Zero in a field means its default (dpi_config_default fills them in).
 * Memory, bounded by dpi_create: the flow table (flow.h: about 170 bytes
 * a flow on x86-64), max_states * ndpi_detection_get_sizeof_ndpi_flow_struct()
 * (688 bytes with nDPI 4.2), a 64 KiB scratch packet, and nDPI's detection
 * module itself (about 9 MB with 4.2, whatever the protocol set), which is
 * started only when the first flow needs nDPI.
 */
struct dpi_config {
    uint32_t max_flows;      /* flows classified at once; 0: DPI_DEFAULT_MAX_FLOWS */
    uint32_t max_states;     /* nDPI flow states (<= max_flows); 0: DPI_DEFAULT_MAX_STATES */
    uint32_t idle_timeout_s; /* packet-time idle limit of a flow; 0: DPI_DEFAULT_IDLE_S */
    uint32_t giveup_packets; /* payload packets before give-up (<= DPI_MAX_GIVEUP); 0: default */
    enum dpi_protocols protocols;
};

struct dpi;

/* Every field to its default. */
void dpi_config_default(struct dpi_config *cfg);

/*
 * Create the classifier: the flow table and the nDPI state pool. nDPI's
 * detection module starts with the first flow that needs it; if it cannot,
 * that flow and every later one are told by the heuristic alone (counted as
 * DPI_NO_STATE). cfg may be NULL (defaults); counters go to *st (FLOWS,
 * FLOW_*, DPI_*; may be NULL: kept privately). NULL when out of memory or
 * when a field is above its cap. The result belongs to one thread (nDPI
 * keeps the current packet inside its module).
 */
struct dpi *dpi_create(const struct dpi_config *cfg, struct stats *st);
/* Release every flow and nDPI. NULL is a no-op. */
void dpi_destroy(struct dpi *d);

/*
 * Classify one packet's flow. Only UDP over IPv4/IPv6 is classified (anything
 * else is DPI_OTHER and leaves no trace). Creates the flow if needed (a full
 * table evicts its least recently used flow, counted), refreshes its idle
 * time and returns the flow's verdict after this packet. A packet without
 * payload only refreshes the flow. The payload is read during the call only.
 * Time is pkt->ts_ns (nDPI's clock too, in milliseconds).
 */
enum dpi_verdict dpi_classify(struct dpi *d, const struct pkt_info *pkt);

/* The cached verdict of the packet's flow (DPI_PENDING when unknown); changes nothing. */
enum dpi_verdict dpi_verdict_of(const struct dpi *d, const struct pkt_info *pkt);

/*
 * nDPI's name for what it recognised on the packet's flow ("DNS", "RTP"...),
 * "Unknown" when it named nothing (or the flow is unknown). The string is
 * nDPI's and lives as long as d.
 */
const char *dpi_protocol_name(const struct dpi *d, const struct pkt_info *pkt);

/* Drop flows idle for idle_timeout_s at packet time now_ns (counted STAT_FLOW_EXPIRED). */
void dpi_expire(struct dpi *d, uint64_t now_ns);

/* Flows in the table (decided or not). */
uint32_t dpi_active_flows(const struct dpi *d);
/* nDPI flow states in use (undecided flows that hold one). */
uint32_t dpi_states_in_use(const struct dpi *d);
/* Bytes of the flow table, state pool and scratch packet (nDPI's own module not included). */
size_t dpi_bytes(const struct dpi *d);
/* Whether nDPI's module has been started (by the first flow that needed it). */
bool dpi_ndpi_started(const struct dpi *d);

/* "pending", "rtp", "rtcp", "sip", "stun", "other" ("?" out of range). */
const char *dpi_verdict_name(enum dpi_verdict v);

#endif
