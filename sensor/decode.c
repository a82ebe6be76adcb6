/* decode.c: L2-L4 driver (802.1Q, RFC 791, 8200, 2784/2890 GRE, ERSPAN, 7348 VXLAN, 768, 9293). */
#include "decode.h"

#include <stdlib.h>
#include <string.h>

#include "../decoders/cursor.h"
#include "ipfrag.h"

/*
 * The decoder walks one frame layer by layer without recursion: each layer
 * handler reads its header through a cursor, narrows the view (w->p, w->len)
 * to what it carries and names the next layer, until a transport header ends
 * the walk. Tunnels (IP-in-IP, GRE, ERSPAN, VXLAN) and VLAN/MPLS tags simply
 * name an outer layer again; each one crossed counts against
 * DECODE_MAX_ENCAP, so the walk is bounded by DECODE_MAX_STEPS whatever the
 * bytes say.
 *
 * Lengths: w->cut is true while the end of the view may be the snaplen rather
 * than the end the protocol declared (true for the captured frame; false
 * inside an IP packet whose declared length is fully present, and inside a
 * reassembled datagram). A header that does not fit is then TRUNCATED if cut,
 * MALFORMED if not; a payload shorter than declared sets out->truncated if
 * cut, and is MALFORMED if not.
 */

#define ETHERTYPE_MIN 0x0600 /* below: an 802.3 length field (IEEE 802.3 §3.2.6) */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88A8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_PPPOE 0x8864
#define ETHERTYPE_TEB 0x6558     /* transparent Ethernet bridging (RFC 1701) */
#define ETHERTYPE_ERSPAN2 0x88BE /* ERSPAN type I/II */
#define ETHERTYPE_ERSPAN3 0x22EB

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define IPPROTO_V_ICMP 1
#define IPPROTO_V_IPIP 4
#define IPPROTO_V_TCP 6
#define IPPROTO_V_UDP 17
#define IPPROTO_V_IPV6 41
#define IPPROTO_V_GRE 47
#define IPPROTO_V_ICMPV6 58

/* IPv6 extension headers (RFC 8200 §4, RFC 4302) */
#define IPV6_EXT_HOPOPTS 0
#define IPV6_EXT_ROUTING 43
#define IPV6_EXT_FRAGMENT 44
#define IPV6_EXT_AH 51
#define IPV6_EXT_NONE 59
#define IPV6_EXT_DSTOPTS 60

/* BSD address families for IPv6: FreeBSD/DragonFly 28, macOS/iOS 30, NetBSD/OpenBSD 24 */
#define BSD_AF_INET 2
#define BSD_AF_INET6_NET 24
#define BSD_AF_INET6_FREE 28
#define BSD_AF_INET6_DARWIN 30

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_VERSION 0x0007

#define ERSPAN_T 0x0400  /* second 16-bit word: the mirrored frame was truncated */
#define ERSPAN3_O 0x0001 /* last 16-bit word: platform sub-header present */
#define ERSPAN3_FT(x) (((x) >> 10) & 0x1f)
#define ERSPAN3_FT_ETHER 0
#define ERSPAN3_FT_IP 2
#define ERSPAN2_HLEN 8
#define ERSPAN3_HLEN 12
#define ERSPAN3_PLATFORM_HLEN 8

#define VXLAN_HLEN 8
#define VXLAN_FLAG_I 0x08

/* Layers per encapsulation level at most (ether, ethertype, IP, L4, tunnel), and the bound. */
#define DECODE_MAX_STEPS (6 * (DECODE_MAX_ENCAP + 2))

struct decode {
    struct ipfrag *frag;
    struct stats *st;
    uint64_t now_ns; /* newest packet time seen: the clock fragments expire on */
    bool frag_busy;  /* the fragment table may hold sets: release and expiry have work */
};

enum layer {
    LAYER_ETHER = 0, /* an Ethernet II header */
    LAYER_ETHERTYPE, /* w->ethertype says what w->p holds (tags, MPLS, PPPoE, IP) */
    LAYER_IP,        /* an IP header, version from its first nibble */
    LAYER_IPV4,
    LAYER_IPV6,
    LAYER_L4, /* w->proto says what w->p holds */
    LAYER_DONE,
    LAYER__COUNT
};

