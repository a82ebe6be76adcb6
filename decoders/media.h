/* media.h: SDP offer/answer -> expected media endpoints; RTP/RTCP flows -> streams -> calls (RFC
 * 3264, RFC 3550 §11). */
#ifndef SIPSCOPE_DECODERS_MEDIA_H
#define SIPSCOPE_DECODERS_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "call.h"
#include "pool.h"
#include "rtcp.h"
#include "rtp.h"
#include "rtpstream.h"
#include "sdp.h"
#include "stats.h"

#define MEDIA_DEFAULT_ENDPOINTS 131072  /* announced media endpoints (RTP and RTCP) */
#define MEDIA_DEFAULT_STREAMS 131072    /* RTP streams followed at once */
#define MEDIA_DEFAULT_IDLE_S 60         /* a stream with no packet this long is finished */
#define MEDIA_MAX_ENDPOINTS_PER_CALL 16 /* announced endpoints remembered per call */
/* Streams bound to one call at once: four per RTP endpoint it can announce (8 of the 16 above),
 * for new SSRCs after re-INVITEs, holds, transfers, forks' early media. RTP injected towards a
 * call's ports with ever new SSRCs or sources cannot grow it (or its CDR) past this: see
 * media_rtp; what makes room is counted streams_evicted. */
#define MEDIA_MAX_STREAMS_PER_CALL 32
#define MEDIA_DTMF_MAX 16 /* DTMF digits kept per stream (more are counted) */

/* Where a stream came from. */
enum media_origin {
    MEDIA_ORIGIN_SDP = 0,   /* its destination (or source) was announced in SDP */
    MEDIA_ORIGIN_LATCHED,   /* a call's port matched from another address (NAT, latching) */
    MEDIA_ORIGIN_HEURISTIC, /* found by classification, no SDP announced it */
};

/* What the endpoints reported about a stream in RTCP (receiver reports about its SSRC). */
struct media_rtcp {
    uint32_t reports;        /* report blocks about this stream */
    int32_t cumulative_lost; /* last report: 24-bit signed */
    uint32_t jitter_ts;      /* last report: timestamp units */
    uint32_t sender_reports; /* SRs sent by this stream's source */
    uint32_t sr_packets;     /* last SR: sender's packet count */
    uint8_t fraction_lost;   /* last report: 8-bit fraction */
    bool bye;                /* the source sent BYE */
    bool xr;                 /* XR VoIP metrics seen */
    double jitter_ms;        /* the same in ms (clock rate known), else -1 */
    double rtt_ms;           /* last round-trip time from LSR/DLSR, -1 if never */
    double xr_mos_lq;        /* XR MOS-LQ, -1 when absent */
};

/* media_stream.rtcp of a stream nothing reported on: counts 0, jitter_ms, rtt_ms, xr_mos_lq -1. */
extern const struct media_rtcp media_no_rtcp;

/* The RFC 4733 digits of a stream, in order: a record of their own, taken at the first digit. */
struct media_dtmf {
    uint64_t ns[MEDIA_DTMF_MAX]; /* arrival of each event's first packet */
    char digit[MEDIA_DTMF_MAX];
};

/*
 * One RTP stream: (source ip:port, destination ip:port, SSRC). A plain record.
 * Field order is for the per-packet path: what the lookup compares comes
 * first (one cache line), then what every packet reads or moves, then the
 * statistics; what only the first packet or the output uses comes last.
 */
struct media_stream {
    /* table bookkeeping and the key */
    uint32_t key_hash; /* low bits of the key's hash (the index uses fewer) */
    uint32_t hash_next;
    uint32_t ssrc;
    uint32_t call_next; /* next stream of the same call */
    struct endpoint src;
    struct endpoint dst;
    uint8_t event_pt;   /* telephone-event PT of its media, MEDIA_NO_EVENT_PT if none */
    uint8_t pt;         /* payload type of the first packet */
    uint8_t clock_pt;   /* dynamic payload type whose clock the statistics use */
    uint8_t origin;     /* enum media_origin */
    uint8_t party;      /* enum call_party that sends it, NONE if unknown */
    uint8_t dtmf_count; /* RFC 4733 digits in *dtmf */
    uint64_t call_seq;  /* the call's creation number; 0 = no call */
    struct pool_link lru;
    uint64_t queued_ns;       /* packet time it last moved to its queue's tail */
    uint32_t packets_unbound; /* packets seen while no call claimed it (rebinding tries) */
    uint32_t clock_rate;
    struct rtpstream stats;
    /* what RTCP said about it: a record of its own, taken at the first report; never NULL */
    const struct media_rtcp *rtcp;
    const struct media_dtmf *dtmf; /* NULL while dtmf_count is 0 */
    /*
     * The Call-ID of its call ("" = no call): the call record's own string,
     * valid as long as the stream (a call's streams are finished, and
     * on_end called, before the call is released). Copy it to keep it.
     */
    const char *call_id;
    /* encoding name from SDP or the static table (CALL_CODEC_MAX - 1 chars at most): a codec
     * table entry, or a string of the media tables' own store, freed with the stream; never NULL */
    const char *codec;
    /* its call (NULL = none): the call record outlives its streams; for eviction and the rtpmap */
    const struct call *call;
};

#define MEDIA_NO_EVENT_PT 0xFF      /* media_stream.event_pt: none (payload types are 0..127) */
#define MEDIA_STREAM_RECORD_MAX 384 /* per-call memory budget (issue 7): about 2 per call */

