/* media.c: announced media endpoints and the RTP streams of calls (RFC 3264 §5-§8, RFC 3550 §6.4,
 * §11, RFC 3605). */
#include "media.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "hashkey.h"
#include "strstore.h"

/*
 * Two bounded tables, each a pool with a chained hash index:
 *
 *   endpoints  every ip:port an SDP announced (RTP, and RTCP at a=rtcp or
 *              port+1), with the call and the party that receives there. A
 *              second chain by port alone serves the latching rule below.
 *              Endpoints live as long as their call (media_call_end frees
 *              them), so an endpoint never points at a call that is gone.
 *   streams    one record per (src ip:port, dst ip:port, SSRC), found by hash
 *              (never by walking the calls). Streams of a call are chained
 *              from the call and finished with it; streams of no call are
 *              finished when idle. Both queues expire from their heads.
 *
 * Binding a stream to a call, in order: its destination was announced (the
 * receiver's SDP), its source was announced (symmetric RTP: a party sends
 * from where it receives), or latching: the source port was announced by a
 * party whose address a NAT rewrote, and the destination is the other
 * party's announced address (the near end). When several live calls
 * announced the address, ep_claim picks the one waiting for the stream. Only
 * the first packet of a stream pays for the lookups.
 */

#define MEDIA_MAX_PT 4 /* payload types remembered per endpoint */
#define MEDIA_NO_EVENT RTPSTREAM_NO_EVENT_PT
#define MEDIA_EP_NO_EVENT MEDIA_NO_EVENT_PT /* media_ep.event_pt when none */

/*
 * The rtpmap of one announced RTP endpoint (its first MEDIA_MAX_PT payload
 * types): a record of its own, taken only by RTP endpoints whose m= line
 * lists a codec, so RTCP endpoints and the endpoint records stay small.
 */
struct media_pts {
    const char *name[MEDIA_MAX_PT]; /* a codec table entry, or the media store's (media_name) */
    uint32_t clock_rate[MEDIA_MAX_PT];
    uint8_t pt[MEDIA_MAX_PT];
};

/*
 * One announced endpoint (48 bytes: there are about four per call). The hash
 * of ep is not kept: only a stream's first packets and RTCP look endpoints
 * up, and ep_free recomputes it.
 */
struct media_ep {
    struct endpoint ep;
    uint8_t party; /* the party that receives here */
    bool rtcp;
    uint8_t event_pt;  /* telephone-event payload type, or MEDIA_EP_NO_EVENT */
    uint8_t pt_count;  /* payload types in pts */
    struct call *call; /* stable: call records never move; its seq names it */
    uint32_t hash_next;
    uint32_t port_next;
    uint32_t call_next; /* next endpoint of the same call */
    uint32_t pts;       /* struct media_pts in the pts pool, POOL_NONE if none */
};

_Static_assert(sizeof(struct media_ep) <= 48, "struct media_ep grew: about four per call");

struct media {
    struct media_config cfg;
    struct stats *st;
    media_stream_fn on_end;
    void *ctx;

    struct pool *eps;
    struct pool *pts; /* struct media_pts, at most one per endpoint */
    /* codec names that are not a codec table entry: a block for every name an endpoint or a
     * stream can hold, so it is never full (pages are used only as names are) */
    struct strstore *names;
    uint32_t *ep_buckets;
    uint32_t *port_buckets;
    uint32_t ep_mask;

    struct pool *streams;
    struct pool *dtmfs;       /* struct media_dtmf, at most one per stream */
    struct pool *rtcps;       /* struct media_rtcp, at most one per stream */
    uint32_t *stream_buckets; /* allocated for max_streams; the first stream_mask + 1 in use */
    uint32_t stream_mask;
    uint32_t stream_mask_max;
    struct pool_list bound_q; /* streams of calls, by last packet */
    struct pool_list free_q;  /* streams of no call, by last packet */
};

const struct media_rtcp media_no_rtcp = {.jitter_ms = -1, .rtt_ms = -1, .xr_mos_lq = -1};

_Static_assert(sizeof(struct media_stream) <= MEDIA_STREAM_RECORD_MAX,
               "struct media_stream grew: see MEDIA_STREAM_RECORD_MAX");

#define NS_PER_S 1000000000ULL
#define STREAM_LRU offsetof(struct media_stream, lru)
/* a call's stream moves to its queue's tail at most this often */
#define MEDIA_REQUEUE_NS NS_PER_S
/* stream index buckets in use at first (stream_index_grow) */
#define MEDIA_STREAM_BUCKETS_MIN 1024u

void media_config_default(struct media_config *cfg)
{
    *cfg = (struct media_config){
        .max_endpoints = MEDIA_DEFAULT_ENDPOINTS,
        .max_streams = MEDIA_DEFAULT_STREAMS,
        .idle_timeout_s = MEDIA_DEFAULT_IDLE_S,
    };
}

struct media *media_create(const struct media_config *cfg, struct stats *st, media_stream_fn on_end,
                           void *ctx)
{
    struct media *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cfg = *cfg;
    m->st = st;
    m->on_end = on_end;
    m->ctx = ctx;
    m->eps = pool_create(sizeof(struct media_ep), cfg->max_endpoints);
    m->pts = pool_create(sizeof(struct media_pts), cfg->max_endpoints);
    m->names = strstore_create(((size_t)cfg->max_endpoints * MEDIA_MAX_PT + cfg->max_streams) *
                               STRSTORE_MIN);
    m->ep_buckets = pool_buckets_create(cfg->max_endpoints, &m->ep_mask);
    m->port_buckets = pool_buckets_create(cfg->max_endpoints, &m->ep_mask);
    m->streams = pool_create(sizeof(struct media_stream), cfg->max_streams);
    m->dtmfs = pool_create(sizeof(struct media_dtmf), cfg->max_streams);
    m->rtcps = pool_create(sizeof(struct media_rtcp), cfg->max_streams);
    m->stream_buckets = pool_buckets_create(cfg->max_streams, &m->stream_mask_max);
    m->stream_mask = m->stream_mask_max < MEDIA_STREAM_BUCKETS_MIN - 1
                         ? m->stream_mask_max
                         : MEDIA_STREAM_BUCKETS_MIN - 1;
    if (!m->eps || !m->pts || !m->names || !m->ep_buckets || !m->port_buckets || !m->streams ||
        !m->dtmfs || !m->rtcps || !m->stream_buckets) {
        media_destroy(m);
        return NULL;
    }
    m->bound_q = POOL_LIST_INIT;
    m->free_q = POOL_LIST_INIT;
    return m;
}

