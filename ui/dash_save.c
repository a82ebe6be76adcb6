/* dash_save.c: the dashboard's save action: the chosen calls' SIP and RTP to a pcap (by the
 * worker), their ladders to text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dash_int.h"

/*
 * The UI cannot read the frame history (it belongs to the worker), so it
 * describes what to keep: the calls' Call-IDs, their RTP streams' endpoint
 * pairs (RTCP on port + 1 goes with them) and the time span they cover, and
 * posts that as a ui_save_req; the worker writes the pcap on its next tick
 * and posts one line saying how it went, which the status line shows. The
 * ladder text is the UI's own to write: the same layout as the `ladder`
 * command at its default width, one call after another, beside the pcap
 * ("sipscope-<Call-ID>.txt"). A call whose detail is no longer held (or not
 * yet published) is still saved by Call-ID and time span, without its RTP.
 */

/* Call-ID -> a file name part: letters, digits, '.', '-' and '_' kept, anything else '_'. */
static void dash_save_name(const char *cid, size_t cap, char *out, size_t out_cap)
{
    size_t n = 0;
    for (size_t i = 0; i < cap && cid[i] && n + 1 < out_cap; i++) {
        unsigned char c = (unsigned char)cid[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        out[n++] = ok ? (char)c : '_';
    }
    if (n == 0 || (n == 1 && out[0] == '.'))
        out[n++] = '_';
    out[n] = '\0';
}

static void dash_save_pair(struct ui_save_req *q, const struct endpoint *src,
                           const struct endpoint *dst)
{
    for (uint32_t i = 0; i < q->pair_count; i++)
        if (endpoint_eq(&q->pair_src[i], src) && endpoint_eq(&q->pair_dst[i], dst))
            return;
    if (q->pair_count < UI_SAVE_ENDPOINTS) {
        q->pair_src[q->pair_count] = *src;
        q->pair_dst[q->pair_count] = *dst;
        q->pair_count++;
    }
}

static void dash_save_span(struct ui_save_req *q, uint64_t a, uint64_t b)
{
    if (a && (!q->from_ns || a < q->from_ns))
        q->from_ns = a;
    if (b > q->to_ns)
        q->to_ns = b;
}

void dash_save_calls(struct dash *d, const uint64_t *ids, size_t n)
{
    if (n == 0)
        return;
    if (n > UI_SAVE_CALLS)
        n = UI_SAVE_CALLS;
    struct ui_save_req *q = &d->req;
    memset(q, 0, sizeof *q);

    /* the file names come from the first call */
    const struct ui_row *first = ids[0] == d->call_id ? &d->call_row : dash_find_row(d, ids[0]);
    if (!first) {
        dash_status(d, "cannot save: the call is no longer in the list");
        return;
    }
    char name[DASH_NAME_MAX];
    dash_save_name(first->call_id, sizeof first->call_id, name, sizeof name);
    char txt[sizeof d->save_txt];
    int k1 = snprintf(q->path, sizeof q->path, "%s/sipscope-%s.pcap", d->save_dir, name);
    int k2 = snprintf(txt, sizeof txt, "%s/sipscope-%s.txt", d->save_dir, name);
    if (k1 < 0 || (size_t)k1 >= sizeof q->path || k2 < 0 || (size_t)k2 >= sizeof txt) {
        dash_status(d, "cannot save: the file name would be too long");
        return;
    }
    FILE *f = fopen(txt, "w");
    if (!f) {
        dash_status(d, "cannot write '%s': %s", txt, strerror(errno));
        return;
    }
    size_t no_detail = 0, missing = 0;
    bool werr = false;
    for (size_t i = 0; i < n; i++) {
        const struct ui_detail *dt = NULL;
        if (ids[i] == d->call_id && d->have_detail)
            dt = d->detail;
        else if (ui_model_detail(d->m, ids[i], d->save_detail))
            dt = d->save_detail;
        const struct ui_row *r = dt ? &dt->row : dash_find_row(d, ids[i]);
        if (!r && ids[i] == d->call_id)
            r = &d->call_row;
        if (!r) {
            missing++;
            continue;
        }
        memcpy(q->call_ids[q->call_count], r->call_id, CALL_ID_MAX);
        q->call_ids[q->call_count][CALL_ID_MAX - 1] = '\0';
        q->call_count++;
        uint64_t end = r->end_ns > r->last_ns ? r->end_ns : r->last_ns;
        if (!r->ended && d->totals.now_ns > end)
            end = d->totals.now_ns; /* still up: everything so far */
        dash_save_span(q, r->start_ns, end);
        if (i && fputc('\n', f) == EOF)
            werr = true;
        if (!dt) {
            no_detail++;
            if (fprintf(f, "Call-ID: %.*s\n(detail not held: no ladder)\n", CALL_ID_MAX,
                        r->call_id) < 0)
                werr = true;
            continue;
        }
        size_t ns = dt->stream_count < UI_DETAIL_STREAMS ? dt->stream_count : UI_DETAIL_STREAMS;
        for (size_t s = 0; s < ns; s++) {
            const struct media_stream *ms = &dt->streams[s];
            struct rtpstream_figures fig;
            rtpstream_figures(&ms->stats, &fig);
            dash_save_pair(q, &ms->src, &ms->dst);
            dash_save_span(q, fig.first_ns, fig.last_ns);
        }
        for (uint16_t m = 0; m < dt->msg_count && m < UI_DETAIL_MSGS; m++)
            dash_save_span(q, dt->msgs[m].ts_ns, dt->msgs[m].ts_ns);
        dash_call_ladder(d, d->save_ladder, dt, LADDER_DEFAULT_WIDTH);
        if (ladder_print(f, d->save_ladder) != 0)
            werr = true;
    }
    if (fclose(f) != 0)
        werr = true;
    if (werr) {
        dash_status(d, "cannot write '%s': %s", txt, strerror(errno));
        return;
    }
    if (!q->call_count) {
        dash_status(d, "nothing to save: the calls are no longer held");
        return;
    }
    ui_model_request_save(d->m, q);
    d->save_pending = true;
    memcpy(d->save_txt, txt, sizeof d->save_txt);
    char extra[96] = "";
    if (no_detail || missing)
        snprintf(extra, sizeof extra, " (%zu without their RTP, %zu gone)", no_detail, missing);
    dash_status(d, "saving %u call%s to %s ...%s", q->call_count, q->call_count == 1 ? "" : "s",
                q->path, extra);
}

void dash_save_poll(struct dash *d)
{
    char msg[DASH_STATUS_MAX / 2];
    if (!ui_model_save_result(d->m, msg, sizeof msg))
        return;
    if (d->save_pending) {
        const char *base = strrchr(d->save_txt, '/');
        dash_status(d, "%s; ladder text in %s", msg, base ? base + 1 : d->save_txt);
    } else
        dash_status(d, "%s", msg);
    d->save_pending = false;
}
