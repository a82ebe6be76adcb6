/* model.c: the dashboard's snapshot of the call model: the worker writes, the UI copies, one mutex
 * (STYLE rule 16, contact 3). */
#include "model.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../decoders/pool.h"
#include "../exporters/stream.h"

/*
 * What lives where.
 *
 * Under the lock (read by the UI, written by the worker):
 *   rows     a pool of max_rows slots, a hash index by call id (the call's
 *            seq), the list of every row in id order (= the order calls
 *            started) and the list of the ended rows in id order, so the
 *            oldest ended row is the head of a list (O(1) eviction). New
 *            rows are put in order by walking back from the tail: rows
 *            arrive almost in id order, so the walk is a step or two.
 *   details  the ended calls' details, serialised compactly into a byte
 *            ring of detail_bytes (arena); a FIFO of references (id,
 *            position, size), at most max_rows of them, says which record
 *            goes next. Positions are logical (ever increasing); a record
 *            never straddles the end of the ring (the rest of the lap is
 *            skipped), so the record at logical p lies at p % cap.
 *   live     two struct ui_detail buffers: the UI reads live[pub] under the
 *            lock; the worker fills the other one without the lock, then
 *            flips pub under it (the lock is held for a pointer swap).
 *   totals, the selection, the Kafka lost count, the save mailbox.
 *
 * Worker only (no lock): the per-stream series table (UI_SERIES_STREAMS
 * entries, hash by stream, LRU order for eviction), the rate samples, the
 * batch of rows a tick builds and the record scratch. Rows and details are
 * built there first and copied in under the lock, so the UI never waits on
 * more than memcpy-sized work.
 */

#define NS_PER_S 1000000000ULL
#define UI_TICK_BATCH 256          /* active rows built per lock taken */
#define UI_RATE_SAMPLES 64         /* tick samples kept for the rates (about 2 s of them) */
#define UI_RATE_WINDOW_NS NS_PER_S /* rates over at least the last second of packet time */
#define UI_SAVE_RESULT_MAX 256

struct row_slot {
    struct ui_row row;
    uint64_t detail_pos; /* logical arena position of its detail, when row.detail_kept */
    uint32_t hash_next;
    struct pool_link order; /* every row, by id */
    struct pool_link ended; /* ended rows, by id */
};

struct detail_ref {
    uint64_t id;
    uint64_t pos;
    size_t size;
};

struct series_entry {
    uint64_t key;
    uint64_t call_seq;
    uint32_t ssrc;
    struct endpoint src, dst;
    uint32_t hash_next;
    struct pool_link lru;
    uint32_t last_packets; /* figures at the previous update: the next deltas start here */
    int32_t last_lost;
    struct ui_series series;
};

struct rate_sample {
    uint64_t t;
    uint64_t calls, packets;
};

struct ui_model {
    pthread_mutex_t lock;
    struct ui_model_config cfg;

    /* ---- under the lock ---- */
    struct pool *rows;
    uint32_t *row_buckets;
    uint32_t row_mask;
    struct pool_list order;
    struct pool_list ended;
    uint64_t rows_evicted;

    uint8_t *arena;
    size_t arena_cap;
    uint64_t arena_head;     /* logical position of the next record */
    struct detail_ref *refs; /* FIFO of records, oldest at refs_head */
    uint32_t refs_cap, refs_head, refs_count;

    struct ui_totals totals;
    uint64_t kafka_lost;
    uint64_t selected;
    struct ui_detail *live[2];
    unsigned live_pub; /* written under the lock, by the worker only */
    bool live_valid;

    bool save_pending;
    struct ui_save_req save;
    bool result_pending;
    char result[UI_SAVE_RESULT_MAX];

    /* ---- worker only ---- */
    struct ui_row batch[UI_TICK_BATCH];
    struct pool *series;
    uint32_t *series_buckets;
    uint32_t series_mask;
    struct pool_list series_lru;
    struct rate_sample rates[UI_RATE_SAMPLES];
    uint32_t rate_count;
    double calls_per_s, packets_per_s;
    uint8_t *rec; /* one serialised detail */
    size_t rec_cap;
    const struct call_msg *msg_ptrs[UI_DETAIL_MSGS];
    const struct media_stream *stream_ptrs[UI_DETAIL_STREAMS];
};

_Static_assert(FAULT__COUNT <= 32, "ui_row.faults has a bit per fault code");

/* ---- serialised details: sizes ---------------------------------------- */

/* The header of a record: counts of what follows. */
struct rec_head {
    uint64_t id;
    uintptr_t strs_base; /* where the strings were when it was written (see detail_rebase) */
    uint32_t strs_used;
    uint32_t msgs_omitted;
    uint32_t text_used;
    uint16_t msg_count;
    uint8_t stream_count;
    uint8_t fault_count;
};

/* Bytes of the largest record (every array full): the scratch is that big. */
static size_t rec_max(void)
{
    return sizeof(struct rec_head) + sizeof(struct ui_row) + sizeof(struct call) +
           UI_DETAIL_MSGS * (sizeof(struct call_msg) + 2 * sizeof(uint32_t)) +
           UI_DETAIL_STREAMS * (sizeof(struct media_stream) + sizeof(uint64_t) + sizeof(uint16_t) +
                                UI_SERIES_MAX * sizeof(struct ui_sample)) +
           FAULTS_MAX *
               (sizeof(uint32_t) + sizeof(uint64_t) + sizeof(uint16_t) + FAULT_DETAIL_MAX) +
           UI_DETAIL_TEXT_MAX + UI_DETAIL_STRS_MAX + 8;
}

/* ---- create / destroy ------------------------------------------------- */