struct walk {
    struct decode *d;
    struct pkt_info *out;
    const uint8_t *p; /* the current layer's bytes */
    size_t len;
    bool cut;           /* the view may end at the snaplen (see above) */
    bool tunneled;      /* STAT_TUNNELS already counted for this frame */
    bool counted;       /* the failure is already counted (STAT_FRAG_BAD) */
    uint16_t ethertype; /* for LAYER_ETHERTYPE */
    uint8_t proto;      /* for LAYER_L4 */
    enum layer next;
    enum stat_id why; /* counter for a STATUS_UNSUPPORTED outcome */
};

struct decode *decode_create(const struct decode_config *cfg, struct stats *st)
{
    if (!st)
        return NULL;
    struct decode *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->frag = ipfrag_create(cfg ? cfg->frag_max : 0, cfg ? cfg->frag_timeout_s : 0, st);
    if (!d->frag) {
        free(d);
        return NULL;
    }
    d->st = st;
    return d;
}

void decode_destroy(struct decode *d)
{
    if (!d)
        return;
    ipfrag_destroy(d->frag);
    free(d);
}

uint32_t decode_frag_in_use(const struct decode *d)
{
    return ipfrag_in_use(d->frag);
}

/* ---- helpers ---------------------------------------------------------- */

/* A header that does not fit: cut by the capture, or contradicting its container. */
static enum status short_of(const struct walk *w)
{
    return w->cut ? STATUS_TRUNCATED : STATUS_MALFORMED;
}

static enum status unsupported(struct walk *w, enum stat_id why)
{
    w->why = why;
    return STATUS_UNSUPPORTED;
}

/* Cross one tag or tunnel; past DECODE_MAX_ENCAP the frame is not followed. */
static enum status enter(struct walk *w, bool tunnel)
{
    if (w->out->encap_depth >= DECODE_MAX_ENCAP)
        return unsupported(w, STAT_ENCAP_TOO_DEEP);
    w->out->encap_depth++;
    if (tunnel && !w->tunneled) {
        w->tunneled = true;
        stats_inc(w->d->st, STAT_TUNNELS);
    }
    return STATUS_OK;
}

static void advance(struct walk *w, const struct cursor *c)
{
    size_t used = (size_t)(c->p - w->p);
    w->p = c->p;
    w->len -= used;
}

static void set_addr(struct addr *a, int family, const uint8_t *b)
{
    a->family = (uint8_t)family;
    memcpy(a->b, b, family == 4 ? 4 : 16);
}

/* ---- link layers -------------------------------------------------------- */

/*
 * Ethernet II (IEEE 802.3 §3.1.1, RFC 894):
 *   dst(6) src(6) type/length(2)
 */
static enum status layer_ether(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    cur_skip(&c, 12);
    uint16_t type = cur_be16(&c);
    if (c.bad)
        return short_of(w);
    advance(w, &c);
    w->ethertype = type;
    w->next = LAYER_ETHERTYPE;
    return STATUS_OK;
}

/* Pick the layer from an IP version nibble (raw IP, MPLS, ERSPAN III IP frames). */
static enum status layer_ip(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    uint8_t v = cur_u8(&c);
    if (c.bad)
        return short_of(w);
    if (v >> 4 == 4)
        w->next = LAYER_IPV4;
    else if (v >> 4 == 6)
        w->next = LAYER_IPV6;
    else
        return STATUS_MALFORMED;
    return STATUS_OK;
}

static enum status link_ether(struct walk *w)
{
    w->next = LAYER_ETHER;
    return STATUS_OK;
}

static enum status link_raw(struct walk *w)
{
    w->next = LAYER_IP;
    return STATUS_OK;
}

static enum status link_ipv4(struct walk *w)
{
    w->next = LAYER_IPV4;
    return STATUS_OK;
}

static enum status link_ipv6(struct walk *w)
{
    w->next = LAYER_IPV6;
    return STATUS_OK;
}

static bool null_af(uint32_t af, enum layer *next)
{
    switch (af) {
    case BSD_AF_INET:
        *next = LAYER_IPV4;
        return true;
    case BSD_AF_INET6_NET:
    case BSD_AF_INET6_FREE:
    case BSD_AF_INET6_DARWIN:
        *next = LAYER_IPV6;
        return true;
    default:
        return false;
    }
}

/*
 * BSD loopback (LINKTYPE_NULL, DLT_LOOP): a 4-byte address family in the
 * capturing host's byte order (network order for DLT_LOOP). The file does not
 * say which host wrote it, so both orders are tried; the values are small, so
 * only one can match.
 */
static enum status link_null(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    struct cursor c2 = c;
    uint32_t le = cur_le32(&c);
    uint32_t be = cur_be32(&c2);
    if (c.bad)
        return short_of(w);
    advance(w, &c);
    if (null_af(le, &w->next) || null_af(be, &w->next))
        return STATUS_OK;
    return unsupported(w, STAT_NON_IP);
}

