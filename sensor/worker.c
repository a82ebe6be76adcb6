/* worker.c: per-frame analysis: L2-L4 decode, SIP framing over UDP (RFC 3261 §18.3) and TCP,
 * correlation. */
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#include "../decoders/media.h"
#include "../decoders/rtcp.h"
#include "../decoders/rtp.h"
#include "../decoders/sip.h"
#include "dpi.h"

struct worker {
    struct worker_config cfg;
    struct stats *st;
    struct decode *decode;
    struct tcpreasm *tcp;
    struct correlate *co;
    struct media *media;         /* the correlator's media tables */
    struct dpi *dpi;             /* classifies UDP flows no SDP announced */
    struct rtcp_compound rtcp;   /* scratch for the RTCP being parsed */
    uint8_t sip_port[65536 / 8]; /* bitmap of --sip-port values */
    uint64_t now_ns;             /* packet clock: newest time seen */
    uint64_t jump_ns;            /* a far-ahead time seen once, not yet believed (0: none) */
    uint64_t next_tick_ns;
};

#define NS_PER_S 1000000000ULL
/*
 * How often (packet time) the tables are swept for what is due: ended calls
 * past their linger, timeouts, idle streams and flows. A tenth of a second:
 * a call is let go within 100 ms of when it is due, so with --linger 0 the
 * calls held are the calls up (at one second, a second of ended calls stayed
 * on top). A sweep finds nothing due in O(1).
 */
#define WORKER_TICK_NS (NS_PER_S / 10)

void worker_config_default(struct worker_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->decode.frag_max = 256;
    cfg->decode.frag_timeout_s = 30;
    cfg->tcp.max_streams = TCPREASM_DEFAULT_STREAMS;
    cfg->tcp.buffer_bytes = TCPREASM_DEFAULT_BUFFER;
    cfg->tcp.idle_timeout_s = TCPREASM_DEFAULT_IDLE_S;
    correlate_config_default(&cfg->correlate);
    dpi_config_default(&cfg->dpi);
    cfg->sip_ports[0] = 5060;
    cfg->sip_port_count = 1;
}

struct worker *worker_create(const struct worker_config *cfg, struct stats *st,
                             correlate_call_fn on_call, correlate_reg_fn on_reg,
                             media_stream_fn on_stream, void *ctx)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cfg = *cfg;
    w->st = st;
    w->decode = decode_create(&cfg->decode, st);
    w->tcp = tcpreasm_create(&cfg->tcp, st);
    w->co = correlate_create(&cfg->correlate, st, on_call, on_reg, on_stream, ctx);
    w->dpi = dpi_create(&cfg->dpi, st);
    if (!w->decode || !w->tcp || !w->co || !w->dpi) {
        worker_destroy(w);
        return NULL;
    }
    w->media = correlate_media(w->co);
    for (uint32_t i = 0; i < cfg->sip_port_count && i < WORKER_MAX_SIP_PORTS; i++)
        w->sip_port[cfg->sip_ports[i] >> 3] |= (uint8_t)(1u << (cfg->sip_ports[i] & 7));
    return w;
}

void worker_destroy(struct worker *w)
{
    if (!w)
        return;
    decode_destroy(w->decode);
    tcpreasm_destroy(w->tcp);
    correlate_destroy(w->co);
    dpi_destroy(w->dpi);
    free(w);
}

void worker_set_drops(struct worker *w, uint64_t kernel, uint64_t ring)
{
    correlate_capture_drops(w->co, kernel, ring);
}

uint64_t worker_clock(const struct worker *w)
{
    return w->now_ns;
}

struct correlate *worker_correlate(struct worker *w)
{
    return w->co;
}

static bool is_sip_port(const struct worker *w, uint16_t port)
{
    return (w->sip_port[port >> 3] >> (port & 7)) & 1;
}

static bool on_sip_port(const struct worker *w, const struct pkt_info *p)
{
    return is_sip_port(w, p->src.port) || is_sip_port(w, p->dst.port);
}

/*
 * A payload on another port is tried as SIP only if it starts with a letter:
 * RTP/RTCP start with version 2 (0x80-0xBF), so media never pays for the check.
 */
