/* builders.c: synthetic test frames (RFC 894, 791, 8200, 768, 9293, 2784, 7348, ERSPAN). */
#include "builders.h"

#include <string.h>

#include "../decoders/addr.h"

#define ETH_HLEN 14
#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define IPV6_FRAG_HLEN 8
#define UDP_HLEN 8
#define TCP_HLEN 20
#define ERSPAN2_HLEN 8
#define ERSPAN3_HLEN 12
#define ERSPAN3_PLATFORM_HLEN 8
#define VXLAN_HLEN 8
#define SLL_HLEN 16
#define SLL2_HLEN 20
#define NULL_HLEN 4
#define IP_MAX_LEN 65535

static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x02};

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Room for a header of hlen plus len, payload moved into place behind it. */
static bool place(uint8_t *buf, size_t cap, size_t hlen, const void *payload, size_t len)
{
    if (!buf || hlen > cap || len > cap - hlen || (len && !payload))
        return false;
    if (len)
        memmove(buf + hlen, payload, len);
    return true;
}

/* RFC 1071 one's complement sum, folded later. */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

static bool parse_ip(const char *text, int family, struct addr *a)
{
    if (!text || !addr_parse(sv_make(text, strlen(text)), a))
        return false;
    return a->family == family;
}

/* Fill the UDP/TCP checksum of a complete segment at l4 if its field is still 0. */
static void l4_checksum(const struct addr *src, const struct addr *dst, uint8_t proto, uint8_t *l4,
                        size_t len)
{
    size_t off;
    if (proto == BUILDERS_PROTO_UDP && len >= UDP_HLEN)
        off = 6;
    else if (proto == BUILDERS_PROTO_TCP && len >= TCP_HLEN)
        off = 16;
    else
        return;
    if (l4[off] || l4[off + 1])
        return;
    size_t alen = src->family == 4 ? 4 : 16;
    uint32_t acc = sum16(0, src->b, alen);
    acc = sum16(acc, dst->b, alen);
    acc += proto;
    acc += (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);
    acc = sum16(acc, l4, len);
    uint16_t ck = fold(acc);
    if (proto == BUILDERS_PROTO_UDP && ck == 0)
        ck = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
    put16(l4 + off, ck);
}

size_t builders_eth(uint8_t *buf, size_t cap, uint16_t ethertype, const void *payload, size_t len)
{
    if (!place(buf, cap, ETH_HLEN, payload, len))
        return 0;
    memcpy(buf, mac_dst, 6);
    memcpy(buf + 6, mac_src, 6);
    put16(buf + 12, ethertype);
    return ETH_HLEN + len;
}

size_t builders_eth_vlan(uint8_t *buf, size_t cap, const uint16_t *tpids, const uint16_t *vids,
                         size_t ntags, uint16_t ethertype, const void *payload, size_t len)
{
    if (ntags > BUILDERS_MAX_TAGS || (ntags && (!tpids || !vids)))
        return 0;
    size_t hlen = ETH_HLEN + 4 * ntags;
    if (!place(buf, cap, hlen, payload, len))
        return 0;
    memcpy(buf, mac_dst, 6);
    memcpy(buf + 6, mac_src, 6);
    uint8_t *p = buf + 12;
    for (size_t i = 0; i < ntags; i++, p += 4) {
        put16(p, tpids[i]);
        put16(p + 2, vids[i] & 0x0fffu);
    }
    put16(p, ethertype);
    return hlen + len;
}

size_t builders_sll(uint8_t *buf, size_t cap, uint16_t protocol, const void *payload, size_t len)
{
    if (!place(buf, cap, SLL_HLEN, payload, len))
        return 0;
    memset(buf, 0, SLL_HLEN);
    put16(buf, 0);     /* packet type: to us */
    put16(buf + 2, 1); /* ARPHRD_ETHER */
    put16(buf + 4, 6); /* link-layer address length */
    memcpy(buf + 6, mac_src, 6);
    put16(buf + 14, protocol);
    return SLL_HLEN + len;
}

