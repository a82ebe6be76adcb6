/* correlate.c: SIP transactions -> dialogs -> calls, and REGISTER bindings (RFC 3261 §10, §12, §13,
 * §17). */
#include "correlate.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pool.h"
#include "sdp.h"
#include "sip_uri.h"
#include "strstore.h"

/*
 * Three bounded tables, each a pool with a chained hash index and expiry
 * queues ordered by last activity (so expiry looks only at queue heads):
 *
 *   seen   one record per distinct message signature (Call-ID, CSeq, method,
 *          status, top Via branch, To tag, source and destination). A message
 *          whose signature was seen within CORRELATE_TXN_TIMEOUT_S is a
 *          retransmission (RFC 3261 §17: a retransmission repeats the branch;
 *          for RFC 2543 peers without the z9hG4bK cookie, whose branch may be
 *          absent, the Call-ID, CSeq, method and endpoints in the key do the
 *          work: a retransmission repeats them all). Wireshark's resend detection
 *          keys on the same facts, so our counts agree with `sip,stat`.
 *          Only messages outside calls (REGISTER, no Call-ID, no call) and the
 *          older signatures of calls with many messages come here: a call checks
 *          its own messages against the signatures it keeps (call_seen_check).
 *   calls  by Call-ID; a call is the INVITE dialog(s) of one Call-ID, forks
 *          included. Queues: probe (an INVITE nobody answered at all, not even
 *          100 Trying), setup (no final answer), up (answered), ended (final
 *          state reached, lingering to absorb retransmissions). A full table
 *          evicts from ended, then probe, then setup, then up: an INVITE flood
 *          (scanners, spoofed sources: nothing ever answers them) recycles its
 *          own probes and never pushes out a call that is ringing or up.
 *   regs   REGISTER bindings by AOR + Call-ID (RFC 3261 §10.2: a UA keeps its
 *          Call-ID for all registrations to one registrar).
 *
 * Everything is sized at create time; a full table evicts its oldest record
 * and counts it (a call evicted that way is still handed to the callback).
 */

/*
 * Where a ladder entry's SIP text sits in the text arena: byte offset, the
 * arena lap it was written in (so a text overwritten since is detected), and
 * its length (0: not kept). cut: the message was longer than the per-message
 * cap and only its first len bytes were kept.
 */
struct msg_text {
    uint32_t off;
    uint32_t gen;
    uint16_t len;
    bool cut;
};

/* QUEUE_ENDING: ended by a BYE still unanswered (its answer is part of the call). */
enum call_queue { QUEUE_PROBE = 0, QUEUE_SETUP, QUEUE_UP, QUEUE_ENDING, QUEUE_ENDED, QUEUE__COUNT };

/*
 * 28 bytes, 4-aligned: the 64-bit key and time are kept as halves (seen_u64)
 * so that the record needs no padding (there are as many as messages in the
 * last CORRELATE_TXN_TIMEOUT_S).
 */
struct seen {
    uint32_t key[2];
    uint32_t last_ns[2];
    uint32_t hash_next;
    struct pool_link lru;
};

_Static_assert(sizeof(struct seen) == 28, "struct seen: no padding");

static uint64_t seen_u64(const uint32_t v[2])
{
    return (uint64_t)v[1] << 32 | v[0];
}

static void seen_set_u64(uint32_t v[2], uint64_t x)
{
    v[0] = (uint32_t)x;
    v[1] = (uint32_t)(x >> 32);
}

struct correlate {
    struct correlate_config cfg;
    struct stats *st;
    correlate_call_fn on_call;
    correlate_reg_fn on_reg;
    void *ctx;

    struct pool *calls;
    uint32_t *call_buckets;
    uint32_t call_mask;
    struct pool_list call_q[QUEUE__COUNT];
    uint64_t call_seq;
    struct call **flush_order; /* max_calls pointers, for correlate_flush */

    struct pool *msgs;
    struct pool *msg_sdps;   /* struct call_msg_sdp of messages with SDP (max_msgs, by use) */
    struct pool *msg_routes; /* struct call_msg_route of messages off the call's path */
    struct strstore *strs;   /* the text fields of calls (and of their ladder entries) */

    struct pool *seen;
    uint32_t *seen_buckets;
    uint32_t seen_mask;
    struct pool_list seen_q;

    struct media *media;
    uint64_t now_ns;       /* newest time given to tick/flush */
    uint64_t drops_kernel; /* the capture's drop counters so far */
    uint64_t drops_ring;
    struct sdp_session sdp; /* scratch for the SDP being parsed (27 KB, off the stack) */

    struct pool *regs;
    uint32_t *reg_buckets;
    uint32_t reg_mask;
    struct pool_list reg_q;

    /* The text arena (text_cap bytes, NULL when off): see text_keep(). texts: where each
     * message's text is, by message pool index (max_msgs, NULL when off). */
    struct msg_text *texts;
    char *text;
    uint32_t text_cap;
    uint32_t text_msg_max; /* per-message cap: CORRELATE_TEXT_MSG_MAX or text_cap / 8 */
    uint32_t text_head;    /* next byte to write in this lap */
    uint32_t text_lap;     /* laps begun, from 1 (0 marks "never written") */
};

#define NS_PER_S 1000000000ULL

void correlate_config_default(struct correlate_config *cfg)
{
    *cfg = (struct correlate_config){
        .max_calls = CORRELATE_DEFAULT_CALLS,
        .max_msgs = CORRELATE_DEFAULT_MSGS,
        .msgs_per_call = CORRELATE_DEFAULT_MSGS_PER_CALL,
        .max_txns = CORRELATE_DEFAULT_TXNS,
        .max_regs = CORRELATE_DEFAULT_REGS,
        .linger_s = CORRELATE_DEFAULT_LINGER_S,
        .setup_timeout_s = CORRELATE_DEFAULT_SETUP_TIMEOUT_S,
        .idle_timeout_s = CORRELATE_DEFAULT_IDLE_TIMEOUT_S,
    };
    media_config_default(&cfg->media);
}

struct correlate *correlate_create(const struct correlate_config *cfg, struct stats *st,
                                   correlate_call_fn on_call, correlate_reg_fn on_reg,
                                   media_stream_fn on_stream, void *ctx)
{
    struct correlate *co = calloc(1, sizeof *co);
    if (!co)
        return NULL;
    co->cfg = *cfg;
    co->st = st;
    co->on_call = on_call;
    co->on_reg = on_reg;
    co->ctx = ctx;
    co->calls = pool_create(sizeof(struct call), cfg->max_calls);
    co->msgs = pool_create(sizeof(struct call_msg), cfg->max_msgs);
    co->msg_sdps = pool_create(sizeof(struct call_msg_sdp), cfg->max_msgs);
    co->msg_routes = pool_create(sizeof(struct call_msg_route), cfg->max_msgs);
    co->strs = strstore_create(
        cfg->str_bytes ? cfg->str_bytes : (size_t)cfg->max_calls * CORRELATE_STR_BYTES_PER_CALL);
    co->seen = pool_packed_create(sizeof(struct seen), cfg->max_txns);
    co->regs = pool_create(sizeof(struct registration), cfg->max_regs);
    co->media = media_create(&cfg->media, st, on_stream, ctx);
    co->call_buckets = pool_buckets_create(cfg->max_calls, &co->call_mask);
    co->flush_order = calloc(cfg->max_calls, sizeof *co->flush_order);
    co->seen_buckets = pool_buckets_create(cfg->max_txns, &co->seen_mask);
    co->reg_buckets = pool_buckets_create(cfg->max_regs, &co->reg_mask);
    if (cfg->text_bytes) {
        size_t cap =
            cfg->text_bytes < CORRELATE_TEXT_MAX_BYTES ? cfg->text_bytes : CORRELATE_TEXT_MAX_BYTES;
        co->text_cap = (uint32_t)cap;
        co->text_msg_max =
            co->text_cap / 8 < CORRELATE_TEXT_MSG_MAX ? co->text_cap / 8 : CORRELATE_TEXT_MSG_MAX;
        co->text_lap = 1;
        co->text = malloc(cap);
        co->texts = calloc(cfg->max_msgs ? cfg->max_msgs : 1, sizeof *co->texts);
    }
    if (!co->calls || !co->msgs || !co->strs || !co->seen || !co->regs || !co->media ||
        !co->call_buckets || !co->flush_order || !co->seen_buckets || !co->reg_buckets ||
        !co->msg_sdps || !co->msg_routes || (cfg->text_bytes && (!co->text || !co->texts))) {
        correlate_destroy(co);
        return NULL;
    }
    for (int q = 0; q < QUEUE__COUNT; q++)
        co->call_q[q] = POOL_LIST_INIT;
    co->seen_q = POOL_LIST_INIT;
    co->reg_q = POOL_LIST_INIT;
    return co;
}