/*
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL):
 *   packet type(2) ARPHRD type(2) addr len(2) addr(8) protocol(2)
 */
static enum status link_sll(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    cur_skip(&c, 14);
    uint16_t proto = cur_be16(&c);
    if (c.bad)
        return short_of(w);
    advance(w, &c);
    w->ethertype = proto;
    w->next = LAYER_ETHERTYPE;
    return STATUS_OK;
}

/*
 * Linux cooked capture v2 (LINKTYPE_LINUX_SLL2):
 *   protocol(2) reserved(2) ifindex(4) ARPHRD type(2) packet type(1) addr len(1) addr(8)
 */
static enum status link_sll2(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    uint16_t proto = cur_be16(&c);
    cur_skip(&c, 18);
    if (c.bad)
        return short_of(w);
    advance(w, &c);
    w->ethertype = proto;
    w->next = LAYER_ETHERTYPE;
    return STATUS_OK;
}

struct link_entry {
    int linktype;
    enum status (*fn)(struct walk *w);
};

static const struct link_entry link_table[] = {
    {DECODE_LINK_NULL, link_null},     {DECODE_LINK_EN10MB, link_ether},
    {DECODE_LINK_DLT_RAW, link_raw},   {DECODE_LINK_DLT_RAW_OBSD, link_raw},
    {DECODE_LINK_RAW, link_raw},       {DECODE_LINK_LOOP, link_null},
    {DECODE_LINK_LINUX_SLL, link_sll}, {DECODE_LINK_IPV4, link_ipv4},
    {DECODE_LINK_IPV6, link_ipv6},     {DECODE_LINK_LINUX_SLL2, link_sll2},
};

/* ---- ethertypes --------------------------------------------------------- */

/*
 * 802.1Q / 802.1ad tag (IEEE 802.1Q §9.6), TPID already read:
 *   PCP(3) DEI(1) VID(12) | ethertype(2)
 */
static enum status eth_vlan(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    uint16_t tci = cur_be16(&c);
    uint16_t type = cur_be16(&c);
    if (c.bad)
        return short_of(w);
    enum status s = enter(w, false);
    if (s != STATUS_OK)
        return s;
    advance(w, &c);
    w->out->vlan = tci & 0x0fff;
    w->ethertype = type;
    w->next = LAYER_ETHERTYPE;
    return STATUS_OK;
}

/*
 * MPLS label stack (RFC 3032 §2.1): label(20) TC(3) S(1) TTL(8) per entry,
 * until S marks the bottom; then IP by its version nibble (RFC 4385 control
 * words and Ethernet pseudowires start with 0 and are not followed).
 */
static enum status eth_mpls(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    for (unsigned i = 0; i <= DECODE_MAX_ENCAP; i++) {
        uint32_t entry = cur_be32(&c);
        if (c.bad)
            return short_of(w);
        enum status s = enter(w, false);
        if (s != STATUS_OK)
            return s;
        if (entry & 0x100) {
            advance(w, &c);
            struct cursor v = c;
            uint8_t first = cur_u8(&v);
            if (v.bad)
                return short_of(w);
            if (first >> 4 != 4 && first >> 4 != 6)
                return unsupported(w, STAT_NON_IP);
            w->next = LAYER_IP;
            return STATUS_OK;
        }
    }
    return unsupported(w, STAT_ENCAP_TOO_DEEP);
}

/*
 * PPPoE session (RFC 2516 §4): ver/type(1) code(1) session(2) length(2), then
 * the PPP protocol field (RFC 1661 §2).
 */
static enum status eth_pppoe(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    cur_skip(&c, 4);
    uint16_t plen = cur_be16(&c);
    uint16_t ppp = cur_be16(&c);
    if (c.bad)
        return short_of(w);
    if (plen < 2)
        return STATUS_MALFORMED;
    advance(w, &c);
    size_t inner = (size_t)plen - 2;
    if (inner < w->len)
        w->len = inner; /* Ethernet padding after the PPPoE payload */
    if (ppp == PPP_IPV4)
        w->next = LAYER_IPV4;
    else if (ppp == PPP_IPV6)
        w->next = LAYER_IPV6;
    else
        return unsupported(w, STAT_NON_IP);
    return STATUS_OK;
}

static enum status eth_ipv4(struct walk *w)
{
    w->next = LAYER_IPV4;
    return STATUS_OK;
}

static enum status eth_ipv6(struct walk *w)
{
    w->next = LAYER_IPV6;
    return STATUS_OK;
}

