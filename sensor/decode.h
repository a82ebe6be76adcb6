/* decode.h: L2 -> L3 -> L4 driver: link types, VLANs, tunnels, IPv4/IPv6, fragments, UDP/TCP. */
#ifndef SIPSCOPE_SENSOR_DECODE_H
#define SIPSCOPE_SENSOR_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decoders/addr.h"
#include "../decoders/stats.h"
#include "../decoders/status.h"

#define DECODE_MAX_ENCAP 8     /* nested tunnels/VLAN tags followed at most */
#define DECODE_MAX_IPV6_EXT 8  /* IPv6 extension headers walked at most */
#define DECODE_VXLAN_PORT 4789 /* UDP destination port of VXLAN (RFC 7348 §5) */

/*
 * Link types decode_frame takes: the LINKTYPE_ numbers of pcap-linktype(7),
 * and the DLT_ numbers libpcap reports where they differ (DLT_RAW is 12, or
 * 14 on OpenBSD, for LINKTYPE_RAW 101).
 */
#define DECODE_LINK_NULL 0          /* BSD loopback: 4-byte AF in the capturer's byte order */
#define DECODE_LINK_EN10MB 1        /* Ethernet II; 802.1Q/802.1ad/0x9100 tags; 802.3 counted */
#define DECODE_LINK_DLT_RAW 12      /* raw IPv4/IPv6 by version nibble (DLT_RAW) */
#define DECODE_LINK_DLT_RAW_OBSD 14 /* DLT_RAW on OpenBSD */
#define DECODE_LINK_RAW 101         /* LINKTYPE_RAW */
#define DECODE_LINK_LOOP 108        /* OpenBSD loopback: AF in network byte order */
#define DECODE_LINK_LINUX_SLL 113   /* Linux cooked v1: 16 bytes, protocol at offset 14 */
#define DECODE_LINK_IPV4 228        /* raw IPv4 only */
#define DECODE_LINK_IPV6 229        /* raw IPv6 only */
#define DECODE_LINK_LINUX_SLL2 276  /* Linux cooked v2: 20 bytes, protocol at offset 0 */

enum pkt_l4 {
    PKT_L4_NONE = 0,
    PKT_L4_UDP,
    PKT_L4_TCP,
    PKT_L4_ICMP,  /* ICMP or ICMPv6: never handed to SIP */
    PKT_L4_OTHER, /* SCTP and the rest */
};

/* TCP flag bits as on the wire. */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10

/* What the worker needs from one packet; payload is a view, never a copy. */
struct pkt_info {
    uint64_t ts_ns;
    struct endpoint src; /* innermost IP addresses and L4 ports */
    struct endpoint dst;
    enum pkt_l4 l4;
    uint8_t ip_proto;    /* innermost IP protocol number */
    uint8_t encap_depth; /* tunnels and VLAN tags crossed */
    uint16_t vlan;       /* innermost 802.1Q VID, 0 if none */
    uint32_t tcp_seq;
    uint32_t tcp_ack;
    uint8_t tcp_flags;
    bool reassembled; /* payload was rebuilt from IP fragments */
    bool truncated;   /* the snaplen cut the payload short of its declared length */
    const uint8_t
        *payload; /* L4 payload; valid until the next decode_frame call or frame release */
    size_t payload_len;
};

struct decode_config {
    uint32_t frag_max;       /* fragment sets in the reassembly table (0: 256; at most 16384) */
    uint32_t frag_timeout_s; /* packet-time seconds an incomplete set may wait (0: 30) */
};

struct decode;

/*
 * Create a decoder with its fragment table; counters go to *st (owned by the
 * caller). cfg may be NULL for the defaults. Every fragment buffer (64 KiB a
 * set) is allocated here. NULL when out of memory.
 */
struct decode *decode_create(const struct decode_config *cfg, struct stats *st);
void decode_destroy(struct decode *d);

/*
 * Decode one frame of the given link type (DLT_/LINKTYPE_ value).
 * STATUS_OK: *out describes the innermost IP packet's L4 header and payload.
 * STATUS_NEED_MORE: an IP fragment was stored; nothing to hand on yet.
 * STATUS_UNSUPPORTED: not IP, or a link/tunnel type we do not decode (counted).
 * STATUS_TRUNCATED / STATUS_MALFORMED: bad headers (counted).
 * Packet time also drives fragment expiry.
 *
 * Details of the contract:
 *  - every call starts by zeroing *out and setting out->ts_ns; it then frees
 *    the datagram a previous call reassembled, so a payload view lives until
 *    the next call;
 *  - STATUS_TRUNCATED when a header is cut by the capture (snaplen), and
 *    STATUS_MALFORMED when it contradicts the lengths around it; both count
 *    STAT_DECODE_ERRORS, except a bad fragment, which counts STAT_FRAG_BAD;
 *  - STATUS_UNSUPPORTED counts one of STAT_UNSUPPORTED_LINK (unknown link
 *    type, 802.3/LLC frame, GRE version or routing we do not follow, ERSPAN
 *    frame type other than Ethernet/IP), STAT_NON_IP (ARP and the like) or
 *    STAT_ENCAP_TOO_DEEP (more than DECODE_MAX_ENCAP tags and tunnels);
 *  - STATUS_FULL: an IP fragment dropped because no reassembly set could be
 *    had (counted STAT_FRAG_EVICTED); nothing to hand on;
 *  - on STATUS_OK with PKT_L4_UDP/TCP the payload follows the L4 header; with
 *    PKT_L4_ICMP it is empty (NULL, 0); with PKT_L4_OTHER it is the bytes
 *    after the IP header(s), ports 0. A payload cut by the snaplen sets
 *    out->truncated and is what was captured;
 *  - STAT_IPV4/STAT_IPV6 count every IP header decoded (outer and inner),
 *    STAT_UDP/TCP/ICMP/OTHER_L4 the innermost transport only, STAT_TUNNELS
 *    once per frame that entered at least one tunnel.
 */
enum status decode_frame(struct decode *d, int linktype, const uint8_t *data, size_t caplen,
                         uint64_t ts_ns, struct pkt_info *out);

/*
 * Decode ahead, in two halves. decode_peek_udp decodes, touching no state and
 * counting nothing, a frame of the form nearly every RTP packet has
 * (Ethernet II, IPv4 without options, not a fragment, UDP): true with *out
 * exactly as decode_frame would give it; false for any other frame (*out
 * unspecified), which decode_frame then decodes. decode_peeked, called for
 * that frame where decode_frame would have been, does the rest of what
 * decode_frame does (packet time, fragment upkeep, counters). Frames may be
 * peeked several ahead; decode_peeked and decode_frame follow frame order.
 */
bool decode_peek_udp(int linktype, const uint8_t *data, size_t caplen, uint64_t ts_ns,
                     struct pkt_info *out);
void decode_peeked(struct decode *d, const struct pkt_info *p);

/* a and b describe the same packet, field by field (padding bytes take no part). */
bool pkt_info_same(const struct pkt_info *a, const struct pkt_info *b);

/* Fragment sets in use (incomplete, or held for the current frame). */
uint32_t decode_frag_in_use(const struct decode *d);

#endif
