/* output.c: the sinks behind the commands: calls table, CDR JSON lines, ladders, registrations. */
#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "../decoders/faults.h"
#include "cdr.h"
#include "json.h"
#include "ladder.h"
#include "stream.h"
#include "table.h"

#define OUTPUT_MAX_SPANS 16 /* streams drawn per ladder; more are counted as not drawn */
/* Room for one stream object in a CDR (about 1.2 KB, 3 KB with RTCP, 16 DTMF digits and an
 * escaped Call-ID): the line holds every stream a call can have (decoders/media.h). */
#define OUTPUT_STREAM_JSON_MAX 4096

struct output {
    struct output_options o;
    uint64_t sequence; /* CDRs written: the per-sensor de-duplication counter */
    uint64_t calls;    /* calls handed to this sink */
    bool header_done;
    bool call_found;
    bool write_failed;
    uint64_t cdrs_lost;              /* CDRs that could not be formatted (never expected) */
    const struct correlate *co;      /* set while a call's CDR is written, for its streams */
    struct fault faults[FAULTS_MAX]; /* the call being written */
    size_t fault_count;
    const struct media_stream *streams[OUTPUT_MAX_SPANS];
    struct stream_quality quality[OUTPUT_MAX_SPANS]; /* of streams[], computed once per call */
    size_t stream_count;
    char line[CDR_LINE_MAX + MEDIA_MAX_STREAMS_PER_CALL * OUTPUT_STREAM_JSON_MAX];
    struct ladder ladder; /* one layout at a time, reused */
    const struct call_msg *msgs[LADDER_MAX_ROWS];
    struct ladder_stream spans[OUTPUT_MAX_SPANS];
    struct ladder_mark marks[FAULTS_MAX];
};

static void write_line(struct output *out, const char *s, size_t len)
{
    if (fwrite(s, 1, len, out->o.out) != len || fputc('\n', out->o.out) == EOF)
        out->write_failed = true;
}

/* Run the fault rules over the call being written (its messages and streams are still held). */
static void diagnose(struct output *out, const struct call *c, const struct correlate *co)
{
    size_t n = 0;
    for (const struct call_msg *m = correlate_first_msg(co, c); m && n < LADDER_MAX_ROWS;
         m = correlate_next_msg(co, m))
        out->msgs[n++] = m;
    const struct media *md = correlate_media(co);
    out->stream_count = 0;
    for (const struct media_stream *s = media_first_stream(md, c);
         s && out->stream_count < OUTPUT_MAX_SPANS; s = media_next_stream(md, s))
        out->streams[out->stream_count++] = s;
    for (size_t k = 0; k < out->stream_count; k++)
        stream_quality(out->streams[k], &out->quality[k]);
    struct faults_input in = {.call = c,
                              .msgs = out->msgs,
                              .msg_count = n,
                              .streams = out->streams,
                              .stream_count = out->stream_count,
                              .end_ns = correlate_clock(co) > c->last_ns ? correlate_clock(co)
                                                                         : c->last_ns};
    out->fault_count = faults_diagnose(&in, &out->o.thresholds, out->faults, FAULTS_MAX);
}

static void cdr_faults(void *ctx, struct json *j, const struct call *c)
{
    (void)c;
    struct output *out = ctx;
    for (size_t i = 0; i < out->fault_count; i++) {
        json_obj_begin(j);
        JSON_KEY(j, "code");
        json_str_cstr(j, faults_code_name(out->faults[i].code));
        JSON_KEY(j, "detail");
        json_str_cstr(j, out->faults[i].detail);
        json_obj_end(j);
    }
}

