/* test_decode.c: L2-L4 decode: links, tags, IP, fragments, tunnels (RFC 791, 8200, 2784, 7348). */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../sensor/decode.h"
#include "builders.h"

#define S_NS 1000000000ull
#define TS0 (1709296260ull * S_NS + 123456000ull) /* 2024-03-01T12:31:00.123456Z */

static const char INVITE[] = "INVITE sip:bob@example.net SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n"
                             "Call-ID: decode-1@192.0.2.10\r\n"
                             "Content-Length: 0\r\n\r\n";
#define INVITE_LEN (sizeof INVITE - 1)

static struct stats st;
static struct decode *D;
static struct pkt_info pi;

static void setup(void)
{
    memset(&st, 0, sizeof st);
    struct decode_config cfg = {8, 30};
    D = decode_create(&cfg, &st);
    cr_assert_not_null(D);
}

static void teardown(void)
{
    decode_destroy(D);
}

TestSuite(decode, .init = setup, .fini = teardown);

static void assert_ep(const struct endpoint *e, const char *ip, uint16_t port)
{
    struct addr a;
    cr_assert(addr_parse(sv_make(ip, strlen(ip)), &a), "bad test address %s", ip);
    char got[ADDR_STR_MAX];
    cr_assert(addr_eq(&e->ip, &a), "address %s, expected %s", addr_format(&e->ip, got, sizeof got),
              ip);
    cr_assert_eq(e->port, port, "port %u, expected %u", e->port, port);
}

static enum status dec(int linktype, const uint8_t *f, size_t n)
{
    return decode_frame(D, linktype, f, n, TS0, &pi);
}

/* The SIP INVITE over UDP 192.0.2.10:5060 -> 198.51.100.20:5062 as an IPv4 packet. */
static size_t invite_ipv4(uint8_t *buf, size_t cap)
{
    uint8_t u[2048];
    size_t n = builders_udp(u, sizeof u, 5060, 5062, INVITE, INVITE_LEN);
    return builders_ipv4(buf, cap, "192.0.2.10", "198.51.100.20", BUILDERS_PROTO_UDP, u, n);
}

static size_t invite_ipv6(uint8_t *buf, size_t cap)
{
    uint8_t u[2048];
    size_t n = builders_udp(u, sizeof u, 5060, 5062, INVITE, INVITE_LEN);
    return builders_ipv6(buf, cap, "2001:db8:10::a", "2001:db8:20::b", BUILDERS_PROTO_UDP, u, n);
}

static void assert_invite4(void)
{
    assert_ep(&pi.src, "192.0.2.10", 5060);
    assert_ep(&pi.dst, "198.51.100.20", 5062);
    cr_assert_eq(pi.l4, PKT_L4_UDP);
    cr_assert_eq(pi.ip_proto, 17);
    cr_assert_eq(pi.payload_len, INVITE_LEN);
    cr_assert_eq(memcmp(pi.payload, INVITE, INVITE_LEN), 0);
    cr_assert_eq(pi.ts_ns, TS0);
}

static void assert_invite6(void)
{
    assert_ep(&pi.src, "2001:db8:10::a", 5060);
    assert_ep(&pi.dst, "2001:db8:20::b", 5062);
    cr_assert_eq(pi.l4, PKT_L4_UDP);
    cr_assert_eq(pi.ip_proto, 17);
    cr_assert_eq(pi.payload_len, INVITE_LEN);
    cr_assert_eq(memcmp(pi.payload, INVITE, INVITE_LEN), 0);
}

/* ---- Ethernet and tags -------------------------------------------------- */

Test(decode, ethernet_udp4_every_field)
{
    uint8_t f[2048];
    size_t n =
        builders_udp4(f, sizeof f, "192.0.2.10", 5060, "198.51.100.20", 5062, INVITE, INVITE_LEN);
    cr_assert_eq(n, 14 + 20 + 8 + INVITE_LEN);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.payload, f + 42, "a view into the frame, not a copy");
    cr_assert_eq(pi.encap_depth, 0);
    cr_assert_eq(pi.vlan, 0);
    cr_assert_eq(pi.tcp_seq, 0);
    cr_assert_eq(pi.tcp_ack, 0);
    cr_assert_eq(pi.tcp_flags, 0);
    cr_assert_not(pi.reassembled);
    cr_assert_not(pi.truncated);
    cr_assert_eq(st.v[STAT_IPV4], 1);
    cr_assert_eq(st.v[STAT_UDP], 1);
    cr_assert_eq(st.v[STAT_DECODE_ERRORS], 0);
    cr_assert_eq(st.v[STAT_TUNNELS], 0);
}

Test(decode, ethernet_tcp4_seq_ack_flags)
{
    uint8_t f[2048];
    size_t n = builders_tcp4(f, sizeof f, "192.0.2.10", 40000, "198.51.100.20", 5060, 0xfffffff0u,
                             0x01020304u, PKT_TCP_PSH | PKT_TCP_ACK, INVITE, INVITE_LEN);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_ep(&pi.src, "192.0.2.10", 40000);
    assert_ep(&pi.dst, "198.51.100.20", 5060);
    cr_assert_eq(pi.l4, PKT_L4_TCP);
    cr_assert_eq(pi.ip_proto, 6);
    cr_assert_eq(pi.tcp_seq, 0xfffffff0u);
    cr_assert_eq(pi.tcp_ack, 0x01020304u);
    cr_assert_eq(pi.tcp_flags, PKT_TCP_PSH | PKT_TCP_ACK);
    cr_assert_eq(pi.payload, f + 54);
    cr_assert_eq(pi.payload_len, INVITE_LEN);
    cr_assert_eq(st.v[STAT_TCP], 1);
}

Test(decode, tcp_syn_without_payload_and_options_skipped)
{
    /* SYN with 12 bytes of options (MSS, SACK-permitted, NOPs): data offset 8 */
    static const uint8_t opts[12] = {2, 4, 0x05, 0xb4, 4, 2, 1, 1, 1, 1, 1, 0};
    uint8_t f[256];
    size_t n = builders_tcp4(f, sizeof f, "192.0.2.10", 40000, "198.51.100.20", 5060, 7, 0,
                             PKT_TCP_SYN, opts, sizeof opts);
    f[14 + 20 + 12] = 8 << 4;
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    cr_assert_eq(pi.tcp_flags, PKT_TCP_SYN);
    cr_assert_eq(pi.tcp_seq, 7);
    cr_assert_eq(pi.payload_len, 0);
    /* data offset 4 (< 5 words) is malformed; 15 words past the segment is malformed too */
    f[14 + 20 + 12] = 4 << 4;
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_MALFORMED);
    f[14 + 20 + 12] = 15 << 4;
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_MALFORMED);
    cr_assert_eq(st.v[STAT_DECODE_ERRORS], 2);
}

Test(decode, ethernet_udp6_and_tcp6)
{
    uint8_t f[2048];
    size_t n = builders_udp6(f, sizeof f, "2001:db8:10::a", 5060, "2001:db8:20::b", 5062, INVITE,
                             INVITE_LEN);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite6();
    cr_assert_eq(pi.payload, f + 14 + 40 + 8);
    cr_assert_eq(st.v[STAT_IPV6], 1);
    n = builders_tcp6(f, sizeof f, "2001:db8:10::a", 5061, "2001:db8:20::b", 5061, 1, 2,
                      PKT_TCP_FIN | PKT_TCP_ACK, "x", 1);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    cr_assert_eq(pi.l4, PKT_L4_TCP);
    cr_assert_eq(pi.tcp_flags, PKT_TCP_FIN | PKT_TCP_ACK);
    cr_assert_eq(pi.payload_len, 1);
    cr_assert_eq(st.v[STAT_IPV6], 2);
}

Test(decode, ethernet_padding_after_total_length_ignored)
{
    /* a 4-byte datagram in a minimum 60-byte frame: 10 bytes of padding follow the IP packet */
    uint8_t f[64];
    size_t n = builders_udp4(f, sizeof f, "192.0.2.10", 5060, "198.51.100.20", 5060, "\r\n\r\n", 4);
    cr_assert_eq(n, 46);
    memset(f + n, 0xee, 60 - n);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, 60), STATUS_OK);
    cr_assert_eq(pi.payload_len, 4);
    cr_assert_not(pi.truncated);
}

Test(decode, vlan_8021q_records_vid)
{
    uint8_t ip[2048], f[2048];
    size_t n = invite_ipv4(ip, sizeof ip);
    uint16_t tpid[] = {BUILDERS_TPID_8021Q}, vid[] = {100};
    n = builders_eth_vlan(f, sizeof f, tpid, vid, 1, BUILDERS_ETH_IPV4, ip, n);
    f[14] |= 0xa0; /* PCP 5: not part of the VID */
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.vlan, 100);
    cr_assert_eq(pi.encap_depth, 1);
    cr_assert_eq(pi.payload, f + 18 + 28);
}