void correlate_destroy(struct correlate *co)
{
    if (!co)
        return;
    pool_destroy(co->calls);
    pool_destroy(co->msgs);
    pool_destroy(co->msg_sdps);
    pool_destroy(co->msg_routes);
    strstore_destroy(co->strs);
    pool_destroy(co->seen);
    pool_destroy(co->regs);
    media_destroy(co->media);
    free(co->call_buckets);
    free(co->flush_order);
    free(co->seen_buckets);
    free(co->reg_buckets);
    free(co->text);
    free(co->texts);
    free(co);
}

void correlate_capture_drops(struct correlate *co, uint64_t kernel, uint64_t ring)
{
    co->drops_kernel = kernel;
    co->drops_ring = ring;
}

uint64_t correlate_clock(const struct correlate *co)
{
    return co->now_ns;
}

struct media *correlate_media(const struct correlate *co)
{
    return co->media;
}

uint32_t correlate_active_calls(const struct correlate *co)
{
    return pool_in_use(co->calls);
}

const struct call_msg *correlate_first_msg(const struct correlate *co, const struct call *c)
{
    return c->msg_head == POOL_NONE ? NULL : pool_at(co->msgs, c->msg_head);
}

const struct call_msg *correlate_next_msg(const struct correlate *co, const struct call_msg *m)
{
    return m->next == POOL_NONE ? NULL : pool_at(co->msgs, m->next);
}

/* Every held call sits on exactly one queue: walk probe, setup, up, ending, then ended. */
static const struct call *first_from_queue(const struct correlate *co, unsigned q)
{
    for (; q < QUEUE__COUNT; q++)
        if (co->call_q[q].head != POOL_NONE)
            return pool_at(co->calls, co->call_q[q].head);
    return NULL;
}

const struct call *correlate_first_call(const struct correlate *co)
{
    return first_from_queue(co, 0);
}

const struct call *correlate_next_call(const struct correlate *co, const struct call *c)
{
    if (c->lru.next != POOL_NONE)
        return pool_at(co->calls, c->lru.next);
    return first_from_queue(co, (unsigned)c->queue + 1);
}

/* ---- message texts ---------------------------------------------------- */

/*
 * The text arena is a byte ring written in laps: a text goes at text_head if
 * it fits before the end, else the lap ends (the tail is left unused) and
 * the text goes at offset 0 of the next lap. So every text is contiguous,
 * and a text written in lap g at [off, off + len) is intact while the
 * arena is in lap g, or in lap g + 1 with text_head <= off; later it has
 * been (or may have been) overwritten. Checked in O(1) from the entry's
 * (offset, lap) without any back-pointers, and nothing is allocated.
 */
_Static_assert(CORRELATE_TEXT_MSG_MAX <= UINT16_MAX, "msg_text.len is 16 bits");

/* The text record of a message of the pool (texts on). */
static struct msg_text *msg_text_of(const struct correlate *co, const struct call_msg *m)
{
    return &co->texts[pool_index(co->msgs, m)];
}

static void text_keep(struct correlate *co, struct call_msg *e, struct sv raw)
{
    if (!co->text)
        return;
    struct msg_text *t = msg_text_of(co, e);
    *t = (struct msg_text){0};
    if (!raw.len || !co->text_msg_max)
        return;
    size_t n = raw.len;
    if (n > co->text_msg_max) {
        n = co->text_msg_max;
        t->cut = true;
    }
    if (n > co->text_cap - co->text_head) {
        co->text_lap++;
        co->text_head = 0;
    }
    memcpy(co->text + co->text_head, raw.p, n);
    t->off = co->text_head;
    t->gen = co->text_lap;
    t->len = (uint16_t)n;
    co->text_head += (uint32_t)n;
}

struct sv correlate_msg_text(const struct correlate *co, const struct call_msg *m)
{
    if (!co->text)
        return SV_NULL;
    const struct msg_text *t = msg_text_of(co, m);
    if (!t->len || t->off > co->text_cap || t->len > co->text_cap - t->off)
        return SV_NULL;
    bool intact = t->gen == co->text_lap || (t->gen + 1 == co->text_lap && t->off >= co->text_head);
    return intact ? sv_make(co->text + t->off, t->len) : SV_NULL;
}

bool correlate_msg_text_cut(const struct correlate *co, const struct call_msg *m)
{
    return co->text && msg_text_of(co, m)->cut;
}

/* ---- retransmission detection ---------------------------------------- */

/* call_h: sv_hash(m->call_id, 0), which the caller has at hand. */
static uint64_t message_key(const struct sip_msg *m, const struct sip_meta *meta, uint64_t call_h)
{
    uint8_t num[8] = {
        (uint8_t)(m->cseq >> 24), (uint8_t)(m->cseq >> 16),  (uint8_t)(m->cseq >> 8),
        (uint8_t)m->cseq,         (uint8_t)(m->status >> 8), (uint8_t)m->status,
        (uint8_t)m->is_request,   (uint8_t)meta->transport,
    };
    uint64_t h = sv_hash(sv_make(num, sizeof num), call_h);
    h = sv_hash(m->is_request ? m->method_name : m->cseq_method_name, h);
    h = sv_hash(m->cseq_method_name, h);
    h = sv_hash(m->via_branch, h);
    h = sv_hash(m->to_tag, h);
    h = endpoint_hash(&meta->src, h);
    return endpoint_hash(&meta->dst, h);
}

static void seen_free(struct correlate *co, uint32_t idx)
{
    struct seen *s = pool_at(co->seen, idx);
    pool_chain_unlink(co->seen, &co->seen_buckets[seen_u64(s->key) & co->seen_mask], idx,
                      offsetof(struct seen, hash_next));
    pool_list_remove(co->seen, &co->seen_q, idx, offsetof(struct seen, lru));
    pool_put(co->seen, idx);
}

/* Is the message in the table? If so its time is refreshed. */
static bool seen_find(struct correlate *co, uint64_t key, uint64_t now)
{
    size_t off = offsetof(struct seen, lru);
    for (uint32_t i = co->seen_buckets[key & co->seen_mask]; i != POOL_NONE;) {
        struct seen *s = pool_at(co->seen, i);
        if (seen_u64(s->key) == key) {
            seen_set_u64(s->last_ns, now);
            pool_list_remove(co->seen, &co->seen_q, i, off);
            pool_list_push_tail(co->seen, &co->seen_q, i, off);
            return true;
        }
        i = s->hash_next;
    }
    return false;
}

/* Record the message; true if the same message was seen before (a retransmission). */
static bool seen_check(struct correlate *co, uint64_t key, uint64_t now)
{
    if (seen_find(co, key, now))
        return true;
    size_t off = offsetof(struct seen, lru);
    uint32_t idx = pool_get(co->seen);
    if (idx == POOL_NONE) {
        seen_free(co, co->seen_q.head);
        stats_inc(co->st, STAT_TXN_EVICTED);
        idx = pool_get(co->seen);
    }
    struct seen *s = pool_at(co->seen, idx);
    seen_set_u64(s->key, key);
    seen_set_u64(s->last_ns, now);
    uint32_t *b = &co->seen_buckets[key & co->seen_mask];
    s->hash_next = *b;
    *b = idx;
    pool_list_push_tail(co->seen, &co->seen_q, idx, off);
    return false;
}