/* The diagnose command's report for people: a verdict, then each fault explained. */
static void report(struct output *out, const struct call *c)
{
    FILE *f = out->o.out;
    char start[JSON_TS_LEN + 1];
    json_ts_format(c->start_ns, start);
    /* wire data goes to a terminal: printable ASCII only, so it cannot inject escapes */
    char id[CALL_ID_MAX], from[CALL_AOR_MAX], to[CALL_AOR_MAX], detail[FAULT_DETAIL_MAX];
    fprintf(f, "Call %s  %s -> %s  %s (%u)  %s\n", table_printable(c->call_id, id, sizeof id),
            c->from[0] ? table_printable(c->from, from, sizeof from) : "?",
            c->to[0] ? table_printable(c->to, to, sizeof to) : "?", call_state_name(c->state),
            c->final_code, start);
    if (!out->fault_count) {
        fprintf(f, "  verdict: healthy\n\n");
        return;
    }
    fprintf(f, "  verdict:");
    for (size_t i = 0; i < out->fault_count; i++)
        fprintf(f, "%s %s", i ? "," : "", faults_code_name(out->faults[i].code));
    fprintf(f, "\n");
    for (size_t i = 0; i < out->fault_count; i++) {
        const struct fault *ft = &out->faults[i];
        fprintf(f, "\n  %s: %s\n", faults_code_name(ft->code), faults_meaning(ft->code));
        fprintf(f, "    evidence: %s\n", table_printable(ft->detail, detail, sizeof detail));
        fprintf(f, "    usual cause and fix: %s\n", faults_advice(ft->code));
    }
    fprintf(f, "\n");
}

/* The CDR's "streams": the call's RTP streams, as `streams --json` prints them. */
/* The quality of the call's k-th stream s: from diagnose(), or computed now past its cap. */
static const struct stream_quality *output_quality(struct output *out, size_t k,
                                                   const struct media_stream *s,
                                                   struct stream_quality *tmp)
{
    if (k < out->stream_count && out->streams[k] == s)
        return &out->quality[k];
    stream_quality(s, tmp);
    return tmp;
}

static void cdr_streams(void *ctx, struct json *j, const struct call *c)
{
    struct output *out = ctx;
    const struct media *m = correlate_media(out->co);
    size_t k = 0;
    for (const struct media_stream *s = media_first_stream(m, c); s;
         s = media_next_stream(m, s), k++) {
        struct stream_quality tmp;
        /* the CDR writer opened and closes the array */
        stream_write_quality(j, s, output_quality(out, k, s, &tmp));
    }
}

/*
 * Call-level media figures: "mos" and "mos_min" of the worse direction (the
 * lowest of the call's streams that have a score), and "dtmf", the digits of
 * every stream in time order.
 */
static void cdr_media_fields(void *ctx, struct json *j, const struct call *c)
{
    struct output *out = ctx;
    const struct media *m = correlate_media(out->co);
    double mos = -1, mos_min = -1;
    size_t n = 0;
    for (const struct media_stream *s = media_first_stream(m, c); s;
         s = media_next_stream(m, s), n++) {
        struct stream_quality tmp;
        const struct stream_quality *q = output_quality(out, n, s, &tmp);
        if (q->mos.valid && (mos < 0 || q->mos.mos < mos))
            mos = q->mos.mos;
        if (q->mos_min.valid && (mos_min < 0 || q->mos_min.mos < mos_min))
            mos_min = q->mos_min.mos;
    }
    JSON_KEY(j, "mos");
    if (mos >= 0)
        json_double(j, mos, 2);
    else
        json_null(j);
    JSON_KEY(j, "mos_min");
    if (mos_min >= 0)
        json_double(j, mos_min, 2);
    else
        json_null(j);
    /* Merge the streams' digits by time: a call rarely has more than one event stream, so
     * repeated minimum search over the (bounded) per-stream arrays is plenty. */
    JSON_KEY(j, "dtmf");
    json_arr_begin(j);
    uint8_t used[CALL_MAX_MEDIA_ENDPOINTS * 4] = {0};
    for (;;) {
        const struct media_stream *best = NULL;
        uint8_t best_i = 0;
        size_t k = 0, best_k = 0;
        for (const struct media_stream *s = media_first_stream(m, c); s && k < sizeof used;
             s = media_next_stream(m, s), k++) {
            uint8_t i = used[k];
            if (i < s->dtmf_count && (!best || s->dtmf->ns[i] < best->dtmf->ns[best_i])) {
                best = s;
                best_i = i;
                best_k = k;
            }
        }
        if (!best)
            break;
        used[best_k]++;
        json_obj_begin(j);
        JSON_KEY(j, "ts");
        json_ts(j, best->dtmf->ns[best_i]);
        JSON_KEY(j, "digit");
        json_str(j, &best->dtmf->digit[best_i], 1);
        json_obj_end(j);
    }
    json_arr_end(j);
}

