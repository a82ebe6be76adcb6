/* dash.c: the dashboard's terminal, main loop and screen stack (ncursesw; keys as in sngrep). */
#include "dash.h"

#include <curses.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../exporters/json.h"
#include "dash_int.h"

/*
 * Threads: this runs on main's thread; the worker fills the model. Every
 * DASH_REFRESH_MS the loop copies the rows (and, in the call and stream
 * views, one call's detail) out of the model under its lock, then draws from
 * the copy. Keys are read with a short wgetch timeout, so the screen follows
 * the capture a few times a second and a key is answered at once.
 *
 * The terminal is the one named by dash_options.tty, opened twice (keys,
 * drawing) and handed to newterm(): standard input may be the capture
 * itself. Every way out of dash_run goes through dash_destroy(), which ends
 * curses (endwin, delscreen) before the files are closed.
 */

/* One screen of the stack: what it draws, how it takes keys. Dispatch table (rule 12). */
struct dash_screen_ops {
    void (*draw)(struct dash *d);
    void (*key)(struct dash *d, int ch);
};

static const struct dash_screen_ops dash_screens[DASH_SCREENS] = {
    [DASH_SCREEN_LIST] = {dash_list_draw, dash_list_key},
    [DASH_SCREEN_CALL] = {dash_call_draw, dash_call_key},
    [DASH_SCREEN_STREAMS] = {dash_stream_draw, dash_stream_key},
    [DASH_SCREEN_HELP] = {dash_help_draw, dash_help_key},
};

/* ---- shared drawing helpers ---- */

int dash_attr(const struct dash *d, enum dash_pair p)
{
    if (p == DASH_PAIR_NONE)
        return A_NORMAL;
    if (d->colour) {
        int a = (int)COLOR_PAIR((int)p);
        if (p == DASH_PAIR_TITLE || p == DASH_PAIR_HEADING || p == DASH_PAIR_KEY)
            a |= A_BOLD;
        return a;
    }
    switch (p) {
    case DASH_PAIR_TITLE:
    case DASH_PAIR_KEY:
        return A_REVERSE;
    case DASH_PAIR_HEADING:
        return A_BOLD | A_UNDERLINE;
    case DASH_PAIR_RED:
        return A_BOLD;
    default:
        return A_NORMAL;
    }
}

void dash_put(int y, int x, int w, int attr, const char *s, size_t len)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    if (y < 0 || y >= rows || x < 0 || x >= cols || w <= 0)
        return;
    if (w > cols - x)
        w = cols - x;
    char buf[LADDER_LINE_MAX];
    size_t n = 0;
    for (size_t i = 0; i < len && n < (size_t)w && n < sizeof buf - 1 && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\t')
            c = ' ';
        buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buf[n] = '\0';
    attron(attr);
    mvaddnstr(y, x, buf, (int)n);
    attroff(attr);
}

void dash_putf(int y, int x, int w, int attr, const char *fmt, ...)
{
    char buf[LADDER_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    dash_put(y, x, w, attr, buf, strlen(buf));
}

int dash_wrap(int y, int y0, int y1, int x, int w, int attr, const char *s, size_t len)
{
    if (w < 1)
        return 0;
    int lines = 0;
    size_t i = 0;
    while (i < len && s[i]) {
        size_t n = len - i < (size_t)w ? len - i : (size_t)w;
        size_t k = strnlen(s + i, n);
        if (k < n)
            n = k;
        if (i + n < len && s[i + n] && s[i + n] != ' ') {
            /* break at the last blank of the line, if any */
            size_t b = n;
            while (b > 0 && s[i + b - 1] != ' ')
                b--;
            if (b > 0)
                n = b;
        }
        if (y + lines >= y0 && y + lines < y1)
            dash_put(y + lines, x, w, attr, s + i, n);
        lines++;
        i += n;
        while (i < len && s[i] == ' ')
            i++;
    }
    return lines ? lines : 1;
}

void dash_fill(int y, int x, int w, int attr)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    if (y < 0 || y >= rows || x < 0 || x >= cols)
        return;
    if (w > cols - x)
        w = cols - x;
    attron(attr);
    mvhline(y, x, ' ', w);
    attroff(attr);
}