struct ui_model *ui_model_create(const struct ui_model_config *c)
{
    struct ui_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (c)
        m->cfg = *c;
    if (!m->cfg.max_rows)
        m->cfg.max_rows = UI_DEFAULT_ROWS;
    if (!m->cfg.detail_bytes)
        m->cfg.detail_bytes = UI_DEFAULT_DETAIL_BYTES;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    m->rows = pool_create(sizeof(struct row_slot), m->cfg.max_rows);
    m->row_buckets = pool_buckets_create(m->cfg.max_rows, &m->row_mask);
    m->arena_cap = m->cfg.detail_bytes;
    m->arena = malloc(m->arena_cap);
    m->refs_cap = m->cfg.max_rows;
    m->refs = calloc(m->refs_cap, sizeof *m->refs);
    m->live[0] = malloc(sizeof *m->live[0]);
    m->live[1] = malloc(sizeof *m->live[1]);
    m->series = pool_create(sizeof(struct series_entry), UI_SERIES_STREAMS);
    m->series_buckets = pool_buckets_create(UI_SERIES_STREAMS, &m->series_mask);
    m->rec_cap = rec_max();
    m->rec = malloc(m->rec_cap);
    if (!m->rows || !m->row_buckets || !m->arena || !m->refs || !m->live[0] || !m->live[1] ||
        !m->series || !m->series_buckets || !m->rec) {
        ui_model_destroy(m);
        return NULL;
    }
    m->order = m->ended = m->series_lru = POOL_LIST_INIT;
    return m;
}