struct media_config {
    uint32_t max_endpoints;
    uint32_t max_streams;
    uint32_t idle_timeout_s;
};

struct media;

/* Called when a stream is finished: its call ended, it went idle, or at flush. */
typedef void (*media_stream_fn)(void *ctx, const struct media_stream *s);

struct media *media_create(const struct media_config *cfg, struct stats *st, media_stream_fn on_end,
                           void *ctx);
void media_destroy(struct media *m);
void media_config_default(struct media_config *cfg);

/*
 * An SDP body was seen in a call's message, sent by `party`. Its audio (and
 * other RTP) m= lines announce where that party receives RTP (c= address,
 * m= port) and RTCP (a=rtcp or port+1). Packets to or from those endpoints
 * belong to the call from now on; a later SDP of the same party (re-INVITE,
 * UPDATE) adds its new endpoints.
 */
void media_announce(struct media *m, struct call *c, enum call_party party,
                    const struct sdp_session *sdp);
/* Start loading the table buckets media_announce(sdp) will insert into (a hint: nothing changes),
 * so that a caller with other work to do first has them by then. */
void media_prefetch_announce(const struct media *m, const struct sdp_session *sdp);

/*
 * Is this UDP datagram media of a known call? Checks the destination, then
 * the source (symmetric RTP), then the latching rule (the source port was
 * announced by a call whose other party's address is the destination).
 * Returns true and sets *rtcp when it is.
 */
bool media_is_announced(const struct media *m, const struct endpoint *src,
                        const struct endpoint *dst, bool *rtcp);

enum media_rtp_mode {
    MEDIA_RTP_EXISTING = 0, /* account it only if its stream is already followed */
    MEDIA_RTP_ANNOUNCED,    /* an SDP announced one of its endpoints: follow it */
    MEDIA_RTP_CLASSIFIED,   /* classification says RTP: follow it (bound if a call matches) */
};

/*
 * Account one RTP packet (already parsed): finds the stream (src, dst, SSRC)
 * by hash, or in the two following modes creates it and binds it to the call
 * that announced its endpoints. Returns false when the packet was not
 * accounted (MEDIA_RTP_EXISTING and no such stream, or no room). A stream no
 * call claimed is tried again now and then, in case its SDP came late.
 * O(1), no allocation; a full table evicts its oldest stream (finished, counted).
 * A call holding MEDIA_MAX_STREAMS_PER_CALL streams ranks them: sent and
 * received where its parties announced (confirmed) first, then more packets,
 * then the latest packet; the lowest makes room for a new one (finished,
 * counted streams_evicted), unless it is confirmed and the new one is not:
 * then the new one is followed as a stream of no call (O(cap), rare).
 */
bool media_rtp(struct media *m, const struct endpoint *src, const struct endpoint *dst,
               const struct rtp_hdr *h, uint64_t ts_ns, enum media_rtp_mode mode);
/* The same, with key = media_stream_key(src, dst, h->ssrc) computed already. */
bool media_rtp_keyed(struct media *m, const struct endpoint *src, const struct endpoint *dst,
                     const struct rtp_hdr *h, uint64_t ts_ns, enum media_rtp_mode mode,
                     uint64_t key);

/* Account one RTCP compound (already parsed): reports about our streams, SRs, BYEs. */
void media_rtcp(struct media *m, const struct endpoint *src, const struct endpoint *dst,
                const struct rtcp_compound *r, uint64_t ts_ns);

/* The call is ending: finish its streams (callback), forget its endpoints (its stream and
 * endpoint lists are emptied). */
void media_call_end(struct media *m, struct call *c);

/*
 * Start loading what media_call_end(m, c) will touch, a stage at a time, each once the one
 * before had time to arrive: c's first endpoint and stream records, then the hash buckets
 * they are chained in, then the records in those chains ahead of them. Hints only.
 */
enum media_prefetch {
    MEDIA_PREFETCH_RECORDS,
    MEDIA_PREFETCH_BUCKETS,
    MEDIA_PREFETCH_CHAINS,
};
void media_call_prefetch(const struct media *m, const struct call *c, enum media_prefetch stage);

/*
 * Looking ahead at RTP packets still to come, hints only (nothing changes):
 * media_stream_key is the key media_rtp will look a packet's stream up by;
 * media_prefetch_bucket starts loading that key's hash bucket, and
 * media_prefetch_stream, a few packets later (once the bucket has arrived),
 * the stream record the bucket leads to. A packet a few frames from now then
 * finds its stream in the cache, however many calls are up.
 */
uint64_t media_stream_key(const struct endpoint *src, const struct endpoint *dst, uint32_t ssrc);
void media_prefetch_bucket(const struct media *m, uint64_t key);
void media_prefetch_stream(const struct media *m, uint64_t key);

/* First stream of a call (in creation order), then media_next_stream; NULL at the end. */
const struct media_stream *media_first_stream(const struct media *m, const struct call *c);
const struct media_stream *media_next_stream(const struct media *m, const struct media_stream *s);

/* Advance packet time: finish streams of no call that went idle. */
void media_tick(struct media *m, uint64_t now_ns);
/* End of input: finish every stream left (those of calls were finished with their call). */
void media_flush(struct media *m);

uint32_t media_active_streams(const struct media *m);

#endif