struct ethertype_entry {
    uint16_t type;
    enum status (*fn)(struct walk *w);
};

static const struct ethertype_entry ethertype_table[] = {
    {ETHERTYPE_IPV4, eth_ipv4},    {ETHERTYPE_IPV6, eth_ipv6},     {ETHERTYPE_8021Q, eth_vlan},
    {ETHERTYPE_8021AD, eth_vlan},  {ETHERTYPE_QINQ_OLD, eth_vlan}, {ETHERTYPE_MPLS, eth_mpls},
    {ETHERTYPE_MPLS_MC, eth_mpls}, {ETHERTYPE_PPPOE, eth_pppoe},
};

static enum status layer_ethertype(struct walk *w)
{
    if (w->ethertype < ETHERTYPE_MIN)
        return unsupported(w, STAT_UNSUPPORTED_LINK); /* 802.3 length: LLC/SNAP frame */
    for (size_t i = 0; i < sizeof ethertype_table / sizeof ethertype_table[0]; i++)
        if (ethertype_table[i].type == w->ethertype)
            return ethertype_table[i].fn(w);
    return unsupported(w, STAT_NON_IP);
}

/* ---- IP ----------------------------------------------------------------- */

/*
 * Fit the view to an IP packet that declares `declared` bytes: drop Ethernet
 * padding after it, or note the snaplen cut before it.
 */
static enum status fit_declared(struct walk *w, size_t declared)
{
    if (declared <= w->len) {
        w->len = declared;
        w->cut = false;
        return STATUS_OK;
    }
    if (!w->cut)
        return STATUS_MALFORMED; /* longer than the packet that carries it */
    w->out->truncated = true;
    return STATUS_OK;
}

/* Hand a fragment to the table; on completion the view becomes the datagram. */
static enum status reassemble(struct walk *w, const struct ipfrag_key *key, uint32_t offset,
                              bool more, const uint8_t *data, size_t len)
{
    if (w->cut)
        return STATUS_TRUNCATED; /* a fragment cut by the snaplen cannot be stored */
    struct ipfrag_frag fr = {*key, offset, more, data, len, w->out->ts_ns};
    const uint8_t *dg;
    size_t dg_len;
    enum status s = ipfrag_add(w->d->frag, &fr, &dg, &dg_len);
    w->d->frag_busy = true;
    if (s == STATUS_MALFORMED)
        w->counted = true;
    if (s != STATUS_OK)
        return s;
    w->p = dg;
    w->len = dg_len;
    w->cut = false;
    w->out->reassembled = true;
    return STATUS_OK;
}

/*
 * IPv4 (RFC 791 §3.1):
 *   ver(4) IHL(4) | TOS(8) | total length(16)
 *   identification(16) | flags(3) fragment offset(13)
 *   TTL(8) | protocol(8) | header checksum(16)
 *   source(32) | destination(32) | options (IHL > 5)
 * The checksum is not verified: captures on the sending host carry
 * offloaded, unfilled checksums.
 */
static enum status layer_ipv4(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    uint8_t vihl = cur_u8(&c);
    cur_skip(&c, 1);
    uint16_t total = cur_be16(&c);
    uint16_t id = cur_be16(&c);
    uint16_t frag = cur_be16(&c);
    cur_skip(&c, 1);
    uint8_t proto = cur_u8(&c);
    cur_skip(&c, 2);
    const uint8_t *src = cur_bytes(&c, 4);
    const uint8_t *dst = cur_bytes(&c, 4);
    if (c.bad)
        return short_of(w);
    if (vihl >> 4 != 4 || (vihl & 0x0f) < 5)
        return STATUS_MALFORMED;
    size_t hlen = (size_t)(vihl & 0x0f) * 4;
    if (total < hlen)
        return STATUS_MALFORMED;
    if (hlen > w->len)
        return short_of(w); /* options cut */
    stats_inc(w->d->st, STAT_IPV4);
    enum status s = fit_declared(w, total);
    if (s != STATUS_OK)
        return s;
    set_addr(&w->out->src.ip, 4, src);
    set_addr(&w->out->dst.ip, 4, dst);
    w->out->ip_proto = proto;
    w->p += hlen;
    w->len -= hlen;

    bool more = frag & 0x2000;
    uint32_t offset = (uint32_t)(frag & 0x1fff) * 8;
    if (more || offset) {
        struct ipfrag_key key = {w->out->src.ip, w->out->dst.ip, id, proto};
        s = reassemble(w, &key, offset, more, w->p, w->len);
        if (s != STATUS_OK)
            return s;
    }
    w->proto = proto;
    w->next = LAYER_L4;
    return STATUS_OK;
}

