/* dash_call.c: the dashboard's call view: the ladder of one call (RFC 3261 flows), a message's full
 * text, its faults. */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "../exporters/stream.h"
#include "dash_int.h"

/*
 * The ladder is the `ladder` command's layout (exporters/ladder.c), laid
 * out again at each refresh for the width of its pane, so a live call grows
 * under the eyes and a resize redraws it. The column headers stay put; the
 * arrows scroll. The highlighted message is remembered by its index in the
 * detail (messages only ever get appended), and its text is shown beside the
 * ladder on a wide terminal (at least DASH_CALL_WIDE columns), below it on a
 * narrow one. The call's faults, with their evidence and the usual fix, fill
 * a pane at the bottom.
 */

#define DASH_CALL_WIDE 120 /* columns from which the text goes beside the ladder */
#define DASH_CALL_TOP 2    /* title bar and the summary line */
#define DASH_CALL_FOOT 2   /* status line and key bar */

void dash_call_ladder(struct dash *d, struct ladder *l, const struct ui_detail *dt, uint16_t width)
{
    size_t n = dt->msg_count < UI_DETAIL_MSGS ? dt->msg_count : UI_DETAIL_MSGS;
    for (size_t i = 0; i < n; i++)
        d->msg_ptr[i] = &dt->msgs[i];
    size_t ns = dt->stream_count < UI_DETAIL_STREAMS ? dt->stream_count : UI_DETAIL_STREAMS;
    for (size_t i = 0; i < ns; i++)
        d->spans[i] = stream_ladder_span(&dt->streams[i]);
    size_t nf = dt->fault_count < FAULTS_MAX ? dt->fault_count : FAULTS_MAX;
    for (size_t i = 0; i < nf; i++)
        d->fault_marks[i] =
            (struct ladder_mark){dt->faults[i].ts_ns, faults_code_name(dt->faults[i].code)};
    struct ladder_opts lo = {.width = width,
                             .time = LADDER_TIME_RELATIVE,
                             .omitted = dt->msgs_omitted + dt->call.msg_dropped,
                             .streams = d->spans,
                             .stream_count = ns,
                             .marks = d->fault_marks,
                             .mark_count = nf};
    ladder_layout(l, &dt->call, d->msg_ptr, n, &lo);
}

void dash_call_open(struct dash *d, uint64_t id)
{
    d->call_id = id;
    const struct ui_row *r = dash_find_row(d, id);
    if (r)
        d->call_row = *r;
    d->have_detail = false;
    d->cur_msg = -1;
    d->cur_row = 0;
    d->ladder_top = 0;
    d->text_top = 0;
    d->stream_top = 0;
    dash_push(d, DASH_SCREEN_CALL);
}

/* Which message each ladder row draws: the rows are the messages in order, streams and faults
 * inserted by time, and a message the layout could not place (too many columns) skipped. */
static void dash_call_map(struct dash *d)
{
    const struct ladder *l = d->ladder;
    const struct ui_detail *dt = d->detail;
    uint32_t j = 0;
    for (uint32_t r = 0; r < l->row_count; r++) {
        const struct ladder_arrow *a = &l->rows[r];
        d->row_msg[r] = -1;
        if (a->flags & (LADDER_ROW_STREAM | LADDER_ROW_FAULT))
            continue;
        while (j < dt->msg_count &&
               (dt->msgs[j].ts_ns != a->ts_ns ||
                strncmp(dt->msgs[j].label, a->label, sizeof a->label - 1) != 0))
            j++;
        if (j < dt->msg_count)
            d->row_msg[r] = (int32_t)j++;
    }
}

/* The ladder row of the highlighted message; the first message when none is, or it is gone. */
static void dash_call_pick(struct dash *d)
{
    const struct ladder *l = d->ladder;
    int32_t first = -1;
    for (uint32_t r = 0; r < l->row_count; r++) {
        if (d->row_msg[r] < 0)
            continue;
        if (first < 0)
            first = (int32_t)r;
        if (d->row_msg[r] == d->cur_msg) {
            d->cur_row = r;
            return;
        }
    }
    d->cur_row = first >= 0 ? (uint32_t)first : 0;
    d->cur_msg = first >= 0 ? d->row_msg[first] : -1;
}