void media_destroy(struct media *m)
{
    if (!m)
        return;
    pool_destroy(m->eps);
    pool_destroy(m->pts);
    strstore_destroy(m->names);
    pool_destroy(m->streams);
    pool_destroy(m->dtmfs);
    pool_destroy(m->rtcps);
    free(m->ep_buckets);
    free(m->port_buckets);
    free(m->stream_buckets);
    free(m);
}

uint32_t media_active_streams(const struct media *m)
{
    return pool_in_use(m->streams);
}

static enum call_party other_party(enum call_party p)
{
    return p == CALL_PARTY_CALLER   ? CALL_PARTY_CALLEE
           : p == CALL_PARTY_CALLEE ? CALL_PARTY_CALLER
                                    : CALL_PARTY_NONE;
}

/* ---- endpoints ---------------------------------------------------------- */

/* Keyed like every table hash (hashkey.h): ports are the sender's to pick, buckets are not. */
static uint32_t port_bucket(const struct media *m, uint16_t port)
{
    return (uint32_t)hash_step(hash_start(0), port) & m->ep_mask;
}

/* The first of the chain from index i that announced e, NULL if none. */
static struct media_ep *ep_from(const struct media *m, uint32_t i, const struct endpoint *e)
{
    while (i != POOL_NONE) {
        struct media_ep *x = pool_at(m->eps, i);
        if (endpoint_eq(&x->ep, e))
            return x;
        i = x->hash_next;
    }
    return NULL;
}

/* The newest announcement of e. */
static struct media_ep *ep_find(const struct media *m, const struct endpoint *e)
{
    return ep_from(m, m->ep_buckets[endpoint_hash(e, 0) & m->ep_mask], e);
}

/* The next older announcement of the endpoint x announced. */
static struct media_ep *ep_older(const struct media *m, const struct media_ep *x)
{
    return ep_from(m, x->hash_next, &x->ep);
}

/* A codec name into a field: the codec table's own string when spelt as the table spells it. */
static void media_name(struct media *m, const char **dst, struct sv name)
{
    const struct codec_info *ci = codec_by_name(name);
    if (ci && strlen(ci->rtpmap) == name.len && memcmp(ci->rtpmap, name.p, name.len) == 0)
        strstore_set_static(m->names, dst, ci->rtpmap);
    else
        strstore_set(m->names, dst, name, CALL_CODEC_MAX); /* sized never to be full */
}

static void pts_free(struct media *m, uint32_t idx)
{
    if (idx == POOL_NONE)
        return;
    struct media_pts *p = pool_at(m->pts, idx);
    for (int i = 0; i < MEDIA_MAX_PT; i++)
        strstore_clear(m->names, &p->name[i]);
    pool_put(m->pts, idx);
}

static void ep_free(struct media *m, uint32_t idx)
{
    struct media_ep *x = pool_at(m->eps, idx);
    pts_free(m, x->pts);
    pool_chain_unlink(m->eps, &m->ep_buckets[endpoint_hash(&x->ep, 0) & m->ep_mask], idx,
                      offsetof(struct media_ep, hash_next));
    pool_chain_unlink(m->eps, &m->port_buckets[port_bucket(m, x->ep.port)], idx,
                      offsetof(struct media_ep, port_next));
    pool_put(m->eps, idx);
}

/* Remember that `party` of call c receives at e; replaces an older claim on the same endpoint. */
static struct media_ep *ep_add(struct media *m, struct call *c, enum call_party party,
                               const struct endpoint *e, bool rtcp)
{
    if (e->port == 0 || e->ip.family == 0 || addr_is_unspecified(&e->ip))
        return NULL; /* rejected stream or hold (RFC 3264 §6, §8.4): nothing will arrive there */
    struct media_ep *x = ep_find(m, e);
    if (x && x->call == c) {
        x->party = (uint8_t)party;
        x->rtcp = rtcp;
        return x;
    }
    if (c->media_ep_count >= CALL_MAX_MEDIA_ENDPOINTS) {
        c->media_ep_dropped++;
        stats_inc(m->st, STAT_MEDIA_ENDPOINTS_DROPPED);
        return NULL;
    }
    uint32_t idx = pool_get(m->eps);
    if (idx == POOL_NONE) {
        stats_inc(m->st, STAT_MEDIA_ENDPOINTS_DROPPED);
        return NULL;
    }
    /* An endpoint another call announced earlier (port reuse, or shared ports): both are
     * kept, the newer first in its chain, so lookups prefer it (new streams: ep_claim);
     * the older entry goes when its call ends. */
    x = pool_at(m->eps, idx);
    x->ep = *e;
    x->call = c;
    x->party = (uint8_t)party;
    x->rtcp = rtcp;
    x->event_pt = MEDIA_EP_NO_EVENT;
    x->pts = POOL_NONE;
    uint32_t *b = &m->ep_buckets[endpoint_hash(e, 0) & m->ep_mask];
    x->hash_next = *b;
    *b = idx;
    uint32_t *pb = &m->port_buckets[port_bucket(m, e->port)];
    x->port_next = *pb;
    *pb = idx;
    x->call_next = c->media_ep_head;
    c->media_ep_head = idx;
    c->media_ep_count++;
    return x;
}

