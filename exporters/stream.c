/* stream.c: RTP stream records: Wireshark's figures, RFC 3550 loss, E-model MOS, RTCP reports. */
#include "stream.h"

#include "table.h"

#include <string.h>

void stream_quality(const struct media_stream *s, struct stream_quality *q)
{
    memset(q, 0, sizeof *q);
    rtpstream_figures(&s->stats, &q->f);
    struct mos_input in = {
        .codec = sv_make(s->codec, strlen(s->codec)),
        .loss_pct = q->f.lost_unique_pct,
        .burst_r = q->f.burst_ratio,
        .rtt_ms = s->rtcp->rtt_ms,
    };
    q->mos = mos_compute(&in);
    /* The worst window is often the whole stream (short calls, no loss): the same inputs give
     * the same result, so it is not computed twice. */
    if (q->f.window_valid) {
        if (q->f.window_loss_pct != in.loss_pct || q->f.window_burst_ratio != in.burst_r) {
            in.loss_pct = q->f.window_loss_pct;
            in.burst_r = q->f.window_burst_ratio;
            q->mos_min = mos_compute(&in);
        } else {
            q->mos_min = q->mos;
        }
    }
    /* The worst window can never sound better than the whole stream. */
    if (q->mos.valid && (!q->mos_min.valid || q->mos_min.mos > q->mos.mos))
        q->mos_min = q->mos;
}

struct ladder_stream stream_ladder_span(const struct media_stream *s)
{
    struct stream_quality q;
    stream_quality(s, &q);
    struct ladder_stream sp = {.src = s->src,
                               .dst = s->dst,
                               .party = s->party,
                               .first_ns = q.f.first_ns,
                               .last_ns = q.f.last_ns,
                               .packets = q.f.packets,
                               .lost = q.f.lost,
                               .mos = q.mos.valid ? q.mos.mos : -1};
    memcpy(sp.codec, s->codec, strnlen(s->codec, sizeof sp.codec - 1)); /* the rest stays 0 */
    return sp;
}

static void endpoint_str(struct json *j, const struct endpoint *e)
{
    char b[ADDR_STR_MAX];
    json_str_cstr(j, endpoint_format(e, b, sizeof b));
}

static void ms_or_null(struct json *j, double v, bool valid)
{
    if (valid && v >= 0)
        json_double(j, v, 3);
    else
        json_null(j);
}

static void rtcp_write(struct json *j, const struct media_rtcp *r)
{
    if (!r->reports && !r->sender_reports && !r->bye && !r->xr) {
        json_null(j);
        return;
    }
    json_obj_begin(j);
    JSON_KEY(j, "reports");
    json_u64(j, r->reports);
    JSON_KEY(j, "fraction_lost_pct");
    if (r->reports)
        json_double(j, r->fraction_lost * 100.0 / 256.0, 3);
    else
        json_null(j);
    JSON_KEY(j, "cumulative_lost");
    if (r->reports)
        json_i64(j, r->cumulative_lost);
    else
        json_null(j);
    JSON_KEY(j, "jitter_ms");
    ms_or_null(j, r->jitter_ms, r->reports > 0);
    JSON_KEY(j, "rtt_ms");
    ms_or_null(j, r->rtt_ms, true);
    JSON_KEY(j, "sender_reports");
    json_u64(j, r->sender_reports);
    JSON_KEY(j, "bye");
    json_bool(j, r->bye);
    JSON_KEY(j, "xr_mos_lq");
    if (r->xr && r->xr_mos_lq >= 0)
        json_double(j, r->xr_mos_lq, 1);
    else
        json_null(j);
    json_obj_end(j);
}

void stream_write(struct json *j, const struct media_stream *s)
{
    struct stream_quality q;
    stream_quality(s, &q);
    stream_write_quality(j, s, &q);
}