void ui_model_destroy(struct ui_model *m)
{
    if (!m)
        return;
    pool_destroy(m->rows);
    free(m->row_buckets);
    free(m->arena);
    free(m->refs);
    free(m->live[0]);
    free(m->live[1]);
    pool_destroy(m->series);
    free(m->series_buckets);
    free(m->rec);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ---- rows (under the lock) -------------------------------------------- */

static struct row_slot *slot_at(const struct ui_model *m, uint32_t idx)
{
    return pool_at(m->rows, idx);
}

static uint32_t row_bucket(const struct ui_model *m, uint64_t id)
{
    return (uint32_t)((id * 0x9E3779B97F4A7C15ULL) >> 32) & m->row_mask;
}

static uint32_t row_find(const struct ui_model *m, uint64_t id)
{
    for (uint32_t i = m->row_buckets[row_bucket(m, id)]; i != POOL_NONE;) {
        const struct row_slot *s = slot_at(m, i);
        if (s->row.id == id)
            return i;
        i = s->hash_next;
    }
    return POOL_NONE;
}

static struct pool_link *link_of(const struct ui_model *m, uint32_t idx, size_t off)
{
    return (struct pool_link *)(void *)((unsigned char *)slot_at(m, idx) + off);
}

/*
 * Put row idx into list l (ordered by id) after the last row with a smaller
 * id: a walk back from the tail, as long as the rows with larger ids (rows
 * arrive nearly in id order, so usually none).
 */
static void list_insert_sorted(struct ui_model *m, struct pool_list *l, uint32_t idx, size_t off)
{
    uint64_t id = slot_at(m, idx)->row.id;
    uint32_t after = l->tail;
    while (after != POOL_NONE && slot_at(m, after)->row.id > id)
        after = link_of(m, after, off)->prev;
    struct pool_link *k = link_of(m, idx, off);
    k->prev = after;
    k->next = after == POOL_NONE ? l->head : link_of(m, after, off)->next;
    if (k->next != POOL_NONE)
        link_of(m, k->next, off)->prev = idx;
    else
        l->tail = idx;
    if (after != POOL_NONE)
        link_of(m, after, off)->next = idx;
    else
        l->head = idx;
    l->count++;
}

static void row_remove(struct ui_model *m, uint32_t idx)
{
    struct row_slot *s = slot_at(m, idx);
    pool_chain_unlink(m->rows, &m->row_buckets[row_bucket(m, s->row.id)], idx,
                      offsetof(struct row_slot, hash_next));
    pool_list_remove(m->rows, &m->order, idx, offsetof(struct row_slot, order));
    if (s->row.ended)
        pool_list_remove(m->rows, &m->ended, idx, offsetof(struct row_slot, ended));
    pool_put(m->rows, idx);
}

/*
 * A new row for id. A full table gives up its oldest ended row (counted);
 * rows of calls still up are never given up, since following live calls is
 * what the dashboard is for. With none ended, there is no room: an active
 * call waits for one at the next ticks, an ended call's row is not kept
 * (the caller counts it).
 */
static uint32_t row_insert(struct ui_model *m, uint64_t id)
{
    uint32_t idx = pool_get(m->rows);
    if (idx == POOL_NONE) {
        uint32_t victim = m->ended.head;
        if (victim == POOL_NONE)
            return POOL_NONE;
        row_remove(m, victim);
        m->rows_evicted++;
        idx = pool_get(m->rows);
    }
    struct row_slot *s = slot_at(m, idx);
    s->row.id = id;
    uint32_t *b = &m->row_buckets[row_bucket(m, id)];
    s->hash_next = *b;
    *b = idx;
    list_insert_sorted(m, &m->order, idx, offsetof(struct row_slot, order));
    return idx;
}

/* ---- the detail arena (under the lock) -------------------------------- */

static void detail_evict_oldest(struct ui_model *m)
{
    const struct detail_ref *r = &m->refs[m->refs_head];
    uint32_t idx = row_find(m, r->id);
    if (idx != POOL_NONE) {
        struct row_slot *s = slot_at(m, idx);
        if (s->row.detail_kept && s->detail_pos == r->pos)
            s->row.detail_kept = false;
    }
    m->refs_head = (m->refs_head + 1) % m->refs_cap;
    m->refs_count--;
}

/*
 * Append a record: skip the rest of the lap if it does not fit before the
 * end, then drop the oldest records until the logical span from the oldest
 * kept to the end of the new one is at most the arena (so no two overlap).
 */
static bool arena_put(struct ui_model *m, uint64_t id, const uint8_t *rec, size_t n, uint64_t *pos)
{
    size_t cap = m->arena_cap;
    if (n == 0 || n > cap)
        return false;
    uint64_t start = m->arena_head;
    size_t phys = (size_t)(start % cap);
    if (n > cap - phys)
        start += cap - phys;
    while (m->refs_count &&
           (m->refs_count == m->refs_cap || start + n - m->refs[m->refs_head].pos > cap))
        detail_evict_oldest(m);
    memcpy(m->arena + start % cap, rec, n);
    m->arena_head = start + n;
    m->refs[(m->refs_head + m->refs_count) % m->refs_cap] = (struct detail_ref){id, start, n};
    m->refs_count++;
    *pos = start;
    return true;
}

/* ---- the string fields of a detail's records ----------------------------- */

/*
 * The records a detail copies have `const char *` text fields into the
 * worker's string store, which the worker frees and reuses when the call is
 * released. A detail therefore holds its own copies in strs[] (detail_own),
 * and every copy of a detail (detail_copy, the arena) moves those pointers
 * to the new strs[] (detail_rebase). Literals (end_reason) are left alone.
 */
/* Copy n bytes into d->strs (8-aligned); NULL when it is full (cannot happen: see
 * UI_DETAIL_STRS_MAX). */
static char *detail_put(struct ui_detail *d, const void *src, size_t n)
{
    size_t at = ((size_t)d->strs_used + 7) & ~(size_t)7;
    if (at > UI_DETAIL_STRS_MAX || n > UI_DETAIL_STRS_MAX - at)
        return NULL;
    memcpy(d->strs + at, src, n);
    d->strs_used = (uint32_t)(at + n);
    return d->strs + at;
}

static void own_str(struct ui_detail *d, const char **f)
{
    size_t len = strnlen(*f, CALL_FIELD_MAX - 1);
    char *dst = detail_put(d, *f, len + 1);
    if (dst)
        dst[len] = '\0';
    *f = dst ? dst : "";
}

/* Copy every string (and SDP record) the records point at into d->strs and point there. */
static void detail_own(struct ui_detail *d)
{
    d->strs_used = 0;
    /* the codec arrays first (their entries are among the call's fields) */
    struct call_sdp *sdp[2] = {&d->call.offer, &d->call.answer};
    for (int k = 0; k < 2; k++) {
        if (!sdp[k]->codecs || !sdp[k]->codec_count)
            continue;
        size_t n = sdp[k]->codec_count < CALL_MAX_CODECS ? sdp[k]->codec_count : CALL_MAX_CODECS;
        sdp[k]->codecs = (const char **)(void *)detail_put(d, sdp[k]->codecs, n * sizeof(char *));
        if (!sdp[k]->codecs)
            sdp[k]->codec_count = 0;
    }
    const char **f[CALL_STR_FIELDS];
    size_t nf = call_str_fields(&d->call, f);
    for (size_t i = 0; i < nf; i++)
        own_str(d, f[i]);
    for (uint8_t i = 0; i < d->stream_count && i < UI_DETAIL_STREAMS; i++) {
        struct media_stream *s = &d->streams[i];
        own_str(d, &s->call_id);
        own_str(d, &s->codec);
        const struct media_rtcp *r = (const void *)detail_put(d, s->rtcp, sizeof *s->rtcp);
        s->rtcp = r ? r : &media_no_rtcp;
    }
    for (uint16_t i = 0; i < d->msg_count && i < UI_DETAIL_MSGS; i++) {
        struct call_msg *m = &d->msgs[i];
        own_str(d, &m->label);
        /* the SDP record, or the route record whose first member it is */
        const struct call_msg_route *r = call_msg_route(m);
        const void *from = r ? (const void *)r : (const void *)m->sdp;
        size_t n = r ? sizeof *r : sizeof *m->sdp;
        struct call_msg_sdp *x = (struct call_msg_sdp *)(void *)detail_put(d, from, n);
        if (!x)
            m->path = CALL_MSG_PATH_FWD; /* cannot happen (see UI_DETAIL_STRS_MAX) */
        m->sdp = x ? x : &call_msg_no_sdp;
        if (x)
            own_str(d, &x->codec);
    }
}

/* A pointer into the strs that were at `base`, moved to d->strs; NULL if it was not in them. */
static char *rebased(const struct ui_detail *d, const void *p, uintptr_t base)
{
    uintptr_t v = (uintptr_t)p;
    return v >= base && v - base < d->strs_used ? (char *)(uintptr_t)d->strs + (v - base) : NULL;
}

static void rebase_str(const struct ui_detail *d, const char **f, uintptr_t base)
{
    const char *p = rebased(d, *f, base);
    *f = p ? p : "";
}

/* d->strs holds what strs_used bytes at `base` held: move the pointers into it there. */
static void detail_rebase(struct ui_detail *d, uintptr_t base)
{
    struct call_sdp *sdp[2] = {&d->call.offer, &d->call.answer};
    for (int k = 0; k < 2; k++) {
        if (!sdp[k]->codecs)
            continue;
        sdp[k]->codecs = (const char **)(void *)rebased(d, sdp[k]->codecs, base);
        if (!sdp[k]->codecs)
            sdp[k]->codec_count = 0;
    }
    const char **f[CALL_STR_FIELDS];
    size_t nf = call_str_fields(&d->call, f);
    for (size_t i = 0; i < nf; i++)
        rebase_str(d, f[i], base);
    for (uint8_t i = 0; i < d->stream_count && i < UI_DETAIL_STREAMS; i++) {
        struct media_stream *s = &d->streams[i];
        rebase_str(d, &s->call_id, base);
        rebase_str(d, &s->codec, base);
        const struct media_rtcp *r = (const void *)rebased(d, s->rtcp, base);
        s->rtcp = r ? r : &media_no_rtcp;
    }
    for (uint16_t i = 0; i < d->msg_count && i < UI_DETAIL_MSGS; i++) {
        struct call_msg *m = &d->msgs[i];
        rebase_str(d, &m->label, base);
        struct call_msg_sdp *x = (struct call_msg_sdp *)(void *)rebased(d, m->sdp, base);
        if (!x)
            m->path = CALL_MSG_PATH_FWD;
        m->sdp = x ? x : &call_msg_no_sdp;
        if (x)
            rebase_str(d, &x->codec, base);
    }
}

/* ---- serialising a detail --------------------------------------------- */

struct wbuf {
    uint8_t *p;
    size_t len, cap;
    bool bad;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
    if (n > w->cap - w->len) {
        w->bad = true;
        return;
    }
    if (n)
        memcpy(w->p + w->len, src, n);
    w->len += n;
}

struct rbuf {
    const uint8_t *p;
    size_t len, off;
    bool bad;
};

static void get(struct rbuf *r, void *dst, size_t n)
{
    if (n > r->len - r->off) {
        r->bad = true;
        memset(dst, 0, n);
        return;
    }
    if (n)
        memcpy(dst, r->p + r->off, n);
    r->off += n;
}

/* Only what is used: the counted entries, the samples held, each fault's text. */
static size_t detail_serialize(const struct ui_detail *d, uint8_t *buf, size_t cap)
{
    struct wbuf w = {buf, 0, cap, false};
    struct rec_head h = {.id = d->row.id,
                         .strs_base = (uintptr_t)d->strs,
                         .strs_used = d->strs_used,
                         .msgs_omitted = d->msgs_omitted,
                         .text_used = d->text_used,
                         .msg_count = d->msg_count,
                         .stream_count = d->stream_count,
                         .fault_count = d->fault_count};
    put(&w, &h, sizeof h);
    put(&w, &d->row, sizeof d->row);
    put(&w, &d->call, sizeof d->call);
    put(&w, d->msgs, h.msg_count * sizeof d->msgs[0]);
    put(&w, d->text_off, h.msg_count * sizeof d->text_off[0]);
    put(&w, d->text_len, h.msg_count * sizeof d->text_len[0]);
    put(&w, d->streams, h.stream_count * sizeof d->streams[0]);
    for (uint8_t i = 0; i < h.stream_count; i++) {
        const struct ui_series *s = &d->series[i];
        put(&w, &s->start_ns, sizeof s->start_ns);
        put(&w, &s->count, sizeof s->count);
        put(&w, s->s, s->count * sizeof s->s[0]);
    }
    for (uint8_t i = 0; i < h.fault_count; i++) {
        const struct fault *f = &d->faults[i];
        uint32_t code = (uint32_t)f->code;
        uint16_t len = (uint16_t)strnlen(f->detail, sizeof f->detail - 1);
        put(&w, &code, sizeof code);
        put(&w, &f->ts_ns, sizeof f->ts_ns);
        put(&w, &len, sizeof len);
        put(&w, f->detail, len);
    }
    put(&w, d->text, h.text_used);
    put(&w, d->strs, h.strs_used);
    while (w.len % 8 && !w.bad) /* keep records 8-byte aligned in the arena */
        put(&w, "", 1);
    return w.bad ? 0 : w.len;
}

static bool detail_deserialize(const uint8_t *buf, size_t len, struct ui_detail *d)
{
    struct rbuf r = {buf, len, 0, false};
    struct rec_head h;
    get(&r, &h, sizeof h);
    if (r.bad || h.msg_count > UI_DETAIL_MSGS || h.stream_count > UI_DETAIL_STREAMS ||
        h.fault_count > FAULTS_MAX || h.text_used > UI_DETAIL_TEXT_MAX ||
        h.strs_used > UI_DETAIL_STRS_MAX)
        return false;
    get(&r, &d->row, sizeof d->row);
    get(&r, &d->call, sizeof d->call);
    d->msg_count = h.msg_count;
    d->msgs_omitted = h.msgs_omitted;
    get(&r, d->msgs, h.msg_count * sizeof d->msgs[0]);
    get(&r, d->text_off, h.msg_count * sizeof d->text_off[0]);
    get(&r, d->text_len, h.msg_count * sizeof d->text_len[0]);
    d->stream_count = h.stream_count;
    get(&r, d->streams, h.stream_count * sizeof d->streams[0]);
    for (uint8_t i = 0; i < h.stream_count; i++) {
        struct ui_series *s = &d->series[i];
        get(&r, &s->start_ns, sizeof s->start_ns);
        get(&r, &s->count, sizeof s->count);
        if (s->count > UI_SERIES_MAX)
            return false;
        get(&r, s->s, s->count * sizeof s->s[0]);
    }
    d->fault_count = h.fault_count;
    for (uint8_t i = 0; i < h.fault_count; i++) {
        struct fault *f = &d->faults[i];
        uint32_t code;
        uint16_t n;
        get(&r, &code, sizeof code);
        get(&r, &f->ts_ns, sizeof f->ts_ns);
        get(&r, &n, sizeof n);
        if (n >= sizeof f->detail)
            return false;
        f->code = (enum fault_code)code;
        get(&r, f->detail, n);
        f->detail[n] = '\0';
    }
    d->text_used = h.text_used;
    get(&r, d->text, h.text_used);
    d->strs_used = h.strs_used;
    get(&r, d->strs, h.strs_used);
    detail_rebase(d, h.strs_base);
    return !r.bad;
}

/* The used parts of a detail (the UI's copy of the live one). */
static void detail_copy(struct ui_detail *dst, const struct ui_detail *src)
{
    dst->row = src->row;
    dst->call = src->call;
    dst->msg_count = src->msg_count;
    dst->msgs_omitted = src->msgs_omitted;
    memcpy(dst->msgs, src->msgs, src->msg_count * sizeof src->msgs[0]);
    memcpy(dst->text_off, src->text_off, src->msg_count * sizeof src->text_off[0]);
    memcpy(dst->text_len, src->text_len, src->msg_count * sizeof src->text_len[0]);
    dst->stream_count = src->stream_count;
    memcpy(dst->streams, src->streams, src->stream_count * sizeof src->streams[0]);
    for (uint8_t i = 0; i < src->stream_count; i++) {
        dst->series[i].start_ns = src->series[i].start_ns;
        dst->series[i].count = src->series[i].count;
        memcpy(dst->series[i].s, src->series[i].s,
               src->series[i].count * sizeof src->series[i].s[0]);
    }
    dst->fault_count = src->fault_count;
    memcpy(dst->faults, src->faults, src->fault_count * sizeof src->faults[0]);
    dst->text_used = src->text_used;
    memcpy(dst->text, src->text, src->text_used);
    dst->strs_used = src->strs_used;
    memcpy(dst->strs, src->strs, src->strs_used);
    detail_rebase(dst, (uintptr_t)src->strs);
}

/* ---- per-second series of streams (worker only) ----------------------- */

static uint64_t series_key(const struct media_stream *s)
{
    uint64_t h = (s->call_seq * 0x9E3779B97F4A7C15ULL) ^ s->ssrc;
    return endpoint_hash(&s->dst, endpoint_hash(&s->src, h ? h : 1));
}

static uint32_t series_find(const struct ui_model *m, const struct media_stream *s, uint64_t key)
{
    for (uint32_t i = m->series_buckets[key & m->series_mask]; i != POOL_NONE;) {
        const struct series_entry *e = pool_at(m->series, i);
        if (e->key == key && e->call_seq == s->call_seq && e->ssrc == s->ssrc &&
            endpoint_eq(&e->src, &s->src) && endpoint_eq(&e->dst, &s->dst))
            return i;
        i = e->hash_next;
    }
    return POOL_NONE;
}

static void series_free(struct ui_model *m, uint32_t idx)
{
    struct series_entry *e = pool_at(m->series, idx);
    pool_chain_unlink(m->series, &m->series_buckets[e->key & m->series_mask], idx,
                      offsetof(struct series_entry, hash_next));
    pool_list_remove(m->series, &m->series_lru, idx, offsetof(struct series_entry, lru));
    pool_put(m->series, idx);
}

static float sample_jitter(const struct rtpstream_figures *f)
{
    return f->jitter_valid ? (float)f->last_jitter_ms : 0.0f;
}

/*
 * Add what a stream received since the last update to the sample of the
 * second its newest packet fell in (seconds counted from its first packet).
 * Seconds with no update in between get no packets and keep the jitter
 * they had. Past UI_SERIES_MAX samples the oldest are dropped. A full
 * table forgets the stream updated longest ago.
 */
static void series_update(struct ui_model *m, const struct media_stream *s,
                          const struct rtpstream_figures *f)
{
    if (!f->packets)
        return;
    uint64_t key = series_key(s);
    size_t off = offsetof(struct series_entry, lru);
    uint32_t idx = series_find(m, s, key);
    struct series_entry *e;
    if (idx == POOL_NONE) {
        idx = pool_get(m->series);
        if (idx == POOL_NONE) {
            series_free(m, m->series_lru.head);
            idx = pool_get(m->series);
        }
        e = pool_at(m->series, idx);
        e->key = key;
        e->call_seq = s->call_seq;
        e->ssrc = s->ssrc;
        e->src = s->src;
        e->dst = s->dst;
        e->series.start_ns = f->first_ns;
        uint32_t *b = &m->series_buckets[key & m->series_mask];
        e->hash_next = *b;
        *b = idx;
    } else {
        e = pool_at(m->series, idx);
        pool_list_remove(m->series, &m->series_lru, idx, off);
    }
    pool_list_push_tail(m->series, &m->series_lru, idx, off);

    struct ui_series *se = &e->series;
    uint64_t at = f->last_ns > se->start_ns ? (f->last_ns - se->start_ns) / NS_PER_S : 0;
    if (se->count && at < (uint64_t)se->count - 1)
        at = se->count - 1u; /* never back into a closed second */
    if (at >= UI_SERIES_MAX) {
        uint64_t shift = at - (UI_SERIES_MAX - 1);
        if (shift >= se->count) {
            se->count = 0;
        } else {
            memmove(se->s, se->s + shift, (se->count - shift) * sizeof se->s[0]);
            se->count = (uint16_t)(se->count - shift);
        }
        se->start_ns += shift * NS_PER_S;
        at -= shift;
    }
    float carry = se->count ? se->s[se->count - 1].jitter_ms : 0.0f;
    while (se->count <= at)
        se->s[se->count++] = (struct ui_sample){0, 0, carry};
    /* Deltas in 64 bits, clamped: hostile sequence numbers can swing Wireshark's lost anywhere. */
    struct ui_sample *x = &se->s[at];
    if (f->packets > e->last_packets)
        x->packets += f->packets - e->last_packets;
    int64_t lost = (int64_t)x->lost + ((int64_t)f->lost - e->last_lost);
    x->lost = (int32_t)(lost > INT32_MAX ? INT32_MAX : lost < INT32_MIN ? INT32_MIN : lost);
    x->jitter_ms = sample_jitter(f);
    e->last_packets = f->packets;
    e->last_lost = f->lost;
}

/* ---- rows and details from a call (worker only) ----------------------- */

/* The row of a call; with update_series, each stream's series takes its latest figures. */
static void row_build(struct ui_model *m, const struct call *c, const struct correlate *co,
                      struct ui_row *r, bool update_series)
{
    memset(r, 0, sizeof *r);
    r->id = c->seq;
    memcpy(r->call_id, c->call_id, strnlen(c->call_id, sizeof r->call_id - 1));
    memcpy(r->from, c->from, strnlen(c->from, sizeof r->from - 1));
    memcpy(r->to, c->to, strnlen(c->to, sizeof r->to - 1));
    r->state = (uint8_t)c->state;
    r->final_code = c->final_code;
    r->start_ns = c->start_ns;
    r->answer_ns = c->answer_ns;
    r->end_ns = c->end_ns;
    r->last_ns = c->last_ns;
    const char *codec = c->answer.present && c->answer.codec_count ? c->answer.codecs[0]
                        : c->offer.present && c->offer.codec_count ? c->offer.codecs[0]
                                                                   : "";
    memcpy(r->codec, codec, strnlen(codec, sizeof r->codec - 1));
    r->msgs = (uint16_t)(c->sip_messages > UINT16_MAX ? UINT16_MAX : c->sip_messages);
    r->streams = (uint16_t)(c->stream_count > UINT16_MAX ? UINT16_MAX : c->stream_count);

    /* Per direction: the worst MOS of its streams, and RFC 3550 A.1 loss over all of them. */
    uint64_t expected[UI_DIRS] = {0}, lost[UI_DIRS] = {0};
    for (int d = 0; d < UI_DIRS; d++)
        r->mos[d] = r->loss_pct[d] = -1;
    const struct media *md = correlate_media(co);
    uint32_t n = 0;
    for (const struct media_stream *s = media_first_stream(md, c); s && n < c->stream_count;
         s = media_next_stream(md, s), n++) {
        struct stream_quality q;
        stream_quality(s, &q);
        if (update_series)
            series_update(m, s, &q.f);
        int d = s->party == CALL_PARTY_CALLER   ? UI_DIR_FWD
                : s->party == CALL_PARTY_CALLEE ? UI_DIR_REV
                                                : -1;
        if (d < 0)
            continue;
        if (q.mos.valid && (r->mos[d] < 0 || q.mos.mos < r->mos[d]))
            r->mos[d] = (float)q.mos.mos;
        expected[d] += q.f.expected_unique;
        lost[d] += q.f.lost_unique;
    }
    for (int d = 0; d < UI_DIRS; d++)
        if (expected[d])
            r->loss_pct[d] = (float)(100.0 * (double)lost[d] / (double)expected[d]);
}

/*
 * Everything the call view draws, into d (worker-owned), as exporters/output.c
 * sees the call: the first UI_DETAIL_MSGS messages with their texts (each
 * whole or not at all, as long as UI_DETAIL_TEXT_MAX has room for it), the
 * first UI_DETAIL_STREAMS streams with
 * their series, and the fault rules over those. A call still up has not
 * missed its BYE (yet): no_bye is left out of a live detail.
 */
static void detail_build(struct ui_model *m, const struct call *c, const struct correlate *co,
                         const struct ui_row *row, bool live, struct ui_detail *d)
{
    d->row = *row;
    d->call = *c;
    d->msg_count = 0;
    d->msgs_omitted = 0;
    d->text_used = 0;
    uint32_t walked = 0;
    for (const struct call_msg *x = correlate_first_msg(co, c); x && walked < c->msg_count;
         x = correlate_next_msg(co, x), walked++) {
        if (d->msg_count == UI_DETAIL_MSGS) {
            d->msgs_omitted++;
            continue;
        }
        uint16_t i = d->msg_count++;
        d->msgs[i] = *x;
        m->msg_ptrs[i] = x;
        struct sv t = correlate_msg_text(co, x);
        d->text_off[i] = d->text_used;
        d->text_len[i] = 0;
        if (t.len && t.len <= UI_DETAIL_TEXT_MAX - d->text_used) {
            memcpy(d->text + d->text_used, t.p, t.len);
            d->text_len[i] = (uint32_t)t.len;
            d->text_used += (uint32_t)t.len;
        }
    }
    const struct media *md = correlate_media(co);
    d->stream_count = 0;
    for (const struct media_stream *s = media_first_stream(md, c);
         s && d->stream_count < UI_DETAIL_STREAMS; s = media_next_stream(md, s)) {
        uint8_t i = d->stream_count++;
        d->streams[i] = *s;
        d->streams[i].dtmf_count = 0; /* the digits stay with the worker (the views show none) */
        d->streams[i].dtmf = NULL;
        m->stream_ptrs[i] = s;
        struct ui_series *se = &d->series[i];
        uint32_t k = series_find(m, s, series_key(s));
        se->start_ns = 0;
        se->count = 0;
        if (k != POOL_NONE) {
            const struct series_entry *e = pool_at(m->series, k);
            const struct ui_series *from = &e->series;
            se->start_ns = from->start_ns;
            se->count = from->count;
            memcpy(se->s, from->s, from->count * sizeof from->s[0]);
        }
    }
    detail_own(d);
    uint64_t clock = correlate_clock(co);
    struct faults_input in = {.call = c,
                              .msgs = m->msg_ptrs,
                              .msg_count = d->msg_count,
                              .streams = m->stream_ptrs,
                              .stream_count = d->stream_count,
                              .end_ns = clock > c->last_ns ? clock : c->last_ns};
    size_t n = faults_diagnose(&in, &m->cfg.thresholds, d->faults, FAULTS_MAX);
    size_t kept = 0;
    d->row.faults = 0;
    for (size_t i = 0; i < n; i++) {
        if (live && d->faults[i].code == FAULT_NO_BYE)
            continue;
        if (kept != i)
            d->faults[kept] = d->faults[i];
        d->row.faults |= 1u << d->faults[kept].code;
        kept++;
    }
    d->fault_count = (uint8_t)kept;
}

/* ---- worker thread ---------------------------------------------------- */

void ui_model_call_end(void *ctx, const struct call *c, const struct correlate *co)
{
    struct ui_model *m = ctx;
    struct ui_row row;
    row_build(m, c, co, &row, true); /* the streams' last figures go into their series */
    struct ui_detail *d = m->live[m->live_pub ^ 1u]; /* the worker's buffer */
    detail_build(m, c, co, &row, false, d);
    d->row.ended = true;
    d->row.detail_kept = true;
    size_t n = detail_serialize(d, m->rec, m->rec_cap);
    /* The streams are finished with the call: their series now live in the detail only. */
    const struct media *md = correlate_media(co);
    uint32_t k = 0;
    for (const struct media_stream *s = media_first_stream(md, c); s && k < c->stream_count;
         s = media_next_stream(md, s), k++) {
        uint32_t idx = series_find(m, s, series_key(s));
        if (idx != POOL_NONE)
            series_free(m, idx);
    }

    pthread_mutex_lock(&m->lock);
    uint32_t idx = row_find(m, c->seq);
    if (idx == POOL_NONE)
        idx = row_insert(m, c->seq);
    if (idx == POOL_NONE) {
        m->rows_evicted++; /* every row is a call still up: this one is not shown */
    } else {
        struct row_slot *s = slot_at(m, idx);
        bool was_ended = s->row.ended;
        s->row = d->row;
        s->row.detail_kept = false;
        if (!was_ended)
            list_insert_sorted(m, &m->ended, idx, offsetof(struct row_slot, ended));
        uint64_t pos;
        if (arena_put(m, c->seq, m->rec, n, &pos)) {
            s->detail_pos = pos;
            s->row.detail_kept = true;
        }
    }
    if (m->live_valid && m->live[m->live_pub]->row.id == c->seq)
        m->live_valid = false; /* the arena holds it now */
    pthread_mutex_unlock(&m->lock);
}

/* Copy built rows of active calls in: update the row, or add one if there is room. */
static void rows_apply(struct ui_model *m, size_t n)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < n; i++) {
        const struct ui_row *r = &m->batch[i];
        uint32_t idx = row_find(m, r->id);
        if (idx == POOL_NONE)
            idx = row_insert(m, r->id);
        if (idx == POOL_NONE)
            continue;
        struct row_slot *s = slot_at(m, idx);
        if (!s->row.ended)
            s->row = *r;
    }
    pthread_mutex_unlock(&m->lock);
}