static bool ipv6_is_ext(uint8_t next)
{
    return next == IPV6_EXT_HOPOPTS || next == IPV6_EXT_ROUTING || next == IPV6_EXT_FRAGMENT ||
           next == IPV6_EXT_AH || next == IPV6_EXT_DSTOPTS;
}

/*
 * IPv6 (RFC 8200 §3):
 *   ver(4) traffic class(8) flow label(20) | payload length(16) | next(8) | hop limit(8)
 *   source(128) | destination(128)
 * then extension headers (§4) up to the upper layer:
 *   hop-by-hop, routing, destination options: next(8) len(8, units of 8 octets - 1) ...
 *   AH (RFC 4302 §2): next(8) len(8, units of 4 octets - 2) ...
 *   fragment (§4.5): next(8) reserved(8) offset(13) res(2) M(1) | identification(32)
 */
static enum status layer_ipv6(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    uint32_t vtf = cur_be32(&c);
    uint16_t plen = cur_be16(&c);
    uint8_t next = cur_u8(&c);
    cur_skip(&c, 1);
    const uint8_t *src = cur_bytes(&c, 16);
    const uint8_t *dst = cur_bytes(&c, 16);
    if (c.bad)
        return short_of(w);
    if (vtf >> 28 != 6)
        return STATUS_MALFORMED;
    stats_inc(w->d->st, STAT_IPV6);
    advance(w, &c);
    enum status s = fit_declared(w, plen);
    if (s != STATUS_OK)
        return s;
    set_addr(&w->out->src.ip, 6, src);
    set_addr(&w->out->dst.ip, 6, dst);

    bool fragmented = false;
    for (unsigned n = 0; ipv6_is_ext(next); n++) {
        if (n >= DECODE_MAX_IPV6_EXT)
            return STATUS_MALFORMED;
        c = cur_make(w->p, w->len);
        uint8_t nh = cur_u8(&c);
        uint8_t elen = cur_u8(&c);
        if (c.bad)
            return short_of(w);
        if (next == IPV6_EXT_FRAGMENT) {
            uint16_t offm = cur_be16(&c);
            uint32_t id = cur_be32(&c);
            if (c.bad)
                return short_of(w);
            advance(w, &c);
            uint32_t offset = offm & 0xfff8;
            bool more = offm & 1;
            if (offset == 0 && !more) {
                next = nh; /* atomic fragment (RFC 6946): a whole packet */
                continue;
            }
            if (fragmented)
                return STATUS_MALFORMED; /* a fragment inside a reassembled fragment */
            fragmented = true;
            struct ipfrag_key key = {w->out->src.ip, w->out->dst.ip, id, nh};
            s = reassemble(w, &key, offset, more, w->p, w->len);
            if (s != STATUS_OK)
                return s;
            next = nh;
            continue;
        }
        size_t hlen = next == IPV6_EXT_AH ? ((size_t)elen + 2) * 4 : ((size_t)elen + 1) * 8;
        if (hlen > w->len)
            return short_of(w);
        w->p += hlen;
        w->len -= hlen;
        next = nh;
    }
    w->out->ip_proto = next;
    w->proto = next;
    w->next = LAYER_L4;
    return STATUS_OK;
}

/* ---- transports and tunnels -------------------------------------------- */

static enum status l4_ipip(struct walk *w)
{
    enum status s = enter(w, true);
    if (s != STATUS_OK)
        return s;
    w->next = w->proto == IPPROTO_V_IPIP ? LAYER_IPV4 : LAYER_IPV6;
    return STATUS_OK;
}

/*
 * ERSPAN type II (draft-foschiano-erspan-03 §4.1), 8 bytes:
 *   ver(4)=1 VLAN(12) | COS(3) En(2) T(1) session(10) | reserved(12) index(20)
 * ERSPAN type III (§4.2), 12 bytes (+8 when O):
 *   ver(4)=2 VLAN(12) | COS(3) BSO(2) T(1) session(10) | timestamp(32)
 *   SGT(16) | P(1) FT(5) HW ID(6) D(1) Gra(2) O(1)
 * T says the mirrored frame was cut by the mirroring switch: its inner
 * lengths are then treated like a snaplen cut.
 */