/* ---- calls ------------------------------------------------------------ */

static struct call *call_find(struct correlate *co, struct sv call_id, uint64_t h)
{
    for (uint32_t i = co->call_buckets[h & co->call_mask]; i != POOL_NONE;) {
        struct call *c = pool_at(co->calls, i);
        if (c->id_hash == h && strlen(c->call_id) == call_id.len &&
            memcmp(c->call_id, call_id.p, call_id.len) == 0)
            return c;
        i = c->hash_next;
    }
    return NULL;
}

static void call_requeue(struct correlate *co, struct call *c, enum call_queue q)
{
    uint32_t idx = pool_index(co->calls, c);
    size_t off = offsetof(struct call, lru);
    pool_list_remove(co->calls, &co->call_q[c->queue], idx, off);
    c->queue = (uint8_t)q;
    pool_list_push_tail(co->calls, &co->call_q[q], idx, off);
}

static void msg_free(struct correlate *co, uint32_t idx);

/* Free an offer's or answer's codec names and their array. */
static void sdp_codecs_free(struct correlate *co, struct call_sdp *s)
{
    for (uint8_t i = 0; s->codecs && i < s->codec_count; i++)
        strstore_clear(co->strs, &s->codecs[i]);
    if (s->codecs)
        strstore_block_put(co->strs, s->codecs, s->codec_count * sizeof *s->codecs);
    s->codecs = NULL;
    s->codec_count = 0;
}

static void call_free_strings(struct correlate *co, struct call *c)
{
    const char **f[CALL_STR_FIELDS];
    size_t n = call_str_fields(c, f);
    for (size_t i = 0; i < n; i++)
        strstore_clear(co->strs, f[i]);
    sdp_codecs_free(co, &c->offer);
    sdp_codecs_free(co, &c->answer);
}

/* Hand a call to the callback, then free it and its messages. */
static void call_emit(struct correlate *co, struct call *c)
{
    c->capture_drops_kernel = co->drops_kernel - c->capture_drops_kernel;
    c->capture_drops_ring = co->drops_ring - c->capture_drops_ring;
    media_call_prefetch(co->media, c, MEDIA_PREFETCH_CHAINS); /* arrives during on_call */
    if (co->on_call)
        co->on_call(co->ctx, c, co);
    media_call_end(co->media, c);
    for (uint32_t m = c->msg_head; m != POOL_NONE;) {
        uint32_t next = ((struct call_msg *)pool_at(co->msgs, m))->next;
        msg_free(co, m);
        m = next;
    }
    uint32_t idx = pool_index(co->calls, c);
    pool_chain_unlink(co->calls, &co->call_buckets[c->id_hash & co->call_mask], idx,
                      offsetof(struct call, hash_next));
    pool_list_remove(co->calls, &co->call_q[c->queue], idx, offsetof(struct call, lru));
    call_free_strings(co, c);
    pool_put(co->calls, idx);
}

/*
 * Calls are closed in a row (expired from a queue's head, or flushed), each long after its
 * last packet: record, strings, messages and media are cold by then. While one call's CDR is
 * formatted, the next ones are loaded, each a step further: the record of the third call
 * ahead, what the second one's record (loaded one step before) points to, and the buckets
 * and the rest of the media of the next one.
 */
#define CALL_PREFETCH_AHEAD 3

static void call_prefetch_parts(struct correlate *co, struct call *c)
{
    const char **f[CALL_STR_FIELDS];
    size_t n = call_str_fields(c, f);
    for (size_t i = 0; i < n; i++)
        pool_prefetch(*f[i]);
    pool_prefetch(c->offer.codecs);
    pool_prefetch(c->answer.codecs);
    for (uint32_t k = 0; k < c->msg_count && k < CALL_MSG_HINTS; k++)
        pool_prefetch(pool_at(co->msgs, c->msg_hint[k]));
    pool_prefetch(&co->call_buckets[c->id_hash & co->call_mask]);
    media_call_prefetch(co->media, c, MEDIA_PREFETCH_RECORDS);
}

/* ahead[k]: the call to be closed k + 1 steps after this one, or NULL. */
static void call_prefetch_ahead(struct correlate *co, struct call *const ahead[CALL_PREFETCH_AHEAD])
{
    if (ahead[0]) {
        media_call_prefetch(co->media, ahead[0], MEDIA_PREFETCH_BUCKETS);
        /* the offers and answers the fault rules read, through the entries loaded a step ago */
        for (uint32_t k = 0; k < ahead[0]->msg_count && k < CALL_MSG_HINTS; k++) {
            const struct call_msg *e = pool_at(co->msgs, ahead[0]->msg_hint[k]);
            if (e->flags & CALL_MSG_SDP)
                pool_prefetch(e->sdp);
        }
    }
    if (ahead[1])
        call_prefetch_parts(co, ahead[1]);
    if (ahead[2])
        pool_prefetch_bytes(ahead[2], sizeof *ahead[2]);
}

static struct call *call_at(struct correlate *co, uint32_t idx)
{
    return idx == POOL_NONE ? NULL : pool_at(co->calls, idx);
}

/* The calls after c on its queue, for call_prefetch_ahead. */
static void call_queue_ahead(struct correlate *co, const struct call *c,
                             struct call *ahead[CALL_PREFETCH_AHEAD])
{
    for (int k = 0; k < CALL_PREFETCH_AHEAD; k++) {
        ahead[k] = call_at(co, c->lru.next);
        if (!ahead[k]) {
            while (++k < CALL_PREFETCH_AHEAD)
                ahead[k] = NULL;
            return;
        }
        c = ahead[k];
    }
}

/* Close a call that never ended on its own (evicted, timed out, end of input). */
static void call_close(struct correlate *co, struct call *c, const char *reason, uint64_t now)
{
    if (!c->ended) {
        if (c->state <= CALL_STATE_RINGING && c->cancel_seen) {
            /* CANCELled, and its 487 never captured: the call ended with the CANCEL */
            c->state = CALL_STATE_CANCELLED;
            c->end_ns = c->cancel_ns;
            reason = "cancel";
        } else if (c->state <= CALL_STATE_RINGING && strcmp(reason, "timeout") == 0) {
            c->state = CALL_STATE_TIMEOUT;
            c->end_ns = now;
        }
        c->end_reason = reason;
    }
    call_emit(co, c);
}

/*
 * Make room: close the oldest ended call, else the oldest nobody answered at
 * all, else the oldest waiting for its final answer, else the oldest up
 * (counted calls_evicted unless it had ended). False when no call is held.
 */
static bool call_evict_one(struct correlate *co, uint64_t now)
{
    static const enum call_queue order[] = {QUEUE_ENDED, QUEUE_ENDING, QUEUE_PROBE, QUEUE_SETUP,
                                            QUEUE_UP};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        uint32_t victim = co->call_q[order[k]].head;
        if (victim == POOL_NONE)
            continue;
        struct call *v = pool_at(co->calls, victim);
        if (!v->ended)
            stats_inc(co->st, STAT_CALLS_EVICTED);
        call_close(co, v, "evicted", now);
        return true;
    }
    return false;
}

static struct call *call_create(struct correlate *co, struct sv call_id, uint64_t h, uint64_t now)
{
    uint32_t idx = pool_get(co->calls);
    if (idx == POOL_NONE) {
        if (!call_evict_one(co, now))
            return NULL;
        idx = pool_get(co->calls);
        if (idx == POOL_NONE)
            return NULL;
    }
    struct call *c = pool_at(co->calls, idx);
    call_str_init(c);
    /* The Call-ID is the key: kept whole (call_id_key cut it to the cap already). A full
     * string store makes room the way a full table does, by evicting calls. */
    while (!strstore_set(co->strs, &c->call_id, call_id, CALL_ID_MAX)) {
        if (!call_evict_one(co, now)) {
            strstore_clear(co->strs, &c->call_id);
            pool_put(co->calls, idx);
            stats_inc(co->st, STAT_SIP_CALL_ID_TRUNCATED);
            return NULL;
        }
    }
    c->id_hash = h;
    c->msg_head = c->msg_tail = POOL_NONE;
    c->stream_head = c->stream_tail = POOL_NONE;
    c->media_ep_head = POOL_NONE;
    c->capture_drops_kernel = co->drops_kernel; /* turned into "during the call" at the end */
    c->capture_drops_ring = co->drops_ring;
    c->seq = ++co->call_seq; /* from 1: media.c reads 0 as "no call" */
    uint32_t *b = &co->call_buckets[h & co->call_mask];
    c->hash_next = *b;
    *b = idx;
    c->queue = QUEUE_PROBE;
    pool_list_push_tail(co->calls, &co->call_q[QUEUE_PROBE], idx, offsetof(struct call, lru));
    stats_inc(co->st, STAT_CALLS);
    return c;
}

