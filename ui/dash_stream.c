/* dash_stream.c: the dashboard's stream view: each RTP stream's figures (RFC 3550 §6.4.1, A.1,
 * A.8), MOS (G.107) and a jitter/loss chart. */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../exporters/stream.h"
#include "dash_int.h"

/*
 * One block per stream: who sends to whom, the Wireshark-style figures
 * (packets, expected, lost, max delta, jitter), the E-model MOS and the
 * worst 10-second window, what RTCP reported, and a chart of the per-second
 * series: jitter as a column of '#' per second (DASH_STREAM_CHART_ROWS high,
 * scaled to the largest second shown, the scale at the left) and the loss of
 * each second on the line under it ('.' none, 1-9 packets, '+' more; blank
 * when nothing arrived that second). The view is taller than a terminal:
 * lines are counted as they are laid down and only those in the window are
 * drawn, so scrolling is a matter of the first line shown.
 */

#define DASH_STREAM_TOP 1 /* the title bar */
#define DASH_STREAM_FOOT 2
#define DASH_STREAM_CHART_ROWS 4 /* height of the jitter chart */
#define DASH_STREAM_GUTTER 16    /* the chart's left labels: the bars start in this column */

/* A virtual page: line numbers from 0, drawn when they fall in [top, top + h). */
struct dash_page {
    size_t line;
    size_t top;
    int y0, h, w;
};

