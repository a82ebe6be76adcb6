/* dpi.c: UDP flows classified by nDPI, seconded by a strict RTP/RTCP heuristic (RFC 3550 §5.1). */
#include "dpi.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "../decoders/cursor.h"
#include "../decoders/pool.h"
#include "../decoders/rtp.h"
#include "flow.h"

/*
 * nDPI API drift (STYLE.md), hidden here and nowhere else:
 *  - ndpi_detection_process_packet: 5 arguments in 4.2 and 4.4, a 6th
 *    (struct ndpi_flow_input_info *, may be NULL) from 4.6;
 *  - ndpi_detection_giveup: (mod, flow, enable_guess, &guessed) up to 4.8,
 *    enable_guess gone from 4.10;
 *  - ndpi_init_detection_module: ndpi_init_prefs up to 4.8, a
 *    struct ndpi_global_context * (NULL: none) from 4.10;
 *  - ndpi_set_protocol_detection_bitmask2: gone in 5.0, where every protocol
 *    is enabled by default (a subset would go through ndpi_set_config; not
 *    done: DPI_PROTOCOLS_VOIP then runs every dissector);
 *  - ndpi_protocol's master/app ids moved into a nested `proto` member
 *    (ndpi_master_app_protocol) in the 4.11 development series, first
 *    released in 4.12.
 * Only 4.2 (Debian 12) is compiled and tested here; the other branches follow
 * the upstream changes listed above.
 */
#define DPI_NDPI_AT_LEAST(maj, min)                                                                \
    (NDPI_MAJOR > (maj) || (NDPI_MAJOR == (maj) && NDPI_MINOR >= (min)))

#if DPI_NDPI_AT_LEAST(4, 11)
#define DPI_PROTO_MASTER(r) ((r).proto.master_protocol)
#define DPI_PROTO_APP(r) ((r).proto.app_protocol)
#else
#define DPI_PROTO_MASTER(r) ((r).master_protocol)
#define DPI_PROTO_APP(r) ((r).app_protocol)
#endif

static struct ndpi_detection_module_struct *dpi_shim_init(void)
{
#if DPI_NDPI_AT_LEAST(4, 10)
    return ndpi_init_detection_module(NULL);
#else
    return ndpi_init_detection_module(ndpi_no_prefs);
#endif
}

static ndpi_protocol dpi_shim_process(struct ndpi_detection_module_struct *m,
                                      struct ndpi_flow_struct *f, const uint8_t *pkt, uint16_t len,
                                      uint64_t time_ms)
{
#if DPI_NDPI_AT_LEAST(4, 6)
    return ndpi_detection_process_packet(m, f, pkt, len, time_ms, NULL);
#else
    return ndpi_detection_process_packet(m, f, pkt, len, time_ms);
#endif
}

static ndpi_protocol dpi_shim_giveup(struct ndpi_detection_module_struct *m,
                                     struct ndpi_flow_struct *f)
{
    u_int8_t guessed = 0;
#if DPI_NDPI_AT_LEAST(4, 10)
    return ndpi_detection_giveup(m, f, &guessed);
#else
    return ndpi_detection_giveup(m, f, 0 /* no guess by port */, &guessed);
#endif
}

/*
 * The dissectors DPI_PROTOCOLS_VOIP runs: the four we answer with, plus the
 * UDP protocols a SPAN port carries most, so that they are named rather than
 * left to the heuristic. Dissectors of RTP-based applications (Zoom, Teams,
 * WhatsApp calls) are left out on purpose: they would turn RTP into
 * DPI_OTHER. Measured with nDPI 4.2 (2 vCPU EPYC, CPU time): the first packet
 * of an undecided flow costs about 3 us with this list against 5 to 6.5 us
 * with every dissector, a later packet about 110 ns against 190 ns; module
 * start-up is the same (15 to 30 ms, about 9 MB); and the verdicts were the
 * same for every UDP flow of the captures in ../shared.
 */