/*
 * seen_check for a message of call c: its signature is looked up among the call's own
 * (c->seen_keys), so that a call's messages never touch the shared table, whose bucket and
 * record are two more cache misses per message, and two more when the record expires. Those
 * signatures live as long as the call, which by default outlasts every retransmission RFC 3261
 * allows: it lingers 64*T1 after its end (CORRELATE_DEFAULT_LINGER_S). A message that comes
 * after its call was emitted (a shorter --linger, an evicted call) is not matched against the
 * call's messages: it counts as an orphan, or opens a new call if it is an initial INVITE, as
 * before. A call with more distinct messages hands its oldest signature to the shared table,
 * where it lives CORRELATE_TXN_TIMEOUT_S from then, and looks there too from then on.
 */
static bool call_seen_check(struct correlate *co, struct call *c, uint64_t key, uint64_t now)
{
    for (uint8_t i = 0; i < c->seen_len; i++)
        if (c->seen_keys[i] == key)
            return true;
    if ((c->seen_pos & CALL_SEEN_SPILLED) && seen_find(co, key, now))
        return true;
    if (c->seen_len < CALL_SEEN_KEYS) {
        c->seen_keys[c->seen_len++] = key;
        return false;
    }
    uint8_t pos = c->seen_pos & (uint8_t)~CALL_SEEN_SPILLED;
    (void)seen_check(co, c->seen_keys[pos], now);
    c->seen_keys[pos] = key;
    c->seen_pos = (uint8_t)((pos + 1) % CALL_SEEN_KEYS) | CALL_SEEN_SPILLED;
    return false;
}

/* Key a Call-ID the same way call_create stores it (up to its first NUL, truncated to fit). */
static struct sv call_id_key(struct sv id)
{
    size_t n = sv_find(id, '\0');
    if (n > CALL_ID_MAX - 1)
        n = CALL_ID_MAX - 1;
    return sv_make(id.p, n);
}

/* ---- SDP summaries ---------------------------------------------------- */

struct sdp_summary {
    bool ok;
    struct call_sdp sdp; /* its codecs[] are not used: names below */
    char codecs[CALL_MAX_CODECS][CALL_CODEC_MAX];
};

/*
 * An SDP body of call c sent by `party`, parsed into co->sdp with status
 * `parsed`: announce its media endpoints (media.c) and summarise the first
 * audio stream for the call record.
 */
static void summarise_sdp(struct correlate *co, struct call *c, enum call_party party,
                          enum status parsed, struct sdp_summary *out)
{
    memset(out, 0, sizeof *out);
    struct sdp_session *sp = &co->sdp;
    if (parsed != STATUS_OK) {
        stats_inc(co->st, STAT_SDP_PARSE_ERRORS);
        return;
    }
    media_announce(co->media, c, party, sp);
    const struct sdp_media *m = NULL;
    for (uint8_t i = 0; i < sp->media_count && !m; i++)
        if (sv_case_eq_cstr(sp->media[i].media, "audio"))
            m = &sp->media[i];
    if (!m && sp->media_count)
        m = &sp->media[0];
    out->ok = true;
    out->sdp.present = true;
    if (!m)
        return;
    out->sdp.media.ip = m->conn;
    out->sdp.media.port = m->port;
    out->sdp.dir = (uint8_t)m->dir;
    for (uint8_t f = 0; f < m->fmt_count && out->sdp.codec_count < CALL_MAX_CODECS; f++) {
        struct sv name = sdp_media_codec(m, m->fmt[f], NULL);
        char *dst = out->codecs[out->sdp.codec_count];
        if (name.len) {
            sv_copy(dst, CALL_CODEC_MAX, name);
        } else {
            memcpy(dst, "pt", 2); /* "pt" and at most 3 digits */
            *sv_put_uint(dst + 2, m->fmt[f]) = '\0';
        }
        out->sdp.codec_count++;
    }
}

/* ---- ladder entries --------------------------------------------------- */

/*
 * The usual labels as literals, so that most ladder entries take no string
 * store block: the method names as the parser's table spells them, and the
 * RFC 3261 §21 reason phrases of the common responses. A label that differs
 * in any byte (another phrase, another case) is stored as it came. Compared
 * on the message itself, before any label is written out: most messages need
 * no copy at all.
 */
static const char *msg_label_literal(const struct sip_msg *m)
{
    static const struct {
        uint16_t code;
        uint8_t phrase_len;
        const char *label;
    } responses[] = {
/* clang-format off */
#define RESPONSE(code, phrase) { code, sizeof(phrase) - 1, #code " " phrase }
        /* clang-format on */
        RESPONSE(100, "Trying"),
        RESPONSE(180, "Ringing"),
        RESPONSE(181, "Call Is Being Forwarded"),
        RESPONSE(182, "Queued"),
        RESPONSE(183, "Session Progress"),
        RESPONSE(200, "OK"),
        RESPONSE(202, "Accepted"),
        RESPONSE(401, "Unauthorized"),
        RESPONSE(403, "Forbidden"),
        RESPONSE(404, "Not Found"),
        RESPONSE(407, "Proxy Authentication Required"),
        RESPONSE(408, "Request Timeout"),
        RESPONSE(480, "Temporarily Unavailable"),
        RESPONSE(481, "Call/Transaction Does Not Exist"),
        RESPONSE(486, "Busy Here"),
        RESPONSE(487, "Request Terminated"),
        RESPONSE(488, "Not Acceptable Here"),
        RESPONSE(500, "Server Internal Error"),
        RESPONSE(503, "Service Unavailable"),
        RESPONSE(603, "Decline"),
#undef RESPONSE
    };
    /* A known method came from an exact, case-sensitive match of its name (sip_method_from). */
    if (m->is_request)
        return m->method != SIP_METHOD_UNKNOWN ? sip_method_name(m->method) : NULL;
    for (size_t i = 0; i < sizeof responses / sizeof responses[0]; i++)
        if (responses[i].code == m->status)
            return sv_eq(m->reason, sv_make(responses[i].label + 4, responses[i].phrase_len))
                       ? responses[i].label
                       : NULL;
    return NULL;
}

/* Free a ladder entry's store strings and SDP record, then the entry. */
static void msg_free(struct correlate *co, uint32_t idx)
{
    struct call_msg *e = pool_at(co->msgs, idx);
    strstore_clear(co->strs, &e->label);
    if (e->sdp && e->sdp != &call_msg_no_sdp) {
        struct call_msg_sdp *x = (struct call_msg_sdp *)(uintptr_t)e->sdp;
        strstore_clear(co->strs, &x->codec);
        const struct call_msg_route *r = call_msg_route(e);
        if (r)
            pool_put(co->msg_routes, pool_index(co->msg_routes, r));
        else
            pool_put(co->msg_sdps, pool_index(co->msg_sdps, x));
    }
    pool_put(co->msgs, idx);
}