size_t builders_sll2(uint8_t *buf, size_t cap, uint16_t protocol, const void *payload, size_t len)
{
    if (!place(buf, cap, SLL2_HLEN, payload, len))
        return 0;
    memset(buf, 0, SLL2_HLEN);
    put16(buf, protocol);
    put32(buf + 4, 2); /* interface index */
    put16(buf + 8, 1); /* ARPHRD_ETHER */
    buf[10] = 0;       /* packet type: to us */
    buf[11] = 6;       /* address length */
    memcpy(buf + 12, mac_src, 6);
    return SLL2_HLEN + len;
}

size_t builders_null(uint8_t *buf, size_t cap, uint32_t af, bool big_endian, const void *payload,
                     size_t len)
{
    if (!place(buf, cap, NULL_HLEN, payload, len))
        return 0;
    if (big_endian) {
        put32(buf, af);
    } else {
        buf[0] = (uint8_t)af;
        buf[1] = (uint8_t)(af >> 8);
        buf[2] = (uint8_t)(af >> 16);
        buf[3] = (uint8_t)(af >> 24);
    }
    return NULL_HLEN + len;
}

static size_t ipv4_common(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t proto,
                          uint16_t id, uint16_t frag_field, bool whole, const void *payload,
                          size_t len)
{
    struct addr s, d;
    if (!parse_ip(src, 4, &s) || !parse_ip(dst, 4, &d) || len > IP_MAX_LEN - IPV4_HLEN)
        return 0;
    if (!place(buf, cap, IPV4_HLEN, payload, len))
        return 0;
    buf[0] = 0x45;
    buf[1] = 0;
    put16(buf + 2, (uint32_t)(IPV4_HLEN + len));
    put16(buf + 4, id);
    put16(buf + 6, frag_field);
    buf[8] = 64;
    buf[9] = proto;
    put16(buf + 10, 0);
    memcpy(buf + 12, s.b, 4);
    memcpy(buf + 16, d.b, 4);
    put16(buf + 10, fold(sum16(0, buf, IPV4_HLEN)));
    if (whole)
        l4_checksum(&s, &d, proto, buf + IPV4_HLEN, len);
    return IPV4_HLEN + len;
}

size_t builders_ipv4(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t proto,
                     const void *payload, size_t len)
{
    return ipv4_common(buf, cap, src, dst, proto, 0, 0, true, payload, len);
}

size_t builders_ipv4_frag(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t proto,
                          uint16_t id, size_t offset, bool more, const void *data, size_t len)
{
    if (offset % 8 || offset / 8 > 0x1fff)
        return 0;
    uint16_t field = (uint16_t)((more ? 0x2000 : 0) | offset / 8);
    return ipv4_common(buf, cap, src, dst, proto, id, field, false, data, len);
}

static size_t ipv6_common(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t next,
                          bool whole, const void *payload, size_t len)
{
    struct addr s, d;
    if (!parse_ip(src, 6, &s) || !parse_ip(dst, 6, &d) || len > IP_MAX_LEN)
        return 0;
    if (!place(buf, cap, IPV6_HLEN, payload, len))
        return 0;
    put32(buf, 0x60000000u);
    put16(buf + 4, (uint32_t)len);
    buf[6] = next;
    buf[7] = 64;
    memcpy(buf + 8, s.b, 16);
    memcpy(buf + 24, d.b, 16);
    if (whole)
        l4_checksum(&s, &d, next, buf + IPV6_HLEN, len);
    return IPV6_HLEN + len;
}

size_t builders_ipv6(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t next,
                     const void *payload, size_t len)
{
    return ipv6_common(buf, cap, src, dst, next, true, payload, len);
}