static const uint16_t dpi_voip_protocols[] = {
    NDPI_PROTOCOL_RTP,      NDPI_PROTOCOL_RTCP,    NDPI_PROTOCOL_SIP,        NDPI_PROTOCOL_STUN,
    NDPI_PROTOCOL_DNS,      NDPI_PROTOCOL_MDNS,    NDPI_PROTOCOL_LLMNR,      NDPI_PROTOCOL_NETBIOS,
    NDPI_PROTOCOL_NTP,      NDPI_PROTOCOL_DHCP,    NDPI_PROTOCOL_DHCPV6,     NDPI_PROTOCOL_SNMP,
    NDPI_PROTOCOL_SSDP,     NDPI_PROTOCOL_SYSLOG,  NDPI_PROTOCOL_TFTP,       NDPI_PROTOCOL_QUIC,
    NDPI_PROTOCOL_IP_IPSEC, NDPI_PROTOCOL_OPENVPN, NDPI_PROTOCOL_WIREGUARD,  NDPI_PROTOCOL_RADIUS,
    NDPI_PROTOCOL_DTLS,     NDPI_PROTOCOL_H323,    NDPI_PROTOCOL_MGCP,       NDPI_PROTOCOL_IAX,
    NDPI_PROTOCOL_NETFLOW,  NDPI_PROTOCOL_SFLOW,   NDPI_PROTOCOL_BITTORRENT, NDPI_PROTOCOL_TEREDO,
    NDPI_PROTOCOL_CAPWAP,   NDPI_PROTOCOL_GTP,
};

/* nDPI protocol id -> our verdict; any other known id is DPI_OTHER. */
static const struct {
    uint16_t id;
    enum dpi_verdict verdict;
} dpi_verdict_map[] = {
    {NDPI_PROTOCOL_RTP, DPI_RTP},
    {NDPI_PROTOCOL_RTCP, DPI_RTCP},
    {NDPI_PROTOCOL_SIP, DPI_SIP},
    {NDPI_PROTOCOL_STUN, DPI_STUN},
};

static const enum stat_id dpi_verdict_stat[DPI_VERDICT_COUNT] = {
    [DPI_PENDING] = STAT__COUNT, [DPI_RTP] = STAT_DPI_RTP,   [DPI_RTCP] = STAT_DPI_RTCP,
    [DPI_SIP] = STAT_DPI_SIP,    [DPI_STUN] = STAT_DPI_STUN, [DPI_OTHER] = STAT_DPI_OTHER,
};

static const char *const dpi_verdict_names[DPI_VERDICT_COUNT] = {
    [DPI_PENDING] = "pending", [DPI_RTP] = "rtp",   [DPI_RTCP] = "rtcp",
    [DPI_SIP] = "sip",         [DPI_STUN] = "stun", [DPI_OTHER] = "other",
};

/* One SSRC the heuristic follows: the last sequence number and the run it ends. */
struct dpi_ssrc {
    uint32_t ssrc;
    uint16_t seq;
    uint8_t run; /* packets in sequence, saturating at 255; 0: slot free */
};

#define DPI_F_NO_STATE 0x01  /* heuristic only: no nDPI state could be had */
#define DPI_F_NDPI_DONE 0x02 /* nDPI named a protocol: not called again */

/* The caller area of each flow (flow_user). */
struct dpi_flow {
    uint32_t state;      /* nDPI state record, POOL_NONE when none */
    uint16_t ndpi_proto; /* what nDPI named (0: nothing yet) */
    uint8_t verdict;     /* enum dpi_verdict, cached once decided */
    uint8_t flags;       /* DPI_F_* */
    uint8_t payloads;    /* payload-carrying packets seen while undecided */
    uint8_t rtcp_ok;     /* payloads that passed the RTCP check (saturating) */
    uint8_t bad;         /* payloads that passed neither check (saturating) */
    uint8_t run;         /* longest run of any SSRC */
    struct dpi_ssrc ssrc[DPI_SSRC_SLOTS];
};