Test(decode, qinq_8021ad_over_8021q_innermost_vid)
{
    uint8_t ip[2048], f[2048];
    size_t n = invite_ipv4(ip, sizeof ip);
    uint16_t tpid[] = {BUILDERS_TPID_8021AD, BUILDERS_TPID_8021Q}, vid[] = {300, 100};
    n = builders_eth_vlan(f, sizeof f, tpid, vid, 2, BUILDERS_ETH_IPV4, ip, n);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.vlan, 100);
    cr_assert_eq(pi.encap_depth, 2);
    /* two 0x8100 tags, as call 21 of link-qinq.pcap */
    tpid[0] = BUILDERS_TPID_8021Q;
    vid[0] = 301, vid[1] = 101;
    n = builders_eth_vlan(f, sizeof f, tpid, vid, 2, BUILDERS_ETH_IPV4, ip,
                          invite_ipv4(ip, sizeof ip));
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    cr_assert_eq(pi.vlan, 101);
}

Test(decode, triple_tag_9100_88a8_8100_ipv6)
{
    uint8_t ip[2048], f[2048];
    size_t n = invite_ipv6(ip, sizeof ip);
    uint16_t tpid[] = {BUILDERS_TPID_9100, BUILDERS_TPID_8021AD, BUILDERS_TPID_8021Q};
    uint16_t vid[] = {7, 4094, 1};
    n = builders_eth_vlan(f, sizeof f, tpid, vid, 3, BUILDERS_ETH_IPV6, ip, n);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite6();
    cr_assert_eq(pi.vlan, 1);
    cr_assert_eq(pi.encap_depth, 3);
}

Test(decode, tags_up_to_the_cap_then_too_deep)
{
    uint8_t ip[2048], f[2048];
    size_t ipn = invite_ipv4(ip, sizeof ip);
    uint16_t tpid[DECODE_MAX_ENCAP + 1], vid[DECODE_MAX_ENCAP + 1];
    for (int i = 0; i <= DECODE_MAX_ENCAP; i++)
        tpid[i] = BUILDERS_TPID_8021Q, vid[i] = (uint16_t)(10 + i);
    size_t n =
        builders_eth_vlan(f, sizeof f, tpid, vid, DECODE_MAX_ENCAP, BUILDERS_ETH_IPV4, ip, ipn);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    cr_assert_eq(pi.encap_depth, DECODE_MAX_ENCAP);
    cr_assert_eq(pi.vlan, 10 + DECODE_MAX_ENCAP - 1);
    n = builders_eth_vlan(f, sizeof f, tpid, vid, DECODE_MAX_ENCAP + 1, BUILDERS_ETH_IPV4, ip, ipn);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_UNSUPPORTED);
    cr_assert_eq(st.v[STAT_ENCAP_TOO_DEEP], 1);
    cr_assert_eq(pi.l4, PKT_L4_NONE);
    cr_assert_null(pi.payload);
}

Test(decode, arp_is_non_ip)
{
    uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1}; /* ARP request, Ethernet/IPv4 */
    uint8_t f[64];
    size_t n = builders_eth(f, sizeof f, BUILDERS_ETH_ARP, arp, sizeof arp);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_UNSUPPORTED);
    cr_assert_eq(st.v[STAT_NON_IP], 1);
    cr_assert_eq(st.v[STAT_DECODE_ERRORS], 0);
}

Test(decode, ieee8023_llc_frame_unsupported)
{
    /* 802.3 length 38 then LLC DSAP/SSAP 0x42 (spanning tree BPDU) */
    uint8_t llc[38] = {0x42, 0x42, 0x03};
    uint8_t f[64];
    size_t n = builders_eth(f, sizeof f, sizeof llc, llc, sizeof llc);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_UNSUPPORTED);
    cr_assert_eq(st.v[STAT_UNSUPPORTED_LINK], 1);
    cr_assert_eq(st.v[STAT_NON_IP], 0);
}

Test(decode, mpls_label_stack_then_ipv4)
{
    /* two labels: 16 (S=0) and 17 (S=1, TTL 64) */
    uint8_t ip[2048], m[2048], f[2048];
    size_t n = invite_ipv4(ip, sizeof ip);
    static const uint8_t labels[8] = {0x00, 0x01, 0x00, 0x40, 0x00, 0x01, 0x11, 0x40};
    memcpy(m, labels, 8);
    memcpy(m + 8, ip, n);
    n = builders_eth(f, sizeof f, 0x8847, m, n + 8);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.encap_depth, 2);
}

Test(decode, pppoe_session_ipv6)
{
    uint8_t ip[2048], p[2048], f[2048];
    size_t n = invite_ipv6(ip, sizeof ip);
    /* ver/type 0x11, code 0, session 0x1234, length = PPP protocol + packet, PPP 0x0057 */
    uint8_t hdr[8] = {0x11, 0, 0x12, 0x34, (uint8_t)((n + 2) >> 8), (uint8_t)(n + 2), 0x00, 0x57};
    memcpy(p, hdr, 8);
    memcpy(p + 8, ip, n);
    n = builders_eth(f, sizeof f, 0x8864, p, n + 8);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite6();
}

/* ---- other link types ------------------------------------------------------ */

Test(decode, linux_sll_v1)
{
    uint8_t ip[2048], f[2048];
    size_t n = builders_sll(f, sizeof f, BUILDERS_ETH_IPV4, ip, invite_ipv4(ip, sizeof ip));
    cr_assert_eq(dec(DECODE_LINK_LINUX_SLL, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.payload, f + 16 + 28);
    cr_assert_eq(pi.encap_depth, 0);
    /* Ethernet at this link type would read the protocol in the wrong place */
    cr_assert_neq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
}

Test(decode, linux_sll_v2)
{
    uint8_t ip[2048], f[2048];
    size_t n = builders_sll2(f, sizeof f, BUILDERS_ETH_IPV6, ip, invite_ipv6(ip, sizeof ip));
    cr_assert_eq(dec(DECODE_LINK_LINUX_SLL2, f, n), STATUS_OK);
    assert_invite6();
    cr_assert_eq(pi.payload, f + 20 + 48);
}

Test(decode, linux_sll_with_vlan_tag)
{
    uint8_t ip[2048], t[2048], f[2048];
    size_t n = invite_ipv4(ip, sizeof ip);
    t[0] = 0x00, t[1] = 0x2a, t[2] = 0x08, t[3] = 0x00; /* VID 42, then IPv4 */
    memcpy(t + 4, ip, n);
    n = builders_sll(f, sizeof f, BUILDERS_TPID_8021Q, t, n + 4);
    cr_assert_eq(dec(DECODE_LINK_LINUX_SLL, f, n), STATUS_OK);
    cr_assert_eq(pi.vlan, 42);
    assert_invite4();
}

Test(decode, bsd_null_loopback_either_byte_order)
{
    uint8_t ip[2048], f[2048];
    size_t ipn = invite_ipv4(ip, sizeof ip);
    for (int be = 0; be < 2; be++) {
        size_t n = builders_null(f, sizeof f, 2, be, ip, ipn);
        cr_assert_eq(dec(DECODE_LINK_NULL, f, n), STATUS_OK, "AF_INET big-endian=%d", be);
        assert_invite4();
        cr_assert_eq(pi.payload, f + 4 + 28);
    }
}

Test(decode, bsd_null_loopback_inet6_values_of_each_bsd)
{
    uint8_t ip[2048], f[2048];
    size_t ipn = invite_ipv6(ip, sizeof ip);
    static const uint32_t afs[] = {24, 28, 30}; /* NetBSD/OpenBSD, FreeBSD, Darwin */
    for (int i = 0; i < 3; i++)
        for (int be = 0; be < 2; be++) {
            size_t n = builders_null(f, sizeof f, afs[i], be, ip, ipn);
            cr_assert_eq(dec(DECODE_LINK_NULL, f, n), STATUS_OK, "AF %u be %d", afs[i], be);
            assert_invite6();
        }
    cr_assert_eq(st.v[STAT_IPV6], 6);
}

Test(decode, openbsd_loop_and_unknown_family)
{
    uint8_t ip[2048], f[2048];
    size_t n = builders_null(f, sizeof f, 2, true, ip, invite_ipv4(ip, sizeof ip));
    cr_assert_eq(dec(DECODE_LINK_LOOP, f, n), STATUS_OK);
    assert_invite4();
    n = builders_null(f, sizeof f, 7, false, ip, invite_ipv4(ip, sizeof ip)); /* AF 7: not IP */
    cr_assert_eq(dec(DECODE_LINK_NULL, f, n), STATUS_UNSUPPORTED);
    cr_assert_eq(st.v[STAT_NON_IP], 1);
}

Test(decode, raw_ip_under_every_number)
{
    uint8_t ip4[2048], ip6[2048];
    size_t n4 = invite_ipv4(ip4, sizeof ip4), n6 = invite_ipv6(ip6, sizeof ip6);
    static const int raw[] = {DECODE_LINK_DLT_RAW, DECODE_LINK_DLT_RAW_OBSD, DECODE_LINK_RAW};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(dec(raw[i], ip4, n4), STATUS_OK, "linktype %d", raw[i]);
        assert_invite4();
        cr_assert_eq(pi.payload, ip4 + 28);
        cr_assert_eq(dec(raw[i], ip6, n6), STATUS_OK, "linktype %d", raw[i]);
        assert_invite6();
    }
    cr_assert_eq(dec(DECODE_LINK_IPV4, ip4, n4), STATUS_OK);
    assert_invite4();
    cr_assert_eq(dec(DECODE_LINK_IPV6, ip6, n6), STATUS_OK);
    assert_invite6();
    /* the fixed-version link types check the version */
    cr_assert_eq(dec(DECODE_LINK_IPV4, ip6, n6), STATUS_MALFORMED);
    cr_assert_eq(dec(DECODE_LINK_IPV6, ip4, n4), STATUS_MALFORMED);
}