static bool maybe_sip(const uint8_t *p, size_t len)
{
    return len >= 12 && ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) &&
           sip_looks_like(p, len);
}

static void handle_sip(struct worker *w, const struct sip_msg *m, const struct pkt_info *p,
                       enum call_transport transport, bool other_port)
{
    struct sip_meta meta = {
        .ts_ns = p->ts_ns, .src = p->src, .dst = p->dst, .transport = transport};
    if (other_port)
        stats_inc(w->st, STAT_SIP_OTHER_PORT);
    correlate_sip(w->co, m, &meta);
}

/* A UDP datagram may hold several messages (RFC 3261 §18.3 frames each by Content-Length). */
/* Count bytes on a SIP flow that did not parse: a CRLF keepalive, not SIP at all, or broken SIP. */
static void count_unparsed(struct worker *w, const uint8_t *b, size_t len, enum status s)
{
    if (sip_is_keepalive(b, len))
        stats_inc(w->st, STAT_SIP_KEEPALIVES);
    else
        stats_inc(w->st, s == STATUS_NOT_SIP ? STAT_SIP_NOT_SIP : STAT_SIP_PARSE_ERRORS);
}

/* first: the datagram's first message when it was parsed ahead (worker_hint), else NULL. */
static void udp_sip(struct worker *w, const struct pkt_info *p, bool other_port,
                    const struct sip_msg *first)
{
    size_t off = 0;
    for (int n = 0; off < p->payload_len; n++) {
        if (n == WORKER_MAX_SIP_PER_DATAGRAM) {
            stats_inc(w->st, STAT_SIP_TOO_MANY); /* the rest of the datagram is not read */
            return;
        }
        const uint8_t *b = p->payload + off;
        size_t left = p->payload_len - off;
        struct sip_msg own;
        const struct sip_msg *m = n == 0 && first ? first : &own;
        enum status s = m == first ? STATUS_OK : sip_parse(b, left, false, &own);
        if (s == STATUS_OK) {
            handle_sip(w, m, p, CALL_TRANSPORT_UDP, other_port);
            off += m->wire_len ? m->wire_len : left;
            continue;
        }
        /* A keepalive, junk after a message, or a datagram that is not SIP at all. */
        count_unparsed(w, b, left, s);
        return;
    }
}

struct tcp_ctx {
    struct worker *w;
};

/* TCP: frame messages out of the in-order byte stream; keep a partial one for later. */
static size_t tcp_deliver(void *ctx, const struct pkt_info *p, const uint8_t *data, size_t len)
{
    struct worker *w = ((struct tcp_ctx *)ctx)->w;
    size_t off = 0;
    while (off < len) {
        struct sip_msg m;
        enum status s = sip_parse(data + off, len - off, true, &m);
        if (s == STATUS_NEED_MORE)
            break;
        if (s == STATUS_OK)
            handle_sip(w, &m, p, CALL_TRANSPORT_TCP, !on_sip_port(w, p));
        else
            count_unparsed(w, data + off, len - off, s);
        size_t used = m.wire_len ? m.wire_len : len - off;
        off += used < len - off ? used : len - off;
    }
    return off;
}

/*
 * UDP that is not SIP: RTP or RTCP of a call (its endpoints were announced in
 * SDP), or of no call (nDPI and the RTP heuristic say so). RTP and RTCP both
 * start with version 2 (RFC 3550 §5.1), so anything else costs one test. A
 * packet of a stream already followed costs one hash lookup; announcement
 * checks and classification run only for flows not yet followed.
 */