struct dpi {
    struct dpi_config cfg;
    struct ndpi_detection_module_struct *ndpi; /* started by the first flow that needs it */
    bool ndpi_failed;                          /* it could not be started: heuristic only */
    struct flow_table *flows;
    struct pool *states;
    uint8_t *scratch; /* IP + UDP header + payload handed to nDPI */
    struct stats *st;
    struct stats own_stats;
};

#define DPI_NS_PER_MS 1000000ull
#define DPI_IPV4_HLEN 20
#define DPI_IPV6_HLEN 40
#define DPI_UDP_HLEN 8
#define DPI_SCRATCH_BYTES (DPI_IPV6_HLEN + DPI_UDP_HLEN + DPI_NDPI_MAX_PAYLOAD)
#define DPI_IP_PROTO_UDP 17

static uint8_t sat_inc(uint8_t v)
{
    return v == UINT8_MAX ? v : (uint8_t)(v + 1);
}

/* ---- the heuristic ---------------------------------------------------------------------- */

/*
 * RTCP common header (RFC 3550 §6.4.1):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |V=2|P|    RC   |      PT       |             length            |
 * length is in 32-bit words minus one. SR (200) carries 24 bytes of sender
 * info after the SSRC, RR (201) none; each report block is 24 bytes.
 */
#define DPI_RTCP_SR 200
#define DPI_RTCP_RR 201
#define DPI_RTCP_IJ 195    /* extended jitter report, RFC 5450 */
#define DPI_RTCP_LAST 207  /* XR, RFC 3611; 205/206 are RFC 4585 feedback */
#define DPI_RTCP_SR_MIN 28 /* header, SSRC, sender info */
#define DPI_RTCP_RR_MIN 8  /* header, SSRC */
#define DPI_RTCP_BLOCK 24

static bool dpi_rtcp_ok(const uint8_t *p, size_t len, bool cut)
{
    struct cursor c = cur_make(p, len);
    for (int n = 0; n < DPI_RTCP_MAX_PACKETS; n++) {
        if (cur_left(&c) == 0)
            return n > 0;
        const uint8_t *start = c.p;
        uint8_t b0 = cur_u8(&c);
        uint8_t pt = cur_u8(&c);
        size_t size = ((size_t)cur_be16(&c) + 1) * 4;
        if (c.bad)
            return cut && n > 0;
        if ((b0 >> 6) != 2 || (pt != DPI_RTCP_IJ && (pt < DPI_RTCP_SR || pt > DPI_RTCP_LAST)))
            return false;
        /* RFC 3550 §6.1: a compound starts with a report */
        if (n == 0 && pt != DPI_RTCP_SR && pt != DPI_RTCP_RR)
            return false;
        size_t rc = b0 & 0x1f;
        if (pt == DPI_RTCP_SR && size < DPI_RTCP_SR_MIN + rc * DPI_RTCP_BLOCK)
            return false;
        if (pt == DPI_RTCP_RR && size < DPI_RTCP_RR_MIN + rc * DPI_RTCP_BLOCK)
            return false;
        size_t left = (size_t)(c.end - start);
        if (size > left)
            return cut; /* the snaplen cut it: what was there looked right */
        if (b0 & 0x20) {
            /* Padding only on the last packet; its last byte counts it (§6.4.1). */
            uint8_t pad = start[size - 1];
            if (size != left || pad == 0 || pad > size - 4)
                return false;
        }
        c.p = start + size;
    }
    return cur_left(&c) == 0;
}

