/* dash_int.h: state shared by the dashboard's screens (ui/dash*.c only): a panel stack, as sngrep's
 * curses/ does it. */
#ifndef SIPSCOPE_UI_DASH_INT_H
#define SIPSCOPE_UI_DASH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../decoders/faults.h"
#include "../exporters/ladder.h"
#include "dash.h"
#include "model.h"

/*
 * Internal to the dashboard: dash.c owns the terminal, the main loop, the
 * screen stack and the drawing helpers; each screen lives in its own file
 * and is reached through the screen table in dash.c (draw, key, key bar).
 * Everything below is used by the UI thread only: no lock is ever held
 * while any of it is drawn.
 */

#define DASH_REFRESH_MS 200         /* model copied and screen redrawn this often */
#define DASH_KEY_WAIT_MS 100        /* wgetch waits at most this long for a key */
#define DASH_STACK_MAX 4            /* list -> call -> streams, help on top of any */
#define DASH_FILTER_MAX 64          /* bytes of the text filter */
#define DASH_STATUS_MAX 320         /* the status line */
#define DASH_MARK_MAX UI_SAVE_CALLS /* calls marked for saving at once */
#define DASH_TEXT_LINES 4096        /* lines of one message's text walked for drawing */
#define DASH_NAME_MAX 200           /* sanitized Call-ID in a saved file's name */

enum dash_screen {
    DASH_SCREEN_LIST = 0,
    DASH_SCREEN_CALL,
    DASH_SCREEN_STREAMS,
    DASH_SCREEN_HELP,
    DASH_SCREENS
};

/* Call list columns, in the order drawn; the sort keys too. */
enum dash_col {
    DASH_COL_START = 0,
    DASH_COL_FROM,
    DASH_COL_TO,
    DASH_COL_STATE,
    DASH_COL_DURATION,
    DASH_COL_CODEC,
    DASH_COL_MOS,
    DASH_COL_LOSS,
    DASH_COL_FAULTS,
    DASH_COLS
};

/* Colour pairs (with plain attributes as the fallback on a monochrome terminal). */
enum dash_pair {
    DASH_PAIR_NONE = 0,
    DASH_PAIR_GREEN,
    DASH_PAIR_CYAN,
    DASH_PAIR_YELLOW,
    DASH_PAIR_RED,
    DASH_PAIR_TITLE,   /* the top bar */
    DASH_PAIR_KEY,     /* a key in the key bar */
    DASH_PAIR_HEADING, /* column headings */
    DASH_PAIRS
};

/* The state filter cycles through "all" then each call state. */
#define DASH_STATE_ALL (-1)
/* The fault filter: all calls, any fault, one fault code, no fault. */
#define DASH_FAULT_ALL (-1)
#define DASH_FAULT_ANY (-2)
#define DASH_FAULT_NONE (-3)

struct dash {
    struct ui_model *m;
    const struct dash_options *o;
    const char *save_dir;
    FILE *tty_in, *tty_out;
    void *scr; /* SCREEN * of newterm */
    bool colour;
    bool done;          /* q on the list */
    uint64_t model_sel; /* the id last given to ui_model_select */

    enum dash_screen stack[DASH_STACK_MAX];
    int depth;

    /* rows copied from the model, and the filtered, sorted view over them */
    struct ui_row *rows;
    size_t row_cap, row_count;
    struct ui_totals totals;
    uint32_t *view, *sort_tmp; /* indices into rows */
    size_t view_count;

    /* call list */
    size_t sel, top; /* selected view index, first shown */
    uint64_t sel_id; /* the selected call, followed across refreshes */
    bool follow;     /* the selection sits on the first row: stay there */
    enum dash_col sort_col;
    bool sort_desc;
    char text_filter[DASH_FILTER_MAX];
    bool editing; /* the / prompt is open */
    char edit[DASH_FILTER_MAX];
    size_t edit_len;
    int state_filter; /* DASH_STATE_ALL or enum call_state */
    int fault_filter; /* DASH_FAULT_* or enum fault_code */
    uint64_t marks[DASH_MARK_MAX];
    size_t mark_count;