Test(decode, raw_ip_bad_version_and_unknown_linktype)
{
    uint8_t ip[2048];
    size_t n = invite_ipv4(ip, sizeof ip);
    ip[0] = 0x55;
    cr_assert_eq(dec(DECODE_LINK_RAW, ip, n), STATUS_MALFORMED);
    cr_assert_eq(st.v[STAT_DECODE_ERRORS], 1);
    cr_assert_eq(dec(105, ip, n), STATUS_UNSUPPORTED); /* 802.11 */
    cr_assert_eq(dec(-1, ip, n), STATUS_UNSUPPORTED);
    cr_assert_eq(st.v[STAT_UNSUPPORTED_LINK], 2);
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, NULL, 0, TS0, &pi), STATUS_TRUNCATED);
    cr_assert_eq(pi.ts_ns, TS0);
}

/* ---- IPv4 and UDP header checks -------------------------------------------- */

Test(decode, ipv4_header_checks)
{
    uint8_t ip[2048];
    size_t n = invite_ipv4(ip, sizeof ip);
    ip[0] = 0x44; /* IHL 4 */
    cr_assert_eq(dec(DECODE_LINK_RAW, ip, n), STATUS_MALFORMED);
    ip[0] = 0x45;
    ip[2] = 0, ip[3] = 19; /* total length shorter than the header */
    cr_assert_eq(dec(DECODE_LINK_RAW, ip, n), STATUS_MALFORMED);
    ip[3] = 20; /* header only: a UDP header that is not there, in a complete packet */
    cr_assert_eq(dec(DECODE_LINK_RAW, ip, n), STATUS_MALFORMED);
    ip[0] = 0x4f; /* 60-byte header in a 20-byte total */
    cr_assert_eq(dec(DECODE_LINK_RAW, ip, n), STATUS_MALFORMED);
    cr_assert_eq(st.v[STAT_DECODE_ERRORS], 4);
}

Test(decode, ipv4_options_skipped)
{
    uint8_t u[2048], ip[2048];
    size_t un = builders_udp(u, sizeof u, 5060, 5062, INVITE, INVITE_LEN);
    size_t n = builders_ipv4(ip, sizeof ip, "192.0.2.10", "198.51.100.20", 17, u, un);
    /* insert a 4-byte option (NOP NOP NOP EOL): IHL 6 */
    memmove(ip + 24, ip + 20, un);
    ip[20] = 1, ip[21] = 1, ip[22] = 1, ip[23] = 0;
    ip[0] = 0x46;
    n += 4;
    ip[2] = (uint8_t)(n >> 8), ip[3] = (uint8_t)n;
    cr_assert_eq(dec(DECODE_LINK_RAW, ip, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.payload, ip + 32);
}

Test(decode, snaplen_cut_payload_sets_truncated)
{
    uint8_t f[2048];
    size_t n =
        builders_udp4(f, sizeof f, "192.0.2.10", 5060, "198.51.100.20", 5062, INVITE, INVITE_LEN);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n - 30), STATUS_OK);
    cr_assert(pi.truncated);
    cr_assert_eq(pi.payload_len, INVITE_LEN - 30);
    cr_assert_eq(pi.l4, PKT_L4_UDP);
    cr_assert_eq(st.v[STAT_DECODE_ERRORS], 0);
}

Test(decode, udp_length_rules)
{
    uint8_t ip[2048];
    size_t n = invite_ipv4(ip, sizeof ip);
    ip[24] = 0, ip[25] = 7; /* UDP length < 8 */
    cr_assert_eq(dec(DECODE_LINK_RAW, ip, n), STATUS_MALFORMED);
    ip[25] = 18; /* UDP says 10 bytes of payload, IP says more: the smaller wins */
    cr_assert_eq(dec(DECODE_LINK_RAW, ip, n), STATUS_OK);
    cr_assert_eq(pi.payload_len, 10);
    cr_assert_eq(memcmp(pi.payload, "INVITE sip", 10), 0);
    ip[24] = 0xff, ip[25] = 0xff; /* UDP says more than IP: the IP packet wins */
    cr_assert_eq(dec(DECODE_LINK_RAW, ip, n), STATUS_OK);
    cr_assert_eq(pi.payload_len, INVITE_LEN);
    cr_assert_not(pi.truncated);
}

Test(decode, icmp_error_quoting_sip_invite_hands_nothing_on)
{
    /* ICMP destination unreachable, port unreachable (type 3, code 3), quoting the INVITE */
    uint8_t ip[2048], icmp[2048], f[2048];
    size_t qn = invite_ipv4(ip, sizeof ip);
    memset(icmp, 0, 8);
    icmp[0] = 3, icmp[1] = 3;
    memcpy(icmp + 8, ip, qn);
    size_t n = builders_ipv4(f, sizeof f, "198.51.100.20", "192.0.2.10", BUILDERS_PROTO_ICMP, icmp,
                             qn + 8);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_OK);
    cr_assert_eq(pi.l4, PKT_L4_ICMP);
    cr_assert_eq(pi.ip_proto, 1);
    cr_assert_null(pi.payload);
    cr_assert_eq(pi.payload_len, 0);
    assert_ep(&pi.src, "198.51.100.20", 0);
    assert_ep(&pi.dst, "192.0.2.10", 0);
    cr_assert_eq(st.v[STAT_ICMP], 1);
    cr_assert_eq(st.v[STAT_UDP], 0);
}

Test(decode, icmpv6_error_quoting_sip_invite_hands_nothing_on)
{
    uint8_t ip[2048], icmp[2048], f[2048];
    size_t qn = invite_ipv6(ip, sizeof ip);
    memset(icmp, 0, 8);
    icmp[0] = 1, icmp[1] = 4; /* destination unreachable, port unreachable */
    memcpy(icmp + 8, ip, qn);
    size_t n = builders_ipv6(f, sizeof f, "2001:db8:20::b", "2001:db8:10::a", BUILDERS_PROTO_ICMPV6,
                             icmp, qn + 8);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_OK);
    cr_assert_eq(pi.l4, PKT_L4_ICMP);
    cr_assert_eq(pi.ip_proto, 58);
    cr_assert_null(pi.payload);
    cr_assert_eq(st.v[STAT_ICMP], 1);
    cr_assert_eq(st.v[STAT_UDP], 0);
}

Test(decode, sctp_is_other_with_its_bytes)
{
    uint8_t sctp[16] = {0x13, 0xc4, 0x13, 0xc4, 0, 0, 0, 1}; /* ports 5060, tag 1 */
    uint8_t f[256];
    size_t n = builders_ipv4(f, sizeof f, "192.0.2.10", "198.51.100.20", BUILDERS_PROTO_SCTP, sctp,
                             sizeof sctp);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_OK);
    cr_assert_eq(pi.l4, PKT_L4_OTHER);
    cr_assert_eq(pi.ip_proto, 132);
    cr_assert_eq(pi.payload, f + 20);
    cr_assert_eq(pi.payload_len, sizeof sctp);
    cr_assert_eq(pi.src.port, 0);
    cr_assert_eq(st.v[STAT_OTHER_L4], 1);
}

/* ---- IPv6 extension headers -------------------------------------------------- */