static struct call_msg *call_add_msg(struct correlate *co, struct call *c, const struct sip_msg *m,
                                     const struct sip_meta *meta)
{
    if (c->msg_count >= co->cfg.msgs_per_call) {
        c->msg_dropped++;
        stats_inc(co->st, STAT_CALL_MSGS_DROPPED);
        return NULL;
    }
    uint32_t idx = pool_get(co->msgs);
    if (idx == POOL_NONE) {
        c->msg_dropped++;
        stats_inc(co->st, STAT_CALL_MSGS_DROPPED);
        return NULL;
    }
    struct call_msg *e = pool_at(co->msgs, idx);
    e->ts_ns = meta->ts_ns;
    if (endpoint_eq(&meta->src, &c->src) && endpoint_eq(&meta->dst, &c->dst)) {
        e->path = CALL_MSG_PATH_FWD;
    } else if (endpoint_eq(&meta->src, &c->dst) && endpoint_eq(&meta->dst, &c->src)) {
        e->path = CALL_MSG_PATH_REV;
    } else {
        uint32_t ri = pool_get(co->msg_routes); /* never full: one record per message at most */
        if (ri == POOL_NONE) {
            pool_put(co->msgs, idx);
            c->msg_dropped++;
            stats_inc(co->st, STAT_CALL_MSGS_DROPPED);
            return NULL;
        }
        struct call_msg_route *r = pool_at(co->msg_routes, ri);
        r->sdp = call_msg_no_sdp;
        r->src = meta->src;
        r->dst = meta->dst;
        e->path = CALL_MSG_PATH_ROUTE;
        e->sdp = &r->sdp;
    }
    e->cseq = m->cseq;
    e->status = m->status;
    e->method = (uint8_t)(m->is_request ? m->method : m->cseq_method);
    e->next = POOL_NONE;
    if (e->path != CALL_MSG_PATH_ROUTE)
        e->sdp = &call_msg_no_sdp;
    text_keep(co, e, m->raw);
    e->label = msg_label_literal(m);
    if (!e->label) {
        char label[CALL_MSG_LABEL_MAX];
        if (m->is_request) {
            sv_copy(label, sizeof label, m->method_name);
        } else {
            size_t n = (size_t)(sv_put_uint(label, m->status) - label); /* "200 OK" */
            label[n++] = ' ';
            sv_copy(label + n, sizeof label - n, m->reason);
        }
        e->label = STRSTORE_EMPTY;
        if (!strstore_set_cstr(co->strs, &e->label, label, CALL_MSG_LABEL_MAX))
            stats_inc(co->st,
                      STAT_SIP_FIELD_TRUNCATED); /* labels fit the cap: the store was full */
    }
    if (c->msg_tail == POOL_NONE)
        c->msg_head = idx;
    else
        ((struct call_msg *)pool_at(co->msgs, c->msg_tail))->next = idx;
    c->msg_tail = idx;
    if (c->msg_count < CALL_MSG_HINTS)
        c->msg_hint[c->msg_count] = idx;
    c->msg_count++;
    return e;
}

/* ---- header helpers --------------------------------------------------- */

/* Copy a header value into a call field; a value cut to fit is counted (STYLE rule 7). */
static void copy_field(struct correlate *co, const char **dst, size_t cap, struct sv v)
{
    if (!strstore_set(co->strs, dst, v, cap))
        stats_inc(co->st, STAT_SIP_FIELD_TRUNCATED);
}

/*
 * A codec name into a call field: the codec table's own string when the name
 * is spelt as the table spells it (most are: no store block), else a copy.
 */
static void set_codec(struct correlate *co, const char **dst, const char *name)
{
    size_t n = strlen(name);
    const struct codec_info *ci = codec_by_name(sv_make(name, n));
    if (ci && strcmp(ci->rtpmap, name) == 0)
        strstore_set_static(co->strs, dst, ci->rtpmap);
    else if (!strstore_set(co->strs, dst, sv_make(name, n), CALL_CODEC_MAX))
        stats_inc(co->st, STAT_SIP_FIELD_TRUNCATED); /* names fit the cap: the store was full */
}

/* AOR and user part of a From/To-style value into buffers; false if cut to fit. */
static bool copy_aor(struct sv value, char *aor, size_t aor_cap, char *user, size_t user_cap)
{
    struct sip_nameaddr na;
    struct sip_uri u;
    if (!sip_nameaddr_parse(value, &na))
        return true;
    if (!sip_uri_parse(na.uri, &u))
        return sip_uri_aor(na.uri, aor, aor_cap); /* its fallback: the raw URI, not whole */
    bool whole = sip_uri_aor_parsed(&u, aor, aor_cap);
    if (user)
        whole &= sv_copy(user, user_cap, u.user);
    return whole;
}

/* AOR and user part of a From/To-style value into call fields; false if cut to fit. */
static bool set_aor(struct correlate *co, struct sv value, const char **aor, const char **user)
{
    char a[CALL_AOR_MAX], u[CALL_TAG_MAX]; /* only their first byte needs clearing */
    a[0] = u[0] = '\0';
    bool whole = copy_aor(value, a, sizeof a, user ? u : NULL, sizeof u);
    whole &= strstore_set_cstr(co->strs, aor, a, CALL_AOR_MAX);
    if (user)
        whole &= strstore_set_cstr(co->strs, user, u, CALL_TAG_MAX);
    return whole;
}

/*
 * Who sent a message of the call: a request whose From tag is the caller's came
 * from the caller (RFC 3261 §12.2.1.1: in-dialog requests carry the sender's
 * tag in From), and a response came from the other side of its request.
 */
static enum call_party sender_of(const struct call *c, const struct sip_msg *m)
{
    bool from_caller_tag = sv_eq(m->from_tag, sv_make(c->from_tag, strlen(c->from_tag)));
    if (m->is_request)
        return from_caller_tag ? CALL_PARTY_CALLER : CALL_PARTY_CALLEE;
    return from_caller_tag ? CALL_PARTY_CALLEE : CALL_PARTY_CALLER;
}

static void add_dialog(struct correlate *co, struct call *c, struct sv to_tag)
{
    if (!to_tag.len)
        return;
    for (uint16_t i = 0; i < c->dialog_count && i < CALL_MAX_DIALOGS; i++)
        if (sv_eq(to_tag, sv_make(c->dialog_tags[i], strlen(c->dialog_tags[i]))))
            return;
    if (c->dialog_count < CALL_MAX_DIALOGS) {
        uint64_t full = strstore_full(co->strs);
        strstore_set(co->strs, &c->dialog_tags[c->dialog_count], to_tag, CALL_TAG_MAX);
        if (strstore_full(co->strs) != full) /* a tag over the cap is cut as before, uncounted */
            stats_inc(co->st, STAT_SIP_FIELD_TRUNCATED);
    }
    if (c->dialog_count >= 1)
        c->forks++;
    c->dialog_count++;
    if (!c->to_tag[0])
        copy_field(co, &c->to_tag, CALL_TAG_MAX, to_tag);
}

static enum call_state final_state(uint16_t code)
{
    if (code >= 200 && code < 300)
        return CALL_STATE_ANSWERED;
    if (code == 487)
        return CALL_STATE_CANCELLED;
    if (code == 486 || code == 600)
        return CALL_STATE_BUSY;
    if (code == 408)
        return CALL_STATE_TIMEOUT;
    return CALL_STATE_REJECTED;
}

static void call_end(struct correlate *co, struct call *c, uint64_t now, const char *reason)
{
    c->ended = true;
    if (!c->end_ns)
        c->end_ns = now;
    c->end_reason = reason;
    call_requeue(co, c, QUEUE_ENDED);
}

/* ---- the state machine ------------------------------------------------ */

static void set_sdp(struct correlate *co, struct call_sdp *dst, const struct sdp_summary *src,
                    enum call_party party)
{
    sdp_codecs_free(co, dst);
    dst->present = src->sdp.present;
    dst->party = (uint8_t)party;
    dst->dir = src->sdp.dir;
    dst->media = src->sdp.media;
    uint8_t n = src->sdp.codec_count < CALL_MAX_CODECS ? src->sdp.codec_count : CALL_MAX_CODECS;
    if (n) {
        dst->codecs = strstore_block_get(co->strs, n * sizeof *dst->codecs);
        if (!dst->codecs) {
            stats_inc(co->st, STAT_SIP_FIELD_TRUNCATED); /* the store is full: no names */
            n = 0;
        }
    }
    dst->codec_count = n;
    for (uint8_t i = 0; i < n; i++) {
        dst->codecs[i] = STRSTORE_EMPTY;
        set_codec(co, &dst->codecs[i], src->codecs[i]);
    }
}