/* The endpoints an m= line announces: RTP, then RTCP unless muxed; none if not RTP. */
static int sdp_media_endpoints(const struct sdp_media *md, struct endpoint e[2])
{
    if (!sv_starts_with_case(md->proto, "RTP/") && !sv_starts_with_case(md->proto, "UDP/TLS/RTP"))
        return 0;
    e[0] = (struct endpoint){md->conn, md->port};
    if (md->rtcp_mux)
        return 1;
    e[1] = (struct endpoint){md->rtcp_addr.family ? md->rtcp_addr : md->conn, md->rtcp_port};
    return 2;
}

/* Every m= line's endpoints into e and n; their two buckets each start loading. */
static void announce_endpoints(const struct media *m, const struct sdp_session *sdp,
                               struct endpoint e[SDP_MAX_MEDIA][2], int n[SDP_MAX_MEDIA])
{
    for (uint8_t i = 0; i < sdp->media_count; i++) {
        n[i] = sdp_media_endpoints(&sdp->media[i], e[i]);
        for (int k = 0; k < n[i]; k++) {
            pool_prefetch(&m->ep_buckets[endpoint_hash(&e[i][k], 0) & m->ep_mask]);
            pool_prefetch(&m->port_buckets[port_bucket(m, e[i][k].port)]);
        }
    }
}

void media_prefetch_announce(const struct media *m, const struct sdp_session *sdp)
{
    struct endpoint e[SDP_MAX_MEDIA][2];
    int n[SDP_MAX_MEDIA];
    announce_endpoints(m, sdp, e, n);
}

void media_announce(struct media *m, struct call *c, enum call_party party,
                    const struct sdp_session *sdp)
{
    struct endpoint e[SDP_MAX_MEDIA][2];
    int n[SDP_MAX_MEDIA];
    /* Every endpoint's two buckets are cold: ask for all of them before the first is read. */
    announce_endpoints(m, sdp, e, n);
    for (uint8_t i = 0; i < sdp->media_count; i++) {
        const struct sdp_media *md = &sdp->media[i];
        if (n[i] == 0)
            continue;
        struct media_ep *x = ep_add(m, c, party, &e[i][0], false);
        if (x) {
            x->pt_count = 0;
            x->event_pt = MEDIA_EP_NO_EVENT;
            for (uint8_t f = 0; f < md->fmt_count; f++) {
                uint32_t rate = 0;
                struct sv name = sdp_media_codec(md, md->fmt[f], &rate);
                if (sv_case_eq_cstr(name, "telephone-event")) {
                    x->event_pt = md->fmt[f];
                    continue;
                }
                if (x->pt_count >= MEDIA_MAX_PT)
                    continue;
                if (x->pts == POOL_NONE)
                    x->pts = pool_get(m->pts); /* never full: one record per endpoint */
                if (x->pts == POOL_NONE)
                    break;
                struct media_pts *p = pool_at(m->pts, x->pts);
                p->pt[x->pt_count] = md->fmt[f];
                p->clock_rate[x->pt_count] = rate;
                media_name(m, &p->name[x->pt_count], name);
                x->pt_count++;
            }
        }
        if (n[i] == 2)
            ep_add(m, c, party, &e[i][1], true);
    }
}

/*
 * Latching: a NAT changed the address but kept the port (or the reverse).
 * Only the newest MEDIA_LATCH_SCAN announcements of each port are weighed
 * (newest first in the port chain: ep_add). Many phones, or INVITEs that
 * all announce one port, would otherwise make every packet of a flow that
 * matches no announcement exactly walk them all: such packets come here
 * each time (media_is_announced), not only a stream's first. Latched media
 * starts right after its call's SDP, so its announcement is a recent one.
 */
#define MEDIA_LATCH_SCAN 64
static struct media_ep *ep_latched(const struct media *m, const struct endpoint *src,
                                   const struct endpoint *dst, bool *src_side)
{
    const struct endpoint *probe[2] = {src, dst};
    const struct endpoint *near[2] = {dst, src};
    for (int k = 0; k < 2; k++) {
        uint32_t seen = 0;
        for (uint32_t i = m->port_buckets[port_bucket(m, probe[k]->port)];
             i != POOL_NONE && seen < MEDIA_LATCH_SCAN;) {
            const struct media_ep *x = pool_at(m->eps, i);
            i = x->port_next;
            if (x->ep.port != probe[k]->port || x->ep.ip.family != probe[k]->ip.family)
                continue;
            seen++;
            /* the near end must be an address the other party of the same call announced */
            const struct call *c = x->call;
            uint32_t j = c->media_ep_head;
            for (uint8_t n = 0; j != POOL_NONE && n < c->media_ep_count; n++) {
                const struct media_ep *y = pool_at(m->eps, j);
                if (y->party != x->party && addr_eq(&y->ep.ip, &near[k]->ip)) {
                    *src_side = k == 0;
                    return (struct media_ep *)(uintptr_t)x;
                }
                j = y->call_next;
            }
        }
    }
    return NULL;
}

/* Has call c a stream to e (from e when src_side)? At most its MEDIA_MAX_STREAMS_PER_CALL. */
static bool call_has_stream_at(const struct media *m, const struct call *c,
                               const struct endpoint *e, bool src_side)
{
    uint32_t i = c->stream_head;
    for (uint32_t k = 0; i != POOL_NONE && k < c->stream_count; k++) {
        const struct media_stream *s = pool_at(m->streams, i);
        if (endpoint_eq(src_side ? &s->src : &s->dst, e))
            return true;
        i = s->call_next;
    }
    return false;
}

/*
 * The announcement of e a new stream to e (from e when src_side) binds to.
 * Usually one call announced e. Several do after port reuse (a call that
 * ended lingers with its endpoints), or when a generator gives every call the
 * same ports (sipp: tests/soak), where calls set up close together announce
 * e before the first of them sends. The oldest live call with no stream at
 * e in that direction yet, and a SIP message in the last MEDIA_CLAIM_FRESH_S,
 * is the one waiting for this stream (calls start their media in the order
 * they were set up, within moments of their answer or 183). A call silent
 * that long is not waiting: its BYE may have been lost while a new call
 * reuses its port. When no call waits, the newest announcement wins (first
 * in its chain: ep_add). Only the newest
 * MEDIA_CLAIM_SCAN announcements of e are weighed, so INVITEs that all
 * announce one address cannot make a stream's first packet walk them all.
 * Only a stream's first packets come here.
 */