    /* call view and stream view: one call's detail */
    uint64_t call_id;       /* the call open (0: none) */
    struct ui_row call_row; /* its row when it was opened, then refreshed */
    struct ui_detail *detail;
    bool have_detail;
    struct ladder *ladder;
    int32_t *row_msg;  /* ladder row -> index in detail->msgs, -1 for streams/faults */
    int32_t cur_msg;   /* the highlighted message: index in detail->msgs, -1 none yet */
    uint32_t cur_row;  /* its ladder row in the last layout */
    size_t ladder_top; /* first scrolled ladder line shown */
    size_t text_top;   /* first line of the message text shown */
    size_t stream_top; /* first line of the stream view shown */
    size_t help_top;
    enum dash_screen help_for;

    /* saving */
    struct ui_detail *save_detail;
    struct ladder *save_ladder;
    struct ui_save_req req;
    bool save_pending;
    char save_txt[1024]; /* the ladder text written beside the pending pcap */

    /* scratch for building a ladder from a detail */
    const struct call_msg *msg_ptr[UI_DETAIL_MSGS];
    struct ladder_stream spans[UI_DETAIL_STREAMS];
    struct ladder_mark fault_marks[FAULTS_MAX];

    char status[DASH_STATUS_MAX];
};

/* ---- dash.c: shared helpers ---- */

/* Attribute of a colour pair (bold/reverse/underline stand in without colours). */
int dash_attr(const struct dash *d, enum dash_pair p);
/* Text at (y, x), at most w cells, non-printable bytes shown as '?'. */
void dash_put(int y, int x, int w, int attr, const char *s, size_t len);
void dash_putf(int y, int x, int w, int attr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/*
 * Text wrapped at w cells (at a blank when there is one), from line y on,
 * lines before y0 and from y1 on not drawn. Returns the lines it takes.
 */
int dash_wrap(int y, int y0, int y1, int x, int w, int attr, const char *s, size_t len);
/* A whole line in one attribute, padded with blanks to w cells. */
void dash_fill(int y, int x, int w, int attr);
/* The top bar: title at the left, the packet clock and replay state at the right. */
void dash_title(struct dash *d, const char *title);
/* Open another screen on top (the call view, the streams, help). */
void dash_push(struct dash *d, enum dash_screen s);
void dash_pop(struct dash *d);
/* "HH:MM:SS" of a packet time (UTC), "--:--:--" for 0. */
void dash_clock(uint64_t ns, char *out, size_t cap);
/* The colour pair of a call state. */
enum dash_pair dash_state_pair(uint8_t state);
/* Set the status line (the save outcome, a hint). */
void dash_status(struct dash *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The row of call id in the last copy, NULL when not held. */
const struct ui_row *dash_find_row(const struct dash *d, uint64_t id);

/* ---- dash_list.c: the call list ---- */

/* Filter and sort the rows just copied; keep the selection on the same call. */
void dash_list_rebuild(struct dash *d);
void dash_list_draw(struct dash *d);
void dash_list_key(struct dash *d, int ch);
/* Short and full names of fault codes, for the list's column and filter. */
const char *dash_list_fault_short(enum fault_code c);

/* ---- dash_call.c: the call view (ladder, message text, faults) ---- */

/* Open call id (from the list). */
void dash_call_open(struct dash *d, uint64_t id);
/* The detail was copied again: lay the ladder out for the pane width. */
void dash_call_draw(struct dash *d);
void dash_call_key(struct dash *d, int ch);
/*
 * Lay out the ladder of a detail as the ladder command draws it (its
 * streams as bars under the arrows, faults as marks), into l.
 */
void dash_call_ladder(struct dash *d, struct ladder *l, const struct ui_detail *dt, uint16_t width);

/* ---- dash_stream.c: the stream view ---- */

void dash_stream_draw(struct dash *d);
void dash_stream_key(struct dash *d, int ch);

/* ---- dash_save.c: saving calls to a pcap and their ladder text ---- */

/* Save these calls: ask the worker for the pcap, write the ladder text now. */
void dash_save_calls(struct dash *d, const uint64_t *ids, size_t n);
/* Poll the outcome of a pending save into the status line. */
void dash_save_poll(struct dash *d);

/* ---- dash_help.c: the help screen ---- */

void dash_help_draw(struct dash *d);
void dash_help_key(struct dash *d, int ch);

#endif