static void call_request(struct correlate *co, struct call *c, const struct sip_msg *m,
                         const struct sip_meta *meta, struct call_msg *e,
                         const struct sdp_summary *sdp)
{
    uint64_t now = meta->ts_ns;
    switch (m->method) {
    case SIP_METHOD_INVITE:
        if (m->to_tag.len) {
            /* re-INVITE inside the dialog (RFC 3261 §14) */
            if (e)
                e->flags |= CALL_MSG_REINVITE;
            if (sdp->ok)
                c->reinvites++;
            break;
        }
        if (m->cseq != c->invite_cseq && c->invite_cseq) {
            /* A new initial INVITE transaction (after a 401/407 challenge, or a redirect): it
             * reopens a call that its previous final response had ended. */
            if (!c->answer_ns) {
                c->ended = false;
                c->end_ns = 0;
                c->end_reason = STRSTORE_EMPTY;
                c->final_code = 0;
                c->state = c->ringing_ns ? CALL_STATE_RINGING : CALL_STATE_TRYING;
                call_requeue(co, c, QUEUE_SETUP);
            }
        }
        c->invite_cseq = m->cseq;
        if (sdp->ok && !c->offer.present)
            set_sdp(co, &c->offer, sdp, CALL_PARTY_CALLER);
        break;
    case SIP_METHOD_CANCEL:
        if (!c->cancel_seen)
            c->cancel_ns = now;
        c->cancel_seen = true;
        if (!c->answer_ns)
            c->hangup_by = CALL_PARTY_CALLER;
        break;
    case SIP_METHOD_BYE: {
        if (c->ended && c->state == CALL_STATE_COMPLETED)
            break;
        /* The dialog a BYE ends is named by the remote tag: To for the caller's, From for the
         * callee's. A caller BYEs the extra 2xx of a fork (RFC 3261 §13.2.2.4): that ends
         * that dialog only, not the call. */
        enum call_party by = sender_of(c, m);
        struct sv dialog = by == CALL_PARTY_CALLER ? m->to_tag : m->from_tag;
        if (c->answer_ns && c->to_tag[0] && dialog.len &&
            !sv_eq(dialog, sv_make(c->to_tag, strlen(c->to_tag))))
            break;
        c->hangup_by = by;
        if (m->hdr[SIP_HDR_REASON].len)
            copy_field(co, &c->reason_header, CALL_REASON_MAX, m->hdr[SIP_HDR_REASON]);
        if (c->answer_ns) {
            c->state = CALL_STATE_COMPLETED;
            c->end_ns = now;
            call_end(co, c, now, "bye");
        } else {
            /* BYE on an early dialog (RFC 3261 §15): the call never got answered. */
            c->state = CALL_STATE_CANCELLED;
            c->end_ns = now;
            call_end(co, c, now, "bye_early");
        }
        /* Its answer is still to come: the call waits for it, whatever the linger. */
        call_requeue(co, c, QUEUE_ENDING);
        break;
    }
    case SIP_METHOD_UPDATE:
        if (sdp->ok && c->answer_ns)
            c->reinvites++;
        break;
    case SIP_METHOD_ACK:
        if (sdp->ok && !c->answer.present && c->offer.present) /* late offer: ACK answers */
            set_sdp(co, &c->answer, sdp, CALL_PARTY_CALLER);   /* (RFC 3261 §13.2.1) */
        break;
    default:
        break;
    }
}

static void call_response(struct correlate *co, struct call *c, const struct sip_msg *m,
                          const struct sip_meta *meta, const struct sdp_summary *sdp)
{
    uint64_t now = meta->ts_ns;
    uint16_t code = m->status;
    if (m->cseq_method == SIP_METHOD_BYE) {
        if (code >= 200 && c->queue == QUEUE_ENDING)
            call_requeue(co, c, QUEUE_ENDED); /* answered: the linger runs from here */
        if (code >= 200 && code < 300 && c->answer_ns && !c->ended) {
            /* The BYE itself was not captured; its 2xx still ends the call. */
            c->state = CALL_STATE_COMPLETED;
            c->end_ns = now;
            call_end(co, c, now, "bye");
        }
        return;
    }
    if (m->cseq_method != SIP_METHOD_INVITE)
        return;
    /* A response to the initial INVITE answers a request the caller sent (its From tag) with
     * that CSeq; the callee numbers its own re-INVITEs and CSeqs may collide. */
    bool initial = (m->cseq == c->invite_cseq || !c->invite_cseq) &&
                   sv_eq(m->from_tag, sv_make(c->from_tag, strlen(c->from_tag)));
    if (!initial) {
        /* responses to a re-INVITE: the media may move, the call state does not */
        return;
    }
    if (!c->ua_callee[0]) {
        struct sv ua =
            m->hdr[SIP_HDR_SERVER].len ? m->hdr[SIP_HDR_SERVER] : m->hdr[SIP_HDR_USER_AGENT];
        copy_field(co, &c->ua_callee, CALL_UA_MAX, ua);
    }
    if (code < 200) {
        if (code == 100 && !c->trying_ns)
            c->trying_ns = now;
        if (code > 100) {
            add_dialog(co, c, m->to_tag);
            if ((code == 180 || code == 183) && !c->ringing_ns) {
                c->ringing_ns = now;
                c->first_provisional = code;
            }
            if (!c->answer_ns && !c->ended)
                c->state = CALL_STATE_RINGING;
            if (sdp->ok) {
                c->early_media_sdp = true;
                if (!c->answer.present && c->offer.present)
                    set_sdp(co, &c->answer, sdp, CALL_PARTY_CALLEE);
                else if (!c->offer.present)
                    set_sdp(co, &c->offer, sdp, CALL_PARTY_CALLEE);
            }
        }
        return;
    }
    if (code < 300) {
        add_dialog(co, c, m->to_tag);
        if (!c->answer_ns) {
            c->answer_ns = now;
            c->final_code = code;
            c->state = CALL_STATE_ANSWERED;
            c->ended = false;
            c->end_ns = 0;
            c->end_reason = STRSTORE_EMPTY;
            copy_field(co, &c->to_tag, CALL_TAG_MAX, m->to_tag);
            call_requeue(co, c, QUEUE_UP);
        }
        if (sdp->ok) {
            if (!c->offer.present)
                set_sdp(co, &c->offer, sdp, CALL_PARTY_CALLEE); /* late offer in the 2xx */
            else if (c->offer.party == CALL_PARTY_CALLER)
                set_sdp(co, &c->answer, sdp, CALL_PARTY_CALLEE); /* the 2xx answer wins over 18x */
        }
        return;
    }
    /* 3xx-6xx: final for the INVITE unless a 2xx already answered it (forks). */
    if (code == 401 || code == 407)
        c->auth_challenges++;
    if (c->answer_ns)
        return;
    c->final_code = code;
    c->state = final_state(code);
    if (m->hdr[SIP_HDR_REASON].len)
        copy_field(co, &c->reason_header, CALL_REASON_MAX, m->hdr[SIP_HDR_REASON]);
    call_end(co, c, now, code == 487 ? "cancel" : code == 408 ? "timeout" : "rejected");
}

static void call_first_invite(struct correlate *co, struct call *c, const struct sip_msg *m,
                              const struct sip_meta *meta)
{
    c->src = meta->src;
    c->dst = meta->dst;
    c->transport = meta->transport;
    c->start_ns = meta->ts_ns;
    c->state = CALL_STATE_TRYING;
    c->invite_cseq = m->cseq;
    bool whole = set_aor(co, m->hdr[SIP_HDR_FROM], &c->from, &c->from_user);
    whole &= set_aor(co, m->hdr[SIP_HDR_TO], &c->to, &c->to_user);
    if (m->hdr[SIP_HDR_P_ASSERTED_IDENTITY].len)
        whole &= set_aor(co, m->hdr[SIP_HDR_P_ASSERTED_IDENTITY], &c->pai, NULL);
    if (!whole)
        stats_inc(co->st, STAT_SIP_FIELD_TRUNCATED);
    copy_field(co, &c->from_tag, CALL_TAG_MAX, m->from_tag);
    copy_field(co, &c->request_uri, CALL_AOR_MAX, m->request_uri);
    copy_field(co, &c->ua_caller, CALL_UA_MAX, m->hdr[SIP_HDR_USER_AGENT]);
}