#define MEDIA_CLAIM_SCAN 16
#define MEDIA_CLAIM_FRESH_S 30

static bool call_waits_at(const struct media *m, const struct call *c, const struct endpoint *e,
                          bool src_side, uint64_t now_ns)
{
    return !c->ended && now_ns < c->last_ns + (uint64_t)MEDIA_CLAIM_FRESH_S * NS_PER_S &&
           !call_has_stream_at(m, c, e, src_side);
}

static struct media_ep *ep_claim(const struct media *m, const struct endpoint *e, bool src_side,
                                 uint64_t now_ns)
{
    struct media_ep *newest = ep_find(m, e), *waiting = NULL;
    struct media_ep *x = newest;
    for (uint32_t seen = 0; x && seen < MEDIA_CLAIM_SCAN; seen++, x = ep_older(m, x))
        if (call_waits_at(m, x->call, e, src_side, now_ns))
            waiting = x; /* older than any found before */
    return waiting ? waiting : newest;
}

/*
 * The endpoint record that ties (src, dst) to a call, and which side matched:
 * for a new stream (claim: see ep_claim), else the newest announcement.
 */
static struct media_ep *ep_match(const struct media *m, const struct endpoint *src,
                                 const struct endpoint *dst, bool claim, uint64_t now_ns,
                                 bool *src_side, bool *latched)
{
    *latched = false;
    struct media_ep *x = claim ? ep_claim(m, dst, false, now_ns) : ep_find(m, dst);
    if (x) {
        *src_side = false;
        return x;
    }
    x = claim ? ep_claim(m, src, true, now_ns) : ep_find(m, src);
    if (x) {
        *src_side = true;
        return x;
    }
    x = ep_latched(m, src, dst, src_side);
    *latched = x != NULL;
    return x;
}

/*
 * Call c's announcement a stream from src to dst was bound by: dst, else src,
 * else one with either's port (latched). At most the call's endpoints walked.
 */
static const struct media_ep *call_ep(const struct media *m, const struct call *c,
                                      const struct endpoint *src, const struct endpoint *dst)
{
    const struct media_ep *by_port = NULL, *by_src = NULL;
    uint32_t i = c->media_ep_head;
    for (uint8_t n = 0; i != POOL_NONE && n < c->media_ep_count; n++) {
        const struct media_ep *x = pool_at(m->eps, i);
        if (endpoint_eq(&x->ep, dst))
            return x;
        if (!by_src && endpoint_eq(&x->ep, src))
            by_src = x;
        if (!by_port && (x->ep.port == dst->port || x->ep.port == src->port))
            by_port = x;
        i = x->call_next;
    }
    return by_src ? by_src : by_port;
}

bool media_is_announced(const struct media *m, const struct endpoint *src,
                        const struct endpoint *dst, bool *rtcp)
{
    bool src_side, latched;
    const struct media_ep *x = ep_match(m, src, dst, false, 0, &src_side, &latched);
    if (x)
        *rtcp = x->rtcp;
    return x != NULL;
}

/* ---- streams ------------------------------------------------------------ */

/*
 * Every RTP packet hashes its stream key, so the hash works on whole words
 * rather than bytes: each endpoint folds into one 64-bit word (IPv4 address,
 * port, family) or three (IPv6), each through hashkey.h's keyed step, so a
 * sender cannot pick addresses, ports and SSRCs that share a bucket. Only
 * the address bytes the family uses are read, so endpoints that compare
 * equal hash equal.
 */
static inline uint64_t media_mix_endpoint(uint64_t h, const struct endpoint *e)
{
    uint64_t tag = (uint64_t)e->port << 8 | e->ip.family;
    if (e->ip.family == 6) {
        uint64_t hi, lo;
        memcpy(&hi, e->ip.b, 8);
        memcpy(&lo, e->ip.b + 8, 8);
        return hash_step(hash_step(hash_step(h, hi), lo), tag);
    }
    uint32_t v4 = 0;
    if (e->ip.family == 4)
        memcpy(&v4, e->ip.b, 4);
    return hash_step(h, (uint64_t)v4 << 32 | tag);
}

static uint64_t stream_key(const struct endpoint *src, const struct endpoint *dst, uint32_t ssrc)
{
    return media_mix_endpoint(media_mix_endpoint(hash_start(ssrc), src), dst);
}

/* endpoint_eq, inlined for the per-packet lookup (constant-size compares). */
static inline bool media_endpoint_eq(const struct endpoint *a, const struct endpoint *b)
{
    if (a->port != b->port || a->ip.family != b->ip.family)
        return false;
    if (a->ip.family == 4)
        return memcmp(a->ip.b, b->ip.b, 4) == 0;
    if (a->ip.family == 6)
        return memcmp(a->ip.b, b->ip.b, 16) == 0;
    return true;
}

/* The stream's pool index, POOL_NONE when it is not followed. */
static uint32_t stream_find(const struct media *m, const struct endpoint *src,
                            const struct endpoint *dst, uint32_t ssrc, uint64_t h)
{
    for (uint32_t i = m->stream_buckets[h & m->stream_mask]; i != POOL_NONE;) {
        const struct media_stream *s = pool_at(m->streams, i);
        if (s->key_hash == (uint32_t)h && s->ssrc == ssrc && media_endpoint_eq(&s->src, src) &&
            media_endpoint_eq(&s->dst, dst))
            return i;
        i = s->hash_next;
    }
    return POOL_NONE;
}

static struct pool_list *stream_queue(struct media *m, const struct media_stream *s)
{
    return s->call_seq ? &m->bound_q : &m->free_q;
}

