/* dash_help.c: the dashboard's help screen: every key of every screen (sngrep's keys where it has
 * one). */
#include <curses.h>
#include <string.h>

#include "dash_int.h"

/* One line of help: a section heading (key NULL), or a key and what it does. */
struct dash_help_line {
    const char *key;
    const char *what;
};

static const struct dash_help_line dash_help_lines[] = {
    {NULL, "Call list"},
    {"Up Down j k", "move the selection"},
    {"PgUp PgDn", "move a page"},
    {"Home End g G", "first / last call"},
    {"Enter", "open the call: ladder, message text, faults"},
    {"Space", "mark or unmark the call for saving (u unmarks all)"},
    {"F2 s", "save the marked calls (else the selected one): sipscope-<Call-ID>.pcap"
             " (SIP and RTP) and .txt (ladder)"},
    {"/", "filter by text in From, To or Call-ID (Enter applies, Esc cancels, empty clears)"},
    {"t", "filter by state: all, trying, ringing, answered, completed, cancelled, busy,"
          " rejected, timeout"},
    {"f", "filter by fault: all, any fault, each fault code, no fault"},
    {"c Esc", "clear every filter"},
    {"< >", "sort by the previous / next column (start, from, to, state, dur, codec, MOS,"
            " loss, faults)"},
    {"z r", "reverse the sort order (newest first by default)"},
    {"q F10", "quit (stops the capture)"},
    {NULL, "Call view"},
    {"Up Down j k", "select the previous / next message (its text is shown)"},
    {"PgUp PgDn", "move a page of messages"},
    {"Home End g G", "first / last message"},
    {"J K", "scroll the message text down / up"},
    {"Enter F4 m", "stream view: figures and jitter/loss charts of the RTP streams"},
    {"F2 s", "save this call (pcap and ladder text)"},
    {"q Esc Left", "back to the call list"},
    {NULL, "Stream view"},
    {"Up Down PgUp PgDn", "scroll"},
    {"F2 s", "save this call"},
    {"q Esc Left", "back to the call view"},
    {NULL, "Everywhere"},
    {"? F1", "this help (q or Esc closes it)"},
    {NULL, "Colours: completed green; answered and ringing cyan; cancelled and busy yellow;"
           " rejected and timeout red. MOS F/R and LOSS% F/R: caller->callee / callee->caller;"
           " '-' not measured."},
};

#define DASH_HELP_COUNT (sizeof dash_help_lines / sizeof dash_help_lines[0])

static int dash_help_page(void)
{
    int h = getmaxy(stdscr) - 1 - 2;
    return h > 1 ? h : 1;
}

/* Lay the help out from line 1 - help_top (wrapped at the width); returns its length in lines. */
static int dash_help_lay(struct dash *d, bool draw)
{
    int cols = getmaxx(stdscr);
    int y0 = 1, y1 = draw ? 1 + dash_help_page() : 1;
    int y = 1 - (int)d->help_top, n = 0;
    for (size_t i = 0; i < DASH_HELP_COUNT; i++) {
        const struct dash_help_line *l = &dash_help_lines[i];
        if (!l->key) {
            n += dash_wrap(y + n, y0, y1, 0, cols, dash_attr(d, DASH_PAIR_HEADING), l->what,
                           strlen(l->what));
            continue;
        }
        if (y + n >= y0 && y + n < y1)
            dash_put(y + n, 2, 18, dash_attr(d, DASH_PAIR_CYAN) | A_BOLD, l->key, strlen(l->key));
        n += dash_wrap(y + n, y0, y1, 21, cols - 21, A_NORMAL, l->what, strlen(l->what));
    }
    return n;
}

void dash_help_draw(struct dash *d)
{
    int cols = getmaxx(stdscr);
    dash_title(d, "sipscope dashboard: help (q or Esc to close)");
    int page = dash_help_page();
    size_t total = (size_t)dash_help_lay(d, false);
    if (d->help_top + (size_t)page > total)
        d->help_top = total > (size_t)page ? total - (size_t)page : 0;
    dash_help_lay(d, true);
    if (d->help_top + (size_t)page < total)
        dash_put(page, cols - 1, 1, A_BOLD, "v", 1);
}

void dash_help_key(struct dash *d, int ch)
{
    switch (ch) {
    case KEY_UP:
    case 'k':
        if (d->help_top)
            d->help_top--;
        break;
    case KEY_DOWN:
    case 'j':
        d->help_top++;
        break;
    case KEY_PPAGE: {
        size_t page = (size_t)dash_help_page();
        d->help_top = d->help_top > page ? d->help_top - page : 0;
        break;
    }
    case KEY_NPAGE:
        d->help_top += (size_t)dash_help_page();
        break;
    case 'q':
    case 27:
    case '?':
    case KEY_F(1):
    case KEY_LEFT:
        dash_pop(d);
        break;
    default:
        break;
    }
}