/* The summary under the title: who, what, how long. */
static void dash_call_summary(struct dash *d, int y, int cols)
{
    const struct ui_row *r = &d->call_row;
    const char *st = call_state_name((enum call_state)r->state);
    char dur[48] = "";
    if (r->answer_ns && r->ended && (r->end_ns || r->last_ns)) {
        uint64_t end = r->end_ns ? r->end_ns : r->last_ns;
        snprintf(dur, sizeof dur, "  duration %.3f s",
                 end > r->answer_ns ? (double)(end - r->answer_ns) / 1e9 : 0.0);
    }
    char line[640];
    snprintf(line, sizeof line, "%s -> %s  ", r->from[0] ? r->from : "?", r->to[0] ? r->to : "?");
    int x = 0;
    dash_put(y, x, cols, A_BOLD, line, strlen(line));
    x += (int)strlen(line);
    snprintf(line, sizeof line, "%s (%u)", st ? st : "?", r->final_code);
    dash_put(y, x, cols - x, dash_attr(d, dash_state_pair(r->state)) | A_BOLD, line, strlen(line));
    x += (int)strlen(line);
    snprintf(line, sizeof line, "  %u msgs  %u streams%s%s", r->msgs, r->streams, dur,
             r->ended ? "" : "  (in progress)");
    dash_put(y, x, cols - x, A_NORMAL, line, strlen(line));
}

/* Attribute of one ladder line in the scrolled part: by the kind of its row. */
static int dash_call_line_attr(struct dash *d, const struct ladder_arrow *a, bool selected)
{
    int at = A_NORMAL;
    if (a->flags & LADDER_ROW_STREAM)
        at = dash_attr(d, DASH_PAIR_CYAN);
    else if (a->flags & LADDER_ROW_FAULT)
        at = dash_attr(d, DASH_PAIR_RED) | A_BOLD;
    else if (a->flags & CALL_MSG_RETRANS)
        at = dash_attr(d, DASH_PAIR_YELLOW);
    else if (a->status >= 300)
        at = dash_attr(d, DASH_PAIR_RED);
    else if (a->status >= 200)
        at = dash_attr(d, DASH_PAIR_GREEN);
    return selected ? at | (int)A_REVERSE : at;
}

static void dash_call_draw_ladder(struct dash *d, int y0, int x0, int h, int w)
{
    const struct ladder *l = d->ladder;
    char buf[LADDER_LINE_MAX];
    size_t cap = (size_t)w + 1 < sizeof buf ? (size_t)w + 1 : sizeof buf;
    /* the legend, the headers and the bars stay at the top */
    int y = y0;
    for (uint32_t li = l->title_lines; li < l->first_row_line && y < y0 + h; li++, y++)
        if (ladder_line(l, li, buf, cap))
            dash_put(y, x0, w, A_BOLD, buf, strlen(buf));
    int area = y0 + h - y;
    if (area <= 0)
        return;
    size_t total = l->line_count - l->first_row_line;
    /* keep the highlighted arrow (and its SDP line) in view */
    if (l->row_count) {
        const struct ladder_arrow *a = &l->rows[d->cur_row];
        size_t s = a->line - l->first_row_line, e = s + ((a->flags & CALL_MSG_SDP) ? 2 : 1);
        if (s < d->ladder_top)
            d->ladder_top = s;
        if (e > d->ladder_top + (size_t)area)
            d->ladder_top = e - (size_t)area;
    }
    if (d->ladder_top + (size_t)area > total)
        d->ladder_top = total > (size_t)area ? total - (size_t)area : 0;
    uint32_t r = 0;
    for (int i = 0; i < area; i++) {
        size_t li = l->first_row_line + d->ladder_top + (size_t)i;
        if (li >= l->line_count || !ladder_line(l, li, buf, cap))
            break;
        int at = A_NORMAL;
        if (li < l->line_count - l->footer_lines && l->row_count) {
            while (r + 1 < l->row_count && l->rows[r + 1].line <= li)
                r++;
            at = dash_call_line_attr(d, &l->rows[r], r == d->cur_row && d->row_msg[r] >= 0);
        }
        if (at & A_REVERSE)
            dash_fill(y + i, x0, w, A_REVERSE);
        dash_put(y + i, x0, w, at, buf, strlen(buf));
    }
    if (d->ladder_top > 0)
        dash_put(y, x0 + w - 1, 1, A_BOLD, "^", 1);
    if (d->ladder_top + (size_t)area < total)
        dash_put(y0 + h - 1, x0 + w - 1, 1, A_BOLD, "v", 1);
}

/*
 * The highlighted message's SIP text, CRLF or LF lines, wrapped at w; lines
 * before text_top are skipped. Bounded by DASH_TEXT_LINES source lines.
 */