static void cdr_line(struct output *out, const struct call *c)
{
    const struct output_emit *e = out->o.emit;
    uint64_t seq = e && e->next_sequence ? e->next_sequence(e->ctx) : ++out->sequence;
    struct cdr_extra x = {.has_sequence = true,
                          .sequence = seq,
                          .sensor_id = out->o.sensor_id,
                          .sensor_host = out->o.sensor_host,
                          .sensor_interface = out->o.sensor_interface,
                          .streams = out->co ? cdr_streams : NULL,
                          .media_fields = out->co ? cdr_media_fields : NULL,
                          .faults = out->co ? cdr_faults : NULL,
                          .ctx = out};
    size_t n = cdr_format(out->line, sizeof out->line, c, &x);
    if (n == 0) {
        /* Cannot happen with the fixed field sizes of struct call; say so rather than lose it. */
        fprintf(stderr, "sipscope: CDR of call '%s' does not fit %zu bytes; skipped\n", c->call_id,
                sizeof out->line);
        out->cdrs_lost++; /* counted, and the exit status says so */
        return;
    }
    if (e)
        e->cdr(e->ctx, seq, c->call_id, strlen(c->call_id), out->line, n);
    else
        write_line(out, out->line, n);
}

static void ladder_call(struct output *out, const struct call *c, const struct correlate *co)
{
    if (out->o.call_id && strcmp(out->o.call_id, c->call_id) != 0)
        return;
    size_t n = 0;
    uint32_t omitted = 0;
    for (const struct call_msg *m = correlate_first_msg(co, c); m; m = correlate_next_msg(co, m)) {
        if (n < LADDER_MAX_ROWS)
            out->msgs[n++] = m;
        else
            omitted++;
    }
    size_t ns = 0;
    const struct media *md = correlate_media(co);
    for (const struct media_stream *s = media_first_stream(md, c); s;
         s = media_next_stream(md, s)) {
        if (ns == OUTPUT_MAX_SPANS) {
            omitted++;
            continue;
        }
        out->spans[ns++] = stream_ladder_span(s);
    }
    for (size_t i = 0; i < out->fault_count; i++)
        out->marks[i] =
            (struct ladder_mark){out->faults[i].ts_ns, faults_code_name(out->faults[i].code)};
    struct ladder_opts lo = {.width = (uint16_t)out->o.width,
                             .time = LADDER_TIME_RELATIVE,
                             .omitted = omitted + c->msg_dropped,
                             .streams = out->spans,
                             .stream_count = ns,
                             .marks = out->marks,
                             .mark_count = out->fault_count};
    ladder_layout(&out->ladder, c, out->msgs, n, &lo);
    if (out->call_found && fputc('\n', out->o.out) == EOF)
        out->write_failed = true;
    if (ladder_print(out->o.out, &out->ladder) != 0)
        out->write_failed = true;
}

static void on_call(void *ctx, const struct call *c, const struct correlate *co)
{
    struct output *out = ctx;
    out->calls++;
    out->co = co;
    diagnose(out, c, co);
    switch (out->o.kind) {
    case OUTPUT_CALLS:
        if (out->o.json) {
            cdr_line(out, c);
        } else {
            if (!out->header_done && table_calls_header(out->o.out) != 0)
                out->write_failed = true;
            out->header_done = true;
            if (table_calls_row(out->o.out, c) != 0)
                out->write_failed = true;
        }
        break;
    case OUTPUT_CDR:
        cdr_line(out, c);
        break;
    case OUTPUT_LADDER:
        ladder_call(out, c, co);
        if (!out->o.call_id || strcmp(out->o.call_id, c->call_id) == 0)
            out->call_found = true;
        break;
    case OUTPUT_DIAGNOSE:
        if (out->o.call_id && strcmp(out->o.call_id, c->call_id) != 0)
            break;
        out->call_found = true;
        if (out->o.json)
            cdr_line(out, c);
        else
            report(out, c);
        break;
    case OUTPUT_REGISTRATIONS:
    case OUTPUT_STREAMS:
        break;
    }
    out->co = NULL;
}

static void on_stream(void *ctx, const struct media_stream *s)
{
    struct output *out = ctx;
    if (out->o.kind != OUTPUT_STREAMS)
        return;
    if (out->o.json) {
        struct json j;
        json_init(&j, out->line, sizeof out->line);
        stream_write(&j, s);
        if (json_ok(&j))
            write_line(out, out->line, j.len);
    } else {
        if (!out->header_done && stream_table_header(out->o.out) != 0)
            out->write_failed = true;
        out->header_done = true;
        if (stream_table_row(out->o.out, s) != 0)
            out->write_failed = true;
    }
}