/* Finish a stream: hand it to the callback, unlink it everywhere, free it. */
static void stream_finish(struct media *m, uint32_t idx, struct call *c)
{
    struct media_stream *s = pool_at(m->streams, idx);
    if (m->on_end)
        m->on_end(m->ctx, s);
    pool_chain_unlink(m->streams, &m->stream_buckets[s->key_hash & m->stream_mask], idx,
                      offsetof(struct media_stream, hash_next));
    if (c) {
        /* unlink from its call's chain (the chain is short: a call's streams) */
        uint32_t *cp = &c->stream_head, prev = POOL_NONE;
        while (*cp != POOL_NONE && *cp != idx) {
            prev = *cp;
            cp = &((struct media_stream *)pool_at(m->streams, *cp))->call_next;
        }
        if (*cp == idx) {
            *cp = s->call_next;
            if (c->stream_tail == idx)
                c->stream_tail = prev;
            c->stream_count--;
        }
    }
    pool_list_remove(m->streams, stream_queue(m, s), idx, STREAM_LRU);
    if (s->dtmf)
        pool_put(m->dtmfs, pool_index(m->dtmfs, s->dtmf));
    if (s->rtcp != &media_no_rtcp)
        pool_put(m->rtcps, pool_index(m->rtcps, s->rtcp));
    strstore_clear(m->names, &s->codec);
    pool_put(m->streams, idx);
}

/* Do both ends of s belong to the SDP of call number seq (sent from and to where announced)? */
static bool stream_confirmed(const struct media *m, const struct media_stream *s, uint64_t seq)
{
    const struct media_ep *a = ep_find(m, &s->src), *b = ep_find(m, &s->dst);
    return a && b && a->call->seq == seq && b->call->seq == seq;
}

/* Does t rank below v (ok: confirmed)? Unconfirmed first, then fewer packets, then idler. */
static bool stream_lower(const struct media_stream *t, bool t_ok, const struct media_stream *v,
                         bool v_ok)
{
    if (t_ok != v_ok)
        return !t_ok;
    if (t->stats.total_nr != v->stats.total_nr)
        return t->stats.total_nr < v->stats.total_nr;
    return t->stats.last_ns < v->stats.last_ns;
}

/*
 * The table is full and every stream belongs to a call: the lowest-ranked of
 * the MEDIA_EVICT_SCAN idlest goes (the queue's order is only to within
 * MEDIA_REQUEUE_NS anyway), so RTP injected at calls' ports (one packet per
 * stream) does not push out their own media. O(MEDIA_EVICT_SCAN).
 */
#define MEDIA_EVICT_SCAN 16

static uint32_t stream_bound_victim(const struct media *m)
{
    uint32_t victim = m->bound_q.head;
    const struct media_stream *v = NULL;
    bool v_ok = false;
    uint32_t i = m->bound_q.head;
    for (uint32_t k = 0; i != POOL_NONE && k < MEDIA_EVICT_SCAN; k++) {
        const struct media_stream *t = pool_at(m->streams, i);
        bool t_ok = stream_confirmed(m, t, t->call_seq);
        if (!v || stream_lower(t, t_ok, v, v_ok)) {
            v = t;
            v_ok = t_ok;
            victim = i;
        }
        i = t->lru.next;
    }
    return victim;
}

/*
 * Call c follows MEDIA_MAX_STREAMS_PER_CALL streams already: RTP injected
 * towards its ports with ever new SSRCs or sources must not grow its record
 * (and CDR) without end, nor push out the call's own media. A stream whose
 * two ends the call announced (confirmed) outranks one that is not, then
 * more packets outrank fewer, then the most recent packet. The lowest-ranked
 * stream of the call makes room for s (finished early, counted
 * streams_evicted), unless it is confirmed and s is not: then s is refused
 * (false; it is followed as a stream of no call). At most the cap walked.
 */
static bool stream_make_room(struct media *m, const struct media_stream *s, struct call *c)
{
    uint32_t victim = POOL_NONE;
    const struct media_stream *v = NULL;
    bool v_ok = false;
    for (uint32_t i = c->stream_head, k = 0; i != POOL_NONE && k < c->stream_count; k++) {
        const struct media_stream *t = pool_at(m->streams, i);
        bool t_ok = stream_confirmed(m, t, c->seq);
        if (!v || stream_lower(t, t_ok, v, v_ok)) {
            v = t;
            v_ok = t_ok;
            victim = i;
        }
        i = t->call_next;
    }
    if (victim == POOL_NONE || (v_ok && !stream_confirmed(m, s, c->seq)))
        return false;
    stream_finish(m, victim, c);
    stats_inc(m->st, STAT_STREAMS_EVICTED);
    return true;
}

static void stream_bind(struct media *m, struct media_stream *s, const struct media_ep *x,
                        bool src_side, bool latched)
{
    struct call *c = x->call;
    if (c->stream_count >= MEDIA_MAX_STREAMS_PER_CALL && !stream_make_room(m, s, c)) {
        s->origin = MEDIA_ORIGIN_HEURISTIC; /* followed as a stream of no call */
        return;
    }
    uint32_t idx = pool_index(m->streams, s);
    pool_list_remove(m->streams, &m->free_q, idx, STREAM_LRU);
    s->call_seq = c->seq;
    s->call = c;
    s->call_id = c->call_id;
    s->origin = latched ? MEDIA_ORIGIN_LATCHED : MEDIA_ORIGIN_SDP;
    /* the receiver announced dst; a party sending from its own receive port announced src */
    s->party = (uint8_t)(src_side ? x->party : other_party(x->party));
    s->call_next = POOL_NONE;
    if (c->stream_count == 0 || c->stream_head == POOL_NONE) {
        c->stream_head = idx;
    } else {
        ((struct media_stream *)pool_at(m->streams, c->stream_tail))->call_next = idx;
    }
    c->stream_tail = idx;
    c->stream_count++;
    pool_list_push_tail(m->streams, &m->bound_q, idx, STREAM_LRU);
}

/* The telephone-event payload type of an endpoint's media, as streams hold it. */
static uint32_t ep_event_pt(const struct media_ep *x)
{
    return x && x->event_pt != MEDIA_EP_NO_EVENT ? x->event_pt : MEDIA_NO_EVENT;
}

