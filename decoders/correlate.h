/* correlate.h: SIP correlation: transactions -> dialogs -> calls, and REGISTER bindings (RFC 3261
 * §12, §17, §10). */
#ifndef SIPSCOPE_DECODERS_CORRELATE_H
#define SIPSCOPE_DECODERS_CORRELATE_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "call.h"
#include "media.h"
#include "sip.h"
#include "stats.h"

#define CORRELATE_DEFAULT_CALLS 65536
#define CORRELATE_DEFAULT_MSGS (1u << 20) /* ladder entries shared by all calls */
#define CORRELATE_DEFAULT_MSGS_PER_CALL 256
#define CORRELATE_DEFAULT_TXNS (1u << 18)
#define CORRELATE_DEFAULT_REGS 65536
/* RFC 3261 Timer D/J: absorb retransmissions after the end */
#define CORRELATE_DEFAULT_LINGER_S 32
#define CORRELATE_DEFAULT_SETUP_TIMEOUT_S 300  /* no final response by then: state timeout */
#define CORRELATE_DEFAULT_IDLE_TIMEOUT_S 14400 /* answered call, no SIP for this long: flushed */
/* A message's signature is forgotten this long after it was last seen: twice the 64*T1 (32 s,
 * Timer B/F/H) a transaction retransmits for, so endpoints that raised T1 are covered too. */
#define CORRELATE_TXN_TIMEOUT_S 64
/* A call ended by a BYE waits this long at least for its answer (T2, RFC 3261 §17.1.2.2),
 * linger or not. */
#define CORRELATE_BYE_ANSWER_S 4
#define CORRELATE_TEXT_MSG_MAX 16384u       /* SIP text kept per message (and text_bytes / 8) */
#define CORRELATE_TEXT_MAX_BYTES (1u << 30) /* largest text arena (offsets are 32-bit) */
#define CORRELATE_STR_BYTES_PER_CALL 768u   /* string store per call slot (str_bytes default) */

struct correlate_config {
    uint32_t max_calls;
    uint32_t max_msgs;
    uint32_t msgs_per_call;
    uint32_t max_txns;
    uint32_t max_regs;
    uint32_t linger_s;
    uint32_t setup_timeout_s;
    uint32_t idle_timeout_s;
    struct media_config media;
    /*
     * Bytes of the text arena that keeps each ladder entry's full SIP text
     * (for the dashboard's message view); 0, the default, keeps none. Above
     * CORRELATE_TEXT_MAX_BYTES it is taken as that.
     */
    size_t text_bytes;
    /*
     * Bytes of the string store that holds the calls' text fields (Call-ID,
     * From, tags, codec names...); 0, the default, takes
     * max_calls * CORRELATE_STR_BYTES_PER_CALL. Pages are touched as used.
     * When it is full a new call makes room by evicting (calls_evicted) and
     * other fields are cut (sip_field_truncated).
     */
    size_t str_bytes;
};

/* Where a message came from; the parser knows only bytes. */
struct sip_meta {
    uint64_t ts_ns;
    struct endpoint src;
    struct endpoint dst;
    enum call_transport transport;
};

/* A REGISTER binding: one AOR as seen from one registrar conversation. */
#define REG_CONTACT_MAX 128
struct registration {
    char aor[CALL_AOR_MAX];        /* To URI's AOR */
    char contact[REG_CONTACT_MAX]; /* last Contact that a 2xx confirmed */
    char call_id[CALL_ID_MAX];
    struct endpoint client; /* sender of the REGISTER */
    struct endpoint registrar;
    uint64_t first_ns;      /* first REGISTER */
    uint64_t last_ns;       /* newest REGISTER or response */
    uint64_t registered_ns; /* last 2xx that bound it, 0 if never */
    uint64_t expires_ns;    /* when the binding runs out, 0 if not bound */
    uint32_t expires_s;     /* last granted expiry */
    uint32_t requests;      /* REGISTERs (retransmissions apart) */
    uint16_t challenges;    /* 401/407 received */
    uint16_t refreshes;     /* 2xx after the first successful one */
    uint16_t last_code;     /* last final response */
    bool registered;        /* bound at the last 2xx */
    bool unregistered;      /* a 2xx to Expires: 0 / expires=0 removed it */
    /* table bookkeeping */
    uint64_t key_hash;
    uint32_t hash_next;
    struct pool_link lru;
    uint32_t req_expires; /* expiry the last REGISTER asked for */
    bool req_has_expires;
};

struct correlate;

/*
 * Called once per call when it ends (after its linger time), is evicted, or at
 * flush; the call and its messages are freed right after the callback
 * returns. `co` is passed so the callback can walk the call's messages.
 */