void dash_clock(uint64_t ns, char *out, size_t cap)
{
    if (!ns) {
        snprintf(out, cap, "--:--:--");
        return;
    }
    struct json_time t;
    json_time_from_ns(ns, &t);
    snprintf(out, cap, "%02u:%02u:%02u", (unsigned)t.hour, (unsigned)t.min, (unsigned)t.sec);
}

void dash_title(struct dash *d, const char *title)
{
    int cols = getmaxx(stdscr);
    int a = dash_attr(d, DASH_PAIR_TITLE);
    dash_fill(0, 0, cols, a);
    char clk[16], right[96];
    dash_clock(d->totals.now_ns, clk, sizeof clk);
    const char *mode = d->o->live ? "live" : d->totals.input_done ? "replay finished" : "replay";
    snprintf(right, sizeof right, "%s  %s UTC ", mode, clk);
    int rl = (int)strlen(right);
    dash_putf(0, 0, cols - rl - 2, a, " %s", title);
    if (rl < cols)
        dash_put(0, cols - rl, rl, a, right, (size_t)rl);
}

void dash_push(struct dash *d, enum dash_screen s)
{
    if (d->depth < DASH_STACK_MAX)
        d->stack[d->depth++] = s;
}

void dash_pop(struct dash *d)
{
    if (d->depth > 1)
        d->depth--;
}

enum dash_pair dash_state_pair(uint8_t state)
{
    switch ((enum call_state)state) {
    case CALL_STATE_COMPLETED:
        return DASH_PAIR_GREEN;
    case CALL_STATE_ANSWERED:
    case CALL_STATE_RINGING:
        return DASH_PAIR_CYAN;
    case CALL_STATE_CANCELLED:
    case CALL_STATE_BUSY:
        return DASH_PAIR_YELLOW;
    case CALL_STATE_REJECTED:
    case CALL_STATE_TIMEOUT:
        return DASH_PAIR_RED;
    case CALL_STATE_TRYING:
        break;
    }
    return DASH_PAIR_NONE;
}

void dash_status(struct dash *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->status, sizeof d->status, fmt, ap);
    va_end(ap);
}

const struct ui_row *dash_find_row(const struct dash *d, uint64_t id)
{
    /* rows come in start order, and ids grow with the start: binary search, then a scan */
    size_t lo = 0, hi = d->row_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->rows[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < d->row_count && d->rows[lo].id == id)
        return &d->rows[lo];
    for (size_t i = 0; i < d->row_count; i++)
        if (d->rows[i].id == id)
            return &d->rows[i];
    return NULL;
}

/* ---- the key bar and the status line (every screen) ---- */

struct dash_keyhint {
    const char *key;
    const char *what;
};

static const struct dash_keyhint dash_bar_list[] = {
    {"F1", "Help"},   {"Enter", "Open"}, {"Space", "Mark"}, {"F2", "Save"},
    {"/", "Filter"},  {"t", "State"},    {"f", "Fault"},    {"<>", "Sort"},
    {"r", "Reverse"}, {"q", "Quit"},     {NULL, NULL},
};
static const struct dash_keyhint dash_bar_call[] = {
    {"F1", "Help"},       {"Up/Dn", "Message"}, {"PgUp/PgDn", "Scroll"}, {"J/K", "Text"},
    {"Enter", "Streams"}, {"s", "Save"},        {"q", "Back"},           {NULL, NULL},
};
static const struct dash_keyhint dash_bar_streams[] = {
    {"F1", "Help"}, {"Up/Dn", "Scroll"}, {"s", "Save"}, {"q", "Back"}, {NULL, NULL},
};
static const struct dash_keyhint dash_bar_help[] = {
    {"Up/Dn", "Scroll"},
    {"q", "Back"},
    {NULL, NULL},
};
static const struct dash_keyhint *const dash_bars[DASH_SCREENS] = {
    [DASH_SCREEN_LIST] = dash_bar_list,
    [DASH_SCREEN_CALL] = dash_bar_call,
    [DASH_SCREEN_STREAMS] = dash_bar_streams,
    [DASH_SCREEN_HELP] = dash_bar_help,
};