/* ---- registrations ---------------------------------------------------- */

static uint64_t reg_key(const char *aor, struct sv call_id)
{
    return sv_hash(call_id, sv_hash(sv_make(aor, strlen(aor)), 0));
}

static void reg_free(struct correlate *co, uint32_t idx)
{
    struct registration *r = pool_at(co->regs, idx);
    if (co->on_reg)
        co->on_reg(co->ctx, r);
    pool_chain_unlink(co->regs, &co->reg_buckets[r->key_hash & co->reg_mask], idx,
                      offsetof(struct registration, hash_next));
    pool_list_remove(co->regs, &co->reg_q, idx, offsetof(struct registration, lru));
    pool_put(co->regs, idx);
}

static struct registration *reg_lookup(struct correlate *co, const struct sip_msg *m,
                                       const struct sip_meta *meta, bool create)
{
    char aor[CALL_AOR_MAX] = "";
    copy_aor(m->hdr[SIP_HDR_TO], aor, sizeof aor, NULL, 0);
    struct sv id = call_id_key(m->call_id);
    uint64_t key = reg_key(aor, id);
    size_t off = offsetof(struct registration, lru);
    for (uint32_t i = co->reg_buckets[key & co->reg_mask]; i != POOL_NONE;) {
        struct registration *r = pool_at(co->regs, i);
        if (r->key_hash == key && strcmp(r->aor, aor) == 0) {
            pool_list_remove(co->regs, &co->reg_q, i, off);
            pool_list_push_tail(co->regs, &co->reg_q, i, off);
            return r;
        }
        i = r->hash_next;
    }
    if (!create)
        return NULL;
    uint32_t idx = pool_get(co->regs);
    if (idx == POOL_NONE) {
        reg_free(co, co->reg_q.head);
        stats_inc(co->st, STAT_REG_EVICTED);
        idx = pool_get(co->regs);
    }
    struct registration *r = pool_at(co->regs, idx);
    memcpy(r->aor, aor, sizeof r->aor);
    sv_copy(r->call_id, sizeof r->call_id, id);
    r->key_hash = key;
    r->client = meta->src;
    r->registrar = meta->dst;
    r->first_ns = meta->ts_ns;
    uint32_t *b = &co->reg_buckets[key & co->reg_mask];
    r->hash_next = *b;
    *b = idx;
    pool_list_push_tail(co->regs, &co->reg_q, idx, off);
    stats_inc(co->st, STAT_REGISTRATIONS);
    return r;
}

/* Expiry a REGISTER or its 2xx states: the Contact's expires param, else the Expires header. */
static bool find_expires(const struct sip_msg *m, uint32_t *out)
{
    struct sip_nameaddr na;
    struct sv v;
    if (m->hdr[SIP_HDR_CONTACT].len && sip_nameaddr_parse(m->hdr[SIP_HDR_CONTACT], &na) &&
        sip_param(na.params, "expires", &v) && sv_to_u32(v, out))
        return true;
    if (m->hdr[SIP_HDR_CONTACT].len && sv_eq(sv_trim(m->hdr[SIP_HDR_CONTACT]), SV_LIT("*"))) {
        *out = 0;
        return true;
    }
    return m->hdr[SIP_HDR_EXPIRES].len && sv_to_u32(m->hdr[SIP_HDR_EXPIRES], out);
}

static void reg_message(struct correlate *co, const struct sip_msg *m, const struct sip_meta *meta,
                        bool retrans)
{
    struct registration *r = reg_lookup(co, m, meta, m->is_request);
    if (!r)
        return;
    r->last_ns = meta->ts_ns;
    if (retrans)
        return;
    if (m->is_request) {
        r->requests++;
        r->req_has_expires = find_expires(m, &r->req_expires);
        return;
    }
    if (m->status < 200)
        return;
    r->last_code = m->status;
    if (m->status == 401 || m->status == 407) {
        r->challenges++;
        return;
    }
    if (m->status >= 300)
        return;
    uint32_t exp = 3600; /* RFC 3261 §10.2.1.1: the registrar's default when none is given */
    if (!find_expires(m, &exp) && r->req_has_expires)
        exp = r->req_expires;
    if (r->req_has_expires && r->req_expires == 0)
        exp = 0;
    if (exp == 0) {
        if (r->registered || r->registered_ns)
            r->unregistered = true;
        r->registered = false;
        r->expires_ns = 0;
    } else {
        if (r->registered)
            r->refreshes++;
        r->registered = true;
        r->unregistered = false;
        r->registered_ns = meta->ts_ns;
        r->expires_s = exp;
        r->expires_ns = meta->ts_ns + (uint64_t)exp * NS_PER_S;
        struct sip_nameaddr na;
        if (m->hdr[SIP_HDR_CONTACT].len && sip_nameaddr_parse(m->hdr[SIP_HDR_CONTACT], &na))
            sv_copy(r->contact, sizeof r->contact, na.uri);
    }
}

/* ---- entry points ----------------------------------------------------- */

/* The hash correlate_sip looks m's call up by: 0 for none (the hash is never 0 in practice; a
 * 0 only means no hint). */
uint64_t correlate_sip_key(const struct sip_msg *m)
{
    enum sip_method method = m->is_request ? m->method : m->cseq_method;
    if (!m->call_id.len || method == SIP_METHOD_REGISTER)
        return 0;
    return sv_hash(call_id_key(m->call_id), 0);
}

void correlate_prefetch_call(const struct correlate *co, uint64_t key,
                             enum correlate_prefetch stage)
{
    if (!key)
        return;
    const uint32_t *b = &co->call_buckets[key & co->call_mask];
    if (stage == CORRELATE_PREFETCH_BUCKET) {
        pool_prefetch(b);
        return;
    }
    /* The first call of the chain: the one the key names, nearly always (or none yet, for an
     * INVITE that opens one). */
    uint32_t i = *b;
    if (i == POOL_NONE)
        return;
    const struct call *c = pool_at(co->calls, i);
    if (stage == CORRELATE_PREFETCH_CALL) {
        pool_prefetch_bytes(c, sizeof *c);
        return;
    }
    if (c->id_hash != key || !c->call_id)
        return; /* not this message's call (or a record being reused) */
    /* the strings its messages are matched against, and the ladder entry the next one follows */
    pool_prefetch(c->call_id);
    pool_prefetch(c->from_tag);
    pool_prefetch(c->to_tag);
    if (c->dialog_count)
        pool_prefetch(c->dialog_tags[0]);
    if (c->msg_tail < pool_capacity(co->msgs))
        pool_prefetch(pool_at(co->msgs, c->msg_tail));
}

