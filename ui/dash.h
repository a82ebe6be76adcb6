/* dash.h: the live ncurses dashboard: call list, call view (ladder), stream view, help; keys as
 * sngrep users expect. */
#ifndef SIPSCOPE_UI_DASH_H
#define SIPSCOPE_UI_DASH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct dash_options {
    const char *source;   /* title: "eth0", or the capture file's name */
    bool live;            /* -i: q asks to stop capturing; -r: the replay may be over */
    const char *tty;      /* the terminal to open for keys and drawing (NULL: "/dev/tty") */
    const char *save_dir; /* where saved pcaps and ladder texts go (NULL: ".") */
    void (*stop)(void);   /* ask the pipeline to stop reading (q, or the end) */
    uint32_t max_rows;    /* the model's ui_model_config.max_rows (0: UI_DEFAULT_ROWS):
                             rows copied per refresh at most */
};

/*
 * Draw and read keys until the user quits (q on the call list) or *quit
 * turns true (SIGINT/SIGTERM from main's handler). The terminal is restored
 * in every case. Runs on the calling thread; everything it shows comes from
 * copies taken with ui_model_rows/ui_model_detail, and it refreshes a few
 * times a second. Returns 0, or 1 when no terminal could be opened (err).
 */
int dash_run(struct ui_model *m, const struct dash_options *o, const atomic_bool *quit, char *err,
             size_t errlen);

#endif