static void udp_media(struct worker *w, const struct pkt_info *p, uint64_t key)
{
    const uint8_t *b = p->payload;
    size_t n = p->payload_len;
    if (n < 8 || (b[0] & 0xC0) != 0x80)
        return;
    bool rtcp_ep = false;
    if (rtp_is_rtcp(b, n)) {
        if (!media_is_announced(w->media, &p->src, &p->dst, &rtcp_ep) &&
            dpi_classify(w->dpi, p) != DPI_RTCP)
            return;
        stats_inc(w->st, STAT_RTCP_PACKETS);
        if (rtcp_parse(b, n, &w->rtcp) != STATUS_OK)
            stats_inc(w->st, STAT_RTCP_MALFORMED); /* what parsed before the damage still counts */
        media_rtcp(w->media, &p->src, &p->dst, &w->rtcp, p->ts_ns);
        return;
    }
    struct rtp_hdr h;
    enum status rs = rtp_parse(b, n, &h);
    /* tshark counts a packet whose padding count is wrong (its header is intact): so do we. */
    if (rs != STATUS_OK && !(rs == STATUS_MALFORMED && (h.anomalies & RTP_ANOM_BAD_PADDING))) {
        if (media_is_announced(w->media, &p->src, &p->dst, &rtcp_ep))
            stats_inc(w->st, STAT_RTP_MALFORMED);
        return;
    }
    if (!key)
        key = media_stream_key(&p->src, &p->dst, h.ssrc);
    if (media_rtp_keyed(w->media, &p->src, &p->dst, &h, p->ts_ns, MEDIA_RTP_EXISTING, key))
        return;
    if (media_is_announced(w->media, &p->src, &p->dst, &rtcp_ep)) {
        media_rtp_keyed(w->media, &p->src, &p->dst, &h, p->ts_ns, MEDIA_RTP_ANNOUNCED, key);
        return;
    }
    /* Unannounced: follow it once classification says RTP. While it is still deciding, a
     * packet that passes the strict RTP check is counted already, so the stream keeps its
     * first packets (as Wireshark's heuristic does); a flow later judged not to be RTP gets no
     * further packets counted. */
    enum dpi_verdict v = dpi_classify(w->dpi, p);
    if (v == DPI_RTP || (v == DPI_PENDING && rtp_looks_like(b, n)))
        media_rtp_keyed(w->media, &p->src, &p->dst, &h, p->ts_ns, MEDIA_RTP_CLASSIFIED, key);
}

static void tick(struct worker *w)
{
    if (w->now_ns < w->next_tick_ns)
        return;
    w->next_tick_ns = w->now_ns + WORKER_TICK_NS;
    correlate_tick(w->co, w->now_ns);
    dpi_expire(w->dpi, w->now_ns);
    struct tcp_ctx ctx = {w};
    tcpreasm_expire_flush(w->tcp, w->now_ns, tcp_deliver, &ctx);
}

/*
 * The packet clock only moves forward. One frame stamped far in the future (a
 * corrupt record, a clock step on the capturing host) must not expire every
 * open call: a jump of more than WORKER_MAX_JUMP_S is believed only when a
 * second frame confirms it (two consecutive frames within the bound of each
 * other), e.g. two captures of different days concatenated. Counted.
 */
#define WORKER_MAX_JUMP_S 3600

static void advance_clock(struct worker *w, uint64_t ts)
{
    uint64_t bound = (uint64_t)WORKER_MAX_JUMP_S * NS_PER_S;
    if (ts <= w->now_ns)
        return;
    if (w->now_ns && ts - w->now_ns > bound) {
        bool confirmed =
            w->jump_ns && (ts > w->jump_ns ? ts - w->jump_ns : w->jump_ns - ts) <= bound;
        if (!confirmed) {
            w->jump_ns = ts;
            stats_inc(w->st, STAT_CLOCK_JUMPS);
            return;
        }
    }
    w->jump_ns = 0;
    w->now_ns = ts;
}

/* A frame looked at ahead of its turn (worker_frames). */
struct worker_ahead {
    struct pkt_info p; /* the frame decoded, when decoded is true */
    uint64_t key;      /* media_stream_key of its RTP stream; 0: none (not RTP, or not decoded) */
    uint64_t call_key; /* correlate_sip_key of its first SIP message; 0: none */
    bool decoded;
    bool sip_parsed;    /* sip holds the datagram's first message, parsed (STATUS_OK) */
    struct sip_msg sip; /* (a pure function of the bytes, so parsing early changes nothing) */
};

/* Loads are started this many frames before a packet's turn (its bucket first, at the batch's
 * start). */
#define WORKER_AHEAD 4