size_t builders_ipv6_frag(uint8_t *buf, size_t cap, const char *src, const char *dst, uint8_t next,
                          uint32_t id, size_t offset, bool more, const void *data, size_t len)
{
    if (offset % 8 || offset / 8 > 0x1fff || len > IP_MAX_LEN - IPV6_FRAG_HLEN)
        return 0;
    if (!place(buf, cap, IPV6_HLEN + IPV6_FRAG_HLEN, data, len))
        return 0;
    uint8_t *f = buf + IPV6_HLEN;
    f[0] = next;
    f[1] = 0;
    put16(f + 2, (uint32_t)(offset | (more ? 1u : 0u)));
    put32(f + 4, id);
    /* the fragment header and slice are in place behind the fixed header: wrap them */
    return ipv6_common(buf, cap, src, dst, 44, false, buf + IPV6_HLEN, IPV6_FRAG_HLEN + len);
}

size_t builders_ipv6_ext(uint8_t *buf, size_t cap, uint8_t next, size_t units, const void *payload,
                         size_t len)
{
    if (units < 1 || units > 256)
        return 0;
    size_t hlen = 8 * units;
    if (!place(buf, cap, hlen, payload, len))
        return 0;
    memset(buf, 0, hlen);
    buf[0] = next;
    buf[1] = (uint8_t)(units - 1);
    return hlen + len;
}

size_t builders_udp(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport, const void *payload,
                    size_t len)
{
    if (len > IP_MAX_LEN - UDP_HLEN || !place(buf, cap, UDP_HLEN, payload, len))
        return 0;
    put16(buf, sport);
    put16(buf + 2, dport);
    put16(buf + 4, (uint32_t)(UDP_HLEN + len));
    put16(buf + 6, 0);
    return UDP_HLEN + len;
}

size_t builders_tcp(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport, uint32_t seq,
                    uint32_t ack, uint8_t flags, const void *payload, size_t len)
{
    if (!place(buf, cap, TCP_HLEN, payload, len))
        return 0;
    put16(buf, sport);
    put16(buf + 2, dport);
    put32(buf + 4, seq);
    put32(buf + 8, ack);
    buf[12] = (TCP_HLEN / 4) << 4;
    buf[13] = flags;
    put16(buf + 14, 65535);
    put16(buf + 16, 0);
    put16(buf + 18, 0);
    return TCP_HLEN + len;
}

size_t builders_gre(uint8_t *buf, size_t cap, uint16_t flags, uint32_t key, uint32_t seq,
                    uint16_t proto, const void *payload, size_t len)
{
    flags &= BUILDERS_GRE_CSUM | BUILDERS_GRE_KEY | BUILDERS_GRE_SEQ;
    size_t hlen = 4 + (flags & BUILDERS_GRE_CSUM ? 4 : 0) + (flags & BUILDERS_GRE_KEY ? 4 : 0) +
                  (flags & BUILDERS_GRE_SEQ ? 4 : 0);
    if (!place(buf, cap, hlen, payload, len))
        return 0;
    put16(buf, flags);
    put16(buf + 2, proto);
    uint8_t *p = buf + 4;
    if (flags & BUILDERS_GRE_CSUM) {
        put32(p, 0);
        p += 4;
    }
    if (flags & BUILDERS_GRE_KEY) {
        put32(p, key);
        p += 4;
    }
    if (flags & BUILDERS_GRE_SEQ)
        put32(p, seq);
    if (flags & BUILDERS_GRE_CSUM)
        put16(buf + 4, fold(sum16(0, buf, hlen + len)));
    return hlen + len;
}

size_t builders_erspan2(uint8_t *buf, size_t cap, uint16_t session, const void *frame, size_t len)
{
    if (!place(buf, cap, ERSPAN2_HLEN, frame, len))
        return 0;
    put16(buf, 0x1000);                /* Ver 1, VLAN 0 */
    put16(buf + 2, session & 0x03ffu); /* COS 0, En 0, T 0, session */
    put32(buf + 4, 0);                 /* reserved, index */
    return ERSPAN2_HLEN + len;
}