static void dash_keybar(struct dash *d)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    int y = rows - 1, x = 0;
    int ka = dash_attr(d, DASH_PAIR_KEY);
    dash_fill(y, 0, cols, A_NORMAL);
    for (const struct dash_keyhint *k = dash_bars[d->stack[d->depth - 1]]; k->key; k++) {
        int need = (int)(strlen(k->key) + 1 + strlen(k->what) + 1);
        if (x + need > cols)
            break;
        dash_put(y, x, cols - x, ka, k->key, strlen(k->key));
        x += (int)strlen(k->key);
        dash_putf(y, x, cols - x, A_NORMAL, " %s ", k->what);
        x += (int)strlen(k->what) + 2;
    }
}

static void dash_statusline(struct dash *d)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    int y = rows - 2;
    if (d->editing) {
        dash_putf(y, 0, cols, A_BOLD, "/%.*s_", (int)d->edit_len, d->edit);
        dash_put(y, (int)d->edit_len + 3, cols, A_NORMAL,
                 "(Enter applies, Esc cancels; matches From, To, Call-ID)", 55);
        return;
    }
    if (d->status[0])
        dash_put(y, 0, cols, dash_attr(d, DASH_PAIR_YELLOW), d->status, strlen(d->status));
}

/* ---- copying out of the model ---- */

