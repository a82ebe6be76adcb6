/* ladder.c: ladder diagram of one call: columns and arrows computed first, then drawn as text or
 * SVG (RFC 3261 flows). */
#include "ladder.h"

#include <string.h>

#include "../decoders/sdp.h"
#include "cdr.h"
#include "json.h"

/*
 * A call through a proxy at the default width, with early media and one
 * INVITE retransmission (tests/test_ladder.c, proxy_call_three_columns_fit_80,
 * checks these bytes):
 *
 * Call-ID: 8f1c2b@127.0.1.1
 * From:    sip:alice@127.0.1.1 -> sip:bob@127.0.1.2
 * State:   completed (200), 15 SIP messages, 1 retransmission
 * Start:   2024-03-01 12:10:00.000 UTC, setup 2.113 ms, duration 5.001 s
 *
 *         127.0.1.1:5060              127.0.1.10:5060               127.0.1.2:5060
 *               |                            |                            |
 *   0.000       |--------INVITE (SDP)------->|                            |
 *               |    PCMA 127.0.1.1:16384    |                            |
 *   0.000       |<--------100 Trying---------|                            |
 *   0.000       |                            |--------INVITE (SDP)------->|
 *               |                            |    PCMA 127.0.1.1:16384    |
 *   0.001       |                            |<--------100 Trying---------|
 *   0.001       |                            |<---183 Session Progress----|
 *               |                            |    PCMA 127.0.1.2:20000    |
 *   0.002       |<---183 Session Progress----|                            |
 *               |    PCMA 127.0.1.2:20000    |                            |
 *   0.500       |===INVITE (SDP) (retrans)==>|                            |
 *               |    PCMA 127.0.1.1:16384    |                            |
 *   3.000       |                            |<-------200 OK (SDP)--------|
 *               |                            |    PCMA 127.0.1.2:20000    |
 *   3.000       |<-------200 OK (SDP)--------|                            |
 *               |    PCMA 127.0.1.2:20000    |                            |
 *   3.001       |------------ACK------------>|                            |
 *   3.001       |                            |------------ACK------------>|
 *   8.001       |                            |<-----------BYE-------------|
 *   8.001       |<-----------BYE-------------|                            |
 *   8.001       |-----------200 OK---------->|                            |
 *   8.001       |                            |-----------200 OK---------->|
 *
 * Geometry: the time column is right-aligned in time_width characters; the
 * first header starts one blank after it; bars are `spacing` apart, the
 * widest that fits the width (at most LADDER_SPACING_MAX, at least what the
 * headers need plus LADDER_HEADER_GAP blanks). Labels and SDP lines are
 * centred between the two bars of their arrow; an arrow that skips a column
 * is drawn over that column's bar.
 */

#define LADDER_HEADER_GAP 2 /* blanks between two column headers */

static const char *const ladder_dir_names[] = {
    [SDP_DIR_SENDRECV] = "sendrecv",
    [SDP_DIR_SENDONLY] = "sendonly",
    [SDP_DIR_RECVONLY] = "recvonly",
    [SDP_DIR_INACTIVE] = "inactive",
};

/* ---- small text helpers ---- */