/* worker_frame, with the frame's decode and stream key from *a when it has them (a may be NULL). */
static void worker_frame_ahead(struct worker *w, const struct frame *f,
                               const struct worker_ahead *a)
{
    stats_inc(w->st, STAT_PACKETS);
    stats_add(w->st, STAT_BYTES, f->caplen);
    /* Expire first: a message that arrives after its call's timeout must find it gone. */
    advance_clock(w, f->ts_ns);
    tick(w);
    struct pkt_info own;
    const struct pkt_info *p = &own;
    enum status s = STATUS_OK;
    if (a && a->decoded) {
        p = &a->p;
        decode_peeked(w->decode, p);
    } else {
        s = decode_frame(w->decode, f->linktype, f->data, f->caplen, f->ts_ns, &own);
    }
    if (s == STATUS_OK) {
        if (p->l4 == PKT_L4_UDP && p->payload_len) {
            bool sip_port = on_sip_port(w, p);
            if (sip_port || maybe_sip(p->payload, p->payload_len))
                udp_sip(w, p, !sip_port, a && a->sip_parsed ? &a->sip : NULL);
            else
                udp_media(w, p, a ? a->key : 0);
        } else if (p->l4 == PKT_L4_TCP) {
            bool sip_port = on_sip_port(w, p);
            if (sip_port || (p->payload_len && maybe_sip(p->payload, p->payload_len)) ||
                tcpreasm_follows(w->tcp, p)) {
                struct tcp_ctx ctx = {w};
                tcpreasm_segment(w->tcp, p, tcp_deliver, &ctx);
            }
        }
    }
}

void worker_frame(struct worker *w, const struct frame *f)
{
    worker_frame_ahead(w, f, NULL);
}

/* Decode f ahead if it has the common form; if it is RTP, its stream key, and its bucket loading.
 */
static void worker_hint(const struct worker *w, const struct frame *f, struct worker_ahead *a)
{
    a->key = a->call_key = 0;
    a->sip_parsed = false;
    a->decoded = decode_peek_udp(f->linktype, f->data, f->caplen, f->ts_ns, &a->p);
    if (!a->decoded)
        return;
    /* SIP on a SIP port: parsed now (its turn takes the result), its call's bucket loading. */
    if (a->p.payload_len && on_sip_port(w, &a->p)) {
        a->sip_parsed = sip_parse(a->p.payload, a->p.payload_len, false, &a->sip) == STATUS_OK;
        if (a->sip_parsed) {
            a->call_key = correlate_sip_key(&a->sip);
            correlate_prefetch_call(w->co, a->call_key, CORRELATE_PREFETCH_BUCKET);
        }
        return;
    }
    uint32_t ssrc;
    if (!rtp_peek_ssrc(a->p.payload, a->p.payload_len, &ssrc))
        return;
    a->key = media_stream_key(&a->p.src, &a->p.dst, ssrc);
    media_prefetch_bucket(w->media, a->key);
}

static void worker_prefetch(const struct worker *w, const struct worker_ahead *a)
{
    if (a->key)
        media_prefetch_stream(w->media, a->key);
    correlate_prefetch_call(w->co, a->call_key, CORRELATE_PREFETCH_CALL);
}

void worker_frames(struct worker *w, const struct frame *f, size_t n)
{
    while (n) {
        size_t k = n < WORKER_BATCH_MAX ? n : WORKER_BATCH_MAX;
        struct worker_ahead ahead[WORKER_BATCH_MAX];
        for (size_t i = 0; i < k; i++)
            worker_hint(w, &f[i], &ahead[i]);
        for (size_t i = 0; i < k && i < WORKER_AHEAD; i++)
            worker_prefetch(w, &ahead[i]);
        for (size_t i = 0; i < k; i++) {
            if (i + WORKER_AHEAD < k)
                worker_prefetch(w, &ahead[i + WORKER_AHEAD]);
            if (i + WORKER_AHEAD / 2 < k)
                correlate_prefetch_call(w->co, ahead[i + WORKER_AHEAD / 2].call_key,
                                        CORRELATE_PREFETCH_CALL_ID);
            worker_frame_ahead(w, &f[i], &ahead[i]);
        }
        f += k;
        n -= k;
    }
}

void worker_finish(struct worker *w)
{
    struct tcp_ctx ctx = {w};
    tcpreasm_flush_all(w->tcp, tcp_deliver, &ctx);
    correlate_tick(w->co, w->now_ns);
    correlate_flush(w->co, w->now_ns);
}