static uint64_t dash_mono_ms(void)
{
    /* UI cadence only: wall time never reaches the model (rule 17 concerns packet time). */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void dash_fetch(struct dash *d)
{
    d->row_count = ui_model_rows(d->m, d->rows, d->row_cap, &d->totals);
    dash_list_rebuild(d);
    if (d->call_id) {
        d->have_detail = ui_model_detail(d->m, d->call_id, d->detail);
        const struct ui_row *r = dash_find_row(d, d->call_id);
        if (d->have_detail)
            d->call_row = d->detail->row;
        else if (r)
            d->call_row = *r;
    }
    dash_save_poll(d);
}

static void dash_draw(struct dash *d)
{
    /* the worker publishes the live detail of the call open, else of the call under the cursor
     * (so that saving an active call finds its streams) */
    uint64_t want = d->call_id ? d->call_id : d->sel_id;
    if (want != d->model_sel) {
        ui_model_select(d->m, want);
        d->model_sel = want;
    }
    erase();
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    if (rows < 6 || cols < 40) {
        dash_putf(0, 0, cols, A_BOLD, "terminal too small (%dx%d); need 40x6", cols, rows);
        refresh();
        return;
    }
    dash_screens[d->stack[d->depth - 1]].draw(d);
    dash_statusline(d);
    dash_keybar(d);
    refresh();
}

/* ---- set-up and teardown ---- */

static void dash_colours(struct dash *d)
{
    if (!has_colors() || start_color() != OK)
        return;
    short bg = COLOR_BLACK;
    if (use_default_colors() == OK)
        bg = -1;
    init_pair(DASH_PAIR_GREEN, COLOR_GREEN, bg);
    init_pair(DASH_PAIR_CYAN, COLOR_CYAN, bg);
    init_pair(DASH_PAIR_YELLOW, COLOR_YELLOW, bg);
    init_pair(DASH_PAIR_RED, COLOR_RED, bg);
    init_pair(DASH_PAIR_TITLE, COLOR_WHITE, COLOR_BLUE);
    init_pair(DASH_PAIR_KEY, COLOR_BLACK, COLOR_CYAN);
    init_pair(DASH_PAIR_HEADING, COLOR_BLACK, COLOR_GREEN);
    d->colour = true;
}

static void dash_destroy(struct dash *d)
{
    if (!d)
        return;
    if (d->scr) {
        endwin();
        delscreen((SCREEN *)d->scr);
    }
    if (d->tty_in)
        fclose(d->tty_in);
    if (d->tty_out)
        fclose(d->tty_out);
    free(d->rows);
    free(d->view);
    free(d->sort_tmp);
    free(d->detail);
    free(d->save_detail);
    free(d->ladder);
    free(d->save_ladder);
    free(d->row_msg);
    free(d);
}

/* Every buffer of the dashboard, sized once; then the terminal. NULL and err on failure. */
static struct dash *dash_create(struct ui_model *m, const struct dash_options *o, char *err,
                                size_t errlen)
{
    struct dash *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->m = m;
    d->o = o;
    d->save_dir = o->save_dir ? o->save_dir : ".";
    d->row_cap = o->max_rows ? o->max_rows : UI_DEFAULT_ROWS;
    d->rows = calloc(d->row_cap, sizeof *d->rows);
    d->view = calloc(d->row_cap, sizeof *d->view);
    d->sort_tmp = calloc(d->row_cap, sizeof *d->sort_tmp);
    d->detail = calloc(1, sizeof *d->detail);
    d->save_detail = calloc(1, sizeof *d->save_detail);
    d->ladder = calloc(1, sizeof *d->ladder);
    d->save_ladder = calloc(1, sizeof *d->save_ladder);
    d->row_msg = calloc(LADDER_MAX_ROWS, sizeof *d->row_msg);
    if (!d->rows || !d->view || !d->sort_tmp || !d->detail || !d->save_detail || !d->ladder ||
        !d->save_ladder || !d->row_msg) {
        snprintf(err, errlen, "out of memory");
        dash_destroy(d);
        return NULL;
    }
    d->stack[0] = DASH_SCREEN_LIST;
    d->depth = 1;
    d->sort_col = DASH_COL_START;
    d->sort_desc = true; /* newest first */
    d->follow = true;
    d->state_filter = DASH_STATE_ALL;
    d->fault_filter = DASH_FAULT_ALL;

    const char *tty = o->tty ? o->tty : "/dev/tty";
    d->tty_in = fopen(tty, "r");
    d->tty_out = d->tty_in ? fopen(tty, "w") : NULL;
    if (!d->tty_in || !d->tty_out) {
        snprintf(err, errlen, "cannot open the terminal '%s': %s", tty, strerror(errno));
        dash_destroy(d);
        return NULL;
    }
    const char *term = getenv("TERM");
    SCREEN *scr = newterm(term && term[0] ? term : NULL, d->tty_out, d->tty_in);
    if (!scr) {
        snprintf(err, errlen, "cannot start the terminal '%s' (TERM=%s)", tty,
                 term ? term : "unset");
        dash_destroy(d);
        return NULL;
    }
    d->scr = scr;
    set_term(scr);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    wtimeout(stdscr, DASH_KEY_WAIT_MS);
    dash_colours(d);
    return d;
}

int dash_run(struct ui_model *m, const struct dash_options *o, const atomic_bool *quit, char *err,
             size_t errlen)
{
    struct dash *d = dash_create(m, o, err, errlen);
    if (!d)
        return 1;
    dash_fetch(d);
    uint64_t last = dash_mono_ms();
    bool dirty = true;
    while (!atomic_load(quit) && !d->done) {
        uint64_t t = dash_mono_ms();
        if (t - last >= DASH_REFRESH_MS) {
            dash_fetch(d);
            last = t;
            dirty = true;
        }
        if (dirty)
            dash_draw(d);
        dirty = false;
        int ch = wgetch(stdscr);
        if (ch == ERR)
            continue;
        dirty = true;
        if (ch == KEY_RESIZE)
            continue;
        enum dash_screen top = d->stack[d->depth - 1];
        if (!d->editing && (ch == '?' || ch == KEY_F(1)) && top != DASH_SCREEN_HELP) {
            d->help_for = top;
            d->help_top = 0;
            dash_push(d, DASH_SCREEN_HELP);
            continue;
        }
        dash_screens[top].key(d, ch);
        enum dash_screen now = d->stack[d->depth - 1];
        if (now != top) {
            /* a screen opened or closed: what it shows is copied now, not at the next tick */
            if (now == DASH_SCREEN_LIST) {
                d->call_id = 0;
                d->have_detail = false;
            }
            dash_fetch(d);
            last = dash_mono_ms();
        }
    }
    ui_model_select(m, 0);
    if (o->stop)
        o->stop();
    dash_destroy(d);
    return 0;
}