bool correlate_sip(struct correlate *co, const struct sip_msg *m, const struct sip_meta *meta)
{
    stats_inc(co->st, STAT_SIP_MESSAGES);
    stats_inc(co->st, m->is_request ? STAT_SIP_REQUESTS : STAT_SIP_RESPONSES);
    if (m->anomalies)
        stats_inc(co->st, STAT_SIP_ANOMALIES);
    /* The call's key (Call-ID up to a NUL, capped) is almost always the whole Call-ID: then its
     * hash starts the message's key too. */
    struct sv id = call_id_key(m->call_id);
    uint64_t h = sv_hash(id, 0);
    uint64_t call_h = id.len == m->call_id.len ? h : sv_hash(m->call_id, 0);
    uint64_t key = message_key(m, meta, call_h);
    enum sip_method method = m->is_request ? m->method : m->cseq_method;
    /* An offer or answer is parsed first, before the call is even looked up: the media tables'
     * buckets it will go into (summarise_sdp) load during the lookups. A retransmission's or
     * an orphan's body is parsed for nothing, once; nothing else reads co->sdp in between. */
    enum status sdp_parsed = STATUS_MALFORMED;
    if (m->sdp.len && m->call_id.len && method != SIP_METHOD_REGISTER) {
        sdp_parsed = sdp_parse((const uint8_t *)m->sdp.p, m->sdp.len, &co->sdp);
        if (sdp_parsed == STATUS_OK)
            media_prefetch_announce(co->media, &co->sdp);
    }
    /* A call's messages are checked against the call's own signatures, all others (REGISTER,
     * no Call-ID, no call) against the shared table. */
    struct call *c = m->call_id.len && method != SIP_METHOD_REGISTER ? call_find(co, id, h) : NULL;
    bool initial = m->is_request && m->method == SIP_METHOD_INVITE && !m->to_tag.len;
    bool opens = !c && m->call_id.len && initial;
    if (opens)
        c = call_create(co, id, h, meta->ts_ns); /* NULL: no room; the shared table takes it */
    bool retrans = c ? call_seen_check(co, c, key, meta->ts_ns) : seen_check(co, key, meta->ts_ns);
    if (retrans)
        stats_inc(co->st, STAT_SIP_RETRANSMISSIONS);
    if (!m->call_id.len) {
        stats_inc(co->st, STAT_SIP_NO_CALL_ID);
        return retrans;
    }
    if (method == SIP_METHOD_REGISTER) {
        reg_message(co, m, meta, retrans);
        return retrans;
    }

    if (!c) {
        if (!initial &&
            (method == SIP_METHOD_INVITE || method == SIP_METHOD_BYE ||
             method == SIP_METHOD_CANCEL || (m->is_request && method == SIP_METHOD_ACK)))
            stats_inc(co->st, STAT_SIP_ORPHANS);
        return retrans;
    }
    if (opens)
        call_first_invite(co, c, m, meta);

    c->sip_messages++;
    c->last_ns = meta->ts_ns;
    if (retrans)
        c->retransmissions++;

    struct sdp_summary sdp = {0};
    if (m->sdp.len && !retrans)
        summarise_sdp(co, c, sender_of(c, m), sdp_parsed, &sdp);

    struct call_msg *e = call_add_msg(co, c, m, meta);
    if (e && retrans)
        e->flags |= CALL_MSG_RETRANS;
    if (e && sdp.ok) {
        e->flags |= CALL_MSG_SDP;
        /* off the call's path, the route record holds it; else a record of its own */
        uint32_t xi = e->path == CALL_MSG_PATH_ROUTE ? 0 : pool_get(co->msg_sdps); /* never full */
        if (xi != POOL_NONE) {
            struct call_msg_sdp *x = e->path == CALL_MSG_PATH_ROUTE
                                         ? (struct call_msg_sdp *)(uintptr_t)e->sdp
                                         : pool_at(co->msg_sdps, xi);
            x->codec = STRSTORE_EMPTY;
            x->media = sdp.sdp.media;
            x->dir = sdp.sdp.dir;
            if (sdp.sdp.codec_count)
                set_codec(co, &x->codec, sdp.codecs[0]);
            e->sdp = x;
        }
    }

    /* Keep the call at the tail of its queue: expiry looks only at heads. Calls waiting for a
     * final answer stay in start order: their timeout runs from the INVITE, not the last 18x.
     * The first response of any kind moves a probe to setup (roughly in start order still: a
     * late first response only delays that call's timeout to the one ahead of it). */
    if (c->queue != QUEUE_SETUP && c->queue != QUEUE_PROBE)
        call_requeue(co, c, (enum call_queue)c->queue);
    else if (c->queue == QUEUE_PROBE && !m->is_request)
        call_requeue(co, c, QUEUE_SETUP);
    if (retrans)
        return true;
    if (m->is_request)
        call_request(co, c, m, meta, e, &sdp);
    else
        call_response(co, c, m, meta, &sdp);
    return false;
}

void correlate_tick(struct correlate *co, uint64_t now_ns)
{
    if (now_ns > co->now_ns)
        co->now_ns = now_ns;
    /* Forget signatures not seen for CORRELATE_TXN_TIMEOUT_S (2 * 64*T1: RFC 3261 §17.1.1.2). */
    uint64_t txn_age = (uint64_t)CORRELATE_TXN_TIMEOUT_S * NS_PER_S;
    while (co->seen_q.head != POOL_NONE) {
        struct seen *s = pool_at(co->seen, co->seen_q.head);
        if (now_ns < seen_u64(s->last_ns) + txn_age)
            break;
        seen_free(co, co->seen_q.head);
    }
    static const struct {
        enum call_queue q;
        size_t cfg_off;
        const char *reason;
    } rules[] = {
        {QUEUE_ENDED, offsetof(struct correlate_config, linger_s), ""},
        {QUEUE_ENDING, offsetof(struct correlate_config, linger_s), ""},
        {QUEUE_PROBE, offsetof(struct correlate_config, setup_timeout_s), "timeout"},
        {QUEUE_SETUP, offsetof(struct correlate_config, setup_timeout_s), "timeout"},
        {QUEUE_UP, offsetof(struct correlate_config, idle_timeout_s), "idle"},
    };
    for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
        uint32_t limit_s;
        memcpy(&limit_s, (const char *)&co->cfg + rules[k].cfg_off, sizeof limit_s);
        if (rules[k].q == QUEUE_ENDING && limit_s < CORRELATE_BYE_ANSWER_S)
            limit_s = CORRELATE_BYE_ANSWER_S;
        uint64_t age = (uint64_t)limit_s * NS_PER_S;
        while (co->call_q[rules[k].q].head != POOL_NONE) {
            struct call *c = pool_at(co->calls, co->call_q[rules[k].q].head);
            uint64_t since =
                rules[k].q == QUEUE_SETUP || rules[k].q == QUEUE_PROBE ? c->start_ns : c->last_ns;
            if (now_ns < since + age)
                break;
            struct call *ahead[CALL_PREFETCH_AHEAD];
            call_queue_ahead(co, c, ahead);
            call_prefetch_ahead(co, ahead);
            call_close(co, c, rules[k].reason, now_ns);
        }
    }
    media_tick(co->media, now_ns);
    /* Registrations: drop a binding once it expired (or failed) and went quiet. */
    uint64_t linger = (uint64_t)co->cfg.linger_s * NS_PER_S;
    while (co->reg_q.head != POOL_NONE) {
        struct registration *r = pool_at(co->regs, co->reg_q.head);
        uint64_t until = r->last_ns + linger;
        if (r->registered && r->expires_ns + linger > until)
            until = r->expires_ns + linger;
        if (now_ns < until)
            break;
        reg_free(co, co->reg_q.head);
    }
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = (*(struct call *const *)a)->seq, y = (*(struct call *const *)b)->seq;
    return x < y ? -1 : x > y;
}

void correlate_flush(struct correlate *co, uint64_t now_ns)
{
    if (now_ns > co->now_ns)
        co->now_ns = now_ns;
    /* Oldest first: gather the live calls (bounded by the pool) and sort by creation order. */
    uint32_t n = 0;
    for (int q = 0; q < QUEUE__COUNT; q++)
        for (uint32_t i = co->call_q[q].head; i != POOL_NONE && n < co->cfg.max_calls;) {
            struct call *c = pool_at(co->calls, i);
            co->flush_order[n++] = c;
            i = c->lru.next;
        }
    qsort(co->flush_order, n, sizeof *co->flush_order, by_seq);
    for (uint32_t i = 0; i < n; i++) {
        struct call *ahead[CALL_PREFETCH_AHEAD];
        for (uint32_t k = 0; k < CALL_PREFETCH_AHEAD; k++)
            ahead[k] = i + 1 + k < n ? co->flush_order[i + 1 + k] : NULL;
        call_prefetch_ahead(co, ahead);
        call_close(co, co->flush_order[i], "end_of_capture", now_ns);
    }
    media_flush(co->media);
    while (co->reg_q.head != POOL_NONE)
        reg_free(co, co->reg_q.head);
}