void stream_write_quality(struct json *j, const struct media_stream *s,
                          const struct stream_quality *q)
{
    const struct rtpstream_figures *f = &q->f;
    static const char hex[] = "0123456789ABCDEF";
    char ssrc[11] = "0x";
    for (int k = 0; k < 8; k++)
        ssrc[2 + k] = hex[(s->ssrc >> (28 - 4 * k)) & 15];
    ssrc[10] = '\0';

    json_obj_begin(j);
    JSON_KEY(j, "ssrc");
    json_str_cstr(j, ssrc);
    JSON_KEY(j, "src");
    endpoint_str(j, &s->src);
    JSON_KEY(j, "dst");
    endpoint_str(j, &s->dst);
    JSON_KEY(j, "payload_type");
    json_u64(j, s->pt);
    JSON_KEY(j, "codec");
    json_str_opt(j, s->codec);
    JSON_KEY(j, "clock_rate");
    if (s->clock_rate)
        json_u64(j, s->clock_rate);
    else
        json_null(j);
    JSON_KEY(j, "packets");
    json_u64(j, f->packets);
    JSON_KEY(j, "expected");
    json_u64(j, f->expected);
    JSON_KEY(j, "lost");
    json_i64(j, f->lost);
    JSON_KEY(j, "lost_pct");
    json_double(j, f->lost_pct, 3);
    JSON_KEY(j, "seq_errors");
    json_u64(j, f->seq_errors);
    JSON_KEY(j, "max_delta_ms");
    ms_or_null(j, f->max_delta_ms, true);
    JSON_KEY(j, "max_jitter_ms");
    ms_or_null(j, f->max_jitter_ms, f->jitter_valid);
    JSON_KEY(j, "mean_jitter_ms");
    ms_or_null(j, f->mean_jitter_ms, f->jitter_valid);
    JSON_KEY(j, "first_ts");
    json_ts(j, f->first_ns);
    JSON_KEY(j, "last_ts");
    json_ts(j, f->last_ns);
    JSON_KEY(j, "lost_unique");
    json_u64(j, f->lost_unique);
    JSON_KEY(j, "duplicates");
    json_u64(j, f->duplicates);
    JSON_KEY(j, "out_of_order");
    json_u64(j, f->out_of_order);
    JSON_KEY(j, "loss_bursts");
    json_obj_begin(j);
    JSON_KEY(j, "1_9");
    json_u64(j, f->loss_bursts[0]);
    JSON_KEY(j, "10_plus");
    json_u64(j, f->loss_bursts[1]);
    json_obj_end(j);
    JSON_KEY(j, "burst_ratio");
    if (f->lost_unique)
        json_double(j, f->burst_ratio, 3);
    else
        json_null(j);
    JSON_KEY(j, "r_factor");
    if (q->mos.valid)
        json_double(j, q->mos.r_factor, 2);
    else
        json_null(j);
    JSON_KEY(j, "mos");
    if (q->mos.valid)
        json_double(j, q->mos.mos, 2);
    else
        json_null(j);
    JSON_KEY(j, "mos_min");
    if (q->mos_min.valid)
        json_double(j, q->mos_min.mos, 2);
    else
        json_null(j);
    JSON_KEY(j, "mos_model");
    json_str_opt(j, q->mos.valid ? q->mos.model : NULL);
    JSON_KEY(j, "rtcp");
    rtcp_write(j, s->rtcp);
    JSON_KEY(j, "dtmf");
    json_arr_begin(j);
    for (uint8_t i = 0; i < s->dtmf_count; i++) {
        json_obj_begin(j);
        JSON_KEY(j, "ts");
        json_ts(j, s->dtmf->ns[i]);
        JSON_KEY(j, "digit");
        json_str(j, &s->dtmf->digit[i], 1);
        json_obj_end(j);
    }
    json_arr_end(j);
    JSON_KEY(j, "origin");
    static const char *const origins[] = {"sdp", "latched", "heuristic"};
    json_str_cstr(j, s->origin < 3 ? origins[s->origin] : NULL);
    JSON_KEY(j, "call_id");
    json_str_opt(j, s->call_id);
    json_obj_end(j);
}

int stream_table_header(FILE *f)
{
    return fprintf(f, "%-22s %-22s %-10s %-10s %6s %11s %9s %9s %9s %4s %s\n", "SRC", "DST", "SSRC",
                   "CODEC", "PKTS", "LOST", "MAXDELTA", "MAXJITTER", "MEANJITTR", "MOS",
                   "CALL_ID") < 0
               ? -1
               : 0;
}

int stream_table_row(FILE *f, const struct media_stream *s)
{
    struct stream_quality q;
    stream_quality(s, &q);
    char src[ADDR_STR_MAX], dst[ADDR_STR_MAX], ssrc[16], lost[24], mos[8], id[CALL_ID_MAX];
    char codec[CALL_CODEC_MAX];
    char maxd[16] = "-", maxj[16] = "-", meanj[16] = "-";
    snprintf(ssrc, sizeof ssrc, "0x%08X", s->ssrc);
    snprintf(lost, sizeof lost, "%d (%.1f%%)", q.f.lost, q.f.lost_pct);
    if (q.f.max_delta_ms >= 0)
        snprintf(maxd, sizeof maxd, "%.3f", q.f.max_delta_ms);
    if (q.f.jitter_valid) {
        snprintf(maxj, sizeof maxj, "%.3f", q.f.max_jitter_ms);
        snprintf(meanj, sizeof meanj, "%.3f", q.f.mean_jitter_ms);
    }
    snprintf(mos, sizeof mos, q.mos.valid ? "%.2f" : "-", q.mos.mos);
    return fprintf(f, "%-22s %-22s %-10s %-10.10s %6u %11s %9s %9s %9s %4s %s\n",
                   endpoint_format(&s->src, src, sizeof src),
                   endpoint_format(&s->dst, dst, sizeof dst), ssrc,
                   s->codec[0] ? table_printable(s->codec, codec, sizeof codec) : "-", q.f.packets,
                   lost, maxd, maxj, meanj, mos,
                   s->call_id[0] ? table_printable(s->call_id, id, sizeof id) : "-") < 0
               ? -1
               : 0;
}
