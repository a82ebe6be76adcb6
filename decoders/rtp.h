/* rtp.h: RTP fixed header, CSRCs, extension, padding (RFC 3550 §5.1, §5.3.1; RFC 5761 §4). */
#ifndef SIPSCOPE_DECODERS_RTP_H
#define SIPSCOPE_DECODERS_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/*
 * RFC 3550 §5.1, the fixed header (12 bytes), then 0..15 CSRCs:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           timestamp                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |           synchronization source (SSRC) identifier            |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |            contributing source (CSRC) identifiers             |
 *    |                             ....                              |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 3550 §5.3.1, the header extension when X is set:
 *
 *    |      defined by profile       |           length              |
 *    |                        header extension (length * 4 bytes)    |
 *
 * When P is set, the last byte of the packet counts the padding bytes at
 * the end, itself included (so it is at least 1).
 */
#define RTP_VERSION 2
#define RTP_FIXED_LEN 12        /* fixed header bytes */
#define RTP_MAX_CSRC 15         /* the CC field is 4 bits */
#define RTP_MAX_EXT_WORDS 65535 /* the extension length field is 16 bits (32-bit words) */

/* RFC 5761 §4: RTCP packet types 192..223 fall on RTP payload types 64..95 with M set. */
#define RTP_RTCP_MUX_FIRST 192
#define RTP_RTCP_MUX_LAST 223

enum rtp_anomaly {
    RTP_ANOM_BAD_PADDING = 1u << 0, /* P set but the count is 0 or more than the payload */
    RTP_ANOM_CSRC = 1u << 1,        /* CSRC list present (not an error; mixers are rare) */
};

/* One decoded RTP packet; payload is a view into the caller's buffer. */
struct rtp_hdr {
    uint8_t version;
    bool padding;       /* P */
    bool extension;     /* X */
    bool marker;        /* M */
    uint8_t csrc_count; /* CC */
    uint8_t pt;         /* payload type, 7 bits */
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint16_t ext_profile;   /* "defined by profile" field; 0 without X */
    uint16_t ext_words;     /* extension length in 32-bit words; 0 without X */
    uint8_t padding_len;    /* padding bytes removed from the end (count byte included) */
    uint32_t anomalies;     /* enum rtp_anomaly bits */
    size_t header_len;      /* fixed header + CSRCs + extension */
    const uint8_t *payload; /* after the header, padding removed */
    size_t payload_len;
};

/*
 * Decode the RTP packet p[0..len) (a UDP payload). Reads only through the
 * cursor; no allocation, no globals.
 *
 * STATUS_OK: every field of *out is set, payload excludes the padding.
 * STATUS_TRUNCATED: fewer than 12 bytes, or the CSRC list or the header
 *   extension runs past len. Fields read before the cut are set.
 * STATUS_MALFORMED: the version is not 2 (only version is meaningful), or
 *   the padding count is 0 or larger than what follows the header
 *   (RTP_ANOM_BAD_PADDING). In the padding case every header field is valid
 *   and the payload is empty: tshark 4.0 clips such padding and still counts
 *   the packet in its stream statistics, so a caller that wants Wireshark's
 *   figures feeds it to rtpstream_update() all the same.
 */
enum status rtp_parse(const uint8_t *p, size_t len, struct rtp_hdr *out);

/*
 * Strict heuristic for RTP on a port no signalling announced: version 2, a
 * payload type that is assigned or dynamic (RFC 3551 §6: not 1, 2, 19..24,
 * 27, 29, 30, 35..95; in particular not 72..76, where RTCP SR/RR/SDES/BYE/APP
 * would sit, RFC 5761 §4), a header whose CSRC list, extension and padding
 * fit the datagram exactly, and at least one payload byte. Rejects RTCP, SIP
 * text, STUN (version 0) and most random data; one packet can still fool it,
 * so confirm a flow over a few packets before believing it.
 */
bool rtp_looks_like(const uint8_t *p, size_t len);

/*
 * RFC 5761 §4 demultiplexing of RTP and RTCP on one port: true when the
 * version is 2 and the second byte is 192..223 (an RTCP packet type; as RTP
 * it would be M set with payload type 64..95). This is also the test
 * Wireshark's RTP dissector applies before handing a packet to RTCP.
 */
bool rtp_is_rtcp(const uint8_t *p, size_t len);

/*
 * The SSRC a packet would have as RTP, for looking ahead at packets not yet
 * analysed: true when p holds a whole fixed header (12 bytes) of version 2
 * that is not RTCP (rtp_is_rtcp); *ssrc is then the one rtp_parse gives.
 * Nothing else is checked: rtp_parse still decides whether it is RTP.
 */
bool rtp_peek_ssrc(const uint8_t *p, size_t len, uint32_t *ssrc);

#endif
