/* worker.c: per-frame analysis: L2-L4 decode, SIP framing over UDP (RFC 3261 §18.3) and TCP, correlation. */
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#include "../decoders/sip.h"

struct worker {
    struct worker_config cfg;
    struct stats *st;
    struct decode *decode;
    struct tcpreasm *tcp;
    struct correlate *co;
    uint8_t sip_port[65536 / 8]; /* bitmap of --sip-port values */
    uint64_t now_ns;             /* packet clock: newest time seen */
    uint64_t next_tick_ns;
};

#define NS_PER_S 1000000000ULL

void worker_config_default(struct worker_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->decode.frag_max = 256;
    cfg->decode.frag_timeout_s = 30;
    cfg->tcp.max_streams = TCPREASM_DEFAULT_STREAMS;
    cfg->tcp.buffer_bytes = TCPREASM_DEFAULT_BUFFER;
    cfg->tcp.idle_timeout_s = TCPREASM_DEFAULT_IDLE_S;
    correlate_config_default(&cfg->correlate);
    cfg->sip_ports[0] = 5060;
    cfg->sip_port_count = 1;
}

struct worker *worker_create(const struct worker_config *cfg, struct stats *st,
                             correlate_call_fn on_call, correlate_reg_fn on_reg, void *ctx)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cfg = *cfg;
    w->st = st;
    w->decode = decode_create(&cfg->decode, st);
    w->tcp = tcpreasm_create(&cfg->tcp, st);
    w->co = correlate_create(&cfg->correlate, st, on_call, on_reg, ctx);
    if (!w->decode || !w->tcp || !w->co) {
        worker_destroy(w);
        return NULL;
    }
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
    free(w);
}

uint64_t worker_clock(const struct worker *w)
{
    return w->now_ns;
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
        .ts_ns = p->ts_ns, .src = p->src, .dst = p->dst, .transport = transport
    };
    if (other_port)
        stats_inc(w->st, STAT_SIP_OTHER_PORT);
    correlate_sip(w->co, m, &meta);
}

/* A UDP datagram may hold several messages (RFC 3261 §18.3 frames each by Content-Length). */
static void udp_sip(struct worker *w, const struct pkt_info *p, bool other_port)
{
    size_t off = 0;
    for (int n = 0; off < p->payload_len && n < 64; n++) {
        const uint8_t *b = p->payload + off;
        size_t left = p->payload_len - off;
        if (sip_is_keepalive(b, left)) {
            stats_inc(w->st, STAT_SIP_KEEPALIVES);
            return;
        }
        struct sip_msg m;
        enum status s = sip_parse(b, left, false, &m);
        if (s == STATUS_OK) {
            handle_sip(w, &m, p, CALL_TRANSPORT_UDP, other_port);
            off += m.wire_len ? m.wire_len : left;
            continue;
        }
        /* Junk after a message, or a datagram that is not SIP at all. */
        stats_inc(w->st, s == STATUS_NOT_SIP ? STAT_SIP_NOT_SIP : STAT_SIP_PARSE_ERRORS);
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
        if (s == STATUS_OK) {
            handle_sip(w, &m, p, CALL_TRANSPORT_TCP, !on_sip_port(w, p));
        } else if (sip_is_keepalive(data + off, len - off)) {
            stats_inc(w->st, STAT_SIP_KEEPALIVES);
        } else {
            stats_inc(w->st, s == STATUS_NOT_SIP ? STAT_SIP_NOT_SIP : STAT_SIP_PARSE_ERRORS);
        }
        size_t used = m.wire_len ? m.wire_len : len - off;
        off += used < len - off ? used : len - off;
    }
    return off;
}

static void tick(struct worker *w)
{
    if (w->now_ns < w->next_tick_ns)
        return;
    w->next_tick_ns = w->now_ns + NS_PER_S;
    correlate_tick(w->co, w->now_ns);
    struct tcp_ctx ctx = { w };
    tcpreasm_expire_flush(w->tcp, w->now_ns, tcp_deliver, &ctx);
}

void worker_frame(struct worker *w, const struct frame *f)
{
    stats_inc(w->st, STAT_PACKETS);
    stats_add(w->st, STAT_BYTES, f->caplen);
    if (f->ts_ns > w->now_ns)
        w->now_ns = f->ts_ns;
    struct pkt_info p;
    enum status s = decode_frame(w->decode, f->linktype, f->data, f->caplen, f->ts_ns, &p);
    if (s == STATUS_OK) {
        if (p.l4 == PKT_L4_UDP && p.payload_len) {
            bool sip_port = on_sip_port(w, &p);
            if (sip_port || maybe_sip(p.payload, p.payload_len))
                udp_sip(w, &p, !sip_port);
        } else if (p.l4 == PKT_L4_TCP) {
            bool sip_port = on_sip_port(w, &p);
            if (sip_port || (p.payload_len && maybe_sip(p.payload, p.payload_len)) ||
                tcpreasm_follows(w->tcp, &p)) {
                struct tcp_ctx ctx = { w };
                tcpreasm_segment(w->tcp, &p, tcp_deliver, &ctx);
            }
        }
    }
    tick(w);
}

void worker_finish(struct worker *w)
{
    struct tcp_ctx ctx = { w };
    tcpreasm_flush_all(w->tcp, tcp_deliver, &ctx);
    correlate_tick(w->co, w->now_ns);
    correlate_flush(w->co, w->now_ns);
}