static void dash_call_draw_text(struct dash *d, int y0, int x0, int h, int w)
{
    const struct ui_detail *dt = d->detail;
    if (h <= 0 || w <= 0)
        return;
    if (d->cur_msg < 0 || (uint32_t)d->cur_msg >= dt->msg_count) {
        dash_put(y0, x0, w, A_BOLD, "no message", 10);
        return;
    }
    const struct call_msg *m = &dt->msgs[d->cur_msg];
    char src[ADDR_STR_MAX], dst[ADDR_STR_MAX];
    double rel = m->ts_ns >= d->ladder->t0_ns ? (double)(m->ts_ns - d->ladder->t0_ns) / 1e9 : 0;
    dash_putf(y0, x0, w, dash_attr(d, DASH_PAIR_HEADING), "[%d/%u] %s  +%.3f s  %s -> %s",
              d->cur_msg + 1, dt->msg_count, m->label, rel,
              endpoint_format(call_msg_src(&dt->call, m), src, sizeof src),
              endpoint_format(call_msg_dst(&dt->call, m), dst, sizeof dst));
    uint32_t off = dt->text_off[d->cur_msg], len = dt->text_len[d->cur_msg];
    if (len == 0 || off > dt->text_used || len > dt->text_used - off ||
        off + len > sizeof dt->text) {
        dash_put(y0 + 1, x0, w, A_NORMAL, "(the text of this message was not kept)", 39);
        return;
    }
    const char *p = dt->text + off, *end = p + len;
    size_t wrapped = 0; /* wrapped lines so far */
    int y = y0 + 1;
    for (int n = 0; p < end && n < DASH_TEXT_LINES; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r')
            ll--;
        size_t pos = 0;
        do {
            size_t k = ll - pos < (size_t)w ? ll - pos : (size_t)w;
            if (wrapped >= d->text_top) {
                if (y >= y0 + h) {
                    dash_put(y0 + h - 1, x0 + w - 1, 1, A_BOLD, "v", 1);
                    return;
                }
                dash_put(y, x0, w, A_NORMAL, p + pos, k);
                y++;
            }
            wrapped++;
            pos += k;
        } while (pos < ll);
        p = nl ? nl + 1 : end;
    }
    if (d->text_top >= wrapped && wrapped > 0)
        d->text_top = wrapped - 1;
}

/*
 * The fault pane: a heading, then per fault its name and meaning, the
 * evidence and the usual fix, each wrapped at cols. Lines from y on, drawn
 * only within [y0, y1); returns the lines the whole text takes.
 */
static int dash_call_faults(struct dash *d, int y, int y0, int y1, int cols)
{
    const struct ui_detail *dt = d->detail;
    if (!dt->fault_count) {
        if (y >= y0 && y < y1)
            dash_put(y, 0, cols, dash_attr(d, DASH_PAIR_GREEN) | A_BOLD, "No faults found.", 16);
        return 1;
    }
    int red = dash_attr(d, DASH_PAIR_RED) | A_BOLD;
    char buf[FAULT_DETAIL_MAX + 512];
    int n = 0;
    if (y >= y0 && y < y1)
        dash_putf(y, 0, cols, red, "Faults (%u):", dt->fault_count);
    n++;
    for (uint8_t i = 0; i < dt->fault_count && i < FAULTS_MAX; i++) {
        const struct fault *f = &dt->faults[i];
        snprintf(buf, sizeof buf, "%s: %s", faults_code_name(f->code), faults_meaning(f->code));
        n += dash_wrap(y + n, y0, y1, 0, cols, red, buf, strlen(buf));
        snprintf(buf, sizeof buf, "evidence: %.*s", (int)sizeof f->detail, f->detail);
        n += dash_wrap(y + n, y0, y1, 2, cols - 2, A_NORMAL, buf, strlen(buf));
        snprintf(buf, sizeof buf, "fix: %s", faults_advice(f->code));
        n += dash_wrap(y + n, y0, y1, 2, cols - 2, A_NORMAL, buf, strlen(buf));
    }
    return n;
}