Test(decode, ipv6_hop_by_hop_dstopts_routing_then_udp)
{
    uint8_t a[2048], b[2048];
    size_t n = builders_udp(a, sizeof a, 5060, 5062, INVITE, INVITE_LEN);
    n = builders_ipv6_ext(b, sizeof b, 17, 3, a, n); /* routing, 24 bytes */
    n = builders_ipv6_ext(a, sizeof a, 43, 1, b, n); /* destination options, 8 bytes */
    n = builders_ipv6_ext(b, sizeof b, 60, 2, a, n); /* hop-by-hop, 16 bytes */
    n = builders_ipv6(a, sizeof a, "2001:db8:10::a", "2001:db8:20::b", 0, b, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, a, n), STATUS_OK);
    assert_invite6();
    cr_assert_eq(pi.payload, a + 40 + 16 + 8 + 24 + 8);
}

Test(decode, ipv6_auth_header_counts_in_4_byte_units)
{
    uint8_t u[2048], ah[2048], f[2048];
    size_t n = builders_udp(u, sizeof u, 5060, 5062, INVITE, INVITE_LEN);
    memset(ah, 0, 24);
    ah[0] = 17, ah[1] = 4; /* 24 bytes: (4 + 2) * 4 */
    memcpy(ah + 24, u, n);
    n = builders_ipv6(f, sizeof f, "2001:db8:10::a", "2001:db8:20::b", 51, ah, n + 24);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_OK);
    assert_invite6();
    cr_assert_eq(pi.payload, f + 40 + 24 + 8);
}

Test(decode, ipv6_extension_headers_capped)
{
    uint8_t a[4096], b[4096];
    size_t n = builders_udp(a, sizeof a, 5060, 5062, INVITE, INVITE_LEN);
    uint8_t next = 17;
    for (int i = 0; i < DECODE_MAX_IPV6_EXT; i++) {
        n = builders_ipv6_ext(b, sizeof b, next, 1, a, n);
        memcpy(a, b, n);
        next = 60;
    }
    size_t m = builders_ipv6(b, sizeof b, "2001:db8:10::a", "2001:db8:20::b", 60, a, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, b, m), STATUS_OK, "exactly the cap");
    assert_invite6();
    n = builders_ipv6_ext(b, sizeof b, 60, 1, a, n);
    m = builders_ipv6(a, sizeof a, "2001:db8:10::a", "2001:db8:20::b", 60, b, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, a, m), STATUS_MALFORMED, "one past the cap");
}

Test(decode, ipv6_no_next_header_and_ext_past_payload)
{
    uint8_t e[64], f[256];
    size_t n = builders_ipv6(f, sizeof f, "2001:db8::1", "2001:db8::2", 59, NULL, 0);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_OK);
    cr_assert_eq(pi.l4, PKT_L4_OTHER);
    cr_assert_eq(pi.ip_proto, 59);
    cr_assert_eq(pi.payload_len, 0);
    /* a hop-by-hop header claiming 16 bytes in an 8-byte payload: malformed, not truncated */
    memset(e, 0, 8);
    e[0] = 17, e[1] = 1;
    n = builders_ipv6(f, sizeof f, "2001:db8::1", "2001:db8::2", 0, e, 8);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_MALFORMED);
    /* payload length past the capture with headers intact: the payload is truncated */
    n = builders_udp6(f, sizeof f, "2001:db8::1", 1, "2001:db8::2", 2, INVITE, 40);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n - 10), STATUS_OK);
    cr_assert(pi.truncated);
    cr_assert_eq(pi.payload_len, 30);
}

Test(decode, ipv6_atomic_fragment_is_a_whole_packet)
{
    uint8_t u[2048], f[2048];
    size_t n = builders_udp(u, sizeof u, 5060, 5062, INVITE, INVITE_LEN);
    n = builders_ipv6_frag(f, sizeof f, "2001:db8:10::a", "2001:db8:20::b", 17, 77, 0, false, u, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_OK);
    assert_invite6();
    cr_assert_not(pi.reassembled);
    cr_assert_eq(st.v[STAT_FRAG_IN], 0);
}

/* ---- IPv4 fragments --------------------------------------------------------- */

/* A 3000-byte SIP body over UDP, split at 1480 and 2960 like a 1500-byte MTU would. */
static char big[3000];
static uint8_t dgram[4096];
static size_t dgram_len;

static void make_big(void)
{
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    memcpy(big, "INVITE sip:x SIP/2.0\r\n", 22);
    dgram_len = builders_udp(dgram, sizeof dgram, 5060, 5062, big, sizeof big);
    cr_assert_eq(dgram_len, 3008);
}

static size_t frag4(uint8_t *f, size_t cap, uint16_t id, size_t off, size_t len, bool more)
{
    uint8_t ip[2048];
    size_t n = builders_ipv4_frag(ip, sizeof ip, "192.0.2.10", "198.51.100.20", 17, id, off, more,
                                  dgram + off, len);
    return builders_eth(f, cap, BUILDERS_ETH_IPV4, ip, n);
}

static enum status frag4_at(uint16_t id, size_t off, size_t len, bool more, uint64_t ts)
{
    static uint8_t f[2048];
    size_t n = frag4(f, sizeof f, id, off, len, more);
    return decode_frame(D, DECODE_LINK_EN10MB, f, n, ts, &pi);
}

static void assert_big(uint64_t ts)
{
    cr_assert(pi.reassembled);
    cr_assert_eq(pi.ts_ns, ts, "the time of the fragment that completed it");
    assert_ep(&pi.src, "192.0.2.10", 5060);
    assert_ep(&pi.dst, "198.51.100.20", 5062);
    cr_assert_eq(pi.l4, PKT_L4_UDP);
    cr_assert_eq(pi.payload_len, sizeof big);
    cr_assert_eq(memcmp(pi.payload, big, sizeof big), 0);
    cr_assert_not(pi.truncated);
}

Test(decode, ipv4_fragments_in_order)
{
    make_big();
    cr_assert_eq(frag4_at(1, 0, 1480, true, TS0), STATUS_NEED_MORE);
    cr_assert_eq(pi.l4, PKT_L4_NONE);
    cr_assert_eq(frag4_at(1, 1480, 1480, true, TS0 + 10), STATUS_NEED_MORE);
    cr_assert_eq(frag4_at(1, 2960, 48, false, TS0 + 20), STATUS_OK);
    assert_big(TS0 + 20);
    cr_assert_eq(st.v[STAT_FRAG_IN], 3);
    cr_assert_eq(st.v[STAT_FRAG_REASSEMBLED], 1);
    cr_assert_eq(st.v[STAT_IPV4], 3);
    cr_assert_eq(st.v[STAT_UDP], 1);
    /* the datagram is held only until the next frame */
    cr_assert_eq(decode_frag_in_use(D), 1);
    uint8_t f[128];
    size_t n = builders_udp4(f, sizeof f, "192.0.2.1", 1, "192.0.2.2", 2, "x", 1);
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, f, n, TS0 + 30, &pi), STATUS_OK);
    cr_assert_eq(decode_frag_in_use(D), 0);
}

Test(decode, ipv4_fragments_last_first_middle)
{
    make_big();
    /* the order of ipv4-frag-invite.pcap: last, first, middle, 40 us apart */
    cr_assert_eq(frag4_at(2, 2960, 48, false, TS0), STATUS_NEED_MORE);
    cr_assert_eq(frag4_at(2, 0, 1480, true, TS0 + 40000), STATUS_NEED_MORE);
    cr_assert_eq(frag4_at(2, 1480, 1480, true, TS0 + 80000), STATUS_OK);
    assert_big(TS0 + 80000);
}

Test(decode, ipv4_duplicate_fragment_ignored)
{
    make_big();
    cr_assert_eq(frag4_at(3, 0, 1480, true, TS0), STATUS_NEED_MORE);
    cr_assert_eq(frag4_at(3, 0, 1480, true, TS0 + 1), STATUS_NEED_MORE);
    cr_assert_eq(frag4_at(3, 2960, 48, false, TS0 + 2), STATUS_NEED_MORE);
    cr_assert_eq(frag4_at(3, 1480, 1480, true, TS0 + 3), STATUS_OK);
    assert_big(TS0 + 3);
    cr_assert_eq(st.v[STAT_FRAG_BAD], 0);
    cr_assert_eq(st.v[STAT_FRAG_IN], 4);
}

Test(decode, ipv4_overlapping_fragment_is_bad)
{
    make_big();
    cr_assert_eq(frag4_at(4, 0, 1480, true, TS0), STATUS_NEED_MORE);
    cr_assert_eq(frag4_at(4, 1472, 1480, true, TS0 + 1), STATUS_MALFORMED);
    cr_assert_eq(st.v[STAT_FRAG_BAD], 1);
    cr_assert_eq(st.v[STAT_DECODE_ERRORS], 0, "counted once, as a bad fragment");
    cr_assert_eq(decode_frag_in_use(D), 0, "the set is discarded");
    cr_assert_eq(frag4_at(4, 2960, 48, false, TS0 + 2), STATUS_NEED_MORE);
}