/* Bounded copy of a fixed-size field as printable ASCII ('?' for anything else). */
static size_t ladder_clean(char *dst, size_t cap, const char *src, size_t src_cap)
{
    size_t n = strnlen(src, src_cap), k = 0;
    if (cap == 0)
        return 0;
    for (; k < n && k < cap - 1; k++) {
        unsigned char ch = (unsigned char)src[k];
        dst[k] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    dst[k] = '\0';
    return k;
}

/* A field's bound: a char array's size, or CALL_FIELD_MAX for a string pointer (call.h). */
#define LADDER_FIELD_CAP(field)                                                                    \
    _Generic(&(field), const char **: (size_t)CALL_FIELD_MAX,                                    \
             const char *const *: (size_t)CALL_FIELD_MAX, default: sizeof(field))
#define LADDER_CLEAN(dst, field) ladder_clean((dst), sizeof(dst), (field), LADDER_FIELD_CAP(field))

/* Fixed-point number without locale (the JSON writer's formatting). */
static const char *ladder_num(char *out, size_t cap, double v, int decimals)
{
    struct json j;
    json_init(&j, out, cap);
    json_double(&j, v, decimals);
    return out;
}

static size_t ladder_time_text(const struct ladder *l, uint64_t ts, char *out, size_t cap)
{
    int n;
    if (l->time == LADDER_TIME_ABSOLUTE) {
        struct json_time t;
        json_time_from_ns(ts, &t);
        n = snprintf(out, cap, "%02u:%02u:%02u.%03u", (unsigned)t.hour, (unsigned)t.min,
                     (unsigned)t.sec, (unsigned)(t.nsec / 1000000u));
    } else {
        bool neg = ts < l->t0_ns;
        uint64_t d = neg ? l->t0_ns - ts : ts - l->t0_ns;
        n = snprintf(out, cap, "%s%llu.%03u", neg ? "-" : "", (unsigned long long)(d / 1000000000u),
                     (unsigned)(d % 1000000000u / 1000000u));
    }
    if (n <= 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ---- layout ---- */

static int ladder_col_find(const struct ladder *l, const struct endpoint *e)
{
    for (int k = 0; k < l->col_count; k++)
        if (endpoint_eq(&l->cols[k].ep, e))
            return k;
    return -1;
}

static int ladder_col_add(struct ladder *l, const struct endpoint *e)
{
    struct ladder_col *col = &l->cols[l->col_count];
    col->ep = *e;
    endpoint_format(e, col->name, sizeof col->name);
    return l->col_count++;
}

/* Characters of a centred header left and right of its bar. */
static size_t ladder_left(size_t w)
{
    return w ? (w - 1) / 2 : 0;
}

static size_t ladder_right(size_t w)
{
    return w ? w - 1 - ladder_left(w) : 0;
}

static size_t ladder_head_width(const struct ladder *l, int k)
{
    return l->legend ? 1 : strlen(l->cols[k].name);
}

/* Spacing that fits width with the headers as they are (0 when nothing fits), and the minimum they
 * need. */
static void ladder_spacing(const struct ladder *l, size_t margin, size_t *fit, size_t *need)
{
    int n = l->col_count;
    size_t x0 = margin + ladder_left(ladder_head_width(l, 0));
    *need = LADDER_SPACING_MIN;
    for (int k = 0; k + 1 < n; k++) {
        size_t s = ladder_right(ladder_head_width(l, k)) +
                   ladder_left(ladder_head_width(l, k + 1)) + 1 + LADDER_HEADER_GAP;
        if (s > *need)
            *need = s;
    }
    size_t tail = ladder_right(ladder_head_width(l, n - 1));
    if (n < 2) {
        *fit = x0 + tail < l->width ? *need : 0;
        return;
    }
    *fit = l->width > x0 + tail + 1 ? (l->width - 1 - tail - x0) / (size_t)(n - 1) : 0;
}

static void ladder_geometry(struct ladder *l)
{
    size_t tw = LADDER_TIME_MIN;
    char t[32];
    for (uint32_t r = 0; r < l->row_count; r++) {
        size_t n = ladder_time_text(l, l->rows[r].ts_ns, t, sizeof t);
        if (n > tw)
            tw = n;
    }
    l->time_width = (uint16_t)tw;
    size_t margin = tw + 1;
    if (l->col_count == 0) {
        l->line_width = (uint16_t)margin;
        return;
    }

    size_t fit, need, sp;
    l->legend = false;
    ladder_spacing(l, margin, &fit, &need);
    if (fit >= need) {
        /* as wide as the width allows, up to LADDER_SPACING_MAX (or what the headers need) */
        size_t cap = need > LADDER_SPACING_MAX ? need : LADDER_SPACING_MAX;
        sp = fit < cap ? fit : cap;
    } else {
        /* addresses too long for the width: letters over the columns, a legend above */
        l->legend = true;
        ladder_spacing(l, margin, &fit, &need);
        if (fit >= need) {
            sp = fit < LADDER_SPACING_MAX ? fit : LADDER_SPACING_MAX;
        } else {
            /* too many endpoints for the width at all: full headers, wider lines */
            l->legend = false;
            ladder_spacing(l, margin, &fit, &need);
            sp = need;
        }
    }
    l->spacing = (uint16_t)sp;
    size_t x = margin + ladder_left(ladder_head_width(l, 0));
    for (int k = 0; k < l->col_count; k++, x += sp)
        l->cols[k].x = (uint16_t)x;
    const struct ladder_col *last = &l->cols[l->col_count - 1];
    l->line_width = (uint16_t)(last->x + ladder_right(ladder_head_width(l, l->col_count - 1)) + 1);
}

/* "From:    A -> B" on one line when it fits the width, else From: and To: lines. */
static bool ladder_from_to_fits(const struct ladder *l)
{
    size_t n = 9 + strnlen(l->call.from, CALL_FIELD_MAX) + 4 + strnlen(l->call.to, CALL_FIELD_MAX);
    return n <= l->width;
}

/* The column of a media endpoint: the SIP column with its IP address, else its party's. */
static int ladder_media_col(const struct ladder *l, const struct call *c, const struct endpoint *e,
                            enum call_party party)
{
    for (int k = 0; k < l->col_count; k++)
        if (addr_eq(&l->cols[k].ep.ip, &e->ip))
            return k;
    if (l->col_count == 0)
        return -1;
    if (party == CALL_PARTY_CALLER)
        return 0;
    int k = ladder_col_find(l, &c->dst);
    return k >= 0 ? k : l->col_count - 1;
}

/* Make room for a row at time ts, keeping the rows in time order; NULL when full (counted). */
static struct ladder_arrow *ladder_insert_row(struct ladder *l, uint64_t ts)
{
    if (l->row_count >= LADDER_MAX_ROWS) {
        l->not_drawn++;
        return NULL;
    }
    uint32_t at = l->row_count;
    while (at > 0 && l->rows[at - 1].ts_ns > ts)
        at--;
    memmove(&l->rows[at + 1], &l->rows[at], (l->row_count - at) * sizeof l->rows[0]);
    l->row_count++;
    struct ladder_arrow *r = &l->rows[at];
    memset(r, 0, sizeof *r);
    r->ts_ns = ts;
    return r;
}

/* A fault across every column, at the time its evidence starts. */
static void ladder_add_mark(struct ladder *l, const struct ladder_mark *mk)
{
    if (l->col_count < 2)
        return;
    struct ladder_arrow *r = ladder_insert_row(l, mk->ts_ns ? mk->ts_ns : l->t0_ns);
    if (!r)
        return;
    r->from = 0;
    r->to = (uint8_t)(l->col_count - 1);
    r->flags = LADDER_ROW_FAULT;
    snprintf(r->label, sizeof r->label, "%s", mk->code ? mk->code : "?");
}

/* Insert a stream row at its first packet's time, keeping the rows in time order. */
static void ladder_add_stream(struct ladder *l, const struct call *c, const struct ladder_stream *s)
{
    enum call_party from_party = (enum call_party)s->party;
    enum call_party to_party = from_party == CALL_PARTY_CALLER   ? CALL_PARTY_CALLEE
                               : from_party == CALL_PARTY_CALLEE ? CALL_PARTY_CALLER
                                                                 : CALL_PARTY_NONE;
    int a = ladder_media_col(l, c, &s->src, from_party);
    int b = ladder_media_col(l, c, &s->dst, to_party);
    if (a < 0 || b < 0) {
        l->not_drawn++;
        return;
    }
    struct ladder_arrow *r = ladder_insert_row(l, s->first_ns);
    if (!r)
        return;
    r->from = (uint8_t)a;
    r->to = (uint8_t)b;
    r->flags = LADDER_ROW_STREAM;
    double span = s->last_ns > s->first_ns ? (double)(s->last_ns - s->first_ns) / 1e9 : 0;
    char codec[CALL_CODEC_MAX];
    LADDER_CLEAN(codec, s->codec);
    if (s->mos >= 0)
        snprintf(r->label, sizeof r->label, "RTP %s %up %.2fs MOS %.2f", codec[0] ? codec : "?",
                 s->packets, span, s->mos);
    else
        snprintf(r->label, sizeof r->label, "RTP %s %up %.2fs", codec[0] ? codec : "?", s->packets,
                 span);
}

void ladder_layout(struct ladder *l, const struct call *c, const struct call_msg *const *msgs,
                   size_t n, const struct ladder_opts *opts)
{
    memset(l, 0, sizeof *l);
    l->call = *c;
    unsigned w = opts && opts->width ? opts->width : LADDER_DEFAULT_WIDTH;
    if (w < LADDER_MIN_WIDTH)
        w = LADDER_MIN_WIDTH;
    if (w > LADDER_MAX_WIDTH)
        w = LADDER_MAX_WIDTH;
    l->width = (uint16_t)w;
    l->time =
        opts && opts->time == LADDER_TIME_ABSOLUTE ? LADDER_TIME_ABSOLUTE : LADDER_TIME_RELATIVE;

    if (c->src.ip.family == 4 || c->src.ip.family == 6)
        ladder_col_add(l, &c->src); /* the caller heads the first column */

    bool have_t0 = false;
    for (size_t i = 0; i < n; i++) {
        const struct call_msg *m = msgs ? msgs[i] : NULL;
        if (!m)
            continue;
        if (!have_t0) {
            l->t0_ns = m->ts_ns;
            have_t0 = true;
        }
        const struct endpoint *src = call_msg_src(c, m), *dst = call_msg_dst(c, m);
        int a = ladder_col_find(l, src), b = ladder_col_find(l, dst);
        int add = (a < 0) + (b < 0 && !endpoint_eq(src, dst));
        if (l->row_count >= LADDER_MAX_ROWS || l->col_count + add > LADDER_MAX_COLS) {
            l->not_drawn++;
            continue;
        }
        if (a < 0)
            a = ladder_col_add(l, src);
        if (b < 0)
            b = endpoint_eq(src, dst) ? a : ladder_col_add(l, dst);
        struct ladder_arrow *r = &l->rows[l->row_count++];
        r->ts_ns = m->ts_ns;
        r->from = (uint8_t)a;
        r->to = (uint8_t)b;
        /* only the message bits: the row-kind bits (stream, fault) are the layout's own */
        r->flags = m->flags & (CALL_MSG_RETRANS | CALL_MSG_SDP | CALL_MSG_REINVITE);
        r->sdp_dir = m->sdp->dir;
        r->status = m->status;
        size_t len = strnlen(m->label, sizeof r->label - 1);
        memcpy(r->label, m->label, len);
        r->label[len] = '\0';
        len = strnlen(m->sdp->codec, sizeof r->sdp_codec - 1);
        memcpy(r->sdp_codec, m->sdp->codec, len);
        r->sdp_codec[len] = '\0';
        r->sdp_media = m->sdp->media;
    }
    if (!have_t0)
        l->t0_ns = c->start_ns;
    if (opts)
        l->not_drawn += opts->omitted;
    for (size_t i = 0; opts && opts->streams && i < opts->stream_count; i++)
        ladder_add_stream(l, c, &opts->streams[i]);
    for (size_t i = 0; opts && opts->marks && i < opts->mark_count; i++)
        ladder_add_mark(l, &opts->marks[i]);

    ladder_geometry(l);

    /* text lines */
    l->title_lines = (ladder_from_to_fits(l) ? 4 : 5) + 1;
    l->legend_lines = l->legend ? l->col_count : 0;
    uint32_t line = l->title_lines + l->legend_lines + (l->col_count ? 2 : 0);
    l->first_row_line = line;
    for (uint32_t r = 0; r < l->row_count; r++) {
        l->rows[r].line = line;
        line += (l->rows[r].flags & CALL_MSG_SDP) ? 2 : 1;
    }
    l->footer_lines = (l->row_count == 0) + (l->not_drawn > 0) + (c->msg_dropped > 0);
    l->line_count = line + l->footer_lines;
}

size_t ladder_line_count(const struct ladder *l)
{
    return l->line_count;
}

/* ---- drawing ---- */

struct ladder_canvas {
    char b[LADDER_LINE_MAX];
    size_t len; /* characters in use (spaces up to here) */
};

static void canvas_init(struct ladder_canvas *cv)
{
    cv->len = 0;
}

/* Write text at column x, padding with spaces; never beyond LADDER_LINE_MAX - 1. */
static void canvas_put(struct ladder_canvas *cv, size_t x, const char *s, size_t n)
{
    if (x >= LADDER_LINE_MAX - 1)
        return;
    if (n > LADDER_LINE_MAX - 1 - x)
        n = LADDER_LINE_MAX - 1 - x;
    while (cv->len < x)
        cv->b[cv->len++] = ' ';
    memcpy(cv->b + x, s, n);
    if (x + n > cv->len)
        cv->len = x + n;
}

static void canvas_fill(struct ladder_canvas *cv, size_t from, size_t to, char c)
{
    for (size_t x = from; x < to; x++)
        canvas_put(cv, x, &c, 1);
}

/* Copy out without trailing spaces, cut to cap. */
static void canvas_out(const struct ladder_canvas *cv, char *buf, size_t cap)
{
    size_t n = cv->len;
    while (n && cv->b[n - 1] == ' ')
        n--;
    if (cap == 0)
        return;
    if (n > cap - 1)
        n = cap - 1;
    memcpy(buf, cv->b, n);
    buf[n] = '\0';
}

static void canvas_bars(struct ladder_canvas *cv, const struct ladder *l)
{
    for (int k = 0; k < l->col_count; k++)
        canvas_put(cv, l->cols[k].x, "|", 1);
}

/* A title line, cut to the width with '~'. */
static void ladder_title_put(struct ladder_canvas *cv, const struct ladder *l, const char *s)
{
    size_t n = strlen(s);
    if (n > l->width) {
        canvas_put(cv, 0, s, l->width - 1u);
        canvas_put(cv, l->width - 1u, "~", 1);
    } else {
        canvas_put(cv, 0, s, n);
    }
}

enum ladder_title_kind { LT_CALL_ID, LT_FROM, LT_TO, LT_STATE, LT_START, LT_BLANK };

/* Which title line is line i: From and To share a line when it fits. */
static enum ladder_title_kind ladder_title_kind(const struct ladder *l, uint32_t i)
{
    static const enum ladder_title_kind one[] = {LT_CALL_ID, LT_FROM, LT_STATE, LT_START, LT_BLANK};
    static const enum ladder_title_kind two[] = {LT_CALL_ID, LT_FROM,  LT_TO,
                                                 LT_STATE,   LT_START, LT_BLANK};
    if (ladder_from_to_fits(l))
        return i < sizeof one / sizeof one[0] ? one[i] : LT_BLANK;
    return i < sizeof two / sizeof two[0] ? two[i] : LT_BLANK;
}

static void ladder_title(const struct ladder *l, uint32_t i, struct ladder_canvas *cv)
{
    const struct call *c = &l->call;
    char s[LADDER_LINE_MAX], a[CALL_ID_MAX], b[CALL_AOR_MAX], num[32];
    size_t k = 0;
    s[0] = '\0';
    switch (ladder_title_kind(l, i)) {
    case LT_CALL_ID:
        snprintf(s, sizeof s, "Call-ID: %s", LADDER_CLEAN(a, c->call_id) ? a : "-");
        break;
    case LT_FROM:
        LADDER_CLEAN(a, c->from);
        LADDER_CLEAN(b, c->to);
        if (ladder_from_to_fits(l))
            snprintf(s, sizeof s, "From:    %s -> %s", a[0] ? a : "-", b[0] ? b : "-");
        else
            snprintf(s, sizeof s, "From:    %s", a[0] ? a : "-");
        break;
    case LT_TO:
        LADDER_CLEAN(b, c->to);
        snprintf(s, sizeof s, "To:      %s", b[0] ? b : "-");
        break;
    case LT_STATE: {
        const char *st = call_state_name(c->state);
        k = (size_t)snprintf(s, sizeof s, "State:   %s", st ? st : "?");
        if (c->final_code)
            k += (size_t)snprintf(s + k, sizeof s - k, " (%u)", (unsigned)c->final_code);
        k += (size_t)snprintf(s + k, sizeof s - k, ", %lu SIP message%s",
                              (unsigned long)c->sip_messages, c->sip_messages == 1 ? "" : "s");
        if (c->retransmissions)
            snprintf(s + k, sizeof s - k, ", %lu retransmission%s",
                     (unsigned long)c->retransmissions, c->retransmissions == 1 ? "" : "s");
        break;
    }
    case LT_START: {
        if (c->start_ns) {
            char ts[JSON_TS_LEN + 1];
            json_ts_format(c->start_ns, ts); /* 2024-03-01T12:10:00.150000Z */
            ts[10] = ' ';
            ts[23] = '\0';
            k = (size_t)snprintf(s, sizeof s, "Start:   %s UTC", ts);
        } else {
            k = (size_t)snprintf(s, sizeof s, "Start:   -");
        }
        if (c->start_ns && c->ringing_ns && c->ringing_ns >= c->start_ns)
            k += (size_t)snprintf(
                s + k, sizeof s - k, ", setup %s ms",
                ladder_num(num, sizeof num, (double)(c->ringing_ns - c->start_ns) / 1e6, 3));
        if (call_duration_s(c) >= 0)
            snprintf(s + k, sizeof s - k, ", duration %s s",
                     ladder_num(num, sizeof num, call_duration_s(c), 3));
        break;
    }
    case LT_BLANK:
        return;
    }
    ladder_title_put(cv, l, s);
}

/* The label of an arrow in at most `avail` characters (ladder.h gives the order of shortening). */
static size_t ladder_fit_label(const struct ladder_arrow *a, size_t avail, char *out, size_t cap)
{
    char lab[CALL_MSG_LABEL_MAX + 8];
    size_t ln = LADDER_CLEAN(lab, a->label);
    if (ln == 0) {
        if (a->status)
            snprintf(lab, sizeof lab, "%u", (unsigned)a->status);
        else
            snprintf(lab, sizeof lab, "?");
    } else if ((a->flags & CALL_MSG_REINVITE) && strcmp(lab, "INVITE") == 0) {
        snprintf(lab, sizeof lab, "re-INVITE");
    } else if (ln >= CALL_MSG_LABEL_MAX - 1) {
        /* the label filled its field: the recorder cut it ("407 Proxy Authenticatio"); say so */
        lab[ln++] = '~';
        lab[ln] = '\0';
    }
    bool sdp = a->flags & CALL_MSG_SDP, re = a->flags & CALL_MSG_RETRANS;
    const char *const forms[][2] = {
        {sdp ? " (SDP)" : "", re ? " (retrans)" : ""},
        {"", re ? " (retrans)" : ""},
        {"", re ? " (R)" : ""},
    };
    ln = strlen(lab);
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        if (ln + strlen(forms[f][0]) + strlen(forms[f][1]) <= avail) {
            int n = snprintf(out, cap, "%s%s%s", lab, forms[f][0], forms[f][1]);
            return n > 0 ? (size_t)n : 0;
        }
    }
    const char *suffix = re ? " (R)" : "";
    size_t sl = strlen(suffix);
    if (avail < sl + 2) {
        suffix = "";
        sl = 0;
    }
    if (avail < 2) {
        out[0] = '\0';
        return 0;
    }
    int n = snprintf(out, cap, "%.*s~%s", (int)(avail - sl - 1), lab, suffix);
    return n > 0 ? (size_t)n : 0;
}

/* "PCMA 127.0.1.1:16384 sendrecv" in at most avail characters. */
static size_t ladder_fit_sdp(const struct ladder_arrow *a, size_t avail, char *out, size_t cap)
{
    char codec[CALL_CODEC_MAX], media[ADDR_STR_MAX] = "";
    LADDER_CLEAN(codec, a->sdp_codec);
    if (a->sdp_media.ip.family == 4 || a->sdp_media.ip.family == 6)
        endpoint_format(&a->sdp_media, media, sizeof media);
    const char *dir = a->sdp_dir < sizeof ladder_dir_names / sizeof ladder_dir_names[0]
                          ? ladder_dir_names[a->sdp_dir]
                          : "";
    char full[LADDER_LINE_MAX];
    if (!codec[0] && !media[0])
        snprintf(full, sizeof full, "SDP without audio");
    else
        snprintf(full, sizeof full, "%s%s%s%s%s", codec[0] ? codec : "?", media[0] ? " " : "",
                 media, dir[0] ? " " : "", dir);
    size_t n = strlen(full);
    if (n > avail && a->sdp_dir == SDP_DIR_SENDRECV && (codec[0] || media[0])) {
        /* sendrecv is the default (RFC 4566 §6): the first thing to go */
        snprintf(full, sizeof full, "%s%s%s", codec[0] ? codec : "?", media[0] ? " " : "", media);
        n = strlen(full);
    }
    if (n > avail) {
        if (avail < 2) {
            out[0] = '\0';
            return 0;
        }
        full[avail - 1] = '~';
        full[avail] = '\0';
        n = avail;
    }
    snprintf(out, cap, "%s", full);
    return n;
}

/* Text centred in the span between bars lo and hi (exclusive), keeping `margin` free each side. */
static void ladder_centre(struct ladder_canvas *cv, size_t lo, size_t hi, const char *s, size_t n)
{
    size_t inner = hi - lo - 1;
    size_t at = lo + 1 + (inner > n ? (inner - n) / 2 : 0);
    canvas_put(cv, at, s, n);
}

/* Room for the label of a message to itself, written right of its bar: less than one spacing. */
static size_t ladder_self_room(const struct ladder *l)
{
    size_t sp = l->spacing ? l->spacing : LADDER_SPACING_MIN;
    return sp - 6;
}

static void ladder_arrow_line(const struct ladder *l, const struct ladder_arrow *a,
                              struct ladder_canvas *cv)
{
    char t[32], lab[LADDER_LINE_MAX];
    size_t tn = ladder_time_text(l, a->ts_ns, t, sizeof t);
    canvas_put(cv, l->time_width > tn ? l->time_width - tn : 0, t, tn);
    canvas_bars(cv, l);
    size_t xf = l->cols[a->from].x, xt = l->cols[a->to].x;
    if (a->flags & LADDER_ROW_FAULT) {
        /* a fault: '!' across the call, the code in the middle, no arrow head */
        size_t lo = l->cols[a->from].x, hi = l->cols[a->to].x;
        canvas_fill(cv, lo, hi + 1, '!');
        char code[CALL_MSG_LABEL_MAX], mark[CALL_MSG_LABEL_MAX + 4];
        LADDER_CLEAN(code, a->label);
        int n = snprintf(mark, sizeof mark, " %s ", code);
        ladder_centre(cv, lo, hi, mark, n > 0 ? (size_t)n : 0);
        return;
    }
    char fill = (a->flags & LADDER_ROW_STREAM) ? '~' : (a->flags & CALL_MSG_RETRANS) ? '=' : '-';
    if (xf == xt) {
        /* a message to itself: a stub and the label right of the bar */
        size_t n = ladder_fit_label(a, ladder_self_room(l), lab, sizeof lab);
        canvas_put(cv, xf + 1, "<>", 2);
        canvas_put(cv, xf + 4, lab, n);
        return;
    }
    size_t lo = xf < xt ? xf : xt, hi = xf < xt ? xt : xf;
    canvas_fill(cv, lo + 1, hi, fill);
    if (xt > xf)
        canvas_put(cv, hi - 1, ">", 1);
    else
        canvas_put(cv, lo + 1, "<", 1);
    size_t inner = hi - lo - 1;
    size_t n = ladder_fit_label(a, inner > 4 ? inner - 4 : 0, lab, sizeof lab);
    ladder_centre(cv, lo, hi, lab, n);
}

static void ladder_sdp_line(const struct ladder *l, const struct ladder_arrow *a,
                            struct ladder_canvas *cv)
{
    char s[LADDER_LINE_MAX];
    canvas_bars(cv, l);
    size_t xf = l->cols[a->from].x, xt = l->cols[a->to].x;
    if (xf == xt) {
        size_t n = ladder_fit_sdp(a, ladder_self_room(l), s, sizeof s);
        canvas_put(cv, xf + 4, s, n);
        return;
    }
    size_t lo = xf < xt ? xf : xt, hi = xf < xt ? xt : xf;
    size_t inner = hi - lo - 1;
    size_t n = ladder_fit_sdp(a, inner > 2 ? inner - 2 : 0, s, sizeof s);
    ladder_centre(cv, lo, hi, s, n);
}

static void ladder_header(const struct ladder *l, struct ladder_canvas *cv)
{
    for (int k = 0; k < l->col_count; k++) {
        const struct ladder_col *col = &l->cols[k];
        if (l->legend) {
            char letter = (char)('A' + k);
            canvas_put(cv, col->x, &letter, 1);
        } else {
            size_t w = strlen(col->name);
            canvas_put(cv, col->x - ladder_left(w), col->name, w);
        }
    }
}

static void ladder_footer(const struct ladder *l, uint32_t i, struct ladder_canvas *cv)
{
    char s[128];
    const char *lines[3];
    uint32_t n = 0;
    if (l->row_count == 0)
        lines[n++] = "(no SIP messages kept for this call)";
    if (l->not_drawn) {
        snprintf(s, sizeof s, "(%lu more message%s not drawn: over %d messages or %d endpoints)",
                 (unsigned long)l->not_drawn, l->not_drawn == 1 ? "" : "s", LADDER_MAX_ROWS,
                 LADDER_MAX_COLS);
        lines[n++] = s;
    }
    char d[96];
    if (l->call.msg_dropped) {
        snprintf(d, sizeof d, "(%lu message%s not kept by the sensor)",
                 (unsigned long)l->call.msg_dropped, l->call.msg_dropped == 1 ? "" : "s");
        lines[n++] = d;
    }
    if (i < n)
        ladder_title_put(cv, l, lines[i]);
}

bool ladder_line(const struct ladder *l, size_t i, char *buf, size_t cap)
{
    if (i >= l->line_count)
        return false;
    struct ladder_canvas cv;
    canvas_init(&cv);
    uint32_t li = (uint32_t)i;
    uint32_t header = l->title_lines + l->legend_lines;
    uint32_t footer = l->line_count - l->footer_lines;
    if (li < l->title_lines) {
        ladder_title(l, li, &cv);
    } else if (li < header) {
        char s[LADDER_LINE_MAX];
        uint32_t k = li - l->title_lines;
        snprintf(s, sizeof s, "%c  %s", (char)('A' + k), l->cols[k].name);
        canvas_put(&cv, l->time_width + 1u, s, strlen(s));
    } else if (li < l->first_row_line) {
        if (li == header)
            ladder_header(l, &cv);
        else
            canvas_bars(&cv, l);
    } else if (li < footer) {
        /* the arrow whose first line is the last one <= li */
        uint32_t lo = 0, hi = l->row_count;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (l->rows[mid].line <= li)
                lo = mid;
            else
                hi = mid;
        }
        const struct ladder_arrow *a = &l->rows[lo];
        if (li == a->line)
            ladder_arrow_line(l, a, &cv);
        else
            ladder_sdp_line(l, a, &cv);
    } else {
        ladder_footer(l, li - footer, &cv);
    }
    canvas_out(&cv, buf, cap);
    if (cv.len == 0 && cap)
        buf[0] = '\0';
    return true;
}

int ladder_print(FILE *f, const struct ladder *l)
{
    char line[LADDER_LINE_MAX];
    for (size_t i = 0; ladder_line(l, i, line, sizeof line); i++)
        if (fputs(line, f) == EOF || fputc('\n', f) == EOF)
            return -1;
    return 0;
}

/* ---- SVG ---- */

#define LADDER_SVG_COL 220  /* pixels between endpoint lines */
#define LADDER_SVG_LEFT 110 /* first endpoint line */
#define LADDER_SVG_ROW 30   /* pixels per arrow (SDP lines add LADDER_SVG_SDP) */
#define LADDER_SVG_SDP 16
#define LADDER_SVG_TOP 100 /* first arrow, under the title and the headers */
#define LADDER_SVG_CHAR 7  /* width of a 12 px monospace character, for fitting labels */

static int svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        int r;
        switch (*s) {
        case '&':
            r = fputs("&amp;", f);
            break;
        case '<':
            r = fputs("&lt;", f);
            break;
        case '>':
            r = fputs("&gt;", f);
            break;
        case '"':
            r = fputs("&quot;", f);
            break;
        default:
            r = fputc(*s, f);
        }
        if (r == EOF)
            return -1;
    }
    return 0;
}