static enum status gre_erspan(struct walk *w, bool type3)
{
    struct cursor c = cur_make(w->p, w->len);
    cur_skip(&c, 2);
    uint16_t w1 = cur_be16(&c);
    uint16_t ft_o = 0;
    if (type3) {
        cur_skip(&c, 6);
        ft_o = cur_be16(&c);
        if (!c.bad && (ft_o & ERSPAN3_O))
            cur_skip(&c, ERSPAN3_PLATFORM_HLEN);
    } else {
        cur_skip(&c, 4);
    }
    if (c.bad)
        return short_of(w);
    advance(w, &c);
    if (w1 & ERSPAN_T)
        w->cut = true;
    if (!type3 || ERSPAN3_FT(ft_o) == ERSPAN3_FT_ETHER)
        w->next = LAYER_ETHER;
    else if (ERSPAN3_FT(ft_o) == ERSPAN3_FT_IP)
        w->next = LAYER_IP;
    else
        return unsupported(w, STAT_UNSUPPORTED_LINK);
    return STATUS_OK;
}

/*
 * GRE (RFC 2784 §2, RFC 2890 §2):
 *   C(1) R(1) K(1) S(1) reserved0(9) version(3) | protocol type(16)
 *   [checksum(16) reserved1(16)] [key(32)] [sequence(32)]
 * R (RFC 1701 source routing) and versions other than 0 (1 is PPTP's
 * enhanced GRE) are not followed. The protocol type is an ethertype, with
 * 0x6558 for bridged Ethernet and 0x88BE/0x22EB for ERSPAN; 0x88BE without a
 * sequence number is ERSPAN type I, which has no header of its own.
 */
static enum status l4_gre(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    uint16_t flags = cur_be16(&c);
    uint16_t proto = cur_be16(&c);
    if (!c.bad && (flags & GRE_C))
        cur_skip(&c, 4);
    if (!c.bad && (flags & GRE_K))
        cur_skip(&c, 4);
    if (!c.bad && (flags & GRE_S))
        cur_skip(&c, 4);
    if (c.bad)
        return short_of(w);
    if ((flags & GRE_VERSION) != 0 || (flags & GRE_R))
        return unsupported(w, STAT_UNSUPPORTED_LINK);
    enum status s = enter(w, true);
    if (s != STATUS_OK)
        return s;
    advance(w, &c);
    switch (proto) {
    case ETHERTYPE_TEB:
        w->next = LAYER_ETHER;
        return STATUS_OK;
    case ETHERTYPE_ERSPAN2:
        if (!(flags & GRE_S)) {
            w->next = LAYER_ETHER;
            return STATUS_OK;
        }
        return gre_erspan(w, false);
    case ETHERTYPE_ERSPAN3:
        return gre_erspan(w, true);
    default:
        w->ethertype = proto;
        w->next = LAYER_ETHERTYPE;
        return STATUS_OK;
    }
}

/*
 * UDP (RFC 768): source port(16) dest port(16) length(16) checksum(16).
 * The payload is the smaller of what the UDP length and the IP packet say.
 * VXLAN (RFC 7348 §5) on destination port 4789 with the I flag:
 *   flags(8) reserved(24) | VNI(24) reserved(8), then an Ethernet frame.
 */
static enum status l4_udp(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    uint16_t sport = cur_be16(&c);
    uint16_t dport = cur_be16(&c);
    uint16_t ulen = cur_be16(&c);
    cur_skip(&c, 2);
    if (c.bad)
        return short_of(w);
    if (ulen < 8)
        return STATUS_MALFORMED;
    advance(w, &c);
    size_t plen = (size_t)ulen - 8;
    if (plen < w->len)
        w->len = plen;

    if (dport == DECODE_VXLAN_PORT) {
        struct cursor v = cur_make(w->p, w->len);
        uint8_t vflags = cur_u8(&v);
        cur_skip(&v, VXLAN_HLEN - 1);
        if (!v.bad && (vflags & VXLAN_FLAG_I)) {
            enum status s = enter(w, true);
            if (s != STATUS_OK)
                return s;
            advance(w, &v);
            w->next = LAYER_ETHER;
            return STATUS_OK;
        }
    }
    w->out->src.port = sport;
    w->out->dst.port = dport;
    w->out->l4 = PKT_L4_UDP;
    w->out->payload = w->p;
    w->out->payload_len = w->len;
    stats_inc(w->d->st, STAT_UDP);
    w->next = LAYER_DONE;
    return STATUS_OK;
}

/*
 * TCP (RFC 9293 §3.1):
 *   source port(16) dest port(16) | sequence(32) | acknowledgment(32)
 *   data offset(4) reserved(4) flags(8) | window(16) | checksum(16) urgent(16) | options
 */