/* The rtpmap entry of pt at endpoint x (index into its media_pts), -1 if none. */
static int ep_pt(const struct media *m, const struct media_ep *x, uint8_t pt,
                 const struct media_pts **out)
{
    if (!x || x->pts == POOL_NONE)
        return -1;
    const struct media_pts *p = pool_at(m->pts, x->pts);
    for (uint8_t i = 0; i < x->pt_count && i < MEDIA_MAX_PT; i++)
        if (p->pt[i] == pt) {
            *out = p;
            return i;
        }
    return -1;
}

/* Codec name and clock rate of pt: the endpoint's rtpmap, else the static table. */
static void stream_codec(struct media *m, struct media_stream *s, const struct media_ep *x,
                         uint8_t pt)
{
    const struct media_pts *p;
    int i = ep_pt(m, x, pt, &p);
    if (i >= 0) {
        /* a copy (or the same table entry): the endpoint may go, or change, before the stream */
        media_name(m, &s->codec, sv_make(p->name[i], strlen(p->name[i])));
        s->clock_rate = p->clock_rate[i];
        return;
    }
    if (x && ep_event_pt(x) == pt) {
        media_name(m, &s->codec, SV_LIT("telephone-event"));
        s->clock_rate = 8000;
        return;
    }
    const struct codec_info *ci = codec_by_pt(pt);
    if (ci) {
        media_name(m, &s->codec, sv_make(ci->rtpmap, strlen(ci->rtpmap)));
        s->clock_rate = ci->clock_rate;
    }
}

/*
 * The stream index grows with the streams followed. Its buckets are allocated
 * for max_streams at start, but only the first stream_mask + 1 are used, at
 * least one per stream: a bucket array sized for the largest table would
 * spread a few thousand streams over that many cache lines (512 KiB for the
 * default 131072), and every RTP packet reads one of them. When the streams
 * outnumber the buckets in use, these double, each chain splitting in two
 * (bucket i keeps the records whose hash has the new bit clear, i + old size
 * takes the others, order kept): O(streams), at most log2(max / min) times.
 */
static void stream_index_grow(struct media *m)
{
    uint32_t old = m->stream_mask + 1;
    m->stream_mask = (m->stream_mask << 1) | 1;
    for (uint32_t b = 0; b < old; b++) {
        uint32_t *lo = &m->stream_buckets[b], *hi = &m->stream_buckets[b + old];
        uint32_t i = *lo;
        *lo = *hi = POOL_NONE;
        while (i != POOL_NONE) {
            struct media_stream *s = pool_at(m->streams, i);
            uint32_t next = s->hash_next;
            uint32_t **tail = (s->key_hash & old) ? &hi : &lo;
            s->hash_next = POOL_NONE;
            **tail = i;
            *tail = &s->hash_next;
            i = next;
        }
    }
}

static struct media_stream *stream_create(struct media *m, const struct endpoint *src,
                                          const struct endpoint *dst, uint32_t ssrc, uint8_t pt,
                                          uint64_t h)
{
    uint32_t idx = pool_get(m->streams);
    if (idx == POOL_NONE) {
        /* Full: finish the stream idle longest, preferring streams of no call (of calls: see
         * stream_bound_victim). */
        struct pool_list *q = m->free_q.head != POOL_NONE ? &m->free_q : &m->bound_q;
        if (q->head == POOL_NONE)
            return NULL;
        uint32_t vi = q == &m->bound_q ? stream_bound_victim(m) : q->head;
        struct media_stream *v = pool_at(m->streams, vi);
        stream_finish(m, vi, (struct call *)(uintptr_t)v->call);
        stats_inc(m->st, STAT_STREAMS_EVICTED);
        idx = pool_get(m->streams);
        if (idx == POOL_NONE)
            return NULL;
    }
    struct media_stream *s = pool_at(m->streams, idx);
    s->src = *src;
    s->dst = *dst;
    s->ssrc = ssrc;
    s->pt = pt;
    s->key_hash = (uint32_t)h;
    s->call_next = POOL_NONE;
    if (pool_in_use(m->streams) > m->stream_mask + 1 && m->stream_mask < m->stream_mask_max)
        stream_index_grow(m);
    uint32_t *b = &m->stream_buckets[h & m->stream_mask];
    s->hash_next = *b;
    *b = idx;
    s->call_id = "";
    s->codec = STRSTORE_EMPTY;
    s->rtcp = &media_no_rtcp;
    pool_list_push_tail(m->streams, &m->free_q, idx, STREAM_LRU);
    stats_inc(m->st, STAT_STREAMS);
    return s;
}

bool media_rtp(struct media *m, const struct endpoint *src, const struct endpoint *dst,
               const struct rtp_hdr *h, uint64_t ts_ns, enum media_rtp_mode mode)
{
    return media_rtp_keyed(m, src, dst, h, ts_ns, mode, stream_key(src, dst, h->ssrc));
}