/*
 * Rates per second of packet time: the counters now against the newest
 * sample at least UI_RATE_WINDOW_NS older (or the oldest one while there is
 * less history). Samples older than that one are dropped.
 */
static void rates_update(struct ui_model *m, uint64_t now, uint64_t calls, uint64_t packets)
{
    struct rate_sample *r = m->rates;
    if (m->rate_count && now <= r[m->rate_count - 1].t) {
        r[m->rate_count - 1].calls = calls; /* the clock did not move: refresh the newest */
        r[m->rate_count - 1].packets = packets;
    } else {
        if (m->rate_count == UI_RATE_SAMPLES) {
            memmove(r, r + 1, (UI_RATE_SAMPLES - 1) * sizeof r[0]);
            m->rate_count--;
        }
        r[m->rate_count++] = (struct rate_sample){now, calls, packets};
    }
    uint32_t ref = 0;
    for (uint32_t i = m->rate_count; i-- > 0;)
        if (r[i].t + UI_RATE_WINDOW_NS <= now) {
            ref = i;
            break;
        }
    if (ref) {
        memmove(r, r + ref, (m->rate_count - ref) * sizeof r[0]);
        m->rate_count -= ref;
    }
    if (now <= r[0].t) /* no packet time has passed (the packet clock never goes back) */
        return;
    uint64_t dt = now - r[0].t;
    double s = (double)dt / (double)NS_PER_S;
    m->calls_per_s = calls >= r[0].calls ? (double)(calls - r[0].calls) / s : 0;
    m->packets_per_s = packets >= r[0].packets ? (double)(packets - r[0].packets) / s : 0;
}