size_t builders_erspan3(uint8_t *buf, size_t cap, uint16_t session, bool platform,
                        const void *frame, size_t len)
{
    size_t hlen = ERSPAN3_HLEN + (platform ? ERSPAN3_PLATFORM_HLEN : 0);
    if (!place(buf, cap, hlen, frame, len))
        return 0;
    put16(buf, 0x2000);                  /* Ver 2, VLAN 0 */
    put16(buf + 2, session & 0x03ffu);   /* COS 0, BSO 0, T 0, session */
    put32(buf + 4, 0x12345678u);         /* timestamp */
    put16(buf + 8, 0);                   /* SGT */
    put16(buf + 10, platform ? 1u : 0u); /* P 0, FT 0 (Ethernet), HW ID 0, D 0, Gra 0, O */
    if (platform) {
        put32(buf + 12, 0x0c000000u); /* platform ID 3 sub-header */
        put32(buf + 16, 0);
    }
    return hlen + len;
}

size_t builders_vxlan(uint8_t *buf, size_t cap, uint32_t vni, const void *frame, size_t len)
{
    if (vni > 0xffffffu || !place(buf, cap, VXLAN_HLEN, frame, len))
        return 0;
    put32(buf, 0x08000000u); /* I flag */
    put32(buf + 4, vni << 8);
    return VXLAN_HLEN + len;
}

/* Whole frames are built in place, innermost first, each layer wrapping what follows it. */
static size_t frame_l4(uint8_t *buf, size_t cap, int family, const char *src_ip, const char *dst_ip,
                       uint8_t proto, size_t l4hdr, uint16_t sport, uint16_t dport, uint32_t seq,
                       uint32_t ack, uint8_t flags, const void *payload, size_t len)
{
    size_t l3 = family == 4 ? IPV4_HLEN : IPV6_HLEN;
    size_t off = ETH_HLEN + l3;
    if (!buf || off + l4hdr > cap || len > cap - off - l4hdr)
        return 0;
    size_t n =
        proto == BUILDERS_PROTO_UDP
            ? builders_udp(buf + off, cap - off, sport, dport, payload, len)
            : builders_tcp(buf + off, cap - off, sport, dport, seq, ack, flags, payload, len);
    if (!n)
        return 0;
    off -= l3;
    n = family == 4 ? builders_ipv4(buf + off, cap - off, src_ip, dst_ip, proto, buf + off + l3, n)
                    : builders_ipv6(buf + off, cap - off, src_ip, dst_ip, proto, buf + off + l3, n);
    if (!n)
        return 0;
    return builders_eth(buf, cap, family == 4 ? BUILDERS_ETH_IPV4 : BUILDERS_ETH_IPV6,
                        buf + ETH_HLEN, n);
}

size_t builders_udp4(uint8_t *buf, size_t cap, const char *src_ip, uint16_t sport,
                     const char *dst_ip, uint16_t dport, const void *payload, size_t len)
{
    return frame_l4(buf, cap, 4, src_ip, dst_ip, BUILDERS_PROTO_UDP, UDP_HLEN, sport, dport, 0, 0,
                    0, payload, len);
}

size_t builders_udp6(uint8_t *buf, size_t cap, const char *src_ip, uint16_t sport,
                     const char *dst_ip, uint16_t dport, const void *payload, size_t len)
{
    return frame_l4(buf, cap, 6, src_ip, dst_ip, BUILDERS_PROTO_UDP, UDP_HLEN, sport, dport, 0, 0,
                    0, payload, len);
}

size_t builders_tcp4(uint8_t *buf, size_t cap, const char *src_ip, uint16_t sport,
                     const char *dst_ip, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                     const void *payload, size_t len)
{
    return frame_l4(buf, cap, 4, src_ip, dst_ip, BUILDERS_PROTO_TCP, TCP_HLEN, sport, dport, seq,
                    ack, flags, payload, len);
}

size_t builders_tcp6(uint8_t *buf, size_t cap, const char *src_ip, uint16_t sport,
                     const char *dst_ip, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                     const void *payload, size_t len)
{
    return frame_l4(buf, cap, 6, src_ip, dst_ip, BUILDERS_PROTO_TCP, TCP_HLEN, sport, dport, seq,
                    ack, flags, payload, len);
}