typedef void (*correlate_call_fn)(void *ctx, const struct call *c, const struct correlate *co);
typedef void (*correlate_reg_fn)(void *ctx, const struct registration *r);

/*
 * on_stream (may be NULL) gets every RTP stream when it is finished: a call's
 * streams right after the call's own callback, others when idle or at flush.
 */
struct correlate *correlate_create(const struct correlate_config *cfg, struct stats *st,
                                   correlate_call_fn on_call, correlate_reg_fn on_reg,
                                   media_stream_fn on_stream, void *ctx);
void correlate_destroy(struct correlate *co);

/* Fill cfg with the defaults above. */
void correlate_config_default(struct correlate_config *cfg);

/*
 * Feed one parsed SIP message. Detects retransmissions (the message's
 * signature: Call-ID, CSeq, method or status, top Via branch, To tag and
 * endpoints, so RFC 2543 peers without a z9hG4bK branch are covered by the
 * rest) and counts them rather than treating them as new messages. Returns true when the
 * message was a retransmission.
 */
bool correlate_sip(struct correlate *co, const struct sip_msg *m, const struct sip_meta *meta);

/*
 * Look-ahead for a message parsed before its turn (the worker's batches): the
 * loads correlate_sip will wait for start early, so they overlap the frames in
 * between. correlate_sip_key gives the key its call is looked up by (0: none
 * is, e.g. REGISTER or no Call-ID); correlate_prefetch_call then starts
 * loading, one stage per call as the message's turn nears: the call table's
 * bucket, the call record the bucket names, then that call's Call-ID, tags and
 * last ladder entry. Hints only: nothing is changed, no result depends on them.
 */
enum correlate_prefetch {
    CORRELATE_PREFETCH_BUCKET,
    CORRELATE_PREFETCH_CALL,
    CORRELATE_PREFETCH_CALL_ID,
};
uint64_t correlate_sip_key(const struct sip_msg *m);
void correlate_prefetch_call(const struct correlate *co, uint64_t key,
                             enum correlate_prefetch stage);

/* Advance packet time: end lingering calls, time out unanswered ones, expire transactions. */
void correlate_tick(struct correlate *co, uint64_t now_ns);

/* End of input: hand every remaining call and registration to the callbacks, oldest first. */
void correlate_flush(struct correlate *co, uint64_t now_ns);

/* Ladder walk: first message of a call, then msg->next; NULL at the end. */
const struct call_msg *correlate_first_msg(const struct correlate *co, const struct call *c);
const struct call_msg *correlate_next_msg(const struct correlate *co, const struct call_msg *m);

/* The media tables (RTP streams of calls), for the worker and the outputs. */
struct media *correlate_media(const struct correlate *co);

/*
 * The capture's drop counters so far (kernel and ring). A call records them
 * when it starts and ends, so its capture_drops_* say how many packets the
 * sensor itself lost while the call was up: capture loss, not network loss.
 */
void correlate_capture_drops(struct correlate *co, uint64_t kernel, uint64_t ring);

/* Newest packet time given to correlate_tick/flush (the capture's clock), 0 before. */
uint64_t correlate_clock(const struct correlate *co);

/* Calls currently held (for the dashboard header and tests). */
uint32_t correlate_active_calls(const struct correlate *co);

/*
 * Walk the calls currently held, i.e. not yet handed to on_call: those still
 * being set up, those up, and those that reached a final state and linger
 * for retransmissions (c->ended true). First call, then next_call; NULL at
 * the end. The order is stable while no SIP message, tick or flush is fed
 * (any of those may end or move calls: restart the walk after one). O(1) per
 * step, no allocation; correlate_active_calls() steps in all.
 */
const struct call *correlate_first_call(const struct correlate *co);
const struct call *correlate_next_call(const struct correlate *co, const struct call *c);

/*
 * The full SIP text of a ladder entry (start line, headers, body, as on the
 * wire), kept in a ring arena of correlate_config.text_bytes that overwrites
 * the oldest texts first. Of a message longer than CORRELATE_TEXT_MSG_MAX
 * (or than text_bytes / 8, when that is less) only the first bytes are kept,
 * and correlate_msg_text_cut() says so. Returns an empty view when texts are off, when
 * this one was not kept, or when it was overwritten since. The view points
 * into the arena: valid until the next correlate_sip(). No allocation, O(1).
 */
struct sv correlate_msg_text(const struct correlate *co, const struct call_msg *m);
/* Was the message longer than the per-message cap (only its first bytes kept)? */
bool correlate_msg_text_cut(const struct correlate *co, const struct call_msg *m);

#endif