Test(decode, ipv4_fragment_never_completing_expires_on_packet_time)
{
    make_big();
    cr_assert_eq(frag4_at(5, 0, 1480, true, TS0), STATUS_NEED_MORE);
    uint8_t f[128];
    size_t n = builders_udp4(f, sizeof f, "192.0.2.1", 1, "192.0.2.2", 2, "x", 1);
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, f, n, TS0 + 30 * S_NS, &pi), STATUS_OK);
    cr_assert_eq(decode_frag_in_use(D), 1, "30 s is still in time");
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, f, n, TS0 + 30 * S_NS + 1000, &pi), STATUS_OK);
    cr_assert_eq(decode_frag_in_use(D), 0);
    cr_assert_eq(st.v[STAT_FRAG_EVICTED], 1);
    /* the rest arrives too late: it cannot complete the evicted set */
    cr_assert_eq(frag4_at(5, 1480, 1480, true, TS0 + 31 * S_NS), STATUS_NEED_MORE);
    cr_assert_eq(frag4_at(5, 2960, 48, false, TS0 + 31 * S_NS), STATUS_NEED_MORE);
}

Test(decode, ipv4_fragment_table_full_evicts_oldest)
{
    make_big();
    for (uint16_t id = 100; id < 108; id++)
        cr_assert_eq(frag4_at(id, 0, 1480, true, TS0 + id), STATUS_NEED_MORE);
    cr_assert_eq(decode_frag_in_use(D), 8);
    cr_assert_eq(frag4_at(108, 0, 1480, true, TS0 + 200), STATUS_NEED_MORE);
    cr_assert_eq(st.v[STAT_FRAG_EVICTED], 1);
    cr_assert_eq(decode_frag_in_use(D), 8);
    /* 101 is still there and completes; 100 was evicted */
    cr_assert_eq(frag4_at(101, 1480, 1480, true, TS0 + 201), STATUS_NEED_MORE);
    cr_assert_eq(frag4_at(101, 2960, 48, false, TS0 + 202), STATUS_OK);
    assert_big(TS0 + 202);
}

Test(decode, ipv4_fragment_cut_by_snaplen_not_stored)
{
    make_big();
    uint8_t f[2048];
    size_t n = frag4(f, sizeof f, 6, 0, 1480, true);
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, f, n - 100, TS0, &pi), STATUS_TRUNCATED);
    cr_assert_eq(st.v[STAT_FRAG_IN], 0);
    cr_assert_eq(decode_frag_in_use(D), 0);
}

Test(decode, ipv4_fragment_past_64k_is_bad)
{
    make_big();
    /* offset 65000 + 1480 bytes: a datagram larger than 65535 (ping of death) */
    uint8_t ip[2048], f[2048];
    size_t n = builders_ipv4_frag(ip, sizeof ip, "192.0.2.10", "198.51.100.20", 17, 7, 65000, false,
                                  dgram, 1480);
    n = builders_eth(f, sizeof f, BUILDERS_ETH_IPV4, ip, n);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_MALFORMED);
    cr_assert_eq(st.v[STAT_FRAG_BAD], 1);
}

/* ---- IPv6 fragments --------------------------------------------------------- */

static size_t frag6(uint8_t *f, size_t cap, uint32_t id, size_t off, size_t len, bool more)
{
    uint8_t ip[2048];
    size_t n = builders_ipv6_frag(ip, sizeof ip, "2001:db8:10::a", "2001:db8:20::b", 17, id, off,
                                  more, dgram + off, len);
    return builders_eth(f, cap, BUILDERS_ETH_IPV6, ip, n);
}

Test(decode, ipv6_fragments_out_of_order)
{
    make_big();
    uint8_t f[2048];
    size_t n = frag6(f, sizeof f, 0x80000001u, 1448, 1448, true);
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, f, n, TS0, &pi), STATUS_NEED_MORE);
    n = frag6(f, sizeof f, 0x80000001u, 2896, 112, false);
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, f, n, TS0 + 1, &pi), STATUS_NEED_MORE);
    n = frag6(f, sizeof f, 0x80000001u, 0, 1448, true);
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, f, n, TS0 + 2, &pi), STATUS_OK);
    cr_assert(pi.reassembled);
    cr_assert_eq(pi.ts_ns, TS0 + 2);
    assert_ep(&pi.src, "2001:db8:10::a", 5060);
    assert_ep(&pi.dst, "2001:db8:20::b", 5062);
    cr_assert_eq(pi.ip_proto, 17);
    cr_assert_eq(pi.payload_len, sizeof big);
    cr_assert_eq(memcmp(pi.payload, big, sizeof big), 0);
    cr_assert_eq(st.v[STAT_IPV6], 3);
    cr_assert_eq(st.v[STAT_FRAG_REASSEMBLED], 1);
}

Test(decode, ipv6_fragment_then_destination_options_in_datagram)
{
    /* fragmentable part: destination options (8 bytes) + UDP + SIP */
    uint8_t a[4096];
    size_t un = builders_udp(a, sizeof a, 5060, 5062, INVITE, INVITE_LEN);
    size_t total = builders_ipv6_ext(dgram, sizeof dgram, 17, 1, a, un);
    uint8_t ip[2048], f[2048];
    size_t n = builders_ipv6_frag(ip, sizeof ip, "2001:db8:10::a", "2001:db8:20::b", 60, 9, 64,
                                  false, dgram + 64, total - 64);
    n = builders_eth(f, sizeof f, BUILDERS_ETH_IPV6, ip, n);
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, f, n, TS0, &pi), STATUS_NEED_MORE);
    n = builders_ipv6_frag(ip, sizeof ip, "2001:db8:10::a", "2001:db8:20::b", 60, 9, 0, true, dgram,
                           64);
    n = builders_eth(f, sizeof f, BUILDERS_ETH_IPV6, ip, n);
    cr_assert_eq(decode_frame(D, DECODE_LINK_EN10MB, f, n, TS0, &pi), STATUS_OK);
    assert_invite6();
    cr_assert(pi.reassembled);
}

/* ---- tunnels ---------------------------------------------------------------- */

Test(decode, ipip_ipv4_in_ipv4)
{
    uint8_t in[2048], out[2048], f[2048];
    size_t n = invite_ipv4(in, sizeof in);
    n = builders_ipv4(out, sizeof out, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_IPIP, in, n);
    n = builders_eth(f, sizeof f, BUILDERS_ETH_IPV4, out, n);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.encap_depth, 1);
    cr_assert_eq(pi.payload, f + 14 + 20 + 28);
    cr_assert_eq(st.v[STAT_TUNNELS], 1);
    cr_assert_eq(st.v[STAT_IPV4], 2);
    cr_assert_eq(st.v[STAT_UDP], 1);
}

Test(decode, ipip_ipv6_in_ipv4_and_ipv4_in_ipv6)
{
    uint8_t in[2048], out[2048];
    size_t n = invite_ipv6(in, sizeof in);
    n = builders_ipv4(out, sizeof out, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_IPV6, in, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, out, n), STATUS_OK);
    assert_invite6();
    cr_assert_eq(pi.encap_depth, 1);
    n = invite_ipv4(in, sizeof in);
    n = builders_ipv6(out, sizeof out, "2001:db8::1", "2001:db8::2", BUILDERS_PROTO_IPIP, in, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, out, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.encap_depth, 1);
    n = invite_ipv6(in, sizeof in);
    n = builders_ipv6(out, sizeof out, "2001:db8::1", "2001:db8::2", BUILDERS_PROTO_IPV6, in, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, out, n), STATUS_OK);
    assert_invite6();
    cr_assert_eq(st.v[STAT_TUNNELS], 3);
}

Test(decode, gre_ipv4_with_key_and_sequence)
{
    uint8_t in[2048], g[2048], f[2048];
    size_t n = invite_ipv4(in, sizeof in);
    n = builders_gre(g, sizeof g, BUILDERS_GRE_KEY | BUILDERS_GRE_SEQ, 0xdeadbeef, 42,
                     BUILDERS_ETH_IPV4, in, n);
    cr_assert_eq(n, 12 + 28 + INVITE_LEN);
    n = builders_ipv4(f, sizeof f, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_GRE, g, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.encap_depth, 1);
    cr_assert_eq(pi.payload, f + 20 + 12 + 28);
    cr_assert_eq(st.v[STAT_TUNNELS], 1);
}

Test(decode, gre_with_checksum_ipv6_inner)
{
    uint8_t in[2048], g[2048], f[2048];
    size_t n = invite_ipv6(in, sizeof in);
    n = builders_gre(g, sizeof g, BUILDERS_GRE_CSUM | BUILDERS_GRE_KEY, 1, 0, BUILDERS_ETH_IPV6, in,
                     n);
    n = builders_ipv6(f, sizeof f, "2001:db8::1", "2001:db8::2", BUILDERS_PROTO_GRE, g, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_OK);
    assert_invite6();
    cr_assert_eq(pi.payload, f + 40 + 12 + 48);
}