bool media_rtp_keyed(struct media *m, const struct endpoint *src, const struct endpoint *dst,
                     const struct rtp_hdr *h, uint64_t ts_ns, enum media_rtp_mode mode,
                     uint64_t key)
{
    uint32_t idx = stream_find(m, src, dst, h->ssrc, key);
    struct media_stream *s;
    bool src_side = false, latched = false;
    if (idx == POOL_NONE) {
        if (mode == MEDIA_RTP_EXISTING)
            return false;
        s = stream_create(m, src, dst, h->ssrc, h->pt, key);
        if (!s)
            return false;
        idx = pool_index(m->streams, s);
        const struct media_ep *x = ep_match(m, src, dst, true, ts_ns, &src_side, &latched);
        stream_codec(m, s, x, h->pt);
        s->event_pt = x ? x->event_pt : MEDIA_NO_EVENT_PT;
        if (x)
            stream_bind(m, s, x, src_side, latched);
        else
            s->origin = MEDIA_ORIGIN_HEURISTIC;
        rtpstream_init(&s->stats, h->ssrc, h->pt, s->clock_rate);
        s->clock_pt = h->pt;
    } else if (!(s = pool_at(m->streams, idx))->call_seq) {
        /* No call claimed it yet: its SDP may come later (early media racing the 18x). Try at
         * the first packets, then every 64th, so a flood of unclaimed RTP costs little. */
        uint32_t n = ++s->packets_unbound;
        if (n <= 8 || (n & 63) == 0) {
            const struct media_ep *x = ep_match(m, src, dst, true, ts_ns, &src_side, &latched);
            if (x) {
                s->event_pt = x ? x->event_pt : MEDIA_NO_EVENT_PT;
                stream_bind(m, s, x, src_side, latched);
            }
        }
    }
    uint32_t event_pt = s->event_pt == MEDIA_NO_EVENT_PT ? MEDIA_NO_EVENT : s->event_pt;
    if (h->pt >= 96 && h->pt != s->clock_pt && h->pt != event_pt && s->call_seq) {
        /* A dynamic payload type the stream did not start with (it began with CN or an event,
         * or a re-INVITE changed the codec): its clock comes from the SDP's rtpmap. */
        const struct media_ep *x = call_ep(m, s->call, src, dst);
        const struct media_pts *p;
        int i = ep_pt(m, x, h->pt, &p);
        if (i >= 0 && p->clock_rate[i])
            rtpstream_set_clock(&s->stats, h->pt, p->clock_rate[i]);
        s->clock_pt = h->pt;
    }
    unsigned ev = rtpstream_update(&s->stats, h, ts_ns, event_pt);
    if ((ev & RTPSTREAM_EV_DTMF_BEGIN) && s->stats.dtmf_last.digit) {
        if (!s->dtmf) {
            uint32_t di = pool_get(m->dtmfs); /* never full: one record per stream */
            s->dtmf = di == POOL_NONE ? NULL : pool_at(m->dtmfs, di);
        }
        if (s->dtmf && s->dtmf_count < MEDIA_DTMF_MAX) {
            struct media_dtmf *d = (struct media_dtmf *)(uintptr_t)s->dtmf;
            d->digit[s->dtmf_count] = s->stats.dtmf_last.digit;
            d->ns[s->dtmf_count++] = s->stats.dtmf_last.start_ns;
        } else {
            stats_inc(m->st, STAT_DTMF_DROPPED);
        }
    }
    stats_inc(m->st, STAT_RTP_PACKETS);
    /*
     * Queue order is order of last packet. Streams of no call expire in that
     * order (media_tick), so they move to the tail at every packet. A call's
     * stream leaves its queue with the call, or by eviction when the table
     * is full, so it moves at most once per MEDIA_REQUEUE_NS of packet time:
     * that spares relinking two other records at nearly every packet, and
     * eviction still takes a stream idle the longest, to within that grain.
     */
    bool recent = s->call_seq && ts_ns >= s->queued_ns && ts_ns - s->queued_ns < MEDIA_REQUEUE_NS;
    if (!recent) {
        struct pool_list *q = stream_queue(m, s);
        if (q->tail != idx) {
            pool_list_remove(m->streams, q, idx, STREAM_LRU);
            pool_list_push_tail(m->streams, q, idx, STREAM_LRU);
        }
        s->queued_ns = ts_ns;
    }
    return true;
}

/*
 * The calls RTCP from src to dst can be about, newest first, at most
 * MEDIA_RTCP_CALLS: every call that announced the endpoint x was matched on
 * (several do after port reuse, ended ones lingering, or when a generator
 * gives every call the same ports), or x's call alone when it was latched.
 */
#define MEDIA_RTCP_CALLS 8

struct media_calls {
    const struct call *c[MEDIA_RTCP_CALLS];
    uint32_t n;
};

static void rtcp_calls(const struct media *m, const struct media_ep *x, bool latched,
                       struct media_calls *out)
{
    out->n = 0;
    if (latched) {
        out->c[out->n++] = x->call;
        return;
    }
    for (const struct media_ep *y = ep_find(m, &x->ep); y && out->n < MEDIA_RTCP_CALLS;
         y = ep_older(m, y))
        out->c[out->n++] = y->call;
}

/* The stream with this SSRC (and source address, when given) of the first of the calls that has
 * one. */
static struct media_stream *stream_by_ssrc(struct media *m, const struct media_calls *calls,
                                           uint32_t ssrc, const struct addr *src_ip)
{
    for (uint32_t k = 0; k < calls->n; k++)
        for (uint32_t i = calls->c[k]->stream_head; i != POOL_NONE;) {
            struct media_stream *s = pool_at(m->streams, i);
            if (s->ssrc == ssrc && (!src_ip || addr_eq(&s->src.ip, src_ip)))
                return s;
            i = s->call_next;
        }
    return NULL;
}

/* The stream's own RTCP record, taken at its first report (NULL for no stream). */
static struct media_rtcp *stream_rtcp(struct media *m, struct media_stream *s)
{
    if (!s)
        return NULL;
    if (s->rtcp == &media_no_rtcp) {
        uint32_t i = pool_get(m->rtcps); /* never full: one record per stream */
        if (i == POOL_NONE)
            return NULL;
        struct media_rtcp *r = pool_at(m->rtcps, i);
        *r = media_no_rtcp;
        s->rtcp = r;
    }
    return (struct media_rtcp *)(uintptr_t)s->rtcp;
}

