/* dash_list.c: the dashboard's call list: one row per call, sorted and filtered as in sngrep (RFC
 * 3261 call states). */
#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dash_int.h"

/*
 * Each refresh copies the rows (oldest first), then builds the view: the
 * indices of the rows that pass the three filters (text, state, fault), in
 * the order of the sort column. The sort is a stable bottom-up merge sort
 * over the view with one scratch array of the same size (O(n log n), no
 * allocation). The selection follows its call across refreshes; on the
 * first row it stays on the first row, so a list sorted newest first shows
 * each new call under the cursor, like sngrep's autoscroll.
 */

#define DASH_LIST_HEAD 4 /* lines above the first row: title, totals, filters, headings */
#define DASH_LIST_FOOT 2 /* status line, key bar */

static const struct {
    enum fault_code code;
    const char *brief;
} dash_fault_short[] = {
    {FAULT_ONE_WAY_AUDIO, "1way"},    {FAULT_NO_AUDIO, "noaudio"},
    {FAULT_NO_RINGBACK, "noring"},    {FAULT_CODEC_MISMATCH, "codec"},
    {FAULT_AUTH_LOOP, "auth"},        {FAULT_SLOW_SETUP, "slow"},
    {FAULT_NO_BYE, "nobye"},          {FAULT_RTP_TIMEOUT, "rtpto"},
    {FAULT_NAT_PRIVATE_SDP, "nat"},   {FAULT_POOR_QUALITY, "poor"},
    {FAULT_REQUEST_TIMEOUT, "reqto"}, {FAULT_RETRANSMISSION_STORM, "storm"},
};

const char *dash_list_fault_short(enum fault_code c)
{
    for (size_t i = 0; i < sizeof dash_fault_short / sizeof dash_fault_short[0]; i++)
        if (dash_fault_short[i].code == c)
            return dash_fault_short[i].brief;
    return "?";
}

static const char *const dash_col_heading[DASH_COLS] = {
    [DASH_COL_START] = "START", [DASH_COL_FROM] = "FROM",      [DASH_COL_TO] = "TO",
    [DASH_COL_STATE] = "STATE", [DASH_COL_DURATION] = "DUR",   [DASH_COL_CODEC] = "CODEC",
    [DASH_COL_MOS] = "MOS F/R", [DASH_COL_LOSS] = "LOSS% F/R", [DASH_COL_FAULTS] = "FAULTS",
};

/* ---- figures of a row ---- */

/* Talk time: answer to end (now while the call is up); 0 when never answered. */
static uint64_t dash_list_duration(const struct ui_row *r, uint64_t now_ns)
{
    if (!r->answer_ns)
        return 0;
    uint64_t end = r->ended ? (r->end_ns ? r->end_ns : r->last_ns) : now_ns;
    return end > r->answer_ns ? end - r->answer_ns : 0;
}

/* The worse direction's MOS, negative when neither was measured. */
static float dash_list_mos(const struct ui_row *r)
{
    float m = -1;
    for (int i = 0; i < UI_DIRS; i++)
        if (r->mos[i] >= 0 && (m < 0 || r->mos[i] < m))
            m = r->mos[i];
    return m;
}

static float dash_list_loss(const struct ui_row *r)
{
    float l = -1;
    for (int i = 0; i < UI_DIRS; i++)
        if (r->loss_pct[i] > l)
            l = r->loss_pct[i];
    return l;
}