static uint64_t counter(const struct stats *st, enum stat_id id)
{
    return st ? st->v[id] : 0;
}

void ui_model_tick(struct ui_model *m, const struct correlate *co, const struct stats *st,
                   bool done)
{
    pthread_mutex_lock(&m->lock);
    uint64_t sel = m->selected;
    pthread_mutex_unlock(&m->lock);

    const struct call *sel_call = NULL;
    struct ui_row sel_row;
    size_t n = 0;
    uint32_t held = co ? correlate_active_calls(co) : 0, walked = 0;
    for (const struct call *c = co ? correlate_first_call(co) : NULL; c && walked < held;
         c = correlate_next_call(co, c), walked++) {
        row_build(m, c, co, &m->batch[n], true);
        if (sel && c->seq == sel) {
            sel_call = c;
            sel_row = m->batch[n];
        }
        if (++n == UI_TICK_BATCH) {
            rows_apply(m, n);
            n = 0;
        }
    }
    if (n)
        rows_apply(m, n);

    struct ui_detail *d = m->live[m->live_pub ^ 1u];
    if (sel_call)
        detail_build(m, sel_call, co, &sel_row, true, d);

    uint64_t now = co ? correlate_clock(co) : 0;
    uint64_t calls = counter(st, STAT_CALLS), packets = counter(st, STAT_PACKETS);
    rates_update(m, now, calls, packets);
    static const enum stat_id evictions[] = {
        STAT_CALLS_EVICTED, STAT_STREAMS_EVICTED, STAT_TXN_EVICTED, STAT_FLOW_EVICTED,
        STAT_FRAG_EVICTED,  STAT_TCP_EVICTED,     STAT_REG_EVICTED};
    struct ui_totals t = {.now_ns = now,
                          .calls = calls,
                          .active = held,
                          .calls_per_s = m->calls_per_s,
                          .packets_per_s = m->packets_per_s,
                          .packets = packets,
                          .drops_kernel = counter(st, STAT_DROP_KERNEL),
                          .drops_ring = counter(st, STAT_DROP_RING),
                          .parse_errors = counter(st, STAT_SIP_PARSE_ERRORS) +
                                          counter(st, STAT_SDP_PARSE_ERRORS),
                          .input_done = done};
    for (size_t i = 0; i < sizeof evictions / sizeof evictions[0]; i++)
        t.evictions += counter(st, evictions[i]);

    pthread_mutex_lock(&m->lock);
    if (m->selected == sel) { /* the UI may have chosen another call meanwhile */
        if (sel_call) {
            m->live_pub ^= 1u;
            m->live_valid = true;
        } else {
            m->live_valid = false;
        }
    }
    m->totals = t;
    pthread_mutex_unlock(&m->lock);
}