/* Feed one payload to the heuristic state of the flow. */
static void dpi_heuristic(struct dpi_flow *df, const uint8_t *p, size_t len, bool cut)
{
    if (dpi_rtcp_ok(p, len, cut)) {
        df->rtcp_ok = sat_inc(df->rtcp_ok);
        return;
    }
    /*
     * One packet: decoders/rtp.h's strict check (version 2, an assigned or
     * dynamic payload type, CSRCs, extension and padding that fit, a payload
     * byte). A payload the snaplen cut passes when its P bit is clear; with P
     * set its padding count is lost, and it is no evidence either way.
     */
    struct rtp_hdr h;
    if (!rtp_looks_like(p, len) || rtp_parse(p, len, &h) != STATUS_OK) {
        if (!(cut && len > 0 && (p[0] & 0x20)))
            df->bad = sat_inc(df->bad);
        return;
    }
    struct dpi_ssrc *s = NULL;
    struct dpi_ssrc *weakest = &df->ssrc[0];
    for (int i = 0; i < DPI_SSRC_SLOTS; i++) {
        if (df->ssrc[i].run && df->ssrc[i].ssrc == h.ssrc) {
            s = &df->ssrc[i];
            break;
        }
        if (df->ssrc[i].run < weakest->run)
            weakest = &df->ssrc[i];
    }
    if (!s) {
        *weakest = (struct dpi_ssrc){.ssrc = h.ssrc, .seq = h.seq, .run = 1};
    } else {
        uint16_t step = (uint16_t)(h.seq - s->seq);
        uint16_t back = (uint16_t)(s->seq - h.seq);
        if (step >= 1 && step <= DPI_RTP_MAX_SEQ_STEP) {
            s->run = sat_inc(s->run);
            s->seq = h.seq;
        } else if (back > DPI_RTP_MAX_SEQ_STEP) {
            s->run = 1; /* a jump: start again */
            s->seq = h.seq;
        } /* else a duplicate or a late packet: no evidence either way */
    }
    if (s && s->run > df->run)
        df->run = s->run;
    if (df->run == 0)
        df->run = 1;
}

/* Rule 3: what the heuristic says on its own; DPI_PENDING when it is not sure. */
static enum dpi_verdict dpi_alone(const struct dpi_flow *df)
{
    if (df->run >= DPI_RTP_ALONE_RUN)
        return DPI_RTP;
    if (df->rtcp_ok >= DPI_RTCP_ALONE && df->bad == 0)
        return DPI_RTCP;
    return DPI_PENDING;
}

/* ---- nDPI side -------------------------------------------------------------------------- */

static enum dpi_verdict dpi_map(uint16_t id)
{
    if (id == NDPI_PROTOCOL_UNKNOWN)
        return DPI_PENDING;
    for (size_t i = 0; i < sizeof dpi_verdict_map / sizeof dpi_verdict_map[0]; i++)
        if (dpi_verdict_map[i].id == id)
            return dpi_verdict_map[i].verdict;
    return DPI_OTHER;
}

/* The id that matters of a result: one of ours in either slot first, then app, then master. */
static uint16_t dpi_pick(uint16_t master, uint16_t app)
{
    enum dpi_verdict vm = dpi_map(master), va = dpi_map(app);
    if (vm != DPI_PENDING && vm != DPI_OTHER)
        return master;
    if (va != DPI_PENDING && va != DPI_OTHER)
        return app;
    return app != NDPI_PROTOCOL_UNKNOWN ? app : master;
}

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/*
 * nDPI wants the packet from its IP header on; we hold a view of the UDP
 * payload only. So a minimal IPv4 (RFC 791) or IPv6 (RFC 8200) header and a
 * UDP header (RFC 768, checksum 0: nDPI does not verify it) are written in
 * front of a copy of the payload. This copy happens only for the first
 * packets of undecided flows (at most giveup_packets per flow).
 */