static enum status l4_tcp(struct walk *w)
{
    struct cursor c = cur_make(w->p, w->len);
    uint16_t sport = cur_be16(&c);
    uint16_t dport = cur_be16(&c);
    uint32_t seq = cur_be32(&c);
    uint32_t ack = cur_be32(&c);
    uint8_t doff = cur_u8(&c);
    uint8_t flags = cur_u8(&c);
    cur_skip(&c, 6);
    if (c.bad)
        return short_of(w);
    size_t hlen = (size_t)(doff >> 4) * 4;
    if (hlen < 20)
        return STATUS_MALFORMED;
    if (hlen > w->len)
        return short_of(w);
    w->out->src.port = sport;
    w->out->dst.port = dport;
    w->out->tcp_seq = seq;
    w->out->tcp_ack = ack;
    w->out->tcp_flags = flags;
    w->out->l4 = PKT_L4_TCP;
    w->out->payload = w->p + hlen;
    w->out->payload_len = w->len - hlen;
    stats_inc(w->d->st, STAT_TCP);
    w->next = LAYER_DONE;
    return STATUS_OK;
}

/* ICMP errors quote the packet that caused them (a SIP INVITE, say): hand nothing on. */
static enum status l4_icmp(struct walk *w)
{
    w->out->l4 = PKT_L4_ICMP;
    stats_inc(w->d->st, STAT_ICMP);
    w->next = LAYER_DONE;
    return STATUS_OK;
}

static enum status l4_other(struct walk *w)
{
    w->out->l4 = PKT_L4_OTHER;
    w->out->payload = w->len ? w->p : NULL;
    w->out->payload_len = w->len;
    stats_inc(w->d->st, STAT_OTHER_L4);
    w->next = LAYER_DONE;
    return STATUS_OK;
}

struct proto_entry {
    uint8_t proto;
    enum status (*fn)(struct walk *w);
};

static const struct proto_entry proto_table[] = {
    {IPPROTO_V_UDP, l4_udp},     {IPPROTO_V_TCP, l4_tcp},   {IPPROTO_V_ICMP, l4_icmp},
    {IPPROTO_V_ICMPV6, l4_icmp}, {IPPROTO_V_IPIP, l4_ipip}, {IPPROTO_V_IPV6, l4_ipip},
    {IPPROTO_V_GRE, l4_gre},
};

static enum status layer_l4(struct walk *w)
{
    for (size_t i = 0; i < sizeof proto_table / sizeof proto_table[0]; i++)
        if (proto_table[i].proto == w->proto)
            return proto_table[i].fn(w);
    return l4_other(w);
}

static enum status (*const layer_table[LAYER__COUNT])(struct walk *w) = {
    [LAYER_ETHER] = layer_ether, [LAYER_ETHERTYPE] = layer_ethertype, [LAYER_IP] = layer_ip,
    [LAYER_IPV4] = layer_ipv4,   [LAYER_IPV6] = layer_ipv6,           [LAYER_L4] = layer_l4,
};

/* ---- driver ------------------------------------------------------------- */

/*
 * The frame nearly every RTP packet is: Ethernet II, IPv4 without options and
 * not a fragment, UDP to any port but VXLAN's, all three headers captured
 * whole. It is read here in one pass, with exactly the outcome and fields the
 * layer walk gives it (the IPv4 length fitted as fit_declared does, the UDP
 * length as l4_udp does), and nothing counted; anything else (tags, options,
 * fragments, lengths too short or contradictory, other protocols) returns
 * false with *out untouched and takes the walk.
 */
static inline uint16_t fast_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static bool fast_udp4_view(const uint8_t *data, size_t caplen, struct pkt_info *out)
{
    enum { IP = 14, UDP = IP + 20, PAYLOAD = UDP + 8 }; /* offsets of the headers */
    if (caplen < PAYLOAD)
        return false;
    uint16_t total = fast_be16(data + IP + 2);
    uint16_t ulen = fast_be16(data + UDP + 4);
    /* total >= 28: the UDP header lies inside the declared IP packet (else the walk's error) */
    if (fast_be16(data + 12) != ETHERTYPE_IPV4 || data[IP] != 0x45 ||
        (fast_be16(data + IP + 6) & 0x3fff) != 0 || data[IP + 9] != IPPROTO_V_UDP || total < 28 ||
        ulen < 8 || fast_be16(data + UDP + 2) == DECODE_VXLAN_PORT)
        return false;
    size_t ip_len = caplen - IP; /* the IP packet as captured */
    if (total <= ip_len)
        ip_len = total; /* Ethernet padding after it is not payload */
    else
        out->truncated = true; /* cut by the snaplen */
    size_t len = ip_len - 28;
    if ((size_t)ulen - 8 < len)
        len = (size_t)ulen - 8;
    set_addr(&out->src.ip, 4, data + IP + 12);
    set_addr(&out->dst.ip, 4, data + IP + 16);
    out->src.port = fast_be16(data + UDP);
    out->dst.port = fast_be16(data + UDP + 2);
    out->ip_proto = IPPROTO_V_UDP;
    out->l4 = PKT_L4_UDP;
    out->payload = data + PAYLOAD;
    out->payload_len = len;
    return true;
}