Test(decode, gre_transparent_ethernet_with_inner_vlan)
{
    /* as heplify-erspan_sip_ipv4_udp.pcapng: GRE key, protocol 0x6558, then Ethernet */
    uint8_t in[2048], e[2048], g[2048], o[2048], f[2048];
    size_t n = invite_ipv4(in, sizeof in);
    uint16_t tpid[] = {BUILDERS_TPID_8021Q}, vid[] = {55};
    n = builders_eth_vlan(e, sizeof e, tpid, vid, 1, BUILDERS_ETH_IPV4, in, n);
    n = builders_gre(g, sizeof g, BUILDERS_GRE_KEY, 7, 0, 0x6558, e, n);
    n = builders_ipv4(o, sizeof o, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_GRE, g, n);
    n = builders_eth(f, sizeof f, BUILDERS_ETH_IPV4, o, n);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.vlan, 55);
    cr_assert_eq(pi.encap_depth, 2);
}

Test(decode, gre_pptp_version_and_source_routing_unsupported)
{
    uint8_t in[2048], g[2048], f[2048];
    size_t in_n = invite_ipv4(in, sizeof in);
    size_t n = builders_gre(g, sizeof g, 0, 0, 0, BUILDERS_ETH_IPV4, in, in_n);
    g[1] |= 1; /* version 1: PPTP enhanced GRE */
    n = builders_ipv4(f, sizeof f, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_GRE, g, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_UNSUPPORTED);
    n = builders_gre(g, sizeof g, BUILDERS_GRE_CSUM, 0, 0, BUILDERS_ETH_IPV4, in, in_n);
    g[0] |= 0x40; /* R: RFC 1701 routing */
    n = builders_ipv4(f, sizeof f, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_GRE, g, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, f, n), STATUS_UNSUPPORTED);
    cr_assert_eq(st.v[STAT_UNSUPPORTED_LINK], 2);
    cr_assert_eq(st.v[STAT_TUNNELS], 0);
}

/* Mirror of the INVITE frame over ERSPAN in GRE (sequence present) in IPv4 in Ethernet. */
static size_t erspan_frame(uint8_t *f, size_t cap, int type, bool platform, size_t cut)
{
    uint8_t in[2048], e[2048], x[2048], g[2048], o[2048];
    size_t n = invite_ipv4(in, sizeof in);
    n = builders_eth(e, sizeof e, BUILDERS_ETH_IPV4, in, n) - cut;
    if (type == 2)
        n = builders_erspan2(x, sizeof x, 100, e, n);
    else if (type == 3)
        n = builders_erspan3(x, sizeof x, 100, platform, e, n);
    else
        memcpy(x, e, n);
    uint16_t proto = type == 3 ? 0x22EB : 0x88BE;
    n = builders_gre(g, sizeof g, type == 1 ? 0 : BUILDERS_GRE_SEQ, 0, 9, proto, x, n);
    n = builders_ipv4(o, sizeof o, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_GRE, g, n);
    return builders_eth(f, cap, BUILDERS_ETH_IPV4, o, n);
}

Test(decode, erspan_type2)
{
    uint8_t f[2048];
    size_t n = erspan_frame(f, sizeof f, 2, false, 0);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.encap_depth, 1);
    cr_assert_eq(pi.payload, f + 14 + 20 + 8 + 8 + 14 + 28);
    cr_assert_eq(st.v[STAT_TUNNELS], 1);
}

Test(decode, erspan_type1_has_no_header)
{
    uint8_t f[2048];
    size_t n = erspan_frame(f, sizeof f, 1, false, 0);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.payload, f + 14 + 20 + 4 + 14 + 28);
}

Test(decode, erspan_type3_without_platform_subheader)
{
    uint8_t f[2048];
    size_t n = erspan_frame(f, sizeof f, 3, false, 0);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.payload, f + 14 + 20 + 8 + 12 + 14 + 28);
}

Test(decode, erspan_type3_with_platform_subheader)
{
    uint8_t f[2048];
    size_t n = erspan_frame(f, sizeof f, 3, true, 0);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.payload, f + 14 + 20 + 8 + 20 + 14 + 28);
    /* the same bytes with O cleared misread the sub-header as Ethernet: not this INVITE */
    f[14 + 20 + 8 + 11] &= (uint8_t)~1u;
    enum status s = dec(DECODE_LINK_EN10MB, f, n);
    cr_assert(s != STATUS_OK || pi.payload_len != INVITE_LEN);
}

Test(decode, erspan_truncated_mirror_needs_the_t_bit)
{
    /* the switch cut the mirrored frame 50 bytes short */
    uint8_t f[2048];
    size_t n = erspan_frame(f, sizeof f, 2, false, 50);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_MALFORMED, "T clear: lengths contradict");
    f[14 + 20 + 8 + 2] |= 0x04; /* T */
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    cr_assert(pi.truncated);
    cr_assert_eq(pi.payload_len, INVITE_LEN - 50);
}

Test(decode, vxlan_inner_ethernet)
{
    uint8_t in[2048], e[2048], v[2048], u[2048], o[2048], f[2048];
    size_t n = invite_ipv6(in, sizeof in);
    n = builders_eth(e, sizeof e, BUILDERS_ETH_IPV6, in, n);
    n = builders_vxlan(v, sizeof v, 0x123456, e, n);
    n = builders_udp(u, sizeof u, 49152, DECODE_VXLAN_PORT, v, n);
    n = builders_ipv4(o, sizeof o, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_UDP, u, n);
    n = builders_eth(f, sizeof f, BUILDERS_ETH_IPV4, o, n);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite6();
    cr_assert_eq(pi.encap_depth, 1);
    cr_assert_eq(pi.payload, f + 14 + 20 + 8 + 8 + 14 + 48);
    cr_assert_eq(st.v[STAT_UDP], 1, "the outer UDP is not counted as a datagram handed on");
    cr_assert_eq(st.v[STAT_TUNNELS], 1);
}

Test(decode, vxlan_port_without_i_flag_is_plain_udp)
{
    uint8_t z[16] = {0};
    uint8_t f[256];
    size_t n =
        builders_udp4(f, sizeof f, "192.0.2.1", 40000, "192.0.2.2", DECODE_VXLAN_PORT, z, sizeof z);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    cr_assert_eq(pi.l4, PKT_L4_UDP);
    cr_assert_eq(pi.dst.port, DECODE_VXLAN_PORT);
    cr_assert_eq(pi.payload_len, 16);
    cr_assert_eq(pi.encap_depth, 0);
}

Test(decode, nested_tunnels_up_to_cap_then_too_deep)
{
    uint8_t a[4096], b[4096];
    size_t n = invite_ipv4(a, sizeof a);
    for (int i = 0; i < DECODE_MAX_ENCAP; i++) {
        n = builders_ipv4(b, sizeof b, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_IPIP, a, n);
        memcpy(a, b, n);
    }
    cr_assert_eq(dec(DECODE_LINK_RAW, a, n), STATUS_OK);
    assert_invite4();
    cr_assert_eq(pi.encap_depth, DECODE_MAX_ENCAP);
    n = builders_gre(b, sizeof b, 0, 0, 0, BUILDERS_ETH_IPV4, a, n);
    n = builders_ipv4(a, sizeof a, "203.0.113.9", "203.0.113.8", BUILDERS_PROTO_GRE, b, n);
    cr_assert_eq(dec(DECODE_LINK_RAW, a, n), STATUS_UNSUPPORTED);
    cr_assert_eq(st.v[STAT_ENCAP_TOO_DEEP], 1);
    cr_assert_eq(st.v[STAT_TUNNELS], 2, "one per frame");
}

Test(decode, tunnel_inside_fragmented_outer_packet)
{
    /* GRE + inner IPv4/UDP/SIP carried in two fragments of the outer IPv4 */
    uint8_t in[2048], g[2048], ip[2048], f[2048];
    size_t n = invite_ipv4(in, sizeof in);
    size_t gn = builders_gre(g, sizeof g, 0, 0, 0, BUILDERS_ETH_IPV4, in, n);
    n = builders_ipv4_frag(ip, sizeof ip, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_GRE, 5, 64,
                           false, g + 64, gn - 64);
    n = builders_eth(f, sizeof f, BUILDERS_ETH_IPV4, ip, n);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_NEED_MORE);
    n = builders_ipv4_frag(ip, sizeof ip, "203.0.113.1", "203.0.113.2", BUILDERS_PROTO_GRE, 5, 0,
                           true, g, 64);
    n = builders_eth(f, sizeof f, BUILDERS_ETH_IPV4, ip, n);
    cr_assert_eq(dec(DECODE_LINK_EN10MB, f, n), STATUS_OK);
    assert_invite4();
    cr_assert(pi.reassembled);
    cr_assert_eq(pi.encap_depth, 1);
}