static size_t dpi_build_packet(uint8_t *buf, const struct pkt_info *p)
{
    size_t plen = p->payload_len < DPI_NDPI_MAX_PAYLOAD ? p->payload_len : DPI_NDPI_MAX_PAYLOAD;
    size_t hl;
    if (p->src.ip.family == 4) {
        hl = DPI_IPV4_HLEN;
        memset(buf, 0, hl);
        buf[0] = 0x45; /* version 4, IHL 5 */
        put16(buf + 2, hl + DPI_UDP_HLEN + plen);
        buf[8] = 64;
        buf[9] = DPI_IP_PROTO_UDP;
        memcpy(buf + 12, p->src.ip.b, 4);
        memcpy(buf + 16, p->dst.ip.b, 4);
    } else {
        hl = DPI_IPV6_HLEN;
        memset(buf, 0, hl);
        buf[0] = 0x60; /* version 6 */
        put16(buf + 4, DPI_UDP_HLEN + plen);
        buf[6] = DPI_IP_PROTO_UDP;
        buf[7] = 64;
        memcpy(buf + 8, p->src.ip.b, 16);
        memcpy(buf + 24, p->dst.ip.b, 16);
    }
    uint8_t *u = buf + hl;
    put16(u, p->src.port);
    put16(u + 2, p->dst.port);
    put16(u + 4, DPI_UDP_HLEN + plen);
    u[6] = u[7] = 0;
    memcpy(u + DPI_UDP_HLEN, p->payload, plen);
    return hl + DPI_UDP_HLEN + plen;
}

static void dpi_state_release(struct dpi *d, struct dpi_flow *df)
{
    if (df->state == POOL_NONE)
        return;
    /* nDPI may hang buffers of its own on a flow (ndpi_free_flow_data frees them, not the struct).
     */
    ndpi_free_flow_data(pool_at(d->states, df->state));
    pool_put(d->states, df->state);
    df->state = POOL_NONE;
}

static void dpi_on_release(void *ctx, struct flow *f, enum flow_end why)
{
    (void)why;
    dpi_state_release(ctx, flow_user(f));
}

/* ---- the service ------------------------------------------------------------------------ */

void dpi_config_default(struct dpi_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_flows = DPI_DEFAULT_MAX_FLOWS;
    cfg->max_states = DPI_DEFAULT_MAX_STATES;
    cfg->idle_timeout_s = DPI_DEFAULT_IDLE_S;
    cfg->giveup_packets = DPI_DEFAULT_GIVEUP;
    cfg->protocols = DPI_PROTOCOLS_VOIP;
}

struct dpi *dpi_create(const struct dpi_config *cfg, struct stats *st)
{
    struct dpi_config c;
    dpi_config_default(&c);
    if (cfg) {
        c.protocols = cfg->protocols;
        if (cfg->max_flows)
            c.max_flows = cfg->max_flows;
        if (cfg->max_states)
            c.max_states = cfg->max_states;
        if (cfg->idle_timeout_s)
            c.idle_timeout_s = cfg->idle_timeout_s;
        if (cfg->giveup_packets)
            c.giveup_packets = cfg->giveup_packets;
    }
    if (c.max_states > DPI_MAX_STATES || c.max_states > c.max_flows ||
        c.giveup_packets > DPI_MAX_GIVEUP ||
        (c.protocols != DPI_PROTOCOLS_VOIP && c.protocols != DPI_PROTOCOLS_ALL))
        return NULL;

    struct dpi *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cfg = c;
    d->st = st ? st : &d->own_stats;
    struct flow_config fc = {
        .max_flows = c.max_flows,
        .idle_timeout_s = c.idle_timeout_s,
        .user_size = sizeof(struct dpi_flow),
    };
    d->flows = flow_create(&fc, d->st, dpi_on_release, d);
    d->states = pool_create(ndpi_detection_get_sizeof_ndpi_flow_struct(), c.max_states);
    d->scratch = malloc(DPI_SCRATCH_BYTES);
    if (!d->flows || !d->states || !d->scratch) {
        dpi_destroy(d);
        return NULL;
    }
    return d;
}

/*
 * nDPI's module starts when a flow first needs it, not in dpi_create: it costs 15 to 30 ms
 * and about 9 MB, and a capture whose every flow is told by its signalling never needs it.
 * false when it cannot be started (out of memory): the flow then has the heuristic alone.
 */