void ui_model_set_kafka_lost(struct ui_model *m, uint64_t lost)
{
    pthread_mutex_lock(&m->lock);
    m->kafka_lost = lost;
    pthread_mutex_unlock(&m->lock);
}

/* ---- UI thread -------------------------------------------------------- */

size_t ui_model_rows(struct ui_model *m, struct ui_row *out, size_t cap, struct ui_totals *t)
{
    pthread_mutex_lock(&m->lock);
    /* The newest cap rows, oldest of them first. */
    size_t n = m->order.count < cap ? m->order.count : cap;
    uint32_t idx = m->order.tail;
    for (size_t i = 1; i < n; i++)
        idx = slot_at(m, idx)->order.prev;
    for (size_t i = 0; i < n; i++) {
        const struct row_slot *s = slot_at(m, idx);
        out[i] = s->row;
        idx = s->order.next;
    }
    if (t) {
        *t = m->totals;
        t->rows = m->order.count;
        t->rows_evicted = m->rows_evicted;
        t->kafka_lost = m->kafka_lost;
    }
    pthread_mutex_unlock(&m->lock);
    return n;
}

bool ui_model_detail(struct ui_model *m, uint64_t id, struct ui_detail *out)
{
    bool ok = false;
    pthread_mutex_lock(&m->lock);
    uint32_t idx = id ? row_find(m, id) : POOL_NONE;
    const struct row_slot *s = idx != POOL_NONE ? slot_at(m, idx) : NULL;
    if (s && s->row.ended && s->row.detail_kept) {
        size_t at = (size_t)(s->detail_pos % m->arena_cap);
        ok = detail_deserialize(m->arena + at, m->arena_cap - at, out);
        if (ok)
            out->row = s->row;
    } else if (id && m->live_valid && m->live[m->live_pub]->row.id == id) {
        detail_copy(out, m->live[m->live_pub]);
        ok = true;
    }
    pthread_mutex_unlock(&m->lock);
    return ok;
}