/* ---- hostile input ---------------------------------------------------------- */

/* Every prefix of a frame: no crash; a cut header is TRUNCATED, a cut payload is flagged. */
static void every_prefix(int linktype, const uint8_t *f, size_t n)
{
    static uint8_t copy[4096];
    cr_assert_leq(n, sizeof copy);
    for (size_t len = 0; len <= n; len++) {
        /* an exact-size copy, so ASan sees any read past the cut */
        memcpy(copy + sizeof copy - len, f, len);
        enum status s = decode_frame(D, linktype, copy + sizeof copy - len, len, TS0, &pi);
        if (len == n) {
            cr_assert_eq(s, STATUS_OK, "whole frame");
            cr_assert_not(pi.truncated);
        } else {
            cr_assert(s == STATUS_TRUNCATED || (s == STATUS_OK && pi.truncated),
                      "cut at %zu of %zu: %s truncated=%d", len, n, status_str(s), pi.truncated);
        }
    }
}

Test(decode, truncated_at_every_boundary_ethernet_vlan_udp4_tcp6)
{
    uint8_t ip[2048], f[2048];
    uint16_t tpid[] = {BUILDERS_TPID_8021AD, BUILDERS_TPID_8021Q}, vid[] = {1, 2};
    size_t n = builders_eth_vlan(f, sizeof f, tpid, vid, 2, BUILDERS_ETH_IPV4, ip,
                                 invite_ipv4(ip, sizeof ip));
    every_prefix(DECODE_LINK_EN10MB, f, n);
    n = builders_tcp6(f, sizeof f, "2001:db8::1", 1, "2001:db8::2", 2, 3, 4, PKT_TCP_ACK, "abc", 3);
    every_prefix(DECODE_LINK_EN10MB, f, n);
}

Test(decode, truncated_at_every_boundary_other_links)
{
    uint8_t ip[2048], f[2048];
    size_t ipn = invite_ipv6(ip, sizeof ip);
    size_t n = builders_sll(f, sizeof f, BUILDERS_ETH_IPV6, ip, ipn);
    every_prefix(DECODE_LINK_LINUX_SLL, f, n);
    n = builders_sll2(f, sizeof f, BUILDERS_ETH_IPV6, ip, ipn);
    every_prefix(DECODE_LINK_LINUX_SLL2, f, n);
    n = builders_null(f, sizeof f, 30, false, ip, ipn);
    every_prefix(DECODE_LINK_NULL, f, n);
    every_prefix(DECODE_LINK_RAW, ip, ipn);
}

Test(decode, truncated_at_every_boundary_ipv6_ext_and_tunnels)
{
    uint8_t a[2048], b[2048], f[2048];
    size_t n = builders_udp(a, sizeof a, 5060, 5062, INVITE, 20);
    n = builders_ipv6_ext(b, sizeof b, 17, 2, a, n);
    memset(a, 0, 24);
    a[0] = 60, a[1] = 4; /* AH, 24 bytes */
    memcpy(a + 24, b, n);
    n = builders_ipv6(b, sizeof b, "2001:db8::1", "2001:db8::2", 51, a, n + 24);
    every_prefix(DECODE_LINK_RAW, b, n);

    for (int t = 1; t <= 3; t++) {
        n = erspan_frame(f, sizeof f, t, t == 3, 0);
        every_prefix(DECODE_LINK_EN10MB, f, n);
    }

    size_t in = invite_ipv4(a, sizeof a);
    n = builders_eth(b, sizeof b, BUILDERS_ETH_IPV4, a, in);
    n = builders_vxlan(a, sizeof a, 1, b, n);
    n = builders_udp(b, sizeof b, 1, DECODE_VXLAN_PORT, a, n);
    n = builders_ipv6(a, sizeof a, "2001:db8::1", "2001:db8::2", BUILDERS_PROTO_UDP, b, n);
    n = builders_gre(b, sizeof b, BUILDERS_GRE_CSUM | BUILDERS_GRE_KEY | BUILDERS_GRE_SEQ, 1, 2,
                     BUILDERS_ETH_IPV6, a, n);
    n = builders_ipv4(a, sizeof a, "192.0.2.1", "192.0.2.2", BUILDERS_PROTO_GRE, b, n);
    n = builders_ipv6(b, sizeof b, "2001:db8::3", "2001:db8::4", BUILDERS_PROTO_IPIP, a, n);
    every_prefix(DECODE_LINK_RAW, b, n);
}

Test(decode, random_garbage_every_link_type)
{
    static const int links[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999};
    uint8_t f[512];
    uint32_t x = 0x2545f491u;
    for (int round = 0; round < 4000; round++) {
        size_t n = 0;
        x = x * 1664525u + 1013904223u;
        n = (x >> 8) % sizeof f;
        for (size_t i = 0; i < n; i++) {
            x = x * 1664525u + 1013904223u;
            f[i] = (uint8_t)(x >> 24);
        }
        /* give the walk a fair chance to go deep: plausible first bytes now and then */
        if (round % 2 && n > 40) {
            f[12] = 0x08, f[13] = 0x00, f[14] = 0x45;
        }
        for (size_t l = 0; l < sizeof links / sizeof links[0]; l++) {
            enum status s = decode_frame(D, links[l], f, n, TS0 + (uint64_t)round * 1000000u, &pi);
            cr_assert(s == STATUS_OK || s == STATUS_TRUNCATED || s == STATUS_MALFORMED ||
                      s == STATUS_UNSUPPORTED || s == STATUS_NEED_MORE || s == STATUS_FULL);
            if (s == STATUS_OK && pi.payload_len)
                cr_assert_not_null(pi.payload);
            cr_assert_leq(pi.encap_depth, DECODE_MAX_ENCAP);
        }
    }
    cr_assert_leq(decode_frag_in_use(D), 8);
}

Test(decode, create_with_defaults_and_null_stats)
{
    struct stats s2 = {{0}};
    struct decode *d = decode_create(NULL, &s2);
    cr_assert_not_null(d);
    cr_assert_eq(decode_frag_in_use(d), 0);
    decode_destroy(d);
    cr_assert_null(decode_create(NULL, NULL));
    decode_destroy(NULL);
}

/* ---- the shared captures, when present (skipped otherwise) -------------------- */

static bool looks_like_sip(const uint8_t *p, size_t n)
{
    static const char *const starts[] = {"SIP/2.0 ", "INVITE ",  "ACK ",      "BYE ",
                                         "CANCEL ",  "OPTIONS ", "REGISTER ", "SUBSCRIBE ",
                                         "NOTIFY ",  "REFER ",   "PRACK ",    "UPDATE ",
                                         "INFO ",    "MESSAGE ", "PUBLISH "};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        size_t l = strlen(starts[i]);
        if (n >= l && memcmp(p, starts[i], l) == 0)
            return true;
    }
    return false;
}

struct shared_case {
    const char *file;
    unsigned packets;   /* frames in the file */
    unsigned sip;       /* UDP/TCP payloads that start like SIP (tshark -Y sip agrees) */
    unsigned need_more; /* fragments stored before their datagram completed */
    unsigned tunnels;
    size_t longest; /* longest SIP payload, 0: not checked */
};

static const struct shared_case shared_cases[] = {
    {"edge-captures/link-ethernet.pcap", 207, 7, 0, 0, 0},
    {"edge-captures/link-null-loopback.pcap", 207, 7, 0, 0, 0},
    {"edge-captures/link-qinq.pcap", 414, 14, 0, 0, 0},
    {"edge-captures/link-rawip.pcap", 207, 7, 0, 0, 0},
    {"edge-captures/link-sll.pcap", 207, 7, 0, 0, 0},
    {"edge-captures/link-sll2.pcap", 207, 7, 0, 0, 0},
    {"edge-captures/link-vlan-8021q.pcap", 207, 7, 0, 0, 0},
    {"edge-captures/ipv4-frag-invite.pcap", 210, 7, 3, 0, 0},
    {"edge-captures/ipv6-call.pcap", 209, 7, 2, 0, 3092},
    {"public-captures/heplify-erspan_sip_ipv4_udp.pcapng", 140, 140, 0, 140, 0},
    {"public-captures/sngrep-ipip.pcap", 4, 4, 0, 2, 0},
    {"public-captures/heplify-ipip0.pcap", 8, 8, 0, 0, 0},
};

static const char *shared_dir(void)
{
    static const char *const dirs[] = {"../shared", "/work/shared"};
    for (size_t i = 0; i < 2; i++)
        if (access(dirs[i], R_OK) == 0)
            return dirs[i];
    return NULL;
}