static bool dpi_ndpi_start(struct dpi *d)
{
    if (d->ndpi)
        return true;
    if (d->ndpi_failed)
        return false;
    d->ndpi = dpi_shim_init();
    if (!d->ndpi) {
        d->ndpi_failed = true;
        return false;
    }
#if !DPI_NDPI_AT_LEAST(5, 0)
    NDPI_PROTOCOL_BITMASK mask;
    if (d->cfg.protocols == DPI_PROTOCOLS_ALL) {
        NDPI_BITMASK_SET_ALL(mask);
    } else {
        NDPI_BITMASK_RESET(mask);
        for (size_t i = 0; i < sizeof dpi_voip_protocols / sizeof dpi_voip_protocols[0]; i++)
            NDPI_ADD_PROTOCOL_TO_BITMASK(mask, dpi_voip_protocols[i]);
    }
    ndpi_set_protocol_detection_bitmask2(d->ndpi, &mask);
#endif
    ndpi_finalize_initialization(d->ndpi);
    return true;
}

void dpi_destroy(struct dpi *d)
{
    if (!d)
        return;
    flow_destroy(d->flows); /* gives every nDPI state back */
    pool_destroy(d->states);
    if (d->ndpi)
        ndpi_exit_detection_module(d->ndpi);
    free(d->scratch);
    free(d);
}

static bool dpi_wants(const struct pkt_info *p)
{
    return p->l4 == PKT_L4_UDP && (p->src.ip.family == 4 || p->src.ip.family == 6) &&
           p->src.ip.family == p->dst.ip.family;
}

static enum dpi_verdict dpi_settle(struct dpi *d, struct dpi_flow *df, enum dpi_verdict v)
{
    if (v == DPI_PENDING)
        return v;
    df->verdict = (uint8_t)v;
    stats_inc(d->st, dpi_verdict_stat[v]);
    dpi_state_release(d, df);
    return v;
}

/* One nDPI call on the packet; records what nDPI named and lets go of the state once it did. */
static void dpi_ask_ndpi(struct dpi *d, struct dpi_flow *df, const struct pkt_info *p)
{
    if (df->state == POOL_NONE && !(df->flags & (DPI_F_NO_STATE | DPI_F_NDPI_DONE))) {
        df->state = dpi_ndpi_start(d) ? pool_get(d->states) : POOL_NONE; /* zeroed: fresh */
        if (df->state == POOL_NONE) {
            df->flags |= DPI_F_NO_STATE;
            stats_inc(d->st, STAT_DPI_NO_STATE);
        }
    }
    if (df->state == POOL_NONE)
        return;
    size_t n = dpi_build_packet(d->scratch, p);
    stats_inc(d->st, STAT_DPI_NDPI_PACKETS);
    ndpi_protocol r = dpi_shim_process(d->ndpi, pool_at(d->states, df->state), d->scratch,
                                       (uint16_t)n, p->ts_ns / DPI_NS_PER_MS);
    uint16_t id = dpi_pick(DPI_PROTO_MASTER(r), DPI_PROTO_APP(r));
    if (id != NDPI_PROTOCOL_UNKNOWN) {
        df->ndpi_proto = id;
        df->flags |= DPI_F_NDPI_DONE;
        dpi_state_release(d, df);
    }
}

enum dpi_verdict dpi_classify(struct dpi *d, const struct pkt_info *pkt)
{
    if (!dpi_wants(pkt))
        return DPI_OTHER;
    bool created;
    struct flow *f =
        flow_get(d->flows, &pkt->src, &pkt->dst, DPI_IP_PROTO_UDP, pkt->ts_ns, &created);
    struct dpi_flow *df = flow_user(f);
    if (created)
        df->state = POOL_NONE;
    if (df->verdict != DPI_PENDING) {
        stats_inc(d->st, STAT_DPI_CACHED);
        return df->verdict;
    }
    if (!pkt->payload_len || !pkt->payload)
        return DPI_PENDING;
    df->payloads = sat_inc(df->payloads);
    dpi_heuristic(df, pkt->payload, pkt->payload_len, pkt->truncated);
    if (!(df->flags & DPI_F_NDPI_DONE))
        dpi_ask_ndpi(d, df, pkt);