static void reg_json(struct output *out, const struct registration *r)
{
    char a[ADDR_STR_MAX];
    struct json j;
    json_init(&j, out->line, sizeof out->line);
    json_obj_begin(&j);
    json_key(&j, "aor");
    json_str_opt(&j, r->aor);
    json_key(&j, "contact");
    json_str_opt(&j, r->contact);
    json_key(&j, "call_id");
    json_str_opt(&j, r->call_id);
    json_key(&j, "client");
    json_str_cstr(&j, endpoint_format(&r->client, a, sizeof a));
    json_key(&j, "registrar");
    json_str_cstr(&j, endpoint_format(&r->registrar, a, sizeof a));
    json_key(&j, "first_ts");
    json_ts(&j, r->first_ns);
    json_key(&j, "last_ts");
    json_ts(&j, r->last_ns);
    json_key(&j, "registered_ts");
    json_ts(&j, r->registered_ns);
    json_key(&j, "expires_s");
    if (r->registered)
        json_u64(&j, r->expires_s);
    else
        json_null(&j);
    json_key(&j, "requests");
    json_u64(&j, r->requests);
    json_key(&j, "challenges");
    json_u64(&j, r->challenges);
    json_key(&j, "refreshes");
    json_u64(&j, r->refreshes);
    json_key(&j, "last_code");
    if (r->last_code)
        json_u64(&j, r->last_code);
    else
        json_null(&j);
    json_key(&j, "registered");
    json_bool(&j, r->registered);
    json_key(&j, "unregistered");
    json_bool(&j, r->unregistered);
    /* auth_loop for a registration: challenged again and again, never bound */
    json_key(&j, "faults");
    json_arr_begin(&j);
    if (r->challenges >= out->o.thresholds.auth_loop && !r->registered_ns) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "%u authentication challenges to %u REGISTERs and never registered; last final "
                 "response %u",
                 r->challenges, r->requests, r->last_code);
        json_obj_begin(&j);
        json_key(&j, "code");
        json_str_cstr(&j, faults_code_name(FAULT_AUTH_LOOP));
        json_key(&j, "detail");
        json_str_cstr(&j, detail);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    if (json_ok(&j))
        write_line(out, out->line, j.len);
}

static void on_reg(void *ctx, const struct registration *r)
{
    struct output *out = ctx;
    if (out->o.kind != OUTPUT_REGISTRATIONS)
        return;
    if (out->o.json) {
        reg_json(out, r);
    } else {
        if (!out->header_done && table_regs_header(out->o.out) != 0)
            out->write_failed = true;
        out->header_done = true;
        if (table_regs_row(out->o.out, r) != 0)
            out->write_failed = true;
    }
}

static int on_finish(void *ctx, const struct stats *st)
{
    (void)st;
    struct output *out = ctx;
    if (!out->o.json && !out->header_done) {
        /* A table with no rows still says what it would have held. */
        if (out->o.kind == OUTPUT_CALLS && table_calls_header(out->o.out) != 0)
            out->write_failed = true;
        if (out->o.kind == OUTPUT_REGISTRATIONS && table_regs_header(out->o.out) != 0)
            out->write_failed = true;
        if (out->o.kind == OUTPUT_STREAMS && stream_table_header(out->o.out) != 0)
            out->write_failed = true;
    }
    if (fflush(out->o.out) != 0 || ferror(out->o.out))
        out->write_failed = true;
    if (out->write_failed)
        return -1;
    if (out->cdrs_lost) {
        fprintf(stderr, "sipscope: %llu CDRs were too large to write\n",
                (unsigned long long)out->cdrs_lost);
        return 1;
    }
    if ((out->o.kind == OUTPUT_LADDER || out->o.kind == OUTPUT_DIAGNOSE) && out->o.call_id &&
        !out->call_found) {
        fprintf(stderr, "sipscope: no call with Call-ID '%s' in the input\n", out->o.call_id);
        return 1;
    }
    return 0;
}

static void on_destroy(void *ctx)
{
    free(ctx);
}

bool output_create(const struct output_options *o, struct sink *s)
{
    struct output *out = calloc(1, sizeof *out);
    if (!out)
        return false;
    out->o = *o;
    *s = (struct sink){
        .ctx = out,
        .call_end = on_call,
        .registration = on_reg,
        .stream_end = on_stream,
        .finish = on_finish,
        .destroy = on_destroy,
    };
    return true;
}