int ladder_print_svg(FILE *f, const struct ladder *l)
{
    int ncols = l->col_count ? l->col_count : 1;
    unsigned height = LADDER_SVG_TOP + 20;
    for (uint32_t r = 0; r < l->row_count; r++)
        height += LADDER_SVG_ROW + ((l->rows[r].flags & CALL_MSG_SDP) ? LADDER_SVG_SDP : 0);
    unsigned width = LADDER_SVG_LEFT + (unsigned)(ncols - 1) * LADDER_SVG_COL + 130;
    int err = 0;
    char s[LADDER_LINE_MAX];
    struct ladder_canvas cv;

    err |= fprintf(f,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
                   "font-family=\"monospace\" font-size=\"12\">\n",
                   width, height) < 0;
    err |= fputs("<defs><marker id=\"head\" markerWidth=\"10\" markerHeight=\"8\" refX=\"10\" "
                 "refY=\"4\" "
                 "orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\"/></marker></defs>\n",
                 f) == EOF;
    /* title: the text title lines, one <text> each */
    for (uint32_t i = 0; i + 1 < l->title_lines; i++) {
        canvas_init(&cv);
        ladder_title(l, i, &cv);
        canvas_out(&cv, s, sizeof s);
        if (cv.len == 0)
            s[0] = '\0';
        err |= fprintf(f, "<text x=\"8\" y=\"%u\">", 16 + 14 * i) < 0;
        err |= svg_text(f, s);
        err |= fputs("</text>\n", f) == EOF;
    }
    for (int k = 0; k < l->col_count; k++) {
        unsigned x = LADDER_SVG_LEFT + (unsigned)k * LADDER_SVG_COL;
        err |= fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" font-weight=\"bold\">", x,
                       LADDER_SVG_TOP - 20) < 0;
        err |= svg_text(f, l->cols[k].name);
        err |=
            fprintf(f, "</text>\n<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#999\"/>\n",
                    x, LADDER_SVG_TOP - 14, x, height - 10) < 0;
    }
    unsigned y = LADDER_SVG_TOP;
    for (uint32_t r = 0; r < l->row_count; r++) {
        const struct ladder_arrow *a = &l->rows[r];
        unsigned x1 = LADDER_SVG_LEFT + a->from * LADDER_SVG_COL;
        unsigned x2 = LADDER_SVG_LEFT + a->to * LADDER_SVG_COL;
        unsigned span = x1 > x2 ? x1 - x2 : x2 - x1;
        char t[32];
        ladder_time_text(l, a->ts_ns, t, sizeof t);
        err |= fprintf(f, "<text x=\"4\" y=\"%u\">%s</text>\n", y + 4, t) < 0;
        if (x1 == x2) {
            err |= fprintf(f,
                           "<path d=\"M%u,%u h30 v8 h-30\" fill=\"none\" stroke=\"black\" "
                           "marker-end=\"url(#head)\"/>\n",
                           x1, y - 4) < 0;
            span = LADDER_SVG_COL;
            x2 = x1 + LADDER_SVG_COL;
        } else {
            err |= fprintf(f,
                           "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"black\"%s "
                           "marker-end=\"url(#head)\"/>\n",
                           x1, y, x2, y,
                           (a->flags & CALL_MSG_RETRANS) ? " stroke-dasharray=\"5 3\"" : "") < 0;
        }
        unsigned mid = (x1 + x2) / 2;
        ladder_fit_label(a, span / LADDER_SVG_CHAR, s, sizeof s);
        err |= fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">", mid, y - 5) < 0;
        err |= svg_text(f, s);
        err |= fputs("</text>\n", f) == EOF;
        y += LADDER_SVG_ROW;
        if (a->flags & CALL_MSG_SDP) {
            ladder_fit_sdp(a, span / LADDER_SVG_CHAR, s, sizeof s);
            err |= fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" fill=\"#555\">", mid,
                           y - 12) < 0;
            err |= svg_text(f, s);
            err |= fputs("</text>\n", f) == EOF;
            y += LADDER_SVG_SDP;
        }
    }
    err |= fputs("</svg>\n", f) == EOF;
    return err ? -1 : 0;
}