    /* Rules 1 and 2 (dpi.h). */
    enum dpi_verdict said = dpi_map(df->ndpi_proto);
    if (said == DPI_SIP || said == DPI_STUN || said == DPI_OTHER)
        return dpi_settle(d, df, said);
    if (said == DPI_RTP && df->run >= DPI_RTP_CONFIRM_RUN)
        return dpi_settle(d, df, DPI_RTP);
    if (said == DPI_RTCP && df->rtcp_ok >= 1)
        return dpi_settle(d, df, DPI_RTCP);
    /* Rule 3. */
    if (df->flags & DPI_F_NO_STATE) {
        enum dpi_verdict v = dpi_alone(df);
        if (v != DPI_PENDING)
            return dpi_settle(d, df, v);
    }
    bool rtcp_only = df->rtcp_ok == df->payloads && df->rtcp_ok >= DPI_RTCP_ALONE;
    if (df->payloads < d->cfg.giveup_packets && !rtcp_only)
        return DPI_PENDING;

    /* Rule 4: give-up. */
    if (df->state != POOL_NONE) {
        ndpi_protocol r = dpi_shim_giveup(d->ndpi, pool_at(d->states, df->state));
        uint16_t id = dpi_pick(DPI_PROTO_MASTER(r), DPI_PROTO_APP(r));
        enum dpi_verdict last = dpi_map(id);
        if (last == DPI_SIP || last == DPI_STUN) {
            df->ndpi_proto = id;
            return dpi_settle(d, df, last);
        }
    }
    stats_inc(d->st, STAT_DPI_GIVEUP);
    enum dpi_verdict v = dpi_alone(df);
    if (v == DPI_PENDING)
        v = DPI_OTHER;
    if ((said == DPI_RTP && v != DPI_RTP) || (said == DPI_RTCP && v != DPI_RTCP))
        stats_inc(d->st, STAT_DPI_DISAGREE);
    return dpi_settle(d, df, v);
}

enum dpi_verdict dpi_verdict_of(const struct dpi *d, const struct pkt_info *pkt)
{
    if (!dpi_wants(pkt))
        return DPI_OTHER;
    struct flow *f = flow_find(d->flows, &pkt->src, &pkt->dst, DPI_IP_PROTO_UDP);
    return f ? (enum dpi_verdict)((struct dpi_flow *)flow_user(f))->verdict : DPI_PENDING;
}

const char *dpi_protocol_name(const struct dpi *d, const struct pkt_info *pkt)
{
    uint16_t id = NDPI_PROTOCOL_UNKNOWN;
    if (dpi_wants(pkt)) {
        struct flow *f = flow_find(d->flows, &pkt->src, &pkt->dst, DPI_IP_PROTO_UDP);
        if (f)
            id = ((struct dpi_flow *)flow_user(f))->ndpi_proto;
    }
    /* nDPI not started: it has named nothing */
    return d->ndpi ? ndpi_get_proto_name(d->ndpi, id) : "Unknown";
}

void dpi_expire(struct dpi *d, uint64_t now_ns)
{
    flow_expire(d->flows, now_ns);
}

uint32_t dpi_active_flows(const struct dpi *d)
{
    return flow_count(d->flows);
}

uint32_t dpi_states_in_use(const struct dpi *d)
{
    return pool_in_use(d->states);
}

bool dpi_ndpi_started(const struct dpi *d)
{
    return d->ndpi != NULL;
}

size_t dpi_bytes(const struct dpi *d)
{
    return sizeof *d + flow_bytes(d->flows) + pool_bytes(d->states) + DPI_SCRATCH_BYTES;
}

const char *dpi_verdict_name(enum dpi_verdict v)
{
    return (unsigned)v < DPI_VERDICT_COUNT ? dpi_verdict_names[v] : "?";
}