/* A datagram fast_udp4_view took, counted as the walk counts one. */
static void count_fast_udp4(struct decode *d)
{
    stats_inc(d->st, STAT_IPV4);
    stats_inc(d->st, STAT_UDP);
}

bool decode_peek_udp(int linktype, const uint8_t *data, size_t caplen, uint64_t ts_ns,
                     struct pkt_info *out)
{
    memset(out, 0, sizeof *out);
    out->ts_ns = ts_ns;
    return linktype == DECODE_LINK_EN10MB && data && fast_udp4_view(data, caplen, out);
}

/* The start of every decode: packet time, and the fragment table's upkeep. */
static void decode_begin(struct decode *d, uint64_t ts_ns)
{
    if (ts_ns > d->now_ns)
        d->now_ns = ts_ns;
    /* An empty fragment table (nearly always) has nothing to release or expire. */
    if (d->frag_busy) {
        ipfrag_release(d->frag);
        ipfrag_expire(d->frag, d->now_ns);
        d->frag_busy = ipfrag_in_use(d->frag) != 0;
    }
}

void decode_peeked(struct decode *d, const struct pkt_info *p)
{
    decode_begin(d, p->ts_ns);
    count_fast_udp4(d);
}

bool pkt_info_same(const struct pkt_info *a, const struct pkt_info *b)
{
    return a->ts_ns == b->ts_ns && addr_eq(&a->src.ip, &b->src.ip) &&
           addr_eq(&a->dst.ip, &b->dst.ip) && a->src.port == b->src.port &&
           a->dst.port == b->dst.port && a->l4 == b->l4 && a->ip_proto == b->ip_proto &&
           a->encap_depth == b->encap_depth && a->vlan == b->vlan && a->tcp_seq == b->tcp_seq &&
           a->tcp_ack == b->tcp_ack && a->tcp_flags == b->tcp_flags &&
           a->reassembled == b->reassembled && a->truncated == b->truncated &&
           a->payload == b->payload && a->payload_len == b->payload_len;
}

enum status decode_frame(struct decode *d, int linktype, const uint8_t *data, size_t caplen,
                         uint64_t ts_ns, struct pkt_info *out)
{
    static const uint8_t empty[1];
    memset(out, 0, sizeof *out);
    out->ts_ns = ts_ns;
    decode_begin(d, ts_ns);
    if (linktype == DECODE_LINK_EN10MB && data && fast_udp4_view(data, caplen, out)) {
        count_fast_udp4(d);
        return STATUS_OK;
    }

    struct walk w = {.d = d,
                     .out = out,
                     .p = data ? data : empty,
                     .len = data ? caplen : 0,
                     .cut = true,
                     .next = LAYER_DONE,
                     .why = STAT_UNSUPPORTED_LINK};
    enum status s = STATUS_UNSUPPORTED;
    for (size_t i = 0; i < sizeof link_table / sizeof link_table[0]; i++) {
        if (link_table[i].linktype == linktype) {
            s = link_table[i].fn(&w);
            break;
        }
    }
    for (unsigned step = 0; s == STATUS_OK && w.next != LAYER_DONE; step++) {
        if (step >= DECODE_MAX_STEPS) {
            s = unsupported(&w, STAT_ENCAP_TOO_DEEP);
            break;
        }
        s = layer_table[w.next](&w);
    }

    switch (s) {
    case STATUS_OK:
    case STATUS_NEED_MORE:
    case STATUS_FULL:
        break;
    case STATUS_UNSUPPORTED:
        stats_inc(d->st, w.why);
        break;
    default:
        if (!w.counted)
            stats_inc(d->st, STAT_DECODE_ERRORS);
        break;
    }
    if (s != STATUS_OK) {
        out->l4 = PKT_L4_NONE;
        out->payload = NULL;
        out->payload_len = 0;
    }
    return s;
}
