/* builders.h: synthetic test frames: Ethernet, VLAN, SLL, IPv4/6, UDP, TCP, GRE, ERSPAN, VXLAN. */
#ifndef SIPSCOPE_TESTS_BUILDERS_H
#define SIPSCOPE_TESTS_BUILDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How to use. Every builder writes one header followed by a payload into
 * buf[0..cap) and returns the number of bytes written, or 0 when cap is too
 * small, an address does not parse or a field does not fit. The payload may
 * already lie inside buf (it is moved with memmove), so layers can be stacked
 * inside one buffer:
 *
 *     uint8_t f[2048];
 *     size_t n = builders_udp4(f, sizeof f, "192.0.2.10", 5060, "198.51.100.20", 5060,
 *                              "OPTIONS sip:x SIP/2.0\r\n\r\n", 25);
 *
 * or built inside out, one layer at a time:
 *
 *     n = builders_udp(a, sizeof a, 5060, 5060, sip, sip_len);           (UDP header + SIP)
 *     n = builders_ipv4(b, sizeof b, "10.0.0.1", "10.0.0.2", 17, a, n);  (IPv4 + the above)
 *     n = builders_eth(f, sizeof f, BUILDERS_ETH_IPV4, b, n);            (Ethernet + the above)
 *
 * Addresses are text ("192.0.2.1", "2001:db8::1"). MAC addresses are fixed:
 * source 02:00:00:00:00:01, destination 02:00:00:00:00:02. IPv4 headers have
 * IHL 5, TTL 64, ID 0 (except the _frag builders) and a correct header
 * checksum. builders_ipv4/builders_ipv6 fill in the UDP or TCP checksum of a
 * complete segment whose checksum field is still 0; fragments keep theirs.
 */

#define BUILDERS_ETH_IPV4 0x0800
#define BUILDERS_ETH_IPV6 0x86DD
#define BUILDERS_ETH_ARP 0x0806
#define BUILDERS_TPID_8021Q 0x8100
#define BUILDERS_TPID_8021AD 0x88A8
#define BUILDERS_TPID_9100 0x9100

#define BUILDERS_PROTO_ICMP 1
#define BUILDERS_PROTO_IPIP 4
#define BUILDERS_PROTO_TCP 6
#define BUILDERS_PROTO_UDP 17
#define BUILDERS_PROTO_IPV6 41
#define BUILDERS_PROTO_GRE 47
#define BUILDERS_PROTO_ICMPV6 58
#define BUILDERS_PROTO_SCTP 132

#define BUILDERS_MAX_TAGS 16 /* VLAN tags builders_eth_vlan writes at most */

/* Ethernet II: dst, src, ethertype, payload. */
size_t builders_eth(uint8_t *buf, size_t cap, uint16_t ethertype, const void *payload, size_t len);

/*
 * Ethernet II with ntags VLAN tags (outermost first): tag i is tpids[i] then a
 * TCI with VID vids[i] (PCP 0), then the ethertype and payload.
 */
size_t builders_eth_vlan(uint8_t *buf, size_t cap, const uint16_t *tpids, const uint16_t *vids,
                         size_t ntags, uint16_t ethertype, const void *payload, size_t len);

/* Linux cooked capture v1 (16 bytes, protocol at offset 14), packet type "to us". */
size_t builders_sll(uint8_t *buf, size_t cap, uint16_t protocol, const void *payload, size_t len);
/* Linux cooked capture v2 (20 bytes, protocol at offset 0). */
size_t builders_sll2(uint8_t *buf, size_t cap, uint16_t protocol, const void *payload, size_t len);
/* BSD loopback: a 4-byte address family, little- or big-endian. */
size_t builders_null(uint8_t *buf, size_t cap, uint32_t af, bool big_endian, const void *payload,
                     size_t len);

/* IPv4 header (20 bytes, DF clear, not a fragment) and payload. */
size_t builders_ipv4(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t proto,
                     const void *payload, size_t len);

/*
 * One IPv4 fragment: `offset` is the byte offset of data in the original
 * payload (a multiple of 8), `more` sets MF. data/len is that slice.
 */
size_t builders_ipv4_frag(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t proto,
                          uint16_t id, size_t offset, bool more, const void *data, size_t len);

/* IPv6 fixed header (40 bytes, hop limit 64) and payload; next is the Next Header value. */
size_t builders_ipv6(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t next,
                     const void *payload, size_t len);

/*
 * IPv6 header + Fragment header (RFC 8200 §4.5) + the slice data/len at byte
 * `offset` of the fragmentable part; `next` goes into the Fragment header.
 */
size_t builders_ipv6_frag(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t next,
                          uint32_t id, size_t offset, bool more, const void *data, size_t len);

/*
 * A generic IPv6 extension header in the hop-by-hop/routing/destination
 * options format: Next Header, Hdr Ext Len = units - 1, then zero padding
 * (PadN-free zeros), 8 * units bytes in all (units 1..256), then payload.
 */
size_t builders_ipv6_ext(uint8_t *buf, size_t cap, uint8_t next, size_t units, const void *payload,
                         size_t len);

/* UDP header (length = 8 + len, checksum 0) and payload. */
size_t builders_udp(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport, const void *payload,
                    size_t len);

/* TCP header (20 bytes, window 65535, checksum 0) and payload; flags as on the wire. */
size_t builders_tcp(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport, uint32_t seq,
                    uint32_t ack, uint8_t flags, const void *payload, size_t len);

#define BUILDERS_GRE_CSUM 0x8000 /* C: checksum (and reserved1) present */
#define BUILDERS_GRE_KEY 0x2000  /* K: key present */
#define BUILDERS_GRE_SEQ 0x1000  /* S: sequence number present */

/*
 * GRE (RFC 2784/2890): flags is any OR of BUILDERS_GRE_*; the checksum, when
 * asked for, is computed over the GRE header and payload.
 */
size_t builders_gre(uint8_t *buf, size_t cap, uint16_t flags, uint32_t key, uint32_t seq,
                    uint16_t proto, const void *payload, size_t len);

/* ERSPAN type II header (8 bytes, version 1) and the mirrored Ethernet frame. */
size_t builders_erspan2(uint8_t *buf, size_t cap, uint16_t session, const void *frame, size_t len);

/*
 * ERSPAN type III header (12 bytes, version 2), plus the 8-byte platform
 * specific sub-header when `platform` (the O bit), then the frame.
 */
size_t builders_erspan3(uint8_t *buf, size_t cap, uint16_t session, bool platform,
                        const void *frame, size_t len);

/* VXLAN header (RFC 7348: I flag, 24-bit VNI) and the inner Ethernet frame. */
size_t builders_vxlan(uint8_t *buf, size_t cap, uint32_t vni, const void *frame, size_t len);

/* Whole Ethernet frames: Ethernet + IPv4/IPv6 + UDP/TCP around a payload. */
size_t builders_udp4(uint8_t *buf, size_t cap, const char *src_ip, uint16_t sport,
                     const char *dst_ip, uint16_t dport, const void *payload, size_t len);
size_t builders_udp6(uint8_t *buf, size_t cap, const char *src_ip, uint16_t sport,
                     const char *dst_ip, uint16_t dport, const void *payload, size_t len);
size_t builders_tcp4(uint8_t *buf, size_t cap, const char *src_ip, uint16_t sport,
                     const char *dst_ip, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                     const void *payload, size_t len);
size_t builders_tcp6(uint8_t *buf, size_t cap, const char *src_ip, uint16_t sport,
                     const char *dst_ip, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                     const void *payload, size_t len);

#endif