void dash_call_draw(struct dash *d)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    char title[CALL_ID_MAX + 16];
    snprintf(title, sizeof title, "Call %.*s", (int)sizeof d->call_row.call_id,
             d->call_row.call_id);
    dash_title(d, title);
    dash_call_summary(d, 1, cols);
    if (!d->have_detail) {
        const char *msg = d->call_row.ended && !d->call_row.detail_kept
                              ? "This call's detail is no longer held: it was evicted from the "
                                "detail store (oldest first). Only its row is left."
                              : "Waiting for this call's detail from the capture (published "
                                "every tick)...";
        dash_put(DASH_CALL_TOP + 1, 2, cols - 4, A_BOLD, msg, strlen(msg));
        return;
    }
    const struct ui_detail *dt = d->detail;
    int content = rows - DASH_CALL_TOP - DASH_CALL_FOOT;
    int need = dash_call_faults(d, 0, 0, 0, cols); /* counts only */
    int fmax = content / 3 > 2 ? content / 3 : 2;
    int fh = need < fmax ? need : fmax;
    int ch = content - fh - 1; /* one line between the content and the faults */
    if (ch < 4)
        ch = 4;
    bool wide = cols >= DASH_CALL_WIDE;
    int lw = wide ? cols * 11 / 20 : cols;
    if (wide && lw < 60)
        lw = 60;
    dash_call_ladder(d, d->ladder, dt, (uint16_t)(lw > LADDER_MIN_WIDTH ? lw : LADDER_MIN_WIDTH));
    dash_call_map(d);
    dash_call_pick(d);
    if (wide) {
        dash_call_draw_ladder(d, DASH_CALL_TOP, 0, ch, lw);
        for (int y = DASH_CALL_TOP; y < DASH_CALL_TOP + ch; y++)
            dash_put(y, lw, 1, A_NORMAL, "|", 1);
        dash_call_draw_text(d, DASH_CALL_TOP, lw + 2, ch, cols - lw - 2);
    } else {
        int lh = ch * 11 / 20;
        if (lh < 4)
            lh = 4;
        dash_call_draw_ladder(d, DASH_CALL_TOP, 0, lh, cols);
        dash_fill(DASH_CALL_TOP + lh, 0, cols, A_NORMAL);
        mvhline(DASH_CALL_TOP + lh, 0, '-', cols);
        dash_call_draw_text(d, DASH_CALL_TOP + lh + 1, 0, ch - lh - 1, cols);
    }
    mvhline(DASH_CALL_TOP + ch, 0, '-', cols);
    int fy = DASH_CALL_TOP + ch + 1, fend = rows - DASH_CALL_FOOT;
    dash_call_faults(d, fy, fy, fend, cols);
    if (need > fend - fy && fend > fy) {
        dash_fill(fend - 1, 0, cols, A_NORMAL);
        dash_put(fend - 1, 0, cols, A_BOLD, "... (the rest: sipscope diagnose --call CALL-ID)", 48);
    }
}

/* Move the highlight by delta messages (rows drawing a stream or a fault are passed over). */
static void dash_call_move(struct dash *d, long delta)
{
    const struct ladder *l = d->ladder;
    if (!d->have_detail || !l->row_count)
        return;
    long r = (long)d->cur_row;
    long step = delta < 0 ? -1 : 1;
    long left = delta < 0 ? -delta : delta;
    long last_ok = r;
    while (left > 0) {
        r += step;
        if (r < 0 || r >= (long)l->row_count)
            break;
        if (d->row_msg[r] >= 0) {
            last_ok = r;
            left--;
        }
    }
    d->cur_row = (uint32_t)last_ok;
    d->cur_msg = d->row_msg[last_ok];
    d->text_top = 0;
}

void dash_call_key(struct dash *d, int ch)
{
    int page = getmaxy(stdscr) / 3;
    if (page < 1)
        page = 1;
    switch (ch) {
    case KEY_UP:
    case 'k':
        dash_call_move(d, -1);
        break;
    case KEY_DOWN:
    case 'j':
        dash_call_move(d, 1);
        break;
    case KEY_PPAGE:
        dash_call_move(d, -page);
        break;
    case KEY_NPAGE:
        dash_call_move(d, page);
        break;
    case KEY_HOME:
    case 'g':
        dash_call_move(d, -(long)LADDER_MAX_ROWS);
        break;
    case KEY_END:
    case 'G':
        dash_call_move(d, (long)LADDER_MAX_ROWS);
        break;
    case 'J':
        d->text_top++;
        break;
    case 'K':
        if (d->text_top)
            d->text_top--;
        break;
    case '\r':
    case '\n':
    case KEY_ENTER:
    case KEY_F(4):
    case 'm':
        d->stream_top = 0;
        dash_push(d, DASH_SCREEN_STREAMS);
        break;
    case KEY_F(2):
    case 's':
        dash_save_calls(d, &d->call_id, 1);
        break;
    case 'q':
    case 27:
    case KEY_LEFT:
        dash_pop(d);
        break;
    default:
        break;
    }
}