static void dash_page_put(struct dash_page *pg, int x, int attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void dash_page_put(struct dash_page *pg, int x, int attr, const char *fmt, ...)
{
    if (pg->line >= pg->top && pg->line < pg->top + (size_t)pg->h) {
        char buf[LADDER_LINE_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        dash_put(pg->y0 + (int)(pg->line - pg->top), x, pg->w - x, attr, buf, strlen(buf));
    }
}

static void dash_page_next(struct dash_page *pg)
{
    pg->line++;
}

static const char *dash_stream_origin(uint8_t o)
{
    switch ((enum media_origin)o) {
    case MEDIA_ORIGIN_SDP:
        return "from SDP";
    case MEDIA_ORIGIN_LATCHED:
        return "latched";
    case MEDIA_ORIGIN_HEURISTIC:
        return "found by classification";
    }
    return "?";
}

static void dash_stream_rtcp(struct dash *d, struct dash_page *pg, const struct media_rtcp *r)
{
    (void)d;
    if (!r->reports && !r->sender_reports && !r->bye && !r->xr) {
        dash_page_put(pg, 2, A_NORMAL, "RTCP: none seen");
        dash_page_next(pg);
        return;
    }
    char jit[32] = "-", rtt[32] = "-", xr[32] = "";
    if (r->reports && r->jitter_ms >= 0)
        snprintf(jit, sizeof jit, "%.2f ms", r->jitter_ms);
    if (r->rtt_ms >= 0)
        snprintf(rtt, sizeof rtt, "%.2f ms", r->rtt_ms);
    if (r->xr && r->xr_mos_lq >= 0)
        snprintf(xr, sizeof xr, "  XR MOS-LQ %.1f", r->xr_mos_lq);
    if (r->reports)
        dash_page_put(pg, 2, A_NORMAL,
                      "RTCP: %u reports  fraction lost %.1f%%  cumulative lost %d  jitter %s  "
                      "rtt %s  %u SRs%s%s",
                      r->reports, r->fraction_lost * 100.0 / 256.0, r->cumulative_lost, jit, rtt,
                      r->sender_reports, r->bye ? "  BYE" : "", xr);
    else
        dash_page_put(pg, 2, A_NORMAL, "RTCP: no report blocks  rtt %s  %u SRs%s%s", rtt,
                      r->sender_reports, r->bye ? "  BYE" : "", xr);
    dash_page_next(pg);
}

/* The jitter and loss chart of one stream's per-second series. */
static void dash_stream_chart(struct dash *d, struct dash_page *pg, const struct ui_series *se)
{
    int width = pg->w - DASH_STREAM_GUTTER - 1;
    if (se->count == 0 || width < 10) {
        dash_page_put(pg, 2, A_NORMAL, "chart: no per-second samples yet");
        dash_page_next(pg);
        return;
    }
    uint16_t count = se->count < UI_SERIES_MAX ? se->count : UI_SERIES_MAX;
    /* the most recent seconds that fit */
    uint16_t first = count > width ? (uint16_t)(count - width) : 0;
    double jmax = 0;
    for (uint16_t i = first; i < count; i++)
        if (se->s[i].jitter_ms > jmax)
            jmax = se->s[i].jitter_ms;
    double scale = jmax > 0.001 ? jmax : 1.0;
    int cyan = dash_attr(d, DASH_PAIR_CYAN);
    char bar[UI_SERIES_MAX + 1];
    for (int row = 0; row < DASH_STREAM_CHART_ROWS; row++) {
        /* row 0 is the top: a second's column reaches it when jitter > scale * (rows-1-row)/rows */
        double level = scale * (DASH_STREAM_CHART_ROWS - 1 - row) / DASH_STREAM_CHART_ROWS;
        size_t n = 0;
        for (uint16_t i = first; i < count && n < sizeof bar - 1; i++) {
            const struct ui_sample *s = &se->s[i];
            bool any = s->packets || s->jitter_ms > 0;
            bar[n++] = any && s->jitter_ms > level + 1e-9         ? '#'
                       : row == DASH_STREAM_CHART_ROWS - 1 && any ? '_'
                                                                  : ' ';
        }
        bar[n] = '\0';
        if (row == 0)
            dash_page_put(pg, 2, A_NORMAL, "jitter %6.2f|", scale);
        else if (row == DASH_STREAM_CHART_ROWS - 1)
            dash_page_put(pg, 2, A_NORMAL, "    ms   0.00|");
        else
            dash_page_put(pg, 2, A_NORMAL, "             |");
        dash_page_put(pg, DASH_STREAM_GUTTER, cyan, "%s", bar);
        dash_page_next(pg);
    }
    size_t n = 0;
    for (uint16_t i = first; i < count && n < sizeof bar - 1; i++) {
        const struct ui_sample *s = &se->s[i];
        char c = ' ';
        if (s->lost > 9)
            c = '+';
        else if (s->lost > 0)
            c = (char)('0' + s->lost);
        else if (s->packets)
            c = '.';
        bar[n++] = c;
    }
    bar[n] = '\0';
    dash_page_put(pg, 2, A_NORMAL, "lost/second  |");
    dash_page_put(pg, DASH_STREAM_GUTTER, dash_attr(d, DASH_PAIR_YELLOW), "%s", bar);
    dash_page_next(pg);
    /* the time axis: seconds since the stream's first sample, a '+' every ten */
    n = 0;
    for (uint16_t i = first; i < count && n < sizeof bar - 1; i++)
        bar[n++] = (i % 10) == 0 ? '+' : '-';
    bar[n] = '\0';
    dash_page_put(pg, 2, A_NORMAL, "             +");
    dash_page_put(pg, DASH_STREAM_GUTTER, A_NORMAL, "%s", bar);
    dash_page_next(pg);
    char left[24], right[24];
    snprintf(left, sizeof left, "%us", (unsigned)first);
    snprintf(right, sizeof right, "%us", (unsigned)count);
    int span = (int)(count - first);
    dash_page_put(pg, 2, A_NORMAL, "      seconds");
    dash_page_put(pg, DASH_STREAM_GUTTER, A_NORMAL, "%s", left);
    if (span > (int)(strlen(left) + strlen(right)))
        dash_page_put(pg, DASH_STREAM_GUTTER + span - (int)strlen(right), A_NORMAL, "%s", right);
    dash_page_next(pg);
}

static void dash_stream_block(struct dash *d, struct dash_page *pg, size_t i)
{
    const struct ui_detail *dt = d->detail;
    const struct media_stream *s = &dt->streams[i];
    struct stream_quality q;
    stream_quality(s, &q);
    const struct rtpstream_figures *f = &q.f;
    char src[ADDR_STR_MAX], dst[ADDR_STR_MAX];
    const char *party = call_party_name((enum call_party)s->party);
    dash_page_put(pg, 0, dash_attr(d, DASH_PAIR_HEADING), "Stream %zu of %u: %s -> %s", i + 1,
                  dt->stream_count, endpoint_format(&s->src, src, sizeof src),
                  endpoint_format(&s->dst, dst, sizeof dst));
    dash_page_next(pg);
    dash_page_put(pg, 2, A_NORMAL, "SSRC 0x%08X  %s/%u (pt %u)  sent by %s, %s", s->ssrc,
                  s->codec[0] ? s->codec : "?", s->clock_rate, s->pt, party ? party : "unknown",
                  dash_stream_origin(s->origin));
    dash_page_next(pg);
    double span = f->last_ns > f->first_ns ? (double)(f->last_ns - f->first_ns) / 1e9 : 0;
    dash_page_put(
        pg, 2, A_NORMAL, "packets %u  expected %u  lost %d (%.2f%%)  dup %u  late %u  over %.2f s",
        f->packets, f->expected, f->lost, f->lost_pct, f->duplicates, f->out_of_order, span);
    dash_page_next(pg);
    char jit[96] = "jitter not measured (clock rate unknown)";
    if (f->jitter_valid)
        snprintf(jit, sizeof jit, "max jitter %.2f ms  mean jitter %.2f ms", f->max_jitter_ms,
                 f->mean_jitter_ms);
    dash_page_put(pg, 2, A_NORMAL, "max delta %.2f ms  %s", f->max_delta_ms, jit);
    dash_page_next(pg);
    if (q.mos.valid) {
        int mp = dash_attr(d, q.mos.mos < 3.5   ? DASH_PAIR_RED
                              : q.mos.mos < 4.0 ? DASH_PAIR_YELLOW
                                                : DASH_PAIR_GREEN);
        char worst[32] = "-";
        if (q.mos_min.valid)
            snprintf(worst, sizeof worst, "%.2f", q.mos_min.mos);
        dash_page_put(pg, 2, mp | A_BOLD,
                      "MOS %.2f (R %.1f)  worst 10 s window %s  unique loss %u (%.2f%%)", q.mos.mos,
                      q.mos.r_factor, worst, f->lost_unique, f->lost_unique_pct);
    } else {
        dash_page_put(pg, 2, A_NORMAL, "MOS: none (no published E-model values for %s)",
                      s->codec[0] ? s->codec : "this codec");
    }
    dash_page_next(pg);
    dash_stream_rtcp(d, pg, s->rtcp);
    if (i < UI_DETAIL_STREAMS)
        dash_stream_chart(d, pg, &dt->series[i]);
    dash_page_next(pg); /* a blank line between streams */
}

static struct dash_page dash_stream_page(const struct dash *d)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    return (struct dash_page){.line = 0,
                              .top = d->stream_top,
                              .y0 = DASH_STREAM_TOP,
                              .h = rows - DASH_STREAM_TOP - DASH_STREAM_FOOT,
                              .w = cols};
}

void dash_stream_draw(struct dash *d)
{
    char title[CALL_ID_MAX + 32];
    snprintf(title, sizeof title, "Streams of call %.*s", (int)sizeof d->call_row.call_id,
             d->call_row.call_id);
    dash_title(d, title);
    struct dash_page pg = dash_stream_page(d);
    if (!d->have_detail) {
        const char *msg = d->call_row.ended && !d->call_row.detail_kept
                              ? "This call's detail is no longer held (evicted from the detail "
                                "store): no stream figures left."
                              : "Waiting for this call's detail from the capture...";
        dash_put(pg.y0 + 1, 2, pg.w - 4, A_BOLD, msg, strlen(msg));
        return;
    }
    const struct ui_detail *dt = d->detail;
    if (!dt->stream_count) {
        dash_page_put(&pg, 2, A_BOLD, "This call has no RTP stream.");
        return;
    }
    size_t n = dt->stream_count < UI_DETAIL_STREAMS ? dt->stream_count : UI_DETAIL_STREAMS;
    for (size_t i = 0; i < n; i++)
        dash_stream_block(d, &pg, i);
    /* the page's length is known now: keep the window on it */
    if (pg.line > (size_t)pg.h && d->stream_top > pg.line - (size_t)pg.h) {
        d->stream_top = pg.line - (size_t)pg.h;
    } else if (pg.line <= (size_t)pg.h) {
        d->stream_top = 0;
    }
    if (d->stream_top + (size_t)pg.h < pg.line)
        dash_put(pg.y0 + pg.h - 1, pg.w - 1, 1, A_BOLD, "v", 1);
}

void dash_stream_key(struct dash *d, int ch)
{
    struct dash_page pg = dash_stream_page(d);
    switch (ch) {
    case KEY_UP:
    case 'k':
        if (d->stream_top)
            d->stream_top--;
        break;
    case KEY_DOWN:
    case 'j':
        d->stream_top++;
        break;
    case KEY_PPAGE:
        d->stream_top = d->stream_top > (size_t)pg.h ? d->stream_top - (size_t)pg.h : 0;
        break;
    case KEY_NPAGE:
        d->stream_top += (size_t)pg.h;
        break;
    case KEY_HOME:
    case 'g':
        d->stream_top = 0;
        break;
    case KEY_END:
    case 'G':
        d->stream_top = (size_t)-1 / 2;
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