void media_rtcp(struct media *m, const struct endpoint *src, const struct endpoint *dst,
                const struct rtcp_compound *r, uint64_t ts_ns)
{
    bool src_side, latched;
    const struct media_ep *x = ep_match(m, src, dst, false, 0, &src_side, &latched);
    if (!x)
        return; /* RTCP of no call: counted by the caller, not attributed */
    struct media_calls c;
    rtcp_calls(m, x, latched, &c);
    for (uint32_t i = 0; i < r->packet_count; i++) {
        const struct rtcp_packet *p = &r->packets[i];
        if (p->type == RTCP_SR) {
            struct media_stream *s = stream_by_ssrc(m, &c, p->ssrc, &src->ip);
            struct media_rtcp *q = stream_rtcp(m, s);
            if (q) {
                q->sender_reports++;
                q->sr_packets = p->sr_packet_count;
            }
        } else if (p->type == RTCP_BYE) {
            for (uint32_t k = 0; k < p->bye_count; k++) {
                struct media_stream *s = stream_by_ssrc(m, &c, p->bye_ssrc[k], &src->ip);
                struct media_rtcp *q = stream_rtcp(m, s);
                if (q)
                    q->bye = true;
            }
        } else if (p->type == RTCP_XR && p->has_voip_metrics) {
            struct media_stream *s = stream_by_ssrc(m, &c, p->voip.ssrc, NULL);
            struct media_rtcp *q = stream_rtcp(m, s);
            if (q) {
                q->xr = true;
                q->xr_mos_lq = p->voip.mos_lq == 127 ? -1 : p->voip.mos_lq / 10.0;
            }
        }
        for (uint32_t k = 0; k < p->block_count; k++) {
            const struct rtcp_report *b = &r->blocks[p->first_block + k];
            /* A report about SSRC X comes from X's receiver: the stream X -> RTCP sender. */
            struct media_stream *s = stream_by_ssrc(m, &c, b->ssrc, NULL);
            struct media_rtcp *q = stream_rtcp(m, s);
            if (!q)
                continue;
            q->reports++;
            q->fraction_lost = b->fraction_lost;
            q->cumulative_lost = b->cumulative_lost;
            q->jitter_ts = b->jitter;
            q->jitter_ms = s->clock_rate ? rtcp_jitter_ms(b->jitter, s->clock_rate) : -1;
            double rtt;
            if (rtcp_rtt_ms(b->lsr, b->dlsr, ts_ns, &rtt))
                q->rtt_ms = rtt;
        }
    }
}

void media_call_end(struct media *m, struct call *c)
{
    while (c->stream_head != POOL_NONE && c->stream_count)
        stream_finish(m, c->stream_head, c);
    c->stream_head = c->stream_tail = POOL_NONE;
    for (uint32_t i = c->media_ep_head, n = 0; i != POOL_NONE && n < c->media_ep_count; n++) {
        uint32_t next = ((const struct media_ep *)pool_at(m->eps, i))->call_next;
        ep_free(m, i);
        i = next;
    }
    c->media_ep_head = POOL_NONE;
    c->media_ep_count = 0;
}

/* The record that comes first in the chain from *head, if it is not idx: the unlink walks it. */
static void chain_prefetch(const struct pool *p, const uint32_t *head, uint32_t idx)
{
    if (*head != POOL_NONE && *head != idx)
        pool_prefetch(pool_at(p, *head));
}

void media_call_prefetch(const struct media *m, const struct call *c, enum media_prefetch stage)
{
    if (stage == MEDIA_PREFETCH_RECORDS) {
        /* the first of each list: the rest is reached through them */
        if (c->media_ep_head != POOL_NONE)
            pool_prefetch(pool_at(m->eps, c->media_ep_head));
        if (c->stream_head != POOL_NONE)
            pool_prefetch_bytes(pool_at(m->streams, c->stream_head), sizeof(struct media_stream));
        return;
    }
    bool chains = stage == MEDIA_PREFETCH_CHAINS;
    for (uint32_t i = c->media_ep_head, n = 0; i != POOL_NONE && n < c->media_ep_count; n++) {
        const struct media_ep *x = pool_at(m->eps, i);
        const uint32_t *eb = &m->ep_buckets[endpoint_hash(&x->ep, 0) & m->ep_mask];
        const uint32_t *pb = &m->port_buckets[port_bucket(m, x->ep.port)];
        if (chains) {
            chain_prefetch(m->eps, eb, i);
            chain_prefetch(m->eps, pb, i);
        } else {
            pool_prefetch(eb);
            pool_prefetch(pb);
            if (x->pts != POOL_NONE) /* its codec names are freed with it */
                pool_prefetch(pool_at(m->pts, x->pts));
        }
        i = x->call_next;
    }
    for (uint32_t i = c->stream_head, n = 0; i != POOL_NONE && n < c->stream_count; n++) {
        const struct media_stream *s = pool_at(m->streams, i);
        const uint32_t *sb = &m->stream_buckets[s->key_hash & m->stream_mask];
        if (chains) {
            chain_prefetch(m->streams, sb, i);
        } else {
            pool_prefetch(sb);
            if (i != c->stream_head)               /* the head came whole with the records */
                pool_prefetch_bytes(s, sizeof *s); /* the CDR reads its figures */
        }
        i = s->call_next;
    }
}

uint64_t media_stream_key(const struct endpoint *src, const struct endpoint *dst, uint32_t ssrc)
{
    return stream_key(src, dst, ssrc);
}

void media_prefetch_bucket(const struct media *m, uint64_t key)
{
    pool_prefetch(&m->stream_buckets[key & m->stream_mask]);
}

void media_prefetch_stream(const struct media *m, uint64_t key)
{
    uint32_t i = m->stream_buckets[key & m->stream_mask];
    if (i != POOL_NONE)
        pool_prefetch_bytes(pool_at(m->streams, i), sizeof(struct media_stream));
}

const struct media_stream *media_first_stream(const struct media *m, const struct call *c)
{
    return c->stream_count && c->stream_head != POOL_NONE ? pool_at(m->streams, c->stream_head)
                                                          : NULL;
}

const struct media_stream *media_next_stream(const struct media *m, const struct media_stream *s)
{
    return s->call_next == POOL_NONE ? NULL : pool_at(m->streams, s->call_next);
}

void media_tick(struct media *m, uint64_t now_ns)
{
    uint64_t idle = (uint64_t)m->cfg.idle_timeout_s * NS_PER_S;
    while (m->free_q.head != POOL_NONE) {
        struct media_stream *s = pool_at(m->streams, m->free_q.head);
        if (now_ns < s->stats.last_ns + idle)
            break;
        stream_finish(m, m->free_q.head, NULL);
    }
}

void media_flush(struct media *m)
{
    while (m->free_q.head != POOL_NONE)
        stream_finish(m, m->free_q.head, NULL);
}