Test(decode, shared_captures_decode_every_packet)
{
    const char *dir = shared_dir();
    if (!dir)
        cr_skip_test("no shared captures");
    for (size_t c = 0; c < sizeof shared_cases / sizeof shared_cases[0]; c++) {
        const struct shared_case *sc = &shared_cases[c];
        char path[512], err[PCAP_ERRBUF_SIZE];
        snprintf(path, sizeof path, "%s/%s", dir, sc->file);
        pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
        if (!p)
            continue; /* that capture is not there */
        memset(&st, 0, sizeof st);
        int link = pcap_datalink(p);
        struct pcap_pkthdr *h;
        const u_char *bytes;
        unsigned packets = 0, sip = 0, need_more = 0;
        size_t longest = 0;
        while (pcap_next_ex(p, &h, &bytes) == 1) {
            packets++;
            uint64_t ts = (uint64_t)h->ts.tv_sec * S_NS + (uint64_t)h->ts.tv_usec;
            enum status s = decode_frame(D, link, bytes, h->caplen, ts, &pi);
            cr_assert(s == STATUS_OK || s == STATUS_NEED_MORE, "%s packet %u: %s", sc->file,
                      packets, status_str(s));
            need_more += s == STATUS_NEED_MORE;
            if (s == STATUS_OK && (pi.l4 == PKT_L4_UDP || pi.l4 == PKT_L4_TCP) &&
                looks_like_sip(pi.payload, pi.payload_len)) {
                sip++;
                if (pi.payload_len > longest)
                    longest = pi.payload_len;
            }
        }
        pcap_close(p);
        cr_assert_eq(packets, sc->packets, "%s: %u packets", sc->file, packets);
        cr_assert_eq(sip, sc->sip, "%s: %u SIP payloads", sc->file, sip);
        cr_assert_eq(need_more, sc->need_more, "%s: %u fragments held", sc->file, need_more);
        cr_assert_eq(st.v[STAT_TUNNELS], sc->tunnels, "%s: %lu tunnelled", sc->file,
                     (unsigned long)st.v[STAT_TUNNELS]);
        cr_assert_eq(st.v[STAT_DECODE_ERRORS], 0, "%s", sc->file);
        if (sc->longest)
            cr_assert_eq(longest, sc->longest, "%s: longest SIP payload %zu", sc->file, longest);
    }
}

/*
 * Ethernet + IPv4 + UDP takes a one-pass fast path in decode_frame; the same
 * IP packet behind an 802.1Q tag always takes the layer walk. Every mutation
 * of the fields the fast path reads (version and IHL, total length, flags
 * and offset, protocol, ports, UDP length), cut by the snaplen at every
 * length and followed by Ethernet padding, must give the same status,
 * fields, payload and counters both ways (but the tag's encap_depth and vlan).
 * Decoding ahead (decode_peek_udp, then decode_peeked) must give exactly the
 * fast path's pkt_info and counters whenever it takes the frame, and take
 * every frame the fast path decodes.
 */
static size_t assert_same_decode(const uint8_t *ip, size_t n)
{
    size_t taken = 0; /* cuts decoded ahead */
    static uint8_t eth[4096], tagged[4096];
    static const uint16_t tpid = BUILDERS_TPID_8021Q, vid = 100;
    struct stats st_walk;
    memset(&st_walk, 0, sizeof st_walk);
    struct decode *walk = decode_create(NULL, &st_walk);
    cr_assert_not_null(walk);
    size_t en = builders_eth(eth, sizeof eth, BUILDERS_ETH_IPV4, ip, n);
    size_t tn = builders_eth_vlan(tagged, sizeof tagged, &tpid, &vid, 1, BUILDERS_ETH_IPV4, ip, n);
    cr_assert_eq(en, n + 14);
    cr_assert_eq(tn, n + 18);
    memset(eth + en, 0xee, 16); /* padding a short frame would carry */
    memset(tagged + tn, 0xee, 16);
    for (size_t cut = 0; cut <= n + 16; cut++) {
        memset(&st, 0, sizeof st);
        memset(&st_walk, 0, sizeof st_walk);
        struct pkt_info w;
        enum status a = dec(DECODE_LINK_EN10MB, eth, 14 + cut);
        enum status b = decode_frame(walk, DECODE_LINK_EN10MB, tagged, 18 + cut, TS0, &w);
        cr_assert_eq(a, b, "cut %zu: %s vs %s", cut, status_str(a), status_str(b));
        cr_assert(addr_eq(&pi.src.ip, &w.src.ip) && addr_eq(&pi.dst.ip, &w.dst.ip), "cut %zu", cut);
        cr_assert_eq(pi.src.port, w.src.port, "cut %zu", cut);
        cr_assert_eq(pi.dst.port, w.dst.port, "cut %zu", cut);
        cr_assert_eq(pi.l4, w.l4, "cut %zu", cut);
        cr_assert_eq(pi.ip_proto, w.ip_proto, "cut %zu", cut);
        cr_assert_eq(pi.truncated, w.truncated, "cut %zu", cut);
        cr_assert_eq(pi.payload_len, w.payload_len, "cut %zu: %zu vs %zu", cut, pi.payload_len,
                     w.payload_len);
        if (pi.payload_len)
            cr_assert_eq(memcmp(pi.payload, w.payload, pi.payload_len), 0, "cut %zu", cut);
        for (int k = 0; k < STAT__COUNT; k++)
            cr_assert_eq(st.v[k], st_walk.v[k], "cut %zu: counter %s", cut, stats_name(k));

        struct pkt_info ahead;
        memset(&st_walk, 0, sizeof st_walk);
        bool peeked = decode_peek_udp(DECODE_LINK_EN10MB, eth, 14 + cut, TS0, &ahead);
        if (!peeked)
            continue;
        taken++;
        cr_assert_eq(a, STATUS_OK, "cut %zu", cut);
        decode_peeked(walk, &ahead);
        cr_assert(pkt_info_same(&ahead, &pi), "cut %zu: the same pkt_info", cut);
        for (int k = 0; k < STAT__COUNT; k++)
            cr_assert_eq(st.v[k], st_walk.v[k], "cut %zu: counter %s (ahead)", cut, stats_name(k));
    }
    decode_destroy(walk);
    return taken;
}

Test(decode, ethernet_ipv4_udp_fast_path_agrees_with_the_layer_walk)
{
    uint8_t ip[2048];
    size_t n = invite_ipv4(ip, sizeof ip);
    cr_assert(n > 28 && n < 1024);
    /* every cut from the whole UDP header on (42 bytes of frame) to the padded end */
    cr_assert_eq(assert_same_decode(ip, n), n + 16 - 28 + 1);
    /* byte offset in the IPv4 packet (header 20 bytes, then UDP), and the value written there */
    static const struct {
        size_t off;
        uint8_t v[2];
        size_t len;
    } mut[] = {
        {0, {0x46}, 1},        /* IHL 6: an option word (the first UDP bytes) */
        {0, {0x44}, 1},        /* IHL 4: malformed */
        {0, {0x65}, 1},        /* version 6 under the IPv4 ethertype */
        {2, {0x00, 0x14}, 2},  /* total length 20: no room for UDP */
        {2, {0x00, 0x1b}, 2},  /* total length 27: UDP header cut by the IP length */
        {2, {0x00, 0x1c}, 2},  /* total length 28: empty UDP payload */
        {2, {0x00, 0x30}, 2},  /* total length below the packet: the rest is padding */
        {2, {0x08, 0x00}, 2},  /* total length above the packet: cut by the snaplen */
        {2, {0x00, 0x10}, 2},  /* total length below the header */
        {6, {0x40, 0x00}, 2},  /* DF only: a whole packet */
        {6, {0x20, 0x00}, 2},  /* MF: a first fragment */
        {6, {0x00, 0x08}, 2},  /* offset 64: a last fragment */
        {6, {0x80, 0x00}, 2},  /* the reserved flag bit */
        {9, {6}, 1},           /* TCP */
        {9, {1}, 1},           /* ICMP */
        {9, {132}, 1},         /* SCTP */
        {22, {0x12, 0xb5}, 2}, /* destination port 4789 (VXLAN), I flag not set */
        {20, {0x12, 0xb5}, 2}, /* source port 4789: plain UDP */
        {24, {0x00, 0x00}, 2}, /* UDP length 0 */
        {24, {0x00, 0x07}, 2}, /* UDP length 7 */
        {24, {0x00, 0x08}, 2}, /* UDP length 8: empty payload */
        {24, {0x00, 0x12}, 2}, /* UDP length below the IP payload */
        {24, {0xff, 0xff}, 2}, /* UDP length above the IP payload */
    };
    for (size_t i = 0; i < sizeof mut / sizeof mut[0]; i++) {
        uint8_t m[2048];
        memcpy(m, ip, n);
        memcpy(m + mut[i].off, mut[i].v, mut[i].len);
        assert_same_decode(m, n);
    }
}