static int dash_list_popcount(uint32_t v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/*
 * "sip:alice@host" -> "alice@host": the scheme says nothing in a column.
 * When even that does not fit w, the user part alone ("alice"), as the
 * calls table prints it.
 */
static const char *dash_list_aor(const char *aor, size_t cap, int w, size_t *len)
{
    size_t n = strnlen(aor, cap);
    static const char *const schemes[] = {"sip:", "sips:", "tel:"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t k = strlen(schemes[i]);
        if (n >= k && strncasecmp(aor, schemes[i], k) == 0) {
            aor += k;
            n -= k;
            break;
        }
    }
    if (n > (size_t)w) {
        const char *at = memchr(aor, '@', n);
        if (at && at > aor)
            n = (size_t)(at - aor);
    }
    *len = n;
    return aor;
}

/* ---- filtering ---- */

/* Case-insensitive substring test over a fixed-size field (bounded: never past cap). */
static bool dash_list_has(const char *hay, size_t cap, const char *needle, size_t nlen)
{
    size_t n = strnlen(hay, cap);
    if (nlen == 0)
        return true;
    for (size_t i = 0; i + nlen <= n; i++)
        if (strncasecmp(hay + i, needle, nlen) == 0)
            return true;
    return false;
}

static bool dash_list_pass(const struct dash *d, const struct ui_row *r)
{
    if (d->state_filter != DASH_STATE_ALL && r->state != d->state_filter)
        return false;
    switch (d->fault_filter) {
    case DASH_FAULT_ALL:
        break;
    case DASH_FAULT_ANY:
        if (!r->faults)
            return false;
        break;
    case DASH_FAULT_NONE:
        if (r->faults)
            return false;
        break;
    default:
        if (!(r->faults & (1u << d->fault_filter)))
            return false;
    }
    size_t nlen = strnlen(d->text_filter, sizeof d->text_filter);
    if (nlen && !dash_list_has(r->from, sizeof r->from, d->text_filter, nlen) &&
        !dash_list_has(r->to, sizeof r->to, d->text_filter, nlen) &&
        !dash_list_has(r->call_id, sizeof r->call_id, d->text_filter, nlen))
        return false;
    return true;
}

/* ---- sorting ---- */

static const char *dash_list_state_word(int f)
{
    if (f == DASH_STATE_ALL)
        return "all";
    const char *s = call_state_name((enum call_state)f);
    return s ? s : "?";
}

static int dash_list_cmp_num(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

static int dash_list_cmp(const struct dash *d, uint32_t ia, uint32_t ib)
{
    const struct ui_row *a = &d->rows[ia], *b = &d->rows[ib];
    int c = 0;
    switch (d->sort_col) {
    case DASH_COL_START:
        c = dash_list_cmp_num((double)a->start_ns, (double)b->start_ns);
        break;
    case DASH_COL_FROM:
        c = strncasecmp(a->from, b->from, sizeof a->from);
        break;
    case DASH_COL_TO:
        c = strncasecmp(a->to, b->to, sizeof a->to);
        break;
    case DASH_COL_STATE:
        c = strcmp(dash_list_state_word(a->state), dash_list_state_word(b->state));
        break;
    case DASH_COL_DURATION:
        c = dash_list_cmp_num((double)dash_list_duration(a, d->totals.now_ns),
                              (double)dash_list_duration(b, d->totals.now_ns));
        break;
    case DASH_COL_CODEC:
        c = strncasecmp(a->codec, b->codec, sizeof a->codec);
        break;
    case DASH_COL_MOS:
        c = dash_list_cmp_num(dash_list_mos(a), dash_list_mos(b));
        break;
    case DASH_COL_LOSS:
        c = dash_list_cmp_num(dash_list_loss(a), dash_list_loss(b));
        break;
    case DASH_COL_FAULTS:
        c = dash_list_popcount(a->faults) - dash_list_popcount(b->faults);
        if (!c)
            c = dash_list_cmp_num(a->faults, b->faults);
        break;
    case DASH_COLS:
        break;
    }
    if (!c)
        c = dash_list_cmp_num((double)a->id, (double)b->id);
    return d->sort_desc ? -c : c;
}

/* Bottom-up merge sort of d->view[0..n) with d->sort_tmp as scratch. */
static void dash_list_sort(struct dash *d)
{
    size_t n = d->view_count;
    uint32_t *src = d->view, *dst = d->sort_tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = dash_list_cmp(d, src[i], src[j]) <= 0 ? src[i++] : src[j++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != d->view)
        memcpy(d->view, src, n * sizeof *src);
}

static int dash_list_page(void)
{
    int p = getmaxy(stdscr) - DASH_LIST_HEAD - DASH_LIST_FOOT;
    return p > 1 ? p : 1;
}

static void dash_list_clamp(struct dash *d)
{
    if (d->view_count == 0) {
        d->sel = d->top = 0;
        d->sel_id = 0;
        return;
    }
    if (d->sel >= d->view_count)
        d->sel = d->view_count - 1;
    size_t page = (size_t)dash_list_page();
    if (d->sel < d->top)
        d->top = d->sel;
    if (d->sel >= d->top + page)
        d->top = d->sel - page + 1;
    if (d->top + page > d->view_count)
        d->top = d->view_count > page ? d->view_count - page : 0;
    d->sel_id = d->rows[d->view[d->sel]].id;
    d->follow = d->sel == 0;
}

void dash_list_rebuild(struct dash *d)
{
    d->view_count = 0;
    for (size_t i = 0; i < d->row_count; i++)
        if (dash_list_pass(d, &d->rows[i]))
            d->view[d->view_count++] = (uint32_t)i;
    dash_list_sort(d);
    if (d->follow || !d->sel_id) {
        d->sel = 0;
    } else {
        size_t i = 0;
        while (i < d->view_count && d->rows[d->view[i]].id != d->sel_id)
            i++;
        if (i < d->view_count)
            d->sel = i;
    }
    dash_list_clamp(d);
}

/* ---- drawing ---- */

struct dash_list_cols {
    int x[DASH_COLS];
    int w[DASH_COLS];
};

/*
 * Widths: the fixed columns as wide as their widest value, from and to
 * share what is left with the faults (a quarter of it, at least 5), so
 * 80 columns give from/to 8 or 9 characters each and 120 give 23.
 */
static void dash_list_layout(int cols, struct dash_list_cols *c)
{
    static const int fixed[DASH_COLS] = {
        [DASH_COL_START] = 8, [DASH_COL_STATE] = 9, [DASH_COL_DURATION] = 8,
        [DASH_COL_CODEC] = 5, [DASH_COL_MOS] = 9,   [DASH_COL_LOSS] = 9,
    };
    int used = 2 + DASH_COLS - 1; /* mark column and one blank between columns */
    for (int i = 0; i < DASH_COLS; i++)
        used += fixed[i];
    int rest = cols - used;
    if (rest < 15)
        rest = 15;
    int fw = rest / 4;
    if (fw < 5)
        fw = 5;
    int each = (rest - fw) / 2;
    if (each > 40)
        each = 40;
    for (int i = 0; i < DASH_COLS; i++)
        c->w[i] = fixed[i];
    c->w[DASH_COL_FROM] = each;
    c->w[DASH_COL_TO] = rest - fw - each > 40 ? 40 : rest - fw - each;
    c->w[DASH_COL_FAULTS] = rest - c->w[DASH_COL_FROM] - c->w[DASH_COL_TO];
    int x = 2;
    for (int i = 0; i < DASH_COLS; i++) {
        c->x[i] = x;
        x += c->w[i] + 1;
    }
}

static void dash_list_faults_text(uint32_t faults, int w, char *out, size_t cap)
{
    out[0] = '\0';
    if (!faults || cap < 8)
        return;
    /* full names when they all fit, else short ones, else as many as fit and "+N" */
    for (int pass = 0; pass < 2; pass++) {
        size_t n = 0;
        out[0] = '\0';
        for (int c = 0; c < FAULT__COUNT; c++) {
            if (!(faults & (1u << c)))
                continue;
            const char *name = pass ? dash_list_fault_short((enum fault_code)c)
                                    : faults_code_name((enum fault_code)c);
            int k = snprintf(out + n, cap - n, "%s%s", n ? "," : "", name);
            if (k < 0 || (size_t)k >= cap - n)
                break;
            n += (size_t)k;
        }
        if ((int)n <= w)
            return;
    }
    size_t n = 0;
    int shown = 0, total = dash_list_popcount(faults);
    out[0] = '\0';
    for (int c = 0; c < FAULT__COUNT; c++) {
        if (!(faults & (1u << c)))
            continue;
        const char *name = dash_list_fault_short((enum fault_code)c);
        char more[16];
        snprintf(more, sizeof more, "+%d", total - shown - 1);
        size_t need = n + (n ? 1 : 0) + strlen(name) + (shown + 1 < total ? strlen(more) + 1 : 0);
        if ((int)need > w)
            break;
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", name);
        shown++;
    }
    if (shown < total)
        snprintf(out + n, cap - n, "%s+%d", n ? "," : "", total - shown);
}

static void dash_list_pair_text(const float v[UI_DIRS], bool pct, char *out, size_t cap)
{
    char a[UI_DIRS][12];
    for (int i = 0; i < UI_DIRS; i++) {
        if (v[i] < 0)
            snprintf(a[i], sizeof a[i], "-");
        else if (pct && v[i] >= 10)
            snprintf(a[i], sizeof a[i], "%.0f", (double)v[i]);
        else if (pct)
            snprintf(a[i], sizeof a[i], "%.1f", (double)v[i]);
        else
            snprintf(a[i], sizeof a[i], "%.2f", (double)v[i]);
    }
    snprintf(out, cap, "%s/%s", a[0], a[1]);
}

static bool dash_list_marked(const struct dash *d, uint64_t id)
{
    for (size_t i = 0; i < d->mark_count; i++)
        if (d->marks[i] == id)
            return true;
    return false;
}

static void dash_list_row(struct dash *d, int y, const struct ui_row *r, bool selected,
                          const struct dash_list_cols *c, int cols)
{
    int base = selected ? A_REVERSE : A_NORMAL;
    if (selected)
        dash_fill(y, 0, cols, base);
    char buf[256];
    if (dash_list_marked(d, r->id))
        dash_put(y, 0, 1, base | A_BOLD, "*", 1);
    dash_clock(r->start_ns, buf, sizeof buf);
    dash_put(y, c->x[DASH_COL_START], c->w[DASH_COL_START], base, buf, strlen(buf));
    /* both as users when either address does not fit its column */
    size_t nf, nt, full_f, full_t;
    const char *sf = dash_list_aor(r->from, sizeof r->from, INT_MAX, &full_f);
    const char *st_ = dash_list_aor(r->to, sizeof r->to, INT_MAX, &full_t);
    bool users = full_f > (size_t)c->w[DASH_COL_FROM] || full_t > (size_t)c->w[DASH_COL_TO];
    sf = dash_list_aor(r->from, sizeof r->from, users ? 0 : INT_MAX, &nf);
    st_ = dash_list_aor(r->to, sizeof r->to, users ? 0 : INT_MAX, &nt);
    dash_put(y, c->x[DASH_COL_FROM], c->w[DASH_COL_FROM], base, sf, nf);
    dash_put(y, c->x[DASH_COL_TO], c->w[DASH_COL_TO], base, st_, nt);
    const char *st = call_state_name((enum call_state)r->state);
    st = st ? st : "?";
    dash_put(y, c->x[DASH_COL_STATE], c->w[DASH_COL_STATE],
             base | dash_attr(d, dash_state_pair(r->state)), st, strlen(st));
    uint64_t dur = dash_list_duration(r, d->totals.now_ns);
    if (r->answer_ns) {
        uint64_t sec = dur / 1000000000u;
        if (sec >= 3600)
            snprintf(buf, sizeof buf, "%llu:%02u:%02u", (unsigned long long)(sec / 3600),
                     (unsigned)(sec / 60 % 60), (unsigned)(sec % 60));
        else
            snprintf(buf, sizeof buf, "%02u:%02u", (unsigned)(sec / 60), (unsigned)(sec % 60));
    } else {
        snprintf(buf, sizeof buf, "-");
    }
    dash_putf(y, c->x[DASH_COL_DURATION], c->w[DASH_COL_DURATION], base, "%*s",
              c->w[DASH_COL_DURATION], buf);
    dash_put(y, c->x[DASH_COL_CODEC], c->w[DASH_COL_CODEC], base, r->codec,
             strnlen(r->codec, sizeof r->codec));
    dash_list_pair_text(r->mos, false, buf, sizeof buf);
    float worst = dash_list_mos(r);
    enum dash_pair mp = worst < 0     ? DASH_PAIR_NONE
                        : worst < 3.5 ? DASH_PAIR_RED
                        : worst < 4.0 ? DASH_PAIR_YELLOW
                                      : DASH_PAIR_GREEN;
    dash_put(y, c->x[DASH_COL_MOS], c->w[DASH_COL_MOS], base | dash_attr(d, mp), buf, strlen(buf));
    dash_list_pair_text(r->loss_pct, true, buf, sizeof buf);
    dash_put(y, c->x[DASH_COL_LOSS], c->w[DASH_COL_LOSS],
             base | (dash_list_loss(r) > 0 ? dash_attr(d, DASH_PAIR_YELLOW) : 0), buf, strlen(buf));
    dash_list_faults_text(r->faults, c->w[DASH_COL_FAULTS], buf, sizeof buf);
    dash_put(y, c->x[DASH_COL_FAULTS], c->w[DASH_COL_FAULTS], base | dash_attr(d, DASH_PAIR_RED),
             buf, strlen(buf));
}

static const char *dash_list_fault_word(int f)
{
    switch (f) {
    case DASH_FAULT_ALL:
        return "all";
    case DASH_FAULT_ANY:
        return "any fault";
    case DASH_FAULT_NONE:
        return "no fault";
    default:
        return faults_code_name((enum fault_code)f);
    }
}

void dash_list_draw(struct dash *d)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    const struct ui_totals *t = &d->totals;
    char title[256];
    snprintf(title, sizeof title, "sipscope dashboard: %s", d->o->source ? d->o->source : "?");
    dash_title(d, title);

    /* totals: the most telling first, so 80 columns keep them */
    char line[512];
    int n = snprintf(line, sizeof line,
                     "calls %llu  active %u  calls/s %.1f  pkts/s %.0f  drops %llu  evictions %llu"
                     "  packets %llu",
                     (unsigned long long)t->calls, t->active, t->calls_per_s, t->packets_per_s,
                     (unsigned long long)(t->drops_kernel + t->drops_ring),
                     (unsigned long long)t->evictions, (unsigned long long)t->packets);
    if (t->kafka_lost && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  kafka lost %llu",
                      (unsigned long long)t->kafka_lost);
    if (t->rows_evicted && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  rows dropped %llu",
                      (unsigned long long)t->rows_evicted);
    if (t->parse_errors && n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "  parse errors %llu",
                 (unsigned long long)t->parse_errors);
    dash_put(1, 0, cols, A_BOLD, line, strlen(line));

    const char *dir = d->sort_desc ? "v" : "^";
    snprintf(line, sizeof line,
             "filter /%s/  state %s  fault %s  sort %s %s  marked %zu  showing %zu of %zu",
             d->text_filter, dash_list_state_word(d->state_filter),
             dash_list_fault_word(d->fault_filter), dash_col_heading[d->sort_col], dir,
             d->mark_count, d->view_count, d->row_count);
    dash_put(2, 0, cols, A_NORMAL, line, strlen(line));

    struct dash_list_cols c;
    dash_list_layout(cols, &c);
    int ha = dash_attr(d, DASH_PAIR_HEADING);
    dash_fill(3, 0, cols, ha);
    for (int i = 0; i < DASH_COLS; i++) {
        char h[32];
        snprintf(h, sizeof h, "%s%s%s", dash_col_heading[i], i == (int)d->sort_col ? " " : "",
                 i == (int)d->sort_col ? dir : "");
        dash_put(3, c.x[i], c.w[i], ha, h, strlen(h));
    }

    int page = rows - DASH_LIST_HEAD - DASH_LIST_FOOT;
    if (d->view_count == 0) {
        const char *msg =
            d->row_count ? "no call matches the filters (c clears them)" : "no calls yet";
        dash_put(DASH_LIST_HEAD, 2, cols - 2, A_BOLD, msg, strlen(msg));
        return;
    }
    for (int i = 0; i < page && d->top + (size_t)i < d->view_count; i++) {
        size_t v = d->top + (size_t)i;
        dash_list_row(d, DASH_LIST_HEAD + i, &d->rows[d->view[v]], v == d->sel, &c, cols);
    }
}

/* ---- keys ---- */

static void dash_list_move(struct dash *d, long delta)
{
    if (d->view_count == 0)
        return;
    long s = (long)d->sel + delta;
    if (s < 0)
        s = 0;
    if (s >= (long)d->view_count)
        s = (long)d->view_count - 1;
    d->sel = (size_t)s;
    dash_list_clamp(d);
}

static void dash_list_toggle_mark(struct dash *d)
{
    if (!d->sel_id)
        return;
    for (size_t i = 0; i < d->mark_count; i++) {
        if (d->marks[i] == d->sel_id) {
            d->marks[i] = d->marks[--d->mark_count];
            return;
        }
    }
    if (d->mark_count == DASH_MARK_MAX) {
        dash_status(d, "at most %d calls can be marked at once", DASH_MARK_MAX);
        return;
    }
    d->marks[d->mark_count++] = d->sel_id;
}

static void dash_list_edit_key(struct dash *d, int ch)
{
    switch (ch) {
    case 27: /* Esc: the filter stays as it was */
        d->editing = false;
        return;
    case '\r':
    case '\n':
    case KEY_ENTER:
        d->editing = false;
        memcpy(d->text_filter, d->edit, d->edit_len);
        d->text_filter[d->edit_len] = '\0';
        d->follow = true;
        dash_list_rebuild(d);
        return;
    case KEY_BACKSPACE:
    case 127:
    case 8:
        if (d->edit_len)
            d->edit_len--;
        return;
    case 21: /* ^U */
        d->edit_len = 0;
        return;
    default:
        if (ch >= 0x20 && ch < 0x7f && d->edit_len + 1 < sizeof d->edit)
            d->edit[d->edit_len++] = (char)ch;
    }
}

/* The calls a save takes: the marked ones, else the one under the cursor. */
static void dash_list_save(struct dash *d)
{
    if (d->mark_count) {
        dash_save_calls(d, d->marks, d->mark_count);
        return;
    }
    if (!d->sel_id) {
        dash_status(d, "no call to save");
        return;
    }
    dash_save_calls(d, &d->sel_id, 1);
}

void dash_list_key(struct dash *d, int ch)
{
    if (d->editing) {
        dash_list_edit_key(d, ch);
        return;
    }
    long page = dash_list_page();
    switch (ch) {
    case KEY_UP:
    case 'k':
        dash_list_move(d, -1);
        break;
    case KEY_DOWN:
    case 'j':
        dash_list_move(d, 1);
        break;
    case KEY_PPAGE:
        dash_list_move(d, -page);
        break;
    case KEY_NPAGE:
        dash_list_move(d, page);
        break;
    case KEY_HOME:
    case 'g':
        dash_list_move(d, -(long)d->view_count);
        break;
    case KEY_END:
    case 'G':
        dash_list_move(d, (long)d->view_count);
        break;
    case ' ':
        dash_list_toggle_mark(d);
        dash_list_move(d, 1);
        break;
    case '\r':
    case '\n':
    case KEY_ENTER:
        if (d->sel_id)
            dash_call_open(d, d->sel_id);
        break;
    case KEY_F(2):
    case 's':
        dash_list_save(d);
        break;
    case '/':
        d->editing = true;
        d->edit_len = strnlen(d->text_filter, sizeof d->text_filter);
        memcpy(d->edit, d->text_filter, d->edit_len);
        break;
    case 't':
        d->state_filter = d->state_filter == DASH_STATE_ALL       ? CALL_STATE_TRYING
                          : d->state_filter >= CALL_STATE_TIMEOUT ? DASH_STATE_ALL
                                                                  : d->state_filter + 1;
        d->follow = true;
        dash_list_rebuild(d);
        break;
    case 'f':
        d->fault_filter = d->fault_filter == DASH_FAULT_ALL     ? DASH_FAULT_ANY
                          : d->fault_filter == DASH_FAULT_ANY   ? 0
                          : d->fault_filter == DASH_FAULT_NONE  ? DASH_FAULT_ALL
                          : d->fault_filter + 1 >= FAULT__COUNT ? DASH_FAULT_NONE
                                                                : d->fault_filter + 1;
        d->follow = true;
        dash_list_rebuild(d);
        break;
    case 'c':
    case 27:
        d->text_filter[0] = '\0';
        d->state_filter = DASH_STATE_ALL;
        d->fault_filter = DASH_FAULT_ALL;
        dash_list_rebuild(d);
        break;
    case 'u':
        d->mark_count = 0;
        break;
    case '<':
        d->sort_col = d->sort_col == 0 ? DASH_COLS - 1 : d->sort_col - 1;
        dash_list_rebuild(d);
        break;
    case '>':
        d->sort_col = d->sort_col + 1 >= DASH_COLS ? 0 : d->sort_col + 1;
        dash_list_rebuild(d);
        break;
    case 'z':
    case 'r':
        d->sort_desc = !d->sort_desc;
        dash_list_rebuild(d);
        break;
    case 'q':
    case KEY_F(10):
        d->done = true;
        break;
    default:
        break;
    }
}