void ui_model_select(struct ui_model *m, uint64_t id)
{
    pthread_mutex_lock(&m->lock);
    if (m->selected != id) {
        m->selected = id;
        m->live_valid = false;
    }
    pthread_mutex_unlock(&m->lock);
}

/* ---- saving calls ----------------------------------------------------- */

void ui_model_request_save(struct ui_model *m, const struct ui_save_req *r)
{
    pthread_mutex_lock(&m->lock);
    m->save = *r;
    m->save.path[sizeof m->save.path - 1] = '\0';
    if (m->save.call_count > UI_SAVE_CALLS)
        m->save.call_count = UI_SAVE_CALLS;
    if (m->save.pair_count > UI_SAVE_ENDPOINTS)
        m->save.pair_count = UI_SAVE_ENDPOINTS;
    m->save_pending = true;
    pthread_mutex_unlock(&m->lock);
}

bool ui_model_take_save(struct ui_model *m, struct ui_save_req *r)
{
    pthread_mutex_lock(&m->lock);
    bool any = m->save_pending;
    if (any)
        *r = m->save;
    m->save_pending = false;
    pthread_mutex_unlock(&m->lock);
    return any;
}

void ui_model_save_done(struct ui_model *m, const char *msg)
{
    pthread_mutex_lock(&m->lock);
    size_t n = msg ? strnlen(msg, sizeof m->result - 1) : 0;
    if (n)
        memcpy(m->result, msg, n);
    m->result[n] = '\0';
    m->result_pending = true;
    pthread_mutex_unlock(&m->lock);
}

bool ui_model_save_result(struct ui_model *m, char *msg, size_t len)
{
    pthread_mutex_lock(&m->lock);
    bool any = m->result_pending;
    if (any && len) {
        size_t n = strnlen(m->result, sizeof m->result);
        if (n > len - 1)
            n = len - 1;
        memcpy(msg, m->result, n);
        msg[n] = '\0';
    }
    m->result_pending = false;
    pthread_mutex_unlock(&m->lock);
    return any;
}
