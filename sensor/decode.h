/* decode.h: L2 -> L3 -> L4 driver: link types, VLANs, tunnels, IPv4/IPv6, fragments, UDP/TCP. */
#ifndef SIPSCOPE_SENSOR_DECODE_H
#define SIPSCOPE_SENSOR_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../decoders/addr.h"
#include "../decoders/stats.h"
#include "../decoders/status.h"

#define DECODE_MAX_ENCAP 8         /* nested tunnels/VLAN tags followed at most */
#define DECODE_MAX_IPV6_EXT 8      /* IPv6 extension headers walked at most */

enum pkt_l4 {
    PKT_L4_NONE = 0,
    PKT_L4_UDP,
    PKT_L4_TCP,
    PKT_L4_ICMP,   /* ICMP or ICMPv6: never handed to SIP */
    PKT_L4_OTHER,  /* SCTP and the rest */
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
    struct endpoint src;      /* innermost IP addresses and L4 ports */
    struct endpoint dst;
    enum pkt_l4 l4;
    uint8_t ip_proto;         /* innermost IP protocol number */
    uint8_t encap_depth;      /* tunnels and VLAN tags crossed */
    uint16_t vlan;            /* innermost 802.1Q VID, 0 if none */
    uint32_t tcp_seq;
    uint32_t tcp_ack;
    uint8_t tcp_flags;
    bool reassembled;         /* payload was rebuilt from IP fragments */
    bool truncated;           /* the snaplen cut the payload short of its declared length */
    const uint8_t *payload;   /* L4 payload; valid until the next decode_frame call or frame release */
    size_t payload_len;
};

struct decode_config {
    uint32_t frag_max;        /* fragment sets in the reassembly table */
    uint32_t frag_timeout_s;  /* packet-time seconds an incomplete set may wait */
};

struct decode;

/* Create a decoder with its fragment table; counters go to *st (owned by the caller). */
struct decode *decode_create(const struct decode_config *cfg, struct stats *st);
void decode_destroy(struct decode *d);

/*
 * Decode one frame of the given link type (DLT_/LINKTYPE_ value).
 * STATUS_OK: *out describes the innermost IP packet's L4 header and payload.
 * STATUS_NEED_MORE: an IP fragment was stored; nothing to hand on yet.
 * STATUS_UNSUPPORTED: not IP, or a link/tunnel type we do not decode (counted).
 * STATUS_TRUNCATED / STATUS_MALFORMED: bad headers (counted).
 * Packet time also drives fragment expiry.
 */
enum status decode_frame(struct decode *d, int linktype, const uint8_t *data, size_t caplen,
                         uint64_t ts_ns, struct pkt_info *out);

#endif
